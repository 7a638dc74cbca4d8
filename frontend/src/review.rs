//! A saved review opened in this tab: the team's statuses and comments (from the server), the
//! findings (computed here from the review's template, by the same engine the server ran), and
//! the live connection that brings everyone else's changes in as they happen.
//!
//! Changes go out with the review version this tab last saw. When someone else changed the
//! review in between, the server refuses (409): the tab reloads the review, and retries only
//! when the retry cannot overwrite what the other person did (a comment; a status nobody else
//! touched).

use std::collections::HashMap;

use archlens_shared::analysis::finding_keys;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api::{self, ApiFailure, Comment, ReviewDoc};
use crate::state::Session;

pub const STATUSES: [&str; 4] = ["open", "accepted", "dismissed", "fixed"];

#[derive(Clone, Debug, PartialEq)]
pub struct FindingState {
    pub status: String,
    pub comments: Vec<Comment>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Off,
    Connecting,
    Live,
    Reconnecting,
}

#[derive(Clone, Copy)]
pub struct ReviewSession {
    /// The review as last loaded (id, name, link, revision, stored findings).
    pub doc: RwSignal<Option<ReviewDoc>>,
    pub loading: RwSignal<bool>,
    /// Why the review could not be opened.
    pub failure: RwSignal<Option<String>>,
    /// The review version this tab has seen (every change increments it).
    pub version: RwSignal<i64>,
    /// Status and comments by finding key.
    pub states: RwSignal<HashMap<String, FindingState>>,
    /// The key of each finding of the session's report, in report order.
    pub keys: Memo<Vec<String>>,
    /// Show only findings in this status.
    pub status_filter: RwSignal<Option<String>>,
    /// The name comments and status changes are signed with (kept in this browser).
    pub author: RwSignal<String>,
    pub live: RwSignal<Connection>,
    /// A passing message: a conflict resolved, a save that failed.
    pub notice: RwSignal<Option<String>>,
    source: StoredValue<Option<web_sys::EventSource>, LocalStorage>,
}

const AUTHOR_KEY: &str = "archlens.author";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

impl ReviewSession {
    pub fn new(session: Session) -> ReviewSession {
        let author = storage().and_then(|s| s.get_item(AUTHOR_KEY).ok().flatten()).unwrap_or_default();
        ReviewSession {
            doc: RwSignal::new(None),
            loading: RwSignal::new(false),
            failure: RwSignal::new(None),
            version: RwSignal::new(0),
            states: RwSignal::new(HashMap::new()),
            keys: Memo::new(move |_| session.report.with(|r| r.as_ref().map(|r| finding_keys(&r.findings)).unwrap_or_default())),
            status_filter: RwSignal::new(None),
            author: RwSignal::new(author),
            live: RwSignal::new(Connection::Off),
            notice: RwSignal::new(None),
            source: StoredValue::new_local(None),
        }
    }

    pub fn is_open(&self) -> bool {
        self.doc.with(Option::is_some)
    }

    pub fn id(&self) -> Option<String> {
        self.doc.with_untracked(|d| d.as_ref().map(|d| d.id.clone()))
    }

    pub fn set_author(&self, name: String) {
        if let Some(s) = storage() {
            let _ = s.set_item(AUTHOR_KEY, &name);
        }
        self.author.set(name);
    }

    fn author_name(&self) -> String {
        let a = self.author.get_untracked();
        if a.trim().is_empty() { "anonymous".into() } else { a.trim().to_string() }
    }

    /// The key of the `index`-th finding of the report, while a review is open.
    pub fn key_of(&self, index: usize) -> Option<String> {
        if !self.is_open() {
            return None;
        }
        self.keys.with(|k| k.get(index).cloned())
    }

    pub fn state_of(&self, key: &str) -> Option<FindingState> {
        self.states.with(|s| s.get(key).cloned())
    }

