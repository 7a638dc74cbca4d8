//! Resolving intrinsic functions to values where the template alone determines them.
//!
//! A value is [`Resolved::Unknown`] whenever it depends on something only known at deploy time
//! (a parameter without default, `AWS::Region`, an attribute of a resource, an import). Rules
//! only report on known values, so unresolved parameters never produce false positives.
//! Conditions are evaluated once each and memoised (three-valued: true, false, unknown), so
//! templates with many nested conditions cost linear time, never exponential.

use std::cell::RefCell;
use std::collections::HashMap;

use super::Template;
use crate::yaml::{Node, Scalar, Value};

/// How deep intrinsic functions may nest before the value is declared unknown.
const MAX_DEPTH: usize = 48;

#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Str(String),
    Num(f64),
    Bool(bool),
    List(Vec<Resolved>),
    /// A mapping (not an intrinsic); its entries stay nodes, to be resolved when read.
    Map,
    /// `Ref: AWS::NoValue`: the property is removed.
    Absent,
    Unknown,
}

impl Resolved {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Resolved::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A number, also from a numeric string (`MemorySize: "512"`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Resolved::Num(n) => Some(*n),
            Resolved::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean, also from `"true"`/`"false"` strings as CloudFormation accepts them.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Resolved::Bool(b) => Some(*b),
            Resolved::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Resolved::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, Resolved::Unknown)
    }

    /// The text CloudFormation would compare (`Fn::Equals`) or join.
    pub fn text(&self) -> Option<String> {
        match self {
            Resolved::Str(s) => Some(s.clone()),
            Resolved::Num(n) => Some(if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", *n as i64)
            } else {
                n.to_string()
            }),
            Resolved::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// Resolves values of one template. Cheap to create; memoises conditions.
pub struct Resolver<'t> {
    template: &'t Template,
    conditions: RefCell<HashMap<String, Option<bool>>>,
}

impl<'t> Resolver<'t> {
    pub fn new(template: &'t Template) -> Self {
        Resolver {
            template,
            conditions: RefCell::new(HashMap::new()),
        }
    }

    /// The value of a node, intrinsics resolved where possible.
    pub fn value(&self, node: &Node) -> Resolved {
        self.eval(node, 0)
    }

