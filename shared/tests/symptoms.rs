//! Every symptom of the knowledge graph, diagnosed from realistic data: one folder per symptom
//! under `tests/fixtures/symptoms/<symptom-id>/` with a small template the way a team writes it
//! and two metrics files in the format a user would really have for that metric
//! (`sick.<ext>`, `healthy.<ext>`). The sick numbers must show the symptom on the resource named
//! in [`CASES`], bound through the real pipeline (format detection, parsing, binding, windowed
//! evaluation); the healthy numbers, of the same shape and volume, must not show it anywhere,
//! nor raise any other metrics finding on that resource.
//!
//! A symptom without indicators can only be seen in the template: its folder holds a
//! `sick.yaml` template the rules report it on and a `healthy.yaml` with the fix.
//!
//! `tests/diagnosis.rs` checks the same conditions with synthetic numbers generated from each
//! condition; these fixtures check them against data that looks like what AWS prints.

use std::path::{Path, PathBuf};

use archlens_shared::analysis::{self, MetricsFile, Options, Report};
use archlens_shared::knowledge::{self, Symptom};

/// The resource each symptom must be reported on, and the resource the user names for formats
/// that do not name one themselves (`--metrics RESOURCE=FILE`: GetMetricStatistics responses,
/// `aws logs tail` / `sam logs` output and filter-log-events JSON, which carry no log group).
struct Case {
    symptom: &'static str,
    resource: &'static str,
    bind: Option<&'static str>,
}

const fn case(symptom: &'static str, resource: &'static str, bind: Option<&'static str>) -> Case {
    Case { symptom, resource, bind }
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    // GetMetricData: the queries and the response in one file, bound by dimension.
    case("api-timeouts",                  "ReportsApi",               None),
    case("dynamodb-throttling",           "OrdersTable",              None),
    case("high-lambda-cost",              "IngestFunction",           None),
    case("lambda-errors",                 "WebhookFunction",          None),
    case("large-payloads",                "DocumentsApi",             None),
    case("relational-db-load",            "OrdersDatabase",           None),
    case("stream-consumer-lag",           "ScoringFunction",          None),
    // The GetMetricData response alone, to the queries `archlens metrics-query` wrote: bound by query Id.
    case("dynamodb-unprocessed-keys",     "MembersTable",             None),
    case("queue-backlog",                 "IndexQueue",               None),
    // GetMetricStatistics: one metric, no dimensions in the response; the user names the resource.
    case("dynamodb-hot-reads",            "ProductsTable",            Some("catalog-products")),
    case("high-api-latency",              "StorefrontApi",            Some("StorefrontApi")),
    case("kinesis-write-throttling",      "ClickstreamStream",        Some("clickstream-events")),
    case("unhealthy-targets",             "PortalTargetGroup",        Some("PortalTargetGroup")),
    // Long CSV, bound by dimension.
    case("async-events-lost",             "ThumbnailFunction",        None),
    case("dynamodb-slow-scans",           "AuditEventsTable",         None),
    case("external-api-errors",           "GeocodeFunction",          None),
    case("lambda-throttling",             "FulfilmentWorkerFunction", None),
    case("slow-scale-out",                "CheckoutService",          None),
    // Lambda REPORT lines: `aws logs tail` text (plain and JSON log format), `sam logs` text,
    // filter-log-events JSON, Logs Insights results (bound by the `@log` group).
    case("lambda-cold-starts",            "CheckoutFunction",         Some("CheckoutFunction")),
    case("lambda-memory-pressure",        "OrderExportFunction",      Some("OrderExportFunction")),
    case("lambda-near-timeout",           "QuoteFunction",            Some("QuoteFunction")),
    case("lambda-memory-overprovisioned", "ReportAggregatorFunction", Some("sales-report-aggregator")),
    case("lambda-slow-cpu-bound",         "ResizeFunction",           None),
    // Template only: the symptom has no metric indicator.
    case("missing-observability",         "SendEmailFunction",        None),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/symptoms")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The one file in `dir` named `<stem>.<any extension>`.
fn file_with_stem(dir: &Path, stem: &str) -> Result<PathBuf, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_stem().and_then(|s| s.to_str()) == Some(stem))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(format!("{}: expected one `{stem}.*` file, found {n}", dir.display())),
    }
}

fn analyze(template: &str, metrics: Option<(&Path, Option<&str>)>) -> Report {
    let metrics = metrics
        .map(|(path, bind)| MetricsFile {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            content: read(path),
            resource: bind.map(String::from),
        })
        .into_iter()
        .collect();
    analysis::analyze(template, &Options { metrics, ..Default::default() }).unwrap_or_else(|e| panic!("the template does not analyse: {e}"))
}

/// A finding on `resource` that lists the symptom and carries the metrics evidence for it.
fn shows(report: &Report, resource: &str, symptom: &str) -> bool {
    report.findings.iter().any(|f| f.resource.as_deref() == Some(resource) && f.symptoms.iter().any(|s| s == symptom) && !f.chain.is_empty())
}

