use crate::architecture::EdgeKind;
use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common;

declare_rule! {
    /// ## What it does
    /// Flags functions behind an API (API Gateway or an Application Load Balancer) that are
    /// allowed to invoke another function of the template (`LambdaInvokePolicy`, or an IAM
    /// statement with `lambda:InvokeFunction`).
    ///
    /// ## Why is this bad?
    /// A synchronous call (`RequestResponse`, the SDK default) keeps the calling function
    /// running, and billed, for as long as the called one runs: the same wait is paid twice,
    /// the request's latency includes both functions' cold starts, each function needs its own
    /// concurrency for the same request, and the caller's timeout must cover both. Work the
    /// response does not depend on belongs on a queue or an asynchronous invocation
    /// (`InvocationType: Event`); shared logic belongs in a library or layer, not a second hop.
    /// If the call is already asynchronous, this finding can be ignored.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Pricing:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: pricing.handler
    ///       CodeUri: pricing/
    ///   Checkout:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: checkout.handler
    ///       CodeUri: checkout/
    ///       Environment:
    ///         Variables:
    ///           PRICING_FUNCTION: !Ref Pricing
    ///       Policies:
    ///         - LambdaInvokePolicy: {FunctionName: !Ref Pricing}
    ///       Events:
    ///         Post: {Type: Api, Properties: {Path: /checkout, Method: post}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   PricingQueue:
    ///     Type: AWS::SQS::Queue
    ///   Pricing:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: pricing.handler
    ///       CodeUri: pricing/
    ///       Events:
    ///         Jobs: {Type: SQS, Properties: {Queue: !GetAtt PricingQueue.Arn}}
    ///   Checkout:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: checkout.handler
    ///       CodeUri: checkout/
    ///       Environment:
    ///         Variables:
    ///           PRICING_QUEUE_URL: !Ref PricingQueue
    ///       Policies:
    ///         - SQSSendMessagePolicy: {QueueName: !GetAtt PricingQueue.QueueName}
    ///       Events:
    ///         Post: {Type: Api, Properties: {Path: /checkout, Method: post}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
    /// - https://docs.aws.amazon.com/lambda/latest/operatorguide/functions-calling-functions.html
    pub SynchronousFunctionChain {
        code: "LAMBDA-014",
        name: "synchronous-function-chain",
        severity: Low,
        pillar: Performance,
        symptoms: ["high-api-latency", "high-lambda-cost"],
        remedies: ["lambda-async-processing", "async-queue-offload"],
    }
}

impl SynchronousFunctionChain {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let caller = ctx.edges_to(&r.id, &[EdgeKind::Invokes]).find(|e| {
                let t = ctx.type_of(&e.from);
                common::is_api_type(t) || t.starts_with("AWS::ElasticLoadBalancingV2")
            });
            let Some(caller) = caller else { continue };
            let mut callees: Vec<(&str, &str)> = Vec::new();
            for e in ctx.edges_from(&r.id, &[EdgeKind::Invokes]) {
                let is_fn = ctx.template.resource(&e.to).is_some_and(|t| t.is_function());
                if is_fn && e.to != r.id && !callees.iter().any(|(id, _)| *id == e.to) {
                    callees.push((e.to.as_str(), e.via.as_str()));
                }
            }
            let Some((first, via)) = callees.first() else { continue };
            let others = if callees.len() > 1 { format!(" (and {} more)", callees.len() - 1) } else { String::new() };
            let path: &[&str] = if r.is_sam_function() && via.contains("Policy") && !via.contains("statement") { &["Policies"] } else { &["Role"] };
            let mut d = ctx.diag(r, path, format!(
                "{} answers {} and may invoke {first}{others} ({via}); a synchronous call bills both functions while {} waits and adds {first}'s duration and cold starts to the response time",
                r.id, caller.from, r.id
            ));
            d.evidence.push(format!("invoked synchronously by {} ({})", caller.from, ctx.type_of(&caller.from)));
            for (id, via) in &callees {
                d.evidence.push(format!("may invoke {id} via {via}"));
            }
            d.fix = Some(Fix::new(
                format!("Hand the work to {first} through a queue (or invoke it with InvocationType Event) and answer the request without waiting; or share the logic as a library"),
                if r.is_sam_function() {
                    format!("Policies:\n  - SQSSendMessagePolicy:\n      QueueName: !GetAtt {first}Queue.QueueName   # {first} consumes {first}Queue through an SQS event")
                } else {
                    format!("- Effect: Allow   # in the role's policy, instead of lambda:InvokeFunction\n  Action: sqs:SendMessage\n  Resource: !GetAtt {first}Queue.Arn")
                },
            ));
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::analyze;

    #[test]
    fn cloudformation_role_statement_behind_a_rest_api() {
        let text = "
Resources:
  Api: {Type: AWS::ApiGateway::RestApi}
  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      Integration:
        Uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Front.Arn}/invocations'
  Front:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt Role.Arn, Code: {ZipFile: x}}
  Back:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt Role.Arn, Code: {ZipFile: x}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Back.Arn}
";
        let report = analyze(text, &Default::default()).unwrap();
        let found: Vec<_> = report.findings.iter().filter(|f| f.rule == "LAMBDA-014").collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].resource.as_deref(), Some("Front"));
        assert_eq!(found[0].path.last().map(String::as_str), Some("Role"));
    }
}
