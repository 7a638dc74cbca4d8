//! Memory what-if: the duration and cost of a function at other memory sizes, like AWS Lambda
//! Power Tuning but from the observed duration (and Power Tuning's measurements when given).
//!
//! The model: Lambda gives CPU in proportion to memory — 1 vCPU at 1,769 MB, at most 6 vCPUs
//! (at 10,240 MB). A duration is a fixed part (waiting on I/O) plus a CPU-bound part that
//! scales with the CPU the code can use:
//!
//! ```text
//! t(m)     = fixed_ms + cpu_ms_at_1_vcpu / speed(m)
//! speed(m) = min(v, 1) + parallel_efficiency × max(v − 1, 0),   v = min(m / 1769, 6) vCPUs
//! ```
//!
//! `parallel_efficiency` is 0 for single-threaded code (nothing gained above 1,769 MB), 1 for
//! code that uses every vCPU perfectly. Without Power Tuning, `fixed_ms` and `cpu_ms_at_1_vcpu`
//! come from the observed duration and an assumed CPU-bound fraction (0.5), single-threaded.
//! With Power Tuning points, both are fitted to the points by ordinary least squares
//! (non-negative), and the parallel efficiency too when a point lies above 1,769 MB (grid of
//! 0.05 steps); the measured durations are used as they are at their sizes, and the fitted
//! model is scaled between them to meet the measurements (the ratio measured / model is
//! interpolated linearly in log(memory) between neighbouring points, held constant outside).

use serde::Serialize;

use super::lambda::{LambdaUsage, monthly_cost};
use super::prices::Prices;
use super::{ceil_ms, num, usd};
use crate::metrics::PowerTuning;

/// The memory sizes a what-if evaluates (plus the current size and any Power Tuning sizes).
pub const WHATIF_SIZES_MB: [f64; 16] = [128.0, 256.0, 512.0, 768.0, 1024.0, 1536.0, 1769.0, 2048.0, 3008.0, 4096.0, 5120.0, 6144.0, 7168.0, 8192.0, 9216.0, 10240.0];
/// Memory that buys one full vCPU.
pub const MB_PER_VCPU: f64 = 1769.0;
pub const MAX_VCPUS: f64 = 6.0;
pub const MIN_MEMORY_MB: f64 = 128.0;
pub const MAX_MEMORY_MB: f64 = 10240.0;
/// Share of the observed duration assumed to scale with CPU when nothing calibrates it.
pub const DEFAULT_CPU_BOUND_FRACTION: f64 = 0.5;
/// Power Tuning's default `balancedWeight`.
pub const DEFAULT_BALANCED_WEIGHT: f64 = 0.5;

/// vCPUs at a memory size: memory / 1,769 MB, at most 6.
pub fn vcpus(memory_mb: f64) -> f64 {
    (memory_mb / MB_PER_VCPU).clamp(0.0, MAX_VCPUS)
}

/// The duration model (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpuModel {
    pub fixed_ms: f64,
    pub cpu_ms_at_1_vcpu: f64,
    /// 0 = single-threaded; 1 = every vCPU above the first fully used.
    pub parallel_efficiency: f64,
    /// The CPU-bound share of the duration at the reference (current) memory size.
    pub cpu_bound_fraction: f64,
    /// Fitted to Power Tuning points (true) or assumed (false).
    pub calibrated: bool,
    /// Power Tuning points fitted.
    pub points_fitted: usize,
    /// Root-mean-square error of the fit over those points, ms.
    pub rms_error_ms: Option<f64>,
}

impl CpuModel {
    /// The CPU speed the code gets, in vCPUs used.
    pub fn speed(&self, memory_mb: f64) -> f64 {
        speed(memory_mb, self.parallel_efficiency)
    }

    /// The model's duration at a memory size, ms.
    pub fn duration_ms(&self, memory_mb: f64) -> f64 {
        let s = self.speed(memory_mb);
        if s <= 0.0 { f64::INFINITY } else { self.fixed_ms + self.cpu_ms_at_1_vcpu / s }
    }

