//! Organisation fan-out: list the accounts, assume a role in each, collect
//! them concurrently within a bound, and gather the SCPs along each
//! account's path. A failing account is reported while the others complete.

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_organizations::types::{AccountStatus, PolicyType};
use aws_sdk_organizations::Client as OrgClient;
use futures::stream::{self, StreamExt};
use tokio::sync::Mutex;

use mfaguard_core::snapshot::{PolicyDocument, ScpLevel, ScpPolicy, Snapshot};

use crate::account::{record_calls, AccountCollector};
use crate::error::{classify, CollectError};
use crate::observe::{CallCounter, CallTally, Observer, Pacer};
use crate::pages::Pages;
use crate::{caller_account, within_account_timeout, LiveOptions};

/// How to fan out over an organisation.
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// Role assumed in each member account.
    pub role_name: String,
    /// Only these accounts (`--accounts`); all active accounts otherwise.
    pub accounts: Option<Vec<String>>,
    /// Accounts collected at once.
    pub concurrency: usize,
    /// Keeps only the accounts this says yes to (`--shard`), decided before
    /// any role is assumed so that each runner collects only its share.
    pub keep: Option<AccountFilter>,
}

impl OrgOptions {
    /// Whether `--accounts` and `--shard` leave the account in.
    pub fn selects(&self, account_id: &str) -> bool {
        self.accounts
            .as_ref()
            .is_none_or(|wanted| wanted.iter().any(|id| id == account_id))
            && self
                .keep
                .as_ref()
                .is_none_or(|AccountFilter(keep)| keep(account_id))
    }
}

/// A predicate on account IDs.
#[derive(Clone)]
pub struct AccountFilter(pub Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl std::fmt::Debug for AccountFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountFilter")
    }
}

impl Default for OrgOptions {
    fn default() -> OrgOptions {
        OrgOptions {
            role_name: "OrganizationAccountAccessRole".to_string(),
            accounts: None,
            concurrency: 4,
            keep: None,
        }
    }
}

/// What happened to one account.
#[derive(Debug)]
pub enum AccountOutcome {
    Collected(Box<Snapshot>),
    Failed {
        account_id: String,
        name: String,
        error: CollectError,
        /// The calls made for the account before it failed.
        calls: CallTally,
    },
}

