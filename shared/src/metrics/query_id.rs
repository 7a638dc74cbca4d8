//! The `Id` Archlens gives each GetMetricData query it writes, so that a response uploaded on
//! its own (without the queries) can still be bound back to a resource and a metric.
//!
//! In: a logical id, a namespace, a metric name and a statistic. Out: an Id
//! `al__<LogicalId>__<Namespace without "AWS/">__<MetricName>__<Stat>`, e.g.
//! `al__OrdersFunction__Lambda__Duration__p99`, and back.
//!
//! CloudWatch requires query Ids to match `^[a-z][a-zA-Z0-9_]*$` (at most 255 characters), so
//! the characters the parts may hold outside `[A-Za-z0-9]` are rewritten and restored:
//! - namespace: the `AWS/` prefix is dropped, further `/` become `_` (`AWS/Bedrock/Agents`);
//! - metric and statistic: `.` becomes `_` (`GetRecords.IteratorAgeMilliseconds`, `p99.9`).
//!
//! `decode` turns every `_` inside a part back, which is exact because the names this applies to
//! have no `_` of their own: CloudFormation logical ids are alphanumeric, AWS namespaces and the
//! AWS metric names of the knowledge graph contain no underscore, and CloudWatch statistics are
//! `Sum`, `p99`, `p99.9`, `tm99`, `IQM`…
//! Not round-tripped (documented limits): custom namespaces (decode always restores `AWS/`),
//! metric names or statistics with `_` or other punctuation (`TM(10%:90%)`), whose other
//! characters are written as `_`. Such an Id still is a valid CloudWatch Id; it just decodes to
//! an approximation. Runs of `_` are collapsed so `__` stays an unambiguous separator. An Id
//! longer than 255 characters (only with absurdly long logical ids) would be refused by
//! CloudWatch; logical ids are at most 255 characters but in practice far shorter.

/// What every Archlens Id starts with (lower case, as CloudWatch requires).
pub const PREFIX: &str = "al";
const SEP: &str = "__";
/// CloudWatch's limit on a query Id.
pub const MAX_ID_LEN: usize = 255;

/// Writes the query Id for one metric of one resource.
pub fn encode(logical_id: &str, namespace: &str, metric: &str, stat: &str) -> String {
    let ns = namespace.strip_prefix("AWS/").unwrap_or(namespace);
    let parts = [clean(logical_id), clean(ns), clean(metric), clean(stat)];
    let mut id = String::from(PREFIX);
    for p in parts {
        id.push_str(SEP);
        id.push_str(&p);
    }
    id
}

/// Reads an Id written by [`encode`]: `(logical_id, namespace, metric, stat)`, or `None` for
/// an Id Archlens did not write (`m1`, `e1`, …).
pub fn decode(id: &str) -> Option<(String, String, String, String)> {
    if id.len() > MAX_ID_LEN || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let mut parts = id.split(SEP);
    if parts.next()? != PREFIX {
        return None;
    }
    let logical = parts.next()?;
    let ns = parts.next()?;
    let metric = parts.next()?;
    let stat = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let ok = |p: &str| !p.is_empty() && !p.starts_with('_') && !p.ends_with('_');
    if !(ok(logical) && ok(ns) && ok(metric) && ok(stat)) {
        return None;
    }
    // The logical id is returned as written: CloudFormation ids have no `_` to restore.
    Some((
        logical.to_string(),
        format!("AWS/{}", ns.replace('_', "/")),
        metric.replace('_', "."),
        stat.replace('_', "."),
    ))
}

/// Keeps `[A-Za-z0-9]`, writes everything else as one `_`, never starts or ends with `_`.
fn clean(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        // An empty part would make `____` and break the split; `x` keeps the Id decodable.
        out.push('x');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_valid_cloudwatch_id(id: &str) -> bool {
        let mut b = id.bytes();
        matches!(b.next(), Some(c) if c.is_ascii_lowercase())
            && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
            && id.len() <= MAX_ID_LEN
    }

    #[test]
    fn round_trip() {
        let cases = [
            ("OrdersFunction", "AWS/Lambda", "Duration", "p99"),
            ("OrdersFunction", "AWS/Lambda", "Throttles", "Sum"),
            ("OrdersStream", "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "Maximum"),
            ("Api", "AWS/ApiGateway", "5XXError", "Sum"),
            ("Alb", "AWS/ApplicationELB", "TargetResponseTime", "p99.9"),
            ("Agent1", "AWS/Bedrock/Agents", "InvocationLatency", "tm99"),
            ("Queue", "AWS/SQS", "ApproximateAgeOfOldestMessage", "IQM"),
        ];
        for (l, n, m, s) in cases {
            let id = encode(l, n, m, s);
            assert!(is_valid_cloudwatch_id(&id), "{id}");
            assert_eq!(decode(&id), Some((l.into(), n.into(), m.into(), s.into())), "{id}");
        }
        assert_eq!(encode("OrdersFunction", "AWS/Lambda", "Duration", "p99"), "al__OrdersFunction__Lambda__Duration__p99");
        assert_eq!(
            encode("S", "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "p99.9"),
            "al__S__Kinesis__GetRecords_IteratorAgeMilliseconds__p99_9"
        );
    }

    #[test]
    fn foreign_and_odd_ids() {
        for id in ["m1", "e1", "al", "al__A__B__C", "al__A__B__C__D__E", "al____Lambda__D__S", "al__A-b__L__D__S", "xl__A__B__C__D", ""] {
            assert_eq!(decode(id), None, "{id}");
        }
        // Lossy inputs still make valid, decodable Ids.
        for (l, n, m, s) in [("my-fn", "Custom NS/x", "a__b", "TM(10%:90%)"), ("", "", "", ""), ("é", "AWS/", "_", "__")] {
            let id = encode(l, n, m, s);
            assert!(is_valid_cloudwatch_id(&id), "{id}");
            assert!(decode(&id).is_some(), "{id}");
        }
    }
}
