//! The check catalogue. Each check lives in its own file with its
//! documentation (what it checks, why it matters, how to fix, how to verify)
//! written as the doc comment of its type; `mfaguard explain ID` prints it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::identity::Identity;
use crate::report::{CheckResult, Severity, Status};
use crate::snapshot::Snapshot;

mod breakglass_hardware_mfa;
mod console_user_mfa;
mod mfa_condition_pitfall;
mod mfa_enforced_by_policy;
mod mfa_enforcement_strategy;
mod mfa_exception_review;
mod privileged_user_mfa;
pub(crate) mod role_assumption_mfa;
mod root_access_keys;
mod root_hardware_mfa;
mod root_mfa_enabled;

pub use breakglass_hardware_mfa::BreakglassHardwareMfa;
pub use console_user_mfa::ConsoleUserMfa;
pub use mfa_condition_pitfall::MfaConditionPitfall;
pub use mfa_enforced_by_policy::MfaEnforcedByPolicy;
pub use mfa_enforcement_strategy::MfaEnforcementStrategy;
pub use mfa_exception_review::MfaExceptionReview;
pub use privileged_user_mfa::PrivilegedUserMfa;
pub use role_assumption_mfa::RoleAssumptionMfa;
pub use root_access_keys::RootAccessKeys;
pub use root_hardware_mfa::RootHardwareMfa;
pub use root_mfa_enabled::RootMfaEnabled;

/// The CIS v3.0.0 and v5.0.0 numbers and the Security Hub control of a
/// check, kept in the report's JSON since its first version; the full
/// mapping (every CIS version, FSBP, NIST, PCI) is [`crate::compliance`],
/// and a test keeps the two equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct References {
    /// CIS AWS Foundations Benchmark v3.0.0 recommendation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cis_v3: Option<&'static str>,
    /// CIS AWS Foundations Benchmark v5.0.0 recommendation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cis_v5: Option<&'static str>,
    /// AWS Security Hub control (an FSBP control, except IAM.9, which is in
    /// Security Hub's CIS, NIST and PCI standards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fsbp: Option<&'static str>,
}

/// What a check is, as the catalogue lists it.
#[derive(Debug, Clone, Copy)]
pub struct CheckMeta {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// One line: the fix, shown with every failing result.
    pub fix: &'static str,
    pub references: References,
    /// The check's doc comment, raw.
    raw_docs: &'static str,
}

impl CheckMeta {
    /// The documentation in Markdown, from the check's doc comment.
    pub fn docs(&self) -> String {
        self.raw_docs
            .lines()
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }

    /// A result of this check about `identity`.
    pub fn result(
        &self,
        identity: &Identity,
        status: Status,
        message: impl Into<String>,
    ) -> CheckResult {
        self.result_for(
            &identity.account_id,
            &identity.arn,
            &identity.name,
            status,
            message,
        )
    }

    pub fn result_for(
        &self,
        account_id: &str,
        resource_arn: &str,
        resource_name: &str,
        status: Status,
        message: impl Into<String>,
    ) -> CheckResult {
        CheckResult {
            check_id: self.id,
            status,
            severity: self.severity,
            account_id: account_id.to_string(),
            resource_arn: resource_arn.to_string(),
            resource_name: resource_name.to_string(),
            message: message.into(),
            exception: None,
        }
    }
}

/// Everything a check may look at for one account.
pub struct AccountView<'a> {
    pub account_id: &'a str,
    pub snapshot: &'a Snapshot,
    pub identities: &'a [Identity],
    pub config: &'a Config,
    pub now: DateTime<Utc>,
}

impl AccountView<'_> {
    pub fn root(&self) -> Option<&Identity> {
        self.identities
            .iter()
            .find(|identity| identity.kind == crate::identity::IdentityType::Root)
    }

    pub fn users(&self) -> impl Iterator<Item = &Identity> {
        self.identities
            .iter()
            .filter(|identity| identity.kind == crate::identity::IdentityType::User)
    }

    /// One result of `meta`'s check for each user `judge` judges (`None`:
    /// the check does not look at that user): the scaffolding every
    /// per-user check shares.
    pub fn judge_users(
        &self,
        meta: &CheckMeta,
        judge: impl Fn(&Identity) -> Option<Judgement>,
    ) -> Vec<CheckResult> {
        self.users()
            .filter_map(|user| judge(user).map(|judgement| judgement.into_result(meta, user)))
            .collect()
    }

    /// The result of `meta`'s check for root: none when the account has no
    /// root identity, `unknown` ("`undecided` cannot be decided") when the
    /// credential report has no root row, else `judge`'s.
    pub fn judge_root(
        &self,
        meta: &CheckMeta,
        undecided: &str,
        judge: impl FnOnce(&Identity) -> Judgement,
    ) -> Vec<CheckResult> {
        let Some(root) = self.root() else {
            return Vec::new();
        };
        let judgement = if self.snapshot.credential_report.root_row().is_none() {
            Judgement::unknown(format!(
                "the credential report has no <root_account> row: {undecided} cannot be decided"
            ))
        } else {
            judge(root)
        };
        vec![judgement.into_result(meta, root)]
    }
}

