//! The report formats on the demo account: golden files for CSV, Markdown
//! and SARIF, SARIF validated against the published schema, stable
//! fingerprints, and values from the inputs that stay inert.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

#[path = "support/golden.rs"]
mod golden;

use golden::{check_golden, sarif_schema_errors};

const NOW: &str = "2026-11-22T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> PathBuf {
    repo().join("examples/demo-account")
}

fn run(args: &[&str], config: &Path) -> Output {
    run_at(args, config, NOW)
}

fn run_at(args: &[&str], config: &Path, now: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["scan", "--from"])
        .arg(demo())
        .arg("--config")
        .arg(config)
        .args(["--now", now])
        .args(args)
        .env("NO_COLOR", "1")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}

fn scan(format: &str) -> String {
    let output = run(&["--format", format], &demo().join("mfaguard.toml"));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .replace(&demo().display().to_string(), "examples/demo-account")
}

#[test]
fn demo_renders_in_every_format_as_the_golden_files() {
    check_golden("demo.csv", &scan("csv"));
    check_golden("demo.md", &scan("markdown"));
    check_golden("demo.sarif", &scan("sarif"));
}

#[test]
fn sarif_is_valid_against_the_published_schema() {
    let log: Value = serde_json::from_str(&scan("sarif")).expect("SARIF is JSON");
    let errors = sarif_schema_errors(&log);
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    // What GitHub code scanning requires of each result, and what we
    // promise: one rule per check, a result per fail/excepted/unknown.
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let json: Value = serde_json::from_str(&scan("json")).expect("JSON report");
    assert_eq!(
        rules.len(),
        json["checks"].as_array().expect("checks").len()
    );
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
        assert!(rule["help"]["markdown"]
            .as_str()
            .is_some_and(|help| help.contains("## How to fix")));
        assert!(rule["properties"]["security-severity"].is_string());
    }
    let results = run["results"].as_array().expect("results");
    let expected = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| matches!(r["status"].as_str(), Some("fail" | "excepted" | "unknown")))
        .count();
    assert_eq!(results.len(), expected);
    for result in results {
        let location = &result["locations"][0];
        assert!(location["physicalLocation"]["artifactLocation"]["uri"].is_string());
        assert!(location["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .is_some_and(|arn| arn.starts_with("arn:aws:")));
        assert!(result["partialFingerprints"]["mfaguardFinding/v1"].is_string());
        let index = result["ruleIndex"].as_u64().expect("rule index") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    // The excepted result carries its owner, reason and expiry.
    let excepted: Vec<&Value> = results
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert_eq!(excepted.len(), 1);
    let justification = excepted[0]["suppressions"][0]["justification"]
        .as_str()
        .unwrap_or_default();
    assert!(
        justification.contains("eng-onboarding@example.com")
            && justification.contains("2027-01-31"),
        "{justification}"
    );
    // Undecided results are SARIF's "open", never a pass.
    assert!(results
        .iter()
        .any(|r| r["kind"] == "open" && r["level"] == "none"));
}

#[test]
fn sarif_fingerprints_are_stable_across_scans() {
    let fingerprints = |text: &str| -> Vec<String> {
        let log: Value = serde_json::from_str(text).expect("SARIF");
        log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["partialFingerprints"]["mfaguardFinding/v1"].to_string())
            .collect()
    };
    let first = fingerprints(&scan("sarif"));
    let later = run_at(
        &["--format", "sarif"],
        &demo().join("mfaguard.toml"),
        "2026-12-01T00:00:00Z",
    );
    assert_eq!(later.status.code(), Some(0));
    let later = fingerprints(&String::from_utf8_lossy(&later.stdout));
    assert_eq!(first, later);
    let mut unique = first.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), first.len(), "fingerprints are unique");
}

#[test]
fn csv_is_one_row_per_result_and_formula_cells_stay_inert() {
    // An exception reason and owner that a spreadsheet would evaluate.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("mfaguard.toml");
    let text = std::fs::read_to_string(demo().join("mfaguard.toml"))
        .expect("demo config")
        .replace(
            "reason = \"New hire starting 2026-11-24; the FIDO key is handed out on the first day\"",
            "reason = \"=HYPERLINK(\\\"http://evil.example\\\",\\\"x\\\")\"",
        )
        .replace("owner = \"eng-onboarding@example.com\"", "owner = \"@SUM(1+1)\"");
    std::fs::write(&config, text).expect("write config");
    let output = run(&["--format", "csv"], &config);
    assert_eq!(output.status.code(), Some(0));
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let json: Value = serde_json::from_str(&scan("json")).expect("JSON report");
    assert_eq!(
        rows.len(),
        json["results"].as_array().expect("results").len()
    );
    let quinn = rows
        .iter()
        .find(|row| row[column("exception_owner")].contains("SUM"))
        .expect("the excepted row");
    assert_eq!(&quinn[column("exception_owner")], "'@SUM(1+1)");
    assert!(quinn[column("exception_reason")].starts_with("'=HYPERLINK"));
    for row in &rows {
        for cell in row.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
}

#[test]
fn several_formats_into_one_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("reports");
    let output = run(
        &[
            "--output-dir",
            out.to_str().expect("path"),
            "--formats",
            "json,sarif,csv,md,text",
        ],
        &demo().join("mfaguard.toml"),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    for name in [
        "mfaguard-report.json",
        "mfaguard-report.sarif",
        "mfaguard-report.csv",
        "mfaguard-report.md",
        "mfaguard-report.txt",
    ] {
        let text = std::fs::read_to_string(out.join(name)).expect(name);
        assert!(!text.is_empty(), "{name}");
    }
    // A format that does not exist says which ones do.
    let output = run(&["--format", "pdf"], &demo().join("mfaguard.toml"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("text, json, sarif, csv, markdown"),
        "{stderr}"
    );
}
