//! Differential test of our engine against @cloud-copilot/iam-simulate
//! (Strict mode), which runs as a separate program through
//! `scripts/iam-simulate/simulate.js`.
//!
//! ```text
//! cargo run --release -p iam-policy --example differential -- \
//!     [--cases N] [--seed S] [--json FILE] [--show N] [--case ID]
//! ```
//! Generates N seeded random cases, evaluates each with our engine and with
//! the simulator, prints the agreement rate and every disagreement grouped
//! by class (see `classes.rs` and `docs/engine-differential.md`), and
//! optionally writes the disagreements as JSON. `--case ID` prints one case
//! (as sent to the driver) with both decisions. Exits 1 when a disagreement
//! is unclassified. `scripts/differential.sh` installs the driver and runs
//! this.

mod classes;
mod driver;
mod gen;

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::{json, Value};

use crate::driver::SimOutcome;

struct Args {
    cases: u64,
    seed: u64,
    json: Option<String>,
    show: usize,
    case: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        cases: 20_000,
        seed: 1,
        json: None,
        show: 3,
        case: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--cases" => a.cases = val()?.parse().map_err(|e| format!("--cases: {e}"))?,
            "--seed" => a.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--json" => a.json = Some(val()?),
            "--show" => a.show = val()?.parse().map_err(|e| format!("--show: {e}"))?,
            "--case" => a.case = Some(val()?.parse().map_err(|e| format!("--case: {e}"))?),
            "-h" | "--help" => {
                println!("usage: differential [--cases N] [--seed S] [--json FILE] [--show N] [--case ID]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("differential: {e}");
            ExitCode::from(2)
        }
    }
}

/// A short description of what a case contains, for grouping.
fn signature(case: &gen::Case) -> String {
    let mut tags = vec![case.action.clone()];
    if case.boundary.is_some() {
        tags.push("boundary".into());
    }
    if !case.scps.is_empty() {
        tags.push(format!("scp×{}", case.scps.len()));
    }
    if case.resource_policy.is_some() {
        tags.push(format!("trust:{:?}", case.mode));
        if case.principal.contains(gen::OTHER_ACCOUNT) {
            tags.push("cross-account".into());
        }
    }
    tags.join(" ")
}

fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let node = driver::node().ok_or("node is not installed (needed to run iam-simulate)")?;
    driver::ensure_installed()?;

    if let Some(id) = args.case {
        let case = gen::generate(args.seed, id);
        let sim = driver::simulate(&node, &[case.to_json()])?;
        println!(
            "{}",
            serde_json::to_string_pretty(&case.to_json()).unwrap_or_default()
        );
        println!("ours:   {:?}", case.evaluate());
        println!("theirs: {:?}", sim.first());
        return Ok(true);
    }

    let started = std::time::Instant::now();
    let cases: Vec<gen::Case> = (0..args.cases)
        .map(|i| gen::generate(args.seed, i))
        .collect();
    let ours: Vec<Result<iam_policy::DecisionKind, String>> =
        cases.iter().map(gen::Case::evaluate).collect();
    let inputs: Vec<Value> = cases.iter().map(gen::Case::to_json).collect();
    let theirs = driver::simulate(&node, &inputs)?;

    let mut agree = 0usize;
    let mut compared = 0usize;
    let mut sim_errors: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut our_errors: Vec<(u64, String)> = Vec::new();
    let mut by_outcome: BTreeMap<String, usize> = BTreeMap::new();
    // class id (or "UNCLASSIFIED") -> signature -> case ids
    let mut groups: BTreeMap<String, BTreeMap<String, Vec<u64>>> = BTreeMap::new();
    let mut records = Vec::new();
    let mut unclassified = 0usize;

    for ((case, ours), theirs) in cases.iter().zip(&ours).zip(&theirs) {
        let ours = match ours {
            Ok(k) => *k,
            Err(e) => {
                our_errors.push((case.id, e.clone()));
                continue;
            }
        };
        let theirs = match theirs {
            SimOutcome::Decision(d) => d,
            SimOutcome::Error(e) => {
                let key = e.chars().take(160).collect::<String>();
                sim_errors.entry(key).or_default().push(case.id);
                continue;
            }
        };
        compared += 1;
        *by_outcome
            .entry(gen::sim_name(ours).to_string())
            .or_default() += 1;
        if gen::sim_name(ours) == theirs {
            agree += 1;
            continue;
        }
        let class = classes::classify(case, ours, theirs);
        let class_id = classes::label(&class);
        if class.is_empty() {
            unclassified += 1;
        }
        let sig = format!(
            "ours {} / theirs {theirs}: {}",
            gen::sim_name(ours),
            signature(case)
        );
        groups
            .entry(class_id.to_string())
            .or_default()
            .entry(sig)
            .or_default()
            .push(case.id);
        records.push(json!({
            "id": case.id,
            "class": class_id,
            "ours": gen::sim_name(ours),
            "theirs": theirs,
            "case": case.to_json(),
        }));
    }

    println!(
        "differential: seed {}, {} cases, {:.1}s",
        args.seed,
        args.cases,
        started.elapsed().as_secs_f64()
    );
    println!(
        "compared {compared} (simulator refused {}, our engine refused {})",
        sim_errors.values().map(Vec::len).sum::<usize>(),
        our_errors.len()
    );
    println!("our decisions on compared cases: {by_outcome:?}");
    let rate = if compared == 0 {
        0.0
    } else {
        100.0 * agree as f64 / compared as f64
    };
    println!(
        "agreement: {agree}/{compared} = {rate:.2}%; disagreements: {} ({} unclassified)",
        compared - agree,
        unclassified
    );
    for (msg, ids) in &sim_errors {
        println!(
            "  simulator refused {} case(s), e.g. #{}: {msg}",
            ids.len(),
            ids[0]
        );
    }
    for (id, e) in our_errors.iter().take(10) {
        println!("  our engine refused case #{id}: {e}");
    }
    for (class_id, sigs) in &groups {
        let total: usize = sigs.values().map(Vec::len).sum();
        let titles: Vec<String> = class_id
            .split('+')
            .filter_map(|id| classes::CLASSES.iter().find(|c| c.id == id))
            .map(|c| format!("{} — {}", c.verdict.label(), c.title))
            .collect();
        let title = if titles.is_empty() {
            String::from("no documented class accepts these")
        } else {
            titles.join("; and ")
        };
        println!("\n[{class_id}] {total} disagreement(s): {title}");
        for (sig, ids) in sigs {
            let shown: Vec<String> = ids.iter().take(8).map(|i| format!("#{i}")).collect();
            println!("  {:>5} × {sig}  ({})", ids.len(), shown.join(" "));
        }
        if class_id == "UNCLASSIFIED" {
            for (sig, ids) in sigs {
                for id in ids.iter().take(args.show) {
                    if let Some(case) = cases.get(*id as usize) {
                        println!("\n  case #{id} ({sig}):\n{}", case.to_json());
                    }
                }
            }
        }
    }
    if let Some(path) = &args.json {
        let doc = json!({
            "seed": args.seed,
            "cases": args.cases,
            "compared": compared,
            "agree": agree,
            "disagreements": records,
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap_or_default())
            .map_err(|e| format!("{path}: {e}"))?;
        println!("\nwrote {path}");
    }
    Ok(unclassified == 0)
}
