//! The metrics parsers against the real samples of `tests/corpus/metrics/` (see its
//! MANIFEST.tsv) and the hand-written fixtures of `shared/tests/fixtures/metrics/`.

use super::*;

macro_rules! corpus {
    ($f:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus/metrics/", $f))
    };
}
macro_rules! fixture {
    ($f:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics/", $f))
    };
}

const CORPUS: [(&str, &str); 8] = [
    ("cw_get_metric_data_awscli_example1.json", corpus!("cw_get_metric_data_awscli_example1.json")),
    ("cw_get_metric_data_awscli_example2.json", corpus!("cw_get_metric_data_awscli_example2.json")),
    ("cw_get_metric_statistics_awscli_example1.json", corpus!("cw_get_metric_statistics_awscli_example1.json")),
    ("lambda_report_lines.tsv", corpus!("lambda_report_lines.tsv")),
    ("lambda_report_lines_by_id.tsv", corpus!("lambda_report_lines_by_id.tsv")),
    ("logs_insights_get_query_results.json", corpus!("logs_insights_get_query_results.json")),
    ("power_tuning_output_documented_README.txt", corpus!("power_tuning_output_documented_README.txt")),
    ("power_tuning_outputs_unfaasener.json", corpus!("power_tuning_outputs_unfaasener.json")),
];

const FIXTURES: [(&str, &str); 10] = [
    ("lambda_bundle.json", fixture!("lambda_bundle.json")),
    ("sqs_kinesis_response.json", fixture!("sqs_kinesis_response.json")),
    ("metrics_long.csv", fixture!("metrics_long.csv")),
    ("filter_log_events.json", fixture!("filter_log_events.json")),
    ("subscription_json_logs.json", fixture!("subscription_json_logs.json")),
    ("gms_lambda_duration.json", fixture!("gms_lambda_duration.json")),
    ("report_lines_console.txt", fixture!("report_lines_console.txt")),
    ("power_tuning_execution.json", fixture!("power_tuning_execution.json")),
    ("power_tuning_results.json", fixture!("power_tuning_results.json")),
    ("bundle_length_mismatch.json", fixture!("bundle_length_mismatch.json")),
];

const T_2210: i64 = 1_727_647_800_000; // 2024-09-29T22:10:00Z

fn ok(name: &str, text: &str) -> Parsed {
    match parse(name, text) {
        Ok(p) => p,
        Err(e) => panic!("{name} should parse: {e}"),
    }
}

fn series(p: &Parsed) -> &[Series] {
    match &p.snapshot {
        Snapshot::Series(s) => s,
        other => panic!("expected series, got {other:?}"),
    }
}

fn report(p: &Parsed) -> &ReportLog {
    match &p.snapshot {
        Snapshot::ReportLog(r) => r,
        other => panic!("expected a report log, got {other:?}"),
    }
}

fn tuning(p: &Parsed) -> &PowerTuning {
    match &p.snapshot {
        Snapshot::PowerTuning(t) => t,
        other => panic!("expected power tuning, got {other:?}"),
    }
}

fn find<'a>(s: &'a [Series], metric: &str, stat: &str) -> &'a Series {
    s.iter().find(|x| x.metric == metric && x.statistic == stat).unwrap_or_else(|| panic!("no {metric} {stat} in {s:#?}"))
}

fn values(s: &Series) -> Vec<f64> {
    s.points.iter().map(|p| p.v).collect()
}

fn assert_sorted(s: &Series) {
    assert!(s.points.windows(2).all(|w| w[0].t < w[1].t), "{} {} not strictly ascending", s.metric, s.statistic);
}

// ---- real samples --------------------------------------------------------------------------

#[test]
fn corpus_get_metric_data_responses() {
    let p = ok("ex1.json", corpus!("cw_get_metric_data_awscli_example1.json"));
    assert_eq!(p.format, Format::GetMetricDataResponse);
    let s = series(&p);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].metric, "Avg Total IOPS"); // foreign Id "m3": the label names it
    assert_eq!(s[0].label.as_deref(), Some("Avg Total IOPS"));
    assert_eq!((s[0].namespace.as_deref(), s[0].statistic.as_str(), s[0].resource_hint.as_deref()), (None, "", None));
    assert_eq!(s[0].points, vec![Point { t: T_2210, v: 96.85 }]);
    assert!(!s[0].partial);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);

    let p = ok("ex2.json", corpus!("cw_get_metric_data_awscli_example2.json"));
    let s = series(&p);
    assert_eq!((s[0].metric.as_str(), values(&s[0])), ("EstimatedCharges", vec![542.38]));
    assert_eq!(s[0].points[0].t, time::parse_timestamp("2024-09-26T12:00:00Z").unwrap());
}

