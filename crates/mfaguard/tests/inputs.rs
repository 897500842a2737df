//! The command line on bad inputs and bad arguments: each is one plain
//! error line naming the file (or the option) and what is allowed, with
//! exit code 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NOW: &str = "2026-11-22T12:00:00Z";

fn mfaguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account")
}

fn demo_str() -> String {
    demo().display().to_string()
}

/// A copy of the demo account's exported files and configuration.
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(demo()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|ext| ext == "json" || ext == "csv" || ext == "toml")
        {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Exit 2 and a single error line that contains every one of `parts`.
fn fails_with(output: &Output, parts: &[&str]) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    for part in parts {
        assert!(err.contains(part), "`{part}` not in: {err}");
    }
    err
}

#[test]
fn live_options_with_an_offline_scan_are_an_error() {
    let from = demo_str();
    for extra in [
        ["--org"].as_slice(),
        &["--profile", "audit"],
        &["--role", "x"],
    ] {
        let mut args = vec!["scan", "--from", from.as_str()];
        args.extend_from_slice(extra);
        let output = mfaguard(&args);
        fails_with(&output, &["cannot be used with", extra[0]]);
    }
    let output = mfaguard(&["scan", "--snapshot", "a.json", "--org"]);
    fails_with(&output, &["cannot be used with", "--org"]);
    let output = mfaguard(&["watch", "--once", "--from", from.as_str(), "--org"]);
    fails_with(&output, &["cannot be used with", "--org"]);
}

/// `--accounts` and `--role` narrow an organisation scan: without `--org`
/// they would be ignored silently.
#[test]
fn organisation_options_need_org() {
    for extra in [["--accounts", "111122223333"], ["--role", "Audit"]] {
        for command in ["scan", "watch"] {
            let output = mfaguard(&[command, extra[0], extra[1]]);
            fails_with(&output, &["--org"]);
        }
    }
}

#[test]
fn option_values_out_of_range_say_what_is_allowed() {
    let from = demo_str();
    for value in ["-1", "0", "nan"] {
        let output = mfaguard(&["scan", "--from", from.as_str(), "--max-report-age", value]);
        fails_with(
            &output,
            &[
                &format!("`{value}` is not allowed"),
                "positive number of hours",
            ],
        );
    }
    let output = mfaguard(&["watch", "--once", "--every", "0s", "--from", from.as_str()]);
    fails_with(&output, &["`0s` is zero", "at least 1s"]);
    let output = mfaguard(&[
        "watch",
        "--once",
        "--every",
        "soon",
        "--from",
        from.as_str(),
    ]);
    fails_with(&output, &["number followed by s, m, h or d"]);
}

