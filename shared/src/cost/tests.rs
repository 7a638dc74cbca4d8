//! Every figure here is checked against a hand calculation written out as arithmetic.

use super::*;
use crate::metrics::{self, Point, PowerTuning, ReportLog, Series, Snapshot};

fn prices() -> &'static Prices {
    Prices::embedded()
}

/// `a` equals `b` within a relative 1e-9 (float noise only).
#[track_caller]
fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12), "{a} != {b}");
}

// ---------------------------------------------------------------- prices

#[test]
fn price_file_is_valid_positive_and_arm_is_cheaper() {
    let p = Prices::parse(PRICES_YAML).unwrap();
    assert_eq!(p.region, "us-east-1");
    assert_eq!(p.currency, "USD");
    assert_eq!(p.as_of, "2025-01");
    assert!(p.sources.iter().any(|s| s == "https://aws.amazon.com/lambda/pricing/"));
    assert!(p.sources.iter().any(|s| s == "https://aws.amazon.com/api-gateway/pricing/"));
    assert!(p.problems().is_empty(), "{:?}", p.problems());

    let l = &p.lambda;
    let x86: Vec<f64> = l.duration_usd_per_gb_second.x86_64.iter().map(|t| t.usd).collect();
    let arm: Vec<f64> = l.duration_usd_per_gb_second.arm64.iter().map(|t| t.usd).collect();
    assert_eq!(x86, [0.0000166667, 0.000015, 0.0000133334]);
    assert_eq!(arm, [0.0000133334, 0.0000120001, 0.0000106667]);
    let x86_ends: Vec<Option<f64>> = l.duration_usd_per_gb_second.x86_64.iter().map(|t| t.up_to).collect();
    let arm_ends: Vec<Option<f64>> = l.duration_usd_per_gb_second.arm64.iter().map(|t| t.up_to).collect();
    assert_eq!(x86_ends, [Some(6e9), Some(15e9), None]); // 6B, then 9B more
    assert_eq!(arm_ends, [Some(7.5e9), Some(18.75e9), None]); // 7.5B, then 11.25B more
    for (x, a) in x86.iter().zip(&arm) {
        assert!(x > &0.0 && a > &0.0 && a < x);
    }
    assert_eq!(l.requests_usd_per_million, 0.20);
    let pc = &l.provisioned_concurrency;
    assert_eq!((pc.x86_64.concurrency_usd_per_gb_second, pc.x86_64.duration_usd_per_gb_second), (0.0000041667, 0.0000097222));
    assert_eq!((pc.arm64.concurrency_usd_per_gb_second, pc.arm64.duration_usd_per_gb_second), (0.0000033334, 0.0000077778));
    assert!(pc.arm64.concurrency_usd_per_gb_second < pc.x86_64.concurrency_usd_per_gb_second);
    assert!(pc.arm64.duration_usd_per_gb_second < pc.x86_64.duration_usd_per_gb_second);
    assert_eq!((l.free_tier.requests_per_month, l.free_tier.gb_seconds_per_month), (1e6, 400_000.0));
    let a = &p.api_gateway;
    assert_eq!((a.rest_usd_per_million_requests[0].up_to, a.rest_usd_per_million_requests[0].usd), (Some(333e6), 3.50));
    assert_eq!((a.http_usd_per_million_requests[0].up_to, a.http_usd_per_million_requests[0].usd), (Some(300e6), 1.00));
    // ~20 % cheaper: 0.0000133334 / 0.0000166667 = 0.800002
    close(p.gb_second_usd(Arch::Arm64) / p.gb_second_usd(Arch::X86_64), 0.0000133334 / 0.0000166667);
    assert_eq!(Prices::embedded(), &p);
}

#[test]
fn broken_price_files_are_refused() {
    let arm_dearer = PRICES_YAML.replace("{ up_to: 7500000000, usd: 0.0000133334 }", "{ up_to: 7500000000, usd: 0.00002 }");
    let e = Prices::parse(&arm_dearer).unwrap_err();
    assert!(e.contains("arm64 duration tier 1 ($0.00002) is not cheaper than x86_64"), "{e}");
    let rising = PRICES_YAML.replace("{ usd: 0.0000133334 }", "{ usd: 0.00002 }");
    assert!(Prices::parse(&rising).unwrap_err().contains("x86_64 tier 3 is dearer than the tier before"));
    let negative = PRICES_YAML.replace("requests_usd_per_million: 0.20", "requests_usd_per_million: -0.20");
    assert!(Prices::parse(&negative).unwrap_err().contains("requests_usd_per_million must be a positive number"));
    let unordered = PRICES_YAML.replace("{ up_to: 15000000000, usd: 0.000015 }", "{ up_to: 5000000000, usd: 0.000015 }");
    assert!(Prices::parse(&unordered).unwrap_err().contains("not after"));
    let unknown = PRICES_YAML.replace("currency: USD", "currency: USD\ncurrencies: x");
    assert!(Prices::parse(&unknown).unwrap_err().contains("unknown field"));
}

// ---------------------------------------------------------------- monthly cost

/// 10M requests × 120 ms avg billed at 512 MB, x86.
fn ten_million() -> LambdaUsage {
    LambdaUsage::new(10e6, 120.0, 512.0, Arch::X86_64)
}

#[test]
fn monthly_cost_of_ten_million_requests() {
    let c = monthly_cost(prices(), &ten_million());
    // GB-s = 10e6 × 0.120 s × 0.5 GB = 600,000
    close(c.gb_seconds, 600_000.0);
    // compute = 600,000 × 0.0000166667 = $10.00002
    close(c.compute_usd, 10.00002);
    // requests = 10e6 × $0.20 / 1e6 = $2.00
    close(c.requests_usd, 2.0);
    assert_eq!(c.init_usd, 0.0);
    // total = $12.00002
    close(c.total_usd, 12.00002);

    // With the free tier: (600,000 − 400,000) × 0.0000166667 = $3.33334
    //                     (10M − 1M) × $0.20 / 1e6           = $1.80
    let c = monthly_cost(prices(), &LambdaUsage { free_tier: true, ..ten_million() });
    close(c.compute_usd, 200_000.0 * 0.0000166667);
    close(c.compute_usd, 3.33334);
    close(c.requests_usd, 1.80);
    close(c.billable_requests, 9e6);
    close(c.total_usd, 3.33334 + 1.80);

    // Entirely inside the free tier: 1M × 0.1 s × 1 GB = 100,000 GB-s < 400,000; 1M requests.
    let c = monthly_cost(prices(), &LambdaUsage { free_tier: true, ..LambdaUsage::new(1e6, 100.0, 1024.0, Arch::X86_64) });
    assert_eq!(c.total_usd, 0.0);
}