    /// A model through `duration_ms` at `memory_mb` with `fraction` of it CPU-bound.
    pub fn from_fraction(duration_ms: f64, memory_mb: f64, fraction: f64, parallel_efficiency: f64) -> CpuModel {
        let f = fraction.clamp(0.0, 1.0);
        let p = parallel_efficiency.clamp(0.0, 1.0);
        CpuModel {
            fixed_ms: (1.0 - f) * duration_ms,
            cpu_ms_at_1_vcpu: f * duration_ms * speed(memory_mb, p),
            parallel_efficiency: p,
            cpu_bound_fraction: f,
            calibrated: false,
            points_fitted: 0,
            rms_error_ms: None,
        }
    }
}

fn speed(memory_mb: f64, parallel_efficiency: f64) -> f64 {
    let v = vcpus(memory_mb);
    v.min(1.0) + parallel_efficiency * (v - 1.0).max(0.0)
}

/// Ordinary least squares of `t = a + b·x` with `a, b ≥ 0`; returns `(a, b, sse)`.
fn fit_non_negative(xs: &[f64], ts: &[f64]) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let (sx, st) = (xs.iter().sum::<f64>(), ts.iter().sum::<f64>());
    let sxx: f64 = xs.iter().map(|x| x * x).sum();
    let sxt: f64 = xs.iter().zip(ts).map(|(x, t)| x * t).sum();
    let det = n * sxx - sx * sx;
    let (mut a, mut b) = if det.abs() > 1e-12 * (n * sxx).max(1e-300) {
        let b = (n * sxt - sx * st) / det;
        ((st - b * sx) / n, b)
    } else {
        (st / n, 0.0)
    };
    if a < 0.0 {
        a = 0.0;
        b = if sxx > 0.0 { sxt / sxx } else { 0.0 };
    }
    if b < 0.0 {
        b = 0.0;
        a = st / n;
    }
    let sse = xs.iter().zip(ts).map(|(x, t)| (t - a - b * x).powi(2)).sum();
    (a, b, sse)
}

/// Fits the model to measured `(memory, duration)` points (at least two sizes).
fn calibrate(points: &[(f64, f64)], reference_mb: f64, parallel: Option<f64>) -> CpuModel {
    let grid: Vec<f64> = match parallel {
        Some(p) => vec![p.clamp(0.0, 1.0)],
        None if points.iter().any(|(m, _)| *m > MB_PER_VCPU) => (0..=20).map(|k| k as f64 / 20.0).collect(),
        None => vec![0.0],
    };
    let ts: Vec<f64> = points.iter().map(|p| p.1).collect();
    let mut best: Option<(f64, f64, f64, f64)> = None; // (sse, p, a, b)
    for p in grid {
        let xs: Vec<f64> = points.iter().map(|(m, _)| 1.0 / speed(*m, p)).collect();
        let (a, b, sse) = fit_non_negative(&xs, &ts);
        // Strictly better only: on a tie the less parallel (simpler) model stays.
        if best.is_none_or(|(s, ..)| sse < s - 1e-9 * s.max(1e-12)) {
            best = Some((sse, p, a, b));
        }
    }
    let (sse, p, a, b) = best.unwrap_or((0.0, 0.0, 0.0, 0.0));
    let cpu_at_ref = b / speed(reference_mb, p);
    CpuModel {
        fixed_ms: a,
        cpu_ms_at_1_vcpu: b,
        parallel_efficiency: p,
        cpu_bound_fraction: if a + cpu_at_ref > 0.0 { cpu_at_ref / (a + cpu_at_ref) } else { 0.0 },
        calibrated: true,
        points_fitted: points.len(),
        rms_error_ms: Some((sse / points.len() as f64).sqrt()),
    }
}

