//! The findings list: filters (severity, pillar, service, resource, free text), grouping by
//! resource or by remedy, and a card per finding with its evidence, the remedy from the
//! knowledge graph and the YAML fix with a copy button. Clicking a line opens it in the
//! template view.

use std::sync::Arc;

use archlens_shared::analysis::{Finding, Report};
use archlens_shared::explore::{by_remedy, by_resource};
use archlens_shared::knowledge::{self, Pillar};
use leptos::prelude::*;

use crate::components::review_controls::{CommentCount, Comments, StatusSelect};
use crate::review::ReviewSession;
use crate::state::Session;
use crate::util::copy_to_clipboard;

#[component]
pub fn Findings() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let review = use_context::<ReviewSession>().expect("review");
    let services = move || {
        session.report.with(|r| {
            let mut s: Vec<String> = r.iter().flat_map(|r| r.resources.iter().filter(|x| r.findings.iter().any(|f| f.resource.as_deref() == Some(x.id.as_str()))).map(|x| x.service.clone())).collect();
            s.sort();
            s.dedup();
            s
        })
    };
    view! {
        <section class="card findings" aria-label="Findings">
            <div class="card-head">
                <h2>"Findings"</h2>
                <div class="group-toggle" role="group" aria-label="Group by">
                    <button class:active=move || !session.group_by_remedy.get() on:click=move |_| session.group_by_remedy.set(false)>"By resource"</button>
                    <button class:active=move || session.group_by_remedy.get() on:click=move |_| session.group_by_remedy.set(true)>"By remedy"</button>
                </div>
            </div>
            <div class="filters">
                <input
                    type="search"
                    placeholder="Filter: text, rule, resource, remedy…"
                    aria-label="Filter findings"
                    data-testid="finding-search"
                    prop:value=move || session.filter.with(|f| f.text.clone())
                    on:input=move |ev| session.filter.update(|f| f.text = event_target_value(&ev))
                />
                <select aria-label="Pillar" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    session.filter.update(|f| f.pillar = Pillar::ALL.into_iter().find(|p| p.as_str() == v));
                }>
                    <option value="" selected=move || session.filter.with(|f| f.pillar.is_none())>"All pillars"</option>
                    {Pillar::ALL.into_iter().map(|p| view! { <option value=p.as_str() selected=move || session.filter.with(|f| f.pillar == Some(p))>{p.as_str()}</option> }).collect_view()}
                </select>
                <select aria-label="Service" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    session.filter.update(|f| f.service = (!v.is_empty()).then_some(v));
                }>
                    <option value="">"All services"</option>
                    {move || services().into_iter().map(|s| view! { <option value=s.clone() selected={let s = s.clone(); move || session.filter.with(|f| f.service.as_deref() == Some(s.as_str()))}>{s.clone()}</option> }).collect_view()}
                </select>
                <Show when=move || review.is_open()>
                    <select aria-label="Status" data-testid="status-filter" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        review.status_filter.set((!v.is_empty()).then_some(v));
                    }>
                        <option value="" selected=move || review.status_filter.with(Option::is_none)>"All statuses"</option>
                        {crate::review::STATUSES.into_iter().map(|st| view! { <option value=st selected=move || review.status_filter.with(|f| f.as_deref() == Some(st))>{st}</option> }).collect_view()}
                    </select>
                </Show>
                {move || session.filter.with(|f| f.resource.clone()).map(|r| view! {
                    <button class="chip active" data-testid="resource-filter" title="Clear the resource filter" on:click=move |_| session.filter.update(|f| f.resource = None)>
                        {format!("{r} ✕")}
                    </button>
                })}
            </div>
            {move || {
                let report = session.report.get()?;
                let filter = session.filter.get();
                let shown: Vec<&Finding> = shown_findings(&report, &filter, review);
                let total = report.findings.len();
                let count = shown.len();
                let groups = if session.group_by_remedy.get() { by_remedy(&shown) } else { by_resource(&shown) };
                let by_remedy_mode = session.group_by_remedy.get();
                let kb = knowledge::embedded();
                let index = index_of(&report);
                let groups: Vec<(String, Vec<(usize, Finding)>)> =
                    groups.into_iter().map(|(k, v)| (k, v.into_iter().map(|f| (index(f), f.clone())).collect())).collect();
                Some(view! {
                    <p class="muted small" data-testid="finding-count">{format!("{count} of {total} findings")}</p>
                    {(count == 0).then(|| view! { <p class="empty-list">"Nothing matches these filters."</p> })}
                    {groups
                        .into_iter()
                        .map(|(key, items)| {
                            let heading = if by_remedy_mode { kb.remedy(&key).map(|r| r.title.clone()).unwrap_or(key.clone()) } else { key.clone() };
                            let report = report.clone();
                            view! {
                                <div class="group">
                                    <h3 class="group-title">{heading}<span class="muted small">{format!(" · {}", items.len())}</span></h3>
                                    {items.into_iter().map(|(i, f)| view! { <FindingCard finding=f report=report.clone() index=i/> }).collect_view()}
                                </div>
                            }
                        })
                        .collect_view()}
                })
            }}
        </section>
    }
}

/// The findings the filters let through, and, in a review, the status filter.
pub fn shown_findings<'a>(report: &'a Report, filter: &archlens_shared::explore::Filter, review: ReviewSession) -> Vec<&'a Finding> {
    let shown = filter.apply(report);
    let Some(status) = review.status_filter.get() else { return shown };
    if !review.is_open() {
        return shown;
    }
    let index = index_of(report);
    shown
        .into_iter()
        .filter(|f| review.key_of(index(f)).and_then(|k| review.state_of(&k)).is_some_and(|s| s.status == status))
        .collect()
}

