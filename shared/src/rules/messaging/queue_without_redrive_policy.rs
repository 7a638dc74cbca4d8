use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common::{QUEUE, dead_letter_queues, fmt_duration, fmt_list, is_dead_letter_queue, queue_consumers};

declare_rule! {
    /// ## What it does
    /// Flags SQS queues that something in the template consumes (a Lambda event source, an
    /// EventBridge pipe, or a role or function allowed to `sqs:ReceiveMessage`) but that have no
    /// `RedrivePolicy`. Queues that are themselves dead-letter queues are left out.
    ///
    /// ## Why is this bad?
    /// SQS keeps a message that a consumer failed to process and makes it visible again after the
    /// visibility timeout, as often as it takes, until the retention period (4 days by default)
    /// ends and the message is dropped without anyone noticing. A poison message costs a consumer
    /// run on every cycle, makes the age of the oldest message meaningless as a backlog signal,
    /// and on a FIFO queue holds up the rest of its message group. A redrive policy moves it to a
    /// dead-letter queue after `maxReceiveCount` receives, where it can be inspected and replayed.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Orders:
    ///     Type: AWS::SQS::Queue
    ///   Process:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         Orders: {Type: SQS, Properties: {Queue: !GetAtt Orders.Arn}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   OrdersDLQ:
    ///     Type: AWS::SQS::Queue
    ///     Properties:
    ///       MessageRetentionPeriod: 1209600
    ///   Orders:
    ///     Type: AWS::SQS::Queue
    ///     Properties:
    ///       RedrivePolicy:
    ///         deadLetterTargetArn: !GetAtt OrdersDLQ.Arn
    ///         maxReceiveCount: 5
    ///   Process:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         Orders: {Type: SQS, Properties: {Queue: !GetAtt Orders.Arn}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
    pub QueueWithoutRedrivePolicy {
        code: "SQS-001",
        name: "queue-without-redrive-policy",
        severity: Medium,
        pillar: Reliability,
        symptoms: ["queue-backlog", "async-events-lost"],
        remedies: ["sqs-redrive-policy", "cloudwatch-alarms"],
    }
}

impl QueueWithoutRedrivePolicy {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let consumers = queue_consumers(ctx);
        if consumers.is_empty() {
            return;
        }
        let dlqs = dead_letter_queues(ctx);
        for q in ctx.resources(&[QUEUE]) {
            let mut who: Vec<String> = Vec::new();
            for (queue, consumer) in &consumers {
                if *queue == q.id && !who.contains(consumer) {
                    who.push(consumer.clone());
                }
            }
            if who.is_empty() || is_dead_letter_queue(ctx, &dlqs, q) || !ctx.value(q, &["RedrivePolicy"]).is_absent() {
                continue;
            }
            let retention = ctx.num(q, &["MessageRetentionPeriod"]);
            let until = match retention.or_default(345_600.0) {
                Some(s) => format!("its retention period ({}{}) ends", fmt_duration(s), if retention.is_absent() { ", the default" } else { "" }),
                None => "its retention period ends".to_string(),
            };
            let fifo = ctx.bool(q, &["FifoQueue"]).known() == Some(&true);
            let mut d = ctx.diag(q, &["RedrivePolicy"], format!(
                "{} is consumed by {} but has no RedrivePolicy: a message that always fails is received again after every visibility timeout until {until}, then dropped unseen{}",
                q.id,
                fmt_list(&who),
                if fifo { "; on this FIFO queue it also blocks every later message of its group" } else { "" }
            ));
            d.evidence.push("RedrivePolicy not set".into());
            d.evidence.push(format!("consumed by {}", who.join(", ")));
            if let Some(s) = retention.known() {
                d.evidence.push(format!("MessageRetentionPeriod = {}", fmt_duration(*s)));
            }
            d.fix = Some(Fix::new(
                format!(
                    "Add a dead-letter {}queue with a longer retention and a redrive policy; alarm on its depth",
                    if fifo { "FIFO " } else { "" }
                ),
                format!("RedrivePolicy:\n  deadLetterTargetArn: !GetAtt {}DLQ.Arn\n  maxReceiveCount: 5", q.id),
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    fn codes(text: &str) -> Vec<String> {
        crate::analysis::analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "SQS-001").filter_map(|f| f.resource).collect()
    }

    #[test]
    fn iam_consumers_count_but_producers_and_dlqs_do_not() {
        let found = codes("
Resources:
  Work: {Type: AWS::SQS::Queue}
  Out: {Type: AWS::SQS::Queue}
  Dlq: {Type: AWS::SQS::Queue}
  Main:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 5}
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: ['sqs:Receive*', 'sqs:DeleteMessage'], Resource: !GetAtt Work.Arn}
              - {Effect: Allow, Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: !GetAtt Out.Arn}
              - {Effect: Allow, Action: 'sqs:*', Resource: [!GetAtt Dlq.Arn, !GetAtt Main.Arn]}
");
        assert_eq!(found, vec!["Work".to_string()]);
    }

    #[test]
    fn unknown_redrive_policy_is_not_reported() {
        let found = codes("
Parameters:
  Env: {Type: String}
Conditions:
  Prod: !Equals [!Ref Env, prod]
Transform: AWS::Serverless-2016-10-31
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: !If [Prod, {deadLetterTargetArn: arn, maxReceiveCount: 3}, !Ref AWS::NoValue]
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events: {E: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}}
");
        assert!(found.is_empty(), "{found:?}");
    }
}
