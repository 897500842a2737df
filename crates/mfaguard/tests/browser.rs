//! The HTML report and the dashboard in a real browser: renders the
//! pages, starts `mfaguard serve`, and runs `tests/browser/test_pages.py`
//! (Playwright driving Debian's Chromium, both installed by
//! scripts/install-test-tools.sh). Screenshots and a PDF are written to
//! `target/tmp/browser/`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/dashboard.rs"]
mod dashboard;
#[path = "support/hostile.rs"]
mod hostile;

const BIN: &str = env!("CARGO_BIN_EXE_mfaguard");
const NOW: &str = "2026-11-22T12:00:00Z";
const TOKEN: &str = "browser-test-token-0123456789";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Playwright's Python and Chromium, or `None` (the test is skipped) when
/// they are not installed and the run does not require them.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let python = repo().join(".tools/browser/bin/python");
    let chromium = PathBuf::from(
        std::env::var_os("MFAGUARD_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    if python.exists() && chromium.exists() {
        return Some((python, chromium));
    }
    if std::env::var_os("CI").is_some()
        || std::env::var("MFAGUARD_REQUIRE_TOOLS").as_deref() == Ok("1")
    {
        panic!("Playwright or Chromium is not installed: run scripts/install-test-tools.sh");
    }
    eprintln!("skipping the browser tests: Playwright or Chromium not installed (run scripts/install-test-tools.sh)");
    None
}

fn html_report(args: &[&str], out: &Path) {
    let output = Command::new(BIN)
        .arg("scan")
        .args(args)
        .args(["--now", NOW, "--no-store", "--format", "html", "--output"])
        .arg(out)
        .output()
        .expect("run mfaguard");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn report_and_dashboard_in_chromium() {
    let Some((python, chromium)) = tools() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = repo().join("examples/demo-account");
    let demo_html = dir.path().join("demo.html");
    html_report(
        &[
            "--from",
            demo.to_str().expect("path"),
            "--config",
            demo.join("mfaguard.toml").to_str().expect("path"),
        ],
        &demo_html,
    );
    let hostile_html = dir.path().join("hostile.html");
    let snapshot = hostile::hostile_snapshot(BIN, dir.path());
    html_report(
        &["--snapshot", snapshot.to_str().expect("path")],
        &hostile_html,
    );

    let store = dir.path().join("history.sqlite");
    dashboard::record_two_scans(BIN, &store, dir.path());
    let open = dashboard::serve(BIN, &store, &["--listen", "127.0.0.1:0"]);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, TOKEN).expect("write token");
    let guarded = dashboard::serve(
        BIN,
        &store,
        &[
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            token_file.to_str().expect("path"),
        ],
    );

    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    let output = Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/test_pages.py"))
        .env("MFAGUARD_DEMO_HTML", &demo_html)
        .env("MFAGUARD_HOSTILE_HTML", &hostile_html)
        .env("MFAGUARD_SERVE_URL", &open.base)
        .env("MFAGUARD_TOKEN_URL", &guarded.base)
        .env("MFAGUARD_TOKEN", TOKEN)
        .env("MFAGUARD_ARTIFACTS", &artifacts)
        .env("MFAGUARD_CHROMIUM", &chromium)
        .output()
        .expect("run pytest");
    assert!(
        output.status.success(),
        "browser tests failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(artifacts.join("report.png").exists());
}
