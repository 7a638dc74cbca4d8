//! Saved team reviews: a template's analysis kept under a link (`/r/{id}`), where a team
//! decides about each finding (open, accepted, dismissed, fixed), comments on it, re-analyses
//! new versions of the template without losing that work, and sees each other's changes live.
//!
//! In: requests from `api/reviews.rs` (already authenticated and parsed). Out: the review as
//! JSON, and a stream of change events. [`model`] holds the pure logic (keys, merge),
//! [`store`] the database (SQLite or PostgreSQL), [`live`] who watches what and how changes
//! made on other instances arrive.

pub mod live;
pub mod model;
pub mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use archlens_shared::analysis::{self, MetricsFile, Options, Report};
use futures_util::Stream;
use serde_json::{Value, json};

pub use self::live::Following;
use self::live::Hub;
use self::model::{MergeSummary, Status, finding_keys, merge, now_ms, rfc3339};
use self::store::{Analysis, StoredReview, Store, WriteError};
pub use self::store::{Database, SQLITE_FILE};
use crate::error::ApiError;

/// Longest review name, comment and author name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_COMMENT_CHARS: usize = 10_000;
pub const MAX_AUTHOR_CHARS: usize = 100;
/// Longest the readiness probe waits for the database (a pool retries connecting for longer).
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);
/// Most reviews one list request returns.
pub const MAX_LIST: i64 = 200;

/// The reviews service; cheap to clone.
#[derive(Clone)]
pub struct Reviews {
    store: Store,
    hub: Arc<Hub>,
}

/// The inputs of one analysis, as the API receives them.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub template: String,
    pub metrics: Vec<MetricsFile>,
    pub ignore: Vec<String>,
}

/// One change as live viewers receive it: `data` has `version`, `kind`, `time` and what changed.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// `None` for the `ready` greeting, which is not a change.
    pub version: Option<i64>,
    pub kind: String,
    pub data: Value,
}

impl Reviews {
    /// Opens the database (migrating it) and starts following other instances' changes.
    pub async fn open(database: &Database) -> Result<Reviews, String> {
        Reviews::open_following(database, Following::default()).await
    }

    /// [`open`](Self::open), choosing how other instances' changes arrive.
    pub async fn open_following(database: &Database, following: Following) -> Result<Reviews, String> {
        let store = Store::open(database).await?;
        let hub = Arc::new(Hub::default());
        live::spawn_sync(store.clone(), &hub, following);
        Ok(Reviews { store, hub })
    }

    /// Ends the live streams and closes the database connections (SQLite checkpoints its log).
    pub async fn close(&self) {
        self.close_streams();
        self.store.close().await;
    }

    /// Ends the live event streams (graceful shutdown waits for open responses to finish).
    pub fn close_streams(&self) {
        self.hub.close();
    }

