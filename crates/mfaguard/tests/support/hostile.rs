//! A snapshot of the demo account whose user names, tag values and policy
//! Sids hold markup, for the tests that every value stays text.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What the hostile snapshot puts in names, tag values and policy Sids.
pub const PAYLOADS: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "</style><b>x</b>",
];

/// Replaces, in every string of `value`, `from` by `to`.
fn replace_everywhere(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(text) if text.contains(from) => *text = text.replace(from, to),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_everywhere(item, from, to)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| replace_everywhere(item, from, to)),
        _ => {}
    }
}

/// Sets every tag value and every policy `Sid` to `payload`.
fn poison_tags_and_sids(value: &mut Value, payload: &str) {
    match value {
        Value::Object(map) => {
            if map.contains_key("Sid") {
                map.insert("Sid".to_string(), Value::String(payload.to_string()));
            }
            if map.contains_key("Key") && map.contains_key("Value") {
                map.insert("Value".to_string(), Value::String(payload.to_string()));
            }
            map.values_mut()
                .for_each(|item| poison_tags_and_sids(item, payload));
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| poison_tags_and_sids(item, payload)),
        _ => {}
    }
}

/// The demo account with user names, tag values and policy Sids holding
/// markup; written to `dir`, its path returned.
pub fn hostile_snapshot(mfaguard: &str, dir: &Path) -> PathBuf {
    let plain = dir.join("demo-snapshot.json");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account");
    let output = Command::new(mfaguard)
        .args(["scan", "--from"])
        .arg(&demo)
        .args([
            "--now",
            "2026-11-22T12:00:00Z",
            "--no-store",
            "--format",
            "json",
            "--save-snapshot",
        ])
        .arg(&plain)
        .output()
        .expect("run mfaguard");
    assert!(
        output.status.code() == Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&plain).expect("snapshot")).expect("JSON");
    replace_everywhere(&mut snapshot, "quinn", &format!("q{}", PAYLOADS[0]));
    replace_everywhere(&mut snapshot, "carol", &format!("c{}", PAYLOADS[1]));
    replace_everywhere(&mut snapshot, "dave", &format!("d{}", PAYLOADS[2]));
    poison_tags_and_sids(&mut snapshot, PAYLOADS[1]);
    let hostile = dir.join("hostile-snapshot.json");
    std::fs::write(&hostile, serde_json::to_string(&snapshot).expect("JSON")).expect("write");
    hostile
}
