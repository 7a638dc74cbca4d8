//! The HTTP API in-process (`oneshot`), no socket.

use archlens::{AppState, app, load_knowledge};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn state() -> AppState {
    AppState::new(load_knowledge().unwrap(), archlens::default_assets_dir())
}

async fn get(uri: &str) -> (StatusCode, serde_json::Value) {
    let res = app(state()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn health_answers() {
    let (status, body) = get("/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn knowledge_returns_the_whole_graph() {
    let (status, body) = get("/api/v1/knowledge").await;
    assert_eq!(status, StatusCode::OK);
    let nodes = body["nodes"].as_array().unwrap();
    let count = |kind: &str| nodes.iter().filter(|n| n["kind"] == kind).count();
    assert!(count("remedy") >= 58 && count("symptom") >= 24 && count("metric") >= 29);
    let edges = body["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["kind"] == "remedied-by" && e["from"] == "dynamodb-hot-reads" && e["to"] == "dynamodb-dax"));
    assert!(edges.iter().any(|e| e["kind"] == "indicates" && e["from"] == "AWS/Lambda/Throttles" && e["condition"].as_str().unwrap().contains("Sum > 0")));
}

#[tokio::test]
async fn knowledge_node_by_id_including_metric_ids_with_slashes() {
    let (status, body) = get("/api/v1/knowledge/dynamodb-dax").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["node"]["kind"], "remedy");
    assert!(body["treats"].as_array().unwrap().iter().any(|s| s["id"] == "dynamodb-hot-reads"));
    let (status, body) = get("/api/v1/knowledge/AWS/Lambda/Throttles").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["node"]["namespace"], "AWS/Lambda");
    assert!(!body["indicates"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_node_is_a_json_404() {
    let (status, body) = get("/api/v1/knowledge/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not-found");
    assert!(body["error"]["message"].as_str().unwrap().contains("no-such-thing"));
}

// ---------------------------------------------------------------------------------------------
// Rules, readiness, metrics, the error envelope for what no handler wrote, and the OpenAPI
// document.

mod support;

use support::{Answer, oneshot, over_socket, spawn};

#[tokio::test]
async fn rules_lists_every_rule_with_its_documentation() {
    let answer = oneshot(&state(), support::get("/api/v1/rules")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let rules = answer.json();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), archlens_shared::rules::all().len());
    for rule in rules {
        for key in ["code", "name", "severity", "pillar", "symptoms", "remedies", "summary", "docs"] {
            assert!(!rule[key].is_null(), "{key} missing in {rule}");
        }
        assert!(rule["docs"].as_str().unwrap().contains("## What it does"), "{rule}");
        assert!(!rule["remedies"].as_array().unwrap().is_empty());
    }
    let codes: Vec<&str> = rules.iter().map(|r| r["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "in code order");
}

#[tokio::test]
async fn one_rule_by_code_or_name_and_a_404_envelope_otherwise() {
    let state = state();
    let first = archlens_shared::rules::all()[0].meta();
    for key in [first.code.to_string(), first.code.to_ascii_lowercase(), first.name.to_string()] {
        let answer = oneshot(&state, support::get(&format!("/api/v1/rules/{key}"))).await;
        assert_eq!(answer.status, StatusCode::OK, "{key}");
        let rule = answer.json();
        assert_eq!(rule["code"], first.code);
        assert_eq!(rule["severity"], first.severity.as_str());
        assert_eq!(rule["summary"], first.summary());
    }
    let v = oneshot(&state, support::get("/api/v1/rules/NOPE-999")).await.assert_error(StatusCode::NOT_FOUND, "not-found");
    assert!(v["error"]["message"].as_str().unwrap().contains("NOPE-999"));
}

#[tokio::test]
async fn ready_answers_ready() {
    let answer = oneshot(&state(), support::get("/api/v1/ready")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), serde_json::json!({"status": "ready"}));
}

#[tokio::test]
async fn unknown_api_paths_and_methods_get_the_envelope() {
    let state = state();
    for path in ["/api/v1/nope", "/api/v2/rules", "/api", "/api/", "/api/v1/rules/LAMBDA-001/extra"] {
        let answer = oneshot(&state, support::get(path)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        let v = answer.assert_error(StatusCode::NOT_FOUND, "not-found");
        assert!(v["error"]["message"].as_str().unwrap().contains(path.trim_end_matches('/')), "{path}: {v}");
    }
    let delete = Request::delete("/api/v1/rules").body(Body::empty()).unwrap();
    let answer = oneshot(&state, delete).await;
    answer.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    assert_eq!(answer.header("allow"), "GET,HEAD");
    let get_analyze = oneshot(&state, support::get("/api/v1/analyze")).await;
    get_analyze.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
}

#[tokio::test]
async fn metrics_expose_requests_and_analyses_in_prometheus_text() {
    let state = state();
    oneshot(&state, support::get("/api/v1/rules/LAMBDA-001")).await;
    oneshot(&state, support::get("/api/v1/rules/NOPE-1")).await;
    let analysis = serde_json::json!({"template": support::SMALL_TEMPLATE});
    assert_eq!(oneshot(&state, support::post_json("/api/v1/analyze", &analysis)).await.status, StatusCode::OK);
    let broken = serde_json::json!({"template": "hello: world\n"});
    oneshot(&state, support::post_json("/api/v1/analyze", &broken)).await;

    let answer = oneshot(&state, support::get("/metrics")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("content-type").starts_with("application/openmetrics-text"));
    let text = answer.text();
    for line in [
        "http_requests_total{method=\"GET\",route=\"/api/v1/rules/{code}\",status=\"200\"} 1",
        "http_requests_total{method=\"GET\",route=\"/api/v1/rules/{code}\",status=\"404\"} 1",
        "http_requests_total{method=\"POST\",route=\"/api/v1/analyze\",status=\"422\"} 1",
        "http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/analyze\"} 2",
        "# TYPE http_request_duration_seconds histogram",
        "archlens_analyses_total 2",
        "archlens_analysis_errors_total{reason=\"template\"} 1",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    assert!(text.trim_end().ends_with("# EOF"));
}

#[tokio::test]
async fn unmatched_paths_are_one_series_not_one_per_path() {
    let state = state();
    for i in 0..3 {
        oneshot(&state, support::get(&format!("/api/v1/no-such-{i}"))).await;
    }
    let text = oneshot(&state, support::get("/metrics")).await.text();
    assert!(text.contains("http_requests_total{method=\"GET\",route=\"/api/{*rest}\",status=\"404\"} 3"), "{text}");
    assert!(!text.contains("no-such"), "{text}");
}

#[tokio::test]
async fn probes_rules_and_metrics_over_a_real_socket() {
    let addr = spawn(state()).await;
    let ready: Answer = over_socket(addr, support::get("/api/v1/ready")).await;
    assert_eq!(ready.json()["status"], "ready");
    let rules = over_socket(addr, support::get("/api/v1/rules")).await;
    assert_eq!(rules.json().as_array().unwrap().len(), archlens_shared::rules::all().len());
    over_socket(addr, support::get("/api/v1/rules/NOPE-1")).await.assert_error(StatusCode::NOT_FOUND, "not-found");
    let metrics = over_socket(addr, support::get("/metrics")).await.text();
    assert!(metrics.contains("route=\"/api/v1/rules\""), "{metrics}");
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let answer = oneshot(&state(), support::get("/api/v1/openapi.json")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc);
}

/// Every path and method the document lists is served (not a 404 or 405 from the router).
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let state = state();
    let doc = oneshot(&state, support::get("/api/v1/openapi.json")).await.json();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 8, "{paths:?}");
    for (path, operations) in paths {
        let concrete = path.replace("{code}", "LAMBDA-001").replace("{id}", "dynamodb-dax").replace("{key}", "LAMBDA-001:Fn:Resources");
        for method in operations.as_object().unwrap().keys() {
            let request = Request::builder().method(method.to_ascii_uppercase().as_str()).uri(&concrete).body(Body::empty()).unwrap();
            let answer = oneshot(&state, request).await;
            assert!(
                answer.status != StatusCode::NOT_FOUND && answer.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {}",
                answer.status
            );
        }
    }
}

/// The reverse: every route the API modules declare (`.route("…", get(…).post(…))` in
/// `src/api/*.rs`) is in the document with each of its methods.
#[tokio::test]
async fn every_api_route_is_documented() {
    let doc = oneshot(&state(), support::get("/api/v1/openapi.json")).await.json();
    let paths = doc["paths"].as_object().unwrap();
    let dir = support::workspace().join("backend/src/api");
    let mut routes = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().path();
        let source = std::fs::read_to_string(&file).unwrap();
        for (at, _) in source.match_indices(".route(\"") {
            let rest = &source[at + 8..];
            let path = &rest[..rest.find('"').unwrap()];
            // The methods: `get(`, `post(`… up to the end of this `.route(…)` call.
            let mut depth = 0;
            let end = rest.char_indices().find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => return true,
                    ')' => depth -= 1,
                    _ => {}
                }
                false
            });
            let call = &rest[..end.unwrap().0];
            let methods: Vec<&str> = ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|m| call.contains(&format!("{m}(")))
                .collect();
            assert!(!methods.is_empty(), "no method in `.route({call})` of {}", file.display());
            routes.push((format!("/api/v1{}", path.replace("{*", "{")), methods));
        }
    }
    assert!(routes.len() >= 15, "{routes:?}");
    let mut missing = Vec::new();
    for (path, methods) in &routes {
        for method in methods {
            if paths.get(path).and_then(|p| p.get(*method)).is_none() {
                missing.push(format!("{} {path}", method.to_ascii_uppercase()));
            }
        }
    }
    assert!(missing.is_empty(), "routes missing from the OpenAPI document (add `#[utoipa::path]` and list them in api/openapi.rs): {missing:?}");
}

