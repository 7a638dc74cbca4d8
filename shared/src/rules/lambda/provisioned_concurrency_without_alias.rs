use crate::declare_rule;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common;

declare_rule! {
    /// ## What it does
    /// Flags SAM functions that set `ProvisionedConcurrencyConfig` without `AutoPublishAlias`.
    ///
    /// ## Why is this bad?
    /// Provisioned concurrency is allocated to a published version or alias, never to
    /// `$LATEST`. SAM creates the version and alias only for `AutoPublishAlias`, and without it
    /// the transform rejects the template ("To set ProvisionedConcurrencyConfig
    /// AutoPublishAlias must be defined on the function"), so the deployment fails before any
    /// resource changes.
    ///
    /// ## Example
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Checkout:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       ProvisionedConcurrencyConfig:
    ///         ProvisionedConcurrentExecutions: 5
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Transform: AWS::Serverless-2016-10-31
    /// Resources:
    ///   Checkout:
    ///     Type: AWS::Serverless::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       CodeUri: src/
    ///       AutoPublishAlias: live
    ///       ProvisionedConcurrencyConfig:
    ///         ProvisionedConcurrentExecutions: 5
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html#sam-function-provisionedconcurrencyconfig
    /// - https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
    pub ProvisionedConcurrencyWithoutAlias {
        code: "LAMBDA-011",
        name: "provisioned-concurrency-without-alias",
        severity: High,
        pillar: Reliability,
        symptoms: [],
        remedies: ["lambda-provisioned-concurrency"],
    }
}

impl ProvisionedConcurrencyWithoutAlias {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.resources(&["AWS::Serverless::Function"]) {
            // The transform checks the raw properties: any value (even an `Fn::If`) counts.
            if !common::written(r, "ProvisionedConcurrencyConfig") || common::written(r, "AutoPublishAlias") {
                continue;
            }
            let mut d = ctx.diag(r, &["ProvisionedConcurrencyConfig"], format!(
                "{} sets ProvisionedConcurrencyConfig without AutoPublishAlias: provisioned concurrency needs a published version or alias, so the SAM transform rejects the template and the deployment fails",
                r.id
            ));
            d.evidence.push("ProvisionedConcurrencyConfig is set".into());
            d.evidence.push("AutoPublishAlias not set".into());
            d.fix = Some(Fix::new(
                "Publish a version and an alias on each deployment; the provisioned concurrency goes on the alias (point callers at it)",
                "AutoPublishAlias: live",
            ));
            out.push(d);
        }
    }
}
