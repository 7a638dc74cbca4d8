use crate::declare_rule;
use crate::rules::apigateway::common::{self, RestApi, bool_at, entries, items, rest_apis, scan_body, str_at};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::template::resolve::Resolved;

declare_rule! {
    /// ## What it does
    /// Flags REST APIs (`AWS::ApiGateway::RestApi`, `AWS::Serverless::Api`, including the
    /// implicit `ServerlessRestApi`) that use none of the features only REST APIs have, so an
    /// HTTP API would serve the same routes for less.
    ///
    /// ## Why is this bad?
    /// An HTTP API costs $1.00 per million requests against $3.50 for a REST API (first tier,
    /// us-east-1), about 70 % less, and adds less latency per request. The saving is only real
    /// when nothing REST-only is in use, so the rule stays silent when the template shows any of:
    /// usage plans or API keys, stage caching, request validators or models, a WAF web ACL
    /// association, an explicitly chosen EDGE or PRIVATE endpoint, a resource policy, VTL mapping
    /// templates, AWS service, HTTP or mock (non-proxy) integrations, canary settings, X-Ray
    /// tracing, gateway responses, payload compression, client certificates or integration
    /// timeouts above 30 s. Migrating changes the endpoint URL and the Lambda event format
    /// (payload 2.0), so clients and handlers must be tested.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Orders:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         List: {Type: Api, Properties: {Path: /orders, Method: get}}
    ///         Create: {Type: Api, Properties: {Path: /orders, Method: post}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Orders:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Events:
    ///         List: {Type: HttpApi, Properties: {Path: /orders, Method: get}}
    ///         Create: {Type: HttpApi, Properties: {Path: /orders, Method: post}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html
    /// - https://aws.amazon.com/api-gateway/pricing/
    pub RestApiWhereHttpApiWouldDo {
        code: "APIGW-001",
        name: "rest-api-where-http-api-would-do",
        severity: Low,
        pillar: Cost,
        symptoms: ["high-api-latency"],
        remedies: ["apigw-http-api"],
    }
}

/// A feature counts when it is on, or when the template cannot tell (unknown value).
fn on(p: &Prop<bool>) -> bool {
    matches!(p, Prop::Known(true, _) | Prop::Unknown(_))
}

fn push(out: &mut Vec<String>, s: String) {
    if !out.contains(&s) {
        out.push(s);
    }
}

