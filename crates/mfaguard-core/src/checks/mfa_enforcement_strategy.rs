use super::{declare_check, AccountView, Check, CheckMeta};
use crate::identity::{Identity, IdentityType, Tier};
use crate::kpi::{self, Coverage};
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
    ///   (`enforcement` is `enforced` or `locked_out`; a `no_access` user,
    ///   who can do nothing at all, is left out of the enforcement figure
    ///   as in the report's summary), unless a valid
    ///   exception in the configuration covers the user for
    ///   `iam.console_user_mfa`, `iam.privileged_user_mfa` or
    ///   `iam.mfa_enforced_by_policy`;
    /// * every role of the tier that people assume requires MFA in its trust
    ///   policy (as `iam.role_assumption_mfa` decides).
    ///
    /// The message gives each tier's figures (break-glass, privileged and
    /// human apart, counted exactly as the summary's coverage figures): MFA
    /// coverage, enforcement coverage, roles requiring MFA and exceptions. When some figure cannot
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

/// One tier's figures. Console-user figures are the report's own
/// ([`kpi::mfa_figure`], [`kpi::enforcement_figure`]), so the message reads
/// the same as the summary.
#[derive(Default)]
struct TierFigures {
    with_mfa: Coverage,
    enforced: Coverage,
    excepted: usize,
    unknown: usize,
    /// Roles people assume that require MFA ([`kpi::role_figure`]).
    roles: Coverage,
    failing: usize,
}

impl TierFigures {
    fn describe(&self, name: &str) -> String {
        let mut parts = Vec::new();
        if self.with_mfa.total > 0 {
            parts.push(format!(
                "{} console users with MFA",
                self.with_mfa.fraction()
            ));
        }
        if self.enforced.total > 0 {
            parts.push(format!("{} enforced", self.enforced.fraction()));
        }
        if self.roles.total > 0 {
            parts.push(format!("roles requiring MFA {}", self.roles.fraction()));
        }
        if self.excepted > 0 {
            parts.push(format!("{} excepted", self.excepted));
        }
        if self.unknown > 0 {
            parts.push(format!("{} undetermined", self.unknown));
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

        let mut breakglass = TierFigures::default();
        let mut privileged = TierFigures::default();
        let mut human = TierFigures::default();
        for identity in account.identities {
            let figures = match identity.tier {
                Tier::Breakglass => &mut breakglass,
                Tier::Privileged => &mut privileged,
                Tier::Human => &mut human,
                Tier::Root | Tier::Machine => continue,
            };
            match identity.kind {
                IdentityType::User => count_user(identity, excepted(identity), figures),
                IdentityType::Role => {
                    if let Some(figure) = kpi::role_figure(identity) {
                        figures.roles.add(figure);
                        if figure == Some(false) {
                            figures.failing += 1;
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
        let mut tiers = vec![root_text];
        if breakglass.with_mfa.total + breakglass.roles.total > 0 {
            tiers.push(breakglass.describe("breakglass"));
        }
        tiers.push(privileged.describe("privileged"));
        tiers.push(human.describe("human"));
        let message = tiers.join("; ");
        let all = [&breakglass, &privileged, &human];
        let failing = root_covered == Some(false) || all.iter().any(|tier| tier.failing > 0);
        let undetermined =
            root_covered.is_none() || all.iter().any(|tier| tier.unknown + tier.roles.unknown > 0);
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
    let Some(has_mfa) = kpi::mfa_figure(user) else {
        return;
    };
    figures.with_mfa.add(has_mfa);
    // `None`: a user with no access at all has nothing for MFA to protect.
    let enforced = kpi::enforcement_figure(user);
    if let Some(enforced) = enforced {
        figures.enforced.add(enforced);
    }
    let enforced = enforced.unwrap_or(Some(true));
    if excepted {
        figures.excepted += 1;
    } else if has_mfa == Some(false) || enforced == Some(false) {
        figures.failing += 1;
    } else if has_mfa.is_none() || enforced.is_none() {
        figures.unknown += 1;
    }
}
