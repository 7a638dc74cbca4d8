use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common;

/// Above this, a synchronous API handler is probably doing work a client should not wait for.
const LONG_S: f64 = 10.0;

declare_rule! {
    /// ## What it does
    /// Points out functions behind API Gateway whose timeout is longer than 10 seconds but
    /// still within the API's integration timeout (29 s for REST APIs, 30 s for HTTP APIs;
    /// longer timeouts are LAMBDA-003's finding).
    ///
    /// ## Why is this bad?
    /// A timeout is an upper bound chosen for the slowest expected run. A request handler
    /// that may need 15 to 29 seconds keeps a client, a connection and a concurrent execution
    /// waiting the whole time, runs close to the point where API Gateway answers `504`, and
    /// makes the client's retries pile up more work. Long work belongs behind a queue: accept
    /// the request, return `202` with a job id, and let a worker do it. If the timeout is only
    /// generous headroom for a fast function, lowering it makes failures show sooner.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Export:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       Timeout: 28
    ///       Events:
    ///         Get: {Type: Api, Properties: {Path: /export, Method: get}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Export:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       Timeout: 6
    ///       Events:
    ///         Get: {Type: Api, Properties: {Path: /export, Method: get}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
    pub ApiFunctionLongTimeout {
        code: "LAMBDA-015",
        name: "api-function-with-long-timeout",
        severity: Info,
        pillar: Performance,
        symptoms: ["high-api-latency", "api-timeouts"],
        remedies: ["async-queue-offload", "lambda-async-processing"],
    }
}

impl ApiFunctionLongTimeout {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let apis = common::api_callers(ctx, r);
            let Some(api) = apis.first() else { continue };
            let Some(timeout) = ctx.function(r).timeout_s() else { continue };
            let limit = common::strictest_limit(ctx, &apis);
            if timeout <= LONG_S || timeout > limit {
                continue;
            }
            let websocket = ctx.template.resource(api).is_some_and(|a| ctx.str(a, &["ProtocolType"]).known().is_some_and(|p| p == "WEBSOCKET"));
            let answer = if websocket { "the result pushed back over the connection" } else { "a 202 response" };
            let mut d = ctx.diag(r, &["Timeout"], format!(
                "{} serves {api} synchronously with Timeout {} s, close to the API's {} s limit: a request may hold the client, a connection and a concurrent execution that long; long work belongs on a queue, with {answer}",
                r.id,
                fmt_num(timeout),
                fmt_num(limit)
            ));
            d.evidence.push(format!("Timeout = {} s", fmt_num(timeout)));
            d.evidence.push(format!("invoked by {api} ({}), integration timeout {} s", ctx.type_of(api), fmt_num(limit)));
            d.fix = Some(Fix::new(
                "Keep the request path short: enqueue the slow part (SQS) and answer 202 with a job id, then lower the timeout to the measured p99 plus headroom",
                if r.is_sam_function() {
                    format!(
                        "Timeout: 6\nEnvironment:\n  Variables:\n    JOBS_QUEUE_URL: !Ref {id}Jobs\nPolicies:\n  - SQSSendMessagePolicy:\n      QueueName: !GetAtt {id}Jobs.QueueName",
                        id = r.id
                    )
                } else {
                    format!("Timeout: 6\nEnvironment:\n  Variables:\n    JOBS_QUEUE_URL: !Ref {}Jobs   # and allow sqs:SendMessage in the role", r.id)
                },
            ));
            out.push(d);
        }
    }
}
