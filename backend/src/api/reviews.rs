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
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::analyze::MetricsInput;
use crate::error::{ApiError, ErrorEnvelope};
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

/// What to analyse and save.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// The CloudFormation or SAM template, YAML or JSON.
    template: String,
    /// Metrics snapshots, as for `/analyze`.
    #[serde(default)]
    metrics: Vec<MetricsInput>,
    /// Rule codes or names not to report (each may also be a comma-separated list).
    #[serde(default)]
    ignore: Vec<String>,
    /// The review's title.
    #[serde(default)]
    name: Option<String>,
}

/// A new version of the template, analysed as the review's next revision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReanalyzeBody {
    /// The new version of the template.
    template: String,
    /// Omitted: the current revision's.
    metrics: Option<Vec<MetricsInput>>,
    /// Omitted: the current revision's.
    ignore: Option<Vec<String>>,
    /// Omitted: applies to whatever the review is at (the merge runs under its lock).
    version: Option<i64>,
}

/// A finding's new status.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `open`, `accepted`, `dismissed` or `fixed`.
    #[schema(example = "accepted")]
    status: String,
    /// The review version the change is based on (409 if it is not the current one).
    version: i64,
    /// Used only when no trusted user header is configured.
    #[serde(default)]
    author: Option<String>,
}

/// A comment on a finding.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// At most 10,000 characters.
    text: String,
    /// The review version the comment is based on (409 if it is not the current one).
    version: i64,
    /// Used only when no trusted user header is configured.
    #[serde(default)]
    author: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many reviews, newest first: 1 to 200 (default 50).
    limit: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// What the routes answer (documentation only: the handlers build this JSON in
// `crate::reviews`; `tests/reviews.rs` checks real answers against these schemas).

/// A finding's status in the team's review.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ReviewStatus {
    Open,
    Accepted,
    Dismissed,
    Fixed,
}

/// Findings of a review per status.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StatusCounts {
    open: u64,
    accepted: u64,
    dismissed: u64,
    fixed: u64,
}

/// A comment on a finding.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewComment {
    /// Who wrote it (the trusted user header's value, the request's `author`, or `anonymous`).
    author: String,
    text: String,
    /// RFC 3339.
    time: String,
    /// The review version the comment produced.
    version: i64,
}

/// A finding as the team tracks it, across revisions.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewFinding {
    /// `RULE:Resource:Path.To.Property` (`~2`, `~3`… for repeats): survives edits of the
    /// template; percent-encode it in paths.
    #[schema(example = "LAMBDA-015:Export:Resources.Export.Properties.Timeout")]
    key: String,
    status: ReviewStatus,
    /// Whether the current revision still reports it.
    present: bool,
    first_revision: i64,
    last_revision: i64,
    /// The finding as the latest revision that reported it had it.
    #[schema(schema_with = finding_schema)]
    finding: (),
    /// Oldest first.
    comments: Vec<ReviewComment>,
}

fn finding_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::Ref::from_schema_name("Finding").into()
}

/// One revision: an analysis of one version of the template.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewRevision {
    number: i64,
    /// RFC 3339.
    created: String,
}

/// A saved review.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Review {
    /// 32 hex digits.
    id: String,
    name: Option<String>,
    /// The web app's page of the review: `/r/{id}`.
    url: String,
    /// RFC 3339.
    created: String,
    /// RFC 3339.
    updated: String,
    /// Bumped by every change; send it back with the next change.
    version: i64,
    /// The current revision's number.
    revision: i64,
    revisions: Vec<ReviewRevision>,
    /// The current revision's template.
    template: String,
    /// The current revision's metrics snapshots.
    #[schema(value_type = Vec<Object>)]
    metrics: (),
    /// The current revision's ignored rules.
    ignore: Vec<String>,
    /// The current revision's report.
    #[schema(value_type = super::openapi::ReviewReportSchema)]
    report: (),
    /// Every finding ever reported, in the current report's order, vanished ones after.
    findings: Vec<ReviewFinding>,
    counts: StatusCounts,
}

/// The review just saved.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewCreated {
    id: String,
    url: String,
    version: i64,
    review: Review,
}

/// A review in the list.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewSummary {
    id: String,
    name: Option<String>,
    url: String,
    /// RFC 3339.
    created: String,
    /// RFC 3339.
    updated: String,
    version: i64,
    revision: i64,
    counts: StatusCounts,
}

/// Recent reviews, newest first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewList {
    reviews: Vec<ReviewSummary>,
}

