//! CSV in long format: one datapoint per row.
//!
//! In: text whose first non-blank line is the header
//! `timestamp,namespace,metric,dimension_name,dimension_value,statistic,value[,unit]`
//! (columns in that order, case-insensitive, cells may be quoted). A header written with `;` or
//! tabs instead of commas is accepted too (spreadsheets in some locales export that way); with
//! `;` a decimal comma in `value` is read as a point. Out: one [`Series`] per
//! (namespace, metric, dimension, statistic), in order of first appearance.
//!
//! Cells: timestamps as in [`super::time`]; empty `namespace` = unknown; empty dimension cells
//! = no dimension; `statistic` and `unit` normalised to CloudWatch names (`avg` -> `Average`,
//! `ms` -> `Milliseconds`); empty / `NaN` / `null` values are skipped. Only one dimension per
//! row fits this format. The first bad row is the error, with its line.

use std::collections::HashMap;

use super::json::{Num, num_str};
use super::{Ctx, MetricsError, Point, Series, finish_points, time, units};

const COLUMNS: [&str; 8] = ["timestamp", "namespace", "metric", "dimension_name", "dimension_value", "statistic", "value", "unit"];

/// One CSV record and the line it starts on.
struct Record {
    line: u32,
    fields: Vec<String>,
}

/// Whether the first non-blank line starts like our CSV header (`timestamp` then a delimiter);
/// [`parse`] then checks the header exactly and explains what is wrong with it.
pub(crate) fn looks_like_csv(text: &str) -> bool {
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else { return false };
    let l = first.trim_start().trim_start_matches('"');
    l.get(..9).is_some_and(|p| p.eq_ignore_ascii_case("timestamp")) && l.get(9..).is_some_and(|r| r.trim_start_matches('"').starts_with([',', ';', '\t']))
}

pub(crate) fn parse(ctx: &mut Ctx) -> Result<Vec<Series>, MetricsError> {
    let text = ctx.text;
    let Some((header_line_no, header_line)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Err(ctx.error(None, "the file is empty"));
    };
    let header_line_no = header_line_no as u32 + 1;
    let delim = [',', ';', '\t']
        .into_iter()
        .find(|d| header_matches(header_line, *d))
        .ok_or_else(|| ctx.error(Some(header_line_no), format!("CSV header must be {} (unit optional), found: {}", COLUMNS.join(","), short(header_line))))?;
    let has_unit = split_simple(header_line, delim).len() == 8;

    let records = read_records(text, delim).map_err(|(line, msg)| ctx.error(Some(line), msg))?;
    let mut series: Vec<Series> = Vec::new();
    let mut index: HashMap<(String, String, String, String, String), usize> = HashMap::new();
    let mut first_lines: Vec<Option<u32>> = Vec::new();
    let mut missing = 0usize;
    let mut unknown_units: Vec<String> = Vec::new();
    for rec in records.into_iter().filter(|r| r.line > header_line_no) {
        let line = Some(rec.line);
        let f = &rec.fields;
        if f.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if f.len() < 7 || f.len() > 8 {
            return Err(ctx.error(line, format!("expected {} columns ({}), found {}", if has_unit { 8 } else { 7 }, COLUMNS[..if has_unit { 8 } else { 7 }].join(","), f.len())));
        }
        let cell = |i: usize| f.get(i).map(|s| s.trim()).unwrap_or("");
        let Some(t) = time::parse_timestamp(cell(0)) else {
            return Err(ctx.error(line, format!("timestamp is not a date-time or epoch number: \"{}\"", short(cell(0)))));
        };
        let metric = cell(2);
        if metric.is_empty() {
            return Err(ctx.error(line, "metric is empty"));
        }
        let (dim_name, dim_value) = (cell(3), cell(4));
        if dim_name.is_empty() != dim_value.is_empty() {
            return Err(ctx.error(line, "dimension_name and dimension_value must both be given or both be empty"));
        }
        if cell(5).is_empty() {
            return Err(ctx.error(line, "statistic is empty (Sum, Average, Maximum, Minimum, SampleCount, p99, …)"));
        }
        let statistic = units::normalise_statistic(cell(5));
        let raw_value = if delim == ';' && !cell(6).contains('.') { cell(6).replace(',', ".") } else { cell(6).to_string() };
        let value = match num_str(&raw_value) {
            Num::Value(v) => Some(v),
            Num::Missing => {
                missing += 1;
                None
            }
            Num::Bad => return Err(ctx.error(line, format!("value is not a number: \"{}\"", short(cell(6))))),
        };
        let unit = match units::series_unit(cell(7)) {
            Ok(u) => u,
            Err(u) => {
                if !unknown_units.contains(&u) {
                    ctx.warn(line, format!("unknown unit \"{u}\" kept as written"));
                    unknown_units.push(u.clone());
                }
                Some(u)
            }
        };
        let key = (cell(1).to_string(), metric.to_string(), dim_name.to_string(), dim_value.to_string(), statistic.clone());
        let i = *index.entry(key).or_insert_with(|| {
            series.push(Series {
                namespace: Some(cell(1).to_string()).filter(|n| !n.is_empty()),
                metric: metric.to_string(),
                dimensions: if dim_name.is_empty() { Vec::new() } else { vec![(dim_name.to_string(), dim_value.to_string())] },
                statistic,
                unit: None,
                period_s: None,
                points: Vec::new(),
                label: None,
                partial: false,
                resource_hint: None,
            });
            first_lines.push(None);
            series.len() - 1
        });
        let Some(s) = series.get_mut(i) else { continue };
        if let Some(u) = unit {
            match &s.unit {
                None => s.unit = Some(u),
                Some(first) if *first != u => {
                    ctx.warn(line, format!("{} {}: unit \"{u}\" differs from \"{first}\" given earlier; the first is kept", s.metric, s.statistic));
                }
                _ => {}
            }
        }
        if let Some(v) = value {
            s.points.push(Point { t, v });
        }
        if let Some(l) = first_lines.get_mut(i) {
            l.get_or_insert(rec.line);
        }
    }
    if series.is_empty() {
        return Err(ctx.error(Some(header_line_no), "the CSV has a header but no data rows"));
    }
    if missing > 0 {
        ctx.warn(None, format!("{missing} empty or NaN value(s) skipped"));
    }
    for (s, first_line) in series.iter_mut().zip(first_lines) {
        let merged = finish_points(&mut s.points);
        if merged > 0 {
            ctx.warn(first_line, format!("{} {}: {merged} row(s) at an already seen timestamp; the last value was kept", s.metric, s.statistic));
        }
    }
    Ok(series)
}

