//! `mfaguard scan`: collect, analyse, render, decide the exit code.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::ValueEnum;

use mfaguard_core::{Config, Report, Severity, Snapshot};
use mfaguard_report::html::ExceptionView;
use mfaguard_report::{Color, HtmlContext, ReportFormat};

use crate::output::write_stdout;
use crate::EXIT_FINDINGS;

#[derive(clap::Args)]
pub struct ScanArgs {
    /// Folder of AWS CLI outputs (credential-report.json or .csv,
    /// account-authorization-details.json, virtual-mfa-devices.json,
    /// account-summary.json, optional mfa-devices.json). Without --from or
    /// --snapshot, the scan is live (AWS API, standard credential chain).
    #[arg(long, value_name = "DIR", conflicts_with = "snapshot", conflicts_with_all = LIVE_ONLY)]
    from: Option<PathBuf>,
    /// Snapshots saved earlier with --save-snapshot or `mfaguard collect`
    /// (repeat for several accounts; each account once).
    #[arg(long, value_name = "FILE", conflicts_with_all = LIVE_ONLY)]
    snapshot: Vec<PathBuf>,
    /// Save the collected snapshot as JSON, for later offline analysis.
    #[arg(long, value_name = "FILE")]
    save_snapshot: Option<PathBuf>,
    /// Configuration (TOML): break-glass users, exceptions, scan settings.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Report format: text, json, sarif, csv, markdown, ocsf, asff or html.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ReportFormat::parse)]
    format: ReportFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE", conflicts_with = "output_dir")]
    output: Option<PathBuf>,
    /// Write the report in several formats into DIR (with --formats), one
    /// file each: mfaguard-report.txt, .json, .sarif, .csv, .md,
    /// .ocsf.json, .asff.json, .html.
    #[arg(
        long,
        value_name = "DIR",
        requires = "formats",
        conflicts_with = "format"
    )]
    output_dir: Option<PathBuf>,
    /// The formats written into --output-dir, e.g. json,sarif,csv.
    #[arg(long, value_name = "FORMAT,...", value_delimiter = ',', value_parser = ReportFormat::parse, requires = "output_dir")]
    formats: Vec<ReportFormat>,
    /// Push every result to AWS Security Hub as ASFF findings of the
    /// account's default product (BatchImportFindings, 100 a call); a
    /// rejected finding is reported by id with the reason, and exits 2.
    #[arg(long)]
    security_hub: bool,
    /// Region of Security Hub, which ASFF findings name in their ProductArn
    /// [default: --region, else the standard chain's, else us-east-1].
    #[arg(long, value_name = "REGION")]
    security_hub_region: Option<String>,
    /// Exit 1 when a failing result is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::None)]
    fail_on: FailOn,
    /// Warn when the credential report is older than this (overrides the
    /// config's scan.max_report_age_hours; default 4).
    #[arg(long, value_name = "HOURS", allow_negative_numbers = true, value_parser = parse_hours)]
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
pub(crate) enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    /// Never exit 1 because of findings.
    None,
}

impl FailOn {
    pub(crate) fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::None => None,
        }
    }
}

/// Options of a live collection, which an offline scan (--from, --snapshot)
/// cannot honour: giving both is an error rather than a silently ignored
/// option.
pub const LIVE_ONLY: [&str; 8] = [
    "profile",
    "region",
    "org",
    "role",
    "accounts",
    "concurrency",
    "max_attempts",
    "report_timeout",
];

