//! Reviews in a database: SQLite in a data folder by default, PostgreSQL when given a URL.
//!
//! In: reviews, status changes, comments and new analyses from the service. Out: committed rows,
//! and the version each write produced. Every write is one transaction that starts by bumping the
//! review's version (`… WHERE version = $expected`), so a stale writer learns it lost the race
//! (a conflict) instead of overwriting, and SQLite takes its write lock on the first statement
//! instead of failing to upgrade a read lock. The transaction also appends the change to the
//! `events` table and, on PostgreSQL, sends a `NOTIFY` that other instances receive on commit.
//!
//! The SQL text is the same for both databases (`$1` placeholders, which SQLite accepts too);
//! only the pool type differs, which `on_pool!` expands for each.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Row;

use super::model::{Change, Prior, Status};

/// The channel changes are announced on (`NOTIFY archlens_reviews, 'ID VERSION'`).
pub const CHANNEL: &str = "archlens_reviews";

/// The SQLite file inside `--data-dir`.
pub const SQLITE_FILE: &str = "archlens.db";

/// Where reviews are kept.
#[derive(Debug, Clone)]
pub enum Database {
    /// `DIR/archlens.db`, created on first start.
    Sqlite { dir: PathBuf },
    /// A `postgres://` URL; several instances may share it.
    Postgres { url: String },
}

impl Database {
    /// `--database-url` when given (it must be PostgreSQL), else SQLite in `data_dir`.
    pub fn from_options(data_dir: &Path, database_url: Option<&str>) -> Result<Database, String> {
        match database_url {
            None => Ok(Database::Sqlite { dir: data_dir.to_path_buf() }),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Database::Postgres { url: url.to_string() })
            }
            Some(_) => Err("--database-url must be a postgres:// URL (SQLite is configured with --data-dir)".into()),
        }
    }
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Expands `$body` once per database: sqlx's pools, connections and rows are typed by database,
/// and code generic over `sqlx::Database` needs a bound for every type and executor it touches;
/// expanding the same source (and the same SQL) twice is simpler to read. `$pg` says which one
/// runs, for the little that differs (PostgreSQL's NOTIFY and isolation level).
macro_rules! on_pool {
    ($pool:expr, |$p:ident, $pg:ident| $body:block) => {
        match $pool {
            Pool::Sqlite($p) => {
                #[allow(unused_variables)]
                let $pg = false;
                $body
            }
            Pool::Postgres($p) => {
                #[allow(unused_variables)]
                let $pg = true;
                $body
            }
        }
    };
}

/// Bumps the version of review `$id` inside transaction `$tx`, checking it against `$expected`
/// when that is `Some`; evaluates to the new version or returns not-found / conflict.
macro_rules! bump {
    ($tx:ident, $id:expr, $expected:expr, $now:expr) => {{
        let bumped: Option<i64> = match $expected {
            Some(expected) => sqlx::query_scalar(
                "UPDATE reviews SET version = version + 1, updated_ms = $3 \
                 WHERE id = $1 AND version = $2 RETURNING version",
            )
            .bind($id)
            .bind(expected)
            .bind($now)
            .fetch_optional(&mut *$tx)
            .await?,
            None => sqlx::query_scalar(
                "UPDATE reviews SET version = version + 1, updated_ms = $2 WHERE id = $1 RETURNING version",
            )
            .bind($id)
            .bind($now)
            .fetch_optional(&mut *$tx)
            .await?,
        };
        match bumped {
            Some(v) => v,
            None => {
                let current: Option<i64> = sqlx::query_scalar("SELECT version FROM reviews WHERE id = $1")
                    .bind($id)
                    .fetch_optional(&mut *$tx)
                    .await?;
                return Err(match current {
                    None => WriteError::NotFound(format!("no review `{}`", $id)),
                    Some(current) => WriteError::Conflict { current },
                });
            }
        }
    }};
}

