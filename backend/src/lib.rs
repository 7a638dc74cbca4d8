//! The Archlens service: `app(state)` builds the whole router, so tests drive it in-process
//! with `oneshot` and `main.rs` only parses options, binds and serves.

pub mod analyzer;
pub mod api;
pub mod assets;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod reviews;
pub mod telemetry;

use std::path::PathBuf;
use std::sync::Arc;

use archlens_shared::knowledge::KnowledgeBase;
use axum::routing::{any, get};
pub use axum::Router;

use crate::analyzer::Analyzer;
use crate::config::ServerConfig;
use crate::middleware::rate_limit::RateLimiter;
use crate::telemetry::Metrics;

pub use crate::middleware::auth::user_from_headers;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub kb: &'static KnowledgeBase,
    /// The built web app (`cargo xtask build` writes it to `frontend/dist`).
    pub assets: PathBuf,
    /// Limits, browser security and access, as `archlens serve` was told.
    pub config: ServerConfig,
    /// Runs engine work within the configured concurrency and time limits.
    pub analyzer: Analyzer,
    pub metrics: Metrics,
    /// `None` when the per-client limit is off.
    pub rate_limiter: Option<RateLimiter>,
    /// Saved team reviews (`/api/v1/reviews`); `None` serves the rest of the API without a
    /// database (503 on those routes). `archlens serve` always opens one.
    pub reviews: Option<reviews::Reviews>,
}

impl AppState {
    /// A state with the default [`ServerConfig`].
    pub fn new(kb: &'static KnowledgeBase, assets: PathBuf) -> AppState {
        AppState::with_config(kb, assets, ServerConfig::default())
    }

    pub fn with_config(kb: &'static KnowledgeBase, assets: PathBuf, config: ServerConfig) -> AppState {
        let metrics = Metrics::default();
        AppState {
            inner: Arc::new(Inner {
                kb,
                assets,
                analyzer: Analyzer::new(&config.limits, metrics.clone()),
                rate_limiter: RateLimiter::per_minute(config.limits.requests_per_minute),
                metrics,
                config,
                reviews: None,
            }),
        }
    }

    /// Readiness (`GET /api/v1/ready`): `Err(reason)` while a dependency the service needs
    /// does not answer. The hook for every such dependency (a database, …): check it here.
    pub async fn ready(&self) -> Result<(), String> {
        if let Some(reviews) = &self.inner.reviews {
            reviews.ready().await?;
        }
        Ok(())
    }

    /// The state with saved reviews kept in `reviews`' database. Call it before the state is
    /// cloned (it is configuration, set once at startup).
    pub fn with_reviews(mut self, reviews: reviews::Reviews) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("with_reviews is called before the state is shared")
            .reviews = Some(reviews);
        self
    }
}

/// The folder the web app is served from when `--assets` does not say: where `cargo xtask
/// build` puts it in this checkout.
pub fn default_assets_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../frontend/dist"))
}

/// Validates the compiled-in knowledge graph; a broken graph is a startup error listing every
/// problem, never a half-working server.
pub fn load_knowledge() -> Result<&'static KnowledgeBase, String> {
    let files = archlens_shared::knowledge::embedded_files();
    match KnowledgeBase::load(files) {
        Ok(_) => Ok(archlens_shared::knowledge::embedded()),
        Err(problems) => Err(format!(
            "the knowledge graph has {} problem(s):\n{}",
            problems.len(),
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )),
    }
}

/// The web app and the API, with every layer (`middleware` has their order).
pub fn app(state: AppState) -> Router {
    let assets = assets::router(&state.inner.assets);
    let api = Router::new()
        .nest("/api/v1", api::router())
        .route("/api", any(middleware::envelope::api_not_found))
        .route("/api/", any(middleware::envelope::api_not_found))
        .route("/api/{*rest}", any(middleware::envelope::api_not_found));
    let router = Router::new()
        .merge(middleware::api_layers(api, &state))
        .route("/metrics", get(telemetry::metrics::expose))
        .with_state(state.clone())
        .fallback_service(assets);
    middleware::common_layers(router, &state)
}

/// Serves `app` on a bound listener until the future is dropped (used by tests and `serve`),
/// with each connection's peer address available to the rate limiter.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
}
