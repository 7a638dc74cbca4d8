//! Meta tests that guard the rule set (clippy-style): unique stable codes, complete docs,
//! remedies and symptoms that exist in the knowledge graph, and executable doc examples:
//! `## Example` must produce the rule's finding, `## Use instead` must not.

use std::collections::BTreeSet;

use archlens_shared::analysis::{self, Options};
use archlens_shared::knowledge::{self, catalogue};
use archlens_shared::rules;

fn findings_of(rule_code: &str, template: &str) -> Vec<analysis::Finding> {
    let report = analysis::analyze(template, &Options::default())
        .unwrap_or_else(|e| panic!("{rule_code}: doc example does not parse: {e}\n{template}"));
    report.findings.into_iter().filter(|f| f.rule == rule_code).collect()
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for rule in rules::all() {
        let m = rule.meta();
        assert!(codes.insert(m.code), "duplicate code {}", m.code);
        assert!(names.insert(m.name), "duplicate name {}", m.name);
        let (prefix, number) = m.code.split_once('-').unwrap_or_else(|| panic!("{}: code must be PREFIX-NNN", m.code));
        assert!(prefix.chars().all(|c| c.is_ascii_uppercase()) && number.len() == 3 && number.chars().all(|c| c.is_ascii_digit()), "{}", m.code);
        assert!(m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()), "{}: name must be kebab-case", m.name);
    }
}

#[test]
fn there_are_at_least_fifty_rules() {
    let n = rules::all().len();
    assert!(n >= 50, "only {n} rules");
}

#[test]
fn every_rule_has_complete_docs_and_known_knowledge_ids() {
    let kb = knowledge::embedded();
    let mut problems = Vec::new();
    for rule in rules::all() {
        let m = rule.meta();
        for heading in ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References"] {
            if !m.docs.contains(heading) {
                problems.push(format!("{}: docs lack `{heading}`", m.code));
            }
        }
        if !m.docs.contains("https://") {
            problems.push(format!("{}: References name no link", m.code));
        }
        for r in m.remedies {
            if kb.remedy(r).is_none() {
                problems.push(format!("{}: remedy `{r}` is not in the knowledge graph", m.code));
            }
        }
        for s in m.symptoms {
            if kb.symptom(s).is_none() {
                problems.push(format!("{}: symptom `{s}` is not in the knowledge graph", m.code));
            }
        }
        if m.summary().is_empty() {
            problems.push(format!("{}: empty summary", m.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn doc_examples_are_executable_fixtures() {
    let mut problems = Vec::new();
    for rule in rules::all() {
        let m = rule.meta();
        let (Some(bad), Some(good)) = (m.docs_block("Example"), m.docs_block("Use instead")) else {
            problems.push(format!("{}: Example and Use instead need ```yaml blocks", m.code));
            continue;
        };
        let found = findings_of(m.code, bad);
        if found.is_empty() {
            problems.push(format!("{}: the Example produces no finding", m.code));
        }
        for f in &found {
            if f.line == 0 || f.message.is_empty() || f.fix.is_none() && m.severity > rules::Severity::Info && f.evidence.is_empty() {
                problems.push(format!("{}: finding lacks line, message, or fix/evidence: {f:?}", m.code));
            }
        }
        let clean = findings_of(m.code, good);
        if !clean.is_empty() {
            problems.push(format!("{}: `Use instead` still produces: {}", m.code, clean[0].message));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Remedies that no template can reveal: they are about application code or ways of working,
/// so metrics (not rules) lead to them.
const NOT_VISIBLE_IN_TEMPLATES: &[&str] = &[
    "reduce-payload-size",
    "lambda-init-outside-handler",
    "lambda-connection-pooling",
    "lambda-tmp-cache",
    "lambda-no-shared-user-state",
    "dynamodb-parallel-scan",
    "dynamodb-smaller-pages",
    "dynamodb-eventual-consistency",
    "dynamodb-batch-operations",
    "dynamodb-projection-expression",
    "retry-exponential-backoff",
    "db-query-tuning",
    "s3-multipart-transfer",
    "batch-requests",
    "kinesis-producer-tuning",
    "cloudwatch-logs-insights",
    "load-testing",
    "apigw-timeout-diagnosis",
    "cloudwatch-custom-metrics",
];

#[test]
fn every_remedy_a_template_can_reveal_has_a_rule() {
    let covered: BTreeSet<&str> = rules::all().iter().flat_map(|r| r.meta().remedies.iter().copied()).collect();
    let missing: Vec<&str> = catalogue::REMEDIES
        .iter()
        .copied()
        .filter(|r| !covered.contains(r) && !NOT_VISIBLE_IN_TEMPLATES.contains(r))
        .collect();
    assert!(missing.is_empty(), "remedies without a rule: {missing:?}");
}

#[test]
fn suppression_by_metadata_and_option() {
    let template = "
Metadata:
  archlens:
    ignore: [LAMBDA-002]
Resources:
  A:
    Type: AWS::Lambda::Function
    Metadata:
      archlens:
        ignore: [function-memory-at-default]
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}
  B:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}
";
    let codes = |opts: &Options| -> Vec<(String, Option<String>)> {
        analysis::analyze(template, opts).unwrap().findings.into_iter().map(|f| (f.rule, f.resource)).collect()
    };
    let found = codes(&Options::default());
    assert!(!found.iter().any(|(c, _)| c == "LAMBDA-002"), "template-level ignore");
    assert!(!found.contains(&("LAMBDA-001".into(), Some("A".into()))), "resource-level ignore by name");
    assert!(found.contains(&("LAMBDA-001".into(), Some("B".into()))));
    let found = codes(&Options { ignore: vec!["lambda-001".into()], ..Default::default() });
    assert!(!found.iter().any(|(c, _)| c == "LAMBDA-001"), "--ignore is case-insensitive on codes");
}

#[test]
fn unknown_values_never_produce_findings() {
    // MemorySize and Timeout come from a parameter without default and an unknowable condition.
    let template = "
Parameters:
  Memory: {Type: Number}
  Env: {Type: String}
Conditions:
  Big: !Equals [!Ref Env, prod]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Role: r
      Code: {ZipFile: x}
      MemorySize: !Ref Memory
      Timeout: !If [Big, 60, 30]
";
    let report = analysis::analyze(template, &Options::default()).unwrap();
    let codes: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(!codes.contains(&"LAMBDA-001") && !codes.contains(&"LAMBDA-002"), "{codes:?}");
}
