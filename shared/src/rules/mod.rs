//! The rule engine: each rule is declared once, in its own file, with its documentation.
//!
//! In: a [`Ctx`] (template, resolver, architecture, knowledge graph). Out: [`Diagnostic`]s,
//! which [`crate::analysis`] turns into report findings (adding the rule's code, severity,
//! pillar, symptoms and remedies, and applying suppressions).
//!
//! A rule lives in `rules/<service>/<rule>.rs`, is declared with [`declare_rule!`] (biome's
//! pattern: the `///` lines become the docs that `archlens explain`, the API and the web app
//! show), and is registered in its service's `RULES` table, which [`all`] concatenates.
//! The docs' `## Example` template must produce the rule's finding and `## Use instead` must
//! not: the meta tests run them, so every rule has a failing and a passing fixture.

pub mod ctx;

mod apigateway;
pub(crate) mod compute;
mod data;
mod lambda;
mod messaging;
mod operations;

use serde::Serialize;

pub use ctx::{Ctx, Prop};

use crate::knowledge::Pillar;
use crate::yaml::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

/// Everything about a rule except its logic.
#[derive(Debug, Serialize)]
pub struct Meta {
    /// Stable code with a service prefix (`LAMBDA-001`); never reused.
    pub code: &'static str,
    /// The problem, in kebab-case (`function-timeout-exceeds-api-limit`).
    pub name: &'static str,
    pub severity: Severity,
    pub pillar: Pillar,
    /// Knowledge-graph symptoms the finding points to (may be empty).
    pub symptoms: &'static [&'static str],
    /// Knowledge-graph remedies, most relevant first (never empty).
    pub remedies: &'static [&'static str],
    /// Markdown: `## What it does`, `## Why is this bad?`, `## Example`, `## Use instead`,
    /// `## References`.
    pub docs: &'static str,
}

impl Meta {
    /// First sentence of *What it does*, for lists.
    pub fn summary(&self) -> &'static str {
        let body = self.docs.split("## What it does").nth(1).unwrap_or(self.docs);
        let body = body.trim_start();
        let end = body.find("\n\n").or_else(|| body.find("\n#")).unwrap_or(body.len());
        body[..end].trim()
    }

    /// The YAML code block under a docs heading (`Example`, `Use instead`).
    pub fn docs_block(&self, heading: &str) -> Option<&'static str> {
        let section = self.docs.split(&format!("## {heading}")).nth(1)?;
        let section = section.split("\n## ").next()?;
        let start = section.find("```yaml")? + "```yaml".len();
        let rest = &section[start..];
        let end = rest.find("```")?;
        Some(rest[..end].trim_start_matches('\n'))
    }
}

/// A suggested change to the template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    /// What to do, in words.
    pub description: String,
    /// The YAML to add or change, ready to paste at the finding's line.
    pub yaml: String,
}

/// What a rule found, before the engine attaches the rule's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub resource: Option<String>,
    pub message: String,
    pub evidence: Vec<String>,
    pub pos: Pos,
    /// Logical path, cfn-lint style: `["Resources", "Fn", "Properties", "Timeout"]`.
    pub path: Vec<String>,
    pub fix: Option<Fix>,
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static Meta;
    fn check(&self, ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>);
}

/// Declares a rule: a unit struct, its [`Meta`] (the `///` lines becoming its docs) and its
/// [`Rule`] impl, which calls the struct's own `fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>)`.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis $name:ident {
            code: $code:literal,
            name: $kebab:literal,
            severity: $severity:ident,
            pillar: $pillar:ident,
            symptoms: [$($symptom:literal),* $(,)?],
            remedies: [$($remedy:literal),+ $(,)?] $(,)?
        }
    ) => {
        $vis struct $name;

        impl $name {
            pub const META: $crate::rules::Meta = $crate::rules::Meta {
                code: $code,
                name: $kebab,
                severity: $crate::rules::Severity::$severity,
                pillar: $crate::knowledge::Pillar::$pillar,
                symptoms: &[$($symptom),*],
                remedies: &[$($remedy),+],
                docs: concat!($($doc, "\n"),*),
            };
        }

        impl $crate::rules::Rule for $name {
            fn meta(&self) -> &'static $crate::rules::Meta {
                &Self::META
            }
            fn check(&self, ctx: &$crate::rules::Ctx<'_>, out: &mut Vec<$crate::rules::Diagnostic>) {
                Self::run(ctx, out)
            }
        }
    };
}

/// Every rule, in code order (collected and sorted once).
pub fn all() -> &'static [&'static dyn Rule] {
    static ALL: std::sync::LazyLock<Vec<&'static dyn Rule>> = std::sync::LazyLock::new(|| {
        let mut rules: Vec<&'static dyn Rule> = [
            lambda::RULES,
            apigateway::RULES,
            data::RULES,
            messaging::RULES,
            compute::RULES,
            operations::RULES,
        ]
        .concat();
        rules.sort_by_key(|r| r.meta().code);
        rules
    });
    &ALL
}

/// A rule by code or name.
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    all().iter().copied().find(|r| {
        r.meta().code.eq_ignore_ascii_case(code_or_name) || r.meta().name == code_or_name
    })
}
