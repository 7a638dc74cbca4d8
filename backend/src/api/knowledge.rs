//! `GET /api/v1/knowledge` (the whole graph: nodes and edges) and `GET /api/v1/knowledge/{id}`
//! (one node with its neighbours). Metric ids contain slashes, hence the wildcard route.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ErrorEnvelope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/knowledge", get(graph))
        .route("/knowledge/{*id}", get(node))
}

/// The whole knowledge graph: `nodes` (each with its `kind`) and forward `edges`.
#[utoipa::path(
    get,
    path = "/api/v1/knowledge",
    tag = "knowledge",
    responses((status = 200, description = "`{\"nodes\": […], \"edges\": […]}`", body = Object)),
)]
pub async fn graph(State(state): State<AppState>) -> Json<Value> {
    Json(serde_json::to_value(state.inner.kb.export()).expect("graph serializes"))
}

/// One node (remedy, symptom or metric) with its neighbours.
#[utoipa::path(
    get,
    path = "/api/v1/knowledge/{id}",
    tag = "knowledge",
    params(("id" = String, Path, description = "Node id; metric ids contain slashes: `AWS/Lambda/Throttles`")),
    responses(
        (status = 200, description = "`node`, `remedies`, `treats`, `indicates`, `indicated_by`, `related`", body = Object),
        (status = 404, description = "No such node", body = ErrorEnvelope),
    ),
)]
pub async fn node(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let kb = state.inner.kb;
    let node = kb
        .node(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no knowledge node `{id}`")))?;
    Ok(Json(json!({
        "node": node,
        "remedies": kb.remedies_for_symptom(&id).iter().map(|(r, rr)| json!({"id": r.id, "title": r.title, "why": rr.why})).collect::<Vec<_>>(),
        "treats": kb.symptoms_for_remedy(&id).iter().map(|(s, rank)| json!({"id": s.id, "title": s.title, "rank": rank})).collect::<Vec<_>>(),
        "indicates": kb.symptoms_for_metric(&id).iter().map(|(s, ind)| json!({"id": s.id, "title": s.title, "condition": ind.condition.to_string()})).collect::<Vec<_>>(),
        "indicated_by": kb.metrics_for_symptom(&id).iter().map(|(m, ind)| json!({"id": m.id, "condition": ind.condition.to_string()})).collect::<Vec<_>>(),
        "related": kb.related_remedies(&id).iter().map(|r| json!({"id": r.id, "title": r.title})).collect::<Vec<_>>(),
    })))
}
