//! Shared helpers of the end-to-end tests: an in-process server on a free port and a headless
//! Chromium driven through Debian's chromedriver.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Starts the real app (`archlens::app`) on `127.0.0.1:0` in a background runtime, with saved
/// reviews in a SQLite database of its own (as `archlens serve` has by default).
pub fn start_server() -> SocketAddr {
    let kb = archlens::load_knowledge().expect("knowledge graph valid");
    let assets = archlens::default_assets_dir();
    assert!(
        assets.join("index.html").exists(),
        "the web app is not built at {}: run the tests with `cargo xtask test`, which builds it first",
        assets.display()
    );
    let data_dir = std::env::temp_dir().join(format!("archlens-browser-data-{}-{}", std::process::id(), free_port()));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            // Removed when the test process ends and the runtime with it.
            let _data = TempDir(data_dir.clone());
            let reviews = archlens::reviews::Reviews::open(&archlens::reviews::Database::Sqlite { dir: data_dir }).await.expect("open the reviews database");
            let state = archlens::AppState::new(kb, assets).with_reviews(reviews);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum_serve(listener, archlens::app(state)).await;
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).expect("server started")
}

async fn axum_serve(listener: tokio::net::TcpListener, app: archlens::Router) {
    archlens::serve(listener, app).await.unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A chromedriver process and a WebDriver session in headless Chromium; both end on drop.
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    pub async fn start(width: u32, height: u32) -> Browser {
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("chromedriver not found: install Debian's `chromium` and `chromium-driver` (apt-get install chromium chromium-driver)");
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = std::env::temp_dir().join(format!("archlens-chrome-{}-{port}", std::process::id()));
        let _ = std::fs::create_dir_all(&profile);
        let args = serde_json::json!([
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ]);
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), serde_json::json!({"args": args, "binary": "/usr/bin/chromium"}));
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match fantoccini::ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("could not start a Chromium session through chromedriver: {e}"),
            }
        };
        Browser { client, driver, _profile: TempDir(profile) }
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A test that panics never reaches `close`: Chromium would outlive chromedriver.
        let pattern = format!("--user-data-dir={}", self._profile.0.display());
        let _ = Command::new("pkill").args(["-f", "--", &pattern]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}
