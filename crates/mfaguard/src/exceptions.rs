//! `mfaguard exceptions`: owners, expiry, reviews, and what each exception
//! suppresses in the latest stored scans.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Result};
use mfaguard_core::Config;
use mfaguard_store::exceptions::{statuses, ExceptionStatus};
use mfaguard_store::ExceptionRecord;

use crate::output::{write_stdout, Format};
use crate::store_args::ReadStoreArgs;

#[derive(clap::Args)]
pub struct ExceptionsArgs {
    /// Configuration whose exceptions to list (default: the configuration
    /// of the latest stored scan).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Only exceptions expiring within 30 days (or expired), or due for
    /// review (never reviewed, or more than 90 days ago).
    #[arg(long)]
    due: bool,
    /// Judge expiry and reviews as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    store: ReadStoreArgs,
}

pub fn run(args: ExceptionsArgs) -> Result<u8> {
    let today = crate::scan::parse_now(args.now.as_deref())?.date_naive();
    // The history is optional with --config: without it, suppression is
    // simply not known.
    let mut store = match (&args.config, args.store.open()) {
        (_, Ok(store)) => Some(store),
        (Some(_), Err(err)) => {
            eprintln!("note: {err:#}: suppressed results are not shown");
            None
        }
        (None, Err(err)) => return Err(err),
    };
    let location = store
        .as_ref()
        .map(|store| store.location().display())
        .unwrap_or_default();
    let named = crate::store_args::in_store(&location);
    let exceptions: Vec<ExceptionRecord> = match &args.config {
        Some(path) => {
            let config = Config::load(path)?;
            config.check_dates(today)?;
            ExceptionRecord::from_config(&config)
        }
        None => match store
            .as_mut()
            .map(|s| s.latest_exceptions())
            .transpose()
            .map_err(&named)?
        {
            Some(Some((_, exceptions))) => exceptions,
            _ => bail!("no scan recorded: pass --config FILE"),
        },
    };
    let latest = match store.as_mut() {
        Some(store) => store
            .latest_results_with_status(&["excepted", "fail"])
            .map_err(&named)?,
        None => Vec::new(),
    };
    let mut list = statuses(&exceptions, &latest, today);
    if args.due {
        list.retain(|status| status.due);
    }
    let text = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&list)?;
            text.push('\n');
            text
        }
        Format::Text => render(&list, args.due, store.is_some()),
    };
    write_stdout(&text)?;
    Ok(0)
}

fn render(list: &[ExceptionStatus], due: bool, with_history: bool) -> String {
    if list.is_empty() {
        return if due {
            "no exception is due\n".to_string()
        } else {
            "no exceptions\n".to_string()
        };
    }
    let mut out = String::new();
    for status in list {
        let e = &status.exception;
        let _ = writeln!(
            out,
            "{} on {} (config line {})",
            e.check_id, e.resource, e.config_line
        );
        let _ = writeln!(
            out,
            "  owner: {}   reason: {}",
            if e.has_owner() {
                e.owner.as_str()
            } else {
                "NONE"
            },
            if e.reason.is_empty() {
                "-"
            } else {
                e.reason.as_str()
            }
        );
        let expiry = if status.days_to_expiry < 0 {
            format!("expired {} days ago", -status.days_to_expiry)
        } else {
            format!("in {} days", status.days_to_expiry)
        };
        let review = match (e.reviewed, status.days_since_review) {
            (Some(date), Some(days)) => format!("{date} ({days} days ago)"),
            _ => "never".to_string(),
        };
        let _ = writeln!(
            out,
            "  expires: {} ({expiry})   last review: {review}",
            e.expires
        );
        let mut flags = vec![status.state.replace('_', " ")];
        if status.expiring_within_30_days {
            flags.push("expiring within 30 days".to_string());
        }
        if status.review_due {
            flags.push("review due".to_string());
        }
        let _ = writeln!(out, "  status: {}", flags.join(", "));
        if with_history {
            if status.suppresses.is_empty() {
                out.push_str("  suppresses: nothing in the latest scans\n");
            }
            for r in &status.suppresses {
                let _ = writeln!(
                    out,
                    "  suppresses: {} {} in account {} (scan {})",
                    r.check_id, r.resource_name, r.account_id, r.scan_id
                );
            }
            for r in &status.still_failing {
                let _ = writeln!(
                    out,
                    "  not suppressed, failing: {} {} in account {} (scan {})",
                    r.check_id, r.resource_name, r.account_id, r.scan_id
                );
            }
        }
        out.push('\n');
    }
    out
}
