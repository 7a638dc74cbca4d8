//! The `archlens` command line: one module per subcommand.

pub mod knowledge;
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
    /// Serve the web app and the API.
    Serve(serve::ServeArgs),
    /// Summarise the knowledge graph, or show one node (`archlens knowledge dynamodb-dax`).
    Knowledge(knowledge::KnowledgeArgs),
}
