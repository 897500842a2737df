//! Reads a folder of AWS CLI outputs into a [`Snapshot`].
//!
//! | file | produced by |
//! |---|---|
//! | `credential-report.json` or `credential-report.csv` | `aws iam get-credential-report` (raw JSON, or its decoded `Content`) |
//! | `account-authorization-details.json` | `aws iam get-account-authorization-details` |
//! | `virtual-mfa-devices.json` | `aws iam list-virtual-mfa-devices` |
//! | `account-summary.json` | `aws iam get-account-summary` |
//! | `mfa-devices.json` (optional) | `aws iam list-mfa-devices --user-name U`, merged for every user |
//! | `saml-providers.json` (optional) | `aws iam list-saml-providers` |
//! | `open-id-connect-providers.json` (optional) | `aws iam list-open-id-connect-providers` |

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::credential_report::CredentialReport;
use crate::error::{parse_json, read_text, InputError};
use crate::snapshot::{
    AuthorizationDetails, IdentityProviders, MfaDevice, Snapshot, SnapshotSource, SourceKind,
    VirtualMfaDevice, SNAPSHOT_SCHEMA_VERSION,
};

pub const CREDENTIAL_REPORT_JSON: &str = "credential-report.json";
pub const CREDENTIAL_REPORT_CSV: &str = "credential-report.csv";
pub const AUTHORIZATION_DETAILS: &str = "account-authorization-details.json";
pub const VIRTUAL_MFA_DEVICES: &str = "virtual-mfa-devices.json";
pub const ACCOUNT_SUMMARY: &str = "account-summary.json";
pub const MFA_DEVICES: &str = "mfa-devices.json";
pub const SAML_PROVIDERS: &str = "saml-providers.json";
pub const OIDC_PROVIDERS: &str = "open-id-connect-providers.json";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VirtualMfaDevicesFile {
    #[serde(rename = "VirtualMFADevices")]
    virtual_mfa_devices: Vec<VirtualMfaDevice>,
}

#[derive(Deserialize)]
struct MfaDevicesFile {
    #[serde(rename = "MFADevices")]
    mfa_devices: Vec<MfaDevice>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountSummaryFile {
    summary_map: BTreeMap<String, i64>,
}

/// Reads every known file in `dir`. Only the credential report is required;
/// each missing file is named in `source.missing` so the report can say what
/// could not be decided.
pub fn read_dir(dir: &Path, collected_at: DateTime<Utc>) -> Result<Snapshot, InputError> {
    if !dir.is_dir() {
        return Err(InputError::Io {
            path: dir.display().to_string(),
            message: "not a directory".to_string(),
        });
    }
    let mut missing = Vec::new();

    let report_path = first_existing(dir, &[CREDENTIAL_REPORT_JSON, CREDENTIAL_REPORT_CSV])
        .ok_or_else(|| InputError::Missing {
            path: dir.display().to_string(),
            message: format!(
                "no {CREDENTIAL_REPORT_JSON} or {CREDENTIAL_REPORT_CSV}: the credential report is required \
                 (aws iam generate-credential-report; aws iam get-credential-report --output json > {CREDENTIAL_REPORT_JSON})"
            ),
        })?;
    let credential_report = CredentialReport::read(&report_path)?;

    let authorization_details = read_optional(dir, AUTHORIZATION_DETAILS, &mut missing, |path| {
        let text = read_text(path)?;
        parse_json::<AuthorizationDetails>(path, &text)
    })?;
    let virtual_mfa_devices = read_optional(dir, VIRTUAL_MFA_DEVICES, &mut missing, |path| {
        let text = read_text(path)?;
        Ok(parse_json::<VirtualMfaDevicesFile>(path, &text)?.virtual_mfa_devices)
    })?;
    let account_summary = read_optional(dir, ACCOUNT_SUMMARY, &mut missing, |path| {
        let text = read_text(path)?;
        Ok(parse_json::<AccountSummaryFile>(path, &text)?.summary_map)
    })?;
    let mfa_devices = read_optional(dir, MFA_DEVICES, &mut missing, |path| {
        let text = read_text(path)?;
        Ok(parse_json::<MfaDevicesFile>(path, &text)?.mfa_devices)
    })?;

    let account_id = account_id_from_report(&credential_report).or_else(|| {
        authorization_details
            .as_ref()
            .and_then(|details| details.user_detail_list.first())
            .and_then(|user| account_of_arn(&user.arn))
    });

    Ok(Snapshot {
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        account_id,
        source: SnapshotSource {
            kind: SourceKind::Offline,
            location: dir.display().to_string(),
            collected_at,
            missing,
            api_calls: BTreeMap::new(),
            retries: None,
        },
        credential_report,
        authorization_details,
        virtual_mfa_devices,
        mfa_devices,
        account_summary,
        identity_providers: read_identity_providers(dir)?,
        service_control_policies: None,
    })
}

/// Optional `saml-providers.json` (`aws iam list-saml-providers`) and
/// `open-id-connect-providers.json` (`aws iam list-open-id-connect-providers`).
fn read_identity_providers(dir: &Path) -> Result<Option<IdentityProviders>, InputError> {
    #[derive(Deserialize)]
    struct Entry {
        #[serde(rename = "Arn")]
        arn: String,
    }
    #[derive(Deserialize)]
    struct SamlFile {
        #[serde(rename = "SAMLProviderList")]
        list: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct OidcFile {
        #[serde(rename = "OpenIDConnectProviderList")]
        list: Vec<Entry>,
    }
    let saml_path = dir.join(SAML_PROVIDERS);
    let oidc_path = dir.join(OIDC_PROVIDERS);
    if !saml_path.is_file() && !oidc_path.is_file() {
        return Ok(None);
    }
    let mut providers = IdentityProviders::default();
    if saml_path.is_file() {
        let text = read_text(&saml_path)?;
        providers.saml = parse_json::<SamlFile>(&saml_path, &text)?
            .list
            .into_iter()
            .map(|entry| entry.arn)
            .collect();
    }
    if oidc_path.is_file() {
        let text = read_text(&oidc_path)?;
        providers.oidc = parse_json::<OidcFile>(&oidc_path, &text)?
            .list
            .into_iter()
            .map(|entry| entry.arn)
            .collect();
    }
    Ok(Some(providers))
}

fn first_existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

fn read_optional<T>(
    dir: &Path,
    name: &str,
    missing: &mut Vec<String>,
    read: impl FnOnce(&Path) -> Result<T, InputError>,
) -> Result<Option<T>, InputError> {
    let path = dir.join(name);
    if path.is_file() {
        read(&path).map(Some)
    } else {
        missing.push(name.to_string());
        Ok(None)
    }
}

fn account_id_from_report(report: &CredentialReport) -> Option<String> {
    report.rows.iter().find_map(|row| account_of_arn(&row.arn))
}

/// The account field of an ARN (`arn:aws:iam::111122223333:user/x`).
pub fn account_of_arn(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_of_arn_needs_twelve_digits() {
        assert_eq!(
            account_of_arn("arn:aws:iam::111122223333:user/a").as_deref(),
            Some("111122223333")
        );
        assert_eq!(account_of_arn("arn:aws:iam::aws:policy/X"), None);
        assert_eq!(account_of_arn("garbage"), None);
    }

    #[test]
    fn missing_credential_report_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_dir(dir.path(), Utc::now()).unwrap_err();
        assert!(err
            .to_string()
            .contains("the credential report is required"));
    }
}
