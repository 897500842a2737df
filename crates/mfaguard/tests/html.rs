//! The HTML report: golden file on the demo account, values from the inputs
//! that stay text (a hostile snapshot), trends from a two-scan history,
//! self-containment (no URL the page would fetch).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

#[path = "support/golden.rs"]
mod golden;

use golden::check_golden;

#[path = "support/hostile.rs"]
mod hostile;

use hostile::{hostile_snapshot, PAYLOADS};

const NOW: &str = "2026-11-22T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> PathBuf {
    repo().join("examples/demo-account")
}

fn mfaguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}

fn ok(output: Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 report")
}

fn demo_html() -> String {
    let demo = demo();
    let config = demo.join("mfaguard.toml");
    ok(mfaguard(&[
        "scan",
        "--from",
        demo.to_str().expect("path"),
        "--config",
        config.to_str().expect("path"),
        "--now",
        NOW,
        "--format",
        "html",
    ]))
    .replace(&demo.display().to_string(), "examples/demo-account")
}

/// Every `src=` / `href=` of the page: none may point outside it.
fn external_references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\"", "url("] {
        for (index, _) in html.match_indices(attribute) {
            let value: String = html[index + attribute.len()..]
                .chars()
                .take_while(|c| *c != '"' && *c != ')')
                .collect();
            if !value.starts_with('#') {
                found.push(value);
            }
        }
    }
    found
}

#[test]
fn demo_renders_as_the_golden_file() {
    let html = demo_html();
    check_golden("demo.html", &html);
}

#[test]
fn demo_report_is_self_contained_and_shows_the_report_figures() {
    let html = demo_html();
    assert!(
        external_references(&html).is_empty(),
        "{:?}",
        external_references(&html)
    );
    assert!(html.contains("<style>") && html.contains("<script>"));
    let json: Value = serde_json::from_str(&ok(mfaguard(&[
        "scan",
        "--from",
        demo().to_str().expect("path"),
        "--config",
        demo().join("mfaguard.toml").to_str().expect("path"),
        "--now",
        NOW,
        "--format",
        "json",
    ])))
    .expect("JSON report");
    // The same figures as the JSON report: posture, coverage per tier.
    let posture = json["score"]["posture"].as_f64().expect("posture");
    assert!(
        html.contains(&format!("{posture:.1}/100")),
        "posture {posture}"
    );
    for (tier, coverage) in json["kpis"]["console_users_with_mfa_by_tier"]
        .as_object()
        .expect("tiers")
    {
        let cell = format!(
            "<td>{tier}</td><td>{}/{}",
            coverage["covered"],
            coverage["total"].as_u64().unwrap_or(0) - coverage["unknown"].as_u64().unwrap_or(0)
        );
        assert!(html.contains(&cell), "{cell}");
    }
    // One row per result, one section per identity, every exception.
    let results = json["results"].as_array().expect("results").len();
    assert_eq!(html.matches("<tr data-status=").count(), results);
    let identities = json["identities"].as_array().expect("identities").len();
    assert_eq!(
        html.matches("<section class=\"identity\"").count(),
        identities
    );
    assert!(html.contains("eng-onboarding@example.com"));
    assert!(html.contains("No earlier scans in the history"));
    // Readable without script: the filter form is hidden until the script
    // shows it, and the rows are all there.
    assert!(html.contains("<form class=\"filters\" data-table=\"findings-table\" hidden"));
}

#[test]
fn markup_in_names_tags_and_sids_shows_as_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = hostile_snapshot(env!("CARGO_BIN_EXE_mfaguard"), dir.path());
    let html = ok(mfaguard(&[
        "scan",
        "--snapshot",
        snapshot.to_str().expect("path"),
        "--now",
        NOW,
        "--format",
        "html",
    ]));
    // The payloads are in the page, as text.
    assert!(html.contains("q&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("&lt;/style&gt;&lt;b&gt;x&lt;/b&gt;"));
    // Never as markup: one script element and one style element (ours).
    for payload in PAYLOADS {
        assert!(!html.contains(payload), "{payload} appears unescaped");
    }
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(html.matches("</style>").count(), 1);
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>"));
}

#[test]
fn trends_appear_once_the_history_has_scans() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("history.sqlite");
    let demo = demo();
    let config = demo.join("mfaguard.toml");
    let scan = |now: &str| {
        Command::new(env!("CARGO_BIN_EXE_mfaguard"))
            .args(["scan", "--from"])
            .arg(&demo)
            .arg("--config")
            .arg(&config)
            .args(["--now", now, "--format", "html", "--store"])
            .arg(&store)
            .output()
            .expect("run mfaguard")
    };
    ok(scan("2026-11-20T12:00:00Z"));
    ok(scan("2026-11-21T12:00:00Z"));
    let html = ok(scan(NOW));
    assert!(
        html.contains("Over 3 scans of account 111122223333, this one last."),
        "trend caption"
    );
    assert!(html.contains("<svg class=\"chart\""));
    assert!(html.contains("<polyline"));
    assert!(html.contains("Console users with MFA, per tier (%)"));
    assert!(html.contains("No finding has been remediated in the recorded scans yet."));
}

#[test]
fn output_dir_writes_the_same_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = demo();
    let config = demo.join("mfaguard.toml");
    ok(mfaguard(&[
        "scan",
        "--from",
        demo.to_str().expect("path"),
        "--config",
        config.to_str().expect("path"),
        "--now",
        NOW,
        "--output-dir",
        dir.path().to_str().expect("path"),
        "--formats",
        "html,json",
    ]));
    let written = std::fs::read_to_string(dir.path().join("mfaguard-report.html"))
        .expect("mfaguard-report.html")
        .replace(&demo.display().to_string(), "examples/demo-account");
    assert_eq!(written, demo_html());
}
