//! SARIF 2.1.0 (the format GitHub code scanning and most CI dashboards read), built with the
//! `serde-sarif` types: rule metadata with help from the rule docs, one result per finding with
//! its region, logical location (the CloudFormation path) and the suggested fix as text.

use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool,
    ToolComponent,
};

use super::FileResult;
use crate::rules::{self, Severity};

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

fn properties(pairs: &[(&str, serde_json::Value)]) -> PropertyBag {
    PropertyBag::builder()
        .additional_properties(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<std::collections::BTreeMap<_, _>>())
        .build()
}

fn mms(text: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(text).build()
}

pub fn sarif(files: &[FileResult<'_>]) -> String {
    let all = rules::all();
    let descriptors: Vec<ReportingDescriptor> = all
        .iter()
        .map(|r| {
            let m = r.meta();
            ReportingDescriptor::builder()
                .id(m.code)
                .name(m.name)
                .short_description(mms(m.summary()))
                .full_description(mms(m.summary()))
                .help(MultiformatMessageString::builder().text(m.docs).markdown(m.docs).build())
                .default_configuration(
                    ReportingConfiguration::builder().level(serde_json::to_value(level(m.severity)).unwrap()).build(),
                )
                .properties(properties(&[
                    ("tags", serde_json::json!([m.pillar.as_str()])),
                    ("remedies", serde_json::json!(m.remedies)),
                    ("symptoms", serde_json::json!(m.symptoms)),
                ]))
                .build()
        })
        .collect();
    let index_of = |code: &str| all.iter().position(|r| r.meta().code == code);

    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for file in files {
        let uri = file.path.replace('\\', "/");
        match &file.outcome {
            Ok(report) => {
                for f in &report.findings {
                    let mut message = f.message.clone();
                    if let Some(fix) = &f.fix {
                        message.push_str(&format!("\nFix: {}\n{}", fix.description, fix.yaml));
                    }
                    let region = Region::builder().start_line(f.line as i64).start_column(f.column as i64).build();
                    let physical = PhysicalLocation::builder()
                        .artifact_location(ArtifactLocation::builder().uri(uri.clone()).build())
                        .region(region)
                        .build();
                    let location = if f.path.is_empty() {
                        Location::builder().physical_location(physical).build()
                    } else {
                        let mut logical = LogicalLocation::builder().fully_qualified_name(f.path.join("/")).kind("resource").build();
                        logical.name = f.resource.clone();
                        Location::builder().physical_location(physical).logical_locations(vec![logical]).build()
                    };
                    let mut result = SarifResult::builder()
                        .message(text(message))
                        .rule_id(f.rule.clone())
                        .level(level(f.severity))
                        .locations(vec![location])
                        .properties(properties(&[
                            ("severity", serde_json::json!(f.severity)),
                            ("pillar", serde_json::json!(f.pillar)),
                            ("remedies", serde_json::json!(f.remedies)),
                            ("symptoms", serde_json::json!(f.symptoms)),
                            ("evidence", serde_json::json!(f.evidence)),
                        ]))
                        .build();
                    result.rule_index = index_of(&f.rule).map(|i| i as i64);
                    results.push(result);
                }
            }
            Err(e) => notifications.push(serde_json::json!({
                "level": "error",
                "message": {"text": format!("{}: {}", file.path, e)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": e.line.max(1), "startColumn": e.col.max(1)}}}],
            })),
        }
    }

    let driver = ToolComponent::builder()
        .name("archlens")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://docs.aws.amazon.com/wellarchitected/latest/serverless-applications-lens/welcome.html")
        .rules(descriptors)
        .build();
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .build();
    // Costs and what-if per function ride along as run properties (SARIF has no slot for them).
    let costs: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .filter_map(|f| f.outcome.as_ref().ok().map(|r| (f.path, r)))
        .filter(|(_, r)| !r.costs.is_empty())
        .map(|(p, r)| (p.to_string(), serde_json::to_value(&r.costs).expect("costs serialize")))
        .collect();
    if !costs.is_empty() {
        run.properties = Some(properties(&[("archlens/costs", serde_json::Value::Object(costs))]));
    }
    if !notifications.is_empty() {
        run.invocations = Some(vec![
            serde_json::from_value(serde_json::json!({
                "executionSuccessful": false,
                "toolExecutionNotifications": notifications,
            }))
            .expect("invocation"),
        ]);
    }
    let log = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).expect("sarif serializes")
}
