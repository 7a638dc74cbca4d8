//! AWS Lambda Power Tuning output: the memory size the state machine chose and what each size
//! tried cost and took.
//!
//! In: the state machine's output `{"power", "cost", "duration", "stateMachine": {
//! "executionCost", "lambdaCost", "visualization"}, "stats": [...]}` (`stats` only with
//! `includeOutputResults`), as the README documents it under `results`, or wrapped the way
//! `aws stepfunctions describe-execution` prints it (`"output"` and `"input"` as JSON strings;
//! the input gives `lambdaARN` and `strategy`). Numbers may be strings (`"power": "128"`).
//! Out: a [`PowerTuning`]. Its points come from `stats` when present; otherwise they are decoded
//! from the visualization URL, whose hash is three base64 arrays — memory sizes (u16), average
//! durations (f32) and average costs (f32), little-endian — which is how the tool's own chart
//! page reads them; failing both, the optimum alone.

use serde_json::{Map, Value};

use super::json::{self, Seg};
use super::{Ctx, MetricsError, PowerTuning, PowerTuningPoint};

/// Whether `v` looks like Power Tuning output in one of the accepted shapes.
pub(crate) fn is_power_tuning(v: &Value) -> bool {
    let Some(m) = v.as_object() else { return false };
    is_output(m)
        || m.get("results").and_then(Value::as_object).is_some_and(is_output)
        || match m.get("output") {
            Some(Value::String(s)) => s.contains("\"power\""),
            Some(Value::Object(o)) => is_output(o) || o.get("results").and_then(Value::as_object).is_some_and(is_output),
            _ => false,
        }
}

fn is_output(m: &Map<String, Value>) -> bool {
    m.contains_key("power") && (m.contains_key("cost") || m.contains_key("duration"))
}

pub(crate) fn parse(ctx: &mut Ctx, root: &Value) -> Result<PowerTuning, MetricsError> {
    let Some(m) = root.as_object() else {
        return Err(ctx.error(Some(1), "Power Tuning output must be a JSON object"));
    };
    // Find the output object, the path to it (for line numbers) and the execution input.
    let mut input: Option<Value> = None;
    let parsed_output: Value;
    let (out, path): (&Map<String, Value>, Vec<Seg>) = if is_output(m) {
        (m, vec![])
    } else if let Some(r) = m.get("results").and_then(Value::as_object).filter(|r| is_output(r)) {
        (r, vec![Seg::Key("results")])
    } else {
        match m.get("input") {
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(v) => input = Some(v),
                Err(e) => {
                    let line = ctx.json_line(&[Seg::Key("input")]);
                    ctx.warn(line, format!("the execution input is not valid JSON ({}); function and strategy unknown", json::error_message(&e)));
                }
            },
            Some(v @ Value::Object(_)) => input = Some(v.clone()),
            _ => {}
        }
        let out_line = ctx.json_line(&[Seg::Key("output")]);
        match m.get("output") {
            Some(Value::String(s)) => {
                parsed_output = serde_json::from_str::<Value>(s).map_err(|e| ctx.error(out_line, format!("\"output\" is not valid JSON: {} at line {} column {} of the string", json::error_message(&e), e.line(), e.column())))?;
            }
            Some(v @ Value::Object(_)) => parsed_output = v.clone(),
            _ => return Err(ctx.error(Some(1), "no Power Tuning output (power, cost, duration) in this JSON")),
        }
        let o = parsed_output.as_object().ok_or_else(|| ctx.error(out_line, "\"output\" is not a JSON object"))?;
        let o = if is_output(o) { o } else { o.get("results").and_then(Value::as_object).filter(|r| is_output(r)).ok_or_else(|| ctx.error(out_line, "\"output\" has no power, cost and duration"))? };
        (o, vec![Seg::Key("output")])
    };
    let power = need(ctx, out, &path, "power", "the chosen memory size in MB")?;
    if power <= 0.0 {
        return Err(ctx.error(line_at(ctx, &path, "power"), format!("\"power\" must be a positive memory size, found {power}")));
    }
    let cost = need(ctx, out, &path, "cost", "average cost per invocation in USD")?;
    let duration = need(ctx, out, &path, "duration", "average duration in ms")?;
    let sm = out.get("stateMachine");
    let sm_num = |k: &str| sm.and_then(|s| s.get(k)).and_then(json::f64_of);
    let visualization_url = sm.and_then(|s| s.get("visualization")).and_then(Value::as_str).map(str::to_string);

    let mut points = Vec::new();
    if let Some(stats) = out.get("stats").and_then(Value::as_array) {
        for (k, s) in stats.iter().enumerate() {
            let p = (s.get("value").and_then(json::f64_of), s.get("averagePrice").and_then(json::f64_of), s.get("averageDuration").and_then(json::f64_of));
            match p {
                (Some(memory_mb), Some(avg_cost_usd), Some(avg_duration_ms)) => points.push(PowerTuningPoint { memory_mb, avg_cost_usd, avg_duration_ms }),
                _ => {
                    let mut sp = path.clone();
                    sp.extend([Seg::Key("stats"), Seg::Idx(k)]);
                    let line = ctx.json_line(&sp);
                    ctx.warn(line, format!("stats[{k}] lacks value, averagePrice or averageDuration; skipped"));
                }
            }
        }
    }
    if points.is_empty()
        && let Some(url) = &visualization_url
    {
        match decode_visualization(url) {
            Ok(p) => points = p,
            Err(why) => {
                let line = line_at(ctx, &path, "stateMachine");
                ctx.warn(line, format!("the visualization URL could not be decoded ({why}); only the optimum is known"));
            }
        }
    }
    // The optimum is a measured point too; its exact figures replace the URL's f32 ones.
    points.retain(|p| p.memory_mb != power);
    points.push(PowerTuningPoint { memory_mb: power, avg_cost_usd: cost, avg_duration_ms: duration });
    points.sort_by(|a, b| a.memory_mb.total_cmp(&b.memory_mb));
    if points.len() == 1 {
        ctx.warn(None, "only the chosen memory size is known (no stats and no decodable visualization URL)");
    }

    let lambda_arn = input.as_ref().and_then(|i| i.get("lambdaARN")).and_then(Value::as_str).map(str::to_string);
    let function = lambda_arn.as_deref().and_then(function_from_arn);
    let strategy = input.as_ref().and_then(|i| i.get("strategy")).and_then(Value::as_str).map(str::to_string);
    Ok(PowerTuning {
        function,
        lambda_arn,
        optimal_memory_mb: Some(power),
        points,
        strategy,
        execution_cost_usd: sm_num("executionCost"),
        lambda_cost_usd: sm_num("lambdaCost"),
        visualization_url,
    })
}

