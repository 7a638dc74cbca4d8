use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

use super::common;

/// Memory from which a function is assumed to carry a heavy initialisation.
const HEAVY_MEMORY_MB: f64 = 1024.0;

declare_rule! {
    /// ## What it does
    /// Points out API-facing functions with a typically slow cold start (Java or .NET
    /// runtimes, or 1,024 MB of memory and more) that have neither provisioned concurrency nor
    /// SnapStart. Java 11+ functions without SnapStart are reported by LAMBDA-005 instead.
    ///
    /// ## Why is this bad?
    /// A user request that lands on a new execution environment waits for the runtime to
    /// start and the function to initialise; for the JVM or the .NET runtime with their
    /// frameworks this is often one to several seconds, added to the API's latency.
    /// Provisioned concurrency keeps a chosen number of environments initialised so that
    /// requests up to that number never wait. It is a trade-off: it is billed per GB-second
    /// for every second it is configured, even with no traffic, and it needs a published
    /// version or alias. Use it for latency-sensitive paths, sized from `ConcurrentExecutions`.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Quote:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: dotnet8
    ///       Handler: Quote::Quote.Function::Handler
    ///       CodeUri: src/Quote/
    ///       MemorySize: 1024
    ///       Events:
    ///         Get: {Type: HttpApi, Properties: {Path: /quote, Method: get}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Quote:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: dotnet8
    ///       Handler: Quote::Quote.Function::Handler
    ///       CodeUri: src/Quote/
    ///       MemorySize: 1024
    ///       AutoPublishAlias: live
    ///       ProvisionedConcurrencyConfig:
    ///         ProvisionedConcurrentExecutions: 2
    ///       Events:
    ///         Get: {Type: HttpApi, Properties: {Path: /quote, Method: get}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
    /// - https://aws.amazon.com/lambda/pricing/
    pub ApiWithoutProvisionedConcurrency {
        code: "LAMBDA-010",
        name: "api-function-without-provisioned-concurrency",
        severity: Info,
        pillar: Performance,
        symptoms: ["lambda-cold-starts", "high-api-latency"],
        remedies: ["lambda-provisioned-concurrency", "lambda-snapstart"],
    }
}

impl ApiWithoutProvisionedConcurrency {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let apis = common::api_callers(ctx, r);
            let Some(api) = apis.first() else { continue };
            let f = ctx.function(r);
            let runtime = f.runtime.known().cloned();
            let memory = f.memory_mb();
            let heavy_runtime = runtime.as_deref().filter(|rt| rt.starts_with("java") || rt.starts_with("dotnet"));
            let heavy_memory = memory.filter(|m| *m >= HEAVY_MEMORY_MB);
            if heavy_runtime.is_none() && heavy_memory.is_none() {
                continue;
            }
            // Java 11+ without SnapStart: LAMBDA-005 says it; SnapStart excludes provisioned concurrency.
            if runtime.as_deref().and_then(common::java_version).is_some_and(|v| v >= 11) && !f.is_image {
                continue;
            }
            match ctx.str(r, &["SnapStart", "ApplyOn"]) {
                Prop::Known(v, _) if v == "PublishedVersions" => continue,
                Prop::Unknown(_) => continue,
                _ => {}
            }
            if common::has_provisioned_concurrency(ctx, r) {
                continue;
            }
            let arm = f.is_arm64() == Some(true);
            let gb = memory.unwrap_or(128.0) / 1024.0;
            let monthly = gb * common::SECONDS_PER_MONTH * common::provisioned_price(arm);
            let why = match (heavy_runtime, heavy_memory) {
                (Some(rt), _) => format!("runs {rt}, whose cold starts often take seconds"),
                (None, Some(m)) => format!("has {} MB, which usually means heavy dependencies to initialise", fmt_num(m)),
                (None, None) => continue,
            };
            let mem_text = memory.map(|m| format!("{} MB", fmt_num(m))).unwrap_or_else(|| "its memory".into());
            let snap = if runtime.as_deref().is_some_and(|rt| rt.starts_with("dotnet") && rt.trim_start_matches("dotnet").parse::<u32>().is_ok_and(|v| v >= 8)) {
                " (SnapStart, billed per cache and restore for .NET 8+, is the alternative)"
            } else {
                ""
            };
            let mut d = ctx.diag(r, &["ProvisionedConcurrencyConfig"], format!(
                "{} serves requests from {api} and {why}; provisioned concurrency would keep environments warm, but each one at {mem_text} costs about {} a month ({}, us-east-1) even when idle{snap}",
                r.id,
                common::dollars(monthly),
                if arm { "arm64" } else { "x86_64" },
            ));
            if let Some(rt) = &runtime {
                d.evidence.push(format!("Runtime = {rt}"));
            }
            if let Some(m) = memory {
                d.evidence.push(format!("MemorySize = {} MB{}", fmt_num(m), if f.memory.is_absent() { " (default)" } else { "" }));
            }
            d.evidence.push(format!("invoked synchronously by {api} ({})", ctx.type_of(api)));
            d.evidence.push("no provisioned concurrency or SnapStart".into());
            d.fix = Some(if r.is_sam_function() {
                let alias = if ctx.value(r, &["AutoPublishAlias"]).is_absent() { "AutoPublishAlias: live\n" } else { "" };
                Fix::new(
                    "If cold starts matter on this path, keep a few environments warm (sized from ConcurrentExecutions; consider scheduled scaling)",
                    format!("{alias}ProvisionedConcurrencyConfig:\n  ProvisionedConcurrentExecutions: 2"),
                )
            } else {
                Fix::new(
                    "If cold starts matter on this path, publish a version, put an alias on it with provisioned concurrency, and point the API at the alias",
                    format!(
                        "{id}Live:\n  Type: AWS::Lambda::Alias\n  Properties:\n    FunctionName: !Ref {id}\n    FunctionVersion: !GetAtt {id}Version.Version\n    Name: live\n    ProvisionedConcurrencyConfig:\n      ProvisionedConcurrentExecutions: 2",
                        id = r.id
                    ),
                )
            });
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "LAMBDA-010").map(|f| f.resource.unwrap_or_default()).collect()
    }

    #[test]
    fn java11_plus_small_functions_and_aliases_with_provisioned_concurrency() {
        let f = found("
Transform: AWS::Serverless-2016-10-31
Resources:
  Java:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: java21
      Handler: a::h
      CodeUri: a/
      Events: {Get: {Type: Api, Properties: {Path: /j, Method: get}}}
  Small:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      CodeUri: a/
      MemorySize: 512
      Events: {Get: {Type: Api, Properties: {Path: /s, Method: get}}}
  Dotnet:
    Type: AWS::Lambda::Function
    Properties: {Runtime: dotnet8, Handler: a::h, Role: r, Code: {S3Bucket: b, S3Key: k}}
  DotnetVersion:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Dotnet}
  DotnetLive:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Dotnet
      FunctionVersion: !GetAtt DotnetVersion.Version
      Name: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 1}
  Http: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: HTTP}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Dotnet.Arn}
  Big:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: a.h
      CodeUri: a/
      MemorySize: 1536
      Events: {Get: {Type: Api, Properties: {Path: /b, Method: get}}}
");
        assert_eq!(f, ["Big"]);
    }
}
