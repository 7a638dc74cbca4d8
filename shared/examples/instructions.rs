//! Runs one stage of the engine N times on the load test's template, for counting instructions
//! (free of the machine's speed phases) rather than timing:
//!
//! ```text
//! cargo build --release -p archlens-shared --example instructions
//! for n in 0 20; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/instructions STAGE $n 2>&1 | grep refs; done
//! ```
//! (instructions per run = (refs at 20 - refs at 0) / 20). STAGE is `events` (saphyr's events
//! only), `parse` (the YAML tree), `analyze` (parse, architecture, rules) or `json` (analyze and
//! the compact JSON report the API sends).

use archlens_shared::analysis::{Options, analyze};

const LOAD: &str = include_str!("../../backend/examples/load-template.yaml");

fn main() {
    let mut args = std::env::args().skip(1);
    let stage = args.next().unwrap_or_else(|| "json".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    if stage == "analyze" || stage == "json" {
        // Built once per process, as in the server; counted in the N = 0 run too.
        let _ = archlens_shared::knowledge::embedded();
    }
    let options = Options::default();
    let mut total = 0usize;
    for _ in 0..n {
        total += match stage.as_str() {
            "events" => {
                let mut parser = saphyr_parser::Parser::new_from_str(std::hint::black_box(LOAD));
                std::iter::from_fn(|| parser.next_event()).take_while(Result::is_ok).count()
            }
            "parse" => archlens_shared::yaml::parse(std::hint::black_box(LOAD)).is_ok() as usize,
            "analyze" => analyze(std::hint::black_box(LOAD), &options).unwrap().findings.len(),
            "json" => serde_json::to_vec(&analyze(std::hint::black_box(LOAD), &options).unwrap()).unwrap().len(),
            other => panic!("unknown stage `{other}`: events, parse, analyze or json"),
        };
    }
    println!("{stage} x {n}: {total}");
}