/// The REST-only features the API is seen to use.
pub(crate) fn blockers(ctx: &Ctx<'_>, a: &RestApi<'_>, unattributed: &[&crate::template::Resource]) -> Vec<String> {
    let mut b = Vec::new();
    let api = a.api;
    let sam = a.is_sam();

    // Endpoint type: EDGE (explicitly) or PRIVATE; unknown counts as chosen.
    let endpoint: Prop<Vec<String>> = if sam {
        match ctx.value(api, &["EndpointConfiguration"]) {
            Prop::Known(Resolved::Str(s), p) => Prop::Known(vec![s], p),
            Prop::Known(Resolved::Map, _) => match ctx.str(api, &["EndpointConfiguration", "Type"]) {
                Prop::Known(s, p) => Prop::Known(vec![s], p),
                Prop::Unknown(p) => Prop::Unknown(p),
                Prop::Absent => Prop::Absent,
            },
            Prop::Known(_, p) | Prop::Unknown(p) => Prop::Unknown(p),
            Prop::Absent => Prop::Absent,
        }
    } else {
        match ctx.list(api, &["EndpointConfiguration", "Types"]) {
            Prop::Known(items, p) => match items.iter().map(Resolved::text).collect::<Option<Vec<_>>>() {
                Some(v) => Prop::Known(v, p),
                None => Prop::Unknown(p),
            },
            Prop::Unknown(p) => Prop::Unknown(p),
            Prop::Absent => Prop::Absent,
        }
    };
    match &endpoint {
        Prop::Known(types, _) => {
            for t in types.iter().filter(|t| t.eq_ignore_ascii_case("EDGE") || t.eq_ignore_ascii_case("PRIVATE")) {
                push(&mut b, format!("{} endpoint", t.to_ascii_uppercase()));
            }
        }
        Prop::Unknown(_) => push(&mut b, "endpoint type set from a parameter".into()),
        Prop::Absent => {}
    }
    if ctx.node(api, &["EndpointConfiguration", "VpcEndpointIds"]).is_some() || ctx.node(api, &["EndpointConfiguration", "VPCEndpointIds"]).is_some() {
        push(&mut b, "PRIVATE endpoint".into());
    }
    if sam {
        if on(&ctx.bool(api, &["Auth", "ApiKeyRequired"])) {
            push(&mut b, "API keys (Auth.ApiKeyRequired)".into());
        }
        if ctx.node(api, &["Auth", "UsagePlan"]).is_some() {
            match ctx.str(api, &["Auth", "UsagePlan", "CreateUsagePlan"]).known() {
                Some(s) if s == "NONE" => {}
                _ => push(&mut b, "usage plan (Auth.UsagePlan)".into()),
            }
        }
        if ctx.node(api, &["Auth", "ResourcePolicy"]).is_some() {
            push(&mut b, "resource policy (Auth.ResourcePolicy)".into());
        }
        for (key, what) in [("Models", "models"), ("GatewayResponses", "gateway responses")] {
            if ctx.node(api, &[key]).is_some() {
                push(&mut b, format!("{what} ({key})"));
            }
        }
        if ctx.str(api, &["Domain", "EndpointConfiguration"]).known().is_some_and(|s| s == "EDGE") {
            push(&mut b, "edge-optimized custom domain".into());
        }
    } else if ctx.node(api, &["Policy"]).is_some() {
        push(&mut b, "resource policy (Policy)".into());
    }
    if ctx.node(api, &["ApiKeySourceType"]).is_some() {
        push(&mut b, "API keys (ApiKeySourceType)".into());
    }
    if ctx.node(api, &["MinimumCompressionSize"]).is_some() {
        push(&mut b, "payload compression (MinimumCompressionSize)".into());
    }

    // Stage settings.
    for s in &a.stages {
        let r = s.res;
        if on(&ctx.bool(r, &s.path(&["CacheClusterEnabled"]))) {
            push(&mut b, "stage cache (CacheClusterEnabled)".into());
        }
        if on(&ctx.bool(r, &s.path(&["CachingEnabled"]))) {
            push(&mut b, "caching (CachingEnabled)".into());
        }
        if on(&ctx.bool(r, &s.path(&["TracingEnabled"]))) {
            push(&mut b, "X-Ray tracing (TracingEnabled)".into());
        }
        for key in ["CanarySetting", "CanarySettings"] {
            if ctx.node(r, &s.path(&[key])).is_some() {
                push(&mut b, format!("canary deployment ({key})"));
            }
        }
        if ctx.node(r, &s.path(&["ClientCertificateId"])).is_some() {
            push(&mut b, "backend client certificate (ClientCertificateId)".into());
        }
        match common::items(ctx, ctx.node(r, &s.path(&["MethodSettings"]))) {
            Some(list) => {
                for m in list {
                    if on(&bool_at(ctx, m, r.pos, &["CachingEnabled"])) {
                        push(&mut b, "method caching (MethodSettings CachingEnabled)".into());
                    }
                }
            }
            None if ctx.node(r, &s.path(&["MethodSettings"])).is_some() => push(&mut b, "MethodSettings set from an unknown value".into()),
            None => {}
        }
    }

    // Methods.
    for m in &a.methods {
        if on(&ctx.bool(m, &["ApiKeyRequired"])) {
            push(&mut b, format!("API keys ({}.ApiKeyRequired)", m.id));
        }
        if ctx.node(m, &["RequestValidatorId"]).is_some() {
            push(&mut b, format!("request validation ({}.RequestValidatorId)", m.id));
        }
        if ctx.node(m, &["RequestModels"]).is_some() {
            push(&mut b, format!("models ({}.RequestModels)", m.id));
        }
        if ctx.node(m, &["Integration"]).is_none() {
            continue;
        }
        let cors_mock = ctx.str(m, &["HttpMethod"]).known().is_some_and(|h| h.eq_ignore_ascii_case("OPTIONS"))
            && ctx.str(m, &["Integration", "Type"]).known().is_some_and(|t| t == "MOCK");
        if cors_mock {
            continue; // CORS preflight: HTTP APIs answer it with CorsConfiguration.
        }
        match ctx.str(m, &["Integration", "Type"]) {
            Prop::Known(t, _) if t == "AWS_PROXY" || t == "HTTP_PROXY" => {}
            Prop::Known(t, _) => push(&mut b, format!("{t} (non-proxy) integration ({})", m.id)),
            _ => push(&mut b, format!("integration type of {} not known", m.id)),
        }
        if ctx.node(m, &["Integration", "RequestTemplates"]).is_some() {
            push(&mut b, format!("mapping templates ({}.Integration.RequestTemplates)", m.id));
        }
        for resp in items(ctx, ctx.node(m, &["Integration", "IntegrationResponses"])).unwrap_or(&[]) {
            if resp.get("ResponseTemplates").is_some() {
                push(&mut b, format!("mapping templates ({}.IntegrationResponses.ResponseTemplates)", m.id));
            }
        }
        if let Some(t) = ctx.num(m, &["Integration", "TimeoutInMillis"]).known()
            && *t > 30_000.0
        {
            push(&mut b, format!("integration timeout {} ms, above the HTTP API maximum of 30 s ({})", *t as i64, m.id));
        }
    }

    // SAM events.
    for e in &a.events {
        let Some(p) = e.props else { continue };
        let at = e.pos;
        if on(&bool_at(ctx, p, at, &["Auth", "ApiKeyRequired"])) {
            push(&mut b, format!("API keys ({}.Events.{}.Auth.ApiKeyRequired)", e.function.id, e.name));
        }
        if ctx.resolver.path(p, &["Auth", "ResourcePolicy"]).is_some() {
            push(&mut b, format!("resource policy ({}.Events.{})", e.function.id, e.name));
        }
        if p.get("RequestModel").is_some() {
            push(&mut b, format!("request validation ({}.Events.{}.RequestModel)", e.function.id, e.name));
        }
        for param in items(ctx, p.get("RequestParameters")).unwrap_or(&[]) {
            for (_, settings) in entries(ctx, Some(param)) {
                if on(&bool_at(ctx, settings, at, &["Required"])) || on(&bool_at(ctx, settings, at, &["Caching"])) {
                    push(&mut b, format!("request parameter validation or caching ({}.Events.{})", e.function.id, e.name));
                }
            }
        }
        if let Some(Resolved::Num(t)) = common::value_at(ctx, p, at, &["TimeoutInMillis"]).known()
            && *t > 30_000.0
        {
            push(&mut b, format!("integration timeout {} ms, above the HTTP API maximum of 30 s", *t as i64));
        }
    }

    // OpenAPI definition.
    let body = scan_body(ctx, api);
    for (ext, _) in &body.extensions {
        let what = match ext.as_str() {
            "x-amazon-apigateway-policy" => "resource policy",
            "x-amazon-apigateway-request-validators" | "x-amazon-apigateway-request-validator" => "request validation",
            "x-amazon-apigateway-api-key-source" => "API keys",
            "x-amazon-apigateway-gateway-responses" => "gateway responses",
            "x-amazon-apigateway-minimum-compression-size" => "payload compression",
            _ => continue,
        };
        push(&mut b, format!("{what} ({ext})"));
    }
    if !body.api_key_schemes.is_empty() {
        push(&mut b, "API keys (apiKey security scheme)".into());
    }
    for i in &body.integrations {
        let t = str_at(ctx, i.node, i.pos, &["type"]);
        let t = t.known().map(|s| s.to_ascii_lowercase());
        if i.method == "options" && t.as_deref() == Some("mock") {
            continue;
        }
        match t.as_deref() {
            Some("aws_proxy") | Some("http_proxy") => {}
            Some(other) => push(&mut b, format!("{} (non-proxy) integration ({} {})", other.to_ascii_uppercase(), i.method.to_ascii_uppercase(), i.path)),
            None => push(&mut b, format!("integration type of {} {} not known", i.method.to_ascii_uppercase(), i.path)),
        }
        let n = ctx.resolver.select(i.node);
        let has_templates = n.is_some_and(|n| {
            n.get("requestTemplates").is_some()
                || entries(ctx, n.get("responses")).iter().any(|(_, r)| r.get("responseTemplates").is_some())
        });
        if has_templates {
            push(&mut b, format!("mapping templates ({} {})", i.method.to_ascii_uppercase(), i.path));
        }
        if let Some(Resolved::Num(t)) = common::value_at(ctx, i.node, i.pos, &["timeoutInMillis"]).known()
            && *t > 30_000.0
        {
            push(&mut b, format!("integration timeout {} ms, above the HTTP API maximum of 30 s", *t as i64));
        }
    }

    // Resources that configure the API from outside.
    for r in &a.attached {
        if r.type_name.starts_with("AWS::ApiGateway::BasePathMapping") {
            // HTTP APIs can only be mapped to regional custom domains.
            let domain_key = if r.type_name.ends_with("V2") { "DomainNameArn" } else { "DomainName" };
            let domain = ctx.node(r, &[domain_key]).and_then(|n| common::refs(n).into_iter().find_map(|id| ctx.template.resource(&id)));
            let kind = match domain {
                Some(d) if d.type_name == "AWS::ApiGateway::DomainName" => match ctx.list(d, &["EndpointConfiguration", "Types"]) {
                    Prop::Absent if ctx.node(d, &["RegionalCertificateArn"]).is_some() => None,
                    Prop::Absent => Some("EDGE".to_string()),
                    Prop::Known(types, _) => {
                        let types: Vec<String> = types.iter().filter_map(Resolved::text).collect();
                        types.iter().find(|t| *t != "REGIONAL").cloned().or_else(|| types.is_empty().then(|| "EDGE".to_string()))
                    }
                    Prop::Unknown(_) => Some("unknown".to_string()),
                },
                Some(d) if d.type_name == "AWS::ApiGateway::DomainNameV2" => Some("PRIVATE".to_string()),
                _ => Some("unknown".to_string()),
            };
            if let Some(kind) = kind {
                push(&mut b, format!("custom domain of type {kind} ({})", r.id));
            }
            continue;
        }
        let what = match r.type_name.as_str() {
            "AWS::ApiGateway::UsagePlan" => "usage plan",
            "AWS::ApiGateway::ApiKey" => "API key",
            "AWS::ApiGateway::RequestValidator" => "request validator",
            "AWS::ApiGateway::Model" => "model",
            "AWS::ApiGateway::GatewayResponse" => "gateway response",
            "AWS::ApiGateway::Deployment" => "canary deployment",
            "AWS::WAFv2::WebACLAssociation" | "AWS::WAFRegional::WebACLAssociation" => "WAF web ACL",
            _ => "documentation",
        };
        push(&mut b, format!("{what} ({})", r.id));
    }
    for r in unattributed {
        push(&mut b, format!("{} ({}) that may belong to this API", r.type_name.rsplit("::").next().unwrap_or(""), r.id));
    }
    b
}

