//! The snapshot: everything collected from one account, and the only value that
//! crosses from collection (live or offline) to analysis.
//!
//! Field names of the AWS structures follow the AWS API (PascalCase) so that a
//! snapshot reads like the CLI outputs it was built from.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::credential_report::CredentialReport;
use crate::error::InputError;

/// Version of the snapshot file format. Bumped on any incompatible change.
pub const SNAPSHOT_SCHEMA_VERSION: u32 = 1;

/// Everything known about one account at one point in time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub schema_version: u32,
    /// The 12-digit account ID, when any input names it.
    pub account_id: Option<String>,
    pub source: SnapshotSource,
    /// `aws iam get-credential-report`; required: without it nothing about
    /// console access or MFA enrolment can be decided.
    pub credential_report: CredentialReport,
    /// `aws iam get-account-authorization-details`.
    pub authorization_details: Option<AuthorizationDetails>,
    /// `aws iam list-virtual-mfa-devices`.
    pub virtual_mfa_devices: Option<Vec<VirtualMfaDevice>>,
    /// Merged `aws iam list-mfa-devices --user-name U`, one list for all users.
    pub mfa_devices: Option<Vec<MfaDevice>>,
    /// `aws iam get-account-summary` `SummaryMap`.
    pub account_summary: Option<BTreeMap<String, i64>>,
    /// SAML and OIDC identity providers of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_providers: Option<IdentityProviders>,
    /// Service control policies along the account's path in its AWS
    /// Organization, root first, then each OU, then the account itself.
    /// `None` when not collected (then SCPs are not evaluated); empty for
    /// the organisation's management account, which SCPs do not restrict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_control_policies: Option<Vec<ScpLevel>>,
}

/// `aws iam list-saml-providers` and `list-open-id-connect-providers`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviders {
    pub saml: Vec<String>,
    pub oidc: Vec<String>,
}

/// The SCPs attached to one node of the organisation tree.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScpLevel {
    /// `r-...` (root), `ou-...` or the account ID.
    pub target_id: String,
    /// `ROOT`, `ORGANIZATIONAL_UNIT` or `ACCOUNT`.
    pub target_type: String,
    pub policies: Vec<ScpPolicy>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScpPolicy {
    pub id: String,
    pub name: String,
    pub document: PolicyDocument,
}

/// Where a snapshot came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSource {
    /// `offline` (files exported with the AWS CLI) or `live` (AWS API).
    pub kind: SourceKind,
    /// Directory or endpoint the data was read from.
    pub location: String,
    /// When the collection ran.
    pub collected_at: DateTime<Utc>,
    /// Input files or calls that were not available, in words.
    #[serde(default)]
    pub missing: Vec<String>,
    /// AWS API calls made to collect it, by operation (live only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_calls: BTreeMap<String, u64>,
    /// Retries among those calls and the time spent waiting before them
    /// (live only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<RetryStats>,
}

/// Retried API calls of a live collection and the back-off before them.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetryStats {
    /// Attempts beyond the first of each call (each is also in `api_calls`).
    pub count: u64,
    /// Total time waited between attempts, in seconds.
    pub backoff_seconds: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Offline,
    Live,
}