#[test]
fn corpus_get_metric_statistics() {
    let p = ok("gms.json", corpus!("cw_get_metric_statistics_awscli_example1.json"));
    assert_eq!(p.format, Format::GetMetricStatistics);
    let s = series(&p);
    assert_eq!(s.len(), 1, "only Maximum is present");
    let m = &s[0];
    assert_eq!((m.metric.as_str(), m.statistic.as_str(), m.unit.as_deref(), m.namespace.as_deref()), ("CPUUtilization", "Maximum", Some("Percent"), None));
    assert_eq!(m.points.len(), 23);
    assert_sorted(m);
    // The file lists them out of order; the earliest is 2014-04-08T23:18:00Z.
    assert_eq!(m.points[0], Point { t: time::parse_timestamp("2014-04-08T23:18:00Z").unwrap(), v: m.points[0].v });
    assert_eq!(m.points.iter().map(|p| p.v).fold(f64::MIN, f64::max), 76.84);
}

/// The `report_line` column of a corpus TSV (the last column for lambda_report_lines.tsv,
/// the second for lambda_report_lines_by_id.tsv).
fn tsv_column(text: &str, col: usize) -> Vec<(usize, String)> {
    text.lines().enumerate().skip(1).filter_map(|(n, l)| l.split('\t').nth(col).map(|c| (n + 1, c.to_string()))).collect()
}

#[test]
fn corpus_report_lines() {
    let text = corpus!("lambda_report_lines.tsv");
    // Each row on its own.
    let rows = tsv_column(text, 4);
    assert_eq!(rows.len(), 17);
    for (n, line) in &rows {
        let p = ok(&format!("row{n}.txt"), line);
        assert_eq!(p.format, Format::ReportLines);
        assert_eq!(report(&p).invocations.len(), 1, "row {n}: {line}");
    }
    // The whole file: the other columns are just "other text" around the REPORT lines.
    let p = ok("lambda_report_lines.tsv", text);
    assert_eq!(p.format, Format::ReportLines);
    let r = report(&p);
    assert_eq!((r.invocations.len(), r.skipped_lines, r.function.as_deref()), (17, 0, None));
    let by_id = |id: &str| r.invocations.iter().find(|i| i.request_id == id).unwrap_or_else(|| panic!("{id}"));
    // appconfig-lambda-rust line 68 (single spaces).
    let i = by_id("04e5bb42-f791-4358-a7f9-0872d4424278");
    assert_eq!((i.duration_ms, i.billed_ms, i.memory_mb, i.max_memory_mb, i.init_ms), (198.79, 332.0, 256.0, 38.0, Some(132.79)));
    // fifo-sns-sqs line 131 (literal "\t" separators and a trailing "\t\n").
    let i = by_id("7591fa55-5523-5e8c-8daf-a0e815dd88ac");
    assert_eq!((i.duration_ms, i.billed_ms, i.memory_mb, i.max_memory_mb, i.init_ms), (1351.47, 1352.0, 128.0, 65.0, Some(261.91)));
    // activemq line 73 (runs of spaces, Init Duration first).
    let i = by_id("30acfa0a-5be4-490b-9d02-f13814482aea");
    assert_eq!((i.init_ms, i.duration_ms, i.max_memory_mb), (Some(0.42), 1218.03, 512.0));
    // SnapStart restore line of the power-tuning tests (same RequestId as the line before it).
    let snap = r.invocations.iter().find(|i| i.restore_ms.is_some()).unwrap();
    assert_eq!((snap.restore_ms, snap.billed_restore_ms, snap.init_ms, snap.billed_ms), (Some(474.16), Some(75.0), None, 500.0));
    assert_eq!(r.invocations.iter().filter(|i| i.init_ms.is_some()).count(), 13);
    assert!(p.warnings.iter().any(|w| w.contains("sam local")), "{:?}", p.warnings);
}

