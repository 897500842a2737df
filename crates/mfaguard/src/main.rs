//! The `mfaguard` command.

mod catalog;
mod collect;
mod live;
mod output;
mod scan;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use output::Format;

/// Exit code when failing results reach `--fail-on`.
pub(crate) const EXIT_FINDINGS: u8 = 1;
/// Exit code for any error (bad input, bad arguments).
pub(crate) const EXIT_ERROR: u8 = 2;

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
    Scan(scan::ScanArgs),
    /// Collect accounts live and save snapshots for later offline analysis.
    Collect(collect::CollectArgs),
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
        Command::Scan(args) => scan::scan(args),
        Command::Collect(args) => collect::run(args),
        Command::Checks { format } => catalog::print_checks(format).map(|()| 0),
        Command::Explain { id } => catalog::explain(&id).map(|()| 0),
    }
}
