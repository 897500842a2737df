//! Key figures of one scan: MFA coverage overall and per tier, phishing-
//! resistant coverage, enforcement by policy and time to MFA.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::enforcement::Verdict;
use crate::identity::{Identity, IdentityType, Tier};
use crate::inventory::time_to_mfa;
use crate::report::Status;

/// How many of `total` have the property; `unknown` could not be decided
/// and are left out of `percent` (never counted as covered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Coverage {
    pub total: usize,
    pub covered: usize,
    pub unknown: usize,
    /// `covered` over the decided ones, 0–100; `None` when none was decided.
    pub percent: Option<f64>,
}

impl Coverage {
    pub(crate) fn add(&mut self, value: Option<bool>) {
        self.total += 1;
        match value {
            Some(true) => self.covered += 1,
            Some(false) => {}
            None => self.unknown += 1,
        }
    }

    pub(crate) fn finish(mut self) -> Coverage {
        let decided = self.total - self.unknown;
        self.percent = (decided > 0).then(|| round1(100.0 * self.covered as f64 / decided as f64));
        self
    }

    /// `covered/decided`, and the undecided when there are any: the one
    /// way every report and check writes a coverage figure.
    pub fn fraction(&self) -> String {
        let mut text = format!("{}/{}", self.covered, self.total - self.unknown);
        if self.unknown > 0 {
            text.push_str(&format!(", {} unknown", self.unknown));
        }
        text
    }
}

/// How an identity counts in the "console users with MFA" figures: `None`
/// when it is not a console user (roles, users without a password), else
/// whether it has active MFA (`None` inside when undecided, which includes a
/// user whose console access is unknown).
pub fn mfa_figure(identity: &Identity) -> Option<Option<bool>> {
    if identity.kind == IdentityType::Role || identity.is_console_user() == Some(false) {
        return None;
    }
    if identity.console_access.is_none() {
        return Some(None);
    }
    Some(identity.mfa.active)
}

/// How a user counts in the "console users whose policies enforce MFA"
/// figures, the one definition the summary, the checks, the KPIs and the
/// store share:
///
/// * `enforced` and `locked_out` count as enforced (every request without
///   MFA but enrolment is denied);
/// * `not_enforced` counts as not enforced;
/// * `unknown`, a missing verdict or unknown console access count as
///   undecided;
/// * `no_access` is not counted at all: the user can do nothing, with or
///   without MFA, so there is nothing for MFA to protect (as
///   `iam.mfa_enforced_by_policy` reports it not applicable).
///
/// Root and roles are not counted (no IAM policy binds root; roles are
/// judged by their trust policies).
pub fn enforcement_figure(identity: &Identity) -> Option<Option<bool>> {
    if identity.kind != IdentityType::User || identity.console_access == Some(false) {
        return None;
    }
    if identity.console_access.is_none() {
        return Some(None);
    }
    match identity.enforcement {
        Some(Verdict::Enforced | Verdict::LockedOut) => Some(Some(true)),
        Some(Verdict::NotEnforced) => Some(Some(false)),
        Some(Verdict::NoAccess) => None,
        Some(Verdict::Unknown) | None => Some(None),
    }
}

