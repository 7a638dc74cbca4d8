use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::messaging::common::permission_holders;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common::{ecs_scaling, service_behind_load_balancer, service_queues};

declare_rule! {
    /// ## What it does
    /// Flags ECS services behind a load balancer that no Application Auto Scaling scalable
    /// target refers to (`ResourceId: service/<cluster>/<service name>`). Daemon services,
    /// services scaled to zero and queue workers (reported by SQS-004) are left out.
    ///
    /// ## Why is this bad?
    /// Without a scalable target the service runs `DesiredCount` tasks forever: a traffic peak
    /// drives every task's CPU and response times up with nothing added, and quiet hours pay for
    /// peak capacity. Target tracking on CPU, memory or requests per target (with a minimum that
    /// keeps warm capacity) adds tasks as load rises and removes them when it falls.
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
    ///       DesiredCount: 2
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
    ///   WebScaling:
    ///     Type: AWS::ApplicationAutoScaling::ScalableTarget
    ///     Properties:
    ///       ServiceNamespace: ecs
    ///       ScalableDimension: ecs:service:DesiredCount
    ///       ResourceId: !Sub service/shop/${Web.Name}
    ///       MinCapacity: 2
    ///       MaxCapacity: 10
    ///   WebCpu:
    ///     Type: AWS::ApplicationAutoScaling::ScalingPolicy
    ///     Properties:
    ///       PolicyName: cpu
    ///       PolicyType: TargetTrackingScaling
    ///       ScalingTargetId: !Ref WebScaling
    ///       TargetTrackingScalingPolicyConfiguration:
    ///         PredefinedMetricSpecification: {PredefinedMetricType: ECSServiceAverageCPUUtilization}
    ///         TargetValue: 60
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-auto-scaling.html
    /// - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
    pub EcsServiceWithoutAutoscaling {
        code: "ECS-001",
        name: "ecs-service-without-autoscaling",
        severity: Medium,
        pillar: Performance,
        symptoms: ["high-api-latency", "slow-scale-out"],
        remedies: ["ecs-right-size-autoscale", "fargate-warm-capacity"],
    }
}

impl EcsServiceWithoutAutoscaling {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let scaling = ecs_scaling(ctx);
        if scaling.unattributed {
            return;
        }
        let receivers = permission_holders(ctx, "sqs:receivemessage");
        for svc in ctx.resources(&["AWS::ECS::Service"]) {
            if !service_behind_load_balancer(ctx, svc) || scaling.target_of(&svc.id).is_some() {
                continue;
            }
            if ctx.str(svc, &["SchedulingStrategy"]).known().is_some_and(|s| s == "DAEMON") {
                continue;
            }
            let desired = ctx.num(svc, &["DesiredCount"]);
            let Some(count) = desired.or_default(1.0) else { continue };
            if count == 0.0 || !service_queues(ctx, svc, &receivers).is_empty() {
                continue;
            }
            let count_text = format!("{}{}", fmt_num(count), if desired.is_absent() { " (DesiredCount default)" } else { "" });
            let mut d = ctx.diag(svc, &["DesiredCount"], format!(
                "{} serves traffic from a load balancer but has no Application Auto Scaling target: it keeps {count_text} task{} however many requests arrive, so peaks slow every task down and quiet hours pay for idle capacity",
                svc.id,
                if count == 1.0 { "" } else { "s" }
            ));
            d.evidence.push(format!("DesiredCount = {count_text}"));
            d.evidence.push("LoadBalancers is set".into());
            d.evidence.push("no AWS::ApplicationAutoScaling::ScalableTarget refers to the service".into());
            d.fix = Some(Fix::new(
                "Register the service as a scalable target and track CPU (or ALB requests per target)",
                format!(
                    "{0}Scaling:\n  Type: AWS::ApplicationAutoScaling::ScalableTarget\n  Properties:\n    ServiceNamespace: ecs\n    ScalableDimension: ecs:service:DesiredCount\n    ResourceId: !Sub service/${{Cluster}}/${{{0}.Name}}\n    MinCapacity: 2\n    MaxCapacity: 10\n{0}CpuTracking:\n  Type: AWS::ApplicationAutoScaling::ScalingPolicy\n  Properties:\n    PolicyName: cpu\n    PolicyType: TargetTrackingScaling\n    ScalingTargetId: !Ref {0}Scaling\n    TargetTrackingScalingPolicyConfiguration:\n      PredefinedMetricSpecification:\n        PredefinedMetricType: ECSServiceAverageCPUUtilization\n      TargetValue: 60",
                    svc.id
                ),
            ));
            out.push(d);
        }
    }
}
