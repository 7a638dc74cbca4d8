use crate::architecture::EdgeKind;
use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix};
use super::common;

declare_rule! {
    /// ## What it does
    /// Flags functions behind API Gateway whose timeout is longer than the API's 29-second
    /// integration timeout (30 s for HTTP APIs).
    ///
    /// ## Why is this bad?
    /// API Gateway gives up at 29 s and returns `504 Integration timeout` while the function
    /// keeps running, and keeps being billed, for up to its own timeout. The client sees an
    /// error for work that may still complete, and retries duplicate it. The function's
    /// timeout should sit below the caller's so that it fails first, with a useful error.
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
    ///       Timeout: 120
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
    ///       Timeout: 25
    ///       Events:
    ///         Get: {Type: Api, Properties: {Path: /export, Method: get}}
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
    pub TimeoutExceedsApiLimit {
        code: "LAMBDA-003",
        name: "function-timeout-exceeds-api-limit",
        severity: High,
        pillar: Reliability,
        symptoms: ["api-timeouts"],
        remedies: ["lambda-timeout-budget", "async-queue-offload", "apigw-timeout-diagnosis"],
    }
}

/// API Gateway resource types that invoke functions synchronously.

impl TimeoutExceedsApiLimit {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let Some(timeout) = ctx.function(r).timeout_s() else { continue };
            let callers: Vec<&str> = ctx
                .edges_to(&r.id, &[EdgeKind::Invokes])
                .filter(|e| common::is_api_type(ctx.type_of(&e.from)))
                .map(|e| e.from.as_str())
                .collect();
            let Some(api) = callers.first() else { continue };
            // HTTP APIs wait up to 30 s; REST and WebSocket APIs 29 s.
            let websocket = ctx.template.resource(api).is_some_and(|a| ctx.str(a, &["ProtocolType"]).known().is_some_and(|p| p == "WEBSOCKET"));
            let http = !websocket && matches!(ctx.type_of(api), "AWS::Serverless::HttpApi" | "AWS::ApiGatewayV2::Api");
            let limit = if http { 30.0 } else { 29.0 };
            if timeout <= limit {
                continue;
            }
            let mut d = ctx.diag(r, &["Timeout"], format!(
                "{} has Timeout {} s but is called by {api}, which gives up after {} s: callers get a 504 while the function runs on",
                r.id,
                fmt_num(timeout),
                fmt_num(limit)
            ));
            d.evidence.push(format!("Timeout = {} s", fmt_num(timeout)));
            d.evidence.push(format!("invoked by {api} ({}), integration timeout {} s", ctx.type_of(api), fmt_num(limit)));
            d.fix = Some(Fix::new(
                "Keep the function below the API's limit, and move longer work to a queue or Step Functions",
                format!("Timeout: {}", fmt_num(limit - 4.0)),
            ));
            out.push(d);
        }
    }
}