/// The JSON schema of one documented response.
fn response_schema<'a>(doc: &'a serde_json::Value, path: &str, method: &str, status: &str) -> &'a serde_json::Value {
    let schema = &doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"];
    assert!(!schema.is_null(), "no JSON schema documented for {method} {path} {status}");
    schema
}

/// The report schema, written by hand for the shared crate's types, describes real reports:
/// every key a report has is documented, every required key is there.
#[tokio::test]
async fn real_reports_fit_the_documented_report_schema() {
    let state = state();
    let doc = oneshot(&state, support::get("/api/v1/openapi.json")).await.json();
    let metrics = "REPORT RequestId: 1\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 512 MB\tMax Memory Used: 70 MB\tInit Duration: 980.41 ms\n";
    let body = serde_json::json!({
        "template": support::orders_template(),
        "metrics": [{"name": "report.log", "content": metrics, "resource": "CreateOrderFunction"}, {"name": "bad", "content": "?"}],
    });
    let report = oneshot(&state, support::post_json("/api/v1/analyze", &body)).await.json();
    let mut problems = Vec::new();
    check(&doc, &doc["components"]["schemas"]["Report"], &report, "report", &mut problems);
    assert!(problems.is_empty(), "update the report schema in backend/src/api/openapi.rs:\n{}", problems.join("\n"));
}

