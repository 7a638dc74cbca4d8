//! A CloudFormation or SAM template, read with positions and normalised for analysis.
//!
//! In: template text (YAML or JSON). Out: a [`Template`]: its parameters, conditions,
//! mappings and resources, with SAM `Globals` already merged into each serverless resource and
//! the implicit APIs SAM creates (`ServerlessRestApi`, `ServerlessHttpApi`) added. Values are
//! resolved on demand by [`resolve::Resolver`]; nothing here ever panics on odd input: unknown
//! resource types, custom resources, unknown tags and `Fn::ForEach` are kept as they are.

pub mod resolve;
pub mod sam;

use crate::yaml::{self, Key, Node, ParseError, Pos, Scalar, Value};

/// Largest template accepted: CloudFormation's own limit for a template in S3 is 1 MB; the
/// headroom covers SAM templates before transformation and pretty-printed JSON.
pub const MAX_TEMPLATE_BYTES: usize = 5 * 1024 * 1024;

/// Why a text is not a usable template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TemplateError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.col, self.message)
    }
}

impl From<ParseError> for TemplateError {
    fn from(e: ParseError) -> Self {
        TemplateError {
            line: e.line,
            col: e.col,
            message: e.message,
        }
    }
}

/// One resource of the template.
#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    pub type_name: String,
    /// Position of the logical id (the key under `Resources`).
    pub pos: Pos,
    /// `Properties` after SAM `Globals` were merged in (an empty map when absent).
    pub properties: Node,
    pub metadata: Option<Node>,
    pub condition: Option<String>,
    /// Added by the SAM transform (`ServerlessRestApi`, `ServerlessHttpApi`), not written by the user.
    pub implicit: bool,
}

impl Resource {
    pub fn prop(&self, name: &str) -> Option<&Node> {
        self.properties.get(name)
    }

    /// Position of a property's key, or of the resource when it is absent (where to add it).
    pub fn prop_pos(&self, name: &str) -> Pos {
        self.properties
            .entry(name)
            .map(|(k, _)| k.span.start)
            .unwrap_or(self.pos)
    }

    pub fn is_sam_function(&self) -> bool {
        self.type_name == "AWS::Serverless::Function"
    }

    pub fn is_function(&self) -> bool {
        matches!(
            self.type_name.as_str(),
            "AWS::Serverless::Function" | "AWS::Lambda::Function"
        )
    }
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub pos: Pos,
    pub type_name: String,
    pub default: Option<Node>,
    pub allowed: Vec<Node>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub root: Node,
    pub is_sam: bool,
    pub transforms: Vec<String>,
    pub parameters: Vec<Parameter>,
    pub conditions: Vec<(Key, Node)>,
    pub mappings: Option<Node>,
    pub resources: Vec<Resource>,
    /// Template-level `Metadata`.
    pub metadata: Option<Node>,
    /// Resource ids kept in input order; `index` maps an id to its position.
    index: std::collections::HashMap<String, usize>,
}

