use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::yaml::Node;

use super::common::{first_target, fmt_list};

declare_rule! {
    /// ## What it does
    /// Flags EventBridge rule targets (`AWS::Events::Rule` `Targets[]`), EventBridge Scheduler
    /// schedules, and SAM `EventBridgeRule`, `Schedule` and `ScheduleV2` events that have no
    /// `DeadLetterConfig`.
    ///
    /// ## Why is this bad?
    /// When EventBridge cannot deliver an event to a target it retries with backoff for up to
    /// 24 hours and 185 attempts by default (`RetryPolicy`), and errors that cannot succeed, such
    /// as a missing permission or a deleted target, are not retried at all. Without a dead-letter
    /// queue the event is then dropped silently. A DLQ keeps each undelivered event with the
    /// error that stopped it, and a `RetryPolicy` lets you bound how long delivery is attempted.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Nightly:
    ///     Type: AWS::Events::Rule
    ///     Properties:
    ///       ScheduleExpression: cron(0 2 * * ? *)
    ///       Targets:
    ///         - Id: report
    ///           Arn: arn:aws:lambda:eu-west-1:123456789012:function:report
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   EventsDLQ:
    ///     Type: AWS::SQS::Queue
    ///   Nightly:
    ///     Type: AWS::Events::Rule
    ///     Properties:
    ///       ScheduleExpression: cron(0 2 * * ? *)
    ///       Targets:
    ///         - Id: report
    ///           Arn: arn:aws:lambda:eu-west-1:123456789012:function:report
    ///           DeadLetterConfig: {Arn: !GetAtt EventsDLQ.Arn}
    ///           RetryPolicy: {MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
    /// - https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
    /// - https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-eventbridgerule.html
    pub EventbridgeTargetWithoutDlq {
        code: "EVB-001",
        name: "eventbridge-target-without-dlq",
        severity: Low,
        pillar: Reliability,
        symptoms: ["async-events-lost"],
        remedies: ["lambda-async-dlq", "sqs-redrive-policy"],
    }
}

const CFN_FIX: &str = "DeadLetterConfig:\n  Arn: !GetAtt EventsDLQ.Arn\nRetryPolicy:\n  MaximumRetryAttempts: 4\n  MaximumEventAgeInSeconds: 3600";
const SAM_FIX: &str = "DeadLetterConfig:\n  Type: SQS            # SAM creates the queue\nRetryPolicy:\n  MaximumRetryAttempts: 4\n  MaximumEventAgeInSeconds: 3600";

fn retry_evidence(ctx: &Ctx<'_>, target: &Node) -> String {
    let get = |k: &str| target.get("RetryPolicy").and_then(|r| r.get(k)).and_then(|n| ctx.resolver.value(n).text());
    match target.get("RetryPolicy") {
        None => "RetryPolicy not set (default: 185 attempts within 24 h)".into(),
        Some(_) => format!(
            "RetryPolicy: MaximumRetryAttempts = {}, MaximumEventAgeInSeconds = {}",
            get("MaximumRetryAttempts").unwrap_or_else(|| "185 (default)".into()),
            get("MaximumEventAgeInSeconds").unwrap_or_else(|| "86400 (default)".into())
        ),
    }
}

fn disabled(ctx: &Ctx<'_>, state: Option<&Node>) -> bool {
    state.and_then(|s| ctx.resolver.value(s).text()).is_some_and(|s| s.eq_ignore_ascii_case("DISABLED"))
}

impl EventbridgeTargetWithoutDlq {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for rule in ctx.resources(&["AWS::Events::Rule"]) {
            if disabled(ctx, ctx.node(rule, &["State"])) {
                continue;
            }
            let mut missing: Vec<(usize, &Node, String)> = Vec::new();
            for (i, target) in ctx.node(rule, &["Targets"]).and_then(Node::as_seq).unwrap_or(&[]).iter().enumerate() {
                let Some(target) = ctx.resolver.select(target) else { continue };
                if target.get("DeadLetterConfig").is_some() || target.as_map().is_none() {
                    continue;
                }
                let id = target.get("Id").and_then(|n| ctx.resolver.value(n).text()).unwrap_or_else(|| format!("#{}", i + 1));
                let name = match target.get("Arn").and_then(|n| first_target(ctx, n)) {
                    Some(r) if r.id != id => format!("{id} ({})", r.id),
                    _ => id,
                };
                missing.push((i, target, name));
            }
            let Some((first_index, first, _)) = missing.first() else { continue };
            let names: Vec<String> = missing.iter().map(|(_, _, n)| n.clone()).collect();
            let which = if missing.len() == 1 { format!("its target {}", names[0]) } else { format!("{} targets ({})", missing.len(), fmt_list(&names)) };
            let mut d = ctx.diag(rule, &["Targets"], format!(
                "{} sends events to {which} without a DeadLetterConfig: events EventBridge fails to deliver are dropped once retries run out, or at once for errors such as a missing permission",
                rule.id
            ));
            d.pos = first.span.start;
            d.path.push(first_index.to_string());
            for (i, target, name) in &missing {
                d.evidence.push(format!("Targets[{i}] {name}: DeadLetterConfig not set; {}", retry_evidence(ctx, target)));
            }
            d.fix = Some(Fix::new("Give each target a dead-letter queue (and bound its retries)", CFN_FIX));
            out.push(d);
        }
        for s in ctx.resources(&["AWS::Scheduler::Schedule"]) {
            if disabled(ctx, ctx.node(s, &["State"])) {
                continue;
            }
            let Some(target) = ctx.node(s, &["Target"]) else { continue };
            if target.get("DeadLetterConfig").is_some() {
                continue;
            }
            let mut d = ctx.diag(s, &["Target", "DeadLetterConfig"], format!(
                "The target of schedule {} has no DeadLetterConfig: invocations the scheduler cannot deliver are dropped once retries run out",
                s.id
            ));
            d.evidence.push("Target.DeadLetterConfig not set".into());
            d.evidence.push(retry_evidence(ctx, target));
            d.fix = Some(Fix::new("Give the schedule's target a dead-letter queue (and bound its retries)", CFN_FIX));
            out.push(d);
        }
        for f in ctx.resources(&["AWS::Serverless::Function", "AWS::Serverless::StateMachine"]) {
            let Some(events) = ctx.node(f, &["Events"]).and_then(Node::as_map) else { continue };
            for (key, event) in events {
                let kind = event.get("Type").and_then(Node::as_str).unwrap_or("");
                if !matches!(kind, "EventBridgeRule" | "Schedule" | "ScheduleV2") {
                    continue;
                }
                let props = event.get("Properties");
                let prop = |k: &str| props.and_then(|p| p.get(k));
                if prop("DeadLetterConfig").is_some() || disabled(ctx, prop("State")) {
                    continue;
                }
                if prop("Enabled").is_some_and(|n| ctx.resolver.value(n).as_bool() == Some(false)) {
                    continue;
                }
                let mut d = ctx.diag(f, &["Events", key.name.as_str(), "Properties", "DeadLetterConfig"], format!(
                    "{}.Events.{} ({kind}) has no DeadLetterConfig: events that cannot be delivered to {} are dropped once retries run out, or at once for errors such as a missing permission",
                    f.id, key.name, f.id
                ));
                d.evidence.push(format!("Events.{}: Type {kind}, DeadLetterConfig not set", key.name));
                if let Some(p) = props {
                    d.evidence.push(retry_evidence(ctx, p));
                }
                d.fix = Some(Fix::new("Give the event a dead-letter queue (and bound its retries)", SAM_FIX));
                out.push(d);
            }
        }
    }
}
