//! The analysis pipeline: template text -> template -> architecture -> rules -> report.
//!
//! In: the template text and [`Options`]. Out: a [`Report`] (the contract of
//! `spec/inputs-and-report.md`), or a [`TemplateError`] when the text is not a usable template.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::architecture::{self, Architecture, Edge, ResourceInfo};
use crate::diagnosis::costs::FunctionCost;
use crate::diagnosis::{self, EvidenceLink, MetricsReport, Spark};
use crate::knowledge::{self, KnowledgeBase, Pillar};
use crate::rules::{self, Ctx, Fix, Severity};
use crate::template::{Template, TemplateError};
use crate::yaml::Node;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rule codes or names not to report (`--ignore`).
    pub ignore: Vec<String>,
    /// Metrics snapshots to diagnose together with the template.
    pub metrics: Vec<MetricsFile>,
}

/// One metrics snapshot as the user gave it (any format of `crate::metrics`).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct MetricsFile {
    /// File name, for messages.
    pub name: String,
    pub content: String,
    /// Logical id or deployed name of the resource the whole file is about (`--metrics R=FILE`).
    #[serde(default)]
    pub resource: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable rule code.
    pub rule: String,
    /// The rule's kebab-case name.
    pub name: String,
    pub severity: Severity,
    pub pillar: Pillar,
    pub resource: Option<String>,
    pub symptoms: Vec<String>,
    pub remedies: Vec<String>,
    pub message: String,
    pub evidence: Vec<String>,
    pub line: u32,
    pub column: u32,
    pub path: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// Metric -> condition -> symptom links that prove the finding (metrics findings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<EvidenceLink>,
    /// The series behind the evidence, for sparklines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sparks: Vec<Spark>,
    /// Why a remedy fits this resource in particular: `(remedy id, note)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remedy_notes: Vec<(String, String)>,
    /// Estimated effect of the first remedy on cost and latency, where the data supports one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
}

/// The estimated effect of applying a finding's remedy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    pub remedy: String,
    /// Monthly dollars: negative saves, positive adds.
    pub monthly_usd_delta: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms_delta: Option<f64>,
    pub explanation: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub by_pillar: BTreeMap<String, usize>,
}


#[derive(Debug, Clone, Serialize)]
pub struct TemplateSummary {
    pub is_sam: bool,
    pub transforms: Vec<String>,
    pub resource_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub template: TemplateSummary,
    pub resources: Vec<ResourceInfo>,
    pub edges: Vec<Edge>,
    pub findings: Vec<Finding>,
    pub metrics: MetricsReport,
    /// Per function with REPORT lines: observed usage, monthly cost, memory what-if.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub costs: BTreeMap<String, FunctionCost>,
    pub summary: Summary,
}

impl Report {
    /// The highest severity among the findings.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Analyses template text with the compiled-in knowledge graph.
/// The stable key of each finding, in the same order: `RULE:Resource:Path.To.Property`.
///
/// Built from what identifies the problem (rule code, resource, logical path), never from line
/// numbers, so that a finding keeps its key — and the team's status and comments — when the
/// template is edited around it. Two findings of one rule on the same spot get `~2`, `~3`, …
/// in report order.
pub fn finding_keys(findings: &[Finding]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let base = format!("{}:{}:{}", f.rule, f.resource.as_deref().unwrap_or(""), f.path.join("."));
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { base } else { format!("{base}~{n}") }
        })
        .collect()
}

pub fn analyze(text: &str, options: &Options) -> Result<Report, TemplateError> {
    let template = Template::parse(text)?;
    Ok(analyze_template(&template, knowledge::embedded(), options))
}

/// Codes suppressed by `Metadata: archlens: ignore: [...]` on a node.
fn suppressed_by(metadata: Option<&Node>) -> Vec<String> {
    let Some(list) = metadata.and_then(|m| m.get("archlens")).and_then(|a| a.get("ignore")) else {
        return Vec::new();
    };
    match list.as_seq() {
        Some(items) => items.iter().filter_map(|n| n.as_str().map(String::from)).collect(),
        None => list.as_str().map(String::from).into_iter().collect(),
    }
}

pub fn analyze_template(template: &Template, kb: &KnowledgeBase, options: &Options) -> Report {
    let arch = architecture::build(template);
    let mut findings = run_rules(template, &arch, kb, options);
    let mut metrics = MetricsReport::default();
    let mut costs = BTreeMap::new();
    if !options.metrics.is_empty() {
        let diagnosis = diagnosis::diagnose(template, &arch, kb, &options.metrics);
        diagnosis::merge(&mut findings, diagnosis.findings);
        metrics = diagnosis.report;
        costs = diagnosis::costs::compute(template, &diagnosis.observations);
        diagnosis::costs::apply(&mut findings, &costs, &arch);
    }
    let mut summary = Summary::default();
    for f in &findings {
        match f.severity {
            Severity::High => summary.high += 1,
            Severity::Medium => summary.medium += 1,
            Severity::Low => summary.low += 1,
            Severity::Info => summary.info += 1,
        }
        *summary.by_pillar.entry(f.pillar.as_str().to_string()).or_default() += 1;
    }
    Report {
        schema_version: 1,
        template: TemplateSummary {
            is_sam: template.is_sam,
            transforms: template.transforms.clone(),
            resource_count: template.resources.len(),
            description: template.root.get("Description").and_then(Node::as_str).map(String::from),
        },
        resources: arch.resources.clone(),
        edges: arch.edges.clone(),
        findings,
        metrics,
        costs,
        summary,
    }
}

pub fn run_rules(template: &Template, arch: &Architecture, kb: &KnowledgeBase, options: &Options) -> Vec<Finding> {
    let ctx = Ctx::new(template, arch, kb);
    let template_ignores = suppressed_by(template.metadata.as_ref());
    let matches = |list: &[String], code: &str, name: &str| list.iter().any(|i| i.eq_ignore_ascii_case(code) || i == name);
    let mut findings = Vec::new();
    let mut diags = Vec::new();
    for rule in rules::all() {
        let meta = rule.meta();
        if matches(&options.ignore, meta.code, meta.name) || matches(&template_ignores, meta.code, meta.name) {
            continue;
        }
        diags.clear();
        rule.check(&ctx, &mut diags);
        for d in diags.drain(..) {
            if let Some(res) = d.resource.as_deref().and_then(|id| template.resource(id)) {
                if matches(&suppressed_by(res.metadata.as_ref()), meta.code, meta.name) {
                    continue;
                }
            }
            findings.push(Finding {
                rule: meta.code.to_string(),
                name: meta.name.to_string(),
                severity: meta.severity,
                pillar: meta.pillar,
                resource: d.resource,
                symptoms: meta.symptoms.iter().map(|s| s.to_string()).collect(),
                remedies: meta.remedies.iter().map(|s| s.to_string()).collect(),
                message: d.message,
                evidence: d.evidence,
                line: d.pos.line.max(1),
                column: d.pos.col.max(1),
                path: d.path,
                fix: d.fix,
                chain: Vec::new(),
                sparks: Vec::new(),
                remedy_notes: Vec::new(),
                impact: None,
            });
        }
    }
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.line.cmp(&b.line)).then(a.rule.cmp(&b.rule)));
    findings
}
