use super::{declare_check, AccountView, Check, CheckMeta, Judgement};
use crate::report::CheckResult;

declare_check! {
    /// ## What it checks
    /// That the root user has no active access key.
    ///
    /// ## Why it matters
    /// Root access keys carry every permission in the account, cannot be
    /// limited by IAM policies and are never challenged for MFA: a leaked key
    /// is a full takeover that MFA cannot stop.
    ///
    /// ## How to fix
    /// Sign in as root, open *Security credentials*, deactivate and delete
    /// every access key. Use IAM roles for automation instead.
    ///
    /// ## How to verify
    /// `aws iam get-account-summary` shows `"AccountAccessKeysPresent": 0`, and
    /// the credential report's `<root_account>` row shows
    /// `access_key_1_active` and `access_key_2_active` `false`.
    RootAccessKeys {
        id: "iam.root_access_keys",
        title: "Root user has no access keys",
        severity: Critical,
        fix: "Delete the root user's access keys; use IAM roles for automation.",
        cis_v3: Some("1.4"),
        cis_v5: Some("1.3"),
        fsbp: Some("IAM.4"),
    }
}

impl Check for RootAccessKeys {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        account.judge_root(&Self::META, "root access keys", |root| {
            let active: Vec<String> = root
                .access_keys
                .iter()
                .filter(|key| key.active)
                .map(|key| {
                    let used = key
                        .last_used
                        .map(|time| format!("last used {}", time.format("%Y-%m-%d")))
                        .unwrap_or_else(|| "never used".to_string());
                    format!("key {} ({used})", key.slot)
                })
                .collect();
            if active.is_empty() {
                Judgement::pass("root has no active access key")
            } else {
                Judgement::fail(format!(
                    "root has {}: {}",
                    crate::words::count(active.len(), "active access key", "active access keys"),
                    active.join(", ")
                ))
            }
        })
    }
}
