//! The template with line numbers; the selected line (a finding's, or an input error's) is
//! highlighted and scrolled into view.

use leptos::prelude::*;

use crate::state::Session;

#[component]
pub fn TemplateView() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    // Scroll the selected line into view whenever it changes.
    Effect::new(move |_| {
        if let Some(line) = session.selected_line.get() {
            let el = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&format!("L{line}")));
            if let Some(el) = el {
                let opts = web_sys::ScrollIntoViewOptions::new();
                opts.set_block(web_sys::ScrollLogicalPosition::Center);
                opts.set_behavior(web_sys::ScrollBehavior::Smooth);
                el.scroll_into_view_with_scroll_into_view_options(&opts);
            }
        }
    });
    let lines = Memo::new(move |_| session.text.with(|t| t.lines().map(String::from).collect::<Vec<_>>()));
    let error_line = move || session.error.with(|e| e.as_ref().map(|e| e.line));
    view! {
        <section class="card template-view" aria-label="Template" data-testid="template-view">
            <div class="card-head">
                <h2>{move || session.file_name.get()}</h2>
                <span class="muted small">{move || format!("{} lines", lines.with(Vec::len))}</span>
            </div>
            <div class="code" role="region" tabindex="0" aria-label="Template source">
                <For each=move || lines.get().into_iter().enumerate() key=|(i, l)| (*i, l.clone()) let:item>
                    {
                        let n = item.0 as u32 + 1;
                        view! {
                            <div
                                class="line"
                                id=format!("L{n}")
                                class:selected=move || session.selected_line.get() == Some(n)
                                class:error-line=move || error_line() == Some(n)
                            >
                                <span class="ln">{n}</span>
                                <span class="src">{item.1}</span>
                            </div>
                        }
                    }
                </For>
            </div>
            {move || session.error.get().map(|e| view! { <div class="error inline" data-testid="template-error">{format!("Line {}, column {}: {}", e.line, e.col, e.message)}</div> })}
        </section>
    }
}
