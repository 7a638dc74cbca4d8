//! A saved review (`/r/{id}`): the team's view of one analysis. Everyone on the link sees the
//! same findings, sets their status, comments, and sees the others' changes as they happen.

use leptos::prelude::*;

use crate::app::{Nav, Page};
use crate::components::results::Results;
use crate::review::{Connection, ReviewSession, STATUSES};
use crate::state::Session;
use crate::util::copy_to_clipboard;

fn absolute(url: &str) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{origin}{url}")
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let review = use_context::<ReviewSession>().expect("review");
    view! {
        <section class="review-page">
            {move || review.loading.get().then(|| view! { <div class="card muted" data-testid="review-loading">"Opening the review…"</div> })}
            {move || review.failure.get().map(|message| view! {
                <div class="card error" role="alert" data-testid="review-error">
                    <strong>"This review could not be opened. "</strong>{message}
                </div>
            })}
            <Show when=move || review.is_open()>
                <ReviewHeader/>
            </Show>
            <Show when=move || review.has_unsaved_edits(session)>
                <div class="card unsaved" role="status" data-testid="unsaved-edits">
                    <span>"The findings below are of your edited template, not yet part of the review."</span>
                    <button class="button small primary" on:click=move |_| review.update_revision(session)>
                        {move || format!("Save as revision {}", review.doc.with(|d| d.as_ref().map_or(1, |d| d.revision + 1)))}
                    </button>
                    <button class="button small secondary" on:click=move |_| review.discard_edits(session)>"Discard my edits"</button>
                </div>
            </Show>
            <Show when=move || review.is_open() && session.report.with(Option::is_some)>
                <Results/>
            </Show>
        </section>
    }
}

#[component]
fn ReviewHeader() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let review = use_context::<ReviewSession>().expect("review");
    let nav = use_context::<Nav>().expect("nav");
    let copied = RwSignal::new(false);
    let doc = move || review.doc.get();
    let link = move || doc().map(|d| absolute(&d.url)).unwrap_or_default();
    let counts = move || {
        review.states.with(|states| {
            let present = review.doc.with(|d| d.as_ref().map(|d| d.findings.iter().filter(|f| f.present).map(|f| f.key.clone()).collect::<Vec<_>>()).unwrap_or_default());
            STATUSES.map(|st| (st, present.iter().filter(|k| states.get(*k).is_some_and(|s| s.status == st)).count()))
        })
    };
    let gone = move || {
        review.doc.with(|d| {
            d.as_ref()
                .map(|d| {
                    d.findings
                        .iter()
                        .filter(|f| !f.present)
                        .map(|f| {
                            let rule = f.finding["rule"].as_str().unwrap_or_default().to_string();
                            let message = f.finding["message"].as_str().unwrap_or_default().to_string();
                            (rule, message)
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="card review-header" data-testid="review-header" aria-label="Saved review">
            <div class="review-title">
                <div>
                    <h2 data-testid="review-name">{move || doc().and_then(|d| d.name).unwrap_or_else(|| "Untitled review".into())}</h2>
                    <p class="muted small">
                        {move || doc().map(|d| format!(
                            "Revision {} · saved {} · last change {} UTC",
                            d.revision,
                            d.created.get(..10).unwrap_or_default(),
                            d.updated.get(..16).unwrap_or_default().replace('T', " ")
                        ))}
                    </p>
                </div>
                <span
                    class=move || format!("live-status live-{:?}", review.live.get()).to_lowercase()
                    data-testid="live-status"
                    role="status"
                    title="Changes by others on this link appear here as they happen"
                >
                    {move || match review.live.get() {
                        Connection::Live => "● Live",
                        Connection::Connecting => "Connecting…",
                        Connection::Reconnecting => "Reconnecting…",
                        Connection::Off => "Not live",
                    }}
                </span>
            </div>
            <div class="review-tools">
                <div class="share-link">
                    <label class="small muted" for="share-link">"Link for the team"</label>
                    <div class="share-row">
                        <input id="share-link" data-testid="share-link" readonly prop:value=link on:focus=move |ev| {
                            if let Some(input) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlInputElement>(&event_target::<web_sys::EventTarget>(&ev)) {
                                input.select();
                            }
                        }/>
                        <button class="button small secondary" data-testid="copy-link" on:click=move |_| { copy_to_clipboard(&link()); copied.set(true); }>
                            {move || if copied.get() { "Copied" } else { "Copy link" }}
                        </button>
                    </div>
                </div>
                <div class="author">
                    <label class="small muted" for="author-name">"Your name (on comments and changes)"</label>
                    <input id="author-name" data-testid="author-input" placeholder="anonymous" prop:value=move || review.author.get() on:change=move |ev| review.set_author(event_target_value(&ev))/>
                </div>
                <div class="review-actions">
                    <button class="button primary" data-testid="present" title="Walk through the findings one at a time, with the diagram on each resource" on:click=move |_| session.presenting.set(Some(0))>
                        "Present"
                    </button>
                    <button class="button secondary" data-testid="edit-template" title="Change the template on the Analyze page, then save it as the next revision" on:click=move |_| nav.go(Page::Analyze)>
                        "Edit template"
                    </button>
                </div>
            </div>
            <div class="status-counts" role="group" aria-label="Findings by status">
                {move || counts().into_iter().map(|(st, n)| view! {
                    <button
                        class=format!("chip status-chip status-{st}")
                        class:active=move || review.status_filter.with(|f| f.as_deref() == Some(st))
                        data-testid=format!("count-{st}")
                        title=format!("Show only {st} findings")
                        on:click=move |_| review.status_filter.update(|f| *f = if f.as_deref() == Some(st) { None } else { Some(st.to_string()) })
                    >
                        <strong>{n}</strong>" "{st}
                    </button>
                }).collect_view()}
                {move || {
                    let gone = gone();
                    (!gone.is_empty()).then(|| view! {
                        <details class="gone small">
                            <summary>{format!("{} no longer reported since an earlier revision", gone.len())}</summary>
                            <ul>{gone.into_iter().map(|(rule, message)| view! { <li><span class="rule-code">{rule}</span>" "{message}</li> }).collect_view()}</ul>
                        </details>
                    })
                }}
            </div>
        </section>
    }
}
