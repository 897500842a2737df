//! mfaguard's live collector: the official AWS SDK for Rust with the
//! standard credential chain, for one account or a whole organisation.
//! Read-only calls only.

mod account;
mod convert;
mod error;
mod observe;
mod org;
mod pages;
mod queue;
mod recollect;
mod route;
mod security_hub;
mod trail_lookup;
mod trail_s3;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};

pub use aws_config::SdkConfig;

pub use account::AccountCollector;
pub use error::CollectError;
pub use observe::{CallCounter, CallTally, Pacer};
pub use org::{collect_organization, role_arn, AccountFilter, AccountOutcome, OrgOptions};
pub use queue::{EventQueue, QueueMessage};
pub use recollect::recollect;
pub use route::{AccountRouter, Coverage};
pub use security_hub::{
    finding_of_asff, import_findings, ImportOutcome, RejectedFinding, BATCH_SIZE,
};
pub use trail_lookup::{
    analyze_lookup_events, lookup_window, TrailLookupError, LOOKUP_DAYS, LOOKUP_INTERVAL,
};
pub use trail_s3::{analyze_s3, S3ReadOptions, S3Url, TrailS3Error};

use mfaguard_core::Snapshot;
use observe::Observer;

/// How to reach AWS, and how long to wait for it.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// A named profile of the shared config files (`--profile`).
    pub profile: Option<String>,
    /// `--region`; otherwise the chain's (env, profile), else us-east-1.
    pub region: Option<String>,
    /// Attempts per call (the first included), spaced by jittered
    /// exponential back-off.
    pub max_attempts: u32,
    /// First back-off of a retry; it doubles with each attempt, with full
    /// jitter, up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt's answer, body included.
    pub read_timeout: Duration,
    /// Time allowed for one call, all its attempts and back-off included.
    pub call_timeout: Duration,
    /// Overall time allowed for the credential report, generation and
    /// polling, retries and slow answers included.
    pub report_timeout: Duration,
    /// Overall time allowed for one account (with `--org`, a stuck account
    /// becomes a failed account).
    pub account_timeout: Duration,
    /// Concurrent calls within one account (`ListMFADevices`).
    pub concurrency: usize,
}

impl Default for LiveOptions {
    fn default() -> LiveOptions {
        LiveOptions {
            profile: None,
            region: None,
            max_attempts: 8,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(120),
            report_timeout: Duration::from_secs(120),
            account_timeout: Duration::from_secs(900),
            concurrency: 8,
        }
    }
}

/// Loads the standard AWS configuration: environment, shared config and
/// credentials files, SSO, web identity, instance metadata; honours
/// `AWS_ENDPOINT_URL` as every SDK does. Retries use the SDK's standard
/// mode (jittered exponential back-off); every call is bounded in time.
pub async fn load_config(options: &LiveOptions) -> SdkConfig {
    let retry = RetryConfig::standard()
        .with_max_attempts(options.max_attempts.max(1))
        .with_initial_backoff(options.initial_backoff)
        .with_max_backoff(options.max_backoff);
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout)
        .operation_attempt_timeout(options.read_timeout)
        .operation_timeout(options.call_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry)
        .timeout_config(timeouts);
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        // IAM is global; any region reaches it.
        let mut builder = config.into_builder();
        builder.set_region(Some(Region::new("us-east-1")));
        return builder.build();
    }
    config
}

/// The region the standard chain resolves (`--region`, `AWS_REGION`, the
/// profile's), else us-east-1: the region Security Hub findings are for.
pub async fn resolve_region(options: &LiveOptions) -> String {
    load_config(options)
        .await
        .region()
        .map(|region| region.to_string())
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// The account the credentials belong to (`sts:GetCallerIdentity`).
async fn caller_account(
    config: &SdkConfig,
    options: &LiveOptions,
    observer: &Observer,
) -> Result<String, CollectError> {
    const ACTION: &str = "sts:GetCallerIdentity";
    observer.pacer().wait().await;
    let output = observer
        .sts(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|err| {
            error::classify(
                ACTION,
                &err,
                options.profile.as_deref(),
                options.max_attempts,
            )
        })?;
    output
        .account()
        .map(str::to_string)
        .ok_or_else(|| CollectError::BadResponse {
            action: ACTION.to_string(),
            message: "no account in the answer".to_string(),
        })
}

/// A single-account collection that failed.
#[derive(Debug)]
pub struct AccountFailure {
    /// Known once `sts:GetCallerIdentity` answered.
    pub account_id: Option<String>,
    pub error: CollectError,
}

/// Collects the account the credentials belong to, within
/// `options.account_timeout`. Every attempt is counted in `calls`, which
/// the caller keeps when the collection fails.
pub async fn collect_account(
    config: &SdkConfig,
    options: &LiveOptions,
    calls: &CallCounter,
) -> Result<Snapshot, AccountFailure> {
    let observer = Observer::new(calls.clone(), Pacer::default());
    let account_id = std::sync::Mutex::new(None);
    let collect = async {
        let id = caller_account(config, options, &observer).await?;
        if let Ok(mut known) = account_id.lock() {
            *known = Some(id.clone());
        }
        AccountCollector::new(config, options, &observer)
            .collect(&id, endpoint_label(config))
            .await
    };
    match within_account_timeout(options, collect).await {
        Ok(mut snapshot) => {
            account::record_calls(&mut snapshot, &calls.tally());
            Ok(snapshot)
        }
        Err(error) => Err(AccountFailure {
            account_id: account_id.lock().ok().and_then(|known| known.clone()),
            error,
        }),
    }
}

async fn within_account_timeout<T>(
    options: &LiveOptions,
    work: impl std::future::Future<Output = Result<T, CollectError>>,
) -> Result<T, CollectError> {
    tokio::time::timeout(options.account_timeout, work)
        .await
        .unwrap_or(Err(CollectError::AccountTimeout {
            seconds: options.account_timeout.as_secs_f64(),
        }))
}

fn endpoint_label(config: &SdkConfig) -> String {
    match config.endpoint_url() {
        Some(url) => format!("AWS API at {url}"),
        None => "AWS API".to_string(),
    }
}
