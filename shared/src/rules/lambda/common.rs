//! Helpers shared by the Lambda rules (kept here rather than in `ctx.rs`).

use crate::architecture::EdgeKind;
use crate::rules::Ctx;
use crate::template::Resource;
use crate::template::resolve::{Resolved, references};
use crate::yaml::{Node, Scalar, Value};

/// API Gateway resource types whose integrations call functions synchronously.
pub use crate::rules::apigateway::common::is_api_type;

/// Integration timeout of an API: 30 s for HTTP APIs, 29 s for REST and WebSocket APIs.
pub fn api_limit_s(ctx: &Ctx<'_>, api: &str) -> f64 {
    let Some(r) = ctx.template.resource(api) else { return 29.0 };
    match r.type_name.as_str() {
        "AWS::Serverless::HttpApi" => 30.0,
        "AWS::ApiGatewayV2::Api" => match ctx.str(r, &["ProtocolType"]).known().map(String::as_str) {
            Some("WEBSOCKET") => 29.0,
            _ => 30.0,
        },
        _ => 29.0,
    }
}

/// The API Gateway APIs that invoke the function (deduplicated, in edge order).
pub fn api_callers<'a>(ctx: &Ctx<'a>, r: &'a Resource) -> Vec<&'a str> {
    let mut out: Vec<&'a str> = Vec::new();
    for e in ctx.edges_to(&r.id, &[EdgeKind::Invokes]) {
        if is_api_type(ctx.type_of(&e.from)) && !out.contains(&e.from.as_str()) {
            out.push(e.from.as_str());
        }
    }
    out
}

/// The strictest integration timeout among the callers (29 s when any is a REST API).
pub fn strictest_limit(ctx: &Ctx<'_>, apis: &[&str]) -> f64 {
    apis.iter().map(|a| api_limit_s(ctx, a)).fold(30.0, f64::min)
}

/// Functions that only serve CloudFormation itself: custom resource handlers and Secrets
/// Manager rotation functions. They run a handful of times per deployment or rotation, so
/// cost, cold-start and observability advice about them is noise.
pub fn is_control_plane_function(ctx: &Ctx<'_>, r: &Resource) -> bool {
    let mut control = false;
    for e in ctx.arch.edges_to(&r.id) {
        let from = ctx.type_of(&e.from);
        if from.starts_with("Custom::")
            || from == "AWS::CloudFormation::CustomResource"
            || from == "AWS::SecretsManager::RotationSchedule"
        {
            control = true;
        } else if matches!(e.kind, EdgeKind::Invokes | EdgeKind::Triggers | EdgeKind::Publishes) {
            return false;
        }
    }
    let has_events = r.properties.get("Events").and_then(Node::as_map).is_some_and(|m| !m.is_empty());
    (control || is_rotation_function(ctx, r)) && !has_events
}

/// A Secrets Manager rotation function: the SAM `AWSSecretsManagerRotationPolicy`, or a
/// permission for `secretsmanager.amazonaws.com` to invoke it.
fn is_rotation_function(ctx: &Ctx<'_>, r: &Resource) -> bool {
    let sam_policy = r.properties.get("Policies").and_then(Node::as_seq).is_some_and(|ps| {
        ps.iter().any(|p| p.single_key().is_some_and(|(k, _)| k == "AWSSecretsManagerRotationPolicy"))
    });
    sam_policy
        || ctx.arch.edges_to(&r.id).any(|e| {
            ctx.template.resource(&e.from).is_some_and(|p| {
                p.type_name == "AWS::Lambda::Permission"
                    && p.prop("Principal").and_then(Node::as_str).is_some_and(|s| s.starts_with("secretsmanager."))
            })
        })
}

/// Runtimes that Lambda never offered on arm64.
const X86_ONLY_RUNTIMES: &[&str] = &[
    "go1.x", "java8", "python2.7", "python3.6", "python3.7", "nodejs", "nodejs4.3", "nodejs6.10",
    "nodejs8.10", "nodejs10.x", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "ruby2.5", "provided",
];

