//! CloudWatch API responses: GetMetricData (with or without its queries) and GetMetricStatistics.
//!
//! In: the parsed JSON of
//! - a bundle `{"MetricDataQueries": [...], "MetricDataResults": [...]}`: each result is joined
//!   to its query by `Id`, and the query's `MetricStat` gives namespace, metric, dimensions,
//!   period, statistic and unit; a query with an `Expression` gives a series named by its label;
//! - a response alone `{"MetricDataResults": [...], "Messages": [...], "NextToken": ...}`, or an
//!   array of such pages: Ids written by Archlens ([`super::query_id`]) are decoded, others give
//!   a series named by its `Label` (or `Id`) with no namespace and no statistic;
//! - a GetMetricStatistics response `{"Label": ..., "Datapoints": [...]}`: one series per
//!   statistic present (`Average`, `Sum`, `Maximum`, `Minimum`, `SampleCount`, each
//!   `ExtendedStatistics` key), unit from the datapoints.
//!
//! Out: [`Series`], points sorted ascending (CloudWatch returns newest first by default).
//! Results that share an `Id` (the AWS CLI concatenates pages that way) are merged into one
//! series; it is partial when the last of them says `PartialData` or a `NextToken` is left.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::json::{self, Num, Seg};
use super::{Ctx, Format, MetricsError, Point, Series, finish_points, query_id, units};

/// What a query says about the series its result belongs to.
#[derive(Debug, Default)]
struct Query {
    namespace: Option<String>,
    metric: Option<String>,
    dimensions: Vec<(String, String)>,
    stat: Option<String>,
    unit: Option<String>,
    period: Option<u32>,
    label: Option<String>,
    return_data: bool,
}

/// A series being assembled from one or more results with the same Id.
struct Building {
    series: Series,
    /// Where the first result for it starts, for warnings.
    line: Option<u32>,
}

/// The pages of a GetMetricData document: the root object, or each object of a root array.
fn pages(root: &Value) -> Vec<(Vec<Seg<'static>>, &Map<String, Value>)> {
    match root {
        Value::Object(m) => vec![(Vec::new(), m)],
        Value::Array(items) => items.iter().enumerate().filter_map(|(i, v)| v.as_object().map(|m| (vec![Seg::Idx(i)], m))).collect(),
        _ => Vec::new(),
    }
}

fn with<'a>(base: &[Seg<'a>], more: &[Seg<'a>]) -> Vec<Seg<'a>> {
    let mut p = base.to_vec();
    p.extend_from_slice(more);
    p
}

fn str_field<'v>(m: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    m.get(key).and_then(Value::as_str)
}

