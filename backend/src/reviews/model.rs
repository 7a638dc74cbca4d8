//! What a saved review is made of, as plain values and pure functions (no I/O): review ids,
//! finding keys, statuses, timestamps, and the merge that carries the team's work (statuses,
//! comments) from one analysis of a template to the next.
//!
//! In: the engine's findings and the stored finding states. Out: the rows to write.

use std::collections::{HashMap, HashSet};


use serde::{Deserialize, Serialize};

/// Where a team stands on one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Accepted,
    Dismissed,
    Fixed,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Open, Status::Accepted, Status::Dismissed, Status::Fixed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Accepted => "accepted",
            Status::Dismissed => "dismissed",
            Status::Fixed => "fixed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A new review id: 128 bits from the operating system's generator, as 32 lowercase hex
/// digits (URL-safe, and unguessable, since the link is all it takes to open a review).
pub fn new_review_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `id` can be a review id at all: spares the database a lookup of garbage.
pub fn is_review_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The stable key of each finding (shared with the web app, which matches the team's statuses
/// to the findings it computes itself).
pub use archlens_shared::analysis::finding_keys;

/// A finding's state as stored before a reanalysis.
#[derive(Debug, Clone)]
pub struct Prior {
    pub key: String,
    pub status: Status,
    /// Whether the latest analysis reported it.
    pub present: bool,
}

/// What a reanalysis does to one finding.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Reported by the new analysis: insert it, or update it keeping its status.
    Upsert { key: String, status: Status, position: usize },
    /// Reported before and not any more: the problem is gone.
    Vanish { key: String },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MergeSummary {
    /// Reported for the first time.
    pub new: usize,
    /// Still reported: status and comments kept.
    pub kept: usize,
    /// Had vanished (and was marked fixed) and is reported again: open once more.
    pub reopened: usize,
    /// No longer reported: marked fixed, kept with its comments as history.
    pub fixed: usize,
}

/// Carries the team's decisions from `prior` to the findings of a new analysis (`keys`, in
/// report order).
pub fn merge(prior: &[Prior], keys: &[String]) -> (Vec<Change>, MergeSummary) {
    let by_key: HashMap<&str, &Prior> = prior.iter().map(|p| (p.key.as_str(), p)).collect();
    let mut summary = MergeSummary::default();
    let mut changes = Vec::with_capacity(keys.len());
    for (position, key) in keys.iter().enumerate() {
        let status = match by_key.get(key.as_str()) {
            None => {
                summary.new += 1;
                Status::Open
            }
            Some(p) if p.present => {
                summary.kept += 1;
                p.status
            }
            // A regression: whatever was decided about it was decided about a problem that went
            // away; it needs looking at again.
            Some(_) => {
                summary.reopened += 1;
                Status::Open
            }
        };
        changes.push(Change::Upsert { key: key.clone(), status, position });
    }
    let current: HashSet<&str> = keys.iter().map(String::as_str).collect();
    for p in prior.iter().filter(|p| p.present && !current.contains(p.key.as_str())) {
        summary.fixed += 1;
        changes.push(Change::Vanish { key: p.key.clone() });
    }
    (changes, summary)
}

/// Milliseconds since the Unix epoch, the unit stored in the database.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `2026-01-31T12:00:00.000Z` (RFC 3339, UTC), the form the API shows times in.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z", s / 3600, s % 3600 / 60, s % 60)
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(key: &str, status: Status, present: bool) -> Prior {
        Prior { key: key.into(), status, present }
    }

    #[test]
    fn merge_keeps_decisions_opens_new_fixes_vanished_and_reopens_regressions() {
        let before = [
            prior("A", Status::Accepted, true),
            prior("B", Status::Dismissed, true),
            prior("C", Status::Fixed, false),
            prior("D", Status::Fixed, false),
        ];
        let keys = ["A".to_string(), "C".to_string(), "E".to_string()];
        let (changes, summary) = merge(&before, &keys);
        assert_eq!(
            changes,
            vec![
                Change::Upsert { key: "A".into(), status: Status::Accepted, position: 0 },
                Change::Upsert { key: "C".into(), status: Status::Open, position: 1 },
                Change::Upsert { key: "E".into(), status: Status::Open, position: 2 },
                Change::Vanish { key: "B".into() },
            ]
        );
        assert_eq!(summary, MergeSummary { new: 1, kept: 1, reopened: 1, fixed: 1 });
    }

    #[test]
    fn finding_keys_name_rule_resource_and_path_and_ignore_lines() {
        let template = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.12, Handler: a.b, Role: r, Code: {ZipFile: x}}\n";
        let moved = format!("Description: moved down\n\n\n{template}");
        let options = archlens_shared::analysis::Options::default();
        let a = archlens_shared::analysis::analyze(template, &options).unwrap();
        let b = archlens_shared::analysis::analyze(&moved, &options).unwrap();
        assert!(!a.findings.is_empty());
        assert_ne!(a.findings[0].line, b.findings[0].line);
        assert_eq!(finding_keys(&a.findings), finding_keys(&b.findings));
        let keys = finding_keys(&a.findings);
        assert!(keys.contains(&"LAMBDA-002:Fn:Resources.Fn.Properties.Timeout".to_string()), "{keys:?}");
        let unique: HashSet<&String> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
    }

    #[test]
    fn repeated_findings_on_one_spot_get_numbered_keys() {
        let template = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.12, Handler: a.b, Role: r, Code: {ZipFile: x}}\n";
        let report = archlens_shared::analysis::analyze(template, &Default::default()).unwrap();
        let twice = vec![report.findings[0].clone(), report.findings[0].clone()];
        let keys = finding_keys(&twice);
        assert_eq!(keys[1], format!("{}~2", keys[0]));
    }

    #[test]
    fn review_ids_are_random_128_bit_hex() {
        let a = new_review_id().unwrap();
        let b = new_review_id().unwrap();
        assert!(is_review_id(&a) && is_review_id(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!is_review_id("../etc/passwd") && !is_review_id(&a.to_uppercase()));
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_767_225_599_999), "2025-12-31T23:59:59.999Z");
    }

    #[test]
    fn statuses_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("closed"), None);
    }
}
