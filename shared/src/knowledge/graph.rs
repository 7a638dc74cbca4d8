//! The validated knowledge base as a petgraph graph, and the queries the product needs.
//!
//! Edges are written once in the data (symptom -> metric indicators, symptom -> remedies,
//! remedy -> related); the graph stores each forward edge together with its reverse, so every
//! query is a walk over the outgoing edges of one node.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::load::{self, Problem};
use super::model::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// metric -> symptom; `index` is the indicator's position in the symptom.
    Indicates { index: usize },
    /// symptom -> metric (reverse of `Indicates`).
    IndicatedBy { index: usize },
    /// symptom -> remedy; `rank` starts at 1 (most effective).
    RemediedBy { rank: usize },
    /// remedy -> symptom (reverse of `RemediedBy`).
    Remedies { rank: usize },
    /// remedy -> remedy, both directions.
    Related,
}

impl EdgeKind {
    fn is_forward(self) -> bool {
        matches!(
            self,
            EdgeKind::Indicates { .. } | EdgeKind::RemediedBy { .. } | EdgeKind::Related
        )
    }
}

pub struct KnowledgeBase {
    graph: DiGraph<Node, EdgeKind>,
    index: HashMap<String, NodeIndex>,
}

/// One path metric -> symptom -> remedy: why a number leads to a recommendation.
#[derive(Debug, Clone, Serialize)]
pub struct EvidencePath<'a> {
    pub metric: &'a Metric,
    pub indicator: &'a Indicator,
    pub symptom: &'a Symptom,
    pub rank: usize,
    pub remedy: &'a Remedy,
    pub why: &'a str,
}

/// The whole graph as JSON-friendly nodes and (forward) edges.
#[derive(Debug, Clone, Serialize)]
pub struct GraphExport<'a> {
    pub nodes: Vec<&'a Node>,
    pub edges: Vec<ExportEdge<'a>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportEdge<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