/// Reads a GetMetricData bundle or response (object or array of pages).
pub(crate) fn parse_get_metric_data(ctx: &mut Ctx, root: &Value) -> Result<(Format, Vec<Series>), MetricsError> {
    let pages = pages(root);
    let is_bundle = pages.iter().any(|(_, m)| m.contains_key("MetricDataQueries"));

    let mut queries: HashMap<String, Query> = HashMap::new();
    for (base, page) in &pages {
        if let Some(q) = page.get("MetricDataQueries") {
            read_queries(ctx, q, base, &mut queries)?;
        }
    }

    let mut order: Vec<String> = Vec::new();
    let mut building: HashMap<String, Building> = HashMap::new();
    let mut missing_values = 0usize;
    let mut unmatched: Vec<String> = Vec::new();
    for (base, page) in &pages {
        let Some(results) = page.get("MetricDataResults") else { continue };
        let rpath = with(base, &[Seg::Key("MetricDataResults")]);
        let Some(results) = results.as_array() else {
            return Err(ctx.error(ctx.json_line(&rpath), format!("{} is not an array", json::path_string(&rpath))));
        };
        for (i, r) in results.iter().enumerate() {
            let path = with(&rpath, &[Seg::Idx(i)]);
            let at = json::path_string(&path);
            let Some(r) = r.as_object() else {
                return Err(ctx.error(ctx.json_line(&path), format!("{at} is not an object")));
            };
            let Some(id) = str_field(r, "Id") else {
                return Err(ctx.error(ctx.json_line(&path), format!("{at} has no Id")));
            };
            let label = str_field(r, "Label").map(str::to_string);
            let (points, missing) = read_result_points(ctx, r, &path, id)?;
            missing_values += missing;

            let status = str_field(r, "StatusCode").unwrap_or("Complete");
            let line = ctx.json_line(&path);
            match status {
                "InternalError" => ctx.warn(line, format!("result \"{id}\" has StatusCode InternalError: CloudWatch could not return all of its data")),
                "Forbidden" => ctx.warn(line, format!("result \"{id}\" has StatusCode Forbidden: the caller may not read this metric (cross-account access?)")),
                _ => {}
            }
            if let Some(msgs) = r.get("Messages").and_then(Value::as_array) {
                for m in msgs {
                    ctx.warn(line, format!("result \"{id}\": {}", message_text(m)));
                }
            }

            let entry = building.entry(id.to_string()).or_insert_with(|| {
                order.push(id.to_string());
                let query = queries.get(id);
                if is_bundle && query.is_none() {
                    unmatched.push(id.to_string());
                }
                Building { series: new_series(id, query, label.clone()), line }
            });
            entry.series.points.extend(points);
            if entry.series.label.is_none() {
                entry.series.label = label;
            }
            // The last page's status wins: earlier pages of a paginated read say PartialData.
            entry.series.partial = status == "PartialData";
        }
    }

    if !unmatched.is_empty() {
        ctx.warn(None, format!("results with no query of the same Id (read as a bare response): {}", unmatched.join(", ")));
    }
    if is_bundle {
        let mut orphans: Vec<&String> = queries.iter().filter(|(id, q)| q.return_data && !building.contains_key(*id)).map(|(id, _)| id).collect();
        orphans.sort();
        if !orphans.is_empty() {
            let names: Vec<&str> = orphans.iter().map(|s| s.as_str()).collect();
            ctx.warn(None, format!("queries with no result: {}", names.join(", ")));
        }
    }

    // Only the last page's NextToken means data is missing: earlier pages of a concatenated
    // read carry theirs legitimately.
    let next_token = pages.last().and_then(|(_, p)| p.get("NextToken")).is_some_and(|t| t.as_str().is_some_and(|s| !s.is_empty()));
    for (base, page) in &pages {
        if let Some(msgs) = page.get("Messages").and_then(Value::as_array) {
            let line = ctx.json_line(&with(base, &[Seg::Key("Messages")]));
            for m in msgs {
                ctx.warn(line, message_text(m));
            }
        }
    }
    if next_token {
        let line = pages.last().and_then(|(b, _)| ctx.json_line(&with(b, &[Seg::Key("NextToken")])));
        ctx.warn(line, "NextToken present: this is one page of a longer response, later datapoints are missing (use the AWS CLI, which follows NextToken, or pass it back)");
    }
    if missing_values > 0 {
        ctx.warn(None, format!("{missing_values} missing value(s) (null or NaN) skipped"));
    }

    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let Some(mut b) = building.remove(&id) else { continue };
        b.series.partial |= next_token;
        if b.series.partial {
            ctx.warn(b.line, format!("result \"{id}\" is partial (StatusCode PartialData): the series may be incomplete"));
        }
        let merged = finish_points(&mut b.series.points);
        if merged > 0 {
            ctx.warn(b.line, format!("result \"{id}\": {merged} datapoint(s) at an already seen timestamp; the last value was kept"));
        }
        out.push(b.series);
    }
    let format = if is_bundle { Format::GetMetricDataBundle } else { Format::GetMetricDataResponse };
    Ok((format, out))
}

fn message_text(m: &Value) -> String {
    match (m.get("Code").and_then(Value::as_str), m.get("Value").and_then(Value::as_str)) {
        (Some(c), Some(v)) => format!("CloudWatch message {c}: {v}"),
        (Some(c), None) => format!("CloudWatch message {c}"),
        (None, Some(v)) => format!("CloudWatch message: {v}"),
        (None, None) => format!("CloudWatch message: {}", json::describe(m)),
    }
}

/// The series a result starts: from its query when there is one, else from its Id.
fn new_series(id: &str, query: Option<&Query>, label: Option<String>) -> Series {
    let decoded = query_id::decode(id);
    let resource_hint = decoded.as_ref().map(|d| d.0.clone());
    let mut s = Series {
        namespace: None,
        metric: String::new(),
        dimensions: Vec::new(),
        statistic: String::new(),
        unit: None,
        period_s: None,
        points: Vec::new(),
        label: label.clone(),
        partial: false,
        resource_hint,
    };
    if let Some((_, ns, metric, stat)) = decoded {
        s.namespace = Some(ns);
        s.metric = metric;
        s.statistic = stat;
    }
    if let Some(q) = query {
        if q.metric.is_some() {
            s.namespace = q.namespace.clone();
        }
        if let Some(m) = &q.metric {
            s.metric = m.clone();
        }
        if let Some(st) = &q.stat {
            s.statistic = st.clone();
        }
        s.dimensions = q.dimensions.clone();
        s.unit = q.unit.clone();
        s.period_s = q.period;
        if s.label.is_none() {
            s.label = q.label.clone();
        }
    }
    if s.metric.is_empty() {
        // An expression or a foreign Id: its label is the best name there is.
        s.metric = label.or_else(|| query.and_then(|q| q.label.clone())).unwrap_or_else(|| id.to_string());
    }
    s
}