impl RestApiWhereHttpApiWouldDo {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let index = rest_apis(ctx);
        for a in &index.apis {
            let body = scan_body(ctx, a.api);
            if body.opaque {
                continue; // the definition lives elsewhere: its features cannot be seen
            }
            let routes = common::routes(ctx, a).len();
            if routes == 0 {
                continue;
            }
            if !blockers(ctx, a, &index.unattributed).is_empty() {
                continue;
            }
            let api = a.api;
            let mut d = ctx.diag(api, &[], format!(
                "{} is a REST API with {routes} route{} and uses no REST-only feature: as an HTTP API it would cost $1.00 instead of $3.50 per million requests (first tier, us-east-1), about 70 % less, with lower latency",
                common::api_label(api),
                if routes == 1 { "" } else { "s" },
            ));
            d.evidence.push(format!("{} ({}), {routes} route(s)", api.id, api.type_name));
            d.evidence.push("no usage plan, API key, cache, request validator, model, WAF association, resource policy, mapping template, non-proxy integration, canary, X-Ray tracing or EDGE/PRIVATE endpoint choice found".into());
            d.fix = Some(if a.is_sam() {
                Fix::new(
                    "Serve the routes from an HTTP API: change the events to `Type: HttpApi` (and an explicit API to AWS::Serverless::HttpApi); handlers receive payload format 2.0",
                    "Events:\n  List:\n    Type: HttpApi\n    Properties:\n      Path: /orders\n      Method: get",
                )
            } else {
                Fix::new(
                    "Recreate the API as an HTTP API with Lambda/HTTP proxy integrations, then move clients to its endpoint",
                    "HttpApi:\n  Type: AWS::ApiGatewayV2::Api\n  Properties:\n    Name: orders\n    ProtocolType: HTTP",
                )
            });
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn codes(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "APIGW-001").map(|f| f.resource.unwrap_or_default()).collect()
    }

