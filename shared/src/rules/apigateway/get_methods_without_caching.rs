use crate::declare_rule;
use crate::rules::apigateway::common::{api_label, rest_apis, routes};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

declare_rule! {
    /// ## What it does
    /// Flags REST APIs that serve GET methods while no stage of theirs has a cache
    /// (`CacheClusterEnabled` is not `true` on the SAM API, `AWS::ApiGateway::Stage` or the
    /// deployment's `StageDescription`).
    ///
    /// ## Why is this bad?
    /// Every GET then reaches the integration, even when many clients ask for the same data
    /// within seconds: the backend (Lambda, DynamoDB, a database) pays for each request and the
    /// client waits for it. A stage cache answers repeated requests from API Gateway with a TTL
    /// (300 s by default, up to 3600 s). It is a trade-off: the cache is billed per hour from
    /// about $0.02/h for 0.5 GB (roughly $14.60 a month, us-east-1) whether it is hit or not,
    /// responses can be up to one TTL stale, and per-user responses need the identifying header
    /// or parameter in the cache key. Worth it for data shared by many callers.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   CatalogApi:
    ///     Type: AWS::Serverless::Api
    ///     Properties:
    ///       StageName: prod
    ///   Products:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: nodejs20.x
    ///       Handler: index.handler
    ///       Events:
    ///         List: {Type: Api, Properties: {RestApiId: !Ref CatalogApi, Path: /products, Method: get}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   CatalogApi:
    ///     Type: AWS::Serverless::Api
    ///     Properties:
    ///       StageName: prod
    ///       CacheClusterEnabled: true
    ///       CacheClusterSize: '0.5'
    ///       MethodSettings:
    ///         - {ResourcePath: /*, HttpMethod: GET, CachingEnabled: true, CacheTtlInSeconds: 300}
    ///   Products:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: nodejs20.x
    ///       Handler: index.handler
    ///       Events:
    ///         List: {Type: Api, Properties: {RestApiId: !Ref CatalogApi, Path: /products, Method: get}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html
    /// - https://aws.amazon.com/api-gateway/pricing/
    pub GetMethodsWithoutCaching {
        code: "APIGW-003",
        name: "get-methods-without-caching",
        severity: Low,
        pillar: Performance,
        symptoms: ["high-api-latency"],
        remedies: ["apigw-stage-caching"],
    }
}

impl GetMethodsWithoutCaching {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let index = rest_apis(ctx);
        for a in &index.apis {
            if a.stages.is_empty() {
                continue; // deployed elsewhere: its stage settings cannot be seen
            }
            let gets: Vec<String> = routes(ctx, a).into_iter().filter(|r| r.method == "GET").map(|r| r.label).collect();
            if gets.is_empty() {
                continue;
            }
            let mut cached_or_unknown = false;
            for s in &a.stages {
                match ctx.bool(s.res, &s.path(&["CacheClusterEnabled"])) {
                    Prop::Known(false, _) | Prop::Absent => {}
                    _ => cached_or_unknown = true,
                }
            }
            if cached_or_unknown {
                continue;
            }
            let stage = a.stages[0];
            let shown: Vec<&str> = gets.iter().take(3).map(String::as_str).collect();
            let more = if gets.len() > 3 { format!(" and {} more", gets.len() - 3) } else { String::new() };
            let mut d = ctx.diag(stage.res, &stage.path(&["CacheClusterEnabled"]), format!(
                "{} serves {} GET route{} ({}{more}) but no stage has a cache, so every repeated read reaches the backend; a 0.5 GB stage cache costs from $0.02/h (about $14.60 a month) and pays off for responses many callers share",
                api_label(a.api),
                gets.len(),
                if gets.len() == 1 { "" } else { "s" },
                shown.join(", "),
            ));
            d.evidence.push(format!("{}: CacheClusterEnabled not true", stage.label()));
            d.evidence.push(format!("GET routes: {}", gets.join(", ")));
            let settings = "CacheClusterEnabled: true\nCacheClusterSize: '0.5'\nMethodSettings:\n  - ResourcePath: /*\n    HttpMethod: GET\n    CachingEnabled: true\n    CacheTtlInSeconds: 300";
            d.fix = Some(if a.api.implicit {
                Fix::new("Enable a stage cache for GET methods through the Api globals", format!("Globals:\n  Api:\n{}", indent(settings, 4)))
            } else if stage.prefix.is_empty() {
                Fix::new("Provision a stage cache and enable caching for GET methods, with a TTL that suits the data", settings)
            } else {
                Fix::new(
                    "Provision a stage cache and enable caching for GET methods, with a TTL that suits the data",
                    "StageDescription:\n  CacheClusterEnabled: true\n  CacheClusterSize: '0.5'\n  CachingEnabled: true\n  CacheTtlInSeconds: 300",
                )
            });
            out.push(d);
        }
    }
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> usize {
        analyze(text, &Default::default()).unwrap().findings.iter().filter(|f| f.rule == "APIGW-003").count()
    }

    #[test]
    fn cloudformation_stage_and_post_only_apis() {
        let base = "
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a}}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: METHOD
      AuthorizationType: NONE
      Integration: {Type: HTTP_PROXY, IntegrationHttpMethod: GET, Uri: 'https://example.com'}
  Deployment: {Type: AWS::ApiGateway::Deployment, DependsOn: Get, Properties: {RestApiId: !Ref Api}}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: prod}
";
        assert_eq!(found(&base.replace("METHOD", "GET")), 1);
        assert_eq!(found(&base.replace("METHOD", "POST")), 0, "no GET, nothing to cache");
        let cached = base.replace("METHOD", "GET").replace("StageName: prod}", "StageName: prod, CacheClusterEnabled: true}");
        assert_eq!(found(&cached), 0);
        let no_stage = base.replace("METHOD", "GET").split("  Stage:").next().unwrap().to_string();
        assert_eq!(found(&no_stage), 0, "no stage in the template: its settings are unknown");
    }
}
