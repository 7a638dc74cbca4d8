//! A YAML (and therefore JSON) document tree that remembers where every node came from.
//!
//! In: the text of a template or knowledge file. Out: a [`Node`] tree whose every node and map
//! key carries its 1-based line and column, so a finding can point at the exact property.
//!
//! Tokenising is done by `saphyr-parser` (a YAML 1.2 parser, so JSON parses too); this module
//! only builds the tree from its events and enforces what a tree builder must:
//! - CloudFormation short-form tags (`!Ref`, `!GetAtt A.B`, `!Sub`, …) become their long form
//!   (`{"Ref": …}`, `{"Fn::GetAtt": [A, B]}`), so later stages see one shape.
//!   Unknown tags (`!Rain::Embed`) are kept as a one-key map `{"!Rain::Embed": value}`.
//! - Duplicate keys are an error (CloudFormation rejects them too).
//! - Limits: nesting depth and the number of nodes that aliases may expand to, so a
//!   "billion laughs" document is refused in microseconds instead of exhausting memory.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as PSpan, Tag};
use serde::Serialize;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// Where a node starts and ends in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    fn from_parser(span: PSpan) -> Span {
        Span {
            start: Pos {
                line: span.start.line() as u32,
                col: span.start.col() as u32 + 1,
            },
            end: Pos {
                line: span.end.line() as u32,
                col: span.end.col() as u32 + 1,
            },
        }
    }
}

/// A scalar as it was written; `Str` is anything quoted or not matching another kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// Limits that keep a hostile or broken document from costing more than it should.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of maps and sequences.
    pub max_depth: usize,
    /// Total nodes in the tree, counting every node an alias expands to.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // CloudFormation caps a template at 1 MB; a dense 1 MB template has well under 500k
        // nodes, and no real template nests deeper than a few dozen levels.
        Limits {
            max_depth: 128,
            max_nodes: 1_000_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses one YAML or JSON document. An empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    parse_with_limits(text, Limits::default())
}

pub fn parse_with_limits(text: &str, limits: Limits) -> Result<Node, ParseError> {
    let first = build(text, limits);
    let Err(error) = &first else { return first };
    // PyYAML, and so CloudFormation and cfn-lint, accept a flow collection's closing bracket
    // at its key's indentation (`Action: [` ... `]` on a line of its own); YAML 1.2 parsers
    // such as saphyr reject it. Real templates do this, so such lines are indented by one
    // space and the text parsed again; positions elsewhere are unchanged. Bounded, so a
    // hostile file costs at most a few dozen re-parses.
    if !error.message.contains("indentation") {
        return first;
    }
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    let mut error = error.clone();
    for _ in 0..64 {
        let Some(line) = lines.get_mut(error.line.saturating_sub(1) as usize) else { break };
        let trimmed = line.trim_start();
        if !(trimmed.starts_with(']') || trimmed.starts_with('}')) {
            break;
        }
        line.insert(0, ' ');
        match build(&lines.join("\n"), limits) {
            Ok(node) => return Ok(node),
            Err(e) if e.message.contains("indentation") && e.line >= error.line => error = e,
            Err(_) => break,
        }
    }
    first
}

fn build(text: &str, limits: Limits) -> Result<Node, ParseError> {
    let mut builder = Builder {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        limits,
        nodes: 0,
    };
    builder.document()
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    limits: Limits,
    nodes: usize,
}

