use crate::declare_rule;
use crate::rules::apigateway::common::{api_label, rest_apis};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

declare_rule! {
    /// ## What it does
    /// Flags REST API stages without X-Ray tracing: `TracingEnabled` not `true` on an
    /// `AWS::Serverless::Api` (including the implicit `ServerlessRestApi`), an
    /// `AWS::ApiGateway::Stage`, or the `StageDescription` of a deployment that creates its stage.
    ///
    /// ## Why is this bad?
    /// Without tracing on the stage, a trace starts at the backend, if at all: the time spent in
    /// API Gateway (authorizers, mapping, integration latency) is invisible, and requests cannot be
    /// followed from the client through API Gateway into Lambda and downstream services. When a
    /// latency or error problem appears there is no service map to show where it sits. X-Ray is
    /// billed per trace recorded and sampled (by default the first request each second and 5 % of
    /// the rest).
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Api:
    ///     Type: AWS::Serverless::Api
    ///     Properties:
    ///       StageName: prod
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Api:
    ///     Type: AWS::Serverless::Api
    ///     Properties:
    ///       StageName: prod
    ///       TracingEnabled: true
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/xray/latest/devguide/xray-services-apigateway.html
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-xray.html
    pub RestApiWithoutTracing {
        code: "APIGW-007",
        name: "rest-api-without-tracing",
        severity: Low,
        pillar: Operations,
        symptoms: ["missing-observability"],
        remedies: ["lambda-xray-tracing"],
    }
}

impl RestApiWithoutTracing {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for a in &rest_apis(ctx).apis {
            for s in &a.stages {
                let tracing = ctx.bool(s.res, &s.path(&["TracingEnabled"]));
                let value = match &tracing {
                    Prop::Absent => "not set, default false",
                    Prop::Known(false, _) => "false",
                    _ => continue,
                };
                let subject = if s.res.id == a.api.id { api_label(a.api) } else { format!("Stage {} of {}", s.label(), a.api.id) };
                let mut d = ctx.diag(s.res, &s.path(&["TracingEnabled"]), format!(
                    "{subject} has no X-Ray tracing (TracingEnabled {value}), so time spent in API Gateway and the path into the backend never appear in traces"
                ));
                d.evidence.push(format!("{}: TracingEnabled {value}", s.label()));
                d.fix = Some(if a.api.implicit {
                    Fix::new("Trace the implicit API through the Api globals", "Globals:\n  Api:\n    TracingEnabled: true")
                } else if s.prefix.is_empty() {
                    Fix::new("Turn on active tracing for the stage", "TracingEnabled: true")
                } else {
                    Fix::new("Turn on active tracing for the stage the deployment creates", "StageDescription:\n  TracingEnabled: true")
                });
                out.push(d);
            }
        }
    }
}
