//! Unit and statistic names in CloudWatch's spelling.
//!
//! In: what a user or a tool wrote (`ms`, `Milliseconds`, `sec`, `%`, `avg`, `P99`). Out: the
//! CloudWatch name (`Milliseconds`, `Seconds`, `Percent`, `Average`, `p99`), so the analysis
//! compares like with like. Only names change; no value is ever converted.

/// CloudWatch's `StandardUnit` values.
const CLOUDWATCH_UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Common abbreviations -> CloudWatch unit.
const ALIASES: [(&str, &str); 33] = [
    ("ms", "Milliseconds"),
    ("msec", "Milliseconds"),
    ("msecs", "Milliseconds"),
    ("millisecond", "Milliseconds"),
    ("s", "Seconds"),
    ("sec", "Seconds"),
    ("secs", "Seconds"),
    ("second", "Seconds"),
    ("us", "Microseconds"),
    ("µs", "Microseconds"),
    ("μs", "Microseconds"),
    ("microsecond", "Microseconds"),
    ("b", "Bytes"),
    ("byte", "Bytes"),
    ("kb", "Kilobytes"),
    ("kib", "Kilobytes"),
    ("kilobyte", "Kilobytes"),
    ("mb", "Megabytes"),
    ("mib", "Megabytes"),
    ("megabyte", "Megabytes"),
    ("gb", "Gigabytes"),
    ("gib", "Gigabytes"),
    ("gigabyte", "Gigabytes"),
    ("%", "Percent"),
    ("pct", "Percent"),
    ("percentage", "Percent"),
    ("count", "Count"),
    ("cnt", "Count"),
    ("requests", "Count"),
    ("count/s", "Count/Second"),
    ("count/sec", "Count/Second"),
    ("bytes/s", "Bytes/Second"),
    ("none", "None"),
];

/// The CloudWatch name of a unit, or `None` when it is not one we know (the caller keeps the
/// text as written and warns).
pub fn normalise_unit(unit: &str) -> Option<&'static str> {
    let u = unit.trim();
    if let Some(cw) = CLOUDWATCH_UNITS.iter().find(|c| c.eq_ignore_ascii_case(u)) {
        return Some(cw);
    }
    ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(u)).map(|(_, cw)| *cw)
}

/// A unit for [`super::Series::unit`]: CloudWatch's `None` (unitless) and empty cells are `None`;
/// unknown units are kept as written (`Err` so the caller can warn).
pub(crate) fn series_unit(unit: &str) -> Result<Option<String>, String> {
    let u = unit.trim();
    if u.is_empty() {
        return Ok(None);
    }
    match normalise_unit(u) {
        Some("None") => Ok(None),
        Some(cw) => Ok(Some(cw.to_string())),
        None => Err(u.to_string()),
    }
}

/// The CloudWatch name of a statistic: `Sum`, `Average`, `Maximum`, `Minimum`, `SampleCount`
/// whatever their case (plus `avg`, `mean`, `max`, `min`, `total`), percentiles as `p99` /
/// `p99.9`; anything else (`tm99`, `IQM`, `TM(10%:90%)`) as written.
pub fn normalise_statistic(stat: &str) -> String {
    let s = stat.trim();
    const NAMES: [(&str, &str); 11] = [
        ("sum", "Sum"),
        ("total", "Sum"),
        ("average", "Average"),
        ("avg", "Average"),
        ("mean", "Average"),
        ("maximum", "Maximum"),
        ("max", "Maximum"),
        ("minimum", "Minimum"),
        ("min", "Minimum"),
        ("samplecount", "SampleCount"),
        ("sample_count", "SampleCount"),
    ];
    if let Some((_, cw)) = NAMES.iter().find(|(a, _)| a.eq_ignore_ascii_case(s)) {
        return cw.to_string();
    }
    // P99 / p99.9 -> p99 / p99.9 (CloudWatch spells percentiles with a lower-case p).
    if let Some(rest) = s.strip_prefix('P').or_else(|| s.strip_prefix('p'))
        && !rest.is_empty()
        && rest.parse::<f64>().is_ok()
        && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return format!("p{rest}");
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        for (given, want) in [
            ("ms", "Milliseconds"),
            ("Milliseconds", "Milliseconds"),
            ("milliseconds", "Milliseconds"),
            ("s", "Seconds"),
            ("Seconds", "Seconds"),
            ("sec", "Seconds"),
            ("%", "Percent"),
            ("MB", "Megabytes"),
            ("count/second", "Count/Second"),
        ] {
            assert_eq!(normalise_unit(given), Some(want), "{given}");
        }
        assert_eq!(normalise_unit("furlongs"), None);
        assert_eq!(series_unit("None"), Ok(None));
        assert_eq!(series_unit(""), Ok(None));
        assert_eq!(series_unit("furlongs"), Err("furlongs".into()));
    }

    #[test]
    fn statistics() {
        for (given, want) in [("sum", "Sum"), ("AVG", "Average"), ("Maximum", "Maximum"), ("P99", "p99"), ("p99.9", "p99.9"), ("tm99", "tm99"), ("samplecount", "SampleCount"), ("Pmax", "Pmax")] {
            assert_eq!(normalise_statistic(given), want, "{given}");
        }
    }
}
