//! KPIs over time, computed in Rust from the stored rows (the same
//! arithmetic whatever the backend).
//!
//! - Coverage, posture and CIS per scan: each point of the trend combines,
//!   for every account, the latest scan of that account made up to then. So
//!   scans of different shards (or accounts scanned at different times) add
//!   up to the organisation's figure.
//! - Time to remediate: a finding is a (check, resource) of an account; it
//!   opens when a scan first sees it `fail` (or `excepted`), and closes at
//!   the first later scan of that account that sees it `pass` or
//!   `not_applicable` (fixed) or no longer reports it (resource removed).
//!   `unknown` neither opens nor closes it.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::error::Result;
use crate::model::{ConsoleCoverage, Counts, ExceptionRecord, ResultRecord, StoredAccount, Tally};
use crate::store::{cis_percent, Store};
use crate::time::{days_between, round1};

/// What `mfaguard kpi` looks at.
#[derive(Debug, Clone)]
pub struct KpiOptions {
    /// Only this account.
    pub account: Option<String>,
    /// Time to remediate and open findings of this check only.
    pub check: Option<String>,
    /// Trend points and remediations from this time on (findings opened
    /// earlier still count from when they opened).
    pub since: Option<DateTime<Utc>>,
    /// Ages and exception expiry are judged as of this time.
    pub now: DateTime<Utc>,
}

/// `{"total", "covered", "unknown", "percent"}` as in the report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CoverageFigure {
    pub total: usize,
    pub covered: usize,
    pub unknown: usize,
    pub percent: Option<f64>,
}

impl From<&Tally> for CoverageFigure {
    fn from(tally: &Tally) -> CoverageFigure {
        CoverageFigure {
            total: tally.total,
            covered: tally.covered,
            unknown: tally.unknown,
            percent: tally.percent(),
        }
    }
}

/// The organisation (or account) as of one scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub scan_id: i64,
    pub scanned_at: DateTime<Utc>,
    /// Accounts included (each at its latest scan up to this one).
    pub accounts: usize,
    pub console_users_with_mfa: CoverageFigure,
    pub console_users_with_mfa_by_tier: BTreeMap<String, CoverageFigure>,
    pub console_users_with_phishing_resistant_mfa: CoverageFigure,
    /// Console users whose policies enforce MFA (`enforced` or
    /// `locked_out`; root excluded).
    pub console_users_with_mfa_enforced: CoverageFigure,
    pub console_users_with_mfa_enforced_by_tier: BTreeMap<String, CoverageFigure>,
    pub posture: Option<f64>,
    pub cis_v3: Option<f64>,
    pub cis_v5: Option<f64>,
    pub counts: Counts,
}

/// Change from the first to the last trend point, in percentage points.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Change {
    pub from_scan_id: Option<i64>,
    pub to_scan_id: Option<i64>,
    pub console_users_with_mfa: Option<f64>,
    pub console_users_with_mfa_by_tier: BTreeMap<String, Option<f64>>,
    pub posture: Option<f64>,
    pub cis_v3: Option<f64>,
    pub cis_v5: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Stats {
    pub samples: usize,
    pub mean_days: Option<f64>,
    pub median_days: Option<f64>,
}