/// Where a point's duration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointSource {
    /// The observed duration (the current size, no Power Tuning).
    Observed,
    /// Power Tuning measured this size.
    PowerTuning,
    /// The model.
    Model,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfPoint {
    pub memory_mb: f64,
    pub expected_ms: f64,
    /// GB-s price (first tier) × memory GB × ceil(expected ms) / 1000 + request price.
    pub cost_per_invocation_usd: f64,
    /// The monthly bill at this size ([`monthly_cost`]: tiers, INIT, free tier as in the usage).
    pub monthly_usd: f64,
    /// Not below the minimum memory (and within 128–10,240 MB).
    pub feasible: bool,
    pub source: PointSource,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    /// Ascending memory.
    pub points: Vec<WhatIfPoint>,
    /// Lowest monthly cost among feasible sizes (ties: faster). `None` when no size is feasible.
    pub cheapest: Option<WhatIfPoint>,
    /// Lowest duration among feasible sizes (ties: cheaper).
    pub fastest: Option<WhatIfPoint>,
    /// Power Tuning's balanced strategy (see [`WhatIfOptions::balanced_weight`]).
    pub balanced: Option<WhatIfPoint>,
    /// The current memory size.
    pub current: WhatIfPoint,
    pub model: CpuModel,
    pub balanced_weight: f64,
    /// Every assumption the figures rest on, as sentences.
    pub assumptions: Vec<String>,
}

/// Knobs of the what-if; [`Default`] is what [`memory_whatif`] uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfOptions {
    /// CPU-bound share of the observed duration when no Power Tuning points calibrate it.
    pub cpu_bound_fraction: f64,
    /// 0 = fastest, 1 = cheapest; Power Tuning's `balancedWeight`.
    pub balanced_weight: f64,
    /// Force a parallel efficiency (0–1) instead of assuming single-threaded / fitting it.
    pub parallel_efficiency: Option<f64>,
}

impl Default for WhatIfOptions {
    fn default() -> Self {
        WhatIfOptions { cpu_bound_fraction: DEFAULT_CPU_BOUND_FRACTION, balanced_weight: DEFAULT_BALANCED_WEIGHT, parallel_efficiency: None }
    }
}

/// [`memory_whatif_with`] with the default options.
pub fn memory_whatif(
    observed_duration_ms: f64,
    observed_memory_mb: f64,
    init_ms: Option<f64>,
    usage: &LambdaUsage,
    prices: &Prices,
    power_tuning: Option<&PowerTuning>,
    min_memory_mb: Option<f64>,
) -> Result<WhatIf, String> {
    memory_whatif_with(observed_duration_ms, observed_memory_mb, init_ms, usage, prices, power_tuning, min_memory_mb, &WhatIfOptions::default())
}

