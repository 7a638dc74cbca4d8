//! What an analysis shows, on the Analyze page and in a saved review alike: the summary, the
//! diagram, the Lambda cost and memory what-if, the findings beside the template; or, in
//! presenter mode, one finding at a time with the diagram focused on its resource.

use leptos::prelude::*;

use crate::components::charts::WhatIfChart;
use crate::components::diagram::Diagram;
use crate::components::findings::{FindingCard, Findings, index_of, shown_findings};
use crate::components::summary::Summary;
use crate::components::template_view::TemplateView;
use crate::review::ReviewSession;
use crate::state::Session;

#[component]
pub fn Results() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let presenting = Memo::new(move |_| session.presenting.with(Option::is_some));
    move || {
        if presenting.get() {
            view! { <Presenter/> }.into_any()
        } else {
            view! {
                <Summary/>
                <Diagram/>
                <Costs/>
                <div class="workbench">
                    <Findings/>
                    <TemplateView/>
                </div>
            }
            .into_any()
        }
    }
}

/// The cost of each Lambda function seen in the metrics and its memory what-if chart.
#[component]
fn Costs() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    move || {
        session.report.with(|r| {
            r.as_ref().filter(|r| !r.costs.is_empty()).map(|r| {
                let charts = r.costs.iter().filter_map(|(id, c)| c.whatif.clone().map(|w| (id.clone(), w))).collect::<Vec<_>>();
                let first = r.costs.values().next();
                let prices = format!(
                    "prices {} {}",
                    first.map(|c| c.region.clone()).unwrap_or_default(),
                    first.map(|c| c.prices_as_of.clone()).unwrap_or_default()
                );
                view! {
                    <section class="card" aria-label="Memory what-if">
                        <div class="card-head"><h2>"Lambda cost and memory"</h2><span class="muted small">{prices}</span></div>
                        {charts.into_iter().map(|(id, w)| view! { <WhatIfChart function=id whatif=w/> }).collect_view()}
                    </section>
                }
            })
        })
    }
}

/// Scrolls the diagram so that `resource`'s node is in the middle of its viewport.
fn centre_on(resource: String) {
    request_animation_frame(move || {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let selector = format!("[data-testid=diagram-node][data-resource=\"{resource}\"]");
        if let Ok(Some(node)) = document.query_selector(&selector) {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Center);
            options.set_inline(web_sys::ScrollLogicalPosition::Center);
            options.set_behavior(web_sys::ScrollBehavior::Smooth);
            node.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
}

/// Presenter mode: the findings that the filters let through when it started, one at a time
/// (←/→ or PageUp/PageDown to move, Esc to leave), with the diagram on the finding's resource.
#[component]
fn Presenter() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let review = use_context::<ReviewSession>().expect("review");
    let saved_filter = session.filter.get_untracked();
    let report = session.report.get_untracked();
    let order: Vec<usize> = report
        .as_ref()
        .map(|r| {
            let index = index_of(r);
            shown_findings(r, &saved_filter, review).into_iter().map(index).collect()
        })
        .unwrap_or_default();
    let total = order.len();
    let position = move || session.presenting.get().unwrap_or(0).min(total.saturating_sub(1));
    let step = move |delta: i64| {
        session.presenting.update(|p| {
            if let Some(p) = p {
                *p = (*p as i64 + delta).clamp(0, total.saturating_sub(1) as i64) as usize;
            }
        })
    };
    let exit = move || session.presenting.set(None);
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        // Typing a comment is not navigating.
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "TEXTAREA" | "INPUT" | "SELECT"));
        if typing {
            return;
        }
        match ev.key().as_str() {
            "ArrowRight" | "PageDown" => step(1),
            "ArrowLeft" | "PageUp" => step(-1),
            "Escape" => exit(),
            _ => {}
        }
    });
    let restore = saved_filter.clone();
    on_cleanup(move || {
        keys.remove();
        session.filter.set(restore);
    });
    let order = StoredValue::new(order);
    let finding_at = move |pos: usize| {
        let report = report.clone()?;
        let index = order.with_value(|o| o.get(pos).copied())?;
        let finding = report.findings.get(index)?.clone();
        Some((report, index, finding))
    };
    let finding_at2 = finding_at.clone();
    Effect::new(move |_| {
        if let Some((_, _, f)) = finding_at2(position()) {
            session.filter.update(|flt| flt.resource = f.resource.clone());
            if let Some(r) = f.resource {
                centre_on(r);
            }
        }
    });
    view! {
        <section class="presenter" data-testid="presenter" aria-label="Presenter mode">
            <div class="presenter-bar card">
                <button class="button secondary" aria-label="Previous finding" data-testid="presenter-prev" prop:disabled=move || position() == 0 on:click=move |_| step(-1)>"← Previous"</button>
                <span class="presenter-count" aria-live="polite" data-testid="presenter-count">
                    {move || if total == 0 { "No findings to present".to_string() } else { format!("Finding {} of {total}", position() + 1) }}
                </span>
                <button class="button secondary" aria-label="Next finding" data-testid="presenter-next" prop:disabled=move || { position() + 1 >= total } on:click=move |_| step(1)>"Next →"</button>
                <span class="muted small kbd-hint">"← → to move · Esc to leave"</span>
                <button class="button primary" data-testid="presenter-exit" on:click=move |_| exit()>"Leave presenter mode"</button>
            </div>
            <div class="presenter-body">
                <div class="presenter-finding">
                    {move || finding_at(position()).map(|(report, index, f)| view! { <FindingCard finding=f report=report index=index expanded=true/> })}
                </div>
                <Diagram/>
            </div>
        </section>
    }
}