impl KnowledgeBase {
    /// Parses and validates `(path, text)` files (paths relative to `knowledge/`).
    pub fn load(files: &[(&str, &str)]) -> Result<KnowledgeBase, Vec<Problem>> {
        let nodes = load::parse_and_validate(files)?;
        let mut graph = DiGraph::with_capacity(nodes.len(), nodes.len() * 6);
        let mut index = HashMap::new();
        for node in nodes {
            let id = node.id().to_string();
            let ix = graph.add_node(node);
            index.insert(id, ix);
        }
        let mut edges = Vec::new();
        for ix in graph.node_indices() {
            match &graph[ix] {
                Node::Symptom(s) => {
                    for (i, ind) in s.indicators.iter().enumerate() {
                        let m = index[&ind.metric];
                        edges.push((m, ix, EdgeKind::Indicates { index: i }));
                        edges.push((ix, m, EdgeKind::IndicatedBy { index: i }));
                    }
                    for (i, r) in s.remedies.iter().enumerate() {
                        let r = index[&r.id];
                        edges.push((ix, r, EdgeKind::RemediedBy { rank: i + 1 }));
                        edges.push((r, ix, EdgeKind::Remedies { rank: i + 1 }));
                    }
                }
                Node::Remedy(r) => {
                    for rel in &r.related {
                        let other = index[rel];
                        edges.push((ix, other, EdgeKind::Related));
                        edges.push((other, ix, EdgeKind::Related));
                    }
                }
                Node::Metric(_) => {}
            }
        }
        for (a, b, kind) in edges {
            if kind == EdgeKind::Related && graph.find_edge(a, b).is_some() {
                continue;
            }
            graph.add_edge(a, b, kind);
        }
        Ok(KnowledgeBase { graph, index })
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&ix| &self.graph[ix])
    }

    pub fn remedy(&self, id: &str) -> Option<&Remedy> {
        match self.node(id)? {
            Node::Remedy(r) => Some(r),
            _ => None,
        }
    }

    pub fn symptom(&self, id: &str) -> Option<&Symptom> {
        match self.node(id)? {
            Node::Symptom(s) => Some(s),
            _ => None,
        }
    }

    pub fn metric(&self, id: &str) -> Option<&Metric> {
        match self.node(id)? {
            Node::Metric(m) => Some(m),
            _ => None,
        }
    }

    /// All nodes, ordered by kind (remedies, symptoms, metrics) then id.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights()
    }

    pub fn remedies(&self) -> impl Iterator<Item = &Remedy> {
        self.nodes().filter_map(|n| match n {
            Node::Remedy(r) => Some(r),
            _ => None,
        })
    }

    pub fn symptoms(&self) -> impl Iterator<Item = &Symptom> {
        self.nodes().filter_map(|n| match n {
            Node::Symptom(s) => Some(s),
            _ => None,
        })
    }

    pub fn metrics(&self) -> impl Iterator<Item = &Metric> {
        self.nodes().filter_map(|n| match n {
            Node::Metric(m) => Some(m),
            _ => None,
        })
    }

    fn outgoing(&self, id: &str) -> impl Iterator<Item = (EdgeKind, &Node)> {
        self.index.get(id).into_iter().flat_map(move |&ix| {
            self.graph
                .edges(ix)
                .map(move |e| (*e.weight(), &self.graph[e.target()]))
        })
    }

    /// Remedies of a symptom in rank order, each with why it applies.
    pub fn remedies_for_symptom(&self, symptom: &str) -> Vec<(&Remedy, &RankedRemedy)> {
        let Some(s) = self.symptom(symptom) else { return Vec::new() };
        s.remedies
            .iter()
            .filter_map(|rr| self.remedy(&rr.id).map(|r| (r, rr)))
            .collect()
    }

    /// Symptoms a metric can show, each with the condition under which it does.
    pub fn symptoms_for_metric(&self, metric: &str) -> Vec<(&Symptom, &Indicator)> {
        let mut out: Vec<(&Symptom, &Indicator)> = self
            .outgoing(metric)
            .filter_map(|(kind, node)| match (kind, node) {
                (EdgeKind::Indicates { index }, Node::Symptom(s)) => Some((s, &s.indicators[index])),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        out
    }

    /// Symptoms a remedy treats, with its rank there.
    pub fn symptoms_for_remedy(&self, remedy: &str) -> Vec<(&Symptom, usize)> {
        let mut out: Vec<(&Symptom, usize)> = self
            .outgoing(remedy)
            .filter_map(|(kind, node)| match (kind, node) {
                (EdgeKind::Remedies { rank }, Node::Symptom(s)) => Some((s, rank)),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        out
    }

    /// Metrics that indicate a symptom.
    pub fn metrics_for_symptom(&self, symptom: &str) -> Vec<(&Metric, &Indicator)> {
        let Some(s) = self.symptom(symptom) else { return Vec::new() };
        s.indicators
            .iter()
            .filter_map(|i| self.metric(&i.metric).map(|m| (m, i)))
            .collect()
    }

    pub fn related_remedies(&self, remedy: &str) -> Vec<&Remedy> {
        self.outgoing(remedy)
            .filter_map(|(kind, node)| match (kind, node) {
                (EdgeKind::Related, Node::Remedy(r)) => Some(r),
                _ => None,
            })
            .collect()
    }

    /// Remedies that apply to a CloudFormation resource type.
    pub fn remedies_for_resource_type(&self, resource_type: &str) -> Vec<&Remedy> {
        self.remedies()
            .filter(|r| r.applies_to.iter().any(|t| t == resource_type))
            .collect()
    }

    /// Metrics emitted for a CloudFormation resource type.
    pub fn metrics_for_resource_type(&self, resource_type: &str) -> Vec<&Metric> {
        self.metrics()
            .filter(|m| m.resource_types.iter().any(|t| t == resource_type))
            .collect()
    }

    /// Every path metric -> symptom -> remedy starting at `metric`, in (symptom, rank) order.
    pub fn evidence_paths(&self, metric: &str) -> Vec<EvidencePath<'_>> {
        let Some(m) = self.metric(metric) else { return Vec::new() };
        let mut out = Vec::new();
        for (symptom, indicator) in self.symptoms_for_metric(metric) {
            for (rank, rr) in symptom.remedies.iter().enumerate() {
                if let Some(remedy) = self.remedy(&rr.id) {
                    out.push(EvidencePath {
                        metric: m,
                        indicator,
                        symptom,
                        rank: rank + 1,
                        remedy,
                        why: &rr.why,
                    });
                }
            }
        }
        out
    }

    /// The graph as nodes and forward edges (the reverse ones are implied).
    pub fn export(&self) -> GraphExport<'_> {
        let edges = self
            .graph
            .edge_references()
            .filter(|e| e.weight().is_forward())
            .filter(|e| !(*e.weight() == EdgeKind::Related && e.source() > e.target()))
            .map(|e| {
                let from = self.graph[e.source()].id();
                let to = self.graph[e.target()].id();
                match *e.weight() {
                    EdgeKind::Indicates { index } => {
                        let Node::Symptom(s) = &self.graph[e.target()] else { unreachable!() };
                        ExportEdge { from, to, kind: "indicates", rank: None, condition: Some(s.indicators[index].condition.to_string()) }
                    }
                    EdgeKind::RemediedBy { rank } => ExportEdge { from, to, kind: "remedied-by", rank: Some(rank), condition: None },
                    _ => ExportEdge { from, to, kind: "related", rank: None, condition: None },
                }
            })
            .collect();
        GraphExport {
            nodes: self.nodes().collect(),
            edges,
        }
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }
}
