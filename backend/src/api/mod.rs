//! `/api/v1`: one module per resource, each with its own router.

pub mod analyze;
mod health;
mod knowledge;
pub mod metrics_query;
pub mod openapi;
mod reviews;
pub mod rules;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(knowledge::router())
        .merge(analyze::router())
        .merge(metrics_query::router())
        .merge(rules::router())
        .merge(openapi::router())
        .merge(reviews::router())
}