/// `--max-report-age`: a positive number of hours.
pub fn parse_hours(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(hours) if hours.is_finite() && hours > 0.0 => Ok(hours),
        _ => Err(format!(
            "`{text}` is not allowed: give a positive number of hours, such as 4 or 0.5"
        )),
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
/// applied, checked against the date of the scan.
pub fn load_config(
    path: Option<&Path>,
    max_report_age: Option<f64>,
    now: DateTime<Utc>,
) -> Result<Config> {
    let mut config = match path {
        Some(path) => Config::load(path)?,
        None => Config::new(),
    };
    config.check_dates(now.date_naive())?;
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
    let config = load_config(args.config.as_deref(), args.max_report_age, now)?;
    let mut organization_calls = None;
    let (snapshots, failed) = if let Some(dir) = &args.from {
        (
            vec![mfaguard_core::offline::read_dir(dir, now)?],
            Vec::new(),
        )
    } else if !args.snapshot.is_empty() {
        (Snapshot::load_all(&args.snapshot)?, Vec::new())
    } else {
        let collected = crate::live::collect(&args.live, &config.live, args.shard)?;
        organization_calls = collected.organization_calls;
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
    if let Some(calls) = organization_calls {
        report.organization_retries = Some(calls.retry_stats());
        report.organization_api_calls = calls.calls;
    }
    // A text report of no account at all would only look clean; the
    // errors are on standard error. JSON keeps its shape for tools.
    let nothing_collected = report.accounts.is_empty() && report.is_partial();
    let wants_asff = args.security_hub
        || match &args.output_dir {
            Some(_) => args.formats.contains(&ReportFormat::Asff),
            None => args.format == ReportFormat::Asff,
        };
    let asff_region = match wants_asff {
        true => crate::live::security_hub_region(
            &args.live,
            &config.live,
            args.security_hub_region.as_deref(),
        )?,
        false => mfaguard_report::DEFAULT_ASFF_REGION.to_string(),
    };
    let wants_html = match &args.output_dir {
        Some(_) => args.formats.contains(&ReportFormat::Html),
        None => args.format == ReportFormat::Html,
    };
    let html = if wants_html {
        html_context(&args.store, &report, &config)?
    } else {
        HtmlContext::default()
    };
    let extras = Extras {
        asff_region: &asff_region,
        html: &html,
    };
    match &args.output_dir {
        Some(dir) => emit_all(&report, &args.formats, dir, &extras)?,
        None if nothing_collected && args.format == ReportFormat::Text => {}
        None => emit(&report, args.format, args.output.as_deref(), &extras)?,
    }
    let mut push_failed = false;
    if args.security_hub {
        let findings: Vec<serde_json::Value> =
            mfaguard_report::asff_findings(&report, &asff_region).collect();
        let outcome =
            crate::live::push_to_security_hub(&args.live, &config.live, &asff_region, &findings)?;
        eprintln!(
            "Security Hub ({asff_region}): {} of {} imported in {}",
            outcome.imported,
            mfaguard_core::words::count(findings.len(), "finding", "findings"),
            mfaguard_core::words::count(outcome.calls, "call", "calls"),
        );
        for rejected in &outcome.rejected {
            eprintln!(
                "error: Security Hub rejected finding {}: {}: {}",
                rejected.id, rejected.code, rejected.message
            );
        }
        push_failed = !outcome.rejected.is_empty();
    }
    crate::store_args::record_scan(&args.store, &report, &snapshots, &config, args.shard)?;
    if report.is_partial() {
        eprintln!(
            "error: the scan is partial: {} could not be scanned",
            mfaguard_core::words::count(report.failed_accounts.len(), "account", "accounts")
        );
        return Ok(crate::EXIT_ERROR);
    }
    if push_failed {
        return Ok(crate::EXIT_ERROR);
    }
    Ok(match args.fail_on.threshold() {
        Some(threshold) if report.failures_at_or_above(threshold) > 0 => EXIT_FINDINGS,
        _ => 0,
    })
}

/// What the HTML report shows beside the Report: the configuration's
/// exceptions and, when the history has earlier scans, the trends.
fn html_context(
    store: &crate::store_args::StoreArgs,
    report: &Report,
    config: &Config,
) -> Result<HtmlContext> {
    let mut context = HtmlContext {
        exceptions: ExceptionView::from_config(config),
        trend: None,
    };
    let Some(location) = store.location()? else {
        return Ok(context);
    };
    if location.sqlite_path().is_some_and(|path| !path.exists()) {
        return Ok(context);
    }
    let mut history = mfaguard_store::Store::open_existing(&location)?;
    let accounts: Vec<&str> = report
        .accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    context.trend =
        mfaguard_dashboard::trend_from_store(&mut history, &accounts, report.generated_at)
            .map_err(crate::store_args::in_store(&location.display()))?;
    Ok(context)
}

/// What some formats need beside the Report.
struct Extras<'a> {
    /// The region ASFF findings name.
    asff_region: &'a str,
    html: &'a HtmlContext,
}

/// The report in `format` (the streamed formats are written by [`stream`]).
fn rendered(report: &Report, format: ReportFormat, color: Color, extras: &Extras<'_>) -> String {
    match format {
        ReportFormat::Html => mfaguard_report::render_html(report, extras.html),
        _ => mfaguard_report::render(report, format, color),
    }
}

/// Formats written as they are serialised: a large account's report is
/// never held as one string.
fn is_streamed(format: ReportFormat) -> bool {
    matches!(
        format,
        ReportFormat::Json | ReportFormat::Ocsf | ReportFormat::Asff
    )
}

fn emit(
    report: &Report,
    format: ReportFormat,
    output: Option<&Path>,
    extras: &Extras<'_>,
) -> Result<()> {
    if is_streamed(format) {
        return stream(report, format, output, extras.asff_region);
    }
    let color = if output.is_none() {
        crate::output::stdout_color()
    } else {
        Color::Never
    };
    let text = rendered(report, format, color, extras);
    match output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => write_stdout(&text),
    }
}

/// Writes the report in every format of `formats` into `dir`.
fn emit_all(
    report: &Report,
    formats: &[ReportFormat],
    dir: &Path,
    extras: &Extras<'_>,
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the output folder {}", dir.display()))?;
    for format in formats {
        let path = dir.join(format.file_name());
        if is_streamed(*format) {
            stream(report, *format, Some(&path), extras.asff_region)?;
            continue;
        }
        std::fs::write(&path, rendered(report, *format, Color::Never, extras))
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    Ok(())
}

/// Writes the JSON report, OCSF events or ASFF findings to FILE or
/// standard output as they are serialised.
fn stream(
    report: &Report,
    format: ReportFormat,
    output: Option<&Path>,
    asff_region: &str,
) -> Result<()> {
    let write = |out: &mut dyn std::io::Write| match format {
        ReportFormat::Ocsf => mfaguard_report::write_ocsf(report, out),
        ReportFormat::Asff => mfaguard_report::write_asff(report, asff_region, out),
        _ => mfaguard_report::write_json(report, out),
    };
    match output {
        Some(path) => std::fs::File::create(path)
            .and_then(|mut file| write(&mut file))
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => match write(&mut std::io::stdout().lock()) {
            // A closed pipe (`mfaguard ... | head`) is not an error.
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot write to standard output"),
        },
    }
}
