use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common::{SourceKind, event_sources, fmt_duration};

declare_rule! {
    /// ## What it does
    /// Flags Kinesis and DynamoDB stream event sources (SAM `Kinesis`/`DynamoDB` events and event
    /// source mappings from a stream) that retry a failing batch forever: neither
    /// `MaximumRetryAttempts` nor `MaximumRecordAgeInSeconds` is set (both default to -1).
    ///
    /// ## Why is this bad?
    /// Lambda reads each shard in order and does not move past a batch until it succeeds. With
    /// the defaults, one record that always fails (a poison record) is retried until it expires
    /// from the stream, 24 hours by default: the whole shard stops for that long, the iterator
    /// age climbs, and the records behind it may expire unprocessed too. Bounding the retries,
    /// splitting failing batches (`BisectBatchOnFunctionError`) and sending what still fails to
    /// an `OnFailure` destination keeps the shard moving and keeps a record of what was skipped.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Clicks:
    ///     Type: AWS::Kinesis::Stream
    ///     Properties:
    ///       StreamModeDetails: {StreamMode: ON_DEMAND}
    ///   Aggregate:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         Clicks:
    ///           Type: Kinesis
    ///           Properties: {Stream: !GetAtt Clicks.Arn, StartingPosition: LATEST}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Clicks:
    ///     Type: AWS::Kinesis::Stream
    ///     Properties:
    ///       StreamModeDetails: {StreamMode: ON_DEMAND}
    ///   ClickFailures:
    ///     Type: AWS::SQS::Queue
    ///   Aggregate:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         Clicks:
    ///           Type: Kinesis
    ///           Properties:
    ///             Stream: !GetAtt Clicks.Arn
    ///             StartingPosition: LATEST
    ///             MaximumRetryAttempts: 3
    ///             BisectBatchOnFunctionError: true
    ///             DestinationConfig:
    ///               OnFailure: {Type: SQS, Destination: !GetAtt ClickFailures.Arn}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
    /// - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-eventsourcemapping.html
    pub StreamMappingWithoutFailureHandling {
        code: "STREAM-001",
        name: "stream-mapping-without-failure-handling",
        severity: High,
        pillar: Reliability,
        symptoms: ["stream-consumer-lag", "lambda-errors"],
        remedies: ["lambda-async-dlq", "retry-exponential-backoff"],
    }
}

impl StreamMappingWithoutFailureHandling {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for s in event_sources(ctx) {
            if !matches!(s.kind, SourceKind::Kinesis | SourceKind::DynamoDb) {
                continue;
            }
            if ctx.bool(s.owner, &s.path(&["Enabled"])).known() == Some(&false) {
                continue;
            }
            let retries = ctx.num(s.owner, &s.path(&["MaximumRetryAttempts"]));
            let max_age = ctx.num(s.owner, &s.path(&["MaximumRecordAgeInSeconds"]));
            let (Some(r), Some(a)) = (retries.or_default(-1.0), max_age.or_default(-1.0)) else { continue };
            if r != -1.0 || a != -1.0 {
                continue;
            }
            let on_failure = ctx.value(s.owner, &s.path(&["DestinationConfig", "OnFailure"]));
            let bisect = ctx.bool(s.owner, &s.path(&["BisectBatchOnFunctionError"]));
            let retention = match (s.kind, s.source) {
                (SourceKind::Kinesis, Some(stream)) if stream.type_name == "AWS::Kinesis::Stream" => {
                    ctx.num(stream, &["RetentionPeriodHours"]).or_default(24.0).map(|h| fmt_duration(h * 3600.0))
                }
                (SourceKind::DynamoDb, _) => Some("24 h".to_string()),
                _ => None,
            };
            let retention_text = retention.map_or_else(|| "its retention period (24 h by default)".to_string(), |r| format!("the stream's retention period ({r})"));
            let stream = s.source.map_or_else(|| "its stream".to_string(), |x| x.id.clone());
            let lost = if on_failure.is_absent() { ", then lost with no OnFailure destination to record it" } else { "" };
            let mut d = ctx.diag(s.owner, &s.path(&["MaximumRetryAttempts"]), format!(
                "{} retries a failing batch from {stream} until its records expire: MaximumRetryAttempts and MaximumRecordAgeInSeconds are not set (default -1, unlimited), so one record that always fails blocks its shard for up to {retention_text}{lost}",
                s.label
            ));
            d.evidence.push("MaximumRetryAttempts not set (default -1: retry until the record expires)".into());
            d.evidence.push("MaximumRecordAgeInSeconds not set (default -1)".into());
            d.evidence.push(match bisect.known() {
                Some(b) => format!("BisectBatchOnFunctionError = {b}"),
                None => "BisectBatchOnFunctionError not set (default false)".into(),
            });
            if on_failure.is_absent() {
                d.evidence.push("DestinationConfig.OnFailure not set".into());
            }
            if let Some(t) = s.function.and_then(|f| ctx.function(f).timeout_s()) {
                d.evidence.push(format!("function timeout {} s per attempt", fmt_num(t)));
            }
            d.fix = Some(Fix::new(
                "Bound the retries, split failing batches and send what still fails to an on-failure destination",
                "MaximumRetryAttempts: 3\nBisectBatchOnFunctionError: true\nDestinationConfig:\n  OnFailure:\n    Destination: !GetAtt StreamFailuresQueue.Arn",
            ));
            out.push(d);
        }
    }
}
