//! Metrics diagnosis end to end: every symptom of the knowledge graph that a metric can show is
//! detected from numbers that meet its condition and NOT from healthy numbers, through the
//! real pipeline (CSV parsing, binding to the template resource, windowed evaluation); plus
//! realistic fixtures in the other formats and the joins with template facts.

use archlens_shared::analysis::{self, MetricsFile, Options, Report};
use archlens_shared::knowledge::{self, Combine, Op};

const WINDOWS: i64 = 12;

fn yaml_property(path: &str, value: f64) -> String {
    match path.split_once('.') {
        Some((a, b)) => format!("      {a}: {{{b}: {value}}}\n"),
        None => format!("      {path}: {value}\n"),
    }
}

/// A template with one resource `Subject` and a CSV that is sick or healthy for `symptom`.
fn case(symptom_id: &str, sick: bool) -> Option<(String, String)> {
    let kb = knowledge::embedded();
    let symptom = kb.symptom(symptom_id)?;
    let ind = symptom.indicators.first()?;
    let metric = kb.metric(&ind.metric).unwrap();
    let type_name = symptom.resource_types.iter().find(|t| metric.resource_types.contains(t)).unwrap_or(&symptom.resource_types[0]).clone();
    let c = &ind.condition;
    let thr = c.threshold;
    let target = |sick: bool| -> f64 {
        match (c.op, sick) {
            (Op::Gt | Op::Ge, true) => if thr == 0.0 { 5.0 } else { thr * 1.5 },
            (Op::Gt | Op::Ge, false) => if thr == 0.0 { 0.0 } else { thr * 0.5 },
            (Op::Lt | Op::Le, true) => thr * 0.5,
            (Op::Lt | Op::Le, false) => thr * 1.5,
            (Op::Increasing, _) => 0.0,
        }
    };
    let mut properties = String::new();
    let mut rows = vec!["timestamp,namespace,metric,dimension_name,dimension_value,statistic,value,unit".to_string()];
    let mut row = |i: i64, m: &str, stat: &str, v: f64, unit: &str| {
        let (ns, name) = m.rsplit_once('/').unwrap();
        let dim = kb.metric(m).map_or("Name".to_string(), |x| x.dimension.clone());
        let t = 1_700_000_000 + i * c.window_minutes as i64 * 60;
        rows.push(format!("{t},{ns},{name},{dim},prod-Subject-1ABC,{stat},{v},{unit}"));
    };
    for i in 0..WINDOWS {
        let mut value = target(sick);
        if c.op == Op::Increasing {
            value = if sick { 1000.0 + i as f64 * 500.0 } else { 1000.0 };
        }
        if let Some(rel) = &c.relative_to {
            if let Some(other) = &rel.metric {
                let base = 1000.0;
                let stat = rel.statistic.as_deref().unwrap_or(&c.statistic);
                let unit = kb.metric(other).map_or("Count".to_string(), |m| m.unit.clone());
                row(i, other, stat, base, &unit);
                value = match rel.combine { Combine::Ratio => base * value, Combine::Difference => base + value };
            } else if let Some(p) = &rel.property {
                let pv = match p.as_str() { "Timeout" => 10.0, "MemorySize" => 1024.0, _ => 100.0 };
                if i == 0 {
                    properties.push_str(&yaml_property(p, pv));
                }
                let factor = if rel.unit.as_deref() == Some("Seconds") && metric.unit == "Milliseconds" { 1000.0 } else { 1.0 };
                value *= pv * factor;
            }
        }
        row(i, &ind.metric, &c.statistic, value, &metric.unit);
    }
    let template = format!("Resources:\n  Subject:\n    Type: {type_name}\n    Properties:\n{}", if properties.is_empty() { "      {}\n".to_string() } else { properties });
    let template = template.replace("    Properties:\n      {}\n", "    Properties: {}\n");
    Some((template, rows.join("\n")))
}

fn analyze_with(template: &str, name: &str, content: &str, resource: Option<&str>) -> Report {
    let options = Options { metrics: vec![MetricsFile { name: name.into(), content: content.into(), resource: resource.map(String::from) }], ..Default::default() };
    analysis::analyze(template, &options).unwrap_or_else(|e| panic!("{e}\n{template}"))
}

