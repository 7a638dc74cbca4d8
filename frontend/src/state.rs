//! The analysis session shared by the components of the Analyze page (kept at the app's root,
//! so switching to the knowledge explorer and back loses nothing).

use std::sync::Arc;

use archlens_shared::analysis::{self, MetricsFile, Options, Report};
use archlens_shared::explore::Filter;
use archlens_shared::template::TemplateError;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Session {
    pub text: RwSignal<String>,
    pub file_name: RwSignal<String>,
    pub report: RwSignal<Option<Arc<Report>>>,
    pub error: RwSignal<Option<TemplateError>>,
    /// Wall time of the last analysis in the browser, in milliseconds.
    pub elapsed_ms: RwSignal<Option<f64>>,
    pub filter: RwSignal<Filter>,
    /// Line highlighted in the template view.
    pub selected_line: RwSignal<Option<u32>>,
    pub group_by_remedy: RwSignal<bool>,
    /// Metrics snapshots added by the user, each optionally bound to a resource.
    pub metrics: RwSignal<Vec<MetricsFile>>,
    /// Rule codes not to report (a saved review's ignore list).
    pub ignore: RwSignal<Vec<String>>,
    /// Presenter mode: the position in the findings being presented, one at a time.
    pub presenting: RwSignal<Option<usize>>,
}

impl Session {
    pub fn new() -> Session {
        Session {
            text: RwSignal::new(String::new()),
            file_name: RwSignal::new("template.yaml".into()),
            report: RwSignal::new(None),
            error: RwSignal::new(None),
            elapsed_ms: RwSignal::new(None),
            filter: RwSignal::new(Filter::default()),
            selected_line: RwSignal::new(None),
            group_by_remedy: RwSignal::new(false),
            metrics: RwSignal::new(Vec::new()),
            ignore: RwSignal::new(Vec::new()),
            presenting: RwSignal::new(None),
        }
    }

    /// Analyses the current text in the browser (nothing leaves the page).
    pub fn analyze(&self) {
        let text = self.text.get_untracked();
        let started = crate::util::now_ms();
        let options = Options { metrics: self.metrics.get_untracked(), ignore: self.ignore.get_untracked() };
        let outcome = analysis::analyze(&text, &options);
        self.elapsed_ms.set(Some(crate::util::now_ms() - started));
        self.filter.set(Filter::default());
        self.selected_line.set(None);
        match outcome {
            Ok(report) => {
                self.error.set(None);
                self.report.set(Some(Arc::new(report)));
            }
            Err(e) => {
                self.selected_line.set(Some(e.line));
                self.error.set(Some(e));
                self.report.set(None);
            }
        }
        notify_parent(self);
    }
}

/// Tells an embedding page that an analysis finished (counts only, never the template).
fn notify_parent(session: &Session) {
    let Some(window) = web_sys::window() else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    if parent == window {
        return;
    }
    let message = match session.report.get_untracked() {
        Some(r) => serde_json::json!({"type": "archlens:analysis", "summary": {"high": r.summary.high, "medium": r.summary.medium, "low": r.summary.low, "info": r.summary.info}, "resources": r.resources.len()}),
        None => serde_json::json!({"type": "archlens:analysis", "error": session.error.get_untracked().map(|e| e.to_string())}),
    };
    if let Ok(value) = js_sys::JSON::parse(&message.to_string()) {
        let _ = parent.post_message(&value, "*");
    }
}
