use std::collections::BTreeMap;

use crate::declare_rule;
use crate::rules::apigateway::common::{Integration, integrations, items, refs, str_at};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::template::Resource;

declare_rule! {
    /// ## What it does
    /// Points at APIs whose integrations go through a VPC link (`ConnectionType: VPC_LINK`) and
    /// reminds that the targets behind the load balancer should keep connections alive, with a
    /// keep-alive timeout longer than the load balancer's idle timeout.
    ///
    /// ## Why is this bad?
    /// It is not a defect, but a common source of latency and intermittent errors on private
    /// integrations. When targets close connections after each response (or sooner than the
    /// load balancer expects), every request pays a new TCP, and with HTTPS a TLS, handshake,
    /// and requests sent on a connection the target has just closed fail with 502s. An ALB
    /// drops connections idle for longer than `idle_timeout.timeout_seconds` (60 s by default),
    /// an NLB after 350 s, so the application server's keep-alive timeout should be longer than
    /// that (for example Node.js `server.keepAliveTimeout = 65000` behind a 60 s ALB).
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Nlb:
    ///     Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///     Properties: {Type: network, Scheme: internal, Subnets: [subnet-1, subnet-2]}
    ///   Link:
    ///     Type: AWS::ApiGateway::VpcLink
    ///     Properties: {Name: orders, TargetArns: [!Ref Nlb]}
    ///   Api:
    ///     Type: AWS::ApiGateway::RestApi
    ///     Properties: {Name: orders}
    ///   Proxy:
    ///     Type: AWS::ApiGateway::Method
    ///     Properties:
    ///       RestApiId: !Ref Api
    ///       ResourceId: !GetAtt Api.RootResourceId
    ///       HttpMethod: ANY
    ///       AuthorizationType: NONE
    ///       Integration:
    ///         Type: HTTP_PROXY
    ///         IntegrationHttpMethod: ANY
    ///         ConnectionType: VPC_LINK
    ///         ConnectionId: !Ref Link
    ///         Uri: !Sub http://${Nlb.DNSName}/
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # Nothing to change in the template when the targets keep connections alive; to
    /// # acknowledge that, suppress the advice for the API.
    /// Metadata:
    ///   archlens:
    ///     ignore: [vpc-link-integration-keepalive]
    /// Resources:
    ///   Nlb:
    ///     Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    ///     Properties: {Type: network, Scheme: internal, Subnets: [subnet-1, subnet-2]}
    ///   Link:
    ///     Type: AWS::ApiGateway::VpcLink
    ///     Properties: {Name: orders, TargetArns: [!Ref Nlb]}
    ///   Api:
    ///     Type: AWS::ApiGateway::RestApi
    ///     Properties: {Name: orders}
    ///   Proxy:
    ///     Type: AWS::ApiGateway::Method
    ///     Properties:
    ///       RestApiId: !Ref Api
    ///       ResourceId: !GetAtt Api.RootResourceId
    ///       HttpMethod: ANY
    ///       AuthorizationType: NONE
    ///       Integration:
    ///         Type: HTTP_PROXY
    ///         IntegrationHttpMethod: ANY
    ///         ConnectionType: VPC_LINK
    ///         ConnectionId: !Ref Link
    ///         Uri: !Sub http://${Nlb.DNSName}/
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout
    /// - https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#connection-idle-timeout
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-private.html
    pub VpcLinkIntegrationKeepalive {
        code: "APIGW-009",
        name: "vpc-link-integration-keepalive",
        severity: Info,
        pillar: Performance,
        symptoms: ["high-api-latency"],
        remedies: ["apigw-vpc-link-keepalive"],
    }
}

/// The load balancer behind an integration, found through its URI (an LB's DNS name or a
/// listener ARN) or its V1 VPC link's `TargetArns`.
fn load_balancer<'a>(ctx: &Ctx<'a>, i: &Integration<'a>) -> Option<&'a Resource> {
    let mut candidates = Vec::new();
    if let Some(uri) = i.uri {
        candidates.extend(refs(uri));
    }
    if let Some(link) = i.connection_id.and_then(|n| refs(n).into_iter().next()).and_then(|id| ctx.template.resource(&id))
        && link.type_name == "AWS::ApiGateway::VpcLink"
        && let Some(t) = ctx.node(link, &["TargetArns"])
    {
        candidates.extend(refs(t));
    }
    for id in candidates {
        let Some(r) = ctx.template.resource(&id) else { continue };
        match r.type_name.as_str() {
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => return Some(r),
            "AWS::ElasticLoadBalancingV2::Listener" => {
                let lb = ctx.node(r, &["LoadBalancerArn"]).and_then(|n| refs(n).into_iter().next()).and_then(|id| ctx.template.resource(&id));
                if lb.is_some() {
                    return lb;
                }
            }
            _ => {}
        }
    }
    None
}