    /// Takes in a review from the server. A review new to this tab, or a new revision of it, is
    /// analysed here as the server did, unless the user has unsaved edits of the template in
    /// this tab: those are never overwritten (the notice says a newer revision exists).
    pub fn apply(&self, session: Session, doc: ReviewDoc) {
        let (new_revision, unsaved_edits) = self.doc.with_untracked(|d| match d {
            Some(d) if d.id == doc.id => (d.revision != doc.revision, session.text.with_untracked(|t| *t != d.template)),
            _ => (true, false),
        });
        let saved_here = session.text.with_untracked(|t| *t == doc.template);
        self.version.set(doc.version);
        self.states.set(
            doc.findings
                .iter()
                .map(|f| (f.key.clone(), FindingState { status: f.status.clone(), comments: f.comments.clone() }))
                .collect(),
        );
        if new_revision && (saved_here || !unsaved_edits) {
            // The review's title is the file's name when it came from a file.
            let file = doc.name.clone().filter(|n| [".yaml", ".yml", ".json", ".template"].iter().any(|e| n.ends_with(e)));
            session.file_name.set(file.unwrap_or_else(|| "template.yaml".into()));
            session.text.set(doc.template.clone());
            session.metrics.set(doc.metrics.clone());
            session.ignore.set(doc.ignore.clone());
            session.analyze();
        } else if new_revision {
            self.notice.set(Some(format!(
                "Someone saved revision {} of this review. Your unsaved edits are kept; discard them to see it.",
                doc.revision
            )));
        }
        self.doc.set(Some(doc));
        self.failure.set(None);
    }

    /// Whether the template in this tab differs from the review's current revision.
    pub fn has_unsaved_edits(&self, session: Session) -> bool {
        self.doc.with(|d| d.as_ref().is_some_and(|d| session.text.with(|t| *t != d.template)))
    }

    /// Drops this tab's edits: back to the review's current revision.
    pub fn discard_edits(&self, session: Session) {
        let Some(doc) = self.doc.get_untracked() else { return };
        session.text.set(doc.template);
        session.metrics.set(doc.metrics);
        session.ignore.set(doc.ignore);
        session.analyze();
    }

    /// Opens the review `id`: loads it, analyses it and starts listening for changes.
    pub fn open(&self, session: Session, id: String) {
        let this = *self;
        this.loading.set(true);
        this.failure.set(None);
        spawn_local(async move {
            match api::get_review(&id).await {
                Ok(doc) => {
                    this.apply(session, doc);
                    this.listen(session, &id);
                }
                Err(e) => this.failure.set(Some(e.message)),
            }
            this.loading.set(false);
        });
    }

    /// Reloads the review from the server (after a conflict, or when the live connection
    /// says it is behind).
    async fn reload(&self, session: Session) -> Option<ReviewDoc> {
        let id = self.id()?;
        match api::get_review(&id).await {
            Ok(doc) => {
                self.apply(session, doc.clone());
                Some(doc)
            }
            Err(e) => {
                self.notice.set(Some(format!("Could not reload the review: {}", e.message)));
                None
            }
        }
    }

    /// Sets a finding's status for everyone.
    pub fn set_status(&self, session: Session, key: String, status: String) {
        let this = *self;
        let Some(id) = self.id() else { return };
        let before = self.state_of(&key).map(|s| s.status).unwrap_or_else(|| "open".into());
        // Shown at once; put back if the server refuses.
        self.states.update(|s| {
            if let Some(f) = s.get_mut(&key) {
                f.status = status.clone();
            }
        });
        spawn_local(async move {
            let author = this.author_name();
            let mut outcome = api::set_status(&id, &key, &status, this.version.get_untracked(), &author).await;
            if let Err(ApiFailure { stale: true, .. }) = outcome {
                // Someone changed the review first. Retry only if nobody changed this finding.
                let current = this.reload(session).await.and_then(|d| d.findings.into_iter().find(|f| f.key == key)).map(|f| f.status);
                if current.as_deref() == Some(before.as_str()) {
                    outcome = api::set_status(&id, &key, &status, this.version.get_untracked(), &author).await;
                } else {
                    this.notice.set(Some(format!(
                        "Someone else changed this finding to “{}” at the same moment; your change was not applied.",
                        current.unwrap_or_default()
                    )));
                    return;
                }
            }
            match outcome {
                Ok(version) => this.version.update(|v| *v = (*v).max(version)),
                Err(e) => {
                    this.states.update(|s| {
                        if let Some(f) = s.get_mut(&key) {
                            f.status = before.clone();
                        }
                    });
                    this.notice.set(Some(format!("The status was not saved: {}", e.message)));
                }
            }
        });
    }

    /// Adds a comment for everyone; `done(true)` once it is saved.
    pub fn comment(&self, session: Session, key: String, text: String, done: impl FnOnce(bool) + 'static) {
        let this = *self;
        let Some(id) = self.id() else { return };
        spawn_local(async move {
            let author = this.author_name();
            let mut outcome = api::add_comment(&id, &key, &text, this.version.get_untracked(), &author).await;
            if let Err(ApiFailure { stale: true, .. }) = outcome {
                // Comments only add: after catching up, sending it again loses nothing.
                if this.reload(session).await.is_some() {
                    outcome = api::add_comment(&id, &key, &text, this.version.get_untracked(), &author).await;
                }
            }
            match outcome {
                Ok(version) => {
                    this.version.update(|v| *v = (*v).max(version));
                    this.push_comment(&key, Comment { author, text, time: String::new(), version });
                    done(true);
                }
                Err(e) => {
                    this.notice.set(Some(format!("The comment was not saved: {}", e.message)));
                    done(false);
                }
            }
        });
    }