/// The merged `get-account-authorization-details` document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationDetails {
    #[serde(default)]
    pub user_detail_list: Vec<UserDetail>,
    #[serde(default)]
    pub group_detail_list: Vec<GroupDetail>,
    #[serde(default)]
    pub role_detail_list: Vec<RoleDetail>,
    #[serde(default)]
    pub policies: Vec<ManagedPolicyDetail>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct UserDetail {
    #[serde(default)]
    pub path: String,
    pub user_name: String,
    #[serde(default)]
    pub user_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub user_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub group_list: Vec<String>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GroupDetail {
    #[serde(default)]
    pub path: String,
    pub group_name: String,
    #[serde(default)]
    pub group_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub group_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    #[serde(default)]
    pub path: String,
    pub role_name: String,
    #[serde(default)]
    pub role_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub assume_role_policy_document: Option<PolicyDocument>,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    /// Some exporters omit it; the ARN's last segment names the policy.
    #[serde(default)]
    pub policy_name: String,
    #[serde(default)]
    pub policy_id: String,
    pub arn: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

impl ManagedPolicyDetail {
    /// The document of the default version, the one AWS enforces.
    pub fn default_document(&self) -> Option<&PolicyDocument> {
        self.policy_version_list
            .iter()
            .find(|version| version.is_default_version)
            .or_else(|| {
                let default_id = self.default_version_id.as_deref()?;
                self.policy_version_list
                    .iter()
                    .find(|version| version.version_id == default_id)
            })
            .and_then(|version| version.document.as_ref())
    }

    /// True for policies owned by AWS (`arn:aws:iam::aws:policy/...`).
    pub fn is_aws_managed(&self) -> bool {
        is_aws_managed_policy_arn(&self.arn)
    }
}

/// True when the ARN names an AWS managed policy, in any partition.
pub fn is_aws_managed_policy_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    matches!(
        (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next()
        ),
        (Some("arn"), Some(_), Some("iam"), Some(""), Some("aws"))
    )
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    #[serde(default)]
    pub document: Option<PolicyDocument>,
    #[serde(default)]
    pub version_id: String,
    #[serde(default)]
    pub is_default_version: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: PolicyDocument,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionsBoundary {
    #[serde(default)]
    pub permissions_boundary_type: Option<String>,
    pub permissions_boundary_arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// A policy document, decoded to JSON. The raw IAM API returns documents
/// URL-encoded and the CLI prints them as JSON objects; both arrive here as
/// the decoded JSON value (see [`crate::offline`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(transparent)]
pub struct PolicyDocument(pub serde_json::Value);

impl PolicyDocument {
    /// Decodes a document given as a string: JSON text, or URL-encoded JSON
    /// text as the raw IAM API returns it.
    pub fn from_text(text: &str) -> Result<PolicyDocument, String> {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            if value.is_object() {
                return Ok(PolicyDocument(value));
            }
        }
        let decoded = percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map_err(|_| "policy document is URL-encoded but not UTF-8".to_string())?;
        match serde_json::from_str::<serde_json::Value>(&decoded) {
            Ok(value) if value.is_object() => Ok(PolicyDocument(value)),
            Ok(_) => Err("policy document is not a JSON object".to_string()),
            Err(err) => Err(format!(
                "policy document is neither a JSON object nor URL-encoded JSON ({err})"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for PolicyDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => {
                PolicyDocument::from_text(&text).map_err(serde::de::Error::custom)
            }
            value @ serde_json::Value::Object(_) => Ok(PolicyDocument(value)),
            _ => Err(serde::de::Error::custom(
                "policy document must be a JSON object or a URL-encoded JSON string",
            )),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VirtualMfaDevice {
    pub serial_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<VirtualMfaUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VirtualMfaUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    pub arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct MfaDevice {
    pub user_name: String,
    pub serial_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_date: Option<DateTime<Utc>>,
}

/// The user name under which `mfa-devices.json` lists the root user's devices.
pub const ROOT_USER_NAME: &str = "<root_account>";

impl Snapshot {
    /// Reads a snapshot saved with `--save-snapshot`.
    pub fn load(path: &Path) -> Result<Snapshot, InputError> {
        let text = crate::error::read_text(path)?;
        let snapshot: Snapshot = crate::error::parse_json(path, &text)?;
        if snapshot.schema_version != SNAPSHOT_SCHEMA_VERSION {
            return Err(InputError::invalid(
                path,
                "/schema_version",
                format!(
                    "snapshot schema version {} is not supported (this mfaguard reads version {})",
                    snapshot.schema_version, SNAPSHOT_SCHEMA_VERSION
                ),
            ));
        }
        if let Some(details) = &snapshot.authorization_details {
            crate::validate::authorization_details(path, "/authorization_details", details)?;
        }
        if let Some(devices) = &snapshot.virtual_mfa_devices {
            crate::validate::virtual_mfa_devices(path, "/virtual_mfa_devices", devices)?;
        }
        if let Some(devices) = &snapshot.mfa_devices {
            crate::validate::mfa_devices(path, "/mfa_devices", devices)?;
        }
        for (i, row) in snapshot.credential_report.rows.iter().enumerate() {
            let at = format!("/credential_report/rows/{i}");
            crate::validate::check_length(
                path,
                &format!("{at}/user"),
                "user",
                &row.user,
                crate::validate::MAX_USER_NAME,
                true,
            )?;
            crate::validate::check_length(
                path,
                &format!("{at}/arn"),
                "arn",
                &row.arn,
                crate::validate::MAX_ARN,
                true,
            )?;
        }
        Ok(snapshot)
    }

    /// Reads several snapshots for one analysis. Each account may be given
    /// once: the same account twice would count every result twice.
    pub fn load_all(paths: &[std::path::PathBuf]) -> Result<Vec<Snapshot>, InputError> {
        let mut snapshots: Vec<Snapshot> = Vec::with_capacity(paths.len());
        let mut accounts: BTreeMap<String, &Path> = BTreeMap::new();
        let mut files: BTreeMap<std::path::PathBuf, &Path> = BTreeMap::new();
        for path in paths {
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            if let Some(first) = files.insert(canonical, path) {
                return Err(InputError::Missing {
                    path: path.display().to_string(),
                    message: format!(
                        "given twice (also as {}): give each snapshot once",
                        first.display()
                    ),
                });
            }
            let snapshot = Snapshot::load(path)?;
            if let Some(account) = &snapshot.account_id {
                if let Some(first) = accounts.insert(account.clone(), path) {
                    return Err(InputError::Missing {
                        path: path.display().to_string(),
                        message: format!(
                            "account {account} is also in {}: give each account once",
                            first.display()
                        ),
                    });
                }
            }
            snapshots.push(snapshot);
        }
        Ok(snapshots)
    }

    /// Writes the snapshot as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), InputError> {
        let text = serde_json::to_string_pretty(self).map_err(|err| InputError::Io {
            path: path.display().to_string(),
            message: err.to_string(),
        })?;
        std::fs::write(path, text + "\n").map_err(|err| InputError::Io {
            path: path.display().to_string(),
            message: err.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_decode_from_every_form() {
        let object: PolicyDocument =
            serde_json::from_str(r#"{"Version": "2012-10-17", "Statement": []}"#).unwrap();
        let encoded: PolicyDocument = serde_json::from_str(
            r#""%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D""#,
        )
        .unwrap();
        let text: PolicyDocument =
            serde_json::from_str(r#""{\"Version\": \"2012-10-17\", \"Statement\": []}""#).unwrap();
        assert_eq!(object, encoded);
        assert_eq!(object, text);
        let err = serde_json::from_str::<PolicyDocument>(r#""not a policy""#).unwrap_err();
        assert!(err
            .to_string()
            .contains("neither a JSON object nor URL-encoded JSON"));
    }

    #[test]
    fn recognises_aws_managed_policy_arns() {
        assert!(is_aws_managed_policy_arn(
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ));
        assert!(is_aws_managed_policy_arn(
            "arn:aws-us-gov:iam::aws:policy/job-function/Billing"
        ));
        assert!(!is_aws_managed_policy_arn(
            "arn:aws:iam::111122223333:policy/AdministratorAccess"
        ));
        assert!(!is_aws_managed_policy_arn("not an arn"));
    }
}