    /// Follows `Fn::If` (with a known condition) to the node that applies; `None` when the
    /// branch cannot be known or the value is `AWS::NoValue`.
    pub fn select<'n>(&self, node: &'n Node) -> Option<&'n Node> {
        let mut node = node;
        for _ in 0..MAX_DEPTH {
            match node.single_key() {
                Some(("Fn::If", args)) => {
                    let args = args.as_seq()?;
                    let [cond, yes, no] = args else { return None };
                    let cond = cond.as_str()?;
                    node = match self.condition(cond)? {
                        true => yes,
                        false => no,
                    };
                }
                Some(("Ref", target)) if target.as_str() == Some("AWS::NoValue") => return None,
                _ => return Some(node),
            }
        }
        None
    }

    /// A property path under a node (`["Tracing"]`, `["Environment", "Variables"]`), each step
    /// through `Fn::If` where its condition is known.
    pub fn path<'n>(&self, node: &'n Node, path: &[&str]) -> Option<&'n Node> {
        let mut node = self.select(node)?;
        for key in path {
            node = self.select(node.get(key)?)?;
        }
        Some(node)
    }

    /// Evaluates a named condition: `Some(true/false)` or `None` when it depends on unknowns.
    pub fn condition(&self, name: &str) -> Option<bool> {
        if let Some(v) = self.conditions.borrow().get(name) {
            return *v;
        }
        // Mark as unknown first: a condition that refers to itself stays unknown.
        self.conditions.borrow_mut().insert(name.to_string(), None);
        let value = self
            .template
            .conditions
            .iter()
            .find(|(k, _)| k.name == name)
            .and_then(|(_, node)| self.eval_condition(node, 0));
        self.conditions.borrow_mut().insert(name.to_string(), value);
        value
    }

    /// Whether a resource exists, by its `Condition` (unknown conditions count as existing).
    pub fn resource_may_exist(&self, condition: Option<&str>) -> bool {
        condition.is_none_or(|c| self.condition(c) != Some(false))
    }

    fn eval_condition(&self, node: &Node, depth: usize) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        let (name, args) = node.single_key()?;
        let args_seq = args.as_seq();
        match name {
            "Condition" => self.condition(args.as_str()?),
            "Fn::Equals" => {
                let [a, b] = args_seq? else { return None };
                let (a, b) = (self.eval(a, depth + 1), self.eval(b, depth + 1));
                Some(a.text()? == b.text()?)
            }
            "Fn::Not" => {
                let [a] = args_seq? else { return None };
                self.eval_condition(a, depth + 1).map(|v| !v)
            }
            "Fn::And" => {
                let mut unknown = false;
                for a in args_seq? {
                    match self.eval_condition(a, depth + 1) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => unknown = true,
                    }
                }
                if unknown { None } else { Some(true) }
            }
            "Fn::Or" => {
                let mut unknown = false;
                for a in args_seq? {
                    match self.eval_condition(a, depth + 1) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => unknown = true,
                    }
                }
                if unknown { None } else { Some(false) }
            }
            _ => None,
        }
    }

    fn eval(&self, node: &Node, depth: usize) -> Resolved {
        if depth > MAX_DEPTH {
            return Resolved::Unknown;
        }
        match &node.value {
            Value::Scalar(Scalar::Str(s)) => Resolved::Str(s.clone()),
            Value::Scalar(Scalar::Int(i)) => Resolved::Num(*i as f64),
            Value::Scalar(Scalar::Float(f)) => Resolved::Num(*f),
            Value::Scalar(Scalar::Bool(b)) => Resolved::Bool(*b),
            Value::Scalar(Scalar::Null) => Resolved::Absent,
            Value::Seq(items) => Resolved::List(
                items
                    .iter()
                    .map(|n| self.eval(n, depth + 1))
                    .filter(|v| *v != Resolved::Absent)
                    .collect(),
            ),
            Value::Map(_) => match node.single_key() {
                Some((name, args)) if is_intrinsic(name) => self.intrinsic(name, args, depth + 1),
                _ => Resolved::Map,
            },
        }
    }

    fn reference(&self, name: &str, depth: usize) -> Resolved {
        match name {
            "AWS::NoValue" => Resolved::Absent,
            "AWS::URLSuffix" => Resolved::Str("amazonaws.com".into()),
            n if n.starts_with("AWS::") => Resolved::Unknown,
            n => match self.template.parameter(n) {
                Some(p) => p.default.as_ref().map_or(Resolved::Unknown, |d| self.eval(d, depth + 1)),
                // A resource: its physical id is only known after deployment.
                None => Resolved::Unknown,
            },
        }
    }

    fn intrinsic(&self, name: &str, args: &Node, depth: usize) -> Resolved {
        let seq = args.as_seq();
        match name {
            "Ref" => args.as_str().map_or(Resolved::Unknown, |n| self.reference(n, depth)),
            "Fn::If" => {
                let Some([cond, yes, no]) = seq else { return Resolved::Unknown };
                match cond.as_str().and_then(|c| self.condition(c)) {
                    Some(true) => self.eval(yes, depth),
                    Some(false) => self.eval(no, depth),
                    None => {
                        // Both branches agree: the value is known whatever the condition.
                        let (a, b) = (self.eval(yes, depth), self.eval(no, depth));
                        if a == b && a.is_known() { a } else { Resolved::Unknown }
                    }
                }
            }
            "Fn::Sub" => {
                let (text, vars) = match (&args.value, seq) {
                    (Value::Scalar(Scalar::Str(s)), _) => (s.as_str(), None),
                    (_, Some([t, vars])) => match t.as_str() {
                        Some(s) => (s, Some(vars)),
                        None => return Resolved::Unknown,
                    },
                    _ => return Resolved::Unknown,
                };
                self.sub(text, vars, depth)
            }
            "Fn::Join" => {
                let Some([delim, list]) = seq else { return Resolved::Unknown };
                let Some(delim) = delim.as_str().map(String::from).or_else(|| self.eval(delim, depth).text()) else {
                    return Resolved::Unknown;
                };
                match self.eval(list, depth) {
                    Resolved::List(items) => {
                        let parts: Option<Vec<String>> = items.iter().map(Resolved::text).collect();
                        parts.map_or(Resolved::Unknown, |p| Resolved::Str(p.join(&delim)))
                    }
                    _ => Resolved::Unknown,
                }
            }
            "Fn::Select" => {
                let Some([index, list]) = seq else { return Resolved::Unknown };
                let Some(i) = self.eval(index, depth).as_f64() else { return Resolved::Unknown };
                match self.eval(list, depth) {
                    Resolved::List(items) if i >= 0.0 => items.get(i as usize).cloned().unwrap_or(Resolved::Unknown),
                    _ => Resolved::Unknown,
                }
            }
            "Fn::Split" => {
                let Some([delim, text]) = seq else { return Resolved::Unknown };
                match (delim.as_str(), self.eval(text, depth)) {
                    (Some(d), Resolved::Str(s)) if !d.is_empty() => {
                        Resolved::List(s.split(d).map(|p| Resolved::Str(p.to_string())).collect())
                    }
                    _ => Resolved::Unknown,
                }
            }
            "Fn::FindInMap" => {
                let Some(args) = seq else { return Resolved::Unknown };
                if args.len() < 3 {
                    return Resolved::Unknown;
                }
                let keys: Option<Vec<String>> = args[..3].iter().map(|a| self.eval(a, depth).text()).collect();
                let found = keys.and_then(|k| {
                    let mappings = self.template.mappings.as_ref()?;
                    mappings.get(&k[0])?.get(&k[1])?.get(&k[2]).cloned()
                });
                match found {
                    Some(node) => self.eval(&node, depth),
                    // LanguageExtensions: `[Map, Top, Second, {DefaultValue: X}]`.
                    None => args
                        .get(3)
                        .and_then(|d| d.get("DefaultValue"))
                        .map_or(Resolved::Unknown, |d| self.eval(d, depth)),
                }
            }
            // The script text matters more than its encoding (UserData analysis reads it).
            "Fn::Base64" => self.eval(args, depth),
            _ => Resolved::Unknown,
        }
    }

    fn sub(&self, text: &str, vars: Option<&Node>, depth: usize) -> Resolved {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = match vars.and_then(|v| v.get(name)) {
                    Some(node) => self.eval(node, depth),
                    None if name.contains('.') => Resolved::Unknown,
                    None => self.reference(name, depth),
                };
                match value.text() {
                    Some(t) => out.push_str(&t),
                    None => return Resolved::Unknown,
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Resolved::Str(out)
    }
}

