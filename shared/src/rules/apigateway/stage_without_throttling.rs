use crate::declare_rule;
use crate::rules::apigateway::common::{StageRef, api_label, entries, http_apis, items, rest_apis, value_at};
use crate::rules::{Ctx, Diagnostic, Fix, Prop};
use crate::template::Resource;
use crate::template::resolve::Resolved;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Flags API stages that set no throttling: REST API stages (SAM API, `AWS::ApiGateway::Stage`,
    /// a deployment's `StageDescription`) without `ThrottlingRateLimit`/`ThrottlingBurstLimit` in
    /// `MethodSettings` and without a usage plan `Throttle`, and HTTP API stages (SAM `HttpApi`,
    /// `AWS::ApiGatewayV2::Stage`) without throttling in `DefaultRouteSettings` or `RouteSettings`.
    ///
    /// ## Why is this bad?
    /// Without stage limits only the account-level quota applies: 10,000 requests per second
    /// with a burst of 5,000, shared by every API of the account in the region. A traffic spike,
    /// a retry storm or a misbehaving client can then push the backend past its capacity (Lambda
    /// concurrency, database connections, table capacity) and use up the quota other APIs need.
    /// Stage limits set from what the backend can take turn the excess into fast 429 responses.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Api:
    ///     Type: AWS::Serverless::HttpApi
    ///     Properties:
    ///       StageName: prod
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Api:
    ///     Type: AWS::Serverless::HttpApi
    ///     Properties:
    ///       StageName: prod
    ///       DefaultRouteSettings:
    ///         ThrottlingRateLimit: 500
    ///         ThrottlingBurstLimit: 1000
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
    pub StageWithoutThrottling {
        code: "APIGW-005",
        name: "stage-without-throttling",
        severity: Low,
        pillar: Reliability,
        symptoms: ["lambda-throttling"],
        remedies: ["apigw-throttling"],
    }
}

/// `Some(true)` when the settings map throttles, `None` when it cannot be told.
fn throttles(ctx: &Ctx<'_>, settings: &Node, at: crate::yaml::Pos) -> Option<bool> {
    let mut any = false;
    for key in ["ThrottlingRateLimit", "ThrottlingBurstLimit"] {
        match value_at(ctx, settings, at, &[key]) {
            Prop::Absent => {}
            Prop::Known(..) => any = true,
            Prop::Unknown(_) => return None,
        }
    }
    Some(any)
}

/// REST stage: throttled by its MethodSettings (or the deployment's own stage limits)?
fn rest_stage_throttled(ctx: &Ctx<'_>, s: &StageRef<'_>) -> Option<bool> {
    let r = s.res;
    if !s.prefix.is_empty() {
        // StageDescription carries the `*/*` limits directly.
        if let Some(sd) = ctx.node(r, s.prefix) {
            match throttles(ctx, sd, r.pos) {
                Some(true) | None => return Some(true),
                Some(false) => {}
            }
        }
    }
    let path = s.path(&["MethodSettings"]);
    match ctx.value(r, &path) {
        Prop::Absent => return Some(false),
        Prop::Known(Resolved::List(_), _) => {}
        _ => return None,
    }
    for m in items(ctx, ctx.node(r, &path))? {
        match throttles(ctx, m, r.pos) {
            Some(true) | None => return Some(true),
            Some(false) => {}
        }
    }
    Some(false)
}

/// HTTP stage: throttled by DefaultRouteSettings or any RouteSettings entry?
fn http_stage_throttled(ctx: &Ctx<'_>, s: &StageRef<'_>) -> Option<bool> {
    let r = s.res;
    for key in ["DefaultRouteSettings", "RouteSettings"] {
        let path = s.path(&[key]);
        match ctx.value(r, &path) {
            Prop::Absent => continue,
            Prop::Known(Resolved::Map, _) => {}
            _ => return None,
        }
        let Some(node) = ctx.node(r, &path) else { continue };
        if key == "DefaultRouteSettings" {
            match throttles(ctx, node, r.pos) {
                Some(false) => {}
                other => return other,
            }
        } else {
            for (_, route) in entries(ctx, Some(node)) {
                match throttles(ctx, route, r.pos) {
                    Some(false) => {}
                    other => return other,
                }
            }
        }
    }
    Some(false)
}

fn usage_plan_throttles(ctx: &Ctx<'_>, plan: &Resource) -> bool {
    ctx.node(plan, &["Throttle"]).is_some()
        || items(ctx, ctx.node(plan, &["ApiStages"])).unwrap_or(&[]).iter().any(|s| s.get("Throttle").is_some())
        || (ctx.node(plan, &["ApiStages"]).is_some() && items(ctx, ctx.node(plan, &["ApiStages"])).is_none())
}

const ACCOUNT: &str = "only the account-level limit of 10,000 requests per second (burst 5,000), shared by all APIs in the region, caps its traffic";

