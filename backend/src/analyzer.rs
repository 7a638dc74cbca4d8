//! Runs engine work for the API within bounds: at most N jobs at once (a semaphore; a request
//! waits briefly for a slot, then gets 503), each on tokio's blocking pool (the engine is
//! synchronous and CPU-bound, so it must not stall the async workers) and within a time limit
//! (503 past it).
//!
//! A job that times out cannot be cancelled (it is plain synchronous code): it keeps its slot
//! until it ends, so slow inputs never add up to more CPU work than the slots allow.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;
use crate::telemetry::Metrics;
use crate::telemetry::metrics::AnalysisError;

pub struct Analyzer {
    slots: Arc<Semaphore>,
    metrics: Metrics,
    timeout: Duration,
    queue_wait: Duration,
}

/// Why a job did not produce its result.
#[derive(Debug)]
pub enum Refused {
    /// No slot came free within the queue wait.
    Busy,
    /// The job ran past the time limit (it finishes in the background).
    TimedOut(Duration),
    /// The job panicked; the message is for the log.
    Panicked(String),
}

impl From<Refused> for crate::error::ApiError {
    fn from(refused: Refused) -> Self {
        use crate::error::ApiError;
        match refused {
            Refused::Busy => ApiError::Unavailable("every analysis slot is busy; retry in a moment".into()),
            Refused::TimedOut(limit) => {
                tracing::warn!(?limit, "analysis ran past the time limit");
                ApiError::AnalysisTimeout(format!(
                    "the analysis took longer than {:.1} s; try a smaller template or fewer metrics",
                    limit.as_secs_f64()
                ))
            }
            Refused::Panicked(detail) => ApiError::Internal(format!("analysis panicked: {detail}")),
        }
    }
}

impl Analyzer {
    /// Counts into `metrics`: `archlens_analyses_total` for every job that ran to the end, and
    /// `archlens_analysis_errors_total` for jobs refused, timed out or panicked. (Callers count
    /// template errors, which only they can see.)
    pub fn new(limits: &Limits, metrics: Metrics) -> Analyzer {
        Analyzer {
            slots: Arc::new(Semaphore::new(limits.max_concurrent_analyses.max(1))),
            metrics,
            timeout: limits.analysis_timeout,
            queue_wait: limits.analysis_queue_wait,
        }
    }

    /// Waits up to the queue wait for a free slot. Held slots are what [`run`](Self::run) counts;
    /// tests hold them to see the service refuse work.
    pub async fn acquire_slot(&self) -> Result<OwnedSemaphorePermit, Refused> {
        match tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; treat it as busy rather than panic if it ever is.
            Ok(Err(_)) | Err(_) => Err(Refused::Busy),
        }
    }

    /// Slots free right now.
    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }

    /// Runs `job` on the blocking pool in a slot, inside the caller's tracing span (so its
    /// logs keep the request id).
    pub async fn run<T, F>(&self, job: F) -> Result<T, Refused>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let outcome = self.run_in_slot(job).await;
        match &outcome {
            Ok(_) => self.metrics.analysis_done(),
            Err(Refused::Busy) => self.metrics.analysis_failed(AnalysisError::Busy),
            Err(Refused::TimedOut(_)) => self.metrics.analysis_failed(AnalysisError::Timeout),
            Err(Refused::Panicked(_)) => self.metrics.analysis_failed(AnalysisError::Internal),
        }
        outcome
    }

    async fn run_in_slot<T, F>(&self, job: F) -> Result<T, Refused>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.acquire_slot().await?;
        let span = tracing::Span::current();
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(job)
        });
        match tokio::time::timeout(self.timeout, handle).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(join_error)) => Err(Refused::Panicked(join_error.to_string())),
            Err(_) => Err(Refused::TimedOut(self.timeout)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer(slots: usize, timeout_ms: u64, queue_ms: u64) -> Analyzer {
        let limits = Limits {
            max_concurrent_analyses: slots,
            analysis_timeout: Duration::from_millis(timeout_ms),
            analysis_queue_wait: Duration::from_millis(queue_ms),
            ..Limits::default()
        };
        Analyzer::new(&limits, Metrics::default())
    }

    #[tokio::test]
    async fn runs_a_job_and_frees_its_slot() {
        let a = analyzer(1, 5_000, 100);
        assert_eq!(a.run(|| 6 * 7).await.unwrap(), 42);
        assert_eq!(a.available(), 1);
    }

    #[tokio::test]
    async fn refuses_when_every_slot_stays_busy() {
        let a = analyzer(1, 5_000, 50);
        let _held = a.acquire_slot().await.unwrap();
        assert!(matches!(a.run(|| ()).await, Err(Refused::Busy)));
    }

    #[tokio::test]
    async fn a_slow_job_times_out_but_keeps_its_slot_until_it_ends() {
        let a = analyzer(1, 20, 10);
        let result = a.run(|| std::thread::sleep(Duration::from_millis(300))).await;
        assert!(matches!(result, Err(Refused::TimedOut(_))));
        assert_eq!(a.available(), 0, "the running job still holds its slot");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(a.available(), 1);
    }

    #[tokio::test]
    async fn a_panicking_job_is_reported_not_propagated() {
        let a = analyzer(1, 5_000, 100);
        let result = a.run(|| -> u8 { panic!("boom") }).await;
        assert!(matches!(result, Err(Refused::Panicked(_))));
        assert_eq!(a.available(), 1);
    }
}
