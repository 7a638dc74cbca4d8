//! Lambda `REPORT` log lines: one line per invocation, the only place the billed duration, the
//! memory actually used and the init duration of each invocation are written.
//!
//! In: either plain text (one line per log line; other lines — START, END, application logs —
//! are ignored), or the JSON of log events:
//! `aws logs filter-log-events` / `get-log-events` (`events[].message`), a subscription-filter
//! payload (`logGroup`, `logEvents[].message`), a bare array of events, or Logs Insights
//! `get-query-results` rows that include `@message`.
//! Out: a [`ReportLog`]: one [`Invocation`] per REPORT line, the function when the log group
//! (`/aws/lambda/<name>`) or a custom-log-group stream name (`2024/05/15/<name>[$LATEST]…`) says.
//!
//! A line is read from `REPORT RequestId:` on, so whatever precedes it (a console timestamp,
//! `sam logs`' stream name) is only mined for a timestamp and a function name. Fields may be
//! separated by tabs, runs of spaces, or a literal `\t` (READMEs and JSON-escaped copies), in
//! any order: `Duration`, `Billed Duration`, `Memory Size`, `Max Memory Used` (required),
//! `Init Duration`, `Restore Duration`, `Billed Restore Duration`, `XRAY TraceId … SegmentId …
//! Sampled …`, `Status`, `Error Type`. Old lines billed in 100 ms steps read the same way.
//! Functions with JSON log format write `{"type":"platform.report","record":{…}}` instead;
//! those are read too, in text files (one record per line) and in event messages.

use serde_json::Value;

use super::json::{self, Seg};
use super::{Ctx, Invocation, MetricsError, ReportLog, time};

const REPORT: &str = "REPORT RequestId:";

/// Whether a text holds anything this module reads (or should explain why it cannot).
pub(crate) fn has_report_marker(text: &str) -> bool {
    text.contains(REPORT) || text.contains("platform.report") || text.contains("Billed Duration:")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Duration,
    Billed,
    MemorySize,
    MaxMemory,
    Init,
    Restore,
    BilledRestore,
    TraceId,
    SegmentId,
    Sampled,
    Status,
    ErrorType,
}

const KEYS: [(&str, Field); 12] = [
    ("Duration:", Field::Duration),
    ("Billed Duration:", Field::Billed),
    ("Memory Size:", Field::MemorySize),
    ("Max Memory Used:", Field::MaxMemory),
    ("Init Duration:", Field::Init),
    ("Restore Duration:", Field::Restore),
    ("Billed Restore Duration:", Field::BilledRestore),
    ("XRAY TraceId:", Field::TraceId),
    ("SegmentId:", Field::SegmentId),
    ("Sampled:", Field::Sampled),
    ("Status:", Field::Status),
    ("Error Type:", Field::ErrorType),
];

/// What one log line gave.
#[derive(Debug)]
enum LineRead {
    /// Invocations, with a function name found in the line's prefix.
    Invocations(Vec<Invocation>, Option<String>),
    /// A line meant as a REPORT line that cannot be read; the reason.
    Unreadable(String),
    /// Anything else.
    Other,
}

/// Reads one `REPORT RequestId: …` line (anything before `REPORT` is ignored).
pub fn parse_report_line(line: &str) -> Result<Invocation, String> {
    match line.find(REPORT) {
        Some(pos) => read_segment(line.get(pos + REPORT.len()..).unwrap_or("")),
        None => Err("no \"REPORT RequestId:\" in the line".into()),
    }
}

/// Turns every separator spelling into one space: tabs, `\r`, and the two-character sequences
/// `\t`, `\n`, `\r` that escaped copies contain.
fn normalise_separators(s: &str) -> String {
    s.replace("\\t", " ").replace("\\n", " ").replace("\\r", " ").replace(['\t', '\r'], " ")
}

