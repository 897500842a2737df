//! `mfaguard lint` from the command line: formats and exit codes as `scan`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/golden.rs"]
mod golden;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lint-corpus")
}

fn lint(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .arg("lint")
        .args(args)
        .output()
        .expect("run mfaguard");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn exit_codes_follow_fail_on() {
    let pitfalls = corpus().join("cloudformation/pitfalls.yaml");
    let correct = corpus().join("cloudformation/correct.yaml");
    let (code, text, _) = lint(&[pitfalls.to_str().unwrap()]);
    assert_eq!(code, 0, "findings alone do not fail without --fail-on");
    assert!(
        text.contains("pitfalls.yaml:26:17: high iam.mfa_condition_pitfall"),
        "{text}"
    );
    let (code, _, _) = lint(&["--fail-on", "high", pitfalls.to_str().unwrap()]);
    assert_eq!(code, 1);
    let (code, text, _) = lint(&["--fail-on", "low", correct.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let (code, _, stderr) = lint(&["--fail-on", "high", "/nonexistent/policy.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/policy.json"), "{stderr}");
}

#[test]
fn sarif_and_json_for_a_folder() {
    let dir = corpus().join("terraform");
    let (code, sarif, stderr) = lint(&["--format", "sarif", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let errors = golden::sarif_schema_errors(&sarif);
    assert!(
        errors.is_empty(),
        "lint SARIF against the schema:\n{}",
        errors.join("\n")
    );
    // The HCL sources and their plans: six findings each.
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 12);
    let (_, json, _) = lint(&["--format", "json", dir.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["findings"], 12);
    let kinds: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "terraform_hcl",
            "terraform_hcl",
            "terraform_plan",
            "terraform_plan"
        ]
    );
}
