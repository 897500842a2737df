//! Live collection from AWS for `scan` and `collect`.

use std::io::IsTerminal;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use mfaguard_aws::{AccountOutcome, CallCounter, CallTally, CollectError, LiveOptions, OrgOptions};
use mfaguard_core::config::LiveSettings;
use mfaguard_core::report::FailedAccount;
use mfaguard_core::snapshot::RetryStats;
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
        default_value = "OrganizationAccountAccessRole",
        requires = "org"
    )]
    pub role: String,
    /// Only these accounts (with --org), comma-separated.
    #[arg(long, value_name = "ID,...", value_delimiter = ',', requires = "org")]
    pub accounts: Option<Vec<String>>,
    /// Accounts scanned at once (with --org).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Attempts per API call (the first included), spaced by jittered
    /// exponential back-off [default: 8; config: live.max_attempts].
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
    /// Seconds allowed for the credential report: generation, polling,
    /// retries and slow answers included [default: 120; config:
    /// live.report_timeout_seconds].
    #[arg(long, value_name = "SECONDS")]
    pub report_timeout: Option<f64>,
    /// Seconds allowed to open a connection [default: 5; config:
    /// live.connect_timeout_seconds].
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<f64>,
    /// Seconds allowed for one attempt's answer, body included [default:
    /// 30; config: live.read_timeout_seconds].
    #[arg(long, value_name = "SECONDS")]
    pub read_timeout: Option<f64>,
    /// Seconds allowed for one API call, all its attempts included
    /// [default: 120; config: live.call_timeout_seconds].
    #[arg(long, value_name = "SECONDS")]
    pub call_timeout: Option<f64>,
    /// Seconds allowed for one account; with --org, an account that takes
    /// longer is reported as failed while the others complete [default:
    /// 900; config: live.account_timeout_seconds].
    #[arg(long, value_name = "SECONDS")]
    pub account_timeout: Option<f64>,
    /// Print the API calls made (retries included), per account, and the
    /// SDK's own words for errors.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Snapshots collected, and accounts that failed.
pub struct Collected {
    pub snapshots: Vec<Snapshot>,
    pub failed: Vec<FailedAccount>,
    /// Organisation-level calls of an `--org` collection.
    pub organization_calls: Option<CallTally>,
}

