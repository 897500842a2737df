//! The files a simulation reads: policy documents (bare, URL-encoded, or
//! wrapped in the AWS CLI's get-* output), context files, SCP levels and the
//! account behind `--from`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iam_policy::Policy;
use serde_json::Value;

use super::context::KeyValue;
use super::SimulationError;
use crate::error::{parse_json, read_text, InputError};
use crate::offline::{
    account_of_arn, AUTHORIZATION_DETAILS, CREDENTIAL_REPORT_CSV, CREDENTIAL_REPORT_JSON,
};
use crate::snapshot::{Snapshot, SnapshotSource, SourceKind, SNAPSHOT_SCHEMA_VERSION};

/// The policy files of one SCP level. A value that names an existing file is
/// that file even if its name has a comma.
pub fn scp_files(level: &str) -> Result<Vec<PathBuf>, SimulationError> {
    if Path::new(level).is_file() {
        return Ok(vec![PathBuf::from(level)]);
    }
    let files: Vec<PathBuf> = level
        .split(',')
        .map(str::trim)
        .filter(|file| !file.is_empty())
        .map(PathBuf::from)
        .collect();
    if files.is_empty() {
        return Err(SimulationError::Request(format!(
            "--scp `{level}` names no file"
        )));
    }
    Ok(files)
}

/// Reads a policy file: a policy document (JSON or URL-encoded JSON), or the
/// output of `aws iam get-policy-version`, `get-role`, `get-user-policy`,
/// `get-role-policy` or `get-group-policy`.
pub fn read_policy(path: &Path) -> Result<Policy, InputError> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let wrapped = serde_json::from_str::<Value>(&text).ok().and_then(|value| {
        [
            "/PolicyVersion/Document",
            "/Role/AssumeRolePolicyDocument",
            "/PolicyDocument",
        ]
        .into_iter()
        .find_map(|pointer| {
            value
                .pointer(pointer)
                .cloned()
                .map(|inner| (pointer, inner))
        })
    });
    match wrapped {
        None => Policy::parse(&text).map_err(|err| InputError::Missing {
            path: file,
            message: err.to_string(),
        }),
        Some((pointer, Value::String(inner))) => {
            Policy::parse(&inner).map_err(|err| InputError::Missing {
                path: file,
                message: format!("the document at {pointer} (URL-encoded): {err}"),
            })
        }
        Some((pointer, inner)) => Policy::from_value(&inner).map_err(|err| {
            InputError::invalid(path, &format!("{pointer}{}", err.path), err.message)
        }),
    }
}

