//! The Archlens service: `app(state)` builds the whole router, so tests drive it in-process
//! with `oneshot` and `main.rs` only parses options, binds and serves.

pub mod api;
pub mod assets;
pub mod cli;
pub mod error;

use std::path::PathBuf;
use std::sync::Arc;

use archlens_shared::knowledge::KnowledgeBase;
pub use axum::Router;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub kb: &'static KnowledgeBase,
    /// The built web app (`cargo xtask build` writes it to `frontend/dist`).
    pub assets: PathBuf,
}

impl AppState {
    pub fn new(kb: &'static KnowledgeBase, assets: PathBuf) -> AppState {
        AppState {
            inner: Arc::new(Inner { kb, assets }),
        }
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

pub fn app(state: AppState) -> Router {
    let assets = assets::router(&state.inner.assets);
    Router::new()
        .nest("/api/v1", api::router())
        .with_state(state)
        .fallback_service(assets)
}

/// Serves `app` on a bound listener until the future is dropped (used by tests and `serve`).
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app).await
}