/// Appends event `$version` and, on PostgreSQL, announces it (delivered at commit).
macro_rules! record {
    ($tx:ident, $pg:ident, $id:expr, $version:expr, $kind:expr, $data:expr, $now:expr) => {{
        sqlx::query("INSERT INTO events (review_id, version, kind, data, created_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind($id)
            .bind($version)
            .bind($kind)
            .bind($data)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        if $pg {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{} {}", $id, $version))
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

macro_rules! insert_revision {
    ($tx:ident, $id:expr, $number:expr, $analysis:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO revisions (review_id, number, template, metrics, ignore_rules, report, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($id)
        .bind($number)
        .bind($analysis.template)
        .bind($analysis.metrics_json)
        .bind($analysis.ignore_json)
        .bind($analysis.report_json)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

/// Inserts a reported finding, or updates it keeping the row (and so its first revision).
macro_rules! upsert_finding {
    ($tx:ident, $id:expr, $key:expr, $status:expr, $position:expr, $revision:expr, $finding:expr) => {
        sqlx::query(
            "INSERT INTO findings (review_id, finding_key, status, present, position, first_revision, last_revision, finding) \
             VALUES ($1, $2, $3, 1, $4, $5, $5, $6) \
             ON CONFLICT (review_id, finding_key) DO UPDATE SET status = excluded.status, present = 1, \
             position = excluded.position, last_revision = excluded.last_revision, finding = excluded.finding",
        )
        .bind($id)
        .bind($key)
        .bind($status.as_str())
        .bind($position)
        .bind($revision)
        .bind($finding)
        .execute(&mut *$tx)
        .await?
    };
}

macro_rules! review_row {
    ($r:expr) => {
        ReviewRow {
            id: $r.try_get("id")?,
            name: $r.try_get("name")?,
            version: $r.try_get("version")?,
            revision: $r.try_get("revision")?,
            created_ms: $r.try_get("created_ms")?,
            updated_ms: $r.try_get("updated_ms")?,
        }
    };
}

/// Why a write did not happen.
#[derive(Debug)]
pub enum WriteError {
    NotFound(String),
    /// The review moved on since the version the writer had.
    Conflict { current: i64 },
    Db(sqlx::Error),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        WriteError::Db(e)
    }
}

#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: String,
    pub name: Option<String>,
    pub version: i64,
    pub revision: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// One analysed template version: its inputs and report (JSON text).
#[derive(Debug, Clone)]
pub struct RevisionRow {
    pub number: i64,
    pub template: String,
    pub metrics: String,
    pub ignore_rules: String,
    pub report: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone)]
pub struct FindingRow {
    pub key: String,
    pub status: String,
    pub present: bool,
    pub first_revision: i64,
    pub last_revision: i64,
    /// The finding as last reported (JSON).
    pub finding: String,
}

#[derive(Debug, Clone)]
pub struct CommentRow {
    pub version: i64,
    pub key: String,
    pub author: String,
    pub body: String,
    pub created_ms: i64,
}

/// A whole review as of one version (read in one snapshot).
#[derive(Debug, Clone)]
pub struct StoredReview {
    pub review: ReviewRow,
    pub current: RevisionRow,
    /// Every revision: number and time.
    pub revisions: Vec<(i64, i64)>,
    pub findings: Vec<FindingRow>,
    pub comments: Vec<CommentRow>,
}

/// A line of the review list: the review and its findings counted by status.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub review: ReviewRow,
    pub counts: Vec<(Status, i64)>,
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub version: i64,
    pub kind: String,
    /// JSON object.
    pub data: String,
    pub created_ms: i64,
}

/// What a new analysis brings: its inputs, its report and its findings by key (report order).
pub struct Analysis<'a> {
    pub template: &'a str,
    pub metrics_json: &'a str,
    pub ignore_json: &'a str,
    pub report_json: &'a str,
    pub findings: &'a [(String, String)],
}

/// The database, whichever it is; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
}

/// The schema, compiled in (no files to ship next to the binary).
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async {
            Ok(vec![Migration::new(
                1,
                Cow::Borrowed("reviews"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("migrations/0001_reviews.sql")),
                false,
            )])
        })
    }
}

impl Store {
    /// Connects (creating the SQLite file and its folder if needed) and brings the schema up to
    /// date. Several instances starting at once on one PostgreSQL database are serialised by the
    /// migrator's advisory lock.
    pub async fn open(database: &Database) -> Result<Store, String> {
        let pool = match database {
            Database::Sqlite { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create data folder {}: {e}", dir.display()))?;
                let path = dir.join(SQLITE_FILE);
                // WAL with synchronous=FULL syncs the log on every commit: a write acknowledged
                // to a client survives kill -9 and power loss. (NORMAL would only risk the last
                // commits on power loss, but FULL costs little at review-editing rates.)
                let options = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
                Pool::Sqlite(pool)
            }
            Database::Postgres { url } => {
                let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(|e| format!("bad --database-url: {e}"))?;
                let pool = PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await
                    .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
                Pool::Postgres(pool)
            }
        };
        let migrator = Migrator::new(Embedded).await.map_err(|e| e.to_string())?;
        on_pool!(&pool, |p, _pg| {
            migrator.run(p).await.map_err(|e| format!("cannot migrate the database: {e}"))?;
        });
        Ok(Store { pool })
    }

