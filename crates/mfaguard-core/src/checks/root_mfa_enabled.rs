use super::{declare_check, root_has_credentials, AccountView, Check, CheckMeta, Judgement};
use crate::report::CheckResult;

declare_check! {
    /// ## What it checks
    /// That the root user of every account has MFA enabled whenever it still
    /// has credentials (a password, access keys or signing certificates).
    ///
    /// ## Why it matters
    /// Root can do anything in the account, including closing it and changing
    /// its contact details, and no policy can restrict it (only SCPs can).
    /// A leaked or phished root password without MFA is a full takeover.
    ///
    /// ## How to fix
    /// Sign in as root, open *Security credentials* and assign an MFA device,
    /// preferably a FIDO security key (see `iam.root_hardware_mfa`). In an
    /// AWS Organization, consider removing root credentials from member
    /// accounts altogether (centralised root access).
    ///
    /// ## How to verify
    /// `aws iam get-account-summary` shows `"AccountMFAEnabled": 1`, and the
    /// credential report's `<root_account>` row shows `mfa_active` `true`.
    /// A missing `<root_account>` row is reported as `unknown`, never a pass.
    RootMfaEnabled {
        id: "iam.root_mfa_enabled",
        title: "Root user has MFA enabled",
        severity: Critical,
        fix: "Assign an MFA device (preferably a FIDO security key) to the root user, or remove root credentials centrally.",
        cis_v3: Some("1.5"),
        cis_v5: Some("1.4"),
        fsbp: Some("IAM.9"),
    }
}

impl Check for RootMfaEnabled {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        account.judge_root(&Self::META, "root MFA", |root| match root.mfa.active {
            _ if !root_has_credentials(root) => Judgement::pass(
                "root has no password, access keys or certificates (root credentials removed)",
            ),
            Some(true) => {
                Judgement::pass(format!("root MFA is enabled ({})", root.mfa.describe_devices()))
            }
            Some(false) => Judgement::fail(
                "root has a password and no MFA device: anyone with the password controls the account",
            ),
            None => Judgement::unknown("root MFA status is not in the inputs"),
        })
    }
}
