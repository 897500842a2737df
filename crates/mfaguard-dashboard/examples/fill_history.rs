//! Fills a history with generated scans for `scripts/bench-serve.sh`:
//! ACCOUNTS accounts × SCANS scans, one scan per account and day, each
//! account a copy of part of the demo account (its first IDENTITIES
//! identities and their results) under its own ID, with failures fixed
//! little by little over the scans so trends, diffs and times to remediate
//! have something to show.
//!
//! Usage: fill_history STORE [ACCOUNTS] [SCANS] [IDENTITIES]

use std::collections::HashSet;
use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use mfaguard_core::report::Status;
use mfaguard_core::{Config, Report};
use mfaguard_store::{Location, ScanRecord, Store};

fn arg(index: usize, default: usize) -> usize {
    std::env::args()
        .nth(index)
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store_path = std::env::args()
        .nth(1)
        .ok_or("usage: fill_history STORE [ACCOUNTS] [SCANS] [IDENTITIES]")?;
    let (accounts, scans, keep) = (arg(2, 1000), arg(3, 50), arg(4, 12));
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account");
    let start = Utc
        .with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .ok_or("start time")?;
    let snapshot = mfaguard_core::offline::read_dir(&demo, start)?;
    let config = Config::load(&demo.join("mfaguard.toml"))?;
    let mut base = mfaguard_core::analyze(std::slice::from_ref(&snapshot), &config, start);
    base.identities.truncate(keep);
    // A short sample of what each can do without MFA keeps the stored
    // reports (and the generated file) small; the count stays.
    for identity in &mut base.identities {
        if let Some(allowed) = &mut identity.allowed_without_mfa {
            std::sync::Arc::make_mut(allowed).sample.truncate(3);
        }
    }
    let kept: HashSet<String> = base.identities.iter().map(|i| i.arn.clone()).collect();
    let all: HashSet<String> =
        mfaguard_core::analyze(std::slice::from_ref(&snapshot), &config, start)
            .identities
            .into_iter()
            .map(|i| i.arn)
            .collect();
    // Results of kept identities and of no identity (account-level ones).
    base.results
        .retain(|r| kept.contains(&r.resource_arn) || !all.contains(&r.resource_arn));

    let mut store = Store::open(&Location::Sqlite(store_path.into()))?;
    let demo_id = "111122223333";
    for scan in 0..scans {
        for account in 0..accounts {
            let id = format!("{:012}", 200_000_000_000u64 + account as u64);
            let mut report: Report = base.clone();
            let at = start + Duration::days(scan as i64) + Duration::seconds(account as i64);
            report.generated_at = at;
            for summary in &mut report.accounts {
                summary.account_id = id.clone();
                summary.collected_at = at;
            }
            for (index, result) in report.results.iter_mut().enumerate() {
                result.account_id = id.clone();
                result.resource_arn = result.resource_arn.replace(demo_id, &id);
                // Failures are fixed one after another over the scans,
                // at a different pace in each account.
                if result.status == Status::Fail && (index + account) % (scans + 7) < scan {
                    result.status = Status::Pass;
                }
            }
            for identity in &mut report.identities {
                identity.account_id = id.clone();
                identity.arn = identity.arn.replace(demo_id, &id);
            }
            report.score = mfaguard_core::score::compute(&report.results);
            report.kpis = mfaguard_core::kpi::compute(&report.identities);
            let mut snapshot = snapshot.clone();
            snapshot.account_id = Some(id.clone());
            let record = ScanRecord::from_report(&report, &[snapshot], &config, None);
            store.record(&record)?;
        }
        eprintln!(
            "scan {} of {scans} recorded for {accounts} accounts",
            scan + 1
        );
    }
    Ok(())
}
