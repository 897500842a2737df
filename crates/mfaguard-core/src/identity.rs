//! Identities: root, users and roles of an account, with what is known of
//! their console access, MFA devices, keys, privilege and tier.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::enforcement::{AllowedWithoutMfa, Verdict};
use crate::trust::TrustAssessment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityType {
    Root,
    User,
    Role,
}

/// Who an identity is, for MFA purposes. Ordered from the most to the least
/// critical; each identity has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Root,
    Breakglass,
    Privileged,
    Human,
    /// No console password (users) or not assumable by people (roles): MFA
    /// is not expected; such identities should use short-lived credentials.
    Machine,
}

impl Tier {
    pub const ALL: [Tier; 5] = [
        Tier::Root,
        Tier::Breakglass,
        Tier::Privileged,
        Tier::Human,
        Tier::Machine,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Root => "root",
            Tier::Breakglass => "breakglass",
            Tier::Privileged => "privileged",
            Tier::Human => "human",
            Tier::Machine => "machine",
        }
    }
}

/// The kind of an MFA device, told from its serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// An authenticator app (`arn:...:mfa/...`).
    Virtual,
    /// A hardware TOTP token (a serial that is not an ARN).
    Hardware,
    /// A FIDO security key or passkey (`arn:...:u2f/...`).
    Fido,
}

impl DeviceKind {
    /// Classifies a device by its serial number.
    pub fn from_serial(serial: &str) -> DeviceKind {
        if let Some(rest) = serial.strip_prefix("arn:") {
            // arn:PARTITION:iam::ACCOUNT:u2f/... or :mfa/...
            let resource = rest.splitn(5, ':').nth(4).unwrap_or("");
            if resource.starts_with("u2f/") {
                return DeviceKind::Fido;
            }
            return DeviceKind::Virtual;
        }
        DeviceKind::Hardware
    }

    /// FIDO keys and hardware tokens count as phishing-resistant here.
    pub fn is_phishing_resistant(self) -> bool {
        matches!(self, DeviceKind::Hardware | DeviceKind::Fido)
    }

    pub fn label(self) -> &'static str {
        match self {
            DeviceKind::Virtual => "virtual",
            DeviceKind::Hardware => "hardware TOTP",
            DeviceKind::Fido => "FIDO security key",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MfaDeviceInfo {
    pub serial: String,
    pub kind: DeviceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_date: Option<DateTime<Utc>>,
}

/// What is known of an identity's MFA.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MfaState {
    /// The credential report's `mfa_active`; `None` when the identity is not
    /// in the report.
    #[serde(rename = "mfa_active")]
    pub active: Option<bool>,
    /// Devices seen in the inputs.
    #[serde(rename = "mfa_devices")]
    pub devices: Vec<MfaDeviceInfo>,
    /// True when `devices` is known to be the whole list (from
    /// `list-mfa-devices`); false when other devices may exist.
    #[serde(rename = "mfa_devices_complete")]
    pub devices_complete: bool,
    /// MFA is active but no virtual device is assigned: the identity holds at
    /// least one hardware token or FIDO key that the inputs do not list.
    #[serde(rename = "mfa_unlisted_non_virtual")]
    pub unlisted_non_virtual: bool,
}

impl MfaState {
    pub fn none() -> MfaState {
        MfaState {
            active: None,
            devices: Vec::new(),
            devices_complete: false,
            unlisted_non_virtual: false,
        }
    }

    /// Whether the identity has hardware or FIDO MFA: `None` when the inputs
    /// cannot tell (only virtual devices seen, and the list is partial).
    pub fn phishing_resistant(&self) -> Option<bool> {
        match self.active {
            None => return None,
            Some(false) => return Some(false),
            Some(true) => {}
        }
        if self.unlisted_non_virtual
            || self
                .devices
                .iter()
                .any(|device| device.kind.is_phishing_resistant())
        {
            Some(true)
        } else if self.devices_complete {
            Some(false)
        } else {
            None
        }
    }

    pub fn has_kind(&self, kind: DeviceKind) -> bool {
        self.devices.iter().any(|device| device.kind == kind)
    }

    /// The earliest enable date of any device, for time-to-MFA.
    pub fn first_enabled(&self) -> Option<DateTime<Utc>> {
        self.devices
            .iter()
            .filter_map(|device| device.enable_date)
            .min()
    }

