//! `archlens analyze PATH…`: analyse templates (files, or folders searched recursively) and
//! print a report. Exit status: 0 analysed, 1 a finding reached `--fail-on`, 2 unusable input.

use std::path::{Path, PathBuf};

use archlens_shared::analysis::{self, MetricsFile, Options};
use archlens_shared::report::{self, FileResult, Format};
use archlens_shared::rules::Severity;
use clap::Args;

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Template files, or folders to search for `*.yaml`, `*.yml`, `*.json`, `*.template`.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short, default_value = "text", value_parser = ["text", "json", "sarif", "markdown"])]
    pub format: String,
    /// Exit with status 1 when a finding has this severity or higher.
    #[arg(long, value_parser = ["high", "medium", "low", "info"])]
    pub fail_on: Option<String>,
    /// Rule codes or names not to report (repeatable, or comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Metrics snapshot to diagnose with the template (repeatable): `FILE`, or `RESOURCE=FILE`
    /// to bind the whole file to one resource (logical id or deployed name). Formats: CloudWatch
    /// GetMetricData (with or without its queries), GetMetricStatistics, long CSV, Lambda REPORT
    /// lines (text or `aws logs filter-log-events` JSON), Lambda Power Tuning output.
    #[arg(long, value_name = "[RESOURCE=]FILE")]
    pub metrics: Vec<String>,
}

/// Reads `--metrics` arguments; a file that exists under the whole argument wins over the
/// `RESOURCE=FILE` reading, so paths containing `=` still work.
fn read_metrics(args: &[String], stderr: &mut String) -> Result<Vec<MetricsFile>, ()> {
    let mut out = Vec::new();
    let mut failed = false;
    for arg in args {
        let (resource, path) = match arg.split_once('=') {
            Some((r, p)) if !Path::new(arg).exists() && !r.is_empty() => (Some(r.to_string()), p.to_string()),
            _ => (None, arg.clone()),
        };
        let path_ref = Path::new(&path);
        let too_big = std::fs::metadata(path_ref).map(|m| m.len() as usize > archlens_shared::metrics::MAX_METRICS_BYTES).unwrap_or(false);
        if too_big {
            stderr.push_str(&format!("archlens: {path}: metrics file larger than {} bytes\n", archlens_shared::metrics::MAX_METRICS_BYTES));
            failed = true;
            continue;
        }
        match std::fs::read(path_ref) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(content) => out.push(MetricsFile { name: path.clone(), content, resource }),
                Err(_) => {
                    stderr.push_str(&format!("archlens: {path}: metrics file is not UTF-8 text\n"));
                    failed = true;
                }
            },
            Err(e) => {
                stderr.push_str(&format!("archlens: {path}: {e}\n"));
                failed = true;
            }
        }
    }
    if failed { Err(()) } else { Ok(out) }
}

/// What the command prints and its exit status.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

fn is_template_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json" | "template"))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let hidden = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden || p.file_name().is_some_and(|n| n == "node_modules" || n == ".aws-sam") {
            continue;
        }
        if p.is_dir() {
            collect(&p, out)?;
        } else if is_template_name(&p) {
            out.push(p);
        }
    }
    Ok(())
}

pub fn run(args: &AnalyzeArgs) -> Outcome {
    let mut stderr = String::new();
    let mut inputs: Vec<(String, String, bool)> = Vec::new(); // (path, text, explicitly named)
    let mut unusable = false;
    for path in &args.paths {
        if path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = collect(path, &mut found) {
                stderr.push_str(&format!("archlens: {}: cannot read folder: {e}\n", path.display()));
                unusable = true;
            }
            for f in found {
                match read(&f) {
                    Ok(text) => inputs.push((f.display().to_string(), text, false)),
                    Err(e) => {
                        stderr.push_str(&format!("archlens: {e}\n"));
                        unusable = true;
                    }
                }
            }
        } else {
            match read(path) {
                Ok(text) => inputs.push((path.display().to_string(), text, true)),
                Err(e) => {
                    stderr.push_str(&format!("archlens: {e}\n"));
                    unusable = true;
                }
            }
        }
    }
    let metrics = match read_metrics(&args.metrics, &mut stderr) {
        Ok(m) => m,
        Err(()) => {
            unusable = true;
            Vec::new()
        }
    };
    let options = Options { ignore: args.ignore.clone(), metrics };
    let mut files: Vec<FileResult<'_>> = Vec::new();
    for (path, text, explicit) in &inputs {
        let outcome = analysis::analyze(text, &options);
        if let Err(e) = &outcome {
            // Files found in folders that are not templates at all are skipped, not failed.
            if !explicit && e.message.starts_with("not a CloudFormation template") {
                stderr.push_str(&format!("archlens: skipped {path}: {}\n", e.message));
                continue;
            }
            stderr.push_str(&format!("archlens: {path}:{}:{}: {}\n", e.line, e.col, e.message));
            unusable = true;
        }
        files.push(FileResult { path, source: text, outcome });
    }
    for f in &files {
        if let Ok(report) = &f.outcome {
            for e in &report.metrics.errors {
                stderr.push_str(&format!("archlens: {}{}: {}\n", e.file, e.line.map(|l| format!(":{l}")).unwrap_or_default(), e.message));
            }
            for name in &report.metrics.unbound {
                stderr.push_str(&format!("archlens: {}: metrics for `{name}` match no resource of the template (reported unbound; use --metrics RESOURCE=FILE to bind)\n", f.path));
            }
        }
    }
    let format = Format::parse(&args.format).unwrap_or(Format::Text);
    let stdout = if files.is_empty() { String::new() } else { report::render(format, &files) };
    let threshold = args.fail_on.as_deref().and_then(Severity::parse);
    let reached = threshold.is_some_and(|t| {
        files.iter().filter_map(|f| f.outcome.as_ref().ok()).any(|r| r.max_severity().is_some_and(|s| s >= t))
    });
    let code = if unusable || files.is_empty() && inputs.is_empty() {
        if inputs.is_empty() && !unusable {
            stderr.push_str("archlens: no templates found in the given paths\n");
        }
        2
    } else if reached {
        1
    } else {
        0
    };
    Outcome { stdout, stderr, code }
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() as usize > archlens_shared::template::MAX_TEMPLATE_BYTES {
        return Err(format!(
            "{}:1:1: template is {} bytes; the limit is {} bytes",
            path.display(),
            meta.len(),
            archlens_shared::template::MAX_TEMPLATE_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| format!("{}:1:1: not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to()))
}
