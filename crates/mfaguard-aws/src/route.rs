//! Routing of events to accounts: whether an event consumer covers an
//! account, and the credentials that collect it again: the caller's own
//! account with the caller's credentials; with an organisation, each other
//! member account with the role the organisation scan assumes there, kept
//! for the consumer's lifetime and assumed again shortly before it expires.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::{
    error::CredentialsError, future, ProvideCredentials, SharedCredentialsProvider,
};
use aws_credential_types::Credentials;

use crate::error::CollectError;
use crate::observe::{CallCounter, Observer, Pacer};
use crate::org::{active_accounts, assume_role_credentials, role_arn};
use crate::{caller_account, LiveOptions, OrgOptions};

/// Temporary credentials are assumed again when they have less than this
/// left, so that no re-collection starts with credentials about to expire.
const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

/// An event of an account missing from the organisation's account list
/// lists the accounts again (a new member), at most this often.
const RELIST_AFTER: Duration = Duration::from_secs(60);

/// Whether a consumer handles an account's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Covered,
    /// Why not, in a few words.
    NotCovered(String),
}

/// Routes events to their account: decides coverage the way the full scan
/// chooses its accounts, and hands out the SDK configuration that collects
/// each covered account.
pub struct AccountRouter {
    base: SdkConfig,
    options: LiveOptions,
    caller: String,
    org: Option<Organization>,
    /// Counts the STS and Organizations calls of routing (paced and
    /// observed like the collector's).
    calls: CallCounter,
}

struct Organization {
    options: OrgOptions,
    members: tokio::sync::Mutex<Members>,
    roles: std::sync::Mutex<HashMap<String, MemberRole>>,
}

struct Members {
    active: Vec<String>,
    listed_at: Instant,
}

impl AccountRouter {
    /// Asks who the caller is (`sts:GetCallerIdentity`) and, with `org`, the
    /// organisation's active accounts (`organizations:ListAccounts`).
    pub async fn new(
        config: &SdkConfig,
        options: &LiveOptions,
        org: Option<OrgOptions>,
    ) -> Result<AccountRouter, CollectError> {
        let calls = CallCounter::default();
        let observer = Observer::new(calls.clone(), Pacer::default());
        let caller = caller_account(config, options, &observer).await?;
        let org = match org {
            Some(org_options) => {
                let active = list_active(config, options, &observer).await?;
                Some(Organization {
                    options: org_options,
                    members: tokio::sync::Mutex::new(Members {
                        active,
                        listed_at: Instant::now(),
                    }),
                    roles: std::sync::Mutex::new(HashMap::new()),
                })
            }
            None => None,
        };
        Ok(AccountRouter {
            base: config.clone(),
            options: options.clone(),
            caller,
            org,
            calls,
        })
    }

    /// The account of the consumer's own credentials.
    pub fn caller(&self) -> &str {
        &self.caller
    }

    /// The role assumed in member accounts, with an organisation.
    pub fn role_name(&self) -> Option<&str> {
        self.org.as_ref().map(|org| org.options.role_name.as_str())
    }

    /// Whether this consumer handles the account's events: without an
    /// organisation, only the caller's account; with one, the active
    /// accounts that `--accounts` and `--shard` leave in, as the full scan
    /// chooses them. An account missing from the list makes the list be
    /// read again (at most once a minute), so that a new member is
    /// covered; a failed listing is an error, not a "no".
    pub async fn coverage(&self, account_id: &str) -> Result<Coverage, CollectError> {
        let Some(org) = &self.org else {
            return Ok(if account_id == self.caller {
                Coverage::Covered
            } else {
                Coverage::NotCovered(format!(
                    "the credentials are of account {}, and without --org only its events are handled",
                    self.caller
                ))
            });
        };
        if let Some(wanted) = &org.options.accounts {
            if !wanted.iter().any(|id| id == account_id) {
                return Ok(Coverage::NotCovered("not among --accounts".to_string()));
            }
        }
        if !org.options.selects(account_id) {
            return Ok(Coverage::NotCovered("in another shard".to_string()));
        }
        let mut members = org.members.lock().await;
        if !members.active.iter().any(|id| id == account_id)
            && members.listed_at.elapsed() >= RELIST_AFTER
        {
            let observer = Observer::new(self.calls.clone(), Pacer::default());
            members.active = list_active(&self.base, &self.options, &observer).await?;
            members.listed_at = Instant::now();
        }
        Ok(if members.active.iter().any(|id| id == account_id) {
            Coverage::Covered
        } else {
            Coverage::NotCovered("not an active account of the organisation".to_string())
        })
    }

    /// The configuration that collects the account: the caller's own for
    /// its account, else (with an organisation) one whose credentials are
    /// the role's in that account. The role is assumed when it has no
    /// credentials yet or they are about to expire; a failed assumption is
    /// an error naming the role's ARN.
    pub async fn config_for(&self, account_id: &str) -> Result<SdkConfig, CollectError> {
        if account_id == self.caller {
            return Ok(self.base.clone());
        }
        let Some(org) = &self.org else {
            return Err(CollectError::Call {
                action: "routing".to_string(),
                message: format!(
                    "account {account_id} is not the credentials' account {} and no organisation role is configured",
                    self.caller
                ),
                detail: None,
            });
        };
        let role = {
            let mut roles = match org.roles.lock() {
                Ok(roles) => roles,
                Err(poisoned) => poisoned.into_inner(),
            };
            roles
                .entry(account_id.to_string())
                .or_insert_with(|| {
                    MemberRole::new(
                        &self.base,
                        &self.options,
                        &self.calls,
                        role_arn(account_id, &org.options.role_name),
                    )
                })
                .clone()
        };
        role.session.current().await?;
        Ok(role.config)
    }
}