#[test]
fn the_same_snapshot_twice_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("a.json");
    let snapshot_str = snapshot.to_str().unwrap();
    let saved = mfaguard(&[
        "scan",
        "--from",
        &demo_str(),
        "--save-snapshot",
        snapshot_str,
        "--now",
        NOW,
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let copy = dir.path().join("b.json");
    std::fs::copy(&snapshot, &copy).unwrap();
    let output = mfaguard(&[
        "scan",
        "--snapshot",
        snapshot_str,
        "--snapshot",
        snapshot_str,
    ]);
    fails_with(&output, &["a.json: given twice"]);
    let output = mfaguard(&[
        "scan",
        "--snapshot",
        snapshot_str,
        "--snapshot",
        copy.to_str().unwrap(),
    ]);
    fails_with(
        &output,
        &["b.json: account 111122223333 is also in", "a.json"],
    );
}

#[test]
fn a_directory_where_a_file_should_be_exits_2() {
    let dir = demo_copy();
    let details = dir.path().join("account-authorization-details.json");
    std::fs::remove_file(&details).unwrap();
    std::fs::create_dir(&details).unwrap();
    let output = mfaguard(&["scan", "--from", dir.path().to_str().unwrap()]);
    fails_with(
        &output,
        &[&format!(
            "{}: is a directory, not a file",
            details.display()
        )],
    );
}

#[test]
fn a_wrong_shaped_file_exits_2_naming_the_missing_member() {
    let dir = demo_copy();
    std::fs::write(
        dir.path().join("account-authorization-details.json"),
        r#"{"hello": "world"}"#,
    )
    .unwrap();
    let output = mfaguard(&["scan", "--from", dir.path().to_str().unwrap()]);
    fails_with(
        &output,
        &[
            "account-authorization-details.json",
            "missing field `UserDetailList`",
        ],
    );
}

#[test]
fn config_errors_name_the_right_line() {
    let dir = demo_copy();
    let config = dir.path().join("mfaguard.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let from = dir.path().to_str().unwrap().to_string();
    let config_str = config.to_str().unwrap().to_string();

    std::fs::write(
        &config,
        format!("{text}\n[scan]\nmax_report_age_hours = -5\n"),
    )
    .unwrap();
    let line = text.lines().count() + 3;
    let output = mfaguard(&["scan", "--from", &from, "--config", &config_str]);
    fails_with(
        &output,
        &[
            &format!("mfaguard.toml: line {line}: "),
            "positive number of hours",
        ],
    );

    // quinn's exception, reviewed on 2026-11-18, judged as of the day before.
    std::fs::write(&config, &text).unwrap();
    let reviewed_line = text
        .lines()
        .position(|l| l.starts_with("reviewed = \"2026-11-18\""))
        .unwrap()
        + 1;
    let output = mfaguard(&[
        "scan",
        "--from",
        &from,
        "--config",
        &config_str,
        "--now",
        "2026-11-17T12:00:00Z",
    ]);
    fails_with(
        &output,
        &[
            &format!("mfaguard.toml: line {reviewed_line}: "),
            "cannot be in the future",
        ],
    );
}

#[test]
fn an_expired_exception_is_not_also_expiring() {
    let config = demo().join("mfaguard.toml");
    let output = mfaguard(&[
        "exceptions",
        "--config",
        config.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rachel = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"].as_str().unwrap().ends_with("user/rachel"))
        .unwrap();
    assert_eq!(rachel["state"], "expired");
    assert_eq!(rachel["expiring_within_30_days"], false);
    assert_eq!(rachel["due"], true);
}

/// A history of two demo scans whose data pages are then overwritten, the
/// schema left intact: the list of scans can still be read, the rest not.
fn damaged_store(dir: &Path) -> PathBuf {
    let store = dir.join("history.sqlite");
    for _ in 0..2 {
        let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
            .args(["scan", "--from", &demo_str(), "--now", NOW, "--store"])
            .arg(&store)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let mut bytes = std::fs::read(&store).unwrap();
    let length = bytes.len();
    for index in (length / 3..length).step_by(331) {
        bytes[index] = 0xab;
    }
    std::fs::write(&store, bytes).unwrap();
    store
}

#[test]
fn a_damaged_history_is_named_in_one_line_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let store = damaged_store(dir.path());
    let store_str = store.to_str().unwrap();
    for command in [
        vec!["history"],
        vec!["history", "--show", "1"],
        vec!["diff"],
        vec!["kpi"],
        vec!["exceptions"],
    ] {
        let mut args = command.clone();
        args.extend(["--store", store_str]);
        let output = mfaguard(&args);
        let err = fails_with(&output, &[store_str, "damaged"]);
        assert_eq!(err.lines().count(), 1, "{command:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

#[test]
fn the_stored_posture_counts_unknown_results_as_the_report_does() {
    let dir = demo_copy();
    std::fs::remove_file(dir.path().join("account-authorization-details.json")).unwrap();
    let store = dir.path().join("history.sqlite");
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["scan", "--format", "json", "--now", NOW, "--from"])
        .arg(dir.path())
        .arg("--store")
        .arg(&store)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["score"]["unknown_weight"].as_u64().unwrap() > 0);
    let output = mfaguard(&[
        "kpi",
        "--format",
        "json",
        "--now",
        NOW,
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let kpi: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(kpi["trend"][0]["posture"], report["score"]["posture"]);
    assert_eq!(
        kpi["trend"][0]["cis_v5"],
        report["score"]["cis_v5"]["percent"]
    );
}

#[test]
fn without_the_authorization_details_role_assumption_is_unknown_not_silent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        demo().join("credential-report.json"),
        dir.path().join("credential-report.json"),
    )
    .unwrap();
    let output = mfaguard(&[
        "scan",
        "--from",
        dir.path().to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let roles: Vec<&serde_json::Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|result| result["check_id"] == "iam.role_assumption_mfa")
        .collect();
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert_eq!(roles[0]["status"], "unknown");
    assert!(roles[0]["message"]
        .as_str()
        .unwrap()
        .contains("account-authorization-details.json missing"));
}