/// The duration and cost of the function at each of [`WHATIF_SIZES_MB`], the current size and
/// the Power Tuning sizes, and the cheapest, fastest and balanced feasible sizes.
///
/// - `observed_duration_ms`, `observed_memory_mb`: the mean handler duration at the current size.
/// - `init_ms`: the mean Init Duration of a cold start. INIT is assumed to take as long at every
///   size (it has historically run with more CPU than the memory setting gives, and Power Tuning
///   does not measure it); `usage.init_billed_ms_per_month` is therefore kept at every size and
///   only its price changes with memory. It is used to state the cold starts per month.
/// - `usage`: requests per month, architecture, INIT billing and free tier (its memory and
///   duration are replaced at each size).
/// - `min_memory_mb`: e.g. max memory used + 10 %; smaller sizes are marked infeasible.
#[allow(clippy::too_many_arguments)]
pub fn memory_whatif_with(
    observed_duration_ms: f64,
    observed_memory_mb: f64,
    init_ms: Option<f64>,
    usage: &LambdaUsage,
    prices: &Prices,
    power_tuning: Option<&PowerTuning>,
    min_memory_mb: Option<f64>,
    options: &WhatIfOptions,
) -> Result<WhatIf, String> {
    if !(observed_duration_ms.is_finite() && observed_duration_ms >= 0.0) {
        return Err(format!("the observed duration must be a non-negative number of ms, found {observed_duration_ms}"));
    }
    if !(observed_memory_mb.is_finite() && observed_memory_mb > 0.0) {
        return Err(format!("the observed memory size must be positive, found {observed_memory_mb}"));
    }
    let arch = usage.architecture;
    let weight = options.balanced_weight.clamp(0.0, 1.0);
    let mut assumptions = Vec::new();

    // Power Tuning points: positive sizes and durations, one per size, ascending.
    let mut measured: Vec<(f64, f64)> = power_tuning
        .map(|pt| pt.points.iter().filter(|p| p.memory_mb > 0.0 && p.avg_duration_ms.is_finite() && p.avg_duration_ms >= 0.0).map(|p| (p.memory_mb, p.avg_duration_ms)).collect())
        .unwrap_or_default();
    measured.sort_by(|a, b| a.0.total_cmp(&b.0));
    measured.dedup_by(|a, b| a.0 == b.0);

    let model = if measured.len() >= 2 {
        calibrate(&measured, observed_memory_mb, options.parallel_efficiency)
    } else {
        CpuModel::from_fraction(observed_duration_ms, observed_memory_mb, options.cpu_bound_fraction, options.parallel_efficiency.unwrap_or(0.0))
    };

    // Measured / model ratios at the Power Tuning sizes, for scaling the model between them.
    let ratios: Vec<(f64, f64)> = measured
        .iter()
        .map(|(m, t)| {
            let base = model.duration_ms(*m);
            (*m, if base > 0.0 && base.is_finite() { t / base } else { 1.0 })
        })
        .collect();
    let ratio_at = |m: f64| -> f64 {
        match ratios.as_slice() {
            [] => 1.0,
            [only] => only.1,
            all => {
                let (first, last) = (all[0], all[all.len() - 1]);
                if m <= first.0 {
                    return first.1;
                }
                if m >= last.0 {
                    return last.1;
                }
                let k = all.partition_point(|(pm, _)| *pm <= m);
                let (lo, hi) = (all[k - 1], all[k]);
                let w = (m.ln() - lo.0.ln()) / (hi.0.ln() - lo.0.ln());
                lo.1 + w * (hi.1 - lo.1)
            }
        }
    };
    let expected = |m: f64| -> (f64, PointSource) {
        if let Some((_, t)) = measured.iter().find(|(pm, _)| *pm == m) {
            (*t, PointSource::PowerTuning)
        } else if measured.is_empty() && m == observed_memory_mb {
            (observed_duration_ms, PointSource::Observed)
        } else {
            (model.duration_ms(m) * ratio_at(m), PointSource::Model)
        }
    };

    let gb_s = prices.gb_second_usd(arch);
    let request = prices.request_usd();
    let min_ok = min_memory_mb.filter(|m| m.is_finite() && *m > 0.0);
    let point = |m: f64| -> WhatIfPoint {
        let (t, source) = expected(m);
        let billed = ceil_ms(t);
        let at_size = LambdaUsage { memory_mb: m, avg_billed_ms: billed, ..usage.clone() };
        WhatIfPoint {
            memory_mb: m,
            expected_ms: t,
            cost_per_invocation_usd: gb_s * m / 1024.0 * billed / 1000.0 + request,
            monthly_usd: monthly_cost(prices, &at_size).total_usd,
            feasible: (MIN_MEMORY_MB..=MAX_MEMORY_MB).contains(&m) && min_ok.is_none_or(|min| m >= min),
            source,
        }
    };
    let mut sizes: Vec<f64> = WHATIF_SIZES_MB.to_vec();
    sizes.push(observed_memory_mb);
    sizes.extend(measured.iter().map(|p| p.0));
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    let points: Vec<WhatIfPoint> = sizes.iter().map(|m| point(*m)).collect();
    let current = points.iter().find(|p| p.memory_mb == observed_memory_mb).cloned().unwrap_or_else(|| point(observed_memory_mb));

    let feasible: Vec<&WhatIfPoint> = points.iter().filter(|p| p.feasible).collect();
    let cheapest = feasible.iter().copied().min_by(|a, b| cmp_close(a.monthly_usd, b.monthly_usd).then(cmp_close(a.expected_ms, b.expected_ms)).then(a.memory_mb.total_cmp(&b.memory_mb))).cloned();
    let fastest = feasible.iter().copied().min_by(|a, b| cmp_close(a.expected_ms, b.expected_ms).then(cmp_close(a.monthly_usd, b.monthly_usd)).then(a.memory_mb.total_cmp(&b.memory_mb))).cloned();
    // Power Tuning's balanced value, normalised over the sizes not beaten on both cost and
    // time (a dominated size can never win; it would only stretch the scale).
    let front: Vec<&WhatIfPoint> = feasible.iter().copied().filter(|p| !feasible.iter().any(|q| dominates(q, p))).collect();
    let max_cost = front.iter().map(|p| p.monthly_usd).fold(0.0, f64::max);
    let max_time = front.iter().map(|p| p.expected_ms).fold(0.0, f64::max);
    let value = |p: &WhatIfPoint| {
        let c = if max_cost > 0.0 { p.monthly_usd / max_cost } else { 0.0 };
        let t = if max_time > 0.0 { p.expected_ms / max_time } else { 0.0 };
        weight * c + (1.0 - weight) * t
    };
    let balanced = front.iter().copied().min_by(|a, b| cmp_close(value(a), value(b)).then(cmp_close(a.monthly_usd, b.monthly_usd)).then(a.memory_mb.total_cmp(&b.memory_mb))).cloned();

    // The assumptions, in the order a reader needs them.
    assumptions.push(format!(
        "Prices: {} list prices as of {}, {}: ${} per GB-second (first tier) and {} per million requests; monthly figures apply the tiers{} to this function alone.",
        prices.region,
        prices.as_of,
        arch,
        gb_s,
        usd(prices.lambda.requests_usd_per_million),
        if usage.free_tier { " and the free tier" } else { "" }
    ));
    assumptions.push(format!(
        "Every size serves the same {} requests a month with the same payloads.",
        num(usage.requests_per_month, 0)
    ));
    assumptions.push(format!(
        "CPU grows with memory: {} MB buys 1 vCPU, and 10,240 MB about {} vCPUs (at most {}).",
        num(MB_PER_VCPU, 0),
        num(vcpus(MAX_MEMORY_MB), 1),
        num(MAX_VCPUS, 0)
    ));
    if model.calibrated {
        assumptions.push(format!(
            "Fitted by least squares to {} Power Tuning points: {} ms fixed (I/O) plus {} ms of CPU work at 1 vCPU, so {} % of the duration at {} MB is CPU-bound (RMS error {} ms).",
            model.points_fitted,
            num(model.fixed_ms, 1),
            num(model.cpu_ms_at_1_vcpu, 1),
            num(model.cpu_bound_fraction * 100.0, 0),
            num(observed_memory_mb, 0),
            num(model.rms_error_ms.unwrap_or(0.0), 1)
        ));
        assumptions.push("Power Tuning's measured durations are used at the sizes it tested; between and beyond them the fitted model is scaled to meet the nearest measurements.".into());
        let t = expected(observed_memory_mb).0;
        if observed_duration_ms > 0.0 && ((t - observed_duration_ms) / observed_duration_ms).abs() > 0.25 {
            assumptions.push(format!(
                "Power Tuning's payload takes {} ms at {} MB but the observed average is {} ms: the curve follows Power Tuning, whose payload may not represent production traffic.",
                num(t, 1),
                num(observed_memory_mb, 0),
                num(observed_duration_ms, 1)
            ));
        }
    } else {
        assumptions.push(format!(
            "{} % of the observed {} ms at {} MB is assumed CPU-bound (scaling with CPU) and the rest fixed (waiting on I/O); no Power Tuning data calibrates this.",
            num(model.cpu_bound_fraction * 100.0, 0),
            num(observed_duration_ms, 1),
            num(observed_memory_mb, 0)
        ));
        if measured.len() == 1 {
            assumptions.push(format!(
                "Power Tuning measured only {} MB ({} ms): the curve is scaled to pass through it.",
                num(measured[0].0, 0),
                num(measured[0].1, 1)
            ));
        }
    }
    let above = measured.iter().any(|(m, _)| *m > MB_PER_VCPU);
    assumptions.push(match (options.parallel_efficiency, model.calibrated && above, model.parallel_efficiency > 0.0) {
        (Some(_), _, _) => format!("A parallel efficiency of {} is given: each vCPU beyond the first adds that share of a vCPU's speed.", num(model.parallel_efficiency, 2)),
        (None, true, true) => format!(
            "Power Tuning points above {} MB fit a parallel efficiency of {}: the code gains from more than one vCPU.",
            num(MB_PER_VCPU, 0),
            num(model.parallel_efficiency, 2)
        ),
        (None, true, false) => format!("Power Tuning points above {} MB show no gain from more vCPUs: the code is treated as single-threaded.", num(MB_PER_VCPU, 0)),
        (None, false, _) => format!("The code is assumed single-threaded: sizes above {} MB (1 vCPU) are not faster.", num(MB_PER_VCPU, 0)),
    });
    assumptions.push("Each size is billed for its average duration rounded up to the next millisecond, which approximates rounding each invocation.".into());
    match (init_ms, usage.init_billed_ms_per_month > 0.0) {
        (Some(i), true) if i > 0.0 => assumptions.push(format!(
            "INIT ({} ms per cold start, about {} cold starts a month) is assumed to take as long at every size; only its price follows the memory.",
            num(i, 1),
            num(usage.init_billed_ms_per_month / i, 0)
        )),
        (_, true) => assumptions.push(format!(
            "INIT ({} billed ms a month) is assumed to take as long at every size; only its price follows the memory.",
            num(usage.init_billed_ms_per_month, 0)
        )),
        (Some(_), false) => assumptions.push("The number of cold starts is unknown: INIT billing is not included.".into()),
        (None, false) => {}
    }
    if let Some(min) = min_ok {
        assumptions.push(format!("Sizes below {} MB are infeasible (not enough memory for the observed peak plus headroom).", num(min, 0)));
    }
    assumptions.push(format!(
        "Balanced minimises {} × cost / highest cost + {} × duration / longest duration over the feasible sizes not beaten on both (Power Tuning's balanced strategy, weight {}).",
        num(weight, 2),
        num(1.0 - weight, 2),
        num(weight, 2)
    ));
    if power_tuning.is_some() {
        assumptions.push("Power Tuning's own cost figures are not used: costs are recomputed with these prices.".into());
    }

    Ok(WhatIf { points, cheapest, fastest, balanced, current, model, balanced_weight: weight, assumptions })
}

/// Orders two figures, treating them as equal within a relative 1e-9 (float noise).
fn cmp_close(a: f64, b: f64) -> std::cmp::Ordering {
    if (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) { std::cmp::Ordering::Equal } else { a.total_cmp(&b) }
}

/// `q` is no worse than `p` on cost and time, and better on one.
fn dominates(q: &WhatIfPoint, p: &WhatIfPoint) -> bool {
    use std::cmp::Ordering::*;
    let c = cmp_close(q.monthly_usd, p.monthly_usd);
    let t = cmp_close(q.expected_ms, p.expected_ms);
    c != Greater && t != Greater && (c == Less || t == Less)
}
