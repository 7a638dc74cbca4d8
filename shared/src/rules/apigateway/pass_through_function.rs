use std::collections::BTreeSet;

use crate::architecture::{EdgeKind, Tier, tier_of};
use crate::declare_rule;
use crate::rules::apigateway::common::{is_api_type, items, refs};
use crate::rules::{Ctx, Diagnostic, Fix};
use crate::template::Resource;
use crate::yaml::Node;

declare_rule! {
    /// ## What it does
    /// Flags functions that look like pass-throughs: invoked only by an API, and whose only
    /// data edge goes to exactly one DynamoDB table, SQS queue, Kinesis stream or Step Functions
    /// state machine, with no other reads, writes, invocations, publications, references to
    /// other data or messaging resources, VPC attachment or broader permissions.
    ///
    /// ## Why is this bad?
    /// A function that only forwards a request to one AWS service adds a whole compute hop to
    /// every call: a possible cold start, (de)serialisation, its own concurrency limit and its
    /// own bill. API Gateway can call these services itself with an AWS service integration,
    /// reshaping the request with a VTL mapping template (REST APIs) or with parameter mapping
    /// for the first-class SQS, Kinesis and Step Functions integrations of HTTP APIs. This is
    /// advice, not a defect: keep the function when it holds real validation or business
    /// logic, since VTL is harder to test and version than code.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Orders:
    ///     Type: AWS::SQS::Queue
    ///   Enqueue:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Environment: {Variables: {QUEUE_URL: !Ref Orders}}
    ///       Policies:
    ///         - SQSSendMessagePolicy: {QueueName: !GetAtt Orders.QueueName}
    ///       Events:
    ///         Post: {Type: Api, Properties: {Path: /orders, Method: post}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Orders:
    ///     Type: AWS::SQS::Queue
    ///   Api:
    ///     Type: AWS::ApiGateway::RestApi
    ///     Properties: {Name: orders, EndpointConfiguration: {Types: [REGIONAL]}}
    ///   ApiRole:
    ///     Type: AWS::IAM::Role
    ///     Properties:
    ///       AssumeRolePolicyDocument:
    ///         Statement: [{Effect: Allow, Principal: {Service: apigateway.amazonaws.com}, Action: sts:AssumeRole}]
    ///       Policies:
    ///         - PolicyName: send
    ///           PolicyDocument:
    ///             Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Orders.Arn}]
    ///   PostOrder:
    ///     Type: AWS::ApiGateway::Method
    ///     Properties:
    ///       RestApiId: !Ref Api
    ///       ResourceId: !GetAtt Api.RootResourceId
    ///       HttpMethod: POST
    ///       AuthorizationType: AWS_IAM
    ///       Integration:
    ///         Type: AWS
    ///         IntegrationHttpMethod: POST
    ///         Credentials: !GetAtt ApiRole.Arn
    ///         Uri: !Sub arn:aws:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/${Orders.QueueName}
    ///         RequestParameters:
    ///           integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
    ///         RequestTemplates:
    ///           application/json: Action=SendMessage&MessageBody=$util.urlEncode($input.body)
    ///         IntegrationResponses: [{StatusCode: '202'}]
    ///       MethodResponses: [{StatusCode: '202'}]
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-s3.html
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-aws-services.html
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
    pub PassThroughFunction {
        code: "APIGW-006",
        name: "pass-through-function",
        severity: Info,
        pillar: Performance,
        symptoms: ["high-api-latency", "lambda-cold-starts", "high-lambda-cost"],
        remedies: ["apigw-direct-integration", "apigw-mapping-templates"],
    }
}

const TARGETS: &[(&str, &str)] = &[
    ("AWS::DynamoDB::Table", "DynamoDB table"),
    ("AWS::Serverless::SimpleTable", "DynamoDB table"),
    ("AWS::SQS::Queue", "SQS queue"),
    ("AWS::Kinesis::Stream", "Kinesis stream"),
    ("AWS::StepFunctions::StateMachine", "Step Functions state machine"),
    ("AWS::Serverless::StateMachine", "Step Functions state machine"),
];

/// Managed policies that only let a function log, trace or run.
const HARMLESS_MANAGED: &[&str] = &["AWSLambdaBasicExecutionRole", "AWSXRayDaemonWriteAccess", "AWSLambdaVPCAccessExecutionRole", "CloudWatchLambdaInsightsExecutionRolePolicy"];

