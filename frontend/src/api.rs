//! The server's review API (`/api/v1/reviews`), the one place the web app talks to the server:
//! analysis itself never leaves the browser; saving and sharing a review does.

use std::collections::BTreeMap;

use archlens_shared::analysis::MetricsFile;
use gloo_net::http::{Request, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Comment {
    pub author: String,
    pub text: String,
    pub time: String,
    pub version: i64,
}

/// A finding as the review stores it: its key, the team's status and comments.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ReviewFinding {
    pub key: String,
    pub status: String,
    /// Whether the latest analysis still reports it.
    pub present: bool,
    #[serde(default)]
    pub comments: Vec<Comment>,
    /// The finding as reported when it was last seen (for findings no longer present).
    #[serde(default)]
    pub finding: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ReviewDoc {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub url: String,
    pub created: String,
    pub updated: String,
    pub version: i64,
    pub revision: i64,
    pub template: String,
    #[serde(default)]
    pub metrics: Vec<MetricsFile>,
    #[serde(default)]
    pub ignore: Vec<String>,
    pub findings: Vec<ReviewFinding>,
    #[serde(default)]
    pub counts: BTreeMap<String, i64>,
}

#[derive(Deserialize)]
struct Created {
    review: ReviewDoc,
}

/// What went wrong with a call, in words for the page; `stale` when someone else changed the
/// review first (HTTP 409), so the caller reloads instead of overwriting their change.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiFailure {
    pub message: String,
    pub stale: bool,
}

impl From<gloo_net::Error> for ApiFailure {
    fn from(e: gloo_net::Error) -> Self {
        ApiFailure { message: format!("the server could not be reached ({e})"), stale: false }
    }
}

async fn checked(response: Response) -> Result<Response, ApiFailure> {
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    // The server's error envelope: {"error": {"code", "message", …}}.
    let message = response
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(String::from))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let message = match status {
        401 => format!("this server needs a sign-in for saved reviews ({message})"),
        503 => format!("saved reviews are not available on this server ({message})"),
        _ => message,
    };
    Err(ApiFailure { message, stale: status == 409 })
}

fn review_url(id: &str) -> String {
    format!("/api/v1/reviews/{id}")
}

/// Finding keys contain `:` and `.`, and whatever a template's property names contain.
fn finding_url(id: &str, key: &str, what: &str) -> String {
    format!("/api/v1/reviews/{id}/findings/{}/{what}", String::from(js_sys::encode_uri_component(key)))
}

pub async fn create_review(name: &str, template: &str, metrics: &[MetricsFile], ignore: &[String]) -> Result<ReviewDoc, ApiFailure> {
    let body = json!({"name": name, "template": template, "metrics": metrics, "ignore": ignore});
    let response = Request::post("/api/v1/reviews").json(&body)?.send().await?;
    Ok(checked(response).await?.json::<Created>().await?.review)
}

pub async fn get_review(id: &str) -> Result<ReviewDoc, ApiFailure> {
    let response = Request::get(&review_url(id)).send().await?;
    Ok(checked(response).await?.json::<ReviewDoc>().await?)
}

/// Sets a finding's status; returns the review's new version.
pub async fn set_status(id: &str, key: &str, status: &str, version: i64, author: &str) -> Result<i64, ApiFailure> {
    let body = json!({"status": status, "version": version, "author": author});
    let response = Request::post(&finding_url(id, key, "status")).json(&body)?.send().await?;
    let value: serde_json::Value = checked(response).await?.json().await?;
    Ok(value["version"].as_i64().unwrap_or(version))
}

/// Adds a comment; returns the review's new version.
pub async fn add_comment(id: &str, key: &str, text: &str, version: i64, author: &str) -> Result<i64, ApiFailure> {
    let body = json!({"text": text, "version": version, "author": author});
    let response = Request::post(&finding_url(id, key, "comments")).json(&body)?.send().await?;
    let value: serde_json::Value = checked(response).await?.json().await?;
    Ok(value["version"].as_i64().unwrap_or(version))
}

/// Records the session's template (and metrics) as the review's next revision.
pub async fn reanalyze(id: &str, template: &str, metrics: &[MetricsFile], ignore: &[String]) -> Result<ReviewDoc, ApiFailure> {
    let body = json!({"template": template, "metrics": metrics, "ignore": ignore});
    let response = Request::post(&format!("{}/reanalyze", review_url(id))).json(&body)?.send().await?;
    let value: serde_json::Value = checked(response).await?.json().await?;
    serde_json::from_value(value["review"].clone()).map_err(|e| ApiFailure { message: format!("unexpected answer from the server: {e}"), stale: false })
}

pub fn events_url(id: &str) -> String {
    format!("{}/events", review_url(id))
}
