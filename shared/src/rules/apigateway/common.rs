//! What the API Gateway rules share: which stages, methods, SAM events, OpenAPI definitions and
//! satellite resources (usage plans, API keys, validators, WAF associations, …) belong to which
//! API. Everything is gathered in one linear pass over the template, so rules never scan all
//! resources inside a loop over all resources.

use std::collections::HashMap;

use crate::rules::{Ctx, Prop};
use crate::template::Resource;
use crate::template::resolve::{Resolved, is_intrinsic};
use crate::yaml::{Node, Pos};

pub const REST_TYPES: &[&str] = &["AWS::ApiGateway::RestApi", "AWS::Serverless::Api"];
pub const HTTP_TYPES: &[&str] = &["AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi"];

/// Types whose resources are "an API" for the architecture's edges.
pub fn is_api_type(t: &str) -> bool {
    REST_TYPES.contains(&t) || HTTP_TYPES.contains(&t)
}

pub use crate::template::resolve::referenced_ids as refs;

/// A value under any node, with the semantics of [`Ctx::value`]: absent keys are `Absent`,
/// keys below an unresolvable intrinsic are `Unknown`.
pub fn value_at(ctx: &Ctx<'_>, node: &Node, at: Pos, path: &[&str]) -> Prop<Resolved> {
    let mut node = node;
    let mut key_pos = at;
    for key in path {
        let Some(sel) = ctx.resolver.select(node) else { return Prop::Unknown(key_pos) };
        match sel.entry(key) {
            Some((k, v)) => {
                key_pos = k.span.start;
                node = v;
            }
            None if sel.single_key().is_some_and(|(k, _)| is_intrinsic(k)) => return Prop::Unknown(key_pos),
            None => return Prop::Absent,
        }
    }
    match ctx.resolver.value(node) {
        Resolved::Unknown => Prop::Unknown(key_pos),
        Resolved::Absent => Prop::Absent,
        v => Prop::Known(v, key_pos),
    }
}

pub fn bool_at(ctx: &Ctx<'_>, node: &Node, at: Pos, path: &[&str]) -> Prop<bool> {
    match value_at(ctx, node, at, path) {
        Prop::Known(v, p) => v.as_bool().map_or(Prop::Unknown(p), |b| Prop::Known(b, p)),
        Prop::Unknown(p) => Prop::Unknown(p),
        Prop::Absent => Prop::Absent,
    }
}

pub fn str_at(ctx: &Ctx<'_>, node: &Node, at: Pos, path: &[&str]) -> Prop<String> {
    match value_at(ctx, node, at, path) {
        Prop::Known(v, p) => v.text().map_or(Prop::Unknown(p), |s| Prop::Known(s, p)),
        Prop::Unknown(p) => Prop::Unknown(p),
        Prop::Absent => Prop::Absent,
    }
}

/// Items of a list node (following known `Fn::If`); `None` when it is not a readable list.
pub fn items<'n>(ctx: &Ctx<'_>, node: Option<&'n Node>) -> Option<&'n [Node]> {
    node.and_then(|n| ctx.resolver.select(n)).and_then(Node::as_seq)
}

/// Entries of a map node (following known `Fn::If`).
pub fn entries<'n>(ctx: &Ctx<'_>, node: Option<&'n Node>) -> &'n [(crate::yaml::Key, Node)] {
    node.and_then(|n| ctx.resolver.select(n)).and_then(Node::as_map).unwrap_or(&[])
}

/// Where the settings of one deployed stage are written.
#[derive(Clone, Copy)]
pub struct StageRef<'a> {
    pub res: &'a Resource,
    /// `[]` for a SAM API or an `AWS::ApiGateway::Stage`; `["StageDescription"]` for a
    /// deployment that creates its stage.
    pub prefix: &'static [&'static str],
}

impl StageRef<'_> {
    pub fn path<'k>(&self, key: &[&'k str]) -> Vec<&'k str> {
        let mut p: Vec<&str> = self.prefix.to_vec();
        p.extend_from_slice(key);
        p
    }

    pub fn label(&self) -> String {
        if self.prefix.is_empty() { self.res.id.clone() } else { format!("{}.StageDescription", self.res.id) }
    }
}

