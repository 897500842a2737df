use super::role_assumption_mfa;
use super::{declare_check, AccountView, Check, CheckMeta};
use crate::enforcement::Verdict;
use crate::identity::{Identity, IdentityType, Tier};
use crate::report::{CheckResult, Status};

declare_check! {
    /// ## What it checks
    /// The account's MFA strategy as a whole, tier by tier, in the order a
    /// rollout should cover them: root, then privileged people (break-glass
    /// and privileged users, privileged roles people assume), then every
    /// other human. One result per account; it passes only when every tier
    /// is covered:
    ///
    /// * root has MFA;
    /// * every console user of a tier has MFA **and** policy enforces it
    ///   (`enforcement` is `enforced` or `locked_out`), unless a valid
    ///   exception in the configuration covers the user for
    ///   `iam.console_user_mfa`, `iam.privileged_user_mfa` or
    ///   `iam.mfa_enforced_by_policy`;
    /// * every role of the tier that people assume requires MFA in its trust
    ///   policy (as `iam.role_assumption_mfa` decides).
    ///
    /// The message gives each tier's figures: MFA coverage, enforcement
    /// coverage, roles requiring MFA and exceptions. When some figure cannot
    /// be determined and nothing fails, the result is `unknown`.
    ///
    /// ## Why it matters
    /// Enrolment without enforcement leaves the door open until the last
    /// person enrols, and enforcement for humans while admins are exempt
    /// protects the least valuable accounts. The strategy is only as strong
    /// as its weakest tier.
    ///
    /// ## How to fix
    /// Work down the tiers: protect root with a hardware or FIDO key; give
    /// privileged people MFA and enforce it (a deny-without-MFA group
    /// policy, MFA in every admin role's trust policy); then roll the same
    /// group policy out to every human user.
    ///
    /// ## How to verify
    /// Rescan: the message lists every tier as covered. `mfaguard kpi` shows
    /// the coverage over time.
    MfaEnforcementStrategy {
        id: "iam.mfa_enforcement_strategy",
        title: "Every tier is covered: root, privileged, human",
        severity: High,
        fix: "Cover the tiers in order: root MFA, then MFA enrolled and enforced for privileged users and admin roles, then for every human user.",
        cis_v3: None,
        cis_v5: None,
        fsbp: None,
    }
}

/// Checks whose exceptions excuse a user from the strategy.
const EXCUSING_CHECKS: [&str; 3] = [
    "iam.console_user_mfa",
    "iam.privileged_user_mfa",
    "iam.mfa_enforced_by_policy",
];

#[derive(Default)]
struct TierFigures {
    users: usize,
    with_mfa: usize,
    enforced: usize,
    excepted: usize,
    unknown: usize,
    roles: usize,
    roles_requiring_mfa: usize,
    roles_unknown: usize,
    failing: usize,
}

impl TierFigures {
    fn describe(&self, name: &str) -> String {
        let mut parts = Vec::new();
        if self.users > 0 {
            parts.push(format!(
                "{}/{} console users with MFA, {}/{} enforced",
                self.with_mfa, self.users, self.enforced, self.users
            ));
        }
        if self.roles > 0 {
            parts.push(format!(
                "{}/{} roles require MFA",
                self.roles_requiring_mfa, self.roles
            ));
        }
        if self.excepted > 0 {
            parts.push(format!("{} excepted", self.excepted));
        }
        if self.unknown + self.roles_unknown > 0 {
            parts.push(format!(
                "{} undetermined",
                self.unknown + self.roles_unknown
            ));
        }
        if parts.is_empty() {
            parts.push("nobody".to_string());
        }
        format!("{name}: {}", parts.join(", "))
    }
}

impl Check for MfaEnforcementStrategy {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        let meta = &Self::META;
        let today = account.now.date_naive();
        let excepted = |identity: &Identity| {
            account.config.exceptions.iter().any(|exception| {
                EXCUSING_CHECKS.contains(&exception.check.as_str())
                    && (exception.resource == identity.arn || exception.resource == identity.name)
                    && exception.is_valid(today)
            })
        };

        let mut privileged = TierFigures::default();
        let mut human = TierFigures::default();
        for identity in account.identities {
            let figures = match identity.tier {
                Tier::Breakglass | Tier::Privileged => &mut privileged,
                Tier::Human => &mut human,
                Tier::Root | Tier::Machine => continue,
            };
            match identity.kind {
                IdentityType::User => count_user(identity, excepted(identity), figures),
                IdentityType::Role => {
                    let result = role_assumption_mfa::judge(identity);
                    figures.roles += 1;
                    match result.status {
                        Status::Pass => figures.roles_requiring_mfa += 1,
                        Status::Fail => figures.failing += 1,
                        Status::Unknown => figures.roles_unknown += 1,
                        Status::Excepted | Status::NotApplicable => {
                            figures.roles_requiring_mfa += 1
                        }
                    }
                }
                IdentityType::Root => {}
            }
        }

        let root = account.root();
        let root_covered = root.and_then(|root| root.mfa.active);
        let root_text = match root_covered {
            Some(true) => "root: MFA on".to_string(),
            Some(false) => "root: NO MFA".to_string(),
            None => "root: MFA undetermined".to_string(),
        };
        let message = format!(
            "{}; {}; {}",
            root_text,
            privileged.describe("privileged"),
            human.describe("human")
        );
        let failing = root_covered == Some(false) || privileged.failing + human.failing > 0;
        let undetermined = root_covered.is_none()
            || privileged.unknown + privileged.roles_unknown + human.unknown + human.roles_unknown
                > 0;
        let status = if failing {
            Status::Fail
        } else if undetermined {
            Status::Unknown
        } else {
            Status::Pass
        };
        let resource = root
            .map(|root| root.arn.clone())
            .unwrap_or_else(|| format!("arn:aws:iam::{}:root", account.account_id));
        vec![meta.result_for(
            account.account_id,
            &resource,
            &format!("account {}", account.account_id),
            status,
            message,
        )]
    }
}

fn count_user(user: &Identity, excepted: bool, figures: &mut TierFigures) {
    if user.console_access != Some(true) {
        if user.console_access.is_none() {
            figures.users += 1;
            figures.unknown += 1;
        }
        return;
    }
    figures.users += 1;
    let has_mfa = user.mfa.active;
    let enforced = user.enforcement.and_then(|verdict| match verdict {
        Verdict::Enforced | Verdict::LockedOut | Verdict::NoAccess => Some(true),
        Verdict::NotEnforced => Some(false),
        Verdict::Unknown => None,
    });
    if has_mfa == Some(true) {
        figures.with_mfa += 1;
    }
    if enforced == Some(true) {
        figures.enforced += 1;
    }
    let undetermined = has_mfa.is_none() || enforced.is_none();
    if excepted {
        figures.excepted += 1;
    } else if has_mfa == Some(false) || enforced == Some(false) {
        figures.failing += 1;
    } else if undetermined {
        figures.unknown += 1;
    }
}
