//! Who may call the API, and who they are.
//!
//! With `--api-token`, every `/api/v1` request but the health and readiness probes needs
//! `Authorization: Bearer <token>`, from loopback too: the token is the only key. Without it
//! the API is open (and `serve` warns when it listens beyond loopback).
//!
//! With `--trusted-user-header`, a reverse proxy that authenticates users names them in that
//! header; [`user_from_headers`] reads it. Only trust it when the proxy strips the header from
//! what clients send.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
    if open || bearer(request.headers()).is_some_and(|given| same_secret(given, expected)) {
        next.run(request).await
    } else {
        ApiError::Unauthorized.into_response()
    }
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
    fn secrets_match_only_when_equal() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
    }
}
