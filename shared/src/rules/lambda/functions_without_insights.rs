use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common;

/// From this many functions on, per-function telemetry is worth a template-wide look.
const MIN_FUNCTIONS: usize = 3;

declare_rule! {
    /// ## What it does
    /// Points out templates with three or more zip-packaged functions (custom resource
    /// handlers aside) where none has the CloudWatch Lambda Insights extension layer
    /// (`LambdaInsightsExtension`). Reported once per template.
    ///
    /// ## Why is this bad?
    /// The standard Lambda metrics show invocations, duration, errors and throttles, but not
    /// how much memory and CPU a function uses or how long its cold starts take. Without
    /// those figures memory sizes are guesses: over-provisioned functions cost more than
    /// needed, under-provisioned ones run slowly or run out of memory. Lambda Insights records
    /// them per invocation. It is billed as CloudWatch metrics and logs, so enabling it on the
    /// functions that matter (or for a measuring period) is a trade-off, not a must.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Globals:
    ///   Function:
    ///     Runtime: python3.12
    ///     Handler: app.handler
    /// Resources:
    ///   CreateOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: create/}}
    ///   GetOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: get/}}
    ///   ShipOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: ship/}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Globals:
    ///   Function:
    ///     Runtime: python3.12
    ///     Handler: app.handler
    ///     Layers:
    ///       - !Sub arn:aws:lambda:${AWS::Region}:580247275435:layer:LambdaInsightsExtension:14
    /// Resources:
    ///   CreateOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: create/}}
    ///   GetOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: get/}}
    ///   ShipOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: ship/}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Lambda-Insights.html
    /// - https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Lambda-Insights-extension-versions.html
    pub FunctionsWithoutInsights {
        code: "LAMBDA-016",
        name: "functions-without-lambda-insights",
        severity: Info,
        pillar: Operations,
        symptoms: ["missing-observability", "lambda-memory-overprovisioned"],
        remedies: ["lambda-insights", "lambda-powertools"],
    }
}

impl FunctionsWithoutInsights {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let mut functions = Vec::new();
        for r in ctx.functions() {
            match common::has_layer(ctx, r, &["LambdaInsightsExtension"]) {
                Some(true) | None => return,
                Some(false) => {}
            }
            if !ctx.function(r).is_image && !common::is_control_plane_function(ctx, r) {
                functions.push(r);
            }
        }
        if functions.len() < MIN_FUNCTIONS {
            return;
        }
        let first = functions[0];
        let arm = ctx.function(first).is_arm64() == Some(true);
        let names: Vec<&str> = functions.iter().take(4).map(|r| r.id.as_str()).collect();
        let more = if functions.len() > names.len() { format!(", ... ({} in all)", functions.len()) } else { String::new() };
        let mut d = ctx.template_diag(
            format!(
                "None of the template's {} functions ({}{more}) has the Lambda Insights extension, so their memory use, CPU time and cold-start durations are not recorded and memory sizes cannot be set from data",
                functions.len(),
                names.join(", ")
            ),
            first.pos,
        );
        d.evidence.push(format!("{} zip-packaged functions, none with a LambdaInsightsExtension layer", functions.len()));
        let layer = if arm { "LambdaInsightsExtension-Arm64:5" } else { "LambdaInsightsExtension:14" };
        let yaml = if ctx.template.is_sam && functions.iter().all(|r| r.is_sam_function()) {
            format!(
                "Globals:\n  Function:\n    Layers:\n      # pick the current version for your region and architecture\n      - !Sub arn:aws:lambda:${{AWS::Region}}:580247275435:layer:{layer}\n# and on each function's Policies: CloudWatchLambdaInsightsExecutionRolePolicy"
            )
        } else {
            format!(
                "Layers:\n  # pick the current version for your region and architecture\n  - !Sub arn:aws:lambda:${{AWS::Region}}:580247275435:layer:{layer}\n# and attach arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy to the role"
            )
        };
        d.fix = Some(Fix::new(
            "Add the Lambda Insights layer (and its managed policy) to the functions whose memory and cold starts you want to tune",
            yaml,
        ));
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> usize {
        analyze(text, &Default::default()).unwrap().findings.iter().filter(|f| f.rule == "LAMBDA-016").count()
    }

    const FUNCTIONS: &str = "
  A: {Type: AWS::Serverless::Function, Properties: {CodeUri: a/}}
  B: {Type: AWS::Serverless::Function, Properties: {CodeUri: b/}}
  C: {Type: AWS::Serverless::Function, Properties: {CodeUri: c/}}
";

    #[test]
    fn a_layer_from_a_parameter_without_default_may_be_insights() {
        let text = format!("
Transform: AWS::Serverless-2016-10-31
Parameters:
  ExtraLayer: {{Type: String}}
Globals:
  Function:
    Runtime: python3.12
    Handler: a.h
    Layers: [!Ref ExtraLayer]
Resources:{FUNCTIONS}");
        assert_eq!(found(&text), 0);
    }

    #[test]
    fn a_parameter_default_or_a_local_layer_is_visible() {
        let text = format!("
Transform: AWS::Serverless-2016-10-31
Parameters:
  InsightsArn: {{Type: String, Default: 'arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:14'}}
Globals:
  Function:
    Runtime: python3.12
    Handler: a.h
Resources:{FUNCTIONS}  D: {{Type: AWS::Serverless::Function, Properties: {{CodeUri: d/, Layers: [!Ref InsightsArn]}}}}
");
        assert_eq!(found(&text), 0);
        let text = format!("
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: a.h
    Layers: [!Ref Deps]
Resources:{FUNCTIONS}  Deps: {{Type: AWS::Serverless::LayerVersion, Properties: {{ContentUri: deps/}}}}
");
        assert_eq!(found(&text), 1);
    }
}