/// Reads a context file: a JSON object of keys (a string, number or boolean
/// is one value, an array several, null declares the key absent), or the
/// AWS CLI's `--context-entries` list
/// (`[{"ContextKeyName", "ContextKeyValues", "ContextKeyType"}]`).
pub fn read_context_file(path: &Path) -> Result<Vec<(String, KeyValue)>, InputError> {
    let text = read_text(path)?;
    let value: Value = parse_json(path, &text)?;
    let at = |pointer: String, message: &str| InputError::invalid(path, &pointer, message);
    let mut keys = Vec::new();
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                let pointer = format!("/{}", key.replace('~', "~0").replace('/', "~1"));
                let value = match value {
                    Value::Null => KeyValue::Absent,
                    Value::Array(items) => KeyValue::Many(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| {
                                scalar(item).ok_or_else(|| {
                                    at(
                                        format!("{pointer}/{i}"),
                                        "expected a string, number or boolean",
                                    )
                                })
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    other => KeyValue::One(scalar(&other).ok_or_else(|| {
                        at(
                            pointer.clone(),
                            "expected a string, number, boolean, array or null",
                        )
                    })?),
                };
                keys.push((key, value));
            }
        }
        Value::Array(entries) => {
            for (i, entry) in entries.iter().enumerate() {
                let Some(name) = entry.get("ContextKeyName").and_then(Value::as_str) else {
                    return Err(at(
                        format!("/{i}/ContextKeyName"),
                        "missing: each entry needs ContextKeyName and ContextKeyValues",
                    ));
                };
                let Some(items) = entry.get("ContextKeyValues").and_then(Value::as_array) else {
                    return Err(at(
                        format!("/{i}/ContextKeyValues"),
                        "missing or not an array",
                    ));
                };
                let values = items
                    .iter()
                    .enumerate()
                    .map(|(j, item)| {
                        scalar(item).ok_or_else(|| {
                            at(
                                format!("/{i}/ContextKeyValues/{j}"),
                                "expected a string, number or boolean",
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let list = entry
                    .get("ContextKeyType")
                    .and_then(Value::as_str)
                    .is_some_and(|kind| kind.ends_with("List"));
                let value = match values.as_slice() {
                    [one] if !list => KeyValue::One(one.clone()),
                    _ => KeyValue::Many(values),
                };
                keys.push((name.to_string(), value));
            }
        }
        _ => {
            return Err(at(
                "/".to_string(),
                "expected an object of condition keys or a list of context entries",
            ))
        }
    }
    Ok(keys)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(_) | Value::Number(_) => Some(value.to_string()),
        _ => None,
    }
}

/// Parses one `KEY=VALUE` or `KEY=["a","b"]` context entry.
pub fn parse_context_entry(entry: &str) -> Result<(String, KeyValue), SimulationError> {
    let bad = |message: String| SimulationError::Request(message);
    let Some((key, value)) = entry.split_once('=') else {
        return Err(bad(format!(
            "--context `{entry}` must be KEY=VALUE (for example aws:MultiFactorAuthPresent=true)"
        )));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(bad(format!("--context `{entry}` has no key")));
    }
    if value.trim_start().starts_with('[') {
        let items: Vec<Value> = serde_json::from_str(value).map_err(|err| {
            bad(format!(
                "--context {key}: `{value}` is not a JSON array of values: {err}"
            ))
        })?;
        let values = items
            .iter()
            .map(|item| {
                scalar(item).ok_or_else(|| {
                    bad(format!(
                        "--context {key}: {item} is not a string, number or boolean"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((key.to_string(), KeyValue::Many(values)));
    }
    Ok((key.to_string(), KeyValue::One(value.to_string())))
}

/// Reads the account whose policies are evaluated: a folder of AWS CLI
/// outputs (only the authorization details are needed), a saved snapshot,
/// or a bare `get-account-authorization-details` file.
pub fn load_account(from: &Path) -> Result<Snapshot, InputError> {
    if from.is_dir() {
        let has_report = [CREDENTIAL_REPORT_JSON, CREDENTIAL_REPORT_CSV]
            .iter()
            .any(|name| from.join(name).is_file());
        let details = from.join(AUTHORIZATION_DETAILS);
        if has_report || !details.is_file() {
            return crate::offline::read_dir(from, chrono::Utc::now());
        }
        return authorization_details_only(&details);
    }
    let text = read_text(from)?;
    let is_snapshot = serde_json::from_str::<Value>(&text)
        .ok()
        .is_some_and(|value| value.get("schema_version").is_some());
    if is_snapshot {
        Snapshot::load(from)
    } else {
        authorization_details_only(from)
    }
}

/// A snapshot holding only `get-account-authorization-details`.
fn authorization_details_only(path: &Path) -> Result<Snapshot, InputError> {
    let details = crate::offline::read_authorization_details(path)?;
    let account_id = details
        .user_detail_list
        .iter()
        .map(|user| &user.arn)
        .chain(details.role_detail_list.iter().map(|role| &role.arn))
        .find_map(|arn| account_of_arn(arn));
    Ok(Snapshot {
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        account_id,
        source: SnapshotSource {
            kind: SourceKind::Offline,
            location: path.display().to_string(),
            collected_at: chrono::Utc::now(),
            missing: Vec::new(),
            api_calls: BTreeMap::new(),
            retries: None,
        },
        credential_report: crate::credential_report::CredentialReport {
            generated_time: None,
            rows: Vec::new(),
        },
        authorization_details: Some(details),
        virtual_mfa_devices: None,
        mfa_devices: None,
        account_summary: None,
        identity_providers: None,
        service_control_policies: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_entries() {
        assert_eq!(
            parse_context_entry("aws:SourceIp=10.0.0.1").unwrap(),
            ("aws:SourceIp".to_string(), KeyValue::One("10.0.0.1".into()))
        );
        assert_eq!(
            parse_context_entry(r#"aws:TagKeys=["a", "b"]"#).unwrap(),
            (
                "aws:TagKeys".to_string(),
                KeyValue::Many(vec!["a".into(), "b".into()])
            )
        );
        for bad in ["novalue", "=x", r#"k=[{"a":1}]"#, "k=[1,"] {
            assert!(parse_context_entry(bad).is_err(), "{bad}");
        }
    }
}
