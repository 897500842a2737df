//! Fast differential test against @cloud-copilot/iam-simulate (Strict
//! mode), run as a separate program by `scripts/iam-simulate/simulate.js`:
//! 2,000 seeded random cases; every disagreement must fall into a class
//! documented in `docs/engine-differential.md` (the predicates of
//! `examples/differential/classes.rs`), so an unclassified disagreement
//! fails.
//!
//! Skipped, with a message, only when `node` is not installed; with
//! `MFAGUARD_REQUIRE_TOOLS=1` a missing `node` fails instead. When node is
//! there but the driver's `node_modules` is not, it runs `npm ci` first
//! (`scripts/install-test-tools.sh` does the same). The full run is
//! `scripts/differential.sh`.

#[path = "../examples/differential/classes.rs"]
mod classes;
#[path = "../examples/differential/driver.rs"]
mod driver;
#[path = "../examples/differential/gen.rs"]
mod gen;

use std::collections::BTreeMap;

const SEED: u64 = 20_240_917;
const CASES: u64 = 2_000;

#[test]
fn every_disagreement_with_iam_simulate_is_documented() {
    let Some(node) = driver::node() else {
        if std::env::var("MFAGUARD_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("node is not installed and MFAGUARD_REQUIRE_TOOLS=1: install Node.js (and run scripts/install-test-tools.sh)");
        }
        eprintln!(
            "SKIPPED differential test against iam-simulate: node is not installed \
             (set MFAGUARD_REQUIRE_TOOLS=1 to make this a failure)"
        );
        return;
    };
    driver::ensure_installed().unwrap_or_else(|e| panic!("{e}"));

    let cases: Vec<gen::Case> = (0..CASES).map(|i| gen::generate(SEED, i)).collect();
    let inputs: Vec<serde_json::Value> = cases.iter().map(gen::Case::to_json).collect();
    let theirs = driver::simulate(&node, &inputs).unwrap_or_else(|e| panic!("{e}"));

    let mut problems = Vec::new();
    let mut agree = 0usize;
    let mut classified: BTreeMap<String, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (case, theirs) in cases.iter().zip(&theirs) {
        let ours = match case.evaluate() {
            Ok(k) => k,
            Err(e) => {
                problems.push(format!("case #{}: our engine refused it: {e}", case.id));
                continue;
            }
        };
        let theirs = match theirs {
            driver::SimOutcome::Decision(d) => d.as_str(),
            driver::SimOutcome::Error(e) => {
                problems.push(format!(
                    "case #{}: the simulator refused it: {e}\n{}",
                    case.id,
                    case.to_json()
                ));
                continue;
            }
        };
        *kinds.entry(gen::sim_name(ours)).or_default() += 1;
        if gen::sim_name(ours) == theirs {
            agree += 1;
            continue;
        }
        let class = classes::classify(case, ours, theirs);
        if class.is_empty() {
            problems.push(format!(
                "case #{} (seed {SEED}): ours {} / iam-simulate {theirs}, no documented class; \
                 reproduce with `cargo run -p iam-policy --example differential -- --seed {SEED} --case {}`\n{}",
                case.id,
                gen::sim_name(ours),
                case.id,
                case.to_json()
            ));
        } else {
            *classified.entry(classes::label(&class)).or_default() += 1;
        }
    }
    eprintln!(
        "differential: {agree}/{CASES} agree; our decisions {kinds:?}; documented disagreements: {classified:?}"
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    // The generator must keep exercising the engine: most cases agree and
    // the three decisions all occur.
    assert!(
        agree * 10 >= CASES as usize * 9,
        "agreement too low: {agree}/{CASES}"
    );
    for kind in ["Allowed", "ImplicitlyDenied", "ExplicitlyDenied"] {
        let n = kinds.get(kind).copied().unwrap_or(0);
        assert!(
            n * 10 >= CASES as usize,
            "only {n} {kind} decisions: {kinds:?}"
        );
    }
}
