//! `POST /api/v1/analyze`: a template and metrics snapshots in, the report out, as JSON (the
//! object `archlens analyze --format json` prints for one file, the same value written compactly)
//! or, with `?format=`, SARIF, Markdown or text: the same renderers as the command line, so the
//! same bytes.
//!
//! JSON is serialized straight from the report, without the command line's pretty printing and
//! its intermediate `serde_json::Value` tree: that rendering was over a quarter of the server's
//! time per request under load (see `examples/load.rs`).
//!
//! The body is JSON ([`AnalyzeRequest`]) or `multipart/form-data` (see [`AnalyzeForm`]). A
//! template that cannot be read is 422 with `file`, `line` and `column`; a metrics file that
//! cannot be read is reported inside the report and never fails the request. The analysis
//! runs through [`crate::analyzer::Analyzer`]: bounded concurrency, off the async threads,
//! within the time limit.

use archlens_shared::analysis::{self, MetricsFile, Options, Report};
use archlens_shared::report::{self, FileResult, Format};
use axum::Router;
use axum::extract::multipart::Field;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::config::Limits;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ApiJson, ApiQuery};
use crate::telemetry::metrics::AnalysisError;

pub fn router() -> Router<AppState> {
    Router::new().route("/analyze", post(analyze))
}

/// The JSON body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    /// The CloudFormation or SAM template, YAML or JSON.
    #[schema(example = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}\n")]
    pub template: String,
    /// Metrics snapshots (any format of `spec/inputs-and-report.md` §2, detected from the content).
    #[serde(default)]
    pub metrics: Vec<MetricsInput>,
    /// Rule codes or names not to report (each may also be a comma-separated list).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The template's file name, used in the report and in messages (default `template.yaml`).
    #[serde(default)]
    pub name: Option<String>,
}

/// One metrics snapshot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsInput {
    /// File name, for messages (default `metrics-N`).
    #[serde(default)]
    pub name: Option<String>,
    /// The file's text.
    pub content: String,
    /// Logical ID or deployed name of the resource the whole file is about; null to bind each
    /// series by its dimensions.
    #[serde(default)]
    pub resource: Option<String>,
}

/// The `multipart/form-data` body (documentation only: the parts are read one by one).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AnalyzeForm {
    /// The template file (its file name becomes the report's `file` unless `name` is given).
    #[schema(value_type = String, content_media_type = "application/octet-stream")]
    template: Vec<u8>,
    #[schema(schema_with = files, required = false)]
    metrics: Vec<Vec<u8>>,
    /// Resource for each `metrics` part, in the same order (empty: bind by dimensions).
    #[schema(required = false)]
    metrics_resource: Vec<String>,
    /// Rule codes or names not to report (repeatable, or comma-separated).
    #[schema(required = false)]
    ignore: Vec<String>,
    /// The template's file name.
    name: Option<String>,
}

/// Any number of file parts.
fn files() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String).content_media_type("application/octet-stream"))
        .description(Some(
            "Metrics files, any number. A part named `metrics:<Resource>` binds its file to that resource.",
        ))
        .build()
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// `application/json`: the report object.
    #[default]
    Json,
    /// `application/sarif+json`: SARIF 2.1.0 for code-scanning tools.
    Sarif,
    /// `text/markdown`: for pull request comments.
    #[serde(alias = "md")]
    Markdown,
    /// `text/plain`: for terminals, with a code frame around each finding.
    Text,
}

