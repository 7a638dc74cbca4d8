//! Metrics snapshots: the files a user uploads next to a template (spec section 2).
//!
//! In: a file name (only for messages) and its text. The format is detected from the content,
//! never from the name ([`detect`]):
//! - CloudWatch `GetMetricData` bundle (queries + results) or response alone ([`cloudwatch`]),
//! - CloudWatch `GetMetricStatistics` response ([`cloudwatch`]),
//! - CSV in long format ([`csv`]),
//! - Lambda `REPORT` lines as text, or log events as JSON ([`report_lines`]),
//! - AWS Lambda Power Tuning output ([`power_tuning`]).
//!
//! Out: a [`Parsed`] snapshot — time series, a list of invocations, or a power-tuning curve —
//! with the warnings worth showing (partial data, skipped lines), or one [`MetricsError`] that
//! names the file, the line and what is wrong. Values are never converted; units are recorded
//! in CloudWatch's spelling. Binding series to template resources happens later, in the analysis.
//!
//! Nothing here panics on any input: the tests feed every prefix of the samples and random bytes.

pub mod cloudwatch;
pub mod csv;
pub mod detect;
mod json;
pub mod power_tuning;
pub mod query_id;
pub mod report_lines;
pub mod time;
pub mod units;

use serde::Serialize;

/// Largest metrics file accepted. A week of 1-minute datapoints for 100 series is about 1M
/// points, ~20 MB of pretty-printed JSON; anything bigger is better aggregated before upload.
pub const MAX_METRICS_BYTES: usize = 20 * 1024 * 1024;

/// At most this many warnings are kept; the rest are counted in one last line.
const MAX_WARNINGS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `MetricDataQueries` and `MetricDataResults` in one JSON object.
    GetMetricDataBundle,
    /// `MetricDataResults` alone (Ids decoded with [`query_id`] when Archlens wrote them).
    GetMetricDataResponse,
    /// `Label` + `Datapoints[]`.
    GetMetricStatistics,
    /// `timestamp,namespace,metric,dimension_name,dimension_value,statistic,value[,unit]`.
    Csv,
    /// Plain text holding Lambda `REPORT` lines (or JSON-format `platform.report` records).
    ReportLines,
    /// Log events as JSON: `aws logs filter-log-events` / `get-log-events` (`events[]`),
    /// a subscription-filter payload (`logEvents[]`), or Logs Insights results with `@message`.
    LogEventsJson,
    /// AWS Lambda Power Tuning state machine output.
    PowerTuning,
}

impl Format {
    /// A human name for messages and the UI.
    pub fn describe(self) -> &'static str {
        match self {
            Format::GetMetricDataBundle => "CloudWatch GetMetricData queries and response",
            Format::GetMetricDataResponse => "CloudWatch GetMetricData response",
            Format::GetMetricStatistics => "CloudWatch GetMetricStatistics response",
            Format::Csv => "CSV (long format)",
            Format::ReportLines => "Lambda REPORT log lines",
            Format::LogEventsJson => "CloudWatch Logs events (JSON)",
            Format::PowerTuning => "AWS Lambda Power Tuning output",
        }
    }
}

/// One time series: one statistic of one metric of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// `AWS/Lambda`; `None` when the input does not say (a bare GetMetricData response whose Id
    /// Archlens did not write, a GetMetricStatistics response, an empty CSV cell).
    pub namespace: Option<String>,
    /// `Duration`; for a math expression or an unknown query, its label or Id.
    pub metric: String,
    /// `[("FunctionName", "orders-fn")]`, as the input gives them (empty when it does not).
    pub dimensions: Vec<(String, String)>,
    /// `Sum`, `Average`, `Maximum`, `Minimum`, `SampleCount`, `p99`, … as CloudWatch names it;
    /// empty when the input does not say (an expression, a response with a foreign Id).
    pub statistic: String,
    /// CloudWatch unit (`Milliseconds`, `Count`, `Percent`, `Seconds`, `Bytes`, `Megabytes`…)
    /// when the input gives one; CloudWatch's `None` unit is `None` here.
    pub unit: Option<String>,
    /// The period in seconds when the input gives it (GetMetricData queries only).
    pub period_s: Option<u32>,
    /// Sorted by time; missing values and NaN dropped; several values at one time: the last.
    pub points: Vec<Point>,
    pub label: Option<String>,
    /// The data is incomplete: `StatusCode: PartialData`, or a `NextToken` (a page is missing).
    pub partial: bool,
    /// The logical id decoded from an Archlens query Id ([`query_id`]).
    pub resource_hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Unix milliseconds, UTC.
    pub t: i64,
    pub v: f64,
}

