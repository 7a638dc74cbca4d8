//! `GET /api/v1/rules` (every rule, in code order) and `GET /api/v1/rules/{code}` (one rule, by
//! code or name): what `archlens rules` and `archlens explain` show.
//!
//! The rule set is compiled in, so the list is built and serialized once, on first use.

use std::sync::LazyLock;

use archlens_shared::rules;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorEnvelope};

pub fn router() -> Router<AppState> {
    Router::new().route("/rules", get(list)).route("/rules/{code}", get(one))
}

/// A rule as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDoc {
    /// Stable code with a service prefix; never reused.
    #[schema(example = "LAMBDA-001")]
    pub code: &'static str,
    /// The problem, in kebab-case.
    #[schema(example = "function-memory-at-default")]
    pub name: &'static str,
    #[schema(example = "medium")]
    pub severity: &'static str,
    #[schema(example = "performance")]
    pub pillar: &'static str,
    /// Knowledge-graph symptoms the finding points to (may be empty).
    pub symptoms: &'static [&'static str],
    /// Knowledge-graph remedies, most relevant first.
    pub remedies: &'static [&'static str],
    /// First sentence of *What it does*.
    pub summary: &'static str,
    /// Markdown: *What it does*, *Why is this bad?*, *Example*, *Use instead*, *References*.
    pub docs: String,
}

static RULES: LazyLock<Vec<RuleDoc>> = LazyLock::new(|| {
    rules::all()
        .into_iter()
        .map(|rule| {
            let meta = rule.meta();
            RuleDoc {
                code: meta.code,
                name: meta.name,
                severity: meta.severity.as_str(),
                pillar: meta.pillar.as_str(),
                symptoms: meta.symptoms,
                remedies: meta.remedies,
                summary: meta.summary(),
                // `///` lines keep the space after the slashes; `archlens explain` drops it too.
                docs: meta.docs.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n"),
            }
        })
        .collect()
});

static RULES_JSON: LazyLock<Bytes> =
    LazyLock::new(|| Bytes::from(serde_json::to_vec(&*RULES).expect("rules serialize")));

/// Every rule, in code order.
#[utoipa::path(
    get,
    path = "/api/v1/rules",
    tag = "rules",
    responses((status = 200, description = "All rules", body = [RuleDoc])),
)]
pub async fn list() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], RULES_JSON.clone()).into_response()
}

/// One rule, by code (any case) or name.
#[utoipa::path(
    get,
    path = "/api/v1/rules/{code}",
    tag = "rules",
    params(("code" = String, Path, description = "Rule code (`LAMBDA-001`) or name (`function-memory-at-default`)")),
    responses(
        (status = 200, description = "The rule", body = RuleDoc),
        (status = 404, description = "No such rule", body = ErrorEnvelope),
    ),
)]
pub async fn one(Path(code): Path<String>) -> Result<Json<&'static RuleDoc>, ApiError> {
    RULES
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(&code) || r.name == code)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no rule `{code}` (see /api/v1/rules)")))
}