    /// Whether the database answers (for `/ready`), within [`READY_TIMEOUT`].
    pub async fn ready(&self) -> Result<(), String> {
        match tokio::time::timeout(READY_TIMEOUT, self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("database: {e}")),
            Err(_) => Err(format!("database: no answer within {READY_TIMEOUT:?}")),
        }
    }

    /// Saves a new review of an analysis made by [`prepare`].
    pub async fn create(&self, name: Option<String>, analysed: Prepared) -> Result<Value, ApiError> {
        let name = clean_name(name)?;
        let id = model::new_review_id().map_err(|e| ApiError::Internal(format!("no randomness for a review id: {e}")))?;
        let now = now_ms();
        self.store
            .create(&id, name.as_deref(), &analysed.as_analysis(), now)
            .await
            .map_err(write_error)?;
        self.hub.publish(&id, 1);
        self.get(&id).await
    }

    /// The review: report of the current revision, and every finding ever reported with its
    /// status and comments.
    pub async fn get(&self, id: &str) -> Result<Value, ApiError> {
        let stored = if model::is_review_id(id) { self.store.get(id).await.map_err(db_error)? } else { None };
        let stored = stored.ok_or_else(|| not_found(id))?;
        Ok(review_json(&stored))
    }

    /// The most recent reviews, newest first, with their findings counted by status.
    pub async fn list(&self, limit: Option<i64>) -> Result<Value, ApiError> {
        let limit = limit.unwrap_or(50);
        if !(1..=MAX_LIST).contains(&limit) {
            return Err(ApiError::BadRequest(format!("limit must be between 1 and {MAX_LIST}")));
        }
        let rows = self.store.list(limit).await.map_err(db_error)?;
        let reviews: Vec<Value> = rows
            .iter()
            .map(|row| {
                let r = &row.review;
                let counts: serde_json::Map<String, Value> =
                    row.counts.iter().map(|(s, n)| (s.as_str().to_string(), json!(n))).collect();
                let mut item = header(r);
                item.insert("counts".into(), Value::Object(counts));
                Value::Object(item)
            })
            .collect();
        Ok(json!({ "reviews": reviews }))
    }

    /// The metrics and ignore list of the current revision (what a reanalysis keeps when not
    /// given new ones).
    pub async fn current_inputs(&self, id: &str) -> Result<(Vec<MetricsFile>, Vec<String>), ApiError> {
        check_id(id)?;
        let (metrics, ignore) = self.store.current_inputs(id).await.map_err(db_error)?.ok_or_else(|| not_found(id))?;
        let metrics = serde_json::from_str(&metrics).map_err(|e| ApiError::Internal(format!("stored metrics of {id}: {e}")))?;
        let ignore = serde_json::from_str(&ignore).map_err(|e| ApiError::Internal(format!("stored ignore list of {id}: {e}")))?;
        Ok((metrics, ignore))
    }

    /// Sets a finding's status, if the review is still at `version`.
    pub async fn set_status(&self, id: &str, key: &str, status: &str, version: i64, author: &str) -> Result<Value, ApiError> {
        let status = Status::parse(status).ok_or_else(|| {
            ApiError::Unprocessable(format!("status must be one of: open, accepted, dismissed, fixed (not `{status}`)"))
        })?;
        check_id(id)?;
        let (version, previous) = self
            .store
            .set_status(id, version, key, status, author, now_ms())
            .await
            .map_err(write_error)?;
        self.hub.publish(id, version);
        Ok(json!({"id": id, "version": version, "key": key, "status": status, "previous": previous}))
    }

    /// Adds a comment to a finding, if the review is still at `version`.
    pub async fn comment(&self, id: &str, key: &str, text: &str, version: i64, author: &str) -> Result<Value, ApiError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ApiError::Unprocessable("a comment needs some text".into()));
        }
        if text.chars().count() > MAX_COMMENT_CHARS {
            return Err(ApiError::Unprocessable(format!("a comment is at most {MAX_COMMENT_CHARS} characters")));
        }
        check_id(id)?;
        let now = now_ms();
        let version = self
            .store
            .add_comment(id, version, key, author, text, now)
            .await
            .map_err(write_error)?;
        self.hub.publish(id, version);
        Ok(json!({
            "id": id,
            "version": version,
            "key": key,
            "comment": {"author": author, "text": text, "time": rfc3339(now), "version": version},
        }))
    }

    /// Records an analysis (of a new version of the template, made by [`prepare`]) as the next
    /// revision: findings whose key still applies keep their status and comments, new ones
    /// open, vanished ones become fixed. `version`, when given, must be the current one (as for
    /// any other change).
    pub async fn reanalyze(&self, id: &str, version: Option<i64>, analysed: Prepared) -> Result<Value, ApiError> {
        check_id(id)?;
        let keys: Vec<String> = analysed.findings.iter().map(|(k, _)| k.clone()).collect();
        let (version, revision, summary) = self
            .store
            .reanalyze(
                id,
                version,
                &analysed.as_analysis(),
                |prior| merge(prior, &keys),
                |revision, summary: &MergeSummary| json!({"revision": revision, "changes": summary}).to_string(),
                now_ms(),
            )
            .await
            .map_err(write_error)?;
        self.hub.publish(id, version);
        Ok(json!({"id": id, "version": version, "revision": revision, "changes": summary, "review": self.get(id).await?}))
    }

    /// The changes of review `id` as they happen, from just after `after` (the `Last-Event-ID`
    /// a reconnecting browser sends) or from now. Starts with a `ready` event carrying the
    /// current version.
    pub async fn events(&self, id: &str, after: Option<i64>) -> Result<impl Stream<Item = LiveEvent> + Send + 'static, ApiError> {
        check_id(id)?;
        // Subscribe before reading the version, so no change falls between the two.
        let rx = self.hub.subscribe(id);
        let current = self.store.version(id).await.map_err(db_error)?.ok_or_else(|| not_found(id))?;
        self.hub.publish(id, current);
        let sent = after.map_or(current, |a| a.clamp(0, current));
        let ready = LiveEvent { version: None, kind: "ready".into(), data: json!({"kind": "ready", "version": current}) };
        let feed = Feed { store: self.store.clone(), id: id.to_string(), rx, sent, queue: vec![ready].into() };
        Ok(futures_util::stream::unfold(feed, Feed::next))
    }
}

/// The state of one viewer's event stream.
struct Feed {
    store: Store,
    id: String,
    rx: tokio::sync::watch::Receiver<i64>,
    /// The last version sent.
    sent: i64,
    queue: std::collections::VecDeque<LiveEvent>,
}

impl Feed {
    async fn next(mut self) -> Option<(LiveEvent, Feed)> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some((event, self));
            }
            let latest = *self.rx.borrow_and_update();
            if latest > self.sent {
                let events = match self.store.events_since(&self.id, self.sent).await {
                    Ok(events) => events,
                    Err(e) => {
                        // Ending the stream makes the browser reconnect with Last-Event-ID.
                        tracing::warn!(error = %e, review = %self.id, "cannot read review events");
                        return None;
                    }
                };
                if events.is_empty() {
                    // A version announced but not readable yet cannot happen (the event is
                    // committed with it); don't spin on it.
                    self.sent = latest;
                }
                for e in events {
                    self.sent = e.version;
                    let mut data: Value = serde_json::from_str(&e.data).unwrap_or_else(|_| json!({}));
                    if let Value::Object(map) = &mut data {
                        map.insert("version".into(), json!(e.version));
                        map.insert("kind".into(), json!(e.kind));
                        map.insert("time".into(), json!(rfc3339(e.created_ms)));
                    }
                    self.queue.push_back(LiveEvent { version: Some(e.version), kind: e.kind, data });
                }
                continue;
            }
            if self.rx.changed().await.is_err() {
                return None;
            }
        }
    }
}