pub fn runtime_supports_arm64(runtime: &str) -> bool {
    !X86_ONLY_RUNTIMES.contains(&runtime)
}

/// `java17` -> `Some(17)`, `java8.al2` -> `Some(8)`; `None` for other runtimes.
pub fn java_version(runtime: &str) -> Option<u32> {
    let rest = runtime.strip_prefix("java")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The items of the `Layers` list: those certainly deployed, and how many depend on a
/// condition the template cannot decide. `None` when the list itself is not known.
pub struct Layers<'a> {
    pub certain: Vec<&'a Node>,
    pub maybe: usize,
}

pub fn layers<'a>(ctx: &Ctx<'a>, r: &'a Resource) -> Option<Layers<'a>> {
    // Absent: no layers. Written but unknowable (`!Ref ListParam`, unknown `Fn::If`): None.
    let Some(raw) = r.properties.get("Layers") else {
        return Some(Layers { certain: Vec::new(), maybe: 0 });
    };
    let node = ctx.resolver.select(raw)?;
    let items = node.as_seq()?;
    let mut out = Layers { certain: Vec::new(), maybe: 0 };
    for item in items {
        match item.single_key() {
            Some(("Ref", t)) if t.as_str() == Some("AWS::NoValue") => {}
            Some(("Fn::If", _)) => match ctx.resolver.select(item) {
                Some(n) => out.certain.push(n),
                None => {
                    // A known condition choosing `AWS::NoValue`, or an unknown condition.
                    if ctx.resolver.value(item) != Resolved::Absent {
                        out.maybe += 1;
                    }
                }
            },
            _ => out.certain.push(item),
        }
    }
    Some(out)
}

/// Every string a node shows: scalars, `Fn::Sub` text, names of referenced parameters and
/// resources, and the defaults of referenced parameters.
pub fn strings_of(ctx: &Ctx<'_>, node: &Node, out: &mut Vec<String>) {
    collect_strings(node, out);
    let mut refs = Vec::new();
    references(node, &mut refs);
    for (name, _) in refs {
        if let Some(p) = ctx.template.parameter(&name) {
            if let Some(d) = &p.default {
                collect_strings(d, out);
            }
        }
    }
}

fn collect_strings(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Scalar(Scalar::Str(s)) => out.push(s.clone()),
        Value::Scalar(_) => {}
        Value::Seq(items) => items.iter().for_each(|n| collect_strings(n, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| collect_strings(v, out)),
    }
}

/// What a layer item is, as far as the template shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    Matches,
    Other,
    /// Its ARN comes from a parameter without default, an import or a nested stack.
    Opaque,
}

/// Whether a layer item's visible text contains one of `needles` (case-insensitive).
pub fn layer_kind(ctx: &Ctx<'_>, item: &Node, needles: &[&str]) -> LayerKind {
    let mut texts = Vec::new();
    strings_of(ctx, item, &mut texts);
    let mut refs = Vec::new();
    references(item, &mut refs);
    for (name, _) in &refs {
        texts.push(name.clone());
        // A layer defined in the template: its name and content path tell what it is.
        if let Some(res) = ctx.template.resource(name) {
            for key in ["LayerName", "ContentUri", "Description"] {
                if let Some(v) = res.prop(key) {
                    collect_strings(v, &mut texts);
                }
            }
        }
    }
    let lc: Vec<String> = texts.iter().map(|t| t.to_ascii_lowercase()).collect();
    if needles.iter().any(|n| lc.iter().any(|t| t.contains(&n.to_ascii_lowercase()))) {
        return LayerKind::Matches;
    }
    let local = refs.iter().any(|(n, _)| ctx.template.resource(n).is_some_and(|r| r.type_name.contains("LayerVersion")));
    let visible = lc.iter().any(|t| t.contains(":layer:"));
    if !local && !visible && ctx.resolver.value(item) == Resolved::Unknown {
        LayerKind::Opaque
    } else {
        LayerKind::Other
    }
}

