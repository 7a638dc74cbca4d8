//! The rules page: every rule with its code, severity, pillar and documentation.

use leptos::prelude::*;

#[component]
pub fn RulesPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let rules = archlens_shared::rules::all();
    view! {
        <section class="card rules-page">
            <div class="card-head">
                <h2>{format!("{} rules", rules.len())}</h2>
                <input type="search" placeholder="Search rules…" aria-label="Search rules" on:input=move |ev| query.set(event_target_value(&ev).to_lowercase())/>
            </div>
            <div class="rule-list">
                {rules.into_iter().map(|r| {
                    let m = r.meta();
                    let hay = format!("{} {} {} {}", m.code, m.name, m.summary(), m.remedies.join(" ")).to_lowercase();
                    view! {
                        <details class="rule" class:hidden=move || { let q = query.get(); !q.is_empty() && !hay.contains(&q) }>
                            <summary>
                                <span class=format!("badge sev-{}", m.severity.as_str())>{m.severity.as_str()}</span>
                                <code>{m.code}</code>" "<strong>{m.name}</strong>
                                <span class="muted">{format!(" — {}", m.summary())}</span>
                            </summary>
                            <pre class="docs">{m.docs.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")}</pre>
                            <p class="small">"Remedies: "{m.remedies.join(", ")}</p>
                        </details>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}
