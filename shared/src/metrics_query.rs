//! Writes the CloudWatch `--metric-data-queries` for a template: every knowledge-graph metric
//! that applies to one of its resources, with the statistics its symptoms' conditions need.
//!
//! In: a template. Out: a [`QueryPlan`]: the queries JSON and a shell script that fills in the
//! deployed names and runs `aws cloudwatch get-metric-data`. Each query `Id` encodes the
//! resource, metric and statistic ([`crate::metrics::query_id`]), so the response alone binds
//! back to the template. Names the template fixes (`FunctionName: orders`) are used as they
//! are; generated names are written as `${LogicalId}` placeholders, which the script replaces
//! with the physical ids CloudFormation reports for the stack.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::json;

use crate::knowledge::{KnowledgeBase, MetricSource};
use crate::metrics::query_id;
use crate::template::Template;
use crate::template::resolve::Resolver;

/// GetMetricData accepts at most this many queries per call.
pub const MAX_QUERIES_PER_CALL: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct Placeholder {
    pub placeholder: String,
    pub logical_id: String,
    /// How the dimension value derives from the physical id: `as-is`, `last-segment` (queue
    /// URLs, ARNs), `alb-full-name` (`app/name/id` from a load balancer ARN).
    pub transform: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryPlan {
    pub queries: Vec<serde_json::Value>,
    pub placeholders: Vec<Placeholder>,
    pub script: String,
    pub notes: Vec<String>,
}

fn name_property(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => "FunctionName",
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => "TableName",
        "AWS::SQS::Queue" => "QueueName",
        "AWS::Kinesis::Stream" => "Name",
        "AWS::ApiGateway::RestApi" | "AWS::Serverless::Api" => "Name",
        "AWS::ECS::Service" => "ServiceName",
        "AWS::RDS::DBInstance" => "DBInstanceIdentifier",
        "AWS::RDS::DBCluster" => "DBClusterIdentifier",
        _ => return None,
    })
}

fn transform_for(type_name: &str) -> &'static str {
    match type_name {
        "AWS::SQS::Queue" | "AWS::ECS::Service" | "AWS::ECS::Cluster" => "last-segment",
        "AWS::ElasticLoadBalancingV2::LoadBalancer" | "AWS::ElasticLoadBalancingV2::TargetGroup" => "alb-full-name",
        _ => "as-is",
    }
}

pub fn generate(template: &Template, kb: &KnowledgeBase, stack_name: Option<&str>, period_s: u32, hours: u32) -> QueryPlan {
    let resolver = Resolver::new(template);
    let mut queries = Vec::new();
    let mut placeholders: Vec<Placeholder> = Vec::new();
    let mut notes = Vec::new();
    for r in &template.resources {
        if !resolver.resource_may_exist(r.condition.as_deref()) {
            continue;
        }
        let metrics: Vec<_> = kb.metrics().filter(|m| m.source == MetricSource::Cloudwatch && m.resource_types.iter().any(|t| t == &r.type_name)).collect();
        if metrics.is_empty() {
            continue;
        }
        let mut explicit = name_property(&r.type_name).and_then(|p| r.prop(p)).and_then(|n| resolver.value(n).text());
        // SAM names an API without `Name` after its stack, and ApiName is that name.
        if explicit.is_none() && r.type_name == "AWS::Serverless::Api" {
            explicit = stack_name.map(String::from);
        }
        let value = match explicit {
            Some(v) => v,
            None => {
                let placeholder = format!("${{{}}}", r.id);
                if !placeholders.iter().any(|p| p.placeholder == placeholder) {
                    placeholders.push(Placeholder { placeholder: placeholder.clone(), logical_id: r.id.clone(), transform: transform_for(&r.type_name) });
                }
                placeholder
            }
        };
        for m in metrics {
            // The statistics the knowledge graph's conditions read, else the metric's first.
            let mut stats: BTreeSet<String> = BTreeSet::new();
            for s in kb.symptoms() {
                for ind in &s.indicators {
                    if ind.metric == m.id {
                        stats.insert(ind.condition.statistic.clone());
                    }
                    if let Some(rel) = &ind.condition.relative_to {
                        if rel.metric.as_deref() == Some(m.id.as_str()) {
                            stats.insert(rel.statistic.clone().unwrap_or_else(|| ind.condition.statistic.clone()));
                        }
                    }
                }
            }
            if stats.is_empty() {
                stats.extend(m.statistics.first().cloned());
            }
            let mut dimensions = vec![json!({"Name": m.dimension, "Value": value})];
            if m.namespace == "AWS/ECS" {
                if let Some(cluster) = r.prop("Cluster").and_then(|n| {
                    let mut refs = Vec::new();
                    crate::template::resolve::references(n, &mut refs);
                    refs.into_iter().map(|(id, _)| id).find(|id| template.resource(id).is_some())
                }) {
                    let ph = format!("${{{cluster}}}");
                    if !placeholders.iter().any(|p| p.placeholder == ph) {
                        placeholders.push(Placeholder { placeholder: ph.clone(), logical_id: cluster.clone(), transform: "last-segment" });
                    }
                    dimensions.push(json!({"Name": "ClusterName", "Value": ph}));
                }
            }
            for stat in stats {
                queries.push(json!({
                    "Id": query_id::encode(&r.id, &m.namespace, &m.name, &stat),
                    "MetricStat": {
                        "Metric": {"Namespace": m.namespace, "MetricName": m.name, "Dimensions": dimensions},
                        "Period": period_s,
                        "Stat": stat,
                    },
                    "ReturnData": true,
                }));
            }
        }
    }
    if queries.len() > MAX_QUERIES_PER_CALL {
        notes.push(format!(
            "{} queries: GetMetricData takes at most {MAX_QUERIES_PER_CALL} per call; split the file and pass every response to archlens",
            queries.len()
        ));
    }
    notes.push("REPORT-line metrics (InitDuration, MaxMemoryUsed) are not in CloudWatch: export the function's REPORT lines with `aws logs filter-log-events --log-group-name /aws/lambda/NAME --filter-pattern REPORT` and pass that file too.".into());
    let script = script(&placeholders, stack_name, hours);
    QueryPlan { queries, placeholders, script, notes }
}

