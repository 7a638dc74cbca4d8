//! What a remedy saves (or adds), keyed by the remedy's id in `knowledge/remedies/`.

use serde::Serialize;

use super::lambda::{LambdaUsage, monthly_cost, provisioned_concurrency_monthly, DEFAULT_HOURS_PER_MONTH};
use super::prices::{Prices, tiered_usd};
use super::whatif::{WhatIf, WhatIfPoint};
use super::{num, usd, Arch};

/// The money and latency effect of one remedy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saving {
    pub remedy_id: &'static str,
    /// Change of the monthly bill, USD; negative = saves.
    pub monthly_usd_delta: f64,
    /// Change of the average latency per invocation, ms (negative = faster); `None` when not
    /// estimated.
    pub latency_ms_delta: Option<f64>,
    /// The figures and the assumptions behind them, in sentences.
    pub explanation: String,
}

fn pct(delta: f64, base: f64) -> String {
    if base > 0.0 { format!(" ({} %)", num(delta / base * 100.0, 0)) } else { String::new() }
}

/// Moving to arm64 (`lambda-arm64`), at the same duration: only the GB-second price changes
/// (about 20 % lower; its tiers are also wider); requests cost the same.
pub fn arm64_saving(prices: &Prices, usage: &LambdaUsage) -> Saving {
    let now = monthly_cost(prices, usage);
    if usage.architecture == Arch::Arm64 {
        return Saving {
            remedy_id: "lambda-arm64",
            monthly_usd_delta: 0.0,
            latency_ms_delta: Some(0.0),
            explanation: "The function already runs on arm64.".into(),
        };
    }
    let arm = monthly_cost(prices, &LambdaUsage { architecture: Arch::Arm64, ..usage.clone() });
    let delta = arm.total_usd - now.total_usd;
    let duration_now = now.compute_usd + now.init_usd;
    Saving {
        remedy_id: "lambda-arm64",
        monthly_usd_delta: delta,
        latency_ms_delta: Some(0.0),
        explanation: format!(
            "On arm64 the duration charge goes from {} to {} a month{} and requests stay at {}: {} a month in all. \
             The duration is assumed unchanged; Graviton is usually as fast or faster, but benchmark native or x86-optimised code.",
            usd(duration_now),
            usd(arm.compute_usd + arm.init_usd),
            pct(arm.compute_usd + arm.init_usd - duration_now, duration_now),
            usd(now.requests_usd),
            usd(delta)
        ),
    }
}

/// Which what-if size a right-sizing moves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RightSizeTarget {
    Cheapest,
    Balanced,
}

/// Moving from the current memory to the cheapest feasible size of the what-if.
pub fn right_size_saving(whatif: &WhatIf) -> Saving {
    right_size_saving_to(whatif, RightSizeTarget::Cheapest)
}

/// Moving from the current memory to the what-if's cheapest or balanced size. A smaller
/// size (or any move from an infeasible current size) is `lambda-right-size-memory`; a larger,
/// cheaper and faster size is `lambda-memory-for-cpu`.
pub fn right_size_saving_to(whatif: &WhatIf, target: RightSizeTarget) -> Saving {
    let cur = &whatif.current;
    let to: Option<&WhatIfPoint> = match target {
        RightSizeTarget::Cheapest => whatif.cheapest.as_ref(),
        RightSizeTarget::Balanced => whatif.balanced.as_ref(),
    };
    let Some(to) = to else {
        return Saving {
            remedy_id: "lambda-right-size-memory",
            monthly_usd_delta: 0.0,
            latency_ms_delta: None,
            explanation: "No memory size up to 10,240 MB fits the observed peak memory plus headroom.".into(),
        };
    };
    let remedy_id = if to.memory_mb > cur.memory_mb && cur.feasible { "lambda-memory-for-cpu" } else { "lambda-right-size-memory" };
    if to.memory_mb == cur.memory_mb {
        return Saving {
            remedy_id,
            monthly_usd_delta: 0.0,
            latency_ms_delta: Some(0.0),
            explanation: format!(
                "{} MB is already the {} size ({} a month, about {} ms).",
                num(cur.memory_mb, 0),
                match target {
                    RightSizeTarget::Cheapest => "cheapest",
                    RightSizeTarget::Balanced => "balanced",
                },
                usd(cur.monthly_usd),
                num(cur.expected_ms, 0)
            ),
        };
    }
    let delta = to.monthly_usd - cur.monthly_usd;
    let dt = to.expected_ms - cur.expected_ms;
    let mut explanation = format!(
        "Changing MemorySize from {} MB to {} MB ({}) changes the bill from {} to {} a month ({}{}) and the expected duration from {} ms to {} ms ({}{} ms).",
        num(cur.memory_mb, 0),
        num(to.memory_mb, 0),
        match target {
            RightSizeTarget::Cheapest => "the cheapest size that fits",
            RightSizeTarget::Balanced => "the balanced size",
        },
        usd(cur.monthly_usd),
        usd(to.monthly_usd),
        usd(delta),
        if cur.monthly_usd > 0.0 { format!(", {} %", num(delta / cur.monthly_usd * 100.0, 0)) } else { String::new() },
        num(cur.expected_ms, 0),
        num(to.expected_ms, 0),
        if dt >= 0.0 { "+" } else { "" },
        num(dt, 0)
    );
    if !cur.feasible {
        explanation.push_str(" The current size leaves too little headroom above the observed peak memory.");
    }
    explanation.push_str(" Based on the what-if model; see its assumptions.");
    Saving { remedy_id, monthly_usd_delta: delta, latency_ms_delta: Some(dt), explanation }
}