fn check(doc: &serde_json::Value, schema: &serde_json::Value, value: &serde_json::Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        return check(doc, &doc["components"]["schemas"][name], value, at, problems);
    }
    // `oneOf` (an optional reference, as utoipa writes it): one alternative must fit.
    if let Some(alternatives) = schema["oneOf"].as_array() {
        let fits = alternatives.iter().any(|alternative| {
            let mut found = Vec::new();
            check(doc, alternative, value, at, &mut found);
            found.is_empty()
        });
        if !fits {
            problems.push(format!("{at} fits none of the `oneOf` schemas: {value}"));
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        serde_json::Value::String(t) => vec![t.as_str()],
        serde_json::Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => Vec::new(),
    };
    let actual = match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    };
    let fits = types.is_empty() || types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
    if !fits {
        problems.push(format!("{at} is {actual}, documented as {types:?}"));
    }
    if let (Some(allowed), Some(text)) = (schema["enum"].as_array(), value.as_str())
        && !allowed.iter().any(|a| a == text)
    {
        problems.push(format!("{at} is `{text}`, not one of {allowed:?}"));
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object()) {
        for key in object.keys() {
            match properties.get(key) {
                Some(sub) => check(doc, sub, &object[key], &format!("{at}.{key}"), problems),
                None => problems.push(format!("{at}.{key} is not documented")),
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            if !object.contains_key(required.as_str().unwrap()) {
                problems.push(format!("{at}.{required} is required but missing"));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(doc, items, item, &format!("{at}[{i}]"), problems);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `POST /api/v1/metrics-query`: the queries `archlens metrics-query` writes, over HTTP.

const ORDERS_WITH_QUEUE: &str = "\
Resources:
  Orders:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: orders-fn, Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}, Timeout: 10}
  Jobs: {Type: AWS::SQS::Queue}
  Role: {Type: AWS::IAM::Role}
";

#[tokio::test]
async fn metrics_query_writes_queries_that_bind_back_to_the_templates_resources() {
    let state = state();
    let body = serde_json::json!({"template": ORDERS_WITH_QUEUE, "name": "stacks/shop.yaml", "stack_name": "shop", "period": 60, "hours": 6});
    let answer = oneshot(&state, support::post_json("/api/v1/metrics-query", &body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert!(answer.header("content-type").starts_with("application/json"));
    let plan = answer.json();
    assert_eq!(plan["file"], "shop.yaml");
    assert_eq!(plan["resources"], 3);

    let queries = plan["queries"].as_array().unwrap();
    let decoded: Vec<(String, String, String, String)> = queries
        .iter()
        .map(|q| {
            let id = q["Id"].as_str().unwrap();
            archlens_shared::metrics::query_id::decode(id).unwrap_or_else(|| panic!("{id} does not decode"))
        })
        .collect();
    assert!(decoded.iter().any(|(r, ns, m, s)| r == "Orders" && ns == "AWS/Lambda" && m == "Throttles" && s == "Sum"), "{decoded:?}");
    assert!(decoded.iter().any(|(r, ns, m, _)| r == "Jobs" && ns == "AWS/SQS" && m == "ApproximateAgeOfOldestMessage"), "{decoded:?}");
    assert!(decoded.iter().all(|(r, ..)| r == "Orders" || r == "Jobs"), "only resources with metrics: {decoded:?}");
    for (q, (resource, namespace, metric, _)) in queries.iter().zip(&decoded) {
        let stat = &q["MetricStat"];
        assert_eq!(stat["Period"], 60);
        assert_eq!(&stat["Metric"]["Namespace"], namespace);
        assert_eq!(&stat["Metric"]["MetricName"], metric);
        let value = &stat["Metric"]["Dimensions"][0]["Value"];
        match resource.as_str() {
            "Orders" => assert_eq!(value, "orders-fn", "the name the template fixes"),
            _ => assert_eq!(value, "${Jobs}", "a placeholder for a generated name"),
        }
    }
    assert_eq!(plan["placeholders"], serde_json::json!([{"placeholder": "${Jobs}", "logical_id": "Jobs", "transform": "last-segment"}]));
    let script = plan["script"].as_str().unwrap();
    assert!(script.contains("STACK=${STACK:-shop}"), "{script}");
    assert!(script.contains("aws cloudwatch get-metric-data --metric-data-queries \"file://$RESOLVED\""), "{script}");
    assert!(script.contains("-d '-6 hours'"), "{script}");
    assert!(plan["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("REPORT")));

    // What the command line writes for the same template and options.
    let dir = support::TempDir::new("metrics-query");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join("shop.yaml"), ORDERS_WITH_QUEUE).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archlens"))
        .current_dir(&dir.0)
        .args(["metrics-query", "shop.yaml", "--stack-name", "shop", "--period", "60", "--hours", "6", "--output", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli_queries: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(&cli_queries, &plan["queries"], "the same queries as the command line");
    assert!(String::from_utf8_lossy(&out.stderr).contains(script), "the same script as the command line");

    // A response to those queries, alone, binds to the template's resources in `/analyze`.
    let throttles = queries.iter().map(|q| q["Id"].as_str().unwrap()).find(|id| id.contains("Throttles")).unwrap();
    let response = format!(
        r#"{{"MetricDataResults": [{{"Id": "{throttles}", "Label": "Throttles", "Timestamps": ["2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z"], "Values": [4, 9], "StatusCode": "Complete"}}]}}"#
    );
    let analysis = serde_json::json!({"template": ORDERS_WITH_QUEUE, "metrics": [{"name": "metrics-response.json", "content": response}]});
    let report = oneshot(&state, support::post_json("/api/v1/analyze", &analysis)).await.json();
    assert_eq!(report["metrics"]["bound"], 1, "{}", report["metrics"]);
}

#[tokio::test]
async fn metrics_query_defaults_are_the_commands() {
    let body = serde_json::json!({"template": ORDERS_WITH_QUEUE});
    let plan = oneshot(&state(), support::post_json("/api/v1/metrics-query", &body)).await.json();
    assert_eq!(plan["file"], "template.yaml");
    assert!(plan["queries"].as_array().unwrap().iter().all(|q| q["MetricStat"]["Period"] == 300), "{plan}");
    let script = plan["script"].as_str().unwrap();
    assert!(script.contains("-d '-24 hours'") && script.contains("STACK=${STACK:-REPLACE-WITH-STACK-NAME}"), "{script}");
}

#[tokio::test]
async fn metrics_query_reports_an_unreadable_template_with_file_and_line() {
    let state = state();
    let broken = "Resources:\n  Orders:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.12\n  Jobs: [\n";
    let answer = oneshot(&state, support::post_json("/api/v1/metrics-query", &serde_json::json!({"template": broken, "name": "shop.yaml"}))).await;
    let v = answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid-template");
    assert_eq!(v["error"]["file"], "shop.yaml");
    let line = v["error"]["line"].as_u64().unwrap();
    assert!((4..=6).contains(&line), "the line of the unclosed mapping: {v}");
    assert!(v["error"]["column"].as_u64().unwrap() >= 1, "{v}");

    // The same error as `/analyze` gives for that template.
    let analyzed = oneshot(&state, support::post_json("/api/v1/analyze", &serde_json::json!({"template": broken, "name": "shop.yaml"}))).await;
    assert_eq!(analyzed.json(), v);

    let not_cfn = oneshot(&state, support::post_json("/api/v1/metrics-query", &serde_json::json!({"template": "hello: world\n"}))).await;
    let v = not_cfn.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid-template");
    assert_eq!(v["error"]["file"], "template.yaml");
    assert_eq!(v["error"]["line"], 1, "{v}");
}

#[tokio::test]
async fn metrics_query_refuses_periods_and_ranges_cloudwatch_would_not_take() {
    let state = state();
    let ask = |extra: serde_json::Value| {
        let mut body = serde_json::json!({"template": ORDERS_WITH_QUEUE});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        support::post_json("/api/v1/metrics-query", &body)
    };
    for (extra, mentions) in [
        (serde_json::json!({"period": 90}), "period"),
        (serde_json::json!({"period": 0}), "period"),
        (serde_json::json!({"period": -60}), "period"),
        (serde_json::json!({"period": 7}), "period"),
        (serde_json::json!({"period": 7200, "hours": 1}), "period"),
        (serde_json::json!({"hours": 0}), "hours"),
        (serde_json::json!({"hours": 100_000}), "hours"),
        (serde_json::json!({"stack_name": "shop; rm -rf ~"}), "stack_name"),
    ] {
        let v = oneshot(&state, ask(extra.clone())).await.assert_error(StatusCode::BAD_REQUEST, "bad-request");
        assert!(v["error"]["message"].as_str().unwrap().contains(mentions), "{extra}: {v}");
    }
    for ok in [serde_json::json!({"period": 1, "hours": 3}), serde_json::json!({"period": 30}), serde_json::json!({"period": 3600, "hours": 10920})] {
        assert_eq!(oneshot(&state, ask(ok.clone())).await.status, StatusCode::OK, "{ok}");
    }
    // Wrong types and unknown fields, as for every JSON body.
    oneshot(&state, ask(serde_json::json!({"period": "300"}))).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable");
    oneshot(&state, ask(serde_json::json!({"output": "x.json"}))).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable");
}

#[tokio::test]
async fn metrics_query_keeps_the_size_limits() {
    let config = archlens::config::ServerConfig {
        limits: archlens::config::Limits { max_template_bytes: 200, max_body_bytes: 4096, ..Default::default() },
        ..Default::default()
    };
    let state = support::state_with(config);
    let template = format!("{ORDERS_WITH_QUEUE}# {}\n", "x".repeat(300));
    let v = oneshot(&state, support::post_json("/api/v1/metrics-query", &serde_json::json!({"template": template})))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    assert!(v["error"]["message"].as_str().unwrap().contains("template"), "{v}");
    let huge = format!("{ORDERS_WITH_QUEUE}# {}\n", "x".repeat(5000));
    oneshot(&state, support::post_json("/api/v1/metrics-query", &serde_json::json!({"template": huge})))
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
}

#[tokio::test]
async fn metrics_query_answers_fit_the_documented_schema() {
    let state = state();
    let doc = oneshot(&state, support::get("/api/v1/openapi.json")).await.json();
    let body = serde_json::json!({"template": support::orders_template(), "stack_name": "shop"});
    let plan = oneshot(&state, support::post_json("/api/v1/metrics-query", &body)).await.json();
    assert!(!plan["queries"].as_array().unwrap().is_empty() && !plan["placeholders"].as_array().unwrap().is_empty(), "{plan}");
    let mut problems = Vec::new();
    check(&doc, response_schema(&doc, "/api/v1/metrics-query", "post", "200"), &plan, "plan", &mut problems);
    assert!(problems.is_empty(), "update the schemas in backend/src/api/metrics_query.rs:\n{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The reviews' answers, written by hand as documentation-only schemas, against real ones.

#[tokio::test]
async fn review_answers_fit_the_documented_schemas() {
    let dir = support::TempDir::new("review-schemas");
    let state = support::state_with_reviews(Default::default(), &dir).await;
    let doc = oneshot(&state, support::get("/api/v1/openapi.json")).await.json();
    let mut problems = Vec::new();
    let mut fits = |value: &serde_json::Value, path: &str, method: &str, status: &str| {
        check(&doc, response_schema(&doc, path, method, status), value, &format!("{method} {path}"), &mut problems);
    };

    let body = serde_json::json!({"template": support::orders_template(), "name": "Orders API"});
    let created = oneshot(&state, support::post_json("/api/v1/reviews", &body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let created = created.json();
    fits(&created, "/api/v1/reviews", "post", "201");
    let id = created["id"].as_str().unwrap().to_string();
    let key = created["review"]["findings"][0]["key"].as_str().unwrap().to_string();
    let encoded: String = key.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }).collect();

    let status = oneshot(&state, support::post_json(&format!("/api/v1/reviews/{id}/findings/{encoded}/status"), &serde_json::json!({"status": "accepted", "version": 1}))).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text());
    fits(&status.json(), "/api/v1/reviews/{id}/findings/{key}/status", "post", "200");
    let comment = oneshot(&state, support::post_json(&format!("/api/v1/reviews/{id}/findings/{encoded}/comments"), &serde_json::json!({"text": "fine for now", "version": 2, "author": "ada"}))).await;
    assert_eq!(comment.status, StatusCode::OK, "{}", comment.text());
    fits(&comment.json(), "/api/v1/reviews/{id}/findings/{key}/comments", "post", "200");
    let reanalysis = oneshot(&state, support::post_json(&format!("/api/v1/reviews/{id}/reanalyze"), &serde_json::json!({"template": SMALL_REVIEW_TEMPLATE}))).await;
    assert_eq!(reanalysis.status, StatusCode::OK, "{}", reanalysis.text());
    let reanalysis = reanalysis.json();
    assert!(reanalysis["changes"]["fixed"].as_u64().unwrap() > 0, "{}", reanalysis["changes"]);
    fits(&reanalysis, "/api/v1/reviews/{id}/reanalyze", "post", "200");

    let review = oneshot(&state, support::get(&format!("/api/v1/reviews/{id}"))).await.json();
    assert!(review["findings"].as_array().unwrap().iter().any(|f| !f["comments"].as_array().unwrap().is_empty()));
    fits(&review, "/api/v1/reviews/{id}", "get", "200");
    fits(&oneshot(&state, support::get("/api/v1/reviews")).await.json(), "/api/v1/reviews", "get", "200");

    // Every kind of event, replayed from version 0, against `ReviewEvent`.
    let mut request = support::get(&format!("/api/v1/reviews/{id}/events"));
    request.headers_mut().insert("last-event-id", axum::http::HeaderValue::from_static("0"));
    let events = support::first_events(&state, request, 5).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["ready", "created", "status", "comment", "reanalysis"]);
    for event in &events {
        assert_eq!(event.data["kind"], event.event.as_str());
        check(&doc, &doc["components"]["schemas"]["ReviewEvent"], &event.data, &format!("event {}", event.event), &mut problems);
    }
    assert!(problems.is_empty(), "update the schemas in backend/src/api/reviews.rs:\n{}", problems.join("\n"));
}

/// A function on its own: every finding of the orders API vanishes (becomes fixed).
const SMALL_REVIEW_TEMPLATE: &str = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Only:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
";
