//! `--store` / `--no-store` and recording scans in the history.

use std::io::IsTerminal;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use mfaguard_core::report::FailedAccount;
use mfaguard_core::{Config, Report, Snapshot};
use mfaguard_store::{Location, ScanRecord, Shard, Store};

/// Where scans are recorded (for `scan` and `watch`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct StoreArgs {
    /// Record the scan in this history: a SQLite file path, or a
    /// postgres://USER@HOST/DB URL; `none` records nothing. Default:
    /// $XDG_DATA_HOME/mfaguard/history.sqlite, else
    /// ~/.local/share/mfaguard/history.sqlite.
    #[arg(
        long,
        value_name = "PATH|URL",
        env = "MFAGUARD_STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// Do not record the scan (overrides --store and MFAGUARD_STORE).
    #[arg(long)]
    pub no_store: bool,
}

impl StoreArgs {
    /// The location to record into; `None` when recording is off.
    pub fn location(&self) -> Result<Option<Location>> {
        if self.no_store {
            return Ok(None);
        }
        Ok(match &self.store {
            Some(text) => Location::parse(text)?,
            None => Some(Location::default_location()?),
        })
    }
}

/// `--store [PATH|URL]` for commands that record only when asked (`trail`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OptInStoreArgs {
    /// Record in this history (a SQLite file path or a postgres:// URL);
    /// without a value, MFAGUARD_STORE or the default of `mfaguard scan`.
    /// Nothing is recorded without --store.
    #[arg(long, value_name = "PATH|URL", num_args = 0..=1, default_missing_value = "")]
    pub store: Option<String>,
}

impl OptInStoreArgs {
    /// The location to record into; `None` when not asked to record.
    pub fn location(&self) -> Result<Option<Location>> {
        let Some(text) = &self.store else {
            return Ok(None);
        };
        if !text.is_empty() {
            return Ok(Location::parse(text)?);
        }
        match std::env::var("MFAGUARD_STORE") {
            Ok(from_env) if !from_env.trim().is_empty() => Ok(Location::parse(&from_env)?),
            _ => Ok(Some(Location::default_location()?)),
        }
    }
}

/// The history to read (for `history`, `diff`, `kpi`, `exceptions`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ReadStoreArgs {
    /// The history: a SQLite file path or a postgres:// URL (default as for
    /// `mfaguard scan`).
    #[arg(
        long,
        value_name = "PATH|URL",
        env = "MFAGUARD_STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,
}

impl ReadStoreArgs {
    pub fn location(&self) -> Result<Option<Location>> {
        Ok(match &self.store {
            Some(text) => Location::parse(text)?,
            None => Some(Location::default_location()?),
        })
    }

    /// Opens the history, which must exist.
    pub fn open(&self) -> Result<Store> {
        let Some(location) = self.location()? else {
            bail!("no history: the store is set to `none` (set --store or MFAGUARD_STORE)");
        };
        Ok(Store::open_existing(&location)?)
    }
}

/// Names the store in an error met after it was opened (a damaged file,
/// unexpected data), so that the message says which history is at fault.
pub fn in_store(location: &str) -> impl Fn(mfaguard_store::StoreError) -> anyhow::Error + '_ {
    move |err| anyhow::anyhow!("the history {location}: {err}")
}

/// Keeps the accounts of `shard` (all when `None`).
pub fn apply_shard(
    shard: Option<Shard>,
    snapshots: Vec<Snapshot>,
    failed: Vec<FailedAccount>,
) -> (Vec<Snapshot>, Vec<FailedAccount>) {
    let Some(shard) = shard else {
        return (snapshots, failed);
    };
    let total = snapshots.len() + failed.len();
    let snapshots: Vec<Snapshot> = snapshots
        .into_iter()
        .filter(|s| shard.contains(s.account_id.as_deref().unwrap_or("")))
        .collect();
    let failed: Vec<FailedAccount> = failed
        .into_iter()
        .filter(|f| shard.contains(&f.account_id))
        .collect();
    let kept = snapshots.len() + failed.len();
    if kept < total {
        eprintln!(
            "shard {shard}: {kept} of {} belong to this shard",
            mfaguard_core::words::count(total, "account", "accounts")
        );
    }
    (snapshots, failed)
}

/// Records a scan unless recording is off or the scan covered no account.
pub fn record_scan(
    args: &StoreArgs,
    report: &Report,
    snapshots: &[Snapshot],
    config: &Config,
    shard: Option<Shard>,
) -> Result<Option<i64>> {
    let Some(location) = args.location()? else {
        return Ok(None);
    };
    if report.accounts.is_empty() && report.failed_accounts.is_empty() {
        return Ok(None);
    }
    let record = ScanRecord::from_report(report, snapshots, config, shard);
    let mut store = Store::open(&location)?;
    let id = store
        .record(&record)
        .with_context(|| format!("cannot record the scan in {}", location.display()))?;
    if std::io::stderr().is_terminal() {
        eprintln!("recorded as scan {id} in {}", location.display());
    }
    Ok(Some(id))
}

/// `--since`: a date (`2026-01-31`) or an RFC 3339 time.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if let Some(time) = date.and_hms_opt(0, 0, 0) {
            return Ok(time.and_utc());
        }
    }
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .with_context(|| format!("--since `{text}` is not a date (2026-01-31) or an RFC 3339 time"))
}
