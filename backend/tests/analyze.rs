//! `POST /api/v1/analyze`: JSON and multipart bodies, the four renderings, template errors,
//! metrics files that never fail the request; in-process and over a socket.

mod support;

use archlens_shared::analysis::{self, Options};
use archlens_shared::report::{self, FileResult, Format};
use axum::http::StatusCode;
use serde_json::json;
use support::*;

const ANALYZE: &str = "/api/v1/analyze";

/// Lambda `REPORT` lines: cold starts and memory well below the size.
const REPORT_LINES: &str = "\
REPORT RequestId: 3f1b\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 70 MB\tInit Duration: 980.41 ms
REPORT RequestId: 3f1c\tDuration: 98.10 ms\tBilled Duration: 99 ms\tMemory Size: 512 MB\tMax Memory Used: 71 MB
REPORT RequestId: 3f1d\tDuration: 120.00 ms\tBilled Duration: 120 ms\tMemory Size: 512 MB\tMax Memory Used: 72 MB\tInit Duration: 1012.00 ms
";

fn cli_json(dir: &std::path::Path, file: &str, extra: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archlens"))
        .current_dir(dir)
        .args(["analyze", file, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("archlens-api-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The API writes the report compactly, straight from the engine's types (the command line
/// pretty-prints it): the same JSON value, key for key and number for number.
#[tokio::test]
async fn the_json_report_is_the_command_line_report() {
    let dir = temp_dir("cli");
    std::fs::write(dir.join("orders-api.yaml"), orders_template()).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&cli_json(&dir, "orders-api.yaml", &[])).unwrap();

    let state = state();
    let answer = oneshot(&state, post_json(ANALYZE, &json!({"template": orders_template(), "name": "orders-api.yaml"}))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.header("content-type"), "application/json");
    assert_eq!(answer.json(), expected);
    assert!(!answer.text().contains('\n'), "compact: one line");

    let report = answer.json();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["file"], "orders-api.yaml");
    assert!(report["resources"].as_array().unwrap().iter().any(|r| r["id"] == "GetOrderFunction"));
    assert!(!report["findings"].as_array().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_multipart_upload_gives_the_same_report_as_json() {
    let state = state();
    let json_answer = oneshot(&state, post_json(ANALYZE, &json!({"template": orders_template(), "name": "orders-api.yaml"}))).await;
    let form_answer = oneshot(&state, multipart(ANALYZE, &[("template", Some("stacks/orders-api.yaml"), &orders_template())])).await;
    assert_eq!(form_answer.status, StatusCode::OK, "{}", form_answer.text());
    assert_eq!(form_answer.text(), json_answer.text(), "the uploaded file's name (without folders) is the report's file");

    let named = oneshot(&state, multipart(ANALYZE, &[("name", None, "renamed.yaml"), ("template", Some("x.yaml"), SMALL_TEMPLATE)])).await;
    assert_eq!(named.json()["file"], "renamed.yaml");
    let unnamed = oneshot(&state, post_json(ANALYZE, &json!({"template": SMALL_TEMPLATE}))).await;
    assert_eq!(unnamed.json()["file"], "template.yaml");
}

#[tokio::test]
async fn each_format_is_the_engines_rendering_with_its_content_type() {
    let state = state();
    let template = orders_template();
    let outcome = analysis::analyze(&template, &Options::default());
    let file = FileResult { path: "orders-api.yaml", source: &template, outcome };
    for (query, format, content_type) in [
        ("sarif", Format::Sarif, "application/sarif+json"),
        ("markdown", Format::Markdown, "text/markdown; charset=utf-8"),
        ("md", Format::Markdown, "text/markdown; charset=utf-8"),
        ("text", Format::Text, "text/plain; charset=utf-8"),
        ("json", Format::Json, "application/json"),
    ] {
        let uri = format!("{ANALYZE}?format={query}");
        let answer = oneshot(&state, post_json(&uri, &json!({"template": template, "name": "orders-api.yaml"}))).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text());
        assert_eq!(answer.header("content-type"), content_type, "{query}");
        let rendered = report::render(format, std::slice::from_ref(&file));
        if format == Format::Json {
            // Compact on the API, pretty from the engine: compare the values.
            assert_eq!(answer.json(), serde_json::from_str::<serde_json::Value>(&rendered).unwrap(), "{query}");
        } else {
            assert_eq!(answer.text(), rendered, "{query}");
        }
    }
    let sarif = oneshot(&state, post_json(&format!("{ANALYZE}?format=sarif"), &json!({"template": template}))).await.json();
    assert_eq!(sarif["version"], "2.1.0");
}

#[tokio::test]
async fn an_unknown_format_is_a_400_that_lists_the_formats() {
    let answer = oneshot(&state(), post_json(&format!("{ANALYZE}?format=xml"), &json!({"template": SMALL_TEMPLATE}))).await;
    let v = answer.assert_error(StatusCode::BAD_REQUEST, "bad-request");
    assert!(v["error"]["message"].as_str().unwrap().contains("sarif"), "{v}");
}

#[tokio::test]
async fn a_broken_template_is_422_with_file_line_and_column() {
    let broken = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Description: \"never closed\n";
    let engine = analysis::analyze(broken, &Options::default()).unwrap_err();
    assert!(engine.line >= 3, "the fixture's error should be past the first lines: {engine:?}");

    let state = state();
    for request in [
        post_json(ANALYZE, &json!({"template": broken, "name": "broken.yaml"})),
        multipart(ANALYZE, &[("template", Some("broken.yaml"), broken)]),
    ] {
        let answer = oneshot(&state, request).await;
        let v = answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid-template");
        assert_eq!(v["error"]["file"], "broken.yaml");
        assert_eq!(v["error"]["line"], engine.line);
        assert_eq!(v["error"]["column"], engine.col);
        assert_eq!(v["error"]["message"], engine.message);
    }

    let not_a_template = oneshot(&state, post_json(ANALYZE, &json!({"template": "hello: world\n"}))).await;
    let v = not_a_template.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid-template");
    assert_eq!(v["error"]["file"], "template.yaml");
    assert_eq!(v["error"]["line"], 1);
}

#[tokio::test]
async fn an_upload_that_is_not_utf8_is_422_at_line_1() {
    let mut request = multipart(ANALYZE, &[("template", Some("binary.yaml"), "PLACEHOLDER")]);
    let body = String::from_utf8(axum::body::to_bytes(std::mem::take(request.body_mut()), usize::MAX).await.unwrap().to_vec()).unwrap();
    let mut bytes = body.replace("PLACEHOLDER", "Resources: \u{1}").into_bytes();
    let at = bytes.iter().position(|&b| b == 1).unwrap();
    bytes[at] = 0xff;
    *request.body_mut() = axum::body::Body::from(bytes);
    let answer = oneshot(&state(), request).await;
    let v = answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid-template");
    assert_eq!((v["error"]["file"].as_str(), v["error"]["line"].as_u64(), v["error"]["column"].as_u64()), (Some("binary.yaml"), Some(1), Some(1)));
}

#[tokio::test]
async fn unreadable_metrics_are_reported_inside_a_successful_report() {
    let state = state();
    let body = json!({
        "template": orders_template(),
        "metrics": [{"name": "notes.txt", "content": "these are not metrics", "resource": null}],
    });
    let answer = oneshot(&state, post_json(ANALYZE, &body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let errors = answer.json()["metrics"]["errors"].clone();
    assert_eq!(errors.as_array().map(Vec::len), Some(1), "{errors}");
    assert_eq!(errors[0]["file"], "notes.txt");

    let form = multipart(ANALYZE, &[("template", Some("t.yaml"), &orders_template()), ("metrics", Some("notes.txt"), "not metrics either")]);
    let answer = oneshot(&state, form).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["metrics"]["errors"][0]["file"], "notes.txt");
}

#[tokio::test]
async fn metrics_files_bind_to_the_resource_chosen_for_them() {
    let state = state();
    let template = orders_template();
    let bound_to = |answer: &Answer| answer.json()["metrics"]["files"][0]["bound_to"].clone();

    let json_body = json!({
        "template": template,
        "metrics": [{"name": "report.log", "content": REPORT_LINES, "resource": "CreateOrderFunction"}],
    });
    let by_json = oneshot(&state, post_json(ANALYZE, &json_body)).await;
    assert_eq!(by_json.status, StatusCode::OK, "{}", by_json.text());
    assert_eq!(bound_to(&by_json), json!(["CreateOrderFunction"]), "{}", by_json.json()["metrics"]);

    let by_field = oneshot(
        &state,
        multipart(ANALYZE, &[
            ("template", Some("orders-api.yaml"), &template),
            ("metrics", Some("report.log"), REPORT_LINES),
            ("metrics_resource", None, "CreateOrderFunction"),
        ]),
    )
    .await;
    assert_eq!(bound_to(&by_field), json!(["CreateOrderFunction"]), "{}", by_field.json()["metrics"]);

    let by_part_name = oneshot(
        &state,
        multipart(ANALYZE, &[
            ("template", Some("orders-api.yaml"), &template),
            ("metrics:CreateOrderFunction", Some("report.log"), REPORT_LINES),
        ]),
    )
    .await;
    assert_eq!(bound_to(&by_part_name), json!(["CreateOrderFunction"]), "{}", by_part_name.json()["metrics"]);
    assert_eq!(by_part_name.json()["findings"], by_json.json()["findings"]);
}

#[tokio::test]
async fn ignored_rules_are_not_reported() {
    let state = state();
    let template = orders_template();
    let all = oneshot(&state, post_json(ANALYZE, &json!({"template": template}))).await.json();
    let codes: Vec<String> = all["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    let (first, second) = (&codes[0], codes.iter().find(|c| *c != &codes[0]).expect("two different rules fire"));

    let fired = |report: &serde_json::Value, code: &str| report["findings"].as_array().unwrap().iter().any(|f| f["rule"] == code);
    let by_json = oneshot(&state, post_json(ANALYZE, &json!({"template": template, "ignore": [format!("{first},{second}")]}))).await.json();
    assert!(!fired(&by_json, first) && !fired(&by_json, second));
    let by_form = oneshot(
        &state,
        multipart(ANALYZE, &[("template", Some("t.yaml"), &template), ("ignore", None, first), ("ignore", None, second)]),
    )
    .await
    .json();
    assert!(!fired(&by_form, first) && !fired(&by_form, second));
    assert_eq!(by_form["findings"], by_json["findings"]);
}

#[tokio::test]
async fn malformed_bodies_get_the_envelope() {
    let state = state();
    let raw = |content_type: Option<&str>, body: &str| {
        let mut builder = axum::http::Request::post(ANALYZE);
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(axum::body::Body::from(body.to_string())).unwrap()
    };
    oneshot(&state, raw(Some("application/json"), "{\"template\": ")).await.assert_error(StatusCode::BAD_REQUEST, "bad-request");
    let missing = oneshot(&state, raw(Some("application/json"), "{\"metrics\": []}")).await;
    let v = missing.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable");
    assert!(v["error"]["message"].as_str().unwrap().contains("template"), "{v}");
    oneshot(&state, raw(Some("application/json"), "{\"template\": 3}")).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable");
    let typo = oneshot(&state, raw(Some("application/json"), "{\"template\": \"a: b\", \"ignored\": []}")).await;
    let v = typo.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable");
    assert!(v["error"]["message"].as_str().unwrap().contains("ignored"), "{v}");
    oneshot(&state, raw(Some("text/plain"), SMALL_TEMPLATE)).await.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    oneshot(&state, raw(None, SMALL_TEMPLATE)).await.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    oneshot(&state, raw(Some("multipart/form-data"), "x")).await.assert_error(StatusCode::BAD_REQUEST, "bad-request");
}

#[tokio::test]
async fn malformed_forms_get_the_envelope() {
    let state = state();
    let cases: [(&[(&str, Option<&str>, &str)], &str); 4] = [
        (&[("metrics", Some("m.log"), REPORT_LINES)], "no `template`"),
        (&[("template", Some("t.yaml"), SMALL_TEMPLATE), ("tempalte", None, "x")], "unknown form field `tempalte`"),
        (&[("template", Some("t.yaml"), SMALL_TEMPLATE), ("template", Some("u.yaml"), SMALL_TEMPLATE)], "more than one"),
        (&[("template", Some("t.yaml"), SMALL_TEMPLATE), ("metrics_resource", None, "Fn")], "1 `metrics_resource` fields for 0"),
    ];
    for (parts, expected) in cases {
        let answer = oneshot(&state, multipart(ANALYZE, parts)).await;
        let v = answer.assert_error(StatusCode::BAD_REQUEST, "bad-request");
        assert!(v["error"]["message"].as_str().unwrap().contains(expected), "{expected}: {v}");
    }
}

#[tokio::test]
async fn analyze_over_a_real_socket_with_json_and_a_form() {
    let state = state();
    let addr = spawn(state.clone()).await;
    let body = json!({"template": orders_template(), "name": "orders-api.yaml"});
    let by_socket = over_socket(addr, post_json(ANALYZE, &body)).await;
    assert_eq!(by_socket.status, StatusCode::OK, "{}", by_socket.text());
    let in_process = oneshot(&state, post_json(ANALYZE, &body)).await;
    assert_eq!(by_socket.text(), in_process.text());

    let form = over_socket(addr, multipart(&format!("{ANALYZE}?format=markdown"), &[("template", Some("orders-api.yaml"), &orders_template())])).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.header("content-type"), "text/markdown; charset=utf-8");
    assert!(form.text().contains("orders-api.yaml"), "{}", form.text());

    let broken = over_socket(addr, post_json(ANALYZE, &json!({"template": "hello: world\n"}))).await;
    broken.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid-template");
}
