//! `archlens rules` lists the rules; `archlens explain CODE` prints one rule's documentation.

use archlens_shared::rules;
use clap::Args;

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Rule code (`LAMBDA-001`) or name (`function-memory-at-default`).
    pub code: String,
}

pub fn list(args: &RulesArgs) -> String {
    let all = rules::all();
    if args.json {
        let metas: Vec<_> = all.iter().map(|r| r.meta()).collect();
        return serde_json::to_string_pretty(&metas).unwrap();
    }
    let mut out = String::new();
    for r in all {
        let m = r.meta();
        out.push_str(&format!("{:<11} {:<7} {:<12} {:<48} {}\n", m.code, m.severity.as_str(), m.pillar.as_str(), m.name, m.summary()));
    }
    out.push_str(&format!("\n{} rules. Details: archlens explain CODE\n", all.len()));
    out
}

pub fn explain(args: &ExplainArgs) -> Result<String, String> {
    let rule = rules::find(&args.code).ok_or_else(|| format!("no rule `{}` (see `archlens rules`)", args.code))?;
    let m = rule.meta();
    Ok(format!(
        "{} {}\nseverity: {}   pillar: {}\nremedies: {}\nsymptoms: {}\n\n{}",
        m.code,
        m.name,
        m.severity.as_str(),
        m.pillar.as_str(),
        m.remedies.join(", "),
        if m.symptoms.is_empty() { "-".to_string() } else { m.symptoms.join(", ") },
        m.docs.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")
    ))
}
