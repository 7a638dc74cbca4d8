//! Probes: `GET /api/v1/health` (liveness: the process answers) and `GET /api/v1/ready`
//! (readiness: it can serve, see [`AppState::ready`]). Neither needs the API token nor counts
//! toward the rate limit.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ErrorEnvelope};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health)).route("/ready", get(ready))
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "service",
    security(()),
    responses((status = 200, description = "`{\"status\": \"ok\", \"version\": …}`", body = Object,
        example = json!({"status": "ok", "version": "0.1.0"}))),
)]
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

/// Readiness: every dependency the service needs answers.
#[utoipa::path(
    get,
    path = "/api/v1/ready",
    tag = "service",
    security(()),
    responses(
        (status = 200, description = "`{\"status\": \"ready\"}`", body = Object, example = json!({"status": "ready"})),
        (status = 503, description = "A dependency does not answer", body = ErrorEnvelope),
    ),
)]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.ready().await.map_err(|reason| {
        // The reason may name hosts or drivers: it goes to the log only.
        tracing::warn!(%reason, "not ready");
        ApiError::Unavailable("not ready: a dependency does not answer".into())
    })?;
    Ok(Json(json!({"status": "ready"})))
}