pub fn is_intrinsic(name: &str) -> bool {
    name == "Ref" || name == "Condition" || name.starts_with("Fn::")
}

/// The ids a node refers to (`Ref`, `Fn::GetAtt`, `${…}` in `Fn::Sub`), in order, each once.
pub fn referenced_ids(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    references(node, &mut out);
    let mut ids: Vec<String> = Vec::new();
    for (id, _) in out {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Every resource a node refers to through `Ref`, `Fn::GetAtt` or `${…}` in `Fn::Sub`, with the
/// node where the reference is written. Parameters and pseudo parameters are not resources and
/// are left out by the caller (it knows the resource ids).
pub fn references(node: &Node, out: &mut Vec<(String, crate::yaml::Pos)>) {
    match &node.value {
        Value::Scalar(_) => {}
        Value::Seq(items) => items.iter().for_each(|n| references(n, out)),
        Value::Map(entries) => {
            if let Some((name, args)) = node.single_key() {
                match name {
                    "Ref" => {
                        // SAM's `!Ref Fn.Version` / `!Ref Fn.Alias` name the function.
                        if let Some(t) = args.as_str() {
                            let t = t.strip_suffix(".Version").or_else(|| t.strip_suffix(".Alias")).unwrap_or(t);
                            out.push((t.to_string(), node.span.start));
                        }
                        return;
                    }
                    "Fn::GetAtt" => {
                        let target = match &args.value {
                            Value::Seq(items) => items.first().and_then(Node::as_str),
                            Value::Scalar(Scalar::Str(s)) => s.split('.').next(),
                            _ => None,
                        };
                        if let Some(t) = target {
                            out.push((t.to_string(), node.span.start));
                        }
                        return;
                    }
                    "Fn::Sub" => {
                        let text = match &args.value {
                            Value::Scalar(Scalar::Str(s)) => Some(s.as_str()),
                            Value::Seq(items) => {
                                items.iter().skip(1).for_each(|n| references(n, out));
                                items.first().and_then(Node::as_str)
                            }
                            _ => None,
                        };
                        if let Some(text) = text {
                            let mut rest = text;
                            while let Some(start) = rest.find("${") {
                                let after = &rest[start + 2..];
                                let Some(end) = after.find('}') else { break };
                                let var = &after[..end];
                                if !var.starts_with('!') {
                                    let target = var.split('.').next().unwrap_or(var);
                                    out.push((target.to_string(), args.span.start));
                                }
                                rest = &after[end + 1..];
                            }
                        }
                        return;
                    }
                    _ => {}
                }
            }
            entries.iter().for_each(|(_, v)| references(v, out));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    fn resolve(t: &Template, id: &str, prop: &str) -> Resolved {
        let r = Resolver::new(t);
        r.value(t.resource(id).unwrap().prop(prop).unwrap())
    }

    const BASE: &str = "
Parameters:
  Mem: {Type: Number, Default: 512}
  Env: {Type: String, Default: prod}
  NoDefault: {Type: String}
Mappings:
  Sizes: {prod: {Memory: 2048}, dev: {Memory: 256}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Unknowable: !Equals [!Ref NoDefault, x]
  Both: !And [!Condition IsProd, !Condition Unknowable]
  Either: !Or [!Condition IsProd, !Condition Unknowable]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      A: !Ref Mem
      B: !If [IsProd, 1024, 128]
      C: !FindInMap [Sizes, !Ref Env, Memory]
      D: !Sub 'arn:${AWS::Partition}:x:${Env}'
      E: !Sub ['${Env}-${X}', {X: suffix}]
      F: !Join ['-', [a, !Ref Env, c]]
      G: !Select [1, !Split [',', 'x,y,z']]
      H: !Ref NoDefault
      I: !If [Unknowable, 1, 2]
      J: !If [Unknowable, 7, 7]
      K: !GetAtt Other.Arn
";

    #[test]
    fn resolves_what_the_template_determines() {
        let t = template(BASE);
        assert_eq!(resolve(&t, "Fn", "A"), Resolved::Num(512.0));
        assert_eq!(resolve(&t, "Fn", "B"), Resolved::Num(1024.0));
        assert_eq!(resolve(&t, "Fn", "C"), Resolved::Num(2048.0));
        assert_eq!(resolve(&t, "Fn", "D"), Resolved::Unknown);
        assert_eq!(resolve(&t, "Fn", "E"), Resolved::Str("prod-suffix".into()));
        assert_eq!(resolve(&t, "Fn", "F"), Resolved::Str("a-prod-c".into()));
        assert_eq!(resolve(&t, "Fn", "G"), Resolved::Str("y".into()));
    }

    #[test]
    fn unknowns_stay_unknown() {
        let t = template(BASE);
        assert_eq!(resolve(&t, "Fn", "H"), Resolved::Unknown);
        assert_eq!(resolve(&t, "Fn", "I"), Resolved::Unknown);
        assert_eq!(resolve(&t, "Fn", "J"), Resolved::Num(7.0));
        assert_eq!(resolve(&t, "Fn", "K"), Resolved::Unknown);
        let r = Resolver::new(&t);
        assert_eq!(r.condition("IsProd"), Some(true));
        assert_eq!(r.condition("IsDev"), Some(false));
        assert_eq!(r.condition("Unknowable"), None);
        assert_eq!(r.condition("Both"), None);
        assert_eq!(r.condition("Either"), Some(true));
    }

    #[test]
    fn chained_conditions_cost_linear_time() {
        // Each condition refers to the previous one twice: naive evaluation is 2^n.
        let mut text = String::from("Parameters:\n  P: {Type: String}\nConditions:\n  C0: !Equals [!Ref P, x]\n");
        for i in 1..200 {
            text.push_str(&format!("  C{i}: !Or [!Condition C{}, !Not [!Condition C{}]]\n", i - 1, i - 1));
        }
        text.push_str("Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Condition: C199\n");
        let t = template(&text);
        let started = std::time::Instant::now();
        assert_eq!(Resolver::new(&t).condition("C199"), None);
        assert!(started.elapsed() < std::time::Duration::from_millis(100));
    }

    #[test]
    fn self_referencing_conditions_terminate() {
        let t = template("Conditions:\n  A: !Condition B\n  B: !Condition A\nResources:\n  R: {Type: AWS::SNS::Topic}\n");
        assert_eq!(Resolver::new(&t).condition("A"), None);
    }
}
