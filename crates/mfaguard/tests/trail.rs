//! `mfaguard trail` from the command line: exit codes, formats, errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mfaguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> String {
    repo()
        .join("crates/mfaguard-trail/tests/fixtures/org-trail")
        .display()
        .to_string()
}

fn demo() -> String {
    repo().join("examples/demo-account").display().to_string()
}

fn demo_config() -> String {
    repo()
        .join("examples/demo-account/mfaguard.toml")
        .display()
        .to_string()
}

const NOW: &str = "2026-11-22T12:00:00Z";

#[test]
fn fail_on_decides_the_exit_code() {
    let from = fixtures();
    let base = ["trail", "--from", &from, "--now", NOW];
    let clean = mfaguard(&base);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let text = String::from_utf8_lossy(&clean.stdout);
    assert!(text.contains("[critical]"), "{text}");
    assert!(text.contains("digest file"), "{text}");

    let mut high = base.to_vec();
    high.extend(["--fail-on", "critical"]);
    assert_eq!(mfaguard(&high).status.code(), Some(1));
}

#[test]
fn json_report_with_a_snapshot_to_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("trail.json");
    let (from, demo, config) = (fixtures(), demo(), demo_config());
    let output = mfaguard(&[
        "trail",
        "--from",
        &from,
        "--snapshot",
        &demo,
        "--config",
        &config,
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--format",
        "json",
        "--output",
        out.to_str().expect("utf-8"),
        "--now",
        NOW,
        "--fail-on",
        "high",
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["inputs"]["snapshot_accounts"][0], "111122223333");
    assert_eq!(report["inputs"]["date_folders_pruned"], 1);
    assert_eq!(report["window"]["since"], "2026-11-01T00:00:00Z");
    let carol = report["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .find(|identity| identity["name"] == "carol")
        .expect("carol");
    assert_eq!(carol["months"][0]["denials"]["mfa_related"], 1);
    assert_eq!(carol["enforcement"]["status"], "pass");
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"breakglass_activity"), "{kinds:?}");
    assert!(kinds.contains(&"console_sign_in_without_mfa"), "{kinds:?}");
}

#[test]
fn bad_arguments_and_inputs_exit_2_with_the_reason() {
    let from = fixtures();
    let cases: [(&[&str], &str); 4] = [
        (
            &["trail", "--from", "/nonexistent/trail"],
            "/nonexistent/trail",
        ),
        (
            &["trail", "--from", &from, "--since", "November"],
            "--since `November` is not a date",
        ),
        (
            &[
                "trail",
                "--from",
                &from,
                "--since",
                "2026-11-30",
                "--until",
                "2026-11-01",
            ],
            "--since must be before --until",
        ),
        (
            &[
                "trail",
                "--from",
                &from,
                "--snapshot",
                "/nonexistent/account",
            ],
            "/nonexistent/account",
        ),
    ];
    for (args, message) in cases {
        let output = mfaguard(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// A file that cannot be read next to one that can: the figures are
/// said to be partial. When no file could be read at all there are no
/// figures: exit 2 (the report, listing the failures, is still written).
#[test]
fn a_partial_read_is_said_on_stderr_and_nothing_read_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/05");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::write(logs.join("bad.json"), b"not json").expect("write");
    std::fs::write(logs.join("wrong-shape.json"), b"{\"Records\": 5}").expect("write");
    let run = || {
        mfaguard(&[
            "trail",
            "--from",
            dir.path().to_str().expect("utf-8"),
            "--now",
            NOW,
        ])
    };
    let output = run();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no CloudTrail record could be read: 2 log files failed"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("PARTIAL:") && stdout.contains("bad.json"),
        "{stdout}"
    );

    let good = repo().join("crates/mfaguard-trail/tests/fixtures/org-trail/AWSLogs/o-aa111bb222/111122223333/CloudTrail/us-east-1/2026/11/05/111122223333_CloudTrail_us-east-1_20261105T0950Z_Sgn1nEXAMPLE.json");
    std::fs::copy(good, logs.join("good.json")).expect("copy");
    let output = run();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the figures are partial"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("PARTIAL:") && stdout.contains("bad.json"),
        "{stdout}"
    );
}

/// Files that read, but whose every record is skipped: nothing analysed,
/// so no figures either.
#[test]
fn only_skipped_records_is_an_error_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/05");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::write(logs.join("numbers.json"), b"{\"Records\": [1, 2]}").expect("write");
    let output = mfaguard(&[
        "trail",
        "--from",
        dir.path().to_str().expect("utf-8"),
        "--now",
        NOW,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("0 log files failed, 2 records skipped")
            && stderr.contains("numbers.json: the record is a number"),
        "{stderr}"
    );
}

#[test]
fn store_records_per_file_figures_that_kpi_trends_without_double_counting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("history.sqlite").display().to_string();
    let (from, demo, config) = (fixtures(), demo(), demo_config());
    let november = [
        "trail",
        "--from",
        &from,
        "--snapshot",
        &demo,
        "--config",
        &config,
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--now",
        NOW,
        "--store",
        &store,
    ];
    let kpi = || {
        let out = mfaguard(&["kpi", "--store", &store, "--format", "json", "--now", NOW]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let first = mfaguard(&november);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("recorded the figures of 3 log files"),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let once = kpi();
    let denials = &once["mfa_denials_per_month"];
    assert_eq!(denials.as_array().map(Vec::len), Some(1), "{denials}");
    assert_eq!(denials[0]["month"], "2026-11");
    assert_eq!(denials[0]["attributed"], 1);
    assert_eq!(denials[0]["inferred"], 1);
    let month = &once["trail"]["months"][0];
    assert_eq!(month["accounts"], 2);
    // erin twice in one account, dev1 in the other.
    assert_eq!(month["console_sign_ins_without_mfa"], 3);
    assert_eq!(month["human_api_calls"]["with_mfa"], 6);
    assert_eq!(month["root_uses"], 2);
    assert_eq!(month["breakglass_uses"], 1);

    // The same window again, then the whole tree: November is unchanged,
    // October is added.
    assert_eq!(mfaguard(&november).status.code(), Some(0));
    let whole = mfaguard(&[
        "trail",
        "--from",
        &from,
        "--snapshot",
        &demo,
        "--config",
        &config,
        "--now",
        NOW,
        "--store",
        &store,
    ]);
    assert_eq!(
        whole.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let again = kpi();
    assert_eq!(again["trail"]["files"], 4);
    let months = again["trail"]["months"].as_array().expect("months");
    assert_eq!(months.len(), 2);
    assert_eq!(months[0]["month"], "2026-10");
    assert_eq!(months[1], *month);

    let text = mfaguard(&["kpi", "--store", &store, "--now", NOW]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("CloudTrail per month (4 log files recorded)"),
        "{text}"
    );
    assert!(text.contains("1 + 1 inferred"), "{text}");
}
