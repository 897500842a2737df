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
use crate::error::{file_present, parse_json, read_text, InputError};
use crate::snapshot::{
    AuthorizationDetails, GroupDetail, IdentityProviders, ManagedPolicyDetail, MfaDevice,
    RoleDetail, Snapshot, SnapshotSource, SourceKind, UserDetail, VirtualMfaDevice,
    SNAPSHOT_SCHEMA_VERSION,
};
use crate::validate;

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

/// `get-account-authorization-details` as the AWS CLI writes it. The four
/// lists are always present (empty when the account has none), so a file
/// without them is the output of another command (`list-users`, say), not an
/// empty account: reading it as one would turn every result unknown. The
/// hint about the command is given only for a missing top-level list.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthorizationDetailsFile {
    user_detail_list: Vec<UserDetail>,
    group_detail_list: Vec<GroupDetail>,
    role_detail_list: Vec<RoleDetail>,
    policies: Vec<ManagedPolicyDetail>,
}

/// Reads `account-authorization-details.json` (the output of `aws iam
/// get-account-authorization-details`), checking its shape, that no entity
/// is listed twice, and IAM's limits on names, paths and ARNs.
pub fn read_authorization_details(path: &Path) -> Result<AuthorizationDetails, InputError> {
    let text = read_text(path)?;
    let file = parse_json::<AuthorizationDetailsFile>(path, &text).map_err(|err| match err {
        InputError::Invalid {
            path,
            pointer,
            message,
        } if pointer == "/" && message.starts_with("missing field") => InputError::Invalid {
            path,
            pointer,
            message: format!(
                "{message}: this is not the output of `aws iam get-account-authorization-details`"
            ),
        },
        other => other,
    })?;
    let details = AuthorizationDetails {
        user_detail_list: file.user_detail_list,
        group_detail_list: file.group_detail_list,
        role_detail_list: file.role_detail_list,
        policies: file.policies,
    };
    validate::authorization_details(path, "", &details)?;
    Ok(details)
}

/// Reads every known file in `dir`. Only the credential report is required;
/// each missing file is named in `source.missing` so the report can say what
/// could not be decided. A path that exists but is not a file (a directory,
/// a broken symbolic link) is an error, never a missing file.
pub fn read_dir(dir: &Path, collected_at: DateTime<Utc>) -> Result<Snapshot, InputError> {
    check_is_dir(dir)?;
    let mut missing = Vec::new();

    let report_path = first_present(dir, &[CREDENTIAL_REPORT_JSON, CREDENTIAL_REPORT_CSV])?
        .ok_or_else(|| InputError::Missing {
            path: dir.display().to_string(),
            message: format!(
                "no {CREDENTIAL_REPORT_JSON} or {CREDENTIAL_REPORT_CSV}: the credential report is required \
                 (aws iam generate-credential-report; aws iam get-credential-report --output json > {CREDENTIAL_REPORT_JSON})"
            ),
        })?;
    let credential_report = CredentialReport::read(&report_path)?;

    let authorization_details = read_optional(
        dir,
        AUTHORIZATION_DETAILS,
        &mut missing,
        read_authorization_details,
    )?;
    let virtual_mfa_devices = read_optional(dir, VIRTUAL_MFA_DEVICES, &mut missing, |path| {
        let text = read_text(path)?;
        let devices = parse_json::<VirtualMfaDevicesFile>(path, &text)?.virtual_mfa_devices;
        validate::virtual_mfa_devices(path, "/VirtualMFADevices", &devices)?;
        Ok(devices)
    })?;
    let account_summary = read_optional(dir, ACCOUNT_SUMMARY, &mut missing, |path| {
        let text = read_text(path)?;
        Ok(parse_json::<AccountSummaryFile>(path, &text)?.summary_map)
    })?;
    let mfa_devices = read_optional(dir, MFA_DEVICES, &mut missing, |path| {
        let text = read_text(path)?;
        let devices = parse_json::<MfaDevicesFile>(path, &text)?.mfa_devices;
        validate::mfa_devices(path, "/MFADevices", &devices)?;
        Ok(devices)
    })?;

    let report_name = report_path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| CREDENTIAL_REPORT_JSON.to_string());
    let account_id = one_account(
        dir,
        &report_name,
        &credential_report,
        authorization_details.as_ref(),
        virtual_mfa_devices.as_deref(),
        mfa_devices.as_deref(),
    )?;

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