fn script(placeholders: &[Placeholder], stack_name: Option<&str>, hours: u32) -> String {
    let mut s = String::from("#!/usr/bin/env bash\n# Generated by `archlens metrics-query`: fills in deployed names, fetches the metrics, analyses.\nset -euo pipefail\n");
    s.push_str("QUERIES=${QUERIES:-metric-data-queries.json}\n");
    if placeholders.is_empty() {
        s.push_str("RESOLVED=\"$QUERIES\"\n");
    } else {
        s.push_str(&format!("STACK=${{STACK:-{}}}\n", stack_name.unwrap_or("REPLACE-WITH-STACK-NAME")));
        s.push_str("RESOLVED=\"${QUERIES%.json}.resolved.json\"\ncp \"$QUERIES\" \"$RESOLVED\"\n");
        s.push_str("physical() { aws cloudformation describe-stack-resource --stack-name \"$STACK\" --logical-resource-id \"$1\" --query StackResourceDetail.PhysicalResourceId --output text; }\n");
        for p in placeholders {
            let expr = match p.transform {
                "last-segment" => format!("v=$(physical {}); v=${{v##*/}}", p.logical_id),
                "alb-full-name" => format!("v=$(physical {}); v=${{v#*:loadbalancer/}}; v=${{v#*:targetgroup/}}", p.logical_id),
                _ => format!("v=$(physical {})", p.logical_id),
            };
            s.push_str(&format!("{expr}; sed -i \"s|\\${{{}}}|$v|g\" \"$RESOLVED\"\n", p.logical_id));
        }
    }
    s.push_str(&format!(
        "aws cloudwatch get-metric-data --metric-data-queries \"file://$RESOLVED\" \\\n  --start-time \"$(date -u -d '-{hours} hours' +%Y-%m-%dT%H:%M:%SZ)\" --end-time \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" \\\n  --output json > metrics-response.json\n"
    ));
    s.push_str("echo 'Now run: archlens analyze TEMPLATE --metrics metrics-response.json'\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{MetricsFile, Options, analyze};

    const T: &str = "
Resources:
  Orders:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: orders-fn, Runtime: python3.12, Handler: a.h, Role: r, Code: {ZipFile: x}, Timeout: 10}
  Jobs: {Type: AWS::SQS::Queue}
  Role: {Type: AWS::IAM::Role}
";

    #[test]
    fn queries_cover_the_knowledge_graph_metrics_and_ids_bind_back() {
        let t = Template::parse(T).unwrap();
        let plan = generate(&t, crate::knowledge::embedded(), Some("shop"), 300, 24);
        let ids: Vec<&str> = plan.queries.iter().map(|q| q["Id"].as_str().unwrap()).collect();
        assert!(ids.iter().any(|id| query_id::decode(id).is_some_and(|(r, _, m, s)| r == "Orders" && m == "Throttles" && s == "Sum")), "{ids:?}");
        assert!(ids.iter().any(|id| query_id::decode(id).is_some_and(|(r, _, m, _)| r == "Jobs" && m == "ApproximateAgeOfOldestMessage")));
        assert!(!ids.iter().any(|id| id.contains("Role")), "no metrics for IAM roles");
        let orders = plan.queries.iter().find(|q| q["Id"].as_str().unwrap().contains("Orders")).unwrap();
        assert_eq!(orders["MetricStat"]["Metric"]["Dimensions"][0]["Value"], "orders-fn", "explicit names are used");
        assert!(plan.placeholders.iter().any(|p| p.logical_id == "Jobs" && p.transform == "last-segment"));
        assert!(plan.script.contains("--stack-name \"$STACK\"") && plan.script.contains("STACK=${STACK:-shop}"));
        for id in &ids {
            assert!(id.len() <= 255 && id.chars().next().unwrap().is_ascii_lowercase() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{id}");
        }

        // A response to these queries, alone, binds back by Id.
        let id = ids.iter().find(|id| id.contains("Throttles")).unwrap();
        let response = format!(r#"{{"MetricDataResults": [{{"Id": "{id}", "Label": "Throttles", "Timestamps": ["2025-01-01T00:00:00Z", "2025-01-01T00:05:00Z"], "Values": [4, 9], "StatusCode": "Complete"}}]}}"#);
        let options = Options { metrics: vec![MetricsFile { name: "response.json".into(), content: response, resource: None }], ..Default::default() };
        let report = analyze(T, &options).unwrap();
        assert_eq!(report.metrics.bound, 1);
        assert!(report.findings.iter().any(|f| f.resource.as_deref() == Some("Orders") && f.symptoms.iter().any(|s| s == "lambda-throttling")));
    }
}
