//! `archlens serve`: binds, serves the app and API, shuts down gracefully on Ctrl-C/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::{self, Limits, ServerConfig};
use crate::telemetry::LogFormat;
use crate::reviews::{Database, Reviews, SQLITE_FILE};
use crate::{AppState, app, default_assets_dir, load_knowledge};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ARCHLENS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder of the built web app (default: `frontend/dist` of this checkout, which
    /// `cargo xtask build` writes).
    #[arg(long, env = "ARCHLENS_ASSETS")]
    pub assets: Option<PathBuf>,
    /// Log lines as text or as JSON objects (with the request id on every line).
    #[arg(long, env = "ARCHLENS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Largest template accepted (B, KiB, MiB, kB, MB).
    #[arg(long, env = "ARCHLENS_MAX_TEMPLATE_SIZE", default_value = "2MiB", value_parser = config::parse_size, help_heading = "Limits")]
    pub max_template_size: usize,
    /// Largest request body, template and metrics together.
    #[arg(long, env = "ARCHLENS_MAX_BODY_SIZE", default_value = "20MiB", value_parser = config::parse_size, help_heading = "Limits")]
    pub max_body_size: usize,
    /// Longest an analysis may run (ms, s, m) before the request gets 503.
    #[arg(long, env = "ARCHLENS_ANALYSIS_TIMEOUT", default_value = "10s", value_parser = config::parse_duration, help_heading = "Limits")]
    pub analysis_timeout: Duration,
    /// Analyses running at once (default: 2 per CPU).
    #[arg(long, env = "ARCHLENS_MAX_CONCURRENT_ANALYSES", default_value_t = config::default_max_concurrent_analyses(), help_heading = "Limits")]
    pub max_concurrent_analyses: usize,
    /// How long a request waits for a free analysis slot before it gets 503.
    #[arg(long, env = "ARCHLENS_ANALYSIS_QUEUE_WAIT", default_value = "1s", value_parser = config::parse_duration, help_heading = "Limits")]
    pub analysis_queue_wait: Duration,
    /// Requests to /api per client IP per minute, 429 beyond (0: no limit).
    #[arg(long, env = "ARCHLENS_RATE_LIMIT", default_value_t = config::DEFAULT_REQUESTS_PER_MINUTE, help_heading = "Limits")]
    pub rate_limit: u32,

    /// An origin allowed to call /api from a browser (CORS); repeatable. None by default.
    #[arg(long = "cors-origin", env = "ARCHLENS_CORS_ORIGINS", value_delimiter = ',', value_parser = config::parse_origin, help_heading = "Access")]
    pub cors_origins: Vec<String>,
    /// An origin allowed to embed the web app in a frame (CSP frame-ancestors); repeatable.
    /// Default: only this origin ('self').
    #[arg(long = "embed-origin", env = "ARCHLENS_EMBED_ORIGINS", value_delimiter = ',', value_parser = config::parse_embed_origin, help_heading = "Access")]
    pub embed_origins: Vec<String>,
    /// Require `Authorization: Bearer TOKEN` on /api/v1 (but health and ready), from every
    /// client including loopback.
    #[arg(long, env = "ARCHLENS_API_TOKEN", hide_env_values = true, help_heading = "Access")]
    pub api_token: Option<String>,
    /// A header, set by an authenticating reverse proxy, that names the signed-in user (e.g.
    /// X-Forwarded-User). Only use behind a proxy that strips it from client requests.
    #[arg(long, env = "ARCHLENS_TRUSTED_USER_HEADER", value_parser = parse_header_name, help_heading = "Access")]
    pub trusted_user_header: Option<String>,

    /// Folder of the saved reviews' SQLite database (`archlens.db`), created if missing;
    /// relative to the working directory.
    #[arg(long, env = "ARCHLENS_DATA_DIR", default_value = "archlens-data", help_heading = "Storage")]
    pub data_dir: PathBuf,
    /// Keep saved reviews in PostgreSQL instead (`postgres://user:password@host/db`); several
    /// instances may share one database and see each other's changes live.
    #[arg(long, env = "ARCHLENS_DATABASE_URL", hide_env_values = true, help_heading = "Storage")]
    pub database_url: Option<String>,
}

fn parse_header_name(s: &str) -> Result<String, String> {
    axum::http::HeaderName::try_from(s.trim())
        .map(|name| name.as_str().to_string())
        .map_err(|_| format!("`{s}` is not a header name"))
}

impl ServeArgs {
    pub fn config(&self) -> ServerConfig {
        ServerConfig {
            limits: Limits {
                max_template_bytes: self.max_template_size,
                max_body_bytes: self.max_body_size.max(self.max_template_size),
                analysis_timeout: self.analysis_timeout,
                max_concurrent_analyses: self.max_concurrent_analyses.max(1),
                analysis_queue_wait: self.analysis_queue_wait,
                requests_per_minute: self.rate_limit,
            },
            cors_origins: self.cors_origins.clone(),
            embed_origins: self.embed_origins.clone(),
            api_token: self.api_token.clone().filter(|t| !t.is_empty()),
            trusted_user_header: self.trusted_user_header.clone(),
        }
    }
}

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let kb = load_knowledge()?;
    let config = args.config();
    let assets = args.assets.unwrap_or_else(default_assets_dir);
    if config.api_token.is_none() && !args.listen.ip().is_loopback() {
        tracing::warn!(listen = %args.listen, "the API is open to anyone who can reach this address; set --api-token to require a token");
    }
    let database = Database::from_options(&args.data_dir, args.database_url.as_deref())?;
    let reviews = Reviews::open(&database).await?;
    match &database {
        Database::Sqlite { dir } => tracing::info!(file = %dir.join(SQLITE_FILE).display(), "saved reviews in SQLite"),
        Database::Postgres { .. } => tracing::info!("saved reviews in PostgreSQL"),
    }
    let state = AppState::with_config(kb, assets.clone(), config).with_reviews(reviews.clone());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if !assets.join("index.html").exists() {
        tracing::warn!(assets = %assets.display(), "web app not built; run `cargo xtask serve`");
    }
    println!("Archlens is running at http://{addr}/  (API: http://{addr}/api/v1/health)");
    let streams = reviews.clone();
    let served = axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // Live event streams never end by themselves, and graceful shutdown waits for them.
            streams.close_streams();
        })
        .await
        .map_err(|e| e.to_string());
    reviews.close().await;
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
