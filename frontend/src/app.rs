//! The root component: the top bar and the page the user is on. `?embed=1` drops the chrome
//! for portals that put Archlens in an iframe.

use leptos::prelude::*;

use crate::pages::{analyze::AnalyzePage, knowledge::KnowledgePage, rules::RulesPage};
use crate::util::query_param;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Analyze,
    Knowledge,
    Rules,
}

#[component]
pub fn App() -> impl IntoView {
    let embed = query_param("embed").is_some_and(|v| v == "1" || v == "true");
    let page = RwSignal::new(Page::Analyze);
    provide_context(crate::state::Session::new());
    let tab = move |p: Page, label: &'static str| {
        view! {
            <button
                class="tab"
                class:active=move || page.get() == p
                aria-current=move || (page.get() == p).then_some("page")
                on:click=move |_| page.set(p)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="shell" class:embed=embed>
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
                        {tab(Page::Knowledge, "Knowledge")}
                        {tab(Page::Rules, "Rules")}
                    </nav>
                    <span class="privacy" title="The template is analysed by WebAssembly in this tab; nothing is sent to a server unless you save a review.">
                        <svg viewBox="0 0 16 16" aria-hidden="true"><rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor"></rect><path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.6"></path></svg>
                        "Analysed in your browser: nothing is uploaded"
                    </span>
                </header>
            </Show>
            <main class="content">
                {move || match page.get() {
                    Page::Analyze => view! { <AnalyzePage embed=embed/> }.into_any(),
                    Page::Knowledge => view! { <KnowledgePage/> }.into_any(),
                    Page::Rules => view! { <RulesPage/> }.into_any(),
                }}
            </main>
            <footer class="footer" data-testid="knowledge-counts">{knowledge_counts()}</footer>
        </div>
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