#[test]
fn tier_boundaries() {
    // 1 GB functions, so GB-s = requests × seconds.
    let x86 = |gb_s: f64| monthly_cost(prices(), &LambdaUsage::new(1e9, gb_s / 1e9 * 1000.0, 1024.0, Arch::X86_64)).compute_usd;
    let arm = |gb_s: f64| monthly_cost(prices(), &LambdaUsage::new(1e9, gb_s / 1e9 * 1000.0, 1024.0, Arch::Arm64)).compute_usd;
    // Exactly 6B GB-s: all in tier 1: 6e9 × 0.0000166667 = $100,000.20
    close(x86(6e9), 100_000.2);
    // 7B: 6e9 × 0.0000166667 + 1e9 × 0.000015 = 100,000.2 + 15,000 = $115,000.20
    close(x86(7e9), 115_000.2);
    // 15B: 100,000.2 + 9e9 × 0.000015 = 100,000.2 + 135,000 = $235,000.20
    close(x86(15e9), 235_000.2);
    // 20B: 235,000.2 + 5e9 × 0.0000133334 = 235,000.2 + 66,667 = $301,667.20
    close(x86(20e9), 301_667.2);
    // arm64 tier 1 ends at 7.5B: 7.5e9 × 0.0000133334 = $100,000.50
    close(arm(7.5e9), 100_000.5);
    // 8B arm64: 100,000.5 + 0.5e9 × 0.0000120001 = 100,000.5 + 6,000.05 = $106,000.55
    close(arm(8e9), 106_000.55);
    // 20B arm64: 100,000.5 + 11.25e9 × 0.0000120001 + 1.25e9 × 0.0000106667
    //          = 100,000.5 + 135,001.125 + 13,333.375 = $248,335.00
    close(arm(20e9), 248_335.0);
    // the tiers function itself, on requests: 500M REST = 333M × $3.50 + 167M × $2.80
    close(tiered_usd(&prices().api_gateway.rest_usd_per_million_requests, 500e6, 1e6), 1165.5 + 467.6);
}

#[test]
fn init_billing_is_marginal_duration() {
    // 1M requests × 100 ms at 1,024 MB, 10,000 cold starts × 500 ms INIT.
    let u = LambdaUsage { init_billed_ms_per_month: 10_000.0 * 500.0, ..LambdaUsage::new(1e6, 100.0, 1024.0, Arch::X86_64) };
    let c = monthly_cost(prices(), &u);
    // handler GB-s = 1e6 × 0.1 × 1 = 100,000 -> $1.66667
    close(c.compute_usd, 1.66667);
    // INIT GB-s = 5,000,000 ms / 1000 × 1 GB = 5,000 -> 5,000 × 0.0000166667 = $0.0833335
    close(c.init_gb_seconds, 5_000.0);
    close(c.init_usd, 0.0833335);
    close(c.gb_seconds, 105_000.0);
    close(c.total_usd, 1.66667 + 0.0833335 + 0.20);
    // With the free tier the 400,000 GB-s cover both: nothing to pay.
    let c = monthly_cost(prices(), &LambdaUsage { free_tier: true, ..u });
    assert_eq!((c.compute_usd, c.init_usd, c.requests_usd), (0.0, 0.0, 0.0));
}

#[test]
fn provisioned_concurrency_prices() {
    // AWS's example shape: 1,000 environments × 1,024 MB for 2 h:
    // 1,000 × 1 GB × 7,200 s = 7,200,000 GB-s × 0.0000041667 = $30.00024
    close(provisioned_concurrency_monthly(prices(), 1024.0, 1000.0, Arch::X86_64, Some(2.0), 0.0), 30.00024);
    // 5 × 1 GB for the default 730 h = 5 × 730 × 3,600 = 13,140,000 GB-s × 0.0000041667 = $54.750438
    // plus 1,000,000 GB-s served × 0.0000097222 = $9.7222
    close(provisioned_concurrency_monthly(prices(), 1024.0, 5.0, Arch::X86_64, None, 1e6), 54.750438 + 9.7222);
    // arm64: 13,140,000 × 0.0000033334 = $43.800876
    close(provisioned_concurrency_monthly(prices(), 1024.0, 5.0, Arch::Arm64, None, 0.0), 43.800876);
}

// ---------------------------------------------------------------- observations

fn report_log(text: &str) -> ReportLog {
    match metrics::parse("report.txt", text).unwrap().snapshot {
        Snapshot::ReportLog(log) => log,
        other => panic!("{other:?}"),
    }
}

const FOUR_LINES: &str = "\
2024-05-15T08:00:00.000Z REPORT RequestId: a1\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB\t
2024-05-15T08:20:00.000Z REPORT RequestId: a2\tDuration: 50.00 ms\tBilled Duration: 50 ms\tMemory Size: 512 MB\tMax Memory Used: 82 MB\t
2024-05-15T08:40:00.000Z REPORT RequestId: a3\tDuration: 0.40 ms\tBilled Duration: 1 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tInit Duration: 250.70 ms
2024-05-15T09:00:00.000Z REPORT RequestId: a4\tDuration: 12.68 ms\tBilled Duration: 309 ms\tMemory Size: 512 MB\tMax Memory Used: 93 MB\tInit Duration: 295.33 ms
";

