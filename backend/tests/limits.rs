//! The limits `archlens serve` enforces, each with a low setting: body and template size (413),
//! analysis time (503), concurrent analyses (503), requests per client per minute (429).

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use archlens::config::{Limits, ServerConfig};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::json;
use support::*;

const ANALYZE: &str = "/api/v1/analyze";

fn limits(change: impl FnOnce(&mut Limits)) -> ServerConfig {
    let mut config = ServerConfig::default();
    change(&mut config.limits);
    config
}

fn from_client(mut request: Request<Body>, ip: [u8; 4]) -> Request<Body> {
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
    request
}

#[tokio::test]
async fn a_template_over_the_template_limit_is_413() {
    let state = state_with(limits(|l| l.max_template_bytes = 1024));
    let big = large_template(20);
    assert!(big.len() > 1024);
    let v = oneshot(&state, post_json(ANALYZE, &json!({"template": big}))).await.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    assert!(v["error"]["message"].as_str().unwrap().contains("1024"), "{v}");
    oneshot(&state, multipart(ANALYZE, &[("template", Some("big.yaml"), &big)]))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    // Under the template limit, the same server analyses.
    let ok = oneshot(&state, post_json(ANALYZE, &json!({"template": SMALL_TEMPLATE}))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

#[tokio::test]
async fn a_body_over_the_total_limit_is_413_even_when_the_template_is_small() {
    let state = state_with(limits(|l| l.max_body_bytes = 4096));
    let metrics = "x".repeat(8192);
    let json_body = json!({"template": SMALL_TEMPLATE, "metrics": [{"name": "m.log", "content": metrics}]});
    oneshot(&state, post_json(ANALYZE, &json_body)).await.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    let form = multipart(ANALYZE, &[("template", Some("t.yaml"), SMALL_TEMPLATE), ("metrics", Some("m.log"), &metrics)]);
    oneshot(&state, form).await.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");

    // Without a Content-Length (chunked), the limit holds while reading.
    let addr = spawn(state.clone()).await;
    let body = serde_json::to_vec(&json_body).unwrap();
    let mut request = format!(
        "POST {ANALYZE} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(1000) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let response = raw_exchange(addr, &request).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"code\":\"payload-too-large\""), "{response}");
}

/// Writes raw bytes to the server and reads what it answers until it closes.
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer (and stop reading) before the whole body is sent.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn an_analysis_past_the_time_limit_is_503_and_counted() {
    let state = state_with(limits(|l| l.analysis_timeout = Duration::from_millis(1)));
    let answer = oneshot(&state, post_json(ANALYZE, &json!({"template": large_template(300)}))).await;
    let v = answer.assert_error(StatusCode::SERVICE_UNAVAILABLE, "analysis-timeout");
    assert!(v["error"]["message"].as_str().unwrap().contains("longer than"), "{v}");
    assert_eq!(answer.header("retry-after"), "1");
    let metrics = oneshot(&state, get("/metrics")).await.text();
    assert!(metrics.contains("archlens_analysis_errors_total{reason=\"timeout\"} 1"), "{metrics}");
}

#[tokio::test]
async fn when_every_analysis_slot_stays_busy_the_request_waits_briefly_then_gets_503() {
    let state = state_with(limits(|l| {
        l.max_concurrent_analyses = 2;
        l.analysis_queue_wait = Duration::from_millis(100);
    }));
    let first = state.inner.analyzer.acquire_slot().await.unwrap();
    let _second = state.inner.analyzer.acquire_slot().await.unwrap();
    let started = std::time::Instant::now();
    let answer = oneshot(&state, post_json(ANALYZE, &json!({"template": SMALL_TEMPLATE}))).await;
    answer.assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(started.elapsed() >= Duration::from_millis(100), "it waited for a slot first");

    // A slot that comes free while the request waits is taken.
    let state2 = state.clone();
    let waiting = tokio::spawn(async move { oneshot(&state2, post_json(ANALYZE, &json!({"template": SMALL_TEMPLATE}))).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(first);
    let answer = waiting.await.unwrap();
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn concurrent_requests_beyond_the_slots_are_refused_over_a_socket() {
    // One slot, no queue: of several large analyses sent at once, some must be refused and
    // the rest succeed.
    let state = state_with(limits(|l| {
        l.max_concurrent_analyses = 1;
        l.analysis_queue_wait = Duration::from_millis(1);
    }));
    let addr = spawn(state).await;
    let template = large_template(150);
    let requests = (0..4).map(|_| over_socket(addr, post_json(ANALYZE, &json!({"template": template}))));
    let answers = futures_util::future::join_all(requests).await;
    let ok = answers.iter().filter(|a| a.status == StatusCode::OK).count();
    let busy = answers.iter().filter(|a| a.status == StatusCode::SERVICE_UNAVAILABLE).count();
    assert!(ok >= 1 && busy >= 1 && ok + busy == 4, "ok {ok}, busy {busy}");
}

#[tokio::test]
async fn each_client_gets_its_quota_per_minute_then_429_with_retry_after() {
    let state = state_with(limits(|l| l.requests_per_minute = 3));
    for _ in 0..3 {
        let answer = oneshot(&state, from_client(get("/api/v1/rules"), [192, 0, 2, 1])).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let refused = oneshot(&state, from_client(get("/api/v1/rules"), [192, 0, 2, 1])).await;
    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let retry: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=20).contains(&retry), "one request per 20 s comes back: {retry}");

    let other = oneshot(&state, from_client(get("/api/v1/rules"), [192, 0, 2, 2])).await;
    assert_eq!(other.status, StatusCode::OK, "another client has its own budget");
    let probe = oneshot(&state, from_client(get("/api/v1/health"), [192, 0, 2, 1])).await;
    assert_eq!(probe.status, StatusCode::OK, "probes are not limited");
    let page = oneshot(&state, from_client(get("/"), [192, 0, 2, 1])).await;
    assert_ne!(page.status, StatusCode::TOO_MANY_REQUESTS, "the web app is not limited");
}

#[tokio::test]
async fn the_rate_limit_applies_to_the_tcp_peer_over_a_socket() {
    let state = state_with(limits(|l| l.requests_per_minute = 2));
    let addr = spawn(state).await;
    for _ in 0..2 {
        assert_eq!(over_socket(addr, get("/api/v1/rules/LAMBDA-001")).await.status, StatusCode::OK);
    }
    let refused = over_socket(addr, get("/api/v1/rules/LAMBDA-001")).await;
    refused.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert!(refused.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_zero_rate_limit_is_no_limit() {
    let state = state_with(limits(|l| l.requests_per_minute = 0));
    for _ in 0..50 {
        assert_eq!(oneshot(&state, get("/api/v1/rules/LAMBDA-001")).await.status, StatusCode::OK);
    }
}
