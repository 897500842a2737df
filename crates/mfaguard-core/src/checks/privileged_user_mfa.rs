use super::console_user_mfa::password_use;
use super::{declare_check, AccountView, Check, CheckMeta, Judgement};
use crate::report::CheckResult;

declare_check! {
    /// ## What it checks
    /// That every privileged IAM user with console access has MFA. A user is
    /// privileged when, evaluated with MFA by the policy engine against its
    /// real policies (inline, attached, through groups, the permissions
    /// boundary, SCPs when collected), it is allowed an action of the
    /// privilege-escalation set: creating policy versions, attaching or
    /// writing user/group/role policies, creating access keys or login
    /// profiles, updating trust policies, changing boundaries, or
    /// `iam:PassRole` together with a compute service that runs code as the
    /// passed role. Administrators (`*` on `*`) are allowed all of them. The
    /// allowing statements are listed in the identity's `privilege` field;
    /// when some policy cannot be read and nothing else makes the user
    /// privileged, the result is `unknown`.
    ///
    /// ## Why it matters
    /// A privileged user's password is the keys to the account: it can create
    /// new users, keys and roles and so keep access after the password is
    /// changed. These accounts are the first target of phishing.
    ///
    /// ## How to fix
    /// Enrol a FIDO security key for the user today, and enforce MFA by
    /// policy. Better, remove standing administrator rights from IAM users
    /// and grant them through a role that requires MFA to assume.
    ///
    /// ## How to verify
    /// The user's row in a fresh credential report shows `mfa_active` `true`;
    /// `aws iam list-mfa-devices --user-name U` lists the device.
    PrivilegedUserMfa {
        id: "iam.privileged_user_mfa",
        title: "Privileged users have MFA",
        severity: Critical,
        fix: "Enrol a FIDO security key for the privileged user now and enforce MFA by policy; prefer MFA-protected admin roles over admin users.",
        cis_v3: None,
        cis_v5: None,
        fsbp: None,
    }
}

impl Check for PrivilegedUserMfa {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        account.judge_users(&Self::META, |user| {
            let why = user.privilege.reasons.join("; ");
            Some(
                match (
                    user.privilege.privileged,
                    user.console_access,
                    user.mfa.active,
                ) {
                    (Some(false), _, _) => Judgement::not_applicable("not privileged"),
                    (_, Some(false), _) => {
                        Judgement::not_applicable("no console password (machine user)")
                    }
                    (_, _, Some(true)) => {
                        Judgement::pass(format!("MFA active ({})", user.mfa.describe_devices()))
                    }
                    (Some(true), Some(true), Some(false)) => Judgement::fail(format!(
                        "privileged ({why}) with a console password and no MFA ({})",
                        password_use(user)
                    )),
                    (None, Some(true), Some(false)) => Judgement::unknown(format!(
                        "console user without MFA whose privilege cannot be decided: {why}"
                    )),
                    _ => Judgement::unknown(
                        "not in the credential report: console access and MFA cannot be decided",
                    ),
                },
            )
        })
    }
}
