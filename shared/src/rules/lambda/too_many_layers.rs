use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common;

/// Lambda's limit of layers per function.
const MAX_LAYERS: usize = 5;

declare_rule! {
    /// ## What it does
    /// Flags functions with more than five layers, counting the layers SAM adds from
    /// `Globals` (global layers come first, then the function's own).
    ///
    /// ## Why is this bad?
    /// Lambda accepts at most five layers per function. With a sixth, creating or updating
    /// the function fails and the whole stack update rolls back. Layers that depend on a
    /// condition the template cannot decide are not counted.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Globals:
    ///   Function:
    ///     Layers:
    ///       - arn:aws:lambda:eu-west-1:123456789012:layer:logging:3
    ///       - arn:aws:lambda:eu-west-1:123456789012:layer:tracing:2
    /// Resources:
    ///   Report:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       Layers:
    ///         - arn:aws:lambda:eu-west-1:123456789012:layer:pandas:7
    ///         - arn:aws:lambda:eu-west-1:123456789012:layer:numpy:5
    ///         - arn:aws:lambda:eu-west-1:123456789012:layer:pdf:1
    ///         - arn:aws:lambda:eu-west-1:123456789012:layer:fonts:1
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Globals:
    ///   Function:
    ///     Layers:
    ///       - arn:aws:lambda:eu-west-1:123456789012:layer:observability:4
    /// Resources:
    ///   Report:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       Layers:
    ///         - arn:aws:lambda:eu-west-1:123456789012:layer:report-deps:2
    ///         - arn:aws:lambda:eu-west-1:123456789012:layer:fonts:1
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    pub TooManyLayers {
        code: "LAMBDA-008",
        name: "too-many-layers",
        severity: High,
        pillar: Reliability,
        symptoms: [],
        remedies: ["lambda-layers"],
    }
}

impl TooManyLayers {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let Some(layers) = common::layers(ctx, r) else { continue };
            let n = layers.certain.len();
            if n <= MAX_LAYERS {
                continue;
            }
            let from_globals = if r.is_sam_function() {
                // Merged global entries keep their own position, above the function.
                layers.certain.iter().filter(|l| l.span.start.line < r.pos.line).count()
            } else {
                0
            };
            let globals = if from_globals > 0 { format!(" ({from_globals} of them from Globals)") } else { String::new() };
            let mut d = ctx.diag(r, &["Layers"], format!(
                "{} has {n} layers{globals}; Lambda allows at most {MAX_LAYERS} per function, so creating or updating it fails and the stack rolls back",
                r.id
            ));
            d.evidence.push(format!("Layers: {n} entries after merging Globals (limit {MAX_LAYERS})"));
            if layers.maybe > 0 {
                d.evidence.push(format!("{} more layer(s) depend on a condition", layers.maybe));
            }
            d.fix = Some(Fix::new(
                "Merge the dependencies of several layers into one (or package them with the function, or use a container image) to stay within five layers",
                "Layers:\n  - !Ref SharedDependenciesLayer   # one layer built from the combined dependencies",
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    #[test]
    fn layers_on_a_false_or_unknown_condition_are_not_counted() {
        let text = "
Parameters:
  Env: {Type: String}
Conditions:
  Never: !Equals [a, b]
  Maybe: !Equals [!Ref Env, prod]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Role: r
      Code: {ZipFile: x}
      Layers:
        - arn:aws:lambda:eu-west-1:1:layer:a:1
        - arn:aws:lambda:eu-west-1:1:layer:b:1
        - arn:aws:lambda:eu-west-1:1:layer:c:1
        - arn:aws:lambda:eu-west-1:1:layer:d:1
        - arn:aws:lambda:eu-west-1:1:layer:e:1
        - !If [Never, arn:aws:lambda:eu-west-1:1:layer:f:1, !Ref AWS::NoValue]
        - !If [Maybe, arn:aws:lambda:eu-west-1:1:layer:g:1, !Ref AWS::NoValue]
";
        let report = analyze(text, &Default::default()).unwrap();
        assert!(!report.findings.iter().any(|f| f.rule == "LAMBDA-008"));
    }
}
