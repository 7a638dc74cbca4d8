//! What a Lambda function costs, what it would cost at another memory size or architecture,
//! and what a remedy saves.
//!
//! In: [`Prices`] (compiled in from `knowledge/prices.yaml`: us-east-1, USD, with the date
//! they were read and the pricing pages), a [`LambdaUsage`] — given, or measured from REPORT
//! lines ([`usage_from_report_log`]) or CloudWatch series ([`usage_from_series`]) — and
//! optionally a Power Tuning run. Out: a [`CostBreakdown`], a memory [`WhatIf`] with the
//! assumptions it rests on written as sentences, and [`Saving`]s keyed by remedy id.
//!
//! The billing rules modelled (us-east-1, on-demand, list prices):
//! - duration is billed per invocation, rounded up to the next millisecond, times the memory
//!   setting in GB (MemorySize / 1024), at a price per GB-second that falls in three monthly
//!   tiers (per architecture; arm64 tiers are 7.5 and 18.75 billion GB-s, x86_64 6 and 15);
//! - requests cost the same on both architectures;
//! - since August 1, 2025 the INIT phase (the `Init Duration` of a cold start) is billed as
//!   duration for every on-demand invocation, rounded up together with the handler's duration;
//! - the free tier (1M requests and 400,000 GB-s a month) is an option, off by default.
//!
//! Tiers and the free tier are applied to the one function costed, as if it were alone in the
//! account and region; with other functions the marginal price may be a lower tier.

mod lambda;
mod observe;
mod prices;
mod savings;
mod whatif;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use lambda::{CostBreakdown, LambdaUsage, monthly_cost, provisioned_concurrency_monthly, DEFAULT_HOURS_PER_MONTH};
pub use observe::{Distribution, Observed, SeriesUsage, percentile_nearest_rank, usage_from_report_log, usage_from_series, EXTRAPOLATION_HOURS};
pub use prices::{ApiGatewayPrices, ByArch, FreeTier, LambdaPrices, Prices, ProvisionedPrices, Tier, PRICES_YAML, tiered_usd};
pub use savings::{Saving, RightSizeTarget, api_gateway_monthly, arm64_saving, http_api_saving, provisioned_concurrency_cost, right_size_saving, right_size_saving_to};
pub use whatif::{
    CpuModel, PointSource, WhatIf, WhatIfOptions, WhatIfPoint, memory_whatif, memory_whatif_with, vcpus, DEFAULT_BALANCED_WEIGHT, DEFAULT_CPU_BOUND_FRACTION, MAX_MEMORY_MB,
    MAX_VCPUS, MB_PER_VCPU, MIN_MEMORY_MB, WHATIF_SIZES_MB,
};

/// The instruction set a function runs on (`Architectures` in the template).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    #[default]
    X86_64,
    Arm64,
}

impl Arch {
    /// The spelling of the `Architectures` property.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// Reads the `Architectures` value (`x86_64`, `arm64`; case-insensitive).
    pub fn from_name(name: &str) -> Option<Arch> {
        match name.to_ascii_lowercase().as_str() {
            "x86_64" | "x86" | "amd64" => Some(Arch::X86_64),
            "arm64" | "arm" | "aarch64" | "graviton" => Some(Arch::Arm64),
            _ => None,
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A duration rounded up to the next whole millisecond, as Lambda bills it. A millionth of a
/// millisecond of float noise (`12.68 + 295.32` = 308.00000000000006) does not round up.
pub fn ceil_ms(ms: f64) -> f64 {
    (ms - 1e-6).ceil().max(0.0)
}

/// `$1,234.56` for amounts of a cent or more, else up to 3 significant digits (`$0.00000208`).
pub(crate) fn usd(x: f64) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    if a >= 0.01 || a == 0.0 {
        format!("{sign}${}", group(&format!("{a:.2}")))
    } else {
        let digits = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{sign}${a:.digits$}")
    }
}

/// `1,234,567.5` with thousands separators, rounding to at most `decimals` (trailing zeros
/// dropped: `200.0` -> `200`).
pub(crate) fn num(x: f64, decimals: usize) -> String {
    let mut s = format!("{:.*}", decimals, x.abs());
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{}{}", if x < 0.0 && !s.trim_matches(['0', '.']).is_empty() { "-" } else { "" }, group(&s))
}

fn group(s: &str) -> String {
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}