/// The text after `REPORT RequestId:`.
fn read_segment(after: &str) -> Result<Invocation, String> {
    let body = normalise_separators(after);
    let body = body.trim_start();
    let (request_id, rest) = match body.split_once(' ') {
        Some((id, rest)) => (id, rest),
        None => (body, ""),
    };
    // `REPORT RequestId: Duration: …` (id lost in a copy): keep the fields, no id.
    let (request_id, rest) = if request_id.ends_with(':') { ("", body) } else { (request_id, rest) };

    // Keys start after a space; scanning left to right and jumping past each key found keeps
    // `Billed Duration:` from also being read as `Duration:`.
    let s = format!(" {rest}");
    let b = s.as_bytes();
    let mut found: Vec<(Field, usize, usize)> = Vec::new(); // (field, key start, value start)
    let mut i = 1;
    while i < b.len() {
        // Every key starts with one of these letters; checking it first keeps the scan cheap.
        if b[i - 1] == b' '
            && matches!(b[i], b'D' | b'B' | b'M' | b'I' | b'R' | b'X' | b'S' | b'E')
            && let Some(tail) = s.get(i..)
            && let Some((key, field)) = KEYS.iter().find(|(k, _)| tail.starts_with(k))
        {
            found.push((*field, i, i + key.len()));
            i += key.len();
            continue;
        }
        i += 1;
    }
    let mut inv = Invocation {
        request_id: request_id.to_string(),
        duration_ms: f64::NAN,
        billed_ms: f64::NAN,
        memory_mb: f64::NAN,
        max_memory_mb: f64::NAN,
        init_ms: None,
        restore_ms: None,
        billed_restore_ms: None,
        timestamp: None,
        xray_trace_id: None,
        status: None,
        error_type: None,
    };
    for (n, (field, _, vstart)) in found.iter().enumerate() {
        let vend = found.get(n + 1).map(|f| f.1).unwrap_or(s.len());
        let value = s.get(*vstart..vend).unwrap_or("").trim();
        let word = value.split(' ').next().unwrap_or("").to_string();
        let number = leading_number(value);
        let set = |slot: &mut f64, name: &str| -> Result<(), String> {
            match number {
                Some(v) => {
                    if slot.is_nan() {
                        *slot = v;
                    }
                    Ok(())
                }
                None => Err(format!("{name} is not a number: \"{}\"", value.chars().take(40).collect::<String>())),
            }
        };
        match field {
            Field::Duration => set(&mut inv.duration_ms, "Duration")?,
            Field::Billed => set(&mut inv.billed_ms, "Billed Duration")?,
            Field::MemorySize => set(&mut inv.memory_mb, "Memory Size")?,
            Field::MaxMemory => set(&mut inv.max_memory_mb, "Max Memory Used")?,
            Field::Init => inv.init_ms = inv.init_ms.or(number),
            Field::Restore => inv.restore_ms = inv.restore_ms.or(number),
            Field::BilledRestore => inv.billed_restore_ms = inv.billed_restore_ms.or(number),
            Field::TraceId if !word.is_empty() => inv.xray_trace_id = Some(word),
            Field::Status if !word.is_empty() => inv.status = Some(word),
            Field::ErrorType if !word.is_empty() => inv.error_type = Some(word),
            _ => {}
        }
    }
    let missing: Vec<&str> = [
        (inv.duration_ms, "Duration"),
        (inv.billed_ms, "Billed Duration"),
        (inv.memory_mb, "Memory Size"),
        (inv.max_memory_mb, "Max Memory Used"),
    ]
    .iter()
    .filter(|(v, _)| v.is_nan())
    .map(|(_, n)| *n)
    .collect();
    if !missing.is_empty() {
        return Err(format!("REPORT line without {}", missing.join(", ")));
    }
    Ok(inv)
}

/// `1218.03 ms` -> 1218.03; `12.5ms` -> 12.5.
fn leading_number(value: &str) -> Option<f64> {
    let end = value.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')).unwrap_or(value.len());
    value.get(..end)?.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
}