/// An analysis ready to store: inputs and outputs as JSON text, findings keyed.
pub struct Prepared {
    inputs: Inputs,
    metrics_json: String,
    ignore_json: String,
    report_json: String,
    findings: Vec<(String, String)>,
}

impl Prepared {
    fn as_analysis(&self) -> Analysis<'_> {
        Analysis {
            template: &self.inputs.template,
            metrics_json: &self.metrics_json,
            ignore_json: &self.ignore_json,
            report_json: &self.report_json,
            findings: &self.findings,
        }
    }
}

/// Runs the engine and puts its output in the form the store keeps. Synchronous and
/// CPU-bound: the API runs it on its analysis pool, within its limits.
pub fn prepare(inputs: Inputs) -> Result<Prepared, ApiError> {
    let options = Options { ignore: inputs.ignore.clone(), metrics: inputs.metrics.clone() };
    let report: Report = analysis::analyze(&inputs.template, &options).map_err(|e| ApiError::Template {
        file: "template".into(),
        line: e.line,
        column: e.col,
        message: e.message,
    })?;
    let findings = finding_keys(&report.findings)
        .into_iter()
        .zip(&report.findings)
        .map(|(k, f)| (k, to_json(f)))
        .collect();
    Ok(Prepared {
        metrics_json: to_json(&inputs.metrics),
        ignore_json: to_json(&inputs.ignore),
        report_json: to_json(&report),
        findings,
        inputs,
    })
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("analysis types serialize")
}

fn clean_name(name: Option<String>) -> Result<Option<String>, ApiError> {
    let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS) {
        return Err(ApiError::Unprocessable(format!("a review name is at most {MAX_NAME_CHARS} characters")));
    }
    Ok(name)
}

/// The author a change is recorded under: at most [`MAX_AUTHOR_CHARS`], "anonymous" if blank.
pub fn author_name(name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.chars().take(MAX_AUTHOR_CHARS).collect(),
        None => "anonymous".to_string(),
    }
}

fn url(id: &str) -> String {
    format!("/r/{id}")
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if model::is_review_id(id) { Ok(()) } else { Err(not_found(id)) }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no review `{id}`"))
}

fn db_error(e: sqlx::Error) -> ApiError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => ApiError::Unavailable(format!("database: {e}")),
        e => ApiError::Internal(format!("database: {e}")),
    }
}

fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::NotFound(m) => ApiError::NotFound(m),
        WriteError::Conflict { current } => ApiError::Conflict {
            message: format!("the review changed meanwhile (now at version {current}): reload it and try again"),
            version: current,
        },
        WriteError::Db(e) => db_error(e),
    }
}

fn review_json(s: &StoredReview) -> Value {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let mut comments: HashMap<&str, Vec<Value>> = HashMap::new();
    for c in &s.comments {
        comments.entry(c.key.as_str()).or_default().push(json!({
            "author": c.author,
            "text": c.body,
            "time": rfc3339(c.created_ms),
            "version": c.version,
        }));
    }
    let mut counts: serde_json::Map<String, Value> = Status::ALL.iter().map(|s| (s.as_str().to_string(), json!(0))).collect();
    let findings: Vec<Value> = s
        .findings
        .iter()
        .map(|f| {
            if let Some(Value::Number(n)) = counts.get_mut(&f.status) {
                *n = (n.as_u64().unwrap_or(0) + 1).into();
            }
            json!({
                "key": f.key,
                "status": f.status,
                "present": f.present,
                "first_revision": f.first_revision,
                "last_revision": f.last_revision,
                "finding": parse(&f.finding),
                "comments": comments.remove(f.key.as_str()).unwrap_or_default(),
            })
        })
        .collect();
    let mut review = header(&s.review);
    let rest = json!({
        "revisions": s.revisions.iter().map(|(n, t)| json!({"number": n, "created": rfc3339(*t)})).collect::<Vec<_>>(),
        "template": s.current.template,
        "metrics": parse(&s.current.metrics),
        "ignore": parse(&s.current.ignore_rules),
        "report": parse(&s.current.report),
        "findings": findings,
        "counts": counts,
    });
    if let Value::Object(rest) = rest {
        review.extend(rest);
    }
    Value::Object(review)
}

/// What a review is, in the list and in full: id, name, link, times, version, revision.
fn header(r: &store::ReviewRow) -> serde_json::Map<String, Value> {
    [
        ("id", json!(r.id)),
        ("name", json!(r.name)),
        ("url", json!(url(&r.id))),
        ("created", json!(rfc3339(r.created_ms))),
        ("updated", json!(rfc3339(r.updated_ms))),
        ("version", json!(r.version)),
        ("revision", json!(r.revision)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
