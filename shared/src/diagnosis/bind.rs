//! Which template resource a metric is about.
//!
//! A dimension value binds when it equals the resource's explicit name property, or when it
//! equals or contains the logical id (CloudFormation names resources
//! `<stack>-<LogicalId>-<random>`). When several logical ids are contained, the longest wins,
//! so `orders-OrdersWorker-1A2B` binds to `OrdersWorker`, not to `Orders`.

use crate::template::Template;
use crate::template::resolve::Resolver;

/// Properties that hold a resource's deployed name, by resource type.
fn name_properties(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => &["FunctionName"],
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" | "AWS::Serverless::SimpleTable" => &["TableName"],
        "AWS::SQS::Queue" => &["QueueName"],
        "AWS::SNS::Topic" => &["TopicName"],
        "AWS::Kinesis::Stream" => &["Name"],
        "AWS::ApiGateway::RestApi" | "AWS::Serverless::Api" | "AWS::ApiGatewayV2::Api" | "AWS::Serverless::HttpApi" => &["Name"],
        "AWS::ElasticLoadBalancingV2::LoadBalancer" | "AWS::ElasticLoadBalancingV2::TargetGroup" => &["Name"],
        "AWS::ECS::Service" => &["ServiceName"],
        "AWS::ECS::Cluster" => &["ClusterName"],
        "AWS::RDS::DBInstance" => &["DBInstanceIdentifier"],
        "AWS::RDS::DBCluster" => &["DBClusterIdentifier"],
        "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => &["StateMachineName", "Name"],
        _ => &[],
    }
}

/// The name inside a dimension value that identifies the resource: `app/my-alb/50dc6c…` ->
/// `my-alb`; a queue URL -> its last segment; an ARN -> its last `:`/`/` segment.
fn core_name(value: &str) -> &str {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix("app/").or_else(|| v.strip_prefix("net/")).or_else(|| v.strip_prefix("targetgroup/")) {
        return rest.split('/').next().unwrap_or(rest);
    }
    if v.starts_with("https://") || v.starts_with("arn:") {
        return v.rsplit(['/', ':']).next().unwrap_or(v);
    }
    v
}

/// Binds a name (a dimension value, a log group's function name, an ARN) to a resource of one
/// of `types` (any type when empty).
pub fn by_name(template: &Template, name: &str, types: &[&str]) -> Option<String> {
    let name = core_name(name);
    if name.is_empty() {
        return None;
    }
    let resolver = Resolver::new(template);
    let candidates = || template.resources.iter().filter(|r| types.is_empty() || types.contains(&r.type_name.as_str()));
    for r in candidates() {
        for prop in name_properties(&r.type_name) {
            if let Some(value) = r.prop(prop).map(|n| resolver.value(n)).and_then(|v| v.text()) {
                if value == name {
                    return Some(r.id.clone());
                }
            }
        }
    }
    if let Some(r) = candidates().find(|r| r.id == name) {
        return Some(r.id.clone());
    }
    candidates()
        .filter(|r| r.id.len() >= 3 && name.contains(r.id.as_str()))
        .max_by_key(|r| r.id.len())
        .map(|r| r.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "
Resources:
  Orders: {Type: AWS::Lambda::Function}
  OrdersWorker: {Type: AWS::Lambda::Function}
  Named: {Type: AWS::Lambda::Function, Properties: {FunctionName: billing-fn}}
  Queue: {Type: AWS::SQS::Queue}
  Alb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {Name: web-alb}}
";

    #[test]
    fn binds_by_name_logical_id_and_longest_containment() {
        let t = Template::parse(T).unwrap();
        let fns = ["AWS::Lambda::Function"];
        assert_eq!(by_name(&t, "billing-fn", &fns).as_deref(), Some("Named"));
        assert_eq!(by_name(&t, "Orders", &fns).as_deref(), Some("Orders"));
        assert_eq!(by_name(&t, "prod-OrdersWorker-1A2B3C", &fns).as_deref(), Some("OrdersWorker"));
        assert_eq!(by_name(&t, "prod-Orders-9Z", &fns).as_deref(), Some("Orders"));
        assert_eq!(by_name(&t, "something-else", &fns), None);
        assert_eq!(by_name(&t, "app/web-alb/50dc6c495c0c9188", &[]).as_deref(), Some("Alb"));
        assert_eq!(by_name(&t, "https://sqs.us-east-1.amazonaws.com/1/stack-Queue-AB12", &["AWS::SQS::Queue"]).as_deref(), Some("Queue"));
    }
}
