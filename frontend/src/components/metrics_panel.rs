//! Metrics files next to the template: add CloudWatch exports, REPORT lines or Power Tuning
//! output, choose the resource a file is about when it does not bind by itself, and see what
//! bound, what did not, and what could not be read.

use archlens_shared::analysis::MetricsFile;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::Session;

fn read_metrics_file(session: Session, file: web_sys::File) {
    crate::util::read_file_text(file, move |name, content| {
        session.metrics.update(|m| m.push(MetricsFile { name, content, resource: None }));
        if !session.text.get_untracked().trim().is_empty() {
            session.analyze();
        }
    });
}

#[component]
pub fn MetricsPanel() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let on_pick = move |ev: web_sys::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(files) = input.as_ref().and_then(|i| i.files()) {
            for i in 0..files.length() {
                if let Some(f) = files.get(i) {
                    read_metrics_file(session, f);
                }
            }
        }
        if let Some(i) = input {
            i.set_value("");
        }
    };
    let resources = move || session.report.with(|r| r.as_ref().map(|r| r.resources.iter().map(|x| x.id.clone()).collect::<Vec<_>>()).unwrap_or_default());
    view! {
        <div class="metrics-panel">
            <label class="button secondary small">
                <input type="file" multiple=true data-testid="metrics-file" on:change=on_pick/>
                "Add metrics…"
            </label>
            <span class="muted small">"CloudWatch GetMetricData / GetMetricStatistics JSON, CSV, Lambda REPORT lines, Power Tuning output"</span>
            <ul class="metrics-files">
                {move || session.metrics.get().into_iter().enumerate().map(|(i, m)| {
                    let summary = session.report.with(|r| r.as_ref().and_then(|r| r.metrics.files.iter().find(|f| f.name == m.name).cloned()));
                    let error = session.report.with(|r| r.as_ref().and_then(|r| r.metrics.errors.iter().find(|e| e.file == m.name).cloned()));
                    let chosen = m.resource.clone().unwrap_or_default();
                    view! {
                        <li data-testid="metrics-entry">
                            <code>{m.name.clone()}</code>
                            {summary.map(|s| view! { <span class="muted small">{format!(" {} · {}", s.format.unwrap_or_default(), if s.bound_to.is_empty() { "not bound".to_string() } else { format!("bound to {}", s.bound_to.join(", ")) })}</span> })}
                            {error.map(|e| view! { <span class="error-text small">{format!(" line {}: {}", e.line.map(|l| l.to_string()).unwrap_or("-".into()), e.message)}</span> })}
                            <select aria-label="Resource this file is about" on:change=move |ev| {
                                let v = event_target_value(&ev);
                                session.metrics.update(|list| if let Some(f) = list.get_mut(i) { f.resource = (!v.is_empty()).then_some(v) });
                                session.analyze();
                            }>
                                <option value="">"bind automatically"</option>
                                {resources().into_iter().map(|r| { let sel = r == chosen; view! { <option value=r.clone() selected=sel>{r.clone()}</option> } }).collect_view()}
                            </select>
                            <button class="link small" aria-label="Remove" on:click=move |_| { session.metrics.update(|l| { l.remove(i); }); session.analyze(); }>"remove"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || session.report.with(|r| r.as_ref().filter(|r| !r.metrics.unbound.is_empty()).map(|r| view! {
                <p class="muted small" data-testid="unbound">{format!("Unbound (analysed, matched no resource): {}", r.metrics.unbound.join(", "))}</p>
            }))}
        </div>
    }
}
