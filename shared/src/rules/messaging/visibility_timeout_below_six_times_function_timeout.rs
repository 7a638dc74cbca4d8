use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common::{SourceKind, event_sources};

declare_rule! {
    /// ## What it does
    /// Flags SQS queues that trigger a Lambda function whose `VisibilityTimeout` (default 30 s)
    /// is shorter than six times the function's timeout (default 3 s).
    ///
    /// ## Why is this bad?
    /// Lambda hides a batch for the visibility timeout while the function works on it. AWS
    /// recommends at least six times the function timeout, so that a batch that waited for a
    /// throttled invocation, or was retried, is not made visible again while it is still being
    /// processed: otherwise the same messages are handed to a second invocation and processed
    /// twice, and count extra receives towards the redrive policy. A visibility timeout below the
    /// function timeout itself is rejected when the event source mapping is created.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Jobs:
    ///     Type: AWS::SQS::Queue
    ///     Properties:
    ///       VisibilityTimeout: 60
    ///   Worker:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Timeout: 30
    ///       Events:
    ///         Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Jobs:
    ///     Type: AWS::SQS::Queue
    ///     Properties:
    ///       VisibilityTimeout: 180
    ///   Worker:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Timeout: 30
    ///       Events:
    ///         Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
    pub VisibilityTimeoutBelowSixTimesFunctionTimeout {
        code: "SQS-002",
        name: "visibility-timeout-below-six-times-function-timeout",
        severity: Medium,
        pillar: Reliability,
        symptoms: ["lambda-near-timeout", "queue-backlog"],
        remedies: ["lambda-timeout-budget"],
    }
}

/// SQS's default visibility timeout, in seconds.
const DEFAULT_VISIBILITY_S: f64 = 30.0;

impl VisibilityTimeoutBelowSixTimesFunctionTimeout {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen: Vec<(String, String)> = Vec::new();
        for s in event_sources(ctx) {
            let (SourceKind::Sqs, Some(q), Some(f)) = (s.kind, s.source, s.function) else { continue };
            if seen.contains(&(q.id.clone(), f.id.clone())) {
                continue;
            }
            seen.push((q.id.clone(), f.id.clone()));
            let func = ctx.function(f);
            let visibility = ctx.num(q, &["VisibilityTimeout"]);
            let (Some(vt), Some(timeout)) = (visibility.or_default(DEFAULT_VISIBILITY_S), func.timeout_s()) else { continue };
            let wanted = 6.0 * timeout;
            if vt >= wanted {
                continue;
            }
            let vt_text = format!("{} s{}", fmt_num(vt), if visibility.is_absent() { " (the default)" } else { "" });
            let t_text = format!("{} s{}", fmt_num(timeout), if func.timeout.is_absent() { ", the default" } else { "" });
            let consequence = if vt < timeout {
                "; it is even shorter than the timeout, which Lambda rejects when it creates the event source mapping"
            } else {
                ": a batch still being processed or retried becomes visible again and is processed twice"
            };
            let mut d = ctx.diag(q, &["VisibilityTimeout"], format!(
                "{} triggers {} (Timeout {t_text}) but its VisibilityTimeout is {vt_text}; AWS recommends at least 6 x the function timeout ({} s){consequence}",
                q.id,
                f.id,
                fmt_num(wanted)
            ));
            d.evidence.push(format!("{}.VisibilityTimeout = {vt_text}", q.id));
            d.evidence.push(format!("{}.Timeout = {t_text}", f.id));
            d.evidence.push(format!("event source: {}", s.label));
            d.fix = Some(Fix::new(
                "Raise the queue's visibility timeout to at least six times the function timeout",
                format!("VisibilityTimeout: {}", fmt_num(wanted.min(43_200.0))),
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    fn messages(text: &str) -> Vec<String> {
        crate::analysis::analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "SQS-002").map(|f| f.message).collect()
    }

    #[test]
    fn defaults_are_fine_and_mappings_through_aliases_count() {
        let base = "
Resources:
  Q: {Type: AWS::SQS::Queue}
  F: {Type: AWS::Lambda::Function, Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}TIMEOUT}}
  Live: {Type: AWS::Lambda::Alias, Properties: {FunctionName: !Ref F, FunctionVersion: '1', Name: live}}
  M: {Type: AWS::Lambda::EventSourceMapping, Properties: {EventSourceArn: !GetAtt Q.Arn, FunctionName: !Ref Live}}
";
        assert!(messages(&base.replace("TIMEOUT", "")).is_empty(), "3 s x 6 = 18 s < 30 s");
        let found = messages(&base.replace("TIMEOUT", ", Timeout: 45"));
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("VisibilityTimeout is 30 s (the default)") && found[0].contains("(270 s)") && found[0].contains("even shorter"), "{found:?}");
    }
}
