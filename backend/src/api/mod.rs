//! `/api/v1`: one module per resource, each with its own router.

mod health;
mod knowledge;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(knowledge::router())
}
