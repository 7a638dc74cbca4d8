//! What a rule sees: the template, a resolver for its values, the architecture and the
//! knowledge graph, with helpers that keep rules short and make "unknown" hard to ignore.

use std::borrow::Cow;
use std::cell::OnceCell;

use crate::architecture::{Architecture, Edge, EdgeKind};
use crate::knowledge::KnowledgeBase;
use crate::template::resolve::{Resolved, Resolver};
use crate::template::{Resource, Template};
use crate::yaml::{Node, Pos};

use super::{Diagnostic, Fix};

pub struct Ctx<'a> {
    pub template: &'a Template,
    pub resolver: Resolver<'a>,
    pub arch: &'a Architecture,
    pub kb: &'a KnowledgeBase,
    /// [`Ctx::function`] per resource (by index), read once however many rules ask.
    functions: Vec<OnceCell<Function>>,
}

/// A property as the template determines it.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop<T> {
    /// Not written (the service default applies).
    Absent,
    /// Written, but only known at deploy time (parameter without default, `Fn::If` on an
    /// unknown condition, an import). Rules must not report on it as if it were known.
    Unknown(Pos),
    Known(T, Pos),
}

impl<T> Prop<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Prop::Known(v, _) => Some(v),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Prop::Absent)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Prop::Unknown(_))
    }

    /// The value, with the service default standing in for an absent property; `None` when unknown.
    pub fn or_default(&self, default: T) -> Option<T>
    where
        T: Clone,
    {
        match self {
            Prop::Absent => Some(default),
            Prop::Known(v, _) => Some(v.clone()),
            Prop::Unknown(_) => None,
        }
    }
}

pub const FUNCTION_TYPES: &[&str] = &["AWS::Serverless::Function", "AWS::Lambda::Function"];