/// A function event of type `Api` on a REST API.
pub struct SamEvent<'a> {
    pub function: &'a Resource,
    pub name: &'a str,
    pub pos: Pos,
    pub props: Option<&'a Node>,
}

/// One `x-amazon-apigateway-integration` of an OpenAPI definition.
pub struct BodyIntegration<'a> {
    pub method: String,
    pub path: String,
    pub node: &'a Node,
    pub pos: Pos,
}

/// What an inline OpenAPI definition (SAM `DefinitionBody`, `Body`) shows.
#[derive(Default)]
pub struct BodyScan<'a> {
    pub present: bool,
    /// The definition is not inline, or not readable (`DefinitionUri`, `BodyS3Location`,
    /// `Fn::Transform`, `CloneFrom`): features and routes cannot be seen.
    pub opaque: bool,
    /// (method, path) of every operation.
    pub operations: Vec<(String, String, Pos)>,
    pub integrations: Vec<BodyIntegration<'a>>,
    /// Extension keys found anywhere (`x-amazon-apigateway-policy`, …) with their position.
    pub extensions: Vec<(String, Pos)>,
    /// Security schemes of `type: apiKey`.
    pub api_key_schemes: Vec<Pos>,
}

const OPENAPI_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"];

pub fn scan_body<'a>(ctx: &Ctx<'_>, api: &'a Resource) -> BodyScan<'a> {
    let mut scan = BodyScan::default();
    let (inline, external): (&str, &[&str]) = match api.type_name.as_str() {
        "AWS::Serverless::Api" | "AWS::Serverless::HttpApi" => ("DefinitionBody", &["DefinitionUri"]),
        _ => ("Body", &["BodyS3Location", "CloneFrom"]),
    };
    if external.iter().any(|k| api.prop(k).is_some()) {
        scan.opaque = true;
    }
    let Some(body) = api.prop(inline) else { return scan };
    scan.present = true;
    let Some(body) = ctx.resolver.select(body) else {
        scan.opaque = true;
        return scan;
    };
    if body.single_key().is_some_and(|(k, _)| is_intrinsic(k)) || body.as_map().is_none() {
        scan.opaque = true;
        return scan;
    }
    for (path_key, item) in entries(ctx, body.get("paths")) {
        for (op_key, op) in entries(ctx, Some(item)) {
            let method = op_key.name.to_ascii_lowercase();
            if !OPENAPI_METHODS.contains(&method.as_str()) {
                continue;
            }
            scan.operations.push((method.clone(), path_key.name.clone(), op_key.span.start));
            if let Some((k, integ)) = ctx.resolver.select(op).and_then(|o| o.entry("x-amazon-apigateway-integration")) {
                scan.integrations.push(BodyIntegration { method: method.clone(), path: path_key.name.clone(), node: integ, pos: k.span.start });
            }
        }
    }
    walk_extensions(body, &mut scan, 0);
    scan
}

fn walk_extensions(node: &Node, scan: &mut BodyScan<'_>, depth: usize) {
    if depth > 64 {
        return;
    }
    if let Some(seq) = node.as_seq() {
        for n in seq {
            walk_extensions(n, scan, depth + 1);
        }
        return;
    }
    let Some(map) = node.as_map() else { return };
    if node.get("type").and_then(Node::as_str).is_some_and(|t| t.eq_ignore_ascii_case("apikey")) {
        scan.api_key_schemes.push(node.span.start);
    }
    for (k, v) in map {
        if k.name.starts_with("x-amazon-apigateway-") && k.name != "x-amazon-apigateway-integration" {
            scan.extensions.push((k.name.clone(), k.span.start));
        }
        walk_extensions(v, scan, depth + 1);
    }
}

pub struct RestApi<'a> {
    pub api: &'a Resource,
    pub stages: Vec<StageRef<'a>>,
    /// `AWS::ApiGateway::Method`s of the API.
    pub methods: Vec<&'a Resource>,
    pub events: Vec<SamEvent<'a>>,
    /// Resources that configure the API from outside: usage plans, API keys, request
    /// validators, models, gateway responses, WAF associations, documentation.
    pub attached: Vec<&'a Resource>,
}

impl<'a> RestApi<'a> {
    pub fn is_sam(&self) -> bool {
        self.api.type_name == "AWS::Serverless::Api"
    }
}

