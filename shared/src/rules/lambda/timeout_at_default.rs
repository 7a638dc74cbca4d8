use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

declare_rule! {
    /// ## What it does
    /// Flags Lambda functions that keep the default 3-second timeout.
    ///
    /// ## Why is this bad?
    /// Three seconds is rarely a decision: a function calling a database or another API can
    /// exceed it under load or on a cold start, and every such invocation fails with
    /// `Task timed out`, is retried (async, stream and queue sources) and billed in full. Set a
    /// timeout from the measured duration plus headroom, and below the caller's own timeout.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Report:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: nodejs20.x
    ///       Handler: index.handler
    ///       CodeUri: src/
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Globals:
    ///   Function:
    ///     Timeout: 10
    /// Resources:
    ///   Report:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: nodejs20.x
    ///       Handler: index.handler
    ///       CodeUri: src/
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
    pub TimeoutAtDefault {
        code: "LAMBDA-002",
        name: "function-timeout-at-default",
        severity: Low,
        pillar: Reliability,
        symptoms: ["lambda-near-timeout"],
        remedies: ["lambda-timeout-budget"],
    }
}

impl TimeoutAtDefault {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let f = ctx.function(r);
            if !f.timeout.is_absent() {
                continue;
            }
            let mut d = ctx.diag(r, &["Timeout"], format!(
                "{} has no Timeout, so it stops after Lambda's 3 s default; a slow dependency or cold start turns into a failed invocation",
                r.id
            ));
            d.evidence.push("Timeout not set (default 3 s)".into());
            d.fix = Some(Fix::new(
                "Set the timeout from the measured p99 duration plus headroom, below the caller's timeout",
                "Timeout: 10",
            ));
            out.push(d);
        }
    }
}