    /// The PostgreSQL pool, for LISTEN; `None` on SQLite.
    pub fn postgres(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// Closes every connection; later queries fail.
    pub async fn close(&self) {
        on_pool!(&self.pool, |p, _pg| {
            p.close().await;
        });
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(&self.pool, |p, _pg| {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    /// Saves a new review at version 1, revision 1, every finding open.
    pub async fn create(&self, id: &str, name: Option<&str>, analysis: &Analysis<'_>, now: i64) -> Result<(), WriteError> {
        on_pool!(&self.pool, |p, pg| {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO reviews (id, name, version, revision, created_ms, updated_ms) VALUES ($1, $2, 1, 1, $3, $3)",
            )
            .bind(id)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            insert_revision!(tx, id, 1i64, analysis, now);
            for (position, (key, finding)) in analysis.findings.iter().enumerate() {
                upsert_finding!(tx, id, key, Status::Open, position as i64, 1i64, finding);
            }
            let data = serde_json::json!({"findings": analysis.findings.len()}).to_string();
            record!(tx, pg, id, 1i64, "created", data, now);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn version(&self, id: &str) -> Result<Option<i64>, sqlx::Error> {
        on_pool!(&self.pool, |p, _pg| {
            sqlx::query_scalar("SELECT version FROM reviews WHERE id = $1").bind(id).fetch_optional(p).await
        })
    }

    /// The versions of the given reviews (those that exist).
    pub async fn versions(&self, ids: &[String]) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!("SELECT id, version FROM reviews WHERE id IN ({})", placeholders.join(", "));
            on_pool!(&self.pool, |p, _pg| {
                let mut query = sqlx::query(&sql);
                for id in chunk {
                    query = query.bind(id);
                }
                for row in query.fetch_all(p).await? {
                    out.push((row.try_get("id")?, row.try_get("version")?));
                }
            });
        }
        Ok(out)
    }

    /// The metrics and ignore list (JSON) of the review's current revision.
    pub async fn current_inputs(&self, id: &str) -> Result<Option<(String, String)>, sqlx::Error> {
        on_pool!(&self.pool, |p, _pg| {
            let Some(r) = sqlx::query(
                "SELECT v.metrics, v.ignore_rules FROM reviews r \
                 JOIN revisions v ON v.review_id = r.id AND v.number = r.revision WHERE r.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
            else {
                return Ok(None);
            };
            Ok(Some((r.try_get("metrics")?, r.try_get("ignore_rules")?)))
        })
    }

    /// The whole review, all read from one snapshot so that its version matches its contents.
    pub async fn get(&self, id: &str) -> Result<Option<StoredReview>, sqlx::Error> {
        on_pool!(&self.pool, |p, pg| {
            let mut tx = p.begin().await?;
            if pg {
                // PostgreSQL's default (read committed) takes a snapshot per statement.
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
            }
            let Some(r) = sqlx::query("SELECT id, name, version, revision, created_ms, updated_ms FROM reviews WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Ok(None);
            };
            let review = review_row!(r);
            let r = sqlx::query(
                "SELECT number, template, metrics, ignore_rules, report, created_ms FROM revisions \
                 WHERE review_id = $1 AND number = $2",
            )
            .bind(id)
            .bind(review.revision)
            .fetch_one(&mut *tx)
            .await?;
            let current = RevisionRow {
                number: r.try_get("number")?,
                template: r.try_get("template")?,
                metrics: r.try_get("metrics")?,
                ignore_rules: r.try_get("ignore_rules")?,
                report: r.try_get("report")?,
                created_ms: r.try_get("created_ms")?,
            };
            let mut revisions = Vec::new();
            for r in sqlx::query("SELECT number, created_ms FROM revisions WHERE review_id = $1 ORDER BY number")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
            {
                revisions.push((r.try_get("number")?, r.try_get("created_ms")?));
            }
            let mut findings = Vec::new();
            for r in sqlx::query(
                "SELECT finding_key, status, present, first_revision, last_revision, finding FROM findings \
                 WHERE review_id = $1 ORDER BY present DESC, position, finding_key",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            {
                findings.push(FindingRow {
                    key: r.try_get("finding_key")?,
                    status: r.try_get("status")?,
                    present: r.try_get::<i64, _>("present")? != 0,
                    first_revision: r.try_get("first_revision")?,
                    last_revision: r.try_get("last_revision")?,
                    finding: r.try_get("finding")?,
                });
            }
            let mut comments = Vec::new();
            for r in sqlx::query(
                "SELECT version, finding_key, author, body, created_ms FROM comments WHERE review_id = $1 ORDER BY version",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            {
                comments.push(CommentRow {
                    version: r.try_get("version")?,
                    key: r.try_get("finding_key")?,
                    author: r.try_get("author")?,
                    body: r.try_get("body")?,
                    created_ms: r.try_get("created_ms")?,
                });
            }
            tx.commit().await?;
            Ok(Some(StoredReview { review, current, revisions, findings, comments }))
        })
    }

    /// The most recently created reviews, newest first.
    pub async fn list(&self, limit: i64) -> Result<Vec<ListRow>, sqlx::Error> {
        on_pool!(&self.pool, |p, _pg| {
            let rows = sqlx::query(
                "SELECT r.id, r.name, r.version, r.revision, r.created_ms, r.updated_ms, \
                        COUNT(CASE WHEN f.status = 'open' THEN 1 END) AS open, \
                        COUNT(CASE WHEN f.status = 'accepted' THEN 1 END) AS accepted, \
                        COUNT(CASE WHEN f.status = 'dismissed' THEN 1 END) AS dismissed, \
                        COUNT(CASE WHEN f.status = 'fixed' THEN 1 END) AS fixed \
                 FROM (SELECT * FROM reviews ORDER BY created_ms DESC, id LIMIT $1) r \
                 LEFT JOIN findings f ON f.review_id = r.id \
                 GROUP BY r.id, r.name, r.version, r.revision, r.created_ms, r.updated_ms \
                 ORDER BY r.created_ms DESC, r.id",
            )
            .bind(limit)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let mut counts = Vec::with_capacity(Status::ALL.len());
                for s in Status::ALL {
                    counts.push((s, r.try_get::<i64, _>(s.as_str())?));
                }
                out.push(ListRow { review: review_row!(r), counts });
            }
            Ok(out)
        })
    }

    /// Sets one finding's status; returns the new version and the status it had.
    pub async fn set_status(
        &self,
        id: &str,
        expected: i64,
        key: &str,
        status: Status,
        author: &str,
        now: i64,
    ) -> Result<(i64, Status), WriteError> {
        on_pool!(&self.pool, |p, pg| {
            let mut tx = p.begin().await?;
            let version = bump!(tx, id, Some(expected), now);
            let previous: Option<String> =
                sqlx::query_scalar("SELECT status FROM findings WHERE review_id = $1 AND finding_key = $2")
                    .bind(id)
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(previous) = previous else {
                return Err(WriteError::NotFound(format!("no finding `{key}` in review `{id}`")));
            };
            let previous = Status::parse(&previous).unwrap_or(Status::Open);
            sqlx::query("UPDATE findings SET status = $3 WHERE review_id = $1 AND finding_key = $2")
                .bind(id)
                .bind(key)
                .bind(status.as_str())
                .execute(&mut *tx)
                .await?;
            let data = serde_json::json!({
                "key": key, "status": status, "previous": previous, "author": author,
            })
            .to_string();
            record!(tx, pg, id, version, "status", data, now);
            tx.commit().await?;
            Ok((version, previous))
        })
    }

    /// Adds a comment to one finding; returns the new version (which is also the comment's).
    pub async fn add_comment(
        &self,
        id: &str,
        expected: i64,
        key: &str,
        author: &str,
        text: &str,
        now: i64,
    ) -> Result<i64, WriteError> {
        on_pool!(&self.pool, |p, pg| {
            let mut tx = p.begin().await?;
            let version = bump!(tx, id, Some(expected), now);
            let exists: Option<String> =
                sqlx::query_scalar("SELECT finding_key FROM findings WHERE review_id = $1 AND finding_key = $2")
                .bind(id)
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(WriteError::NotFound(format!("no finding `{key}` in review `{id}`")));
            }
            sqlx::query(
                "INSERT INTO comments (review_id, version, finding_key, author, body, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(version)
            .bind(key)
            .bind(author)
            .bind(text)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let data = serde_json::json!({"key": key, "author": author, "text": text}).to_string();
            record!(tx, pg, id, version, "comment", data, now);
            tx.commit().await?;
            Ok(version)
        })
    }

    /// Records a new analysis as the next revision. `merge` gets the stored finding states (read
    /// under the review's write lock, so no concurrent change slips between read and write) and
    /// says what becomes of each; `event` turns its outcome into the event's data.
    pub async fn reanalyze<S>(
        &self,
        id: &str,
        expected: Option<i64>,
        analysis: &Analysis<'_>,
        merge: impl FnOnce(&[Prior]) -> (Vec<Change>, S),
        event: impl FnOnce(i64, &S) -> String,
        now: i64,
    ) -> Result<(i64, i64, S), WriteError> {
        on_pool!(&self.pool, |p, pg| {
            let mut tx = p.begin().await?;
            let version = bump!(tx, id, expected, now);
            let revision: i64 = sqlx::query_scalar("UPDATE reviews SET revision = revision + 1 WHERE id = $1 RETURNING revision")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let mut prior = Vec::new();
            for r in sqlx::query("SELECT finding_key, status, present FROM findings WHERE review_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
            {
                prior.push(Prior {
                    key: r.try_get("finding_key")?,
                    status: Status::parse(r.try_get::<&str, _>("status")?).unwrap_or(Status::Open),
                    present: r.try_get::<i64, _>("present")? != 0,
                });
            }
            let (changes, outcome) = merge(&prior);
            insert_revision!(tx, id, revision, analysis, now);
            for change in &changes {
                match change {
                    Change::Upsert { key, status, position } => {
                        let finding = analysis
                            .findings
                            .get(*position)
                            .map(|(_, f)| f.as_str())
                            .unwrap_or("{}");
                        upsert_finding!(tx, id, key, *status, *position as i64, revision, finding);
                    }
                    Change::Vanish { key } => {
                        sqlx::query(
                            "UPDATE findings SET status = $3, present = 0 WHERE review_id = $1 AND finding_key = $2",
                        )
                        .bind(id)
                        .bind(key)
                        .bind(Status::Fixed.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            let data = event(revision, &outcome);
            record!(tx, pg, id, version, "reanalysis", data, now);
            tx.commit().await?;
            Ok((version, revision, outcome))
        })
    }

    /// The events after `after`, oldest first (at most 500 at a time).
    pub async fn events_since(&self, id: &str, after: i64) -> Result<Vec<EventRow>, sqlx::Error> {
        on_pool!(&self.pool, |p, _pg| {
            let rows = sqlx::query(
                "SELECT version, kind, data, created_ms FROM events WHERE review_id = $1 AND version > $2 ORDER BY version LIMIT 500",
            )
            .bind(id)
            .bind(after)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(EventRow {
                    version: r.try_get("version")?,
                    kind: r.try_get("kind")?,
                    data: r.try_get("data")?,
                    created_ms: r.try_get("created_ms")?,
                });
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What makes an acknowledged write durable on SQLite: every connection of the pool logs
    /// ahead (WAL) and syncs that log on commit (synchronous = FULL, 2).
    #[tokio::test]
    async fn sqlite_connections_use_wal_and_sync_on_every_commit() {
        let dir = std::env::temp_dir().join(format!("archlens-store-pragmas-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&Database::Sqlite { dir: dir.clone() }).await.unwrap();
        let Pool::Sqlite(pool) = &store.pool else { unreachable!() };
        // Hold several connections at once so that more than the first one is checked.
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = pool.acquire().await.unwrap();
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.unwrap();
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
            assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
            held.push(conn);
        }
        drop(held);
        store.close().await;
        assert!(dir.join(SQLITE_FILE).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_postgres_urls_replace_the_data_folder() {
        let dir = Path::new("archlens-data");
        assert!(matches!(Database::from_options(dir, None), Ok(Database::Sqlite { .. })));
        assert!(matches!(Database::from_options(dir, Some("postgres://u@h/db")), Ok(Database::Postgres { .. })));
        assert!(matches!(Database::from_options(dir, Some("postgresql://u@h/db")), Ok(Database::Postgres { .. })));
        assert!(Database::from_options(dir, Some("sqlite://x.db")).is_err());
    }
}