/// One Lambda invocation, read from its `REPORT` line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invocation {
    pub request_id: String,
    pub duration_ms: f64,
    pub billed_ms: f64,
    pub memory_mb: f64,
    pub max_memory_mb: f64,
    /// Only on cold starts.
    pub init_ms: Option<f64>,
    /// SnapStart restores.
    pub restore_ms: Option<f64>,
    pub billed_restore_ms: Option<f64>,
    /// Unix ms: from the line's prefix (console copies, `sam logs`) or the log event.
    pub timestamp: Option<i64>,
    pub xray_trace_id: Option<String>,
    /// `Status: timeout` / `error` tail of newer lines (`success` in JSON-format records).
    pub status: Option<String>,
    /// `Error Type: Runtime.ExitError` tail.
    pub error_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportLog {
    /// From `logGroupName` `/aws/lambda/<name>`, or a log stream named
    /// `YYYY/MM/DD/<name>[<version>]…` (functions logging to a custom log group).
    pub function: Option<String>,
    pub invocations: Vec<Invocation>,
    /// Lines that looked like REPORT lines but could not be read (each also has a warning).
    pub skipped_lines: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerTuningPoint {
    pub memory_mb: f64,
    pub avg_cost_usd: f64,
    pub avg_duration_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerTuning {
    /// The function name, from the `lambdaARN` of the execution input when the file has it.
    pub function: Option<String>,
    pub lambda_arn: Option<String>,
    /// The `power` the state machine chose.
    pub optimal_memory_mb: Option<f64>,
    /// One point per memory size tried, ascending: from `stats` when present, else decoded
    /// from the visualization URL, else only the optimum.
    pub points: Vec<PowerTuningPoint>,
    /// `cost` | `speed` | `balanced`, from the execution input when the file has it.
    pub strategy: Option<String>,
    /// `stateMachine.executionCost` + `lambdaCost`: what the tuning run itself cost.
    pub execution_cost_usd: Option<f64>,
    pub lambda_cost_usd: Option<f64>,
    pub visualization_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Snapshot {
    Series(Vec<Series>),
    ReportLog(ReportLog),
    PowerTuning(PowerTuning),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed {
    pub format: Format,
    pub snapshot: Snapshot,
    /// `file:line: message` (or `file: message`); at most 100, then one line counting the rest.
    pub warnings: Vec<String>,
}

/// Why a file is not a usable metrics snapshot: one error, naming the file and the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricsError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for MetricsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for MetricsError {}

/// Reads one metrics file. `file_name` is only used in messages.
pub fn parse(file_name: &str, text: &str) -> Result<Parsed, MetricsError> {
    let mut ctx = Ctx { file: file_name, text, warnings: Vec::new(), dropped_warnings: 0 };
    if text.len() > MAX_METRICS_BYTES {
        return Err(ctx.error(
            None,
            format!(
                "the file is {:.1} MB; metrics files are limited to {} MB (export a shorter time range or a longer period)",
                text.len() as f64 / (1024.0 * 1024.0),
                MAX_METRICS_BYTES / (1024 * 1024)
            ),
        ));
    }
    // A UTF-8 byte-order mark (Excel's CSV export writes one) is not content.
    ctx.text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (format, snapshot) = detect::parse_detected(&mut ctx)?;
    let mut warnings = std::mem::take(&mut ctx.warnings);
    if ctx.dropped_warnings > 0 {
        warnings.push(format!("{}: … and {} more warnings", ctx.file, ctx.dropped_warnings));
    }
    Ok(Parsed { format, snapshot, warnings })
}

/// What every format parser gets: the text, and where warnings and errors go.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub text: &'a str,
    warnings: Vec<String>,
    dropped_warnings: usize,
}

impl Ctx<'_> {
    pub(crate) fn error(&self, line: Option<u32>, message: impl Into<String>) -> MetricsError {
        MetricsError { file: self.file.to_string(), line, message: message.into() }
    }

    pub(crate) fn warn(&mut self, line: Option<u32>, message: impl Into<String>) {
        if self.warnings.len() >= MAX_WARNINGS {
            self.dropped_warnings += 1;
            return;
        }
        let message = message.into();
        self.warnings.push(match line {
            Some(l) => format!("{}:{}: {}", self.file, l, message),
            None => format!("{}: {}", self.file, message),
        });
    }

    /// The line where the JSON value at `path` starts (see [`json::line_of`]).
    pub(crate) fn json_line(&self, path: &[json::Seg]) -> Option<u32> {
        json::line_of(self.text, path)
    }
}

/// Sorts points by time and keeps the last value given for a time (a re-exported page, a
/// pasted overlap). Returns how many duplicates were merged away.
pub(crate) fn finish_points(points: &mut Vec<Point>) -> usize {
    // Stable: among equal times the input order survives, so "last" is the last written.
    points.sort_by_key(|p| p.t);
    let before = points.len();
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    for p in points.drain(..) {
        match out.last_mut() {
            Some(last) if last.t == p.t => *last = p,
            _ => out.push(p),
        }
    }
    *points = out;
    before - points.len()
}

#[cfg(test)]
mod tests;
