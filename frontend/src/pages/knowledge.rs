//! The knowledge explorer: search remedies, symptoms and metrics and walk their connections
//! (metric -> symptom under its condition -> ranked remedies).

use archlens_shared::knowledge::{self, Node, NodeKind};
use leptos::prelude::*;

#[component]
pub fn KnowledgePage() -> impl IntoView {
    let kb = knowledge::embedded();
    let query = RwSignal::new(String::new());
    let kind = RwSignal::new(None::<NodeKind>);
    let selected = RwSignal::new(Some("lambda-cold-starts".to_string()));
    let list = move || {
        let q = query.get().to_lowercase();
        kb.nodes()
            .filter(|n| kind.get().is_none_or(|k| n.kind() == k))
            .filter(|n| q.is_empty() || format!("{} {}", n.id(), n.title()).to_lowercase().contains(&q))
            .map(|n| (n.id().to_string(), n.title(), n.kind()))
            .collect::<Vec<_>>()
    };
    let link = move |id: String, label: String| {
        let target = id.clone();
        view! { <button class="link" on:click=move |_| selected.set(Some(target.clone()))>{label}</button> }
    };
    view! {
        <section class="knowledge-page">
            <aside class="card kb-list">
                <input type="search" placeholder="Search the knowledge graph…" aria-label="Search the knowledge graph" on:input=move |ev| query.set(event_target_value(&ev))/>
                <div class="group-toggle" role="group" aria-label="Kind">
                    <button class:active=move || kind.get().is_none() on:click=move |_| kind.set(None)>"All"</button>
                    {NodeKind::ALL.into_iter().map(|k| view! {
                        <button class:active=move || kind.get() == Some(k) on:click=move |_| kind.set(Some(k))>{k.folder()}</button>
                    }).collect_view()}
                </div>
                <ul>
                    {move || list().into_iter().map(|(id, title, k)| {
                        let target = id.clone();
                        let is_sel = id.clone();
                        view! {
                            <li class:selected=move || selected.with(|s| s.as_deref() == Some(is_sel.as_str()))>
                                <button class="kb-item" on:click=move |_| selected.set(Some(target.clone()))>
                                    <span class=format!("kind kind-{}", k.as_str())>{k.as_str()}</span>
                                    <span class="kb-title">{title}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </aside>
            <article class="card kb-detail" data-testid="kb-detail">
                {move || {
                    let id = selected.get()?;
                    let node = kb.node(&id)?;
                    Some(match node {
                        Node::Remedy(r) => view! {
                            <h2>{r.title.clone()}</h2>
                            <p class="muted"><code>{r.id.clone()}</code>{format!(" · remedy · effort {:?} · {}", r.effort, r.pillars.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")).to_lowercase()}</p>
                            <p>{r.summary.clone()}</p>
                            <h3>"Why it helps"</h3><p>{r.why.clone()}</p>
                            <h3>"Trade-offs"</h3><p>{r.tradeoffs.clone()}</p>
                            <dl class="remedy-facts"><dt>"Cost"</dt><dd>{r.cost_effect.clone()}</dd><dt>"Latency"</dt><dd>{r.latency_effect.clone()}</dd><dt>"Applies to"</dt><dd>{r.applies_to.join(", ")}</dd></dl>
                            {r.example.clone().map(|ex| view! { <h3>"Example"</h3><pre class="snippet"><code>{ex.code}</code></pre> })}
                            <h3>"Treats"</h3>
                            <ul>{kb.symptoms_for_remedy(&r.id).into_iter().map(|(s, rank)| view! { <li>{link(s.id.clone(), s.title.clone())}{format!(" (rank {rank})")}</li> }).collect_view()}</ul>
                            <h3>"Facts"</h3><ul>{r.facts.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view()}</ul>
                            <References refs=r.references.clone()/>
                        }.into_any(),
                        Node::Symptom(s) => view! {
                            <h2>{s.title.clone()}</h2>
                            <p class="muted"><code>{s.id.clone()}</code>" · symptom"</p>
                            <p>{s.description.clone()}</p>
                            <h3>"Shown by"</h3>
                            <ul>{s.indicators.iter().map(|i| view! { <li>{link(i.metric.clone(), i.metric.clone())}<code class="cond">{i.condition.to_string()}</code><div class="muted small">{i.explanation.clone()}</div></li> }).collect_view()}</ul>
                            <h3>"Remedies, most effective first"</h3>
                            <ol>{s.remedies.iter().map(|r| view! { <li>{link(r.id.clone(), kb.remedy(&r.id).map(|x| x.title.clone()).unwrap_or(r.id.clone()))}<div class="muted small">{r.why.clone()}</div></li> }).collect_view()}</ol>
                            <References refs=s.references.clone()/>
                        }.into_any(),
                        Node::Metric(m) => view! {
                            <h2>{format!("{} / {}", m.namespace, m.name)}</h2>
                            <p class="muted">{format!("metric · unit {} · dimension {} · statistics {}", m.unit, m.dimension, m.statistics.join(", "))}</p>
                            <p>{m.description.clone()}</p>
                            <h3>"Indicates"</h3>
                            <ul>{kb.symptoms_for_metric(&m.id).into_iter().map(|(s, i)| view! { <li>{link(s.id.clone(), s.title.clone())}<code class="cond">{i.condition.to_string()}</code></li> }).collect_view()}</ul>
                            <References refs=m.references.clone()/>
                        }.into_any(),
                    })
                }}
            </article>
        </section>
    }
}

#[component]
fn References(refs: knowledge::References) -> impl IntoView {
    view! {
        <h3>"References"</h3>
        <ul class="refs">
            {refs.docs.into_iter().map(|d| view! { <li><a href=d.clone() target="_blank" rel="noopener">{d.clone()}</a></li> }).collect_view()}
            {refs.seeds.into_iter().map(|s| view! { <li class="muted">{format!("seed note {s}")}</li> }).collect_view()}
        </ul>
    }
}
