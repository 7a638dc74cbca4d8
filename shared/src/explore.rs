//! Browsing a report: filtering and grouping findings the way the web app shows them.
//!
//! In: a [`Report`] and a [`Filter`]. Out: the findings that match, grouped by resource or by
//! remedy, plus the summary figures (top actions). Plain functions, so they are tested natively
//! and the web app stays a thin view.

use std::collections::BTreeMap;

use crate::analysis::{Finding, Report};
use crate::knowledge::Pillar;
use crate::rules::Severity;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Lowest severity shown (`None`: all).
    pub min_severity: Option<Severity>,
    pub pillar: Option<Pillar>,
    /// Service family of the finding's resource (`lambda`, `sqs`, …).
    pub service: Option<String>,
    /// Only findings about this resource.
    pub resource: Option<String>,
    /// Case-insensitive text matched against message, rule, resource and remedies.
    pub text: String,
}

impl Filter {
    pub fn matches(&self, report: &Report, f: &Finding) -> bool {
        if self.min_severity.is_some_and(|min| f.severity < min) {
            return false;
        }
        if self.pillar.is_some_and(|p| f.pillar != p) {
            return false;
        }
        if let Some(r) = &self.resource {
            if f.resource.as_deref() != Some(r.as_str()) {
                return false;
            }
        }
        if let Some(service) = &self.service {
            let of = f.resource.as_deref().and_then(|id| report.resources.iter().find(|r| r.id == id)).map(|r| r.service.as_str());
            if of != Some(service.as_str()) {
                return false;
            }
        }
        let needle = self.text.trim().to_lowercase();
        if !needle.is_empty() {
            let hay = format!(
                "{} {} {} {} {}",
                f.message,
                f.rule,
                f.name,
                f.resource.as_deref().unwrap_or(""),
                f.remedies.join(" ")
            )
            .to_lowercase();
            if !needle.split_whitespace().all(|w| hay.contains(w)) {
                return false;
            }
        }
        true
    }

    pub fn apply<'r>(&self, report: &'r Report) -> Vec<&'r Finding> {
        report.findings.iter().filter(|f| self.matches(report, f)).collect()
    }
}

/// Findings grouped by resource (template-wide findings under `"(template)"`), groups ordered
/// by their most severe finding, then by name.
pub fn by_resource<'r>(findings: &[&'r Finding]) -> Vec<(String, Vec<&'r Finding>)> {
    group(findings, |f| vec![f.resource.clone().unwrap_or_else(|| "(template)".into())])
}

/// Findings grouped by the remedy they recommend first.
pub fn by_remedy<'r>(findings: &[&'r Finding]) -> Vec<(String, Vec<&'r Finding>)> {
    group(findings, |f| f.remedies.first().cloned().into_iter().collect())
}

fn group<'r>(findings: &[&'r Finding], key: impl Fn(&Finding) -> Vec<String>) -> Vec<(String, Vec<&'r Finding>)> {
    let mut groups: BTreeMap<String, Vec<&'r Finding>> = BTreeMap::new();
    for f in findings {
        for k in key(f) {
            groups.entry(k).or_default().push(f);
        }
    }
    let mut out: Vec<(String, Vec<&'r Finding>)> = groups.into_iter().collect();
    out.sort_by(|a, b| {
        let sev = |g: &Vec<&Finding>| g.iter().map(|f| f.severity).max();
        sev(&b.1).cmp(&sev(&a.1)).then(b.1.len().cmp(&a.1.len())).then(a.0.cmp(&b.0))
    });
    out
}

/// The remedies that address the most severe and most numerous findings: `(remedy, findings)`.
pub fn top_actions(report: &Report, n: usize) -> Vec<(String, usize)> {
    let mut score: BTreeMap<&str, (u32, usize)> = BTreeMap::new();
    for f in &report.findings {
        if let Some(r) = f.remedies.first() {
            let weight = match f.severity {
                Severity::High => 27,
                Severity::Medium => 9,
                Severity::Low => 3,
                Severity::Info => 1,
            };
            let e = score.entry(r.as_str()).or_default();
            e.0 += weight;
            e.1 += 1;
        }
    }
    let mut ranked: Vec<(&str, (u32, usize))> = score.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    ranked.into_iter().take(n).map(|(r, (_, count))| (r.to_string(), count)).collect()
}

/// Highest severity and count of findings per resource, for diagram badges.
pub fn badges(report: &Report) -> BTreeMap<String, (Severity, usize)> {
    let mut out: BTreeMap<String, (Severity, usize)> = BTreeMap::new();
    for f in &report.findings {
        if let Some(r) = &f.resource {
            let e = out.entry(r.clone()).or_insert((f.severity, 0));
            e.0 = e.0.max(f.severity);
            e.1 += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Options, analyze};

    const T: &str = "
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: java21
      Handler: a::h
      Timeout: 60
      Events: {Get: {Type: Api, Properties: {Path: /, Method: get}}}
  Worker:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: w.h, MemorySize: 512}
";

    #[test]
    fn filters_compose() {
        let report = analyze(T, &Options::default()).unwrap();
        let all = Filter::default().apply(&report);
        assert_eq!(all.len(), report.findings.len());
        let api_only = Filter { resource: Some("Api".into()), ..Default::default() }.apply(&report);
        assert!(!api_only.is_empty() && api_only.iter().all(|f| f.resource.as_deref() == Some("Api")));
        let high = Filter { min_severity: Some(Severity::High), ..Default::default() }.apply(&report);
        assert!(high.iter().all(|f| f.severity == Severity::High));
        assert!(high.iter().any(|f| f.rule == "LAMBDA-003"));
        let text = Filter { text: "TIMEOUT api".into(), ..Default::default() }.apply(&report);
        assert!(text.iter().any(|f| f.rule == "LAMBDA-003"));
        let lambda = Filter { service: Some("lambda".into()), ..Default::default() }.apply(&report);
        assert_eq!(lambda.len(), report.findings.iter().filter(|f| f.resource.as_deref().is_some_and(|r| r != "ServerlessRestApi")).count());
    }

    #[test]
    fn groups_and_top_actions() {
        let report = analyze(T, &Options::default()).unwrap();
        let findings = Filter::default().apply(&report);
        let groups = by_resource(&findings);
        assert_eq!(groups[0].0, "Api", "the resource with the high finding comes first");
        let actions = top_actions(&report, 3);
        assert!(!actions.is_empty() && actions.len() <= 3);
        assert_eq!(actions[0].0, "lambda-timeout-budget");
        assert_eq!(badges(&report)["Api"].0, Severity::High);
    }
}