    /// A short description such as "virtual + FIDO security key".
    pub fn describe_devices(&self) -> String {
        let mut kinds: Vec<&str> = self
            .devices
            .iter()
            .map(|device| device.kind.label())
            .collect();
        if self.unlisted_non_virtual {
            kinds.push("hardware or FIDO (not listed)");
        }
        kinds.dedup();
        if kinds.is_empty() {
            "no device listed".to_string()
        } else {
            kinds.join(" + ")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessKeyInfo {
    pub slot: u8,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<DateTime<Utc>>,
}

/// Whether an identity can act as an administrator, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Privilege {
    /// `None` when its policies are not known.
    pub privileged: Option<bool>,
    pub reasons: Vec<String>,
}

impl Privilege {
    pub fn unknown(reason: impl Into<String>) -> Privilege {
        Privilege {
            privileged: None,
            reasons: vec![reason.into()],
        }
    }
}

/// How people can reach a role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleTrust {
    /// AWS principals (accounts, users, roles) the trust policy names.
    pub aws_principals: Vec<String>,
    pub services: Vec<String>,
    pub federated: Vec<String>,
    /// Tagged `mfaguard:machine` = `true`.
    pub machine_tagged: bool,
}

impl RoleTrust {
    /// People can assume the role: through an AWS principal (a user or a
    /// role chain), or through a SAML identity provider.
    pub fn assumable_by_people(&self) -> bool {
        !self.machine_tagged
            && (!self.aws_principals.is_empty()
                || self
                    .federated
                    .iter()
                    .any(|provider| provider.contains(":saml-provider/")))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub account_id: String,
    pub arn: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: IdentityType,
    pub tier: Tier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Console password (root: unless removed). `None` when unknown.
    pub console_access: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_last_used: Option<DateTime<Utc>>,
    /// Serialised inline: `mfa_active`, `mfa_devices`, ...
    #[serde(flatten)]
    pub mfa: MfaState,
    pub access_keys: Vec<AccessKeyInfo>,
    pub active_certificates: usize,
    pub privilege: Privilege,
    pub breakglass: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust: Option<RoleTrust>,
    /// Roles: who can assume it without MFA, from its trust policy
    /// (evaluated once here, read by the checks).
    #[serde(skip)]
    pub trust_assessment: Option<TrustAssessment>,
    /// Whether policies deny it everything without MFA (console users and
    /// roles people assume; see [`crate::enforcement`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<Verdict>,
    /// What it can do without MFA (alongside `enforcement`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_without_mfa: Option<std::sync::Arc<AllowedWithoutMfa>>,
    /// Why the verdict is what it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enforcement_reasons: Vec<String>,
    /// Facts about the inputs that limit what can be decided for it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Identity {
    pub fn active_access_keys(&self) -> usize {
        self.access_keys.iter().filter(|key| key.active).count()
    }

    /// A console user: root, or a user with a password. Unknown when the
    /// identity is missing from the credential report.
    pub fn is_console_user(&self) -> Option<bool> {
        match self.kind {
            IdentityType::Role => Some(false),
            _ => self.console_access,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_kinds_from_serials() {
        assert_eq!(
            DeviceKind::from_serial("arn:aws:iam::111122223333:mfa/alice"),
            DeviceKind::Virtual
        );
        assert_eq!(
            DeviceKind::from_serial("arn:aws:iam::111122223333:u2f/user/alice/key-ABC"),
            DeviceKind::Fido
        );
        assert_eq!(
            DeviceKind::from_serial("GAHT12345678"),
            DeviceKind::Hardware
        );
        // A user whose name starts with u2f is still a virtual device.
        assert_eq!(
            DeviceKind::from_serial("arn:aws:iam::111122223333:mfa/u2f-fan"),
            DeviceKind::Virtual
        );
    }

    #[test]
    fn phishing_resistance_is_unknown_when_only_virtual_devices_are_seen() {
        let virtual_device = MfaDeviceInfo {
            serial: "arn:aws:iam::1:mfa/a".into(),
            kind: DeviceKind::Virtual,
            enable_date: None,
        };
        let mut state = MfaState {
            active: Some(true),
            devices: vec![virtual_device],
            devices_complete: false,
            unlisted_non_virtual: false,
        };
        assert_eq!(state.phishing_resistant(), None);
        state.devices_complete = true;
        assert_eq!(state.phishing_resistant(), Some(false));
        state.unlisted_non_virtual = true;
        assert_eq!(state.phishing_resistant(), Some(true));
    }
}
