//! What the service tells its operators: logs (tracing, as text or JSON lines, each request in a
//! span carrying its `x-request-id`) and Prometheus metrics ([`metrics`], served at `/metrics`).

pub mod metrics;

use axum::extract::Request;
use axum::http::HeaderName;
use clap::ValueEnum;
use tracing::Span;

pub use metrics::Metrics;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, with the request span (and its request id) on every event.
    Json,
}

/// Installs the global subscriber; `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        // Colours only for a person at a terminal, not in files or collectors.
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())).init(),
        LogFormat::Json => builder.json().with_current_span(false).with_span_list(true).init(),
    }
}

/// The span every request runs in. The request id was set (or kept from the client) by the
/// request-id layer outside this one, so each log line of the request can be found by it. Only
/// the path is recorded: query strings may hold things that do not belong in logs.
pub fn request_span(request: &Request) -> Span {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}
