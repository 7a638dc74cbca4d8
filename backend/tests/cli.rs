//! The `archlens` binary as a user runs it.

use std::process::Command;

fn archlens(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn knowledge_summary_and_one_node() {
    let (code, out, _) = archlens(&["knowledge"]);
    assert_eq!(code, 0);
    assert!(out.contains("58 remedies") || out.contains("remedies,"), "{out}");
    assert!(out.contains("lambda-throttling"));
    let (code, out, _) = archlens(&["knowledge", "dynamodb-dax"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("remedy dynamodb-dax"), "{out}");
    assert!(out.contains("Trade-offs") && out.contains("AWS::DAX::Cluster"), "{out}");
    let (code, out, _) = archlens(&["knowledge", "AWS/Lambda/Throttles", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "metric");
}

#[test]
fn unknown_knowledge_node_exits_2_with_a_hint() {
    let (code, _, err) = archlens(&["knowledge", "dax"]);
    assert_eq!(code, 2);
    assert!(err.contains("no knowledge node `dax`") && err.contains("dynamodb-dax"), "{err}");
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn tmp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("archlens-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SAMPLE: &str = "frontend/samples/orders-api.yaml";

#[test]
fn analyze_text_shows_a_code_frame_and_exits_0() {
    let path = root().join(SAMPLE);
    let (code, out, _) = archlens(&["analyze", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("high LAMBDA-003 function-timeout-exceeds-api-limit"), "{out}");
    assert!(out.contains(" | ") && out.contains("^"), "code frame: {out}");
    assert!(out.contains("finding(s) in 1 template(s)"));
}

#[test]
fn fail_on_and_ignore_set_the_exit_status() {
    let path = root().join(SAMPLE);
    let p = path.to_str().unwrap();
    assert_eq!(archlens(&["analyze", p, "--fail-on", "high"]).0, 1);
    let (code, out, _) = archlens(&["analyze", p, "--fail-on", "high", "--ignore", "LAMBDA-003", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["high"], 0);
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["rule"] != "LAMBDA-003"));
}

#[test]
fn json_sarif_and_markdown_formats() {
    let path = root().join(SAMPLE);
    let p = path.to_str().unwrap();
    let (_, out, _) = archlens(&["analyze", p, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema_version"], 1);
    for f in v["findings"].as_array().unwrap() {
        assert!(f["line"].as_u64().unwrap() >= 1 && !f["remedies"].as_array().unwrap().is_empty());
    }
    assert!(v["edges"].as_array().unwrap().iter().any(|e| e["from"] == "OrdersApi" && e["to"] == "GetOrderFunction" && e["kind"] == "invokes"));
    let (_, out, _) = archlens(&["analyze", p, "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len() >= 50);
    let (_, out, _) = archlens(&["analyze", p, "--format", "markdown"]);
    assert!(out.starts_with("## Archlens review") && out.contains("<details>"));
}

#[test]
fn folders_and_many_templates_in_one_call() {
    let dir = root().join("tests/corpus/templates");
    let (code, out, err) = archlens(&["analyze", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["files"].as_array().unwrap().len() >= 66);
}

#[test]
fn unusable_input_exits_2_naming_file_line_and_problem() {
    let bad = tmp("bad.yaml", "Resources:\n  A:\n    Type: AWS::SNS::Topic\n  A:\n    Type: AWS::SQS::Queue\n");
    let (code, _, err) = archlens(&["analyze", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.yaml:4:3: duplicate key `A`"), "{err}");
    let not_template = tmp("notes.yaml", "just: a list\n");
    let (code, _, err) = archlens(&["analyze", not_template.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no `Resources` section"), "{err}");
    let (code, _, err) = archlens(&["analyze", "/no/such/file.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/file.yaml"), "{err}");
}

#[test]
fn metrics_files_bind_and_show_symptoms_with_evidence() {
    let template = root().join(SAMPLE);
    let mut lines = String::new();
    for i in 0..30 {
        let init = if i % 3 == 0 { "\tInit Duration: 2100.00 ms" } else { "" };
        lines.push_str(&format!("REPORT RequestId: id-{i}\tDuration: 180.00 ms\tBilled Duration: 180 ms\tMemory Size: 128 MB\tMax Memory Used: 120 MB{init}\n"));
    }
    let log = tmp("get-order.log", &lines);
    let arg = format!("GetOrderFunction={}", log.display());
    let (code, out, err) = archlens(&["analyze", template.to_str().unwrap(), "--metrics", &arg, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["metrics"]["bound"], 1);
    let cold = v["findings"].as_array().unwrap().iter().find(|f| f["resource"] == "GetOrderFunction" && f["symptoms"].as_array().unwrap().iter().any(|s| s == "lambda-cold-starts")).expect("cold starts found");
    assert!(!cold["chain"].as_array().unwrap().is_empty());
    let (_, text, _) = archlens(&["analyze", template.to_str().unwrap(), "--metrics", &arg]);
    assert!(text.contains("evidence: AWS/Lambda/InitDuration"), "{text}");
    assert!(text.contains("Lambda cost from REPORT lines") && text.contains("GetOrderFunction (x86_64, 128 MB): 30 invocations observed"), "{text}");
    let (_, md, _) = archlens(&["analyze", template.to_str().unwrap(), "--metrics", &arg, "--format", "markdown"]);
    assert!(md.contains("**Lambda cost from REPORT lines**") && md.contains("InitDuration"), "{md}");
    let (_, sarif, _) = archlens(&["analyze", template.to_str().unwrap(), "--metrics", &arg, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert!(sarif["runs"][0]["properties"]["archlens/costs"].is_object());
    assert!(sarif["runs"][0]["results"].as_array().unwrap().iter().any(|r| r["properties"]["symptoms"].as_array().unwrap().iter().any(|s| s == "lambda-cold-starts")));
    let broken = tmp("broken.json", "{\"MetricDataResults\": [");
    let (code, _, err) = archlens(&["analyze", template.to_str().unwrap(), "--metrics", broken.to_str().unwrap()]);
    assert_eq!(code, 0, "a broken metrics file does not stop the analysis");
    assert!(err.contains("broken.json"), "{err}");
}

#[test]
fn metrics_query_writes_queries_and_the_command() {
    let template = root().join(SAMPLE);
    let out_file = std::env::temp_dir().join(format!("archlens-q-{}.json", std::process::id()));
    let (code, out, err) = archlens(&["metrics-query", template.to_str().unwrap(), "--stack-name", "shop", "--output", out_file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("aws cloudwatch get-metric-data --metric-data-queries"), "{out}");
    let q: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert!(q.as_array().unwrap().len() > 20);
}

#[test]
fn rules_and_explain() {
    let (code, out, _) = archlens(&["rules"]);
    assert_eq!(code, 0);
    assert!(out.lines().filter(|l| l.contains('-') && l.split_whitespace().next().is_some_and(|c| c.contains('-'))).count() >= 50);
    let (code, out, _) = archlens(&["explain", "LAMBDA-003"]);
    assert_eq!(code, 0);
    assert!(out.contains("## Why is this bad?") && out.contains("function-timeout-exceeds-api-limit"));
    assert_eq!(archlens(&["explain", "NOPE-999"]).0, 2);
}