fn short(s: &str) -> String {
    let t: String = s.chars().take(120).collect();
    if t.len() < s.len() { format!("{t}…") } else { t }
}

/// Header cells, unquoted and trimmed (a header has no embedded delimiters).
fn split_simple(line: &str, delim: char) -> Vec<String> {
    line.split(delim).map(|c| c.trim().trim_matches('"').trim().to_ascii_lowercase()).collect()
}

fn header_matches(line: &str, delim: char) -> bool {
    let cells = split_simple(line, delim);
    (cells.len() == 7 || cells.len() == 8) && cells.iter().zip(COLUMNS).all(|(c, want)| c == want)
}

/// RFC 4180 records: quoted cells may hold the delimiter, `""` and newlines; `\r\n` or `\n`
/// ends a record. Lenient where spreadsheets are sloppy (a quote inside an unquoted cell is
/// kept as a character); the one hard error is a quote left open at the end of the file.
fn read_records(text: &str, delim: char) -> Result<Vec<Record>, (u32, String)> {
    let mut out = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut line = 1u32;
    let mut start_line = 1u32;
    let mut in_quotes = false;
    let mut quoted_cell = false; // the current cell started with a quote
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    cell.push('\n');
                }
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.trim().is_empty() && !quoted_cell => {
                cell.clear();
                in_quotes = true;
                quoted_cell = true;
            }
            c if c == delim => {
                fields.push(std::mem::take(&mut cell));
                quoted_cell = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut cell));
                quoted_cell = false;
                out.push(Record { line: start_line, fields: std::mem::take(&mut fields) });
                line += 1;
                start_line = line;
            }
            _ => cell.push(c),
        }
    }
    if in_quotes {
        return Err((start_line, "a quoted cell is not closed (missing '\"')".into()));
    }
    if !cell.is_empty() || !fields.is_empty() {
        fields.push(cell);
        out.push(Record { line: start_line, fields });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        let r = read_records("a,\"b,c\",\"d\"\"e\"\r\n1,\"multi\nline\",3\n\n", ',').unwrap();
        assert_eq!(r[0].fields, vec!["a", "b,c", "d\"e"]);
        assert_eq!(r[1].line, 2);
        assert_eq!(r[1].fields, vec!["1", "multi\nline", "3"]);
        assert_eq!(r[2].line, 4);
        assert_eq!(read_records("a,\"b\nc", ',').err().map(|e| e.0), Some(1));
    }

    #[test]
    fn header_detection() {
        assert!(looks_like_csv("\n\"Timestamp\",namespace"));
        assert!(looks_like_csv("TIMESTAMP;x"));
        assert!(!looks_like_csv("timestamps,x"));
        assert!(!looks_like_csv("{\"timestamp\": 1}"));
        assert!(header_matches("Timestamp, Namespace ,metric,dimension_name,dimension_value,statistic,value", ','));
        assert!(header_matches("\"timestamp\";\"namespace\";\"metric\";\"dimension_name\";\"dimension_value\";\"statistic\";\"value\";\"unit\"", ';'));
        assert!(!header_matches("timestamp,metric,namespace,dimension_name,dimension_value,statistic,value", ','));
    }
}
