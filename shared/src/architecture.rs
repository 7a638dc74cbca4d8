//! The architecture a template describes: typed resources and directed, typed edges.
//!
//! In: a [`Template`]. Out: an [`Architecture`] for the rules and the diagram. Edges are
//! inferred from what each service's wiring means (SAM events, event source mappings,
//! permissions, API integrations, subscriptions, rule targets, IAM statements and SAM policy
//! templates, environment variables, ECS and load balancer wiring); every other `Ref`/`GetAtt`
//! between resources becomes a plain `references` edge, so no dependency is lost.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::template::resolve::{Resolver, references};
use crate::template::{Resource, Template};
use crate::yaml::{Node, Pos};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    Invokes,
    Triggers,
    Reads,
    Writes,
    Publishes,
    Routes,
    Contains,
    References,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Invokes => "invokes",
            EdgeKind::Triggers => "triggers",
            EdgeKind::Reads => "reads",
            EdgeKind::Writes => "writes",
            EdgeKind::Publishes => "publishes",
            EdgeKind::Routes => "routes",
            EdgeKind::Contains => "contains",
            EdgeKind::References => "references",
        }
    }
}

/// Where a resource sits in the request flow; the diagram lays tiers out left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Entry,
    Compute,
    Messaging,
    Data,
    Network,
    Other,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// What the edge was inferred from, e.g. `Events.GetOrders (Api)` or `DynamoDBCrudPolicy`.
    pub via: String,
    pub line: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceInfo {
    pub id: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub line: u32,
    pub column: u32,
    /// Service family used for shapes and filters: `lambda`, `apigateway`, `dynamodb`, …
    pub service: String,
    pub tier: Tier,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub implicit: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Architecture {
    pub resources: Vec<ResourceInfo>,
    pub edges: Vec<Edge>,
}

impl Architecture {
    pub fn edges_from<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.from == id)
    }

    pub fn edges_to<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.to == id)
    }
}

/// `AWS::DynamoDB::Table` -> `dynamodb`; `AWS::Serverless::Function` -> `lambda`.
pub fn service_of(type_name: &str) -> String {
    let mut parts = type_name.split("::");
    let (vendor, service, kind) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if vendor == "AWS" && service == "Serverless" {
        return match kind {
            "Function" => "lambda",
            "Api" | "HttpApi" => "apigateway",
            "SimpleTable" => "dynamodb",
            "StateMachine" => "stepfunctions",
            "LayerVersion" => "lambda",
            "Application" => "serverlessrepo",
            "Connector" => "iam",
            _ => "serverless",
        }
        .to_string();
    }
    if vendor == "Custom" || type_name == "AWS::CloudFormation::CustomResource" {
        return "custom".to_string();
    }
    match service {
        "ApiGatewayV2" => "apigateway".into(),
        "ElasticLoadBalancingV2" | "ElasticLoadBalancing" => "elb".into(),
        "" => "other".into(),
        s => s.to_ascii_lowercase(),
    }
}

pub fn tier_of(type_name: &str) -> Tier {
    let service = service_of(type_name);
    match service.as_str() {
        "apigateway" | "cloudfront" | "elb" | "route53" | "appsync" | "cognito" | "wafv2" => Tier::Entry,
        "lambda" | "ecs" | "stepfunctions" | "autoscaling" | "batch" | "eks" | "codebuild" => Tier::Compute,
        "sqs" | "sns" | "events" | "kinesis" | "scheduler" | "pipes" | "msk" | "kinesisfirehose" => Tier::Messaging,
        "dynamodb" | "s3" | "rds" | "elasticache" | "dax" | "opensearchservice" | "elasticsearch" | "neptune"
        | "memorydb" | "efs" | "docdb" | "secretsmanager" | "ssm" | "timestream" => Tier::Data,
        "ec2" if type_name == "AWS::EC2::Instance" || type_name == "AWS::EC2::LaunchTemplate" => Tier::Compute,
        "ec2" => Tier::Network,
        _ => Tier::Other,
    }
}

