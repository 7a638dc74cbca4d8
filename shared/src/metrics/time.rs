//! Timestamps as metrics exports write them -> unix milliseconds (UTC).
//!
//! In: RFC 3339 / ISO 8601 text (`2024-09-29T22:10:00+00:00`, `…Z`, with or without fractional
//! seconds, `T` or a space between date and time, no offset = UTC, offsets `+HH:MM`, `+HHMM`,
//! `+HH`), or an epoch number in seconds or milliseconds. Out: `i64` milliseconds since
//! 1970-01-01T00:00:00Z, or `None` when the text is not a timestamp.
//!
//! Written here rather than pulled from `chrono`/`jiff`/`time`: the engine needs only this one
//! direction (plus a formatter for messages), and the civil-date arithmetic is twenty lines.

/// Years 0000..=9999 only: anything outside is a misread number, not a metrics timestamp.
const MAX_ABS_MS: i64 = 253_402_300_800_000; // 10000-01-01T00:00:00Z

/// Epoch numbers below this are seconds, above it milliseconds: 1e11 s is the year 5138,
/// 1e11 ms is March 1973, so no real metrics export is ambiguous.
const SECONDS_LIMIT: f64 = 1e11;

/// Parses a timestamp written as text (RFC 3339 / ISO 8601, or an epoch number in a string).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')) && !looks_like_date(s) {
        return s.parse::<f64>().ok().and_then(from_epoch);
    }
    parse_iso(s.as_bytes())
}

/// An epoch number -> milliseconds. Below 1e11 it is seconds, above milliseconds (see
/// `SECONDS_LIMIT`).
pub fn from_epoch(n: f64) -> Option<i64> {
    if !n.is_finite() {
        return None;
    }
    let ms = if n.abs() < SECONDS_LIMIT { n * 1000.0 } else { n };
    let ms = ms.round();
    if ms.abs() >= MAX_ABS_MS as f64 {
        return None;
    }
    Some(ms as i64)
}

/// `2024-09-29T22:10:00Z`, with `.mmm` when the milliseconds are not zero.
pub fn format_rfc3339(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, frac) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[4] == b'-' && b[7] == b'-'
}

/// A cursor over ASCII bytes; every read is bounds-checked so odd input cannot panic.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Exactly `n` digits.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let mut v = 0i64;
        for _ in 0..n {
            let c = self.peek().filter(u8::is_ascii_digit)?;
            v = v * 10 + i64::from(c - b'0');
            self.i += 1;
        }
        Some(v)
    }
    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
}

fn parse_iso(b: &[u8]) -> Option<i64> {
    let mut c = Cur { b, i: 0 };
    let year = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    if c.done() {
        return Some(ms);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    let mut second = 0;
    let mut frac_ms = 0;
    if c.eat(b':') {
        second = c.digits(2)?;
        if c.eat(b'.') || c.eat(b',') {
            // Any number of fractional digits (CloudWatch console copies show microseconds);
            // milliseconds are kept, the rest truncated.
            let start = c.i;
            let mut scale = 100;
            while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                frac_ms += i64::from(d - b'0') * scale;
                scale /= 10;
                c.i += 1;
            }
            if c.i == start {
                return None;
            }
        }
    }
    // 24:00 is not accepted; a leap second (60) rolls into the next minute, which is what a
    // unix timestamp does anyway.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    ms += hour * 3_600_000 + minute * 60_000 + second * 1000 + frac_ms;
    c.eat(b' ');
    let offset_min = match c.peek() {
        None => 0,
        Some(b'Z' | b'z') => {
            c.i += 1;
            0
        }
        Some(b'U') if c.b.get(c.i..) == Some(b"UTC") => {
            c.i += 3;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.i += 1;
            let oh = c.digits(2)?;
            c.eat(b':');
            let om = if c.done() { 0 } else { c.digits(2)? };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 60 + om;
            if sign == b'-' { -off } else { off }
        }
        Some(_) => return None,
    };
    if !c.done() {
        return None;
    }
    Some(ms - offset_min * 60_000)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_727_647_800_000; // 2024-09-29T22:10:00Z

    #[test]
    fn rfc3339_variants() {
        for s in [
            "2024-09-29T22:10:00+00:00",
            "2024-09-29T22:10:00Z",
            "2024-09-29t22:10:00z",
            "2024-09-29T22:10:00",
            "2024-09-29 22:10:00",
            "2024-09-29T22:10:00.000Z",
            "2024-09-29T22:10:00.000000+00:00",
            "2024-09-30T00:10:00+02:00",
            "2024-09-30T00:10:00+0200",
            "2024-09-30T00:10:00+02",
            "2024-09-29T20:10:00-02:00",
            "2024-09-29 22:10:00 UTC",
            "2024-09-29 22:10:00 +0000",
            "2024-09-29T22:10",
            "  2024-09-29T22:10:00Z ",
        ] {
            assert_eq!(parse_timestamp(s), Some(T0), "{s}");
        }
        assert_eq!(parse_timestamp("2026-05-15T08:47:01.034000+00:00"), Some(1_778_834_821_034));
        assert_eq!(parse_timestamp("2014-04-09T11:18:00Z"), Some(1_397_042_280_000));
        assert_eq!(parse_timestamp("2024-02-29"), Some(1_709_164_800_000));
    }

    #[test]
    fn epochs() {
        assert_eq!(parse_timestamp("1727647800"), Some(T0));
        assert_eq!(parse_timestamp("1727647800000"), Some(T0));
        assert_eq!(parse_timestamp("1727647800.5"), Some(T0 + 500));
        assert_eq!(from_epoch(1_727_647_800.0), Some(T0));
        assert_eq!(from_epoch(f64::NAN), None);
        assert_eq!(from_epoch(1e300), None);
    }

    #[test]
    fn rejects() {
        for s in [
            "", "x", "2024-13-01", "2023-02-29", "2024-09-29T25:00:00Z", "2024-09-29T22:10:00+25:00",
            "2024-09-29T22:10:00.Z", "2024-09-29T22:10:00Zjunk", "2024-09-29X22", "29/09/2024", "20240929T2210", "-",
            "2024-09-29T22:1", "é2024-09-29",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s}");
        }
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_rfc3339(T0), "2024-09-29T22:10:00Z");
        assert_eq!(format_rfc3339(T0 + 34), "2024-09-29T22:10:00.034Z");
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(-1000), "1969-12-31T23:59:59Z");
        for ms in [0, T0, 951_782_400_000, 4_107_542_399_999, -86_400_000 * 365] {
            assert_eq!(parse_timestamp(&format_rfc3339(ms)), Some(ms), "{ms}");
        }
    }
}