#[test]
fn corpus_report_lines_by_id() {
    let text = corpus!("lambda_report_lines_by_id.tsv");
    let p = ok("by_id.tsv", text);
    let r = report(&p);
    assert_eq!(r.invocations.len(), 5);
    assert_eq!(r.skipped_lines, 1, "the hand-edited fragment has no REPORT RequestId");
    assert!(p.warnings.iter().any(|w| w.starts_with("by_id.tsv:7: skipped")), "{:?}", p.warnings);
    // `sam logs`-style prefix: stream name and timestamp before REPORT.
    let i = &r.invocations[0];
    assert_eq!(i.request_id, "a5102125-3a8b-4dad-9c72-e73cde7334a6");
    assert_eq!(i.timestamp, time::parse_timestamp("2026-05-15T08:47:01.034Z"));
    assert_eq!((i.duration_ms, i.billed_ms, i.init_ms), (12.68, 309.0, Some(295.33)));
    assert_eq!(r.invocations[1].request_id, "xxxx");
    // Pre-2020 lines billed in 100 ms steps, with a space before the tab.
    let old = r.invocations.iter().find(|i| i.request_id == "b4ed494c-ef6e-11e7-a6f0-f73d0ba7827e").unwrap();
    assert_eq!((old.duration_ms, old.billed_ms, old.memory_mb, old.max_memory_mb), (904.52, 1000.0, 128.0, 41.0));
    // The fragment alone is an error that names its line.
    let fragment = &tsv_column(text, 1)[5].1;
    let e = parse("fragment.txt", fragment).unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("no \"REPORT RequestId:\""), "{e}");
}

#[test]
fn corpus_power_tuning_outputs() {
    let entries: Vec<serde_json::Value> = serde_json::from_str(corpus!("power_tuning_outputs_unfaasener.json")).unwrap();
    assert_eq!(entries.len(), 114);
    let (mut valid, mut invalid) = (0, 0);
    for (k, e) in entries.iter().enumerate() {
        let name = format!("unfaasener-{k}.json");
        match &e["output"] {
            serde_json::Value::Object(_) => {
                assert_eq!(e["valid_json"], true);
                let text = serde_json::to_string_pretty(&e["output"]).unwrap();
                let p = ok(&name, &text);
                assert_eq!(p.format, Format::PowerTuning);
                let t = tuning(&p);
                let power = e["output"]["power"].as_f64().unwrap();
                assert_eq!(t.optimal_memory_mb, Some(power));
                assert!(t.points.len() >= 2, "{name}: points decoded from the visualization URL");
                assert!(t.points.windows(2).all(|w| w[0].memory_mb < w[1].memory_mb), "{name}");
                let best = t.points.iter().find(|p| p.memory_mb == power).unwrap();
                // Within an ulp: serde_json's default float parser is not exactly round-trip.
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
                assert!(close(best.avg_cost_usd, e["output"]["cost"].as_f64().unwrap()), "{name}");
                assert!(close(best.avg_duration_ms, e["output"]["duration"].as_f64().unwrap()), "{name}");
                assert!(t.execution_cost_usd.is_some() && t.lambda_cost_usd.is_some());
                valid += 1;
            }
            serde_json::Value::String(raw) => {
                assert_eq!(e["valid_json"], false);
                let err = parse(&name, raw).unwrap_err();
                assert_eq!(err.line, Some(1), "{err}");
                assert!(err.message.contains("without its opening '{'"), "{err}");
                invalid += 1;
            }
            other => panic!("unexpected output {other:?}"),
        }
    }
    assert_eq!((valid, invalid), (112, 2));
    // The first sample, exactly: 6 sizes from 128 to 3008 MB.
    let first = serde_json::to_string(&entries[0]["output"]).unwrap();
    let t = tuning(&ok("first.json", &first)).clone();
    let mem: Vec<f64> = t.points.iter().map(|p| p.memory_mb).collect();
    assert_eq!(mem, [128.0, 256.0, 512.0, 1024.0, 2048.0, 3008.0]);
    assert_eq!(t.points[1].avg_duration_ms, 262.14667);
    assert_eq!((t.function, t.strategy), (None, None));
    // A whole corpus entry (the output under "output" as an object) reads the same.
    let entry = serde_json::to_string(&entries[0]).unwrap();
    assert_eq!(tuning(&ok("entry.json", &entry)).points.len(), 6);
}

