//! Starts `mfaguard serve` on a free port and stops it with the test.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Served {
    child: Child,
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `mfaguard serve --store STORE ARGS...` and waits for its address.
pub fn serve(mfaguard: &str, store: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Served {
    let mut child = Command::new(mfaguard)
        .arg("serve")
        .arg("--store")
        .arg(store)
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start mfaguard serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut line = String::new();
    BufReader::new(stderr)
        .read_line(&mut line)
        .expect("read the address");
    let base = line
        .trim()
        .strip_prefix("mfaguard dashboard on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .trim_end_matches('/')
        .to_string();
    Served { child, base }
}

/// Records the demo account at two times into `store` (a SQLite path or a
/// PostgreSQL URL), writing the JSON reports into `scratch`.
pub fn record_two_scans(mfaguard: &str, store: impl AsRef<std::ffi::OsStr>, scratch: &Path) {
    let store = store.as_ref();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account");
    for now in ["2026-11-20T12:00:00Z", "2026-11-22T12:00:00Z"] {
        let output = Command::new(mfaguard)
            .args(["scan", "--from"])
            .arg(&demo)
            .arg("--config")
            .arg(demo.join("mfaguard.toml"))
            .args(["--now", now, "--format", "json", "--output"])
            .arg(scratch.join("report.json"))
            .arg("--store")
            .arg(store)
            .output()
            .expect("run mfaguard");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
