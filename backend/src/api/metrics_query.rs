//! `POST /api/v1/metrics-query`: the HTTP twin of `archlens metrics-query TEMPLATE
//! [--stack-name NAME] [--period S] [--hours H]`. A template in; out, what the command writes
//! and prints: the `--metric-data-queries` JSON for every knowledge-graph metric that applies to
//! the template's resources, the `${LogicalId}` placeholders it uses for names the template does
//! not fix, and the script that resolves them from the stack and runs
//! `aws cloudwatch get-metric-data` (it reads the queries from `metric-data-queries.json`, or
//! `$QUERIES`). The response to those queries, passed to `/analyze` as metrics, binds back to
//! the template by query `Id`.
//!
//! Errors as on `/analyze`: a template that cannot be read is 422 `invalid-template` with
//! `file`, `line` and `column`; the template and body size limits apply; a period CloudWatch
//! would refuse, a time range out of bounds or a stack name CloudFormation would refuse is 400.

use archlens_shared::metrics_query::{self, Placeholder};
use archlens_shared::template::Template;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::analyze::{check_template_size, file_name};
use crate::cli::metrics_query::{PERIOD_RULE, is_cloudwatch_period};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::telemetry::metrics::AnalysisError;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics-query", post(metrics_query))
}

/// The command's defaults.
const DEFAULT_PERIOD: i64 = 300;
const DEFAULT_HOURS: i64 = 24;
/// CloudWatch keeps hourly datapoints for 455 days; nothing older can be fetched.
pub const MAX_HOURS: i64 = 455 * 24;
/// CloudFormation's limit on a stack name.
const MAX_STACK_NAME: usize = 128;

/// The JSON body: the command's argument and options.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsQueryRequest {
    /// The CloudFormation or SAM template, YAML or JSON.
    #[schema(example = "Resources:\n  Orders:\n    Type: AWS::Lambda::Function\n    Properties: {FunctionName: orders, Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}}\n")]
    pub template: String,
    /// The template's file name, used in messages (default `template.yaml`).
    #[serde(default)]
    pub name: Option<String>,
    /// The CloudFormation stack the template is deployed as (`--stack-name`): the script looks
    /// up generated resource names in it, and it names SAM APIs without a `Name`.
    #[serde(default)]
    pub stack_name: Option<String>,
    /// Seconds per datapoint (`--period`, default 300): 1, 5, 10, 30 or a multiple of 60, and at
    /// most the time range.
    #[serde(default)]
    #[schema(example = 300)]
    pub period: Option<i64>,
    /// How many hours back the script fetches (`--hours`, default 24), 1 to 10920 (455 days,
    /// CloudWatch's retention).
    #[serde(default)]
    #[schema(example = 24)]
    pub hours: Option<i64>,
}

/// What `archlens metrics-query` writes and prints.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsQueryResponse {
    /// The template's file name.
    pub file: String,
    /// Resources the template declares.
    pub resources: usize,
    /// The `--metric-data-queries` JSON (what the command writes to `metric-data-queries.json`):
    /// one query per metric and statistic of each resource. At most 500 go in one call.
    #[schema(value_type = Vec<MetricDataQuery>)]
    pub queries: Vec<serde_json::Value>,
    /// The `${LogicalId}` placeholders the queries use for names CloudFormation generates.
    #[schema(value_type = Vec<PlaceholderDoc>)]
    pub placeholders: Vec<Placeholder>,
    /// The bash script: resolves the placeholders from the stack into a copy of
    /// `metric-data-queries.json` (or `$QUERIES`), then runs the exact
    /// `aws cloudwatch get-metric-data` command, writing `metrics-response.json`.
    pub script: String,
    /// What the queries cannot cover (REPORT-line metrics), and calls that need splitting.
    pub notes: Vec<String>,
}

/// One GetMetricData query (`MetricDataQuery` in the CloudWatch API).
#[derive(ToSchema)]
#[schema(rename_all = "PascalCase")]
#[allow(dead_code)]
pub struct MetricDataQuery {
    /// Encodes resource, namespace, metric and statistic, so a response binds back by it alone.
    #[schema(example = "al__Orders__Lambda__Throttles__Sum")]
    id: String,
    metric_stat: MetricStat,
    /// Always true.
    return_data: bool,
}

/// `MetricStat` of a query.
#[derive(ToSchema)]
#[schema(rename_all = "PascalCase")]
#[allow(dead_code)]
pub struct MetricStat {
    metric: Metric,
    /// Seconds per datapoint.
    period: u32,
    /// `Sum`, `Average`, `Maximum`, `p99`, …
    stat: String,
}

/// The metric a query reads.
#[derive(ToSchema)]
#[schema(rename_all = "PascalCase")]
#[allow(dead_code)]
pub struct Metric {
    /// e.g. `AWS/Lambda`.
    namespace: String,
    /// e.g. `Throttles`.
    metric_name: String,
    dimensions: Vec<Dimension>,
}

/// A dimension; its value is a name the template fixes, or a `${LogicalId}` placeholder.
#[derive(ToSchema)]
#[schema(rename_all = "PascalCase")]
#[allow(dead_code)]
pub struct Dimension {
    name: String,
    value: String,
}