pub struct RestIndex<'a> {
    pub apis: Vec<RestApi<'a>>,
    /// Usage plans, API keys and WAF associations whose API cannot be told: they may belong
    /// to any REST API of the template.
    pub unattributed: Vec<&'a Resource>,
}

const ATTACHED_BY_REST_API_ID: &[&str] = &[
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::DocumentationPart",
    "AWS::ApiGateway::DocumentationVersion",
    "AWS::ApiGateway::BasePathMapping",
    "AWS::ApiGateway::BasePathMappingV2",
];

const SATELLITES: &[&str] = &[
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::DocumentationPart",
    "AWS::ApiGateway::DocumentationVersion",
    "AWS::ApiGateway::BasePathMapping",
    "AWS::ApiGateway::BasePathMappingV2",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::WAFRegional::WebACLAssociation",
];

pub fn rest_apis<'a>(ctx: &Ctx<'a>) -> RestIndex<'a> {
    let mut apis: Vec<RestApi<'a>> = ctx
        .resources(REST_TYPES)
        .map(|api| {
            let stages = if api.type_name == "AWS::Serverless::Api" { vec![StageRef { res: api, prefix: &[] }] } else { Vec::new() };
            RestApi { api, stages, methods: Vec::new(), events: Vec::new(), attached: Vec::new() }
        })
        .collect();
    let index: HashMap<String, usize> = apis.iter().enumerate().map(|(i, a)| (a.api.id.clone(), i)).collect();
    let api_of = |node: Option<&Node>| -> Option<usize> { node.and_then(|n| refs(n).iter().find_map(|id| index.get(id).copied())) };
    let mut unattributed = Vec::new();
    let mut stage_api: HashMap<String, usize> = HashMap::new();
    let mut later = Vec::new();

    for r in ctx.resources(SATELLITES) {
        match r.type_name.as_str() {
            "AWS::ApiGateway::Stage" => {
                if let Some(i) = api_of(r.prop("RestApiId")) {
                    apis[i].stages.push(StageRef { res: r, prefix: &[] });
                    stage_api.insert(r.id.clone(), i);
                }
            }
            "AWS::ApiGateway::Deployment" => {
                if let Some(i) = api_of(r.prop("RestApiId")) {
                    if r.prop("StageName").is_some() {
                        apis[i].stages.push(StageRef { res: r, prefix: &["StageDescription"] });
                    }
                    // Canary deployments configure the stage they deploy to.
                    if r.prop("DeploymentCanarySettings").is_some() {
                        apis[i].attached.push(r);
                    }
                }
            }
            "AWS::ApiGateway::Method" => {
                if let Some(i) = api_of(r.prop("RestApiId")) {
                    apis[i].methods.push(r);
                }
            }
            "AWS::ApiGateway::UsagePlan" => {
                let mut found = false;
                for stage in items(ctx, r.prop("ApiStages")).unwrap_or(&[]) {
                    if let Some(i) = api_of(stage.get("ApiId")) {
                        found = true;
                        if !apis[i].attached.iter().any(|a| a.id == r.id) {
                            apis[i].attached.push(r);
                        }
                    }
                }
                if !found {
                    unattributed.push(r);
                }
            }
            "AWS::ApiGateway::ApiKey" => {
                let mut found = false;
                for stage in items(ctx, r.prop("StageKeys")).unwrap_or(&[]) {
                    if let Some(i) = api_of(stage.get("RestApiId")) {
                        found = true;
                        if !apis[i].attached.iter().any(|a| a.id == r.id) {
                            apis[i].attached.push(r);
                        }
                    }
                }
                if !found {
                    // Tied to a usage plan by a UsagePlanKey, or to an API elsewhere.
                    unattributed.push(r);
                }
            }
            t if ATTACHED_BY_REST_API_ID.contains(&t) => {
                if let Some(i) = api_of(r.prop("RestApiId")) {
                    apis[i].attached.push(r);
                }
            }
            _ => later.push(r),
        }
    }
    // WAF associations point at a stage ARN built from the API or from a stage resource.
    for r in later {
        let Some(arn) = r.prop("ResourceArn") else { continue };
        let ids = refs(arn);
        let target = ids.iter().find_map(|id| index.get(id).copied().or_else(|| stage_api.get(id).copied()));
        match target {
            Some(i) => apis[i].attached.push(r),
            None => {
                let text = format!("{:?}", arn.to_json());
                if text.contains("restapis") || text.contains("apigateway") {
                    unattributed.push(r);
                }
            }
        }
    }
    for f in ctx.functions().filter(|f| f.is_sam_function()) {
        for (key, event) in entries(ctx, ctx.node(f, &["Events"])) {
            let Some(event) = ctx.resolver.select(event) else { continue };
            if event.get("Type").and_then(Node::as_str) != Some("Api") {
                continue;
            }
            let props = event.get("Properties").and_then(|p| ctx.resolver.select(p));
            let api = match props.and_then(|p| p.get("RestApiId")) {
                Some(n) => refs(n).iter().find_map(|id| index.get(id).copied()),
                None => index.get("ServerlessRestApi").copied(),
            };
            if let Some(i) = api {
                apis[i].events.push(SamEvent { function: f, name: &key.name, pos: key.span.start, props });
            }
        }
    }
    RestIndex { apis, unattributed }
}

