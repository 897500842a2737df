//! The command line: exit codes, formats, errors.

use std::path::Path;
use std::process::{Command, Output};

fn mfaguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .env("NO_COLOR", "1")
        // Never reach for instance metadata from a test.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Never record into the developer's history.
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
const ROOT_OK: &str = "<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";
const BOB_NO_MFA: &str = "bob,arn:aws:iam::111122223333:user/bob,2024-01-01T00:00:00+00:00,true,2026-11-01T10:00:00+00:00,2024-01-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

/// An account with only a credential report: root with MFA, bob without.
fn write_account(dir: &Path) {
    std::fs::write(
        dir.join("credential-report.csv"),
        format!("{HEADER}\n{ROOT_OK}\n{BOB_NO_MFA}\n"),
    )
    .unwrap();
}

#[test]
fn fail_on_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    write_account(dir.path());
    let from = dir.path().to_str().unwrap();
    // bob fails iam.console_user_mfa (high).
    let default = mfaguard(&["scan", "--from", from]);
    assert_eq!(default.status.code(), Some(0), "{}", stderr(&default));
    let high = mfaguard(&["scan", "--from", from, "--fail-on", "high"]);
    assert_eq!(high.status.code(), Some(1));
    let critical = mfaguard(&["scan", "--from", from, "--fail-on", "critical"]);
    assert_eq!(critical.status.code(), Some(0));
}

#[test]
fn json_output_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    write_account(dir.path());
    let out = dir.path().join("report.json");
    let output = mfaguard(&[
        "scan",
        "--from",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
        "--now",
        "2026-11-22T12:00:00Z",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 1);
    let result = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check_id"] == "iam.console_user_mfa" && r["resource_name"] == "bob")
        .unwrap();
    for field in [
        "check_id",
        "status",
        "severity",
        "account_id",
        "resource_arn",
        "resource_name",
        "message",
    ] {
        assert!(result.get(field).is_some(), "result lacks {field}");
    }
    assert_eq!(result["status"], "fail");
    assert_eq!(result["account_id"], "111122223333");
    let bob = report["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "bob")
        .unwrap();
    assert_eq!(bob["type"], "user");
    assert_eq!(bob["tier"], "human");
    assert_eq!(bob["console_access"], true);
    assert!(bob["mfa_devices"].is_array());
    assert!(report["kpis"]["console_users_with_mfa"]["percent"].is_number());
    assert!(report["score"]["posture"].is_number());
    // The CSV carries no generation time: said, not guessed.
    let limitations = report["accounts"][0]["limitations"].to_string();
    assert!(
        limitations.contains("generation time unknown"),
        "{limitations}"
    );
}

#[test]
fn errors_exit_2_and_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("credential-report.csv"),
        format!("{HEADER}\nbob,arn:aws:iam::1:user/bob\n"),
    )
    .unwrap();
    let output = mfaguard(&["scan", "--from", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("credential-report.csv: line 2: expected 22 fields, found 2"),
        "{err}"
    );

    let missing = mfaguard(&["scan", "--from", "/nonexistent/dir"]);
    assert_eq!(missing.status.code(), Some(2));
    let bad_args = mfaguard(&["scan", "--format", "yaml"]);
    assert_eq!(bad_args.status.code(), Some(2));
}

#[test]
fn config_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    write_account(dir.path());
    let config = dir.path().join("mfaguard.toml");
    std::fs::write(&config, "[breakglass]\nusers = [\"x\"]\ncolour = true\n").unwrap();
    let output = mfaguard(&[
        "scan",
        "--from",
        dir.path().to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("mfaguard.toml: line 3: unknown field `colour`"),
        "{err}"
    );
}

#[test]
fn snapshot_save_and_replay_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    write_account(dir.path());
    let snapshot = dir.path().join("snapshot.json");
    let now = "2026-11-22T12:00:00Z";
    let first = mfaguard(&[
        "scan",
        "--from",
        dir.path().to_str().unwrap(),
        "--save-snapshot",
        snapshot.to_str().unwrap(),
        "--format",
        "json",
        "--now",
        now,
    ]);
    let second = mfaguard(&[
        "scan",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--format",
        "json",
        "--now",
        now,
    ]);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(stdout(&first), stdout(&second));
}

