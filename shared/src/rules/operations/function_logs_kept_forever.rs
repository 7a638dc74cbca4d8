use crate::declare_rule;
use crate::rules::compute::common::{UNKNOWN_PART, raw_text};
use crate::rules::messaging::common::{all_targets, first_target};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::template::Resource;

declare_rule! {
    /// ## What it does
    /// Flags Lambda functions whose log group has no retention: either no
    /// `AWS::Logs::LogGroup` in the template is the function's (named `/aws/lambda/<function>`
    /// through `Fn::Sub`/`Fn::Join`, or referenced by the function's `LoggingConfig.LogGroup`), so
    /// Lambda creates one without retention on the first invocation, or the declared log group
    /// has no `RetentionInDays`. A custom resource that sets `RetentionInDays` on the function's
    /// log group (such as CDK's `Custom::LogRetention`) counts as retention.
    ///
    /// ## Why is this bad?
    /// CloudWatch Logs keeps log events forever unless the log group has a retention period,
    /// and log storage is billed every month for every gigabyte ever written. For a busy or
    /// chatty function that becomes a cost that only grows, for logs nobody reads after a few
    /// weeks. Declaring the log group with `RetentionInDays` bounds it from the first deployment
    /// and removes it with the stack.
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
    ///   OrdersLogs:
    ///     Type: AWS::Logs::LogGroup
    ///     Properties:
    ///       LogGroupName: !Sub /aws/lambda/${Orders}
    ///       RetentionInDays: 30
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
    /// - https://aws.amazon.com/cloudwatch/pricing/
    pub FunctionLogsKeptForever {
        code: "OPS-003",
        name: "function-logs-kept-forever",
        severity: Low,
        pillar: Cost,
        symptoms: ["high-lambda-cost"],
        remedies: ["cloudwatch-log-retention"],
    }
}

/// A resource that names a log group: an `AWS::Logs::LogGroup`, or a custom resource with
/// `LogGroupName` and `RetentionInDays` (log-retention helpers).
struct Group<'a> {
    resource: &'a Resource,
    /// The name as far as it is known (`${Fn}` for references, `${?}` for unknown parts).
    name: Option<String>,
    /// Resources the name refers to.
    refers_to: Vec<String>,
}

fn groups<'a>(ctx: &Ctx<'a>) -> Vec<Group<'a>> {
    let mut out = Vec::new();
    for r in &ctx.template.resources {
        if !ctx.resolver.resource_may_exist(r.condition.as_deref()) {
            continue;
        }
        let is_group = r.type_name == "AWS::Logs::LogGroup";
        let is_helper = (r.type_name.starts_with("Custom::") || r.type_name == "AWS::CloudFormation::CustomResource") && r.prop("RetentionInDays").is_some();
        if !is_group && !is_helper {
            continue;
        }
        let node = ctx.node(r, &["LogGroupName"]);
        out.push(Group {
            resource: r,
            name: node.and_then(|n| raw_text(ctx, n)),
            refers_to: node.map(|n| all_targets(ctx, n).into_iter().map(|t| t.id.clone()).collect()).unwrap_or_default(),
        });
    }
    out
}

/// The log group resource a function writes to, `Err(())` when that cannot be told.
fn log_group_of<'a, 'g>(ctx: &Ctx<'a>, f: &'a Resource, groups: &'g [Group<'a>]) -> Result<Option<&'g Group<'a>>, ()> {
    if let Some(node) = ctx.node(f, &["LoggingConfig", "LogGroup"]) {
        if let Some(target) = first_target(ctx, node) {
            return Ok(groups.iter().find(|g| g.resource.id == target.id));
        }
        let Some(name) = ctx.resolver.value(node).text() else { return Err(()) };
        return match groups.iter().find(|g| g.name.as_deref() == Some(name.as_str())) {
            Some(g) => Ok(Some(g)),
            None => Err(()), // a log group managed elsewhere
        };
    }
    let explicit = ctx.str(f, &["FunctionName"]);
    let default_name = match &explicit {
        Prop::Known(n, _) => Some(format!("/aws/lambda/{n}")),
        Prop::Absent => None,
        Prop::Unknown(_) => None,
    };
    let mut unsure = false;
    for g in groups {
        // A log group without a name gets a generated one: only LoggingConfig can use it.
        let Some(name) = &g.name else { continue };
        if !name.starts_with("/aws/lambda/") {
            if name.starts_with(UNKNOWN_PART) {
                unsure = true;
            }
            continue;
        }
        if g.refers_to.contains(&f.id) || default_name.as_deref() == Some(name.as_str()) {
            return Ok(Some(g));
        }
        if name.contains(UNKNOWN_PART) {
            unsure = true;
        }
    }
    if unsure || explicit.is_unknown() { Err(()) } else { Ok(None) }
}