/// The line of `key` in the output object (or of the object itself).
fn line_at(ctx: &Ctx, path: &[Seg], key: &'static str) -> Option<u32> {
    let mut p = path.to_vec();
    p.push(Seg::Key(key));
    ctx.json_line(&p).or_else(|| ctx.json_line(path))
}

/// A required number of the output.
fn need(ctx: &Ctx, out: &Map<String, Value>, path: &[Seg], key: &'static str, what: &str) -> Result<f64, MetricsError> {
    match out.get(key) {
        Some(v) => json::f64_of(v).ok_or_else(|| ctx.error(line_at(ctx, path, key), format!("\"{key}\" ({what}) is not a number: {}", json::describe(v)))),
        None => Err(ctx.error(line_at(ctx, path, "power"), format!("Power Tuning output without \"{key}\" ({what})"))),
    }
}

/// `arn:aws:lambda:eu-west-1:123456789012:function:orders-fn[:alias]` -> `orders-fn`.
pub fn function_from_arn(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let ok = parts.next() == Some("arn") && parts.nth(1) == Some("lambda");
    let name = arn.split(':').skip_while(|p| *p != "function").nth(1);
    if ok { name.filter(|n| !n.is_empty()).map(str::to_string) } else { None }
}

/// Decodes `https://lambda-power-tuning.show/#<sizes>;<durations>;<costs>`.
pub fn decode_visualization(url: &str) -> Result<Vec<PowerTuningPoint>, String> {
    let hash = url.split_once('#').map(|(_, h)| h).ok_or("no '#' in the URL")?;
    let parts: Vec<&str> = hash.split(';').collect();
    let [sizes, durations, costs] = parts.as_slice() else {
        return Err(format!("expected 3 ';'-separated arrays, found {}", parts.len()));
    };
    let sizes = base64(sizes).ok_or("memory sizes are not base64")?;
    let durations = base64(durations).ok_or("durations are not base64")?;
    let costs = base64(costs).ok_or("costs are not base64")?;
    let n = sizes.len() / 2;
    if sizes.len() % 2 != 0 || durations.len() != n * 4 || costs.len() != n * 4 || n == 0 {
        return Err(format!("array lengths do not match ({} bytes of sizes, {} of durations, {} of costs)", sizes.len(), durations.len(), costs.len()));
    }
    let mut out = Vec::with_capacity(n);
    for ((s, d), c) in sizes.chunks_exact(2).zip(durations.chunks_exact(4)).zip(costs.chunks_exact(4)) {
        let memory = u16::from_le_bytes([s[0], s[1]]);
        let d = f32::from_le_bytes([d[0], d[1], d[2], d[3]]);
        let c = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        if memory == 0 || !d.is_finite() || !c.is_finite() {
            continue;
        }
        out.push(PowerTuningPoint { memory_mb: f64::from(memory), avg_cost_usd: widen(c), avg_duration_ms: widen(d) });
    }
    Ok(out)
}

/// An f32 as the decimal it was written from (472.455, not 472.4549865722656): the shortest
/// text that round-trips the f32, read as f64.
fn widen(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// Standard base64 (`+/`, `=` padding optional); `None` on any other character.
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visualization_url() {
        let p = decode_visualization("https://lambda-power-tuning.show/#gAAAAQACAAQACMAL;PTrsQ8YSg0OnbR9Dw5UPQyx56kKnDelC;h1GFNcRBlDV9Y7Q1ilkiNl8JhTbavcE2").unwrap();
        let mem: Vec<f64> = p.iter().map(|p| p.memory_mb).collect();
        assert_eq!(mem, [128.0, 256.0, 512.0, 1024.0, 2048.0, 3008.0]);
        assert_eq!(p[0].avg_duration_ms, 472.455);
        assert_eq!(p[0].avg_cost_usd, 9.933e-7);
        assert!(decode_visualization("https://x/#a;b").is_err());
        assert!(decode_visualization("https://x/#gAA;PTrs;h1GF").is_err());
        assert!(decode_visualization("https://lambda-power-tuning.show/#<encoded_data>").is_err());
    }

    #[test]
    fn base64_and_arns() {
        assert_eq!(base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(base64("aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(base64("a*"), None);
        assert_eq!(function_from_arn("arn:aws:lambda:eu-west-1:123456789012:function:orders-fn").as_deref(), Some("orders-fn"));
        assert_eq!(function_from_arn("arn:aws:lambda:eu-west-1:123456789012:function:orders-fn:live").as_deref(), Some("orders-fn"));
        assert_eq!(function_from_arn("orders-fn"), None);
    }
}