#[test]
fn report_lines_are_billed_per_invocation_rounded_up() {
    let o = usage_from_report_log(&report_log(FOUR_LINES), Some(1.0), None).unwrap();
    assert_eq!((o.invocations, o.cold_starts), (4, 2));
    close(o.cold_start_share, 0.5);
    // ceil per invocation: 102.25 -> 103, 50.00 -> 50, 0.40 -> 1, 12.68 -> 13
    close(o.billed_ms.avg, (103.0 + 50.0 + 1.0 + 13.0) / 4.0); // 41.75
    // with INIT: ceil(0.40 + 250.70) = ceil(251.10) = 252; ceil(12.68 + 295.33) = ceil(308.01) = 309
    close(o.billed_with_init_ms.avg, (103.0 + 50.0 + 252.0 + 309.0) / 4.0);
    // INIT adds 252 − 1 = 251 and 309 − 13 = 296 billed ms: 273.5 on average per cold start
    close(o.avg_init_billed_ms.unwrap(), (251.0 + 296.0) / 2.0);
    close(o.avg_init_ms.unwrap(), (250.70 + 295.33) / 2.0);
    // as logged: 103, 50, 1, 309
    close(o.reported_billed_ms.avg, (103.0 + 50.0 + 1.0 + 309.0) / 4.0);
    // nearest rank over [0.40, 12.68, 50.00, 102.25]: p50 = rank ceil(0.5 × 4) = 2 -> 12.68;
    // p95 = rank ceil(3.8) = 4 -> 102.25; p99 = rank ceil(3.96) = 4 -> 102.25
    assert_eq!((o.duration_ms.p50, o.duration_ms.p95, o.duration_ms.p99), (12.68, 102.25, 102.25));
    assert_eq!((o.duration_ms.min, o.duration_ms.max), (0.40, 102.25));
    assert_eq!((o.billed_ms.p50, o.billed_ms.p99), (13.0, 103.0));
    assert_eq!((o.memory_mb, o.max_memory_used_mb), (512.0, 93.0));
    close(o.memory_used_share, 93.0 / 512.0);
    close(o.min_memory_mb(0.10), 102.3); // 93 × 1.1
    // 4 invocations in the given 1 h -> 4 × 720 = 2,880 requests a month
    close(o.requests_per_month.unwrap(), 2880.0);
    // INIT per month: (251 + 296) / 4 per invocation × 2,880 = 136.75 × 2,880 = 393,840 ms
    close(o.init_billed_ms_per_month.unwrap(), 393_840.0);

    let u = o.usage(Arch::X86_64, false).unwrap();
    close(u.avg_billed_ms, 41.75);
    // GB-s = 2,880 × 0.04175 s × 0.5 GB = 60.12; INIT 393.84 s × 0.5 = 196.92
    let c = monthly_cost(prices(), &u);
    close(c.gb_seconds, 60.12 + 196.92);
    close(c.compute_usd, 60.12 * 0.0000166667);
    close(c.init_usd, 196.92 * 0.0000166667);
    close(c.requests_usd, 2880.0 * 0.2e-6);
}

#[test]
fn report_lines_window_from_timestamps_and_given_monthly_count() {
    let log = report_log(FOUR_LINES);
    // 08:00 to 09:00 = 1 h; rate = (4 − 1) / 1 h = 3 per hour -> 3 × 720 = 2,160 a month
    let o = usage_from_report_log(&log, None, None).unwrap();
    close(o.period_hours.unwrap(), 1.0);
    close(o.requests_per_month.unwrap(), 2160.0);
    // a given monthly count wins: INIT scales with it: 136.75 × 1e6
    let o = usage_from_report_log(&log, None, Some(1e6)).unwrap();
    close(o.requests_per_month.unwrap(), 1e6);
    close(o.init_billed_ms_per_month.unwrap(), 136.75e6);
    // no timestamps and no period: the monthly count is unknown
    let bare = FOUR_LINES.lines().map(|l| l.split_once(' ').unwrap().1).collect::<Vec<_>>().join("\n");
    let o = usage_from_report_log(&report_log(&bare), None, None).unwrap();
    assert_eq!(o.requests_per_month, None);
    assert!(o.usage(Arch::X86_64, false).is_none());
    assert!(o.notes.iter().any(|n| n.contains("unknown")));
    assert!(usage_from_report_log(&ReportLog { function: None, invocations: vec![], skipped_lines: 0 }, None, None).is_err());
}

#[test]
fn old_lines_and_corpus_lines() {
    // 100 ms-era line: Duration 904.52 billed 1000 then; ceil today = 905.
    let text = "REPORT RequestId: b4ed494c\tDuration: 904.52 ms\tBilled Duration: 1000 ms \tMemory Size: 128 MB\tMax Memory Used: 41 MB\t\n";
    let o = usage_from_report_log(&report_log(text), Some(1.0), None).unwrap();
    assert_eq!((o.billed_ms.avg, o.reported_billed_ms.avg), (905.0, 1000.0));
    assert!(o.notes.iter().any(|n| n.contains("100 ms steps")));
    // Pre-August-2025 managed-runtime line: Billed 39 excludes Init 512.08; today ceil(38.12 + 512.08) = ceil(550.20) = 551.
    let text = "REPORT RequestId: b311ef02\tDuration: 38.12 ms\tBilled Duration: 39 ms\tMemory Size: 512 MB\tMax Memory Used: 85 MB\tInit Duration: 512.08 ms\n";
    let o = usage_from_report_log(&report_log(text), Some(1.0), None).unwrap();
    assert_eq!((o.billed_ms.avg, o.billed_with_init_ms.avg, o.avg_init_billed_ms), (39.0, 551.0, Some(512.0)));
    assert!(o.notes.iter().any(|n| n.contains("excludes Init Duration")));
    // The corpus (17 real lines) summarises without error.
    let tsv = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus/metrics/lambda_report_lines.tsv"));
    let lines: String = tsv.lines().skip(1).filter_map(|l| l.rsplit('\t').next()).map(|l| format!("{l}\n")).collect();
    let o = usage_from_report_log(&report_log(&lines), Some(24.0), None).unwrap();
    assert!(o.invocations >= 15, "{}", o.invocations);
    assert!(o.memory_sizes_mb.len() > 1 && o.notes.iter().any(|n| n.contains("memory size changed")));
}

#[test]
fn nearest_rank_percentiles() {
    let v: Vec<f64> = (1..=100).map(f64::from).collect();
    // rank = ceil(q/100 × 100) = q
    assert_eq!((percentile_nearest_rank(&v, 50.0), percentile_nearest_rank(&v, 95.0), percentile_nearest_rank(&v, 99.0)), (50.0, 95.0, 99.0));
    assert_eq!((percentile_nearest_rank(&v, 0.0), percentile_nearest_rank(&v, 100.0)), (1.0, 100.0));
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    // n = 10: p50 = rank 5, p95 = rank ceil(9.5) = 10, p99 = rank ceil(9.9) = 10
    assert_eq!((percentile_nearest_rank(&ten, 50.0), percentile_nearest_rank(&ten, 95.0)), (5.0, 10.0));
    assert!(percentile_nearest_rank(&[], 50.0).is_nan());
    let d = Distribution::of(&[3.0, 1.0, 2.0]).unwrap();
    assert_eq!((d.count, d.avg, d.p50, d.max), (3, 2.0, 2.0, 3.0));
}

