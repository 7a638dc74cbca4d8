//! Runs engine work for the API within bounds: at most N jobs at once (a semaphore; a request
//! waits briefly for a slot, then gets 503), each on one of N analysis threads of its own (the
//! engine is synchronous and CPU-bound, so it must not stall the async workers) and within a
//! time limit (503 past it).
//!
//! Why threads of its own rather than tokio's blocking pool: that pool hands each job to the
//! thread that has been idle longest, so under load every job lands on another of a dozen
//! threads, each with its own allocator heap and cold caches (the allocator was 22 % of the
//! server's time under `examples/load.rs`, 11 % with N threads). In interleaved runs of that
//! load test on 2 cores, N threads served 1–17 % more analyses per second than the blocking
//! pool, with 43 MB peak RSS instead of 82–96 MB.
//!
//! A job that times out cannot be cancelled (it is plain synchronous code): it keeps its slot
//! and its thread until it ends, so slow inputs never add up to more CPU work than the slots
//! allow.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::config::Limits;
use crate::telemetry::Metrics;
use crate::telemetry::metrics::AnalysisError;

pub struct Analyzer {
    slots: Arc<Semaphore>,
    /// The analysis threads' queue; a job is only queued while it holds a slot, and there are
    /// as many threads as slots, so it never waits here. The threads end when it is dropped.
    jobs: Sender<Job>,
    metrics: Metrics,
    timeout: Duration,
    queue_wait: Duration,
}

type Job = Box<dyn FnOnce() + Send>;

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
        let slots = limits.max_concurrent_analyses.max(1);
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 1..=slots {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("archlens-analysis-{n}"))
                .spawn(move || work(&queue))
                .expect("cannot start an analysis thread");
        }
        Analyzer {
            slots: Arc::new(Semaphore::new(slots)),
            jobs,
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

    /// Runs `job` on an analysis thread in a slot, inside the caller's tracing span (so its
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
        let (done, outcome) = oneshot::channel();
        let job: Job = Box::new(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| span.in_scope(job)));
            // Free before answering, so the slot is free once the caller has its answer.
            drop(permit);
            // The request may have given up (timeout, client gone): nobody to tell then.
            let _ = done.send(result.map_err(|panic| panic_message(&*panic)));
        });
        if self.jobs.send(job).is_err() {
            return Err(Refused::Panicked("the analysis threads have stopped".into()));
        }
        match tokio::time::timeout(self.timeout, outcome).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(message))) => Err(Refused::Panicked(message)),
            Ok(Err(_)) => Err(Refused::Panicked("an analysis thread stopped during the job".into())),
            Err(_) => Err(Refused::TimedOut(self.timeout)),
        }
    }
}

/// An analysis thread: runs jobs until the [`Analyzer`] is dropped.
fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held while waiting, so one idle thread waits on the channel and the
        // others on the lock; a job panicking never happens under it (see `run_in_slot`).
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
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
        assert!(matches!(&result, Err(Refused::Panicked(m)) if m == "boom"), "{result:?}");
        assert_eq!(a.available(), 1);
        assert_eq!(a.run(|| 7).await.unwrap(), 7, "the thread survives the panic");
    }

    #[tokio::test]
    async fn jobs_run_on_as_many_threads_as_slots() {
        let a = Arc::new(analyzer(3, 5_000, 2_000));
        let runs = (0..30).map(|_| {
            let a = a.clone();
            tokio::spawn(async move {
                a.run(|| {
                    std::thread::sleep(Duration::from_millis(2));
                    std::thread::current().name().unwrap_or_default().to_string()
                })
                .await
                .unwrap()
            })
        });
        let mut names = std::collections::BTreeSet::new();
        for run in runs {
            names.insert(run.await.unwrap());
        }
        assert!(names.len() <= 3 && names.iter().all(|n| n.starts_with("archlens-analysis-")), "{names:?}");
    }
}