impl Template {
    /// Reads a template. Errors only when the text is not YAML/JSON or not a template at all
    /// (no `Resources` map); anything odd inside a template is kept and analysed.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        if text.len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateError {
                line: 1,
                col: 1,
                message: format!(
                    "template is {} bytes; the limit is {} bytes",
                    text.len(),
                    MAX_TEMPLATE_BYTES
                ),
            });
        }
        let root = yaml::parse(text)?;
        Template::from_node(root)
    }

    pub fn from_node(root: Node) -> Result<Template, TemplateError> {
        let not_template = |pos: Pos, message: &str| TemplateError {
            line: pos.line.max(1),
            col: pos.col.max(1),
            message: message.to_string(),
        };
        if root.as_map().is_none() {
            return Err(not_template(
                root.span.start,
                "not a CloudFormation template: the document is not a mapping",
            ));
        }
        let Some((res_key, resources_node)) = root.entry("Resources") else {
            return Err(not_template(
                root.span.start,
                "not a CloudFormation template: it has no `Resources` section",
            ));
        };
        if resources_node.as_map().is_none() {
            return Err(not_template(
                res_key.span.start,
                "`Resources` must be a mapping of logical ids to resources",
            ));
        };

        let transforms: Vec<String> = match root.get("Transform") {
            Some(node) => match &node.value {
                Value::Scalar(Scalar::Str(s)) => vec![s.clone()],
                Value::Seq(items) => items.iter().filter_map(|n| n.as_str().map(String::from)).collect(),
                // `Transform: {Name: AWS::Include, ...}` and friends.
                Value::Map(_) => node.get("Name").and_then(Node::as_str).map(String::from).into_iter().collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let is_sam = transforms.iter().any(|t| t.starts_with("AWS::Serverless"));

        let parameters = root
            .get("Parameters")
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| Parameter {
                name: k.name.clone(),
                pos: k.span.start,
                type_name: v.get("Type").and_then(Node::as_str).unwrap_or("String").to_string(),
                default: v.get("Default").cloned(),
                allowed: v.get("AllowedValues").and_then(Node::as_seq).map(<[Node]>::to_vec).unwrap_or_default(),
            })
            .collect();
        let conditions = root.get("Conditions").and_then(Node::as_map).map(<[(Key, Node)]>::to_vec).unwrap_or_default();

        let empty_map = |pos: Pos| Node {
            value: Value::Map(Vec::new()),
            span: yaml::Span { start: pos, end: pos },
        };
        // Move the resources out of the tree instead of copying them: the properties are most
        // of a template, and copying them was the largest cost of reading one.
        let mut root = root;
        let resource_entries: Vec<(Key, Node)> = match &mut root.value {
            Value::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.name == "Resources")
                .map(|(_, v)| match &mut v.value {
                    Value::Map(m) => std::mem::take(m),
                    _ => Vec::new(),
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut resources = Vec::with_capacity(resource_entries.len());
        for (key, mut body) in resource_entries {
            // `Fn::ForEach::Loop` entries (LanguageExtensions) and malformed entries are kept
            // as generic resources so that nothing is silently lost.
            let type_name = body
                .get("Type")
                .and_then(Node::as_str)
                .map(String::from)
                .unwrap_or_else(|| {
                    if key.name.starts_with("Fn::ForEach") {
                        "Fn::ForEach".to_string()
                    } else {
                        "Unknown".to_string()
                    }
                });
            let condition = body.get("Condition").and_then(Node::as_str).map(String::from);
            let mut take = |name: &str| -> Option<Node> {
                match &mut body.value {
                    Value::Map(entries) => entries.iter().position(|(k, _)| k.name == name).map(|i| entries.swap_remove(i).1),
                    _ => None,
                }
            };
            let properties = match take("Properties") {
                Some(p) if p.as_map().is_some() => p,
                _ => empty_map(key.span.start),
            };
            let metadata = take("Metadata");
            resources.push(Resource {
                id: key.name.clone(),
                type_name,
                pos: key.span.start,
                properties,
                metadata,
                condition,
                implicit: false,
            });
        }

        let mut template = Template {
            metadata: root.get("Metadata").cloned(),
            mappings: root.get("Mappings").cloned(),
            root,
            is_sam,
            transforms,
            parameters,
            conditions,
            resources,
            index: Default::default(),
        };
        if template.is_sam {
            sam::apply(&mut template);
        }
        template.reindex();
        Ok(template)
    }

    fn reindex(&mut self) {
        self.index = self
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.index.get(id).map(|&i| &self.resources[i])
    }

    /// Position of a resource in [`Template::resources`].
    pub fn resource_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    pub fn resources_of_type<'a>(&'a self, types: &'a [&'a str]) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.iter().filter(move |r| types.contains(&r.type_name.as_str()))
    }

    pub fn functions(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(|r| r.is_function())
    }
}
