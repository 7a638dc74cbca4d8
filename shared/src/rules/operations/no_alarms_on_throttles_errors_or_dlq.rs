use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

declare_rule! {
    /// ## What it does
    /// Flags templates that define Lambda functions or SQS queues but not a single CloudWatch
    /// alarm (`AWS::CloudWatch::Alarm` or `CompositeAlarm`). Templates with nested stacks or
    /// nested SAR applications are left out, since the alarms may live there.
    ///
    /// ## Why is this bad?
    /// Serverless failures are quiet: a throttled invocation, a function erroring on every
    /// event, or messages piling up in a dead-letter queue raise no error anywhere a person
    /// looks. Without alarms they are found by users, hours or days later. Three alarms cover the
    /// essentials - `Throttles > 0`, `Errors` (or an error rate) above a threshold, and dead-letter
    /// queue depth > 0 - each notifying an SNS topic that reaches the team.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Orders:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Orders:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///   OpsTopic:
    ///     Type: AWS::SNS::Topic
    ///   OrdersErrors:
    ///     Type: AWS::CloudWatch::Alarm
    ///     Properties:
    ///       Namespace: AWS/Lambda
    ///       MetricName: Errors
    ///       Dimensions: [{Name: FunctionName, Value: !Ref Orders}]
    ///       Statistic: Sum
    ///       Period: 60
    ///       EvaluationPeriods: 1
    ///       Threshold: 0
    ///       ComparisonOperator: GreaterThanThreshold
    ///       TreatMissingData: notBreaching
    ///       AlarmActions: [!Ref OpsTopic]
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    /// - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    /// - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html
    pub NoAlarmsOnThrottlesErrorsOrDlq {
        code: "OPS-001",
        name: "no-alarms-on-throttles-errors-or-dlq",
        severity: Medium,
        pillar: Operations,
        symptoms: ["missing-observability", "lambda-throttling", "lambda-errors"],
        remedies: ["cloudwatch-alarms"],
    }
}

impl NoAlarmsOnThrottlesErrorsOrDlq {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        if ctx.resources(&["AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm", "AWS::CloudFormation::Stack", "AWS::Serverless::Application"]).next().is_some() {
            return;
        }
        let watched: Vec<_> = ctx.resources(&["AWS::Serverless::Function", "AWS::Lambda::Function", "AWS::SQS::Queue"]).collect();
        let Some(first) = watched.first() else { return };
        let functions: Vec<&str> = watched.iter().filter(|r| r.is_function()).map(|r| r.id.as_str()).collect();
        let queues: Vec<&str> = watched.iter().filter(|r| !r.is_function()).map(|r| r.id.as_str()).collect();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let what = match (functions.len(), queues.len()) {
            (f, 0) => plural(f, "Lambda function"),
            (0, q) => plural(q, "SQS queue"),
            (f, q) => format!("{} and {}", plural(f, "Lambda function"), plural(q, "SQS queue")),
        };
        let mut d = ctx.template_diag(format!(
            "The template defines {what} but no CloudWatch alarm: throttled invocations, failing functions and messages piling up in dead-letter queues go unnoticed until users report them"
        ), first.pos);
        if !functions.is_empty() {
            d.evidence.push(format!("functions: {}", functions.join(", ")));
        }
        if !queues.is_empty() {
            d.evidence.push(format!("queues: {}", queues.join(", ")));
        }
        d.evidence.push("no AWS::CloudWatch::Alarm or CompositeAlarm in the template".into());
        let yaml = match functions.first() {
            Some(f) => format!(
                "{f}Throttles:\n  Type: AWS::CloudWatch::Alarm\n  Properties:\n    Namespace: AWS/Lambda\n    MetricName: Throttles\n    Dimensions: [{{Name: FunctionName, Value: !Ref {f}}}]\n    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n    Threshold: 0\n    ComparisonOperator: GreaterThanThreshold\n    TreatMissingData: notBreaching\n    AlarmActions: [!Ref OpsTopic]"
            ),
            None => format!(
                "{0}Age:\n  Type: AWS::CloudWatch::Alarm\n  Properties:\n    Namespace: AWS/SQS\n    MetricName: ApproximateAgeOfOldestMessage\n    Dimensions: [{{Name: QueueName, Value: !GetAtt {0}.QueueName}}]\n    Statistic: Maximum\n    Period: 300\n    EvaluationPeriods: 3\n    Threshold: 900\n    ComparisonOperator: GreaterThanThreshold\n    AlarmActions: [!Ref OpsTopic]",
                queues.first().copied().unwrap_or("Queue")
            ),
        };
        d.fix = Some(Fix::new(
            "Add alarms on Throttles > 0, Errors above a threshold and dead-letter queue depth > 0, notifying an SNS topic",
            yaml,
        ));
        out.push(d);
    }
}
