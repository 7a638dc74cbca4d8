//! The knowledge graph's validation: the shipped graph is valid, and every kind of breakage is
//! caught, reported with its file, all at once.

use archlens_shared::knowledge::{self, KnowledgeBase, Problem, catalogue};

const REMEDY: &str = "id: fix-a
title: Fix A
summary: s
why: w
tradeoffs: t
applies_to: [AWS::Lambda::Function]
pillars: [performance]
effort: low
cost_effect: none
latency_effect: faster
facts: [f]
references: {seeds: [003_41822bac7f126c0d.txt]}
";

const SYMPTOM: &str = "id: slow-a
title: Slow A
severity: medium
description: d
resource_types: [AWS::Lambda::Function]
indicators:
  - metric: AWS/Lambda/Duration
    condition: {statistic: p95, op: '>', threshold: 1000, window_minutes: 5}
    explanation: e
remedies:
  - {id: fix-a, why: w}
facts: [f]
references: {docs: ['https://docs.aws.amazon.com/lambda/']}
";

const METRIC: &str = "id: AWS/Lambda/Duration
namespace: AWS/Lambda
name: Duration
unit: Milliseconds
dimension: FunctionName
resource_types: [AWS::Lambda::Function]
statistics: [Average, p95]
source: cloudwatch
description: d
facts: [f]
references: {seeds: [003_41822bac7f126c0d.txt]}
";

fn problems(files: &[(&str, &str)]) -> Vec<Problem> {
    match KnowledgeBase::load(files) {
        Ok(_) => Vec::new(),
        Err(p) => p,
    }
}

/// Problems other than the catalogue's (a small test graph cannot hold the whole catalogue).
fn local_problems(files: &[(&str, &str)]) -> Vec<Problem> {
    problems(files)
        .into_iter()
        .filter(|p| p.check != "catalogue-missing")
        .collect()
}

fn has(problems: &[Problem], file: &str, check: &str, needle: &str) -> bool {
    problems
        .iter()
        .any(|p| p.file == file && p.check == check && p.message.contains(needle))
}

#[test]
fn the_shipped_graph_is_valid() {
    if let Err(problems) = KnowledgeBase::load(knowledge::embedded_files()) {
        let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        panic!("{} problems in knowledge/:\n{}", list.len(), list.join("\n"));
    }
}

#[test]
fn the_catalogue_is_complete_with_real_content() {
    let kb = knowledge::embedded();
    for id in catalogue::REMEDIES {
        let r = kb.remedy(id).unwrap_or_else(|| panic!("remedy {id}"));
        assert!(r.why.len() > 60 && r.tradeoffs.len() > 40, "{id} needs real why/tradeoffs");
        assert!(!r.facts.is_empty() && !r.references.docs.is_empty(), "{id} needs facts and docs");
    }
    for id in catalogue::SYMPTOMS {
        let s = kb.symptom(id).unwrap_or_else(|| panic!("symptom {id}"));
        assert!(!s.remedies.is_empty(), "{id}");
    }
    for id in catalogue::METRICS {
        assert!(kb.metric(id).is_some(), "metric {id}");
    }
    assert_eq!(kb.remedies().count() >= 58, true);
}

#[test]
fn a_small_valid_graph_has_only_catalogue_problems() {
    let files = [("remedies/fix-a.yaml", REMEDY), ("symptoms/slow-a.yaml", SYMPTOM), ("metrics/AWS/Lambda/Duration.yaml", METRIC)];
    assert_eq!(local_problems(&files), Vec::new());
    let all = problems(&files);
    assert!(has(&all, "remedies/lambda-arm64.yaml", "catalogue-missing", "lambda-arm64"));
    assert!(has(&all, "metrics/AWS/SQS/ApproximateAgeOfOldestMessage.yaml", "catalogue-missing", ""));
}

