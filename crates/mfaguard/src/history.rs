//! `mfaguard history` and `mfaguard diff`: the recorded scans, and what
//! changed between two of them.

use std::fmt::Write as _;

use anyhow::{bail, Result};
use mfaguard_store::diff::{ChangedResult, Diff};
use mfaguard_store::{ScanFilter, ScanSummary};

use crate::output::{write_stdout, Format};
use crate::store_args::{in_store, parse_since, ReadStoreArgs};

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// Only scans that covered this account (with its own figures).
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// Only scans made on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only the last N scans.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Print the report JSON recorded for scan ID instead of the list.
    #[arg(long, value_name = "ID")]
    show: Option<i64>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    store: ReadStoreArgs,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// The earlier and the later scan IDs (default: the last two scans;
    /// one ID: that scan against the latest).
    #[arg(value_name = "SCAN", num_args = 0..=2)]
    scans: Vec<i64>,
    /// Only this account (and, by default, its last two scans).
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    store: ReadStoreArgs,
}

pub fn history(args: HistoryArgs) -> Result<u8> {
    let mut store = args.store.open()?;
    let location = store.location().display();
    let named = in_store(&location);
    if let Some(id) = args.show {
        let mut json = store.report_json(id).map_err(&named)?;
        json.push('\n');
        write_stdout(&json)?;
        return Ok(0);
    }
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let scans = store
        .scans(&ScanFilter {
            account: args.account.clone(),
            since,
            limit: args.limit,
        })
        .map_err(&named)?;
    let text = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&scans)?;
            text.push('\n');
            text
        }
        Format::Text => history_text(&scans),
    };
    write_stdout(&text)?;
    Ok(0)
}

fn accounts_label(accounts: &[String]) -> String {
    match accounts {
        [] => "-".to_string(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} +{}", rest.len()),
    }
}

fn score(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{v:.1}"))
}

fn history_text(scans: &[ScanSummary]) -> String {
    if scans.is_empty() {
        return "no scans recorded\n".to_string();
    }
    let mut out = format!(
        "{:>5}  {:<20}  {:<18}  {:>7}  {:>6}  {:>5}  {:>8}  {:>7}  {}\n",
        "scan", "time", "accounts", "posture", "CIS v5", "fail", "excepted", "unknown", "shard"
    );
    for scan in scans {
        let _ = writeln!(
            out,
            "{:>5}  {:<20}  {:<18}  {:>7}  {:>6}  {:>5}  {:>8}  {:>7}  {}{}",
            scan.id,
            mfaguard_store::time::format(scan.scanned_at),
            accounts_label(&scan.accounts),
            score(scan.posture),
            score(scan.cis_v5),
            scan.counts.fail,
            scan.counts.excepted,
            scan.counts.unknown,
            scan.shard.as_deref().unwrap_or("-"),
            if scan.partial { "  partial" } else { "" }
        );
    }
    out
}

pub fn diff(args: DiffArgs) -> Result<u8> {
    let mut store = args.store.open()?;
    let location = store.location().display();
    let named = in_store(&location);
    let account = args.account.as_deref();
    let (from, to) = match args.scans.as_slice() {
        [] => match store.last_two_scans(account).map_err(&named)? {
            Some(pair) => pair,
            None => bail!(
                "fewer than two scans recorded{}: nothing to compare",
                account
                    .map(|a| format!(" for account {a}"))
                    .unwrap_or_default()
            ),
        },
        [from] => {
            let latest = store
                .scans(&ScanFilter {
                    account: args.account.clone(),
                    since: None,
                    limit: Some(1),
                })
                .map_err(&named)?
                .last()
                .map(|scan| scan.id);
            match latest {
                Some(to) => (*from, to),
                None => bail!("no scan recorded"),
            }
        }
        [from, to, ..] => (*from, *to),
    };
    let diff = store.diff(from, to, account).map_err(&named)?;
    let text = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&diff)?;
            text.push('\n');
            text
        }
        Format::Text => diff_text(&diff),
    };
    write_stdout(&text)?;
    Ok(0)
}

fn changed(out: &mut String, title: &str, list: &[ChangedResult]) {
    let _ = writeln!(out, "\n{title} ({})", list.len());
    for r in list {
        let _ = writeln!(
            out,
            "  {:<8}  {:<28}  {:<14}  {} -> {}  {}",
            r.severity,
            r.check_id,
            r.account_id,
            r.from.as_deref().unwrap_or("new"),
            r.to.as_deref().unwrap_or("gone"),
            r.resource_name
        );
    }
}

fn diff_text(diff: &Diff) -> String {
    let mut out = format!(
        "scan {} ({}) -> scan {} ({}); accounts compared: {}\n",
        diff.from.id,
        mfaguard_store::time::format(diff.from.scanned_at),
        diff.to.id,
        mfaguard_store::time::format(diff.to.scanned_at),
        if diff.accounts.is_empty() {
            "none".to_string()
        } else {
            diff.accounts.join(", ")
        }
    );
    if !diff.accounts_only_in_from.is_empty() {
        let _ = writeln!(
            out,
            "only in scan {}: {}",
            diff.from.id,
            diff.accounts_only_in_from.join(", ")
        );
    }
    if !diff.accounts_only_in_to.is_empty() {
        let _ = writeln!(
            out,
            "only in scan {}: {}",
            diff.to.id,
            diff.accounts_only_in_to.join(", ")
        );
    }
    changed(&mut out, "Newly failing", &diff.newly_failing);
    changed(&mut out, "Fixed", &diff.fixed);
    changed(&mut out, "Newly excepted", &diff.newly_excepted);
    for (title, list) in [
        ("New identities", &diff.new_identities),
        ("Removed identities", &diff.removed_identities),
    ] {
        let _ = writeln!(out, "\n{title} ({})", list.len());
        for i in list {
            let _ = writeln!(
                out,
                "  {:<14}  {:<24}  tier {:<10}  console {}  MFA {}",
                i.account_id,
                i.name,
                i.tier,
                yes_no(i.console_access),
                yes_no(i.mfa_active)
            );
        }
    }
    for (title, list) in [
        ("MFA devices added", &diff.mfa_devices_added),
        ("MFA devices removed", &diff.mfa_devices_removed),
    ] {
        let _ = writeln!(out, "\n{title} ({})", list.len());
        for d in list {
            let _ = writeln!(
                out,
                "  {:<14}  {:<24}  {:<8}  {}",
                d.account_id, d.name, d.kind, d.serial
            );
        }
    }
    let _ = writeln!(
        out,
        "\nMFA enforcement changed ({})",
        diff.enforcement_changed.len()
    );
    for change in &diff.enforcement_changed {
        let allowed = change
            .allowed_without_mfa
            .filter(|count| *count > 0)
            .map(|count| format!("  ({count} actions allowed without MFA)"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<14}  {:<24}  tier {:<10}  {} -> {}{allowed}",
            change.account_id, change.name, change.tier, change.from, change.to
        );
    }
    out
}

pub fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}
