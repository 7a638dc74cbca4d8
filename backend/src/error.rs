//! The one error type of the API and its JSON envelope:
//! `{"error": {"status": 404, "code": "not-found", "message": "…"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    NotFound(String),
    BadRequest(String),
    /// Input that parsed as a request but cannot be analysed (template or metrics errors).
    Unprocessable(String),
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not-found", m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad-request", m),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", m),
        };
        let body = Envelope {
            error: Body {
                status: status.as_u16(),
                code,
                message,
            },
        };
        (status, Json(body)).into_response()
    }
}
