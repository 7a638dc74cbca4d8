//! What every response carries (security headers, request id), CORS, the API token, the
//! trusted user header, and the static files' caching, in-process and over a socket.

mod support;

use archlens::config::ServerConfig;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use serde_json::json;
use support::*;

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'self'";

fn assert_security_headers(answer: &Answer, what: &str) {
    assert_eq!(answer.header("content-security-policy"), CSP, "{what}");
    assert_eq!(answer.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(answer.header("referrer-policy"), "strict-origin-when-cross-origin", "{what}");
    assert!(!answer.header("x-request-id").is_empty(), "{what}");
}

#[tokio::test]
async fn every_response_has_the_security_headers_and_a_request_id() {
    let state = state();
    let cases = [
        ("health", get("/api/v1/health")),
        ("an analysis", post_json("/api/v1/analyze", &json!({"template": SMALL_TEMPLATE}))),
        ("an API 404", get("/api/v1/nope")),
        ("a 405", Request::delete("/api/v1/rules").body(Body::empty()).unwrap()),
        ("a 415", Request::post("/api/v1/analyze").body(Body::from("x")).unwrap()),
        ("the web app", get("/")),
        ("an app route", get("/r/some-review")),
        ("metrics", get("/metrics")),
    ];
    for (what, request) in cases {
        assert_security_headers(&oneshot(&state, request).await, what);
    }
    let addr = spawn(state).await;
    assert_security_headers(&over_socket(addr, get("/api/v1/health")).await, "over a socket");
    assert_security_headers(&over_socket(addr, get("/api/v1/nope")).await, "an API 404 over a socket");
}

#[tokio::test]
async fn embed_origins_set_frame_ancestors() {
    let config = ServerConfig { embed_origins: vec!["https://docs.example.com".into(), "https://*.example.org".into()], ..Default::default() };
    let answer = oneshot(&state_with(config), get("/")).await;
    assert!(
        answer.header("content-security-policy").ends_with("frame-ancestors https://docs.example.com https://*.example.org"),
        "{}",
        answer.header("content-security-policy")
    );
}

#[tokio::test]
async fn a_request_id_from_the_client_is_kept_and_one_is_made_otherwise() {
    let state = state();
    let mut request = get("/api/v1/health");
    request.headers_mut().insert("x-request-id", HeaderValue::from_static("trace-me-42"));
    assert_eq!(oneshot(&state, request).await.header("x-request-id"), "trace-me-42");
    for unusable in ["has spaces in it", &"x".repeat(129)] {
        let mut request = get("/api/v1/health");
        request.headers_mut().insert("x-request-id", HeaderValue::from_str(unusable).unwrap());
        let answer = oneshot(&state, request).await;
        assert_eq!(answer.header("x-request-id").len(), 36, "replaced by a UUID: {unusable}");
    }
    let a = oneshot(&state, get("/api/v1/health")).await;
    let b = oneshot(&state, get("/api/v1/health")).await;
    assert_eq!(a.header("x-request-id").len(), 36, "a UUID: {}", a.header("x-request-id"));
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
}

#[tokio::test]
async fn no_cors_by_default() {
    let mut request = get("/api/v1/rules");
    request.headers_mut().insert("origin", HeaderValue::from_static("https://app.example.com"));
    let answer = oneshot(&state(), request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.headers.contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn cors_allows_the_configured_origins_on_the_api_only() {
    let state = state_with(ServerConfig { cors_origins: vec!["https://app.example.com".into()], ..Default::default() });
    let with_origin = |mut request: Request<Body>, origin: &'static str| {
        request.headers_mut().insert("origin", HeaderValue::from_static(origin));
        request
    };
    let preflight = Request::options("/api/v1/analyze")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,authorization")
        .body(Body::empty())
        .unwrap();
    let answer = oneshot(&state, preflight).await;
    assert!(answer.status.is_success(), "{:?}", answer.status);
    assert_eq!(answer.header("access-control-allow-origin"), "https://app.example.com");
    assert!(answer.header("access-control-allow-methods").contains("POST"));
    assert!(answer.header("access-control-allow-headers").to_ascii_lowercase().contains("authorization"));

    let allowed = oneshot(&state, with_origin(get("/api/v1/rules"), "https://app.example.com")).await;
    assert_eq!(allowed.header("access-control-allow-origin"), "https://app.example.com");
    assert!(allowed.header("access-control-expose-headers").contains("x-request-id"));
    let error = oneshot(&state, with_origin(get("/api/v1/rules/NOPE-999"), "https://app.example.com")).await;
    assert_eq!(error.header("access-control-allow-origin"), "https://app.example.com", "browsers can read errors too");

    let other = oneshot(&state, with_origin(get("/api/v1/rules"), "https://evil.example.net")).await;
    assert!(!other.headers.contains_key("access-control-allow-origin"));
    let page = oneshot(&state, with_origin(get("/"), "https://app.example.com")).await;
    assert!(!page.headers.contains_key("access-control-allow-origin"), "CORS is for /api only");
}

fn bearer(mut request: Request<Body>, token: &'static str) -> Request<Body> {
    request.headers_mut().insert("authorization", HeaderValue::from_static(token));
    request
}

#[tokio::test]
async fn with_a_token_the_api_needs_it_but_the_probes_do_not() {
    let state = state_with(ServerConfig { api_token: Some("s3cret-token".into()), ..Default::default() });
    let v = oneshot(&state, get("/api/v1/rules")).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(!v.to_string().contains("s3cret"), "{v}");
    let wrong = oneshot(&state, bearer(get("/api/v1/rules"), "Bearer s3cret-tokem")).await;
    wrong.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(wrong.header("www-authenticate"), "Bearer");
    oneshot(&state, bearer(get("/api/v1/rules"), "Basic czNjcmV0LXRva2Vu")).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let analyze = post_json("/api/v1/analyze", &json!({"template": SMALL_TEMPLATE}));
    oneshot(&state, analyze).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    assert_eq!(oneshot(&state, bearer(get("/api/v1/rules"), "Bearer s3cret-token")).await.status, StatusCode::OK);
    assert_eq!(oneshot(&state, get("/api/v1/health")).await.status, StatusCode::OK);
    assert_eq!(oneshot(&state, get("/api/v1/ready")).await.status, StatusCode::OK);
    assert_ne!(oneshot(&state, get("/")).await.status, StatusCode::UNAUTHORIZED, "the web app itself is public");
}

#[tokio::test]
async fn the_token_applies_to_loopback_clients_too() {
    let state = state_with(ServerConfig { api_token: Some("s3cret-token".into()), ..Default::default() });
    let addr = spawn(state).await;
    over_socket(addr, get("/api/v1/openapi.json")).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let ok = over_socket(addr, bearer(get("/api/v1/openapi.json"), "Bearer s3cret-token")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(over_socket(addr, get("/api/v1/health")).await.status, StatusCode::OK);
}

/// A browser's `EventSource` cannot send `Authorization`: the review event stream (and only it)
/// also takes the token as `?access_token=`, compared like the header.
#[tokio::test]
async fn the_event_stream_also_takes_the_token_in_its_query_string() {
    let dir = TempDir::new("sse-token");
    let config = ServerConfig { api_token: Some("s3cret+token/1".into()), ..Default::default() };
    let state = state_with_reviews(config, &dir).await;
    let created = oneshot(&state, bearer(post_json("/api/v1/reviews", &json!({"template": SMALL_TEMPLATE})), "Bearer s3cret+token/1")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    let events = format!("/api/v1/reviews/{id}/events");

    // No token, a wrong one, an empty one, one of another length: 401 envelopes.
    for query in ["", "?access_token=s3cret%2Btoken%2F2", "?access_token=", "?access_token=s3cret", "?token=s3cret%2Btoken%2F1"] {
        let v = oneshot(&state, get(&format!("{events}{query}"))).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(!v.to_string().contains("s3cret"), "{v}");
    }
    // The right one, percent-encoded as `URLSearchParams` writes it: the stream opens.
    let stream = first_events(&state, get(&format!("{events}?access_token=s3cret%2Btoken%2F1")), 1).await;
    assert_eq!(stream[0].event, "ready");
    assert_eq!(stream[0].data["version"], 1);
    // The header still works there.
    let stream = first_events(&state, bearer(get(&events), "Bearer s3cret+token/1"), 1).await;
    assert_eq!(stream[0].event, "ready");

    // Every other route ignores the query parameter.
    for uri in [format!("/api/v1/reviews/{id}?access_token=s3cret%2Btoken%2F1"), "/api/v1/rules?access_token=s3cret%2Btoken%2F1".to_string()] {
        oneshot(&state, get(&uri)).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let post = post_json(&format!("/api/v1/reviews/{id}/reanalyze?access_token=s3cret%2Btoken%2F1"), &json!({"template": SMALL_TEMPLATE}));
    oneshot(&state, post).await.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn without_a_token_the_api_is_open() {
    let addr = spawn(state()).await;
    assert_eq!(over_socket(addr, get("/api/v1/rules")).await.status, StatusCode::OK);
}

#[test]
fn the_trusted_user_header_names_the_user_only_when_configured() {
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-user", HeaderValue::from_static("  ada@example.com "));
    assert_eq!(archlens::user_from_headers(&state(), &headers), None, "not configured: not trusted");
    let state = state_with(ServerConfig { trusted_user_header: Some("x-forwarded-user".into()), ..Default::default() });
    assert_eq!(archlens::user_from_headers(&state, &headers).as_deref(), Some("ada@example.com"));
    headers.insert("x-forwarded-user", HeaderValue::from_static(""));
    assert_eq!(archlens::user_from_headers(&state, &headers), None);
    assert_eq!(archlens::user_from_headers(&state, &HeaderMap::new()), None);
}

#[tokio::test]
async fn static_files_keep_their_caching_and_precompression() {
    let dir = std::env::temp_dir().join(format!("archlens-assets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(dir.join("app-0123456789ab.js"), "console.log(1)").unwrap();
    std::fs::write(dir.join("app-0123456789ab.js.br"), b"\x0b\x06\x80console.log(1)\x03").unwrap();
    let state = archlens::AppState::with_config(archlens::load_knowledge().unwrap(), dir.clone(), ServerConfig::default());
    let addr = spawn(state.clone()).await;

    let hashed = over_socket(addr, get("/app-0123456789ab.js")).await;
    assert_eq!(hashed.status, StatusCode::OK);
    assert_eq!(hashed.header("cache-control"), "public, max-age=31536000, immutable");
    let mut request = get("/app-0123456789ab.js");
    request.headers_mut().insert("accept-encoding", HeaderValue::from_static("br"));
    let compressed = over_socket(addr, request).await;
    assert_eq!(compressed.header("content-encoding"), "br");

    for path in ["/", "/r/some-review"] {
        let page = over_socket(addr, get(path)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.header("cache-control"), "no-cache", "{path}");
        assert!(page.text().contains("<title>t</title>"), "{path}");
        assert_security_headers(&page, path);
    }
    let _ = std::fs::remove_dir_all(dir);
}
