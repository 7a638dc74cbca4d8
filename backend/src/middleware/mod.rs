//! The tower layers around the routes, in one place so their order can be read top-down.
//!
//! Every response (outermost first): request id (kept from the client when it looks like one,
//! else a new UUID), the
//! tracing span carrying it, the id copied onto the response, panics turned into a 500
//! envelope, the security headers, and the Prometheus request metrics.
//!
//! `/api` only (outermost first): CORS (so browsers can read even the errors), the JSON error
//! envelope for bare error responses, the per-client rate limit, the API token, and the body
//! limit.

pub mod auth;
pub mod envelope;
pub mod rate_limit;

use std::any::Any;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;

use crate::AppState;
use crate::error::ApiError;
use crate::telemetry::{self, REQUEST_ID};

pub fn api_layers(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let config = &state.inner.config;
    let router = router
        .layer(DefaultBodyLimit::max(config.limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_token))
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::limit))
        .layer(axum::middleware::from_fn(envelope::ensure_envelope));
    match cors(&config.cors_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

pub fn common_layers(router: Router, state: &AppState) -> Router {
    let csp = HeaderValue::from_str(&state.inner.config.content_security_policy())
        .expect("origins are validated when parsed, so the policy is a valid header value");
    router
        .layer(axum::middleware::from_fn_with_state(state.clone(), telemetry::metrics::track))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .layer(axum::middleware::from_fn(drop_unusable_request_id))
}

/// A client's request id is kept when it looks like one (at most 128 of `A-Z a-z 0-9 - _ . :`),
/// so that log lines stay short and greppable; anything else is replaced with a new id.
async fn drop_unusable_request_id(mut request: Request, next: Next) -> Response {
    let usable = |id: &[u8]| {
        (1..=128).contains(&id.len()) && id.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
    };
    if request.headers().get(&REQUEST_ID).is_some_and(|id| !usable(id.as_bytes())) {
        request.headers_mut().remove(&REQUEST_ID);
    }
    next.run(request).await
}

/// Browsers on these origins may call the API (with the token in `Authorization`, not cookies).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).expect("origins are validated when parsed"))
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, REQUEST_ID.clone()])
            .expose_headers([REQUEST_ID.clone(), header::RETRY_AFTER, header::LOCATION])
            .max_age(Duration::from_secs(600)),
    )
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    ApiError::Internal(format!("handler panicked: {detail}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_a_500_envelope_without_its_message() {
        let response = panic_response(Box::new("secret detail: db password"));
        assert_eq!(response.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("\"code\":\"internal\""), "{body}");
        assert!(!body.contains("secret"), "{body}");
    }
}