#[test]
fn corpus_documented_readme_output_is_invalid_json() {
    let e = parse("README.txt", corpus!("power_tuning_output_documented_README.txt")).unwrap_err();
    assert_eq!(e.line, Some(11), "{e}");
    assert!(e.to_string().starts_with("README.txt:11: not valid JSON (column "), "{e}");
    assert!(e.message.ends_with("(the line holds a literal \"...\": an elided documentation example, not real output)"), "{e}");
    // Without the literal "...", the documented shape parses.
    let fixed = corpus!("power_tuning_output_documented_README.txt").replace(", ... ]", "]");
    let p = ok("README-fixed.json", &fixed);
    let t = tuning(&p);
    assert_eq!(t.optimal_memory_mb, Some(128.0));
    assert_eq!(t.points, vec![PowerTuningPoint { memory_mb: 128.0, avg_cost_usd: 0.0000002083, avg_duration_ms: 2.9066666666666667 }]);
}

#[test]
fn corpus_logs_insights_mocks_are_refused_clearly() {
    // An array of {source, response} wrappers around mock responses: not a metrics format.
    let e = parse("insights.json", corpus!("logs_insights_get_query_results.json")).unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.starts_with("not a recognised metrics format"), "{e}");
    // One mock response on its own: Logs Insights rows without @message say how to re-run.
    let all: serde_json::Value = serde_json::from_str(corpus!("logs_insights_get_query_results.json")).unwrap();
    let one = serde_json::to_string_pretty(&all[0]["response"]).unwrap();
    let e = parse("insights-one.json", &one).unwrap_err();
    assert!(e.message.contains("@message"), "{e}");
    // The second mock has @message rows, none of them REPORT lines: a warning, no invocation.
    let two = serde_json::to_string_pretty(&all[1]["response"]).unwrap();
    let p = ok("insights-two.json", &two);
    assert_eq!((p.format, report(&p).invocations.len()), (Format::LogEventsJson, 0));
    assert!(p.warnings.iter().any(|w| w.contains("none of the 1 log events")), "{:?}", p.warnings);
}

// ---- hand-written fixtures -----------------------------------------------------------------

#[test]
fn fixture_lambda_bundle() {
    let p = ok("lambda_bundle.json", fixture!("lambda_bundle.json"));
    assert_eq!(p.format, Format::GetMetricDataBundle);
    let s = series(&p);
    assert_eq!(s.len(), 6);
    let fname = ("FunctionName".to_string(), "orders-stack-OrdersFunction-Xk2pQ9aLmN3b".to_string());
    let avg = find(s, "Duration", "Average");
    assert_eq!((avg.namespace.as_deref(), avg.unit.as_deref(), avg.period_s), (Some("AWS/Lambda"), Some("Milliseconds"), Some(300)));
    assert_eq!(avg.dimensions, vec![fname.clone()]);
    assert_eq!(avg.resource_hint.as_deref(), Some("OrdersFunction"));
    assert_eq!(values(avg), [402.16, 1290.55, 388.91, 412.37]); // newest-first in the file
    assert_sorted(avg);
    let p99 = find(s, "Duration", "p99");
    assert_eq!((p99.points.len(), p99.unit.as_deref()), (3, None)); // the null is dropped
    let throttles = find(s, "Throttles", "Sum");
    assert!(throttles.points.is_empty() && throttles.resource_hint.is_none() && throttles.dimensions == vec![fname]);
    let errors = find(s, "Errors", "Sum");
    assert!(errors.partial);
    assert!(!find(s, "Invocations", "Sum").partial);
    let rate = find(s, "ErrorRatePercent", "");
    assert_eq!((rate.namespace.as_deref(), rate.period_s, rate.points.len()), (None, Some(300), 3));
    assert!(p.warnings.iter().any(|w| w.contains("\"errors\" is partial")), "{:?}", p.warnings);
    assert!(p.warnings.iter().any(|w| w.contains("1 missing value")), "{:?}", p.warnings);
}

