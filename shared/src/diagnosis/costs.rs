//! Dollars and milliseconds for the findings: the Lambda cost model and memory what-if applied
//! to the functions whose REPORT lines were given, and the estimated effect of each finding's
//! first remedy where the data supports one.

use std::collections::BTreeMap;

use serde::Serialize;

use super::observe::Observations;
use crate::analysis::{Finding, Impact};
use crate::architecture::{Architecture, EdgeKind};
use crate::cost::{self, Arch, CostBreakdown, LambdaUsage, Observed, Prices, WhatIf};
use crate::template::Template;
use crate::template::resolve::Resolver;

/// What the numbers say a function costs, and what other memory sizes would.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionCost {
    pub observed: Observed,
    pub architecture: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly: Option<CostBreakdown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatif: Option<WhatIf>,
    pub prices_as_of: String,
    pub region: String,
}

fn architecture(template: &Template, id: &str) -> Arch {
    let Some(r) = template.resource(id) else { return Arch::X86_64 };
    let resolver = Resolver::new(template);
    let first = r.prop("Architectures").and_then(|n| resolver.value(n).text().or_else(|| match resolver.value(n) {
        crate::template::resolve::Resolved::List(items) => items.first().and_then(|i| i.text()),
        _ => None,
    }));
    if first.as_deref() == Some("arm64") { Arch::Arm64 } else { Arch::X86_64 }
}

pub fn compute(template: &Template, obs: &Observations) -> BTreeMap<String, FunctionCost> {
    let prices = Prices::embedded();
    let mut out = BTreeMap::new();
    for (id, robs) in &obs.bound {
        let Some(log) = &robs.report_log else { continue };
        let Ok(observed) = cost::usage_from_report_log(log, None, None) else { continue };
        let arch = architecture(template, id);
        let usage = observed.usage(arch, false);
        let monthly = usage.as_ref().map(|u| cost::monthly_cost(prices, u));
        let whatif = usage.as_ref().and_then(|u| {
            cost::memory_whatif(observed.duration_ms.avg, observed.memory_mb, observed.avg_init_ms, u, prices, robs.power_tuning.as_ref(), Some(observed.min_memory_mb(0.1))).ok()
        });
        out.insert(
            id.clone(),
            FunctionCost { observed, architecture: arch.as_str(), monthly, whatif, prices_as_of: prices.as_of.clone(), region: prices.region.clone() },
        );
    }
    out
}

fn usage_of(c: &FunctionCost) -> Option<LambdaUsage> {
    c.observed.usage(if c.architecture == "arm64" { Arch::Arm64 } else { Arch::X86_64 }, false)
}

/// Attaches the estimated effect of each finding's first remedy, then ranks findings by
/// severity and, within a severity, by the money they save.
pub fn apply(findings: &mut [Finding], costs: &BTreeMap<String, FunctionCost>, arch: &Architecture) {
    let prices = Prices::embedded();
    for f in findings.iter_mut() {
        let Some(resource) = f.resource.as_deref() else { continue };
        let Some(remedy) = f.remedies.first().map(String::as_str) else { continue };
        let saving = match (remedy, costs.get(resource)) {
            ("lambda-arm64", Some(c)) => usage_of(c).filter(|u| u.architecture == Arch::X86_64).map(|u| cost::arm64_saving(prices, &u)),
            ("lambda-right-size-memory" | "lambda-memory-for-cpu" | "lambda-power-tuning", Some(c)) => c.whatif.as_ref().map(cost::right_size_saving),
            ("lambda-provisioned-concurrency", Some(c)) => usage_of(c).map(|u| {
                // Average concurrency the traffic needs: requests per second x seconds each.
                let concurrency = (u.requests_per_month / (30.0 * 86_400.0) * c.observed.duration_ms.avg / 1000.0).ceil().max(1.0);
                cost::provisioned_concurrency_cost(prices, &u, concurrency, None, c.observed.cold_start_share, c.observed.avg_init_ms.unwrap_or(0.0))
            }),
            ("apigw-http-api", _) => {
                let requests: f64 = arch
                    .edges_from(resource)
                    .filter(|e| e.kind == EdgeKind::Invokes)
                    .filter_map(|e| costs.get(&e.to))
                    .filter_map(|c| c.observed.requests_per_month)
                    .sum();
                (requests > 0.0).then(|| cost::http_api_saving(prices, requests))
            }
            _ => None,
        };
        if let Some(s) = saving {
            f.impact = Some(Impact { remedy: s.remedy_id.to_string(), monthly_usd_delta: s.monthly_usd_delta, latency_ms_delta: s.latency_ms_delta, explanation: s.explanation });
        }
    }
    findings.sort_by(|a, b| {
        let saved = |f: &Finding| f.impact.as_ref().map_or(0.0, |i| i.monthly_usd_delta);
        b.severity.cmp(&a.severity).then(saved(a).partial_cmp(&saved(b)).unwrap_or(std::cmp::Ordering::Equal)).then(a.line.cmp(&b.line)).then(a.rule.cmp(&b.rule))
    });
}
