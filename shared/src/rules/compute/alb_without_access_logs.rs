use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::yaml::Node;

use super::common::is_application_lb;

declare_rule! {
    /// ## What it does
    /// Flags Application Load Balancers (`Type` absent or `application`) whose
    /// `LoadBalancerAttributes` do not set `access_logs.s3.enabled` to `true`.
    ///
    /// ## Why is this bad?
    /// Access logs are off by default. Without them there is no record of individual requests:
    /// which client, path and target, how long the request waited for the target
    /// (`target_processing_time`), and which status the load balancer or the target returned.
    /// CloudWatch metrics give averages; the logs are what lets you find the slow endpoint, the
    /// client that retries in a loop, or the target behind the 502s. Logging to S3 costs only the
    /// storage.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Alb:
    ///     Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///     Properties:
    ///       Subnets: [subnet-1, subnet-2]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Alb:
    ///     Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///     Properties:
    ///       Subnets: [subnet-1, subnet-2]
    ///       LoadBalancerAttributes:
    ///         - {Key: access_logs.s3.enabled, Value: "true"}
    ///         - {Key: access_logs.s3.bucket, Value: my-alb-logs}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
    /// - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-elasticloadbalancingv2-loadbalancer-loadbalancerattribute.html
    pub AlbWithoutAccessLogs {
        code: "ELB-001",
        name: "alb-without-access-logs",
        severity: Low,
        pillar: Operations,
        symptoms: ["missing-observability", "high-api-latency"],
        remedies: ["alb-access-logs"],
    }
}

impl AlbWithoutAccessLogs {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for lb in ctx.resources(&["AWS::ElasticLoadBalancingV2::LoadBalancer"]) {
            if is_application_lb(ctx, lb) != Some(true) {
                continue;
            }
            let enabled = match ctx.value(lb, &["LoadBalancerAttributes"]) {
                Prop::Absent => Some(false),
                Prop::Unknown(_) => None,
                Prop::Known(_, _) => {
                    let attrs = ctx.node(lb, &["LoadBalancerAttributes"]).and_then(Node::as_seq).unwrap_or(&[]);
                    let mut state = Some(false);
                    for a in attrs {
                        let Some(a) = ctx.resolver.select(a) else {
                            state = None;
                            continue;
                        };
                        match a.get("Key").map(|k| ctx.resolver.value(k).text()) {
                            Some(Some(k)) if k == "access_logs.s3.enabled" => {
                                state = match a.get("Value").map(|v| ctx.resolver.value(v)) {
                                    Some(v) => v.as_bool(),
                                    None => Some(false),
                                };
                                break;
                            }
                            Some(Some(_)) => {}
                            _ => state = None,
                        }
                    }
                    state
                }
            };
            if enabled != Some(false) {
                continue;
            }
            let mut d = ctx.diag(lb, &["LoadBalancerAttributes"], format!(
                "{} has no access logs (access_logs.s3.enabled is not true, and logging is off by default): there is no per-request record of clients, paths, target processing times and status codes to investigate latency or errors with",
                lb.id
            ));
            d.evidence.push("access_logs.s3.enabled not set to true".into());
            d.fix = Some(Fix::new(
                "Enable access logs to an S3 bucket whose policy lets Elastic Load Balancing write to it",
                "LoadBalancerAttributes:\n  - Key: access_logs.s3.enabled\n    Value: \"true\"\n  - Key: access_logs.s3.bucket\n    Value: !Ref AccessLogsBucket",
            ));
            out.push(d);
        }
    }
}
