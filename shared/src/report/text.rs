//! Plain text for terminals: each finding with `file:line:column`, the rule, the message, a
//! code frame of the template around the line, the evidence, the remedies and the fix.

use super::FileResult;

/// Lines of context shown above and below a finding's line.
const CONTEXT: usize = 2;

fn frame(source: &str, line: u32, column: u32) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let at = (line as usize).saturating_sub(1);
    if at >= lines.len() {
        return String::new();
    }
    let from = at.saturating_sub(CONTEXT);
    let to = (at + CONTEXT).min(lines.len() - 1);
    let width = (to + 1).to_string().len();
    let mut out = String::new();
    for (i, text) in lines.iter().enumerate().take(to + 1).skip(from) {
        let marker = if i == at { ">" } else { " " };
        let shown: String = text.chars().take(160).collect();
        out.push_str(&format!("  {marker} {:>width$} | {shown}\n", i + 1));
        if i == at {
            let pad = " ".repeat(width + 5 + column.saturating_sub(1) as usize);
            out.push_str(&format!("  {pad}^\n"));
        }
    }
    out
}

pub fn text(files: &[FileResult<'_>]) -> String {
    let mut out = String::new();
    let mut totals = [0usize; 4];
    for file in files {
        match &file.outcome {
            Err(e) => out.push_str(&format!("{}:{}:{}: error: {}\n\n", file.path, e.line, e.col, e.message)),
            Ok(report) => {
                for f in &report.findings {
                    out.push_str(&format!(
                        "{}:{}:{}: {} {} {}\n  {}\n",
                        file.path, f.line, f.column, f.severity.as_str(), f.rule, f.name, f.message
                    ));
                    out.push_str(&frame(file.source, f.line, f.column));
                    for e in &f.evidence {
                        out.push_str(&format!("  evidence: {e}\n"));
                    }
                    out.push_str(&format!("  remedies: {}\n", f.remedies.join(", ")));
                    if let Some(i) = &f.impact {
                        out.push_str(&format!("  impact: {} ({})\n", super::impact_text(i), i.explanation));
                    }
                    if let Some(fix) = &f.fix {
                        out.push_str(&format!("  fix: {}\n", fix.description));
                        for l in fix.yaml.lines() {
                            out.push_str(&format!("      {l}\n"));
                        }
                    }
                    out.push('\n');
                }
                if !report.costs.is_empty() {
                    out.push_str(&format!("{}: Lambda cost from REPORT lines\n{}\n", file.path, super::costs_text(report, "  ")));
                }
                totals[0] += report.summary.high;
                totals[1] += report.summary.medium;
                totals[2] += report.summary.low;
                totals[3] += report.summary.info;
            }
        }
    }
    let analysed = files.iter().filter(|f| f.outcome.is_ok()).count();
    out.push_str(&format!(
        "{} finding(s) in {analysed} template(s): {} high, {} medium, {} low, {} info\n",
        totals.iter().sum::<usize>(),
        totals[0],
        totals[1],
        totals[2],
        totals[3]
    ));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn frame_marks_the_line_and_column() {
        let f = super::frame("a\nb\nc: 1\nd\ne\nf\n", 3, 4);
        assert!(f.contains("> 3 | c: 1"), "{f}");
        assert!(f.contains("  1 | a") && f.contains("  5 | e") && !f.contains("6 |"), "{f}");
        assert!(super::frame("a\n", 10, 1).is_empty());
    }
}
