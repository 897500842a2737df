//! The bundled demo account: golden text and JSON reports, and the expected
//! outcome of every check for every identity in it.
//!
//! Regenerate the golden files after an intended change with
//! `MFAGUARD_UPDATE_GOLDEN=1 cargo test -p mfaguard --test demo`, and review
//! the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/golden.rs"]
mod golden;

use golden::check_golden;

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

/// The text report lists every failing result of the JSON report under its
/// own severity, whatever its check's default severity is.
#[test]
fn demo_text_report_lists_every_failing_result_of_the_json() {
    let report: serde_json::Value = serde_json::from_str(&scan("json")).expect("JSON report");
    let text = scan("text");
    let findings = text
        .split("\nFindings\n")
        .nth(1)
        .expect("a Findings section")
        .split("\nExcepted")
        .next()
        .unwrap_or_default();
    // (severity, check, resource) of every listed result, and each
    // severity heading's count.
    let mut listed = Vec::new();
    let mut headings = Vec::new();
    let (mut severity, mut check) = (String::new(), String::new());
    for line in findings.lines() {
        if let Some((name, count)) = line.split_once(" (") {
            if !line.starts_with(' ') {
                severity = name.to_lowercase();
                let count: usize = count.trim_end_matches(')').parse().expect("count");
                headings.push((severity.clone(), count));
                continue;
            }
        }
        if let Some(rest) = line.strip_prefix("  iam.") {
            check = format!("iam.{}", rest.split_whitespace().next().unwrap_or_default());
        } else if let Some(rest) = line.strip_prefix("    ✗ ") {
            let name = rest.split("  ").next().unwrap_or_default();
            listed.push((severity.clone(), check.clone(), name.to_string()));
        }
    }
    let mut failing: Vec<(String, String, String)> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| {
            (
                r["severity"].as_str().unwrap_or_default().to_string(),
                r["check_id"].as_str().unwrap_or_default().to_string(),
                r["resource_name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(!failing.is_empty());
    failing.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(
        sorted, failing,
        "the text report's findings differ from the JSON's failing results"
    );
    for (severity, count) in headings {
        let under = listed.iter().filter(|(s, _, _)| *s == severity).count();
        assert_eq!(
            under, count,
            "{severity} heading counts {count}, lists {under}"
        );
    }
}

/// The strategy check states each tier's figures exactly as the summary's
/// coverage figures (one definition of each figure).
#[test]
fn demo_strategy_figures_equal_the_summary() {
    let report: serde_json::Value = serde_json::from_str(&scan("json")).expect("JSON report");
    let strategy = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["check_id"] == "iam.mfa_enforcement_strategy")
        .expect("strategy result");
    let message = strategy["message"].as_str().expect("message");
    let kpis = &report["accounts"][0]["kpis"];
    let kpis = if kpis.is_null() {
        &report["kpis"]
    } else {
        kpis
    };
    for tier in ["breakglass", "privileged", "human"] {
        let fraction = |figure: &serde_json::Value| {
            let total = figure["total"].as_u64().expect("total");
            let unknown = figure["unknown"].as_u64().expect("unknown");
            let mut text = format!("{}/{}", figure["covered"], total - unknown);
            if unknown > 0 {
                text.push_str(&format!(", {unknown} unknown"));
            }
            text
        };
        let with_mfa = fraction(&kpis["console_users_with_mfa_by_tier"][tier]);
        let enforced = fraction(&kpis["console_users_with_mfa_enforced_by_tier"][tier]);
        let expected = format!("{tier}: {with_mfa} console users with MFA, {enforced} enforced");
        assert!(
            message.contains(&expected),
            "strategy message {message:?} lacks {expected:?}"
        );
    }
}
