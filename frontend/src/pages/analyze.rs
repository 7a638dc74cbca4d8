//! The Analyze page: put a template in (paste, drop, open, or a sample), analyse it in the
//! browser, and explore the summary, the diagram, the findings and the template.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::Nav;
use crate::components::metrics_panel::MetricsPanel;
use crate::components::results::Results;
use crate::components::template_view::TemplateView;
use crate::review::ReviewSession;
use crate::samples::SAMPLES;
use crate::state::Session;

/// Reads a dropped or picked file as text into the session, then analyses it.
fn load_file(session: Session, file: web_sys::File) {
    crate::util::read_file_text(file, move |name, text| {
        session.file_name.set(name);
        session.text.set(text);
        session.analyze();
    });
}

#[component]
pub fn AnalyzePage(embed: bool) -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let dragging = RwSignal::new(false);
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev.data_transfer().and_then(|dt| dt.files()).and_then(|f| f.get(0)) {
            load_file(session, file);
        }
    };
    let on_pick = move |ev: web_sys::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) {
            load_file(session, file);
        }
    };
    let has_report = move || session.report.with(Option::is_some);
    view! {
        <section class="analyze" class:has-report=has_report>
            <div class="input-card card">
                <div class="card-head">
                    <h2>"Template"</h2>
                    <div class="samples" role="group" aria-label="Sample architectures">
                        <span class="muted">"Try a sample:"</span>
                        {SAMPLES
                            .iter()
                            .map(|s| {
                                view! {
                                    <button
                                        class="chip"
                                        data-testid="sample"
                                        data-sample=s.id
                                        title=s.blurb
                                        on:click=move |_| {
                                            session.file_name.set(format!("{}.yaml", s.id));
                                            session.text.set(s.text.to_string());
                                            session.analyze();
                                        }
                                    >
                                        {s.title}
                                    </button>
                                }
                            })
                            .collect_view()}
                    </div>
                </div>
                <div
                    class="dropzone"
                    class:dragging=move || dragging.get()
                    on:dragover=move |ev: web_sys::DragEvent| {
                        ev.prevent_default();
                        dragging.set(true);
                    }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=on_drop
                >
                    <label for="template-input" class="visually-hidden">"CloudFormation or SAM template"</label>
                    <textarea
                        id="template-input"
                        data-testid="template-input"
                        spellcheck="false"
                        placeholder="Paste a CloudFormation or SAM template (YAML or JSON), drop a file here, or pick a sample."
                        prop:value=move || session.text.get()
                        on:input=move |ev| session.text.set(event_target_value(&ev))
                        on:keydown=move |ev: web_sys::KeyboardEvent| {
                            if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                                session.analyze();
                            }
                        }
                    ></textarea>
                </div>
                <div class="actions">
                    <label class="button secondary">
                        <input type="file" accept=".yaml,.yml,.json,.template,.txt" data-testid="template-file" on:change=on_pick/>
                        "Open file…"
                    </label>
                    <button class="button primary" data-testid="analyze-button" on:click=move |_| session.analyze()>
                        "Analyze"
                    </button>
                    <span class="muted kbd-hint">"Ctrl+Enter"</span>
                    <span class="muted elapsed" data-testid="elapsed">
                        {move || session.elapsed_ms.get().map(|ms| format!("analysed in {ms:.1} ms, in this tab"))}
                    </span>
                    <Show when=move || has_report() && !embed>
                        <ShareActions/>
                    </Show>
                </div>
                <MetricsPanel/>
                {move || {
                    session
                        .error
                        .get()
                        .map(|e| {
                            view! {
                                <div class="error" role="alert" data-testid="input-error">
                                    <strong>{format!("{} line {}, column {}: ", session.file_name.get(), e.line, e.col)}</strong>
                                    {e.message.clone()}
                                </div>
                            }
                        })
                }}
            </div>
            <Show when=has_report>
                <Results/>
            </Show>
            <Show when=move || !has_report() && session.error.with(Option::is_none) && !embed>
                <div class="empty card">
                    <h3>"What Archlens looks for"</h3>
                    <p>
                        "It reads the resources and how they connect, then checks them against a knowledge graph of symptoms, metrics and remedies: cold starts and memory, timeouts against their callers, event sources that can lose events, queues without redrive, scaling that cannot keep up, missing alarms and tracing. Every finding points at the line, explains why, and gives the change to make."
                    </p>
                </div>
            </Show>
            <Show when=move || session.error.with(Option::is_some)>
                <TemplateView/>
            </Show>
        </section>
    }
}

/// A review's title: the file's name when the template came from a file or a sample, else the
/// template's `Description` (first line, shortened).
fn review_name(session: Session) -> String {
    let file = session.file_name.get_untracked();
    let description = session.report.with_untracked(|r| {
        r.as_ref().and_then(|r| r.template.description.as_deref().and_then(|d| d.lines().next()).map(str::trim).filter(|d| !d.is_empty()).map(String::from))
    });
    match description {
        Some(d) if file == "template.yaml" => {
            if d.chars().count() > 80 { format!("{}…", d.chars().take(79).collect::<String>()) } else { d }
        }
        _ => file,
    }
}

/// Saving the analysis as a team review (the one thing that goes to the server), or, when a
/// review is open and the template changed, saving the change as its next revision.
#[component]
fn ShareActions() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let review = use_context::<ReviewSession>().expect("review");
    let nav = use_context::<Nav>().expect("nav");
    let saving = RwSignal::new(false);
    let changed_review = move || {
        review.doc.with(|d| d.as_ref().filter(|d| session.text.with(|t| *t != d.template)).map(|d| (d.name.clone().unwrap_or_else(|| "the review".into()), d.revision + 1)))
    };
    let save = move |_| {
        saving.set(true);
        let name = review_name(session);
        review.save(session, name, move |id| {
            saving.set(false);
            if let Some(id) = id {
                nav.open_review(&id);
            }
        });
    };
    view! {
        {move || changed_review().map(|(name, next)| view! {
            <button class="button secondary" data-testid="update-review" title="Analyse this template again in the saved review: statuses and comments carry over to the findings that still apply"
                on:click=move |_| { review.update_revision(session); nav.show_review(); }>
                {format!("Save as revision {next} of “{name}”")}
            </button>
        })}
        <button
            class="button secondary share"
            data-testid="save-review"
            prop:disabled=move || saving.get()
            title="Store this analysis on the server and get a link the team can open together: statuses, comments and live updates"
            on:click=save
        >
            <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M6 9l4-4M7 4h5v5M12 9v4H3V4h4" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"></path></svg>
            {move || if saving.get() { "Saving…" } else { "Save & share review" }}
        </button>
    }
}