    #[test]
    fn api_key_blocks_the_move() {
        let t = "
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a, EndpointConfiguration: {Types: [REGIONAL]}}}
  Fn: {Type: AWS::Lambda::Function, Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}}
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Deployment: {Type: AWS::ApiGateway::Deployment, DependsOn: Method, Properties: {RestApiId: !Ref Api, StageName: prod}}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties:
      Enabled: true
      StageKeys: [{RestApiId: !Ref Api, StageName: prod}]
";
        assert!(codes(t).is_empty(), "an API key keeps the REST API");
        // Without the key, the same API is a candidate.
        let without = t.split("  Key:").next().unwrap();
        assert_eq!(codes(without), vec!["Api".to_string()]);
    }

    #[test]
    fn sam_api_key_required_and_unattributed_usage_plan_block_the_move() {
        let t = "
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    Auth: {ApiKeyRequired: true}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get}}
";
        assert!(codes(t).is_empty());
        let t = "
Transform: AWS::Serverless-2016-10-31
Parameters:
  ApiId: {Type: String}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get}}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref ApiId, Stage: prod}]
";
        assert!(codes(t).is_empty(), "a usage plan of unknown API may be this one's");
    }

    #[test]
    fn mapping_templates_in_openapi_and_external_definitions_block_the_move() {
        let t = "
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        openapi: 3.0.1
        paths:
          /items:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/q
                requestTemplates:
                  application/json: Action=SendMessage&MessageBody=$input.body
";
        assert!(codes(t).is_empty());
        let t = "
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionUri: api.yaml
";
        assert!(codes(t).is_empty(), "an external definition cannot be inspected");
    }

    #[test]
    fn cors_preflight_mock_does_not_block() {
        let t = "
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a}}
  Options:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{\"statusCode\": 200}'}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: HTTP_PROXY, IntegrationHttpMethod: GET, Uri: 'https://example.com'}
";
        assert_eq!(codes(t), vec!["Api".to_string()]);
    }

    #[test]
    fn edge_custom_domain_blocks_the_move() {
        let t = "
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a, EndpointConfiguration: {Types: [REGIONAL]}}}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: HTTP_PROXY, IntegrationHttpMethod: GET, Uri: 'https://example.com'}
  Domain: {Type: AWS::ApiGateway::DomainName, Properties: {DomainName: api.example.com, CertificateArn: arn:aws:acm:us-east-1:1:certificate/x}}
  Mapping: {Type: AWS::ApiGateway::BasePathMapping, Properties: {DomainName: !Ref Domain, RestApiId: !Ref Api}}
";
        assert!(codes(t).is_empty());
        let regional = t.replace("CertificateArn:", "EndpointConfiguration: {Types: [REGIONAL]}, RegionalCertificateArn:");
        assert_eq!(codes(&regional), vec!["Api".to_string()]);
    }
}