    fn push_comment(&self, key: &str, comment: Comment) {
        self.states.update(|s| {
            let f = s.entry(key.to_string()).or_insert_with(|| FindingState { status: "open".into(), comments: Vec::new() });
            // The live event of one's own comment arrives too.
            if !f.comments.iter().any(|c| c.version == comment.version) {
                f.comments.push(comment);
            }
        });
    }

    /// Subscribes to the review's Server-Sent Events: statuses and comments are applied as
    /// they come; a new revision (or a gap) reloads the review.
    fn listen(&self, session: Session, id: &str) {
        self.source.update_value(|s| {
            if let Some(old) = s.take() {
                old.close();
            }
        });
        let Ok(source) = web_sys::EventSource::new(&api::events_url(id)) else {
            self.live.set(Connection::Off);
            return;
        };
        self.live.set(Connection::Connecting);
        let this = *self;
        let target = source.clone();
        let on = move |name: &str, handler: Box<dyn Fn(serde_json::Value)>| {
            let closure = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let data = ev.data().as_string().and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default();
                handler(data);
            });
            let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
            // Lives as long as the EventSource, which is closed when another review opens.
            closure.forget();
        };
        on("ready", Box::new(move |data| {
            this.live.set(Connection::Live);
            if data["version"].as_i64().is_some_and(|v| v > this.version.get_untracked()) {
                spawn_local(async move {
                    this.reload(session).await;
                });
            }
        }));
        on("status", Box::new(move |data| {
            let (Some(key), Some(status)) = (data["key"].as_str(), data["status"].as_str()) else { return };
            this.states.update(|s| {
                if let Some(f) = s.get_mut(key) {
                    f.status = status.to_string();
                }
            });
            this.seen(&data);
        }));
        on("comment", Box::new(move |data| {
            let Some(key) = data["key"].as_str() else { return };
            let comment = Comment {
                author: data["author"].as_str().unwrap_or("anonymous").to_string(),
                text: data["text"].as_str().unwrap_or_default().to_string(),
                time: data["time"].as_str().unwrap_or_default().to_string(),
                version: data["version"].as_i64().unwrap_or_default(),
            };
            this.push_comment(key, comment);
            this.seen(&data);
        }));
        on("reanalysis", Box::new(move |_| {
            spawn_local(async move {
                this.reload(session).await;
            });
        }));
        let onerror = Closure::<dyn Fn()>::new(move || this.live.set(Connection::Reconnecting));
        source.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        onerror.forget();
        let onopen = Closure::<dyn Fn()>::new(move || this.live.set(Connection::Live));
        source.set_onopen(Some(onopen.as_ref().unchecked_ref()));
        onopen.forget();
        self.source.set_value(Some(source));
    }

    fn seen(&self, data: &serde_json::Value) {
        if let Some(v) = data["version"].as_i64() {
            self.version.update(|cur| *cur = (*cur).max(v));
        }
    }

    /// Saves the session's analysis as a new review; `done` gets its id (none when it failed,
    /// and the notice says why).
    pub fn save(&self, session: Session, name: String, done: impl FnOnce(Option<String>) + 'static) {
        let this = *self;
        spawn_local(async move {
            let (text, metrics, ignore) = (session.text.get_untracked(), session.metrics.get_untracked(), session.ignore.get_untracked());
            match api::create_review(&name, &text, &metrics, &ignore).await {
                Ok(doc) => {
                    let id = doc.id.clone();
                    this.apply(session, doc);
                    this.listen(session, &id);
                    done(Some(id));
                }
                Err(e) => {
                    this.notice.set(Some(format!("The review was not saved: {}", e.message)));
                    done(None);
                }
            }
        });
    }

    /// Records the session's current template as the review's next revision.
    pub fn update_revision(&self, session: Session) {
        let this = *self;
        let Some(id) = self.id() else { return };
        spawn_local(async move {
            let (text, metrics, ignore) = (session.text.get_untracked(), session.metrics.get_untracked(), session.ignore.get_untracked());
            match api::reanalyze(&id, &text, &metrics, &ignore).await {
                Ok(doc) => this.apply(session, doc),
                Err(e) => this.notice.set(Some(format!("The new revision was not saved: {}", e.message))),
            }
        });
    }
}
