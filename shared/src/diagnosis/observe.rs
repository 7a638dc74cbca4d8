//! Turns parsed metrics files into observations per resource.
//!
//! CloudWatch series keep their statistic and points. Lambda REPORT lines become raw samples
//! (one per invocation) of Duration, MaxMemoryUsed, InitDuration (cold starts), Invocations
//! and Errors, so any statistic (p50/p95/p99, SampleCount) can be computed exactly from them.

use std::collections::BTreeMap;

use super::FileSummary;
use super::bind;
use crate::analysis::MetricsFile;
use crate::knowledge::KnowledgeBase;
use crate::metrics::{Parsed, PowerTuning, ReportLog, Series, Snapshot};
use crate::template::Template;

/// One CloudWatch series, its metric named by knowledge-graph id (`AWS/Lambda/Duration`).
#[derive(Debug, Clone)]
pub struct Obs {
    pub metric: String,
    pub statistic: String,
    pub unit: Option<String>,
    pub period_s: Option<u32>,
    pub points: Vec<(i64, f64)>,
    pub source: String,
}

#[derive(Debug, Clone, Default)]
pub struct ResourceObs {
    /// Resource type the metrics imply (for unbound series).
    pub type_hint: Option<String>,
    /// Deployed name seen in the data.
    pub display_name: Option<String>,
    pub series: Vec<Obs>,
    /// Raw per-invocation samples by metric id, with the file they came from.
    pub samples: BTreeMap<String, Vec<(i64, f64)>>,
    pub sample_source: Option<String>,
    /// Memory size the REPORT lines show (the deployed configuration).
    pub memory_mb: Option<f64>,
    pub report_log: Option<ReportLog>,
    pub power_tuning: Option<PowerTuning>,
}

/// Observations keyed by bound resource id, or by the unbound name.
#[derive(Debug, Default)]
pub struct Observations {
    pub bound: BTreeMap<String, ResourceObs>,
    pub unbound: BTreeMap<String, ResourceObs>,
}

impl Observations {
    pub fn by_resource(&self) -> impl Iterator<Item = (Option<String>, &ResourceObs)> {
        self.bound.iter().map(|(k, v)| (Some(k.clone()), v)).chain(self.unbound.values().map(|v| (None, v)))
    }

    pub fn bound_series(&self) -> usize {
        self.bound.values().map(|r| r.series.len() + usize::from(!r.samples.is_empty())).sum()
    }

    pub fn unbound_names(&self) -> Vec<String> {
        self.unbound.keys().cloned().collect()
    }
}

fn metric_id(kb: &KnowledgeBase, series: &Series) -> (String, Option<String>) {
    if let Some(ns) = &series.namespace {
        let id = format!("{ns}/{}", series.metric);
        let types = kb.metric(&id).and_then(|m| m.resource_types.first().cloned());
        return (id, types);
    }
    // No namespace in the input: a metric name the knowledge graph knows in one namespace only.
    let matches: Vec<_> = kb.metrics().filter(|m| m.name == series.metric).collect();
    match matches.as_slice() {
        [m] => (m.id.clone(), m.resource_types.first().cloned()),
        _ => (series.metric.clone(), None),
    }
}

fn resource_types_of(kb: &KnowledgeBase, metric: &str) -> Vec<String> {
    kb.metric(metric).map(|m| m.resource_types.clone()).unwrap_or_default()
}

fn entry<'o>(obs: &'o mut Observations, bound: Option<String>, unbound_name: &str) -> &'o mut ResourceObs {
    match bound {
        Some(id) => obs.bound.entry(id).or_default(),
        None => obs.unbound.entry(unbound_name.to_string()).or_default(),
    }
}