impl<'a> Ctx<'a> {
    pub fn new(template: &'a Template, arch: &'a Architecture, kb: &'a KnowledgeBase) -> Ctx<'a> {
        let functions = template.resources.iter().map(|_| OnceCell::new()).collect();
        Ctx { template, resolver: Resolver::new(template), arch, kb, functions }
    }

    /// Resources of the given types, leaving out those whose `Condition` is known to be false.
    pub fn resources<'s>(&'s self, types: &'s [&'s str]) -> impl Iterator<Item = &'a Resource> + 's {
        self.template
            .resources
            .iter()
            .filter(move |r| types.contains(&r.type_name.as_str()))
            .filter(move |r| self.resolver.resource_may_exist(r.condition.as_deref()))
    }

    pub fn functions<'s>(&'s self) -> impl Iterator<Item = &'a Resource> + 's {
        self.resources(FUNCTION_TYPES)
    }

    /// The node at `path` under the resource's properties, following known `Fn::If` branches.
    pub fn node(&self, r: &'a Resource, path: &[&str]) -> Option<&'a Node> {
        self.resolver.path(&r.properties, path)
    }

    /// Where to point for `path`: the deepest key of it that is written, else the resource.
    pub fn pos(&self, r: &Resource, path: &[&str]) -> Pos {
        let mut node = &r.properties;
        let mut pos = r.pos;
        for key in path {
            let Some(sel) = self.resolver.select(node) else { break };
            match sel.entry(key) {
                Some((k, v)) => {
                    pos = k.span.start;
                    node = v;
                }
                None => break,
            }
        }
        pos
    }

    pub fn value(&self, r: &'a Resource, path: &[&str]) -> Prop<Resolved> {
        let mut node = &r.properties;
        let mut key_pos = r.pos;
        for key in path {
            let Some(sel) = self.resolver.select(node) else { return Prop::Unknown(key_pos) };
            match sel.entry(key) {
                Some((k, v)) => {
                    key_pos = k.span.start;
                    node = v;
                }
                None if sel.single_key().is_some_and(|(k, _)| crate::template::resolve::is_intrinsic(k)) => {
                    return Prop::Unknown(key_pos);
                }
                None => return Prop::Absent,
            }
        }
        match self.resolver.value(node) {
            Resolved::Unknown => Prop::Unknown(key_pos),
            Resolved::Absent => Prop::Absent,
            v => Prop::Known(v, key_pos),
        }
    }

    pub fn num(&self, r: &'a Resource, path: &[&str]) -> Prop<f64> {
        match self.value(r, path) {
            Prop::Known(v, pos) => v.as_f64().map_or(Prop::Unknown(pos), |n| Prop::Known(n, pos)),
            Prop::Unknown(p) => Prop::Unknown(p),
            Prop::Absent => Prop::Absent,
        }
    }

    pub fn str(&self, r: &'a Resource, path: &[&str]) -> Prop<String> {
        match self.value(r, path) {
            Prop::Known(v, pos) => v.text().map_or(Prop::Unknown(pos), |s| Prop::Known(s, pos)),
            Prop::Unknown(p) => Prop::Unknown(p),
            Prop::Absent => Prop::Absent,
        }
    }

    pub fn bool(&self, r: &'a Resource, path: &[&str]) -> Prop<bool> {
        match self.value(r, path) {
            Prop::Known(v, pos) => v.as_bool().map_or(Prop::Unknown(pos), |b| Prop::Known(b, pos)),
            Prop::Unknown(p) => Prop::Unknown(p),
            Prop::Absent => Prop::Absent,
        }
    }

    /// A list property: `Known` with the items' resolved values (unknown items stay `Unknown`).
    pub fn list(&self, r: &'a Resource, path: &[&str]) -> Prop<Vec<Resolved>> {
        match self.value(r, path) {
            Prop::Known(Resolved::List(items), pos) => Prop::Known(items, pos),
            Prop::Known(_, pos) | Prop::Unknown(pos) => Prop::Unknown(pos),
            Prop::Absent => Prop::Absent,
        }
    }

    pub fn edges_to(&self, id: &'a str, kinds: &'a [EdgeKind]) -> impl Iterator<Item = &'a Edge> + 'a {
        self.arch.edges_to(id).filter(move |e| kinds.is_empty() || kinds.contains(&e.kind))
    }

    pub fn edges_from(&self, id: &'a str, kinds: &'a [EdgeKind]) -> impl Iterator<Item = &'a Edge> + 'a {
        self.arch.edges_from(id).filter(move |e| kinds.is_empty() || kinds.contains(&e.kind))
    }

    /// Type of a resource by id (`""` when it does not exist).
    pub fn type_of(&self, id: &str) -> &'a str {
        self.template.resource(id).map_or("", |r| r.type_name.as_str())
    }

    /// Builds a diagnostic about `path` of resource `r`.
    pub fn diag(&self, r: &Resource, path: &[&str], message: impl Into<String>) -> Diagnostic {
        let mut full = vec!["Resources".to_string(), r.id.clone(), "Properties".to_string()];
        full.extend(path.iter().map(|s| s.to_string()));
        if path.is_empty() {
            full.truncate(2);
        }
        Diagnostic {
            resource: Some(r.id.clone()),
            message: message.into(),
            evidence: Vec::new(),
            pos: self.pos(r, path),
            path: full,
            fix: None,
        }
    }

    /// A finding about the template as a whole.
    pub fn template_diag(&self, message: impl Into<String>, pos: Pos) -> Diagnostic {
        Diagnostic { resource: None, message: message.into(), evidence: Vec::new(), pos, path: Vec::new(), fix: None }
    }

    /// Facts about a Lambda function that many rules need, with Lambda's defaults; read once
    /// per function and shared by every rule that asks.
    pub fn function(&self, r: &'a Resource) -> Cow<'_, Function> {
        let cell = self
            .template
            .resource_index(&r.id)
            .filter(|&i| std::ptr::eq(&self.template.resources[i], r))
            .and_then(|i| self.functions.get(i));
        match cell {
            Some(cell) => Cow::Borrowed(cell.get_or_init(|| self.read_function(r))),
            None => Cow::Owned(self.read_function(r)),
        }
    }

    fn read_function(&self, r: &'a Resource) -> Function {
        let runtime = self.str(r, &["Runtime"]);
        let package_type = self.str(r, &["PackageType"]);
        let is_image = package_type.known().is_some_and(|p| p == "Image") || (r.is_sam_function() && self.node(r, &["ImageUri"]).is_some());
        let architecture = match self.list(r, &["Architectures"]) {
            Prop::Known(items, pos) => match items.first().and_then(Resolved::text) {
                Some(a) => Prop::Known(a, pos),
                None => Prop::Unknown(pos),
            },
            Prop::Unknown(p) => Prop::Unknown(p),
            Prop::Absent => Prop::Absent,
        };
        let tracing = if r.is_sam_function() { self.str(r, &["Tracing"]) } else { self.str(r, &["TracingConfig", "Mode"]) };
        Function {
            memory: self.num(r, &["MemorySize"]),
            timeout: self.num(r, &["Timeout"]),
            runtime,
            architecture,
            tracing,
            is_image,
        }
    }
}