impl ReportFormat {
    fn render_as(self) -> Format {
        match self {
            ReportFormat::Json => Format::Json,
            ReportFormat::Sarif => Format::Sarif,
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Text => Format::Text,
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            ReportFormat::Json => "application/json",
            ReportFormat::Sarif => "application/sarif+json",
            ReportFormat::Markdown => "text/markdown; charset=utf-8",
            ReportFormat::Text => "text/plain; charset=utf-8",
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyzeParams {
    /// The rendering to return (default `json`).
    format: Option<ReportFormat>,
}

/// Analyse a template and metrics snapshots.
#[utoipa::path(
    post,
    path = "/api/v1/analyze",
    tag = "analysis",
    params(AnalyzeParams),
    request_body(
        description = "The template, metrics snapshots and options, as JSON or as a form upload.",
        content(
            (AnalyzeRequest = "application/json"),
            (AnalyzeForm = "multipart/form-data"),
        ),
    ),
    responses(
        (status = 200, description = "The report in the requested format", content(
            (super::openapi::ReportSchema = "application/json"),
            (Object = "application/sarif+json"),
            (String = "text/markdown"),
            (String = "text/plain"),
        )),
        (status = 400, description = "Malformed JSON or form, or an unknown `format`", body = ErrorEnvelope),
        (status = 413, description = "The template or the whole body is larger than the limits", body = ErrorEnvelope),
        (status = 415, description = "Neither JSON nor multipart/form-data", body = ErrorEnvelope),
        (status = 422, description = "The template cannot be read (`code` `invalid-template`, with `file`, `line`, `column`), or a field has the wrong type", body = ErrorEnvelope),
        (status = 503, description = "Every analysis slot stayed busy, or the analysis ran past the time limit", body = ErrorEnvelope),
    ),
)]
pub async fn analyze(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AnalyzeParams>,
    input: AnalyzeInput,
) -> Result<Response, ApiError> {
    let format = params.format.unwrap_or_default();
    let AnalyzeInput { name, template, options } = input;
    // Analysis and rendering both run in the slot: rendering a large report (code frames,
    // SARIF snippets) is CPU work too. The inputs are moved in, never copied.
    let job = move || match analysis::analyze(&template, &options) {
        Ok(report) if matches!(format, ReportFormat::Json) => Ok(compact_json(&name, &report)),
        Ok(report) => {
            let file = FileResult { path: &name, source: &template, outcome: Ok(report) };
            Ok(report::render(format.render_as(), std::slice::from_ref(&file)).into_bytes())
        }
        Err(e) => Err(ApiError::Template { file: name, line: e.line, column: e.col, message: e.message }),
    };
    match state.inner.analyzer.run(job).await? {
        Ok(body) => Ok(([(header::CONTENT_TYPE, format.content_type())], body).into_response()),
        Err(template_error) => {
            state.inner.metrics.analysis_failed(AnalysisError::Template);
            Err(template_error)
        }
    }
}

/// The report as `archlens analyze --format json` prints it for one file (the report's fields
/// and its `file`), as one compact line.
pub fn compact_json(name: &str, report: &Report) -> Vec<u8> {
    #[derive(Serialize)]
    struct Named<'a> {
        file: &'a str,
        #[serde(flatten)]
        report: &'a Report,
    }
    // About 1 KiB per finding (message, evidence, fix) and a line per resource and edge: sized
    // once rather than grown by doubling through a dozen copies.
    let estimate = 1024 + 1024 * report.findings.len() + 160 * (report.resources.len() + report.edges.len());
    let mut out = Vec::with_capacity(estimate);
    serde_json::to_writer(&mut out, &Named { file: name, report }).expect("the report serializes");
    out
}

/// What to analyse, read from either body format and checked against the limits.
pub struct AnalyzeInput {
    name: String,
    template: String,
    options: Options,
}

const DEFAULT_NAME: &str = "template.yaml";
/// Form fields that are not files (names, codes) are short.
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

impl FromRequest<AppState> for AnalyzeInput {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let limits = &state.inner.config.limits;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if let Some(length) = declared.filter(|&l| l > limits.max_body_bytes) {
            return Err(body_too_large(length, limits));
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let multipart = Multipart::from_request(request, state).await?;
            from_form(multipart, limits).await
        } else if content_type.starts_with("application/json") || content_type.contains("+json") {
            let ApiJson(body) = ApiJson::<AnalyzeRequest>::from_request(request, state).await?;
            from_json(body, limits)
        } else {
            Err(ApiError::UnsupportedMediaType(
                "send `application/json` or `multipart/form-data`".into(),
            ))
        }
    }
}

fn from_json(body: AnalyzeRequest, limits: &Limits) -> Result<AnalyzeInput, ApiError> {
    let name = file_name(body.name.as_deref());
    check_template_size(body.template.len(), limits)?;
    let metrics = body
        .metrics
        .into_iter()
        .enumerate()
        .map(|(i, m)| MetricsFile {
            name: m.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("metrics-{}", i + 1)),
            content: m.content,
            resource: m.resource.filter(|r| !r.trim().is_empty()),
        })
        .collect();
    Ok(AnalyzeInput { name, template: body.template, options: Options { ignore: codes(body.ignore), metrics } })
}

