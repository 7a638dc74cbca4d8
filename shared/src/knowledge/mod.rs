//! The optimization knowledge base: remedies, symptoms and metrics as a petgraph graph.
//!
//! In: the YAML files of `knowledge/`, compiled in by `build.rs` ([`embedded`]) or handed over
//! by a caller ([`KnowledgeBase::load`], used by tests with small broken graphs).
//! Out: a validated [`KnowledgeBase`] with the queries the analysis and the UI need, or the
//! complete list of problems, each naming its file.

pub mod catalogue;
mod graph;
mod load;
pub mod model;

pub use graph::{EdgeKind, EvidencePath, GraphExport, KnowledgeBase};
pub use load::Problem;
pub use model::*;

mod files {
    include!(concat!(env!("OUT_DIR"), "/knowledge_files.rs"));
}

/// The knowledge files compiled into this build.
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    files::FILES
}

/// The compiled-in knowledge base, validated once. Callers that must refuse to start on a
/// broken graph (the server) call [`KnowledgeBase::load`] on [`embedded_files`] first; this
/// accessor panics with every problem listed, which the knowledge tests make impossible to ship.
pub fn embedded() -> &'static KnowledgeBase {
    static KB: std::sync::OnceLock<KnowledgeBase> = std::sync::OnceLock::new();
    KB.get_or_init(|| match KnowledgeBase::load(embedded_files()) {
        Ok(kb) => kb,
        Err(problems) => panic!(
            "the compiled-in knowledge graph is invalid:\n{}",
            load::render(&problems)
        ),
    })
}
