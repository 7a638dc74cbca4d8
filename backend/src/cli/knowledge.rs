//! `archlens knowledge [ID]`: a summary of the knowledge graph, or one node in full.

use archlens_shared::knowledge::{KnowledgeBase, Node};
use clap::Args;

#[derive(Args, Debug)]
pub struct KnowledgeArgs {
    /// A node id: a remedy (`dynamodb-dax`), symptom (`lambda-throttling`) or metric
    /// (`AWS/Lambda/Throttles`).
    pub id: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: KnowledgeArgs, kb: &KnowledgeBase) -> Result<String, String> {
    match args.id {
        None if args.json => Ok(serde_json::to_string_pretty(&kb.export()).unwrap()),
        None => Ok(summary(kb)),
        Some(id) => {
            let node = kb.node(&id).ok_or_else(|| {
                let close: Vec<&str> = kb.nodes().map(Node::id).filter(|n| n.contains(id.as_str()) || id.contains(*n)).take(5).collect();
                if close.is_empty() {
                    format!("no knowledge node `{id}` (see `archlens knowledge` for the list)")
                } else {
                    format!("no knowledge node `{id}`; did you mean: {}?", close.join(", "))
                }
            })?;
            if args.json {
                Ok(serde_json::to_string_pretty(node).unwrap())
            } else {
                Ok(describe(kb, node))
            }
        }
    }
}

fn summary(kb: &KnowledgeBase) -> String {
    let mut out = format!(
        "Knowledge graph: {} remedies, {} symptoms, {} metrics, {} edges (both directions)\n",
        kb.remedies().count(),
        kb.symptoms().count(),
        kb.metrics().count(),
        kb.edge_count()
    );
    out.push_str("\nSymptoms -> ranked remedies\n");
    for s in kb.symptoms() {
        let remedies: Vec<&str> = s.remedies.iter().map(|r| r.id.as_str()).collect();
        out.push_str(&format!("  {:<30} {}\n", s.id, remedies.join(", ")));
    }
    out.push_str("\nMetrics -> symptoms\n");
    for m in kb.metrics() {
        let symptoms: Vec<String> = kb.symptoms_for_metric(&m.id).iter().map(|(s, i)| format!("{} ({})", s.id, i.condition)).collect();
        out.push_str(&format!("  {:<48} {}\n", m.id, symptoms.join("; ")));
    }
    out.push_str("\nShow one node: archlens knowledge ID\n");
    out
}

fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if line.len() + word.len() > 92 {
            out.push_str(indent);
            out.push_str(line.trim_end());
            out.push('\n');
            line.clear();
        }
        line.push_str(word);
        line.push(' ');
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn describe(kb: &KnowledgeBase, node: &Node) -> String {
    let mut out = String::new();
    match node {
        Node::Remedy(r) => {
            out.push_str(&format!("remedy {}: {}\n\n", r.id, r.title));
            out.push_str(&wrap(&r.summary, "  "));
            out.push_str("\nWhy it helps\n");
            out.push_str(&wrap(&r.why, "  "));
            out.push_str("\nTrade-offs\n");
            out.push_str(&wrap(&r.tradeoffs, "  "));
            let pillars: Vec<&str> = r.pillars.iter().map(|p| p.as_str()).collect();
            out.push_str(&format!("\nPillars: {}   Effort: {:?}\n", pillars.join(", "), r.effort));
            out.push_str(&format!("Cost: {}\nLatency: {}\n", r.cost_effect.trim(), r.latency_effect.trim()));
            out.push_str(&format!("Applies to: {}\n", r.applies_to.join(", ")));
            let treats: Vec<String> = kb.symptoms_for_remedy(&r.id).iter().map(|(s, rank)| format!("{} (#{rank})", s.id)).collect();
            out.push_str(&format!("Treats: {}\n", treats.join(", ")));
            if let Some(ex) = &r.example {
                out.push_str(&format!("\nExample ({})\n", ex.language));
                for line in ex.code.lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
        Node::Symptom(s) => {
            out.push_str(&format!("symptom {}: {}\n\n", s.id, s.title));
            out.push_str(&wrap(&s.description, "  "));
            out.push_str("\nIndicated by\n");
            for i in &s.indicators {
                out.push_str(&format!("  {}: {}\n", i.metric, i.condition));
            }
            out.push_str("\nRemedies, most effective first\n");
            for (n, r) in s.remedies.iter().enumerate() {
                out.push_str(&format!("  {}. {}\n", n + 1, r.id));
                out.push_str(&wrap(&r.why, "     "));
            }
        }
        Node::Metric(m) => {
            out.push_str(&format!("metric {} ({}, dimension {})\n\n", m.id, m.unit, m.dimension));
            out.push_str(&wrap(&m.description, "  "));
            out.push_str(&format!("\nStatistics: {}\n", m.statistics.join(", ")));
            out.push_str("Indicates\n");
            for (s, i) in kb.symptoms_for_metric(&m.id) {
                out.push_str(&format!("  {}: {}\n", s.id, i.condition));
            }
        }
    }
    let refs = node.references();
    out.push_str("\nReferences\n");
    for s in &refs.seeds {
        out.push_str(&format!("  seed {s}\n"));
    }
    for d in &refs.docs {
        out.push_str(&format!("  {d}\n"));
    }
    out
}
