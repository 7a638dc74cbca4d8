//! Evaluating a knowledge-graph condition on observations.
//!
//! The observations are cut into windows of the condition's length; each window reduces to the
//! condition's statistic (exactly, from raw REPORT samples; from a CloudWatch series by
//! combining its datapoints: sums add, maxima take the max, averages average, percentiles take
//! the worst datapoint, which is conservative). A datapoint whose period is longer than the
//! window (5-minute data for a 1-minute condition) makes the window that long, and its Sum or
//! SampleCount counts as the average per condition window. A ratio or difference combines two
//! metrics window by window, or a metric with a template property converted to the metric's unit.
//! `increasing` fits a least-squares line through the windows and needs a positive slope of at
//! least the threshold per hour over three windows or more.

use std::collections::BTreeMap;

use super::Spark;
use super::observe::ResourceObs;
use crate::architecture::Architecture;
use crate::knowledge::{Combine, Indicator, KnowledgeBase, Op, Pillar, Symptom};
use crate::rules::ctx::Ctx;
use crate::template::Resource;

pub struct Met {
    pub value: f64,
    pub unit: Option<String>,
    pub windows_met: usize,
    pub windows: usize,
    pub source: String,
    pub spark: Option<Spark>,
}

pub enum Outcome {
    Met(Met),
    NotMet,
    NotEvaluable(String),
}

/// Statistic of a set of raw values.
pub fn statistic(values: &mut [f64], stat: &str) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(match stat {
        "Sum" => values.iter().sum(),
        "Average" => values.iter().sum::<f64>() / values.len() as f64,
        "Maximum" => values.iter().copied().fold(f64::MIN, f64::max),
        "Minimum" => values.iter().copied().fold(f64::MAX, f64::min),
        "SampleCount" => values.len() as f64,
        p if p.starts_with('p') => {
            let q: f64 = p[1..].parse().ok()?;
            percentile(values, q)
        }
        _ => return None,
    })
}

