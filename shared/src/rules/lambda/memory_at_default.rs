use crate::declare_rule;
use crate::rules::ctx::fmt_num;
use crate::rules::{Ctx, Diagnostic, Fix, Prop};

declare_rule! {
    /// ## What it does
    /// Flags Lambda functions left at the default (or minimum) memory of 128 MB.
    ///
    /// ## Why is this bad?
    /// Lambda allocates CPU in proportion to memory: at 128 MB a function gets under a tenth
    /// of a vCPU, so initialisation and any CPU-bound work run slowly, cold starts stretch,
    /// and the billed duration can cost more than a larger size would. A size picked by
    /// measurement (Lambda Power Tuning) is usually both faster and no more expensive.
    ///
    /// ## Example
    /// ```yaml
    /// Resources:
    ///   Orders:
    ///     Type: AWS::Lambda::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Role: arn:aws:iam::123456789012:role/orders
    ///       Code: {ZipFile: "def handler(e, c): return e"}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// Resources:
    ///   Orders:
    ///     Type: AWS::Lambda::Function
    ///     Properties:
    ///       Runtime: python3.12
    ///       Handler: app.handler
    ///       Role: arn:aws:iam::123456789012:role/orders
    ///       Code: {ZipFile: "def handler(e, c): return e"}
    ///       MemorySize: 1024
    /// ```
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
    /// - https://github.com/alexcasalboni/aws-lambda-power-tuning
    pub MemoryAtDefault {
        code: "LAMBDA-001",
        name: "function-memory-at-default",
        severity: Medium,
        pillar: Performance,
        symptoms: ["lambda-slow-cpu-bound", "lambda-cold-starts"],
        remedies: ["lambda-memory-for-cpu", "lambda-power-tuning"],
    }
}

impl MemoryAtDefault {
    fn run(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
        for r in ctx.functions() {
            let f = ctx.function(r);
            let (memory, how) = match &f.memory {
                Prop::Absent => (128.0, "is not set, so it runs with the 128 MB default".to_string()),
                Prop::Known(m, _) if *m <= 128.0 => (*m, format!("has MemorySize {} MB, the minimum", fmt_num(*m))),
                _ => continue,
            };
            let runtime = f.runtime.known().cloned().unwrap_or_else(|| "its runtime".into());
            let extra = if f.is_java() {
                "; Java functions rarely initialise in under 2 s at that size"
            } else {
                ""
            };
            let mut d = ctx.diag(r, &["MemorySize"], format!(
                "{} {how}: about {:.2} vCPU for {runtime}{extra}",
                r.id,
                memory / 1769.0
            ));
            d.evidence.push(format!("MemorySize = {} MB{}", fmt_num(memory), if f.memory.is_absent() { " (default)" } else { "" }));
            d.fix = Some(Fix::new(
                "Set a measured memory size; 512-1024 MB is a common starting point, then tune with Lambda Power Tuning",
                "MemorySize: 1024",
            ));
            out.push(d);
        }
    }
}
