//! Evaluations per second on realistic policy sets: principals holding AWS
//! managed policies (AdministratorAccess, PowerUserAccess, ReadOnlyAccess and
//! a few hundred service policies, from `benches/data/`), the documented
//! Force_MFA policy, MFA permissions boundaries and MFA SCPs, with requests
//! mixing the MFA context rows (access keys, console without MFA, MFA of
//! various ages).
//!
//! ```text
//! cargo bench -p iam-policy --bench evaluate
//! ```
//! Throughput is reported in requests ("elements") per second, on one
//! thread. `scripts/bench-engine.sh` runs the same requests through
//! iam-simulate for the ratio (docs/engine-benchmark.md).

#[path = "common/workload.rs"]
mod workload;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use iam_policy::{DecisionKind, Policy};

fn benches(c: &mut Criterion) {
    let w = workload::build(7, 64, 4096).unwrap_or_else(|e| panic!("workload: {e}"));
    let reqs: Vec<_> = w
        .requests
        .iter()
        .map(|r| (r.principal, w.request(r)))
        .collect();

    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("decide/mixed", |b| {
        b.iter(|| {
            let mut allowed = 0usize;
            for (p, req) in &reqs {
                if w.principals[*p].set.decide(req) == DecisionKind::Allowed {
                    allowed += 1;
                }
            }
            black_box(allowed)
        })
    });
    g.bench_function("evaluate/mixed", |b| {
        b.iter(|| {
            let mut reasons = 0usize;
            for (p, req) in &reqs {
                reasons += w.principals[*p].set.evaluate(req).reasons.len();
            }
            black_box(reasons)
        })
    });
    // The heaviest common set: ReadOnlyAccess (thousands of action
    // patterns) alone.
    if let Some(ro) = w
        .principals
        .iter()
        .position(|p| p.identity.iter().any(|(n, _)| n == "ReadOnlyAccess"))
    {
        let ro_reqs: Vec<_> = w.requests.iter().map(|r| w.request_for(ro, r)).collect();
        g.bench_function("decide/read_only_access", |b| {
            b.iter(|| {
                let mut allowed = 0usize;
                for req in &ro_reqs {
                    if w.principals[ro].set.decide(req) == DecisionKind::Allowed {
                        allowed += 1;
                    }
                }
                black_box(allowed)
            })
        });
    }
    g.finish();

    // Parsing (and compiling) every managed policy of the corpus.
    let corpus = workload::managed_policies().unwrap_or_else(|e| panic!("corpus: {e}"));
    let texts: Vec<String> = corpus.iter().map(|m| m.document.to_string()).collect();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("managed_policies", |b| {
        b.iter(|| {
            let mut statements = 0usize;
            for t in &texts {
                if let Ok(p) = Policy::parse(t) {
                    statements += p.statements.len();
                }
            }
            black_box(statements)
        })
    });
    g.finish();
}

criterion_group!(evaluate, benches);
criterion_main!(evaluate);
