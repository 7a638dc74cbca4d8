//! The node types of the knowledge graph, exactly as they are written in `knowledge/`.
//!
//! In: one YAML document per node (see `knowledge/README.md`). Out: typed nodes that
//! [`super::graph`] links into a petgraph graph. `deny_unknown_fields` everywhere, so a typo in
//! the data is an error rather than a silently ignored field.

use serde::{Deserialize, Serialize};

/// The three kinds of node, which are also the three folders of `knowledge/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Remedy,
    Symptom,
    Metric,
}

impl NodeKind {
    pub const ALL: [NodeKind; 3] = [NodeKind::Remedy, NodeKind::Symptom, NodeKind::Metric];

    /// The folder under `knowledge/` that holds nodes of this kind.
    pub fn folder(self) -> &'static str {
        match self {
            NodeKind::Remedy => "remedies",
            NodeKind::Symptom => "symptoms",
            NodeKind::Metric => "metrics",
        }
    }

    pub fn from_folder(folder: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.folder() == folder)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Remedy => "remedy",
            NodeKind::Symptom => "symptom",
            NodeKind::Metric => "metric",
        }
    }
}

/// Well-Architected pillar a remedy or finding belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pillar {
    Performance,
    Cost,
    Reliability,
    Operations,
    Security,
}

impl Pillar {
    pub const ALL: [Pillar; 5] = [
        Pillar::Performance,
        Pillar::Cost,
        Pillar::Reliability,
        Pillar::Operations,
        Pillar::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Pillar::Performance => "performance",
            Pillar::Cost => "cost",
            Pillar::Reliability => "reliability",
            Pillar::Operations => "operations",
            Pillar::Security => "security",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub language: String,
    pub code: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct References {
    #[serde(default)]
    pub seeds: Vec<String>,
    #[serde(default)]
    pub docs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remedy {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub why: String,
    pub tradeoffs: String,
    pub applies_to: Vec<String>,
    pub pillars: Vec<Pillar>,
    pub effort: Effort,
    pub cost_effect: String,
    pub latency_effect: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Example>,
    pub facts: Vec<String>,
    pub references: References,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
}

/// How a metric statistic is compared against its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    /// The statistic rises over the window by at least `threshold` per hour.
    #[serde(rename = "increasing")]
    Increasing,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Increasing => "increasing",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    Ratio,
    Difference,
}

/// The second operand of a ratio or difference: another metric or a template property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelativeTo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// Unit of `property` (the metric's own unit is in its node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    pub combine: Combine,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub statistic: String,
    pub op: Op,
    pub threshold: f64,
    pub window_minutes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_to: Option<RelativeTo>,
}

impl std::fmt::Display for Condition {
    /// Renders the condition the way an engineer writes it: `Throttles Sum > 0 over 5 min`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.statistic)?;
        if let Some(rel) = &self.relative_to {
            let other = rel
                .metric
                .as_deref()
                .map(|m| m.rsplit('/').next().unwrap_or(m))
                .or(rel.property.as_deref())
                .unwrap_or("?");
            let sign = match rel.combine {
                Combine::Ratio => "/",
                Combine::Difference => "-",
            };
            write!(f, " {sign} {other}")?;
        }
        if self.op == Op::Increasing {
            write!(f, " increasing")?;
            if self.threshold > 0.0 {
                write!(f, " by >= {}/h", self.threshold)?;
            }
        } else {
            write!(f, " {} {}", self.op.as_str(), self.threshold)?;
        }
        write!(f, " over {} min", self.window_minutes)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub metric: String,
    pub condition: Condition,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankedRemedy {
    pub id: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Symptom {
    pub id: String,
    pub title: String,
    /// How serious the symptom is when the numbers show it (the severity of its findings).
    pub severity: crate::rules::Severity,
    pub description: String,
    pub resource_types: Vec<String>,
    pub indicators: Vec<Indicator>,
    pub remedies: Vec<RankedRemedy>,
    pub facts: Vec<String>,
    pub references: References,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricSource {
    Cloudwatch,
    ReportLines,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub id: String,
    pub namespace: String,
    pub name: String,
    pub unit: String,
    pub dimension: String,
    pub resource_types: Vec<String>,
    pub statistics: Vec<String>,
    pub source: MetricSource,
    pub description: String,
    pub facts: Vec<String>,
    pub references: References,
}

/// Any node of the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Node {
    Remedy(Remedy),
    Symptom(Symptom),
    Metric(Metric),
}

impl Node {
    pub fn id(&self) -> &str {
        match self {
            Node::Remedy(r) => &r.id,
            Node::Symptom(s) => &s.id,
            Node::Metric(m) => &m.id,
        }
    }

    pub fn kind(&self) -> NodeKind {
        match self {
            Node::Remedy(_) => NodeKind::Remedy,
            Node::Symptom(_) => NodeKind::Symptom,
            Node::Metric(_) => NodeKind::Metric,
        }
    }

    pub fn title(&self) -> String {
        match self {
            Node::Remedy(r) => r.title.clone(),
            Node::Symptom(s) => s.title.clone(),
            Node::Metric(m) => format!("{} ({})", m.name, m.namespace),
        }
    }

    pub fn references(&self) -> &References {
        match self {
            Node::Remedy(r) => &r.references,
            Node::Symptom(s) => &s.references,
            Node::Metric(m) => &m.references,
        }
    }
}
