//! Small browser helpers: time, clipboard, downloads, query string.

use wasm_bindgen::JsCast;

pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

pub fn copy_to_clipboard(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

/// Offers `contents` as a file download.
pub fn download(name: &str, mime: &str, contents: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(contents));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(a) = document.and_then(|d| d.create_element("a").ok()).and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// A query-string parameter of the current page.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| v.to_string())
    })
}

/// Reads a picked or dropped file as text and hands `(name, text)` to `done`.
pub fn read_file_text(file: web_sys::File, done: impl FnOnce(String, String) + 'static) {
    use wasm_bindgen::closure::Closure;
    let Ok(reader) = web_sys::FileReader::new() else { return };
    let name = file.name();
    let onload = Closure::once(move |ev: web_sys::ProgressEvent| {
        let text = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::FileReader>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        done(name, text);
    });
    reader.set_onload(Some(onload.as_ref().unchecked_ref()));
    // The closure must outlive this call; it runs once, when the file is read.
    onload.forget();
    let _ = reader.read_as_text(&file);
}