/// Lists the organisation's active accounts (narrowed to `org.accounts`),
/// assumes `org.role_name` in each (the caller's own account is collected
/// with the caller's credentials) and collects them, `org.concurrency` at a
/// time, each within `options.account_timeout`. `progress(done, total)` is
/// called after each account. The organisation-level calls (the caller's
/// identity, the account list, the organisation) are counted in
/// `org_calls`.
pub async fn collect_organization(
    config: &SdkConfig,
    options: &LiveOptions,
    org: &OrgOptions,
    org_calls: &CallCounter,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<AccountOutcome>, CollectError> {
    let observer = Observer::new(org_calls.clone(), Pacer::default());
    let caller = caller_account(config, options, &observer).await?;
    let orgs = observer.organizations(config);
    let mut accounts = active_accounts(&orgs, options, &observer).await?;
    // SCPs do not restrict the management account: its identities must not
    // be judged under them.
    observer.pacer().wait().await;
    let management = orgs
        .describe_organization()
        .send()
        .await
        .ok()
        .and_then(|described| {
            described
                .organization()
                .and_then(|organization| organization.master_account_id())
                .map(str::to_string)
        });
    if let Some(wanted) = &org.accounts {
        for id in wanted {
            if !accounts.iter().any(|(known, _)| known == id) {
                return Err(CollectError::Call {
                    action: "organizations:ListAccounts".to_string(),
                    message: format!("account {id} is not an active account of the organisation"),
                    detail: None,
                });
            }
        }
    }
    accounts.retain(|(id, _)| org.selects(id));
    accounts.sort();

    let total = accounts.len();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let scp_cache: Arc<Mutex<HashMap<String, ScpPolicy>>> = Arc::default();
    let outcomes: Vec<AccountOutcome> = stream::iter(accounts)
        .map(|(account_id, name)| {
            let caller = caller.clone();
            let management = management.clone();
            let scp_cache = scp_cache.clone();
            let done = done.clone();
            async move {
                let calls = CallCounter::default();
                let result = within_account_timeout(
                    options,
                    collect_member(
                        config,
                        options,
                        org,
                        &calls,
                        Known {
                            caller: &caller,
                            management: management.as_deref(),
                        },
                        &account_id,
                        &scp_cache,
                    ),
                )
                .await;
                let finished = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                progress(finished, total);
                match result {
                    Ok(mut snapshot) => {
                        record_calls(&mut snapshot, &calls.tally());
                        AccountOutcome::Collected(Box::new(snapshot))
                    }
                    Err(error) => AccountOutcome::Failed {
                        account_id,
                        name,
                        error,
                        calls: calls.tally(),
                    },
                }
            }
        })
        .buffer_unordered(org.concurrency.max(1))
        .collect()
        .await;
    let mut outcomes = outcomes;
    outcomes.sort_by(|a, b| outcome_id(a).cmp(outcome_id(b)));
    Ok(outcomes)
}

fn outcome_id(outcome: &AccountOutcome) -> &str {
    match outcome {
        AccountOutcome::Collected(snapshot) => snapshot.account_id.as_deref().unwrap_or_default(),
        AccountOutcome::Failed { account_id, .. } => account_id,
    }
}

/// The organisation's active accounts, ID and name (`ListAccounts`, every
/// page).
pub(crate) async fn active_accounts(
    orgs: &OrgClient,
    options: &LiveOptions,
    observer: &Observer,
) -> Result<Vec<(String, String)>, CollectError> {
    let fail = |action: &str, err: &dyn ClassifyErr| err.classify(action, options);
    let mut accounts: Vec<(String, String)> = Vec::new();
    let mut pages = Pages::new("organizations:ListAccounts");
    let mut token: Option<String> = None;
    loop {
        observer.pacer().wait().await;
        let page = orgs
            .list_accounts()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|err| fail("organizations:ListAccounts", &err))?;
        for account in page.accounts() {
            if account.status() == Some(&AccountStatus::Active) {
                if let Some(id) = account.id() {
                    accounts.push((
                        id.to_string(),
                        account.name().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
        match pages.next(None, page.next_token())? {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    Ok(accounts)
}

/// The accounts an organisation scan knows by their role.
#[derive(Clone, Copy)]
struct Known<'a> {
    /// The account of the credentials in use.
    caller: &'a str,
    /// The management account, when DescribeOrganization told it.
    management: Option<&'a str>,
}

async fn collect_member(
    config: &SdkConfig,
    options: &LiveOptions,
    org: &OrgOptions,
    calls: &CallCounter,
    known: Known<'_>,
    account_id: &str,
    scp_cache: &Mutex<HashMap<String, ScpPolicy>>,
) -> Result<Snapshot, CollectError> {
    let Known { caller, management } = known;
    let observer = Observer::new(calls.clone(), Pacer::default());
    // Organisation calls made for this account are counted with it.
    let orgs = observer.organizations(config);
    let member_config = if account_id == caller {
        config.clone()
    } else {
        assume(config, options, &observer, account_id, &org.role_name).await?
    };
    let collector = AccountCollector::new(&member_config, options, &observer);
    let location = if account_id == caller {
        "AWS API (caller's account)".to_string()
    } else {
        format!("AWS API via role {}", org.role_name)
    };
    let mut snapshot = collector.collect(account_id, location).await?;
    match management {
        // No SCP applies to the management account.
        Some(management) if management == account_id => {
            snapshot.service_control_policies = Some(Vec::new());
        }
        // Unknown management account: the caller's own account may be it,
        // and applying SCPs to it could make a denial look like enforcement.
        None if account_id == caller => snapshot.source.missing.push(
            "service control policies: not applied, since organizations:DescribeOrganization failed and this may be the management account (which SCPs do not restrict)".to_string(),
        ),
        _ => match scps_for(&orgs, options, &observer, account_id, scp_cache).await {
            Ok(levels) => snapshot.service_control_policies = Some(levels),
            Err(err) => snapshot
                .source
                .missing
                .push(format!("service control policies: {err}")),
        },
    }
    Ok(snapshot)
}

/// Assumes the role in the member account and returns a config that uses
/// its temporary credentials.
async fn assume(
    config: &SdkConfig,
    options: &LiveOptions,
    observer: &Observer,
    account_id: &str,
    role_name: &str,
) -> Result<SdkConfig, CollectError> {
    let credentials =
        assume_role_credentials(config, options, observer, &role_arn(account_id, role_name))
            .await?;
    Ok(config
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .build())
}

/// The ARN of the role `role_name` in the account.
pub fn role_arn(account_id: &str, role_name: &str) -> String {
    let partition = "aws";
    format!("arn:{partition}:iam::{account_id}:role/{role_name}")
}

/// Temporary credentials of `role_arn` (`sts:AssumeRole` with the
/// credentials of `config`), with their expiry.
pub(crate) async fn assume_role_credentials(
    config: &SdkConfig,
    options: &LiveOptions,
    observer: &Observer,
    role_arn: &str,
) -> Result<aws_credential_types::Credentials, CollectError> {
    observer.pacer().wait().await;
    let output = observer
        .sts(config)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("mfaguard")
        .send()
        .await
        .map_err(|err| CollectError::AssumeRole {
            role_arn: role_arn.to_string(),
            message: classify(
                "sts:AssumeRole",
                &err,
                options.profile.as_deref(),
                options.max_attempts,
            )
            .to_string(),
        })?;
    let credentials = output
        .credentials()
        .ok_or_else(|| CollectError::AssumeRole {
            role_arn: role_arn.to_string(),
            message: "no credentials in the answer".to_string(),
        })?;
    let expiry = std::time::SystemTime::try_from(*credentials.expiration()).ok();
    Ok(aws_credential_types::Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_string()),
        expiry,
        "mfaguard-assume-role",
    ))
}

/// The SCPs along the account's path: root first, then each OU, then the
/// account itself.
async fn scps_for(
    orgs: &OrgClient,
    options: &LiveOptions,
    observer: &Observer,
    account_id: &str,
    cache: &Mutex<HashMap<String, ScpPolicy>>,
) -> Result<Vec<ScpLevel>, CollectError> {
    let fail = |action: &str, err: &dyn ClassifyErr| err.classify(action, options);
    let mut path = vec![(account_id.to_string(), "ACCOUNT".to_string())];
    let mut child = account_id.to_string();
    loop {
        observer.pacer().wait().await;
        let parents = orgs
            .list_parents()
            .child_id(&child)
            .send()
            .await
            .map_err(|err| fail("organizations:ListParents", &err))?;
        let Some(parent) = parents.parents().first() else {
            break;
        };
        let id = parent.id().unwrap_or_default().to_string();
        let kind = parent
            .r#type()
            .map(|kind| kind.as_str().to_string())
            .unwrap_or_default();
        let is_root = kind == "ROOT";
        path.push((id.clone(), kind));
        if is_root || id.is_empty() {
            break;
        }
        child = id;
    }
    path.reverse();

    let mut levels = Vec::new();
    for (target_id, target_type) in path {
        let mut policies = Vec::new();
        let mut pages = Pages::new("organizations:ListPoliciesForTarget");
        let mut token: Option<String> = None;
        loop {
            observer.pacer().wait().await;
            let page = orgs
                .list_policies_for_target()
                .target_id(&target_id)
                .filter(PolicyType::ServiceControlPolicy)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|err| fail("organizations:ListPoliciesForTarget", &err))?;
            for summary in page.policies() {
                let Some(policy_id) = summary.id() else {
                    continue;
                };
                if let Some(cached) = cache.lock().await.get(policy_id) {
                    policies.push(cached.clone());
                    continue;
                }
                observer.pacer().wait().await;
                let described = orgs
                    .describe_policy()
                    .policy_id(policy_id)
                    .send()
                    .await
                    .map_err(|err| fail("organizations:DescribePolicy", &err))?;
                let content = described
                    .policy()
                    .and_then(|policy| policy.content())
                    .unwrap_or_default();
                let document = PolicyDocument::from_text(content).map_err(|message| {
                    CollectError::BadResponse {
                        action: "organizations:DescribePolicy".to_string(),
                        message: format!("SCP {policy_id}: {message}"),
                    }
                })?;
                let policy = ScpPolicy {
                    id: policy_id.to_string(),
                    name: summary.name().unwrap_or_default().to_string(),
                    document,
                };
                cache
                    .lock()
                    .await
                    .insert(policy_id.to_string(), policy.clone());
                policies.push(policy);
            }
            match pages.next(None, page.next_token())? {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        levels.push(ScpLevel {
            target_id,
            target_type,
            policies,
        });
    }
    Ok(levels)
}

/// Lets one closure classify the errors of every Organizations operation.
trait ClassifyErr {
    fn classify(&self, action: &str, options: &LiveOptions) -> CollectError;
}

impl<E> ClassifyErr
    for aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    fn classify(&self, action: &str, options: &LiveOptions) -> CollectError {
        classify(
            action,
            self,
            options.profile.as_deref(),
            options.max_attempts,
        )
    }
}
