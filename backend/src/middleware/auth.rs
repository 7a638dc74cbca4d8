//! Who may call the API, and who they are.
//!
//! With `--api-token`, every `/api/v1` request but the health and readiness probes needs
//! `Authorization: Bearer <token>`, from loopback too: the token is the only key. Without it
//! the API is open (and `serve` warns when it listens beyond loopback).
//!
//! One route also takes the token in its query string: `GET /api/v1/reviews/{id}/events?access_token=<token>`,
//! because a browser's `EventSource` cannot send headers. It is compared in constant time like
//! the header. Archlens never logs query strings (request spans record the path only), but
//! proxies in front of it may: prefer the header wherever the client can send one.
//!
//! With `--trusted-user-header`, a reverse proxy that authenticates users names them in that
//! header; [`user_from_headers`] reads it. Only trust it when the proxy strips the header from
//! what clients send.

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::middleware::rate_limit::is_probe;

pub async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = state.inner.config.api_token.as_deref() else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    // CORS preflights carry no credentials by design; the CORS layer answers them.
    let open = is_probe(path) || !path.starts_with("/api/v1/") || request.method() == Method::OPTIONS;
    let authorized = bearer(request.headers()).is_some_and(|given| same_secret(given, expected))
        || (request.method() == Method::GET
            && is_event_stream(path)
            && query_token(request.uri()).is_some_and(|given| same_secret(&given, expected)));
    if open || authorized {
        next.run(request).await
    } else {
        ApiError::Unauthorized.into_response()
    }
}

/// `/api/v1/reviews/{id}/events`: the one route whose token may come as `?access_token=`.
fn is_event_stream(path: &str) -> bool {
    path.strip_prefix("/api/v1/reviews/")
        .and_then(|rest| rest.strip_suffix("/events"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// The `access_token` query parameter, percent-decoded; `None` when absent, repeated or
/// unreadable.
fn query_token(uri: &Uri) -> Option<String> {
    #[derive(Deserialize)]
    struct TokenQuery {
        access_token: Option<String>,
    }
    uri.query()?;
    let Query(query) = Query::<TokenQuery>::try_from_uri(uri).ok()?;
    query.access_token
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares in time independent of where the first difference is, so response times do not
/// reveal how much of a guess was right.
fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signed-in user named by the `--trusted-user-header`, if it is configured and present
/// (trimmed, non-empty, at most 256 bytes of visible text).
pub fn user_from_headers(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = state.inner.config.trusted_user_header.as_deref()?;
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty() && value.len() <= 256).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_a_bearer_token_in_any_case_of_the_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer s3cret"));
        assert_eq!(bearer(&headers), Some("s3cret"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic czNjcmV0"));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn only_the_event_stream_route_reads_the_query_token() {
        assert!(is_event_stream("/api/v1/reviews/0123456789abcdef0123456789abcdef/events"));
        for path in ["/api/v1/reviews/events", "/api/v1/reviews//events", "/api/v1/reviews/a/b/events", "/api/v1/rules", "/api/v1/reviews/a/events/x"] {
            assert!(!is_event_stream(path), "{path}");
        }
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(query_token(&uri("/x?access_token=a%2Bb%20c&other=1")).as_deref(), Some("a+b c"));
        assert_eq!(query_token(&uri("/x?other=1")), None);
        assert_eq!(query_token(&uri("/x")), None);
        assert_eq!(query_token(&uri("/x?access_token=a&access_token=b")), None, "repeated: ambiguous");
    }

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
    }
}
