//! mfaguard's live collector: the official AWS SDK for Rust with the
//! standard credential chain, for one account or a whole organisation.
//! Read-only calls only.

mod account;
mod convert;
mod error;
mod org;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

pub use account::{AccountCollector, CallCounter};
pub use error::CollectError;
pub use org::{collect_organization, AccountFilter, AccountOutcome, OrgOptions};

use mfaguard_core::Snapshot;

/// How to reach AWS.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// A named profile of the shared config files (`--profile`).
    pub profile: Option<String>,
    /// `--region`; otherwise the chain's (env, profile), else us-east-1.
    pub region: Option<String>,
    /// Attempts per call, with the SDK's adaptive retry (throttling aware).
    pub max_attempts: u32,
    /// Overall time allowed for the credential report to be generated.
    pub report_timeout: Duration,
    /// Concurrent calls within one account (`ListMFADevices`).
    pub concurrency: usize,
}

impl Default for LiveOptions {
    fn default() -> LiveOptions {
        LiveOptions {
            profile: None,
            region: None,
            max_attempts: 8,
            report_timeout: Duration::from_secs(120),
            concurrency: 8,
        }
    }
}

/// Loads the standard AWS configuration: environment, shared config and
/// credentials files, SSO, web identity, instance metadata; honours
/// `AWS_ENDPOINT_URL` as every SDK does.
pub async fn load_config(options: &LiveOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(options.max_attempts.max(1)));
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

/// The account the credentials belong to (`sts:GetCallerIdentity`).
pub async fn caller_account(
    config: &SdkConfig,
    options: &LiveOptions,
    calls: &CallCounter,
) -> Result<String, CollectError> {
    calls.count("sts:GetCallerIdentity");
    let output = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|err| {
            error::classify(
                "sts:GetCallerIdentity",
                &err,
                options.profile.as_deref(),
                options.max_attempts,
            )
        })?;
    output
        .account()
        .map(str::to_string)
        .ok_or_else(|| CollectError::BadResponse {
            action: "sts:GetCallerIdentity".to_string(),
            message: "no account in the answer".to_string(),
        })
}

/// Collects the account the credentials belong to.
pub async fn collect_account(
    config: &SdkConfig,
    options: &LiveOptions,
) -> Result<Snapshot, CollectError> {
    let collector = AccountCollector::new(config, options);
    let calls = CallCounter::default();
    let account_id = caller_account(config, options, &calls).await?;
    let mut snapshot = collector
        .collect(&account_id, endpoint_label(config))
        .await?;
    for (action, count) in calls.snapshot() {
        *snapshot.source.api_calls.entry(action).or_default() += count;
    }
    Ok(snapshot)
}

fn endpoint_label(config: &SdkConfig) -> String {
    match config.endpoint_url() {
        Some(url) => format!("AWS API at {url}"),
        None => "AWS API".to_string(),
    }
}