fn shows(report: &Report, resource: &str, symptom: &str) -> bool {
    report.findings.iter().any(|f| f.resource.as_deref() == Some(resource) && f.symptoms.iter().any(|s| s == symptom) && !f.chain.is_empty())
}

#[test]
fn every_measurable_symptom_is_detected_when_sick_and_not_when_healthy() {
    let kb = knowledge::embedded();
    let mut problems = Vec::new();
    let mut checked = 0;
    for symptom in kb.symptoms() {
        let Some((template, sick)) = case(&symptom.id, true) else { continue };
        let (_, healthy) = case(&symptom.id, false).unwrap();
        let report = analyze_with(&template, "sick.csv", &sick, None);
        if report.metrics.bound == 0 {
            problems.push(format!("{}: series did not bind to Subject ({:?})", symptom.id, report.metrics.unbound));
        }
        if !shows(&report, "Subject", &symptom.id) {
            problems.push(format!("{}: not detected from sick numbers\n{sick}\n{template}", symptom.id));
        }
        let report = analyze_with(&template, "healthy.csv", &healthy, None);
        if shows(&report, "Subject", &symptom.id) {
            problems.push(format!("{}: detected from healthy numbers\n{healthy}", symptom.id));
        }
        checked += 1;
    }
    assert!(checked >= 23, "only {checked} symptoms have indicators");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

const FN_TEMPLATE: &str = "
Transform: AWS::Serverless-2016-10-31
Resources:
  ResizeFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      MemorySize: 1024
      Timeout: 3
      Architectures: [arm64]
";

#[test]
fn report_lines_show_cold_starts_overprovisioned_memory_and_near_timeouts() {
    let mut lines = String::new();
    for i in 0..40 {
        let init = if i % 5 == 0 { "\tInit Duration: 1450.20 ms" } else { "" };
        lines.push_str(&format!("START RequestId: {i}\nREPORT RequestId: 6f1c{i:04}-aaaa-bbbb-cccc-000000000000\tDuration: {}.40 ms\tBilled Duration: {} ms\tMemory Size: 1024 MB\tMax Memory Used: 180 MB{init}\n", 2500 + i, 2501 + i));
    }
    let report = analyze_with(FN_TEMPLATE, "resize.log", &lines, Some("ResizeFunction"));
    for symptom in ["lambda-cold-starts", "lambda-memory-overprovisioned", "lambda-near-timeout"] {
        assert!(shows(&report, "ResizeFunction", symptom), "{symptom}: {:#?}", report.findings.iter().map(|f| (&f.rule, &f.message)).collect::<Vec<_>>());
    }
    let cold = report.findings.iter().find(|f| f.symptoms.iter().any(|s| s == "lambda-cold-starts")).unwrap();
    // Template facts join the numbers: the function already runs on arm64, so arm64 is not offered.
    assert!(!cold.remedies.iter().any(|r| r == "lambda-arm64"));
    assert!(!cold.remedies.iter().any(|r| r == "lambda-snapstart"), "SnapStart is only for Java");
    let chain = &cold.chain[0];
    assert_eq!(chain.symptom, "lambda-cold-starts");
    assert!(chain.windows >= 1 && !chain.condition.is_empty());
    // Max memory 180 of 1024 MB: ratio 0.176 < 0.5.
    let over = report.findings.iter().find(|f| f.symptoms.iter().any(|s| s == "lambda-memory-overprovisioned")).unwrap();
    let link = over.chain.iter().find(|l| l.metric == "AWS/Lambda/MaxMemoryUsed").unwrap();
    assert!((link.value - 180.0 / 1024.0).abs() < 1e-9, "{}", link.value);
}

#[test]
fn getmetricdata_bundle_binds_by_dimension_and_reports_unbound_series() {
    let bundle = r#"{
  "MetricDataQueries": [
    {"Id": "t", "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Throttles", "Dimensions": [{"Name": "FunctionName", "Value": "shop-ResizeFunction-9XY"}]}, "Period": 300, "Stat": "Sum"}},
    {"Id": "o", "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Throttles", "Dimensions": [{"Name": "FunctionName", "Value": "other-service"}]}, "Period": 300, "Stat": "Sum"}}
  ],
  "MetricDataResults": [
    {"Id": "t", "Label": "Throttles", "Timestamps": ["2025-03-01T10:10:00Z", "2025-03-01T10:00:00Z", "2025-03-01T10:05:00Z"], "Values": [0, 12, 3], "StatusCode": "Complete"},
    {"Id": "o", "Label": "Throttles", "Timestamps": ["2025-03-01T10:00:00Z"], "Values": [7], "StatusCode": "PartialData"}
  ]
}"#;
    let report = analyze_with(FN_TEMPLATE, "cw.json", bundle, None);
    assert!(shows(&report, "ResizeFunction", "lambda-throttling"));
    let f = report.findings.iter().find(|f| f.resource.as_deref() == Some("ResizeFunction") && f.symptoms.iter().any(|s| s == "lambda-throttling")).unwrap();
    assert_eq!(f.chain[0].value, 12.0, "the worst 5-minute Sum");
    assert_eq!(f.chain[0].windows_met, 2);
    assert_eq!(report.metrics.unbound, vec!["other-service".to_string()]);
    // The unbound series is still analysed: its throttling is reported without a resource.
    assert!(report.findings.iter().any(|f| f.resource.is_none() && f.symptoms.iter().any(|s| s == "lambda-throttling")));
}

