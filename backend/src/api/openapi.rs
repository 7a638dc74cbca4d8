//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` attributes and the request types' `ToSchema` derives.
//!
//! The report comes from `archlens-shared`, which also compiles to wasm and stays free of
//! `utoipa`; its schema is written here with `utoipa`'s builders, and a test checks real
//! reports against it so the two cannot drift apart silently.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Ref, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(document))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Archlens API",
        description = "AWS architecture advisor: analyse CloudFormation/SAM templates and CloudWatch \
                       metrics, write the CloudWatch queries for a template, keep team reviews, \
                       list the rules, explore the knowledge graph. Every error is \
                       `{\"error\": {\"status\", \"code\", \"message\"}}`.",
    ),
    paths(
        super::health::health,
        super::health::ready,
        super::analyze::analyze,
        super::metrics_query::metrics_query,
        super::reviews::create,
        super::reviews::list,
        super::reviews::show,
        super::reviews::set_status,
        super::reviews::comment,
        super::reviews::reanalyze,
        super::reviews::events,
        super::rules::list,
        super::rules::one,
        super::knowledge::graph,
        super::knowledge::node,
        document,
    ),
    components(schemas(crate::error::ErrorEnvelope, ReportSchema, super::reviews::ReviewEvent)),
    modifiers(&BearerToken, &CommonResponses),
    security((), ("api_token" = [])),
    tags(
        (name = "analysis", description = "Analyse a template and metrics snapshots; write the CloudWatch queries that fetch them"),
        (name = "reviews", description = "Saved team reviews: status and comments per finding, revisions, live events"),
        (name = "rules", description = "The rules the analysis runs"),
        (name = "knowledge", description = "The knowledge graph: symptoms, remedies, metrics"),
        (name = "service", description = "Probes and this document"),
    ),
)]
pub struct ApiDoc;

/// The document, serialized once.
static DOCUMENT: LazyLock<Bytes> =
    LazyLock::new(|| Bytes::from(ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serializes")));

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
)]
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.clone())
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "access_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "access_token",
                "The API token in the query string, for clients that cannot send headers (a browser's \
                 `EventSource`). Only `GET /api/v1/reviews/{id}/events` takes it.",
            ))),
        );
    }
}

/// The answers every `/api/v1` operation but the probes can give, whatever it does: 401 when
/// the server has `--api-token` and the request does not carry it, 429 past the per-client
/// rate limit (both enforced by middleware in front of every route, so documented here once).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut Document) {
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorEnvelope"))).build())
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if crate::middleware::rate_limit::is_probe(path) {
                continue;
            }
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                responses.entry("401".into()).or_insert_with(|| error("The server has `--api-token` and the request does not carry it"));
                responses.entry("429".into()).or_insert_with(|| error("Too many requests from this client; see `Retry-After`"));
            }
        }
    }
}

/// The report of `archlens analyze --format json` for one file (`spec/inputs-and-report.md`).
pub struct ReportSchema;

impl ToSchema for ReportSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Report")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.extend([
            ("Resource".to_string(), resource()),
            ("Edge".to_string(), edge()),
            ("Finding".to_string(), finding()),
            ("MetricsReport".to_string(), metrics_report()),
        ]);
    }
}

impl PartialSchema for ReportSchema {
    fn schema() -> RefOr<Schema> {
        report(
            "One analysed template: its resources and edges, the findings, what the metrics showed.",
            Some(("file", string("The file name given (`name`, or the uploaded file's name)."), true)),
        )
    }
}

/// A saved review's report: a [`ReportSchema`] without `file` (a review has its `name`).
pub struct ReviewReportSchema;

impl ToSchema for ReviewReportSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ReviewReport")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        ReportSchema::schemas(schemas);
    }
}

impl PartialSchema for ReviewReportSchema {
    fn schema() -> RefOr<Schema> {
        report("The report of a review's revision: a `Report` without `file`.", None)
    }
}

fn report(description: &str, file: Option<Property<'static>>) -> RefOr<Schema> {
    let version = ("schema_version", integer("Version of this format; 1."), true);
    object(
        description,
        &std::iter::once(version).chain(file).chain([
            (
                "template",
                object(
                    "What the template is.",
                    &[
                        ("is_sam", boolean("Uses the SAM transform."), true),
                        ("transforms", array(string("A transform."), "Transforms declared."), true),
                        ("resource_count", integer("Resources declared."), true),
                        ("description", string("The template's `Description`."), false),
                    ],
                ),
                true,
            ),
            ("resources", array(reference("Resource"), "Resources, including implicit SAM ones."), true),
            ("edges", array(reference("Edge"), "How resources use one another."), true),
            ("findings", array(reference("Finding"), "Most severe first, then by line."), true),
            ("metrics", reference("MetricsReport"), true),
            (
                "costs",
                map(
                    object(
                        "What a function's REPORT lines say it costs, and what other memory sizes would.",
                        &[
                            ("observed", any("Invocations, durations and memory seen."), true),
                            ("architecture", string("`x86_64` or `arm64`."), true),
                            ("monthly", any("Monthly cost at the observed rate."), false),
                            ("whatif", any("Cost and duration at other memory sizes."), false),
                            ("prices_as_of", string("Date of the prices used."), true),
                            ("region", string("Region of the prices used."), true),
                        ],
                    ),
                    "Per function with Lambda REPORT lines (absent without any).",
                ),
                false,
            ),
            (
                "summary",
                object(
                    "Findings per severity and per pillar.",
                    &[
                        ("high", integer("Findings of high severity."), true),
                        ("medium", integer("Findings of medium severity."), true),
                        ("low", integer("Findings of low severity."), true),
                        ("info", integer("Informational findings."), true),
                        ("by_pillar", map(integer("Findings."), "Findings per pillar."), true),
                    ],
                ),
                true,
            ),
        ])
        .collect::<Vec<_>>(),
    )
}

