//! The one error type of the API and its JSON envelope:
//! `{"error": {"status": 404, "code": "not-found", "message": "…"}}`, plus `file`, `line` and
//! `column` when a template could not be read.
//!
//! Every error the API sends goes through [`ApiError`]: handler errors, extractor rejections
//! ([`crate::extract`]), limits, authentication, and (via `middleware::envelope`) the bare
//! responses of the router and of tower layers. Internal details are logged, never sent.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub enum ApiError {
    NotFound(String),
    BadRequest(String),
    /// Input that parsed as a request but cannot be used (a field with a wrong type, …).
    Unprocessable(String),
    /// A template that is not a usable CloudFormation/SAM template: where, and what is wrong.
    Template { file: String, line: u32, column: u32, message: String },
    /// `Authorization: Bearer …` missing or wrong.
    Unauthorized,
    MethodNotAllowed,
    PayloadTooLarge(String),
    UnsupportedMediaType(String),
    /// Too many requests from one client; retry after this long.
    RateLimited { retry_after: Duration },
    /// Every analysis slot stayed busy (or the service is not ready); retry shortly.
    Unavailable(String),
    /// The analysis did not finish within the time limit.
    AnalysisTimeout(String),
    /// Anything the client cannot fix. The detail goes to the log, not to the client.
    Internal(String),
    /// A write based on a stale version of a saved review; `version` is the current one, to
    /// reload and retry from.
    Conflict { message: String, version: i64 },
}

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The HTTP status, repeated for clients that only keep the body.
    pub status: u16,
    /// Stable, kebab-case: `bad-request`, `unauthorized`, `not-found`, `method-not-allowed`,
    /// `payload-too-large`, `unsupported-media-type`, `unprocessable`, `invalid-template`,
    /// `rate-limited`, `unavailable`, `analysis-timeout`, `internal`, `version-conflict`.
    #[schema(example = "invalid-template")]
    pub code: &'static str,
    /// One sentence for a person.
    pub message: String,
    /// The file a template error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line of a template error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column of a template error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The current version of the review a `version-conflict` is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) | ApiError::Template { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::AnalysisTimeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::Template { .. } => "invalid-template",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::AnalysisTimeout(_) => "analysis-timeout",
            ApiError::Internal(_) => "internal",
            ApiError::Conflict { .. } => "version-conflict",
        }
    }

    /// The envelope for a status that has no more specific error (used for the bare responses
    /// of the router and of tower layers).
    pub fn from_status(status: StatusCode) -> ApiError {
        let reason = status.canonical_reason().unwrap_or("error").to_string();
        match status {
            StatusCode::BAD_REQUEST => ApiError::BadRequest(reason),
            StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
            StatusCode::NOT_FOUND => ApiError::NotFound(reason),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge("the request body is too large".into()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(reason),
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Unprocessable(reason),
            StatusCode::TOO_MANY_REQUESTS => ApiError::RateLimited { retry_after: Duration::from_secs(1) },
            StatusCode::SERVICE_UNAVAILABLE => ApiError::Unavailable(reason),
            s if s.is_client_error() => ApiError::BadRequest(reason),
            _ => ApiError::Internal(format!("status {status} without a body")),
        }
    }

    fn envelope(self) -> ErrorEnvelope {
        let status = self.status().as_u16();
        let code = self.code();
        let version = match &self {
            ApiError::Conflict { version, .. } => Some(*version),
            _ => None,
        };
        let (message, file, line, column) = match self {
            ApiError::Template { file, line, column, message } => (message, Some(file), Some(line), Some(column)),
            ApiError::Unauthorized => ("this API needs `Authorization: Bearer <token>`".to_string(), None, None, None),
            ApiError::MethodNotAllowed => ("this method is not allowed on this path".to_string(), None, None, None),
            ApiError::RateLimited { retry_after } => (
                format!("too many requests; retry in {} s", retry_after_secs(retry_after)),
                None,
                None,
                None,
            ),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ("internal error; the server log has the details (quote the x-request-id header)".to_string(), None, None, None)
            }
            ApiError::NotFound(m)
            | ApiError::BadRequest(m)
            | ApiError::Unprocessable(m)
            | ApiError::PayloadTooLarge(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::Unavailable(m)
            | ApiError::AnalysisTimeout(m)
            | ApiError::Conflict { message: m, .. } => (m, None, None, None),
        };
        ErrorEnvelope { error: ErrorBody { status, code, message, file, line, column, version } }
    }
}

/// Whole seconds, rounded up, at least 1: what `Retry-After` carries.
fn retry_after_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            ApiError::RateLimited { retry_after } => Some(retry_after_secs(*retry_after)),
            ApiError::Unavailable(_) | ApiError::AnalysisTimeout(_) => Some(1),
            _ => None,
        };
        let unauthorized = matches!(self, ApiError::Unauthorized);
        let mut response = (status, Json(self.envelope())).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code(), self.status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
