//! The monthly bill of one Lambda function: duration (tiered), requests, the INIT phase, and
//! provisioned concurrency.

use serde::{Deserialize, Serialize};

use super::prices::{Prices, tiered_usd};
use super::Arch;

/// Hours in a month for provisioned concurrency, AWS's own convention (365 × 24 / 12 = 730).
pub const DEFAULT_HOURS_PER_MONTH: f64 = 730.0;

/// What one function does in a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaUsage {
    pub requests_per_month: f64,
    /// Mean billed duration of the handler per invocation, in ms, each invocation rounded up
    /// to the next millisecond (`ceil(duration)`), INIT excluded. From REPORT lines this is
    /// exact ([`super::usage_from_report_log`]); from an average duration it is an estimate.
    pub avg_billed_ms: f64,
    pub memory_mb: f64,
    pub architecture: Arch,
    /// Billed INIT milliseconds in the month: the cold starts' `Init Duration`, billed for all
    /// on-demand invocations since August 1, 2025 (rounded up together with the handler's
    /// duration, so this is `ceil(duration + init) - ceil(duration)` summed over cold starts).
    pub init_billed_ms_per_month: f64,
    /// Apply the monthly free tier (1M requests, 400,000 GB-s) to this function. Off by default:
    /// most accounts use it up elsewhere, and it does not apply with provisioned concurrency.
    pub free_tier: bool,
}

impl LambdaUsage {
    /// A usage with no INIT billing and no free tier.
    pub fn new(requests_per_month: f64, avg_billed_ms: f64, memory_mb: f64, architecture: Arch) -> LambdaUsage {
        LambdaUsage { requests_per_month, avg_billed_ms, memory_mb, architecture, init_billed_ms_per_month: 0.0, free_tier: false }
    }

    /// Memory in GB as Lambda bills it: MemorySize / 1024.
    pub fn memory_gb(&self) -> f64 {
        self.memory_mb / 1024.0
    }

    /// GB-seconds of the handler's billed duration.
    pub fn compute_gb_seconds(&self) -> f64 {
        self.requests_per_month.max(0.0) * self.avg_billed_ms.max(0.0) / 1000.0 * self.memory_gb()
    }

    /// GB-seconds of billed INIT phases.
    pub fn init_gb_seconds(&self) -> f64 {
        self.init_billed_ms_per_month.max(0.0) / 1000.0 * self.memory_gb()
    }
}

/// A monthly bill, USD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostBreakdown {
    /// Duration of the handlers (tiered, after the free tier when it applies).
    pub compute_usd: f64,
    pub requests_usd: f64,
    /// What billing the INIT phase adds on top of `compute_usd` (the marginal cost, at the tier
    /// reached after the handlers' GB-seconds).
    pub init_usd: f64,
    pub total_usd: f64,
    /// All billed GB-seconds: handlers plus INIT, before the free tier.
    pub gb_seconds: f64,
    /// The INIT part of `gb_seconds`.
    pub init_gb_seconds: f64,
    pub billable_requests: f64,
}

/// The monthly bill of one on-demand function.
///
/// GB-s = requests × avg billed ms / 1000 × MemorySize / 1024 (+ INIT ms / 1000 × GB);
/// the free tier's GB-s and requests, when on, come off first; what remains is priced over
/// the architecture's tiers, as if this function were the only one in the account.
pub fn monthly_cost(prices: &Prices, usage: &LambdaUsage) -> CostBreakdown {
    let tiers = prices.duration_tiers(usage.architecture);
    let free = &prices.lambda.free_tier;
    let (free_gbs, free_requests) = if usage.free_tier { (free.gb_seconds_per_month, free.requests_per_month) } else { (0.0, 0.0) };
    let compute_gbs = usage.compute_gb_seconds();
    let init_gbs = usage.init_gb_seconds();
    let duration_usd = |gbs: f64| tiered_usd(tiers, (gbs - free_gbs).max(0.0), 1.0);
    let compute_usd = duration_usd(compute_gbs);
    let init_usd = duration_usd(compute_gbs + init_gbs) - compute_usd;
    let billable_requests = (usage.requests_per_month.max(0.0) - free_requests).max(0.0);
    let requests_usd = billable_requests * prices.request_usd();
    CostBreakdown {
        compute_usd,
        requests_usd,
        init_usd,
        total_usd: compute_usd + requests_usd + init_usd,
        gb_seconds: compute_gbs + init_gbs,
        init_gb_seconds: init_gbs,
        billable_requests,
    }
}

/// The monthly provisioned-concurrency charges of a function, USD: `concurrency` environments
/// of `memory_mb` configured for `hours_per_month` (730 when `None`), priced per GB-second
/// configured, plus `utilised_gb_s` GB-seconds of invocations they serve at the provisioned
/// duration price. Requests (same price as on demand) and on-demand spillover are not included.
pub fn provisioned_concurrency_monthly(prices: &Prices, memory_mb: f64, concurrency: f64, arch: Arch, hours_per_month: Option<f64>, utilised_gb_s: f64) -> f64 {
    let pc = prices.lambda.provisioned_concurrency.get(arch);
    let hours = hours_per_month.unwrap_or(DEFAULT_HOURS_PER_MONTH).max(0.0);
    let configured_gb_s = concurrency.max(0.0) * memory_mb.max(0.0) / 1024.0 * hours * 3600.0;
    configured_gb_s * pc.concurrency_usd_per_gb_second + utilised_gb_s.max(0.0) * pc.duration_usd_per_gb_second
}
