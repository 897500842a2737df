//! `mfaguard compliance` on the demo account: controls with the results
//! behind them, exit codes per --fail-on, the framework list, and a
//! mistyped framework id.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const NOW: &str = "2026-11-22T12:00:00Z";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account")
}

fn mfaguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}

fn on_demo(framework: &str, extra: &[&str]) -> Output {
    let from = demo();
    let config = demo().join("mfaguard.toml");
    let mut args = vec![
        "compliance",
        "--framework",
        framework,
        "--from",
        from.to_str().expect("path"),
        "--config",
        config.to_str().expect("path"),
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    mfaguard(&args)
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn control<'a>(assessment: &'a Value, id: &str) -> &'a Value {
    assessment["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

#[test]
fn cis_5_on_the_demo_shows_each_control_with_its_results() {
    let output = on_demo("cis-aws-5.0", &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let assessment = json(&output);
    assert_eq!(assessment["framework"], "cis-aws-5.0");
    assert_eq!(assessment["version"], "5.0.0");
    // The scan's own results decide each control.
    let scan = mfaguard(&[
        "scan",
        "--from",
        demo().to_str().expect("path"),
        "--config",
        demo().join("mfaguard.toml").to_str().expect("path"),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    let report = json(&scan);
    let results = report["results"].as_array().expect("results");
    let count = |check: &str, status: &str| {
        results
            .iter()
            .filter(|r| r["check_id"] == check && r["status"] == status)
            .count()
    };
    let console = control(&assessment, "1.9");
    assert_eq!(console["status"], "fail");
    let tally = &console["checks"][0];
    assert_eq!(tally["check_id"], "iam.console_user_mfa");
    assert_eq!(tally["basis"], "published");
    for status in ["pass", "fail", "excepted", "unknown", "not_applicable"] {
        assert_eq!(
            tally[status].as_u64(),
            Some(count("iam.console_user_mfa", status) as u64),
            "{status}"
        );
    }
    // Every failing, excepted and unknown result is listed, none other.
    let listed = console["results"].as_array().expect("results");
    assert_eq!(
        listed.len(),
        count("iam.console_user_mfa", "fail")
            + count("iam.console_user_mfa", "excepted")
            + count("iam.console_user_mfa", "unknown")
    );
    assert!(listed.iter().any(|r| r["status"] == "excepted"));
    assert_eq!(control(&assessment, "1.4")["status"], "pass");
    assert_eq!(control(&assessment, "1.5")["status"], "fail");
    assert_eq!(control(&assessment, "1.20")["status"], "manual");
    assert_eq!(assessment["summary"]["manual"], 1);
    assert_eq!(
        report["score"]["cis_v5"]["recommendations"]["1.9"],
        console["status"]
    );

    let text = on_demo("cis-aws-5.0", &[]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("FAIL           1.9"), "{text}");
    assert!(text.contains("MANUAL         1.20"), "{text}");
    assert!(
        text.contains("excepted iam.console_user_mfa quinn"),
        "{text}"
    );
}

#[test]
fn fail_on_decides_the_exit_code() {
    // console_user_mfa fails at high severity in the demo.
    assert_eq!(
        on_demo("aws-fsbp", &["--fail-on", "high"]).status.code(),
        Some(1)
    );
    assert_eq!(
        on_demo("aws-fsbp", &["--fail-on", "none"]).status.code(),
        Some(0)
    );
    // Root access keys pass in the demo: nothing fails under CIS 1.2's 1.12
    // alone, but the framework has failing controls.
    assert_eq!(
        on_demo("cis-aws-1.2", &["--fail-on", "low"]).status.code(),
        Some(1)
    );
}

#[test]
fn interpreted_mappings_are_labelled() {
    let assessment = json(&on_demo("nist-800-53-r5", &["--format", "json"]));
    let ia21 = control(&assessment, "IA-2(1)");
    let privileged = ia21["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check_id"] == "iam.privileged_user_mfa")
        .expect("privileged_user_mfa decides IA-2(1)");
    assert_eq!(privileged["basis"], "interpreted");
}

#[test]
fn the_framework_list_names_every_framework() {
    let output = mfaguard(&["compliance", "--list"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    for id in [
        "cis-aws-1.2",
        "cis-aws-1.3",
        "cis-aws-1.4",
        "cis-aws-1.5",
        "cis-aws-2.0",
        "cis-aws-3.0",
        "cis-aws-4.0",
        "cis-aws-5.0",
        "cis-aws-6.0",
        "cis-aws-7.0",
        "aws-fsbp",
        "nist-800-53-r5",
        "pci-dss-4.0",
    ] {
        assert!(text.contains(id), "{id} missing from {text}");
    }
    let list = json(&mfaguard(&["compliance", "--list", "--format", "json"]));
    let cis7 = list
        .as_array()
        .expect("list")
        .iter()
        .find(|f| f["id"] == "cis-aws-7.0")
        .expect("cis-aws-7.0");
    let manual = &cis7["controls"][0];
    assert_eq!(
        (manual["id"].as_str(), manual["manual"].as_bool()),
        (Some("2.1.1"), Some(true))
    );
}

#[test]
fn an_unknown_framework_is_an_error_naming_the_closest() {
    let output = on_demo("cis-aws-5", &[]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("no framework `cis-aws-5`; the closest are cis-aws-5.0"),
        "{err}"
    );
    assert!(output.stdout.is_empty());
    let missing = mfaguard(&["compliance"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_missing_input_folder_is_an_error() {
    let output = mfaguard(&[
        "compliance",
        "--framework",
        "cis-aws-5.0",
        "--from",
        "/nonexistent/mfaguard-input",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/mfaguard-input"));
}
