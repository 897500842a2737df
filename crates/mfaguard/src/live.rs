//! Live collection from AWS for `scan` and `collect`.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use mfaguard_aws::{AccountOutcome, LiveOptions, OrgOptions};
use mfaguard_core::report::FailedAccount;
use mfaguard_core::Snapshot;

/// Where and how to collect live.
#[derive(clap::Args, Debug, Clone)]
pub struct LiveArgs {
    /// Named profile of the shared AWS config (default: the standard chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region for the API endpoints (IAM is global; default us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Scan every active account of the AWS Organization.
    #[arg(long)]
    pub org: bool,
    /// Role to assume in each member account (with --org).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole"
    )]
    pub role: String,
    /// Only these accounts (with --org), comma-separated.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub accounts: Option<Vec<String>>,
    /// Accounts scanned at once (with --org).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Attempts per API call, with adaptive retry on throttling.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_attempts: u32,
    /// Seconds to wait for the credential report to be generated.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub report_timeout: u64,
    /// Print the API calls made, per account.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Snapshots collected, and accounts that failed.
pub struct Collected {
    pub snapshots: Vec<Snapshot>,
    pub failed: Vec<FailedAccount>,
}

/// Collects live; with `--org`, only the accounts of `shard` (all when
/// `None`) are collected.
pub fn collect(args: &LiveArgs, shard: Option<mfaguard_store::Shard>) -> Result<Collected> {
    let options = LiveOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        max_attempts: args.max_attempts,
        report_timeout: std::time::Duration::from_secs(args.report_timeout),
        ..LiveOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let collected = runtime.block_on(async {
        let config = mfaguard_aws::load_config(&options).await;
        if !args.org {
            let snapshot = mfaguard_aws::collect_account(&config, &options).await?;
            return Ok::<_, anyhow::Error>(Collected {
                snapshots: vec![snapshot],
                failed: Vec::new(),
            });
        }
        let org = OrgOptions {
            role_name: args.role.clone(),
            accounts: args.accounts.clone(),
            concurrency: args.concurrency,
            keep: shard.map(|shard| {
                mfaguard_aws::AccountFilter(std::sync::Arc::new(move |id: &str| shard.contains(id)))
            }),
        };
        let bar = progress_bar();
        let progress = |done: usize, total: usize| {
            if let Some(bar) = &bar {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        };
        let outcomes =
            mfaguard_aws::collect_organization(&config, &options, &org, &progress).await?;
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let mut collected = Collected {
            snapshots: Vec::new(),
            failed: Vec::new(),
        };
        for outcome in outcomes {
            match outcome {
                AccountOutcome::Collected(snapshot) => collected.snapshots.push(*snapshot),
                AccountOutcome::Failed {
                    account_id,
                    name,
                    error,
                } => {
                    eprintln!("error: account {account_id} ({name}): {error}");
                    collected.failed.push(FailedAccount {
                        account_id,
                        name,
                        error: error.to_string(),
                    });
                }
            }
        }
        Ok(collected)
    })?;
    if args.verbose {
        for snapshot in &collected.snapshots {
            let total: u64 = snapshot.source.api_calls.values().sum();
            eprintln!(
                "account {}: {total} API calls",
                snapshot.account_id.as_deref().unwrap_or("?")
            );
            for (action, count) in &snapshot.source.api_calls {
                eprintln!("  {action:<40} {count}");
            }
        }
    }
    Ok(collected)
}

/// A progress bar on a terminal; nothing when stderr is piped.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("scanning accounts {bar:30} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}
