//! `archlens serve`: binds, serves the app and API, shuts down gracefully on Ctrl-C/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

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
}

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let kb = load_knowledge()?;
    let assets = args.assets.unwrap_or_else(default_assets_dir);
    let state = AppState::new(kb, assets.clone());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if !assets.join("index.html").exists() {
        tracing::warn!(assets = %assets.display(), "web app not built; run `cargo xtask serve`");
    }
    println!("Archlens is running at http://{addr}/  (API: http://{addr}/api/v1/health)");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
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
