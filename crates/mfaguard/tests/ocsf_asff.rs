//! OCSF and ASFF on the demo account: golden files, each validated by an
//! independent implementation (py-ocsf-models for OCSF, botocore's Security
//! Hub model for ASFF), ids stable across scans, undecided results never
//! reported as passing, and every framework id in SARIF, OCSF and ASFF.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[path = "support/golden.rs"]
mod golden;

use golden::check_golden;

const NOW: &str = "2026-11-22T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> PathBuf {
    repo().join("examples/demo-account")
}

fn scan_dir(dir: &Path, config: &Path, now: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["scan", "--from"])
        .arg(dir)
        .arg("--config")
        .arg(config)
        .args(["--now", now, "--security-hub-region", "us-east-1"])
        .args(args)
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}

fn demo_in(format: &str, now: &str) -> Value {
    let output = scan_dir(
        &demo(),
        &demo().join("mfaguard.toml"),
        now,
        &["--format", format],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// A Python of `.tools/` that has `module`; under CI a missing tool fails.
fn python_with(venv: &str, module: &str) -> Option<PathBuf> {
    let python = repo().join(".tools").join(venv).join("bin/python");
    let found = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|status| status.success());
    if found {
        return Some(python);
    }
    if std::env::var_os("CI").is_some()
        || std::env::var("MFAGUARD_REQUIRE_TOOLS").as_deref() == Ok("1")
    {
        panic!("{module} is not installed in .tools/{venv}: run scripts/install-test-tools.sh");
    }
    eprintln!("skipping: {module} not installed (run scripts/install-test-tools.sh)");
    None
}

/// Runs a validator script on `document`; its problems, one per line.
fn validate(python: &Path, script: &str, document: &Value) -> String {
    let mut child = Command::new(python)
        .arg(repo().join("scripts").join(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the validator");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(document.to_string().as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("validator");
    let problems = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(
        output.status.code() == Some(0),
        problems.is_empty(),
        "{problems}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    problems
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON");
    text.push('\n');
    text
}

#[test]
fn demo_renders_as_the_ocsf_and_asff_golden_files() {
    // `--now` fixes every time in the output.
    check_golden("demo.ocsf.json", &pretty(&demo_in("ocsf", NOW)));
    check_golden("demo.asff.json", &pretty(&demo_in("asff", NOW)));
}

#[test]
fn ocsf_is_valid_against_the_published_schema() {
    let events = demo_in("ocsf", NOW);
    let events = events.as_array().expect("events");
    assert!(!events.is_empty());
    for event in events {
        let errors =
            golden::schema_errors("ocsf-1.5.0-compliance_finding-cloud.schema.json", event);
        assert!(
            errors.is_empty(),
            "{} does not validate: {errors:#?}",
            event["finding_info"]["uid"]
        );
    }
    // The schema refuses what OCSF does not define.
    let mut misspelt = events[0].clone();
    misspelt["finding_info"]["titel"] = Value::from("x");
    assert!(
        !golden::schema_errors("ocsf-1.5.0-compliance_finding-cloud.schema.json", &misspelt)
            .is_empty()
    );
}

#[test]
fn ocsf_is_valid_for_py_ocsf_models() {
    let events = demo_in("ocsf", NOW);
    let report = demo_in("json", NOW);
    let results = report["results"].as_array().expect("results");
    let events = events.as_array().expect("events");
    assert_eq!(events.len(), results.len(), "one event per result");
    for (event, result) in events.iter().zip(results) {
        assert_eq!(event["class_uid"], 2003);
        assert_eq!(event["metadata"]["version"], "1.5.0");
        assert_eq!(event["resources"][0]["uid"], result["resource_arn"]);
        assert_eq!(event["cloud"]["account"]["uid"], result["account_id"]);
        assert_eq!(event["cloud"]["provider"], "AWS");
        assert_eq!(
            event["finding_info"]["title"].as_str().map(str::is_empty),
            Some(false)
        );
        assert!(event["remediation"]["desc"].is_string());
        let expected = match result["status"].as_str() {
            Some("pass") => "Pass",
            Some("fail" | "excepted") => "Fail",
            Some("unknown") => "Unknown",
            _ => "Not Applicable",
        };
        assert_eq!(event["compliance"]["status"], expected, "{result}");
    }
    let Some(python) = python_with("ocsf", "py_ocsf_models") else {
        return;
    };
    let problems = validate(&python, "validate_ocsf.py", &Value::Array(events.clone()));
    assert!(problems.is_empty(), "{problems}");
    // The validator catches a wrong document.
    let mut wrong_type = events[0].clone();
    wrong_type["severity_id"] = Value::from("high");
    let mut misspelt = events[1].clone();
    misspelt["finding_info"]["titel"] = Value::from("x");
    let problems = validate(
        &python,
        "validate_ocsf.py",
        &Value::Array(vec![wrong_type, misspelt]),
    );
    assert!(
        problems.contains("severity_id") && problems.contains("titel"),
        "{problems}"
    );
}

#[test]
fn asff_is_valid_for_the_security_hub_model() {
    let findings = demo_in("asff", NOW);
    let list = findings.as_array().expect("findings");
    for finding in list {
        let account = finding["AwsAccountId"].as_str().expect("account");
        assert_eq!(
            finding["ProductArn"],
            format!("arn:aws:securityhub:us-east-1:{account}:product/{account}/default")
        );
        let kind = finding["Resources"][0]["Type"].as_str().expect("type");
        assert!(
            [
                "AwsIamUser",
                "AwsIamRole",
                "AwsAccount",
                "AwsIamGroup",
                "AwsIamPolicy"
            ]
            .contains(&kind),
            "{kind}"
        );
        if kind == "AwsIamUser" {
            assert!(finding["Resources"][0]["Details"]["AwsIamUser"]["UserName"].is_string());
        }
    }
    assert!(list.len() > 100, "the demo fills more than one batch");
    let Some(python) = python_with("venv", "botocore") else {
        return;
    };
    let problems = validate(&python, "validate_asff.py", &findings);
    assert!(problems.is_empty(), "{problems}");
    let mut broken = list[0].clone();
    broken["Compliance"]["Status"] = Value::from("OK");
    broken.as_object_mut().expect("object").remove("Title");
    let problems = validate(&python, "validate_asff.py", &Value::Array(vec![broken]));
    assert!(
        problems.contains("Title") && problems.contains("'OK'"),
        "{problems}"
    );
}

#[test]
fn ids_are_stable_across_scans_and_unique() {
    for (format, id) in [("ocsf", "/finding_info/uid"), ("asff", "/Id")] {
        let ids = |now: &str| -> Vec<String> {
            demo_in(format, now)
                .as_array()
                .expect("list")
                .iter()
                .map(|item| {
                    item.pointer(id)
                        .and_then(Value::as_str)
                        .expect("id")
                        .to_string()
                })
                .collect()
        };
        let first = ids(NOW);
        assert_eq!(first, ids("2026-12-01T00:00:00Z"), "{format}");
        let mut unique = first.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), first.len(), "{format} ids are unique");
    }
}

#[test]
fn undecided_results_are_never_reported_as_passing() {
    // Without the authorization details, enforcement cannot be decided.
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(demo()).expect("demo") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        if name.ends_with(".json") && name != "account-authorization-details.json" {
            std::fs::copy(&path, dir.path().join(&name)).expect("copy");
        }
    }
    let config = demo().join("mfaguard.toml");
    let run = |format: &str| -> Value {
        let output = scan_dir(dir.path(), &config, NOW, &["--format", format]);
        assert_eq!(output.status.code(), Some(0));
        serde_json::from_slice(&output.stdout).expect("JSON")
    };
    let report = run("json");
    let unknown: Vec<String> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "unknown")
        .map(|r| {
            format!(
                "mfaguard/{}/{}/{}",
                r["check_id"].as_str().unwrap_or_default(),
                r["account_id"].as_str().unwrap_or_default(),
                r["resource_arn"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert!(!unknown.is_empty());
    for event in run("ocsf").as_array().expect("events") {
        if unknown
            .iter()
            .any(|id| event["finding_info"]["uid"] == id.as_str())
        {
            assert_eq!(event["compliance"]["status_id"], 0, "{event}");
            assert_eq!(event["status"], "New");
        }
    }
    for finding in run("asff").as_array().expect("findings") {
        if unknown.iter().any(|id| finding["Id"] == id.as_str()) {
            assert_eq!(finding["Compliance"]["Status"], "WARNING", "{finding}");
            assert_eq!(finding["Workflow"]["Status"], "NEW");
        }
    }
}

#[test]
fn every_framework_id_is_carried_by_sarif_ocsf_and_asff() {
    let sarif = demo_in("sarif", NOW);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let console = rules
        .iter()
        .find(|r| r["id"] == "iam.console_user_mfa")
        .expect("rule");
    let tags: Vec<&str> = console["properties"]["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let expected = [
        "cis-aws-1.2/1.2",
        "cis-aws-1.3/1.10",
        "cis-aws-1.4/1.10",
        "cis-aws-1.5/1.10",
        "cis-aws-2.0/1.10",
        "cis-aws-3.0/1.10",
        "cis-aws-4.0/1.10",
        "cis-aws-5.0/1.9",
        "cis-aws-6.0/2.9",
        "cis-aws-7.0/2.10",
        "aws-fsbp/IAM.5",
        "nist-800-53-r5/IA-2(1)",
        "nist-800-53-r5/IA-2(2)",
        "pci-dss-4.0/8.4.2",
    ];
    for id in expected {
        assert!(tags.contains(&id), "{id} not in {tags:?}");
    }
    assert_eq!(console["properties"]["cis_v5"], "1.9");
    assert_eq!(console["properties"]["fsbp"], "IAM.5");
    let event = demo_in("ocsf", NOW)
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["metadata"]["event_code"] == "iam.console_user_mfa")
        .cloned()
        .expect("event");
    let finding = demo_in("asff", NOW)
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["GeneratorId"] == "mfaguard/iam.console_user_mfa")
        .cloned()
        .expect("finding");
    for id in expected {
        assert!(
            event["compliance"]["requirements"]
                .as_array()
                .expect("requirements")
                .iter()
                .any(|r| r == id),
            "{id} not in OCSF"
        );
        assert!(
            finding["Compliance"]["RelatedRequirements"]
                .as_array()
                .expect("requirements")
                .iter()
                .any(|r| r == id),
            "{id} not in ASFF"
        );
    }
}

#[test]
fn ocsf_and_asff_into_one_folder_equal_the_single_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("reports");
    let output = scan_dir(
        &demo(),
        &demo().join("mfaguard.toml"),
        NOW,
        &[
            "--output-dir",
            out.to_str().expect("path"),
            "--formats",
            "ocsf,asff",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (name, format) in [
        ("mfaguard-report.ocsf.json", "ocsf"),
        ("mfaguard-report.asff.json", "asff"),
    ] {
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(name)).expect(name))
                .expect("JSON");
        assert_eq!(written, demo_in(format, NOW), "{name}");
    }
}