/// Whether any layer of the function matches; `None` when it cannot be told.
pub fn has_layer(ctx: &Ctx<'_>, r: &Resource, needles: &[&str]) -> Option<bool> {
    let Some(raw) = r.properties.get("Layers") else { return Some(false) };
    let mut unknown = false;
    let items: Vec<&Node> = match ctx.resolver.select(raw).and_then(Node::as_seq) {
        Some(items) => items.iter().collect(),
        // The list itself is an intrinsic: look at whatever it shows.
        None => vec![raw],
    };
    for item in items {
        match layer_kind(ctx, item, needles) {
            LayerKind::Matches => return Some(true),
            LayerKind::Opaque => unknown = true,
            LayerKind::Other => {}
        }
    }
    if unknown { None } else { Some(false) }
}

/// The functions a `FunctionName`-like node designates: a function directly, or the function
/// behind a referenced `AWS::Lambda::Alias`/`AWS::Lambda::Version`.
pub fn functions_named<'a>(ctx: &Ctx<'a>, node: &Node) -> Vec<&'a str> {
    let mut refs = Vec::new();
    references(node, &mut refs);
    let mut out: Vec<&'a str> = Vec::new();
    for (name, _) in refs {
        let Some(res) = ctx.template.resource(&name) else { continue };
        if res.is_function() {
            if !out.contains(&res.id.as_str()) {
                out.push(res.id.as_str());
            }
        } else if matches!(res.type_name.as_str(), "AWS::Lambda::Alias" | "AWS::Lambda::Version") {
            let mut inner = Vec::new();
            if let Some(f) = res.prop("FunctionName") {
                references(f, &mut inner);
            }
            for (id, _) in inner {
                if let Some(f) = ctx.template.resource(&id).filter(|f| f.is_function()) {
                    if !out.contains(&f.id.as_str()) {
                        out.push(f.id.as_str());
                    }
                }
            }
        }
    }
    out
}

/// Whether provisioned concurrency is configured for the function, in SAM or through an
/// `AWS::Lambda::Alias`/`AWS::Lambda::Version` that points at it.
pub fn has_provisioned_concurrency(ctx: &Ctx<'_>, r: &Resource) -> bool {
    if r.properties.get("ProvisionedConcurrencyConfig").is_some_and(|n| !matches!(n.value, Value::Scalar(Scalar::Null))) {
        return true;
    }
    ctx.arch.edges_to(&r.id).any(|e| {
        ctx.template.resource(&e.from).is_some_and(|x| {
            matches!(x.type_name.as_str(), "AWS::Lambda::Alias" | "AWS::Lambda::Version") && x.prop("ProvisionedConcurrencyConfig").is_some()
        })
    }) || ctx.arch.edges_to(&r.id).any(|e| {
        // An alias pointing at a version of the function.
        ctx.type_of(&e.from) == "AWS::Lambda::Version"
            && ctx.arch.edges_to(&e.from).any(|a| {
                ctx.template
                    .resource(&a.from)
                    .is_some_and(|x| x.type_name == "AWS::Lambda::Alias" && x.prop("ProvisionedConcurrencyConfig").is_some())
            })
    })
}

/// A raw property that is written with a non-null value.
pub fn written(r: &Resource, key: &str) -> bool {
    r.properties.get(key).is_some_and(|n| !matches!(n.value, Value::Scalar(Scalar::Null)))
}

/// Formats dollars with two decimals.
pub fn dollars(x: f64) -> String {
    format!("${x:.2}")
}

/// Seconds in an average month (730 hours), as AWS pricing examples use.
pub const SECONDS_PER_MONTH: f64 = 730.0 * 3600.0;

/// Provisioned concurrency price per GB-second in us-east-1.
pub fn provisioned_price(arm64: bool) -> f64 {
    if arm64 { 0.000_003_333_4 } else { 0.000_004_166_7 }
}
