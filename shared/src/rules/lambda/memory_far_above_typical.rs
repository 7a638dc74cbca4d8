use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix};

use super::common;

/// 3,008 MB: the old maximum, still copied into templates as "the biggest size".
const LARGE_MB: f64 = 3008.0;

declare_rule! {
    /// ## What it does
    /// Points out functions configured with 3,008 MB of memory or more when nothing in the
    /// template shows that size was measured (no Lambda Insights extension on the function).
    ///
    /// ## Why is this bad?
    /// Lambda bills memory times duration, so a function at 4,096 MB costs eight times as much
    /// per second as one at 512 MB. Large sizes are right for CPU-bound work (more memory means
    /// more vCPU) or for big in-memory data, but they are also picked "to be safe" or copied
    /// from the old 3,008 MB maximum. `Max Memory Used` in the function's `REPORT` log lines
    /// shows whether the memory is used; Lambda Power Tuning shows whether the extra CPU
    /// shortens runs enough to pay for itself. This is advice to measure, not a defect.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Notify:
    ///     Type: AWS::Lambda::Function
    ///     Properties:
    ///       Runtime: nodejs20.x
    ///       Handler: index.handler
    ///       Role: arn:aws:iam::123456789012:role/notify
    ///       Code: {ZipFile: "exports.handler = async () => ({})"}
    ///       MemorySize: 3008
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Notify:
    ///     Type: AWS::Lambda::Function
    ///     Properties:
    ///       Runtime: nodejs20.x
    ///       Handler: index.handler
    ///       Role: arn:aws:iam::123456789012:role/notify
    ///       Code: {ZipFile: "exports.handler = async () => ({})"}
    ///       MemorySize: 512
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
    /// - https://github.com/alexcasalboni/aws-lambda-power-tuning
    pub MemoryFarAboveTypical {
        code: "LAMBDA-013",
        name: "memory-far-above-typical",
        severity: Info,
        pillar: Cost,
        symptoms: ["lambda-memory-overprovisioned", "high-lambda-cost"],
        remedies: ["lambda-right-size-memory", "lambda-power-tuning", "lambda-insights"],
    }
}

impl MemoryFarAboveTypical {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let f = ctx.function(r);
            let Some(&memory) = f.memory.known() else { continue };
            if memory < LARGE_MB || common::is_control_plane_function(ctx, r) {
                continue;
            }
            // Lambda Insights records memory use: the size can be (and likely was) measured.
            if common::has_layer(ctx, r, &["LambdaInsightsExtension"]) != Some(false) {
                continue;
            }
            let gb = memory / 1024.0;
            let price = if f.is_arm64() == Some(true) { 0.000_013_333_4 } else { 0.000_016_666_7 };
            let mut d = ctx.diag(r, &["MemorySize"], format!(
                "{} has MemorySize {} MB (about {:.1} vCPU), so every second it runs is billed as {:.2} GB-s ({} per million one-second invocations); check Max Memory Used in its REPORT log lines and tune with Power Tuning before keeping that size",
                r.id,
                fmt_num(memory),
                memory / 1769.0,
                gb,
                common::dollars(gb * price * 1_000_000.0),
            ));
            d.evidence.push(format!("MemorySize = {} MB", fmt_num(memory)));
            d.evidence.push("no Lambda Insights extension to show actual memory use".into());
            d.fix = Some(Fix::new(
                "Measure first (REPORT lines' Max Memory Used, Lambda Insights, Power Tuning), then set the smallest size that keeps duration acceptable",
                "MemorySize: 1024   # example: set from the measured Max Memory Used plus headroom",
            ));
            out.push(d);
        }
    }
}