fn series(metric: &str, statistic: &str, unit: &str, period_s: Option<u32>, points: &[(i64, f64)]) -> Series {
    Series {
        namespace: Some("AWS/Lambda".into()),
        metric: metric.into(),
        dimensions: vec![("FunctionName".into(), "orders".into())],
        statistic: statistic.into(),
        unit: Some(unit.into()),
        period_s,
        points: points.iter().map(|(t, v)| Point { t: *t, v: *v }).collect(),
        label: None,
        partial: false,
        resource_hint: None,
    }
}

#[test]
fn usage_from_cloudwatch_series() {
    const H: i64 = 3_600_000;
    let t0 = 1_727_647_200_000;
    let inv = series("Invocations", "Sum", "Count", Some(3600), &[(t0, 100.0), (t0 + H, 200.0), (t0 + 2 * H, 300.0)]);
    let dur = series("Duration", "Average", "Milliseconds", Some(3600), &[(t0, 10.0), (t0 + H, 20.0), (t0 + 2 * H, 30.0)]);
    let s = usage_from_series(&inv, &dur, 512.0, Arch::Arm64).unwrap();
    // window = 2 h between first and last + one 1 h period = 3 h; 600 invocations
    close(s.window_hours, 3.0);
    close(s.invocations_observed, 600.0);
    // 600 / 3 h × 720 h = 144,000 a month
    close(s.usage.requests_per_month, 144_000.0);
    // weighted mean = (100 × 10 + 200 × 20 + 300 × 30) / 600 = 14,000 / 600 = 23.333 ms
    close(s.avg_duration_ms, 14_000.0 / 600.0);
    // billed ≈ mean + 0.5 ms
    close(s.usage.avg_billed_ms, 14_000.0 / 600.0 + 0.5);
    assert_eq!((s.usage.memory_mb, s.usage.architecture, s.usage.init_billed_ms_per_month), (512.0, Arch::Arm64, 0.0));
    assert!(s.assumptions.iter().any(|a| a.contains("30 days")));

    // Seconds are converted; no period: the median spacing (1 h) is used.
    let inv2 = series("Invocations", "Sum", "Count", None, &[(t0, 100.0), (t0 + H, 200.0), (t0 + 2 * H, 300.0)]);
    let dur_s = series("Duration", "Average", "Seconds", None, &[(t0, 0.010), (t0 + H, 0.020), (t0 + 2 * H, 0.030)]);
    let s2 = usage_from_series(&inv2, &dur_s, 512.0, Arch::Arm64).unwrap();
    close(s2.window_hours, 3.0);
    close(s2.avg_duration_ms, 14_000.0 / 600.0);

    let wrong = series("Invocations", "Average", "Count", Some(60), &[(t0, 1.0)]);
    assert!(usage_from_series(&wrong, &dur, 512.0, Arch::X86_64).unwrap_err().contains("Sum"));
    let lone = series("Invocations", "Sum", "Count", None, &[(t0, 1.0)]);
    assert!(usage_from_series(&lone, &series("Duration", "Average", "Milliseconds", None, &[(t0, 5.0)]), 512.0, Arch::X86_64).is_err());
}

// ---------------------------------------------------------------- what-if

/// 1M requests a month, x86, no free tier: observed 200 ms at 1,024 MB, default model.
///
/// With f = 0.5: fixed = 100 ms, CPU work at 1 vCPU = 100 × 1024/1769 ms, so below 1,769 MB
/// t(m) = 100 + 100 × 1024/m = 100 + 102,400/m ms, and 157.886 ms from 1,769 MB up
/// (single-threaded). Monthly = 1e6 × m/1024 GB × ceil(t)/1000 s × 0.0000166667 + $0.20:
///
/// | MB   | t (ms)              | ceil | GB-s / invocation        | monthly      |
/// |------|---------------------|------|--------------------------|--------------|
/// | 128  | 100 + 800 = 900     | 900  | 0.125 × 0.900 = 0.1125   | $2.07500375  |
/// | 256  | 100 + 400 = 500     | 500  | 0.25 × 0.500 = 0.125     | $2.2833375   |
/// | 512  | 100 + 200 = 300     | 300  | 0.5 × 0.300 = 0.15       | $2.700005    |
/// | 768  | 100 + 133.33        | 234  | 0.75 × 0.234 = 0.1755    | $3.12500585  |
/// | 1024 | 200 (observed)      | 200  | 1 × 0.200 = 0.2          | $3.53334     |
/// | 1536 | 100 + 66.67         | 167  | 1.5 × 0.167 = 0.2505     | $4.37500835  |
/// | 1769 | 157.886             | 158  | 1.72754 × 0.158 = 0.27295| $4.7491953   |
/// | 2048 | 157.886             | 158  | 2 × 0.158 = 0.316        | $5.4666772   |
fn crafted(min_memory: Option<f64>) -> WhatIf {
    let usage = LambdaUsage::new(1e6, 200.0, 1024.0, Arch::X86_64);
    memory_whatif(200.0, 1024.0, None, &usage, prices(), None, min_memory).unwrap()
}

