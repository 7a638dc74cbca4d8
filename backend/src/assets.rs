//! Serves the built web app: precompressed (br, gzip) files, a year of caching for
//! content-hashed names, no caching for `index.html`, and `index.html` for app routes.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse};
use tower_http::services::{ServeDir, ServeFile};

pub fn router(dir: &Path) -> Router {
    let index = dir.join("index.html");
    if !index.exists() {
        let message = format!(
            "<!doctype html><title>Archlens</title><h1>The web app is not built</h1>\
             <p>No <code>{}</code>. Run <code>cargo xtask serve</code> (it builds the app first), \
             or pass <code>--assets DIR</code>. The API under <code>/api/v1</code> works regardless.</p>",
            index.display()
        );
        return Router::new().fallback(move || {
            let message = message.clone();
            async move { (axum::http::StatusCode::SERVICE_UNAVAILABLE, Html(message)).into_response() }
        });
    }
    let spa = ServeFile::new(&index).precompressed_br().precompressed_gzip();
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(spa);
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::map_response(cache_headers))
}

/// `archlens-0123456789ab.wasm` and the like: names that change whenever the content does.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_headers(uri: axum::http::Uri, mut response: axum::response::Response) -> axum::response::Response {
    let value = if is_content_hashed(uri.path()) && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_content_hashed_names() {
        assert!(super::is_content_hashed("/archlens-0123456789ab.wasm"));
        assert!(super::is_content_hashed("/boot-abcdef012345.js"));
        assert!(!super::is_content_hashed("/index.html"));
        assert!(!super::is_content_hashed("/r/some-review"));
    }
}
