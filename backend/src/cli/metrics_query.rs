//! `archlens metrics-query TEMPLATE`: writes the CloudWatch `--metric-data-queries` file for
//! every knowledge-graph metric that applies to the template's resources, and prints the
//! script that fills in deployed names and fetches the data.

use std::path::PathBuf;

use archlens_shared::metrics_query;
use archlens_shared::template::Template;
use clap::Args;

#[derive(Args, Debug)]
pub struct MetricsQueryArgs {
    pub template: PathBuf,
    /// CloudFormation stack name, used to look up generated resource names.
    #[arg(long)]
    pub stack_name: Option<String>,
    /// Period of each datapoint, in seconds.
    #[arg(long, default_value_t = 300)]
    pub period: u32,
    /// How many hours back to fetch.
    #[arg(long, default_value_t = 24)]
    pub hours: u32,
    /// Where to write the queries JSON (`-` for standard output, then the script goes to stderr).
    #[arg(long, short, default_value = "metric-data-queries.json")]
    pub output: String,
}

/// The periods GetMetricData accepts, as a phrase for messages.
pub const PERIOD_RULE: &str = "1, 5, 10, 30 or a multiple of 60 seconds (CloudWatch's rule)";

/// Whether CloudWatch accepts `seconds` as a GetMetricData period: 1, 5, 10 or 30 (high
/// resolution), or any multiple of 60.
pub fn is_cloudwatch_period(seconds: u64) -> bool {
    seconds > 0 && (seconds.is_multiple_of(60) || [1, 5, 10, 30].contains(&seconds))
}

pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

pub fn run(args: &MetricsQueryArgs) -> Outcome {
    let path = args.template.display().to_string();
    let text = match std::fs::read_to_string(&args.template) {
        Ok(t) => t,
        Err(e) => return Outcome { stdout: String::new(), stderr: format!("archlens: {path}: {e}\n"), code: 2 },
    };
    let template = match Template::parse(&text) {
        Ok(t) => t,
        Err(e) => return Outcome { stdout: String::new(), stderr: format!("archlens: {path}:{}:{}: {}\n", e.line, e.col, e.message), code: 2 },
    };
    if !is_cloudwatch_period(u64::from(args.period)) {
        return Outcome { stdout: String::new(), stderr: format!("archlens: --period must be {PERIOD_RULE}\n"), code: 2 };
    }
    let plan = metrics_query::generate(&template, archlens_shared::knowledge::embedded(), args.stack_name.as_deref(), args.period, args.hours);
    let json = serde_json::to_string_pretty(&plan.queries).expect("queries serialize");
    let mut notes = format!("# {} queries for {} resources of {path}\n", plan.queries.len(), template.resources.len());
    for n in &plan.notes {
        notes.push_str(&format!("# note: {n}\n"));
    }
    if args.output == "-" {
        return Outcome { stdout: json + "\n", stderr: notes + &plan.script, code: 0 };
    }
    if let Err(e) = std::fs::write(&args.output, json + "\n") {
        return Outcome { stdout: String::new(), stderr: format!("archlens: {}: {e}\n", args.output), code: 2 };
    }
    let script = plan.script.replace("QUERIES=${QUERIES:-metric-data-queries.json}", &format!("QUERIES=${{QUERIES:-{}}}", args.output));
    Outcome { stdout: format!("{notes}# wrote {}\n{script}", args.output), stderr: String::new(), code: 0 }
}
