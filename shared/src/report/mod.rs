//! Renderings of analysis results: JSON (the contract), SARIF 2.1.0, Markdown (pull request
//! comments) and text (terminals, with a code frame around each finding).
//!
//! In: one [`FileResult`] per analysed file. Out: a string. Each renderer is a pure function so
//! the command line, the API and the browser produce the same bytes.

mod markdown;
mod sarif;
mod text;

pub use markdown::markdown;
pub use sarif::sarif;
pub use text::text;

use crate::analysis::Report;
use crate::template::TemplateError;

/// The outcome of analysing one file.
pub struct FileResult<'a> {
    /// The name the user gave (path on the command line, file name in the API).
    pub path: &'a str,
    /// The file's text, for code frames and SARIF snippets.
    pub source: &'a str,
    pub outcome: Result<Report, TemplateError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Markdown,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s.to_ascii_lowercase().as_str() {
            "text" => Format::Text,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "markdown" | "md" => Format::Markdown,
            _ => return None,
        })
    }
}

/// JSON: the report object for one file (with its `file`), or `{"schema_version", "files"}` for
/// several; a file that could not be analysed carries `error` with its line.
pub fn json(files: &[FileResult<'_>]) -> String {
    fn one(f: &FileResult<'_>) -> serde_json::Value {
        match &f.outcome {
            Ok(report) => {
                let mut v = serde_json::to_value(report).expect("report serializes");
                v["file"] = serde_json::Value::String(f.path.to_string());
                v
            }
            Err(e) => serde_json::json!({"file": f.path, "error": {"line": e.line, "column": e.col, "message": e.message}}),
        }
    }
    let value = match files {
        [single] => one(single),
        many => serde_json::json!({"schema_version": 1, "files": many.iter().map(one).collect::<Vec<_>>()}),
    };
    serde_json::to_string_pretty(&value).expect("json")
}

/// The cost section of text and Markdown reports: per function, what the REPORT lines cost
/// a month and what the memory what-if suggests, with the model's assumptions.
pub fn costs_text(report: &Report, bullet: &str) -> String {
    let mut out = String::new();
    for (id, c) in &report.costs {
        let o = &c.observed;
        out.push_str(&format!(
            "{bullet}{id} ({}, {:.0} MB): {} invocations observed, {:.1} % cold starts, duration p50 {:.0} ms / p95 {:.0} ms / p99 {:.0} ms, max memory used {:.0} MB\n",
            c.architecture, o.memory_mb, o.invocations, o.cold_start_share * 100.0, o.duration_ms.p50, o.duration_ms.p95, o.duration_ms.p99, o.max_memory_used_mb
        ));
        if let Some(m) = &c.monthly {
            out.push_str(&format!(
                "{bullet}  monthly: ${:.2} (compute ${:.2}, INIT ${:.2}, requests ${:.2}) at {} prices of {}\n",
                m.total_usd, m.compute_usd, m.init_usd, m.requests_usd, c.region, c.prices_as_of
            ));
        }
        if let Some(w) = &c.whatif {
            let p = |x: &Option<crate::cost::WhatIfPoint>| x.as_ref().map_or("-".to_string(), |p| format!("{:.0} MB ({:.0} ms, ${:.2}/month)", p.memory_mb, p.expected_ms, p.monthly_usd));
            out.push_str(&format!(
                "{bullet}  memory what-if: now {:.0} MB (${:.2}/month); cheapest {}; balanced {}; fastest {}\n",
                w.current.memory_mb, w.current.monthly_usd, p(&w.cheapest), p(&w.balanced), p(&w.fastest)
            ));
            for a in &w.assumptions {
                out.push_str(&format!("{bullet}  assumption: {a}\n"));
            }
        }
    }
    out
}

/// `saves $12.30/month, 45 ms faster` (or `adds …`).
pub fn impact_text(i: &crate::analysis::Impact) -> String {
    let money = if i.monthly_usd_delta <= 0.0 { format!("saves ${:.2}/month", -i.monthly_usd_delta) } else { format!("adds ${:.2}/month", i.monthly_usd_delta) };
    match i.latency_ms_delta {
        Some(l) if l < -0.05 => format!("{money}, {:.0} ms faster", -l),
        Some(l) if l > 0.05 => format!("{money}, {l:.0} ms slower"),
        _ => money,
    }
}

pub fn render(format: Format, files: &[FileResult<'_>]) -> String {
    match format {
        Format::Text => text(files),
        Format::Json => json(files),
        Format::Sarif => sarif(files),
        Format::Markdown => markdown(files),
    }
}
