//! Markdown for pull request comments: a summary table, then each finding with its location,
//! evidence, remedies and fix, high severity first.

use super::FileResult;
use crate::knowledge;
use crate::rules::Severity;

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::High => "🔴",
        Severity::Medium => "🟠",
        Severity::Low => "🔵",
        Severity::Info => "⚪",
    }
}

/// Escapes text for a Markdown table cell or inline position.
fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(files: &[FileResult<'_>]) -> String {
    let kb = knowledge::embedded();
    let mut out = String::from("## Archlens review\n\n");
    out.push_str("| Template | Resources | 🔴 High | 🟠 Medium | 🔵 Low | ⚪ Info |\n|---|---:|---:|---:|---:|---:|\n");
    for f in files {
        match &f.outcome {
            Ok(r) => out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                esc(f.path),
                r.template.resource_count,
                r.summary.high,
                r.summary.medium,
                r.summary.low,
                r.summary.info
            )),
            Err(e) => out.push_str(&format!("| `{}` | error: line {}: {} | | | | |\n", esc(f.path), e.line, esc(&e.message))),
        }
    }
    for f in files {
        let Ok(report) = &f.outcome else { continue };
        if report.findings.is_empty() && report.costs.is_empty() {
            continue;
        }
        out.push_str(&format!("\n### `{}`\n", esc(f.path)));
        if !report.costs.is_empty() {
            out.push_str("\n**Lambda cost from REPORT lines**\n\n");
            out.push_str(&super::costs_text(report, "- "));
        }
        for finding in &report.findings {
            let resource = finding.resource.as_deref().map(|r| format!(" · `{r}`")).unwrap_or_default();
            out.push_str(&format!(
                "\n<details><summary>{} <b>{}</b> <code>{}</code>{} — line {}: {}</summary>\n\n",
                icon(finding.severity),
                finding.severity.as_str(),
                finding.rule,
                resource,
                finding.line,
                esc(&finding.message)
            ));
            if !finding.evidence.is_empty() {
                out.push_str("**Evidence**\n");
                for e in &finding.evidence {
                    out.push_str(&format!("- {}\n", esc(e)));
                }
                out.push('\n');
            }
            out.push_str("**Remedies**\n");
            for id in &finding.remedies {
                match kb.remedy(id) {
                    Some(r) => out.push_str(&format!("- `{id}` — {}: {}\n", esc(&r.title), esc(r.summary.trim()))),
                    None => out.push_str(&format!("- `{id}`\n")),
                }
            }
            if let Some(i) = &finding.impact {
                out.push_str(&format!("\n**Impact** — {}: {}\n", super::impact_text(i), esc(&i.explanation)));
            }
            if let Some(fix) = &finding.fix {
                out.push_str(&format!("\n**Fix** — {}\n\n```yaml\n{}\n```\n", esc(&fix.description), fix.yaml.trim_end()));
            }
            out.push_str("\n</details>\n");
        }
    }
    out
}
