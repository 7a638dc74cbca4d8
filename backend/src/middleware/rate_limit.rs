//! Requests per client IP per minute on `/api` (health and readiness probes excepted), with
//! `governor`'s GCRA: a client may burst up to the per-minute quota, then gets one request per
//! `60 s / quota`; beyond that, 429 with `Retry-After`.
//!
//! The client is the TCP peer (`ConnectInfo`), so behind a reverse proxy every client shares
//! the proxy's budget: raise the limit there, or set it to 0 and limit at the proxy. IPv6
//! clients are keyed by their /64, which one subscriber usually holds whole.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::AppState;
use crate::error::ApiError;

pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

/// Forget idle clients every this many checks, so the table stays as small as the set of
/// clients seen in the last minute.
const PRUNE_EVERY: u64 = 4096;

impl RateLimiter {
    /// `None` when `per_minute` is 0 (no limit).
    pub fn per_minute(per_minute: u32) -> Option<RateLimiter> {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute)?);
        Some(RateLimiter { limiter: DefaultKeyedRateLimiter::keyed(quota), checks: AtomicU64::new(0) })
    }

    /// `Err(wait)` when the client must wait before its next request.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(&client_key(client))
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }
}

fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// Paths load balancers and orchestrators poll; throttling them would take a healthy
/// instance out of service.
pub fn is_probe(path: &str) -> bool {
    matches!(path, "/api/v1/health" | "/api/v1/ready")
}

/// The client's address; requests without one (in-process tests) share one budget.
pub fn client_ip(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(addr)| addr.ip())
}

pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(limiter) = &state.inner.rate_limiter
        && !is_probe(request.uri().path())
        && let Err(retry_after) = limiter.check(client_ip(&request))
    {
        return ApiError::RateLimited { retry_after }.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_quota_then_asks_to_wait() {
        let limiter = RateLimiter::per_minute(3).unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(20), "{wait:?}");
        assert!(limiter.check(b).is_ok(), "another client has its own budget");
    }

    #[test]
    fn ipv6_clients_share_their_64_and_mapped_ipv4_is_ipv4() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let two: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(client_key(one), client_key(two));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn zero_means_no_limit() {
        assert!(RateLimiter::per_minute(0).is_none());
    }
}