/// A placeholder the script replaces with the deployed resource's name.
#[derive(ToSchema)]
#[schema(as = Placeholder)]
#[allow(dead_code)]
pub struct PlaceholderDoc {
    /// As written in the queries: `${LogicalId}`.
    placeholder: String,
    /// The resource whose physical id replaces it.
    logical_id: String,
    /// How the dimension value derives from the physical id.
    transform: PlaceholderTransform,
}

/// `as-is`; `last-segment` (queue URLs, ARNs); `alb-full-name` (`app/name/id` from a load
/// balancer ARN).
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum PlaceholderTransform {
    AsIs,
    LastSegment,
    AlbFullName,
}

/// Write the CloudWatch queries for a template's resources, and the command that runs them.
#[utoipa::path(
    post,
    path = "/api/v1/metrics-query",
    tag = "analysis",
    request_body(content = MetricsQueryRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The queries, the placeholders and the script", body = MetricsQueryResponse),
        (status = 400, description = "Malformed JSON, or a `period`, `hours` or `stack_name` CloudWatch or CloudFormation would refuse", body = ErrorEnvelope),
        (status = 413, description = "The template or the whole body is larger than the limits", body = ErrorEnvelope),
        (status = 415, description = "Not JSON", body = ErrorEnvelope),
        (status = 422, description = "The template cannot be read (`code` `invalid-template`, with `file`, `line`, `column`), or a field has the wrong type", body = ErrorEnvelope),
        (status = 503, description = "Every analysis slot stayed busy, or the work ran past the time limit", body = ErrorEnvelope),
    ),
)]
pub async fn metrics_query(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<MetricsQueryRequest>,
) -> Result<Json<MetricsQueryResponse>, ApiError> {
    check_template_size(body.template.len(), &state.inner.config.limits)?;
    let (period, hours) = check_range(body.period, body.hours)?;
    let stack_name = body.stack_name.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some(stack) = &stack_name {
        check_stack_name(stack)?;
    }
    let name = file_name(body.name.as_deref());
    let template = body.template;
    // Parsing is the same CPU work as an analysis, so it takes a slot like one.
    let job = move || {
        let parsed = Template::parse(&template).map_err(|e| ApiError::Template {
            file: name.clone(),
            line: e.line,
            column: e.col,
            message: e.message,
        })?;
        let kb = archlens_shared::knowledge::embedded();
        let plan = metrics_query::generate(&parsed, kb, stack_name.as_deref(), period, hours);
        Ok(MetricsQueryResponse {
            file: name,
            resources: parsed.resources.len(),
            queries: plan.queries,
            placeholders: plan.placeholders,
            script: plan.script,
            notes: plan.notes,
        })
    };
    match state.inner.analyzer.run(job).await? {
        Ok(response) => Ok(Json(response)),
        Err(template_error) => {
            state.inner.metrics.analysis_failed(AnalysisError::Template);
            Err(template_error)
        }
    }
}

/// `(period, hours)` with the command's defaults, or 400.
fn check_range(period: Option<i64>, hours: Option<i64>) -> Result<(u32, u32), ApiError> {
    let period = period.unwrap_or(DEFAULT_PERIOD);
    let hours = hours.unwrap_or(DEFAULT_HOURS);
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(ApiError::BadRequest(format!("`hours` must be between 1 and {MAX_HOURS} (455 days, CloudWatch's retention), not {hours}")));
    }
    if !u64::try_from(period).is_ok_and(is_cloudwatch_period) {
        return Err(ApiError::BadRequest(format!("`period` must be {PERIOD_RULE}, not {period}")));
    }
    if period > hours * 3600 {
        return Err(ApiError::BadRequest(format!(
            "`period` ({period} s) is longer than the time range ({hours} h): no datapoint would be complete"
        )));
    }
    // Both bounded above: at most 10920 and 10920 × 3600.
    Ok((period as u32, hours as u32))
}

/// CloudFormation's rule: a letter, then letters, digits and hyphens, at most 128 characters.
/// (The name also goes into the script, so nothing else may reach a shell.)
fn check_stack_name(name: &str) -> Result<(), ApiError> {
    let valid = name.len() <= MAX_STACK_NAME
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "`stack_name` must start with a letter and hold only letters, digits and hyphens, at most {MAX_STACK_NAME} characters"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_cloudwatch_and_ranges_are_bounded() {
        assert_eq!(check_range(None, None).unwrap(), (300, 24));
        assert_eq!(check_range(Some(1), Some(1)).unwrap(), (1, 1));
        assert_eq!(check_range(Some(3600), Some(MAX_HOURS)).unwrap(), (3600, MAX_HOURS as u32));
        for bad in [0, -60, 7, 90, 3601] {
            assert!(check_range(Some(bad), None).is_err(), "{bad}");
        }
        for bad in [0, -1, MAX_HOURS + 1] {
            assert!(check_range(None, Some(bad)).is_err(), "{bad}");
        }
        assert!(check_range(Some(7200), Some(1)).is_err(), "a period longer than the range");
    }

    #[test]
    fn stack_names_follow_cloudformation() {
        assert!(check_stack_name("shop-prod-2").is_ok());
        for bad in ["2shop", "shop_prod", "shop;rm -rf", "-shop", &"a".repeat(129)] {
            assert!(check_stack_name(bad).is_err(), "{bad}");
        }
    }
}
