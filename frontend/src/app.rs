//! The root component.

use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let kb = archlens_shared::knowledge::embedded();
    let counts = format!(
        "{} remedies · {} symptoms · {} metrics",
        kb.remedies().count(),
        kb.symptoms().count(),
        kb.metrics().count()
    );
    view! {
        <header class="topbar" data-testid="app-header">
            <h1>"Archlens"</h1>
            <span class="muted">"AWS architecture advisor"</span>
        </header>
        <main>
            <p data-testid="knowledge-counts">{counts}</p>
        </main>
    }
}
