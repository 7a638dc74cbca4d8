use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

use super::common;

declare_rule! {
    /// ## What it does
    /// Flags Java 11+ functions (`java11`, `java17`, `java21`, ...) that do not enable SnapStart
    /// (`SnapStart: {ApplyOn: PublishedVersions}`), and SAM functions that enable it without
    /// `AutoPublishAlias`, so that nothing ever invokes a published version.
    ///
    /// ## Why is this bad?
    /// A Java cold start runs JVM start-up, class loading and framework initialisation, often
    /// several seconds. SnapStart runs that initialisation once when a version is published,
    /// snapshots the environment and resumes new environments from it, typically bringing
    /// cold starts under a second, at no extra charge for Java. It only applies to published
    /// versions and aliases, never to `$LATEST`: in SAM that means `AutoPublishAlias`. Functions
    /// with provisioned concurrency, EFS or more than 512 MB of ephemeral storage cannot use
    /// SnapStart and are left out. Code that must be unique per environment (random seeds,
    /// credentials, connections) has to be re-created after restore.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Orders:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: java21
    ///       Handler: com.example.Orders::handleRequest
    ///       CodeUri: target/orders.jar
    ///       MemorySize: 2048
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Orders:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: java21
    ///       Handler: com.example.Orders::handleRequest
    ///       CodeUri: target/orders.jar
    ///       MemorySize: 2048
    ///       AutoPublishAlias: live
    ///       SnapStart:
    ///         ApplyOn: PublishedVersions
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html
    /// - https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html#sam-function-snapstart
    pub JavaWithoutSnapstart {
        code: "LAMBDA-005",
        name: "java-function-without-snapstart",
        severity: Low,
        pillar: Performance,
        symptoms: ["lambda-cold-starts", "high-api-latency"],
        remedies: ["lambda-snapstart", "lambda-provisioned-concurrency"],
    }
}

impl JavaWithoutSnapstart {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let f = ctx.function(r);
            let Some(runtime) = f.runtime.known() else { continue };
            let Some(version) = common::java_version(runtime) else { continue };
            if version < 11 || f.is_image {
                continue;
            }
            if common::is_control_plane_function(ctx, r) || common::has_provisioned_concurrency(ctx, r) {
                continue;
            }
            // SnapStart is not available with EFS or more than 512 MB of /tmp.
            if !ctx.value(r, &["FileSystemConfigs"]).is_absent() {
                continue;
            }
            if ctx.num(r, &["EphemeralStorage", "Size"]).or_default(512.0).is_none_or(|s| s > 512.0) {
                continue;
            }
            let apis = common::api_callers(ctx, r);
            let behind = apis.first().map(|a| format!(", and every cold start delays a request from {a}")).unwrap_or_default();
            let memory = f.memory_mb().map(|m| format!(" ({} MB)", fmt_num(m))).unwrap_or_default();
            let alias = if r.is_sam_function() { ctx.value(r, &["AutoPublishAlias"]) } else { Prop::Absent };
            match ctx.str(r, &["SnapStart", "ApplyOn"]) {
                Prop::Unknown(_) => continue,
                Prop::Known(v, _) if v == "PublishedVersions" => {
                    // Enabled, but SAM publishes no version to apply it to.
                    if !r.is_sam_function() || !alias.is_absent() {
                        continue;
                    }
                    let mut d = ctx.diag(r, &["SnapStart", "ApplyOn"], format!(
                        "{} enables SnapStart but has no AutoPublishAlias: SAM publishes no version, so events invoke $LATEST, where SnapStart never applies{behind}",
                        r.id
                    ));
                    d.evidence.push(format!("Runtime = {runtime}{memory}"));
                    d.evidence.push("SnapStart.ApplyOn = PublishedVersions".into());
                    d.evidence.push("AutoPublishAlias not set".into());
                    d.fix = Some(Fix::new("Publish a version and alias on every deployment so that SnapStart applies", "AutoPublishAlias: live"));
                    out.push(d);
                }
                applied => {
                    let state = match &applied {
                        Prop::Known(v, _) => format!("SnapStart.ApplyOn = {v}"),
                        _ => "SnapStart not set (default: off)".to_string(),
                    };
                    let needs_alias = r.is_sam_function() && alias.is_absent();
                    let mut d = ctx.diag(r, &["SnapStart", "ApplyOn"], format!(
                        "{} runs {runtime}{memory} without SnapStart: each cold start pays JVM start-up and initialisation, often seconds, which SnapStart (free for Java) restores from a snapshot in a fraction of the time{behind}{}",
                        r.id,
                        if needs_alias {
                            "; SAM also needs AutoPublishAlias, since SnapStart applies to published versions only"
                        } else if !r.is_sam_function() {
                            "; callers must invoke a published version or alias (AWS::Lambda::Version), not $LATEST"
                        } else {
                            ""
                        }
                    ));
                    d.evidence.push(format!("Runtime = {runtime}"));
                    d.evidence.push(state);
                    if let Some(a) = apis.first() {
                        d.evidence.push(format!("invoked synchronously by {a}"));
                    }
                    let yaml = if needs_alias {
                        "AutoPublishAlias: live\nSnapStart:\n  ApplyOn: PublishedVersions"
                    } else {
                        "SnapStart:\n  ApplyOn: PublishedVersions"
                    };
                    d.fix = Some(Fix::new(
                        "Enable SnapStart on published versions, and re-create unique state (random seeds, connections, credentials) after restore",
                        yaml,
                    ));
                    out.push(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "LAMBDA-005").map(|f| f.message).collect()
    }

    #[test]
    fn unknown_runtime_is_not_reported() {
        let f = found("
Parameters:
  Runtime: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: !Ref Runtime, Handler: a::h, Role: r, Code: {S3Bucket: b, S3Key: k}}
");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn java8_other_runtimes_and_provisioned_concurrency_are_left_out() {
        let f = found("
Transform: AWS::Serverless-2016-10-31
Resources:
  Old: {Type: AWS::Serverless::Function, Properties: {Runtime: java8.al2, Handler: a::h, CodeUri: a/}}
  Py: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.12, Handler: a.h, CodeUri: a/}}
  Warm:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: java17
      Handler: a::h
      CodeUri: a/
      AutoPublishAlias: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 2}
  Efs:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: java17
      Handler: a::h
      CodeUri: a/
      FileSystemConfigs: [{Arn: arn:aws:elasticfilesystem:eu-west-1:1:access-point/fsap-1, LocalMountPath: /mnt/efs}]
");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn snapstart_without_alias_in_sam() {
        let f = found("
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: java17, Handler: a::h, CodeUri: a/, SnapStart: {ApplyOn: PublishedVersions}}
");
        assert_eq!(f.len(), 1);
        assert!(f[0].contains("no AutoPublishAlias"), "{f:?}");
    }
}