fn seconds(flag: &str, value: f64) -> Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value < 1e9) {
        bail!("--{flag} must be a positive number of seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

impl LiveArgs {
    /// Flags first, then the config's `[live]` section, then the defaults.
    pub(crate) fn options(&self, config: &LiveSettings) -> Result<LiveOptions> {
        let defaults = LiveOptions::default();
        let pick = |flag: &str, given: Option<f64>, configured: Option<f64>, default: Duration| {
            match given.or(configured) {
                Some(value) => seconds(flag, value),
                None => Ok(default),
            }
        };
        Ok(LiveOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            max_attempts: self
                .max_attempts
                .or(config.max_attempts)
                .unwrap_or(defaults.max_attempts),
            report_timeout: pick(
                "report-timeout",
                self.report_timeout,
                config.report_timeout_seconds,
                defaults.report_timeout,
            )?,
            connect_timeout: pick(
                "connect-timeout",
                self.connect_timeout,
                config.connect_timeout_seconds,
                defaults.connect_timeout,
            )?,
            read_timeout: pick(
                "read-timeout",
                self.read_timeout,
                config.read_timeout_seconds,
                defaults.read_timeout,
            )?,
            call_timeout: pick(
                "call-timeout",
                self.call_timeout,
                config.call_timeout_seconds,
                defaults.call_timeout,
            )?,
            account_timeout: pick(
                "account-timeout",
                self.account_timeout,
                config.account_timeout_seconds,
                defaults.account_timeout,
            )?,
            ..defaults
        })
    }
}

impl LiveArgs {
    /// With `--org`: the role, the accounts and the shard, as the
    /// organisation scan and the event consumer both choose them.
    pub(crate) fn org_options(&self, shard: Option<mfaguard_store::Shard>) -> Option<OrgOptions> {
        self.org.then(|| OrgOptions {
            role_name: self.role.clone(),
            accounts: self.accounts.clone(),
            concurrency: self.concurrency,
            keep: shard.map(|shard| {
                mfaguard_aws::AccountFilter(std::sync::Arc::new(move |id: &str| shard.contains(id)))
            }),
        })
    }
}

fn failed_account(
    account_id: String,
    name: String,
    error: &CollectError,
    calls: &CallTally,
    verbose: bool,
) -> FailedAccount {
    match (account_id.is_empty(), name.is_empty()) {
        (true, _) => eprintln!("error: {error}"),
        (false, true) => eprintln!("error: account {account_id}: {error}"),
        (false, false) => eprintln!("error: account {account_id} ({name}): {error}"),
    }
    if verbose {
        if let Some(detail) = error.detail() {
            eprintln!("  detail: {detail}");
        }
    }
    FailedAccount {
        account_id,
        name,
        error: error.to_string(),
        api_calls: calls.calls.clone(),
        retries: Some(calls.retry_stats()),
    }
}

/// Collects live; with `--org`, only the accounts of `shard` (all when
/// `None`) are collected.
pub fn collect(
    args: &LiveArgs,
    settings: &LiveSettings,
    shard: Option<mfaguard_store::Shard>,
) -> Result<Collected> {
    let options = args.options(settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let collected = runtime.block_on(async {
        let config = mfaguard_aws::load_config(&options).await;
        let Some(org) = args.org_options(shard) else {
            let calls = CallCounter::default();
            return Ok::<_, anyhow::Error>(
                match mfaguard_aws::collect_account(&config, &options, &calls).await {
                    Ok(snapshot) => Collected {
                        snapshots: vec![snapshot],
                        failed: Vec::new(),
                        organization_calls: None,
                    },
                    Err(failure) => Collected {
                        snapshots: Vec::new(),
                        failed: vec![failed_account(
                            failure.account_id.unwrap_or_default(),
                            String::new(),
                            &failure.error,
                            &calls.tally(),
                            args.verbose,
                        )],
                        organization_calls: None,
                    },
                },
            );
        };
        let bar = progress_bar();
        let progress = |done: usize, total: usize| {
            if let Some(bar) = &bar {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        };
        let org_calls = CallCounter::default();
        let result =
            mfaguard_aws::collect_organization(&config, &options, &org, &org_calls, &progress)
                .await;
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let mut collected = Collected {
            snapshots: Vec::new(),
            failed: Vec::new(),
            organization_calls: Some(org_calls.tally()),
        };
        let outcomes = match result {
            Ok(outcomes) => outcomes,
            Err(error) => {
                // Without the account list there is no account to report.
                if args.verbose {
                    print_calls("organisation", &org_calls.tally());
                    if let Some(detail) = error.detail() {
                        eprintln!("  detail: {detail}");
                    }
                }
                return Err(anyhow::Error::new(error));
            }
        };
        for outcome in outcomes {
            match outcome {
                AccountOutcome::Collected(snapshot) => collected.snapshots.push(*snapshot),
                AccountOutcome::Failed {
                    account_id,
                    name,
                    error,
                    calls,
                } => collected.failed.push(failed_account(
                    account_id,
                    name,
                    &error,
                    &calls,
                    args.verbose,
                )),
            }
        }
        Ok(collected)
    })?;
    if args.verbose {
        if let Some(calls) = &collected.organization_calls {
            print_calls("organisation", calls);
        }
        for snapshot in &collected.snapshots {
            let label = format!("account {}", snapshot.account_id.as_deref().unwrap_or("?"));
            print_call_counts(
                &label,
                &snapshot.source.api_calls,
                snapshot.source.retries.unwrap_or_default(),
            );
        }
        for failed in &collected.failed {
            let label = format!("account {} (failed)", failed.account_id);
            print_call_counts(
                &label,
                &failed.api_calls,
                failed.retries.unwrap_or_default(),
            );
        }
    }
    Ok(collected)
}

fn print_calls(label: &str, calls: &CallTally) {
    print_call_counts(label, &calls.calls, calls.retry_stats());
}

/// `--verbose`: every attempt by operation, retries and back-off.
fn print_call_counts(label: &str, calls: &BTreeMap<String, u64>, retries: RetryStats) {
    let total: u64 = calls.values().sum();
    eprintln!(
        "{label}: {total} API calls, {} retries, {:.1} s back-off",
        retries.count, retries.backoff_seconds
    );
    for (action, count) in calls {
        eprintln!("  {action:<40} {count}");
    }
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

/// The region of Security Hub: `explicit` (`--security-hub-region`), else
/// `--region`, else the standard chain's, else us-east-1.
pub fn security_hub_region(
    args: &LiveArgs,
    settings: &LiveSettings,
    explicit: Option<&str>,
) -> Result<String> {
    if let Some(region) = explicit {
        return Ok(region.to_string());
    }
    let options = args.options(settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(mfaguard_aws::resolve_region(&options)))
}

/// Imports ASFF `findings` into Security Hub in `region` with the standard
/// credential chain (and `--profile`).
pub fn push_to_security_hub(
    args: &LiveArgs,
    settings: &LiveSettings,
    region: &str,
    findings: &[serde_json::Value],
) -> Result<mfaguard_aws::ImportOutcome> {
    let mut options = args.options(settings)?;
    options.region = Some(region.to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let config = mfaguard_aws::load_config(&options).await;
        mfaguard_aws::import_findings(&config, findings, options.max_attempts)
            .await
            .map_err(|err| anyhow::anyhow!("cannot push the findings to Security Hub: {err}"))
    })
}
