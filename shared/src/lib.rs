//! The Archlens engine: the knowledge graph, template and metrics analysis, and reports.
//! No I/O and no async: the same code runs in the server, the command line and the browser.

pub mod analysis;
pub mod architecture;
pub mod cost;
pub mod diagnosis;
pub mod diagram;
pub mod explore;
pub mod knowledge;
pub mod metrics;
pub mod metrics_query;
pub mod report;
pub mod rules;
pub mod template;
pub mod yaml;
