//! JSON helpers shared by the JSON formats.
//!
//! In: the uploaded text. Out: a `serde_json::Value` (syntax errors keep serde_json's line and
//! column), the 1-based line where the value at a path such as `MetricDataResults[0].Values`
//! starts (serde_json's tree keeps no positions, and an error that names the line is what makes
//! a 5 MB export fixable), and lenient readers for numbers and timestamps.

use serde_json::Value;

use super::time;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Idx(usize),
}

/// `MetricDataResults[0].Values`
pub(crate) fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Idx(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Parses JSON; on failure retries once with bare `NaN`/`Infinity` (which Python's `json.dump`
/// writes) turned into `null`. Returns the value and whether that rewrite was needed.
pub(crate) fn parse(text: &str) -> Result<(Value, bool), serde_json::Error> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok((v, false)),
        Err(e) => match replace_non_finite(text) {
            Some(fixed) => serde_json::from_str::<Value>(&fixed).map(|v| (v, true)).map_err(|_| e),
            None => Err(e),
        },
    }
}

/// serde_json's message without its " at line L column C" tail (the caller places those).
pub(crate) fn error_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&tail).map(str::to_string).unwrap_or(full)
}

/// Rewrites bare `NaN`, `Infinity`, `-Infinity` tokens outside strings as `null`, keeping
/// every newline so lines still match. `None` when there was nothing to rewrite.
fn replace_non_finite(text: &str) -> Option<String> {
    const TOKENS: [&str; 5] = ["-Infinity", "+Infinity", "Infinity", "-NaN", "NaN"];
    if !text.contains("NaN") && !text.contains("Infinity") {
        return None;
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // bytes of `text` already in `out`
    let mut changed = false;
    let mut in_str = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_str = true;
            i += 1;
            continue;
        }
        let at_token_start = matches!(c, b'N' | b'I' | b'-' | b'+') && (i == 0 || matches!(b[i - 1], b',' | b':' | b'[' | b' ' | b'\t' | b'\r' | b'\n'));
        if at_token_start
            && let Some(tok) = TOKENS.iter().find(|t| b[i..].starts_with(t.as_bytes()))
            && b.get(i + tok.len()).is_none_or(|n| matches!(n, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n'))
        {
            // Token bytes are ASCII, so `i` and the token's end are char boundaries.
            out.push_str(text.get(copied..i)?);
            out.push_str("null");
            i += tok.len();
            copied = i;
            changed = true;
            continue;
        }
        i += 1;
    }
    if !changed {
        return None;
    }
    out.push_str(text.get(copied..)?);
    Some(out)
}

/// The 1-based line where the value at `path` starts, or `None` when the path is not there.
/// Works on any text without panicking; meant for valid JSON (where it is exact).
pub(crate) fn line_of(text: &str, path: &[Seg]) -> Option<u32> {
    let mut s = Scan { b: text.as_bytes(), i: 0, line: 1 };
    for seg in path {
        s.ws();
        match (seg, s.peek()?) {
            (Seg::Key(k), b'{') => {
                s.i += 1;
                loop {
                    s.ws();
                    if s.peek()? != b'"' {
                        return None;
                    }
                    let key = s.string()?;
                    s.ws();
                    if s.peek()? != b':' {
                        return None;
                    }
                    s.i += 1;
                    s.ws();
                    if key == k.as_bytes() {
                        break;
                    }
                    s.value()?;
                    s.ws();
                    if s.peek()? != b',' {
                        return None;
                    }
                    s.i += 1;
                }
            }
            (Seg::Idx(n), b'[') => {
                s.i += 1;
                let mut idx = 0;
                loop {
                    s.ws();
                    if s.peek()? == b']' {
                        return None;
                    }
                    if idx == *n {
                        break;
                    }
                    s.value()?;
                    s.ws();
                    if s.peek()? != b',' {
                        return None;
                    }
                    s.i += 1;
                    idx += 1;
                }
            }
            _ => return None,
        }
    }
    s.ws();
    Some(s.line)
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    line: u32,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.i += 1;
        }
    }
    /// At a `"`: skips the string, returns its raw bytes (escapes left as written).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.i += 1;
        let start = self.i;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    let s = self.b.get(start..self.i)?;
                    self.i += 1;
                    return Some(s);
                }
                b'\n' => {
                    self.line += 1;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
    }
    /// Skips one value without recursion (depth is counted, not stacked).
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        b'\n' => self.line += 1,
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.i += 1;
                }
                Some(())
            }
        }
    }
}

