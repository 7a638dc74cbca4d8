//! The HTTP API in-process (`oneshot`), no socket.

use archlens::{AppState, app, load_knowledge};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn state() -> AppState {
    AppState::new(load_knowledge().unwrap(), archlens::default_assets_dir())
}

async fn get(uri: &str) -> (StatusCode, serde_json::Value) {
    let res = app(state()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn health_answers() {
    let (status, body) = get("/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn knowledge_returns_the_whole_graph() {
    let (status, body) = get("/api/v1/knowledge").await;
    assert_eq!(status, StatusCode::OK);
    let nodes = body["nodes"].as_array().unwrap();
    let count = |kind: &str| nodes.iter().filter(|n| n["kind"] == kind).count();
    assert!(count("remedy") >= 58 && count("symptom") >= 24 && count("metric") >= 29);
    let edges = body["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["kind"] == "remedied-by" && e["from"] == "dynamodb-hot-reads" && e["to"] == "dynamodb-dax"));
    assert!(edges.iter().any(|e| e["kind"] == "indicates" && e["from"] == "AWS/Lambda/Throttles" && e["condition"].as_str().unwrap().contains("Sum > 0")));
}

#[tokio::test]
async fn knowledge_node_by_id_including_metric_ids_with_slashes() {
    let (status, body) = get("/api/v1/knowledge/dynamodb-dax").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["node"]["kind"], "remedy");
    assert!(body["treats"].as_array().unwrap().iter().any(|s| s["id"] == "dynamodb-hot-reads"));
    let (status, body) = get("/api/v1/knowledge/AWS/Lambda/Throttles").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["node"]["namespace"], "AWS/Lambda");
    assert!(!body["indicates"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_node_is_a_json_404() {
    let (status, body) = get("/api/v1/knowledge/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not-found");
    assert!(body["error"]["message"].as_str().unwrap().contains("no-such-thing"));
}

// ---------------------------------------------------------------------------------------------
// Rules, readiness, metrics, the error envelope for what no handler wrote, and the OpenAPI
// document.

mod support;

use support::{Answer, oneshot, over_socket, spawn};

#[tokio::test]
async fn rules_lists_every_rule_with_its_documentation() {
    let answer = oneshot(&state(), support::get("/api/v1/rules")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let rules = answer.json();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), archlens_shared::rules::all().len());
    for rule in rules {
        for key in ["code", "name", "severity", "pillar", "symptoms", "remedies", "summary", "docs"] {
            assert!(!rule[key].is_null(), "{key} missing in {rule}");
        }
        assert!(rule["docs"].as_str().unwrap().contains("## What it does"), "{rule}");
        assert!(!rule["remedies"].as_array().unwrap().is_empty());
    }
    let codes: Vec<&str> = rules.iter().map(|r| r["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "in code order");
}

#[tokio::test]
async fn one_rule_by_code_or_name_and_a_404_envelope_otherwise() {
    let state = state();
    let first = archlens_shared::rules::all()[0].meta();
    for key in [first.code.to_string(), first.code.to_ascii_lowercase(), first.name.to_string()] {
        let answer = oneshot(&state, support::get(&format!("/api/v1/rules/{key}"))).await;
        assert_eq!(answer.status, StatusCode::OK, "{key}");
        let rule = answer.json();
        assert_eq!(rule["code"], first.code);
        assert_eq!(rule["severity"], first.severity.as_str());
        assert_eq!(rule["summary"], first.summary());
    }
    let v = oneshot(&state, support::get("/api/v1/rules/NOPE-999")).await.assert_error(StatusCode::NOT_FOUND, "not-found");
    assert!(v["error"]["message"].as_str().unwrap().contains("NOPE-999"));
}

#[tokio::test]
async fn ready_answers_ready() {
    let answer = oneshot(&state(), support::get("/api/v1/ready")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), serde_json::json!({"status": "ready"}));
}

#[tokio::test]
async fn unknown_api_paths_and_methods_get_the_envelope() {
    let state = state();
    for path in ["/api/v1/nope", "/api/v2/rules", "/api", "/api/", "/api/v1/rules/LAMBDA-001/extra"] {
        let answer = oneshot(&state, support::get(path)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        let v = answer.assert_error(StatusCode::NOT_FOUND, "not-found");
        assert!(v["error"]["message"].as_str().unwrap().contains(path.trim_end_matches('/')), "{path}: {v}");
    }
    let delete = Request::delete("/api/v1/rules").body(Body::empty()).unwrap();
    let answer = oneshot(&state, delete).await;
    answer.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    assert_eq!(answer.header("allow"), "GET,HEAD");
    let get_analyze = oneshot(&state, support::get("/api/v1/analyze")).await;
    get_analyze.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
}

#[tokio::test]
async fn metrics_expose_requests_and_analyses_in_prometheus_text() {
    let state = state();
    oneshot(&state, support::get("/api/v1/rules/LAMBDA-001")).await;
    oneshot(&state, support::get("/api/v1/rules/NOPE-1")).await;
    let analysis = serde_json::json!({"template": support::SMALL_TEMPLATE});
    assert_eq!(oneshot(&state, support::post_json("/api/v1/analyze", &analysis)).await.status, StatusCode::OK);
    let broken = serde_json::json!({"template": "hello: world\n"});
    oneshot(&state, support::post_json("/api/v1/analyze", &broken)).await;

    let answer = oneshot(&state, support::get("/metrics")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("content-type").starts_with("application/openmetrics-text"));
    let text = answer.text();
    for line in [
        "http_requests_total{method=\"GET\",route=\"/api/v1/rules/{code}\",status=\"200\"} 1",
        "http_requests_total{method=\"GET\",route=\"/api/v1/rules/{code}\",status=\"404\"} 1",
        "http_requests_total{method=\"POST\",route=\"/api/v1/analyze\",status=\"422\"} 1",
        "http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/analyze\"} 2",
        "# TYPE http_request_duration_seconds histogram",
        "archlens_analyses_total 2",
        "archlens_analysis_errors_total{reason=\"template\"} 1",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    assert!(text.trim_end().ends_with("# EOF"));
}

#[tokio::test]
async fn unmatched_paths_are_one_series_not_one_per_path() {
    let state = state();
    for i in 0..3 {
        oneshot(&state, support::get(&format!("/api/v1/no-such-{i}"))).await;
    }
    let text = oneshot(&state, support::get("/metrics")).await.text();
    assert!(text.contains("http_requests_total{method=\"GET\",route=\"/api/{*rest}\",status=\"404\"} 3"), "{text}");
    assert!(!text.contains("no-such"), "{text}");
}

#[tokio::test]
async fn probes_rules_and_metrics_over_a_real_socket() {
    let addr = spawn(state()).await;
    let ready: Answer = over_socket(addr, support::get("/api/v1/ready")).await;
    assert_eq!(ready.json()["status"], "ready");
    let rules = over_socket(addr, support::get("/api/v1/rules")).await;
    assert_eq!(rules.json().as_array().unwrap().len(), archlens_shared::rules::all().len());
    over_socket(addr, support::get("/api/v1/rules/NOPE-1")).await.assert_error(StatusCode::NOT_FOUND, "not-found");
    let metrics = over_socket(addr, support::get("/metrics")).await.text();
    assert!(metrics.contains("route=\"/api/v1/rules\""), "{metrics}");
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let answer = oneshot(&state(), support::get("/api/v1/openapi.json")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc);
}

/// Every path and method the document lists is served (not a 404 or 405 from the router).
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let state = state();
    let doc = oneshot(&state, support::get("/api/v1/openapi.json")).await.json();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 8, "{paths:?}");
    for (path, operations) in paths {
        let concrete = path.replace("{code}", "LAMBDA-001").replace("{id}", "dynamodb-dax");
        for method in operations.as_object().unwrap().keys() {
            let request = Request::builder().method(method.to_ascii_uppercase().as_str()).uri(&concrete).body(Body::empty()).unwrap();
            let answer = oneshot(&state, request).await;
            assert!(
                answer.status != StatusCode::NOT_FOUND && answer.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {}",
                answer.status
            );
        }
    }
}

/// The report schema, written by hand for the shared crate's types, describes real reports:
/// every key a report has is documented, every required key is there.
#[tokio::test]
async fn real_reports_fit_the_documented_report_schema() {
    let state = state();
    let doc = oneshot(&state, support::get("/api/v1/openapi.json")).await.json();
    let metrics = "REPORT RequestId: 1\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 70 MB\tInit Duration: 980.41 ms\n";
    let body = serde_json::json!({
        "template": support::orders_template(),
        "metrics": [{"name": "report.log", "content": metrics, "resource": "CreateOrderFunction"}, {"name": "bad", "content": "?"}],
    });
    let report = oneshot(&state, support::post_json("/api/v1/analyze", &body)).await.json();
    let mut problems = Vec::new();
    check(&doc, &doc["components"]["schemas"]["Report"], &report, "report", &mut problems);
    assert!(problems.is_empty(), "update the report schema in backend/src/api/openapi.rs:\n{}", problems.join("\n"));
}

fn check(doc: &serde_json::Value, schema: &serde_json::Value, value: &serde_json::Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        return check(doc, &doc["components"]["schemas"][name], value, at, problems);
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object()) {
        for key in object.keys() {
            match properties.get(key) {
                Some(sub) => check(doc, sub, &object[key], &format!("{at}.{key}"), problems),
                None => problems.push(format!("{at}.{key} is not documented")),
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            if !object.contains_key(required.as_str().unwrap()) {
                problems.push(format!("{at}.{required} is required but missing"));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(doc, items, item, &format!("{at}[{i}]"), problems);
        }
    }
}