struct Builder<'t> {
    template: &'t Template,
    resolver: Resolver<'t>,
    edges: Vec<Edge>,
    /// (from, to) pairs already explained by a typed edge; the plain `references` pass skips them.
    typed: BTreeSet<(String, String)>,
}

impl<'t> Builder<'t> {
    fn add(&mut self, from: &str, to: &str, kind: EdgeKind, via: impl Into<String>, pos: Pos) {
        if from == to || self.template.resource(from).is_none() || self.template.resource(to).is_none() {
            return;
        }
        let via = via.into();
        if self.edges.iter().any(|e| e.from == from && e.to == to && e.kind == kind) {
            return;
        }
        self.typed.insert((from.to_string(), to.to_string()));
        self.typed.insert((to.to_string(), from.to_string()));
        self.edges.push(Edge { from: from.into(), to: to.into(), kind, via, line: pos.line });
    }

    /// The resources a node refers to (first one wins where a single target is expected).
    fn targets(&self, node: &Node) -> Vec<String> {
        let mut out = Vec::new();
        references(node, &mut out);
        let mut seen = BTreeSet::new();
        out.into_iter()
            .map(|(id, _)| id)
            .filter(|id| self.template.resource(id).is_some() && seen.insert(id.clone()))
            .collect()
    }

    /// Also accepts a literal resource name or ARN that names a resource by its explicit name.
    fn target_of(&self, node: &Node) -> Option<String> {
        self.targets(node).into_iter().next()
    }
}

