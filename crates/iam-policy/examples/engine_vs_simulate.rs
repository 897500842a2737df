//! Our engine and @cloud-copilot/iam-simulate on the SAME requests, in one
//! run: evaluations per second of each and the ratio.
//!
//! ```text
//! cargo run --release -p iam-policy --example engine_vs_simulate -- \
//!     [--principals N] [--requests N] [--seed S] [--seconds S]
//! ```
//! The workload is `benches/common/workload.rs` (AWS managed policies,
//! Force_MFA, MFA boundaries and SCPs, mixed MFA contexts). Our side: one
//! thread, each principal's `PolicySet` built once, a warm-up, then
//! `decide()` (and `evaluate()`, which also collects the reasons) over all
//! requests repeatedly, timed with `Instant`. The simulator's
//! side runs in node (`scripts/iam-simulate/simulate.js --bench`): each
//! principal's policies validated once, a warm-up, then `runSimulation` in
//! Strict mode over the same requests for `--seconds`, timed with
//! `process.hrtime`. Our figures are the median of 7 alternating rounds
//! (decide, evaluate) that together last `--seconds` each.
//! `scripts/bench-engine.sh` runs this.

#[path = "differential/driver.rs"]
mod driver;
#[path = "../benches/common/workload.rs"]
mod workload;

use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use iam_policy::DecisionKind;
use serde_json::Value;

fn arg(name: &str, default: u64) -> Result<u64, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .ok_or(format!("{name} needs a value"))?
            .parse()
            .map_err(|e| format!("{name}: {e}")),
        None => Ok(default),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engine_vs_simulate: {e}");
            ExitCode::from(2)
        }
    }
}

/// Evaluations per second of `f` (which evaluates all `n` requests once)
/// over one round of at least `round`.
fn round_rate(n: usize, round: Duration, f: &mut impl FnMut() -> usize) -> f64 {
    let start = Instant::now();
    let mut evaluations = 0usize;
    while start.elapsed() < round {
        black_box(f());
        evaluations += n;
    }
    evaluations as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Times `decide` and `evaluate` (each evaluates all `n` requests once):
/// a warm-up of `secs / 3`, then `ROUNDS` alternating rounds of
/// `secs / ROUNDS` each; returns the median rate of each.
fn time_ours(
    n: usize,
    secs: u64,
    mut decide: impl FnMut() -> usize,
    mut evaluate: impl FnMut() -> usize,
) -> (f64, f64) {
    const ROUNDS: u32 = 7;
    let warm = Duration::from_secs(secs).div_f64(3.0);
    round_rate(n, warm / 2, &mut decide);
    round_rate(n, warm / 2, &mut evaluate);
    let round = Duration::from_secs(secs) / ROUNDS;
    let (mut d, mut e) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        d.push(round_rate(n, round, &mut decide));
        e.push(round_rate(n, round, &mut evaluate));
    }
    (median(d), median(e))
}

fn run() -> Result<(), String> {
    let principals = arg("--principals", 64)? as usize;
    let requests = arg("--requests", 4096)? as usize;
    let seed = arg("--seed", 7)?;
    let secs = arg("--seconds", 5)?;
    let node = driver::node().ok_or("node is not installed")?;
    driver::ensure_installed()?;

    let w = workload::build(seed, principals, requests)?;
    let reqs: Vec<_> = w
        .requests
        .iter()
        .map(|r| (r.principal, w.request(r)))
        .collect();
    let ours: Vec<DecisionKind> = reqs
        .iter()
        .map(|(p, r)| w.principals[*p].set.decide(r))
        .collect();
    let n = reqs.len();
    println!(
        "workload: {} principals ({} managed policies in the corpus), {} requests, seed {seed}",
        w.principals.len(),
        w.corpus_size,
        n
    );

    let (decide, evaluate) = time_ours(
        n,
        secs,
        || {
            reqs.iter()
                .filter(|(p, r)| w.principals[*p].set.decide(r) == DecisionKind::Allowed)
                .count()
        },
        || {
            reqs.iter()
                .map(|(p, r)| w.principals[*p].set.evaluate(r).reasons.len())
                .sum()
        },
    );

    let dir = std::env::temp_dir().join(format!("mfaguard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("workload.json");
    std::fs::write(&file, w.to_driver_json().to_string()).map_err(|e| e.to_string())?;
    let out = Command::new(&node)
        .arg(driver::driver_dir().join("simulate.js"))
        .arg("--bench")
        .arg(&file)
        .arg("--seconds")
        .arg(secs.to_string())
        .arg("--warmup-seconds")
        .arg(secs.div_ceil(3).to_string())
        .current_dir(driver::driver_dir())
        .output()
        .map_err(|e| format!("running node: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(format!(
            "the driver failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let sim: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("driver output: {e}"))?;
    let theirs = sim["per_second"].as_f64().ok_or("no per_second")?;

    // Sanity: both evaluated the same requests.
    let decisions = sim["decisions"].as_array().ok_or("no decisions")?;
    let agree = ours
        .iter()
        .zip(decisions)
        .filter(|(o, t)| {
            let o = match o {
                DecisionKind::Allowed => "Allowed",
                DecisionKind::ImplicitDeny => "ImplicitlyDenied",
                DecisionKind::ExplicitDeny => "ExplicitlyDenied",
            };
            t.as_str() == Some(o)
        })
        .count();
    let mut counts = [0usize; 3];
    for d in &ours {
        counts[*d as usize] += 1;
    }

    println!(
        "decisions (ours): {} allowed, {} implicit deny, {} explicit deny; iam-simulate agrees on {agree}/{n}; its results {}",
        counts[0], counts[1], counts[2], sim["results"]
    );
    println!("our engine, decide():       {decide:>14.0} evaluations/s (1 thread)");
    println!("our engine, evaluate():     {evaluate:>14.0} evaluations/s (1 thread, with reasons)");
    println!(
        "iam-simulate runSimulation: {theirs:>14.0} evaluations/s (node {}, Strict mode)",
        sim["node"].as_str().unwrap_or("?")
    );
    let unsafe_rate = sim["unsafe_per_second"].as_f64().unwrap_or(f64::NAN);
    println!(
        "iam-simulate runUnsafeSimulation (no validation, for reference): {unsafe_rate:.0} evaluations/s, agrees with runSimulation on {}/{n}",
        sim["unsafe_agrees"]
    );
    println!(
        "ratio per request: decide() {:.0}x, evaluate() {:.0}x (vs runUnsafeSimulation: {:.0}x, {:.0}x)",
        decide / theirs,
        evaluate / theirs,
        decide / unsafe_rate,
        evaluate / unsafe_rate
    );
    Ok(())
}
