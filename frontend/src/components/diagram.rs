//! The architecture diagram: the layout computed by `archlens_shared::diagram`, drawn as SVG.
//! Click a node to filter the findings to it; hover to highlight its connections; wheel to
//! zoom, drag to pan; export as SVG or PNG.

use std::collections::{BTreeMap, BTreeSet};

use archlens_shared::architecture::EdgeKind;
use archlens_shared::diagram::{Layout, layout};
use archlens_shared::explore::badges;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::state::Session;
use crate::util::download;

/// Colour and short label of a service family (AWS architecture-icon colours).
pub fn service_style(service: &str) -> (&'static str, &'static str) {
    match service {
        "lambda" => ("#ED7100", "λ"),
        "apigateway" => ("#8C4FFF", "API"),
        "dynamodb" => ("#2E73B8", "DDB"),
        "rds" | "neptune" | "docdb" => ("#2E73B8", "DB"),
        "elasticache" | "memorydb" | "dax" => ("#2E73B8", "$"),
        "s3" => ("#3F8624", "S3"),
        "sqs" => ("#E7157B", "SQS"),
        "sns" => ("#E7157B", "SNS"),
        "events" | "scheduler" | "pipes" => ("#E7157B", "EB"),
        "stepfunctions" => ("#E7157B", "SF"),
        "kinesis" | "kinesisfirehose" => ("#8C4FFF", "KDS"),
        "ecs" | "eks" | "batch" => ("#ED7100", "ECS"),
        "ec2" | "autoscaling" => ("#ED7100", "EC2"),
        "elb" => ("#8C4FFF", "ELB"),
        "cloudfront" | "route53" => ("#8C4FFF", "CDN"),
        "iam" => ("#DD344C", "IAM"),
        "cognito" | "secretsmanager" | "kms" | "wafv2" => ("#DD344C", "SEC"),
        "logs" | "cloudwatch" | "cloudtrail" => ("#E7157B", "CW"),
        "opensearchservice" | "elasticsearch" => ("#8C4FFF", "OS"),
        "custom" => ("#6B7785", "CR"),
        _ => ("#6B7785", "AWS"),
    }
}

fn edge_class(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Invokes => "e-invokes",
        EdgeKind::Triggers => "e-triggers",
        EdgeKind::Reads => "e-reads",
        EdgeKind::Writes => "e-writes",
        EdgeKind::Publishes => "e-publishes",
        EdgeKind::Routes => "e-routes",
        EdgeKind::Contains => "e-contains",
        EdgeKind::References => "e-references",
    }
}

const EDGE_KINDS: [EdgeKind; 8] = [
    EdgeKind::Invokes,
    EdgeKind::Triggers,
    EdgeKind::Reads,
    EdgeKind::Writes,
    EdgeKind::Publishes,
    EdgeKind::Routes,
    EdgeKind::Contains,
    EdgeKind::References,
];

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

fn svg_text() -> Option<String> {
    let el = web_sys::window()?.document()?.query_selector("[data-testid=diagram]").ok()??;
    let xml = web_sys::XmlSerializer::new().ok()?.serialize_to_string(&el).ok()?;
    // Standalone files need the styles the page provides through CSS.
    let style = "<style>text{font:12px system-ui,sans-serif;fill:#1b1f24}.type{fill:#5b6470;font-size:10px}path{fill:none;stroke:#8a94a3;stroke-width:1.4}.e-references,.e-contains{stroke-dasharray:4 3;stroke:#b6bec8}.node rect.box{fill:#fff;stroke:#d0d6de}</style>";
    Some(xml.replacen('>', &format!(">{style}"), 1))
}

fn export_png(width: f64, height: f64) {
    let Some(svg) = svg_text() else { return };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(img) = web_sys::HtmlImageElement::new() else { return };
    let url = format!("data:image/svg+xml;charset=utf-8,{}", js_sys::encode_uri_component(&svg));
    let img2 = img.clone();
    let onload = Closure::once(move || {
        let Some(canvas) = document.create_element("canvas").ok().and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok()) else { return };
        let scale = 2.0;
        canvas.set_width((width * scale) as u32);
        canvas.set_height((height * scale) as u32);
        let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()) else { return };
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, 0.0, width * scale, height * scale);
        let _ = ctx.scale(scale, scale);
        let _ = ctx.draw_image_with_html_image_element(&img2, 0.0, 0.0);
        if let Ok(data) = canvas.to_data_url_with_type("image/png") {
            if let Some(a) = document.create_element("a").ok().and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
                a.set_href(&data);
                a.set_download("architecture.png");
                a.click();
            }
        }
    });
    img.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    img.set_src(&url);
}

