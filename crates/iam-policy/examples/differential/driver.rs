//! Runs the Node driver `scripts/iam-simulate/simulate.js` (which calls
//! @cloud-copilot/iam-simulate as a separate program) on JSON-lines cases.
//!
//! Shared (through `#[path]`) by the differential example and test and by
//! the engine-vs-simulator benchmark example.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// `scripts/iam-simulate` of this repository.
pub fn driver_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("scripts")
        .join("iam-simulate")
}

/// The node executable (`$NODE` or `node`), if it runs.
pub fn node() -> Option<String> {
    let exe = std::env::var("NODE").unwrap_or_else(|_| "node".to_string());
    let ok = Command::new(&exe)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    ok.then_some(exe)
}

/// Makes sure `node_modules` is installed (running `npm ci` when it is
/// not).
pub fn ensure_installed() -> Result<(), String> {
    let dir = driver_dir();
    if dir
        .join("node_modules")
        .join("@cloud-copilot")
        .join("iam-simulate")
        .join("package.json")
        .exists()
    {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .map_err(|e| format!("cannot run npm ci in {}: {e}", dir.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "npm ci in {} failed ({status}); run scripts/install-test-tools.sh",
            dir.display()
        ))
    }
}

/// The simulator's answer for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimOutcome {
    /// `Allowed`, `ExplicitlyDenied` or `ImplicitlyDenied`.
    Decision(String),
    /// The simulator refused the input.
    Error(String),
}

/// Runs the driver on the cases (one JSON object each) and returns one
/// outcome per case, in order.
pub fn simulate(node: &str, cases: &[Value]) -> Result<Vec<SimOutcome>, String> {
    let script = driver_dir().join("simulate.js");
    let mut child = Command::new(node)
        .arg(&script)
        .current_dir(driver_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {node} {}: {e}", script.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let writer = std::thread::spawn(move || {
        let r = stdin.write_all(input.as_bytes());
        drop(stdin);
        r
    });
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut out = Vec::with_capacity(cases.len());
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the driver's output: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_str(&line).map_err(|e| format!("bad driver output {line:?}: {e}"))?;
        out.push(match (v.get("result"), v.get("error")) {
            (Some(Value::String(r)), _) => SimOutcome::Decision(r.clone()),
            (_, Some(e)) => SimOutcome::Error(e.as_str().unwrap_or("?").to_string()),
            _ => SimOutcome::Error(format!("unexpected driver output {line}")),
        });
    }
    writer
        .join()
        .map_err(|_| "writer thread panicked".to_string())?
        .map_err(|e| format!("writing to the driver: {e}"))?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the driver exited with {status}"));
    }
    if out.len() != cases.len() {
        return Err(format!(
            "the driver answered {} of {} cases",
            out.len(),
            cases.len()
        ));
    }
    Ok(out)
}