#[test]
fn template_and_metric_findings_about_the_same_remedy_are_merged() {
    let template = "
Resources:
  Api:
    Type: AWS::Lambda::Function
    Properties: {Runtime: java21, Handler: a::h, Role: r, Code: {ZipFile: x}, MemorySize: 512, Timeout: 10}
";
    let mut lines = String::new();
    for i in 0..20 {
        lines.push_str(&format!("REPORT RequestId: r{i}\tDuration: 300.00 ms\tBilled Duration: 300 ms\tMemory Size: 512 MB\tMax Memory Used: 200 MB\tInit Duration: 3200.00 ms\n"));
    }
    let report = analyze_with(template, "api.log", &lines, Some("Api"));
    let snap: Vec<_> = report.findings.iter().filter(|f| f.remedies.first().map(String::as_str) == Some("lambda-snapstart")).collect();
    assert_eq!(snap.len(), 1, "one finding for SnapStart, not one from the template and one from metrics");
    assert!(snap[0].rule.starts_with("LAMBDA-"), "the template finding keeps its line and fix");
    assert!(snap[0].symptoms.iter().any(|s| s == "lambda-cold-starts") && !snap[0].chain.is_empty());
}

#[test]
fn a_broken_metrics_file_is_reported_and_the_rest_still_runs() {
    let options = Options {
        metrics: vec![
            MetricsFile { name: "broken.json".into(), content: "{\"MetricDataResults\": [".into(), resource: None },
            MetricsFile { name: "ok.log".into(), content: "REPORT RequestId: a\tDuration: 2900.0 ms\tBilled Duration: 2900 ms\tMemory Size: 1024 MB\tMax Memory Used: 100 MB\n".into(), resource: Some("ResizeFunction".into()) },
        ],
        ..Default::default()
    };
    let report = analysis::analyze(FN_TEMPLATE, &options).unwrap();
    assert_eq!(report.metrics.errors.len(), 1);
    assert_eq!(report.metrics.errors[0].file, "broken.json");
    assert!(report.findings.iter().any(|f| f.symptoms.iter().any(|s| s == "lambda-near-timeout")));
}

#[test]
fn report_lines_give_costs_a_memory_whatif_and_dollar_impacts() {
    let template = "
Resources:
  Thumbs:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}, MemorySize: 2048, Timeout: 30}
