use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

use super::common::{SourceKind, event_sources, first_target, fmt_list, permission_holders};

declare_rule! {
    /// ## What it does
    /// Flags provisioned Kinesis data streams with `ShardCount: 1` that something in the
    /// template reads: a Lambda event source, an enhanced fan-out consumer, a Firehose delivery
    /// stream, an EventBridge pipe, or a role or function allowed to `kinesis:GetRecords`.
    ///
    /// ## Why is this bad?
    /// A shard takes at most 1 MB/s or 1,000 records/s of writes and serves 2 MB/s and five
    /// `GetRecords` calls per second, shared by every standard consumer. With one shard, any
    /// burst above that is throttled at the producers (`WriteProvisionedThroughputExceeded`),
    /// each extra consumer slows the others, and a Lambda consumer gets one batch in flight at a
    /// time (ten with `ParallelizationFactor`), so the iterator age grows as soon as traffic does.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Clicks:
    ///     Type: AWS::Kinesis::Stream
    ///     Properties:
    ///       ShardCount: 1
    ///   Aggregate:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         Clicks:
    ///           Type: Kinesis
    ///           Properties: {Stream: !GetAtt Clicks.Arn, StartingPosition: LATEST, MaximumRetryAttempts: 3}
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
    ///   Aggregate:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         Clicks:
    ///           Type: Kinesis
    ///           Properties: {Stream: !GetAtt Clicks.Arn, StartingPosition: LATEST, MaximumRetryAttempts: 3}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
    /// - https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
    pub SingleShardStreamWithConsumers {
        code: "KIN-001",
        name: "single-shard-stream-with-consumers",
        severity: Low,
        pillar: Performance,
        symptoms: ["kinesis-write-throttling", "stream-consumer-lag"],
        remedies: ["kinesis-reshard", "kinesis-producer-tuning"],
    }
}

impl SingleShardStreamWithConsumers {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let streams: Vec<_> = ctx.resources(&["AWS::Kinesis::Stream"]).collect();
        if streams.is_empty() {
            return;
        }
        let sources = event_sources(ctx);
        let readers = permission_holders(ctx, "kinesis:getrecords");
        for s in streams {
            match ctx.str(s, &["StreamModeDetails", "StreamMode"]) {
                Prop::Absent => {}
                Prop::Known(m, _) if m == "PROVISIONED" => {}
                _ => continue,
            }
            if ctx.num(s, &["ShardCount"]).known() != Some(&1.0) {
                continue;
            }
            let mut consumers: Vec<String> = Vec::new();
            let mut add = |c: String| {
                if !consumers.contains(&c) {
                    consumers.push(c);
                }
            };
            for src in &sources {
                if src.kind == SourceKind::Kinesis && src.source.is_some_and(|x| x.id == s.id) {
                    add(src.function.map_or_else(|| src.label.clone(), |f| f.id.clone()));
                }
            }
            for (holder, target) in &readers {
                if *target == s.id {
                    add(holder.clone());
                }
            }
            for r in ctx.resources(&["AWS::Kinesis::StreamConsumer", "AWS::KinesisFirehose::DeliveryStream", "AWS::Pipes::Pipe", "AWS::KinesisAnalyticsV2::Application"]) {
                let node = match r.type_name.as_str() {
                    "AWS::Kinesis::StreamConsumer" => ctx.node(r, &["StreamARN"]),
                    "AWS::KinesisFirehose::DeliveryStream" => ctx.node(r, &["KinesisStreamSourceConfiguration", "KinesisStreamARN"]),
                    "AWS::Pipes::Pipe" => ctx.node(r, &["Source"]),
                    _ => ctx.node(r, &["ApplicationConfiguration"]),
                };
                if node.and_then(|n| first_target(ctx, n)).is_some_and(|t| t.id == s.id) {
                    add(r.id.clone());
                }
            }
            if consumers.is_empty() {
                continue;
            }
            let mut d = ctx.diag(s, &["ShardCount"], format!(
                "{} is a provisioned stream with 1 shard read by {}: it accepts at most 1 MB/s or 1,000 records/s of writes and 2 MB/s of reads shared by all consumers, so any burst throttles producers and grows the consumers' iterator age",
                s.id,
                fmt_list(&consumers)
            ));
            d.evidence.push("ShardCount = 1".into());
            d.evidence.push("StreamMode PROVISIONED (not ON_DEMAND)".into());
            d.evidence.push(format!("consumers: {}", consumers.join(", ")));
            d.fix = Some(Fix::new(
                "Size the stream for peak throughput (shards = max(write MB/s, records/s / 1000, read MB/s / 2)), or let on-demand mode scale it",
                "StreamModeDetails:\n  StreamMode: ON_DEMAND   # or ShardCount: <peak MB/s written>",
            ));
            out.push(d);
        }
    }
}