async fn list_active(
    config: &SdkConfig,
    options: &LiveOptions,
    observer: &Observer,
) -> Result<Vec<String>, CollectError> {
    let orgs = observer.organizations(config);
    Ok(active_accounts(&orgs, options, observer)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// One member account's role: the configuration that uses it, built once so
/// that every client made from it shares its credentials.
#[derive(Clone)]
struct MemberRole {
    session: Arc<RoleSession>,
    config: SdkConfig,
}

impl MemberRole {
    fn new(base: &SdkConfig, options: &LiveOptions, calls: &CallCounter, arn: String) -> Self {
        let session = Arc::new(RoleSession {
            base: base.clone(),
            options: options.clone(),
            calls: calls.clone(),
            role_arn: arn,
            current: tokio::sync::Mutex::new(None),
        });
        // The session renews the credentials itself, ahead of their expiry;
        // a cache of the SDK's in front of it would keep them longer.
        let config = base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(RoleProvider(
                session.clone(),
            )))
            .identity_cache(aws_config::identity::IdentityCache::no_cache())
            .build();
        MemberRole { session, config }
    }
}

/// The credentials of a role, assumed with the consumer's own credentials
/// as the organisation scan assumes them, and again when they near expiry.
struct RoleSession {
    base: SdkConfig,
    options: LiveOptions,
    calls: CallCounter,
    role_arn: String,
    current: tokio::sync::Mutex<Option<Credentials>>,
}

impl RoleSession {
    async fn current(&self) -> Result<Credentials, CollectError> {
        let mut current = self.current.lock().await;
        if let Some(credentials) = current.as_ref().filter(|c| !expires_soon(c)) {
            return Ok(credentials.clone());
        }
        let observer = Observer::new(self.calls.clone(), Pacer::default());
        let fresh =
            assume_role_credentials(&self.base, &self.options, &observer, &self.role_arn).await?;
        *current = Some(fresh.clone());
        Ok(fresh)
    }
}

fn expires_soon(credentials: &Credentials) -> bool {
    credentials
        .expiry()
        .is_some_and(|expiry| expiry <= SystemTime::now() + RENEW_BEFORE_EXPIRY)
}

/// The SDK's view of a role session.
struct RoleProvider(Arc<RoleSession>);

impl std::fmt::Debug for RoleProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RoleProvider({})", self.0.role_arn)
    }
}

impl ProvideCredentials for RoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.0
                .current()
                .await
                .map_err(CredentialsError::provider_error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(org: Option<OrgOptions>) -> AccountRouter {
        AccountRouter {
            base: SdkConfig::builder().build(),
            options: LiveOptions::default(),
            caller: "111111111111".to_string(),
            org: org.map(|options| Organization {
                options,
                members: tokio::sync::Mutex::new(Members {
                    active: vec!["111111111111".to_string(), "222222222222".to_string()],
                    // Listed just now: no account list is read again.
                    listed_at: Instant::now(),
                }),
                roles: std::sync::Mutex::new(HashMap::new()),
            }),
            calls: CallCounter::default(),
        }
    }

    fn coverage(router: &AccountRouter, account: &str) -> Coverage {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(router.coverage(account))
            .expect("coverage")
    }

    #[test]
    fn without_an_organisation_only_the_callers_account_is_covered() {
        let router = router(None);
        assert_eq!(coverage(&router, "111111111111"), Coverage::Covered);
        let Coverage::NotCovered(why) = coverage(&router, "222222222222") else {
            panic!("another account is covered");
        };
        assert!(
            why.contains("credentials are of account 111111111111"),
            "{why}"
        );
    }

    #[test]
    fn an_organisation_covers_its_active_accounts_as_narrowed() {
        let all = router(Some(OrgOptions::default()));
        assert_eq!(coverage(&all, "111111111111"), Coverage::Covered);
        assert_eq!(coverage(&all, "222222222222"), Coverage::Covered);
        assert_eq!(
            coverage(&all, "333333333333"),
            Coverage::NotCovered("not an active account of the organisation".to_string())
        );

        let narrowed = router(Some(OrgOptions {
            accounts: Some(vec!["222222222222".to_string()]),
            ..OrgOptions::default()
        }));
        assert_eq!(coverage(&narrowed, "222222222222"), Coverage::Covered);
        assert_eq!(
            coverage(&narrowed, "111111111111"),
            Coverage::NotCovered("not among --accounts".to_string())
        );

        let sharded = router(Some(OrgOptions {
            keep: Some(crate::AccountFilter(Arc::new(|id: &str| {
                id.starts_with('1')
            }))),
            ..OrgOptions::default()
        }));
        assert_eq!(coverage(&sharded, "111111111111"), Coverage::Covered);
        assert_eq!(
            coverage(&sharded, "222222222222"),
            Coverage::NotCovered("in another shard".to_string())
        );
    }

    #[test]
    fn credentials_near_their_expiry_are_renewed() {
        let at = |seconds_from_now: u64| {
            Credentials::new(
                "key",
                "secret",
                None,
                Some(SystemTime::now() + Duration::from_secs(seconds_from_now)),
                "test",
            )
        };
        assert!(expires_soon(&at(60)));
        assert!(!expires_soon(&at(3_600)));
        assert!(!expires_soon(&Credentials::new(
            "key", "secret", None, None, "test"
        )));
    }
}