#[test]
fn fixture_response_with_archlens_ids() {
    let p = ok("sqs_kinesis_response.json", fixture!("sqs_kinesis_response.json"));
    assert_eq!(p.format, Format::GetMetricDataResponse);
    let s = series(&p);
    let age = find(s, "ApproximateAgeOfOldestMessage", "Maximum");
    assert_eq!((age.namespace.as_deref(), age.resource_hint.as_deref()), (Some("AWS/SQS"), Some("OrdersQueue")));
    assert_eq!(values(age), [12.0, 61.0, 290.0, 355.0, 412.0, 498.0]);
    assert_sorted(age);
    let it = find(s, "GetRecords.IteratorAgeMilliseconds", "Maximum");
    assert_eq!((it.namespace.as_deref(), it.resource_hint.as_deref(), values(it)), (Some("AWS/Kinesis"), Some("OrdersStream"), vec![1450.0, 0.0]));
    let foreign = find(s, "orders-dlq ApproximateNumberOfMessagesVisible", "");
    assert_eq!((foreign.namespace.as_deref(), foreign.resource_hint.as_deref()), (None, None));
}

#[test]
fn fixture_csv() {
    let p = ok("metrics_long.csv", fixture!("metrics_long.csv"));
    assert_eq!(p.format, Format::Csv);
    let s = series(&p);
    assert_eq!(s.len(), 5);
    let avg = find(s, "Duration", "Average");
    assert_eq!((avg.namespace.as_deref(), avg.unit.as_deref()), (Some("AWS/Lambda"), Some("Milliseconds")));
    assert_eq!(avg.dimensions, vec![("FunctionName".to_string(), "orders-fn".to_string())]);
    assert_eq!(values(avg), [402.16, 1290.55, 388.91]);
    assert_eq!(values(find(s, "Duration", "p99")), [2890.07]); // "P99" normalised; empty and NaN skipped
    assert_eq!(values(find(s, "Throttles", "Sum")), [0.0, 14.0]); // "sum" normalised
    let age = find(s, "ApproximateAgeOfOldestMessage", "Maximum");
    assert_eq!((age.unit.as_deref(), age.points.clone()), (Some("Seconds"), vec![Point { t: T_2210 - 300_000, v: 412.0 }, Point { t: T_2210, v: 498.0 }]));
    let alb = find(s, "TargetResponseTime", "p99");
    assert_eq!(alb.dimensions[0].1, "app/orders-alb/50dc6c495c0c9188");
    assert_eq!(alb.points, vec![Point { t: T_2210, v: 1.84 }]);
    assert!(p.warnings.iter().any(|w| w.contains("2 empty or NaN")), "{:?}", p.warnings);
}

