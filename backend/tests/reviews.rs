//! Saved team reviews, end to end: every scenario runs against SQLite (a temporary data folder)
//! and against PostgreSQL (a real server each test starts from Debian's binaries and stops).
//! Most drive the app in-process; the kill -9 tests run the real `archlens serve` binary.

#[path = "reviews/postgres.rs"]
mod postgres;
mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use archlens::Router;
use archlens::reviews::{Database, Following, Reviews};
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::ServiceExt;

use postgres::PgServer;
use support::{SseEvent, parse_event};

// ---------------------------------------------------------------------------------------------
// Where the reviews are kept

/// One database for one test: a temporary SQLite data folder, or a PostgreSQL server.
enum Env {
    Sqlite(TempDir),
    Postgres(PgServer),
}

impl Env {
    fn sqlite() -> Env {
        Env::Sqlite(TempDir::new("sqlite"))
    }

    fn postgres() -> Env {
        Env::Postgres(PgServer::start())
    }

    fn database(&self) -> Database {
        match self {
            Env::Sqlite(dir) => Database::Sqlite { dir: dir.0.clone() },
            Env::Postgres(pg) => Database::Postgres { url: pg.url() },
        }
    }

    /// `archlens serve` options for this database.
    fn serve_args(&self) -> Vec<String> {
        match self {
            Env::Sqlite(dir) => vec!["--data-dir".into(), dir.0.display().to_string()],
            Env::Postgres(pg) => vec!["--database-url".into(), pg.url()],
        }
    }

    /// A new instance of the app on this database (as if a new server process started).
    async fn app(&self) -> Router {
        self.app_with(None).await
    }

    async fn app_with(&self, trusted_user_header: Option<&str>) -> Router {
        self.instance(Following::default(), trusted_user_header).await.0
    }

    /// An instance that learns of other instances' changes as `following` says.
    async fn instance(&self, following: Following, trusted_user_header: Option<&str>) -> (Router, Reviews) {
        let reviews = Reviews::open_following(&self.database(), following).await.expect("open the reviews database");
        (archlens_app(reviews.clone(), trusted_user_header), reviews)
    }
}

fn archlens_app(reviews: Reviews, trusted_user_header: Option<&str>) -> Router {
    let config = archlens::config::ServerConfig {
        trusted_user_header: trusted_user_header.map(String::from),
        ..Default::default()
    };
    let state = archlens::AppState::with_config(archlens::load_knowledge().unwrap(), archlens::default_assets_dir(), config)
        .with_reviews(reviews);
    archlens::app(state)
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "archlens-reviews-{what}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Each scenario as one test per database; PostgreSQL servers start and stop outside the
/// async runtime (they are blocking processes).
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    let env = super::Env::sqlite();
                    super::runtime().block_on(super::$scenario(&env));
                }
            )*
        }
        mod postgresql {
            $(
                #[test]
                fn $scenario() {
                    let env = super::Env::postgres();
                    super::runtime().block_on(super::$scenario(&env));
                }
            )*
        }
    };
}

on_both_databases!(
    create_get_list,
    status_change_and_stale_version_conflict,
    concurrent_writers_on_one_version_one_wins,
    comments_take_the_author_from_the_trusted_header,
    reanalysis_keeps_the_status_of_findings_that_still_apply,
    live_events_reach_another_viewer_within_a_second,
    live_events_reach_viewers_of_another_instance,
    survives_a_restart,
    survives_kill_9_of_the_server,
    ready_checks_the_database,
);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Templates

/// An API function with a long timeout (LAMBDA-015) among other findings.
const TEMPLATE_V1: &str = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Export:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Timeout: 28
      Events:
        Get: {Type: Api, Properties: {Path: /export, Method: get}}
";

/// The same function with its timeout fixed, everything a few lines further down, and a new
/// function with findings of its own.
const TEMPLATE_V2: &str = "\
Transform: AWS::Serverless-2016-10-31
Description: >
  Exports, now with a worker.
  (These lines move every finding of Export down.)