";
    // One invocation a second for an hour: 3,600 requests/h -> 2,592,000 a month (720 h).
    let mut lines = String::new();
    for i in 0..3600 {
        let (h, m, s) = (i / 3600, (i / 60) % 60, i % 60);
        let init = if i % 100 == 0 { "\tInit Duration: 400.00 ms" } else { "" };
        lines.push_str(&format!("2025-03-01T1{h}:{m:02}:{s:02}.000Z REPORT RequestId: r-{i}\tDuration: 200.00 ms\tBilled Duration: 200 ms\tMemory Size: 2048 MB\tMax Memory Used: 150 MB{init}\n"));
    }
    let report = analyze_with(template, "thumbs.log", &lines, Some("Thumbs"));
    let cost = report.costs.get("Thumbs").expect("cost for the function");
    let monthly = cost.monthly.as_ref().unwrap();
    // Rate = (n - 1) / span = 3,599 / (3,599 s / 3,600 s per h) = 3,600 per hour; x 720 h.
    let requests = cost.observed.requests_per_month.unwrap();
    assert!((requests - 3600.0 * 720.0).abs() / requests < 0.001, "{requests}");
    // Compute: requests x 0.200 s x 2 GB x $0.0000166667 (x86, first tier).
    let expected_compute = requests * 0.200 * 2.0 * 0.0000166667;
    assert!((monthly.compute_usd - expected_compute).abs() / expected_compute < 0.01, "{} vs {expected_compute}", monthly.compute_usd);
    let whatif = cost.whatif.as_ref().expect("memory what-if");
    assert!(whatif.points.iter().any(|p| p.memory_mb == 128.0 && !p.feasible), "150 MB used: 128 MB cannot work");
    assert!(whatif.cheapest.as_ref().unwrap().memory_mb < 2048.0);
    // arm64 saves about 20 % of the duration charge.
    let arm = report.findings.iter().find(|f| f.remedies.first().map(String::as_str) == Some("lambda-arm64")).expect("arm64 finding");
    let impact = arm.impact.as_ref().expect("arm64 impact");
    let duration_usd = monthly.compute_usd + monthly.init_usd;
    assert!((impact.monthly_usd_delta + 0.2 * duration_usd).abs() / duration_usd < 0.01, "{} vs {}", impact.monthly_usd_delta, duration_usd);
    // Memory far above what is used: the right-size remedy carries a saving.
    let over = report.findings.iter().find(|f| f.symptoms.iter().any(|s| s == "lambda-memory-overprovisioned")).unwrap();
    if over.remedies.first().map(String::as_str) == Some("lambda-right-size-memory") {
        assert!(over.impact.as_ref().unwrap().monthly_usd_delta < 0.0);
    }
}

#[test]
fn a_growing_backlog_on_a_queue_whose_consumer_cannot_scale_says_so() {
    let template = "
Resources:
  Jobs: {Type: AWS::SQS::Queue}
  Cluster: {Type: AWS::ECS::Cluster}
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement: [{Effect: Allow, Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: !GetAtt Jobs.Arn}]
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties: {TaskRoleArn: !GetAtt TaskRole.Arn}
  Worker:
    Type: AWS::ECS::Service
    Properties: {Cluster: !Ref Cluster, TaskDefinition: !Ref Task, DesiredCount: 2}
";
    let mut csv = String::from("timestamp,namespace,metric,dimension_name,dimension_value,statistic,value,unit\n");
    for i in 0..12 {
        csv.push_str(&format!("{},AWS/SQS,ApproximateAgeOfOldestMessage,QueueName,prod-Jobs-1A,Maximum,{},Seconds\n", 1_700_000_000 + i * 300, 60 + i * 120));
    }
    let report = analyze_with(template, "sqs.csv", &csv, None);
    let backlog = report.findings.iter().find(|f| f.resource.as_deref() == Some("Jobs") && f.symptoms.iter().any(|s| s == "queue-backlog"));
    let Some(backlog) = backlog else { panic!("{:#?}", report.findings.iter().map(|f| (&f.rule, &f.resource)).collect::<Vec<_>>()) };
    assert_eq!(backlog.remedies[0], "sqs-backlog-scaling");
    assert!(backlog.remedy_notes.iter().any(|(id, n)| id == "sqs-backlog-scaling" && n.contains("Worker runs a fixed number of tasks")), "{:?}", backlog.remedy_notes);
}
