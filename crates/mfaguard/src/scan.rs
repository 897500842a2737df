//! `mfaguard scan`: collect, analyse, render, decide the exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::ValueEnum;

use mfaguard_core::{Config, Report, Severity, Snapshot};
use mfaguard_report::Color;

use crate::output::{write_stdout, Format};
use crate::EXIT_FINDINGS;

#[derive(clap::Args)]
pub struct ScanArgs {
    /// Folder of AWS CLI outputs (credential-report.json or .csv,
    /// account-authorization-details.json, virtual-mfa-devices.json,
    /// account-summary.json, optional mfa-devices.json). Without --from or
    /// --snapshot, the scan is live (AWS API, standard credential chain).
    #[arg(long, value_name = "DIR", conflicts_with = "snapshot")]
    from: Option<PathBuf>,
    /// Snapshots saved earlier with --save-snapshot or `mfaguard collect`
    /// (repeat for several accounts).
    #[arg(long, value_name = "FILE")]
    snapshot: Vec<PathBuf>,
    /// Save the collected snapshot as JSON, for later offline analysis.
    #[arg(long, value_name = "FILE")]
    save_snapshot: Option<PathBuf>,
    /// Configuration (TOML): break-glass users, exceptions, scan settings.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a failing result is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::None)]
    fail_on: FailOn,
    /// Warn when the credential report is older than this (overrides the
    /// config's scan.max_report_age_hours; default 4).
    #[arg(long, value_name = "HOURS")]
    max_report_age: Option<f64>,
    /// Evaluate as of this time (RFC 3339) instead of now: report age and
    /// exception expiry are judged against it. For reproducible reports.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Scan only the accounts of shard I of N (stable hash of the account
    /// ID), for several runners sharing one organisation and one store.
    #[arg(long, value_name = "I/N")]
    shard: Option<mfaguard_store::Shard>,
    #[command(flatten)]
    store: crate::store_args::StoreArgs,
    #[command(flatten)]
    live: crate::live::LiveArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    /// Never exit 1 because of findings.
    None,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::None => None,
        }
    }
}

pub fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>> {
    match now {
        None => Ok(Utc::now()),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .with_context(|| {
                format!("--now `{text}` is not an RFC 3339 time such as 2026-11-22T12:00:00Z")
            }),
    }
}

/// The configuration file (or the defaults), with `--max-report-age`
/// applied.
pub fn load_config(path: Option<&Path>, max_report_age: Option<f64>) -> Result<Config> {
    let mut config = match path {
        Some(path) => Config::load(path)?,
        None => Config::new(),
    };
    if let Some(hours) = max_report_age {
        if !(hours.is_finite() && hours > 0.0) {
            bail!("--max-report-age must be a positive number of hours");
        }
        config.max_report_age_hours = hours;
    }
    Ok(config)
}

pub fn scan(args: ScanArgs) -> Result<u8> {
    let now = parse_now(args.now.as_deref())?;
    let config = load_config(args.config.as_deref(), args.max_report_age)?;
    let (snapshots, failed) = if let Some(dir) = &args.from {
        (
            vec![mfaguard_core::offline::read_dir(dir, now)?],
            Vec::new(),
        )
    } else if !args.snapshot.is_empty() {
        let snapshots = args
            .snapshot
            .iter()
            .map(|file| Snapshot::load(file))
            .collect::<Result<Vec<_>, _>>()?;
        (snapshots, Vec::new())
    } else {
        let collected = crate::live::collect(&args.live, args.shard)?;
        (collected.snapshots, collected.failed)
    };
    let (snapshots, failed) = crate::store_args::apply_shard(args.shard, snapshots, failed);
    if let Some(path) = &args.save_snapshot {
        match snapshots.as_slice() {
            [snapshot] => snapshot.save(path)?,
            _ => bail!("--save-snapshot takes one account; use `mfaguard collect --org -o DIR` for an organisation"),
        }
    }
    let mut report = mfaguard_core::analyze(&snapshots, &config, now);
    report.failed_accounts = failed;
    emit(&report, args.format, args.output.as_deref())?;
    crate::store_args::record_scan(&args.store, &report, &snapshots, &config, args.shard)?;
    if report.is_partial() {
        eprintln!(
            "error: the scan is partial: {} account(s) could not be scanned",
            report.failed_accounts.len()
        );
        return Ok(crate::EXIT_ERROR);
    }
    Ok(match args.fail_on.threshold() {
        Some(threshold) if report.failures_at_or_above(threshold) > 0 => EXIT_FINDINGS,
        _ => 0,
    })
}

fn emit(report: &Report, format: Format, output: Option<&Path>) -> Result<()> {
    let text = match format {
        // Streamed: a large account's report is never held as one string.
        Format::Json => return stream_json(report, output),
        Format::Text => {
            let color = if output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
            {
                Color::Always
            } else {
                Color::Never
            };
            mfaguard_report::render_text(report, color)
        }
    };
    match output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => write_stdout(&text),
    }
}

fn stream_json(report: &Report, output: Option<&Path>) -> Result<()> {
    match output {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| mfaguard_report::write_json(report, file))
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => match mfaguard_report::write_json(report, std::io::stdout().lock()) {
            // A closed pipe (`mfaguard ... | head`) is not an error.
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot write to standard output"),
        },
    }
}
