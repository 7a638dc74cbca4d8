//! Prometheus metrics (`prometheus-client`), served at `GET /metrics` in the OpenMetrics text
//! format that Prometheus scrapes:
//!
//! - `http_requests_total{method,route,status}` and
//!   `http_request_duration_seconds{method,route}` (histogram), recorded by [`track`];
//! - `archlens_analyses_total`: analyses that ran to the end (a report or a template error);
//! - `archlens_analysis_errors_total{reason}`: `template`, `timeout`, `busy`, `internal`.
//!
//! `route` is the route pattern (`/api/v1/rules/{code}`), never the raw path, so the number of
//! series stays bounded whatever clients request: unknown `/api` paths all count under
//! `/api/{*rest}`, the web app's files under `static`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    reason: &'static str,
}

/// Why an analysis did not produce a report.
#[derive(Debug, Clone, Copy)]
pub enum AnalysisError {
    Template,
    Timeout,
    Busy,
    Internal,
}

impl AnalysisError {
    fn as_str(self) -> &'static str {
        match self {
            AnalysisError::Template => "template",
            AnalysisError::Timeout => "timeout",
            AnalysisError::Busy => "busy",
            AnalysisError::Internal => "internal",
        }
    }
}

type HistogramFamily = Family<DurationLabels, Histogram, fn() -> Histogram>;

/// The registry and its metrics; cheap to clone (every part is shared).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily,
    analyses: Counter,
    analysis_errors: Family<ErrorLabels, Counter>,
}

/// 1 ms to about 16 s, doubling: covers a health check and an analysis at its time limit.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        // prometheus-client appends `_total` to counters.
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        let durations: HistogramFamily = Family::new_with_constructor(duration_histogram);
        registry.register("http_request_duration_seconds", "Time to answer an HTTP request", durations.clone());
        let analyses = Counter::default();
        registry.register("archlens_analyses", "Analyses that ran to the end", analyses.clone());
        let analysis_errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "archlens_analysis_errors",
            "Analyses that produced no report, by reason",
            analysis_errors.clone(),
        );
        Metrics { registry: Arc::new(registry), requests, durations, analyses, analysis_errors }
    }
}

impl Metrics {
    pub fn analysis_done(&self) {
        self.analyses.inc();
    }

    pub fn analysis_failed(&self, reason: AnalysisError) {
        self.analysis_errors.get_or_create(&ErrorLabels { reason: reason.as_str() }).inc();
    }

    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_string(), route.to_string());
        self.durations
            .get_or_create(&DurationLabels { method: method.clone(), route: route.clone() })
            .observe(seconds);
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

/// Middleware: counts and times every request under its route pattern.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_string(),
        None if request.uri().path().starts_with("/api") => "unmatched".to_string(),
        None => "static".to_string(),
    };
    let response = next.run(request).await;
    state
        .inner
        .metrics
        .record(method.as_str(), &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn expose(State(state): State<AppState>) -> Response {
    let body = state.inner.metrics.encode();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