/// Adds one parsed file; returns what it contributed.
pub fn add(obs: &mut Observations, template: &Template, kb: &KnowledgeBase, file: &MetricsFile, parsed: Parsed) -> FileSummary {
    let mut summary = FileSummary { name: file.name.clone(), format: Some(parsed.format.describe().to_string()), warnings: parsed.warnings.clone(), ..Default::default() };
    let forced = file.resource.as_deref().and_then(|r| if template.resource(r).is_some() { Some(r.to_string()) } else { bind::by_name(template, r, &[]) });
    if let (Some(r), None) = (&file.resource, &forced) {
        summary.warnings.push(format!("--metrics {r}=…: no resource `{r}` in the template; the file is analysed unbound"));
    }
    match parsed.snapshot {
        Snapshot::Series(list) => {
            for s in list {
                summary.series += 1;
                let (metric, type_hint) = metric_id(kb, &s);
                let types = resource_types_of(kb, &metric);
                let types: Vec<&str> = types.iter().map(String::as_str).collect();
                let by_hint = s.resource_hint.clone().filter(|h| template.resource(h).is_some());
                let by_dims = || s.dimensions.iter().find_map(|(_, v)| bind::by_name(template, v, &types));
                let bound = forced.clone().or(by_hint).or_else(by_dims);
                let name = s.dimensions.first().map(|(_, v)| v.clone()).or(s.resource_hint.clone()).unwrap_or_else(|| s.label.clone().unwrap_or_else(|| metric.clone()));
                if let Some(b) = &bound {
                    if !summary.bound_to.contains(b) {
                        summary.bound_to.push(b.clone());
                    }
                }
                let e = entry(obs, bound, &name);
                e.type_hint = e.type_hint.take().or(type_hint);
                e.display_name.get_or_insert(name);
                e.series.push(Obs {
                    metric,
                    statistic: s.statistic.clone(),
                    unit: s.unit.clone(),
                    period_s: s.period_s,
                    points: s.points.iter().map(|p| (p.t, p.v)).collect(),
                    source: file.name.clone(),
                });
            }
        }
        Snapshot::ReportLog(log) => {
            summary.invocations = log.invocations.len();
            let fn_types = ["AWS::Lambda::Function", "AWS::Serverless::Function"];
            let bound = forced.clone().or_else(|| log.function.as_deref().and_then(|f| bind::by_name(template, f, &fn_types)));
            let name = log.function.clone().unwrap_or_else(|| file.name.clone());
            if let Some(b) = &bound {
                summary.bound_to.push(b.clone());
            }
            let e = entry(obs, bound, &name);
            e.type_hint = Some("AWS::Lambda::Function".into());
            e.display_name.get_or_insert(name);
            e.sample_source = Some(file.name.clone());
            for (i, inv) in log.invocations.iter().enumerate() {
                let t = inv.timestamp.unwrap_or(i as i64 * 1000);
                let mut push = |m: &str, v: f64| e.samples.entry(m.to_string()).or_default().push((t, v));
                push("AWS/Lambda/Duration", inv.duration_ms);
                push("AWS/Lambda/MaxMemoryUsed", inv.max_memory_mb);
                push("AWS/Lambda/Invocations", 1.0);
                let failed = inv.status.as_deref().is_some_and(|s| s != "success") || inv.error_type.is_some();
                push("AWS/Lambda/Errors", if failed { 1.0 } else { 0.0 });
                if let Some(init) = inv.init_ms {
                    push("AWS/Lambda/InitDuration", init);
                }
                e.memory_mb = Some(inv.memory_mb);
            }
            for v in e.samples.values_mut() {
                v.sort_by_key(|p| p.0);
            }
            e.report_log = Some(log);
        }
        Snapshot::PowerTuning(pt) => {
            let fn_types = ["AWS::Lambda::Function", "AWS::Serverless::Function"];
            let bound = forced.clone().or_else(|| pt.function.as_deref().and_then(|f| bind::by_name(template, f, &fn_types)));
            let name = pt.function.clone().unwrap_or_else(|| file.name.clone());
            if let Some(b) = &bound {
                summary.bound_to.push(b.clone());
            }
            let e = entry(obs, bound, &name);
            e.type_hint = Some("AWS::Lambda::Function".into());
            e.display_name.get_or_insert(name);
            e.power_tuning = Some(pt);
        }
    }
    summary
}
