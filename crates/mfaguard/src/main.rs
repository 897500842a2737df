//! The `mfaguard` command.

mod catalog;
mod collect;
mod compliance;
mod events;
mod exceptions;
mod explain_identity;
mod fix;
mod history;
mod kpi;
mod lint;
mod live;
mod output;
mod queue;
mod scan;
mod serve;
mod simulate;
mod store_args;
mod trail;
mod trail_store;
mod watch;
mod watch_trail;
mod webhook;

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
    Scan(Box<scan::ScanArgs>),
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
    /// Explain one user or role: tier, devices, whether policy enforces MFA
    /// (with the deciding statements) and what it can do without MFA.
    ExplainIdentity(explain_identity::ExplainIdentityArgs),
    /// Evaluate one request against policy files, or against the real
    /// policies of a user or role (--from DIR --principal NAME).
    Simulate(Box<simulate::SimulateArgs>),
    /// List the recorded scans.
    History(history::HistoryArgs),
    /// What changed between two recorded scans (default: the last two).
    Diff(history::DiffArgs),
    /// MFA KPIs over time from the recorded scans.
    Kpi(kpi::KpiArgs),
    /// Exceptions with owner, expiry, review and what they suppress.
    Exceptions(exceptions::ExceptionsArgs),
    /// Generate the policies that enforce MFA, and prove what they change
    /// before they are applied.
    #[command(subcommand)]
    Fix(fix::FixCommand),
    /// Lint IAM policies, CloudFormation templates and Terraform plans for
    /// MFA pitfalls, roles without MFA, console users outside MFA
    /// enforcement and escalation without MFA.
    Lint(lint::LintArgs),
    /// Scan on a schedule, record each scan, alert on changes (webhook);
    /// with --queue, also within seconds of each IAM change.
    Watch(Box<watch::WatchArgs>),
    /// A compliance framework's MFA controls (CIS AWS Foundations, FSBP,
    /// NIST 800-53, PCI DSS) with pass, fail, unknown or manual and the
    /// results behind each.
    Compliance(Box<compliance::ComplianceArgs>),
    /// A read-only dashboard over the history, with a JSON API.
    Serve(serve::ServeArgs),
    /// CloudTrail evidence: sign-ins and calls without MFA, MFA-related
    /// denials, role assumptions, root and break-glass use, MFA removed.
    Trail(Box<trail::TrailArgs>),
    /// Real-time monitoring: what `watch --queue` needs in AWS.
    #[command(subcommand)]
    Events(events::EventsCommand),
}

// The analysis allocates from every core at once; glibc's per-thread arenas
// keep much of that memory after it is freed and contend under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::Scan(args) => scan::scan(*args),
        Command::Collect(args) => collect::run(args),
        Command::Checks { format } => catalog::print_checks(format).map(|()| 0),
        Command::Explain { id } => catalog::explain(&id).map(|()| 0),
        Command::ExplainIdentity(args) => explain_identity::run(args),
        Command::Simulate(args) => simulate::run(*args),
        Command::History(args) => history::history(args),
        Command::Diff(args) => history::diff(args),
        Command::Kpi(args) => kpi::run(args),
        Command::Exceptions(args) => exceptions::run(args),
        Command::Watch(args) => watch::run(*args),
        Command::Fix(command) => fix::run(command),
        Command::Lint(args) => lint::run(args),
        Command::Compliance(args) => compliance::run(*args),
        Command::Serve(args) => serve::run(args),
        Command::Trail(args) => trail::run(*args),
        Command::Events(command) => events::run(command),
    }
}
