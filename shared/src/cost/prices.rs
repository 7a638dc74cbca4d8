//! Price data: `knowledge/prices.yaml`, compiled in, parsed with the crate's YAML reader and
//! validated (positive, tiers ordered and not rising, arm64 cheaper than x86_64).

use serde::{Deserialize, Serialize};

use super::Arch;

/// The price file compiled into this build.
pub const PRICES_YAML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../knowledge/prices.yaml"));

/// One tier of a tiered price: `usd` per unit until the monthly quantity reaches `up_to`
/// (cumulative; `None` on the last tier).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(default)]
    pub up_to: Option<f64>,
    pub usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByArch<T> {
    pub x86_64: T,
    pub arm64: T,
}

impl<T> ByArch<T> {
    pub fn get(&self, arch: Arch) -> &T {
        match arch {
            Arch::X86_64 => &self.x86_64,
            Arch::Arm64 => &self.arm64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionedPrices {
    /// Per GB-second of provisioned concurrency configured, used or not.
    pub concurrency_usd_per_gb_second: f64,
    /// Per GB-second of invocations served by provisioned environments.
    pub duration_usd_per_gb_second: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreeTier {
    pub requests_per_month: f64,
    pub gb_seconds_per_month: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaPrices {
    /// On-demand duration tiers, per GB-second.
    pub duration_usd_per_gb_second: ByArch<Vec<Tier>>,
    pub requests_usd_per_million: f64,
    pub provisioned_concurrency: ByArch<ProvisionedPrices>,
    pub free_tier: FreeTier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiGatewayPrices {
    pub rest_usd_per_million_requests: Vec<Tier>,
    pub http_usd_per_million_requests: Vec<Tier>,
}

/// The prices of one region at one date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub region: String,
    pub currency: String,
    /// `YYYY-MM` the figures were read from the pricing pages.
    pub as_of: String,
    /// The pricing pages the figures come from.
    pub sources: Vec<String>,
    pub lambda: LambdaPrices,
    pub api_gateway: ApiGatewayPrices,
}

impl Prices {
    /// Parses and validates a price file (YAML or JSON).
    pub fn parse(text: &str) -> Result<Prices, String> {
        let doc = crate::yaml::parse(text).map_err(|e| format!("prices: {e}"))?;
        let prices: Prices = serde_json::from_value(doc.to_json()).map_err(|e| format!("prices: {e}"))?;
        let problems = prices.problems();
        if problems.is_empty() { Ok(prices) } else { Err(format!("prices: {}", problems.join("; "))) }
    }

    /// The compiled-in prices (`knowledge/prices.yaml`), parsed once. Panics if the file is
    /// invalid, which the tests make impossible to ship.
    pub fn embedded() -> &'static Prices {
        static P: std::sync::OnceLock<Prices> = std::sync::OnceLock::new();
        P.get_or_init(|| match Prices::parse(PRICES_YAML) {
            Ok(p) => p,
            Err(e) => panic!("the compiled-in price file is invalid: {e}"),
        })
    }

    /// Everything wrong with the data, one sentence each (empty when valid).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut positive = |name: &str, v: f64| {
            if !(v.is_finite() && v > 0.0) {
                out.push(format!("{name} must be a positive number, found {v}"));
            }
        };
        let l = &self.lambda;
        positive("lambda.requests_usd_per_million", l.requests_usd_per_million);
        for arch in [Arch::X86_64, Arch::Arm64] {
            let pc = l.provisioned_concurrency.get(arch);
            positive(&format!("lambda.provisioned_concurrency.{arch}.concurrency_usd_per_gb_second"), pc.concurrency_usd_per_gb_second);
            positive(&format!("lambda.provisioned_concurrency.{arch}.duration_usd_per_gb_second"), pc.duration_usd_per_gb_second);
        }
        let free = &l.free_tier;
        if !(free.requests_per_month >= 0.0 && free.gb_seconds_per_month >= 0.0) {
            out.push("lambda.free_tier quantities must be zero or more".into());
        }
        let tiered = [
            ("lambda.duration_usd_per_gb_second.x86_64", &l.duration_usd_per_gb_second.x86_64),
            ("lambda.duration_usd_per_gb_second.arm64", &l.duration_usd_per_gb_second.arm64),
            ("api_gateway.rest_usd_per_million_requests", &self.api_gateway.rest_usd_per_million_requests),
            ("api_gateway.http_usd_per_million_requests", &self.api_gateway.http_usd_per_million_requests),
        ];
        for (name, tiers) in tiered {
            out.extend(tier_problems(name, tiers));
        }
        let (x86, arm) = (&l.duration_usd_per_gb_second.x86_64, &l.duration_usd_per_gb_second.arm64);
        if x86.len() == arm.len() {
            for (k, (x, a)) in x86.iter().zip(arm).enumerate() {
                if a.usd >= x.usd {
                    out.push(format!("arm64 duration tier {} (${}) is not cheaper than x86_64 (${})", k + 1, a.usd, x.usd));
                }
            }
        } else {
            out.push("x86_64 and arm64 must have the same number of duration tiers".into());
        }
        let (px, pa) = (&l.provisioned_concurrency.x86_64, &l.provisioned_concurrency.arm64);
        if pa.concurrency_usd_per_gb_second >= px.concurrency_usd_per_gb_second || pa.duration_usd_per_gb_second >= px.duration_usd_per_gb_second {
            out.push("arm64 provisioned concurrency must be cheaper than x86_64".into());
        }
        if self.region.is_empty() || self.currency != "USD" || self.as_of.len() < 7 || self.sources.is_empty() {
            out.push("region, currency (USD), as_of (YYYY-MM) and sources are required".into());
        }
        out
    }

    /// On-demand duration tiers of an architecture.
    pub fn duration_tiers(&self, arch: Arch) -> &[Tier] {
        self.lambda.duration_usd_per_gb_second.get(arch)
    }

    /// The first-tier on-demand GB-second price (what one more invocation costs for all but
    /// the largest accounts).
    pub fn gb_second_usd(&self, arch: Arch) -> f64 {
        self.duration_tiers(arch).first().map_or(0.0, |t| t.usd)
    }

    /// Price of one request.
    pub fn request_usd(&self) -> f64 {
        self.lambda.requests_usd_per_million / 1e6
    }
}

fn tier_problems(name: &str, tiers: &[Tier]) -> Vec<String> {
    let mut out = Vec::new();
    if tiers.is_empty() {
        out.push(format!("{name} has no tiers"));
        return out;
    }
    let mut prev_end = 0.0;
    let mut prev_price = f64::INFINITY;
    for (k, t) in tiers.iter().enumerate() {
        let last = k + 1 == tiers.len();
        if !(t.usd.is_finite() && t.usd > 0.0) {
            out.push(format!("{name} tier {} price must be positive, found {}", k + 1, t.usd));
        }
        if t.usd > prev_price {
            out.push(format!("{name} tier {} is dearer than the tier before", k + 1));
        }
        prev_price = t.usd;
        match (t.up_to, last) {
            (Some(_), true) => out.push(format!("{name}: the last tier must have no up_to")),
            (None, false) => out.push(format!("{name} tier {} needs up_to", k + 1)),
            (Some(end), false) => {
                if end.is_nan() || end <= prev_end {
                    out.push(format!("{name} tier {} ends at {end}, not after {prev_end}", k + 1));
                }
                prev_end = end;
            }
            (None, true) => {}
        }
    }
    out
}

/// The charge for `quantity` units (GB-seconds, or requests when `per` is 1e6) over cumulative
/// tiers, with `per` units per priced unit.
pub fn tiered_usd(tiers: &[Tier], quantity: f64, per: f64) -> f64 {
    let mut remaining = quantity.max(0.0);
    let mut start = 0.0;
    let mut usd = 0.0;
    for t in tiers {
        if remaining <= 0.0 {
            break;
        }
        let size = t.up_to.map_or(f64::INFINITY, |end| (end - start).max(0.0));
        let here = remaining.min(size);
        usd += here * t.usd / per;
        remaining -= here;
        if let Some(end) = t.up_to {
            start = end;
        }
    }
    usd
}
