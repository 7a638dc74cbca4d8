//! Live updates: who is watching which review, and how they learn it changed.
//!
//! In: "review R is now at version V", from this instance's own writes, from PostgreSQL
//! `NOTIFY` (writes on other instances), or from polling the watched reviews' versions every
//! 500 ms (SQLite, or while the PostgreSQL listener is down). Out: a `watch` channel per
//! watched review holding the highest version seen; the event streams wake on it and read the
//! events they have not sent from the database. A notification only says *that* something
//! changed; what changed comes from the `events` table, so a lost or duplicated notification
//! can delay an event but never lose or repeat one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::store::{CHANNEL, Store};

/// How often versions are polled when no notification can arrive.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// How an instance learns of changes made by other instances.
#[derive(Debug, Clone, Copy)]
pub struct Following {
    /// On PostgreSQL, LISTEN for the NOTIFY every write sends.
    pub notify: bool,
    /// Poll the watched reviews' versions this often: always on SQLite or without `notify`,
    /// and on PostgreSQL while the LISTEN connection is down. `None` never polls (tests use it
    /// to prove that NOTIFY alone delivers).
    pub poll: Option<Duration>,
}

impl Default for Following {
    fn default() -> Self {
        Following { notify: true, poll: Some(POLL_EVERY) }
    }
}

/// The latest known version of each watched review.
#[derive(Default)]
pub struct Hub {
    channels: Mutex<HashMap<String, watch::Sender<i64>>>,
    closed: AtomicBool,
}

impl Hub {
    /// A receiver that wakes whenever review `id` reaches a higher version.
    pub fn subscribe(&self, id: &str) -> watch::Receiver<i64> {
        let mut channels = self.channels.lock().unwrap();
        if self.closed.load(Ordering::SeqCst) {
            return watch::channel(0).1; // its sender is gone: the stream ends at once
        }
        channels.retain(|_, tx| tx.receiver_count() > 0);
        channels.entry(id.to_string()).or_insert_with(|| watch::channel(0).0).subscribe()
    }

    /// Ends every event stream, now and to come (the server is shutting down).
    pub fn close(&self) {
        let mut channels = self.channels.lock().unwrap();
        self.closed.store(true, Ordering::SeqCst);
        channels.clear();
    }

    /// Review `id` is at `version` (or later); wakes its watchers if that is news.
    pub fn publish(&self, id: &str, version: i64) {
        let channels = self.channels.lock().unwrap();
        if let Some(tx) = channels.get(id) {
            tx.send_if_modified(|known| {
                let news = version > *known;
                if news {
                    *known = version;
                }
                news
            });
        }
    }

    /// The reviews someone is watching.
    pub fn watched(&self) -> Vec<String> {
        let mut channels = self.channels.lock().unwrap();
        channels.retain(|_, tx| tx.receiver_count() > 0);
        channels.keys().cloned().collect()
    }
}

/// Starts the task that feeds `hub` with other instances' changes; it ends once `hub` is
/// dropped (its owner, the service, is gone).
pub fn spawn_sync(store: Store, hub: &Arc<Hub>, following: Following) {
    let hub = Arc::downgrade(hub);
    match (store.postgres().cloned(), following.notify, following.poll) {
        (Some(pool), true, poll) => {
            tokio::spawn(listen(store, pool, hub, poll));
        }
        (_, _, Some(every)) => {
            tokio::spawn(poll_forever(store, hub, every));
        }
        (_, _, None) => {}
    }
}

/// Reads the versions of the watched reviews once and publishes them; `false` once the hub is
/// gone.
async fn poll_once(store: &Store, hub: &Weak<Hub>) -> bool {
    let Some(hub) = hub.upgrade() else { return false };
    let ids = hub.watched();
    if ids.is_empty() {
        return true;
    }
    match store.versions(&ids).await {
        Ok(versions) => {
            for (id, version) in versions {
                hub.publish(&id, version);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot poll review versions"),
    }
    true
}

/// SQLite (no notifications between processes), or PostgreSQL without LISTEN. One process
/// is the intended SQLite deployment, and its own writes publish directly; this covers a second
/// process on the same data folder.
async fn poll_forever(store: Store, hub: Weak<Hub>, every: Duration) {
    while poll_once(&store, &hub).await {
        tokio::time::sleep(every).await;
    }
}

/// PostgreSQL: LISTEN for changes; poll while not listening (connection lost or refused).
async fn listen(store: Store, pool: sqlx::PgPool, hub: Weak<Hub>, poll: Option<Duration>) {
    loop {
        let mut listener = match connect_listener(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for review changes; polling every {poll:?} meanwhile");
                loop {
                    if poll.is_some() && !poll_once(&store, &hub).await {
                        return;
                    }
                    tokio::time::sleep(poll.unwrap_or(POLL_EVERY)).await;
                    if hub.strong_count() == 0 {
                        return;
                    }
                    if let Ok(l) = connect_listener(&pool).await {
                        break l;
                    }
                }
            }
        };
        // Changes committed before LISTEN took effect were announced to no one.
        if !poll_once(&store, &hub).await {
            return;
        }
        loop {
            // Wake up now and then to notice that the hub is gone.
            let next = tokio::time::timeout(POLL_EVERY, listener.try_recv()).await;
            let Some(hub_now) = hub.upgrade() else { return };
            match next {
                Err(_idle) => {}
                Ok(Ok(Some(n))) => {
                    if let Some((id, version)) = n.payload().split_once(' ')
                        && let Ok(version) = version.parse()
                    {
                        hub_now.publish(id, version);
                    }
                }
                Ok(Ok(None)) => {
                    // The connection dropped (try_recv reconnects next time); catch up on what
                    // was announced meanwhile.
                    drop(hub_now);
                    if !poll_once(&store, &hub).await {
                        return;
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "lost the LISTEN connection");
                    break;
                }
            }
        }
    }
}

async fn connect_listener(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