impl FunctionLogsKeptForever {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let groups = groups(ctx);
        for f in ctx.functions() {
            let Ok(group) = log_group_of(ctx, f, &groups) else { continue };
            let fn_name = ctx.str(f, &["FunctionName"]).known().cloned().unwrap_or_else(|| format!("<{} physical name>", f.id));
            match group {
                Some(g) => {
                    if !ctx.value(g.resource, &["RetentionInDays"]).is_absent() {
                        continue;
                    }
                    let mut d = ctx.diag(g.resource, &["RetentionInDays"], format!(
                        "{} declares the log group of {} without RetentionInDays, so its logs are kept forever and their storage is billed every month",
                        g.resource.id, f.id
                    ));
                    d.evidence.push(format!("{} is the log group of {}", g.resource.id, f.id));
                    d.evidence.push("RetentionInDays not set (never expire)".into());
                    d.fix = Some(Fix::new("Set a retention period that covers your investigations and audit needs", "RetentionInDays: 30"));
                    out.push(d);
                }
                None => {
                    let mut d = ctx.diag(f, &[], format!(
                        "{} has no log group in the template, so Lambda creates /aws/lambda/{fn_name} on the first invocation with no retention: its logs are kept forever and their storage is billed every month",
                        f.id
                    ));
                    d.evidence.push("no AWS::Logs::LogGroup named /aws/lambda/<function> or referenced by LoggingConfig".into());
                    d.fix = Some(Fix::new(
                        "Declare the function's log group with a retention period (before the first invocation creates it)",
                        format!("{0}LogGroup:\n  Type: AWS::Logs::LogGroup\n  Properties:\n    LogGroupName: !Sub /aws/lambda/${{{0}}}\n    RetentionInDays: 30", f.id),
                    ));
                    out.push(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn found(text: &str) -> Vec<String> {
        crate::analysis::analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "OPS-003").map(|f| f.message).collect()
    }

    const FN: &str = "
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}FNPROPS}
";

    #[test]
    fn matches_log_groups_by_reference_name_and_logging_config() {
        assert_eq!(found(&FN.replace("FNPROPS", "")).len(), 1);
        let by_join = format!("{}  L:\n    Type: AWS::Logs::LogGroup\n    Properties: {{LogGroupName: !Join ['', [/aws/lambda/, !Ref Fn]], RetentionInDays: 14}}\n", FN.replace("FNPROPS", ""));
        assert!(found(&by_join).is_empty());
        let by_name = format!("{}  L:\n    Type: AWS::Logs::LogGroup\n    Properties: {{LogGroupName: /aws/lambda/orders}}\n", FN.replace("FNPROPS", ", FunctionName: orders"));
        let msgs = found(&by_name);
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].starts_with("L declares the log group of Fn without RetentionInDays"), "{msgs:?}");
        let by_config = format!("{}  L:\n    Type: AWS::Logs::LogGroup\n    Properties: {{RetentionInDays: 7}}\n", FN.replace("FNPROPS", ", LoggingConfig: {LogGroup: !Ref L}"));
        assert!(found(&by_config).is_empty());
        let cdk = format!("{}  R:\n    Type: Custom::LogRetention\n    Properties: {{ServiceToken: x, LogGroupName: {{'Fn::Join': ['', [/aws/lambda/, {{Ref: Fn}}]]}}, RetentionInDays: 7}}\n", FN.replace("FNPROPS", ""));
        assert!(found(&cdk).is_empty());
    }

    #[test]
    fn unknown_names_stay_silent() {
        let text = format!("Parameters:\n  P: {{Type: String}}\n{}  L:\n    Type: AWS::Logs::LogGroup\n    Properties: {{LogGroupName: !Sub '/aws/lambda/${{P}}'}}\n", FN.replace("FNPROPS", ", FunctionName: !Ref P"));
        assert!(found(&text).is_empty());
    }
}
