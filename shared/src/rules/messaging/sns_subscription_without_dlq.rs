use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::yaml::Node;

use super::common::first_target;

declare_rule! {
    /// ## What it does
    /// Flags SNS subscriptions that deliver to a Lambda function or an SQS queue without a
    /// `RedrivePolicy` (a dead-letter queue): `AWS::SNS::Subscription` resources, SAM `SNS`
    /// events, and subscriptions written inline in `AWS::SNS::Topic`, which cannot have one.
    ///
    /// ## Why is this bad?
    /// SNS retries server-side delivery failures to Lambda and SQS for a long time, but
    /// client-side failures (the function or queue was deleted, SNS lost permission to invoke
    /// or send, the KMS key denies it) are not retried: without a dead-letter queue the message
    /// is discarded at once, and nothing shows which notifications never arrived. A subscription
    /// DLQ keeps them, with the error, for inspection and replay.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Orders:
    ///     Type: AWS::SNS::Topic
    ///   Billing:
    ///     Type: AWS::SQS::Queue
    ///   BillingSubscription:
    ///     Type: AWS::SNS::Subscription
    ///     Properties:
    ///       TopicArn: !Ref Orders
    ///       Protocol: sqs
    ///       Endpoint: !GetAtt Billing.Arn
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Orders:
    ///     Type: AWS::SNS::Topic
    ///   Billing:
    ///     Type: AWS::SQS::Queue
    ///   BillingDeliveryDLQ:
    ///     Type: AWS::SQS::Queue
    ///   BillingSubscription:
    ///     Type: AWS::SNS::Subscription
    ///     Properties:
    ///       TopicArn: !Ref Orders
    ///       Protocol: sqs
    ///       Endpoint: !GetAtt Billing.Arn
    ///       RedrivePolicy:
    ///         deadLetterTargetArn: !GetAtt BillingDeliveryDLQ.Arn
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
    /// - https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html
    pub SnsSubscriptionWithoutDlq {
        code: "SNS-001",
        name: "sns-subscription-without-dlq",
        severity: Low,
        pillar: Reliability,
        symptoms: ["async-events-lost"],
        remedies: ["lambda-async-dlq"],
    }
}

const FIX_YAML: &str = "RedrivePolicy:\n  deadLetterTargetArn: !GetAtt SubscriptionDLQ.Arn";

fn target_name(ctx: &Ctx<'_>, node: Option<&Node>, otherwise: &str) -> String {
    node.and_then(|n| first_target(ctx, n)).map_or_else(|| otherwise.to_string(), |r| r.id.clone())
}

impl SnsSubscriptionWithoutDlq {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for s in ctx.resources(&["AWS::SNS::Subscription"]) {
            let Some(protocol) = ctx.str(s, &["Protocol"]).known().map(|p| p.to_ascii_lowercase()) else { continue };
            if !matches!(protocol.as_str(), "lambda" | "sqs") || !ctx.value(s, &["RedrivePolicy"]).is_absent() {
                continue;
            }
            let topic = target_name(ctx, ctx.node(s, &["TopicArn"]), "its topic");
            let endpoint = target_name(ctx, ctx.node(s, &["Endpoint"]), "its endpoint");
            let mut d = ctx.diag(s, &["RedrivePolicy"], format!(
                "{} delivers {topic} to {endpoint} ({protocol}) without a RedrivePolicy: messages SNS cannot deliver because of a client-side error (deleted endpoint, missing permission, KMS denial) are discarded without a trace",
                s.id
            ));
            d.evidence.push(format!("Protocol = {protocol}"));
            d.evidence.push("RedrivePolicy not set".into());
            d.fix = Some(Fix::new("Give the subscription a dead-letter queue (standard SQS queue in the same account and Region)", FIX_YAML));
            out.push(d);
        }
        for f in ctx.resources(&["AWS::Serverless::Function"]) {
            let Some(events) = ctx.node(f, &["Events"]).and_then(Node::as_map) else { continue };
            for (key, event) in events {
                if event.get("Type").and_then(Node::as_str) != Some("SNS") {
                    continue;
                }
                let path = ["Events", key.name.as_str(), "Properties", "RedrivePolicy"];
                if !ctx.value(f, &path).is_absent() {
                    continue;
                }
                let topic = target_name(ctx, event.get("Properties").and_then(|p| p.get("Topic")), "its topic");
                let via_queue = ctx.bool(f, &["Events", key.name.as_str(), "Properties", "SqsSubscription"]).known() == Some(&true);
                let mut d = ctx.diag(f, &path, format!(
                    "{}.Events.{} subscribes {} to {topic}{} without a RedrivePolicy: messages SNS cannot deliver because of a client-side error (missing permission, deleted endpoint, KMS denial) are discarded without a trace",
                    f.id,
                    key.name,
                    f.id,
                    if via_queue { " through an SQS queue" } else { "" }
                ));
                d.evidence.push(format!("Events.{}: Type SNS, RedrivePolicy not set", key.name));
                d.fix = Some(Fix::new("Give the subscription a dead-letter queue (standard SQS queue in the same account and Region)", FIX_YAML));
                out.push(d);
            }
        }
        for t in ctx.resources(&["AWS::SNS::Topic"]) {
            let Some(subs) = ctx.node(t, &["Subscription"]).and_then(Node::as_seq) else { continue };
            for (i, sub) in subs.iter().enumerate() {
                let Some(protocol) = sub.get("Protocol").and_then(|p| ctx.resolver.value(p).text()).map(|p| p.to_ascii_lowercase()) else { continue };
                if !matches!(protocol.as_str(), "lambda" | "sqs") {
                    continue;
                }
                let endpoint = target_name(ctx, sub.get("Endpoint"), "an endpoint");
                let mut d = ctx.diag(t, &["Subscription"], format!(
                    "{} subscribes {endpoint} ({protocol}) inline, where no RedrivePolicy can be set: messages SNS cannot deliver because of a client-side error are discarded without a trace",
                    t.id
                ));
                d.pos = sub.span.start;
                d.path.push(i.to_string());
                d.evidence.push(format!("Subscription[{i}]: Protocol = {protocol}, inline (no RedrivePolicy possible)"));
                d.fix = Some(Fix::new(
                    "Move the subscription to an AWS::SNS::Subscription resource with a dead-letter queue",
                    format!("{}Subscription:\n  Type: AWS::SNS::Subscription\n  Properties:\n    TopicArn: !Ref {}\n    Protocol: {protocol}\n    Endpoint: <endpoint>\n    RedrivePolicy:\n      deadLetterTargetArn: !GetAtt SubscriptionDLQ.Arn", endpoint, t.id),
                ));
                out.push(d);
            }
        }
    }
}
