use std::collections::{BTreeMap, BTreeSet};

use crate::architecture::EdgeKind;
use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::template::resolve::Resolved;
use crate::yaml::{Node, Scalar, Value};

use super::common;

declare_rule! {
    /// ## What it does
    /// Flags functions invoked asynchronously (by S3, SNS, EventBridge rules and schedules,
    /// EventBridge Scheduler, CloudWatch Logs subscriptions or IoT rules) that have neither a
    /// dead-letter queue (`DeadLetterQueue` in SAM, `DeadLetterConfig` in CloudFormation) nor
    /// an on-failure destination (`EventInvokeConfig.DestinationConfig.OnFailure`, or an
    /// `AWS::Lambda::EventInvokeConfig` resource).
    ///
    /// ## Why is this bad?
    /// An asynchronous caller gets its `202` as soon as Lambda queues the event. If the
    /// function then fails, Lambda retries twice (by default) and afterwards, or when the
    /// event is older than the maximum event age (6 hours by default), discards it. Without a
    /// dead-letter queue or an on-failure destination the event is gone, and only the `Errors`
    /// metric shows that something was lost. A destination keeps the event and the error for
    /// inspection and replay, and an alarm on its depth tells you it happened.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Uploads:
    ///     Type: AWS::S3::Bucket
    ///   Thumbnail:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       Events:
    ///         Upload:
    ///           Type: S3
    ///           Properties: {Bucket: !Ref Uploads, Events: s3:ObjectCreated:*}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Uploads:
    ///     Type: AWS::S3::Bucket
    ///   ThumbnailFailures:
    ///     Type: AWS::SQS::Queue
    ///   Thumbnail:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       EventInvokeConfig:
    ///         MaximumRetryAttempts: 2
    ///         DestinationConfig:
    ///           OnFailure:
    ///             Type: SQS
    ///             Destination: !GetAtt ThumbnailFailures.Arn
    ///       Events:
    ///         Upload:
    ///           Type: S3
    ///           Properties: {Bucket: !Ref Uploads, Events: s3:ObjectCreated:*}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
    pub AsyncWithoutFailureDestination {
        code: "LAMBDA-007",
        name: "async-invocation-without-failure-destination",
        severity: Medium,
        pillar: Reliability,
        symptoms: ["async-events-lost", "lambda-errors"],
        remedies: ["lambda-async-dlq", "cloudwatch-alarms"],
    }
}

/// Service principals that invoke Lambda asynchronously (`logs.<region>.amazonaws.com` too).
const ASYNC_PRINCIPALS: &[&str] = &["s3", "sns", "events", "logs", "iot", "scheduler"];