impl Stats {
    pub fn of(mut days: Vec<f64>) -> Stats {
        if days.is_empty() {
            return Stats::default();
        }
        days.sort_by(f64::total_cmp);
        let n = days.len();
        let median = if n % 2 == 1 {
            days[n / 2]
        } else {
            (days[n / 2 - 1] + days[n / 2]) / 2.0
        };
        Stats {
            samples: n,
            mean_days: Some(round1(days.iter().sum::<f64>() / n as f64)),
            median_days: Some(round1(median)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemediatedFinding {
    pub account_id: String,
    pub check_id: String,
    pub severity: String,
    pub resource_arn: String,
    pub resource_name: String,
    pub first_seen: DateTime<Utc>,
    pub resolved_at: DateTime<Utc>,
    pub days: f64,
    /// `fixed` (the result passed) or `removed` (the resource was gone).
    pub resolution: String,
    /// The identity was first seen already failing, after the account's
    /// first scan.
    pub new_identity: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeToRemediate {
    pub all: Stats,
    /// Findings of identities that existed when they started failing.
    pub existing_identities: Stats,
    /// Findings of identities first seen already failing, after the first
    /// scan of their account (newly created non-compliant users).
    pub new_identities: Stats,
    pub remediated: Vec<RemediatedFinding>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenFinding {
    pub account_id: String,
    pub check_id: String,
    pub severity: String,
    /// `fail` or `excepted`, at the latest scan.
    pub status: String,
    pub resource_arn: String,
    pub resource_name: String,
    pub first_seen: DateTime<Utc>,
    pub age_days: f64,
    pub new_identity: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AgeBuckets {
    #[serde(rename = "0-7_days")]
    pub up_to_7_days: usize,
    #[serde(rename = "8-30_days")]
    pub up_to_30_days: usize,
    #[serde(rename = "31-90_days")]
    pub up_to_90_days: usize,
    #[serde(rename = "over_90_days")]
    pub over_90_days: usize,
}

impl AgeBuckets {
    fn add(&mut self, age_days: f64) {
        if age_days <= 7.0 {
            self.up_to_7_days += 1;
        } else if age_days <= 30.0 {
            self.up_to_30_days += 1;
        } else if age_days <= 90.0 {
            self.up_to_90_days += 1;
        } else {
            self.over_90_days += 1;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenFindings {
    pub total: usize,
    pub fail: usize,
    pub excepted: usize,
    pub by_age: AgeBuckets,
    /// Oldest first.
    pub findings: Vec<OpenFinding>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OwnerExceptions {
    pub owner: String,
    pub count: usize,
    pub expired: usize,
    pub expiring_within_30_days: usize,
    pub review_due: usize,
    pub next_expiry: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ExpiryBuckets {
    pub expired: usize,
    pub within_30_days: usize,
    pub within_90_days: usize,
    pub later: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExceptionsKpi {
    /// The scan whose configuration is described (the latest one).
    pub scan_id: Option<i64>,
    pub total: usize,
    pub by_owner: Vec<OwnerExceptions>,
    pub by_expiry: ExpiryBuckets,
    /// Never reviewed, or last reviewed more than 90 days ago.
    pub review_due: usize,
}

/// MFA-related access denials in one month, over the accounts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MfaDenialsMonth {
    pub month: String,
    /// Decided by evaluating the caller's policies from a snapshot.
    pub attributed: u64,
    /// Judged by the heuristic, without a snapshot of the account.
    pub inferred: u64,
    /// All access denials of the month.
    pub denials: u64,
}

/// People's API calls in a month and the share made with MFA (see
/// docs/trail.md for who counts as a person).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HumanCallsKpi {
    pub with_mfa: u64,
    pub without_mfa: u64,
    pub mfa_unknown: u64,
    pub federated: u64,
    pub share_with_mfa: Option<f64>,
    /// Counting the unclassified calls, and people's calls whose MFA is
    /// not recorded, as without MFA.
    pub share_with_mfa_at_worst: Option<f64>,
}

/// The CloudTrail KPIs of one month, summed over the accounts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrailMonth {
    pub month: String,
    pub accounts: usize,
    pub mfa_related_denials: u64,
    pub inferred_mfa_related_denials: u64,
    pub denials: u64,
    pub console_sign_ins_with_mfa: u64,
    pub console_sign_ins_without_mfa: u64,
    pub console_sign_ins_mfa_unknown: u64,
    pub human_api_calls: HumanCallsKpi,
    pub workload_api_calls: u64,
    pub unclassified_api_calls: u64,
    pub root_uses: u64,
    pub breakglass_uses: u64,
}

/// The CloudTrail figures recorded by `trail --store` and `watch --trail`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrailKpis {
    /// Log files whose figures are recorded.
    pub files: usize,
    /// Of which read with a window that cut them (their figures are part
    /// of the file's).
    pub files_incomplete: usize,
    /// Records of those files that could not be analysed.
    pub records_skipped: u64,
    /// Oldest first.
    pub months: Vec<TrailMonth>,
}

impl TrailKpis {
    fn from_rows(rows: crate::trail::TrailRows) -> TrailKpis {
        use mfaguard_trail::report::share;
        TrailKpis {
            files: rows.files,
            files_incomplete: rows.files_incomplete,
            records_skipped: rows.records_skipped,
            months: rows
                .months
                .into_iter()
                .map(|row| {
                    let k = row.kpi;
                    TrailMonth {
                        month: row.month,
                        accounts: row.accounts,
                        mfa_related_denials: k.mfa_related_denials,
                        inferred_mfa_related_denials: k.inferred_mfa_related_denials,
                        denials: k.denials,
                        console_sign_ins_with_mfa: k.console_sign_ins_with_mfa,
                        console_sign_ins_without_mfa: k.console_sign_ins_without_mfa,
                        console_sign_ins_mfa_unknown: k.console_sign_ins_mfa_unknown,
                        human_api_calls: HumanCallsKpi {
                            with_mfa: k.human_calls_with_mfa,
                            without_mfa: k.human_calls_without_mfa,
                            mfa_unknown: k.human_calls_mfa_unknown,
                            federated: k.human_calls_federated,
                            share_with_mfa: share(
                                k.human_calls_with_mfa,
                                k.human_calls_without_mfa,
                            ),
                            share_with_mfa_at_worst: share(
                                k.human_calls_with_mfa,
                                k.human_calls_without_mfa
                                    + k.human_calls_mfa_unknown
                                    + k.unclassified_calls,
                            ),
                        },
                        workload_api_calls: k.workload_calls,
                        unclassified_api_calls: k.unclassified_calls,
                        root_uses: k.root_uses,
                        breakglass_uses: k.breakglass_uses,
                    }
                })
                .collect(),
        }
    }

    /// The mission's KPI by name: MFA-related access denials per month.
    fn denials_per_month(&self) -> Vec<MfaDenialsMonth> {
        self.months
            .iter()
            .map(|month| MfaDenialsMonth {
                month: month.month.clone(),
                attributed: month.mfa_related_denials,
                inferred: month.inferred_mfa_related_denials,
                denials: month.denials,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    pub as_of: DateTime<Utc>,
    pub account: Option<String>,
    pub check: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Scans in the trend.
    pub scans: usize,
    pub accounts: Vec<String>,
    pub trend: Vec<TrendPoint>,
    pub change: Change,
    pub time_to_remediate: TimeToRemediate,
    pub open_findings: OpenFindings,
    pub exceptions: ExceptionsKpi,
    /// From the recorded CloudTrail files; empty when none is recorded.
    pub mfa_denials_per_month: Vec<MfaDenialsMonth>,
    /// Every CloudTrail KPI per month.
    pub trail: TrailKpis,
}

/// Review interval of exceptions, as `iam.mfa_exception_review` uses.
pub const REVIEW_INTERVAL_DAYS: i64 = 90;
/// "Expiring soon" horizon.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Everything the KPIs are computed from.
pub struct KpiInput {
    pub accounts: Vec<StoredAccount>,
    /// `(scan_id, result)`.
    pub results: Vec<(i64, ResultRecord)>,
    /// `(scan_id, account_id, arn)`.
    pub identities: Vec<(i64, String, String)>,
    /// The latest scan's ID and exceptions.
    pub exceptions: Option<(i64, Vec<ExceptionRecord>)>,
    /// The recorded CloudTrail figures per month.
    pub trail: crate::trail::TrailRows,
}

impl Store {
    /// Loads the rows and computes the KPIs.
    pub fn kpis(&mut self, options: &KpiOptions) -> Result<KpiReport> {
        let account = options.account.as_deref();
        let accounts = self.account_rows(account)?;
        let mut results = self.finding_rows(account)?;
        if let Some(check) = &options.check {
            results.retain(|(_, result)| &result.check_id == check);
        }
        let identities = self.identity_keys(account)?;
        let latest = accounts
            .iter()
            .filter(|row| row.record.is_scanned())
            .max_by_key(|row| (row.scanned_at, row.scan_id))
            .map(|row| row.scan_id);
        let exceptions = match latest {
            Some(id) => {
                let mut list = self.exceptions(id)?;
                if let Some(account) = account {
                    list.retain(|e| e.account_id().is_none_or(|a| a == account));
                }
                Some((id, list))
            }
            None => None,
        };
        let trail = self.trail_rows(account, options.since)?;
        Ok(compute(
            KpiInput {
                accounts,
                results,
                identities,
                exceptions,
                trail,
            },
            options,
        ))
    }
}

/// The KPIs from rows (pure).
pub fn compute(input: KpiInput, options: &KpiOptions) -> KpiReport {
    let trend = trend(&input.accounts, options.since);
    let change = change(&trend);
    let (time_to_remediate, open_findings) = findings(&input, options);
    let trail = TrailKpis::from_rows(input.trail.clone());
    let mut accounts: Vec<String> = input
        .accounts
        .iter()
        .filter(|row| row.record.is_scanned())
        .map(|row| row.record.account_id.clone())
        .collect();
    accounts.sort();
    accounts.dedup();
    KpiReport {
        as_of: options.now,
        account: options.account.clone(),
        check: options.check.clone(),
        since: options.since,
        scans: trend.len(),
        accounts,
        change,
        trend,
        time_to_remediate,
        open_findings,
        exceptions: exceptions_kpi(input.exceptions.as_ref(), options.now.date_naive()),
        mfa_denials_per_month: trail.denials_per_month(),
        trail,
    }
}

fn trend(rows: &[StoredAccount], since: Option<DateTime<Utc>>) -> Vec<TrendPoint> {
    let mut points = Vec::new();
    let mut latest: BTreeMap<&str, &StoredAccount> = BTreeMap::new();
    let mut index = 0;
    while index < rows.len() {
        let scan_id = rows[index].scan_id;
        let scanned_at = rows[index].scanned_at;
        let mut scanned_any = false;
        while index < rows.len() && rows[index].scan_id == scan_id {
            let row = &rows[index];
            if row.record.is_scanned() {
                latest.insert(row.record.account_id.as_str(), row);
                scanned_any = true;
            }
            index += 1;
        }
        if !scanned_any || since.is_some_and(|since| scanned_at < since) {
            continue;
        }
        let mut coverage = ConsoleCoverage::default();
        let mut counts = Counts::default();
        let (mut passed, mut failed, mut unknown) = (0u64, 0u64, 0u64);
        let mut cis_v3: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut cis_v5: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in latest.values() {
            coverage.add(&row.record.coverage);
            counts.add(&row.record.counts);
            passed += row.record.passed_weight;
            failed += row.record.failed_weight;
            unknown += row.record.unknown_weight;
            for (id, status) in &row.record.cis_v3 {
                cis_v3.entry(id.clone()).or_default().push(status.clone());
            }
            for (id, status) in &row.record.cis_v5 {
                cis_v5.entry(id.clone()).or_default().push(status.clone());
            }
        }
        // Unknown weighs as not passing, as in the report's posture.
        let total = passed + failed + unknown;
        points.push(TrendPoint {
            scan_id,
            scanned_at,
            accounts: latest.len(),
            console_users_with_mfa: (&coverage.all).into(),
            console_users_with_mfa_by_tier: coverage
                .by_tier
                .iter()
                .map(|(tier, tally)| (tier.clone(), tally.into()))
                .collect(),
            console_users_with_phishing_resistant_mfa: (&coverage.phishing_resistant).into(),
            console_users_with_mfa_enforced: (&coverage.enforced).into(),
            console_users_with_mfa_enforced_by_tier: coverage
                .enforced_by_tier
                .iter()
                .map(|(tier, tally)| (tier.clone(), tally.into()))
                .collect(),
            posture: (total > 0).then(|| round1(100.0 * passed as f64 / total as f64)),
            cis_v3: cis_percent(&merge_cis(cis_v3)),
            cis_v5: cis_percent(&merge_cis(cis_v5)),
            counts,
        });
    }
    points
}

/// A recommendation fails when it fails in any account, else is unknown
/// when unknown in any, else passes when it passes in any.
fn merge_cis(statuses: BTreeMap<String, Vec<String>>) -> BTreeMap<String, String> {
    statuses
        .into_iter()
        .map(|(id, list)| {
            let has = |s: &str| list.iter().any(|x| x == s);
            let status = if has("fail") || has("excepted") {
                "fail"
            } else if has("unknown") {
                "unknown"
            } else if has("pass") {
                "pass"
            } else {
                "not_applicable"
            };
            (id, status.to_string())
        })
        .collect()
}

fn change(trend: &[TrendPoint]) -> Change {
    let (Some(first), Some(last)) = (trend.first(), trend.last()) else {
        return Change::default();
    };
    let delta = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => Some(round1(b - a)),
        _ => None,
    };
    let tiers: HashSet<&String> = first
        .console_users_with_mfa_by_tier
        .keys()
        .chain(last.console_users_with_mfa_by_tier.keys())
        .collect();
    Change {
        from_scan_id: Some(first.scan_id),
        to_scan_id: Some(last.scan_id),
        console_users_with_mfa: delta(
            first.console_users_with_mfa.percent,
            last.console_users_with_mfa.percent,
        ),
        console_users_with_mfa_by_tier: tiers
            .into_iter()
            .map(|tier| {
                let get = |point: &TrendPoint| {
                    point
                        .console_users_with_mfa_by_tier
                        .get(tier)
                        .and_then(|c| c.percent)
                };
                (tier.clone(), delta(get(first), get(last)))
            })
            .collect(),
        posture: delta(first.posture, last.posture),
        cis_v3: delta(first.cis_v3, last.cis_v3),
        cis_v5: delta(first.cis_v5, last.cis_v5),
    }
}

/// Where a status ranks when one resource has several results of a check.
fn rank(status: &str) -> u8 {
    match status {
        "fail" => 0,
        "excepted" => 1,
        "unknown" => 2,
        "pass" => 3,
        _ => 4,
    }
}

type FindingKey = (String, String);

fn key_of(result: &ResultRecord) -> FindingKey {
    let resource = if result.resource_arn.is_empty() {
        result.resource_name.clone()
    } else {
        result.resource_arn.clone()
    };
    (result.check_id.clone(), resource)
}

struct Open<'a> {
    first_seen: DateTime<Utc>,
    new_identity: bool,
    latest: &'a ResultRecord,
}

fn findings(input: &KpiInput, options: &KpiOptions) -> (TimeToRemediate, OpenFindings) {
    // Timeline of each account: its scans, in order.
    let mut timelines: BTreeMap<&str, Vec<(i64, DateTime<Utc>)>> = BTreeMap::new();
    for row in &input.accounts {
        if row.record.is_scanned() {
            timelines
                .entry(row.record.account_id.as_str())
                .or_default()
                .push((row.scan_id, row.scanned_at));
        }
    }
    let mut results: HashMap<(i64, &str), Vec<&ResultRecord>> = HashMap::new();
    for (scan_id, result) in &input.results {
        results
            .entry((*scan_id, result.account_id.as_str()))
            .or_default()
            .push(result);
    }
    let mut identities: HashMap<(i64, &str), HashSet<&str>> = HashMap::new();
    for (scan_id, account, arn) in &input.identities {
        identities
            .entry((*scan_id, account.as_str()))
            .or_default()
            .insert(arn.as_str());
    }

    let mut remediated = Vec::new();
    let mut open_list = Vec::new();
    for (account, timeline) in &timelines {
        let mut open: BTreeMap<FindingKey, Open> = BTreeMap::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for (position, (scan_id, at)) in timeline.iter().enumerate() {
            let mut statuses: HashMap<FindingKey, &ResultRecord> = HashMap::new();
            for result in results.get(&(*scan_id, *account)).into_iter().flatten() {
                let entry = statuses.entry(key_of(result)).or_insert(result);
                if rank(&result.status) < rank(&entry.status) {
                    *entry = result;
                }
            }
            let here = identities.get(&(*scan_id, *account));
            // Close what is fixed or gone.
            let keys: Vec<FindingKey> = open.keys().cloned().collect();
            for key in keys {
                let resolution = match statuses.get(&key) {
                    None => Some("removed"),
                    Some(result)
                        if result.status == "pass" || result.status == "not_applicable" =>
                    {
                        Some("fixed")
                    }
                    Some(_) => None,
                };
                if let Some(resolution) = resolution {
                    if let Some(finding) = open.remove(&key) {
                        remediated.push(RemediatedFinding {
                            account_id: account.to_string(),
                            check_id: finding.latest.check_id.clone(),
                            severity: finding.latest.severity.clone(),
                            resource_arn: finding.latest.resource_arn.clone(),
                            resource_name: finding.latest.resource_name.clone(),
                            first_seen: finding.first_seen,
                            resolved_at: *at,
                            days: round1(days_between(finding.first_seen, *at)),
                            resolution: resolution.to_string(),
                            new_identity: finding.new_identity,
                        });
                    }
                }
            }
            // Open what newly fails; keep the latest view of what stays open.
            for (key, result) in statuses {
                if let Some(finding) = open.get_mut(&key) {
                    if result.status != "unknown" {
                        finding.latest = result;
                    }
                } else if result.is_open() {
                    let arn = result.resource_arn.as_str();
                    let is_identity = here.is_some_and(|ids| ids.contains(arn));
                    open.insert(
                        key,
                        Open {
                            first_seen: *at,
                            new_identity: position > 0 && is_identity && !seen.contains(arn),
                            latest: result,
                        },
                    );
                }
            }
            if let Some(ids) = here {
                seen.extend(ids.iter().copied());
            }
        }
        for finding in open.into_values() {
            open_list.push(OpenFinding {
                account_id: account.to_string(),
                check_id: finding.latest.check_id.clone(),
                severity: finding.latest.severity.clone(),
                status: finding.latest.status.clone(),
                resource_arn: finding.latest.resource_arn.clone(),
                resource_name: finding.latest.resource_name.clone(),
                first_seen: finding.first_seen,
                age_days: round1(days_between(finding.first_seen, options.now).max(0.0)),
                new_identity: finding.new_identity,
            });
        }
    }
    if let Some(since) = options.since {
        remediated.retain(|finding| finding.resolved_at >= since);
    }
    remediated.sort_by(|a, b| {
        (a.resolved_at, &a.account_id, &a.check_id, &a.resource_arn).cmp(&(
            b.resolved_at,
            &b.account_id,
            &b.check_id,
            &b.resource_arn,
        ))
    });
    let days = |filter: &dyn Fn(&RemediatedFinding) -> bool| {
        Stats::of(
            remediated
                .iter()
                .filter(|f| filter(f))
                .map(|f| days_between(f.first_seen, f.resolved_at))
                .collect(),
        )
    };
    let time_to_remediate = TimeToRemediate {
        all: days(&|_| true),
        existing_identities: days(&|f| !f.new_identity),
        new_identities: days(&|f| f.new_identity),
        remediated,
    };
    open_list.sort_by(|a, b| {
        (a.first_seen, &a.account_id, &a.check_id, &a.resource_arn).cmp(&(
            b.first_seen,
            &b.account_id,
            &b.check_id,
            &b.resource_arn,
        ))
    });
    let mut by_age = AgeBuckets::default();
    for finding in &open_list {
        by_age.add(finding.age_days);
    }
    let open_findings = OpenFindings {
        total: open_list.len(),
        fail: open_list.iter().filter(|f| f.status == "fail").count(),
        excepted: open_list.iter().filter(|f| f.status == "excepted").count(),
        by_age,
        findings: open_list,
    };
    (time_to_remediate, open_findings)
}

/// Whether an exception is due for review as of `today`.
pub fn review_due(exception: &ExceptionRecord, today: NaiveDate) -> bool {
    match exception.reviewed {
        None => true,
        Some(reviewed) => (today - reviewed).num_days() > REVIEW_INTERVAL_DAYS,
    }
}

/// Whether an exception that has not expired yet expires within the
/// warning horizon. An expired one is reported as expired, not as this.
pub fn expiring_soon(exception: &ExceptionRecord, today: NaiveDate) -> bool {
    !exception.is_expired(today) && exception.expires <= today + Duration::days(EXPIRY_WARNING_DAYS)
}

fn exceptions_kpi(latest: Option<&(i64, Vec<ExceptionRecord>)>, today: NaiveDate) -> ExceptionsKpi {
    let Some((scan_id, exceptions)) = latest else {
        return ExceptionsKpi::default();
    };
    let mut by_owner: BTreeMap<String, OwnerExceptions> = BTreeMap::new();
    let mut by_expiry = ExpiryBuckets::default();
    let mut due = 0;
    for exception in exceptions {
        let owner = if exception.has_owner() {
            exception.owner.trim().to_string()
        } else {
            "(no owner)".to_string()
        };
        let entry = by_owner
            .entry(owner.clone())
            .or_insert_with(|| OwnerExceptions {
                owner,
                ..OwnerExceptions::default()
            });
        entry.count += 1;
        let days_left = (exception.expires - today).num_days();
        if exception.is_expired(today) {
            entry.expired += 1;
            by_expiry.expired += 1;
        } else {
            if days_left <= EXPIRY_WARNING_DAYS {
                entry.expiring_within_30_days += 1;
                by_expiry.within_30_days += 1;
            } else if days_left <= 90 {
                by_expiry.within_90_days += 1;
            } else {
                by_expiry.later += 1;
            }
            entry.next_expiry = Some(
                entry
                    .next_expiry
                    .map_or(exception.expires, |d| d.min(exception.expires)),
            );
        }
        if review_due(exception, today) {
            entry.review_due += 1;
            due += 1;
        }
    }
    ExceptionsKpi {
        scan_id: Some(*scan_id),
        total: exceptions.len(),
        by_owner: by_owner.into_values().collect(),
        by_expiry,
        review_due: due,
    }
}