pub struct HttpApi<'a> {
    pub api: &'a Resource,
    /// Where route settings live: the SAM API itself, `AWS::ApiGatewayV2::Stage`s, and
    /// `AWS::ApiGatewayV2::ApiGatewayManagedOverrides` (prefix `["Stage"]`).
    pub stages: Vec<StageRef<'a>>,
    pub integrations: Vec<&'a Resource>,
}

pub fn http_apis<'a>(ctx: &Ctx<'a>) -> Vec<HttpApi<'a>> {
    let mut apis: Vec<HttpApi<'a>> = Vec::new();
    for api in ctx.resources(HTTP_TYPES) {
        if api.type_name == "AWS::ApiGatewayV2::Api" {
            // WebSocket APIs are another product; an unknown protocol is not assumed to be HTTP.
            match ctx.str(api, &["ProtocolType"]).known() {
                Some(p) if p == "HTTP" => {}
                _ => continue,
            }
        }
        let stages = if api.type_name == "AWS::Serverless::HttpApi" { vec![StageRef { res: api, prefix: &[] }] } else { Vec::new() };
        apis.push(HttpApi { api, stages, integrations: Vec::new() });
    }
    let index: HashMap<String, usize> = apis.iter().enumerate().map(|(i, a)| (a.api.id.clone(), i)).collect();
    let types = ["AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::ApiGatewayManagedOverrides"];
    for r in ctx.resources(&types) {
        let Some(i) = r.prop("ApiId").and_then(|n| refs(n).iter().find_map(|id| index.get(id).copied())) else { continue };
        match r.type_name.as_str() {
            "AWS::ApiGatewayV2::Stage" => apis[i].stages.push(StageRef { res: r, prefix: &[] }),
            "AWS::ApiGatewayV2::ApiGatewayManagedOverrides" => apis[i].stages.push(StageRef { res: r, prefix: &["Stage"] }),
            _ => apis[i].integrations.push(r),
        }
    }
    apis
}

/// "`ServerlessRestApi` (the implicit API SAM creates for `Api` events)" or the id.
pub fn api_label(api: &Resource) -> String {
    if api.implicit { format!("{} (the API SAM creates for the functions' {} events)", api.id, if api.type_name == "AWS::Serverless::Api" { "Api" } else { "HttpApi" }) } else { api.id.clone() }
}

/// An integration of any API form (REST method, HTTP API integration, OpenAPI operation).
pub struct Integration<'a> {
    /// The resource that holds it (the method, the V2 integration, or the API for OpenAPI).
    pub res: &'a Resource,
    pub api: Option<String>,
    /// What to call it in messages: `GetOrders`, `Api GET /orders`.
    pub label: String,
    /// Integration type, upper case (`HTTP_PROXY`); `None` when unknown.
    pub kind: Option<String>,
    pub uri: Option<&'a Node>,
    /// `INTERNET` (the default) or `VPC_LINK`; `None` when unknown.
    pub connection: Option<String>,
    pub connection_id: Option<&'a Node>,
    /// Where the finding points, and the logical path to it.
    pub pos: Pos,
    pub path: Vec<&'static str>,
}