#[test]
fn fixture_filter_log_events() {
    let p = ok("filter_log_events.json", fixture!("filter_log_events.json"));
    assert_eq!(p.format, Format::LogEventsJson);
    let r = report(&p);
    assert_eq!((r.function.as_deref(), r.invocations.len(), r.skipped_lines), (Some("orders-fn"), 3, 0));
    let cold = &r.invocations[0];
    assert_eq!((cold.init_ms, cold.timestamp), (Some(612.33), Some(1_727_647_812_951)));
    assert_eq!(cold.xray_trace_id.as_deref(), Some("1-66f9d0e4-3b1c5a7d9e2f4b6c8d0e1f2a"));
    assert_eq!(r.invocations[2].status.as_deref(), Some("timeout"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn fixture_subscription_payload_with_json_logs() {
    let p = ok("subscription_json_logs.json", fixture!("subscription_json_logs.json"));
    assert_eq!(p.format, Format::LogEventsJson);
    let r = report(&p);
    assert_eq!((r.function.as_deref(), r.invocations.len()), (Some("payments-fn"), 2));
    assert_eq!((r.invocations[0].init_ms, r.invocations[0].memory_mb), (Some(1187.9), 1024.0));
    assert_eq!(r.invocations[1].error_type.as_deref(), Some("Runtime.UnhandledPromiseRejection"));
}

#[test]
fn fixture_get_metric_statistics() {
    let p = ok("gms_lambda_duration.json", fixture!("gms_lambda_duration.json"));
    let s = series(&p);
    let stats: Vec<&str> = s.iter().map(|x| x.statistic.as_str()).collect();
    assert_eq!(stats, ["Average", "Maximum", "p99"]);
    assert_eq!(values(&s[2]), [910.0, 2890.07, 873.44]);
    assert!(s.iter().all(|x| x.unit.as_deref() == Some("Milliseconds") && x.metric == "Duration"));
}

#[test]
fn fixture_console_copy() {
    let p = ok("report_lines_console.txt", fixture!("report_lines_console.txt"));
    let r = report(&p);
    assert_eq!((r.invocations.len(), r.skipped_lines), (4, 1));
    assert_eq!(r.invocations[0].timestamp, time::parse_timestamp("2024-09-29T20:10:12.951Z"));
    assert_eq!(r.invocations[3].xray_trace_id.as_deref(), Some("1-66f9d1a2-0b1c2d3e4f5a6b7c8d9e0f1a"));
    assert!(p.warnings.iter().any(|w| w.starts_with("report_lines_console.txt:8: skipped: REPORT line without Max Memory Used")), "{:?}", p.warnings);
}

#[test]
fn fixture_power_tuning_shapes() {
    let p = ok("power_tuning_execution.json", fixture!("power_tuning_execution.json"));
    let t = tuning(&p);
    assert_eq!((t.function.as_deref(), t.strategy.as_deref(), t.optimal_memory_mb), (Some("orders-fn"), Some("cost"), Some(512.0)));
    assert_eq!(t.points.len(), 5);
    assert_eq!(t.points[4], PowerTuningPoint { memory_mb: 1769.0, avg_cost_usd: 2.7637e-6, avg_duration_ms: 94.73 });
    let p = ok("power_tuning_results.json", fixture!("power_tuning_results.json"));
    let t = tuning(&p);
    assert_eq!((t.optimal_memory_mb, t.points.len(), t.function.as_deref()), (Some(256.0), 4, None));
    // Without stats the same curve comes from the visualization URL.
    let mut v: serde_json::Value = serde_json::from_str(fixture!("power_tuning_results.json")).unwrap();
    v["results"].as_object_mut().unwrap().remove("stats");
    let t2 = tuning(&ok("no-stats.json", &v.to_string())).clone();
    assert_eq!(t2.points, t.points);
}

// ---- errors --------------------------------------------------------------------------------

#[test]
fn error_length_mismatch_names_file_line_and_id() {
    let e = parse("bundle_length_mismatch.json", fixture!("bundle_length_mismatch.json")).unwrap_err();
    assert_eq!(e.to_string(), "bundle_length_mismatch.json:17: MetricDataResults[0] (Id \"m1\") has 3 Timestamps but 2 Values");
}

#[test]
fn error_unrecognised() {
    let e = parse("x.txt", "hello\nworld\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.txt:1: not a recognised metrics format: expected CloudWatch GetMetricData/GetMetricStatistics JSON, a CSV with header timestamp,namespace,metric,..., Lambda REPORT lines, or Lambda Power Tuning output"
    );
    let e = parse("k.json", "{\n  \"foo\": 1\n}").unwrap_err();
    assert!(e.message.contains("keys: foo"), "{e}");
    assert_eq!(parse("e.txt", "  \n").unwrap_err().to_string(), "e.txt: the file is empty");
    let e = parse("q.json", "[{\"Id\": \"m1\", \"MetricStat\": {}}]").unwrap_err();
    assert!(e.message.contains("without results"), "{e}");
}

#[test]
fn error_too_big() {
    let big = " ".repeat(MAX_METRICS_BYTES + 1);
    let e = parse("big.json", &big).unwrap_err();
    assert!(e.message.contains("limited to 20 MB"), "{e}");
}

#[test]
fn error_csv_rows_name_their_line() {
    let head = "timestamp,namespace,metric,dimension_name,dimension_value,statistic,value\n";
    let e = parse("m.csv", &format!("{head}2024-09-29T22:10:00Z,AWS/Lambda,Errors,FunctionName,f,Sum,1\n\n2024-09-29T22:15:00Z,AWS/Lambda,Errors,FunctionName,f,Sum,lots\n")).unwrap_err();
    assert_eq!(e.to_string(), "m.csv:4: value is not a number: \"lots\"");
    let e = parse("m.csv", &format!("{head}yesterday,AWS/Lambda,Errors,FunctionName,f,Sum,1\n")).unwrap_err();
    assert_eq!(e.line, Some(2));
    let e = parse("m.csv", &format!("{head}2024-09-29T22:10:00Z,AWS/Lambda,Errors\n")).unwrap_err();
    assert!(e.message.contains("expected 7 columns"), "{e}");
    let e = parse("m.csv", "timestamp,metric,value\n1,2,3\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.starts_with("CSV header must be timestamp,namespace,metric"), "{e}");
    // `;` and a decimal comma, as some spreadsheets export.
    let p = ok("semi.csv", "\u{feff}Timestamp;Namespace;Metric;Dimension_Name;Dimension_Value;Statistic;Value;Unit\r\n2024-09-29T22:10:00Z;AWS/Lambda;Duration;FunctionName;f;Average;12,5;ms\r\n");
    assert_eq!(series(&p)[0].points, vec![Point { t: T_2210, v: 12.5 }]);
}

#[test]
fn error_json_values() {
    let e = parse("t.json", "{\"MetricDataResults\": [{\"Id\": \"m1\",\n \"Timestamps\": [\"2024-09-29T22:10:00Z\", \"soon\"],\n \"Values\": [1, 2]}]}").unwrap_err();
    assert_eq!(e.to_string(), "t.json:2: MetricDataResults[0] (Id \"m1\"): Timestamps[1] is not a timestamp: \"soon\"");
    let e = parse("v.json", "{\"MetricDataResults\": [{\"Id\": \"m1\", \"Timestamps\": [1727647800], \"Values\": [true]}]}").unwrap_err();
    assert!(e.message.contains("Values[0] is not a number: true"), "{e}");
    let e = parse("s.json", "{\"Datapoints\": [{\"Sum\": 1}]}").unwrap_err();
    assert!(e.message.contains("Datapoints[0] has no valid Timestamp"), "{e}");
}

// ---- edge cases ----------------------------------------------------------------------------

#[test]
fn pages_nan_duplicates_and_next_token() {
    let pages = r#"[
      {"MetricDataResults": [{"Id": "m1", "Label": "Errors", "Timestamps": ["2024-09-29T22:10:00Z", "2024-09-29T22:05:00Z"], "Values": [1, 2], "StatusCode": "PartialData"}], "NextToken": "abc"},
      {"MetricDataResults": [{"Id": "m1", "Label": "Errors", "Timestamps": ["2024-09-29T22:00:00Z", "2024-09-29T22:10:00Z"], "Values": [3, NaN], "StatusCode": "Complete"}]}
    ]"#;
    let p = ok("pages.json", pages);
    let s = series(&p);
    assert_eq!(s.len(), 1);
    assert!(!s[0].partial, "the last page is Complete and has no NextToken");
    assert_eq!(values(&s[0]), [3.0, 2.0, 1.0]);
    assert!(p.warnings.iter().any(|w| w.contains("NaN")), "{:?}", p.warnings);

    let one = r#"{"MetricDataResults": [{"Id": "m1", "Timestamps": [1727647800000, 1727647800], "Values": [1, 5]}], "NextToken": "abc"}"#;
    let p = ok("one.json", one);
    let s = series(&p);
    assert!(s[0].partial);
    assert_eq!(s[0].points, vec![Point { t: T_2210, v: 5.0 }], "same time twice: the last wins");
    assert!(p.warnings.iter().any(|w| w.contains("NextToken")), "{:?}", p.warnings);
}

#[test]
fn report_lines_json_lines_and_plain_events_array() {
    let jsonl = "{\"time\":\"2024-05-15T08:47:01.034Z\",\"type\":\"platform.start\",\"record\":{\"requestId\":\"r1\"}}\n{\"time\":\"2024-05-15T08:47:01.200Z\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"r1\",\"metrics\":{\"durationMs\":5.2,\"billedDurationMs\":6,\"memorySizeMB\":128,\"maxMemoryUsedMB\":60}}}\n";
    let p = ok("logs.jsonl", jsonl);
    assert_eq!((p.format, report(&p).invocations.len()), (Format::ReportLines, 1));
    let pretty = "{\n  \"time\": \"2024-05-15T08:47:01.200Z\",\n  \"type\": \"platform.report\",\n  \"record\": {\"requestId\": \"r1\", \"metrics\": {\"durationMs\": 5.2, \"billedDurationMs\": 6, \"memorySizeMB\": 128, \"maxMemoryUsedMB\": 60}}\n}";
    let p = ok("record.json", pretty);
    assert_eq!((p.format, report(&p).invocations[0].billed_ms), (Format::ReportLines, 6.0));
    let arr = r#"[{"timestamp": 1727647800000, "message": "REPORT RequestId: r2\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB"}]"#;
    let p = ok("events.json", arr);
    let r = report(&p);
    assert_eq!((p.format, r.invocations[0].timestamp), (Format::LogEventsJson, Some(T_2210)));
}

#[test]
fn metrics_error_display() {
    let e = MetricsError { file: "cw.json".into(), line: Some(12), message: "boom".into() };
    assert_eq!(e.to_string(), "cw.json:12: boom");
    let e = MetricsError { file: "cw.json".into(), line: None, message: "boom".into() };
    assert_eq!(e.to_string(), "cw.json: boom");
}

// ---- never panic ---------------------------------------------------------------------------

/// Every prefix (at char boundaries) of every sample and fixture; strided for the large one.
#[test]
fn no_panic_on_prefixes() {
    for (name, text) in CORPUS.iter().chain(FIXTURES.iter()) {
        let bounds: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        // The 76 kB power-tuning corpus: its first 2,000 prefixes, then 500 spread over the rest
        // (all 76k would parse 3 GB of JSON for no new shape).
        let step = if bounds.len() > 12_000 { bounds.len() / 500 } else { 1 };
        let head = if step > 1 { 2_000 } else { 0 };
        for &cut in bounds.iter().take(head).chain(bounds.iter().skip(head).step_by(step)) {
            let _ = parse(name, &text[..cut]);
        }
    }
}

/// A small xorshift generator: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn no_panic_on_random_and_mutated_inputs() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    const PIECES: [&str; 36] = [
        "{", "}", "[", "]", ",", ":", "\"", "\n", "\t", "\\t", " ", "NaN", "null", "-", ".", "1", "e9", "é", "\u{feff}",
        "\"MetricDataResults\"", "\"MetricDataQueries\"", "\"Timestamps\"", "\"Values\"", "\"Id\"", "\"Datapoints\"", "\"events\"", "\"message\"",
        "\"power\"", "\"cost\"", "\"output\"", "REPORT RequestId:", "Duration:", "Billed Duration:", "timestamp,namespace,metric,dimension_name,dimension_value,statistic,value",
        "2024-09-29T22:10:00Z", "platform.report",
    ];
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..rng.below(40) {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        }
        let _ = parse("random", &s);
    }
    // Mutations of the real files: replace, delete or duplicate a random slice.
    for (name, text) in CORPUS.iter().chain(FIXTURES.iter()) {
        let chars: Vec<char> = text.chars().collect();
        for _ in 0..if text.len() > 20_000 { 20 } else { 150 } {
            let mut c = chars.clone();
            for _ in 0..1 + rng.below(4) {
                if c.is_empty() {
                    break;
                }
                let at = rng.below(c.len());
                match rng.below(3) {
                    0 => c[at] = PIECES[rng.below(PIECES.len())].chars().next().unwrap_or('x'),
                    1 => {
                        let end = (at + rng.below(20)).min(c.len());
                        c.drain(at..end);
                    }
                    _ => {
                        let end = (at + rng.below(20)).min(c.len());
                        let dup: Vec<char> = c[at..end].to_vec();
                        c.splice(at..at, dup);
                    }
                }
            }
            let s: String = c.into_iter().collect();
            let _ = parse(name, &s);
        }
    }
}

/// Hostile shapes: deep nesting, huge numbers, absurd lines.
#[test]
fn no_panic_on_hostile_inputs() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse("deep.json", &deep).is_err());
    let deep_obj = format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
    assert!(parse("deep.json", &deep_obj).is_err());
    let _ = parse("n.json", "{\"MetricDataResults\": [{\"Id\": \"m\", \"Timestamps\": [1e308, -1e308, 99999999999999999999], \"Values\": [1e308, -0.0, 1]}]}");
    let _ = parse("p.json", "{\"power\": 1e308, \"cost\": -1, \"duration\": \"x\"}");
    let _ = parse("p.json", "{\"power\": 128, \"cost\": 1, \"duration\": 1, \"stateMachine\": {\"visualization\": \"#;;\"}}");
    let long = format!("REPORT RequestId: {}", "Duration: ".repeat(50_000));
    let _ = parse("long.txt", &long);
    let _ = parse("q.csv", "timestamp,namespace,metric,dimension_name,dimension_value,statistic,value\n\"unterminated");
}