/// A status change made.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StatusChanged {
    id: String,
    /// The review's new version.
    version: i64,
    key: String,
    status: ReviewStatus,
    /// The status it had.
    previous: ReviewStatus,
}

/// A comment added.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CommentAdded {
    id: String,
    /// The review's new version.
    version: i64,
    key: String,
    comment: ReviewComment,
}

/// What a reanalysis did to the findings.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReanalysisChanges {
    /// Reported for the first time.
    new: u64,
    /// Still reported: status and comments kept.
    kept: u64,
    /// Had vanished and are reported again: open once more.
    reopened: u64,
    /// No longer reported: marked fixed, kept as history.
    fixed: u64,
}

/// The new revision.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Reanalysis {
    id: String,
    version: i64,
    revision: i64,
    changes: ReanalysisChanges,
    review: Review,
}

/// The `data` of a review event (JSON): `kind` and `version` always; the rest by kind.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReviewEvent {
    /// `ready` (first, the current version), `created`, `status`, `comment` or `reanalysis`.
    kind: String,
    /// The review version the change produced (also the event's `id`, except for `ready`).
    version: i64,
    /// RFC 3339 (not on `ready`).
    time: Option<String>,
    /// The finding (`status`, `comment`).
    key: Option<String>,
    /// Who made the change (`status`, `comment`).
    author: Option<String>,
    /// `status`: the new status.
    status: Option<ReviewStatus>,
    /// `status`: the status before.
    previous: Option<ReviewStatus>,
    /// `comment`: its text.
    text: Option<String>,
    /// `reanalysis`: the new revision.
    revision: Option<i64>,
    /// `reanalysis`: what happened to the findings.
    changes: Option<ReanalysisChanges>,
    /// `created`: findings of the first revision.
    findings: Option<u64>,
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

/// Analyse a template and save it as a team review.
#[utoipa::path(
    post,
    path = "/api/v1/reviews",
    tag = "reviews",
    request_body(content = CreateBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Saved; `Location` is the review's API path", body = ReviewCreated,
            headers(("location" = String, description = "`/api/v1/reviews/{id}`"))),
        (status = 400, description = "Malformed JSON", body = ErrorEnvelope),
        (status = 413, description = "The template or the whole body is larger than the limits", body = ErrorEnvelope),
        (status = 415, description = "Not JSON", body = ErrorEnvelope),
        (status = 422, description = "The template cannot be read (`invalid-template`, with `file`, `line`, `column`), a field has the wrong type, or the name is too long", body = ErrorEnvelope),
        (status = 503, description = "Saved reviews are not configured, the database does not answer, or every analysis slot stayed busy", body = ErrorEnvelope),
    ),
)]
pub async fn create(State(state): State<AppState>, ApiJson(body): ApiJson<CreateBody>) -> Result<Response, ApiError> {
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

/// Recent reviews, newest first, with their findings counted by status.
#[utoipa::path(
    get,
    path = "/api/v1/reviews",
    tag = "reviews",
    params(ListQuery),
    responses(
        (status = 200, description = "The reviews", body = ReviewList),
        (status = 400, description = "`limit` out of range", body = ErrorEnvelope),
        (status = 503, description = "Saved reviews are not configured, the database does not answer, or every analysis slot stayed busy", body = ErrorEnvelope),
    ),
)]
pub async fn list(State(state): State<AppState>, ApiQuery(query): ApiQuery<ListQuery>) -> Result<Json<Value>, ApiError> {
    Ok(Json(service(&state)?.list(query.limit).await?))
}

/// One review: the current report, every finding with its status and comments, the version.
#[utoipa::path(
    get,
    path = "/api/v1/reviews/{id}",
    tag = "reviews",
    params(("id" = String, Path, description = "The review id (32 hex digits)")),
    responses(
        (status = 200, description = "The review", body = Review),
        (status = 404, description = "No such review", body = ErrorEnvelope),
        (status = 503, description = "Saved reviews are not configured, the database does not answer, or every analysis slot stayed busy", body = ErrorEnvelope),
    ),
)]
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(service(&state)?.get(&id).await?))
}