#[test]
fn whatif_on_a_crafted_curve() {
    let w = crafted(None);
    let sizes: Vec<f64> = w.points.iter().map(|p| p.memory_mb).collect();
    assert_eq!(sizes, WHATIF_SIZES_MB);
    let at = |m: f64| w.points.iter().find(|p| p.memory_mb == m).unwrap();
    close(at(128.0).expected_ms, 900.0);
    close(at(512.0).expected_ms, 300.0);
    close(at(768.0).expected_ms, 100.0 + 102_400.0 / 768.0);
    close(at(1769.0).expected_ms, 100.0 + 100.0 * 1024.0 / 1769.0);
    close(at(10240.0).expected_ms, 100.0 + 100.0 * 1024.0 / 1769.0);
    assert_eq!(at(1024.0).source, PointSource::Observed);
    close(at(128.0).monthly_usd, 1e6 * 0.1125 * 0.0000166667 + 0.20);
    close(at(768.0).monthly_usd, 1e6 * 0.1755 * 0.0000166667 + 0.20);
    close(at(2048.0).monthly_usd, 1e6 * 0.316 * 0.0000166667 + 0.20);
    // cost per invocation = 0.0000166667 × GB × ceil(t)/1000 + 0.0000002
    close(at(512.0).cost_per_invocation_usd, 0.0000166667 * 0.15 + 0.0000002);
    close(w.current.monthly_usd, 1e6 * 0.2 * 0.0000166667 + 0.20);

    assert_eq!(w.cheapest.as_ref().unwrap().memory_mb, 128.0); // $2.075 is the lowest
    // 158 ms from 1,769 MB up; among the ties the cheapest, 1,769 MB
    assert_eq!(w.fastest.as_ref().unwrap().memory_mb, 1769.0);
    // Balanced (w = 0.5) over the non-dominated sizes 128…1,769 (above 1,769 MB nothing is
    // faster, only dearer): max cost $4.7491953 (1,769), max time 900 ms (128).
    //   512: 0.5 × 2.700005/4.7491953 + 0.5 × 300/900      = 0.28426 + 0.16667 = 0.45093
    //   768: 0.5 × 3.12500585/4.7491953 + 0.5 × 233.33/900 = 0.32900 + 0.12963 = 0.45863
    //   256: 0.5 × 2.2833375/4.7491953 + 0.5 × 500/900     = 0.24039 + 0.27778 = 0.51817
    //  1024: 0.5 × 3.53334/4.7491953 + 0.5 × 200/900       = 0.37199 + 0.11111 = 0.48310
    assert_eq!(w.balanced.as_ref().unwrap().memory_mb, 512.0);
    assert!(!w.model.calibrated);
    close(w.model.fixed_ms, 100.0);
    close(w.model.cpu_bound_fraction, 0.5);
    for needle in ["50 % of the observed 200 ms", "single-threaded", "1,769 MB buys 1 vCPU", "rounded up", "us-east-1", "Balanced minimises"] {
        assert!(w.assumptions.iter().any(|a| a.contains(needle)), "no {needle:?} in {:#?}", w.assumptions);
    }

    // A minimum memory of 200 MB (peak + headroom) rules out 128 MB.
    let w = crafted(Some(200.0));
    assert!(!w.points[0].feasible && w.points[1].feasible);
    assert_eq!(w.cheapest.as_ref().unwrap().memory_mb, 256.0);
    // Balanced: max time is now 500 ms (256):
    //   768: 0.5 × 3.12500585/4.7491953 + 0.5 × 233.33/500 = 0.32900 + 0.23333 = 0.56234
    //  1024: 0.5 × 3.53334/4.7491953 + 0.5 × 200/500       = 0.37199 + 0.20000 = 0.57199
    //   512: 0.5 × 2.700005/4.7491953 + 0.5 × 300/500      = 0.28426 + 0.30000 = 0.58426
    assert_eq!(w.balanced.as_ref().unwrap().memory_mb, 768.0);
    assert!(w.assumptions.iter().any(|a| a.contains("below 200 MB are infeasible")));

    // Nothing fits: no choice.
    let w = crafted(Some(20_000.0));
    assert!(w.cheapest.is_none() && w.fastest.is_none() && w.balanced.is_none());
    assert!(memory_whatif(f64::NAN, 1024.0, None, &LambdaUsage::new(1.0, 1.0, 1024.0, Arch::X86_64), prices(), None, None).is_err());
}

#[test]
fn whatif_current_size_off_grid_and_parallel_code() {
    // Current 1,000 MB is added to the grid.
    let usage = LambdaUsage::new(1e6, 200.0, 1000.0, Arch::X86_64);
    let w = memory_whatif(200.0, 1000.0, None, &usage, prices(), None, None).unwrap();
    assert_eq!(w.points.len(), WHATIF_SIZES_MB.len() + 1);
    assert_eq!((w.current.memory_mb, w.current.expected_ms), (1000.0, 200.0));

    // Perfectly parallel, fully CPU-bound code at 1,769 MB, 600 ms: t(m) = 600 / (m/1769)
    // up to 6 vCPUs: 3,538 MB -> 300 ms; 10,240 MB -> 600 × 1769/10240 = 103.652 ms.
    let opts = WhatIfOptions { cpu_bound_fraction: 1.0, parallel_efficiency: Some(1.0), ..WhatIfOptions::default() };
    let usage = LambdaUsage::new(1e6, 600.0, 1769.0, Arch::X86_64);
    let w = memory_whatif_with(600.0, 1769.0, None, &usage, prices(), None, None, &opts).unwrap();
    let at = |m: f64| w.points.iter().find(|p| p.memory_mb == m).unwrap().expected_ms;
    close(at(10240.0), 600.0 * 1769.0 / 10240.0);
    close(at(3008.0), 600.0 * 1769.0 / 3008.0);
    assert_eq!(w.fastest.as_ref().unwrap().memory_mb, 10240.0);
    // GB-s per invocation stays ≈ 1.0366 GB × 0.6 s ≈ 0.622 everywhere (only ceil differs),
    // so the cheapest is where ceil rounds least: 128 MB -> 600 × 1769/128 = 8,292.19 -> 8,293 ms,
    // 0.125 × 8.293 = 1.036625 GB-s; 1,769 MB -> 1.7275390625 × 0.6 = 1.0365234 GB-s: 1,769 wins.
    assert_eq!(w.cheapest.as_ref().unwrap().memory_mb, 1769.0);
}

/// The first real Power Tuning run of the corpus (ImageProcessingFilter, sample 1): sizes
/// 128…3,008 MB, durations decoded from the visualization URL (the optimum, 128 MB, exact).
fn unfaasener_filter() -> PowerTuning {
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus/metrics/power_tuning_outputs_unfaasener.json"))).unwrap();
    let text = serde_json::to_string(&entries[0]["output"]).unwrap();
    match metrics::parse("unfaasener-0.json", &text).unwrap().snapshot {
        Snapshot::PowerTuning(pt) => pt,
        other => panic!("{other:?}"),
    }
}