#[component]
pub fn Diagram() -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let laid_out = Memo::new(move |_| {
        session.report.with(|r| {
            r.as_ref().map(|r| {
                let arch = archlens_shared::architecture::Architecture { resources: r.resources.clone(), edges: r.edges.clone() };
                (layout(&arch), badges(r), r.metrics.overlay.clone())
            })
        })
    });
    let hovered = RwSignal::new(None::<String>);
    let scale = RwSignal::new(1.0f64);
    let offset = RwSignal::new((0.0f64, 0.0f64));
    let drag = RwSignal::new(None::<(f64, f64, f64, f64)>);
    let show_refs = RwSignal::new(true);
    let on_wheel = move |ev: web_sys::WheelEvent| {
        ev.prevent_default();
        let factor = if ev.delta_y() < 0.0 { 1.1 } else { 1.0 / 1.1 };
        scale.update(|s| *s = (*s * factor).clamp(0.2, 4.0));
    };
    view! {
        <section class="card diagram-card" aria-label="Architecture diagram">
            <div class="card-head">
                <h2>"Architecture"</h2>
                <div class="diagram-tools">
                    <label class="small"><input type="checkbox" prop:checked=move || show_refs.get() on:change=move |ev| show_refs.set(event_target_checked(&ev))/>" references"</label>
                    <button class="button small secondary" title="Zoom in" aria-label="Zoom in" on:click=move |_| scale.update(|s| *s = (*s * 1.2).min(4.0))>"+"</button>
                    <button class="button small secondary" title="Zoom out" aria-label="Zoom out" on:click=move |_| scale.update(|s| *s = (*s / 1.2).max(0.2))>"−"</button>
                    <button class="button small secondary" on:click=move |_| { scale.set(1.0); offset.set((0.0, 0.0)); }>"Reset"</button>
                    <button class="button small secondary" data-testid="export-svg" on:click=move |_| { if let Some(svg) = svg_text() { download("architecture.svg", "image/svg+xml", &svg) } }>"SVG"</button>
                    <button class="button small secondary" data-testid="export-png" on:click=move |_| { if let Some((l, _, _)) = laid_out.get() { export_png(l.width, l.height) } }>"PNG"</button>
                </div>
            </div>
            <div
                class="diagram-viewport"
                on:wheel=on_wheel
                on:pointerdown=move |ev: web_sys::PointerEvent| {
                    let (ox, oy) = offset.get_untracked();
                    drag.set(Some((ev.client_x() as f64, ev.client_y() as f64, ox, oy)));
                }
                on:pointermove=move |ev: web_sys::PointerEvent| {
                    if let Some((sx, sy, ox, oy)) = drag.get_untracked() {
                        offset.set((ox + ev.client_x() as f64 - sx, oy + ev.client_y() as f64 - sy));
                    }
                }
                on:pointerup=move |_| drag.set(None)
                on:pointerleave=move |_| drag.set(None)
            >
                {move || laid_out.get().map(|(l, badges, overlay)| render(l, badges, overlay, session, hovered, scale, offset, show_refs))}
            </div>
            <div class="legend" aria-label="Legend">
                {EDGE_KINDS.into_iter().map(|k| view! {
                    <span class="legend-item"><svg width="28" height="10" aria-hidden="true"><path d="M1,5 L27,5" class=edge_class(k)></path></svg>{k.as_str()}</span>
                }).collect_view()}
                <span class="legend-item"><span class="dot sev-high"></span>"high"</span>
                <span class="legend-item"><span class="dot sev-medium"></span>"medium"</span>
                <span class="legend-item"><span class="dot sev-low"></span>"low"</span>
                <span class="legend-item"><span class="dot sev-info"></span>"info"</span>
            </div>
        </section>
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    l: Layout,
    badges: BTreeMap<String, (archlens_shared::rules::Severity, usize)>,
    overlay: BTreeMap<String, Vec<String>>,
    session: Session,
    hovered: RwSignal<Option<String>>,
    scale: RwSignal<f64>,
    offset: RwSignal<(f64, f64)>,
    show_refs: RwSignal<bool>,
) -> impl IntoView {
    let neighbours: BTreeMap<String, BTreeSet<String>> = {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for e in &l.edges {
            m.entry(e.from.clone()).or_default().insert(e.to.clone());
            m.entry(e.to.clone()).or_default().insert(e.from.clone());
        }
        m
    };
    let neighbours = StoredValue::new(neighbours);
    let (w, h) = (l.width, l.height);
    let node_count = l.nodes.len();
    let transform = move || {
        let (x, y) = offset.get();
        format!("translate({x:.1} {y:.1}) scale({:.3})", scale.get())
    };
    view! {
        <svg
            data-testid="diagram"
            xmlns="http://www.w3.org/2000/svg"
            role="img"
            aria-label=format!("Architecture diagram with {node_count} resources")
            viewBox=format!("0 0 {w:.0} {h:.0}")
            width=format!("{w:.0}")
            height=format!("{h:.0}")
        >
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" class="arrowhead"></path>
                </marker>
            </defs>
            <g transform=transform>
                {l.edges.into_iter().map(|e| {
                    let (from, to) = (e.from.clone(), e.to.clone());
                    let (from2, to2) = (e.from.clone(), e.to.clone());
                    let is_ref = matches!(e.kind, EdgeKind::References | EdgeKind::Contains);
                    view! {
                        <path
                            d=e.d
                            class=format!("edge {}", edge_class(e.kind))
                            class:hl=move || hovered.with(|h| h.as_deref() == Some(from.as_str()) || h.as_deref() == Some(to.as_str()))
                            class:dim=move || hovered.with(|h| h.as_ref().is_some_and(|h| h != &from2 && h != &to2))
                            class:hidden=move || is_ref && !show_refs.get()
                            marker-end="url(#arrow)"
                        >
                            <title>{format!("{} {} {}", e.from, e.kind.as_str(), e.to)}</title>
                        </path>
                    }
                }).collect_view()}
                {l.nodes.into_iter().map(|n| {
                    let (color, label) = service_style(&n.service);
                    let id = n.id.clone();
                    let id_hover = n.id.clone();
                    let id_sel = n.id.clone();
                    let id_dim = n.id.clone();
                    let badge = badges.get(&n.id).copied();
                    let measured = overlay.get(&n.id).cloned();
                    let type_short = n.type_name.trim_start_matches("AWS::").to_string();
                    let title = format!("{} ({})", n.id, n.type_name);
                    view! {
                        <g
                            class="node"
                            data-testid="diagram-node"
                            data-resource=n.id.clone()
                            tabindex="0"
                            role="button"
                            aria-label=title.clone()
                            transform=format!("translate({:.1} {:.1})", n.x, n.y)
                            class:selected=move || session.filter.with(|f| f.resource.as_deref() == Some(id_sel.as_str()))
                            class:dim=move || hovered.with(|h| h.as_ref().is_some_and(|h| h != &id_dim && !neighbours.with_value(|m| m.get(h).is_some_and(|s| s.contains(&id_dim)))))
                            on:mouseenter=move |_| hovered.set(Some(id_hover.clone()))
                            on:mouseleave=move |_| hovered.set(None)
                            on:click={
                                let id = id.clone();
                                move |_| session.filter.update(|f| f.resource = if f.resource.as_deref() == Some(id.as_str()) { None } else { Some(id.clone()) })
                            }
                            on:keydown=move |ev: web_sys::KeyboardEvent| {
                                if ev.key() == "Enter" || ev.key() == " " {
                                    ev.prevent_default();
                                    session.filter.update(|f| f.resource = if f.resource.as_deref() == Some(id.as_str()) { None } else { Some(id.clone()) });
                                }
                            }
                        >
                            <title>{match &measured { Some(s) => format!("{title} — metrics show: {}", s.join(", ")), None => title.clone() }}</title>
                            {measured.as_ref().map(|_| view! { <rect class="measured" x="-4" y="-4" width=format!("{:.0}", n.w + 8.0) height=format!("{:.0}", n.h + 8.0) rx="11"></rect> })}
                            <rect class="box" width=format!("{:.0}", n.w) height=format!("{:.0}", n.h) rx="8"></rect>
                            <rect width="6" height=format!("{:.0}", n.h) rx="3" fill=color></rect>
                            <circle cx="28" cy=format!("{:.0}", n.h / 2.0) r="14" fill=color></circle>
                            <text class="icon" x="28" y=format!("{:.0}", n.h / 2.0 + 4.0) text-anchor="middle">{label}</text>
                            <text class="id" x="50" y="23">{truncate(&n.id, 20)}</text>
                            <text class="type" x="50" y="40">{truncate(&type_short, 26)}</text>
                            {badge.map(|(sev, count)| view! {
                                <g class=format!("badge-dot sev-{}", sev.as_str()) transform=format!("translate({:.0} 0)", n.w - 2.0)>
                                    <circle r="11"></circle>
                                    <text y="4" text-anchor="middle">{count}</text>
                                </g>
                            })}
                        </g>
                    }
                }).collect_view()}
            </g>
        </svg>
    }
}