/// Set a finding's status (`open`, `accepted`, `dismissed`, `fixed`).
#[utoipa::path(
    post,
    path = "/api/v1/reviews/{id}/findings/{key}/status",
    tag = "reviews",
    params(("id" = String, Path, description = "The review id (32 hex digits)"), ("key" = String, Path, description = "The finding key (`RULE:Resource:Path`), percent-encoded")),
    request_body(content = StatusBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = StatusChanged),
        (status = 400, description = "Malformed JSON", body = ErrorEnvelope),
        (status = 404, description = "No such review or finding", body = ErrorEnvelope),
        (status = 409, description = "The review changed meanwhile (`version-conflict`, with the current `version`)", body = ErrorEnvelope),
        (status = 422, description = "An unknown status, or a field has the wrong type", body = ErrorEnvelope),
        (status = 503, description = "Saved reviews are not configured, the database does not answer, or every analysis slot stayed busy", body = ErrorEnvelope),
    ),
)]
pub async fn set_status(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<Value>, ApiError> {
    let author = author(&state, &headers, body.author.as_deref());
    Ok(Json(service(&state)?.set_status(&id, &key, &body.status, body.version, &author).await?))
}

/// Comment on a finding.
#[utoipa::path(
    post,
    path = "/api/v1/reviews/{id}/findings/{key}/comments",
    tag = "reviews",
    params(("id" = String, Path, description = "The review id (32 hex digits)"), ("key" = String, Path, description = "The finding key (`RULE:Resource:Path`), percent-encoded")),
    request_body(content = CommentBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Added", body = CommentAdded),
        (status = 400, description = "Malformed JSON", body = ErrorEnvelope),
        (status = 404, description = "No such review or finding", body = ErrorEnvelope),
        (status = 409, description = "The review changed meanwhile (`version-conflict`, with the current `version`)", body = ErrorEnvelope),
        (status = 422, description = "An empty or too long comment, or a field has the wrong type", body = ErrorEnvelope),
        (status = 503, description = "Saved reviews are not configured, the database does not answer, or every analysis slot stayed busy", body = ErrorEnvelope),
    ),
)]
pub async fn comment(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<Value>, ApiError> {
    let author = author(&state, &headers, body.author.as_deref());
    Ok(Json(service(&state)?.comment(&id, &key, &body.text, body.version, &author).await?))
}

/// Analyse a new version of the template as the review's next revision.
///
/// Findings that still apply keep their status and comments, new ones open, vanished ones
/// become `fixed`.
#[utoipa::path(
    post,
    path = "/api/v1/reviews/{id}/reanalyze",
    tag = "reviews",
    params(("id" = String, Path, description = "The review id (32 hex digits)")),
    request_body(content = ReanalyzeBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The new revision and the review", body = Reanalysis),
        (status = 400, description = "Malformed JSON", body = ErrorEnvelope),
        (status = 404, description = "No such review", body = ErrorEnvelope),
        (status = 409, description = "`version` was given and is not the current one", body = ErrorEnvelope),
        (status = 413, description = "The template or the whole body is larger than the limits", body = ErrorEnvelope),
        (status = 422, description = "The template cannot be read (`invalid-template`), or a field has the wrong type", body = ErrorEnvelope),
        (status = 503, description = "Saved reviews are not configured, the database does not answer, or every analysis slot stayed busy", body = ErrorEnvelope),
    ),
)]
pub async fn reanalyze(
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

#[utoipa::path(
    get,
    path = "/api/v1/reviews/{id}/events",
    tag = "reviews",
    security((), ("api_token" = []), ("access_token" = [])),
    params(
        ("id" = String, Path, description = "The review id (32 hex digits)"),
        ("last-event-id" = Option<i64>, Header, description = "The last version received: the events after it are sent first (browsers send it when they reconnect)"),
    ),
    responses(
        (status = 200, description = "Server-Sent Events, open until the client leaves: `ready` first, then `created`, `status`, `comment`, `reanalysis` as they happen. Each `data` is a `ReviewEvent` (JSON); each `id` the version the change produced. Comments keep the connection alive.",
            content_type = "text/event-stream", body = String),
        (status = 404, description = "No such review", body = ErrorEnvelope),
        (status = 503, description = "Saved reviews are not configured, the database does not answer, or every analysis slot stayed busy", body = ErrorEnvelope),
    ),
)]
/// Follow a review's changes live (Server-Sent Events).
///
/// `ready` (with the current version) first, then one event per change (`status`, `comment`,
/// `reanalysis`), its `id` the review version it produced. A browser that reconnects sends
/// `Last-Event-ID` and gets what it missed. With `--api-token`, the token may also come as
/// `?access_token=`, since a browser's `EventSource` cannot send `Authorization`.
pub async fn events(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
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