/// How a role counts in the "roles people assume that require MFA"
/// figures (the strategy check, `fix plan`): `None` for roles only machines
/// or services assume; undecided (`Some(None)`) for a federated entry point,
/// whose MFA the identity provider enforces out of IAM's sight, or an
/// unreadable trust policy; else whether every principal it trusts must
/// use MFA.
pub fn role_figure(role: &Identity) -> Option<Option<bool>> {
    if role.kind != IdentityType::Role || matches!(role.tier, Tier::Root | Tier::Machine) {
        return None;
    }
    match crate::checks::role_assumption_mfa::judge(role).status {
        Status::Pass | Status::Excepted => Some(Some(true)),
        Status::Fail => Some(Some(false)),
        Status::Unknown => Some(None),
        Status::NotApplicable => None,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TimeToMfa {
    /// Identities whose creation and first MFA enable dates are both known.
    pub samples: usize,
    pub median_days: Option<f64>,
    pub mean_days: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpis {
    /// Identities per tier (root, users and roles).
    pub identities_by_tier: BTreeMap<Tier, usize>,
    /// Console users (root and users with a password) with active MFA.
    pub console_users_with_mfa: Coverage,
    pub console_users_with_mfa_by_tier: BTreeMap<Tier, Coverage>,
    /// Console users whose MFA is a FIDO key or hardware token.
    pub console_users_with_phishing_resistant_mfa: Coverage,
    /// Console users (root excluded: no IAM policy binds it) whose policies
    /// deny everything but MFA self-enrolment without MFA, as
    /// [`enforcement_figure`] counts them (`no_access` users are left out).
    pub console_users_with_mfa_enforced: Coverage,
    pub console_users_with_mfa_enforced_by_tier: BTreeMap<Tier, Coverage>,
    /// From user creation to the first MFA device's enable date.
    pub time_to_mfa: TimeToMfa,
    /// Users without a console password that hold active access keys:
    /// candidates for short-lived role credentials.
    pub machine_users_with_active_keys: usize,
}

pub fn compute(identities: &[Identity]) -> Kpis {
    let mut kpis = Kpis::default();
    let mut by_tier: BTreeMap<Tier, Coverage> = BTreeMap::new();
    let mut phishing_resistant = Coverage::default();
    let mut overall = Coverage::default();
    let mut enforced = Coverage::default();
    let mut enforced_by_tier: BTreeMap<Tier, Coverage> = BTreeMap::new();
    let mut durations = Vec::new();
    for identity in identities {
        *kpis.identities_by_tier.entry(identity.tier).or_default() += 1;
        if identity.kind == IdentityType::User
            && identity.console_access == Some(false)
            && identity.active_access_keys() > 0
        {
            kpis.machine_users_with_active_keys += 1;
        }
        let Some(has_mfa) = mfa_figure(identity) else {
            continue;
        };
        overall.add(has_mfa);
        by_tier.entry(identity.tier).or_default().add(has_mfa);
        phishing_resistant.add(if identity.console_access.is_none() {
            None
        } else {
            identity.mfa.phishing_resistant()
        });
        if let Some(verdict) = enforcement_figure(identity) {
            enforced.add(verdict);
            enforced_by_tier
                .entry(identity.tier)
                .or_default()
                .add(verdict);
        }
        if let Some(duration) = time_to_mfa(identity) {
            durations.push(duration.num_seconds() as f64 / 86_400.0);
        }
    }
    kpis.console_users_with_mfa = overall.finish();
    kpis.console_users_with_mfa_by_tier = by_tier
        .into_iter()
        .map(|(tier, coverage)| (tier, coverage.finish()))
        .collect();
    kpis.console_users_with_phishing_resistant_mfa = phishing_resistant.finish();
    kpis.console_users_with_mfa_enforced = enforced.finish();
    kpis.console_users_with_mfa_enforced_by_tier = enforced_by_tier
        .into_iter()
        .map(|(tier, coverage)| (tier, coverage.finish()))
        .collect();
    kpis.time_to_mfa = time_to_mfa_stats(durations);
    kpis
}

fn time_to_mfa_stats(mut days: Vec<f64>) -> TimeToMfa {
    if days.is_empty() {
        return TimeToMfa::default();
    }
    days.sort_by(f64::total_cmp);
    let n = days.len();
    let median = if n % 2 == 1 {
        days[n / 2]
    } else {
        (days[n / 2 - 1] + days[n / 2]) / 2.0
    };
    let mean = days.iter().sum::<f64>() / n as f64;
    TimeToMfa {
        samples: n,
        median_days: Some(round1(median)),
        mean_days: Some(round1(mean)),
    }
}

pub(crate) fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mean() {
        let stats = time_to_mfa_stats(vec![10.0, 1.0, 4.0, 3.0]);
        assert_eq!(stats.samples, 4);
        assert_eq!(stats.median_days, Some(3.5));
        assert_eq!(stats.mean_days, Some(4.5));
        assert_eq!(
            time_to_mfa_stats(vec![2.0, 9.0, 1.0]).median_days,
            Some(2.0)
        );
        assert_eq!(time_to_mfa_stats(vec![]).median_days, None);
    }

    #[test]
    fn unknown_is_left_out_of_the_percentage() {
        let mut coverage = Coverage::default();
        coverage.add(Some(true));
        coverage.add(Some(false));
        coverage.add(None);
        let coverage = coverage.finish();
        assert_eq!(
            (coverage.total, coverage.covered, coverage.unknown),
            (3, 1, 1)
        );
        assert_eq!(coverage.percent, Some(50.0));
        assert_eq!(Coverage::default().finish().percent, None);
    }
}
