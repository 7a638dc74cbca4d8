//! The root component: the top bar and the page the user is on. `?embed=1` drops the chrome
//! for portals that put Archlens in an iframe. `/r/{id}` opens a saved review.

use leptos::prelude::*;

use crate::pages::{analyze::AnalyzePage, knowledge::KnowledgePage, review::ReviewPage, rules::RulesPage};
use crate::review::ReviewSession;
use crate::state::Session;
use crate::util::query_param;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Analyze,
    Review,
    Knowledge,
    Rules,
}

/// Moving between pages, keeping the address bar in step (a review has its own link).
#[derive(Clone, Copy)]
pub struct Nav {
    pub page: RwSignal<Page>,
    session: Session,
    review: ReviewSession,
}

fn review_id_in(path: &str) -> Option<String> {
    path.strip_prefix("/r/").map(|id| id.trim_end_matches('/').to_string()).filter(|id| !id.is_empty())
}

fn current_path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default()
}

impl Nav {
    fn push(&self, path: &str) {
        if current_path() == path {
            return;
        }
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("{path}{search}")));
        }
    }

    pub fn go(&self, page: Page) {
        match page {
            Page::Review => self.show_review(),
            _ => {
                self.push("/");
                self.page.set(page);
            }
        }
    }

    /// Shows the review that is open in this tab.
    pub fn show_review(&self) {
        if let Some(id) = self.review.id() {
            self.push(&format!("/r/{id}"));
        }
        self.page.set(Page::Review);
    }

    /// Opens the review `id` (already loaded when it was just saved).
    pub fn open_review(&self, id: &str) {
        if self.review.id().as_deref() != Some(id) {
            self.review.open(self.session, id.to_string());
        }
        self.push(&format!("/r/{id}"));
        self.page.set(Page::Review);
    }

    /// Follows the address bar (start, back and forward buttons).
    fn follow_location(&self) {
        match review_id_in(&current_path()) {
            Some(id) => self.open_review(&id),
            None if self.page.get_untracked() == Page::Review => self.page.set(Page::Analyze),
            None => {}
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    let embed = query_param("embed").is_some_and(|v| v == "1" || v == "true");
    let session = Session::new();
    let review = ReviewSession::new(session);
    let nav = Nav { page: RwSignal::new(Page::Analyze), session, review };
    provide_context(session);
    provide_context(review);
    provide_context(nav);
    nav.follow_location();
    let popstate = window_event_listener(leptos::ev::popstate, move |_| nav.follow_location());
    on_cleanup(move || popstate.remove());
    let page = nav.page;
    let tab = move |p: Page, label: &'static str| {
        view! {
            <button
                class="tab"
                class:active=move || page.get() == p
                aria-current=move || (page.get() == p).then_some("page")
                on:click=move |_| nav.go(p)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="shell" class:embed=embed class:presenting=move || session.presenting.with(Option::is_some)>
            <Show when=move || !embed>
                <header class="topbar" data-testid="app-header">
                    <div class="brand">
                        <svg class="logo" viewBox="0 0 24 24" aria-hidden="true">
                            <circle cx="10" cy="10" r="6.5" fill="none" stroke="currentColor" stroke-width="2.2"></circle>
                            <path d="M15 15 L21 21" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"></path>
                        </svg>
                        <span class="name">"Archlens"</span>
                        <span class="tagline">"AWS architecture advisor"</span>
                    </div>
                    <nav class="tabs" aria-label="Sections">
                        {tab(Page::Analyze, "Analyze")}
                        <Show when=move || review.is_open() || review.loading.get() || review.failure.with(Option::is_some)>
                            {tab(Page::Review, "Review")}
                        </Show>
                        {tab(Page::Knowledge, "Knowledge")}
                        {tab(Page::Rules, "Rules")}
                    </nav>
                    {move || if page.get() == Page::Review {
                        view! {
                            <span class="privacy shared" title="A saved review is stored on this server; everyone with its link can see and change it.">
                                "Saved review: shared with everyone who has the link"
                            </span>
                        }.into_any()
                    } else {
                        view! {
                            <span class="privacy" title="The template is analysed by WebAssembly in this tab; nothing is sent to a server unless you save a review.">
                                <svg viewBox="0 0 16 16" aria-hidden="true"><rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor"></rect><path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.6"></path></svg>
                                "Analysed in your browser: nothing is uploaded"
                            </span>
                        }.into_any()
                    }}
                </header>
            </Show>
            <Notice/>
            <main class="content" id="main">
                {move || match page.get() {
                    Page::Analyze => view! { <AnalyzePage embed=embed/> }.into_any(),
                    Page::Review => view! { <ReviewPage/> }.into_any(),
                    Page::Knowledge => view! { <KnowledgePage/> }.into_any(),
                    Page::Rules => view! { <RulesPage/> }.into_any(),
                }}
            </main>
            <footer class="footer" data-testid="knowledge-counts">{knowledge_counts()}</footer>
        </div>
    }
}

/// A passing message about the shared review (a save that failed, a conflict resolved).
#[component]
fn Notice() -> impl IntoView {
    let review = use_context::<ReviewSession>().expect("review");
    move || {
        review.notice.get().map(|text| {
            view! {
                <div class="notice" role="status" data-testid="notice">
                    <span>{text}</span>
                    <button class="link" aria-label="Dismiss" on:click=move |_| review.notice.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}

fn knowledge_counts() -> String {
    let kb = archlens_shared::knowledge::embedded();
    format!(
        "Knowledge graph: {} remedies · {} symptoms · {} metrics · {} rules",
        kb.remedies().count(),
        kb.symptoms().count(),
        kb.metrics().count(),
        archlens_shared::rules::all().len()
    )
}
