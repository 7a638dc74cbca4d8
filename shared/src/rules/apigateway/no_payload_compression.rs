use crate::declare_rule;
use crate::rules::apigateway::common::{api_label, rest_apis, scan_body};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

declare_rule! {
    /// ## What it does
    /// Flags REST APIs (`AWS::ApiGateway::RestApi`, `AWS::Serverless::Api`, including the
    /// implicit `ServerlessRestApi`) without `MinimumCompressionSize`, which leaves payload
    /// compression off.
    ///
    /// ## Why is this bad?
    /// Without it API Gateway never compresses a response, so large JSON or XML bodies travel
    /// uncompressed even to clients that send `Accept-Encoding: gzip`. Text payloads usually
    /// shrink several times, which shortens transfer time (most on mobile or slow links) and data
    /// transfer out. API Gateway does the encoding, so the backend does not change. Use a
    /// threshold around 1 KB rather than 0: compressing tiny bodies costs more than it saves.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Api:
    ///     Type: AWS::ApiGateway::RestApi
    ///     Properties:
    ///       Name: catalog
    ///       EndpointConfiguration: {Types: [REGIONAL]}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Api:
    ///     Type: AWS::ApiGateway::RestApi
    ///     Properties:
    ///       Name: catalog
    ///       EndpointConfiguration: {Types: [REGIONAL]}
    ///       MinimumCompressionSize: 1024
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gzip-compression-decompression.html
    /// - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-restapi.html
    pub NoPayloadCompression {
        code: "APIGW-004",
        name: "no-payload-compression",
        severity: Low,
        pillar: Performance,
        symptoms: ["large-payloads", "high-api-latency"],
        remedies: ["apigw-compression", "reduce-payload-size"],
    }
}

impl NoPayloadCompression {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for a in &rest_apis(ctx).apis {
            let api = a.api;
            if !ctx.num(api, &["MinimumCompressionSize"]).is_absent() {
                continue;
            }
            let body = scan_body(ctx, api);
            if body.opaque || body.extensions.iter().any(|(k, _)| k == "x-amazon-apigateway-minimum-compression-size") {
                continue;
            }
            if matches!(ctx.value(api, &["MinimumCompressionSize"]), Prop::Unknown(_)) {
                continue;
            }
            let mut d = ctx.diag(api, &["MinimumCompressionSize"], format!(
                "{} has no MinimumCompressionSize, so compression is off and every response is sent uncompressed, even to clients that accept gzip",
                api_label(api)
            ));
            d.evidence.push("MinimumCompressionSize not set (compression disabled)".into());
            d.fix = Some(if api.implicit {
                Fix::new("Compress responses above 1 KB through the Api globals", "Globals:\n  Api:\n    MinimumCompressionSize: 1024")
            } else {
                Fix::new("Compress responses larger than about 1 KB", "MinimumCompressionSize: 1024")
            });
            out.push(d);
        }
    }
}
