use crate::declare_rule;
use crate::rules::messaging::common::all_targets;
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Flags CodeBuild projects when the template routes no CodeBuild events anywhere: no
    /// EventBridge rule (or SAM `EventBridgeRule`/`CloudWatchEvent` event) whose pattern has
    /// source `aws.codebuild`, and no CodeStar notification rule on the project.
    ///
    /// ## Why is this bad?
    /// CodeBuild reports each build's state changes to EventBridge, but nothing is sent anywhere
    /// unless a rule picks them up. Without one, a failed build (a broken deployment pipeline, a
    /// nightly job that stopped working) is noticed only when someone opens the console or wonders
    /// why a change did not ship. A rule on `CodeBuild Build State Change` with `build-status:
    /// FAILED` that notifies an SNS topic or chat channel closes that gap; it is advice rather
    /// than a defect, because notifications may already be set up outside this template.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Build:
    ///     Type: AWS::CodeBuild::Project
    ///     Properties:
    ///       ServiceRole: arn:aws:iam::123456789012:role/build
    ///       Artifacts: {Type: NO_ARTIFACTS}
    ///       Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
    ///       Source: {Type: GITHUB, Location: https://github.com/example/app.git}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Build:
    ///     Type: AWS::CodeBuild::Project
    ///     Properties:
    ///       ServiceRole: arn:aws:iam::123456789012:role/build
    ///       Artifacts: {Type: NO_ARTIFACTS}
    ///       Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
    ///       Source: {Type: GITHUB, Location: https://github.com/example/app.git}
    ///   BuildFailed:
    ///     Type: AWS::Events::Rule
    ///     Properties:
    ///       EventPattern:
    ///         source: [aws.codebuild]
    ///         detail-type: [CodeBuild Build State Change]
    ///         detail: {build-status: [FAILED], project-name: [!Ref Build]}
    ///       Targets: [{Id: ops, Arn: arn:aws:sns:eu-west-1:123456789012:ops}]
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html
    /// - https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-codebuild.html
    /// - https://docs.aws.amazon.com/dtconsole/latest/userguide/welcome.html
    pub CodebuildWithoutFailureNotifications {
        code: "OPS-004",
        name: "codebuild-without-failure-notifications",
        severity: Info,
        pillar: Operations,
        symptoms: ["missing-observability"],
        remedies: ["eventbridge-event-routing", "cloudwatch-alarms"],
    }
}

/// Whether a pattern (a map, or JSON text) mentions CodeBuild as a source; `None` when unknown.
fn mentions_codebuild(ctx: &Ctx<'_>, pattern: &Node) -> Option<bool> {
    let text = match pattern.as_str() {
        Some(s) => s.to_string(),
        None => match ctx.resolver.value(pattern) {
            crate::template::resolve::Resolved::Map => pattern.to_json().to_string(),
            v => v.text()?,
        },
    };
    Some(text.contains("aws.codebuild"))
}

impl CodebuildWithoutFailureNotifications {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let projects: Vec<_> = ctx.resources(&["AWS::CodeBuild::Project"]).collect();
        if projects.is_empty() {
            return;
        }
        for rule in ctx.resources(&["AWS::Events::Rule"]) {
            match ctx.node(rule, &["EventPattern"]).map(|p| mentions_codebuild(ctx, p)) {
                Some(Some(false)) | None => {}
                _ => return,
            }
        }
        for f in ctx.resources(&["AWS::Serverless::Function", "AWS::Serverless::StateMachine"]) {
            for (_, event) in ctx.node(f, &["Events"]).and_then(Node::as_map).unwrap_or(&[]) {
                if let Some(pattern) = event.get("Properties").and_then(|p| p.get("Pattern"))
                    && mentions_codebuild(ctx, pattern) != Some(false)
                {
                    return;
                }
            }
        }
        let mut notified: Vec<String> = Vec::new();
        for n in ctx.resources(&["AWS::CodeStarNotifications::NotificationRule"]) {
            match ctx.node(n, &["Resource"]) {
                Some(node) => {
                    let targets = all_targets(ctx, node);
                    if targets.is_empty() {
                        return; // a notification rule on something we cannot name
                    }
                    notified.extend(targets.into_iter().map(|t| t.id.clone()));
                }
                None => return,
            }
        }
        for p in projects {
            if notified.contains(&p.id) {
                continue;
            }
            let mut d = ctx.diag(p, &[], format!(
                "{} has no EventBridge rule or notification rule for its build state changes: a failed build is noticed only when someone looks (unless notifications are configured outside this template)",
                p.id
            ));
            d.evidence.push("no AWS::Events::Rule with source aws.codebuild".into());
            d.evidence.push("no AWS::CodeStarNotifications::NotificationRule on the project".into());
            d.fix = Some(Fix::new(
                "Route failed builds to an SNS topic (or chat) with an EventBridge rule",
                format!(
                    "{0}Failed:\n  Type: AWS::Events::Rule\n  Properties:\n    EventPattern:\n      source: [aws.codebuild]\n      detail-type: [CodeBuild Build State Change]\n      detail:\n        build-status: [FAILED]\n        project-name: [!Ref {0}]\n    Targets:\n      - Id: notify\n        Arn: !Ref OpsTopic",
                    p.id
                ),
            ));
            out.push(d);
        }
    }
}