#[test]
fn every_kind_of_breakage_is_reported_at_once_with_its_file() {
    let unknown_field = REMEDY.replace("effort: low", "effort: low\nspeedup: 10x");
    let wrong_id = REMEDY.replace("id: fix-a", "id: fix-b");
    let dangling = SYMPTOM.replace("- {id: fix-a, why: w}", "- {id: fix-a, why: w}\n  - {id: no-such-remedy, why: w}");
    let no_remedies = SYMPTOM.replace("id: slow-a", "id: slow-b").replace("remedies:\n  - {id: fix-a, why: w}", "remedies: []");
    let orphan = REMEDY.replace("id: fix-a", "id: fix-lonely");
    let silent_metric = METRIC.replace("Duration", "Errors");
    let bad_yaml = "id: [unclosed\n";
    let files = [
        ("remedies/fix-a.yaml", REMEDY),
        ("remedies/fix-x.yaml", unknown_field.as_str()),
        ("remedies/fix-c.yaml", wrong_id.as_str()),
        ("remedies/fix-lonely.yaml", orphan.as_str()),
        ("remedies/broken.yaml", bad_yaml),
        ("symptoms/slow-a.yaml", dangling.as_str()),
        ("symptoms/slow-b.yaml", no_remedies.as_str()),
        ("metrics/AWS/Lambda/Duration.yaml", METRIC),
        ("metrics/AWS/Lambda/Errors.yaml", silent_metric.as_str()),
    ];
    let p = local_problems(&files);
    let report: Vec<String> = p.iter().map(|p| p.to_string()).collect();
    let report = report.join("\n");
    assert!(has(&p, "remedies/fix-x.yaml", "schema", "unknown field `speedup`"), "{report}");
    assert!(has(&p, "remedies/fix-c.yaml", "id-path", "fix-b"), "{report}");
    assert!(has(&p, "remedies/broken.yaml", "parse", "line"), "{report}");
    assert!(has(&p, "symptoms/slow-a.yaml", "dangling-reference", "no-such-remedy"), "{report}");
    assert!(has(&p, "symptoms/slow-b.yaml", "no-remedies", "slow-b"), "{report}");
    assert!(has(&p, "remedies/fix-lonely.yaml", "orphan", "fix-lonely"), "{report}");
    assert!(has(&p, "metrics/AWS/Lambda/Errors.yaml", "indicates-nothing", "AWS/Lambda/Errors"), "{report}");
}

#[test]
fn missing_fields_and_bad_values_are_reported() {
    let missing = REMEDY.replace("tradeoffs: t\n", "");
    let bad_stat = SYMPTOM.replace("statistic: p95", "statistic: p42");
    let bad_seed = METRIC.replace("003_41822bac7f126c0d.txt", "nope.txt");
    let files = [
        ("remedies/fix-a.yaml", missing.as_str()),
        ("symptoms/slow-a.yaml", bad_stat.as_str()),
        ("metrics/AWS/Lambda/Duration.yaml", bad_seed.as_str()),
    ];
    let p = local_problems(&files);
    assert!(has(&p, "remedies/fix-a.yaml", "schema", "missing field `tradeoffs`"), "{p:?}");
    assert!(has(&p, "symptoms/slow-a.yaml", "invalid-value", "p42"), "{p:?}");
    assert!(has(&p, "metrics/AWS/Lambda/Duration.yaml", "dangling-reference", "nope.txt"), "{p:?}");
}

#[test]
fn duplicate_ids_and_files_outside_the_kind_folders_are_reported() {
    let files = [
        ("remedies/fix-a.yaml", REMEDY),
        ("remedies/fix-a.yml", REMEDY),
        ("stuff/fix-a.yaml", REMEDY),
    ];
    let p = local_problems(&files);
    assert!(p.iter().any(|p| p.check == "duplicate-id"), "{p:?}");
    assert!(has(&p, "stuff/fix-a.yaml", "id-path", "unknown folder"), "{p:?}");
}

#[test]
fn queries_walk_the_graph_both_ways() {
    let files = [("remedies/fix-a.yaml", REMEDY), ("symptoms/slow-a.yaml", SYMPTOM), ("metrics/AWS/Lambda/Duration.yaml", METRIC)];
    let graph_problems = local_problems(&files);
    assert!(graph_problems.is_empty());
    // The real graph: the queries the product uses.
    let kb = knowledge::embedded();
    let ranked = kb.remedies_for_symptom("lambda-throttling");
    assert!(!ranked.is_empty());
    let throttles = kb.symptoms_for_metric("AWS/Lambda/Throttles");
    assert!(throttles.iter().any(|(s, _)| s.id == "lambda-throttling"));
    let (_, ind) = throttles.iter().find(|(s, _)| s.id == "lambda-throttling").unwrap();
    assert_eq!(ind.metric, "AWS/Lambda/Throttles");
    for (remedy, _) in &ranked {
        assert!(kb.symptoms_for_remedy(&remedy.id).iter().any(|(s, _)| s.id == "lambda-throttling"));
    }
    let paths = kb.evidence_paths("AWS/Lambda/Throttles");
    assert!(paths.iter().any(|p| p.symptom.id == "lambda-throttling" && p.rank == 1));
    let lambda = kb.remedies_for_resource_type("AWS::Serverless::Function");
    assert!(lambda.iter().any(|r| r.id == "lambda-arm64"));
    assert!(!lambda.iter().any(|r| r.id == "alb-access-logs"));
    let export = kb.export();
    assert_eq!(export.nodes.len(), kb.nodes().count());
    assert!(export.edges.iter().any(|e| e.kind == "indicates" && e.from == "AWS/Lambda/Throttles"));
}
