//! The `archlens` command line: one module per subcommand.

pub mod analyze;
pub mod knowledge;
pub mod metrics_query;
pub mod rules;
pub mod serve;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "archlens", version, about = "AWS architecture advisor: analyse CloudFormation/SAM templates and CloudWatch metrics, serve the web app and API.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse CloudFormation/SAM templates (files or folders).
    Analyze(analyze::AnalyzeArgs),
    /// Write CloudWatch GetMetricData queries for a template's resources, and the command to run them.
    MetricsQuery(metrics_query::MetricsQueryArgs),
    /// List the rules.
    Rules(rules::RulesArgs),
    /// Show one rule's documentation.
    Explain(rules::ExplainArgs),
    /// Serve the web app and the API.
    Serve(serve::ServeArgs),
    /// Summarise the knowledge graph, or show one node (`archlens knowledge dynamodb-dax`).
    Knowledge(knowledge::KnowledgeArgs),
}
