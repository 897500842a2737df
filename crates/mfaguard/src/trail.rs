//! `mfaguard trail`: CloudTrail evidence of what happens without MFA.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use mfaguard_core::simulation::load_account;
use mfaguard_trail::{
    analyze_folder, analyze_folder_by_file, default_jobs, parse_bound, Knowledge, Window,
};

use crate::output::{write_stdout, Format};
use crate::scan::{load_config, parse_now, FailOn};
use crate::store_args::OptInStoreArgs;
use crate::EXIT_FINDINGS;

#[derive(clap::Args)]
#[command(
    after_help = "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 error.

Examples:
  mfaguard trail --from ./trail-logs --since 2024-11-01 --until 2024-11-30
  mfaguard trail --from ./trail-logs --snapshot ./my-account --config mfaguard.toml \\
      --format json --output trail.json --fail-on high"
)]
pub struct TrailArgs {
    /// Folder of CloudTrail log files as delivered to S3
    /// (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz, or an
    /// organisation trail's AWSLogs/<org-id>/<account>/...), or one file.
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// An account's snapshot: a folder of AWS CLI outputs (as for `scan
    /// --from`) or a snapshot saved with --save-snapshot. Repeat for several
    /// accounts. Denials in its account are attributed by evaluating the
    /// caller's policies; activity is linked to the audit's findings.
    #[arg(long = "snapshot", value_name = "DIR|FILE")]
    snapshots: Vec<PathBuf>,
    /// Configuration file (break-glass users, as for `scan`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// First day (YYYY-MM-DD, from its start) or time (RFC 3339) analysed.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Last day (YYYY-MM-DD, to its end) or time (RFC 3339, exclusive).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = FailOn::None)]
    fail_on: FailOn,
    /// Reading threads (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// The report's time (RFC 3339) instead of now, for reproducible reports.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    #[command(flatten)]
    store: OptInStoreArgs,
}

pub fn run(args: TrailArgs) -> Result<u8> {
    let now = parse_now(args.now.as_deref())?;
    let config = load_config(args.config.as_deref(), None, now)?;
    let bound = |flag: &str, text: &Option<String>, end: bool| -> Result<_> {
        text.as_deref()
            .map(|text| parse_bound(text, end))
            .transpose()
            .map_err(|message| anyhow::anyhow!("{flag} {message}"))
    };
    let window = Window {
        since: bound("--since", &args.since, false)?,
        until: bound("--until", &args.until, true)?,
    };
    if let (Some(since), Some(until)) = (window.since, window.until) {
        if since >= until {
            bail!("--since must be before --until");
        }
    }
    if args.jobs == Some(0) {
        bail!("--jobs must be at least 1");
    }
    let knowledge = if args.snapshots.is_empty() {
        Knowledge::from_config(&config)
    } else {
        let mut snapshots = Vec::new();
        for path in &args.snapshots {
            let snapshot = load_account(path)?;
            if snapshot.account_id.is_none() {
                bail!(
                    "{}: no input names the account ID, so its trail records cannot be matched",
                    path.display()
                );
            }
            if snapshots
                .iter()
                .any(|s: &mfaguard_core::Snapshot| s.account_id == snapshot.account_id)
            {
                bail!(
                    "{}: account {} is given twice: give each account once",
                    path.display(),
                    snapshot.account_id.as_deref().unwrap_or_default()
                );
            }
            snapshots.push(snapshot);
        }
        Knowledge::new(snapshots, &config, now)
    };
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    let store = args.store.location()?;
    let report = match &store {
        None => analyze_folder(&args.from, &knowledge, window, jobs, now)?,
        Some(location) => {
            let (report, readings) =
                analyze_folder_by_file(&args.from, &knowledge, window, jobs, now)?;
            crate::trail_store::record(location, &readings)?;
            report
        }
    };
    let text = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&report)?;
            text.push('\n');
            text
        }
        Format::Text => report.to_text(),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the report to {}", path.display()))?,
        None => write_stdout(&text)?,
    }
    if report.inputs.is_partial() {
        eprintln!(
            "warning: the figures are partial: {} records skipped, {} files not read to the end \
             (listed in the report)",
            report.inputs.records_skipped,
            report.inputs.files_failed.len()
        );
    }
    Ok(match args.fail_on.threshold() {
        Some(threshold) if report.findings_at_or_above(threshold) > 0 => EXIT_FINDINGS,
        _ => 0,
    })
}
