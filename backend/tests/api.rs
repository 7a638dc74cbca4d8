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
