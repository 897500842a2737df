//! What each page shows, read from the store: one value per page, which
//! the page renders as HTML and the API returns as JSON.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use mfaguard_store::exceptions::{statuses, ExceptionStatus};
use mfaguard_store::kpi::{CoverageFigure, KpiReport};
use mfaguard_store::model::{ConsoleCoverage, Counts};
use mfaguard_store::{
    Diff, IdentityRecord, KpiOptions, ResultRecord, ScanFilter, ScanSummary, Store, StoreError,
};

/// How many failing results the overview lists.
pub const WORST_FINDINGS: usize = 100;

/// MFA and enforcement coverage, overall and per tier.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub console_users_with_mfa: CoverageFigure,
    pub console_users_with_mfa_by_tier: BTreeMap<String, CoverageFigure>,
    pub console_users_with_mfa_enforced: CoverageFigure,
    pub console_users_with_mfa_enforced_by_tier: BTreeMap<String, CoverageFigure>,
}

impl Coverage {
    fn of(coverage: &ConsoleCoverage) -> Coverage {
        let tiers = |map: &BTreeMap<String, mfaguard_store::model::Tally>| {
            map.iter()
                .map(|(tier, tally)| (tier.clone(), CoverageFigure::from(tally)))
                .collect()
        };
        Coverage {
            console_users_with_mfa: CoverageFigure::from(&coverage.all),
            console_users_with_mfa_by_tier: tiers(&coverage.by_tier),
            console_users_with_mfa_enforced: CoverageFigure::from(&coverage.enforced),
            console_users_with_mfa_enforced_by_tier: tiers(&coverage.enforced_by_tier),
        }
    }
}

/// One account as of its latest recorded scan.
#[derive(Debug, Clone, Serialize)]
pub struct AccountLatest {
    pub account_id: String,
    pub scan_id: i64,
    pub scanned_at: DateTime<Utc>,
    /// `scanned`, or `failed` (then the figures are absent, never zero).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub posture: Option<f64>,
    pub counts: Counts,
    pub coverage: Option<Coverage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub as_of: DateTime<Utc>,
    pub scans: usize,
    pub accounts: Vec<AccountLatest>,
    /// Every account at its latest successful scan, added up.
    pub coverage: Coverage,
    /// The most severe failing results of the latest scans.
    pub worst_findings: Vec<ResultRecord>,
    /// Failing results of the latest scans in all.
    pub failing: usize,
}

pub fn overview(store: &mut Store, now: DateTime<Utc>) -> Result<Overview, StoreError> {
    let latest = store.latest_account_rows(None, false)?;
    let mut total = ConsoleCoverage::default();
    for row in store.latest_account_rows(None, true)? {
        total.add(&row.record.coverage);
    }
    let accounts = latest
        .iter()
        .map(|row| AccountLatest {
            account_id: row.record.account_id.clone(),
            scan_id: row.scan_id,
            scanned_at: row.scanned_at,
            status: row.record.status.clone(),
            error: row.record.error.clone(),
            posture: row.record.posture,
            counts: row.record.counts,
            coverage: row
                .record
                .is_scanned()
                .then(|| Coverage::of(&row.record.coverage)),
        })
        .collect();
    let mut failing: Vec<ResultRecord> = store
        .latest_results_with_status(&["fail"])?
        .into_iter()
        .map(|(_, result)| result)
        .collect();
    failing.sort_by(|a, b| {
        (
            mfaguard_report::html::severity_rank(&a.severity),
            &a.account_id,
            &a.check_id,
            &a.resource_name,
        )
            .cmp(&(
                mfaguard_report::html::severity_rank(&b.severity),
                &b.account_id,
                &b.check_id,
                &b.resource_name,
            ))
    });
    let failing_count = failing.len();
    failing.truncate(WORST_FINDINGS);
    Ok(Overview {
        as_of: now,
        scans: store.scan_count()?,
        accounts,
        coverage: Coverage::of(&total),
        worst_findings: failing,
        failing: failing_count,
    })
}

/// An identity of an account's latest scan, for the account page's list.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityLine {
    pub arn: String,
    pub name: String,
    pub kind: String,
    pub tier: String,
    pub console_access: Option<bool>,
    pub mfa_active: Option<bool>,
    pub enforcement: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountPage {
    pub account_id: String,
    /// Scans that covered the account, oldest first, with its figures.
    pub scans: Vec<ScanSummary>,
    /// The latest scan that covered it; its results and identities follow.
    pub latest_scan_id: Option<i64>,
    pub results: Vec<ResultRecord>,
    pub identities: Vec<IdentityLine>,
    /// Trends, time to remediate, open findings and exceptions over time.
    pub kpis: KpiReport,
}