fn err_at(span: Span, message: impl Into<String>) -> ParseError {
    ParseError {
        line: span.start.line.max(1),
        col: span.start.col.max(1),
        message: message.into(),
    }
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), ParseError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, Span::from_parser(span))),
            Some(Err(e)) => Err(ParseError {
                line: e.marker().line() as u32,
                col: e.marker().col() as u32 + 1,
                message: e.info().to_string(),
            }),
            None => Err(ParseError {
                line: 1,
                col: 1,
                message: "unexpected end of input".into(),
            }),
        }
    }

    fn document(&mut self) -> Result<Node, ParseError> {
        let mut root = None;
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    if root.is_some() {
                        return Err(err_at(
                            span,
                            "more than one YAML document: a template is a single document",
                        ));
                    }
                    let (event, span) = self.next()?;
                    root = Some(self.node(event, span, 0)?);
                }
                Event::StreamEnd => {
                    return Ok(root.unwrap_or(Node {
                        value: Value::Scalar(Scalar::Null),
                        span,
                    }));
                }
                _ => return Err(err_at(span, "unexpected YAML event")),
            }
        }
    }

    fn count(&mut self, span: Span, n: usize) -> Result<(), ParseError> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(err_at(
                span,
                format!(
                    "document expands to more than {} nodes (alias expansion or size limit)",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, ParseError> {
        if depth > self.limits.max_depth {
            return Err(err_at(
                span,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        match event {
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| err_at(span, "alias refers to an unknown anchor"))?;
                self.count(span, node_count(&node))?;
                Ok(node)
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(span, 1)?;
                let scalar = resolve_scalar(text, style, tag.as_deref());
                let node = Node {
                    value: Value::Scalar(scalar),
                    span,
                };
                let node = apply_tag(tag.as_deref(), node, span)?;
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::SequenceStart(anchor, tag) => {
                self.count(span, 1)?;
                let mut items = Vec::new();
                let end = loop {
                    let (event, ispan) = self.next()?;
                    if let Event::SequenceEnd = event {
                        break ispan;
                    }
                    items.push(self.node(event, ispan, depth + 1)?);
                };
                let node = Node {
                    value: Value::Seq(items),
                    span: Span {
                        start: span.start,
                        end: end.end,
                    },
                };
                let node = apply_tag(tag.as_deref(), node, span)?;
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::MappingStart(anchor, tag) => {
                self.count(span, 1)?;
                let mut entries: Vec<(Key, Node)> = Vec::new();
                let end = loop {
                    let (event, kspan) = self.next()?;
                    if let Event::MappingEnd = event {
                        break kspan;
                    }
                    let key_node = self.node(event, kspan, depth + 1)?;
                    let key_span = key_node.span;
                    let name = match key_node.value {
                        Value::Scalar(Scalar::Str(s)) => s,
                        Value::Scalar(s) => scalar_text(&s),
                        _ => {
                            return Err(err_at(
                                kspan,
                                "a mapping key must be a plain value, not a list or map",
                            ));
                        }
                    };
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == name) {
                        return Err(err_at(
                            kspan,
                            format!(
                                "duplicate key `{name}` (first defined on line {})",
                                first.span.start.line
                            ),
                        ));
                    }
                    let (event, vspan) = self.next()?;
                    let value = self.node(event, vspan, depth + 1)?;
                    entries.push((
                        Key {
                            name,
                            span: key_span,
                        },
                        value,
                    ));
                };
                let node = Node {
                    value: Value::Map(entries),
                    span: Span {
                        start: span.start,
                        end: end.end,
                    },
                };
                let node = apply_tag(tag.as_deref(), node, span)?;
                self.remember(anchor, &node);
                Ok(node)
            }
            _ => Err(err_at(span, "unexpected YAML event")),
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }
}

fn node_count(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => 1,
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + node_count(v)).sum::<usize>(),
    }
}

/// Text of a scalar used as a map key or string.
pub fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Null => String::new(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Str(s) => s.clone(),
    }
}

/// YAML 1.2 core schema resolution for plain scalars; quoted scalars are always strings.
/// Takes the scanner's string (already owned for most scalars), so a string costs no copy.
fn resolve_scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Scalar {
    if style != ScalarStyle::Plain
        || tag.is_some_and(|tag| tag.is_yaml_core_schema() && tag.suffix == "str")
    {
        return Scalar::Str(text.into_owned());
    }
    match &*text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.' {
        let text = &*text;
        // Leading zeros ("0123", account ids, versions) stay strings: CloudFormation keeps them.
        let digits = text.trim_start_matches(['-', '+']);
        let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
        if !leading_zero {
            if let Ok(i) = text.parse::<i64>() {
                return Scalar::Int(i);
            }
            if text.contains(['.', 'e', 'E']) && !text.ends_with('.') {
                if let Ok(f) = text.parse::<f64>() {
                    if f.is_finite() {
                        return Scalar::Float(f);
                    }
                }
            }
        }
    }
    Scalar::Str(text.into_owned())
}

/// The long name of a CloudFormation short-form tag, if it is one.
fn intrinsic_name(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "GetAtt" => "Fn::GetAtt",
        "Sub" => "Fn::Sub",
        "Join" => "Fn::Join",
        "If" => "Fn::If",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "FindInMap" => "Fn::FindInMap",
        "ImportValue" => "Fn::ImportValue",
        "GetAZs" => "Fn::GetAZs",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "Equals" => "Fn::Equals",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "Not" => "Fn::Not",
        "Transform" => "Fn::Transform",
        "Length" => "Fn::Length",
        "ToJsonString" => "Fn::ToJsonString",
        "ForEach" => "Fn::ForEach",
        _ => return None,
    })
}

