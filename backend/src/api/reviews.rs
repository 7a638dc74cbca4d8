//! Saved team reviews (`crate::reviews`):
//!
//! | route | |
//! |---|---|
//! | `POST /reviews` `{"template", "metrics"?, "ignore"?, "name"?}` | analyse and save: `{"id", "url", "version", "review"}` (201) |
//! | `GET /reviews?limit=N` | recent reviews: id, name, times, version, counts by status |
//! | `GET /reviews/{id}` | the review: report, findings with status and comments, version |
//! | `POST /reviews/{id}/findings/{key}/status` `{"status", "version"}` | set a status |
//! | `POST /reviews/{id}/findings/{key}/comments` `{"text", "version"}` | add a comment |
//! | `POST /reviews/{id}/reanalyze` `{"template", "metrics"?, "ignore"?, "version"?}` | new revision |
//! | `GET /reviews/{id}/events` | Server-Sent Events: every change, with the new version |
//!
//! Changes carry the version the client last saw; a stale one gets 409 with the current
//! `version` in the error. Finding keys contain `:` and `.` (and whatever a template's property
//! names contain): clients percent-encode them in the path.

use std::convert::Infallible;

use archlens_shared::analysis::MetricsFile;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::api::analyze::MetricsInput;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::reviews::{self, Inputs, Prepared, Reviews};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reviews", post(create).get(list))
        .route("/reviews/{id}", get(show))
        .route("/reviews/{id}/findings/{key}/status", post(set_status))
        .route("/reviews/{id}/findings/{key}/comments", post(comment))
        .route("/reviews/{id}/reanalyze", post(reanalyze))
        .route("/reviews/{id}/events", get(events))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    template: String,
    #[serde(default)]
    metrics: Vec<MetricsInput>,
    #[serde(default)]
    ignore: Vec<String>,
    /// The review's title.
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReanalyzeBody {
    template: String,
    /// Omitted: the current revision's.
    metrics: Option<Vec<MetricsInput>>,
    /// Omitted: the current revision's.
    ignore: Option<Vec<String>>,
    /// Omitted: applies to whatever the review is at (the merge runs under its lock).
    version: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
    version: i64,
    /// Used only when no trusted user header is configured.
    #[serde(default)]
    author: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    text: String,
    version: i64,
    /// Used only when no trusted user header is configured.
    #[serde(default)]
    author: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
}

fn service(state: &AppState) -> Result<&Reviews, ApiError> {
    state
        .inner
        .reviews
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("saved reviews are not configured on this server".into()))
}

/// Who made a change. Behind a proxy that names the signed-in user (`--trusted-user-header`),
/// that name and nothing the client says: a body `author` would let anyone sign as anyone.
/// Without one, the `author` the client gives, or "anonymous".
fn author(state: &AppState, headers: &HeaderMap, claimed: Option<&str>) -> String {
    if state.inner.config.trusted_user_header.is_some() {
        reviews::author_name(crate::user_from_headers(state, headers).as_deref())
    } else {
        reviews::author_name(claimed)
    }
}

/// As `/analyze` takes them: unnamed snapshots are `metrics-N`, a blank resource is none.
fn metrics_files(inputs: Vec<MetricsInput>) -> Vec<MetricsFile> {
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, m)| MetricsFile {
            name: m.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("metrics-{}", i + 1)),
            content: m.content,
            resource: m.resource.filter(|r| !r.trim().is_empty()),
        })
        .collect()
}

/// Rule codes, each entry possibly a comma-separated list (as on the command line).
fn codes(values: Vec<String>) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// Runs the engine on the analysis pool, within the server's limits.
async fn prepare(state: &AppState, inputs: Inputs) -> Result<Prepared, ApiError> {
    let limit = state.inner.config.limits.max_template_bytes;
    if inputs.template.len() > limit {
        return Err(ApiError::PayloadTooLarge(format!(
            "the template is {} bytes; the limit is {limit} bytes",
            inputs.template.len()
        )));
    }
    state.inner.analyzer.run(move || reviews::prepare(inputs)).await.map_err(ApiError::from)?
}

async fn create(State(state): State<AppState>, ApiJson(body): ApiJson<CreateBody>) -> Result<Response, ApiError> {
    let reviews = service(&state)?;
    let inputs = Inputs { template: body.template, metrics: metrics_files(body.metrics), ignore: codes(body.ignore) };
    let prepared = prepare(&state, inputs).await?;
    let review = reviews.create(body.name, prepared).await?;
    let created = serde_json::json!({
        "id": review["id"],
        "url": review["url"],
        "version": review["version"],
        "review": review,
    });
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    if let Some(location) = review["id"].as_str().and_then(|id| HeaderValue::from_str(&format!("/api/v1/reviews/{id}")).ok()) {
        response.headers_mut().insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

async fn list(State(state): State<AppState>, ApiQuery(query): ApiQuery<ListQuery>) -> Result<Json<Value>, ApiError> {
    Ok(Json(service(&state)?.list(query.limit).await?))
}

async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(service(&state)?.get(&id).await?))
}

async fn set_status(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<Value>, ApiError> {
    let author = author(&state, &headers, body.author.as_deref());
    Ok(Json(service(&state)?.set_status(&id, &key, &body.status, body.version, &author).await?))
}

async fn comment(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<Value>, ApiError> {
    let author = author(&state, &headers, body.author.as_deref());
    Ok(Json(service(&state)?.comment(&id, &key, &body.text, body.version, &author).await?))
}

async fn reanalyze(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReanalyzeBody>,
) -> Result<Json<Value>, ApiError> {
    let reviews = service(&state)?;
    let (metrics, ignore) = match (body.metrics, body.ignore) {
        (Some(m), Some(i)) => (metrics_files(m), codes(i)),
        (m, i) => {
            let (current_m, current_i) = reviews.current_inputs(&id).await?;
            (m.map_or(current_m, metrics_files), i.map_or(current_i, codes))
        }
    };
    let prepared = prepare(&state, Inputs { template: body.template, metrics, ignore }).await?;
    Ok(Json(reviews.reanalyze(&id, body.version, prepared).await?))
}

/// Server-Sent Events: `ready` (with the current version) first, then one event per change
/// (`status`, `comment`, `reanalysis`), its `id` the review version it produced. A browser
/// that reconnects sends `Last-Event-ID` and gets what it missed.
async fn events(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let stream = service(&state)?.events(&id, after).await?.map(|e| {
        let mut event = Event::default().event(e.kind).data(e.data.to_string());
        if let Some(v) = e.version {
            event = event.id(v.to_string());
        }
        Ok::<_, Infallible>(event)
    });
    let mut response = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    // Reverse proxies (nginx) would otherwise hold events back in their buffers.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