impl AsyncWithoutFailureDestination {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let permissions = async_permissions(ctx);
        let configured = event_invoke_configs(ctx);
        for r in ctx.functions() {
            // (description, invoking service)
            let mut sources: Vec<(String, &str)> = Vec::new();
            // Services already accounted for, keep-warm pings included.
            let mut seen: Vec<&str> = Vec::new();
            if r.is_sam_function() {
                for (key, event) in ctx.node(r, &["Events"]).and_then(Node::as_map).unwrap_or(&[]) {
                    let Some(kind) = event.get("Type").and_then(Node::as_str) else { continue };
                    let Some(service) = event_service(kind) else { continue };
                    let props = event.get("Properties");
                    // SNS with SqsSubscription: the function polls a queue instead.
                    if kind == "SNS" && props.and_then(|p| p.get("SqsSubscription")).is_some_and(|s| ctx.resolver.value(s) != Resolved::Bool(false)) {
                        continue;
                    }
                    seen.push(service);
                    if props.and_then(|p| p.get("Input")).is_some_and(|i| is_warmer(ctx, i)) {
                        continue;
                    }
                    add(&mut sources, format!("Events.{} ({kind})", key.name), service);
                }
            }
            for e in ctx.arch.edges_to(&r.id) {
                let t = ctx.type_of(&e.from);
                let Some(service) = type_service(t) else { continue };
                if e.via.starts_with("Events.") {
                    continue;
                }
                if t == "AWS::SNS::Topic" && !matches!(e.kind, EdgeKind::Publishes | EdgeKind::Triggers) {
                    continue;
                }
                seen.push(service);
                if t == "AWS::Events::Rule" && warmer_target(ctx, &e.from, &r.id) {
                    continue;
                }
                add(&mut sources, format!("{} ({t})", e.from), service);
            }
            for (id, principal, service) in permissions.get(r.id.as_str()).into_iter().flatten() {
                // The grant behind a source already named (S3 notification, rule target, ...).
                if seen.contains(service) || sources.iter().any(|(_, s)| s == service) {
                    continue;
                }
                add(&mut sources, format!("{id} ({principal})"), service);
            }
            if sources.is_empty() {
                continue;
            }
            // Any failure handling, also when only known at deploy time, counts.
            let handled = if r.is_sam_function() {
                !ctx.value(r, &["DeadLetterQueue"]).is_absent() || !ctx.value(r, &["EventInvokeConfig", "DestinationConfig", "OnFailure"]).is_absent()
            } else {
                !ctx.value(r, &["DeadLetterConfig", "TargetArn"]).is_absent()
            };
            if handled || configured.contains(r.id.as_str()) {
                continue;
            }
            let sam = r.is_sam_function();
            let missing = if sam { "no DeadLetterQueue and no EventInvokeConfig OnFailure destination" } else { "no DeadLetterConfig and no AWS::Lambda::EventInvokeConfig with an OnFailure destination" };
            let path: &[&str] = if sam { &["EventInvokeConfig", "DestinationConfig", "OnFailure"] } else { &["DeadLetterConfig"] };
            let mut d = ctx.diag(r, path, format!(
                "{} is invoked asynchronously by {} but has {missing}: when it fails, Lambda retries the event twice and then drops it",
                r.id,
                named(&sources)
            ));
            for (s, _) in &sources {
                d.evidence.push(format!("asynchronous source: {s}"));
            }
            d.evidence.push(if sam { "DeadLetterQueue and EventInvokeConfig.DestinationConfig.OnFailure not set".into() } else { "DeadLetterConfig.TargetArn not set; no EventInvokeConfig resource with OnFailure".into() });
            d.fix = Some(if sam {
                Fix::new(
                    format!("Send failed events to a queue ({}Failures, an AWS::SQS::Queue) and alarm on its ApproximateNumberOfMessagesVisible > 0", r.id),
                    format!("EventInvokeConfig:\n  MaximumRetryAttempts: 2\n  DestinationConfig:\n    OnFailure:\n      Type: SQS\n      Destination: !GetAtt {}Failures.Arn", r.id),
                )
            } else {
                Fix::new(
                    format!("Send failed events to a dead-letter queue ({}DeadLetterQueue, an AWS::SQS::Queue; the role needs sqs:SendMessage) and alarm on its depth", r.id),
                    format!("DeadLetterConfig:\n  TargetArn: !GetAtt {}DeadLetterQueue.Arn", r.id),
                )
            });
            out.push(d);
        }
    }
}

/// The first three sources, then a count.
fn named(sources: &[(String, &str)]) -> String {
    let shown: Vec<&str> = sources.iter().take(3).map(|(d, _)| d.as_str()).collect();
    match sources.len() {
        n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
    }
}

fn add<'s>(sources: &mut Vec<(String, &'s str)>, description: String, service: &'s str) {
    if !sources.iter().any(|(d, _)| *d == description) {
        sources.push((description, service));
    }
}

fn event_service(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "S3" => "s3",
        "SNS" => "sns",
        "EventBridgeRule" | "CloudWatchEvent" | "Schedule" => "events",
        "ScheduleV2" => "scheduler",
        "CloudWatchLogs" => "logs",
        "IoTRule" => "iot",
        _ => return None,
    })
}

fn type_service(t: &str) -> Option<&'static str> {
    Some(match t {
        "AWS::S3::Bucket" => "s3",
        "AWS::SNS::Topic" => "sns",
        "AWS::Events::Rule" => "events",
        "AWS::Scheduler::Schedule" => "scheduler",
        "AWS::Logs::SubscriptionFilter" => "logs",
        "AWS::IoT::TopicRule" => "iot",
        _ => return None,
    })
}

/// A keep-warm ping (`Input: '{"source": "warmer"}'`): losing one does not matter.
fn is_warmer(ctx: &Ctx<'_>, input: &Node) -> bool {
    let mut texts = Vec::new();
    common::strings_of(ctx, input, &mut texts);
    texts.iter().any(|t| t.to_ascii_lowercase().contains("warm"))
}

/// Whether every target of the rule that designates the function is a keep-warm ping.
fn warmer_target(ctx: &Ctx<'_>, rule: &str, function: &str) -> bool {
    let Some(targets) = ctx.template.resource(rule).and_then(|r| r.prop("Targets")).and_then(Node::as_seq) else { return false };
    let mine: Vec<&Node> = targets
        .iter()
        .filter(|t| t.get("Arn").is_some_and(|a| common::functions_named(ctx, a).contains(&function)))
        .collect();
    !mine.is_empty() && mine.iter().all(|t| t.get("Input").is_some_and(|i| is_warmer(ctx, i)))
}

