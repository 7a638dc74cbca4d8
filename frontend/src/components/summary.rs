//! The summary band: counts by severity and pillar, the architecture's size, and the top
//! three actions (the remedies that address the most, and most severe, findings).

use archlens_shared::explore::top_actions;
use archlens_shared::knowledge::{self, Pillar};
use archlens_shared::rules::Severity;
use leptos::prelude::*;

use crate::state::Session;

#[component]
pub fn Summary() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let kb = knowledge::embedded();
    move || {
        let report = session.report.get()?;
        let s = &report.summary;
        let counts = [(Severity::High, s.high), (Severity::Medium, s.medium), (Severity::Low, s.low), (Severity::Info, s.info)];
        let actions = top_actions(&report, 3);
        Some(view! {
            <section class="summary" data-testid="summary" aria-label="Summary">
                <div class="card stat-card">
                    <div class="stat-title">"Findings"</div>
                    <div class="severity-counts">
                        {counts
                            .into_iter()
                            .map(|(sev, n)| {
                                let active = move || session.filter.with(|f| f.min_severity == Some(sev));
                                view! {
                                    <button
                                        class=format!("sev-count sev-{}", sev.as_str())
                                        class:active=active
                                        title=format!("Show {} and above", sev.as_str())
                                        on:click=move |_| session.filter.update(|f| f.min_severity = if f.min_severity == Some(sev) { None } else { Some(sev) })
                                    >
                                        <span class="n">{n}</span>
                                        <span class="l">{sev.as_str()}</span>
                                    </button>
                                }
                            })
                            .collect_view()}
                    </div>
                    <div class="muted small">
                        {format!("{} resources · {} connections{}", report.resources.len(), report.edges.len(), if report.template.is_sam { " · SAM" } else { "" })}
                    </div>
                    {
                        let savings: f64 = report.findings.iter().filter_map(|f| f.impact.as_ref()).map(|i| i.monthly_usd_delta).filter(|d| *d < 0.0).sum();
                        (savings < 0.0).then(|| view! { <div class="savings" data-testid="savings">{format!("Estimated savings: ${:.2}/month", -savings)}</div> })
                    }
                    <div class="exports">
                        <span class="muted small">"Export:"</span>
                        {[("JSON", "json"), ("SARIF", "sarif"), ("Markdown", "md")].into_iter().map(|(label, ext)| {
                            let report = report.clone();
                            view! {
                                <button class="link small" data-testid=format!("export-{ext}") on:click=move |_| {
                                    let text = session.text.get_untracked();
                                    let name = session.file_name.get_untracked();
                                    let files = [archlens_shared::report::FileResult { path: &name, source: &text, outcome: Ok((*report).clone()) }];
                                    let (body, mime) = match ext {
                                        "json" => (archlens_shared::report::json(&files), "application/json"),
                                        "sarif" => (archlens_shared::report::sarif(&files), "application/sarif+json"),
                                        _ => (archlens_shared::report::markdown(&files), "text/markdown"),
                                    };
                                    crate::util::download(&format!("archlens-report.{ext}"), mime, &body);
                                }>{label}</button>
                            }
                        }).collect_view()}
                        <button class="link small" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>"Print"</button>
                    </div>
                </div>
                <div class="card stat-card">
                    <div class="stat-title">"By pillar"</div>
                    <div class="pillars">
                        {Pillar::ALL
                            .into_iter()
                            .map(|p| {
                                let n = s.by_pillar.get(p.as_str()).copied().unwrap_or(0);
                                let total = report.findings.len().max(1);
                                let pct = (n * 100 / total) as f64;
                                view! {
                                    <button class="pillar-row" on:click=move |_| session.filter.update(|f| f.pillar = if f.pillar == Some(p) { None } else { Some(p) })>
                                        <span class="pillar-name">{p.as_str()}</span>
                                        <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true"><rect class="track" width="100" height="8" rx="4"></rect><rect class=format!("fill pillar-{}", p.as_str()) width=format!("{pct:.1}") height="8" rx="4"></rect></svg>
                                        <span class="n">{n}</span>
                                    </button>
                                }
                            })
                            .collect_view()}
                    </div>
                </div>
                <div class="card stat-card actions-card">
                    <div class="stat-title">"Top actions"</div>
                    <ol class="top-actions" data-testid="top-actions">
                        {actions
                            .into_iter()
                            .map(|(id, n)| {
                                let title = kb.remedy(&id).map(|r| r.title.clone()).unwrap_or_else(|| id.clone());
                                let search = id.clone();
                                view! {
                                    <li>
                                        <button class="link" on:click=move |_| session.filter.update(|f| f.text = search.clone())>
                                            {title}
                                        </button>
                                        <span class="muted small">{format!(" · {} finding{}", n, if n == 1 { "" } else { "s" })}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                </div>
            </section>
        })
    }
}