Resources:
  Export:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Timeout: 6
      Events:
        Get: {Type: Api, Properties: {Path: /export, Method: get}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: worker.handler
      CodeUri: src/
";

const LONG_TIMEOUT: &str = "LAMBDA-015";

// ---------------------------------------------------------------------------------------------
// HTTP in-process

async fn call(app: &Router, method: &str, uri: &str, body: Option<Value>, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

async fn create(app: &Router, template: &str, name: &str) -> Value {
    let (status, body) = call(app, "POST", "/api/v1/reviews", Some(json!({"template": template, "name": name})), &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn get_review(app: &Router, id: &str) -> Value {
    let (status, body) = call(app, "GET", &format!("/api/v1/reviews/{id}"), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Percent-encodes a finding key for a path segment.
fn enc(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn status_uri(id: &str, key: &str) -> String {
    format!("/api/v1/reviews/{id}/findings/{}/status", enc(key))
}

fn comments_uri(id: &str, key: &str) -> String {
    format!("/api/v1/reviews/{id}/findings/{}/comments", enc(key))
}

/// The key of the first finding of `rule`.
fn key_of(review: &Value, rule: &str) -> String {
    finding(review, |f| f["finding"]["rule"] == rule)["key"].as_str().unwrap().to_string()
}

fn finding(review: &Value, pred: impl Fn(&Value) -> bool) -> &Value {
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| pred(f))
        .unwrap_or_else(|| panic!("no such finding in {:#}", review["findings"]))
}

fn by_key<'a>(review: &'a Value, key: &str) -> &'a Value {
    finding(review, |f| f["key"] == key)
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async fn create_get_list(env: &Env) {
    let app = env.app().await;
    let created = create(&app, TEMPLATE_V1, "Exports API").await;
    let id = created["id"].as_str().unwrap();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "128-bit hex id: {id}");
    assert_eq!(created["url"], format!("/r/{id}"));
    assert_eq!(created["version"], 1);
    let review = &created["review"];
    assert_eq!(review["name"], "Exports API");
    assert_eq!(review["template"], TEMPLATE_V1);
    let report_findings = review["report"]["findings"].as_array().unwrap();
    let findings = review["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert_eq!(findings.len(), report_findings.len());
    assert!(findings.iter().all(|f| f["status"] == "open" && f["present"] == true && f["comments"] == json!([])));
    let key = key_of(review, LONG_TIMEOUT);
    assert_eq!(key, "LAMBDA-015:Export:Resources.Export.Properties.Timeout");

    let fetched = get_review(&app, id).await;
    assert_eq!(&fetched, review);

    let other = create(&app, TEMPLATE_V2, "Worker").await;
    let (status, list) = call(&app, "GET", "/api/v1/reviews?limit=10", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let listed = list["reviews"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let ids: Vec<&str> = listed.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&id) && ids.contains(&other["id"].as_str().unwrap()));
    let first = listed.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(first["name"], "Exports API");
    assert_eq!(first["counts"]["open"], findings.len());
    assert_eq!(first["counts"]["fixed"], 0);
    assert!(first["created"].as_str().unwrap().ends_with('Z'));
    let (_, one) = call(&app, "GET", "/api/v1/reviews?limit=1", None, &[]).await;
    assert_eq!(one["reviews"].as_array().unwrap().len(), 1);

    let (status, body) = call(&app, "GET", "/api/v1/reviews/0123456789abcdef0123456789abcdef", None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not-found");
    let (status, body) = call(&app, "POST", "/api/v1/reviews", Some(json!({"template": "Resources: ["})), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["line"].is_number(), "{body}");
}

async fn status_change_and_stale_version_conflict(env: &Env) {
    let app = env.app().await;
    let created = create(&app, TEMPLATE_V1, "status").await;
    let id = created["id"].as_str().unwrap();
    let key = key_of(&created["review"], LONG_TIMEOUT);

    let (status, body) = call(&app, "POST", &status_uri(id, &key), Some(json!({"status": "accepted", "version": 1})), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["status"], "accepted");
    assert_eq!(body["previous"], "open");

    // Someone who still has version 1 loses, and learns the current version.
    let (status, body) = call(&app, "POST", &status_uri(id, &key), Some(json!({"status": "dismissed", "version": 1})), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "version-conflict");
    assert_eq!(body["error"]["version"], 2);

    let review = get_review(&app, id).await;
    assert_eq!(review["version"], 2);
    assert_eq!(by_key(&review, &key)["status"], "accepted");
    assert_eq!(review["counts"]["accepted"], 1);

    let (status, _) = call(&app, "POST", &status_uri(id, "NOPE-001:X:Y"), Some(json!({"status": "fixed", "version": 2})), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, "POST", &status_uri(id, &key), Some(json!({"status": "closed", "version": 2})), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = call(&app, "POST", &status_uri(id, &key), Some(json!({"status": "fixed"})), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a change without a version is refused: {body}");
    assert_eq!(get_review(&app, id).await["version"], 2, "refused changes change nothing");
}

async fn concurrent_writers_on_one_version_one_wins(env: &Env) {
    let app = env.app().await;
    let created = create(&app, TEMPLATE_V1, "race").await;
    let id = created["id"].as_str().unwrap().to_string();
    let keys: Vec<String> = created["review"]["findings"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap().to_string()).collect();
    let writers: Vec<_> = (0..8)
        .map(|n| {
            let (app, id, key) = (app.clone(), id.clone(), keys[n % keys.len()].clone());
            tokio::spawn(async move {
                let text = format!("writer {n}");
                call(&app, "POST", &comments_uri(&id, &key), Some(json!({"text": text, "version": 1})), &[]).await
            })
        })
        .collect();
    let mut won = 0;
    for w in writers {
        let (status, body) = w.await.unwrap();
        match status {
            StatusCode::OK => won += 1,
            StatusCode::CONFLICT => assert_eq!(body["error"]["version"], 2, "{body}"),
            s => panic!("unexpected {s}: {body}"),
        }
    }
    assert_eq!(won, 1, "exactly one writer based on version 1 may win");
    let review = get_review(&app, &id).await;
    assert_eq!(review["version"], 2);
    let comments: usize = review["findings"].as_array().unwrap().iter().map(|f| f["comments"].as_array().unwrap().len()).sum();
    assert_eq!(comments, 1);
}

async fn comments_take_the_author_from_the_trusted_header(env: &Env) {
    let app = env.app_with(Some("x-forwarded-user")).await;
    let created = create(&app, TEMPLATE_V1, "comments").await;
    let id = created["id"].as_str().unwrap();
    let key = key_of(&created["review"], LONG_TIMEOUT);

    let (status, body) = call(
        &app,
        "POST",
        &comments_uri(id, &key),
        Some(json!({"text": "Export runs up to 25 s; a queue would be better.", "version": 1, "author": "mallory"})),
        &[("x-forwarded-user", "alice@example.com")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["comment"]["author"], "alice@example.com", "the proxy's word, not the body's");

    let (status, body) = call(&app, "POST", &comments_uri(id, &key), Some(json!({"text": "Agreed.", "version": 2})), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["comment"]["author"], "anonymous", "no header: nobody to name");
    let (status, _) = call(&app, "POST", &comments_uri(id, &key), Some(json!({"text": "  ", "version": 3})), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let review = get_review(&app, id).await;
    let comments = by_key(&review, &key)["comments"].as_array().unwrap().clone();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0]["author"], "alice@example.com");
    assert_eq!(comments[0]["text"], "Export runs up to 25 s; a queue would be better.");
    assert!(comments[0]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(comments[1]["author"], "anonymous");

    // Without a trusted header, the author field names the author.
    let open_app = env.app().await;
    let (status, body) = call(
        &open_app,
        "POST",
        &comments_uri(id, &key),
        Some(json!({"text": "From the team room.", "version": 3, "author": "bob"})),
        &[("x-forwarded-user", "ignored")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["comment"]["author"], "bob");
}

async fn reanalysis_keeps_the_status_of_findings_that_still_apply(env: &Env) {
    let app = env.app().await;
    let created = create(&app, TEMPLATE_V1, "reanalysis").await;
    let id = created["id"].as_str().unwrap();
    let review = &created["review"];
    let long_timeout = key_of(review, LONG_TIMEOUT);
    // A finding of Export that is not about the timeout: it stays after the fix.
    let kept = finding(review, |f| f["finding"]["resource"] == "Export" && f["finding"]["rule"] != LONG_TIMEOUT);
    let kept_key = kept["key"].as_str().unwrap().to_string();
    let kept_line = kept["finding"]["line"].as_u64().unwrap();

    let (s, _) = call(&app, "POST", &status_uri(id, &kept_key), Some(json!({"status": "accepted", "version": 1})), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&app, "POST", &comments_uri(id, &kept_key), Some(json!({"text": "Known; next sprint.", "version": 2})), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&app, "POST", &comments_uri(id, &long_timeout), Some(json!({"text": "Lowering to 6 s.", "version": 3})), &[]).await;
    assert_eq!(s, StatusCode::OK);

    // A stale reanalysis is refused like any other change.
    let (s, body) = call(&app, "POST", &format!("/api/v1/reviews/{id}/reanalyze"), Some(json!({"template": TEMPLATE_V2, "version": 1})), &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");

    let (s, body) = call(
        &app,
        "POST",
        &format!("/api/v1/reviews/{id}/reanalyze"),
        Some(json!({"template": TEMPLATE_V2, "metrics": [], "version": 4})),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 5);
    assert_eq!(body["revision"], 2);
    let review = &body["review"];
    assert_eq!(review["template"], TEMPLATE_V2);
    assert_eq!(review["revisions"].as_array().unwrap().len(), 2);

    let after = by_key(review, &kept_key);
    assert_eq!(after["status"], "accepted", "still applies: status kept");
    assert_eq!(after["present"], true);
    assert_eq!(after["comments"][0]["text"], "Known; next sprint.");
    assert!(after["finding"]["line"].as_u64().unwrap() > kept_line, "the template moved it down: {after}");
    assert_eq!(after["first_revision"], 1);
    assert_eq!(after["last_revision"], 2);

    let gone = by_key(review, &long_timeout);
    assert_eq!(gone["status"], "fixed", "vanished: fixed");
    assert_eq!(gone["present"], false);
    assert_eq!(gone["comments"][0]["text"], "Lowering to 6 s.", "kept as history");
    assert_eq!(gone["last_revision"], 1);

    let worker = finding(review, |f| f["finding"]["resource"] == "Worker");
    assert_eq!(worker["status"], "open");
    assert_eq!(worker["first_revision"], 2);
    assert!(body["changes"]["new"].as_u64().unwrap() >= 1 && body["changes"]["fixed"] == 1, "{}", body["changes"]);
    assert!(!review["report"]["findings"].as_array().unwrap().iter().any(|f| f["rule"] == LONG_TIMEOUT));

    // Back to the long timeout: the fixed finding is a regression, open again, comments intact.
    let (s, body) = call(&app, "POST", &format!("/api/v1/reviews/{id}/reanalyze"), Some(json!({"template": TEMPLATE_V1})), &[]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let back = by_key(&body["review"], &long_timeout);
    assert_eq!(back["status"], "open");
    assert_eq!(back["present"], true);
    assert_eq!(back["comments"].as_array().unwrap().len(), 1);
    assert_eq!(body["changes"]["reopened"], 1);
    assert_eq!(by_key(&body["review"], &kept_key)["status"], "accepted");
}

async fn live_events_reach_another_viewer_within_a_second(env: &Env) {
    let app = env.app().await;
    let created = create(&app, TEMPLATE_V1, "live").await;
    let id = created["id"].as_str().unwrap();
    let key = key_of(&created["review"], LONG_TIMEOUT);

    let mut alice = Sse::open(&app, id).await;
    let mut bob = Sse::open(&app, id).await;
    assert_eq!(alice.expect("ready").await.data["version"], 1);
    assert_eq!(bob.expect("ready").await.data["version"], 1);

    // Alice changes a status; Bob sees it.
    let started = Instant::now();
    let (s, _) = call(&app, "POST", &status_uri(id, &key), Some(json!({"status": "dismissed", "version": 1, "author": "alice"})), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let event = bob.expect("status").await;
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_eq!(event.id.as_deref(), Some("2"));
    assert_eq!(event.data["version"], 2);
    assert_eq!(event.data["key"], key.as_str());
    assert_eq!(event.data["status"], "dismissed");
    assert_eq!(event.data["author"], "alice");
    assert_eq!(alice.expect("status").await.data["version"], 2);

    let (s, _) = call(&app, "POST", &comments_uri(id, &key), Some(json!({"text": "why?", "version": 2, "author": "bob"})), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let event = alice.expect("comment").await;
    assert_eq!((event.data["version"].clone(), event.data["text"].clone()), (json!(3), json!("why?")));
    let (s, _) = call(&app, "POST", &format!("/api/v1/reviews/{id}/reanalyze"), Some(json!({"template": TEMPLATE_V2})), &[]).await;
    assert_eq!(s, StatusCode::OK);
    let event = bob.expect("comment").await;
    assert_eq!(event.data["version"], 3);
    let event = bob.expect("reanalysis").await;
    assert_eq!(event.data["version"], 4);
    assert_eq!(event.data["revision"], 2);

    // A viewer reconnecting after version 2 gets what it missed, in order.
    let mut late = Sse::open_after(&app, id, 2).await;
    assert_eq!(late.expect("ready").await.data["version"], 4);
    assert_eq!(late.expect("comment").await.data["version"], 3);
    assert_eq!(late.expect("reanalysis").await.data["version"], 4);

    let (s, _) = call(&app, "GET", "/api/v1/reviews/0123456789abcdef0123456789abcdef/events", None, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A change made through instance A reaches a viewer on instance B (its own pool, its own
/// hub): on PostgreSQL through NOTIFY alone, and through polling alone (the fallback); on
/// SQLite through polling.
async fn live_events_reach_viewers_of_another_instance(env: &Env) {
    let poll_only = Following { notify: false, poll: Some(Duration::from_millis(500)) };
    let ways = match env {
        Env::Sqlite(_) => vec![("polling", poll_only)],
        Env::Postgres(_) => vec![("LISTEN/NOTIFY", Following { notify: true, poll: None }), ("polling", poll_only)],
    };
    let instance_a = env.app().await;
    for (how, following) in ways {
        let (instance_b, _) = env.instance(following, None).await;
        let created = create(&instance_a, TEMPLATE_V1, "two instances").await;
        let id = created["id"].as_str().unwrap();
        let key = key_of(&created["review"], LONG_TIMEOUT);

        let mut viewer_on_b = Sse::open(&instance_b, id).await;
        viewer_on_b.expect("ready").await;
        for (version, status) in [(1, "accepted"), (2, "fixed")] {
            let started = Instant::now();
            let (s, body) = call(&instance_a, "POST", &status_uri(id, &key), Some(json!({"status": status, "version": version})), &[]).await;
            assert_eq!(s, StatusCode::OK, "{body}");
            let event = viewer_on_b.expect("status").await;
            eprintln!("{how}: the change reached the other instance's viewer in {:?}", started.elapsed());
            assert!(started.elapsed() < Duration::from_secs(1), "{how}: took {:?}", started.elapsed());
            assert_eq!(event.data["version"], version + 1);
            assert_eq!(event.data["status"], status);
        }
    }
}

async fn survives_a_restart(env: &Env) {
    let (id, key) = {
        let app = env.app().await;
        let created = create(&app, TEMPLATE_V1, "restart").await;
        let id = created["id"].as_str().unwrap().to_string();
        let key = key_of(&created["review"], LONG_TIMEOUT);
        let (s, _) = call(&app, "POST", &status_uri(&id, &key), Some(json!({"status": "accepted", "version": 1})), &[]).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = call(&app, "POST", &comments_uri(&id, &key), Some(json!({"text": "kept", "version": 2})), &[]).await;
        assert_eq!(s, StatusCode::OK);
        (id, key)
    };
    // The first instance is gone; a new one on the same database has it all.
    let app = env.app().await;
    let review = get_review(&app, &id).await;
    assert_eq!(review["version"], 3);
    assert_eq!(by_key(&review, &key)["status"], "accepted");
    assert_eq!(by_key(&review, &key)["comments"][0]["text"], "kept");
    let (_, list) = call(&app, "GET", "/api/v1/reviews", None, &[]).await;
    assert_eq!(list["reviews"][0]["id"], id.as_str());
}

async fn survives_kill_9_of_the_server(env: &Env) {
    let server = Served::start(&env.serve_args());
    let created = server.request("POST", "/api/v1/reviews", Some(json!({"template": TEMPLATE_V1, "name": "kill -9"}))).await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    let id = created.1["id"].as_str().unwrap().to_string();
    let key = key_of(&created.1["review"], LONG_TIMEOUT);
    let (s, body) = server.request("POST", &status_uri(&id, &key), Some(json!({"status": "accepted", "version": 1}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let mut version = 2;
    for n in 0..20 {
        let (s, body) = server.request("POST", &comments_uri(&id, &key), Some(json!({"text": format!("note {n}"), "version": version}))).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        version = body["version"].as_i64().unwrap();
    }
    // Killed the moment the last write was acknowledged: no shutdown, no flush.
    server.kill9();

    let server = Served::start(&env.serve_args());
    let (s, review) = server.request("GET", &format!("/api/v1/reviews/{id}"), None).await;
    assert_eq!(s, StatusCode::OK, "{review}");
    assert_eq!(review["version"], version);
    let f = by_key(&review, &key);
    assert_eq!(f["status"], "accepted");
    let texts: Vec<&str> = f["comments"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap()).collect();
    assert_eq!(texts, (0..20).map(|n| format!("note {n}")).collect::<Vec<_>>());
    server.kill9();
}

async fn ready_checks_the_database(env: &Env) {
    let (app, reviews) = env.instance(Following::default(), None).await;
    let (s, body) = call(&app, "GET", "/api/v1/ready", None, &[]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    match env {
        Env::Postgres(pg) => pg.stop(),
        Env::Sqlite(_) => reviews.close().await,
    }
    let started = Instant::now();
    let (s, body) = call(&app, "GET", "/api/v1/ready", None, &[]).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(started.elapsed() < Duration::from_secs(5), "a probe must answer promptly: {:?}", started.elapsed());
}

/// `/r/{id}` is a route of the web app: the server answers it with `index.html`.
#[tokio::test]
async fn review_links_serve_the_web_app() {
    let assets = TempDir::new("assets");
    std::fs::create_dir_all(&assets.0).unwrap();
    std::fs::write(assets.0.join("index.html"), "<!doctype html><title>Archlens app</title>").unwrap();
    let state = archlens::AppState::new(archlens::load_knowledge().unwrap(), assets.0.clone());
    let app = archlens::app(state);
    let res = app.oneshot(Request::get("/r/0123456789abcdef0123456789abcdef").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("Archlens app"));
}

// ---------------------------------------------------------------------------------------------
// Server-Sent Events, read from the response body

struct Sse {
    body: axum::body::BodyDataStream,
    buf: String,
}

impl Sse {
    async fn open(app: &Router, id: &str) -> Sse {
        Sse::request(app, Request::get(format!("/api/v1/reviews/{id}/events"))).await
    }

    async fn open_after(app: &Router, id: &str, version: i64) -> Sse {
        Sse::request(app, Request::get(format!("/api/v1/reviews/{id}/events")).header("last-event-id", version.to_string())).await
    }

    async fn request(app: &Router, req: axum::http::request::Builder) -> Sse {
        let res = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        Sse { body: res.into_body().into_data_stream(), buf: String::new() }
    }

    /// The next event, which must be of `kind` and come within a second.
    async fn expect(&mut self, kind: &str) -> SseEvent {
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                // None: a keep-alive comment.
                let Some(event) = parse_event(&block) else { continue };
                assert_eq!(event.event, kind, "expected a `{kind}` event, got {}", event.data);
                return event;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.body.next()).await {
                Ok(Some(chunk)) => self.buf.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap()),
                Ok(None) => panic!("the event stream ended while waiting for `{kind}`"),
                Err(_) => panic!("no `{kind}` event within a second"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The real binary

/// `archlens serve` on a free port; killed (SIGKILL) on drop.
struct Served {
    child: Option<Child>,
    base: String,
}

impl Served {
    fn start(args: &[String]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_archlens"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start archlens serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep reading, so the server never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("archlens serve: {line}");
                if let Some(at) = line.find("http://") {
                    let addr: String = line[at + 7..].chars().take_while(|c| *c != '/' && !c.is_whitespace()).collect();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("archlens serve did not say where it listens");
            }
        };
        Served { child: Some(child), base: format!("http://{addr}") }
    }

    async fn request(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http::<Full<Bytes>>();
        let mut req = Request::builder().method(method).uri(format!("{}{path}", self.base));
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let res = client.request(req.body(Full::new(body)).unwrap()).await.expect("request to archlens serve");
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    fn kill9(mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
