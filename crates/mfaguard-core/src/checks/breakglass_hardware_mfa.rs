use super::{declare_check, AccountView, Check, CheckMeta, Judgement};
use crate::identity::DeviceKind;
use crate::report::CheckResult;

declare_check! {
    /// ## What it checks
    /// That every break-glass account has hardware MFA: a FIDO security key
    /// or a hardware TOTP token. Break-glass users are the ones named in the
    /// configuration (`[breakglass] users = [...]`, by name or ARN) or tagged
    /// `mfaguard:break-glass` = `true`. When only virtual devices are visible
    /// and the device list is partial (no `mfa-devices.json`), the result is
    /// `unknown`.
    ///
    /// ## Why it matters
    /// Break-glass accounts bypass normal access paths and are used rarely,
    /// often under pressure. Their credentials sit in a safe; a virtual device
    /// on someone's phone defeats that control and can leave with its owner.
    ///
    /// ## How to fix
    /// Register two FIDO security keys (primary and backup) for the account,
    /// store them with the password under dual control, and deactivate any
    /// virtual device.
    ///
    /// ## How to verify
    /// `aws iam list-mfa-devices --user-name U` lists only `u2f` serials or
    /// hardware token serials.
    BreakglassHardwareMfa {
        id: "iam.breakglass_hardware_mfa",
        title: "Break-glass accounts use hardware or FIDO MFA",
        severity: High,
        fix: "Register two FIDO security keys for the break-glass account, keep them under dual control and remove virtual devices.",
        cis_v3: None,
        cis_v5: None,
        fsbp: None,
    }
}

impl Check for BreakglassHardwareMfa {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        account.judge_users(&Self::META, |user| {
            if !user.breakglass {
                return None;
            }
            let has_virtual = user.mfa.has_kind(DeviceKind::Virtual);
            Some(match (user.mfa.active, user.mfa.phishing_resistant()) {
                (None, _) => {
                    Judgement::unknown("not in the credential report: MFA cannot be decided")
                }
                (Some(false), _) => Judgement::fail("break-glass account has no MFA device"),
                (_, Some(true)) if has_virtual => Judgement::pass(format!(
                    "hardware MFA ({}); it also has a virtual device that can be used instead: deactivate it",
                    user.mfa.describe_devices()
                )),
                (_, Some(true)) => {
                    Judgement::pass(format!("hardware MFA ({})", user.mfa.describe_devices()))
                }
                (_, Some(false)) => Judgement::fail(format!(
                    "break-glass account has only virtual MFA: {}",
                    user.mfa
                        .devices
                        .iter()
                        .map(|device| device.serial.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                (_, None) => Judgement::unknown(
                    "only a virtual device is visible; mfa-devices.json is needed to tell whether a hardware or FIDO device is also registered",
                ),
            })
        })
    }
}