/// A JSON value read as a metric value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Value(f64),
    /// `null`, `"NaN"`, `""`, a non-finite number: skipped, as CloudWatch would have no datapoint.
    Missing,
    /// Anything else (an object, `true`, `"abc"`): an error for the caller to report.
    Bad,
}

pub(crate) fn num(v: &Value) -> Num {
    match v {
        Value::Null => Num::Missing,
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => Num::Value(f),
            _ => Num::Missing,
        },
        Value::String(s) => num_str(s),
        _ => Num::Bad,
    }
}

/// A number written as text (JSON strings, CSV cells).
pub(crate) fn num_str(s: &str) -> Num {
    let t = s.trim();
    if t.is_empty() || ["nan", "-nan", "null", "none", "n/a", "na", "-", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"].iter().any(|m| t.eq_ignore_ascii_case(m)) {
        return Num::Missing;
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Num::Value(f),
        Ok(_) => Num::Missing,
        Err(_) => Num::Bad,
    }
}

/// A number where one is required (power tuning fields): numbers and numeric strings.
pub(crate) fn f64_of(v: &Value) -> Option<f64> {
    match num(v) {
        Num::Value(f) => Some(f),
        _ => None,
    }
}

/// A timestamp: RFC 3339 text or an epoch number (seconds or milliseconds).
pub(crate) fn timestamp(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => time::parse_timestamp(s),
        Value::Number(n) => n.as_f64().and_then(time::from_epoch),
        _ => None,
    }
}

/// A short, safe description of a value for error messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            if short.len() < s.len() { format!("\"{short}…\"") } else { format!("\"{short}\"") }
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\n  \"a\": 1,\n  \"s\": \"x,]}\\\"{\",\n  \"MetricDataResults\": [\n    {\"Id\": \"m1\"},\n    {\n      \"Id\": \"m2\",\n      \"Values\":\n        [1, 2]\n    }\n  ]\n}\n";

    #[test]
    fn locates_paths() {
        use Seg::*;
        assert_eq!(line_of(DOC, &[]), Some(1));
        assert_eq!(line_of(DOC, &[Key("MetricDataResults")]), Some(4));
        assert_eq!(line_of(DOC, &[Key("MetricDataResults"), Idx(0)]), Some(5));
        assert_eq!(line_of(DOC, &[Key("MetricDataResults"), Idx(1)]), Some(6));
        assert_eq!(line_of(DOC, &[Key("MetricDataResults"), Idx(1), Key("Values")]), Some(9));
        assert_eq!(line_of(DOC, &[Key("MetricDataResults"), Idx(2)]), None);
        assert_eq!(line_of(DOC, &[Key("nope")]), None);
        assert_eq!(line_of("{\"a\": [1, {", &[Key("a"), Idx(1), Key("b")]), None);
        assert_eq!(path_string(&[Key("MetricDataResults"), Idx(1), Key("Values")]), "MetricDataResults[1].Values");
        for cut in 0..DOC.len() {
            let _ = line_of(&DOC[..cut], &[Key("MetricDataResults"), Idx(1), Key("Values")]);
        }
    }

    #[test]
    fn non_finite_tokens() {
        let (v, fixed) = parse("{\"Values\": [1, NaN, -Infinity, Infinity], \"s\": \"NaN\"}").unwrap();
        assert!(fixed);
        assert_eq!(v["Values"], serde_json::json!([1, null, null, null]));
        assert_eq!(v["s"], "NaN");
        assert!(parse("{\"a\": NaNx}").is_err());
        assert!(!parse("{\"a\": 1}").unwrap().1);
    }

    #[test]
    fn numbers() {
        assert_eq!(num(&serde_json::json!(1.5)), Num::Value(1.5));
        assert_eq!(num(&serde_json::json!("2.5")), Num::Value(2.5));
        assert_eq!(num(&serde_json::json!("NaN")), Num::Missing);
        assert_eq!(num(&serde_json::json!(null)), Num::Missing);
        assert_eq!(num(&serde_json::json!("abc")), Num::Bad);
        assert_eq!(num(&serde_json::json!({})), Num::Bad);
    }
}