#[test]
fn power_tuning_calibration_on_a_real_run() {
    let pt = unfaasener_filter();
    let measured: Vec<(f64, f64)> = pt.points.iter().map(|p| (p.memory_mb, p.avg_duration_ms)).collect();
    assert_eq!(measured, [(128.0, 472.455), (256.0, 262.14667), (512.0, 159.42833), (1024.0, 143.585), (2048.0, 117.236664), (3008.0, 116.526665)]);

    // The function runs at 1,024 MB, 150 ms on average in production, 1M requests a month.
    let usage = LambdaUsage::new(1e6, 150.0, 1024.0, Arch::X86_64);
    let w = memory_whatif(150.0, 1024.0, None, &usage, prices(), Some(&pt), None).unwrap();
    let m = &w.model;
    assert!(m.calibrated && m.points_fitted == 6);
    // Two points above 1,769 MB (2,048 and 3,008) are no faster than 1,024 MB allows: the
    // single-threaded model fits best.
    assert_eq!(m.parallel_efficiency, 0.0);
    // Least squares of t = A + B·x, x = 1/speed = 1769/m below 1,769 MB, 1 above:
    //   x  = [13.8203125, 6.91015625, 3.455078125, 1.7275390625, 1, 1]
    //   Σx = 27.9130859375          Σt  = 472.455 + 262.14667 + 159.42833 + 143.585 + 117.236664 + 116.526665 = 1,271.378329
    //   Σx² = 255.673253059387      Σxt = 9,373.599553082
    //   B = (6·Σxt − Σx·Σt) / (6·Σx² − Σx²) = (56,241.59732 − 35,488.05508) / (1,534.03952 − 779.14039) = 27.4918 ms
    //   A = (Σt − B·Σx) / 6 = (1,271.378329 − 767.38879) / 6 = 83.9998 ms
    let xs = [1769.0 / 128.0, 1769.0 / 256.0, 1769.0 / 512.0, 1769.0 / 1024.0, 1.0, 1.0];
    let ts: Vec<f64> = measured.iter().map(|p| p.1).collect();
    let (sx, st) = (xs.iter().sum::<f64>(), ts.iter().sum::<f64>());
    let sxx: f64 = xs.iter().map(|x| x * x).sum();
    let sxt: f64 = xs.iter().zip(&ts).map(|(x, t)| x * t).sum();
    close(sx, 27.9130859375);
    close(st, 1271.378329);
    let b = (6.0 * sxt - sx * st) / (6.0 * sxx - sx * sx);
    let a = (st - b * sx) / 6.0;
    assert!((b - 27.4918).abs() < 1e-4 && (a - 83.9998).abs() < 1e-4, "{a} {b}");
    close(m.cpu_ms_at_1_vcpu, b);
    close(m.fixed_ms, a);
    // CPU-bound fraction at 1,024 MB: B·1.72754 / (A + B·1.72754) = 47.493 / 131.493 = 0.3612
    close(m.cpu_bound_fraction, b * xs[3] / (a + b * xs[3]));
    assert!((m.cpu_bound_fraction - 0.3612).abs() < 1e-4);
    // RMS error = sqrt(SSE / 6) = sqrt(799.3498 / 6) = 11.5423 ms
    assert!((m.rms_error_ms.unwrap() - 11.5423).abs() < 1e-3);

    let at = |mb: f64| w.points.iter().find(|p| p.memory_mb == mb).unwrap();
    // Measured durations are used as they are at the sizes tested …
    for (mb, t) in &measured {
        assert_eq!((at(*mb).expected_ms, at(*mb).source), (*t, PointSource::PowerTuning));
    }
    assert_eq!(w.current.expected_ms, 143.585);
    // … and the model, scaled to meet the neighbours, in between: at 768 MB the model gives
    // A + B·1769/768 = 83.9998 + 63.3239 = 147.3237 ms; the ratios measured/model are
    // 159.42833/178.98593 = 0.890731 at 512 and 143.585/131.49284 = 1.091961 at 1,024;
    // 768 is log2(768/512) = 0.58496 of the way, so ratio = 0.890731 + 0.58496 × 0.201230
    // = 1.008443 and t = 147.3237 × 1.008443 = 148.5677 ms.
    let model = |mb: f64| a + b * (1769.0 / mb).max(1.0);
    let r512 = 159.42833 / model(512.0);
    let r1024 = 143.585 / model(1024.0);
    let w768 = (768.0f64 / 512.0).log2();
    close(at(768.0).expected_ms, model(768.0) * (r512 + w768 * (r1024 - r512)));
    assert!((at(768.0).expected_ms - 148.5677).abs() < 1e-3);
    // Beyond the largest size the ratio at 3,008 MB holds: the model is flat above 1,769 MB,
    // so 4,096…10,240 MB take what 3,008 MB took.
    close(at(10240.0).expected_ms, 116.526665);

    // Cheapest: 128 MB: 0.125 GB × 473 ms = 59.125 GB-ms, vs 256: 0.25 × 263 = 65.75, 512: 0.5 × 160 = 80.
    assert_eq!(w.cheapest.as_ref().unwrap().memory_mb, 128.0);
    close(w.cheapest.as_ref().unwrap().monthly_usd, 1e6 * 0.125 * 0.473 * 0.0000166667 + 0.20);
    // Fastest: 116.53 ms from 3,008 MB up (ties: the cheapest, 3,008).
    assert_eq!(w.fastest.as_ref().unwrap().memory_mb, 3008.0);
    // Balanced: 512 MB (see balanced_on_the_real_run for the figures).
    assert_eq!(w.balanced.as_ref().unwrap().memory_mb, 512.0);
    // Production (150 ms) and Power Tuning (143.6 ms) agree within 25 %: no warning.
    assert!(!w.assumptions.iter().any(|a| a.contains("may not represent")));
    assert!(w.assumptions.iter().any(|a| a.contains("Fitted by least squares to 6 Power Tuning points")));
    assert!(w.assumptions.iter().any(|a| a.contains("show no gain from more vCPUs")));
    assert!(w.assumptions.iter().any(|a| a.contains("cost figures are not used")));

    // A production average far from Power Tuning's payload is called out.
    let w = memory_whatif(400.0, 1024.0, None, &usage, prices(), Some(&pt), None).unwrap();
    assert!(w.assumptions.iter().any(|a| a.contains("may not represent")));
}