fn harmless_action(a: &str) -> bool {
    let a = a.to_ascii_lowercase();
    a.starts_with("logs:") || a.starts_with("xray:") || a == "cloudwatch:putmetricdata"
}

/// Whether a policy document grants anything beyond logging or the target.
fn statements_go_elsewhere(ctx: &Ctx<'_>, doc: &Node, target: &str) -> bool {
    let Some(doc) = ctx.resolver.select(doc) else { return true };
    let Some(stmts) = doc.get("Statement") else { return true };
    let list: Vec<&Node> = match items(ctx, Some(stmts)) {
        Some(s) => s.iter().collect(),
        None => vec![stmts],
    };
    for stmt in list {
        if stmt.get("Effect").and_then(Node::as_str) == Some("Deny") {
            continue;
        }
        let actions: Vec<&str> = match stmt.get("Action") {
            Some(a) => match a.as_seq() {
                Some(s) => s.iter().filter_map(Node::as_str).collect(),
                None => a.as_str().into_iter().collect(),
            },
            None => return true,
        };
        if !actions.is_empty() && actions.iter().all(|a| harmless_action(a)) {
            continue;
        }
        let on_target = stmt.get("Resource").is_some_and(|r| {
            let ids = refs(r);
            !ids.is_empty() && ids.iter().all(|id| id == target)
        });
        if !on_target {
            return true;
        }
    }
    false
}

/// Whether the function is allowed to do more than reach `target` (SAM policies, role policies).
fn has_other_permissions(ctx: &Ctx<'_>, f: &Resource, target: &str) -> bool {
    if f.is_sam_function()
        && let Some(p) = ctx.node(f, &["Policies"])
    {
        let list: Vec<&Node> = match items(ctx, Some(p)) {
            Some(s) => s.iter().collect(),
            None => vec![p],
        };
        for item in list {
            let elsewhere = if let Some(name) = item.as_str() {
                !HARMLESS_MANAGED.iter().any(|h| name.ends_with(h))
            } else if item.get("Statement").is_some() {
                statements_go_elsewhere(ctx, item, target)
            } else if let Some((_, args)) = item.single_key() {
                let ids = refs(args);
                ids.is_empty() || ids.iter().any(|id| id != target)
            } else {
                true
            };
            if elsewhere {
                return true;
            }
        }
    }
    let Some(role_id) = ctx.node(f, &["Role"]).and_then(|n| refs(n).into_iter().next()) else { return false };
    let Some(role) = ctx.template.resource(&role_id) else { return false };
    if role.type_name != "AWS::IAM::Role" {
        return false;
    }
    for arn in items(ctx, ctx.node(role, &["ManagedPolicyArns"])).unwrap_or(&[]) {
        let text = match ctx.resolver.value(arn) {
            crate::template::resolve::Resolved::Str(s) => s,
            _ => arn.as_str().unwrap_or("").to_string(),
        };
        let sub_text = format!("{:?}", arn.to_json());
        if !HARMLESS_MANAGED.iter().any(|h| text.ends_with(h) || sub_text.contains(h)) {
            return true;
        }
    }
    for policy in items(ctx, ctx.node(role, &["Policies"])).unwrap_or(&[]) {
        if let Some(doc) = policy.get("PolicyDocument")
            && statements_go_elsewhere(ctx, doc, target)
        {
            return true;
        }
    }
    false
}

