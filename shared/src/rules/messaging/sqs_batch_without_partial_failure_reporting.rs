use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

use super::common::{SourceKind, event_sources};

declare_rule! {
    /// ## What it does
    /// Flags SQS event sources (SAM `SQS` events and event source mappings from a queue) that
    /// deliver batches of more than one message (`BatchSize` defaults to 10) without
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    ///
    /// ## Why is this bad?
    /// Without partial batch responses a batch succeeds or fails as a whole: when one message
    /// throws, every message of the batch returns to the queue after the visibility timeout and
    /// the ones that had already succeeded are processed again (duplicate side effects, wasted
    /// invocations), and healthy messages drift towards the dead-letter queue with the bad one.
    /// With `ReportBatchItemFailures` the function returns the ids of the failed messages and
    /// only those are retried; Powertools' batch utility implements the response for you.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Jobs:
    ///     Type: AWS::SQS::Queue
    ///   Worker:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         Jobs:
    ///           Type: SQS
    ///           Properties:
    ///             Queue: !GetAtt Jobs.Arn
    ///             BatchSize: 10
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Jobs:
    ///     Type: AWS::SQS::Queue
    ///   Worker:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         Jobs:
    ///           Type: SQS
    ///           Properties:
    ///             Queue: !GetAtt Jobs.Arn
    ///             BatchSize: 10
    ///             FunctionResponseTypes: [ReportBatchItemFailures]
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
    /// - https://docs.powertools.aws.dev/lambda/python/latest/utilities/batch/
    pub SqsBatchWithoutPartialFailureReporting {
        code: "SQS-003",
        name: "sqs-batch-without-partial-failure-reporting",
        severity: Low,
        pillar: Reliability,
        symptoms: ["lambda-errors", "queue-backlog"],
        remedies: ["lambda-powertools"],
    }
}

impl SqsBatchWithoutPartialFailureReporting {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for s in event_sources(ctx) {
            if s.kind != SourceKind::Sqs {
                continue;
            }
            let batch_prop = ctx.num(s.owner, &s.path(&["BatchSize"]));
            let Some(batch) = batch_prop.or_default(10.0) else { continue };
            if batch <= 1.0 {
                continue;
            }
            match ctx.list(s.owner, &s.path(&["FunctionResponseTypes"])) {
                Prop::Absent => {}
                Prop::Known(items, _) if items.iter().all(|i| i.as_str().is_some()) && !items.iter().any(|i| i.as_str() == Some("ReportBatchItemFailures")) => {}
                _ => continue,
            }
            let queue = s.source.map_or_else(|| "its queue".to_string(), |q| q.id.clone());
            let function = s.function.map_or_else(|| "its function".to_string(), |f| f.id.clone());
            let batch_text = format!("{}{}", fmt_num(batch), if batch_prop.is_absent() { " (the default)" } else { "" });
            let mut d = ctx.diag(s.owner, &s.path(&["FunctionResponseTypes"]), format!(
                "{} hands batches of up to {batch_text} messages from {queue} to {function} without FunctionResponseTypes [ReportBatchItemFailures]: one failing message sends the whole batch back to the queue, and the messages that succeeded are processed again",
                s.label
            ));
            d.evidence.push(format!("BatchSize = {batch_text}"));
            d.evidence.push("FunctionResponseTypes does not include ReportBatchItemFailures".into());
            d.fix = Some(Fix::new(
                "Report partial batch failures (e.g. with Powertools' batch utility) so only failed messages are retried",
                "FunctionResponseTypes:\n  - ReportBatchItemFailures",
            ));
            out.push(d);
        }
    }
}
