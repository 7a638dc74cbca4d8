use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::messaging::common::first_target;
use crate::rules::{Ctx, Diagnostic, Fix};

declare_rule! {
    /// ## What it does
    /// Flags Auto Scaling groups whose size may vary (`MaxSize` at least two above `MinSize`; a
    /// one-instance range is usually headroom for rolling updates) but that no
    /// `AWS::AutoScaling::ScalingPolicy` or `ScheduledAction` refers to, and whose capacity no ECS
    /// capacity provider manages.
    ///
    /// ## Why is this bad?
    /// `MinSize` and `MaxSize` only bound scaling; without a policy nothing ever changes the
    /// desired capacity, so the group never adds instances at a peak (latency and errors climb
    /// while `MaxSize` sits unused) and never removes them at night (you pay for idle peak
    /// capacity). A target tracking policy on CPU or on requests per target keeps the fleet sized
    /// to the load.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   WebGroup:
    ///     Type: AWS::AutoScaling::AutoScalingGroup
    ///     Properties:
    ///       MinSize: "2"
    ///       MaxSize: "10"
    ///       LaunchTemplate: {LaunchTemplateId: lt-0123456789abcdef0, Version: "1"}
    ///       VPCZoneIdentifier: [subnet-1, subnet-2]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   WebGroup:
    ///     Type: AWS::AutoScaling::AutoScalingGroup
    ///     Properties:
    ///       MinSize: "2"
    ///       MaxSize: "10"
    ///       LaunchTemplate: {LaunchTemplateId: lt-0123456789abcdef0, Version: "1"}
    ///       VPCZoneIdentifier: [subnet-1, subnet-2]
    ///   WebCpu:
    ///     Type: AWS::AutoScaling::ScalingPolicy
    ///     Properties:
    ///       AutoScalingGroupName: !Ref WebGroup
    ///       PolicyType: TargetTrackingScaling
    ///       TargetTrackingConfiguration:
    ///         PredefinedMetricSpecification: {PredefinedMetricType: ASGAverageCPUUtilization}
    ///         TargetValue: 60
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html
    /// - https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html
    /// - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-autoscaling-scalingpolicy.html
    pub AsgWithoutScalingPolicy {
        code: "ASG-001",
        name: "asg-without-scaling-policy",
        severity: Medium,
        pillar: Performance,
        symptoms: ["slow-scale-out"],
        remedies: ["ec2-asg-scaling-policy"],
    }
}

impl AsgWithoutScalingPolicy {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let groups: Vec<_> = ctx.resources(&["AWS::AutoScaling::AutoScalingGroup"]).collect();
        if groups.is_empty() {
            return;
        }
        // Groups that something scales; `None` when a policy names a group we cannot tell.
        let mut scaled: Vec<String> = Vec::new();
        for p in ctx.resources(&["AWS::AutoScaling::ScalingPolicy", "AWS::AutoScaling::ScheduledAction"]) {
            match ctx.node(p, &["AutoScalingGroupName"]).and_then(|n| first_target(ctx, n)) {
                Some(g) => scaled.push(g.id.clone()),
                None => return,
            }
        }
        for cp in ctx.resources(&["AWS::ECS::CapacityProvider"]) {
            let managed = ctx.str(cp, &["AutoScalingGroupProvider", "ManagedScaling", "Status"]);
            if managed.known().is_some_and(|s| s == "DISABLED") {
                continue;
            }
            match ctx.node(cp, &["AutoScalingGroupProvider", "AutoScalingGroupArn"]).and_then(|n| first_target(ctx, n)) {
                Some(g) => scaled.push(g.id.clone()),
                None => return,
            }
        }
        for g in groups {
            if scaled.contains(&g.id) {
                continue;
            }
            let (Some(min), Some(max)) = (ctx.num(g, &["MinSize"]).known().copied(), ctx.num(g, &["MaxSize"]).known().copied()) else { continue };
            // A range of one instance is headroom for rolling updates, not for load.
            if max - min < 2.0 {
                continue;
            }
            let desired = ctx.num(g, &["DesiredCapacity"]).known().copied();
            let stays = desired.map_or_else(|| format!("MinSize {}", fmt_num(min)), |d| format!("DesiredCapacity {}", fmt_num(d)));
            let mut d = ctx.diag(g, &["MaxSize"], format!(
                "{} may run {} to {} instances but no scaling policy or scheduled action refers to it: it stays at {stays} whatever the load, so peaks run hot and quiet hours pay for idle instances",
                g.id,
                fmt_num(min),
                fmt_num(max)
            ));
            d.evidence.push(format!("MinSize = {}, MaxSize = {}", fmt_num(min), fmt_num(max)));
            if let Some(dc) = desired {
                d.evidence.push(format!("DesiredCapacity = {}", fmt_num(dc)));
            }
            d.evidence.push("no AWS::AutoScaling::ScalingPolicy or ScheduledAction names the group".into());
            d.fix = Some(Fix::new(
                "Add a target tracking scaling policy (CPU, or ALB requests per target for web fleets)",
                format!(
                    "{0}CpuTracking:\n  Type: AWS::AutoScaling::ScalingPolicy\n  Properties:\n    AutoScalingGroupName: !Ref {0}\n    PolicyType: TargetTrackingScaling\n    TargetTrackingConfiguration:\n      PredefinedMetricSpecification:\n        PredefinedMetricType: ASGAverageCPUUtilization\n      TargetValue: 60",
                    g.id
                ),
            ));
            out.push(d);
        }
    }
}