pub fn integrations<'a>(ctx: &Ctx<'a>) -> Vec<Integration<'a>> {
    let upper = |p: Prop<String>| -> Option<Option<String>> {
        match p {
            Prop::Absent => Some(None),
            Prop::Known(s, _) => Some(Some(s.to_ascii_uppercase())),
            Prop::Unknown(_) => None,
        }
    };
    let mut out = Vec::new();
    let types = ["AWS::ApiGateway::Method", "AWS::ApiGatewayV2::Integration"];
    for r in ctx.resources(&types) {
        let v2 = r.type_name == "AWS::ApiGatewayV2::Integration";
        let (kind_path, uri_path, conn_path, id_path, api_key): (&[&'static str], &[&str], &[&'static str], &[&str], &str) = if v2 {
            (&["IntegrationType"], &["IntegrationUri"], &["ConnectionType"], &["ConnectionId"], "ApiId")
        } else {
            (&["Integration", "Type"], &["Integration", "Uri"], &["Integration", "ConnectionType"], &["Integration", "ConnectionId"], "RestApiId")
        };
        if !v2 && ctx.node(r, &["Integration"]).is_none() {
            continue;
        }
        let connection = upper(ctx.str(r, conn_path)).map(|c| c.unwrap_or_else(|| "INTERNET".into()));
        out.push(Integration {
            res: r,
            api: r.prop(api_key).and_then(|n| refs(n).into_iter().next()),
            label: r.id.clone(),
            kind: upper(ctx.str(r, kind_path)).flatten(),
            uri: ctx.node(r, uri_path),
            connection,
            connection_id: ctx.node(r, id_path),
            pos: ctx.pos(r, conn_path),
            path: conn_path.to_vec(),
        });
    }
    let api_types = ["AWS::ApiGateway::RestApi", "AWS::Serverless::Api", "AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi"];
    for api in ctx.resources(&api_types) {
        let body = scan_body(ctx, api);
        for i in body.integrations {
            let connection = upper(str_at(ctx, i.node, i.pos, &["connectionType"])).map(|c| c.unwrap_or_else(|| "INTERNET".into()));
            let node = ctx.resolver.select(i.node);
            out.push(Integration {
                res: api,
                api: Some(api.id.clone()),
                label: format!("{} {} {}", api.id, i.method.to_ascii_uppercase(), i.path),
                kind: upper(str_at(ctx, i.node, i.pos, &["type"])).flatten(),
                uri: node.and_then(|n| n.get("uri")),
                connection,
                connection_id: node.and_then(|n| n.get("connectionId")),
                pos: i.pos,
                path: Vec::new(),
            });
        }
    }
    out
}

pub const LB_TYPES: &[&str] = &["AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancing::LoadBalancer"];

/// One route of a REST API, however it is declared.
pub struct Route {
    /// Upper case (`GET`, `ANY`); empty when unknown.
    pub method: String,
    pub label: String,
}

/// The routes of a REST API: its methods, SAM events and OpenAPI operations, with an event and
/// an operation for the same method and path counted once.
pub fn routes(ctx: &Ctx<'_>, a: &RestApi<'_>) -> Vec<Route> {
    let mut out: Vec<Route> = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for m in &a.methods {
        let method = ctx.str(m, &["HttpMethod"]).known().map(|s| s.to_ascii_uppercase()).unwrap_or_default();
        out.push(Route { method, label: m.id.clone() });
    }
    for (method, path, _) in scan_body(ctx, a.api).operations {
        let method = if method == "x-amazon-apigateway-any-method" { "ANY".to_string() } else { method.to_ascii_uppercase() };
        if seen.contains(&(method.clone(), path.clone())) {
            continue;
        }
        seen.push((method.clone(), path.clone()));
        out.push(Route { label: format!("{method} {path}"), method });
    }
    for e in &a.events {
        let Some(p) = e.props else { continue };
        let method = str_at(ctx, p, e.pos, &["Method"]).known().map(|s| s.to_ascii_uppercase()).unwrap_or_default();
        let path = str_at(ctx, p, e.pos, &["Path"]).known().cloned().unwrap_or_default();
        if seen.contains(&(method.clone(), path.clone())) {
            continue;
        }
        seen.push((method.clone(), path.clone()));
        out.push(Route { label: format!("{method} {path} ({})", e.function.id), method });
    }
    out
}
