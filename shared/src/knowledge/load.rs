//! Parsing and validation of knowledge files: every problem at once, each with its file.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::catalogue;
use super::model::*;

/// One thing wrong with the knowledge data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// Path relative to `knowledge/`, e.g. `remedies/lambda-arm64.yaml`.
    pub file: String,
    /// A short name of the check that failed, stable for tests: `parse`, `schema`, `id-path`,
    /// `duplicate-id`, `dangling-reference`, `orphan`, `no-remedies`, `indicates-nothing`,
    /// `catalogue-missing`, `invalid-value`.
    pub check: &'static str,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: [{}] {}", self.file, self.check, self.message)
    }
}

pub(crate) fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}\n"))
        .collect::<String>()
}

fn problem(file: &str, check: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        file: file.to_string(),
        check,
        message: message.into(),
    }
}

fn parse_node<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, Problem> {
    let doc = crate::yaml::parse(text).map_err(|e| problem(file, "parse", e.to_string()))?;
    serde_json::from_value(doc.to_json()).map_err(|e| problem(file, "schema", e.to_string()))
}

const STATISTICS: [&str; 9] = [
    "Sum",
    "Average",
    "Maximum",
    "Minimum",
    "SampleCount",
    "p50",
    "p90",
    "p95",
    "p99",
];

