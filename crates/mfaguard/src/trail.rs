//! `mfaguard trail`: CloudTrail evidence of what happens without MFA.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use mfaguard_aws::{
    analyze_lookup_events, analyze_s3, lookup_window, CallCounter, LiveOptions, S3ReadOptions,
    S3Url, TrailLookupError, TrailS3Error, LOOKUP_DAYS,
};
use mfaguard_core::simulation::load_account;
use mfaguard_trail::{
    analyze_folder, analyze_folder_by_file, default_jobs, parse_bound, Knowledge, TrailReport,
    Window,
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
  mfaguard trail --s3 s3://my-trail-bucket/AWSLogs/ --since 2024-11-01 --profile audit
  mfaguard trail --from ./trail-logs --snapshot ./my-account --config mfaguard.toml \\
      --format json --output trail.json --fail-on high"
)]
pub struct TrailArgs {
    /// Folder of CloudTrail log files as delivered to S3
    /// (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz, or an
    /// organisation trail's AWSLogs/<org-id>/<account>/...), or one file.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present_any = ["s3", "lookup_events"],
        conflicts_with_all = ["s3", "lookup_events"]
    )]
    from: Option<PathBuf>,
    /// The same layout straight from S3 (s3://BUCKET/PREFIX), read with
    /// the standard AWS credential chain; date folders outside
    /// --since/--until are never listed.
    #[arg(long, value_name = "URL", conflicts_with = "lookup_events")]
    s3: Option<String>,
    /// The last 90 days of management events of the credentials' account
    /// in --region, from CloudTrail's LookupEvents (paced to 2 requests a
    /// second), for an account without a trail export.
    #[arg(long)]
    lookup_events: bool,
    /// Named profile of the shared AWS config (with --s3, --lookup-events).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// AWS region (with --s3: where to start, the bucket's own region is
    /// found from it; with --lookup-events: the region whose events are
    /// looked up).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Attempts per AWS call (the first included), spaced by exponential
    /// back-off (with --s3, --lookup-events).
    #[arg(long, value_name = "N", default_value_t = 8)]
    max_attempts: u32,
    /// S3 objects downloaded at once (with --s3).
    #[arg(long, value_name = "N", default_value_t = 8)]
    downloads: usize,
    /// Print the AWS API calls made (with --s3, --lookup-events), and the SDK's own words
    /// for errors.
    #[arg(long, short)]
    verbose: bool,
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
    if args.from.is_some() && (args.profile.is_some() || args.region.is_some()) {
        bail!("--profile and --region are for --s3 and --lookup-events, not --from");
    }
    let store = args.store.location()?;
    if store.is_some() && args.from.is_none() {
        // The store counts each log file once; only a folder's readings
        // are recorded per file so far.
        bail!("--store records the figures of --from DIR only; copy the files locally (e.g. `aws s3 sync`) to record them");
    }
    let report = match (&args.from, &args.s3) {
        (Some(from), _) => match &store {
            None => analyze_folder(from, &knowledge, window, jobs, now)?,
            Some(location) => {
                let (report, readings) =
                    analyze_folder_by_file(from, &knowledge, window, jobs, now)?;
                crate::trail_store::record(location, &readings)?;
                report
            }
        },
        (None, Some(url)) => from_s3(&args, url, &knowledge, window, jobs, now)?,
        (None, None) if args.lookup_events => lookup(&args, &knowledge, window, jobs, now)?,
        (None, None) => bail!("give --from DIR, --s3 s3://BUCKET/PREFIX or --lookup-events"),
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
    // Nothing read is no evidence of anything: "no findings" would read
    // as a clean trail.
    if report.inputs.records_analysed == 0 && report.inputs.is_partial() {
        let inputs = &report.inputs;
        let first = match (
            inputs.files_failed.first(),
            inputs.records_skipped_listed.first(),
        ) {
            (Some(file), _) => format!("{}: {}", file.path, file.reason),
            (None, Some(record)) => format!("{}: {}", record.path, record.reason),
            (None, None) => "listed in the report".to_string(),
        };
        bail!(
            "no CloudTrail record could be read: {} failed, {} skipped (first: {first}); the figures are unknown",
            mfaguard_core::words::count(inputs.files_failed.len(), "log file", "log files"),
            mfaguard_core::words::count(
                usize::try_from(inputs.records_skipped).unwrap_or(usize::MAX),
                "record",
                "records"
            ),
        );
    }
    Ok(match args.fail_on.threshold() {
        Some(threshold) if report.findings_at_or_above(threshold) > 0 => EXIT_FINDINGS,
        _ => 0,
    })
}

fn from_s3(
    args: &TrailArgs,
    url: &str,
    knowledge: &Knowledge,
    window: Window,
    jobs: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TrailReport> {
    let url = S3Url::parse(url).map_err(|message| anyhow::anyhow!("--s3 {message}"))?;
    if args.downloads == 0 {
        bail!("--downloads must be at least 1");
    }
    let options = LiveOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        max_attempts: args.max_attempts.max(1),
        ..LiveOptions::default()
    };
    let read = S3ReadOptions {
        downloads: args.downloads,
        jobs,
    };
    let calls = CallCounter::default();
    let outcome = analyze_s3(&options, &url, &read, knowledge, window, now, &calls);
    with_calls(args, &url.to_string(), &calls, outcome)
}

fn lookup(
    args: &TrailArgs,
    knowledge: &Knowledge,
    window: Window,
    jobs: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TrailReport> {
    let (window, moved) = lookup_window(window, now);
    if moved {
        eprintln!(
            "note: LookupEvents keeps {LOOKUP_DAYS} days of events: looking up from {}",
            window
                .since
                .map(|since| since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        );
    }
    let options = LiveOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        max_attempts: args.max_attempts.max(1),
        ..LiveOptions::default()
    };
    let calls = CallCounter::default();
    let outcome = analyze_lookup_events(&options, knowledge, window, jobs, now, &calls);
    with_calls(args, "LookupEvents", &calls, outcome)
}

/// The report with the API calls made for it; `--verbose` prints them,
/// also when the read failed.
fn with_calls<E>(
    args: &TrailArgs,
    label: &str,
    calls: &CallCounter,
    outcome: Result<TrailReport, E>,
) -> Result<TrailReport>
where
    E: std::error::Error + Send + Sync + 'static + Detailed,
{
    let tally = calls.tally();
    if args.verbose {
        eprintln!(
            "{label}: {} API calls, {} retries",
            tally.total(),
            tally.retries
        );
        for (action, count) in &tally.calls {
            eprintln!("  {action:<40} {count}");
        }
    }
    match outcome {
        Ok(mut report) => {
            report.inputs.api_calls = Some(tally.calls);
            Ok(report)
        }
        Err(err) => {
            if let (true, Some(detail)) = (args.verbose, err.detail()) {
                eprintln!("  detail: {detail}");
            }
            Err(err.into())
        }
    }
}

/// An error that keeps the SDK's own words for `--verbose`.
trait Detailed {
    fn detail(&self) -> Option<&str>;
}

impl Detailed for TrailS3Error {
    fn detail(&self) -> Option<&str> {
        TrailS3Error::detail(self)
    }
}

impl Detailed for TrailLookupError {
    fn detail(&self) -> Option<&str> {
        TrailLookupError::detail(self)
    }
}