fn read_queries(ctx: &mut Ctx, q: &Value, base: &[Seg<'static>], out: &mut HashMap<String, Query>) -> Result<(), MetricsError> {
    let qpath = with(base, &[Seg::Key("MetricDataQueries")]);
    let Some(items) = q.as_array() else {
        return Err(ctx.error(ctx.json_line(&qpath), format!("{} is not an array", json::path_string(&qpath))));
    };
    for (i, item) in items.iter().enumerate() {
        let path = with(&qpath, &[Seg::Idx(i)]);
        let at = json::path_string(&path);
        let Some(item) = item.as_object() else {
            return Err(ctx.error(ctx.json_line(&path), format!("{at} is not an object")));
        };
        let Some(id) = str_field(item, "Id") else {
            return Err(ctx.error(ctx.json_line(&path), format!("{at} has no Id")));
        };
        let mut query = Query {
            label: str_field(item, "Label").map(str::to_string),
            return_data: item.get("ReturnData").and_then(Value::as_bool).unwrap_or(true),
            period: item.get("Period").and_then(period),
            ..Query::default()
        };
        if let Some(ms) = item.get("MetricStat") {
            let Some(metric) = ms.get("Metric") else {
                return Err(ctx.error(ctx.json_line(&path), format!("{at} (Id \"{id}\") has a MetricStat without Metric")));
            };
            let Some(name) = metric.get("MetricName").and_then(Value::as_str) else {
                return Err(ctx.error(ctx.json_line(&path), format!("{at} (Id \"{id}\") has a MetricStat.Metric without MetricName")));
            };
            query.metric = Some(name.to_string());
            query.namespace = metric.get("Namespace").and_then(Value::as_str).map(str::to_string);
            if let Some(dims) = metric.get("Dimensions").and_then(Value::as_array) {
                for d in dims {
                    if let (Some(n), Some(v)) = (d.get("Name").and_then(Value::as_str), d.get("Value").and_then(Value::as_str)) {
                        query.dimensions.push((n.to_string(), v.to_string()));
                    }
                }
            }
            query.stat = ms.get("Stat").and_then(Value::as_str).map(str::to_string);
            if let Some(p) = ms.get("Period").and_then(period) {
                query.period = Some(p);
            }
            if let Some(u) = ms.get("Unit").and_then(Value::as_str) {
                query.unit = match units::series_unit(u) {
                    Ok(u) => u,
                    Err(u) => {
                        let line = ctx.json_line(&path);
                        ctx.warn(line, format!("query \"{id}\": unknown unit \"{u}\" kept as written"));
                        Some(u)
                    }
                };
            }
        } else if item.get("Expression").is_none() {
            let line = ctx.json_line(&path);
            ctx.warn(line, format!("query \"{id}\" has neither MetricStat nor Expression"));
        }
        if out.insert(id.to_string(), query).is_some() {
            let line = ctx.json_line(&path);
            ctx.warn(line, format!("two queries have the Id \"{id}\"; the last one is used"));
        }
    }
    Ok(())
}

fn period(v: &Value) -> Option<u32> {
    json::f64_of(v).filter(|p| *p >= 1.0 && *p <= u32::MAX as f64).map(|p| p as u32)
}

/// The points of one `MetricDataResults[i]`, and how many values were missing.
fn read_result_points(ctx: &Ctx, r: &Map<String, Value>, path: &[Seg], id: &str) -> Result<(Vec<Point>, usize), MetricsError> {
    let at = json::path_string(path);
    let empty = Vec::new();
    let arr = |key: &'static str| -> Result<&Vec<Value>, MetricsError> {
        match r.get(key) {
            None | Some(Value::Null) => Ok(&empty),
            Some(Value::Array(a)) => Ok(a),
            Some(other) => {
                let p = with(path, &[Seg::Key(key)]);
                Err(ctx.error(ctx.json_line(&p), format!("{at} (Id \"{id}\"): {key} is {}, not an array", json::describe(other))))
            }
        }
    };
    let ts = arr("Timestamps")?;
    let vs = arr("Values")?;
    if ts.len() != vs.len() {
        let p = with(path, &[Seg::Key("Values")]);
        let line = ctx.json_line(&p).or_else(|| ctx.json_line(path));
        return Err(ctx.error(line, format!("{at} (Id \"{id}\") has {} Timestamps but {} Values", ts.len(), vs.len())));
    }
    let mut points = Vec::with_capacity(ts.len());
    let mut missing = 0;
    for (k, (t, v)) in ts.iter().zip(vs).enumerate() {
        let Some(t) = json::timestamp(t) else {
            let p = with(path, &[Seg::Key("Timestamps"), Seg::Idx(k)]);
            return Err(ctx.error(ctx.json_line(&p), format!("{at} (Id \"{id}\"): Timestamps[{k}] is not a timestamp: {}", json::describe(t))));
        };
        match json::num(v) {
            Num::Value(v) => points.push(Point { t, v }),
            Num::Missing => missing += 1,
            Num::Bad => {
                let p = with(path, &[Seg::Key("Values"), Seg::Idx(k)]);
                return Err(ctx.error(ctx.json_line(&p), format!("{at} (Id \"{id}\"): Values[{k}] is not a number: {}", json::describe(v))));
            }
        }
    }
    Ok((points, missing))
}

