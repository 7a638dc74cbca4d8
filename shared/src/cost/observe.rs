//! Usage measured from what the user uploaded: REPORT lines (exact, per invocation) or
//! CloudWatch series (Invocations Sum and Duration Average, extrapolated to 30 days).

use std::collections::BTreeMap;

use serde::Serialize;

use super::lambda::LambdaUsage;
use super::{ceil_ms, num, Arch};
use crate::metrics::{ReportLog, Series};

/// A month, for extrapolating an observed window: 30 days.
pub const EXTRAPOLATION_HOURS: f64 = 30.0 * 24.0;

/// Summary statistics of a sample. Percentiles are nearest-rank
/// ([`percentile_nearest_rank`]): always one of the observed values, never interpolated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    pub count: usize,
    pub avg: f64,
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Distribution {
    /// `None` for an empty sample. NaN values are ignored.
    pub fn of(values: &[f64]) -> Option<Distribution> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let p = |q: f64| percentile_nearest_rank(&v, q);
        Some(Distribution {
            count: v.len(),
            avg: v.iter().sum::<f64>() / v.len() as f64,
            min: v[0],
            p50: p(50.0),
            p95: p(95.0),
            p99: p(99.0),
            max: v[v.len() - 1],
        })
    }
}

/// The nearest-rank percentile of an ascending sample: the value at rank `ceil(q/100 × n)`
/// (1-based; rank 1 for q = 0). E.g. for 10 values p50 is the 5th, p95 and p99 the 10th.
/// NaN for an empty sample.
pub fn percentile_nearest_rank(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let n = sorted.len();
    let rank = (q.clamp(0.0, 100.0) * n as f64 / 100.0).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// What a set of REPORT lines says about a function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    pub function: Option<String>,
    pub invocations: usize,
    /// Invocations with an `Init Duration` (a new execution environment).
    pub cold_starts: usize,
    pub cold_start_share: f64,
    /// `Duration` as logged: the handler only.
    pub duration_ms: Distribution,
    /// The handler's billed duration under 1 ms billing: `ceil(Duration)` per invocation.
    pub billed_ms: Distribution,
    /// What each invocation bills since August 1, 2025: `ceil(Duration + Init Duration)`.
    pub billed_with_init_ms: Distribution,
    /// `Billed Duration` as the lines wrote it (older lines: 100 ms steps, INIT excluded for
    /// managed runtimes before August 2025).
    pub reported_billed_ms: Distribution,
    /// `Init Duration` of the cold starts.
    pub init_ms: Option<Distribution>,
    pub avg_init_ms: Option<f64>,
    /// Mean of `ceil(Duration + Init) - ceil(Duration)` over the cold starts: the INIT
    /// milliseconds one cold start adds to the bill.
    pub avg_init_billed_ms: Option<f64>,
    /// `Max Memory Used` over all invocations.
    pub memory_used_mb: Distribution,
    pub max_memory_used_mb: f64,
    /// `Memory Size`: the most frequent value (the larger on a tie).
    pub memory_mb: f64,
    /// Every `Memory Size` seen, ascending (more than one: the setting changed in the window).
    pub memory_sizes_mb: Vec<f64>,
    /// `max_memory_used_mb / memory_mb`.
    pub memory_used_share: f64,
    /// `Status: timeout`.
    pub timeouts: usize,
    /// Any other non-success status or an `Error Type`.
    pub errors: usize,
    /// SnapStart restores (their restore charges are not modelled).
    pub restores: usize,
    /// The window the lines cover: given, or from the first to the last timestamp.
    pub period_hours: Option<f64>,
    pub requests_per_month: Option<f64>,
    pub init_billed_ms_per_month: Option<f64>,
    /// How the figures were derived, as sentences.
    pub notes: Vec<String>,
}

