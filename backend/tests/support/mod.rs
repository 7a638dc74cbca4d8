//! Helpers of the HTTP tests: the app in-process (`oneshot`) and on a real socket
//! (`127.0.0.1:0`, driven with hyper's client), and the fixtures they send.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use archlens::config::ServerConfig;
use archlens::{AppState, app, load_knowledge};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::ServiceExt;

pub fn state() -> AppState {
    state_with(ServerConfig::default())
}

pub fn state_with(config: ServerConfig) -> AppState {
    AppState::with_config(load_knowledge().unwrap(), archlens::default_assets_dir(), config)
}

/// A response, fully read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no `{name}` header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    /// Asserts the JSON error envelope with this status and code.
    pub fn assert_error(&self, status: StatusCode, code: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        assert!(self.header("content-type").starts_with("application/json"), "{:?}", self.headers);
        let v = self.json();
        assert_eq!(v["error"]["status"], status.as_u16(), "{v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty(), "{v}");
        v
    }
}

/// Sends one request to the app in-process.
pub async fn oneshot(state: &AppState, request: Request<Body>) -> Answer {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Answer { status: parts.status, headers: parts.headers, body: body.collect().await.unwrap().to_bytes() }
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

pub fn post_json(uri: &str, body: &serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// A `multipart/form-data` body: `(field name, file name, content)`.
pub fn multipart(uri: &str, parts: &[(&str, Option<&str>, &str)]) -> Request<Body> {
    const BOUNDARY: &str = "archlens-test-boundary-7d1c";
    let mut body = String::new();
    for (name, file, content) in parts {
        body.push_str(&format!("--{BOUNDARY}\r\n"));
        match file {
            Some(file) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )),
            None => body.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")),
        }
        body.push_str(content);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    Request::post(uri)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(body))
        .unwrap()
}

/// Serves the app on `127.0.0.1:0` for the rest of the test (the runtime's end stops it).
pub async fn spawn(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(archlens::serve(listener, app(state)));
    addr
}

/// Sends one request over a real connection; `request`'s URI is a path, `addr` the server.
pub async fn over_socket(addr: SocketAddr, request: Request<Body>) -> Answer {
    let (mut parts, body) = request.into_parts();
    parts.uri = format!("http://{addr}{}", parts.uri).parse().unwrap();
    let body = body.collect().await.unwrap().to_bytes();
    let request = Request::from_parts(parts, Full::new(body));
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Answer { status: parts.status, headers: parts.headers, body: body.collect().await.unwrap().to_bytes() }
}

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A realistic SAM template: an API, functions, a queue, a table and a topic.
pub fn orders_template() -> String {
    std::fs::read_to_string(workspace().join("frontend/samples/orders-api.yaml")).unwrap()
}

pub const SMALL_TEMPLATE: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
";

/// A template with `n` functions, each behind an API route and writing to a table.
pub fn large_template(n: usize) -> String {
    let mut t = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: prod}\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n",
    );
    for i in 0..n {
        t.push_str(&format!(
            "  Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.h{i}\n      CodeUri: src/\n      Timeout: 60\n      Policies: [{{DynamoDBCrudPolicy: {{TableName: !Ref Table}}}}]\n      Environment: {{Variables: {{TABLE: !Ref Table}}}}\n      Events:\n        Get:\n          Type: Api\n          Properties: {{RestApiId: !Ref Api, Path: /r{i}, Method: get}}\n"
        ));
    }
    t
}

/// A temporary folder, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("archlens-{what}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A state with saved reviews in a SQLite database under `dir`.
pub async fn state_with_reviews(config: ServerConfig, dir: &TempDir) -> AppState {
    let database = archlens::reviews::Database::Sqlite { dir: dir.0.clone() };
    let reviews = archlens::reviews::Reviews::open(&database).await.expect("open the reviews database");
    state_with(config).with_reviews(reviews)
}

/// One Server-Sent Event: its `event` name, `id` and `data` (JSON).
#[derive(Debug)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: serde_json::Value,
}

/// One block of an event stream (up to its blank line) as an event; `None` for a keep-alive
/// comment.
pub fn parse_event(block: &str) -> Option<SseEvent> {
    let mut event = SseEvent { event: "message".into(), id: None, data: serde_json::Value::Null };
    let mut data = String::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            event.event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("id:") {
            event.id = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    if data.is_empty() {
        return None;
    }
    event.data = serde_json::from_str(&data).unwrap();
    Some(event)
}

/// Sends `request` in-process, expects a 200 event stream, and reads its first `n` events
/// (keep-alive comments skipped), each within two seconds.
pub async fn first_events(state: &AppState, request: Request<Body>, n: usize) -> Vec<SseEvent> {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body().into_data_stream();
    let mut buf = String::new();
    let mut events = Vec::new();
    while events.len() < n {
        if let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            events.extend(parse_event(&block));
            continue;
        }
        use futures_util::StreamExt;
        match tokio::time::timeout(std::time::Duration::from_secs(2), body.next()).await {
            Ok(Some(chunk)) => buf.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap()),
            Ok(None) => panic!("the event stream ended after {} events", events.len()),
            Err(_) => panic!("no event within two seconds after {} events", events.len()),
        }
    }
    events
}
