use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common::{ecs_launch_type, ecs_scaling, service_behind_load_balancer};

declare_rule! {
    /// ## What it does
    /// Flags Fargate services behind a load balancer that run a single task: `DesiredCount` 1
    /// (the default when it is not set) and no scalable target with a `MinCapacity` of 2 or more.
    ///
    /// ## Why is this bad?
    /// With one task there is no second target to take over: when the task crashes, fails its
    /// health check, is retired for Fargate maintenance or its Availability Zone has trouble, the
    /// load balancer has no healthy target and answers 503 until a replacement has been
    /// scheduled, pulled its image and passed its health checks, usually a minute or more. Two
    /// tasks in different Availability Zones keep the service up while ECS replaces one.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Web:
    ///     Type: AWS::ECS::Service
    ///     Properties:
    ///       Cluster: shop
    ///       LaunchType: FARGATE
    ///       TaskDefinition: web:1
    ///       LoadBalancers: [{ContainerName: web, ContainerPort: 8080, TargetGroupArn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef}]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Web:
    ///     Type: AWS::ECS::Service
    ///     Properties:
    ///       Cluster: shop
    ///       LaunchType: FARGATE
    ///       TaskDefinition: web:1
    ///       DesiredCount: 2
    ///       LoadBalancers: [{ContainerName: web, ContainerPort: 8080, TargetGroupArn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef}]
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html
    /// - https://docs.aws.amazon.com/AmazonECS/latest/bestpracticesguide/availability.html
    pub FargateServiceSingleTask {
        code: "ECS-002",
        name: "fargate-service-single-task",
        severity: Low,
        pillar: Reliability,
        symptoms: ["unhealthy-targets"],
        remedies: ["fargate-warm-capacity"],
    }
}

impl FargateServiceSingleTask {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let scaling = ecs_scaling(ctx);
        if scaling.unattributed {
            return;
        }
        for svc in ctx.resources(&["AWS::ECS::Service"]) {
            if !service_behind_load_balancer(ctx, svc) || ecs_launch_type(ctx, svc).as_deref() != Some("FARGATE") {
                continue;
            }
            let desired = ctx.num(svc, &["DesiredCount"]);
            if desired.or_default(1.0) != Some(1.0) {
                continue;
            }
            let min = match scaling.target_of(&svc.id) {
                Some(t) => match ctx.num(t, &["MinCapacity"]).known() {
                    Some(m) => Some(*m),
                    None => continue,
                },
                None => None,
            };
            if min.is_some_and(|m| m >= 2.0) {
                continue;
            }
            let how = match (desired.is_absent(), min) {
                (true, None) => "has no DesiredCount, so it runs the default single task".to_string(),
                (false, None) => "has DesiredCount 1".to_string(),
                (_, Some(m)) => format!("runs 1 task and may scale in to MinCapacity {}", fmt_num(m)),
            };
            let mut d = ctx.diag(svc, &["DesiredCount"], format!(
                "{} is a Fargate service behind a load balancer that {how}: when that task crashes, fails its health check or its Availability Zone has trouble, no healthy target is left and the load balancer answers 503 until a replacement starts",
                svc.id
            ));
            d.evidence.push(format!("DesiredCount = 1{}", if desired.is_absent() { " (default)" } else { "" }));
            if let Some(m) = min {
                d.evidence.push(format!("scalable target MinCapacity = {}", fmt_num(m)));
            }
            d.evidence.push("launch type FARGATE, LoadBalancers set".into());
            d.fix = Some(Fix::new(
                "Run at least two tasks (spread over Availability Zones), and keep MinCapacity at 2 if the service auto scales",
                "DesiredCount: 2",
            ));
            out.push(d);
        }
    }
}
