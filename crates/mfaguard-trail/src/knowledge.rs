//! What the account snapshots say about the identities seen in the trail:
//! tier, break-glass status and the MFA-enforcement result of the audit, so
//! that activity is linked to the finding it evidences; and the policies
//! that MFA-related denials are re-evaluated against.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mfaguard_core::identity::{IdentityType, Tier};
use mfaguard_core::inventory::BREAKGLASS_TAG;
use mfaguard_core::{Config, Snapshot, Status};

/// The check whose result is linked to activity without MFA.
pub const ENFORCEMENT_CHECK: &str = "iam.mfa_enforced_by_policy";

/// The audit's view of one identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityFacts {
    pub tier: Tier,
    pub breakglass: bool,
    /// Assumed through a SAML provider: MFA is the identity provider's.
    pub federated_role: bool,
    /// The enforcement check's result for it, when it has one.
    pub enforcement: Option<EnforcementLink>,
}

/// An enforcement finding of the audit, as linked from activity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnforcementLink {
    pub check_id: &'static str,
    pub status: Status,
    pub message: String,
}

/// One account's snapshot and the audit of it.
pub struct AccountKnowledge {
    pub snapshot: Snapshot,
    /// By ARN (users, roles, root).
    pub identities: HashMap<String, IdentityFacts>,
}

/// Everything the analysis knows beyond the log records.
#[derive(Default)]
pub struct Knowledge {
    pub accounts: HashMap<String, AccountKnowledge>,
    /// Break-glass user names from the config (applied in every account).
    pub breakglass_users: Vec<String>,
}

impl Knowledge {
    /// Audits the snapshots (as `mfaguard scan` does) to learn tiers,
    /// break-glass identities and enforcement results.
    pub fn new(snapshots: Vec<Snapshot>, config: &Config, now: DateTime<Utc>) -> Knowledge {
        let report = mfaguard_core::analyze(&snapshots, config, now);
        let mut enforcement: HashMap<(String, String), EnforcementLink> = HashMap::new();
        for result in &report.results {
            if result.check_id == ENFORCEMENT_CHECK {
                enforcement.insert(
                    (result.account_id.clone(), result.resource_arn.clone()),
                    EnforcementLink {
                        check_id: ENFORCEMENT_CHECK,
                        status: result.status,
                        message: result.message.clone(),
                    },
                );
            }
        }
        let mut accounts: HashMap<String, AccountKnowledge> = HashMap::new();
        for snapshot in snapshots {
            let id = snapshot.account_id.clone().unwrap_or_default();
            accounts.insert(
                id,
                AccountKnowledge {
                    snapshot,
                    identities: HashMap::new(),
                },
            );
        }
        for identity in report.identities {
            let federated_role = identity.kind == IdentityType::Role
                && identity.trust.as_ref().is_some_and(|trust| {
                    trust
                        .federated
                        .iter()
                        .any(|provider| provider.contains(":saml-provider/"))
                });
            let facts = IdentityFacts {
                tier: identity.tier,
                breakglass: identity.breakglass,
                federated_role,
                enforcement: enforcement
                    .remove(&(identity.account_id.clone(), identity.arn.clone())),
            };
            if let Some(account) = accounts.get_mut(&identity.account_id) {
                account.identities.insert(identity.arn, facts);
            }
        }
        Knowledge {
            accounts,
            breakglass_users: config.breakglass_users.clone(),
        }
    }

    /// Knowledge from the config alone (no snapshot).
    pub fn from_config(config: &Config) -> Knowledge {
        Knowledge {
            accounts: HashMap::new(),
            breakglass_users: config.breakglass_users.clone(),
        }
    }

    pub fn has_snapshot(&self, account: &str) -> bool {
        self.accounts.contains_key(account)
    }

    pub fn facts(&self, account: &str, arn: &str) -> Option<&IdentityFacts> {
        self.accounts.get(account)?.identities.get(arn)
    }

    /// Whether a user is break-glass: named in the config, or tagged (or
    /// named) so in the account's snapshot.
    pub fn is_breakglass(&self, account: &str, user_arn: &str, user_name: &str) -> bool {
        self.breakglass_users.iter().any(|name| name == user_name)
            || self
                .facts(account, user_arn)
                .is_some_and(|facts| facts.breakglass)
    }

    /// The tier of a user, when a snapshot of its account is given.
    pub fn tier(&self, account: &str, arn: &str) -> Option<Tier> {
        self.facts(account, arn).map(|facts| facts.tier)
    }
}

/// The tag the audit reads for break-glass users, for documentation.
pub const BREAKGLASS_TAG_NAME: &str = BREAKGLASS_TAG;