/// Functions that `AWS::Lambda::Permission`s open to asynchronous service principals, with the
/// permission's id and principal.
fn async_permissions<'a>(ctx: &Ctx<'a>) -> BTreeMap<&'a str, Vec<(&'a str, String, &'static str)>> {
    let mut out: BTreeMap<&'a str, Vec<(&'a str, String, &'static str)>> = BTreeMap::new();
    for p in ctx.resources(&["AWS::Lambda::Permission"]) {
        let Some(principal) = p.prop("Principal").and_then(|n| principal_text(ctx, n)) else { continue };
        let name = principal.split('.').next().unwrap_or("");
        let Some(service) = ASYNC_PRINCIPALS.iter().copied().find(|s| *s == name) else { continue };
        if !principal.ends_with(".amazonaws.com") {
            continue;
        }
        let Some(name) = p.prop("FunctionName") else { continue };
        for f in common::functions_named(ctx, name) {
            out.entry(f).or_default().push((p.id.as_str(), principal.clone(), service));
        }
    }
    out
}

/// A principal's text, also from `!Sub logs.${AWS::Region}.amazonaws.com`.
fn principal_text(ctx: &Ctx<'_>, node: &Node) -> Option<String> {
    if let Some(s) = ctx.resolver.value(node).text() {
        return Some(s);
    }
    match node.single_key() {
        Some(("Fn::Sub", args)) => match &args.value {
            Value::Scalar(Scalar::Str(s)) => Some(s.clone()),
            Value::Seq(items) => items.first().and_then(Node::as_str).map(String::from),
            _ => None,
        },
        _ => None,
    }
}

/// Functions with an `AWS::Lambda::EventInvokeConfig` that names an on-failure destination.
fn event_invoke_configs<'a>(ctx: &Ctx<'a>) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    for c in ctx.resources(&["AWS::Lambda::EventInvokeConfig"]) {
        if ctx.value(c, &["DestinationConfig", "OnFailure"]).is_absent() {
            continue;
        }
        if let Some(name) = c.prop("FunctionName") {
            out.extend(common::functions_named(ctx, name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<(Option<String>, String)> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "LAMBDA-007").map(|f| (f.resource, f.message)).collect()
    }

    #[test]
    fn cloudformation_wiring_and_event_invoke_config_resources() {
        let f = found("
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      Subscription: [{Protocol: lambda, Endpoint: !GetAtt OnTopic.Arn}]
  OnTopic:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}
  Nightly:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}
  Allow:
    Type: AWS::Lambda::Permission
    Properties: {Action: lambda:InvokeFunction, FunctionName: !Ref Nightly, Principal: events.amazonaws.com}
  Covered:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}
  AllowCovered:
    Type: AWS::Lambda::Permission
    Properties: {Action: lambda:InvokeFunction, FunctionName: !GetAtt Covered.Arn, Principal: s3.amazonaws.com}
  CoveredConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Covered
      Qualifier: $LATEST
      DestinationConfig: {OnFailure: {Destination: arn:aws:sqs:eu-west-1:1:dlq}}
  Api:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}
  AllowApi:
    Type: AWS::Lambda::Permission
    Properties: {Action: lambda:InvokeFunction, FunctionName: !Ref Api, Principal: apigateway.amazonaws.com}
");
        let ids: Vec<&str> = f.iter().filter_map(|(r, _)| r.as_deref()).collect();
        assert_eq!(ids, ["OnTopic", "Nightly"], "{f:?}");
    }

    #[test]
    fn sns_with_sqs_subscription_and_dlq_are_not_reported() {
        let f = found("
Transform: AWS::Serverless-2016-10-31
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Dlq: {Type: AWS::SQS::Queue}
  ViaQueue:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: a/
      Events:
        T: {Type: SNS, Properties: {Topic: !Ref Topic, SqsSubscription: true}}
  WithDlq:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: a/
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dlq.Arn}
      Events:
        T: {Type: SNS, Properties: {Topic: !Ref Topic}}
        Tick: {Type: Schedule, Properties: {Schedule: rate(5 minutes)}}
");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn keep_warm_pings_are_not_reported() {
        let f = found("
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}
  Warmer:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(5 minutes)
      Targets: [{Arn: !GetAtt Fn.Arn, Id: warm, Input: '{\"source\": \"warmer\"}'}]
  Allow:
    Type: AWS::Lambda::Permission
    Properties: {Action: lambda:InvokeFunction, FunctionName: !Ref Fn, Principal: events.amazonaws.com, SourceArn: !GetAtt Warmer.Arn}
");
        assert!(f.is_empty(), "{f:?}");
    }
}