impl Observed {
    /// The usage these invocations imply; `None` when the monthly request count is unknown
    /// (no period given, fewer than two timestamps, and no monthly count given).
    pub fn usage(&self, architecture: Arch, free_tier: bool) -> Option<LambdaUsage> {
        Some(LambdaUsage {
            requests_per_month: self.requests_per_month?,
            avg_billed_ms: self.billed_ms.avg,
            memory_mb: self.memory_mb,
            architecture,
            init_billed_ms_per_month: self.init_billed_ms_per_month.unwrap_or(0.0),
            free_tier,
        })
    }

    /// `max_memory_used_mb` plus `headroom` (0.1 = 10 %): the smallest memory size worth
    /// considering in a what-if.
    pub fn min_memory_mb(&self, headroom: f64) -> f64 {
        self.max_memory_used_mb * (1.0 + headroom.max(0.0))
    }
}

/// Summarises REPORT lines. Billing is recomputed per invocation under today's rules (1 ms
/// granularity; `ceil(duration + init)` with the INIT phase billed), so old lines billed in
/// 100 ms steps are costed as they would bill now; the logged `Billed Duration` is kept apart.
///
/// The monthly request count is `monthly_requests` when given; else the invocations per hour
/// of the window times 720 h (30 days). The window is `period_hours_observed` when given (rate =
/// n / period); else from the first to the last timestamp (rate = (n − 1) / span). The INIT
/// milliseconds per month scale with the requests the same way.
pub fn usage_from_report_log(log: &ReportLog, period_hours_observed: Option<f64>, monthly_requests: Option<f64>) -> Result<Observed, String> {
    let inv = &log.invocations;
    let n = inv.len();
    if n == 0 {
        return Err("no REPORT lines: nothing to measure".into());
    }
    let mut notes = Vec::new();
    let durations: Vec<f64> = inv.iter().map(|i| i.duration_ms).collect();
    let billed: Vec<f64> = inv.iter().map(|i| ceil_ms(i.duration_ms)).collect();
    let billed_with_init: Vec<f64> = inv.iter().map(|i| ceil_ms(i.duration_ms + i.init_ms.unwrap_or(0.0))).collect();
    let reported: Vec<f64> = inv.iter().map(|i| i.billed_ms).collect();
    let inits: Vec<f64> = inv.iter().filter_map(|i| i.init_ms).collect();
    let init_billed: Vec<f64> = inv.iter().filter(|i| i.init_ms.is_some()).map(|i| ceil_ms(i.duration_ms + i.init_ms.unwrap_or(0.0)) - ceil_ms(i.duration_ms)).collect();
    let used: Vec<f64> = inv.iter().map(|i| i.max_memory_mb).collect();
    let cold_starts = inits.len();
    let some = |v: &[f64]| Distribution::of(v).ok_or_else(|| "no usable values".to_string());
    let duration_ms = some(&durations)?;
    let billed_ms = some(&billed)?;
    let billed_with_init_ms = some(&billed_with_init)?;
    let reported_billed_ms = some(&reported)?;
    let memory_used_mb = some(&used)?;
    let init_ms = Distribution::of(&inits);
    let avg_init_billed_ms = Distribution::of(&init_billed).map(|d| d.avg);

    // Memory Size: the most frequent (the larger on a tie).
    let mut sizes: BTreeMap<u64, usize> = BTreeMap::new();
    for i in inv {
        *sizes.entry(i.memory_mb.to_bits()).or_default() += 1;
    }
    let mut memory_sizes_mb: Vec<f64> = sizes.keys().map(|b| f64::from_bits(*b)).collect();
    memory_sizes_mb.sort_by(f64::total_cmp);
    let memory_mb = sizes.iter().map(|(b, c)| (f64::from_bits(*b), *c)).max_by(|a, b| a.1.cmp(&b.1).then(a.0.total_cmp(&b.0))).map_or(f64::NAN, |(m, _)| m);
    if memory_sizes_mb.len() > 1 {
        let list: Vec<String> = memory_sizes_mb.iter().map(|m| format!("{} MB", num(*m, 0))).collect();
        notes.push(format!("The memory size changed during the window ({}); {} MB, the most frequent, is used.", list.join(", "), num(memory_mb, 0)));
    }

    let status = |i: &crate::metrics::Invocation| i.status.as_deref().map(str::to_ascii_lowercase);
    let timeouts = inv.iter().filter(|i| status(i).as_deref() == Some("timeout")).count();
    let errors = inv.iter().filter(|i| {
        let s = status(i);
        s.as_deref() != Some("timeout") && (i.error_type.is_some() || s.as_deref().is_some_and(|s| s != "success"))
    })
    .count();
    let restores = inv.iter().filter(|i| i.restore_ms.is_some()).count();
    if restores > 0 {
        notes.push(format!("{restores} SnapStart restores: their restore charges are not included."));
    }

    // The window and the monthly extrapolation.
    let mut stamps: Vec<i64> = inv.iter().filter_map(|i| i.timestamp).collect();
    stamps.sort_unstable();
    let (period_hours, per_hour) = match period_hours_observed.filter(|h| *h > 0.0 && h.is_finite()) {
        Some(h) => (Some(h), Some(n as f64 / h)),
        None => match (stamps.first(), stamps.last()) {
            (Some(a), Some(b)) if stamps.len() >= 2 && b > a => {
                let h = (b - a) as f64 / 3_600_000.0;
                notes.push(format!("The window is {} h, from the first to the last timestamp; the rate is (n − 1) / window.", num(h, 2)));
                (Some(h), Some((stamps.len() - 1) as f64 / h))
            }
            _ => (None, None),
        },
    };
    let requests_per_month = match monthly_requests.filter(|r| *r >= 0.0 && r.is_finite()) {
        Some(r) => Some(r),
        None => {
            let r = per_hour.map(|p| p * EXTRAPOLATION_HOURS);
            match r {
                Some(r) => notes.push(format!("{n} invocations in {} h extrapolated to 30 days: {} requests per month.", num(period_hours.unwrap_or(0.0), 2), num(r, 0))),
                None => notes.push("The monthly request count is unknown (no period given and fewer than two timestamps).".into()),
            }
            r
        }
    };
    let init_total: f64 = init_billed.iter().sum();
    let init_billed_ms_per_month = requests_per_month.map(|r| init_total / n as f64 * r);
    if cold_starts > 0 && inv.iter().filter(|i| i.init_ms.is_some()).all(|i| i.billed_ms + 0.5 < ceil_ms(i.duration_ms + i.init_ms.unwrap_or(0.0))) {
        notes.push("The logged Billed Duration excludes Init Duration (lines from before August 2025); INIT is billed now and is included.".into());
    }
    if inv.iter().any(|i| i.billed_ms >= 100.0 && i.billed_ms % 100.0 == 0.0 && i.billed_ms - ceil_ms(i.duration_ms) > 1.0 && i.init_ms.is_none()) {
        notes.push("Some lines were billed in 100 ms steps (before December 2020); they are costed with today's 1 ms rounding.".into());
    }
    Ok(Observed {
        function: log.function.clone(),
        invocations: n,
        cold_starts,
        cold_start_share: cold_starts as f64 / n as f64,
        avg_init_ms: init_ms.as_ref().map(|d| d.avg),
        init_ms,
        avg_init_billed_ms,
        max_memory_used_mb: memory_used_mb.max,
        memory_used_share: memory_used_mb.max / memory_mb,
        memory_used_mb,
        duration_ms,
        billed_ms,
        billed_with_init_ms,
        reported_billed_ms,
        memory_mb,
        memory_sizes_mb,
        timeouts,
        errors,
        restores,
        period_hours,
        requests_per_month,
        init_billed_ms_per_month,
        notes,
    })
}

