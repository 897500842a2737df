//! Inputs that are wrong in ways their syntax does not show: another
//! command's output, an entity listed twice, files of two accounts, names
//! longer than IAM allows, a path that is not a file. Each is an error that
//! names the file and where; none may make the report look better.
//! Every case is a broken copy of the bundled demo account.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mfaguard_core::offline::read_dir;
use mfaguard_core::{analyze, Config, Snapshot};
use serde_json::Value;

const DETAILS: &str = "account-authorization-details.json";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account")
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A copy of the demo account's exported files.
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(demo()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|ext| ext == "json" || ext == "csv")
        {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut value = read_json(path);
    edit(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

fn read_error(dir: &Path) -> String {
    match read_dir(dir, now()) {
        Ok(_) => panic!("expected an error reading {}", dir.display()),
        Err(err) => err.to_string(),
    }
}

fn config() -> Config {
    Config::load(&demo().join("mfaguard.toml")).unwrap()
}

fn posture(dir: &Path) -> f64 {
    let snapshot = read_dir(dir, now()).unwrap();
    analyze(&[snapshot], &config(), now())
        .score
        .posture
        .expect("a posture score")
}

#[test]
fn another_commands_output_is_not_read_as_an_empty_account() {
    let dir = demo_copy();
    let path = dir.path().join(DETAILS);
    for wrong in [
        r#"{"hello": "world"}"#,
        // `aws iam list-users`
        r#"{"Users": [{"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLE", "Arn": "arn:aws:iam::111122223333:user/alice", "CreateDate": "2024-01-01T00:00:00+00:00"}]}"#,
    ] {
        std::fs::write(&path, wrong).unwrap();
        let err = read_error(dir.path());
        assert!(err.contains(DETAILS), "{err}");
        assert!(err.contains("missing field `UserDetailList`"), "{err}");
    }
}

#[test]
fn a_missing_member_of_an_entry_names_the_entry() {
    let dir = demo_copy();
    edit_json(&dir.path().join(DETAILS), |value| {
        value["UserDetailList"][3]
            .as_object_mut()
            .unwrap()
            .remove("UserName");
    });
    let err = read_error(dir.path());
    assert!(
        err.ends_with(&format!(
            "{DETAILS}: at /UserDetailList/3: missing field `UserName`"
        )),
        "{err}"
    );
}

#[test]
fn a_missing_input_never_raises_the_posture_score() {
    let full = posture(&demo());
    for name in [
        DETAILS,
        "virtual-mfa-devices.json",
        "account-summary.json",
        "mfa-devices.json",
    ] {
        let dir = demo_copy();
        std::fs::remove_file(dir.path().join(name)).unwrap();
        let partial = posture(dir.path());
        assert!(
            partial <= full,
            "without {name} the posture is {partial}, above {full} with every file"
        );
    }
}

#[test]
fn unknown_results_weigh_as_not_passing() {
    let dir = demo_copy();
    std::fs::remove_file(dir.path().join(DETAILS)).unwrap();
    let snapshot = read_dir(dir.path(), now()).unwrap();
    let score = analyze(&[snapshot], &config(), now()).score;
    assert!(score.unknown_weight > 0);
    let total = score.passed_weight + score.failed_weight + score.unknown_weight;
    let expected = (1000.0 * score.passed_weight as f64 / total as f64).round() / 10.0;
    assert_eq!(score.posture, Some(expected));
    assert!(score.decided.unwrap() < 100.0, "{:?}", score.decided);
}

/// Appends a copy of entry `index` of `list` to it; returns the pointers of
/// the original and of the copy.
fn duplicate(dir: &Path, list: &str, index: usize) -> (String, String) {
    let mut copy_at = 0;
    edit_json(&dir.join(DETAILS), |value| {
        let entries = value[list].as_array_mut().unwrap();
        let entry = entries[index].clone();
        entries.push(entry);
        copy_at = entries.len() - 1;
    });
    (format!("/{list}/{index}"), format!("/{list}/{copy_at}"))
}

#[test]
fn an_entity_listed_twice_names_both_places() {
    for (list, what) in [
        ("UserDetailList", "user"),
        ("GroupDetailList", "group"),
        ("RoleDetailList", "role"),
        ("Policies", "managed policy"),
    ] {
        let dir = demo_copy();
        let (first, second) = duplicate(dir.path(), list, 2);
        let err = read_error(dir.path());
        assert!(
            err.contains(&format!("{DETAILS}: at {second}: {what} `")),
            "{err}"
        );
        assert!(err.contains(&format!("(first at {first})")), "{err}");
    }
}

#[test]
fn a_user_name_differing_only_in_case_is_the_same_user() {
    let dir = demo_copy();
    edit_json(&dir.path().join(DETAILS), |value| {
        let users = value["UserDetailList"].as_array_mut().unwrap();
        let mut copy = users[0].clone();
        let name = copy["UserName"].as_str().unwrap().to_uppercase();
        copy["Arn"] = Value::from(format!("arn:aws:iam::111122223333:user/{name}"));
        copy["UserName"] = Value::from(name);
        users.push(copy);
    });
    let err = read_error(dir.path());
    assert!(
        err.contains("is listed twice (first at /UserDetailList/0)"),
        "{err}"
    );
}

#[test]
fn files_of_two_accounts_in_one_folder_name_both_accounts() {
    let dir = demo_copy();
    // The credential report of another account, as decoded CSV.
    let report = read_json(&dir.path().join("credential-report.json"));
    let content = report["Content"].as_str().unwrap().replace(['\n', ' '], "");
    let csv = base64_decode(&content).replace("111122223333", "999999999999");
    std::fs::remove_file(dir.path().join("credential-report.json")).unwrap();
    std::fs::write(dir.path().join("credential-report.csv"), csv).unwrap();
    let err = read_error(dir.path());
    assert!(err.contains("999999999999"), "{err}");
    assert!(err.contains("111122223333"), "{err}");
    assert!(err.contains("credential-report.csv"), "{err}");
    assert!(err.contains(DETAILS), "{err}");
}

#[test]
fn a_virtual_device_of_another_account_is_refused() {
    let dir = demo_copy();
    edit_json(&dir.path().join("virtual-mfa-devices.json"), |value| {
        value["VirtualMFADevices"][0]["SerialNumber"] =
            Value::from("arn:aws:iam::444455556666:mfa/stray");
    });
    let err = read_error(dir.path());
    assert!(err.contains("444455556666"), "{err}");
    assert!(err.contains("/VirtualMFADevices/0/SerialNumber"), "{err}");
}

#[test]
fn the_same_snapshot_twice_is_refused() {
    let dir = demo_copy();
    let snapshot = read_dir(dir.path(), now()).unwrap();
    let first = dir.path().join("a.json");
    let second = dir.path().join("b.json");
    snapshot.save(&first).unwrap();
    snapshot.save(&second).unwrap();
    let err = Snapshot::load_all(&[first.clone(), first.clone()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("given twice"), "{err}");
    let err = Snapshot::load_all(&[first.clone(), second.clone()])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("b.json: account 111122223333 is also in") && err.contains("a.json"),
        "{err}"
    );
    assert_eq!(Snapshot::load_all(&[first]).unwrap().len(), 1);
}

#[test]
fn a_directory_where_a_file_should_be_is_an_error() {
    for name in ["credential-report.json", DETAILS, "mfa-devices.json"] {
        let dir = demo_copy();
        let path = dir.path().join(name);
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let err = read_error(dir.path());
        assert_eq!(
            err,
            format!("{}: is a directory, not a file", path.display())
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_loop_where_a_file_should_be_is_an_error() {
    for name in ["credential-report.json", "virtual-mfa-devices.json"] {
        let dir = demo_copy();
        let path = dir.path().join(name);
        std::fs::remove_file(&path).unwrap();
        let other = dir.path().join("other");
        std::os::unix::fs::symlink(&other, &path).unwrap();
        std::os::unix::fs::symlink(&path, &other).unwrap();
        let err = read_error(dir.path());
        assert!(
            err.starts_with(&format!("{}: is a symbolic link", path.display())),
            "{err}"
        );
        assert!(err.contains("cannot be followed"), "{err}");
    }
}

#[test]
fn names_longer_than_iam_allows_are_refused() {
    let cases = [
        ("UserDetailList", "UserName", 65, "IAM allows at most 64"),
        ("RoleDetailList", "RoleName", 65, "IAM allows at most 64"),
        (
            "GroupDetailList",
            "GroupName",
            129,
            "IAM allows at most 128",
        ),
        ("Policies", "PolicyName", 129, "IAM allows at most 128"),
        ("UserDetailList", "Path", 513, "IAM allows at most 512"),
        ("RoleDetailList", "Arn", 2049, "IAM allows at most 2048"),
    ];
    for (list, field, length, limit) in cases {
        let dir = demo_copy();
        edit_json(&dir.path().join(DETAILS), |value| {
            value[list][1][field] = Value::from("x".repeat(length));
        });
        let err = read_error(dir.path());
        assert!(
            err.contains(&format!("{DETAILS}: at /{list}/1/{field}: {field} `xxx")),
            "{err}"
        );
        assert!(
            err.contains(&format!("is {length} characters long; {limit}")),
            "{err}"
        );
        // The message quotes the start of the value, not all of it.
        assert!(err.len() < 400, "{err}");
    }
}

#[test]
fn an_overlong_user_in_the_credential_report_names_the_line() {
    let dir = demo_copy();
    let report = read_json(&dir.path().join("credential-report.json"));
    let content = report["Content"].as_str().unwrap().replace(['\n', ' '], "");
    let csv = base64_decode(&content);
    let long = "u".repeat(5_000);
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    let fields: Vec<&str> = lines[2].splitn(3, ',').collect();
    lines[2] = format!("{long},arn:aws:iam::111122223333:user/{long},{}", fields[2]);
    std::fs::remove_file(dir.path().join("credential-report.json")).unwrap();
    std::fs::write(
        dir.path().join("credential-report.csv"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    let err = read_error(dir.path());
    assert!(
        err.ends_with(
            "credential-report.csv: line 3: column `user` is 5000 characters long; IAM allows at most 64"
        ),
        "{err}"
    );
}

#[test]
fn a_byte_order_mark_is_accepted_on_every_input() {
    let dir = demo_copy();
    for name in [
        "credential-report.json",
        DETAILS,
        "virtual-mfa-devices.json",
        "account-summary.json",
        "mfa-devices.json",
    ] {
        let path = dir.path().join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    }
    let with_bom = read_dir(dir.path(), now()).unwrap();
    let without = read_dir(&demo(), now()).unwrap();
    assert_eq!(with_bom.credential_report, without.credential_report);
    assert_eq!(
        with_bom.authorization_details,
        without.authorization_details
    );
    assert_eq!(with_bom.mfa_devices, without.mfa_devices);

    // The decoded CSV too.
    let report = read_json(&dir.path().join("credential-report.json"));
    let content = report["Content"].as_str().unwrap().replace(['\n', ' '], "");
    std::fs::remove_file(dir.path().join("credential-report.json")).unwrap();
    std::fs::write(
        dir.path().join("credential-report.csv"),
        format!("\u{feff}{}", base64_decode(&content)),
    )
    .unwrap();
    let from_csv = read_dir(dir.path(), now()).unwrap();
    assert_eq!(
        from_csv.credential_report.rows,
        without.credential_report.rows
    );
}

#[test]
fn a_credential_report_from_the_future_is_warned_about() {
    let dir = demo_copy();
    edit_json(&dir.path().join("credential-report.json"), |value| {
        value["GeneratedTime"] = Value::from("2026-11-23T12:00:00+00:00");
    });
    let snapshot = read_dir(dir.path(), now()).unwrap();
    let report = analyze(&[snapshot], &config(), now());
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("generated 24.0 hours after the time of this scan")),
        "{:?}",
        report.warnings
    );
}

fn base64_decode(text: &str) -> String {
    use base64::Engine;
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap(),
    )
    .unwrap()
}