/// The position of a finding (borrowed from `report`) in the report.
pub fn index_of(report: &Report) -> impl Fn(&Finding) -> usize + '_ {
    move |f| report.findings.iter().position(|x| std::ptr::eq(x, f)).unwrap_or(usize::MAX)
}

/// One finding: `index` is its position in the report (which names it in a saved review);
/// `expanded` opens its details from the start (presenter mode).
#[component]
pub fn FindingCard(finding: Finding, report: Arc<Report>, index: usize, #[prop(optional)] expanded: bool) -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let review = use_context::<ReviewSession>().expect("review");
    let key = review.key_of(index);
    let key_attr = key.clone().unwrap_or_default();
    let status_class = {
        let key = key.clone();
        move || key.as_ref().and_then(|k| review.state_of(k)).map(|s| format!("status-{}", s.status)).unwrap_or_default()
    };
    let kb = knowledge::embedded();
    let open = RwSignal::new(expanded);
    let line = finding.line;
    let resource_type = finding.resource.as_deref().and_then(|id| report.resources.iter().find(|r| r.id == id)).map(|r| r.type_name.clone()).unwrap_or_default();
    let remedies_attr = finding.remedies.join(" ");
    let sev = finding.severity.as_str();
    let fix = finding.fix.clone();
    let remedy_details = finding.remedies.iter().filter_map(|id| kb.remedy(id)).cloned().collect::<Vec<_>>();
    view! {
        <article
            class=move || format!("finding sev-{sev} {}", status_class())
            data-testid="finding"
            data-key=key_attr
            data-resource=finding.resource.clone().unwrap_or_default()
            data-remedies=remedies_attr
            data-rule=finding.rule.clone()
        >
            <header class="finding-head">
                <span class=format!("badge sev-{sev}")>{sev}</span>
                <span class="rule-code">{finding.rule.clone()}</span>
                <button class="link line-link" title="Show in template" on:click=move |_| session.selected_line.set(Some(line))>
                    {format!("line {line}")}
                </button>
                {finding.impact.as_ref().filter(|i| i.monthly_usd_delta < 0.0).map(|i| view! { <span class="saving-tag">{format!("−${:.2}/mo", -i.monthly_usd_delta)}</span> })}
                <span class="pillar-tag">{finding.pillar.as_str()}</span>
                {key.clone().map(|k| view! { <CommentCount key=k.clone()/><StatusSelect key=k/> })}
            </header>
            <p class="message">{finding.message.clone()}</p>
            <div class="meta muted small">
                {finding.resource.clone().map(|r| view! { <span class="resource">{r}</span> })}
                {(!resource_type.is_empty()).then(|| view! { <span>{format!(" · {resource_type}")}</span> })}
            </div>
            <button class="link toggle" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                {move || if open.get() { "Hide details" } else { "Why, and what to change" }}
            </button>
            <Show when=move || open.get()>
                {
                    let evidence = finding.evidence.clone();
                    let sparks = finding.sparks.clone();
                    let impact = finding.impact.clone();
                    let notes = finding.remedy_notes.clone();
                    let fix = fix.clone();
                    let remedy_details = remedy_details.clone();
                    let key = key.clone();
                    view! {
                        <div class="details">
                            {key.map(|k| view! { <Comments key=k/> })}
                            {(!evidence.is_empty()).then(|| view! {
                                <div class="evidence">
                                    <h4>"Evidence"</h4>
                                    <ul>{evidence.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
                                </div>
                            })}
                            {(!sparks.is_empty()).then(|| view! {
                                <div class="sparks">{sparks.into_iter().map(|s| view! { <crate::components::charts::Sparkline spark=s/> }).collect_view()}</div>
                            })}
                            {impact.map(|i| view! {
                                <div class="impact" data-testid="impact">
                                    <h4>"Effect"</h4>
                                    <p><strong>{archlens_shared::report::impact_text(&i)}</strong>{format!(" — {}", i.explanation)}</p>
                                </div>
                            })}
                            {(!notes.is_empty()).then(|| view! { <ul class="small muted">{notes.into_iter().map(|(id, n)| view! { <li>{format!("{id}: {n}")}</li> }).collect_view()}</ul> })}
                            {fix.map(|fix| {
                                let yaml = fix.yaml.clone();
                                view! {
                                    <div class="fix">
                                        <h4>"Fix"</h4>
                                        <p>{fix.description.clone()}</p>
                                        <div class="snippet">
                                            <pre><code>{fix.yaml.clone()}</code></pre>
                                            <button class="button small secondary copy" data-testid="copy-fix" on:click=move |_| copy_to_clipboard(&yaml)>"Copy"</button>
                                        </div>
                                    </div>
                                }
                            })}
                            {remedy_details.into_iter().enumerate().map(|(i, r)| view! {
                                <div class="remedy">
                                    <h4>{if i == 0 { "Remedy: ".to_string() } else { "Also: ".to_string() }}{r.title.clone()}</h4>
                                    <p>{r.why.clone()}</p>
                                    <dl class="remedy-facts">
                                        <dt>"Trade-offs"</dt><dd>{r.tradeoffs.clone()}</dd>
                                        <dt>"Cost"</dt><dd>{r.cost_effect.clone()}</dd>
                                        <dt>"Latency"</dt><dd>{r.latency_effect.clone()}</dd>
                                        <dt>"Effort"</dt><dd>{format!("{:?}", r.effort).to_lowercase()}</dd>
                                    </dl>
                                </div>
                            }).collect_view()}
                        </div>
                    }
                }
            </Show>
        </article>
    }
}
