//! `mfaguard lint`: argument parsing and wiring; the readers and rules live
//! in `mfaguard_core::lint`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;

use mfaguard_core::lint::{self, FileResult};

use crate::output::write_stdout;
use crate::scan::FailOn;
use crate::{EXIT_ERROR, EXIT_FINDINGS};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LintFormat {
    Text,
    Json,
    Sarif,
}

#[derive(clap::Args)]
pub struct LintArgs {
    /// IAM policy JSON files, CloudFormation templates (.json, .yaml,
    /// .yml), Terraform plans (`terraform show -json`), Terraform files
    /// (.tf), or folders of them.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// Write the findings to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::None)]
    fail_on: FailOn,
}

fn lintable(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("json" | "yaml" | "yml" | "template" | "tf")
    )
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read the folder {}", path.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() || lintable(&entry) {
                collect(&entry, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

pub fn run(args: LintArgs) -> Result<u8> {
    let mut files = Vec::new();
    for path in &args.paths {
        collect(path, &mut files)?;
    }
    let mut results: Vec<FileResult> = Vec::new();
    let mut errors = 0;
    for file in &files {
        match lint::lint_file(file) {
            Ok(result) => results.push(result),
            Err(err) => {
                eprintln!("error: {err}");
                errors += 1;
            }
        }
    }
    let text = match args.format {
        LintFormat::Text => lint::render_text(&results),
        LintFormat::Json => lint::render_json(&results),
        LintFormat::Sarif => lint::render_sarif(&results),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the findings to {}", path.display()))?,
        None => write_stdout(&text)?,
    }
    if errors > 0 {
        return Ok(EXIT_ERROR);
    }
    let failing = args.fail_on.threshold().is_some_and(|threshold| {
        results
            .iter()
            .flat_map(|result| result.findings.iter())
            .any(|finding| finding.severity.at_least(threshold))
    });
    Ok(if failing { EXIT_FINDINGS } else { 0 })
}