impl StageWithoutThrottling {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        let index = rest_apis(ctx);
        let unattributed_plan = index.unattributed.iter().any(|r| r.type_name == "AWS::ApiGateway::UsagePlan" && usage_plan_throttles(ctx, r));
        for a in &index.apis {
            if unattributed_plan || a.attached.iter().any(|r| r.type_name == "AWS::ApiGateway::UsagePlan" && usage_plan_throttles(ctx, r)) {
                continue;
            }
            if a.is_sam() && ctx.node(a.api, &["Auth", "UsagePlan", "Throttle"]).is_some() {
                continue;
            }
            for s in &a.stages {
                if rest_stage_throttled(ctx, s) != Some(false) {
                    continue;
                }
                let mut d = ctx.diag(s.res, &s.path(&["MethodSettings"]), format!(
                    "{} of REST API {} sets no throttling (no MethodSettings ThrottlingRateLimit/ThrottlingBurstLimit, no usage plan Throttle): {ACCOUNT}",
                    if s.prefix.is_empty() && s.res.id == a.api.id { "The stage".to_string() } else { format!("Stage {}", s.label()) },
                    api_label(a.api),
                ));
                d.evidence.push(format!("{}: no ThrottlingRateLimit or ThrottlingBurstLimit", s.label()));
                let settings = "MethodSettings:\n  - ResourcePath: /*\n    HttpMethod: '*'\n    ThrottlingRateLimit: 500\n    ThrottlingBurstLimit: 1000";
                d.fix = Some(if a.api.implicit {
                    Fix::new("Set stage limits from what the backend can sustain, through the Api globals", format!("Globals:\n  Api:\n    {}", settings.replace('\n', "\n    ")))
                } else if s.prefix.is_empty() {
                    Fix::new("Set stage limits from what the backend can sustain", settings)
                } else {
                    Fix::new("Set stage limits from what the backend can sustain", "StageDescription:\n  ThrottlingRateLimit: 500\n  ThrottlingBurstLimit: 1000")
                });
                out.push(d);
            }
        }
        for h in http_apis(ctx) {
            let mut stages = h.stages.clone();
            // A quick-create API (Target) gets a $default stage configured only by overrides.
            let quick = h.api.type_name == "AWS::ApiGatewayV2::Api" && h.api.prop("Target").is_some();
            if quick && !stages.iter().any(|s| s.res.type_name == "AWS::ApiGatewayV2::ApiGatewayManagedOverrides") {
                stages.push(StageRef { res: h.api, prefix: &[] });
            }
            for s in &stages {
                let quick_default = s.res.id == h.api.id && h.api.type_name == "AWS::ApiGatewayV2::Api";
                let throttled = if quick_default { Some(false) } else { http_stage_throttled(ctx, s) };
                if throttled != Some(false) {
                    continue;
                }
                let stage = if quick_default { "The $default stage".to_string() } else if s.res.id == h.api.id { "The stage".to_string() } else { format!("Stage {}", s.label()) };
                let mut d = ctx.diag(s.res, &s.path(&["DefaultRouteSettings"]), format!(
                    "{stage} of HTTP API {} sets no throttling (no DefaultRouteSettings or RouteSettings ThrottlingRateLimit/ThrottlingBurstLimit): {ACCOUNT}",
                    api_label(h.api),
                ));
                d.evidence.push(format!("{}: no ThrottlingRateLimit or ThrottlingBurstLimit", s.label()));
                let settings = "DefaultRouteSettings:\n  ThrottlingRateLimit: 500\n  ThrottlingBurstLimit: 1000";
                d.fix = Some(if h.api.implicit {
                    Fix::new("Set route limits from what the backend can sustain, through the HttpApi globals", format!("Globals:\n  HttpApi:\n    {}", settings.replace('\n', "\n    ")))
                } else if quick_default {
                    Fix::new(
                        "Configure the quick-create $default stage with overrides",
                        format!("ApiOverrides:\n  Type: AWS::ApiGatewayV2::ApiGatewayManagedOverrides\n  Properties:\n    ApiId: !Ref {}\n    Stage:\n      DefaultRouteSettings:\n        ThrottlingRateLimit: 500\n        ThrottlingBurstLimit: 1000", h.api.id),
                    )
                } else if !s.prefix.is_empty() {
                    Fix::new("Set route limits from what the backend can sustain", format!("Stage:\n  {}", settings.replace('\n', "\n  ")))
                } else {
                    Fix::new("Set route limits from what the backend can sustain", settings)
                });
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "APIGW-005").map(|f| f.resource.unwrap_or_default()).collect()
    }

    #[test]
    fn rest_stage_method_settings_and_usage_plans() {
        let base = "
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: a}}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: d
      StageName: prod
      MethodSettings: [{ResourcePath: /*, HttpMethod: '*', LoggingLevel: INFO}]
";
        assert_eq!(found(base), vec!["Stage".to_string()]);
        let limited = base.replace("LoggingLevel: INFO", "ThrottlingRateLimit: 100");
        assert!(found(&limited).is_empty());
        let plan = format!("{base}  Plan:\n    Type: AWS::ApiGateway::UsagePlan\n    Properties:\n      ApiStages: [{{ApiId: !Ref Api, Stage: prod}}]\n      Throttle: {{RateLimit: 100, BurstLimit: 200}}\n");
        assert!(found(&plan).is_empty());
    }

    #[test]
    fn implicit_http_api_and_globals() {
        let t = "
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Events:
        Get: {Type: HttpApi, Properties: {Path: /, Method: get}}
";
        assert_eq!(found(t), vec!["ServerlessHttpApi".to_string()]);
        let g = t.replace("Resources:", "Globals:\n  HttpApi:\n    DefaultRouteSettings: {ThrottlingBurstLimit: 100}\nResources:");
        assert!(found(&g).is_empty());
    }

    #[test]
    fn unknown_settings_are_not_reported() {
        let t = "
Parameters:
  Env: {Type: String}
Conditions:
  Prod: !Equals [!Ref Env, prod]
Resources:
  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {Name: a, ProtocolType: HTTP}}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: prod
      DefaultRouteSettings: !If [Prod, {ThrottlingRateLimit: 100}, !Ref AWS::NoValue]
";
        assert!(found(t).is_empty());
    }
}
