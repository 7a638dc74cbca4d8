//! The web app in a real browser: headless Chromium against the real server.

use std::time::Duration;

use archlens_tests::{Browser, start_server};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leptos_app_renders_in_chromium() {
    let addr = start_server();
    let browser = Browser::start(1280, 900).await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/")).await.unwrap();
    // Rendered by the wasm app, not present in index.html: proves Leptos mounted.
    let counts = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("[data-testid=knowledge-counts]"))
        .await
        .expect("the Leptos app rendered its knowledge counts");
    let text = counts.text().await.unwrap();
    assert!(text.contains("58 remedies") || text.contains("remedies"), "{text}");
    let kb = archlens_shared::knowledge::embedded();
    assert!(text.contains(&format!("{} remedies", kb.remedies().count())), "{text}");
    browser.close().await;
}
