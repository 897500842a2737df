//! `mfaguard lint` on the corpus of examples/lint-corpus: every MFA pitfall
//! found at its line and column, nothing on the correct files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mfaguard_core::lint;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lint-corpus")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            files(&entry, out);
        } else if matches!(
            entry.extension().and_then(|e| e.to_str()),
            Some("json" | "yaml" | "tf")
        ) {
            out.push(entry);
        }
    }
}

#[test]
fn corpus_findings_are_exactly_the_expected_ones() {
    let expected: BTreeMap<String, Vec<(String, usize, usize)>> = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint-corpus-expected.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let root = corpus();
    let mut paths = Vec::new();
    files(&root, &mut paths);
    let mut found = BTreeMap::new();
    for path in &paths {
        let result = lint::lint_file(path).unwrap_or_else(|err| panic!("{err}"));
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for finding in &result.findings {
            assert!(!finding.fix.is_empty());
            assert!(finding.message.len() > 20, "{}", finding.message);
        }
        found.insert(
            relative,
            result
                .findings
                .iter()
                .map(|f| (f.rule.to_string(), f.line, f.column))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(found, expected);
    // No finding on any file named correct-*.
    for (file, findings) in &found {
        if file.contains("correct")
            || file.contains("trust-with-mfa")
            || file.contains("trust-service")
        {
            assert!(findings.is_empty(), "{file}: {findings:?}");
        }
    }
}

#[test]
fn corrected_statements_keep_intrinsics_and_external_id() {
    let result = lint::lint_file(&corpus().join("cloudformation/pitfalls.yaml")).unwrap();
    let vendor = result
        .findings
        .iter()
        .find(|f| f.resource == "Resources.VendorRole")
        .unwrap();
    let corrected = vendor.corrected.as_ref().unwrap();
    assert_eq!(
        corrected["Condition"]["StringEquals"]["sts:ExternalId"],
        "vendor-42"
    );
    assert_eq!(
        corrected["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
        "true"
    );
    assert!(corrected["Principal"]["AWS"].get("Fn::Join").is_some());
}

#[test]
fn sarif_has_rules_and_locations() {
    let result = lint::lint_file(&corpus().join("policy/pitfall-deny-bool.json")).unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&lint::render_sarif(&[result])).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "iam.mfa_condition_pitfall"));
    let location = &run["results"][0]["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("pitfall-deny-bool.json"));
    assert_eq!(location["region"]["startLine"], 9);
    assert_eq!(run["results"][0]["level"], "error");
    assert!(run["results"][0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("BoolIfExists"));
}

#[test]
fn bad_input_names_the_file_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("broken.yaml");
    std::fs::write(&yaml, "Resources:\n  A: [1, 2\n  B: c\n").unwrap();
    let error = lint::lint_file(&yaml).unwrap_err().to_string();
    assert!(
        error.contains("broken.yaml") && error.contains("line "),
        "{error}"
    );
    let json = dir.path().join("broken.json");
    std::fs::write(&json, "{\"Statement\": [\n  {\"Effect\": }\n]}").unwrap();
    let error = lint::lint_file(&json).unwrap_err().to_string();
    assert!(
        error.contains("broken.json") && error.contains("line 2"),
        "{error}"
    );
    let hcl = dir.path().join("main.tf");
    std::fs::write(&hcl, "resource \"aws_iam_policy\" \"p\" {\n  name = \n}\n").unwrap();
    let error = lint::lint_file(&hcl).unwrap_err().to_string();
    assert!(
        error.contains("main.tf") && error.contains("line 2"),
        "{error}"
    );
    // A policy that needs Terraform to evaluate is reported, not passed.
    let referenced = dir.path().join("referenced.tf");
    std::fs::write(
        &referenced,
        "resource \"aws_iam_policy\" \"p\" {\n  name = \"p\"\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = aws_s3_bucket.b.arn }]\n  })\n}\n",
    )
    .unwrap();
    let result = lint::lint_file(&referenced).unwrap();
    assert_eq!(result.findings.len(), 1);
    assert_eq!(result.findings[0].rule, "lint.unreadable_policy");
    assert_eq!((result.findings[0].line, result.findings[0].column), (3, 3));
    // A policy the engine cannot read is reported, never passed.
    let unreadable = dir.path().join("unknown-operator.json");
    std::fs::write(
        &unreadable,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"BoolIfExist": {"aws:MultiFactorAuthPresent": "true"}}}]}"#,
    )
    .unwrap();
    let result = lint::lint_file(&unreadable).unwrap();
    assert_eq!(result.findings[0].rule, "lint.unreadable_policy");
}
