//! The parts of the SAM transform that change what the architecture is.
//!
//! - `Globals` are merged into each serverless resource the way SAM merges them: a local
//!   scalar replaces the global one, maps merge key by key (recursively, local wins), lists
//!   concatenate (global entries first), and a value that is an intrinsic function on either
//!   side is replaced whole by the local one (SAM treats intrinsics as opaque scalars).
//! - The implicit APIs: a function `Api` event without `RestApiId` makes SAM create
//!   `ServerlessRestApi`; an `HttpApi` event without `ApiId` makes `ServerlessHttpApi`.
//!   Both are added as resources (marked `implicit`) with the `Api`/`HttpApi` globals applied.

use super::{Resource, Template};
use crate::yaml::{Key, Node, Value};

/// `Globals` section name -> resource type it applies to.
const SECTIONS: [(&str, &str); 6] = [
    ("Function", "AWS::Serverless::Function"),
    ("Api", "AWS::Serverless::Api"),
    ("HttpApi", "AWS::Serverless::HttpApi"),
    ("SimpleTable", "AWS::Serverless::SimpleTable"),
    ("StateMachine", "AWS::Serverless::StateMachine"),
    ("LayerVersion", "AWS::Serverless::LayerVersion"),
];

pub(super) fn apply(template: &mut Template) {
    add_implicit_apis(template);
    let Some(globals) = template.root.get("Globals").cloned() else { return };
    for (section, type_name) in SECTIONS {
        let Some(global) = globals.get(section) else { continue };
        if global.as_map().is_none() {
            continue;
        }
        for resource in template.resources.iter_mut().filter(|r| r.type_name == type_name) {
            resource.properties = merge(global, &resource.properties);
        }
    }
}

fn is_intrinsic_map(node: &Node) -> bool {
    node.single_key()
        .is_some_and(|(k, _)| super::resolve::is_intrinsic(k))
}

/// SAM's merge of a global value with a local one.
pub fn merge(global: &Node, local: &Node) -> Node {
    match (&global.value, &local.value) {
        (Value::Map(g), Value::Map(l)) if !is_intrinsic_map(global) && !is_intrinsic_map(local) => {
            let mut entries: Vec<(Key, Node)> = Vec::with_capacity(g.len() + l.len());
            for (gk, gv) in g {
                match l.iter().find(|(lk, _)| lk.name == gk.name) {
                    Some((lk, lv)) => entries.push((lk.clone(), merge(gv, lv))),
                    None => entries.push((gk.clone(), gv.clone())),
                }
            }
            for (lk, lv) in l {
                if !g.iter().any(|(gk, _)| gk.name == lk.name) {
                    entries.push((lk.clone(), lv.clone()));
                }
            }
            Node { value: Value::Map(entries), span: local.span }
        }
        (Value::Seq(g), Value::Seq(l)) => Node {
            value: Value::Seq(g.iter().chain(l.iter()).cloned().collect()),
            span: local.span,
        },
        _ => local.clone(),
    }
}

fn add_implicit_apis(template: &mut Template) {
    let mut rest_at = None;
    let mut http_at = None;
    for function in template.resources.iter().filter(|r| r.is_sam_function()) {
        let Some(events) = function.prop("Events").and_then(Node::as_map) else { continue };
        for (key, event) in events {
            let props = event.get("Properties");
            match event.get("Type").and_then(Node::as_str) {
                Some("Api") if props.and_then(|p| p.get("RestApiId")).is_none() => {
                    rest_at.get_or_insert(key.span.start);
                }
                Some("HttpApi") if props.and_then(|p| p.get("ApiId")).is_none() => {
                    http_at.get_or_insert(key.span.start);
                }
                _ => {}
            }
        }
    }
    for (id, type_name, at) in [
        ("ServerlessRestApi", "AWS::Serverless::Api", rest_at),
        ("ServerlessHttpApi", "AWS::Serverless::HttpApi", http_at),
    ] {
        let Some(pos) = at else { continue };
        if template.resources.iter().any(|r| r.id == id) {
            continue;
        }
        let span = crate::yaml::Span { start: pos, end: pos };
        let mut properties = vec![];
        if type_name == "AWS::Serverless::Api" {
            // SAM names the implicit API's stage `Prod`.
            properties.push((
                Key { name: "StageName".into(), span },
                Node { value: Value::Scalar(crate::yaml::Scalar::Str("Prod".into())), span },
            ));
        }
        template.resources.push(Resource {
            id: id.to_string(),
            type_name: type_name.to_string(),
            pos,
            properties: Node { value: Value::Map(properties), span },
            metadata: None,
            condition: None,
            implicit: true,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::template::Template;
    use crate::template::resolve::{Resolved, Resolver};

    const SAM: &str = "
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Globals:
  Function:
    Runtime: python3.12
    MemorySize: 256
    Timeout: 10
    Layers: [arn:aws:lambda:us-east-1:1:layer:a:1]
    Environment:
      Variables: {STAGE: prod, LOG_LEVEL: INFO}
  Api:
    TracingEnabled: true
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      MemorySize: 1024
      Layers: [arn:aws:lambda:us-east-1:1:layer:b:1]
      Environment:
        Variables: {LOG_LEVEL: DEBUG, TABLE: t}
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get}}
        Http: {Type: HttpApi}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: !If [Never, 1, 2]
";

    #[test]
    fn globals_merge_as_sam_merges_them() {
        let t = Template::parse(SAM).unwrap();
        assert!(t.is_sam, "Transform given as a list is recognised");
        let f = t.resource("Fn").unwrap();
        let r = Resolver::new(&t);
        assert_eq!(r.value(f.prop("MemorySize").unwrap()), Resolved::Num(1024.0), "local wins");
        assert_eq!(r.value(f.prop("Timeout").unwrap()), Resolved::Num(10.0), "global fills in");
        let layers = f.prop("Layers").unwrap().as_seq().unwrap();
        assert_eq!(layers.len(), 2, "lists concatenate");
        assert!(layers[0].as_str().unwrap().ends_with("a:1"), "global entries first");
        let vars = r.path(&f.properties, &["Environment", "Variables"]).unwrap();
        assert_eq!(vars.get("LOG_LEVEL").unwrap().as_str(), Some("DEBUG"));
        assert_eq!(vars.get("STAGE").unwrap().as_str(), Some("prod"));
        assert_eq!(vars.get("TABLE").unwrap().as_str(), Some("t"));
        // The global's line is kept for merged-in values, so findings point at Globals.
        assert_eq!(f.properties.entry("Runtime").unwrap().0.span.start.line, 5);
        let other = t.resource("Other").unwrap();
        assert!(other.prop("Timeout").unwrap().single_key().is_some(), "an intrinsic replaces the global whole");
    }

    #[test]
    fn implicit_apis_are_created_with_api_globals() {
        let t = Template::parse(SAM).unwrap();
        let rest = t.resource("ServerlessRestApi").expect("implicit REST API");
        assert!(rest.implicit);
        assert_eq!(rest.prop("TracingEnabled").unwrap().to_json(), serde_json::json!(true));
        assert!(t.resource("ServerlessHttpApi").is_some());
    }

    #[test]
    fn transform_as_a_string_and_plain_cloudformation() {
        let t = Template::parse("Transform: AWS::Serverless-2016-10-31\nResources:\n  F: {Type: AWS::Serverless::Function}\n").unwrap();
        assert!(t.is_sam);
        let t = Template::parse("Resources:\n  F: {Type: AWS::Lambda::Function}\n").unwrap();
        assert!(!t.is_sam);
    }
}