/// The standard statistics of a datapoint, in the order series are returned.
const STATISTICS: [&str; 5] = ["Average", "Sum", "Maximum", "Minimum", "SampleCount"];

/// Reads a GetMetricStatistics response.
pub(crate) fn parse_get_metric_statistics(ctx: &mut Ctx, root: &Value) -> Result<Vec<Series>, MetricsError> {
    let dpath = [Seg::Key("Datapoints")];
    let Some(dps) = root.get("Datapoints").and_then(Value::as_array) else {
        return Err(ctx.error(ctx.json_line(&dpath), "Datapoints is not an array"));
    };
    let label = root.get("Label").and_then(Value::as_str).filter(|l| !l.is_empty()).map(str::to_string);
    // (statistic, points) in order of first appearance, standard ones first.
    let mut stats: Vec<(String, Vec<Point>)> = STATISTICS.iter().map(|s| (s.to_string(), Vec::new())).collect();
    let mut unit: Option<String> = None;
    let mut other_units: Vec<String> = Vec::new();
    let mut missing = 0usize;
    for (k, dp) in dps.iter().enumerate() {
        let path = [Seg::Key("Datapoints"), Seg::Idx(k)];
        let Some(dp) = dp.as_object() else {
            return Err(ctx.error(ctx.json_line(&path), format!("Datapoints[{k}] is not an object")));
        };
        let Some(t) = dp.get("Timestamp").and_then(json::timestamp) else {
            let what = dp.get("Timestamp").map(json::describe).unwrap_or_else(|| "missing".into());
            return Err(ctx.error(ctx.json_line(&path), format!("Datapoints[{k}] has no valid Timestamp ({what})")));
        };
        let mut push = |ctx: &Ctx, name: &str, v: &Value| -> Result<(), MetricsError> {
            match json::num(v) {
                Num::Value(v) => {
                    match stats.iter_mut().find(|(n, _)| n == name) {
                        Some((_, pts)) => pts.push(Point { t, v }),
                        None => stats.push((name.to_string(), vec![Point { t, v }])),
                    }
                    Ok(())
                }
                Num::Missing => {
                    missing += 1;
                    Ok(())
                }
                Num::Bad => Err(ctx.error(ctx.json_line(&path), format!("Datapoints[{k}].{name} is not a number: {}", json::describe(v)))),
            }
        };
        for name in STATISTICS {
            if let Some(v) = dp.get(name) {
                push(ctx, name, v)?;
            }
        }
        if let Some(ext) = dp.get("ExtendedStatistics").and_then(Value::as_object) {
            for (name, v) in ext {
                push(ctx, name, v)?;
            }
        }
        if let Some(u) = dp.get("Unit").and_then(Value::as_str) {
            match &unit {
                None => unit = Some(u.to_string()),
                Some(first) if first != u && !other_units.iter().any(|o| o == u) => other_units.push(u.to_string()),
                _ => {}
            }
        }
    }
    if !other_units.is_empty() {
        ctx.warn(None, format!("datapoints mix units ({} and {}); the first is recorded", unit.as_deref().unwrap_or(""), other_units.join(", ")));
    }
    let unit = match unit.as_deref().map(units::series_unit) {
        None => None,
        Some(Ok(u)) => u,
        Some(Err(u)) => {
            ctx.warn(None, format!("unknown unit \"{u}\" kept as written"));
            Some(u)
        }
    };
    if missing > 0 {
        ctx.warn(None, format!("{missing} missing value(s) (null or NaN) skipped"));
    }
    if dps.is_empty() {
        ctx.warn(ctx.json_line(&dpath), "Datapoints is empty: the metric had no data in the requested time range");
    }
    if label.is_none() && !dps.is_empty() {
        ctx.warn(None, "no Label: the metric name is unknown; bind the file to a resource and metric by hand");
    }
    let mut out = Vec::new();
    for (statistic, mut points) in stats {
        if points.is_empty() {
            continue;
        }
        let merged = finish_points(&mut points);
        if merged > 0 {
            ctx.warn(None, format!("{statistic}: {merged} datapoint(s) at an already seen timestamp; the last value was kept"));
        }
        out.push(Series {
            namespace: None,
            metric: label.clone().unwrap_or_default(),
            dimensions: Vec::new(),
            statistic,
            unit: unit.clone(),
            period_s: None,
            points,
            label: label.clone(),
            partial: false,
            resource_hint: None,
        });
    }
    Ok(out)
}