#[test]
fn checks_and_explain() {
    let list = mfaguard(&["checks"]);
    assert_eq!(list.status.code(), Some(0));
    let text = stdout(&list);
    for id in [
        "iam.root_mfa_enabled",
        "iam.root_hardware_mfa",
        "iam.root_access_keys",
        "iam.console_user_mfa",
        "iam.privileged_user_mfa",
        "iam.breakglass_hardware_mfa",
        "iam.mfa_exception_review",
    ] {
        assert!(text.contains(id), "{id} missing from `mfaguard checks`");
    }
    let explain = mfaguard(&["explain", "iam.root_hardware_mfa"]);
    let text = stdout(&explain);
    assert!(text.contains("CIS AWS Foundations v3.0 1.6"), "{text}");
    assert!(text.contains("CIS AWS Foundations v5.0 1.5"), "{text}");
    assert!(text.contains("AWS FSBP IAM.6"), "{text}");
    assert!(text.contains("cis-aws-7.0/2.6"), "{text}");
    assert!(
        text.contains("nist-800-53-r5/IA-2(6)") && text.contains("pci-dss-4.0/8.4.2"),
        "{text}"
    );
    let root_mfa = stdout(&mfaguard(&["explain", "iam.root_mfa_enabled"]));
    assert!(root_mfa.contains("AWS Security Hub IAM.9"), "{root_mfa}");
    let privileged = stdout(&mfaguard(&["explain", "iam.privileged_user_mfa"]));
    assert!(
        privileged.contains("nist-800-53-r5/IA-2(1) (interpreted)"),
        "{privileged}"
    );
    assert!(text.contains("## How to verify"), "{text}");
    let unknown = mfaguard(&["explain", "iam.nope"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn text_output_is_plain_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    write_account(dir.path());
    let output = mfaguard(&["scan", "--from", dir.path().to_str().unwrap()]);
    let text = stdout(&output);
    assert!(!text.contains('\x1b'), "colour codes in piped output");
    assert!(text.contains("iam.console_user_mfa"));
    assert!(text.contains("fix: "));
}

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/demo-account")
        .display()
        .to_string()
}

#[test]
fn explain_identity_shows_the_verdict_and_its_reasons() {
    let demo = demo();
    let nina = mfaguard(&[
        "explain-identity",
        "--from",
        &demo,
        "--now",
        "2026-11-22T12:00:00Z",
        "nina",
    ]);
    assert_eq!(nina.status.code(), Some(0), "{}", stderr(&nina));
    let text = stdout(&nina);
    assert!(text.contains("enforcement:  locked_out"), "{text}");
    assert!(text.contains("iam:EnableMFADevice"), "{text}");
    assert!(text.contains("user/*/${aws:username}"), "{text}");

    let frank = mfaguard(&[
        "explain-identity",
        "--from",
        &demo,
        "--format",
        "json",
        "arn:aws:iam::111122223333:user/frank",
    ]);
    assert_eq!(frank.status.code(), Some(0), "{}", stderr(&frank));
    let json: serde_json::Value = serde_json::from_str(&stdout(&frank)).expect("json");
    assert_eq!(json["identity"]["enforcement"], "not_enforced");
    let allowed = &json["identity"]["allowed_without_mfa"];
    assert!(allowed["count"].as_u64().unwrap_or(0) > 0, "{allowed}");
    assert_eq!(
        allowed["sample"][0]["access_level"], "Permissions management",
        "{allowed}"
    );
    assert!(json["results"]
        .as_array()
        .expect("results")
        .iter()
        .any(|r| r["check_id"] == "iam.mfa_enforced_by_policy" && r["status"] == "fail"));
}

#[test]
fn explain_identity_suggests_close_names() {
    let output = mfaguard(&["explain-identity", "--from", &demo(), "nin"]);
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(error.contains("no user or role named `nin`"), "{error}");
    assert!(error.contains("nina"), "{error}");
}
