use std::collections::BTreeSet;

use crate::declare_rule;
use crate::template::resolve::references;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

use super::common;

declare_rule! {
    /// ## What it does
    /// Flags zip-packaged Lambda functions that run on x86_64, either because `Architectures`
    /// is not set (x86_64 is the default) or because it says `x86_64`.
    ///
    /// ## Why is this bad?
    /// Lambda bills arm64 (Graviton) duration about 20 % cheaper per GB-second than x86_64,
    /// and Graviton usually runs interpreted and JIT-compiled code at least as fast. For Python,
    /// Node.js, Java or .NET code without native binaries the switch is one property; code with
    /// native dependencies (compiled wheels, Node.js addons, bundled binaries, layers) needs
    /// arm64 builds of them first. Lambda@Edge functions and runtimes that never had arm64
    /// (`go1.x`, `java8`, `python3.7` and older) are left out.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Resize:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Globals:
    ///   Function:
    ///     Architectures: [arm64]
    /// Resources:
    ///   Resize:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html
    /// - https://aws.amazon.com/lambda/pricing/
    pub FunctionOnX8664 {
        code: "LAMBDA-004",
        name: "function-on-x86-64",
        severity: Low,
        pillar: Cost,
        symptoms: ["high-lambda-cost"],
        remedies: ["lambda-arm64"],
    }
}

impl FunctionOnX8664 {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let edge = edge_functions(ctx);
        for r in ctx.functions() {
            let f = ctx.function(r);
            if f.is_image || f.is_arm64() != Some(false) {
                continue;
            }
            if f.runtime.known().is_some_and(|rt| !common::runtime_supports_arm64(rt)) {
                continue;
            }
            if common::is_control_plane_function(ctx, r) || edge.contains(&r.id) {
                continue;
            }
            let how = match &f.architecture {
                Prop::Absent => "runs on x86_64 (Architectures is not set)",
                _ => "runs on x86_64",
            };
            let layers = common::layers(ctx, r).map_or(0, |l| l.certain.len() + l.maybe);
            let deps = if layers > 0 {
                format!("; check that its {layers} layer(s) and any native dependencies have arm64 builds")
            } else {
                "; check first that any native dependencies (compiled wheels, Node.js addons, binaries) have arm64 builds".to_string()
            };
            let mut d = ctx.diag(r, &["Architectures"], format!(
                "{} {how}: arm64 (Graviton) duration is priced about 20 % lower per GB-second ($0.0000133334 vs $0.0000166667 in us-east-1){deps}",
                r.id
            ));
            d.evidence.push(match &f.architecture {
                Prop::Absent => "Architectures not set (default x86_64)".to_string(),
                _ => "Architectures = [x86_64]".to_string(),
            });
            if let Some(rt) = f.runtime.known() {
                d.evidence.push(format!("Runtime = {rt} (available on arm64)"));
            }
            d.fix = Some(Fix::new(
                "Run the function on Graviton after confirming its dependencies and layers have arm64 builds",
                "Architectures:\n  - arm64",
            ));
            out.push(d);
        }
    }
}

/// Lambda@Edge only runs x86_64: functions a CloudFront distribution refers to, directly, as
/// `!Ref Fn.Version` (SAM), or through an `AWS::Lambda::Version`/`Alias`.
fn edge_functions(ctx: &Ctx<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for cdn in ctx.resources(&["AWS::CloudFront::Distribution"]) {
        let mut refs = Vec::new();
        references(&cdn.properties, &mut refs);
        for (name, _) in refs {
            let base = name.split('.').next().unwrap_or(&name);
            let Some(res) = ctx.template.resource(base) else { continue };
            if res.is_function() {
                out.insert(res.id.clone());
            } else if let Some(f) = res.prop("FunctionName") {
                out.extend(common::functions_named(ctx, f).into_iter().map(String::from));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn codes(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "LAMBDA-004").map(|f| f.message).collect()
    }

    #[test]
    fn globals_arm64_suppresses_the_finding() {
        let found = codes("
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Architectures: [arm64]
    Runtime: nodejs20.x
Resources:
  A: {Type: AWS::Serverless::Function, Properties: {Handler: a.h, CodeUri: a/}}
  B: {Type: AWS::Serverless::Function, Properties: {Handler: b.h, CodeUri: b/}}
");
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn explicit_x86_unknown_and_images() {
        let found = codes("
Parameters:
  Arch: {Type: String}
Resources:
  X86:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}, Architectures: [x86_64]}
  FromParam:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}, Architectures: [!Ref Arch]}
  Image:
    Type: AWS::Lambda::Function
    Properties: {PackageType: Image, Role: r, Code: {ImageUri: x}}
  Old:
    Type: AWS::Lambda::Function
    Properties: {Runtime: go1.x, Handler: main, Role: r, Code: {ZipFile: x}}
");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("X86 runs on x86_64:"), "{found:?}");
    }

    #[test]
    fn lambda_at_edge_and_custom_resource_handlers_are_left_out() {
        let found = codes("
Transform: AWS::Serverless-2016-10-31
Resources:
  EdgeFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: a.h, CodeUri: a/, AutoPublishAlias: live}
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        DefaultCacheBehavior:
          LambdaFunctionAssociations:
            - {EventType: viewer-request, LambdaFunctionARN: !Ref EdgeFn.Version}
  Helper:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: a.h, CodeUri: h/}
  Setup:
    Type: Custom::Setup
    Properties: {ServiceToken: !GetAtt Helper.Arn}
");
        assert!(found.is_empty(), "{found:?}");
    }
}
