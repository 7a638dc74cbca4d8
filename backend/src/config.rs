//! What an operator tunes on `archlens serve`: request limits, browser security, access.
//!
//! The options of `cli/serve.rs` fill a [`ServerConfig`]; tests build one directly from
//! [`ServerConfig::default`], which holds the documented defaults.

use std::time::Duration;

/// Everything `app()` needs to know that is not the knowledge graph or the web app.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub limits: Limits,
    /// Origins allowed to call `/api` from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Origins allowed to embed the web app in a frame (`frame-ancestors`); `'self'` when empty.
    pub embed_origins: Vec<String>,
    /// When set, `/api/v1` (but health and readiness) needs `Authorization: Bearer <token>`.
    pub api_token: Option<String>,
    /// A header set by a trusted reverse proxy that names the signed-in user
    /// (see [`crate::user_from_headers`]).
    pub trusted_user_header: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest template accepted, in bytes (413 beyond).
    pub max_template_bytes: usize,
    /// Largest request body, template and metrics together, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Longest an analysis may run before the request gets 503.
    pub analysis_timeout: Duration,
    /// Analyses running at once; more wait up to `analysis_queue_wait`, then get 503.
    pub max_concurrent_analyses: usize,
    pub analysis_queue_wait: Duration,
    /// Requests to `/api` per client IP per minute (429 beyond); 0 turns the limit off.
    pub requests_per_minute: u32,
}

pub const DEFAULT_MAX_TEMPLATE_BYTES: usize = 2 * 1024 * 1024;
pub const DEFAULT_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;
pub const DEFAULT_ANALYSIS_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_ANALYSIS_QUEUE_WAIT: Duration = Duration::from_secs(1);
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 600;

/// Two analyses per CPU: the engine is CPU-bound, and the second one hides the time a request
/// spends being read and answered.
pub fn default_max_concurrent_analyses() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_template_bytes: DEFAULT_MAX_TEMPLATE_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            analysis_timeout: DEFAULT_ANALYSIS_TIMEOUT,
            max_concurrent_analyses: default_max_concurrent_analyses(),
            analysis_queue_wait: DEFAULT_ANALYSIS_QUEUE_WAIT,
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
        }
    }
}

impl ServerConfig {
    /// The `Content-Security-Policy` of every response: only this origin's scripts (and its
    /// WebAssembly), styles and connections; images also from `data:`/`blob:` (the diagram's
    /// SVG export); framing by `--embed-origin`s only.
    pub fn content_security_policy(&self) -> String {
        let ancestors = if self.embed_origins.is_empty() {
            "'self'".to_string()
        } else {
            self.embed_origins.join(" ")
        };
        format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data: blob:; connect-src 'self'; frame-ancestors {ancestors}"
        )
    }
}

/// `2MiB`, `512KiB`, `20MB`, `1048576`: binary (KiB, MiB, GiB) or decimal (kB, MB, GB) units.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: usize = digits.parse().map_err(|_| format!("`{s}` is not a size such as 2MiB or 1048576"))?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("unknown size unit `{other}` (use B, KiB, MiB, GiB, kB, MB or GB)")),
    };
    n.checked_mul(factor).ok_or_else(|| format!("`{s}` is too large"))
}

/// `10s`, `500ms`, `2m`, `1.5s`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().map_err(|_| format!("`{s}` is not a duration such as 10s or 500ms"))?;
    let seconds = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        other => return Err(format!("unknown duration unit `{other}` (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{s}`: {e}"))
}

/// An origin as browsers send it: `https://app.example.com` or `http://localhost:3000`, no path.
pub fn parse_origin(s: &str) -> Result<String, String> {
    let origin = s.trim().trim_end_matches('/');
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("`{s}` is not an origin: it must start with https:// or http://"))?;
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | ';' | ',' | '\'' | '"');
    if rest.is_empty() || rest.contains(forbidden) {
        return Err(format!("`{s}` is not an origin such as https://app.example.com (no path, no spaces)"));
    }
    Ok(origin.to_ascii_lowercase())
}

/// A `frame-ancestors` source: an origin (`https://*.example.com` allowed) or `'self'`.
pub fn parse_embed_origin(s: &str) -> Result<String, String> {
    match s.trim() {
        "'self'" | "self" => Ok("'self'".to_string()),
        other => parse_origin(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_binary_and_decimal_units() {
        assert_eq!(parse_size("2MiB"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_size("512 KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("20MB"), Ok(20_000_000));
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert!(parse_size("2 lots").is_err());
        assert!(parse_size("MiB").is_err());
    }

    #[test]
    fn durations_in_ms_s_and_minutes() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5h").is_err());
    }

    #[test]
    fn origins_have_no_path_and_nothing_that_could_break_a_header() {
        assert_eq!(parse_origin("https://App.example.com/"), Ok("https://app.example.com".into()));
        assert_eq!(parse_origin("http://localhost:3000"), Ok("http://localhost:3000".into()));
        assert!(parse_origin("app.example.com").is_err());
        assert!(parse_origin("https://a.example.com/path").is_err());
        assert!(parse_origin("https://a.example.com; script-src *").is_err());
        assert_eq!(parse_embed_origin("'self'"), Ok("'self'".into()));
        assert_eq!(parse_embed_origin("https://*.example.com"), Ok("https://*.example.com".into()));
    }

    #[test]
    fn frame_ancestors_default_to_self_and_follow_embed_origins() {
        let mut config = ServerConfig::default();
        assert!(config.content_security_policy().ends_with("frame-ancestors 'self'"));
        config.embed_origins = vec!["https://docs.example.com".into(), "'self'".into()];
        assert!(config.content_security_policy().ends_with("frame-ancestors https://docs.example.com 'self'"));
    }
}
