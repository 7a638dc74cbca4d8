//! Which format a metrics file is in, judged from its content alone (file names lie: a CSV saved
//! as `.txt`, a CLI export saved as `.log`).
//!
//! In: the text. Out: the format and its parsed snapshot, or the one error that explains why
//! the text is none of the formats. Rules, in order:
//! 1. First non-blank character `{` or `[`: JSON. If it is not valid JSON but holds REPORT lines
//!    (JSON-format Lambda logs, one record per line), it is read as report lines; otherwise the
//!    JSON syntax error is the answer, with serde_json's line and column.
//!    - object with `MetricDataResults`: GetMetricData — a bundle when `MetricDataQueries` is
//!      there too, the response alone otherwise (also an array of such pages);
//!    - object with `Datapoints`: GetMetricStatistics;
//!    - `events[]` / `logEvents[]` / Logs Insights `results[][]` / an array of `{message}`:
//!      log events;
//!    - `power` with `cost` or `duration` (also under `results`, or in an execution's
//!      `output`): Power Tuning;
//!    - a single `{"type": "platform.report"}` record: report lines.
//! 2. First non-blank line starting `timestamp,` (or `;` / tab): the CSV long format.
//! 3. Any line with `REPORT RequestId:`, a `platform.report` record or `Billed Duration:`:
//!    report lines.
//! 4. Anything else: "not a recognised metrics format".

use serde_json::Value;

use super::{Ctx, Format, MetricsError, Snapshot, cloudwatch, csv, json, power_tuning, report_lines};

const EXPECTED: &str = "not a recognised metrics format: expected CloudWatch GetMetricData/GetMetricStatistics JSON, a CSV with header timestamp,namespace,metric,..., Lambda REPORT lines, or Lambda Power Tuning output";

pub(crate) fn parse_detected(ctx: &mut Ctx) -> Result<(Format, Snapshot), MetricsError> {
    let text = ctx.text;
    let Some(first) = text.trim_start().chars().next() else {
        return Err(ctx.error(None, "the file is empty"));
    };
    let first_line = first_content_line(text);
    if first == '{' || first == '[' {
        return match json::parse(text) {
            Ok((value, rewrote)) => {
                if rewrote {
                    ctx.warn(None, "bare NaN/Infinity in the JSON read as missing values");
                }
                parse_json(ctx, &value, first_line)
            }
            Err(e) if report_lines::has_report_marker(text) && e.line() > 1 => {
                // JSON-format Lambda logs (one record per line), or a cut-off log export: the
                // REPORT lines are still readable line by line.
                ctx.warn(Some(e.line() as u32), format!("not one JSON document ({}); read line by line as log text", json::error_message(&e)));
                Ok((Format::ReportLines, Snapshot::ReportLog(report_lines::parse_text(ctx)?)))
            }
            Err(e) => {
                // Documentation samples elide with `...`; say so rather than leave the user
                // staring at "expected value".
                let bad_line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
                let hint = if bad_line.contains("...") || bad_line.contains('…') { " (the line holds a literal \"...\": an elided documentation example, not real output)" } else { "" };
                Err(ctx.error(Some(e.line() as u32), format!("not valid JSON (column {}): {}{hint}", e.column(), json::error_message(&e))))
            }
        };
    }
    if csv::looks_like_csv(text) {
        return Ok((Format::Csv, Snapshot::Series(csv::parse(ctx)?)));
    }
    if report_lines::has_report_marker(text) {
        return Ok((Format::ReportLines, Snapshot::ReportLog(report_lines::parse_text(ctx)?)));
    }
    if first == '"' && text.contains("\":") {
        // The members of an object without its braces (a copy that missed the first line).
        let hint = if serde_json::from_str::<Value>(&format!("{{{text}")).is_ok() {
            "the text is a JSON object without its opening '{'"
        } else {
            "the text looks like JSON members without the enclosing '{ … }'"
        };
        return Err(ctx.error(first_line, format!("{EXPECTED} ({hint})")));
    }
    Err(ctx.error(first_line, EXPECTED))
}

/// 1-based number of the first line with content.
fn first_content_line(text: &str) -> Option<u32> {
    text.lines().position(|l| !l.trim().is_empty()).map(|n| n as u32 + 1)
}

fn parse_json(ctx: &mut Ctx, v: &Value, first_line: Option<u32>) -> Result<(Format, Snapshot), MetricsError> {
    let has = |k: &str| v.get(k).is_some();
    let is_gmd_page = |p: &Value| p.get("MetricDataResults").is_some();
    match v {
        Value::Object(_) if has("MetricDataResults") => {
            let (format, series) = cloudwatch::parse_get_metric_data(ctx, v)?;
            Ok((format, Snapshot::Series(series)))
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(is_gmd_page) => {
            let (format, series) = cloudwatch::parse_get_metric_data(ctx, v)?;
            Ok((format, Snapshot::Series(series)))
        }
        Value::Object(_) if has("Datapoints") => Ok((Format::GetMetricStatistics, Snapshot::Series(cloudwatch::parse_get_metric_statistics(ctx, v)?))),
        _ if report_lines::is_log_events(v) => Ok((Format::LogEventsJson, Snapshot::ReportLog(report_lines::parse_events(ctx, v)?))),
        _ if power_tuning::is_power_tuning(v) => Ok((Format::PowerTuning, Snapshot::PowerTuning(power_tuning::parse(ctx, v)?))),
        Value::Object(_) if v.get("type").and_then(Value::as_str) == Some("platform.report") => {
            Ok((Format::ReportLines, Snapshot::ReportLog(report_lines::parse_single_record(ctx, v)?)))
        }
        Value::Object(_) if has("MetricDataQueries") => Err(ctx.error(
            first_line,
            "this holds MetricDataQueries but no MetricDataResults: add the response of get-metric-data to the same object, or upload the response alone",
        )),
        Value::Array(items) if !items.is_empty() && items.iter().all(|q| q.get("MetricStat").is_some() || q.get("Expression").is_some()) => Err(ctx.error(
            first_line,
            "this is a --metric-data-queries file without results: upload the get-metric-data response, or {\"MetricDataQueries\": [...], \"MetricDataResults\": [...]}",
        )),
        Value::Object(m) => {
            let mut keys: Vec<&str> = m.keys().map(String::as_str).take(8).collect();
            if m.len() > keys.len() {
                keys.push("…");
            }
            Err(ctx.error(first_line, format!("{EXPECTED} (this JSON object has the keys: {})", keys.join(", "))))
        }
        Value::Array(_) => Err(ctx.error(first_line, format!("{EXPECTED} (this JSON is an array of something else)"))),
        _ => Err(ctx.error(first_line, EXPECTED)),
    }
}
