//! The `mfaguard` command.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use mfaguard_core::checks;
use mfaguard_core::{Config, Report, Severity, Snapshot};
use mfaguard_report::Color;

/// Exit code when failing results reach `--fail-on`.
const EXIT_FINDINGS: u8 = 1;
/// Exit code for any error (bad input, bad arguments).
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "mfaguard",
    version,
    about = "Audit, prove and track multi-factor authentication across AWS accounts",
    after_help = "Exit codes: 0 clean, 1 failing results at or above --fail-on, 2 error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan an account and report its MFA posture.
    Scan(ScanArgs),
    /// List the check catalogue.
    Checks {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a check's documentation: what, why, how to fix, how to verify.
    Explain {
        /// Check ID, e.g. iam.root_mfa_enabled
        id: String,
    },
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Folder of AWS CLI outputs (credential-report.json or .csv,
    /// account-authorization-details.json, virtual-mfa-devices.json,
    /// account-summary.json, optional mfa-devices.json).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "snapshot",
        required_unless_present = "snapshot"
    )]
    from: Option<PathBuf>,
    /// A snapshot saved earlier with --save-snapshot.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
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
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Checks { format } => {
            print_checks(format)?;
            Ok(0)
        }
        Command::Explain { id } => {
            let Some(check) = checks::find(&id) else {
                bail!("unknown check `{id}` (see `mfaguard checks`)");
            };
            let meta = check.meta();
            let mut text = format!(
                "# {}: {}\n\nSeverity: {}\n{}\n\n{}\n",
                meta.id,
                meta.title,
                meta.severity,
                references_line(&meta.references),
                meta.docs()
            );
            text.push_str(&format!("\nFix in one line: {}\n", meta.fix));
            write_stdout(&text)?;
            Ok(0)
        }
    }
}

fn references_line(refs: &checks::References) -> String {
    let mut parts = Vec::new();
    if let Some(v3) = refs.cis_v3 {
        parts.push(format!("CIS AWS Foundations v3.0 {v3}"));
    }
    if let Some(v5) = refs.cis_v5 {
        parts.push(format!("CIS AWS Foundations v5.0 {v5}"));
    }
    if let Some(fsbp) = refs.fsbp {
        parts.push(format!("AWS FSBP {fsbp}"));
    }
    if parts.is_empty() {
        "References: none (mfaguard check)".to_string()
    } else {
        format!("References: {}", parts.join(", "))
    }
}

fn print_checks(format: Format) -> Result<()> {
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = checks::all()
                .iter()
                .map(|check| {
                    let meta = check.meta();
                    serde_json::json!({
                        "id": meta.id,
                        "title": meta.title,
                        "severity": meta.severity,
                        "fix": meta.fix,
                        "references": meta.references,
                    })
                })
                .collect();
            write_stdout(&(serde_json::to_string_pretty(&list)? + "\n"))
        }
        Format::Text => {
            let mut text = String::new();
            for check in checks::all() {
                let meta = check.meta();
                let refs = references_line(&meta.references);
                text.push_str(&format!(
                    "{:<30} {:<9} {}\n{:<30} {:<9} {}\n",
                    meta.id,
                    meta.severity.as_str(),
                    meta.title,
                    "",
                    "",
                    refs.trim_start_matches("References: ")
                ));
            }
            write_stdout(&text)
        }
    }
}

fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>> {
    match now {
        None => Ok(Utc::now()),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .with_context(|| {
                format!("--now `{text}` is not an RFC 3339 time such as 2026-11-22T12:00:00Z")
            }),
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    let now = parse_now(args.now.as_deref())?;
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::new(),
    };
    if let Some(hours) = args.max_report_age {
        if !(hours.is_finite() && hours > 0.0) {
            bail!("--max-report-age must be a positive number of hours");
        }
        config.max_report_age_hours = hours;
    }
    let snapshot = match (&args.from, &args.snapshot) {
        (Some(dir), _) => mfaguard_core::offline::read_dir(dir, now)?,
        (None, Some(file)) => Snapshot::load(file)?,
        (None, None) => bail!("give --from DIR or --snapshot FILE"),
    };
    if let Some(path) = &args.save_snapshot {
        snapshot.save(path)?;
    }
    let report = mfaguard_core::analyze(std::slice::from_ref(&snapshot), &config, now);
    emit(&report, args.format, args.output.as_deref())?;
    Ok(match args.fail_on.threshold() {
        Some(threshold) if report.failures_at_or_above(threshold) > 0 => EXIT_FINDINGS,
        _ => 0,
    })
}

fn emit(report: &Report, format: Format, output: Option<&Path>) -> Result<()> {
    let text = match format {
        Format::Json => mfaguard_report::render_json(report),
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

fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`mfaguard ... | head`) is not an error.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}