/// A usage estimated from CloudWatch series, with how it was derived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesUsage {
    pub usage: LambdaUsage,
    /// Invocations summed over the window.
    pub invocations_observed: f64,
    /// From the first datapoint to the last plus one period.
    pub window_hours: f64,
    /// Invocation-weighted mean of the Duration averages, in ms.
    pub avg_duration_ms: f64,
    pub assumptions: Vec<String>,
}

/// A usage from CloudWatch `Invocations` (Sum) and `Duration` (Average) of one function.
///
/// The window runs from the first Invocations datapoint to the last plus one period (the
/// query's period, else the median spacing of the points); the invocations in it are scaled
/// to 30 days (720 h). The mean duration weights each period's average by its invocations
/// (matched by timestamp; the plain mean of the averages when none match). The billed
/// duration is estimated as mean duration + 0.5 ms: rounding each invocation up to the next
/// millisecond adds half a millisecond on average. CloudWatch has no INIT duration, so INIT
/// billing is left at zero.
pub fn usage_from_series(invocations: &Series, duration_avg: &Series, memory_mb: f64, arch: Arch) -> Result<SeriesUsage, String> {
    if !invocations.statistic.is_empty() && invocations.statistic != "Sum" {
        return Err(format!("Invocations must be the Sum statistic, found {}", invocations.statistic));
    }
    if !duration_avg.statistic.is_empty() && duration_avg.statistic != "Average" {
        return Err(format!("Duration must be the Average statistic, found {}", duration_avg.statistic));
    }
    let scale = match duration_avg.unit.as_deref() {
        None | Some("Milliseconds") => 1.0,
        Some("Seconds") => 1000.0,
        Some("Microseconds") => 0.001,
        Some(other) => return Err(format!("Duration in {other} cannot be read as a time")),
    };
    if memory_mb.is_nan() || memory_mb <= 0.0 {
        return Err("the memory size must be positive".into());
    }
    let pts = &invocations.points;
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
        return Err("the Invocations series has no datapoints".into());
    };
    let mut assumptions = Vec::new();
    let period_ms = match invocations.period_s.or(duration_avg.period_s) {
        Some(p) if p > 0 => p as f64 * 1000.0,
        _ => {
            let mut gaps: Vec<f64> = pts.windows(2).map(|w| (w[1].t - w[0].t) as f64).filter(|g| *g > 0.0).collect();
            if gaps.is_empty() {
                return Err("one Invocations datapoint and no period: the window is unknown".into());
            }
            gaps.sort_by(f64::total_cmp);
            let g = percentile_nearest_rank(&gaps, 50.0);
            assumptions.push(format!("The period is taken as the median spacing of the datapoints, {} s.", num(g / 1000.0, 0)));
            g
        }
    };
    let window_hours = ((last.t - first.t) as f64 + period_ms) / 3_600_000.0;
    let total: f64 = pts.iter().map(|p| p.v.max(0.0)).sum();
    let requests_per_month = total / window_hours * EXTRAPOLATION_HOURS;
    assumptions.push(format!(
        "{} invocations in {} h (first to last datapoint plus one period; periods without data at the edges are not counted) extrapolated to 30 days: {} requests per month.",
        num(total, 0),
        num(window_hours, 2),
        num(requests_per_month, 0)
    ));

    let by_t: BTreeMap<i64, f64> = duration_avg.points.iter().map(|p| (p.t, p.v * scale)).collect();
    let (mut weighted, mut weight) = (0.0, 0.0);
    for p in pts {
        if let Some(d) = by_t.get(&p.t) {
            weighted += d * p.v.max(0.0);
            weight += p.v.max(0.0);
        }
    }
    let avg_duration_ms = if weight > 0.0 {
        weighted / weight
    } else if !by_t.is_empty() {
        assumptions.push("No Duration datapoint shares a timestamp with an Invocations datapoint: the plain mean of the averages is used.".into());
        by_t.values().sum::<f64>() / by_t.len() as f64
    } else {
        return Err("the Duration series has no datapoints".into());
    };
    let avg_billed_ms = avg_duration_ms + 0.5;
    assumptions.push(format!(
        "Billed duration ≈ mean Duration + 0.5 ms ({} ms): each invocation is rounded up to the next millisecond.",
        num(avg_billed_ms, 2)
    ));
    assumptions.push("CloudWatch Duration excludes INIT; cold-start INIT billing is not included.".into());
    Ok(SeriesUsage {
        usage: LambdaUsage::new(requests_per_month, avg_billed_ms, memory_mb, arch),
        invocations_observed: total,
        window_hours,
        avg_duration_ms,
        assumptions,
    })
}