fn resource() -> RefOr<Schema> {
    object(
        "A template resource (or one SAM creates implicitly).",
        &[
            ("id", string("Logical ID."), true),
            ("type", string("Resource type, e.g. `AWS::Serverless::Function`."), true),
            ("line", integer("1-based line of its definition."), true),
            ("column", integer("1-based column of its definition."), true),
            ("service", string("Service family: `lambda`, `apigateway`, `dynamodb`, …"), true),
            (
                "tier",
                enumeration(&["entry", "compute", "messaging", "data", "network", "other"], "Where it sits in the request flow."),
                true,
            ),
            ("implicit", boolean("Created by SAM, not written in the template."), false),
        ],
    )
}

fn edge() -> RefOr<Schema> {
    object(
        "A directed dependency between two resources.",
        &[
            ("from", string("Logical ID."), true),
            ("to", string("Logical ID."), true),
            (
                "kind",
                enumeration(
                    &["invokes", "triggers", "reads", "writes", "publishes", "routes", "contains", "references"],
                    "What the dependency means.",
                ),
                true,
            ),
            ("via", string("What it was inferred from, e.g. `Events.GetOrders (Api)`."), true),
            ("line", integer("1-based line it was inferred from."), true),
        ],
    )
}

fn finding() -> RefOr<Schema> {
    object(
        "One problem found, with the knowledge graph's symptoms and remedies.",
        &[
            ("rule", string("Stable rule code, e.g. `LAMBDA-001`."), true),
            ("name", string("The rule's kebab-case name."), true),
            ("severity", enumeration(&["high", "medium", "low", "info"], "How much it matters."), true),
            (
                "pillar",
                enumeration(&["performance", "cost", "reliability", "operations", "security"], "Well-Architected pillar."),
                true,
            ),
            ("resource", nullable_string("Logical ID, or null for the template as a whole."), true),
            ("symptoms", array(string("Knowledge-graph symptom id."), "Symptoms it points to."), true),
            ("remedies", array(string("Knowledge-graph remedy id."), "Remedies, most relevant first."), true),
            ("message", string("One sentence about this resource."), true),
            ("evidence", array(string("A property value or metric statistic."), "What was seen."), true),
            ("line", integer("1-based line in the template."), true),
            ("column", integer("1-based column in the template."), true),
            ("path", array(string("Key or index."), "Logical path, e.g. `[\"Resources\", \"Fn\", \"Properties\", \"Timeout\"]`."), true),
            (
                "fix",
                object(
                    "A suggested template change.",
                    &[("description", string("What to do."), true), ("yaml", string("YAML to paste at the line."), true)],
                ),
                false,
            ),
            ("chain", array(any("A metric -> condition -> symptom link."), "Evidence chain (metrics findings)."), false),
            ("sparks", array(any("A series: metric, statistic, [time, value] points."), "Series behind the evidence."), false),
            ("remedy_notes", array(any("[remedy id, note]"), "Why a remedy fits this resource."), false),
            ("impact", any("Estimated effect of the first remedy on cost and latency."), false),
        ],
    )
}

fn metrics_report() -> RefOr<Schema> {
    object(
        "What the metrics snapshots contributed. A file that cannot be read is listed in `errors`; \
         it never fails the request.",
        &[
            ("bound", integer("Series bound to a template resource."), true),
            ("unbound", array(string("A series."), "Series that matched no resource."), true),
            ("files", array(any("Per file: name, format, series, invocations, bound_to, warnings."), "The files read."), true),
            ("errors", array(any("file, line (or null), message"), "Files that could not be read."), true),
            ("overlay", map(array(string("Symptom id."), "Symptoms."), "Resource -> symptoms the numbers showed."), true),
        ],
    )
}

type Property<'a> = (&'a str, RefOr<Schema>, bool);

fn object(description: &str, properties: &[Property<'_>]) -> RefOr<Schema> {
    let mut builder = ObjectBuilder::new().schema_type(Type::Object).description(Some(description));
    for (name, schema, required) in properties {
        builder = builder.property(*name, schema.clone());
        if *required {
            builder = builder.required(*name);
        }
    }
    builder.into()
}

fn typed(kind: Type, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(kind).description(Some(description)).into()
}

fn string(description: &str) -> RefOr<Schema> {
    typed(Type::String, description)
}

fn integer(description: &str) -> RefOr<Schema> {
    typed(Type::Integer, description)
}

fn boolean(description: &str) -> RefOr<Schema> {
    typed(Type::Boolean, description)
}

fn nullable_string(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![Type::String, Type::Null]))
        .description(Some(description))
        .into()
}

fn any(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(SchemaType::AnyValue).description(Some(description)).into()
}

fn enumeration(values: &[&str], description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .into()
}

fn array(items: RefOr<Schema>, description: &str) -> RefOr<Schema> {
    ArrayBuilder::new().items(items).description(Some(description)).into()
}

fn map(values: RefOr<Schema>, description: &str) -> RefOr<Schema> {
    let values = match values {
        RefOr::T(schema) => schema,
        RefOr::Ref(_) => unreachable!("map values are inline schemas"),
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(values))
        .description(Some(description))
        .into()
}

fn reference(name: &str) -> RefOr<Schema> {
    Ref::from_schema_name(name).into()
}
