use crate::declare_rule;
use crate::rules::compute::common::{ecs_scaling, service_queues};
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common::{fmt_list, permission_holders};

declare_rule! {
    /// ## What it does
    /// Flags ECS services that consume an SQS queue (their task role may `sqs:ReceiveMessage` on
    /// it, or, when the role is not in the template, a container's environment names the queue)
    /// but have no Application Auto Scaling target.
    ///
    /// ## Why is this bad?
    /// A fixed number of workers drains the queue at a fixed rate: when orders arrive faster,
    /// the backlog and the age of the oldest message grow until messages reach their retention
    /// period, and when the queue is empty the tasks idle and are billed anyway. Scaling the
    /// service with target tracking on backlog per task (visible messages / running tasks)
    /// adds workers as the queue grows and removes them when it drains.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Jobs:
    ///     Type: AWS::SQS::Queue
    ///   TaskRole:
    ///     Type: AWS::IAM::Role
    ///     Properties:
    ///       AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]}
    ///       Policies:
    ///         - PolicyName: consume
    ///           PolicyDocument:
    ///             Statement:
    ///               - {Effect: Allow, Action: [sqs:ReceiveMessage, sqs:DeleteMessage], Resource: !GetAtt Jobs.Arn}
    ///   Task:
    ///     Type: AWS::ECS::TaskDefinition
    ///     Properties:
    ///       TaskRoleArn: !GetAtt TaskRole.Arn
    ///       ContainerDefinitions:
    ///         - Name: worker
    ///           Image: worker:latest
    ///           Environment: [{Name: QUEUE_URL, Value: !Ref Jobs}]
    ///   Worker:
    ///     Type: AWS::ECS::Service
    ///     Properties:
    ///       Cluster: jobs
    ///       TaskDefinition: !Ref Task
    ///       DesiredCount: 2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Jobs:
    ///     Type: AWS::SQS::Queue
    ///   TaskRole:
    ///     Type: AWS::IAM::Role
    ///     Properties:
    ///       AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]}
    ///       Policies:
    ///         - PolicyName: consume
    ///           PolicyDocument:
    ///             Statement:
    ///               - {Effect: Allow, Action: [sqs:ReceiveMessage, sqs:DeleteMessage], Resource: !GetAtt Jobs.Arn}
    ///   Task:
    ///     Type: AWS::ECS::TaskDefinition
    ///     Properties:
    ///       TaskRoleArn: !GetAtt TaskRole.Arn
    ///       ContainerDefinitions:
    ///         - Name: worker
    ///           Image: worker:latest
    ///           Environment: [{Name: QUEUE_URL, Value: !Ref Jobs}]
    ///   Worker:
    ///     Type: AWS::ECS::Service
    ///     Properties:
    ///       Cluster: jobs
    ///       TaskDefinition: !Ref Task
    ///       DesiredCount: 2
    ///   WorkerScaling:
    ///     Type: AWS::ApplicationAutoScaling::ScalableTarget
    ///     Properties:
    ///       ServiceNamespace: ecs
    ///       ScalableDimension: ecs:service:DesiredCount
    ///       ResourceId: !Sub service/jobs/${Worker.Name}
    ///       MinCapacity: 1
    ///       MaxCapacity: 20
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-using-sqs-queue.html
    /// - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-auto-scaling.html
    /// - https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html
    pub QueueConsumedByFixedSizeService {
        code: "SQS-004",
        name: "queue-consumed-by-fixed-size-service",
        severity: Medium,
        pillar: Performance,
        symptoms: ["queue-backlog", "slow-scale-out"],
        remedies: ["sqs-backlog-scaling", "ecs-right-size-autoscale"],
    }
}

impl QueueConsumedByFixedSizeService {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let scaling = ecs_scaling(ctx);
        if scaling.unattributed {
            return;
        }
        let receivers = permission_holders(ctx, "sqs:receivemessage");
        for svc in ctx.resources(&["AWS::ECS::Service"]) {
            if scaling.target_of(&svc.id).is_some() || ctx.str(svc, &["SchedulingStrategy"]).known().is_some_and(|s| s == "DAEMON") {
                continue;
            }
            let desired = ctx.num(svc, &["DesiredCount"]);
            let Some(count) = desired.or_default(1.0) else { continue };
            if count == 0.0 {
                continue;
            }
            let queues = service_queues(ctx, svc, &receivers);
            if queues.is_empty() {
                continue;
            }
            let names: Vec<String> = queues.iter().map(|(q, _)| q.clone()).collect();
            let mut d = ctx.diag(svc, &["DesiredCount"], format!(
                "{} consumes {} but has no Application Auto Scaling target: it runs {} task{}{} whatever the backlog, so messages wait when traffic rises and tasks idle when the queue is empty",
                svc.id,
                fmt_list(&names),
                fmt_num(count),
                if count == 1.0 { "" } else { "s" },
                if desired.is_absent() { " (DesiredCount default)" } else { "" }
            ));
            for (q, why) in &queues {
                d.evidence.push(format!("reads {q}: {why}"));
            }
            d.evidence.push(format!("DesiredCount = {}{}", fmt_num(count), if desired.is_absent() { " (default)" } else { "" }));
            d.evidence.push("no AWS::ApplicationAutoScaling::ScalableTarget for the service".into());
            let queue = names.first().cloned().unwrap_or_default();
            d.fix = Some(Fix::new(
                "Scale the service on backlog per task (visible messages / running tasks) with target tracking",
                format!(
                    "{0}Scaling:\n  Type: AWS::ApplicationAutoScaling::ScalableTarget\n  Properties:\n    ServiceNamespace: ecs\n    ScalableDimension: ecs:service:DesiredCount\n    ResourceId: !Sub service/${{Cluster}}/${{{0}.Name}}\n    MinCapacity: 1\n    MaxCapacity: 20\n{0}BacklogPolicy:\n  Type: AWS::ApplicationAutoScaling::ScalingPolicy\n  Properties:\n    PolicyName: backlog-per-task\n    PolicyType: TargetTrackingScaling\n    ScalingTargetId: !Ref {0}Scaling\n    TargetTrackingScalingPolicyConfiguration:\n      TargetValue: 100   # acceptable latency / seconds per message\n      CustomizedMetricSpecification:\n        Metrics:\n          - {{Id: visible, ReturnData: false, MetricStat: {{Stat: Sum, Metric: {{Namespace: AWS/SQS, MetricName: ApproximateNumberOfMessagesVisible, Dimensions: [{{Name: QueueName, Value: !GetAtt {1}.QueueName}}]}}}}}}\n          - {{Id: tasks, ReturnData: false, MetricStat: {{Stat: Average, Metric: {{Namespace: ECS/ContainerInsights, MetricName: RunningTaskCount, Dimensions: [{{Name: ClusterName, Value: !Ref Cluster}}, {{Name: ServiceName, Value: !GetAtt {0}.Name}}]}}}}}}\n          - {{Id: backlog, Expression: visible / tasks, ReturnData: true}}",
                    svc.id, queue
                ),
            ));
            out.push(d);
        }
    }
}
