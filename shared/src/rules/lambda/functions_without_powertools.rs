use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::yaml::Node;

use super::common;

/// From this many functions on, shared conventions for logs, metrics and traces pay off.
const MIN_FUNCTIONS: usize = 3;

/// Runtimes a maintained Powertools for AWS Lambda release supports (Python 3.8+, Node.js 16+,
/// Java, .NET 6+); functions on older runtimes have bigger problems first.
fn supported(runtime: &str) -> bool {
    let version = |prefix: &str| -> Option<u32> {
        let rest = runtime.strip_prefix(prefix)?;
        rest.split(|c: char| !c.is_ascii_digit()).find(|p| !p.is_empty())?.parse().ok()
    };
    if let Some(minor) = runtime.strip_prefix("python3.").and_then(|m| m.parse::<u32>().ok()) {
        return minor >= 8;
    }
    if runtime.starts_with("java") {
        return true;
    }
    if let Some(v) = version("nodejs") {
        return v >= 16;
    }
    version("dotnet").is_some_and(|v| v >= 6)
}

declare_rule! {
    /// ## What it does
    /// Points out templates with three or more functions on Python 3.8+, Node.js 16+, Java or .NET 6+
    /// where no function shows a sign of Powertools for AWS Lambda: no Powertools layer
    /// (`AWSLambdaPowertools...`) and no `POWERTOOLS_*` environment variable (such as
    /// `POWERTOOLS_SERVICE_NAME`). Reported once per template. Powertools may also be a
    /// package dependency, which a template cannot show; then this can be ignored.
    ///
    /// ## Why is this bad?
    /// Without a shared toolkit each function logs, measures and traces in its own way:
    /// unstructured log lines that Logs Insights cannot query by field, no correlation id
    /// between functions, custom metrics written with synchronous `PutMetricData` calls, and
    /// hand-written idempotency and batch-failure handling. Powertools gives structured JSON
    /// logs with the request id and cold-start flag, metrics in embedded metric format (no
    /// API calls), X-Ray tracing helpers, idempotency and partial batch responses.
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
    ///     Environment:
    ///       Variables:
    ///         POWERTOOLS_SERVICE_NAME: orders
    ///         POWERTOOLS_METRICS_NAMESPACE: Shop
    /// Resources:
    ///   CreateOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: create/}}
    ///   GetOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: get/}}
    ///   ShipOrder: {Type: AWS::Serverless::Function, Properties: {CodeUri: ship/}}
    /// ```
    ///
    /// ## References
    /// - https://docs.powertools.aws.dev/lambda/python/latest/
    /// - https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html
    pub FunctionsWithoutPowertools {
        code: "LAMBDA-017",
        name: "functions-without-powertools",
        severity: Info,
        pillar: Operations,
        symptoms: ["missing-observability"],
        remedies: ["lambda-powertools"],
    }
}

impl FunctionsWithoutPowertools {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let mut functions = Vec::new();
        for r in ctx.functions() {
            match common::has_layer(ctx, r, &["powertools"]) {
                Some(true) | None => return,
                Some(false) => {}
            }
            if has_powertools_variable(ctx, r) {
                return;
            }
            let f = ctx.function(r);
            let Some(runtime) = f.runtime.known() else { continue };
            if supported(runtime) && !common::is_control_plane_function(ctx, r) {
                functions.push((r, runtime.clone()));
            }
        }
        if functions.len() < MIN_FUNCTIONS {
            return;
        }
        let (first, _) = functions[0];
        let mut runtimes: Vec<&str> = functions.iter().map(|(_, rt)| rt.as_str()).collect();
        runtimes.sort_unstable();
        runtimes.dedup();
        let mut d = ctx.template_diag(
            format!(
                "None of the template's {} {} functions shows Powertools for AWS Lambda (no Powertools layer, no POWERTOOLS_* variable): unless it is a package dependency, logs are unstructured, metrics and traces are hand-written, and requests cannot be followed across functions",
                functions.len(),
                runtimes.join("/")
            ),
            first.pos,
        );
        d.evidence.push(format!("{} functions on {}", functions.len(), runtimes.join(", ")));
        d.evidence.push("no layer ARN containing Powertools, no POWERTOOLS_SERVICE_NAME variable".into());
        let vars = "Environment:\n  Variables:\n    POWERTOOLS_SERVICE_NAME: my-service\n    POWERTOOLS_METRICS_NAMESPACE: MyApp\n    POWERTOOLS_LOG_LEVEL: INFO".to_string();
        let yaml = if ctx.template.is_sam && functions.iter().all(|(r, _)| r.is_sam_function()) {
            format!("Globals:\n  Function:\n{}", vars.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n"))
        } else {
            vars
        };
        d.fix = Some(Fix::new(
            "Add Powertools (the published layer for your runtime, or a package dependency) and configure it once for all functions",
            yaml,
        ));
        out.push(d);
    }
}

fn has_powertools_variable(ctx: &Ctx<'_>, r: &crate::template::Resource) -> bool {
    let Some(vars) = ctx.resolver.path(&r.properties, &["Environment", "Variables"]).and_then(Node::as_map) else { return false };
    vars.iter().any(|(k, _)| k.name.starts_with("POWERTOOLS_"))
}