/// Parses every file and validates the whole graph; returns the nodes (sorted by id) or all
/// problems found.
pub(crate) fn parse_and_validate(files: &[(&str, &str)]) -> Result<Vec<Node>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut nodes: Vec<(String, Node)> = Vec::new();

    for &(path, text) in files {
        let Some((folder, rest)) = path.split_once('/') else {
            problems.push(problem(path, "id-path", "a knowledge file must be inside remedies/, symptoms/ or metrics/"));
            continue;
        };
        let Some(kind) = NodeKind::from_folder(folder) else {
            problems.push(problem(path, "id-path", format!("unknown folder `{folder}` (expected remedies, symptoms or metrics)")));
            continue;
        };
        let expected_id = rest.trim_end_matches(".yaml").trim_end_matches(".yml");
        let parsed = match kind {
            NodeKind::Remedy => parse_node::<Remedy>(path, text).map(Node::Remedy),
            NodeKind::Symptom => parse_node::<Symptom>(path, text).map(Node::Symptom),
            NodeKind::Metric => parse_node::<Metric>(path, text).map(Node::Metric),
        };
        match parsed {
            Ok(node) => {
                if node.id() != expected_id {
                    problems.push(problem(path, "id-path", format!("id `{}` does not match the file path (expected `{expected_id}`)", node.id())));
                }
                nodes.push((path.to_string(), node));
            }
            Err(p) => problems.push(p),
        }
    }

    // Index by id, catching duplicates.
    let mut by_id: BTreeMap<&str, (&str, &Node)> = BTreeMap::new();
    for (path, node) in &nodes {
        if let Some((other, _)) = by_id.insert(node.id(), (path, node)) {
            problems.push(problem(path, "duplicate-id", format!("id `{}` is also used by {other}", node.id())));
        }
    }
    let kind_of = |id: &str| by_id.get(id).map(|(_, n)| n.kind());

    let mut referenced: BTreeSet<&str> = BTreeSet::new();
    for (path, node) in &nodes {
        let refs = node.references();
        if refs.seeds.is_empty() && refs.docs.is_empty() {
            problems.push(problem(path, "invalid-value", "references: name at least one seed file or documentation page"));
        }
        for seed in &refs.seeds {
            if !catalogue::SEEDS.contains(&seed.as_str()) {
                problems.push(problem(path, "dangling-reference", format!("references.seeds names `{seed}`, which is not a seed file")));
            }
        }
        for doc in &refs.docs {
            if !doc.starts_with("https://") {
                problems.push(problem(path, "invalid-value", format!("references.docs entry `{doc}` is not an https URL")));
            }
        }
        match node {
            Node::Remedy(r) => {
                if r.pillars.is_empty() {
                    problems.push(problem(path, "invalid-value", "pillars: name at least one pillar"));
                }
                for text in [&r.title, &r.summary, &r.why, &r.tradeoffs, &r.cost_effect, &r.latency_effect] {
                    if text.trim().is_empty() {
                        problems.push(problem(path, "invalid-value", "a text field is empty"));
                    }
                }
                for rel in &r.related {
                    referenced.insert(rel.as_str());
                    if kind_of(rel) != Some(NodeKind::Remedy) {
                        problems.push(problem(path, "dangling-reference", format!("related names `{rel}`, which is not a remedy")));
                    }
                }
            }
            Node::Symptom(s) => {
                if s.remedies.is_empty() {
                    problems.push(problem(path, "no-remedies", format!("symptom `{}` lists no remedies", s.id)));
                }
                let mut seen = BTreeSet::new();
                for rr in &s.remedies {
                    referenced.insert(rr.id.as_str());
                    if !seen.insert(rr.id.as_str()) {
                        problems.push(problem(path, "invalid-value", format!("remedy `{}` is listed twice", rr.id)));
                    }
                    if kind_of(&rr.id) != Some(NodeKind::Remedy) {
                        problems.push(problem(path, "dangling-reference", format!("remedies names `{}`, which is not a remedy", rr.id)));
                    }
                }
                for ind in &s.indicators {
                    referenced.insert(ind.metric.as_str());
                    if kind_of(&ind.metric) != Some(NodeKind::Metric) {
                        problems.push(problem(path, "dangling-reference", format!("indicators names `{}`, which is not a metric", ind.metric)));
                    }
                    let c = &ind.condition;
                    if !STATISTICS.contains(&c.statistic.as_str()) {
                        problems.push(problem(path, "invalid-value", format!("statistic `{}` is not one of {STATISTICS:?}", c.statistic)));
                    }
                    if c.window_minutes == 0 {
                        problems.push(problem(path, "invalid-value", "window_minutes must be at least 1"));
                    }
                    if let Some(rel) = &c.relative_to {
                        match (&rel.metric, &rel.property) {
                            (Some(m), None) => {
                                if kind_of(m) != Some(NodeKind::Metric) {
                                    problems.push(problem(path, "dangling-reference", format!("relative_to names `{m}`, which is not a metric")));
                                }
                            }
                            (None, Some(_)) => {
                                if rel.unit.is_none() {
                                    problems.push(problem(path, "invalid-value", "relative_to.property needs the property's `unit`"));
                                }
                            }
                            _ => problems.push(problem(path, "invalid-value", "relative_to needs exactly one of `metric` or `property`")),
                        }
                    }
                }
            }
            Node::Metric(m) => {
                if m.id != format!("{}/{}", m.namespace, m.name) {
                    problems.push(problem(path, "invalid-value", format!("id `{}` must be `namespace/name` = `{}/{}`", m.id, m.namespace, m.name)));
                }
            }
        }
    }

    for (path, node) in &nodes {
        let id = node.id();
        match node {
            Node::Remedy(_) if !referenced.contains(id) => problems.push(problem(path, "orphan", format!("remedy `{id}` is not a remedy of any symptom nor related to another remedy"))),
            Node::Metric(_) if !nodes.iter().any(|(_, n)| matches!(n, Node::Symptom(s) if s.indicators.iter().any(|i| i.metric == id))) => {
                problems.push(problem(path, "indicates-nothing", format!("metric `{id}` is the indicator of no symptom")))
            }
            _ => {}
        }
    }

    let required = catalogue::REMEDIES.iter().map(|id| (NodeKind::Remedy, *id))
        .chain(catalogue::SYMPTOMS.iter().map(|id| (NodeKind::Symptom, *id)))
        .chain(catalogue::METRICS.iter().map(|id| (NodeKind::Metric, *id)));
    for (kind, id) in required {
        if kind_of(id) != Some(kind) {
            problems.push(problem(&format!("{}/{id}.yaml", kind.folder()), "catalogue-missing", format!("the catalogue requires {} `{id}`", kind.as_str())));
        }
    }

    if problems.is_empty() {
        let mut nodes: Vec<Node> = nodes.into_iter().map(|(_, n)| n).collect();
        nodes.sort_by(|a, b| (a.kind(), a.id()).cmp(&(b.kind(), b.id())));
        Ok(nodes)
    } else {
        problems.sort();
        problems.dedup();
        Err(problems)
    }
}
