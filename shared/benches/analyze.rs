//! In-process speed of the engine on the largest corpus template (220 resources), with the
//! baseline it is quoted against measured in the same run: reading the text into the YAML
//! tree, the least any analysis must do.
//!
//! Run: `cargo bench -p archlens-shared --bench analyze`

use archlens_shared::analysis::{Options, analyze};
use archlens_shared::yaml;
use criterion::{Criterion, criterion_group, criterion_main};

const LARGEST: &str = include_str!("../../tests/corpus/templates/059_samcli-cdk-restapi.yaml");
const SAM_APP: &str = include_str!("../../frontend/samples/orders-api.yaml");
/// The 20-resource template of the service's load test (`backend/examples/load.rs`).
const LOAD: &str = include_str!("../../backend/examples/load-template.yaml");

fn bench(c: &mut Criterion) {
    // Build the knowledge graph once, as the server and the CLI do.
    let _ = archlens_shared::knowledge::embedded();
    let mut group = c.benchmark_group("059_samcli-cdk-restapi (220 resources)");
    group.bench_function("baseline: parse YAML only", |b| b.iter(|| yaml::parse(std::hint::black_box(LARGEST)).unwrap()));
    group.bench_function("full analysis", |b| b.iter(|| analyze(std::hint::black_box(LARGEST), &Options::default()).unwrap()));
    group.finish();
    let mut group = c.benchmark_group("load-template (20 resources)");
    group.bench_function("baseline: parse YAML only", |b| b.iter(|| yaml::parse(std::hint::black_box(LOAD)).unwrap()));
    group.bench_function("saphyr events only", |b| b.iter(|| {
        let mut p = saphyr_parser::Parser::new_from_str(std::hint::black_box(LOAD));
        let mut n = 0;
        while let Some(Ok(_)) = p.next_event() { n += 1; }
        n
    }));
    group.bench_function("full analysis", |b| b.iter(|| analyze(std::hint::black_box(LOAD), &Options::default()).unwrap()));
    group.bench_function("full analysis + JSON report", |b| {
        b.iter(|| serde_json::to_vec(&analyze(std::hint::black_box(LOAD), &Options::default()).unwrap()).unwrap())
    });
    group.finish();
    c.bench_function("orders-api sample: full analysis", |b| b.iter(|| analyze(std::hint::black_box(SAM_APP), &Options::default()).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
