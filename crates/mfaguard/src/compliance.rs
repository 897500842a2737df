//! `mfaguard compliance`: a framework's controls assessed from a scan.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use mfaguard_core::compliance::{self, ControlStatus};
use mfaguard_core::{Snapshot, Status};

use crate::output::write_stdout;
use crate::scan::{load_config, parse_hours, parse_now, FailOn, LIVE_ONLY};
use crate::{EXIT_ERROR, EXIT_FINDINGS};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ComplianceFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct ComplianceArgs {
    /// Framework id, e.g. cis-aws-5.0, aws-fsbp, nist-800-53-r5, pci-dss-4.0
    /// (--list lists them).
    #[arg(long, value_name = "ID", required_unless_present = "list")]
    framework: Option<String>,
    /// List the frameworks and their controls instead.
    #[arg(long, conflicts_with = "framework")]
    list: bool,
    /// Folder of AWS CLI outputs, as for `scan --from`. Without --from or
    /// --snapshot, the account is collected live.
    #[arg(long, value_name = "DIR", conflicts_with = "snapshot", conflicts_with_all = LIVE_ONLY)]
    from: Option<PathBuf>,
    /// Snapshots saved by `scan --save-snapshot` or `collect` (repeatable).
    #[arg(long, value_name = "FILE", conflicts_with_all = LIVE_ONLY)]
    snapshot: Vec<PathBuf>,
    /// Configuration (TOML): break-glass users, exceptions, scan settings.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ComplianceFormat::Text)]
    format: ComplianceFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a failing result behind a control of the framework is at
    /// or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::None)]
    fail_on: FailOn,
    /// Warn when the credential report is older than this (hours).
    #[arg(long, value_name = "HOURS", allow_negative_numbers = true, value_parser = parse_hours)]
    max_report_age: Option<f64>,
    /// Evaluate as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    #[command(flatten)]
    live: crate::live::LiveArgs,
}

pub fn run(args: ComplianceArgs) -> Result<u8> {
    if args.list {
        let text = match args.format {
            ComplianceFormat::Text => mfaguard_report::render_frameworks_text(),
            ComplianceFormat::Json => mfaguard_report::render_frameworks_json(),
        };
        write(&text, &args.output)?;
        return Ok(0);
    }
    let wanted = args.framework.as_deref().unwrap_or_default();
    let Some(framework) = compliance::find(wanted) else {
        bail!(
            "no framework `{wanted}`; the closest are {} (`mfaguard compliance --list` lists them all)",
            compliance::closest(wanted, 3).join(", ")
        );
    };
    let now = parse_now(args.now.as_deref())?;
    let config = load_config(args.config.as_deref(), args.max_report_age, now)?;
    let (snapshots, failed) = if let Some(dir) = &args.from {
        (
            vec![mfaguard_core::offline::read_dir(dir, now)?],
            Vec::new(),
        )
    } else if !args.snapshot.is_empty() {
        (Snapshot::load_all(&args.snapshot)?, Vec::new())
    } else {
        let collected = crate::live::collect(&args.live, &config.live, None)?;
        (collected.snapshots, collected.failed)
    };
    let mut report = mfaguard_core::analyze(&snapshots, &config, now);
    report.failed_accounts = failed;
    let view = mfaguard_report::compliance_view(&report, framework);
    let text = match args.format {
        ComplianceFormat::Text => mfaguard_report::render_compliance_text(&view),
        ComplianceFormat::Json => mfaguard_report::render_compliance_json(&view),
    };
    write(&text, &args.output)?;
    if report.is_partial() {
        eprintln!(
            "error: the assessment is partial: {} could not be scanned",
            mfaguard_core::words::count(report.failed_accounts.len(), "account", "accounts")
        );
        return Ok(EXIT_ERROR);
    }
    let threshold = args.fail_on.threshold();
    let failing = view
        .assessment
        .controls
        .iter()
        .filter(|control| control.status == ControlStatus::Fail)
        .flat_map(|control| &control.results)
        .any(|result| {
            result.status == Status::Fail
                && threshold.is_some_and(|threshold| result.severity.at_least(threshold))
        });
    Ok(if failing { EXIT_FINDINGS } else { 0 })
}

fn write(text: &str, output: &Option<PathBuf>) -> Result<()> {
    match output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write to {}", path.display())),
        None => write_stdout(text),
    }
}