/// Nearest-rank percentile (the method CloudWatch documents for raw samples).
pub fn percentile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let rank = ((q / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
    values[rank.min(values.len()) - 1]
}

fn same_stat(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (a.starts_with('p') && b.starts_with('p') && a[1..].parse::<f64>().ok() == b[1..].parse::<f64>().ok())
}

/// Windowed values of one metric and statistic: `(window start, value)` in time order.
fn windows(robs: &ResourceObs, metric: &str, stat: &str, window_ms: i64) -> Option<(Vec<(i64, f64)>, Option<String>, String)> {
    if let Some(samples) = robs.samples.get(metric) {
        let mut buckets: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for &(t, v) in samples {
            buckets.entry(t.div_euclid(window_ms)).or_default().push(v);
        }
        let out: Vec<(i64, f64)> = buckets.into_iter().filter_map(|(k, mut v)| statistic(&mut v, stat).map(|s| (k * window_ms, s))).collect();
        let unit = match metric {
            "AWS/Lambda/MaxMemoryUsed" => Some("Megabytes".to_string()),
            "AWS/Lambda/Invocations" | "AWS/Lambda/Errors" => Some("Count".to_string()),
            _ => Some("Milliseconds".to_string()),
        };
        return Some((out, unit, robs.sample_source.clone().unwrap_or_default()));
    }
    let series = robs.series.iter().find(|s| s.metric == metric && same_stat(&s.statistic, stat))?;
    let period = series.period_s.map(|p| p as i64 * 1000).or_else(|| min_spacing(&series.points));
    let step = period.map_or(window_ms, |p| p.max(window_ms));
    // A datapoint longer than the window cannot be split: its Sum (or SampleCount) covers
    // `period / window` windows, so it is read as their average. Compared as it is, a 5-minute
    // Sum would meet a 1-minute threshold at a fifth of the rate the condition means.
    let per_window = match period {
        Some(p) if p > window_ms => window_ms as f64 / p as f64,
        _ => 1.0,
    };
    let mut buckets: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for &(t, v) in &series.points {
        buckets.entry(t.div_euclid(step)).or_default().push(v);
    }
    let combine = |vals: &mut Vec<f64>| -> f64 {
        match stat {
            "Sum" | "SampleCount" => vals.iter().sum::<f64>() * per_window,
            "Average" => vals.iter().sum::<f64>() / vals.len() as f64,
            "Minimum" => vals.iter().copied().fold(f64::MAX, f64::min),
            _ => vals.iter().copied().fold(f64::MIN, f64::max),
        }
    };
    let out = buckets.into_iter().map(|(k, mut v)| (k * step, combine(&mut v))).collect();
    Some((out, series.unit.clone(), series.source.clone()))
}

/// The period of a series whose input does not state it (a GetMetricData response without its
/// queries, GetMetricStatistics, CSV): the smallest spacing of its datapoints, since CloudWatch
/// returns at most one datapoint per period (periods without data are simply missing).
fn min_spacing(points: &[(i64, f64)]) -> Option<i64> {
    points.windows(2).map(|w| w[1].0 - w[0].0).filter(|d| *d > 0).min()
}

fn unit_factor(from: &str, to: &str) -> Option<f64> {
    let scale = |u: &str| -> Option<(char, f64)> {
        Some(match u {
            "Milliseconds" => ('t', 1.0),
            "Seconds" => ('t', 1000.0),
            "Microseconds" => ('t', 0.001),
            "Bytes" => ('b', 1.0),
            "Kilobytes" => ('b', 1024.0),
            "Megabytes" => ('b', 1024.0 * 1024.0),
            "Gigabytes" => ('b', 1024.0 * 1024.0 * 1024.0),
            "Count" | "None" => ('c', 1.0),
            "Percent" => ('p', 1.0),
            _ => return None,
        })
    };
    let (a, b) = (scale(from)?, scale(to)?);
    (a.0 == b.0).then(|| a.1 / b.1)
}

/// The template property a condition compares with, with AWS's default when absent.
fn property_value(ctx: &Ctx<'_>, res: Option<&Resource>, robs: &ResourceObs, property: &str) -> Option<f64> {
    if property == "MemorySize" {
        if let Some(m) = robs.memory_mb {
            return Some(m);
        }
    }
    let res = res?;
    let path: Vec<&str> = property.split('.').collect();
    let defaults: &[(&str, f64)] = &[("Timeout", 3.0), ("MemorySize", 128.0), ("MessageRetentionPeriod", 345_600.0), ("VisibilityTimeout", 30.0)];
    let value = ctx.num(res, &path);
    match value {
        crate::rules::Prop::Known(v, _) => Some(v),
        crate::rules::Prop::Absent => defaults.iter().find(|(k, _)| *k == property).map(|(_, v)| *v),
        crate::rules::Prop::Unknown(_) => None,
    }
}

fn compare(op: Op, value: f64, threshold: f64) -> bool {
    match op {
        Op::Gt => value > threshold,
        Op::Ge => value >= threshold,
        Op::Lt => value < threshold,
        Op::Le => value <= threshold,
        Op::Increasing => false,
    }
}

/// Least-squares slope per hour of `(t ms, v)` points.
pub fn slope_per_hour(points: &[(i64, f64)]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let t0 = points[0].0 as f64;
    let xs: Vec<f64> = points.iter().map(|p| (p.0 as f64 - t0) / 3_600_000.0).collect();
    let mx = xs.iter().sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (x, p) in xs.iter().zip(points) {
        num += (x - mx) * (p.1 - my);
        den += (x - mx) * (x - mx);
    }
    (den > 0.0).then(|| num / den)
}

fn spark(metric: &str, stat: &str, points: &[(i64, f64)]) -> Spark {
    let step = points.len().div_ceil(super::SPARK_POINTS).max(1);
    Spark {
        metric: metric.to_string(),
        statistic: stat.to_string(),
        points: points.chunks(step).map(|c| (c[0].0, c.iter().map(|p| p.1).fold(f64::MIN, f64::max))).collect(),
    }
}

pub fn indicator(ctx: &Ctx<'_>, res: Option<&Resource>, robs: &ResourceObs, kb: &KnowledgeBase, ind: &Indicator) -> Outcome {
    let c = &ind.condition;
    let window_ms = c.window_minutes as i64 * 60_000;
    let Some((mut values, mut unit, source)) = windows(robs, &ind.metric, &c.statistic, window_ms) else {
        return Outcome::NotEvaluable(format!("no {} {} data", ind.metric, c.statistic));
    };
    if unit.is_none() {
        unit = kb.metric(&ind.metric).map(|m| m.unit.clone());
    }
    let raw = values.clone();
    if let Some(rel) = &c.relative_to {
        let other: Vec<(i64, f64)> = if let Some(m) = &rel.metric {
            let stat = rel.statistic.as_deref().unwrap_or(&c.statistic);
            match windows(robs, m, stat, window_ms) {
                Some((v, _, _)) => v,
                None => return Outcome::NotEvaluable(format!("no {m} {stat} data")),
            }
        } else if let Some(p) = &rel.property {
            let Some(v) = property_value(ctx, res, robs, p) else { return Outcome::NotEvaluable(format!("{p} unknown")) };
            let factor = match (&rel.unit, &unit) {
                (Some(pu), Some(mu)) => unit_factor(pu, mu).unwrap_or(1.0),
                _ => 1.0,
            };
            values.iter().map(|(t, _)| (*t, v * factor)).collect()
        } else {
            return Outcome::NotEvaluable("relative_to names nothing".into());
        };
        let other: BTreeMap<i64, f64> = other.into_iter().collect();
        values = values
            .into_iter()
            .filter_map(|(t, v)| {
                let o = *other.get(&t)?;
                match rel.combine {
                    Combine::Ratio if o != 0.0 => Some((t, v / o)),
                    Combine::Ratio => None,
                    Combine::Difference => Some((t, v - o)),
                }
            })
            .collect();
        if rel.combine == Combine::Ratio {
            unit = None;
        }
    }
    if values.is_empty() {
        return Outcome::NotEvaluable("no overlapping windows".into());
    }
    let spark = Some(spark(&ind.metric, &c.statistic, &raw));
    if c.op == Op::Increasing {
        let Some(slope) = slope_per_hour(&values) else { return Outcome::NotEvaluable("fewer than 3 windows".into()) };
        let rising = values.last().map(|l| l.1) > values.first().map(|f| f.1);
        if slope > 0.0 && slope >= c.threshold && rising {
            return Outcome::Met(Met { value: slope, unit: unit.map(|u| format!("{u}/h")), windows_met: values.len(), windows: values.len(), source, spark });
        }
        return Outcome::NotMet;
    }
    let met: Vec<f64> = values.iter().map(|p| p.1).filter(|&v| compare(c.op, v, c.threshold)).collect();
    if met.is_empty() {
        return Outcome::NotMet;
    }
    let worst = if matches!(c.op, Op::Lt | Op::Le) { met.iter().copied().fold(f64::MAX, f64::min) } else { met.iter().copied().fold(f64::MIN, f64::max) };
    Outcome::Met(Met { value: worst, unit, windows_met: met.len(), windows: values.len(), source, spark })
}

/// The pillar a symptom belongs to: that of its most effective remedy.
pub fn pillar_of(kb: &KnowledgeBase, symptom: &Symptom) -> Pillar {
    symptom.remedies.first().and_then(|r| kb.remedy(&r.id)).and_then(|r| r.pillars.first().copied()).unwrap_or(Pillar::Performance)
}

/// The symptom's remedies in rank order, kept when they apply to this resource or a resource
/// it is connected to, and dropped when the resource's configuration already has them
/// (arm64, SnapStart outside Java, a DLQ that exists, provisioned concurrency that is on).
/// Each may carry a note specific to the resource.
pub fn remedies_for(ctx: &Ctx<'_>, symptom: &Symptom, resource: Option<&str>, arch: &Architecture) -> Vec<(String, Option<String>)> {
    let res = resource.and_then(|id| ctx.template.resource(id));
    let mut types: Vec<&str> = Vec::new();
    if let Some(r) = res {
        types.push(r.type_name.as_str());
        for e in arch.edges_from(&r.id).chain(arch.edges_to(&r.id)) {
            let other = if e.from == r.id { &e.to } else { &e.from };
            types.push(ctx.type_of(other));
        }
    }
    let function = res.filter(|r| r.is_function()).map(|r| (r, ctx.function(r)));
    let consumers = res.map(|r| queue_consumers(ctx, &r.id, arch)).unwrap_or_default();
    let mut out = Vec::new();
    for rr in &symptom.remedies {
        let Some(remedy) = ctx.kb.remedy(&rr.id) else { continue };
        if res.is_some() && !remedy.applies_to.is_empty() && !remedy.applies_to.iter().any(|t| types.contains(&t.as_str())) {
            continue;
        }
        let mut note = None;
        if let Some((r, f)) = &function {
            match rr.id.as_str() {
                "lambda-arm64" if f.is_arm64() == Some(true) => continue,
                "lambda-snapstart" if !f.is_java() => continue,
                "lambda-provisioned-concurrency" if r.prop("ProvisionedConcurrencyConfig").is_some() => continue,
                "lambda-async-dlq" => {
                    let has_dlq = r.prop("DeadLetterQueue").is_some() || r.prop("DeadLetterConfig").is_some() || ctx.node(r, &["EventInvokeConfig", "DestinationConfig", "OnFailure"]).is_some();
                    if has_dlq {
                        continue;
                    }
                }
                "lambda-memory-for-cpu" | "lambda-right-size-memory" | "lambda-power-tuning" => {
                    if let Some(m) = f.memory_mb() {
                        note = Some(format!("{} is configured with {} MB", r.id, crate::rules::ctx::fmt_num(m)));
                    }
                }
                _ => {}
            }
        }
        if rr.id == "sqs-backlog-scaling" || rr.id == "lambda-reserved-concurrency" || rr.id == "ecs-right-size-autoscale" {
            let capped: Vec<&String> = consumers.iter().filter(|(_, c)| c.is_some()).map(|(_, c)| c.as_ref().unwrap()).collect();
            if !capped.is_empty() {
                note = Some(capped.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("; "));
            }
        }
        out.push((rr.id.clone(), note));
    }
    // A backlog whose consumer cannot scale: the scaling remedy is the one that fits first.
    if consumers.iter().any(|(_, c)| c.is_some()) {
        if let Some(i) = out.iter().position(|(id, _)| id == "sqs-backlog-scaling") {
            let first = out.remove(i);
            out.insert(0, first);
        }
    }
    out
}

/// Who consumes a queue, and why each cannot scale with the backlog (`None` when it can).
fn queue_consumers(ctx: &Ctx<'_>, queue: &str, arch: &Architecture) -> Vec<(String, Option<String>)> {
    use crate::architecture::EdgeKind;
    if ctx.type_of(queue) != "AWS::SQS::Queue" {
        return Vec::new();
    }
    // The same matching of scalable targets to services as the ECS rules (ECS-001, SQS-004).
    let scaling = crate::rules::compute::common::ecs_scaling(ctx);
    let mut out = Vec::new();
    for e in arch.edges_to(queue).filter(|e| e.kind == EdgeKind::Reads).chain(arch.edges_from(queue).filter(|e| e.kind == EdgeKind::Triggers)) {
        let direct = if e.to == queue { &e.from } else { &e.to };
        // A task definition reads through its task role; the service running it is the consumer.
        let services: Vec<&String> = if ctx.type_of(direct) == "AWS::ECS::TaskDefinition" {
            arch.edges_to(direct).filter(|s| s.kind == EdgeKind::Contains && ctx.type_of(&s.from) == "AWS::ECS::Service").map(|s| &s.from).collect()
        } else {
            vec![direct]
        };
        for consumer in services {
        let Some(r) = ctx.template.resource(consumer) else { continue };
        let reason = match r.type_name.as_str() {
            "AWS::Lambda::Function" | "AWS::Serverless::Function" => match ctx.num(r, &["ReservedConcurrentExecutions"]) {
                crate::rules::Prop::Known(n, _) => Some(format!("{consumer} is capped at {} concurrent executions (ReservedConcurrentExecutions)", crate::rules::ctx::fmt_num(n))),
                _ => None,
            },
            "AWS::ECS::Service" => (!scaling.unattributed && scaling.target_of(consumer).is_none())
                .then(|| format!("{consumer} runs a fixed number of tasks (no Application Auto Scaling target)")),
            _ => None,
        };
        if !out.iter().any(|(c, _): &(String, Option<String>)| c == consumer) {
            out.push((consumer.clone(), reason));
        }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 50.0), 50.0);
        assert_eq!(percentile(&mut v, 95.0), 95.0);
        assert_eq!(percentile(&mut v, 99.0), 99.0);
        let mut small = vec![30.0, 10.0, 20.0];
        assert_eq!(percentile(&mut small, 50.0), 20.0);
        assert_eq!(statistic(&mut small, "SampleCount"), Some(3.0));
    }

    #[test]
    fn slope_is_per_hour() {
        let pts = [(0, 0.0), (1_800_000, 30.0), (3_600_000, 60.0)];
        assert!((slope_per_hour(&pts).unwrap() - 60.0).abs() < 1e-9);
        assert_eq!(slope_per_hour(&pts[..2]), None);
    }

    #[test]
    fn a_sum_over_a_period_longer_than_the_window_counts_per_window() {
        use crate::diagnosis::observe::Obs;
        let metric = "AWS/DynamoDB/ConsumedWriteCapacityUnits";
        let obs = |statistic: &str, period_s: Option<u32>| Obs {
            metric: metric.into(),
            statistic: statistic.into(),
            unit: Some("Count".into()),
            period_s,
            points: vec![(0, 30_000.0), (300_000, 15_000.0), (900_000, 30_000.0)],
            source: "response.json".into(),
        };
        // 5-minute Sums against a 1-minute condition: the average 1-minute Sum of each period,
        // whether the period is stated (a bundle) or read from the spacing (a response alone).
        for period in [Some(300), None] {
            let robs = ResourceObs { series: vec![obs("Sum", period)], ..Default::default() };
            let (w, _, _) = windows(&robs, metric, "Sum", 60_000).unwrap();
            assert_eq!(w, vec![(0, 6_000.0), (300_000, 3_000.0), (900_000, 6_000.0)], "{period:?}");
        }
        // Longer windows add the datapoints up as before; maxima are never scaled.
        let robs = ResourceObs { series: vec![obs("Sum", None), obs("Maximum", None)], ..Default::default() };
        assert_eq!(windows(&robs, metric, "Sum", 600_000).unwrap().0, vec![(0, 45_000.0), (600_000, 30_000.0)]);
        assert_eq!(windows(&robs, metric, "Maximum", 60_000).unwrap().0[0], (0, 30_000.0));
    }

    #[test]
    fn units_convert_within_a_dimension_only() {
        assert_eq!(unit_factor("Seconds", "Milliseconds"), Some(1000.0));
        assert_eq!(unit_factor("Megabytes", "Megabytes"), Some(1.0));
        assert_eq!(unit_factor("Seconds", "Megabytes"), None);
    }
}
