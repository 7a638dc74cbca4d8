//! The web app in a real browser: headless Chromium against the real server, driving the
//! stable test hooks (`data-testid`). With `ARCHLENS_SCREENSHOTS=1` the tests also write the
//! README's screenshots to `docs/screenshots/`.

use std::time::Duration;

use archlens_tests::{Browser, root, start_server};
use fantoccini::{Client, Locator};

const WAIT: Duration = Duration::from_secs(20);

async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no `{css}`: {e}"))
}

async fn screenshot(c: &Client, name: &str) {
    if std::env::var_os("ARCHLENS_SCREENSHOTS").is_none() {
        return;
    }
    let png = c.screenshot().await.unwrap();
    let dir = root().join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// Sets the textarea's value as a paste would and lets Leptos see the input event.
async fn paste(c: &Client, text: &str) {
    wait_css(c, "[data-testid=template-input]").await;
    c.execute(
        "const t = document.querySelector('[data-testid=template-input]'); t.value = arguments[0]; t.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![serde_json::Value::String(text.to_string())],
    )
    .await
    .unwrap();
}

/// A browser on the real app with the orders sample pasted and analysed.
async fn open_with_the_orders_sample() -> (Browser, String) {
    let addr = start_server();
    let browser = Browser::start(1280, 900).await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/")).await.unwrap();
    let template = std::fs::read_to_string(root().join("frontend/samples/orders-api.yaml")).unwrap();
    paste(c, &template).await;
    wait_css(c, "[data-testid=analyze-button]").await.click().await.unwrap();
    wait_css(c, "[data-testid=finding]").await;
    (browser, template)
}

async fn attr(e: &fantoccini::elements::Element, name: &str) -> String {
    e.attr(name).await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leptos_app_renders_in_chromium() {
    let addr = start_server();
    let browser = Browser::start(1280, 900).await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/")).await.unwrap();
    // Rendered by the wasm app, not present in index.html: proves Leptos mounted.
    let counts = wait_css(c, "[data-testid=knowledge-counts]").await.text().await.unwrap();
    let kb = archlens_shared::knowledge::embedded();
    assert!(counts.contains(&format!("{} remedies", kb.remedies().count())), "{counts}");
    wait_css(c, "[data-testid=template-input]").await;
    wait_css(c, "[data-testid=analyze-button]").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_analyze_and_filter_by_clicking_a_diagram_node() {
    let (browser, template) = open_with_the_orders_sample().await;
    let c = &browser.client;

    // The page shows what the engine finds, with the hooks other tools rely on.
    let expected = archlens_shared::analysis::analyze(&template, &Default::default()).unwrap();
    let findings = c.find_all(Locator::Css("[data-testid=finding]")).await.unwrap();
    assert_eq!(findings.len(), expected.findings.len());
    let mut timeout_finding = false;
    for f in &findings {
        let remedies = attr(f, "data-remedies").await;
        assert!(!remedies.is_empty());
        if attr(f, "data-resource").await == "CreateOrderFunction" && remedies.split(' ').any(|r| r == "lambda-timeout-budget") {
            timeout_finding = true;
        }
    }
    assert!(timeout_finding || expected.findings.iter().all(|f| f.resource.as_deref() != Some("CreateOrderFunction")));
    let nodes = c.find_all(Locator::Css("[data-testid=diagram] [data-testid=diagram-node]")).await.unwrap();
    assert_eq!(nodes.len(), expected.resources.len());
    screenshot(c, "analyze.png").await;

    // Clicking a node filters the findings to that resource.
    let node = c.find(Locator::Css("[data-testid=diagram-node][data-resource=GetOrderFunction]")).await.unwrap();
    c.execute("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&node).unwrap()]).await.unwrap();
    node.click().await.unwrap();
    wait_css(c, "[data-testid=resource-filter]").await;
    let shown = c.find_all(Locator::Css("[data-testid=finding]")).await.unwrap();
    let expected_count = expected.findings.iter().filter(|f| f.resource.as_deref() == Some("GetOrderFunction")).count();
    assert!(expected_count > 0);
    assert_eq!(shown.len(), expected_count);
    for f in &shown {
        assert_eq!(attr(f, "data-resource").await, "GetOrderFunction");
    }
    screenshot(c, "filtered.png").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_shows_the_line_in_place() {
    let addr = start_server();
    let browser = Browser::start(1280, 900).await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/")).await.unwrap();
    paste(c, "Resources:\n  A:\n    Type: AWS::SNS::Topic\n  A:\n    Type: AWS::SQS::Queue\n").await;
    wait_css(c, "[data-testid=analyze-button]").await.click().await.unwrap();
    let error = wait_css(c, "[data-testid=input-error]").await.text().await.unwrap();
    assert!(error.contains("line 4") && error.contains("duplicate key"), "{error}");
    wait_css(c, "#L4.error-line").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_a_file_and_measure_load_size_and_analysis_time() {
    let addr = start_server();
    let browser = Browser::start(1280, 900).await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/")).await.unwrap();
    wait_css(c, "[data-testid=analyze-button]").await;

    // What the first load transferred (wasm + js + css, compressed as served).
    let transferred = c
        .execute("return performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0);", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(transferred > 10_000.0, "nothing measured: {transferred}");
    assert!(transferred <= 1_048_576.0, "initial load is {transferred} bytes, over 1 MB");

    // The largest corpus template, uploaded through the file input.
    let corpus = root().join("tests/corpus/templates");
    let largest = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let input = c.find(Locator::Css("[data-testid=template-file]")).await.unwrap();
    input.send_keys(largest.to_str().unwrap()).await.unwrap();
    wait_css(c, "[data-testid=finding]").await;
    let elapsed = wait_css(c, "[data-testid=elapsed]").await.text().await.unwrap();
    let ms: f64 = elapsed.split_whitespace().nth(2).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{elapsed}"));
    println!("browser: initial load {:.0} KB transferred; {} analysed in {ms} ms", transferred / 1024.0, largest.display());
    assert!(ms < 200.0, "{} took {ms} ms in the browser", largest.display());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_files_add_evidence_costs_and_the_whatif_chart() {
    let (browser, _) = open_with_the_orders_sample().await;
    let c = &browser.client;
    let log = root().join("tests/fixtures/get-order-report-lines.txt");
    c.find(Locator::Css("[data-testid=metrics-file]")).await.unwrap().send_keys(log.to_str().unwrap()).await.unwrap();
    wait_css(c, "[data-testid=metrics-entry]").await;
    // The log names no function: bind it to GetOrderFunction as a user would.
    c.execute(
        "const s = document.querySelector('[data-testid=metrics-entry] select'); s.value = 'GetOrderFunction'; s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![],
    )
    .await
    .unwrap();
    wait_css(c, "[data-testid=whatif]").await;
    let cold = wait_css(c, "[data-testid=finding][data-resource=GetOrderFunction]").await;
    let _ = cold;
    let findings = c.find_all(Locator::Css("[data-testid=finding][data-resource=GetOrderFunction]")).await.unwrap();
    let mut evidence = false;
    for f in &findings {
        if f.text().await.unwrap().contains("Metrics confirm") {
            evidence = true;
        }
    }
    assert!(evidence, "a template finding about GetOrderFunction gained the metrics' evidence");
    screenshot(c, "metrics.png").await;
    browser.close().await;
}

/// Waits until `js` (a function body returning a value) returns `want`; the time it took.
async fn wait_for_value(c: &Client, js: &str, want: &str) -> Duration {
    let started = std::time::Instant::now();
    loop {
        let got = c.execute(js, vec![]).await.unwrap();
        if got.as_str() == Some(want) {
            return started.elapsed();
        }
        assert!(started.elapsed() < WAIT, "waited {WAIT:?} for `{js}` to be {want:?}; it is {got}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn status_of(key: &str) -> String {
    format!("const f = [...document.querySelectorAll('[data-testid=finding]')].find(e => e.dataset.key === {key:?}); return f ? f.querySelector('[data-testid=finding-status]').value : null;")
}

async fn set_status(c: &Client, key: &str, status: &str) {
    c.execute(
        "const f = [...document.querySelectorAll('[data-testid=finding]')].find(e => e.dataset.key === arguments[0]); const s = f.querySelector('[data-testid=finding-status]'); s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![key.into(), status.into()],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_review_is_shared_live_between_two_browser_sessions() {
    let (alice, template) = open_with_the_orders_sample().await;
    let a = &alice.client;
    wait_css(a, "[data-testid=save-review]").await.click().await.unwrap();
    wait_css(a, "[data-testid=review-header]").await;
    let link = wait_css(a, "[data-testid=share-link]").await.prop("value").await.unwrap().unwrap_or_default();
    let id = link.rsplit('/').next().unwrap().to_string();
    assert!(link.contains("/r/") && id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{link}");
    assert!(a.current_url().await.unwrap().as_str().ends_with(&format!("/r/{id}")));
    wait_for_value(a, "return document.querySelector('[data-testid=live-status]').textContent", "● Live").await;

    // A second person opens the link in another browser.
    let bob = Browser::start(1280, 900).await;
    let b = &bob.client;
    b.goto(&link).await.unwrap();
    wait_css(b, "[data-testid=finding][data-key]").await;
    wait_for_value(b, "return document.querySelector('[data-testid=live-status]').textContent", "● Live").await;
    let expected = archlens_shared::analysis::analyze(&template, &Default::default()).unwrap();
    let keys = archlens_shared::analysis::finding_keys(&expected.findings);
    assert_eq!(b.find_all(Locator::Css("[data-testid=finding]")).await.unwrap().len(), keys.len(), "the same findings on the link");
    // Pasted, so named after the template's Description.
    let name = wait_css(b, "[data-testid=review-name]").await.text().await.unwrap();
    assert!(name.starts_with("Orders service - REST API"), "{name}");

    // Alice accepts one finding: Bob sees it without reloading, within a second.
    set_status(a, &keys[0], "accepted").await;
    let took = wait_for_value(b, &status_of(&keys[0]), "accepted").await;
    println!("browser: a status change reached the other session in {} ms", took.as_millis());
    assert!(took < Duration::from_secs(1), "the change took {took:?} to arrive");
    // Bob dismisses another: Alice sees it.
    set_status(b, &keys[1], "dismissed").await;
    wait_for_value(a, &status_of(&keys[1]), "dismissed").await;
    wait_for_value(a, "return document.querySelector('[data-testid=count-accepted] strong').textContent", "1").await;

    // Bob comments on the first finding: Alice sees the comment count and the text.
    let card = format!("[data-testid=finding][data-key={:?}]", keys[0]);
    b.execute(
        "const f = document.querySelector(arguments[0]); f.scrollIntoView({block: 'center'}); f.querySelector('.toggle').click();",
        vec![card.clone().into()],
    )
    .await
    .unwrap();
    let input = wait_css(b, &format!("{card} [data-testid=comment-input]")).await;
    input.send_keys("Agreed: the checkout path needs this before Black Friday.").await.unwrap();
    wait_css(b, &format!("{card} [data-testid=comment-button]")).await.click().await.unwrap();
    wait_for_value(a, &format!("const c = document.querySelector('{} [data-testid=comment-count]'); return c ? c.textContent.trim() : null;", card.replace('\'', "\\'")), "1").await;
    a.execute("const f = document.querySelector(arguments[0]); f.scrollIntoView({block: 'center'}); f.querySelector('.toggle').click();", vec![card.clone().into()]).await.unwrap();
    let comment = wait_css(a, &format!("{card} [data-testid=comment]")).await.text().await.unwrap();
    assert!(comment.contains("Black Friday"), "{comment}");
    let out = overflowing(a).await;
    assert!(out.is_empty(), "the review sticks out on the right: {out:?}");
    let low = low_contrast(a).await;
    assert!(low.is_empty(), "review text below the WCAG AA contrast ratio: {low:#?}");
    screenshot(a, "review.png").await;

    // What they did is saved: a fresh load shows it.
    b.refresh().await.unwrap();
    wait_css(b, "[data-testid=finding][data-key]").await;
    wait_for_value(b, &status_of(&keys[0]), "accepted").await;
    wait_for_value(b, &status_of(&keys[1]), "dismissed").await;
    screenshot(b, "review-shared.png").await;

    // Presenter mode walks through the findings with the diagram on each one's resource.
    a.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    wait_css(a, "[data-testid=present]").await.click().await.unwrap();
    let count = wait_css(a, "[data-testid=presenter-count]").await.text().await.unwrap();
    assert_eq!(count, format!("Finding 1 of {}", keys.len()));
    wait_css(a, "[data-testid=presenter-next]").await.click().await.unwrap();

    wait_for_value(a, "return document.querySelector('[data-testid=presenter-count]').textContent", &format!("Finding 2 of {}", keys.len())).await;
    if let Some(resource) = expected.findings[1].resource.as_deref() {
        wait_css(a, &format!("[data-testid=diagram-node][data-resource={resource}].selected")).await;
    }
    screenshot(a, "presenter.png").await;
    a.execute("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))", vec![]).await.unwrap();
    wait_css(a, "[data-testid=summary]").await;

    // Alice edits the template and saves it as revision 2: Bob's page follows, and the team's
    // statuses stay with the findings that still apply.
    wait_css(a, "[data-testid=edit-template]").await.click().await.unwrap();
    let edited = template.replace("ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}", "BillingMode: PAY_PER_REQUEST");
    assert_ne!(edited, template);
    paste(a, &edited).await;
    wait_css(a, "[data-testid=update-review]").await.click().await.unwrap();
    let meta = "return document.querySelector('[data-testid=review-header] p').textContent.split(' · ')[0]";
    wait_for_value(a, meta, "Revision 2").await;
    wait_for_value(b, meta, "Revision 2").await;
    let after = archlens_shared::analysis::analyze(&edited, &Default::default()).unwrap();
    assert!(after.findings.len() < keys.len(), "the edit fixes something");
    wait_for_value(b, "return String(document.querySelectorAll('[data-testid=finding]').length)", &after.findings.len().to_string()).await;
    wait_for_value(b, &status_of(&keys[0]), "accepted").await;
    bob.close().await;
    alice.close().await;
}

/// Elements sticking out of the page on the right (a horizontal scrollbar), if any.
async fn overflowing(c: &Client) -> Vec<String> {
    let found = c
        .execute(
            "const w = document.documentElement.clientWidth; return [...document.querySelectorAll('body *')].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1 && !e.closest('.diagram-viewport, .code, pre'); }).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
            vec![],
        )
        .await
        .unwrap();
    found.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
}

/// Visible text whose contrast with its background is under WCAG AA (4.5:1, or 3:1 for large
/// text: 24 px, or 18.66 px bold), as `text (ratio)`.
async fn low_contrast(c: &Client) -> Vec<String> {
    let js = r#"
const lum = (rgb) => { const c = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
const parse = (s) => { const m = s.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; };
const bg = (e) => { for (; e; e = e.parentElement) { const p = parse(getComputedStyle(e).backgroundColor); if (p.length < 4 || p[3] > 0.5) return p.slice(0, 3); } return [255, 255, 255]; };
const out = [];
for (const e of document.querySelectorAll('body *')) {
  const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || e.closest('svg') || e.offsetParent === null) continue;
  const st = getComputedStyle(e);
  if (parseFloat(st.opacity) < 1 || e.closest('[disabled]')) continue;
  const fg = parse(st.color).slice(0, 3), b = bg(e);
  const [l1, l2] = [lum(fg), lum(b)].sort((x, y) => y - x);
  const ratio = (l1 + 0.05) / (l2 + 0.05);
  const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
  const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
  if (ratio < need) out.push(e.textContent.trim().slice(0, 40) + ' (' + ratio.toFixed(2) + ' ' + st.color + ' on ' + b + ')');
}
return [...new Set(out)].slice(0, 20);
"#;
    let found = c.execute(js, vec![]).await.unwrap();
    found.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_at_768_px_and_1280_px_without_horizontal_scrolling() {
    let addr = start_server();
    for width in [768, 1280] {
        let browser = Browser::start(width, 1000).await;
        let c = &browser.client;
        c.goto(&format!("http://{addr}/")).await.unwrap();
        let template = std::fs::read_to_string(root().join("frontend/samples/orders-api.yaml")).unwrap();
        paste(c, &template).await;
        // Ctrl+Enter in the template analyses it: no mouse needed.
        let input = wait_css(c, "[data-testid=template-input]").await;
        input.send_keys(&format!("{}{}", fantoccini::key::Key::Control, fantoccini::key::Key::Enter)).await.unwrap();
        wait_css(c, "[data-testid=finding]").await;
        // Every control can be reached with Tab and has a name for screen readers.
        let unnamed = c
            .execute(
                "return [...document.querySelectorAll('button, select, input, textarea, [role=button]')].filter(e => e.offsetParent !== null && !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.length || e.title || e.placeholder)).map(e => e.outerHTML.slice(0, 120));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(unnamed.as_array().unwrap().len(), 0, "controls without an accessible name: {unnamed}");
        let out = overflowing(c).await;
        assert!(out.is_empty(), "at {width} px these stick out on the right: {out:?}");
        let low = low_contrast(c).await;
        assert!(low.is_empty(), "text below the WCAG AA contrast ratio: {low:#?}");
        screenshot(c, &format!("analyze-{width}.png")).await;
        browser.close().await;
    }
}