/// A timestamp and a function name in what precedes `REPORT` (console copies, `sam logs`,
/// `aws logs tail`: `2024/05/15/[$LATEST]abc… 2024-05-15T08:47:01.034000+00:00 REPORT …`).
fn read_prefix(prefix: &str) -> (Option<i64>, Option<String>) {
    let norm = normalise_separators(prefix);
    let tokens: Vec<&str> = norm.split_whitespace().collect();
    let mut ts = None;
    let mut function = None;
    for (i, tok) in tokens.iter().enumerate() {
        if ts.is_none() && looks_like_iso(tok) {
            // `2024-05-15 08:47:01.034` is two tokens; a date alone is only a fallback.
            let with_time = tokens.get(i + 1).filter(|n| n.as_bytes().get(2) == Some(&b':')).and_then(|next| time::parse_timestamp(&format!("{tok}T{next}")));
            ts = with_time.or_else(|| time::parse_timestamp(tok));
        }
        if function.is_none() {
            function = function_from_stream(tok);
        }
    }
    (ts, function)
}

fn looks_like_iso(tok: &str) -> bool {
    let b = tok.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// `2024/05/15/orders-fn[$LATEST]0123…` -> `orders-fn`. Lambda names streams of functions that
/// log to a custom (shared) log group this way; the default `…/[$LATEST]…` names no function.
pub fn function_from_stream(stream: &str) -> Option<String> {
    let b = stream.as_bytes();
    let dated = b.len() > 11 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'/' && b[7] == b'/' && b[10] == b'/';
    if !dated {
        return None;
    }
    let rest = stream.get(11..)?;
    let name = rest.get(..rest.find('[')?)?;
    (!name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')).then(|| name.to_string())
}

/// `/aws/lambda/orders-fn` (or `123456789012:/aws/lambda/orders-fn` as Logs Insights' `@log`
/// writes it) -> `orders-fn`.
pub fn function_from_log_group(group: &str) -> Option<String> {
    let g = group.rsplit_once(":/").map(|(_, g)| g).map(|g| format!("/{g}"));
    let g = g.as_deref().unwrap_or(group);
    g.strip_prefix("/aws/lambda/").filter(|n| !n.is_empty() && !n.contains('/')).map(str::to_string)
}

/// One JSON-format `platform.report` record (`Ok(None)` for other record types).
fn read_platform_record(text: &str) -> Result<Option<Invocation>, String> {
    let start = text.find('{').ok_or("a platform.report record without JSON")?;
    let v: Value = serde_json::from_str(text.get(start..).unwrap_or("").trim_end()).map_err(|e| format!("a platform.report record that is not valid JSON ({})", json::error_message(&e)))?;
    platform_invocation(&v)
}

/// The invocation of a parsed `platform.report` record (`Ok(None)` for other record types).
fn platform_invocation(v: &Value) -> Result<Option<Invocation>, String> {
    if v.get("type").and_then(Value::as_str) != Some("platform.report") {
        return Ok(None);
    }
    let rec = v.get("record").ok_or("a platform.report record without \"record\"")?;
    let m = rec.get("metrics").ok_or("a platform.report record without \"metrics\"")?;
    let f = |k: &str| m.get(k).and_then(json::f64_of);
    let need = |k: &str| f(k).ok_or_else(|| format!("a platform.report record without metrics.{k}"));
    let trace = rec
        .get("tracing")
        .and_then(|t| t.get("value"))
        .and_then(Value::as_str)
        .map(|t| t.split(';').find_map(|p| p.strip_prefix("Root=")).unwrap_or(t).to_string());
    Ok(Some(Invocation {
        request_id: rec.get("requestId").and_then(Value::as_str).unwrap_or("").to_string(),
        duration_ms: need("durationMs")?,
        billed_ms: need("billedDurationMs")?,
        memory_mb: need("memorySizeMB")?,
        max_memory_mb: need("maxMemoryUsedMB")?,
        init_ms: f("initDurationMs"),
        restore_ms: f("restoreDurationMs"),
        billed_restore_ms: f("billedRestoreDurationMs"),
        timestamp: v.get("time").and_then(json::timestamp),
        xray_trace_id: trace,
        status: rec.get("status").and_then(Value::as_str).map(str::to_string),
        error_type: rec.get("errorType").and_then(Value::as_str).map(str::to_string),
    }))
}

fn read_line(line: &str) -> LineRead {
    let starts: Vec<usize> = line.match_indices(REPORT).map(|(i, _)| i).collect();
    if let Some(&first) = starts.first() {
        let (ts, function) = read_prefix(line.get(..first).unwrap_or(""));
        let mut out = Vec::new();
        // Several REPORT lines glued into one (a copy that lost its newlines).
        for (n, &s) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(line.len());
            match line.get(s + REPORT.len()..end).map(read_segment) {
                Some(Ok(mut inv)) => {
                    inv.timestamp = inv.timestamp.or(ts);
                    out.push(inv);
                }
                Some(Err(reason)) => return LineRead::Unreadable(reason),
                None => return LineRead::Unreadable("REPORT line cut in the middle of a character".into()),
            }
        }
        return LineRead::Invocations(out, function);
    }
    if line.contains("platform.report") {
        return match read_platform_record(line) {
            Ok(Some(inv)) => LineRead::Invocations(vec![inv], None),
            Ok(None) => LineRead::Other,
            Err(reason) => LineRead::Unreadable(reason),
        };
    }
    if line.contains("Billed Duration:") {
        return LineRead::Unreadable("looks like a REPORT line but has no \"REPORT RequestId:\" (a fragment?)".into());
    }
    LineRead::Other
}

/// Collects invocations and function names, and counts what could not be read.
#[derive(Default)]
struct Collector {
    invocations: Vec<Invocation>,
    functions: Vec<String>,
    skipped: usize,
    first_problem: Option<(Option<u32>, String)>,
}

impl Collector {
    fn add_function(&mut self, f: Option<String>) {
        if let Some(f) = f
            && !self.functions.contains(&f)
        {
            self.functions.push(f);
        }
    }

    /// Reads every line of `text` (a file, or one event's message).
    fn read_text(&mut self, ctx: &mut Ctx, text: &str, line_of: impl Fn(usize) -> Option<u32>, event_ts: Option<i64>) {
        for (n, line) in text.lines().enumerate() {
            // With X-Ray active, Lambda writes the trace on its own line right after REPORT.
            if let Some(tail) = line.trim_start().strip_prefix("XRAY TraceId:") {
                if let Some(last) = self.invocations.last_mut().filter(|i| i.xray_trace_id.is_none()) {
                    last.xray_trace_id = normalise_separators(tail).split_whitespace().next().map(str::to_string);
                }
                continue;
            }
            match read_line(line) {
                LineRead::Invocations(invs, function) => {
                    self.add_function(function);
                    self.invocations.extend(invs.into_iter().map(|mut i| {
                        i.timestamp = i.timestamp.or(event_ts);
                        i
                    }));
                }
                LineRead::Unreadable(reason) => {
                    let at = line_of(n);
                    self.skipped += 1;
                    ctx.warn(at, format!("skipped: {reason}"));
                    self.first_problem.get_or_insert((at, reason));
                }
                LineRead::Other => {}
            }
        }
    }

    fn finish(self, ctx: &mut Ctx, log_function: Option<String>) -> ReportLog {
        let function = match (log_function, self.functions.len()) {
            (Some(f), _) => Some(f),
            (None, 1) => self.functions.first().cloned(),
            (None, 0) => None,
            (None, _) => {
                ctx.warn(None, format!("the lines come from several functions ({}); bind the file to one resource by hand", self.functions.join(", ")));
                None
            }
        };
        // `sam local` prints REPORT lines whose Max Memory Used is the configured size and whose
        // Init Duration is a few milliseconds: neither is a real measurement.
        let local = self.invocations.iter().filter(|i| i.max_memory_mb == i.memory_mb && i.init_ms.is_some_and(|d| d < 10.0)).count();
        if local > 0 {
            ctx.warn(
                None,
                format!("{local} REPORT line(s) look like `sam local` output (Max Memory Used = Memory Size, Init Duration under 10 ms): their memory and init figures are not measurements from Lambda"),
            );
        }
        ReportLog { function, invocations: self.invocations, skipped_lines: self.skipped }
    }
}

/// Reads a file holding one (possibly pretty-printed) `platform.report` record.
pub(crate) fn parse_single_record(ctx: &mut Ctx, v: &Value) -> Result<ReportLog, MetricsError> {
    match platform_invocation(v) {
        Ok(Some(inv)) => Ok(ReportLog { function: None, invocations: vec![inv], skipped_lines: 0 }),
        Ok(None) => Err(ctx.error(Some(1), "not a platform.report record")),
        Err(reason) => Err(ctx.error(Some(1), format!("no readable Lambda REPORT record: {reason}"))),
    }
}

/// Reads a text file of log lines.
pub(crate) fn parse_text(ctx: &mut Ctx) -> Result<ReportLog, MetricsError> {
    let text = ctx.text;
    let mut c = Collector::default();
    c.read_text(ctx, text, |n| Some(n as u32 + 1), None);
    if c.invocations.is_empty() {
        let (line, reason) = c.first_problem.unwrap_or((None, "no line could be read".into()));
        return Err(ctx.error(line, format!("no readable Lambda REPORT line: {reason}")));
    }
    Ok(c.finish(ctx, None))
}

/// The event list of a log-events document and the key it sits under (for line numbers).
enum Events<'v> {
    Plain(&'v [Value], &'static str),
    Insights(&'v [Value]),
}

/// Whether `v` is a log-events document this module reads.
pub(crate) fn is_log_events(v: &Value) -> bool {
    events_of(v).is_some()
}

fn events_of(v: &Value) -> Option<Events<'_>> {
    match v {
        Value::Object(m) => {
            for key in ["events", "logEvents"] {
                if let Some(a) = m.get(key).and_then(Value::as_array) {
                    return Some(Events::Plain(a, key));
                }
            }
            let rows = m.get("results").and_then(Value::as_array)?;
            let insights = rows.iter().all(|r| r.as_array().is_some_and(|cells| cells.iter().all(|c| c.get("field").is_some())));
            insights.then_some(Events::Insights(rows))
        }
        Value::Array(a) if !a.is_empty() && a.iter().all(|e| e.get("message").is_some_and(Value::is_string)) => Some(Events::Plain(a, "")),
        _ => None,
    }
}