/// Lambda facts with the service defaults documented next to each field.
#[derive(Debug, Clone)]
pub struct Function {
    /// Default 128 MB.
    pub memory: Prop<f64>,
    /// Default 3 s.
    pub timeout: Prop<f64>,
    pub runtime: Prop<String>,
    /// Default `x86_64`.
    pub architecture: Prop<String>,
    /// `Active` or `PassThrough` (default).
    pub tracing: Prop<String>,
    pub is_image: bool,
}

impl Function {
    pub const DEFAULT_MEMORY_MB: f64 = 128.0;
    pub const DEFAULT_TIMEOUT_S: f64 = 3.0;

    pub fn memory_mb(&self) -> Option<f64> {
        self.memory.or_default(Self::DEFAULT_MEMORY_MB)
    }

    pub fn timeout_s(&self) -> Option<f64> {
        self.timeout.or_default(Self::DEFAULT_TIMEOUT_S)
    }

    pub fn is_java(&self) -> bool {
        self.runtime.known().is_some_and(|r| r.starts_with("java"))
    }

    pub fn is_arm64(&self) -> Option<bool> {
        self.architecture.or_default("x86_64".to_string()).map(|a| a == "arm64")
    }
}

impl Fix {
    pub fn new(description: impl Into<String>, yaml: impl Into<String>) -> Fix {
        Fix { description: description.into(), yaml: yaml.into() }
    }
}

/// Formats a number the way a template writes it (`512`, not `512.0`).
pub fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 { format!("{}", n as i64) } else { format!("{n}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_facts_are_read_once_per_function_and_never_mixed_up() {
        let text = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n  A:\n    Type: AWS::Lambda::Function\n    Properties:\n      MemorySize: 512\n      Runtime: java21\n  B:\n    Type: AWS::Serverless::Function\n    Properties:\n      Timeout: 10\n";
        let template = Template::parse(text).unwrap();
        let arch = crate::architecture::build(&template);
        let ctx = Ctx::new(&template, &arch, crate::knowledge::embedded());
        let a = template.resource("A").unwrap();
        let b = template.resource("B").unwrap();
        for _ in 0..2 {
            assert!(matches!(ctx.function(b), Cow::Borrowed(_)), "a template resource's facts are cached");
            assert_eq!(ctx.function(a).memory_mb(), Some(512.0));
            assert!(ctx.function(a).is_java());
            assert_eq!(ctx.function(b).memory_mb(), Some(Function::DEFAULT_MEMORY_MB));
            assert_eq!(ctx.function(b).timeout_s(), Some(10.0));
            assert!(!ctx.function(b).is_java());
        }
        // A resource that is not the template's own (same id, another copy) is read, not cached.
        let copy = a.clone();
        assert!(matches!(ctx.function(&copy), Cow::Owned(_)));
        assert_eq!(ctx.function(&copy).memory_mb(), Some(512.0));
    }
}