/// The monthly request charge of an API Gateway REST API (`http = false`) or HTTP API.
pub fn api_gateway_monthly(prices: &Prices, requests_per_month: f64, http: bool) -> f64 {
    let tiers = if http { &prices.api_gateway.http_usd_per_million_requests } else { &prices.api_gateway.rest_usd_per_million_requests };
    tiered_usd(tiers, requests_per_month, 1e6)
}

/// Moving an API from a REST API to an HTTP API (`apigw-http-api`): the request charges only
/// (tiered; HTTP API requests are metered in 512 KB units, assumed one unit each; no free tier;
/// data transfer and caching not included).
pub fn http_api_saving(prices: &Prices, requests_per_month: f64) -> Saving {
    let rest = api_gateway_monthly(prices, requests_per_month, false);
    let http = api_gateway_monthly(prices, requests_per_month, true);
    let delta = http - rest;
    Saving {
        remedy_id: "apigw-http-api",
        monthly_usd_delta: delta,
        latency_ms_delta: None,
        explanation: format!(
            "{} requests a month cost {} on a REST API and {} on an HTTP API: {} a month{}. \
             Assumes requests under 512 KB (HTTP APIs meter in 512 KB units) and excludes data transfer and caching; \
             HTTP APIs also add less latency, not quantified here.",
            num(requests_per_month, 0),
            usd(rest),
            usd(http),
            usd(delta),
            pct(delta, rest)
        ),
    }
}

/// Adding provisioned concurrency (`lambda-provisioned-concurrency`): `concurrency`
/// environments for `hours_per_month` (730 when `None`).
///
/// The invocations' GB-seconds are served by the provisioned environments up to their
/// capacity (concurrency × GB × hours), assuming traffic spread evenly over the month (peaks
/// above the concurrency spill over to on-demand); the rest stays on demand. INIT billing
/// disappears for the share served. The free tier does not apply with provisioned
/// concurrency. Latency saved per average invocation = cold-start share × mean Init Duration,
/// for the share served.
pub fn provisioned_concurrency_cost(
    prices: &Prices,
    usage: &LambdaUsage,
    concurrency: f64,
    hours_per_month: Option<f64>,
    cold_start_share: f64,
    avg_init_ms: f64,
) -> Saving {
    let before = monthly_cost(prices, usage);
    let hours = hours_per_month.unwrap_or(DEFAULT_HOURS_PER_MONTH).max(0.0);
    let gb = usage.memory_gb();
    let capacity_gb_s = concurrency.max(0.0) * gb * hours * 3600.0;
    let used_gb_s = usage.compute_gb_seconds();
    let served_gb_s = used_gb_s.min(capacity_gb_s);
    let served_share = if used_gb_s > 0.0 { served_gb_s / used_gb_s } else { 1.0 };
    let pc_usd = provisioned_concurrency_monthly(prices, usage.memory_mb, concurrency, usage.architecture, Some(hours), served_gb_s);
    // What stays on demand: the spillover invocations, with their share of INIT.
    let spill = LambdaUsage {
        requests_per_month: usage.requests_per_month * (1.0 - served_share),
        init_billed_ms_per_month: usage.init_billed_ms_per_month * (1.0 - served_share),
        free_tier: false,
        ..usage.clone()
    };
    let spill_usd = monthly_cost(prices, &spill);
    let requests_usd = usage.requests_per_month.max(0.0) * prices.request_usd();
    let after = pc_usd + spill_usd.compute_usd + spill_usd.init_usd + requests_usd;
    let delta = after - before.total_usd;
    let latency = -(cold_start_share.clamp(0.0, 1.0) * avg_init_ms.max(0.0) * served_share);
    let utilisation = if capacity_gb_s > 0.0 { served_gb_s / capacity_gb_s } else { 0.0 };
    Saving {
        remedy_id: "lambda-provisioned-concurrency",
        monthly_usd_delta: delta,
        latency_ms_delta: Some(latency),
        explanation: format!(
            "{} provisioned environments of {} MB for {} h cost {} a month ({} % utilised, serving {} % of the invocations' GB-seconds); \
             the bill goes from {} to {} ({}{}). Cold starts ({} % of invocations, {} ms each) disappear for the traffic served, \
             {} ms less on an average invocation. Assumes traffic spread evenly over the month (peaks spill over to on-demand) \
             and no free tier (it does not apply with provisioned concurrency).",
            num(concurrency, 0),
            num(usage.memory_mb, 0),
            num(hours, 0),
            usd(pc_usd),
            num(utilisation * 100.0, 0),
            num(served_share * 100.0, 0),
            usd(before.total_usd),
            usd(after),
            if delta >= 0.0 { "+" } else { "" },
            usd(delta),
            num(cold_start_share * 100.0, 1),
            num(avg_init_ms, 0),
            num(-latency, 1)
        ),
    }
}