/// Reads log events as JSON (see the module docs for the shapes).
pub(crate) fn parse_events(ctx: &mut Ctx, root: &Value) -> Result<ReportLog, MetricsError> {
    let Some(events) = events_of(root) else {
        return Err(ctx.error(Some(1), "not a log-events document"));
    };
    let mut c = Collector::default();
    let mut groups: Vec<String> = Vec::new();
    let mut add_group = |g: Option<&str>| {
        if let Some(f) = g.and_then(function_from_log_group)
            && !groups.contains(&f)
        {
            groups.push(f);
        }
    };
    add_group(root.get("logGroupName").and_then(Value::as_str));
    add_group(root.get("logGroup").and_then(Value::as_str));
    let count;
    match events {
        Events::Plain(list, key) => {
            count = list.len();
            for (k, ev) in list.iter().enumerate() {
                let path: Vec<Seg> = if key.is_empty() { vec![Seg::Idx(k)] } else { vec![Seg::Key(key), Seg::Idx(k)] };
                let Some(msg) = ev.get("message").and_then(Value::as_str) else {
                    let line = ctx.json_line(&path);
                    ctx.warn(line, format!("{} has no message; skipped", json::path_string(&path)));
                    continue;
                };
                add_group(ev.get("logGroupName").and_then(Value::as_str));
                c.add_function(ev.get("logStreamName").and_then(Value::as_str).and_then(function_from_stream));
                let ts = ev.get("timestamp").and_then(json::timestamp);
                let line = ctx.json_line(&path);
                c.read_text(ctx, msg, |_| line, ts);
            }
        }
        Events::Insights(rows) => {
            count = rows.len();
            let mut any_message = false;
            for (k, row) in rows.iter().enumerate() {
                let cell = |name: &str| {
                    row.as_array()
                        .and_then(|cells| cells.iter().find(|c| c.get("field").and_then(Value::as_str) == Some(name)))
                        .and_then(|c| c.get("value"))
                        .and_then(Value::as_str)
                };
                add_group(cell("@log"));
                c.add_function(cell("@logStream").and_then(function_from_stream));
                let Some(msg) = cell("@message") else { continue };
                any_message = true;
                let ts = cell("@timestamp").and_then(time::parse_timestamp);
                let line = ctx.json_line(&[Seg::Key("results"), Seg::Idx(k)]);
                c.read_text(ctx, msg, |_| line, ts);
            }
            if !any_message && !rows.is_empty() {
                return Err(ctx.error(
                    ctx.json_line(&[Seg::Key("results")]),
                    "Logs Insights results without an @message field: run the query as `fields @timestamp, @message, @log | filter @type = \"REPORT\"` so each REPORT line is returned",
                ));
            }
        }
    }
    if groups.len() > 1 {
        ctx.warn(None, format!("the events come from several log groups ({}); bind the file to one resource by hand", groups.join(", ")));
    }
    let log_function = if groups.len() == 1 { groups.pop() } else { None };
    if c.invocations.is_empty() {
        if count == 0 {
            ctx.warn(None, "no log events in the file");
        } else if let Some((line, reason)) = c.first_problem.clone() {
            return Err(ctx.error(line, format!("no readable Lambda REPORT line among {count} log events: {reason}")));
        } else {
            ctx.warn(None, format!("none of the {count} log events is a Lambda REPORT line (export with --filter-pattern REPORT)"));
        }
    }
    Ok(c.finish(ctx, log_function))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_space_and_literal_separators() {
        for line in [
            "REPORT RequestId: b311ef02-6f8e-5e09-b755-b5bb8ef2ecec\tDuration: 38.12 ms\tBilled Duration: 39 ms\tMemory Size: 512 MB\tMax Memory Used: 85 MB\tInit Duration: 512.08 ms",
            "REPORT RequestId: b311ef02-6f8e-5e09-b755-b5bb8ef2ecec\\tDuration: 38.12 ms\\tBilled Duration: 39 ms\\tMemory Size: 512 MB\\tMax Memory Used: 85 MB\\tInit Duration: 512.08 ms\\t\\n",
            "REPORT RequestId: b311ef02-6f8e-5e09-b755-b5bb8ef2ecec  Init Duration: 512.08 ms  Duration: 38.12 ms    Billed Duration: 39 ms        Memory Size: 512 MB    Max Memory Used: 85 MB",
            "2024-05-15T08:47:01.034Z REPORT RequestId: b311ef02-6f8e-5e09-b755-b5bb8ef2ecec Duration: 38.12ms Billed Duration: 39 ms Memory Size: 512 MB Max Memory Used: 85 MB Init Duration: 512.08 ms",
        ] {
            let inv = parse_report_line(line).unwrap();
            assert_eq!(inv.request_id, "b311ef02-6f8e-5e09-b755-b5bb8ef2ecec", "{line}");
            assert_eq!((inv.duration_ms, inv.billed_ms, inv.memory_mb, inv.max_memory_mb, inv.init_ms), (38.12, 39.0, 512.0, 85.0, Some(512.08)), "{line}");
        }
    }

    #[test]
    fn tails_and_fields() {
        let inv = parse_report_line("REPORT RequestId: 3e1c4ed7-0c3b-4a6e-9d1a-4e1c6e0c9a11\tDuration: 3003.24 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: timeout\tXRAY TraceId: 1-6650a1b2-5c3d2e1f0a9b8c7d6e5f4a3b\tSegmentId: 4c7e2a1b9d8f6e5a\tSampled: true").unwrap();
        assert_eq!(inv.status.as_deref(), Some("timeout"));
        assert_eq!(inv.xray_trace_id.as_deref(), Some("1-6650a1b2-5c3d2e1f0a9b8c7d6e5f4a3b"));
        let inv = parse_report_line("REPORT RequestId: x\tDuration: 469.40 ms\tBilled Duration: 500 ms\tMemory Size: 1024 MB\tMax Memory Used: 21 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 75 ms").unwrap();
        assert_eq!((inv.restore_ms, inv.billed_restore_ms, inv.init_ms), (Some(474.16), Some(75.0), None));
        let inv = parse_report_line("REPORT RequestId: y Duration: 5.1 ms Billed Duration: 6 ms Memory Size: 128 MB Max Memory Used: 70 MB Status: error Error Type: Runtime.ExitError").unwrap();
        assert_eq!((inv.status.as_deref(), inv.error_type.as_deref()), (Some("error"), Some("Runtime.ExitError")));
        assert!(parse_report_line("REPORT RequestId: z Duration: 5.1 ms Billed Duration: 6 ms").unwrap_err().contains("Memory Size"));
        assert!(parse_report_line("REPORT RequestId: z Duration: abc Billed Duration: 6 ms").is_err());
    }

    #[test]
    fn prefixes_and_names() {
        let (ts, f) = read_prefix("2026/05/15/[$LATEST]2079e8a6266242739c97d84985cd5ce8 2026-05-15T08:47:01.034000+00:00 ");
        assert_eq!((ts, f), (Some(1_778_834_821_034), None));
        let (ts, f) = read_prefix("2026-05-15 08:47:01.034\t2026/05/15/orders-fn[$LATEST]2079e8a6 ");
        assert_eq!((ts, f.as_deref()), (Some(1_778_834_821_034), Some("orders-fn")));
        assert_eq!(function_from_log_group("/aws/lambda/orders-fn").as_deref(), Some("orders-fn"));
        assert_eq!(function_from_log_group("123456789012:/aws/lambda/orders-fn").as_deref(), Some("orders-fn"));
        assert_eq!(function_from_log_group("/ecs/orders"), None);
    }

    #[test]
    fn platform_report_records() {
        let line = r#"{"time":"2024-05-15T08:47:01.034Z","type":"platform.report","record":{"requestId":"6d0b2c5e-3f4a-4b8e-9c1d-2e3f4a5b6c7d","metrics":{"durationMs":12.68,"billedDurationMs":13,"memorySizeMB":512,"maxMemoryUsedMB":93,"initDurationMs":295.33},"tracing":{"spanId":"4c7e2a1b9d8f6e5a","type":"X-Amzn-Trace-Id","value":"Root=1-6650a1b2-5c3d2e1f0a9b8c7d6e5f4a3b;Parent=4c7e2a1b9d8f6e5a;Sampled=1"},"status":"success"}}"#;
        let LineRead::Invocations(invs, _) = read_line(line) else { panic!() };
        assert_eq!(invs[0].init_ms, Some(295.33));
        assert_eq!(invs[0].xray_trace_id.as_deref(), Some("1-6650a1b2-5c3d2e1f0a9b8c7d6e5f4a3b"));
        assert_eq!(invs[0].timestamp, Some(1_715_762_821_034));
        assert!(matches!(read_line(r#"{"type":"platform.start","record":{}}"#), LineRead::Other));
        assert!(matches!(read_line(r#"{"type":"platform.report","record":"#), LineRead::Unreadable(_)));
    }
}
