//! `archlens`: parses the command line and runs a subcommand. Exit status: 0 done,
//! 1 findings reached `--fail-on`, 2 unusable input or startup error.

use std::process::ExitCode;

/// Analysis allocates many small nodes; mimalloc roughly halves their cost against glibc's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use archlens::cli::{Cli, Command};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            archlens::telemetry::init(args.log_format);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            match runtime.block_on(archlens::cli::serve::run(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("archlens serve: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Analyze(args) => {
            if let Err(e) = archlens::load_knowledge() {
                eprintln!("archlens: {e}");
                return ExitCode::from(2);
            }
            let outcome = archlens::cli::analyze::run(&args);
            print!("{}", outcome.stdout);
            eprint!("{}", outcome.stderr);
            ExitCode::from(outcome.code)
        }
        Command::MetricsQuery(args) => {
            let outcome = archlens::cli::metrics_query::run(&args);
            print!("{}", outcome.stdout);
            eprint!("{}", outcome.stderr);
            ExitCode::from(outcome.code)
        }
        Command::Rules(args) => {
            print!("{}", archlens::cli::rules::list(&args));
            ExitCode::SUCCESS
        }
        Command::Explain(args) => match archlens::cli::rules::explain(&args) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("archlens explain: {e}");
                ExitCode::from(2)
            }
        },
        Command::Knowledge(args) => {
            let kb = match archlens::load_knowledge() {
                Ok(kb) => kb,
                Err(e) => {
                    eprintln!("archlens: {e}");
                    return ExitCode::from(2);
                }
            };
            match archlens::cli::knowledge::run(args, kb) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("archlens knowledge: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