fn findings_summary(report: &Report) -> String {
    let lines: Vec<String> = report.findings.iter().map(|f| format!("  {} on {:?}: {}", f.rule, f.resource, f.message)).collect();
    lines.join("\n")
}

/// What went wrong reading one metrics file: parse errors, warnings, series bound to nothing.
fn input_problems(report: &Report, label: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in &report.metrics.errors {
        out.push(format!("{label}: not read: {}:{:?}: {}", e.file, e.line, e.message));
    }
    for f in &report.metrics.files {
        for w in &f.warnings {
            out.push(format!("{label}: warning: {w}"));
        }
    }
    if report.metrics.bound == 0 {
        out.push(format!("{label}: nothing bound to the template"));
    }
    if !report.metrics.unbound.is_empty() {
        out.push(format!("{label}: unbound series {:?}", report.metrics.unbound));
    }
    out
}

fn check_metrics_case(symptom: &Symptom, case: &Case, dir: &Path, problems: &mut Vec<String>) -> Result<(), String> {
    let id = &symptom.id;
    let template = read(&dir.join("template.yaml"));
    let sick_path = file_with_stem(dir, "sick")?;
    let healthy_path = file_with_stem(dir, "healthy")?;

    let sick = analyze(&template, Some((&sick_path, case.bind)));
    problems.extend(input_problems(&sick, &format!("{id}: sick")));
    if !shows(&sick, case.resource, id) {
        problems.push(format!("{id}: not shown on {} from {}\n{}", case.resource, sick_path.display(), findings_summary(&sick)));
    }
    if !sick.metrics.overlay.get(case.resource).is_some_and(|s| s.contains(id)) {
        problems.push(format!("{id}: the diagram overlay does not mark {}", case.resource));
    }

    let healthy = analyze(&template, Some((&healthy_path, case.bind)));
    problems.extend(input_problems(&healthy, &format!("{id}: healthy")));
    if let Some(f) = healthy.findings.iter().find(|f| f.symptoms.contains(id) && !f.chain.is_empty()) {
        problems.push(format!("{id}: shown from healthy numbers on {:?}: {}", f.resource, f.message));
    }
    // Healthy numbers are healthy across the board for that resource, not just for this symptom.
    for f in healthy.findings.iter().filter(|f| f.resource.as_deref() == Some(case.resource) && !f.chain.is_empty()) {
        problems.push(format!("{id}: healthy numbers still raise {} on {}: {}", f.rule, case.resource, f.message));
    }
    Ok(())
}

/// A symptom without metric indicators: the rules find it in `sick.yaml` and not in `healthy.yaml`.
fn check_template_case(symptom: &Symptom, case: &Case, dir: &Path, problems: &mut Vec<String>) -> Result<(), String> {
    let id = &symptom.id;
    let sick = analyze(&read(&dir.join("sick.yaml")), None);
    if !sick.findings.iter().any(|f| f.resource.as_deref() == Some(case.resource) && f.symptoms.contains(id)) {
        problems.push(format!("{id}: no rule reports it on {} in sick.yaml\n{}", case.resource, findings_summary(&sick)));
    }
    let healthy = analyze(&read(&dir.join("healthy.yaml")), None);
    for f in healthy.findings.iter().filter(|f| f.symptoms.contains(id)) {
        problems.push(format!("{id}: still reported in healthy.yaml by {} on {:?}: {}", f.rule, f.resource, f.message));
    }
    Ok(())
}

#[test]
fn every_symptom_has_realistic_fixtures_detected_when_sick_and_not_when_healthy() {
    let kb = knowledge::embedded();
    let mut problems = Vec::new();
    let mut checked = 0;
    for symptom in kb.symptoms() {
        let id = symptom.id.as_str();
        let dir = root().join(id);
        if !dir.is_dir() {
            problems.push(format!("{id}: no fixture folder {}", dir.display()));
            continue;
        }
        let Some(case) = CASES.iter().find(|c| c.symptom == id) else {
            problems.push(format!("{id}: no entry in CASES naming the resource it must be reported on"));
            continue;
        };
        let outcome = if symptom.indicators.is_empty() {
            check_template_case(symptom, case, &dir, &mut problems)
        } else {
            check_metrics_case(symptom, case, &dir, &mut problems)
        };
        match outcome {
            Ok(()) => checked += 1,
            Err(e) => problems.push(format!("{id}: {e}")),
        }
    }
    // No stale fixtures or table entries for symptoms the graph no longer has.
    for case in CASES {
        if kb.symptom(case.symptom).is_none() {
            problems.push(format!("CASES names {}, which is not a symptom of the knowledge graph", case.symptom));
        }
    }
    for entry in std::fs::read_dir(root()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() && kb.symptom(&name).is_none() {
            problems.push(format!("fixture folder {name} is not a symptom of the knowledge graph"));
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
    assert_eq!(checked, kb.symptoms().count());
}