fn snippet(kind: &str, target: &str, http: bool) -> (String, String) {
    match (kind, http) {
        ("SQS queue", true) => (
            "Replace the function with a first-class SQS integration on the HTTP API".into(),
            format!("Type: AWS::ApiGatewayV2::Integration\nProperties:\n  ApiId: !Ref HttpApi\n  IntegrationType: AWS_PROXY\n  IntegrationSubtype: SQS-SendMessage\n  PayloadFormatVersion: '1.0'\n  CredentialsArn: !GetAtt ApiRole.Arn\n  RequestParameters:\n    QueueUrl: !Ref {target}\n    MessageBody: $request.body"),
        ),
        ("Kinesis stream", true) => (
            "Replace the function with a first-class Kinesis integration on the HTTP API".into(),
            format!("Type: AWS::ApiGatewayV2::Integration\nProperties:\n  ApiId: !Ref HttpApi\n  IntegrationType: AWS_PROXY\n  IntegrationSubtype: Kinesis-PutRecord\n  PayloadFormatVersion: '1.0'\n  CredentialsArn: !GetAtt ApiRole.Arn\n  RequestParameters:\n    StreamName: !Ref {target}\n    Data: $request.body\n    PartitionKey: $context.requestId"),
        ),
        ("Step Functions state machine", true) => (
            "Replace the function with a first-class Step Functions integration on the HTTP API".into(),
            format!("Type: AWS::ApiGatewayV2::Integration\nProperties:\n  ApiId: !Ref HttpApi\n  IntegrationType: AWS_PROXY\n  IntegrationSubtype: StepFunctions-StartExecution\n  PayloadFormatVersion: '1.0'\n  CredentialsArn: !GetAtt ApiRole.Arn\n  RequestParameters:\n    StateMachineArn: !Ref {target}\n    Input: $request.body"),
        ),
        ("SQS queue", false) => (
            "Replace the function with an AWS integration that sends the message, mapped by a VTL template".into(),
            format!("Integration:\n  Type: AWS\n  IntegrationHttpMethod: POST\n  Credentials: !GetAtt ApiRole.Arn\n  Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:sqs:path/${{AWS::AccountId}}/${{{target}.QueueName}}\n  RequestParameters:\n    integration.request.header.Content-Type: \"'application/x-www-form-urlencoded'\"\n  RequestTemplates:\n    application/json: Action=SendMessage&MessageBody=$util.urlEncode($input.body)"),
        ),
        ("Kinesis stream", false) => (
            "Replace the function with an AWS integration that puts the record, mapped by a VTL template".into(),
            format!("Integration:\n  Type: AWS\n  IntegrationHttpMethod: POST\n  Credentials: !GetAtt ApiRole.Arn\n  Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:kinesis:action/PutRecord\n  RequestTemplates:\n    application/json: !Sub '{{\"StreamName\": \"${{{target}}}\", \"Data\": \"$util.base64Encode($input.body)\", \"PartitionKey\": \"$context.requestId\"}}'"),
        ),
        ("Step Functions state machine", false) => (
            "Replace the function with an AWS integration that starts the execution, mapped by a VTL template".into(),
            format!("Integration:\n  Type: AWS\n  IntegrationHttpMethod: POST\n  Credentials: !GetAtt ApiRole.Arn\n  Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:states:action/StartExecution\n  RequestTemplates:\n    application/json: !Sub '{{\"input\": \"$util.escapeJavaScript($input.json(''$''))\", \"stateMachineArn\": \"${{{target}}}\"}}'"),
        ),
        _ => (
            "Replace the function with a REST API AWS integration that calls DynamoDB, mapped by a VTL template".into(),
            format!("Integration:\n  Type: AWS\n  IntegrationHttpMethod: POST\n  Credentials: !GetAtt ApiRole.Arn\n  Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:dynamodb:action/PutItem\n  RequestTemplates:\n    application/json: !Sub '{{\"TableName\": \"${{{target}}}\", \"Item\": {{\"pk\": {{\"S\": \"$context.requestId\"}}, \"body\": {{\"S\": \"$util.escapeJavaScript($input.body)\"}}}}}}'"),
        ),
    }
}