/// "(application load balancer, idle timeout 60 s)".
fn describe(ctx: &Ctx<'_>, lb: &Resource) -> (String, Option<String>) {
    let network = ctx.str(lb, &["Type"]).known().is_some_and(|t| t == "network");
    let (key, default) = if network { ("tcp.idle_timeout.seconds", 350) } else { ("idle_timeout.timeout_seconds", 60) };
    let mut timeout = Some(format!("{default} s (default)"));
    for attr in items(ctx, ctx.node(lb, &["LoadBalancerAttributes"])).unwrap_or(&[]) {
        if str_at(ctx, attr, lb.pos, &["Key"]).known().is_some_and(|k| k == key) {
            timeout = match str_at(ctx, attr, lb.pos, &["Value"]) {
                Prop::Known(v, _) => Some(format!("{v} s")),
                _ => None,
            };
        }
    }
    let kind = if network { "network load balancer" } else { "application load balancer" };
    (kind.to_string(), timeout)
}

impl VpcLinkIntegrationKeepalive {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let mut by_api: BTreeMap<String, Vec<Integration<'_>>> = BTreeMap::new();
        for i in integrations(ctx) {
            if i.connection.as_deref() == Some("VPC_LINK") {
                by_api.entry(i.api.clone().unwrap_or_else(|| i.res.id.clone())).or_default().push(i);
            }
        }
        for (api, list) in by_api {
            let first = &list[0];
            let labels: Vec<&str> = list.iter().map(|i| i.label.as_str()).collect();
            let lb = list.iter().find_map(|i| load_balancer(ctx, i));
            let (target, limit) = match lb {
                Some(lb) => {
                    let (kind, timeout) = describe(ctx, lb);
                    match timeout {
                        Some(t) => (format!("{} ({kind}, idle timeout {t})", lb.id), format!("longer than {}'s idle timeout of {t}", lb.id)),
                        None => (format!("{} ({kind})", lb.id), format!("longer than {}'s idle timeout", lb.id)),
                    }
                }
                None => ("its load balancer".to_string(), "longer than the load balancer's idle timeout (ALB 60 s, NLB 350 s by default)".to_string()),
            };
            let mut d = ctx.diag(first.res, &first.path, format!(
                "{api} reaches {target} through a VPC link ({} integration{}): make sure the targets keep connections alive, with a keep-alive timeout {limit}, or each request pays a new TCP/TLS handshake and risks 502s on closed connections",
                list.len(),
                if list.len() == 1 { "" } else { "s" },
            ));
            if first.path.is_empty() {
                d.pos = first.pos;
            }
            d.evidence.push(format!("ConnectionType VPC_LINK on: {}", labels.join(", ")));
            d.fix = Some(Fix::new(
                "Keep connections alive on the targets, longer than the load balancer's idle timeout (application setting, e.g. Node.js server.keepAliveTimeout = 65000 behind a 60 s ALB); set the ALB timeout explicitly so both sides agree",
                "LoadBalancerAttributes:\n  - Key: idle_timeout.timeout_seconds\n    Value: '60'   # targets' keep-alive timeout must be longer",
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "APIGW-009").map(|f| f.message).collect()
    }

    #[test]
    fn one_finding_per_api_naming_the_alb_behind_the_listener() {
        let t = "
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internal
      LoadBalancerAttributes: [{Key: idle_timeout.timeout_seconds, Value: '120'}]
  Listener: {Type: AWS::ElasticLoadBalancingV2::Listener, Properties: {LoadBalancerArn: !Ref Alb, Port: 80, Protocol: HTTP}}
  Link: {Type: AWS::ApiGatewayV2::VpcLink, Properties: {Name: l, SubnetIds: [a]}}
  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {Name: a, ProtocolType: HTTP}}
  One: {Type: AWS::ApiGatewayV2::Integration, Properties: {ApiId: !Ref Api, IntegrationType: HTTP_PROXY, ConnectionType: VPC_LINK, ConnectionId: !Ref Link, IntegrationUri: !Ref Listener}}
  Two: {Type: AWS::ApiGatewayV2::Integration, Properties: {ApiId: !Ref Api, IntegrationType: HTTP_PROXY, ConnectionType: VPC_LINK, ConnectionId: !Ref Link, IntegrationUri: !Ref Listener}}
  Public: {Type: AWS::ApiGatewayV2::Integration, Properties: {ApiId: !Ref Api, IntegrationType: HTTP_PROXY, IntegrationUri: 'https://example.com'}}
";
        let m = found(t);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("Alb (application load balancer, idle timeout 120 s)") && m[0].contains("2 integrations"), "{m:?}");
    }
}