pub fn account(
    store: &mut Store,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<AccountPage>, StoreError> {
    let scans = store.scans(&ScanFilter {
        account: Some(account_id.to_string()),
        ..Default::default()
    })?;
    let Some(latest) = scans.last().map(|scan| scan.id) else {
        return Ok(None);
    };
    let results = store.results(latest, Some(account_id))?;
    let identities = store
        .identities(latest, Some(account_id))?
        .into_iter()
        .map(|identity| IdentityLine {
            arn: identity.arn,
            name: identity.name,
            kind: identity.kind,
            tier: identity.tier,
            console_access: identity.console_access,
            mfa_active: identity.mfa_active,
            enforcement: identity.enforcement,
        })
        .collect();
    let kpis = store.kpis(&KpiOptions {
        account: Some(account_id.to_string()),
        check: None,
        since: None,
        now,
    })?;
    Ok(Some(AccountPage {
        account_id: account_id.to_string(),
        scans,
        latest_scan_id: Some(latest),
        results,
        identities,
        kpis,
    }))
}

/// What changed in an account between two scans.
#[derive(Debug, Clone, Serialize)]
pub struct DiffPage {
    pub account_id: String,
    pub scans: Vec<ScanSummary>,
    pub diff: Diff,
}

/// The diff between scans `from` and `to` (default: the last two that
/// covered the account); `None` when the account has fewer than two.
pub fn diff(
    store: &mut Store,
    account_id: &str,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Option<DiffPage>, StoreError> {
    let scans = store.scans(&ScanFilter {
        account: Some(account_id.to_string()),
        ..Default::default()
    })?;
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        _ => match store.last_two_scans(Some(account_id))? {
            Some(pair) => pair,
            None => return Ok(None),
        },
    };
    let diff = store.diff(from, to, Some(account_id))?;
    Ok(Some(DiffPage {
        account_id: account_id.to_string(),
        scans,
        diff,
    }))
}

#[derive(Debug, Clone, Serialize)]
pub struct ExceptionsPage {
    pub as_of: DateTime<Utc>,
    /// The scan whose configuration the exceptions come from.
    pub scan_id: Option<i64>,
    /// Due (expired, expiring within 30 days or overdue for review) first.
    pub exceptions: Vec<ExceptionStatus>,
    pub due: usize,
}

pub fn exceptions(store: &mut Store, now: DateTime<Utc>) -> Result<ExceptionsPage, StoreError> {
    let Some((scan_id, list)) = store.latest_exceptions()? else {
        return Ok(ExceptionsPage {
            as_of: now,
            scan_id: None,
            exceptions: Vec::new(),
            due: 0,
        });
    };
    // Only these two statuses are matched against exceptions.
    let latest = store.latest_results_with_status(&["excepted", "fail"])?;
    let mut states = statuses(&list, &latest, now.date_naive());
    states.sort_by_key(|state| (!state.due, state.exception.expires));
    let due = states.iter().filter(|state| state.due).count();
    Ok(ExceptionsPage {
        as_of: now,
        scan_id: Some(scan_id),
        exceptions: states,
        due,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct IdentityPage {
    pub scan_id: i64,
    pub scanned_at: DateTime<Utc>,
    pub identity: IdentityRecord,
    pub results: Vec<ResultRecord>,
    /// From the scan's report: why the enforcement verdict is what it is
    /// (the deciding statements) and what it can do without MFA.
    pub enforcement_reasons: Vec<String>,
    pub allowed_without_mfa: Option<Value>,
}

/// The identity `arn` of `account_id` as of the account's latest scan.
pub fn identity(
    store: &mut Store,
    account_id: &str,
    arn: &str,
) -> Result<Option<IdentityPage>, StoreError> {
    let latest = store.latest_scan_per_account(Some(account_id))?;
    let Some(&scan_id) = latest.get(account_id) else {
        return Ok(None);
    };
    let Some(identity) = store
        .identities(scan_id, Some(account_id))?
        .into_iter()
        .find(|identity| identity.arn == arn)
    else {
        return Ok(None);
    };
    let results = store
        .results(scan_id, Some(account_id))?
        .into_iter()
        .filter(|result| result.resource_arn == arn)
        .collect();
    let scanned_at = store.scan(scan_id)?.scanned_at;
    // The report as the scan produced it holds the reasons; a report that
    // cannot be read leaves them out rather than failing the page.
    let report: Value = serde_json::from_str(&store.report_json(scan_id)?).unwrap_or(Value::Null);
    let reported = report["identities"]
        .as_array()
        .and_then(|list| list.iter().find(|i| i["arn"].as_str() == Some(arn)));
    let enforcement_reasons = reported
        .and_then(|i| i["enforcement_reasons"].as_array())
        .map(|reasons| {
            reasons
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let allowed_without_mfa = reported.and_then(|i| i.get("allowed_without_mfa").cloned());
    Ok(Some(IdentityPage {
        scan_id,
        scanned_at,
        identity,
        results,
        enforcement_reasons,
        allowed_without_mfa,
    }))
}