async fn from_form(mut multipart: Multipart, limits: &Limits) -> Result<AnalyzeInput, ApiError> {
    let mut template: Option<(Vec<u8>, Option<String>)> = None;
    let mut name = None;
    let mut metrics: Vec<MetricsFile> = Vec::new();
    // Indices into `metrics` of the plain `metrics` parts, which `metrics_resource` fields
    // bind in order.
    let mut unbound_parts: Vec<usize> = Vec::new();
    let mut resources: Vec<String> = Vec::new();
    let mut ignore = Vec::new();
    while let Some(mut field) = multipart.next_field().await? {
        let field_name = field.name().unwrap_or_default().to_string();
        match field_name.as_str() {
            "template" => {
                if template.is_some() {
                    return Err(ApiError::BadRequest("more than one `template` part".into()));
                }
                let file = field.file_name().map(str::to_string);
                let bytes = read_field(&mut field, limits.max_template_bytes)
                    .await?
                    .map_err(|_| template_too_large(limits))?;
                template = Some((bytes, file));
            }
            "metrics_resource" => resources.push(read_text(&mut field, &field_name).await?),
            "ignore" => ignore.push(read_text(&mut field, &field_name).await?),
            "name" => name = Some(read_text(&mut field, &field_name).await?),
            part if part == "metrics" || part.starts_with("metrics:") => {
                let resource = part.strip_prefix("metrics:").map(str::trim).filter(|r| !r.is_empty()).map(String::from);
                let file = field.file_name().map(str::to_string);
                // The body limit (enforced while reading) bounds these parts.
                let bytes = read_field(&mut field, usize::MAX).await?.unwrap_or_default();
                if resource.is_none() {
                    unbound_parts.push(metrics.len());
                }
                let number = metrics.len() + 1;
                metrics.push(MetricsFile {
                    name: file.unwrap_or_else(|| format!("metrics-{number}")),
                    // A file that is not UTF-8 is not a metrics format; the engine reports it
                    // as unreadable in the report rather than failing the request.
                    content: String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                    resource,
                });
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown form field `{other}`; expected `template`, `metrics`, `metrics:<Resource>`, \
                     `metrics_resource`, `ignore` or `name`"
                )));
            }
        }
    }
    if resources.len() > unbound_parts.len() {
        return Err(ApiError::BadRequest(format!(
            "{} `metrics_resource` fields for {} `metrics` parts: give one per part, in order",
            resources.len(),
            unbound_parts.len()
        )));
    }
    for (index, resource) in unbound_parts.into_iter().zip(resources) {
        metrics[index].resource = Some(resource.trim().to_string()).filter(|r| !r.is_empty());
    }
    let Some((bytes, uploaded_name)) = template else {
        return Err(ApiError::BadRequest("the form has no `template` part".into()));
    };
    let name = file_name(name.as_deref().or(uploaded_name.as_deref()));
    let template = String::from_utf8(bytes).map_err(|e| ApiError::Template {
        file: name.clone(),
        line: 1,
        column: 1,
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })?;
    Ok(AnalyzeInput { name, template, options: Options { ignore: codes(ignore), metrics } })
}

/// Reads a part up to `limit` bytes; `Ok(Err(()))` when it is longer.
async fn read_field(field: &mut Field<'_>, limit: usize) -> Result<Result<Vec<u8>, ()>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            return Ok(Err(()));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Ok(bytes))
}

async fn read_text(field: &mut Field<'_>, name: &str) -> Result<String, ApiError> {
    let bytes = read_field(field, MAX_TEXT_FIELD_BYTES)
        .await?
        .map_err(|_| ApiError::PayloadTooLarge(format!("the `{name}` field is longer than {MAX_TEXT_FIELD_BYTES} bytes")))?;
    String::from_utf8(bytes).map_err(|_| ApiError::BadRequest(format!("the `{name}` field is not UTF-8 text")))
}

pub(crate) fn check_template_size(bytes: usize, limits: &Limits) -> Result<(), ApiError> {
    if bytes > limits.max_template_bytes { Err(template_too_large(limits)) } else { Ok(()) }
}

fn template_too_large(limits: &Limits) -> ApiError {
    ApiError::PayloadTooLarge(format!("the template is larger than the limit of {} bytes", limits.max_template_bytes))
}

fn body_too_large(length: usize, limits: &Limits) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the request body ({length} bytes) is larger than the limit of {} bytes",
        limits.max_body_bytes
    ))
}

/// Codes as the command line takes them: repeated, or comma-separated.
fn codes(values: Vec<String>) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// The name shown in the report: the last path component, printable, at most 200 characters.
pub(crate) fn file_name(given: Option<&str>) -> String {
    let base = given.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim();
    if clean.is_empty() { DEFAULT_NAME.to_string() } else { clean.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_folders_and_control_characters() {
        assert_eq!(file_name(Some("stacks/orders.yaml")), "orders.yaml");
        assert_eq!(file_name(Some("C:\\t\\api.json")), "api.json");
        assert_eq!(file_name(Some("bad\nname.yaml")), "badname.yaml");
        assert_eq!(file_name(Some("  ")), DEFAULT_NAME);
        assert_eq!(file_name(None), DEFAULT_NAME);
    }

    #[test]
    fn ignore_codes_may_be_repeated_or_comma_separated() {
        assert_eq!(codes(vec!["LAMBDA-001, LAMBDA-002".into(), "".into(), "SQS-001".into()]), ["LAMBDA-001", "LAMBDA-002", "SQS-001"]);
    }
}
