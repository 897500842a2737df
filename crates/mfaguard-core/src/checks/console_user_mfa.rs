use super::{declare_check, AccountView, Check, CheckMeta, Judgement};
use crate::identity::Identity;
use crate::report::CheckResult;

declare_check! {
    /// ## What it checks
    /// That every IAM user with a console password has an active MFA device.
    /// Root is covered by `iam.root_mfa_enabled`; users without a password
    /// (machine users) are not applicable; a user missing from the credential
    /// report (created after it was generated) is `unknown`.
    ///
    /// ## Why it matters
    /// A password alone is phished, reused and guessed. Every console user
    /// without MFA is one leaked password away from an attacker acting with
    /// all of that user's permissions.
    ///
    /// ## How to fix
    /// Have the user enrol a device (IAM console, *Security credentials*,
    /// *Assign MFA device*; a FIDO key is best), then enforce it with a policy
    /// that denies everything but MFA self-service without MFA (see
    /// `iam.mfa_enforced_by_policy`). Remove the password of users who no
    /// longer need the console: `aws iam delete-login-profile --user-name U`.
    ///
    /// ## How to verify
    /// In a fresh credential report every row with `password_enabled` `true`
    /// has `mfa_active` `true`.
    ConsoleUserMfa {
        id: "iam.console_user_mfa",
        title: "Console users have MFA",
        severity: High,
        fix: "Enrol an MFA device for the user (FIDO key preferred) and enforce MFA by policy, or remove the unused console password.",
        cis_v3: Some("1.10"),
        cis_v5: Some("1.9"),
        fsbp: Some("IAM.5"),
    }
}

/// "last signed in 2026-10-01" or "password never used".
pub(crate) fn password_use(identity: &Identity) -> String {
    match identity.password_last_used {
        Some(time) => format!("password last used {}", time.format("%Y-%m-%d")),
        None => "password never used".to_string(),
    }
}

impl Check for ConsoleUserMfa {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        account.judge_users(&Self::META, |user| {
            Some(match (user.console_access, user.mfa.active) {
                (None, _) => Judgement::unknown(
                    "not in the credential report: console access and MFA cannot be decided",
                ),
                (Some(false), _) => Judgement::not_applicable("no console password"),
                (Some(true), Some(true)) => {
                    Judgement::pass(format!("MFA active ({})", user.mfa.describe_devices()))
                }
                (Some(true), Some(false)) => Judgement::fail(format!(
                    "console password enabled and no MFA device ({})",
                    password_use(user)
                )),
                (Some(true), None) => Judgement::unknown("MFA status is not in the inputs"),
            })
        })
    }
}
