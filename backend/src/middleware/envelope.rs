//! The JSON error envelope for what no handler wrote: unknown `/api` paths (404), methods a
//! route does not take (axum's bare 405), body limits and other tower layers. A response that
//! already is JSON passes untouched; headers such as `Allow` are kept.

use axum::extract::Request;
use axum::http::{Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Fallback for `/api` and everything under it that no route matches.
pub async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no API endpoint at `{}` (see /api/v1/openapi.json)", uri.path()))
}

pub async fn ensure_envelope(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let enveloped = ApiError::from_status(status).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in enveloped.headers() {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, enveloped.into_body())
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("application/problem+json"))
}
