use super::{declare_check, root_has_credentials, AccountView, Check, CheckMeta, Judgement};
use crate::identity::DeviceKind;
use crate::report::CheckResult;

declare_check! {
    /// ## What it checks
    /// That the root user's MFA is a hardware device: a FIDO security key or
    /// a hardware TOTP token, not a virtual (authenticator app) device.
    ///
    /// A virtual device is recognised only when a virtual MFA device's
    /// `User.Arn` is exactly the root ARN (`arn:aws:iam::ACCOUNT:root`), never
    /// by a substring, so a user called `rootops` cannot be mistaken for root.
    /// When root's MFA is active and no virtual device is assigned to it, root
    /// holds a hardware token or a FIDO key. When root holds both a hardware
    /// device and a virtual one, it has hardware MFA and passes, and the
    /// message points out that the virtual device can be used in its place.
    ///
    /// ## Why it matters
    /// A virtual device lives on a phone that can be lost, backed up, cloned
    /// or phished; a FIDO key binds the sign-in to the real AWS sign-in page.
    ///
    /// ## How to fix
    /// Register a FIDO security key (or a hardware TOTP token) for root and
    /// deactivate the virtual device. Keep the key in a safe with a second
    /// registered key as backup.
    ///
    /// ## How to verify
    /// `aws iam list-virtual-mfa-devices` lists no device whose `User.Arn` is
    /// the root ARN, and the credential report shows root's `mfa_active` `true`.
    RootHardwareMfa {
        id: "iam.root_hardware_mfa",
        title: "Root user uses hardware or FIDO MFA",
        severity: High,
        fix: "Register a FIDO security key (or hardware TOTP token) for root and remove its virtual MFA device.",
        cis_v3: Some("1.6"),
        cis_v5: Some("1.5"),
        fsbp: Some("IAM.6"),
    }
}

impl Check for RootHardwareMfa {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        account.judge_root(&Self::META, "root MFA", |root| {
            if account.snapshot.virtual_mfa_devices.is_none() {
                return Judgement::unknown(
                    "virtual-mfa-devices.json missing: whether root's MFA is virtual cannot be decided",
                );
            }
            if !root_has_credentials(root) {
                return Judgement::not_applicable(
                    "root has no password, access keys or certificates (root credentials removed)",
                );
            }
            let virtual_serials: Vec<&str> = root
                .mfa
                .devices
                .iter()
                .filter(|device| device.kind == DeviceKind::Virtual)
                .map(|device| device.serial.as_str())
                .collect();
            match (root.mfa.active, root.mfa.phishing_resistant()) {
                (Some(false), _) => Judgement::fail("root has no MFA device at all"),
                (_, Some(true)) if !virtual_serials.is_empty() => Judgement::pass(format!(
                    "root has hardware MFA ({}); it also has the virtual device {}, which can be used instead: deactivate it",
                    root.mfa.describe_devices(),
                    virtual_serials.join(", ")
                )),
                (_, Some(true)) => Judgement::pass(format!(
                    "root MFA is hardware ({})",
                    root.mfa.describe_devices()
                )),
                _ if !virtual_serials.is_empty() => Judgement::fail(format!(
                    "root's MFA is the virtual device {}; no hardware or FIDO device is listed for root",
                    virtual_serials.join(", ")
                )),
                _ => Judgement::unknown("root's MFA device kind is not in the inputs"),
            }
        })
    }
}