fn apply_tag(tag: Option<&Tag>, node: Node, span: Span) -> Result<Node, ParseError> {
    let Some(tag) = tag else { return Ok(node) };
    if tag.is_yaml_core_schema() {
        return Ok(node);
    }
    let short = if tag.handle == "!" {
        Cow::Borrowed(tag.suffix.as_str())
    } else {
        Cow::Owned(tag.to_string())
    };
    let (key, value) = match intrinsic_name(&short) {
        Some("Fn::GetAtt") => {
            // `!GetAtt Resource.Attribute` (the attribute may itself contain dots).
            let value = match &node.value {
                Value::Scalar(s) => {
                    let text = scalar_text(s);
                    let (res, attr) = text.split_once('.').unwrap_or((text.as_str(), ""));
                    let part = |t: &str| Node {
                        value: Value::Scalar(Scalar::Str(t.to_string())),
                        span: node.span,
                    };
                    Node {
                        value: Value::Seq(vec![part(res), part(attr)]),
                        span: node.span,
                    }
                }
                _ => node,
            };
            ("Fn::GetAtt".to_string(), value)
        }
        Some(long) => (long.to_string(), node),
        None => (format!("!{}", short.trim_start_matches('!')), node),
    };
    Ok(Node {
        span,
        value: Value::Map(vec![(Key { name: key, span }, value)]),
    })
}

impl Node {
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The string of a string scalar (not of numbers or booleans).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(Scalar::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// Looks a key up in a map node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, v)| (k, v))
    }

    /// The single key of a one-entry map (`{"Ref": X}`), the shape of every intrinsic.
    pub fn single_key(&self) -> Option<(&str, &Node)> {
        match self.as_map() {
            Some([(k, v)]) => Some((k.name.as_str(), v)),
            _ => None,
        }
    }

    /// Converts to JSON, dropping positions (used to deserialize typed data such as knowledge).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(Scalar::Null) => J::Null,
            Value::Scalar(Scalar::Bool(b)) => J::Bool(*b),
            Value::Scalar(Scalar::Int(i)) => J::from(*i),
            Value::Scalar(Scalar::Float(f)) => {
                serde_json::Number::from_f64(*f).map_or(J::Null, J::Number)
            }
            Value::Scalar(Scalar::Str(s)) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let doc = parse("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Timeout: 30\n").unwrap();
        let props = doc.get("Resources").unwrap().get("Fn").unwrap().get("Properties").unwrap();
        let (key, value) = props.entry("Timeout").unwrap();
        assert_eq!(key.span.start, Pos { line: 5, col: 7 });
        assert_eq!(value.span.start, Pos { line: 5, col: 16 });
        assert_eq!(value.as_scalar(), Some(&Scalar::Int(30)));
    }

    #[test]
    fn short_tags_become_long_form() {
        let doc = parse("a: !GetAtt Fn.Arn\nb: !Ref X\nc: !Sub '${X}'\nd: !Rain::Embed f.txt\n").unwrap();
        let j = doc.to_json();
        assert_eq!(j["a"], serde_json::json!({"Fn::GetAtt": ["Fn", "Arn"]}));
        assert_eq!(j["b"], serde_json::json!({"Ref": "X"}));
        assert_eq!(j["c"], serde_json::json!({"Fn::Sub": "${X}"}));
        assert_eq!(j["d"], serde_json::json!({"!Rain::Embed": "f.txt"}));
    }

    #[test]
    fn json_parses_with_positions() {
        let doc = parse("{\n\t\"A\": {\n\t\t\"B\": [1, 2.5, \"x\", true, null]\n\t}\n}").unwrap();
        let (k, _) = doc.get("A").unwrap().entry("B").unwrap();
        assert_eq!(k.span.start.line, 3);
        assert_eq!(doc.to_json()["A"]["B"], serde_json::json!([1, 2.5, "x", true, null]));
    }

    #[test]
    fn duplicate_keys_are_an_error_with_both_lines() {
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("duplicate key `a`") && e.message.contains("line 1"), "{e}");
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let started = std::time::Instant::now();
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("more than"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(500) + &"]".repeat(500);
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("nesting deeper") || e.message.contains("recursion limit"), "{e}");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e}");
    }

    #[test]
    fn closing_brackets_at_key_indentation_are_accepted_as_cloudformation_does() {
        let doc = parse("Statement:\n  - Action: [\n      \"s3:GetObject\",\n      \"s3:PutObject\"\n    ]\n    Resource: \"*\"\n").unwrap();
        let stmt = &doc.get("Statement").unwrap().as_seq().unwrap()[0];
        assert_eq!(stmt.get("Action").unwrap().as_seq().unwrap().len(), 2);
        assert_eq!(stmt.entry("Resource").unwrap().0.span.start.line, 6);
    }

    #[test]
    fn leading_zero_numbers_stay_strings() {
        let doc = parse("acct: 012345678901\nv: 1.10\n").unwrap();
        assert_eq!(doc.get("acct").unwrap().as_str(), Some("012345678901"));
        assert_eq!(doc.get("v").unwrap().as_scalar(), Some(&Scalar::Float(1.1)));
    }
}
