use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

declare_rule! {
    /// ## What it does
    /// Flags SAM functions whose `CodeUri` is the project directory (`.` or `./`) or missing
    /// (`sam build` and `sam package` then use the template's directory), and CloudFormation
    /// functions packaged with `aws cloudformation package` from `Code: .`. Functions with
    /// `InlineCode`, a container image, or a `Metadata.BuildMethod` (esbuild, makefile, ...) that
    /// decides what is bundled are left out.
    ///
    /// ## Why is this bad?
    /// The whole directory becomes the deployment package: the template, tests, documentation,
    /// other functions' code and anything else lying around. Lambda downloads and unpacks the
    /// package on every cold start, so a bigger package means a slower start, and every
    /// function in the project ships every other function's code. Point each function at its
    /// own source folder, and share common code through a layer.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Api:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: .
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Api:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: functions/api/
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html#sam-function-codeuri
    /// - https://docs.aws.amazon.com/lambda/latest/dg/best-practices.html
    pub CodeUriWholeProject {
        code: "LAMBDA-009",
        name: "code-uri-packages-whole-project",
        severity: Low,
        pillar: Performance,
        symptoms: ["lambda-cold-starts"],
        remedies: ["lambda-small-package", "lambda-layers"],
    }
}

fn is_project_dir(path: &str) -> bool {
    matches!(path.trim(), "." | "./" | ".\\")
}

impl CodeUriWholeProject {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let f = ctx.function(r);
            if f.is_image {
                continue;
            }
            let sam = r.is_sam_function();
            let key = if sam { "CodeUri" } else { "Code" };
            let observed = match ctx.value(r, &[key]) {
                Prop::Known(v, _) => match v.as_str() {
                    Some(p) if is_project_dir(p) => format!("{key}: {}", p.trim()),
                    _ => continue,
                },
                Prop::Absent if sam => {
                    if r.properties.get("InlineCode").is_some() || r.properties.get("ImageUri").is_some() {
                        continue;
                    }
                    "no CodeUri".to_string()
                }
                _ => continue,
            };
            // A build method (esbuild bundles entry points only; a makefile decides itself).
            if r.metadata.as_ref().and_then(|m| m.get("BuildMethod")).is_some() {
                continue;
            }
            let how = if observed == "no CodeUri" {
                "has no CodeUri, so sam build/package bundles the template's whole directory"
            } else {
                "packages the template's whole directory"
            };
            let mut d = ctx.diag(r, &[key], format!(
                "{} {how} ({observed}): tests, docs and other functions' code ship in its deployment package, which Lambda downloads and unpacks on every cold start",
                r.id
            ));
            d.evidence.push(observed);
            d.evidence.push("no InlineCode, ImageUri or Metadata.BuildMethod".into());
            d.fix = Some(Fix::new(
                "Give the function its own source folder containing only its handler and dependencies; move shared code to a layer",
                format!("{key}: functions/{}/", r.id.to_ascii_lowercase()),
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "LAMBDA-009").map(|f| f.resource.unwrap_or_default()).collect()
    }

    #[test]
    fn missing_code_uri_counts_unless_inline_image_or_build_method() {
        let f = found("
Transform: AWS::Serverless-2016-10-31
Resources:
  Missing: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.12, Handler: a.h}}
  Inline: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.12, Handler: a.h, InlineCode: x}}
  Image: {Type: AWS::Serverless::Function, Properties: {PackageType: Image, ImageUri: repo:tag}}
  Bundled:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: esbuild}
    Properties: {Runtime: nodejs20.x, Handler: app.handler, CodeUri: ./}
  S3:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: a.h, CodeUri: {Bucket: b, Key: k}}
");
        assert_eq!(f, ["Missing"]);
    }
}
