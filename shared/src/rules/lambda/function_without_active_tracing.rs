use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

use super::common;

declare_rule! {
    /// ## What it does
    /// Flags functions without X-Ray active tracing: `Tracing: Active` in SAM (also settable in
    /// `Globals`), `TracingConfig: {Mode: Active}` in CloudFormation. The default is
    /// `PassThrough`, which only traces requests that arrive with a sampled trace header.
    ///
    /// ## Why is this bad?
    /// When a request is slow, metrics show that it is slow but not where the time goes: the
    /// cold start, the handler, a DynamoDB call or a third-party API. An X-Ray trace shows each
    /// hop as a segment, so the bottleneck is visible at once. Sampling keeps the cost and the
    /// overhead small (the first request each second and 5 % of the rest). Custom resource
    /// handlers are left out.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Checkout:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: nodejs20.x
    ///       Handler: index.handler
    ///       CodeUri: src/
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Globals:
    ///   Function:
    ///     Tracing: Active
    /// Resources:
    ///   Checkout:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: nodejs20.x
    ///       Handler: index.handler
    ///       CodeUri: src/
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
    /// - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-tracingconfig.html
    pub FunctionWithoutActiveTracing {
        code: "LAMBDA-006",
        name: "function-without-active-tracing",
        severity: Low,
        pillar: Operations,
        symptoms: ["missing-observability"],
        remedies: ["lambda-xray-tracing", "lambda-powertools"],
    }
}

impl FunctionWithoutActiveTracing {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let f = ctx.function(r);
            let mode = match &f.tracing {
                Prop::Unknown(_) => continue,
                Prop::Known(m, _) if m == "Active" => continue,
                Prop::Known(m, _) => m.clone(),
                Prop::Absent => "PassThrough".to_string(),
            };
            if common::is_control_plane_function(ctx, r) {
                continue;
            }
            let sam = r.is_sam_function();
            let (path, prop): (&[&str], &str) = if sam { (&["Tracing"], "Tracing") } else { (&["TracingConfig", "Mode"], "TracingConfig.Mode") };
            let mut d = ctx.diag(r, path, format!(
                "{} has {prop} {mode}{}: X-Ray records no trace of its invocations unless the caller already sampled them, so slow downstream calls and cold starts cannot be located",
                r.id,
                if f.tracing.is_absent() { " (the default)" } else { "" }
            ));
            d.evidence.push(format!("{prop} = {mode}{}", if f.tracing.is_absent() { " (not set)" } else { "" }));
            d.fix = Some(if sam {
                Fix::new("Turn on active tracing (SAM adds the X-Ray write permissions); set it once under Globals.Function for all functions", "Tracing: Active")
            } else {
                Fix::new(
                    "Turn on active tracing and grant the role xray:PutTraceSegments and xray:PutTelemetryRecords (AWSXRayDaemonWriteAccess)",
                    "TracingConfig:\n  Mode: Active",
                )
            });
            out.push(d);
        }
    }
}
