//! Diagnosis from metrics: CloudWatch numbers and Lambda REPORT lines joined to the template.
//!
//! In: the template, its architecture, the knowledge graph and the user's metrics files.
//! Out: findings, one per symptom the numbers prove on a resource, each with its evidence
//! chain (metric, statistic and value, the condition it met, the symptom) and the symptom's
//! remedies ranked and filtered for *that* resource's configuration; plus what was bound,
//! what was not, and what could not be read.
//!
//! The conditions come from the knowledge graph (`indicators[].condition`); this module only
//! evaluates them: [`observe`] turns inputs into per-resource observations, [`bind`] finds the
//! resource each series is about, [`evaluate`] applies a condition to observations.

pub mod bind;
pub mod costs;
pub mod evaluate;
pub mod observe;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::{Finding, MetricsFile};
use crate::architecture::Architecture;
use crate::knowledge::{KnowledgeBase, Symptom};
use crate::metrics;
use crate::rules::ctx::Ctx;
use crate::template::Template;

use evaluate::Outcome;
use observe::Observations;

/// One link of the chain that leads from a number to a recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceLink {
    pub metric: String,
    pub statistic: String,
    /// The worst value seen over the windows evaluated (a ratio or difference when the
    /// condition compares two numbers).
    pub value: f64,
    pub unit: Option<String>,
    /// The condition as the knowledge graph states it, e.g. `Sum > 0 over 5 min`.
    pub condition: String,
    pub symptom: String,
    /// Windows in which the condition held, of those evaluated.
    pub windows_met: usize,
    pub windows: usize,
    pub source: String,
}

/// A metric series to draw next to a finding (at most [`SPARK_POINTS`] points).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spark {
    pub metric: String,
    pub statistic: String,
    pub points: Vec<(i64, f64)>,
}