/// The account the files of one folder describe. Every ARN that names an
/// account must name the same one: files exported from two accounts into
/// one folder would otherwise be merged into an account that does not
/// exist.
fn one_account(
    dir: &Path,
    report_name: &str,
    report: &CredentialReport,
    details: Option<&AuthorizationDetails>,
    virtual_devices: Option<&[VirtualMfaDevice]>,
    devices: Option<&[MfaDevice]>,
) -> Result<Option<String>, InputError> {
    // (account, file, where in the file)
    let mut first: Option<(String, String, String)> = None;
    let mut see = |arn: &str, file: &str, place: &dyn Fn() -> String| -> Result<(), InputError> {
        let Some(account) = account_of_arn(arn) else {
            return Ok(());
        };
        match &first {
            None => {
                first = Some((account, file.to_string(), place()));
                Ok(())
            }
            Some((known, _, _)) if *known == account => Ok(()),
            Some((known, known_file, known_place)) => Err(InputError::Missing {
                path: dir.display().to_string(),
                message: format!(
                    "the files come from two accounts: {known_file} ({known_place}) is of account {known}, \
                     {file} ({}) is of account {account}; export each account into its own folder",
                    place()
                ),
            }),
        }
    };
    for row in &report.rows {
        see(&row.arn, report_name, &|| format!("user `{}`", row.user))?;
    }
    if let Some(details) = details {
        let file = AUTHORIZATION_DETAILS;
        for (i, user) in details.user_detail_list.iter().enumerate() {
            see(&user.arn, file, &|| format!("/UserDetailList/{i}/Arn"))?;
        }
        for (i, group) in details.group_detail_list.iter().enumerate() {
            see(&group.arn, file, &|| format!("/GroupDetailList/{i}/Arn"))?;
        }
        for (i, role) in details.role_detail_list.iter().enumerate() {
            see(&role.arn, file, &|| format!("/RoleDetailList/{i}/Arn"))?;
        }
        for (i, policy) in details.policies.iter().enumerate() {
            see(&policy.arn, file, &|| format!("/Policies/{i}/Arn"))?;
        }
    }
    for (i, device) in virtual_devices.unwrap_or_default().iter().enumerate() {
        let file = VIRTUAL_MFA_DEVICES;
        see(&device.serial_number, file, &|| {
            format!("/VirtualMFADevices/{i}/SerialNumber")
        })?;
        if let Some(user) = &device.user {
            see(&user.arn, file, &|| {
                format!("/VirtualMFADevices/{i}/User/Arn")
            })?;
        }
    }
    for (i, device) in devices.unwrap_or_default().iter().enumerate() {
        see(&device.serial_number, MFA_DEVICES, &|| {
            format!("/MFADevices/{i}/SerialNumber")
        })?;
    }
    Ok(first.map(|(account, _, _)| account))
}

fn check_is_dir(dir: &Path) -> Result<(), InputError> {
    let error = |message: String| InputError::Io {
        path: dir.display().to_string(),
        message,
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(error(
            "is a file, not a folder: --from takes the folder of exported files (use --snapshot for a saved snapshot)"
                .to_string(),
        )),
        Err(err) if std::fs::symlink_metadata(dir).is_ok() => Err(error(format!(
            "is a symbolic link that cannot be followed ({err})"
        ))),
        Err(err) => Err(error(format!("not a folder ({err})"))),
    }
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
    let saml_present = file_present(&saml_path)?;
    let oidc_present = file_present(&oidc_path)?;
    if !saml_present && !oidc_present {
        return Ok(None);
    }
    let mut providers = IdentityProviders::default();
    if saml_present {
        let text = read_text(&saml_path)?;
        providers.saml = parse_json::<SamlFile>(&saml_path, &text)?
            .list
            .into_iter()
            .map(|entry| entry.arn)
            .collect();
    }
    if oidc_present {
        let text = read_text(&oidc_path)?;
        providers.oidc = parse_json::<OidcFile>(&oidc_path, &text)?
            .list
            .into_iter()
            .map(|entry| entry.arn)
            .collect();
    }
    Ok(Some(providers))
}

fn first_present(dir: &Path, names: &[&str]) -> Result<Option<PathBuf>, InputError> {
    for name in names {
        let path = dir.join(name);
        if file_present(&path)? {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

fn read_optional<T>(
    dir: &Path,
    name: &str,
    missing: &mut Vec<String>,
    read: impl FnOnce(&Path) -> Result<T, InputError>,
) -> Result<Option<T>, InputError> {
    let path = dir.join(name);
    if file_present(&path)? {
        read(&path).map(Some)
    } else {
        missing.push(name.to_string());
        Ok(None)
    }
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
