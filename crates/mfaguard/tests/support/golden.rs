//! Golden files and published schemas shared by the report tests.
//!
//! Regenerate the golden files after an intended change with
//! `MFAGUARD_UPDATE_GOLDEN=1 cargo test -p mfaguard`, and review the diff.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;

/// Compares `actual` with `tests/golden/NAME`, naming the first line that
/// differs; rewrites the file when MFAGUARD_UPDATE_GOLDEN is set.
pub fn check_golden(name: &str, actual: &str) {
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

/// The errors of `log` against the vendored OASIS SARIF 2.1.0 schema.
pub fn sarif_schema_errors(log: &Value) -> Vec<String> {
    schema_errors("sarif-schema-2.1.0.json", log)
}

/// The errors of `document` against the vendored schema `name` (in
/// tests/schemas).
pub fn schema_errors(name: &str, document: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/schemas")
                .join(name),
        )
        .expect("vendored schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator
        .iter_errors(document)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect()
}