impl PassThroughFunction {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for f in ctx.functions() {
            if ctx.node(f, &["VpcConfig"]).is_some() {
                continue; // it reaches something inside a VPC that the template does not show
            }
            // Callers: APIs only.
            let mut apis: BTreeSet<&str> = BTreeSet::new();
            let mut other_caller = false;
            for e in ctx.arch.edges_to(&f.id) {
                let from_type = ctx.type_of(&e.from);
                match e.kind {
                    EdgeKind::Invokes | EdgeKind::Triggers if is_api_type(from_type) => {
                        apis.insert(e.from.as_str());
                    }
                    EdgeKind::Invokes | EdgeKind::Triggers => other_caller = true,
                    // Another function or workflow that knows it (environment, definition).
                    _ if ctx.template.resource(&e.from).is_some_and(Resource::is_function) || from_type.ends_with("StateMachine") => other_caller = true,
                    _ => {}
                }
            }
            if other_caller || apis.is_empty() {
                continue;
            }
            // Data edges: exactly one target of a kind API Gateway integrates with.
            let mut targets: BTreeSet<&str> = BTreeSet::new();
            let mut kinds: BTreeSet<&str> = BTreeSet::new();
            for e in ctx.arch.edges_from(&f.id) {
                if matches!(e.kind, EdgeKind::Reads | EdgeKind::Writes | EdgeKind::Invokes | EdgeKind::Publishes) {
                    targets.insert(e.to.as_str());
                    kinds.insert(e.kind.as_str());
                }
            }
            let [target] = targets.iter().copied().collect::<Vec<_>>()[..] else { continue };
            let Some((_, what)) = TARGETS.iter().find(|(t, _)| *t == ctx.type_of(target)) else { continue };
            let references_more = ctx.arch.edges_from(&f.id).any(|e| {
                e.kind == EdgeKind::References
                    && e.to != target
                    && matches!(tier_of(ctx.type_of(&e.to)), Tier::Data | Tier::Messaging | Tier::Compute | Tier::Entry)
            });
            if references_more || has_other_permissions(ctx, f, target) {
                continue;
            }
            let http = apis.iter().all(|a| matches!(ctx.type_of(a), "AWS::Serverless::HttpApi" | "AWS::ApiGatewayV2::Api"));
            let api_list = apis.iter().copied().collect::<Vec<_>>().join(", ");
            let how = if http && *what == "DynamoDB table" {
                "; HTTP APIs have no DynamoDB integration, so this takes a REST API AWS integration with a VTL mapping template".to_string()
            } else if http {
                format!("; the HTTP API can call the {what} itself with a first-class AWS integration and parameter mapping")
            } else {
                format!("; API Gateway can call the {what} itself with an AWS integration and a VTL mapping template")
            };
            let verb = match (kinds.contains("reads"), kinds.contains("writes"), kinds.contains("invokes"), kinds.contains("publishes")) {
                (_, _, true, _) if what.starts_with("Step") => "start executions of",
                (true, true, _, _) => "read and write",
                (true, false, false, false) => "read",
                (false, true, false, false) => "write to",
                _ => "use",
            };
            let mut d = ctx.diag(f, &[], format!(
                "{} is invoked only by {api_list} and the only thing the template shows it doing is to {verb} {target} ({what}): it looks like a pass-through{how}, removing the Lambda hop, its cold starts and its cost",
                f.id,
            ));
            d.evidence.push(format!("callers: {api_list}"));
            for e in ctx.arch.edges_from(&f.id).filter(|e| e.to == target && e.kind != EdgeKind::References) {
                d.evidence.push(format!("{} {} {} via {}", f.id, e.kind.as_str(), e.to, e.via));
            }
            let (description, yaml) = snippet(what, target, http && *what != "DynamoDB table");
            d.fix = Some(Fix::new(description, yaml));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    fn found(text: &str) -> Vec<String> {
        analyze(text, &Default::default()).unwrap().findings.into_iter().filter(|f| f.rule == "APIGW-006").map(|f| f.resource.unwrap_or_default()).collect()
    }

    const BASE: &str = "
Transform: AWS::Serverless-2016-10-31
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Bucket: {Type: AWS::S3::Bucket}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref Table}
      Events:
        Get: {Type: HttpApi, Properties: {Path: /, Method: get}}
";

    #[test]
    fn one_table_behind_an_api_is_a_pass_through() {
        assert_eq!(found(BASE), vec!["Fn".to_string()]);
    }

    #[test]
    fn anything_more_is_not() {
        let two = BASE.replace("      Events:", "        - S3ReadPolicy: {BucketName: !Ref Bucket}\n      Events:");
        assert!(found(&two).is_empty(), "a second data edge");
        let env = BASE.replace("      Events:", "      Environment: {Variables: {B: !Ref Bucket}}\n      Events:");
        assert!(found(&env).is_empty(), "an env reference to another data resource");
        let managed = BASE.replace("      Events:", "        - AmazonS3ReadOnlyAccess\n      Events:");
        assert!(found(&managed).is_empty(), "a broad managed policy");
        let queue = BASE.replace("        Get: {Type: HttpApi, Properties: {Path: /, Method: get}}", "        Q: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}\n  Q: {Type: AWS::SQS::Queue}");
        assert!(found(&queue).is_empty(), "not called by an API");
        let vpc = BASE.replace("      Events:", "      VpcConfig: {SubnetIds: [s], SecurityGroupIds: [g]}\n      Events:");
        assert!(found(&vpc).is_empty(), "VPC functions reach more than the template shows");
    }
}
