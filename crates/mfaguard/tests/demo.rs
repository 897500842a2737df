//! The bundled demo account: golden text and JSON reports, and the expected
//! outcome of every check for every identity in it.
//!
//! Regenerate the golden files after an intended change with
//! `MFAGUARD_UPDATE_GOLDEN=1 cargo test -p mfaguard --test demo`, and review
//! the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The demo is judged as of this time, so expiry and staleness are stable.
const NOW: &str = "2026-11-22T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scan(format: &str) -> String {
    let demo = repo().join("examples/demo-account");
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["scan", "--from"])
        .arg(&demo)
        .arg("--config")
        .arg(demo.join("mfaguard.toml"))
        .args(["--format", format, "--now", NOW])
        .env("NO_COLOR", "1")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The location is machine-specific; make it relative for the golden file.
    String::from_utf8_lossy(&output.stdout)
        .replace(&demo.display().to_string(), "examples/demo-account")
}

fn check_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("MFAGUARD_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} missing: run with MFAGUARD_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n  expected: {:?}\n  actual:   {:?}\n(MFAGUARD_UPDATE_GOLDEN=1 regenerates it)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn demo_text_report_matches_golden() {
    check_golden("demo.txt", &scan("text"));
}

#[test]
fn demo_json_report_matches_golden() {
    check_golden("demo.json", &scan("json"));
}

/// `examples/demo-account/expected-results.json` states, for every check,
/// the status of every resource the check examines in the demo. The report
/// must agree exactly: no result missing, none extra, none different.
#[test]
fn demo_results_are_right_for_every_identity() {
    let report: serde_json::Value = serde_json::from_str(&scan("json")).expect("JSON report");
    let expected_text =
        std::fs::read_to_string(repo().join("examples/demo-account/expected-results.json"))
            .expect("expected-results.json");
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&expected_text).expect("expected-results.json is JSON");
    let mut problems = Vec::new();
    for (check, resources) in &expected {
        let resources = resources
            .as_object()
            .expect("check maps resource to status");
        let actual: Vec<&serde_json::Value> = report["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["check_id"] == check.as_str())
            .collect();
        for (resource, status) in resources {
            match actual
                .iter()
                .find(|r| r["resource_name"] == resource.as_str())
            {
                None => problems.push(format!("{check} {resource}: no result")),
                Some(result) if result["status"] != *status => problems.push(format!(
                    "{check} {resource}: expected {status}, got {} ({})",
                    result["status"], result["message"]
                )),
                Some(_) => {}
            }
        }
        for result in &actual {
            let name = result["resource_name"].as_str().unwrap_or_default();
            if !resources.contains_key(name) {
                problems.push(format!(
                    "{check} {name}: unexpected result {}",
                    result["status"]
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "demo report disagrees:\n{}",
        problems.join("\n")
    );
}
