//! Small SVG charts: a sparkline for the series behind a finding, and the Lambda memory what-if
//! (cost and duration per memory size, like Lambda Power Tuning's chart).

use archlens_shared::cost::WhatIf;
use archlens_shared::diagnosis::Spark;
use leptos::prelude::*;

#[component]
pub fn Sparkline(spark: Spark) -> impl IntoView {
    let (w, h) = (220.0, 40.0);
    let pts = &spark.points;
    let (t0, t1) = (pts.first().map_or(0, |p| p.0), pts.last().map_or(1, |p| p.0));
    let vmax = pts.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let vmin = pts.iter().map(|p| p.1).fold(f64::MAX, f64::min).min(0.0);
    let sx = |t: i64| if t1 > t0 { (t - t0) as f64 / (t1 - t0) as f64 * (w - 4.0) + 2.0 } else { w / 2.0 };
    let sy = |v: f64| if vmax > vmin { h - 2.0 - (v - vmin) / (vmax - vmin) * (h - 4.0) } else { h / 2.0 };
    let d: String = pts.iter().enumerate().map(|(i, p)| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, sx(p.0), sy(p.1))).collect::<Vec<_>>().join(" ");
    let label = format!("{} {} (max {:.1})", spark.metric.rsplit('/').next().unwrap_or(""), spark.statistic, vmax);
    view! {
        <figure class="spark" data-testid="sparkline">
            <svg width=w height=h viewBox=format!("0 0 {w} {h}") role="img" aria-label=label.clone()><path d=d></path></svg>
            <figcaption class="muted small">{label}</figcaption>
        </figure>
    }
}

#[component]
pub fn WhatIfChart(function: String, whatif: WhatIf) -> impl IntoView {
    let (w, h, pad) = (560.0, 220.0, 44.0);
    let pts: Vec<_> = whatif.points.iter().filter(|p| p.feasible).cloned().collect();
    let mmax = pts.iter().map(|p| p.memory_mb).fold(128.0, f64::max);
    let cmax = pts.iter().map(|p| p.cost_per_invocation_usd).fold(0.0, f64::max).max(1e-12);
    let dmax = pts.iter().map(|p| p.expected_ms).fold(0.0, f64::max).max(1e-9);
    // Memory on a log axis, as Power Tuning draws it.
    let sx = move |m: f64| pad + (m.ln() - 128f64.ln()) / (mmax.ln() - 128f64.ln()).max(1e-9) * (w - 2.0 * pad);
    let sy_c = move |c: f64| h - pad + 10.0 - c / cmax * (h - pad - 20.0);
    let sy_d = move |d: f64| h - pad + 10.0 - d / dmax * (h - pad - 20.0);
    let line = |f: &dyn Fn(&archlens_shared::cost::WhatIfPoint) -> (f64, f64)| pts.iter().enumerate().map(|(i, p)| { let (x, y) = f(p); format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" }) }).collect::<Vec<_>>().join(" ");
    let cost_d = line(&|p| (sx(p.memory_mb), sy_c(p.cost_per_invocation_usd)));
    let dur_d = line(&|p| (sx(p.memory_mb), sy_d(p.expected_ms)));
    let marks = [("current", Some(whatif.current.clone())), ("cheapest", whatif.cheapest.clone()), ("balanced", whatif.balanced.clone()), ("fastest", whatif.fastest.clone())];
    let summary = format!(
        "{function}: now {:.0} MB, {:.0} ms, ${:.2}/month · cheapest {} · balanced {} · fastest {}",
        whatif.current.memory_mb, whatif.current.expected_ms, whatif.current.monthly_usd,
        whatif.cheapest.as_ref().map_or("-".into(), |p| format!("{:.0} MB (${:.2})", p.memory_mb, p.monthly_usd)),
        whatif.balanced.as_ref().map_or("-".into(), |p| format!("{:.0} MB", p.memory_mb)),
        whatif.fastest.as_ref().map_or("-".into(), |p| format!("{:.0} MB ({:.0} ms)", p.memory_mb, p.expected_ms)),
    );
    view! {
        <figure class="whatif" data-testid="whatif">
            <figcaption><strong>"Memory what-if · "</strong>{summary}</figcaption>
            <svg viewBox=format!("0 0 {w} {h}") width="100%" role="img" aria-label="Cost and duration per memory size">
                <line x1=pad y1=h - pad + 10.0 x2=w - pad y2=h - pad + 10.0 class="axis"></line>
                {pts.iter().map(|p| view! { <text x=sx(p.memory_mb) y=h - pad + 26.0 text-anchor="middle" class="tick">{format!("{:.0}", p.memory_mb)}</text> }).collect_view()}
                <path d=cost_d class="cost-line"></path>
                <path d=dur_d class="duration-line"></path>
                {marks.into_iter().filter_map(|(label, p)| p.map(|p| (label, p))).map(|(label, p)| view! {
                    <g class=format!("mark mark-{label}")>
                        <circle cx=sx(p.memory_mb) cy=sy_c(p.cost_per_invocation_usd) r="5"></circle>
                        <text x=sx(p.memory_mb) y=sy_c(p.cost_per_invocation_usd) - 9.0 text-anchor="middle">{label}</text>
                    </g>
                }).collect_view()}
                <text x=pad y="14" class="legend-cost">"— cost per invocation"</text>
                <text x=pad + 170.0 y="14" class="legend-duration">"— duration"</text>
            </svg>
            <details class="small"><summary>"Assumptions"</summary><ul>{whatif.assumptions.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}</ul></details>
        </figure>
    }
}
