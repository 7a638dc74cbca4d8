use crate::declare_rule;
use crate::rules::apigateway::common::{REST_TYPES, api_label};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::template::Resource;
use crate::template::resolve::Resolved;

declare_rule! {
    /// ## What it does
    /// Flags REST APIs whose endpoint is edge-optimized, whether chosen explicitly
    /// (`EndpointConfiguration` `EDGE`) or by default: both `AWS::ApiGateway::RestApi` and
    /// `AWS::Serverless::Api` (including the implicit `ServerlessRestApi`) are EDGE when no
    /// endpoint type is given.
    ///
    /// ## Why is this bad?
    /// An edge-optimized API sends every request through an API Gateway-managed CloudFront
    /// distribution that does not cache responses. For callers in or near the API's region
    /// (backends, other AWS services, a user base in one geography) that is an extra hop and TLS
    /// termination for nothing; a REGIONAL endpoint answers them directly. If the API is already
    /// behind your own CloudFront distribution, EDGE puts two CloudFront layers in the path.
    /// Keep EDGE only for clients spread around the world without your own CDN in front.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Api:
    ///     Type: AWS::ApiGateway::RestApi
    ///     Properties:
    ///       Name: orders
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Api:
    ///     Type: AWS::ApiGateway::RestApi
    ///     Properties:
    ///       Name: orders
    ///       EndpointConfiguration:
    ///         Types: [REGIONAL]
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html
    /// - https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-api.html#sam-api-endpointconfiguration
    pub EdgeOptimizedEndpoint {
        code: "APIGW-002",
        name: "edge-optimized-endpoint",
        severity: Low,
        pillar: Performance,
        symptoms: ["high-api-latency"],
        remedies: ["apigw-regional-endpoint"],
    }
}

/// The endpoint type: `Some(("EDGE", explicit))`, `Some((other, _))`, or `None` when unknown.
fn endpoint_type(ctx: &Ctx<'_>, api: &Resource) -> Option<(String, bool)> {
    if api.type_name == "AWS::Serverless::Api" {
        return match ctx.value(api, &["EndpointConfiguration"]) {
            Prop::Absent => Some(("EDGE".into(), false)),
            Prop::Known(Resolved::Str(s), _) => Some((s.to_ascii_uppercase(), true)),
            Prop::Known(Resolved::Map, _) => match ctx.str(api, &["EndpointConfiguration", "Type"]) {
                Prop::Absent => Some(("EDGE".into(), false)),
                Prop::Known(s, _) => Some((s.to_ascii_uppercase(), true)),
                Prop::Unknown(_) => None,
            },
            _ => None,
        };
    }
    // Importing an OpenAPI definition can set the type through `Parameters`.
    if let Some(s) = ctx.str(api, &["Parameters", "endpointConfigurationTypes"]).known() {
        return Some((s.to_ascii_uppercase(), true));
    }
    match ctx.list(api, &["EndpointConfiguration", "Types"]) {
        Prop::Absent => Some(("EDGE".into(), false)),
        Prop::Known(items, _) => {
            let types: Option<Vec<String>> = items.iter().map(Resolved::text).collect();
            let types = types?;
            if types.is_empty() {
                Some(("EDGE".into(), false))
            } else if types.iter().any(|t| t.eq_ignore_ascii_case("EDGE")) {
                Some(("EDGE".into(), true))
            } else {
                Some((types[0].to_ascii_uppercase(), true))
            }
        }
        Prop::Unknown(_) => None,
    }
}

impl EdgeOptimizedEndpoint {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for api in ctx.resources(REST_TYPES) {
            let Some((kind, explicit)) = endpoint_type(ctx, api) else { continue };
            if kind != "EDGE" {
                continue;
            }
            let sam = api.type_name == "AWS::Serverless::Api";
            let cdn: Vec<&str> = ctx
                .arch
                .edges_to(&api.id)
                .filter(|e| ctx.type_of(&e.from) == "AWS::CloudFront::Distribution")
                .map(|e| e.from.as_str())
                .collect();
            let how = if explicit { "is edge-optimized (EndpointConfiguration EDGE)".to_string() } else { "has no EndpointConfiguration, so it is edge-optimized (the default)".to_string() };
            let tail = match cdn.first() {
                Some(d) => format!("; it is already behind CloudFront distribution {d}, so requests cross two CloudFront layers"),
                None => "; for clients in or near its region, a REGIONAL endpoint avoids the extra CloudFront hop".to_string(),
            };
            let path: &[&str] = if sam { &["EndpointConfiguration"] } else { &["EndpointConfiguration", "Types"] };
            let mut d = ctx.diag(api, path, format!("{} {how}{tail}", api_label(api)));
            d.evidence.push(format!("EndpointConfiguration = EDGE{}", if explicit { "" } else { " (default)" }));
            if let Some(dist) = cdn.first() {
                d.evidence.push(format!("referenced by {dist} (AWS::CloudFront::Distribution)"));
            }
            d.fix = Some(match (sam, api.implicit) {
                (true, true) => Fix::new(
                    "Make the implicit API regional through the Api globals",
                    "Globals:\n  Api:\n    EndpointConfiguration: REGIONAL",
                ),
                (true, false) => Fix::new("Use a regional endpoint", "EndpointConfiguration:\n  Type: REGIONAL"),
                _ => Fix::new("Use a regional endpoint", "EndpointConfiguration:\n  Types: [REGIONAL]"),
            });
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "APIGW-002").map(|f| f.resource.unwrap_or_default()).collect()
    }

    const IMPLICIT: &str = "
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get}}
";

    #[test]
    fn implicit_api_is_edge_by_default_and_regional_through_globals() {
        assert_eq!(found(IMPLICIT), vec!["ServerlessRestApi".to_string()]);
        let regional = IMPLICIT.replace("Resources:", "Globals:\n  Api:\n    EndpointConfiguration: REGIONAL\nResources:");
        assert!(found(&regional).is_empty(), "Globals Api EndpointConfiguration REGIONAL applies to the implicit API");
        let map_form = IMPLICIT.replace("Resources:", "Globals:\n  Api:\n    EndpointConfiguration: {Type: PRIVATE}\nResources:");
        assert!(found(&map_form).is_empty());
    }

    #[test]
    fn unknown_endpoint_type_is_not_reported() {
        let t = "
Parameters:
  Kind: {Type: String}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: a
      EndpointConfiguration: {Types: [!Ref Kind]}
";
        assert!(found(t).is_empty());
    }
}