/// Whether root can sign in or call APIs at all: a password, an active
/// access key or an active signing certificate.
fn root_has_credentials(root: &Identity) -> bool {
    root.console_access != Some(false)
        || root.active_access_keys() > 0
        || root.active_certificates > 0
}

/// What a per-identity check decided about one identity: its status, the
/// message that explains it, and a severity when it differs from the
/// check's default.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub status: Status,
    pub message: String,
    pub severity: Option<Severity>,
}

impl Judgement {
    pub fn new(status: Status, message: impl Into<String>) -> Judgement {
        Judgement {
            status,
            message: message.into(),
            severity: None,
        }
    }
    pub fn pass(message: impl Into<String>) -> Judgement {
        Judgement::new(Status::Pass, message)
    }
    pub fn fail(message: impl Into<String>) -> Judgement {
        Judgement::new(Status::Fail, message)
    }
    pub fn unknown(message: impl Into<String>) -> Judgement {
        Judgement::new(Status::Unknown, message)
    }
    pub fn not_applicable(message: impl Into<String>) -> Judgement {
        Judgement::new(Status::NotApplicable, message)
    }
    /// The same judgement at `severity` instead of the check's default.
    pub fn at(mut self, severity: Severity) -> Judgement {
        self.severity = Some(severity);
        self
    }

    fn into_result(self, meta: &CheckMeta, identity: &Identity) -> CheckResult {
        let mut result = meta.result(identity, self.status, self.message);
        if let Some(severity) = self.severity {
            result.severity = severity;
        }
        result
    }
}

/// A check. Account checks look at one account; global checks look at the
/// configuration (exceptions) once per scan.
pub trait Check: Sync {
    fn meta(&self) -> &'static CheckMeta;

    /// Results for every resource of the account that the check examined.
    fn run(&self, _account: &AccountView<'_>) -> Vec<CheckResult> {
        Vec::new()
    }

    /// Results that do not belong to one account.
    fn run_global(&self, _config: &Config, _today: NaiveDate) -> Vec<CheckResult> {
        Vec::new()
    }
}

/// Declares a check type with its metadata; the doc comment becomes the
/// documentation `mfaguard explain` prints.
macro_rules! declare_check {
    (
        $(#[doc = $doc:literal])*
        $name:ident {
            id: $id:literal,
            title: $title:literal,
            severity: $severity:ident,
            fix: $fix:literal,
            cis_v3: $cis_v3:expr,
            cis_v5: $cis_v5:expr,
            fsbp: $fsbp:expr $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const META: $crate::checks::CheckMeta = $crate::checks::CheckMeta {
                id: $id,
                title: $title,
                severity: $crate::report::Severity::$severity,
                fix: $fix,
                references: $crate::checks::References {
                    cis_v3: $cis_v3,
                    cis_v5: $cis_v5,
                    fsbp: $fsbp,
                },
                raw_docs: concat!($($doc, "\n"),*),
            };
        }
    };
}
pub(crate) use declare_check;

/// Every check, in catalogue order.
pub fn all() -> &'static [&'static dyn Check] {
    &[
        &RootMfaEnabled,
        &RootHardwareMfa,
        &RootAccessKeys,
        &ConsoleUserMfa,
        &PrivilegedUserMfa,
        &BreakglassHardwareMfa,
        &MfaEnforcedByPolicy,
        &RoleAssumptionMfa,
        &MfaConditionPitfall,
        &MfaEnforcementStrategy,
        &MfaExceptionReview,
    ]
}

pub fn find(id: &str) -> Option<&'static dyn Check> {
    all().iter().copied().find(|check| check.meta().id == id)
}

pub fn is_known(id: &str) -> bool {
    find(id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_is_documented_and_unique() {
        let mut ids = std::collections::HashSet::new();
        for check in all() {
            let meta = check.meta();
            assert!(ids.insert(meta.id), "duplicate id {}", meta.id);
            assert!(meta.id.starts_with("iam."), "{}", meta.id);
            let docs = meta.docs();
            for heading in [
                "## What it checks",
                "## Why it matters",
                "## How to fix",
                "## How to verify",
            ] {
                assert!(docs.contains(heading), "{} lacks {heading}", meta.id);
            }
            assert!(!meta.fix.is_empty());
        }
    }
}