pub const SPARK_POINTS: usize = 60;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileSummary {
    pub name: String,
    pub format: Option<String>,
    pub series: usize,
    pub invocations: usize,
    pub bound_to: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsErrorInfo {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

/// What the metrics files contributed, for the report's `metrics` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricsReport {
    pub bound: usize,
    pub unbound: Vec<String>,
    pub files: Vec<FileSummary>,
    pub errors: Vec<MetricsErrorInfo>,
    /// Resource -> symptoms the numbers showed (for the diagram overlay).
    pub overlay: BTreeMap<String, Vec<String>>,
}

pub struct Diagnosis {
    pub findings: Vec<Finding>,
    pub report: MetricsReport,
    pub observations: Observations,
}

/// Parses, binds and evaluates every metrics file. A broken file is reported in `errors` and
/// the others are still diagnosed.
pub fn diagnose(template: &Template, arch: &Architecture, kb: &KnowledgeBase, files: &[MetricsFile]) -> Diagnosis {
    let mut report = MetricsReport::default();
    let mut obs = Observations::default();
    for file in files {
        if file.content.len() > metrics::MAX_METRICS_BYTES {
            report.errors.push(MetricsErrorInfo {
                file: file.name.clone(),
                line: None,
                message: format!("{} bytes; the limit is {} bytes", file.content.len(), metrics::MAX_METRICS_BYTES),
            });
            continue;
        }
        match metrics::parse(&file.name, &file.content) {
            Ok(parsed) => {
                let summary = observe::add(&mut obs, template, kb, file, parsed);
                report.files.push(summary);
            }
            Err(e) => report.errors.push(MetricsErrorInfo { file: e.file.clone(), line: e.line, message: e.message.clone() }),
        }
    }
    report.bound = obs.bound_series();
    report.unbound = obs.unbound_names();

    let ctx = Ctx::new(template, arch, kb);
    let mut findings = Vec::new();
    for (resource, robs) in obs.by_resource() {
        let res = resource.as_deref().and_then(|id| template.resource(id));
        let type_name = res.map(|r| r.type_name.as_str()).or(robs.type_hint.as_deref()).unwrap_or("");
        for symptom in kb.symptoms() {
            if !symptom.resource_types.is_empty() && !type_name.is_empty() && !symptom.resource_types.iter().any(|t| t == type_name) {
                continue;
            }
            let mut chain = Vec::new();
            let mut sparks = Vec::new();
            for ind in &symptom.indicators {
                match evaluate::indicator(&ctx, res, robs, kb, ind) {
                    Outcome::Met(m) => {
                        chain.push(EvidenceLink {
                            metric: ind.metric.clone(),
                            statistic: ind.condition.statistic.clone(),
                            value: m.value,
                            unit: m.unit.clone(),
                            condition: ind.condition.to_string(),
                            symptom: symptom.id.clone(),
                            windows_met: m.windows_met,
                            windows: m.windows,
                            source: m.source.clone(),
                        });
                        if let Some(s) = m.spark {
                            sparks.push(s);
                        }
                    }
                    Outcome::NotMet | Outcome::NotEvaluable(_) => {}
                }
            }
            if chain.is_empty() {
                continue;
            }
            let label = resource.clone().unwrap_or_else(|| robs.display_name.clone().unwrap_or_else(|| "(unbound)".into()));
            if let Some(r) = &resource {
                report.overlay.entry(r.clone()).or_default().push(symptom.id.clone());
            }
            findings.push(finding(&ctx, symptom, resource.clone(), &label, res.map(|r| r.pos), chain, sparks, arch));
        }
    }
    Diagnosis { findings, report, observations: obs }
}

fn fmt_value(v: f64, unit: Option<&str>) -> String {
    let n = if v.abs() >= 100.0 || v.fract() == 0.0 { format!("{v:.0}") } else if v.abs() >= 1.0 { format!("{v:.2}") } else { format!("{v:.3}") };
    match unit {
        Some("Milliseconds") => format!("{n} ms"),
        Some("Seconds") => format!("{n} s"),
        Some("Megabytes") => format!("{n} MB"),
        Some("Percent") => format!("{n} %"),
        Some("Bytes") => format!("{n} bytes"),
        _ => n,
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    ctx: &Ctx<'_>,
    symptom: &Symptom,
    resource: Option<String>,
    label: &str,
    pos: Option<crate::yaml::Pos>,
    chain: Vec<EvidenceLink>,
    sparks: Vec<Spark>,
    arch: &Architecture,
) -> Finding {
    let remedies = evaluate::remedies_for(ctx, symptom, resource.as_deref(), arch);
    let first = &chain[0];
    let metric_name = first.metric.rsplit('/').next().unwrap_or(&first.metric);
    let message = format!(
        "{label}: {} — {metric_name} {} reached {} ({}; met in {} of {} windows)",
        symptom.title.trim_end_matches('.'),
        first.statistic,
        fmt_value(first.value, first.unit.as_deref()),
        first.condition,
        first.windows_met,
        first.windows
    );
    let evidence = chain
        .iter()
        .map(|l| {
            format!(
                "{} {} = {} meets `{}` in {} of {} windows (from {})",
                l.metric,
                l.statistic,
                fmt_value(l.value, l.unit.as_deref()),
                l.condition,
                l.windows_met,
                l.windows,
                l.source
            )
        })
        .collect();
    let pos = pos.unwrap_or(crate::yaml::Pos { line: 1, col: 1 });
    Finding {
        rule: format!("METRICS-{}", symptom.id),
        name: symptom.id.clone(),
        severity: symptom.severity,
        pillar: evaluate::pillar_of(ctx.kb, symptom),
        resource: resource.clone(),
        symptoms: vec![symptom.id.clone()],
        remedies: remedies.iter().map(|(id, _)| id.clone()).collect(),
        message,
        evidence,
        line: pos.line.max(1),
        column: pos.col.max(1),
        path: resource.map(|r| vec!["Resources".into(), r]).unwrap_or_default(),
        fix: None,
        chain,
        sparks,
        remedy_notes: remedies.into_iter().filter_map(|(id, note)| note.map(|n| (id, n))).collect(),
        impact: None,
    }
}

/// Folds metrics findings into template findings about the same resource and remedy, so one
/// problem is reported once: the template finding keeps its line and fix and gains the numbers.
pub fn merge(template_findings: &mut Vec<Finding>, metric_findings: Vec<Finding>) {
    for mf in metric_findings {
        // Same problem when both lead with the same remedy, or each leads with one the other
        // recommends too; merely sharing a secondary remedy is a different problem.
        let same_problem = |tf: &Finding| match (tf.remedies.first(), mf.remedies.first()) {
            (Some(t), Some(m)) => t == m || (tf.remedies.contains(m) && mf.remedies.contains(t)),
            _ => false,
        };
        let target = template_findings
            .iter_mut()
            .filter(|tf| tf.resource.is_some() && tf.resource == mf.resource && !tf.rule.starts_with("METRICS-"))
            .find(|tf| same_problem(tf));
        match target {
            Some(tf) => {
                tf.severity = tf.severity.max(mf.severity);
                for s in &mf.symptoms {
                    if !tf.symptoms.contains(s) {
                        tf.symptoms.push(s.clone());
                    }
                }
                tf.message = format!("{} Metrics confirm it: {}", tf.message, mf.message.split_once(": ").map_or(mf.message.as_str(), |(_, m)| m));
                tf.evidence.extend(mf.evidence);
                tf.chain.extend(mf.chain);
                tf.sparks.extend(mf.sparks);
                for r in mf.remedies {
                    if !tf.remedies.contains(&r) {
                        tf.remedies.push(r);
                    }
                }
                tf.remedy_notes.extend(mf.remedy_notes);
            }
            None => template_findings.push(mf),
        }
    }
}