#[test]
fn balanced_on_the_real_run() {
    // Monthly = 1e6 × GB × ceil(t)/1000 × 0.0000166667 + 0.20 over the non-dominated sizes;
    // max cost is 3,008 MB's (2.9375 GB × 0.117 s), max time 128 MB's 472.455 ms.
    let pt = unfaasener_filter();
    let usage = LambdaUsage::new(1e6, 150.0, 1024.0, Arch::X86_64);
    let w = memory_whatif(150.0, 1024.0, None, &usage, prices(), Some(&pt), None).unwrap();
    let monthly = |gb: f64, ms: f64| 1e6 * gb * ms / 1000.0 * 0.0000166667 + 0.20;
    let max_cost = monthly(3008.0 / 1024.0, 117.0); // $5.92814
    let value = |gb: f64, t: f64| 0.5 * monthly(gb, t.ceil()) / max_cost + 0.5 * t / 472.455;
    // 128: 0.5 × 1.18542/5.92814 + 0.5 × 472.455/472.455 = 0.09998 + 0.5     = 0.59998
    // 256: 0.5 × 1.29584/5.92814 + 0.5 × 262.147/472.455 = 0.10930 + 0.27743 = 0.38673
    // 512: 0.5 × 1.53334/5.92814 + 0.5 × 159.428/472.455 = 0.12933 + 0.16872 = 0.29805
    // 1024: 0.5 × 2.60000/5.92814 + 0.5 × 143.585/472.455 = 0.21929 + 0.15196 = 0.37125
    let v512 = value(0.5, 159.42833);
    for (gb, t) in [(0.125, 472.455), (0.25, 262.14667), (1.0, 143.585), (2.0, 117.236664)] {
        assert!(v512 < value(gb, t), "512 MB ({v512}) should beat {gb} GB ({})", value(gb, t));
    }
    assert!((v512 - 0.29805).abs() < 1e-4, "{v512}");
    assert_eq!(w.balanced.as_ref().unwrap().memory_mb, 512.0);
}

#[test]
fn one_power_tuning_point_anchors_the_default_model() {
    let mut pt = unfaasener_filter();
    pt.points.retain(|p| p.memory_mb == 128.0);
    let usage = LambdaUsage::new(1e6, 200.0, 1024.0, Arch::X86_64);
    let w = memory_whatif(200.0, 1024.0, None, &usage, prices(), Some(&pt), None).unwrap();
    assert!(!w.model.calibrated);
    // default model at 128 MB: 100 + 102,400/128 = 900 ms; measured 472.455 -> ratio 0.524950
    // everywhere: at 1,024 MB 200 × 0.524950 = 104.990 ms.
    close(w.current.expected_ms, 200.0 * 472.455 / 900.0);
    assert!(w.assumptions.iter().any(|a| a.contains("measured only 128 MB")));
}

#[test]
fn whatif_includes_init_and_free_tier() {
    // 1M requests, 10,000 cold starts × 500 ms INIT, unchanged at every size: at 512 MB the
    // INIT GB-s are 5,000 s × 0.5 GB = 2,500 -> 2,500 × 0.0000166667 = $0.04166675 on top.
    let usage = LambdaUsage { init_billed_ms_per_month: 5_000_000.0, ..LambdaUsage::new(1e6, 200.0, 1024.0, Arch::X86_64) };
    let w = memory_whatif(200.0, 1024.0, Some(500.0), &usage, prices(), None, None).unwrap();
    let p512 = w.points.iter().find(|p| p.memory_mb == 512.0).unwrap();
    close(p512.monthly_usd, 1e6 * 0.15 * 0.0000166667 + 2_500.0 * 0.0000166667 + 0.20);
    // per invocation excludes INIT
    close(p512.cost_per_invocation_usd, 0.15 * 0.0000166667 + 0.2e-6);
    assert!(w.assumptions.iter().any(|a| a.contains("500 ms per cold start, about 10,000 cold starts")));

    // With the free tier (400,000 GB-s, 1M requests) everything up to 2,048 MB is free:
    //   2,048 MB: 1e6 × 2 GB × 0.158 s = 316,000 + INIT 5,000 s × 2 GB = 10,000 -> 326,000 GB-s
    //   3,008 MB: 1e6 × 2.9375 × 0.158 = 464,125 + 14,687.5 = 478,812.5 -> 78,812.5 × 0.0000166667
    // so the cheapest is the fastest free size; 1,769 and 2,048 MB tie at 158 ms: 1,769 MB.
    let w = memory_whatif(200.0, 1024.0, Some(500.0), &LambdaUsage { free_tier: true, ..usage }, prices(), None, None).unwrap();
    let at = |m: f64| w.points.iter().find(|p| p.memory_mb == m).unwrap().monthly_usd;
    assert_eq!((at(128.0), at(1024.0), at(2048.0)), (0.0, 0.0, 0.0));
    close(at(3008.0), (478_812.5 - 400_000.0) * 0.0000166667);
    assert_eq!(w.cheapest.as_ref().unwrap().memory_mb, 1769.0);
    assert!(w.assumptions[0].contains("the tiers and the free tier"));
}

// ---------------------------------------------------------------- savings

#[test]
fn arm64_saves_twenty_percent_of_duration() {
    let s = arm64_saving(prices(), &ten_million());
    assert_eq!(s.remedy_id, "lambda-arm64");
    // x86: 600,000 × 0.0000166667 = $10.00002; arm64: 600,000 × 0.0000133334 = $8.00004;
    // requests $2.00 both: delta = 8.00004 − 10.00002 = −$1.99998, i.e. 1.99998 / 10.00002
    // = 19.99976 % of the duration charge (1 − 0.0000133334 / 0.0000166667)
    close(s.monthly_usd_delta, 8.00004 - 10.00002);
    close(s.monthly_usd_delta / 10.00002, 0.0000133334 / 0.0000166667 - 1.0);
    assert!((s.monthly_usd_delta / 10.00002 + 0.20).abs() < 1e-5);
    assert_eq!(s.latency_ms_delta, Some(0.0));
    assert!(s.explanation.contains("assumed unchanged"), "{}", s.explanation);
    let already = arm64_saving(prices(), &LambdaUsage { architecture: Arch::Arm64, ..ten_million() });
    assert_eq!(already.monthly_usd_delta, 0.0);
}