pub fn build(template: &Template) -> Architecture {
    let mut b = Builder { template, resolver: Resolver::new(template), edges: Vec::new(), typed: BTreeSet::new() };
    for r in &template.resources {
        match r.type_name.as_str() {
            "AWS::Serverless::Function" => sam_function(&mut b, r),
            "AWS::Lambda::EventSourceMapping" => {
                if let (Some(src), Some(f)) = (r.prop("EventSourceArn").and_then(|n| b.target_of(n)), r.prop("FunctionName").and_then(|n| b.target_of(n))) {
                    b.add(&src, &f, EdgeKind::Triggers, format!("{} (EventSourceMapping)", r.id), r.pos);
                }
            }
            "AWS::Lambda::Permission" => {
                if let (Some(src), Some(f)) = (r.prop("SourceArn").and_then(|n| b.target_of(n)), r.prop("FunctionName").and_then(|n| b.target_of(n))) {
                    let kind = if matches!(service_of(&template.resource(&src).map(|x| x.type_name.clone()).unwrap_or_default()).as_str(), "apigateway" | "elb") { EdgeKind::Invokes } else { EdgeKind::Triggers };
                    b.add(&src, &f, kind, format!("{} (Permission)", r.id), r.pos);
                }
            }
            "AWS::ApiGateway::Method" => {
                let api = r.prop("RestApiId").and_then(|n| b.target_of(n));
                let integration = r.prop("Integration");
                let target = integration.and_then(|i| i.get("Uri")).and_then(|n| b.target_of(n));
                if let (Some(api), Some(t)) = (api.clone(), target) {
                    b.add(&api, &t, EdgeKind::Invokes, format!("{} (Method integration)", r.id), r.pos);
                }
                if let Some(api) = api {
                    b.add(&api, &r.id, EdgeKind::Contains, "RestApiId", r.pos);
                }
            }
            "AWS::ApiGatewayV2::Integration" => {
                let api = r.prop("ApiId").and_then(|n| b.target_of(n));
                let target = r.prop("IntegrationUri").and_then(|n| b.target_of(n));
                if let (Some(api), Some(t)) = (api, target) {
                    b.add(&api, &t, EdgeKind::Invokes, format!("{} (Integration)", r.id), r.pos);
                }
            }
            "AWS::SNS::Subscription" => {
                if let (Some(topic), Some(ep)) = (r.prop("TopicArn").and_then(|n| b.target_of(n)), r.prop("Endpoint").and_then(|n| b.target_of(n))) {
                    b.add(&topic, &ep, EdgeKind::Publishes, format!("{} (Subscription)", r.id), r.pos);
                }
            }
            "AWS::SNS::Topic" => {
                for sub in r.prop("Subscription").and_then(Node::as_seq).unwrap_or(&[]) {
                    if let Some(ep) = sub.get("Endpoint").and_then(|n| b.target_of(n)) {
                        b.add(&r.id, &ep, EdgeKind::Publishes, "Subscription", sub.span.start);
                    }
                }
            }
            "AWS::Events::Rule" | "AWS::Scheduler::Schedule" => {
                let targets: Vec<&Node> = match r.prop("Targets").and_then(Node::as_seq) {
                    Some(t) => t.iter().collect(),
                    None => r.prop("Target").into_iter().collect(),
                };
                for t in targets {
                    if let Some(dest) = t.get("Arn").and_then(|n| b.target_of(n)) {
                        b.add(&r.id, &dest, EdgeKind::Triggers, "Targets", t.span.start);
                    }
                }
                if let Some(bus) = r.prop("EventBusName").and_then(|n| b.target_of(n)) {
                    b.add(&bus, &r.id, EdgeKind::Routes, "EventBusName", r.pos);
                }
            }
            "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => {
                for key in ["DefinitionSubstitutions", "Definition", "DefinitionString"] {
                    if let Some(node) = r.prop(key) {
                        for t in b.targets(node) {
                            let kind = if b.template.resource(&t).is_some_and(Resource::is_function) { EdgeKind::Invokes } else { EdgeKind::Writes };
                            b.add(&r.id, &t, kind, key, node.span.start);
                        }
                    }
                }
                if r.type_name == "AWS::Serverless::StateMachine" {
                    policies(&mut b, r);
                    events(&mut b, r);
                }
            }
            "AWS::ECS::Service" => {
                if let Some(c) = r.prop("Cluster").and_then(|n| b.target_of(n)) {
                    b.add(&c, &r.id, EdgeKind::Contains, "Cluster", r.prop_pos("Cluster"));
                }
                if let Some(td) = r.prop("TaskDefinition").and_then(|n| b.target_of(n)) {
                    b.add(&r.id, &td, EdgeKind::Contains, "TaskDefinition", r.prop_pos("TaskDefinition"));
                }
                for lb in r.prop("LoadBalancers").and_then(Node::as_seq).unwrap_or(&[]) {
                    if let Some(tg) = lb.get("TargetGroupArn").and_then(|n| b.target_of(n)) {
                        b.add(&tg, &r.id, EdgeKind::Routes, "LoadBalancers", lb.span.start);
                    }
                }
            }
            "AWS::ElasticLoadBalancingV2::Listener" => {
                let lb = r.prop("LoadBalancerArn").and_then(|n| b.target_of(n));
                if let Some(lb) = &lb {
                    b.add(lb, &r.id, EdgeKind::Contains, "LoadBalancerArn", r.pos);
                }
                for action in r.prop("DefaultActions").and_then(Node::as_seq).unwrap_or(&[]) {
                    for tg in action_targets(&b, action) {
                        b.add(&r.id, &tg, EdgeKind::Routes, "DefaultActions", action.span.start);
                    }
                }
            }
            "AWS::ElasticLoadBalancingV2::ListenerRule" => {
                let listener = r.prop("ListenerArn").and_then(|n| b.target_of(n));
                for action in r.prop("Actions").and_then(Node::as_seq).unwrap_or(&[]) {
                    for tg in action_targets(&b, action) {
                        if let Some(l) = &listener {
                            b.add(l, &tg, EdgeKind::Routes, format!("{} (ListenerRule)", r.id), action.span.start);
                        }
                    }
                }
            }
            "AWS::ElasticLoadBalancingV2::TargetGroup" => {
                for t in r.prop("Targets").and_then(Node::as_seq).unwrap_or(&[]) {
                    if let Some(dest) = t.get("Id").and_then(|n| b.target_of(n)) {
                        b.add(&r.id, &dest, EdgeKind::Routes, "Targets", t.span.start);
                    }
                }
            }
            "AWS::AutoScaling::AutoScalingGroup" => {
                for key in ["TargetGroupARNs", "LoadBalancerNames"] {
                    if let Some(list) = r.prop(key) {
                        for tg in b.targets(list) {
                            b.add(&tg, &r.id, EdgeKind::Routes, key, list.span.start);
                        }
                    }
                }
                for key in ["LaunchTemplate", "LaunchConfigurationName"] {
                    if let Some(lt) = r.prop(key).and_then(|n| b.target_of(n)) {
                        b.add(&r.id, &lt, EdgeKind::Contains, key, r.prop_pos(key));
                    }
                }
            }
            "AWS::IAM::Role" => role(&mut b, r),
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                // A policy attached to roles: its statements act for every function using them.
                let roles: Vec<String> = r.prop("Roles").map(|n| b.targets(n)).unwrap_or_default();
                if let Some(doc) = r.prop("PolicyDocument") {
                    for role_id in roles {
                        for actor in actors_of_role(template, &b, &role_id) {
                            statements(&mut b, &actor, doc);
                        }
                    }
                }
            }
            "AWS::Lambda::Function" => {
                environment(&mut b, r);
                if let Some(dlq) = b.resolver.path(&r.properties, &["DeadLetterConfig", "TargetArn"]).and_then(|n| b.target_of(n)) {
                    b.add(&r.id, &dlq, EdgeKind::Writes, "DeadLetterConfig", r.prop_pos("DeadLetterConfig"));
                }
            }
            // Messages that keep failing move to the dead-letter queue.
            "AWS::SQS::Queue" => {
                if let Some(dlq) = b.resolver.path(&r.properties, &["RedrivePolicy", "deadLetterTargetArn"]).and_then(|n| b.target_of(n)) {
                    b.add(&r.id, &dlq, EdgeKind::Writes, "RedrivePolicy", r.prop_pos("RedrivePolicy"));
                }
            }
            // Where a function's asynchronous results go.
            "AWS::Lambda::EventInvokeConfig" => {
                if let (Some(f), Some(dest)) = (r.prop("FunctionName").and_then(|n| b.target_of(n)), r.prop("DestinationConfig")) {
                    for t in b.targets(dest) {
                        b.add(&f, &t, EdgeKind::Writes, format!("{} (DestinationConfig)", r.id), dest.span.start);
                    }
                }
            }
            // Object events trigger functions, queues and topics.
            "AWS::S3::Bucket" => {
                for (list, key) in [("LambdaConfigurations", "Function"), ("QueueConfigurations", "Queue"), ("TopicConfigurations", "Topic")] {
                    let Some(items) = b.resolver.path(&r.properties, &["NotificationConfiguration", list]).and_then(Node::as_seq) else { continue };
                    for item in items {
                        if let Some(dest) = item.get(key).and_then(|n| b.target_of(n)) {
                            b.add(&r.id, &dest, EdgeKind::Triggers, format!("NotificationConfiguration.{list}"), item.span.start);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // Everything else that points at another resource is a plain reference.
    for r in &template.resources {
        let mut refs = Vec::new();
        references(&r.properties, &mut refs);
        let mut seen = BTreeSet::new();
        for (target, pos) in refs {
            if template.resource(&target).is_none() || !seen.insert(target.clone()) {
                continue;
            }
            if b.typed.contains(&(r.id.clone(), target.clone())) {
                continue;
            }
            b.edges.push(Edge { from: r.id.clone(), to: target, kind: EdgeKind::References, via: "Ref/GetAtt".into(), line: pos.line });
        }
    }

    let resources = template
        .resources
        .iter()
        .map(|r| ResourceInfo {
            id: r.id.clone(),
            type_name: r.type_name.clone(),
            line: r.pos.line,
            column: r.pos.col,
            service: service_of(&r.type_name),
            tier: tier_of(&r.type_name),
            implicit: r.implicit,
        })
        .collect();
    Architecture { resources, edges: b.edges }
}

fn action_targets(b: &Builder<'_>, action: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(tg) = action.get("TargetGroupArn") {
        out.extend(b.targets(tg));
    }
    if let Some(fwd) = action.get("ForwardConfig") {
        out.extend(b.targets(fwd));
    }
    out
}

/// The functions (or other compute) that assume a role.
fn actors_of_role(template: &Template, b: &Builder<'_>, role_id: &str) -> Vec<String> {
    template
        .resources
        .iter()
        .filter(|r| {
            r.prop("Role").or_else(|| r.prop("TaskRoleArn")).or_else(|| r.prop("RoleArn")).is_some_and(|n| b.targets(n).iter().any(|t| t == role_id))
        })
        .map(|r| r.id.clone())
        .collect()
}

fn role(b: &mut Builder<'_>, r: &Resource) {
    let actors = actors_of_role(b.template, b, &r.id);
    if actors.is_empty() {
        return;
    }
    for policy in r.prop("Policies").and_then(Node::as_seq).unwrap_or(&[]) {
        if let Some(doc) = policy.get("PolicyDocument") {
            for actor in &actors {
                statements(b, actor, doc);
            }
        }
    }
}

/// IAM actions -> what the actor does to the resource.
/// What an IAM action does to the resource it names: data flow only. Metadata calls
/// (`sqs:GetQueueUrl`, `sqs:GetQueueAttributes`, `*:Describe*`) make no edge, or every
/// producer that looks its queue up would look like a consumer.
fn action_kinds(action: &str) -> Vec<EdgeKind> {
    let Some((service, verb)) = action.split_once(':') else { return Vec::new() };
    let verb_lc = verb.to_ascii_lowercase();
    let read = ["get", "batchget", "query", "scan", "list", "receivemessage", "deletemessage", "changemessagevisibility", "subscribe"];
    let write = ["put", "batchwrite", "update", "delete", "sendmessage", "create", "upload"];
    let kind = match service {
        _ if verb_lc.starts_with("describe") => return Vec::new(),
        "sqs" if verb_lc.starts_with("getqueue") || verb_lc.starts_with("listqueue") => return Vec::new(),
        // IAM database authentication: a connection both reads and writes.
        "rds-db" if verb_lc == "connect" || verb == "*" => return vec![EdgeKind::Reads, EdgeKind::Writes],
        "lambda" if verb_lc.starts_with("invoke") => EdgeKind::Invokes,
        "states" if verb_lc.starts_with("start") => EdgeKind::Invokes,
        "sns" if verb_lc == "publish" => EdgeKind::Publishes,
        "events" if verb_lc == "putevents" => EdgeKind::Publishes,
        "kinesis" | "firehose" if verb_lc.starts_with("put") => EdgeKind::Writes,
        _ if verb == "*" => EdgeKind::Writes,
        _ if read.iter().any(|p| verb_lc.starts_with(p)) => EdgeKind::Reads,
        _ if write.iter().any(|p| verb_lc.starts_with(p)) => EdgeKind::Writes,
        _ => return Vec::new(),
    };
    vec![kind]
}

fn statements(b: &mut Builder<'_>, actor: &str, doc: &Node) {
    let Some(stmts) = doc.get("Statement") else { return };
    let list: Vec<&Node> = match stmts.as_seq() {
        Some(s) => s.iter().collect(),
        None => vec![stmts],
    };
    for stmt in list {
        if stmt.get("Effect").and_then(Node::as_str) == Some("Deny") {
            continue;
        }
        let actions: Vec<String> = match stmt.get("Action") {
            Some(a) => match a.as_seq() {
                Some(items) => items.iter().filter_map(|n| n.as_str().map(String::from)).collect(),
                None => a.as_str().map(String::from).into_iter().collect(),
            },
            None => Vec::new(),
        };
        let Some(resource) = stmt.get("Resource") else { continue };
        let targets = b.targets(resource);
        let mut kinds: Vec<EdgeKind> = actions.iter().flat_map(|a| action_kinds(a)).collect();
        kinds.sort();
        kinds.dedup();
        for t in targets {
            for &kind in &kinds {
                b.add(actor, &t, kind, "IAM policy statement", stmt.span.start);
            }
        }
    }
}

/// SAM policy templates: name -> edge kinds, and the parameter that names the resource.
const POLICY_TEMPLATES: [(&str, &[EdgeKind]); 24] = [
    ("DynamoDBCrudPolicy", &[EdgeKind::Reads, EdgeKind::Writes]),
    ("DynamoDBReadPolicy", &[EdgeKind::Reads]),
    ("DynamoDBWritePolicy", &[EdgeKind::Writes]),
    ("DynamoDBStreamReadPolicy", &[EdgeKind::Reads]),
    ("DynamoDBReconfigurePolicy", &[EdgeKind::Writes]),
    ("DynamoDBRestoreFromBackupPolicy", &[EdgeKind::Writes]),
    ("DynamoDBBackupFullAccessPolicy", &[EdgeKind::Reads]),
    ("SQSSendMessagePolicy", &[EdgeKind::Writes]),
    ("SQSPollerPolicy", &[EdgeKind::Reads]),
    ("SNSPublishMessagePolicy", &[EdgeKind::Publishes]),
    ("SNSCrudPolicy", &[EdgeKind::Publishes]),
    ("S3ReadPolicy", &[EdgeKind::Reads]),
    ("S3WritePolicy", &[EdgeKind::Writes]),
    ("S3CrudPolicy", &[EdgeKind::Reads, EdgeKind::Writes]),
    ("S3FullAccessPolicy", &[EdgeKind::Reads, EdgeKind::Writes]),
    ("LambdaInvokePolicy", &[EdgeKind::Invokes]),
    ("StepFunctionsExecutionPolicy", &[EdgeKind::Invokes]),
    ("KinesisCrudPolicy", &[EdgeKind::Reads, EdgeKind::Writes]),
    ("KinesisStreamReadPolicy", &[EdgeKind::Reads]),
    ("EventBridgePutEventsPolicy", &[EdgeKind::Publishes]),
    ("SSMParameterReadPolicy", &[EdgeKind::Reads]),
    ("AWSSecretsManagerGetSecretValuePolicy", &[EdgeKind::Reads]),
    ("ElasticsearchHttpPostPolicy", &[EdgeKind::Writes]),
    ("FirehoseWritePolicy", &[EdgeKind::Writes]),
];

fn policies(b: &mut Builder<'_>, r: &Resource) {
    let Some(policies) = r.prop("Policies") else { return };
    let items: Vec<&Node> = match policies.as_seq() {
        Some(s) => s.iter().collect(),
        None => vec![policies],
    };
    for p in items {
        if let Some((name, args)) = p.single_key() {
            if let Some((_, kinds)) = POLICY_TEMPLATES.iter().find(|(n, _)| *n == name) {
                for target in b.targets(args) {
                    for &kind in *kinds {
                        b.add(&r.id, &target, kind, name, p.span.start);
                    }
                }
                continue;
            }
        }
        if p.get("Statement").is_some() {
            statements(b, &r.id, p);
        }
    }
}

fn environment(b: &mut Builder<'_>, r: &Resource) {
    let Some(vars) = b.resolver.path(&r.properties, &["Environment", "Variables"]).and_then(Node::as_map) else { return };
    for (key, value) in vars {
        for target in b.targets(value) {
            if b.typed.contains(&(r.id.clone(), target.clone())) {
                continue;
            }
            b.add(&r.id, &target, EdgeKind::References, format!("Environment.{}", key.name), key.span.start);
        }
    }
}

fn events(b: &mut Builder<'_>, r: &Resource) {
    let Some(events) = r.prop("Events").and_then(Node::as_map) else { return };
    for (key, event) in events {
        let kind = event.get("Type").and_then(Node::as_str).unwrap_or("");
        let props = event.get("Properties");
        let prop = |name: &str| props.and_then(|p| p.get(name));
        let via = format!("Events.{} ({kind})", key.name);
        let pos = key.span.start;
        match kind {
            "Api" => {
                let api = prop("RestApiId").and_then(|n| b.target_of(n)).unwrap_or_else(|| "ServerlessRestApi".into());
                b.add(&api, &r.id, EdgeKind::Invokes, via, pos);
            }
            "HttpApi" => {
                let api = prop("ApiId").and_then(|n| b.target_of(n)).unwrap_or_else(|| "ServerlessHttpApi".into());
                b.add(&api, &r.id, EdgeKind::Invokes, via, pos);
            }
            "SQS" | "Kinesis" | "DynamoDB" | "MSK" | "MQ" | "DocumentDB" => {
                let src = prop("Queue").or_else(|| prop("Stream")).or_else(|| prop("Broker")).or_else(|| prop("Cluster")).and_then(|n| b.target_of(n));
                if let Some(src) = src {
                    b.add(&src, &r.id, EdgeKind::Triggers, via, pos);
                }
            }
            "SNS" => {
                if let Some(src) = prop("Topic").and_then(|n| b.target_of(n)) {
                    b.add(&src, &r.id, EdgeKind::Triggers, via, pos);
                }
            }
            "S3" => {
                if let Some(src) = prop("Bucket").and_then(|n| b.target_of(n)) {
                    b.add(&src, &r.id, EdgeKind::Triggers, via, pos);
                }
            }
            "EventBridgeRule" | "CloudWatchEvent" => {
                if let Some(bus) = prop("EventBusName").and_then(|n| b.target_of(n)) {
                    b.add(&bus, &r.id, EdgeKind::Triggers, via, pos);
                }
            }
            "CognitoUserPool" => {
                if let Some(src) = prop("UserPool").and_then(|n| b.target_of(n)) {
                    b.add(&src, &r.id, EdgeKind::Triggers, via, pos);
                }
            }
            "IoTRule" | "AlexaSkill" | "CloudWatchLogs" | "Schedule" | "ScheduleV2" => {}
            _ => {}
        }
    }
}

fn sam_function(b: &mut Builder<'_>, r: &Resource) {
    events(b, r);
    policies(b, r);
    environment(b, r);
    // Destinations and DLQs: the function writes its failures there.
    if let Some(dlq) = r.prop("DeadLetterQueue").and_then(|d| d.get("TargetArn")).and_then(|n| b.target_of(n)) {
        b.add(&r.id, &dlq, EdgeKind::Writes, "DeadLetterQueue", r.prop_pos("DeadLetterQueue"));
    }
    if let Some(dest) = b.resolver.path(&r.properties, &["EventInvokeConfig", "DestinationConfig"]) {
        for t in b.targets(dest) {
            b.add(&r.id, &t, EdgeKind::Writes, "EventInvokeConfig.DestinationConfig", dest.span.start);
        }
    }
}

/// Which resources are reached from which, for quick lookups by rules.
pub fn neighbours(arch: &Architecture) -> HashMap<&str, Vec<&Edge>> {
    let mut map: HashMap<&str, Vec<&Edge>> = HashMap::new();
    for e in &arch.edges {
        map.entry(e.from.as_str()).or_default().push(e);
        map.entry(e.to.as_str()).or_default().push(e);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(text: &str) -> Vec<(String, String, EdgeKind)> {
        let t = Template::parse(text).unwrap();
        build(&t).edges.into_iter().map(|e| (e.from, e.to, e.kind)).collect()
    }

    fn has(edges: &[(String, String, EdgeKind)], from: &str, to: &str, kind: EdgeKind) -> bool {
        edges.iter().any(|(f, t, k)| f == from && t == to && *k == kind)
    }

    #[test]
    fn sam_events_policies_and_environment_become_edges() {
        let e = edges("
Transform: AWS::Serverless-2016-10-31
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Topic: {Type: AWS::SNS::Topic}
  Bucket: {Type: AWS::S3::Bucket}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBReadPolicy: {TableName: !Ref Table}
        - SNSPublishMessagePolicy: {TopicName: !GetAtt Topic.TopicName}
      Environment: {Variables: {BUCKET: !Ref Bucket}}
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get}}
        Msgs: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
");
        assert!(has(&e, "ServerlessRestApi", "Fn", EdgeKind::Invokes), "{e:?}");
        assert!(has(&e, "Queue", "Fn", EdgeKind::Triggers));
        assert!(has(&e, "Fn", "Table", EdgeKind::Reads));
        assert!(has(&e, "Fn", "Topic", EdgeKind::Publishes));
        assert!(has(&e, "Fn", "Bucket", EdgeKind::References));
    }

    #[test]
    fn cloudformation_wiring_becomes_edges() {
        let e = edges("
Resources:
  Api: {Type: AWS::ApiGateway::RestApi}
  Fn: {Type: AWS::Lambda::Function, Properties: {Role: !GetAtt Role.Arn}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement:
              - {Effect: Allow, Action: ['dynamodb:PutItem'], Resource: !GetAtt Table.Arn}
  Table: {Type: AWS::DynamoDB::Table}
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      Integration:
        Uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations'
  Stream: {Type: AWS::Kinesis::Stream}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Stream.Arn, FunctionName: !Ref Fn}
  Rule:
    Type: AWS::Events::Rule
    Properties: {Targets: [{Arn: !GetAtt Fn.Arn, Id: t}]}
");
        assert!(has(&e, "Api", "Fn", EdgeKind::Invokes), "{e:?}");
        assert!(has(&e, "Stream", "Fn", EdgeKind::Triggers));
        assert!(has(&e, "Rule", "Fn", EdgeKind::Triggers));
        assert!(has(&e, "Fn", "Table", EdgeKind::Writes));
        assert!(has(&e, "Fn", "Role", EdgeKind::References));
    }

    #[test]
    fn dead_letter_queues_notifications_and_iam_database_access_become_edges() {
        let e = edges("
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations: [{Event: 's3:ObjectCreated:*', Function: !GetAtt Fn.Arn}]
        QueueConfigurations: [{Event: 's3:ObjectCreated:*', Queue: !GetAtt Queue.Arn}]
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 5}
  Dlq: {Type: AWS::SQS::Queue}
  FnDlq: {Type: AWS::SQS::Queue}
  Db: {Type: AWS::RDS::DBInstance}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      DeadLetterConfig: {TargetArn: !GetAtt FnDlq.Arn}
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement:
              - {Effect: Allow, Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SendMessage'], Resource: !GetAtt Queue.Arn}
              - Effect: Allow
                Action: rds-db:connect
                Resource: !Sub 'arn:aws:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${Db.DbiResourceId}/app'
");
        assert!(has(&e, "Bucket", "Fn", EdgeKind::Triggers), "{e:?}");
        assert!(has(&e, "Bucket", "Queue", EdgeKind::Triggers));
        assert!(has(&e, "Queue", "Dlq", EdgeKind::Writes));
        assert!(has(&e, "Fn", "FnDlq", EdgeKind::Writes));
        assert!(has(&e, "Fn", "Queue", EdgeKind::Writes));
        // Looking the queue up is not consuming it.
        assert!(!has(&e, "Fn", "Queue", EdgeKind::Reads), "{e:?}");
        assert!(has(&e, "Fn", "Db", EdgeKind::Reads) && has(&e, "Fn", "Db", EdgeKind::Writes));
    }
}
