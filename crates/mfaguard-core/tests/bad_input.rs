//! Bad input gives an error naming the file and the line or JSON path, and
//! never panics.

mod support;

use std::path::Path;

use support::*;

fn scan_error(dir: &Path) -> String {
    match mfaguard_core::offline::read_dir(dir, now()) {
        Ok(_) => panic!("expected an error"),
        Err(err) => err.to_string(),
    }
}

fn account_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    Account::new()
        .user(Row::user("alice").mfa(true), &[], &[ADMIN], &[])
        .device("alice", "GAHT1")
        .write(dir.path());
    dir
}

#[test]
fn malformed_csv_row_names_the_line() {
    let dir = account_dir();
    std::fs::remove_file(dir.path().join("credential-report.json")).unwrap();
    let header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
    std::fs::write(
        dir.path().join("credential-report.csv"),
        format!(
            "{header}\nalice,arn:aws:iam::111122223333:user/alice,2024-01-01T00:00:00+00:00,true\n"
        ),
    )
    .unwrap();
    let err = scan_error(dir.path());
    assert!(
        err.ends_with("credential-report.csv: line 2: expected 22 fields, found 4"),
        "{err}"
    );
}

#[test]
fn truncated_authorization_details_names_line_and_column() {
    let dir = account_dir();
    let path = dir.path().join("account-authorization-details.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let err = scan_error(dir.path());
    assert!(
        err.contains("account-authorization-details.json: line "),
        "{err}"
    );
    assert!(err.contains("unexpected end of file"), "{err}");
}

#[test]
fn undecodable_policy_document_names_the_json_path() {
    let dir = account_dir();
    let path = dir.path().join("account-authorization-details.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    value["UserDetailList"][0]["UserPolicyList"] = serde_json::json!([
        {"PolicyName": "broken", "PolicyDocument": "%7B%22Version%22%3A"}
    ]);
    std::fs::write(&path, value.to_string()).unwrap();
    let err = scan_error(dir.path());
    assert!(
        err.contains("account-authorization-details.json: at /UserDetailList/0/UserPolicyList/0/PolicyDocument: policy document is neither a JSON object nor URL-encoded JSON"),
        "{err}"
    );
}

#[test]
fn url_encoded_documents_are_accepted() {
    let dir = account_dir();
    let path = dir.path().join("account-authorization-details.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let document =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let encoded: String = document
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    value["UserDetailList"][0]["AttachedManagedPolicies"] = serde_json::json!([]);
    value["UserDetailList"][0]["UserPolicyList"] =
        serde_json::json!([{"PolicyName": "star", "PolicyDocument": encoded}]);
    std::fs::write(&path, value.to_string()).unwrap();
    let snapshot = mfaguard_core::offline::read_dir(dir.path(), now()).unwrap();
    let report = mfaguard_core::analyze(&[snapshot], &mfaguard_core::Config::new(), now());
    let alice = report
        .identities
        .iter()
        .find(|i| i.name == "alice")
        .unwrap();
    assert_eq!(
        alice.privilege.privileged,
        Some(true),
        "{:?}",
        alice.privilege
    );
}

#[test]
fn wrong_shape_names_the_json_path() {
    let dir = account_dir();
    std::fs::write(
        dir.path().join("virtual-mfa-devices.json"),
        r#"{"VirtualMFADevices": [{"SerialNumber": 12}]}"#,
    )
    .unwrap();
    let err = scan_error(dir.path());
    assert!(
        err.contains(
            "virtual-mfa-devices.json: at /VirtualMFADevices/0/SerialNumber: invalid type"
        ),
        "{err}"
    );
}

#[test]
fn empty_and_binary_files_are_errors() {
    let dir = account_dir();
    std::fs::write(dir.path().join("credential-report.json"), "").unwrap();
    let err = scan_error(dir.path());
    assert!(err.contains("credential-report.json"), "{err}");
    std::fs::write(
        dir.path().join("credential-report.json"),
        [0xff, 0xfe, 0x00],
    )
    .unwrap();
    let err = scan_error(dir.path());
    assert!(err.contains("not UTF-8"), "{err}");
}

#[test]
fn unsupported_snapshot_version_is_refused() {
    let dir = account_dir();
    let snapshot = mfaguard_core::offline::read_dir(dir.path(), now()).unwrap();
    let path = dir.path().join("snapshot.json");
    snapshot.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "\"schema_version\": 1",
        "\"schema_version\": 99",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let err = mfaguard_core::Snapshot::load(&path)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("snapshot schema version 99 is not supported"),
        "{err}"
    );
}