#[test]
fn right_sizing_from_the_whatif() {
    let w = crafted(None);
    let s = right_size_saving(&w);
    assert_eq!(s.remedy_id, "lambda-right-size-memory");
    // 1,024 MB $3.53334 -> 128 MB $2.07500375: −$1.45833625, 200 ms -> 900 ms (+700)
    close(s.monthly_usd_delta, (1e6 * 0.1125 * 0.0000166667 + 0.2) - (1e6 * 0.2 * 0.0000166667 + 0.2));
    close(s.latency_ms_delta.unwrap(), 700.0);
    let b = right_size_saving_to(&w, RightSizeTarget::Balanced);
    // 512 MB: $2.700005 − $3.53334 = −$0.833335, 300 − 200 = +100 ms
    close(b.monthly_usd_delta, 2.700005 - 3.53334);
    close(b.latency_ms_delta.unwrap(), 100.0);
    assert!(b.explanation.contains("from 1,024 MB to 512 MB"), "{}", b.explanation);

    // CPU-bound code where more memory is cheaper: 128 MB today, fully CPU-bound, 1,000 ms.
    // 128: 0.125 × 1.000 = 0.125 GB-s; 256: 0.25 × 0.500 = 0.125 (tie, faster); ceil makes no
    // difference until 768 MB: 1000 × 128/768 = 166.67 -> 167 ms, 0.75 × 0.167 = 0.12525.
    let opts = WhatIfOptions { cpu_bound_fraction: 1.0, ..WhatIfOptions::default() };
    let usage = LambdaUsage::new(1e6, 1000.0, 128.0, Arch::X86_64);
    let w = memory_whatif_with(1000.0, 128.0, None, &usage, prices(), None, None, &opts).unwrap();
    // 128, 256, 512, 1,024 all cost 0.125 GB-s; the fastest of them, 1,024 MB (125 ms), is cheapest.
    assert_eq!(w.cheapest.as_ref().unwrap().memory_mb, 1024.0);
    let s = right_size_saving(&w);
    assert_eq!(s.remedy_id, "lambda-memory-for-cpu");
    close(s.latency_ms_delta.unwrap(), 125.0 - 1000.0);
    assert!(s.monthly_usd_delta.abs() < 1e-9);
}

#[test]
fn http_api_request_prices() {
    // 10M: REST 10 × $3.50 = $35.00; HTTP 10 × $1.00 = $10.00; −$25.00 (−71 %)
    let s = http_api_saving(prices(), 10e6);
    assert_eq!(s.remedy_id, "apigw-http-api");
    close(s.monthly_usd_delta, -25.0);
    assert!(s.explanation.contains("$35.00") && s.explanation.contains("$10.00"), "{}", s.explanation);
    // 500M: REST 333 × 3.50 + 167 × 2.80 = 1,165.50 + 467.60 = $1,633.10
    //       HTTP 300 × 1.00 + 200 × 0.90 = 300 + 180 = $480.00
    close(api_gateway_monthly(prices(), 500e6, false), 1633.1);
    close(api_gateway_monthly(prices(), 500e6, true), 480.0);
    close(http_api_saving(prices(), 500e6).monthly_usd_delta, 480.0 - 1633.1);
}

#[test]
fn provisioned_concurrency_adds_cost_and_removes_cold_starts() {
    // 10M × 120 ms × 512 MB, 1 % cold starts of 500 ms: INIT = 100,000 × 500 = 50,000,000 ms.
    let usage = LambdaUsage { init_billed_ms_per_month: 50_000_000.0, ..ten_million() };
    // before: compute $10.00002 + INIT (50,000 s × 0.5 GB = 25,000 GB-s × 0.0000166667 = $0.4166675) + requests $2.00
    let before = 10.00002 + 0.4166675 + 2.0;
    close(monthly_cost(prices(), &usage).total_usd, before);
    // One 512 MB environment all month: capacity 0.5 × 730 × 3,600 = 1,314,000 GB-s ≥ 600,000,
    // so it serves everything: 1,314,000 × 0.0000041667 = $5.4750438
    //                        + 600,000 × 0.0000097222   = $5.83332; + requests $2.00
    let s = provisioned_concurrency_cost(prices(), &usage, 1.0, None, 0.01, 500.0);
    assert_eq!(s.remedy_id, "lambda-provisioned-concurrency");
    close(s.monthly_usd_delta, 5.4750438 + 5.83332 + 2.0 - before); // +$0.8916763
    // latency: 1 % × 500 ms = 5 ms less on the average invocation
    close(s.latency_ms_delta.unwrap(), -5.0);

    // For 100 h only: capacity 0.5 × 100 × 3,600 = 180,000 GB-s, 30 % of 600,000.
    // PC: 180,000 × (0.0000041667 + 0.0000097222) = $2.500002
    // on demand, 70 %: 420,000 × 0.0000166667 = $7.000014; INIT 17,500 × 0.0000166667 = $0.29166725
    let s = provisioned_concurrency_cost(prices(), &usage, 1.0, Some(100.0), 0.01, 500.0);
    close(s.monthly_usd_delta, 2.500002 + 7.000014 + 0.29166725 + 2.0 - before);
    close(s.latency_ms_delta.unwrap(), -5.0 * 0.3);

    // Break-even at 60 % utilisation: 0.0000041667 / (0.0000166667 − 0.0000097222) = 0.6.
    // 600,000 GB-s used of 1,000,000 provisioned (1 × 0.5 GB × 555.56 h):
    // 1,000,000 × 0.0000041667 + 600,000 × 0.0000097222 = 4.1667 + 5.83332 = $10.00002 = on demand.
    let s = provisioned_concurrency_cost(prices(), &ten_million(), 1.0, Some(1e6 / (0.5 * 3600.0)), 0.0, 0.0);
    assert!(s.monthly_usd_delta.abs() < 1e-9, "{}", s.monthly_usd_delta);
}

#[test]
fn money_formatting() {
    assert_eq!(usd(1234.5), "$1,234.50");
    assert_eq!(usd(-25.0), "-$25.00");
    assert_eq!(usd(0.0000166667), "$0.0000167");
    assert_eq!(num(1234567.0, 0), "1,234,567");
    assert_eq!((num(200.0, 1), num(0.5, 2), num(-1234.26, 1)), ("200".to_string(), "0.5".to_string(), "-1,234.3".to_string()));
}
