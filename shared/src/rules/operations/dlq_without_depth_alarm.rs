use crate::declare_rule;
use crate::rules::messaging::common::{QUEUE, all_targets, dead_letter_queues, fmt_duration};
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Flags SQS queues used as dead-letter queues (a queue's `RedrivePolicy`, a function's
    /// `DeadLetterQueue`/`DeadLetterConfig`, an `OnFailure` destination, an SNS subscription's or
    /// an EventBridge target's dead-letter queue) that no CloudWatch alarm watches through
    /// `ApproximateNumberOfMessagesVisible` or `ApproximateAgeOfOldestMessage` with a `QueueName`
    /// dimension naming the queue.
    ///
    /// ## Why is this bad?
    /// A message in a dead-letter queue is work that failed every retry and will not be tried
    /// again by anything: Lambda does not reprocess its DLQ, and SQS only moves messages back
    /// when someone starts a redrive. Unless an alarm says so, nobody knows they are there, and
    /// they expire silently at the end of the queue's retention period. An alarm on depth > 0
    /// turns each failure into a notification.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   OrdersDLQ:
    ///     Type: AWS::SQS::Queue
    ///   Orders:
    ///     Type: AWS::SQS::Queue
    ///     Properties:
    ///       RedrivePolicy: {deadLetterTargetArn: !GetAtt OrdersDLQ.Arn, maxReceiveCount: 5}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   OrdersDLQ:
    ///     Type: AWS::SQS::Queue
    ///   Orders:
    ///     Type: AWS::SQS::Queue
    ///     Properties:
    ///       RedrivePolicy: {deadLetterTargetArn: !GetAtt OrdersDLQ.Arn, maxReceiveCount: 5}
    ///   OrdersDLQDepth:
    ///     Type: AWS::CloudWatch::Alarm
    ///     Properties:
    ///       Namespace: AWS/SQS
    ///       MetricName: ApproximateNumberOfMessagesVisible
    ///       Dimensions: [{Name: QueueName, Value: !GetAtt OrdersDLQ.QueueName}]
    ///       Statistic: Maximum
    ///       Period: 300
    ///       EvaluationPeriods: 1
    ///       Threshold: 0
    ///       ComparisonOperator: GreaterThanThreshold
    ///       AlarmActions: [arn:aws:sns:eu-west-1:123456789012:ops]
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    pub DlqWithoutDepthAlarm {
        code: "OPS-002",
        name: "dlq-without-depth-alarm",
        severity: Medium,
        pillar: Reliability,
        symptoms: ["async-events-lost", "missing-observability"],
        remedies: ["cloudwatch-alarms"],
    }
}

const DEPTH_METRICS: &[&str] = &["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"];

/// What the SQS alarms of the template watch.
struct Watched {
    /// Queue ids named by a depth alarm's QueueName dimension.
    queues: Vec<String>,
    /// Queue names written as text in a depth alarm's QueueName dimension.
    names: Vec<String>,
    /// A depth alarm names a queue we cannot tell: it may watch any of them.
    unattributed: bool,
}

fn watch_metric(ctx: &Ctx<'_>, metric: &Node, w: &mut Watched) {
    let name = metric.get("MetricName").and_then(|n| ctx.resolver.value(n).text());
    match name {
        Some(n) if DEPTH_METRICS.contains(&n.as_str()) => {}
        Some(_) => return,
        None => {
            w.unattributed = true;
            return;
        }
    }
    let Some(dims) = metric.get("Dimensions").and_then(|d| ctx.resolver.select(d)).and_then(Node::as_seq) else {
        w.unattributed = true;
        return;
    };
    for dim in dims {
        if dim.get("Name").and_then(|n| ctx.resolver.value(n).text()).as_deref() != Some("QueueName") {
            continue;
        }
        let Some(value) = dim.get("Value") else { continue };
        let queues: Vec<String> = all_targets(ctx, value).into_iter().filter(|r| r.type_name == QUEUE).map(|r| r.id.clone()).collect();
        if !queues.is_empty() {
            w.queues.extend(queues);
        } else if let Some(text) = ctx.resolver.value(value).text() {
            w.names.push(text);
        } else {
            w.unattributed = true;
        }
    }
}

fn watched(ctx: &Ctx<'_>) -> Watched {
    let mut w = Watched { queues: Vec::new(), names: Vec::new(), unattributed: false };
    for alarm in ctx.resources(&["AWS::CloudWatch::Alarm"]) {
        if alarm.properties.get("MetricName").is_some() {
            watch_metric(ctx, &alarm.properties, &mut w);
        }
        for m in ctx.node(alarm, &["Metrics"]).and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(metric) = m.get("MetricStat").and_then(|s| s.get("Metric")) {
                watch_metric(ctx, metric, &mut w);
            }
        }
    }
    w
}

impl DlqWithoutDepthAlarm {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let dlqs = dead_letter_queues(ctx);
        if dlqs.is_empty() {
            return;
        }
        let w = watched(ctx);
        if w.unattributed {
            return;
        }
        for (id, via) in dlqs {
            let Some(q) = ctx.template.resource(&id) else { continue };
            if !ctx.resolver.resource_may_exist(q.condition.as_deref()) || w.queues.contains(&id) {
                continue;
            }
            let name = ctx.str(q, &["QueueName"]);
            if name.is_unknown() || name.known().is_some_and(|n| w.names.contains(n)) {
                continue;
            }
            let retention = ctx.num(q, &["MessageRetentionPeriod"]).or_default(345_600.0);
            let mut d = ctx.diag(q, &[], format!(
                "{id} is the dead-letter queue of {via} but no CloudWatch alarm watches its depth: failed messages collect there unnoticed and expire after {}",
                retention.map_or_else(|| "its retention period".to_string(), fmt_duration)
            ));
            d.evidence.push(format!("dead-letter queue of {via}"));
            d.evidence.push("no alarm on ApproximateNumberOfMessagesVisible or ApproximateAgeOfOldestMessage with QueueName naming it".into());
            d.fix = Some(Fix::new(
                "Alarm when the dead-letter queue holds any message, notifying the team",
                format!(
                    "{id}Depth:\n  Type: AWS::CloudWatch::Alarm\n  Properties:\n    Namespace: AWS/SQS\n    MetricName: ApproximateNumberOfMessagesVisible\n    Dimensions: [{{Name: QueueName, Value: !GetAtt {id}.QueueName}}]\n    Statistic: Maximum\n    Period: 300\n    EvaluationPeriods: 1\n    Threshold: 0\n    ComparisonOperator: GreaterThanThreshold\n    AlarmActions: [!Ref OpsTopic]"
                ),
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    fn found(text: &str) -> Vec<String> {
        crate::analysis::analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "OPS-002").filter_map(|f| f.resource).collect()
    }

    #[test]
    fn function_dlqs_and_metric_math_alarms() {
        let base = "
Transform: AWS::Serverless-2016-10-31
Resources:
  FnDlq: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt FnDlq.Arn}
ALARM";
        assert_eq!(found(&base.replace("ALARM", "")), vec!["FnDlq".to_string()]);
        let math = "  A:
    Type: AWS::CloudWatch::Alarm
    Properties:
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      Metrics:
        - Id: m
          MetricStat:
            Stat: Maximum
            Period: 60
            Metric: {Namespace: AWS/SQS, MetricName: ApproximateNumberOfMessagesVisible, Dimensions: [{Name: QueueName, Value: !GetAtt FnDlq.QueueName}]}
";
        assert!(found(&base.replace("ALARM", math)).is_empty());
    }
}
