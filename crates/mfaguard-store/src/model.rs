//! What the store writes and reads: one scan, its accounts, results,
//! identities and exceptions, built from a [`Report`] (plus the snapshots
//! and configuration it was made from, for facts the report does not carry).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use mfaguard_core::config::Config;
use mfaguard_core::identity::{Identity, IdentityType};
use mfaguard_core::kpi::Coverage;
use mfaguard_core::report::{CheckResult, Report, Status};
use mfaguard_core::snapshot::{
    GroupDetail, InlinePolicy, PolicyDocument, RoleDetail, Snapshot, UserDetail,
};
use serde::{Deserialize, Serialize};

use crate::shard::Shard;

/// Results per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub fail: usize,
    pub excepted: usize,
    pub unknown: usize,
    pub pass: usize,
    pub not_applicable: usize,
}

impl Counts {
    pub fn add_status(&mut self, status: &str) {
        match status {
            "fail" => self.fail += 1,
            "excepted" => self.excepted += 1,
            "unknown" => self.unknown += 1,
            "pass" => self.pass += 1,
            _ => self.not_applicable += 1,
        }
    }

    pub fn add(&mut self, other: &Counts) {
        self.fail += other.fail;
        self.excepted += other.excepted;
        self.unknown += other.unknown;
        self.pass += other.pass;
        self.not_applicable += other.not_applicable;
    }

    fn of<'a>(statuses: impl Iterator<Item = &'a str>) -> Counts {
        let mut counts = Counts::default();
        for status in statuses {
            counts.add_status(status);
        }
        counts
    }
}

/// How many of `total` have the property; `unknown` were not decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub total: usize,
    pub covered: usize,
    pub unknown: usize,
}

impl Tally {
    /// `covered` over the decided ones, 0–100 with one decimal, as in the
    /// report; `None` when none was decided.
    pub fn percent(&self) -> Option<f64> {
        let decided = self.total.saturating_sub(self.unknown);
        (decided > 0).then(|| crate::time::round1(100.0 * self.covered as f64 / decided as f64))
    }

    pub fn add(&mut self, other: &Tally) {
        self.total += other.total;
        self.covered += other.covered;
        self.unknown += other.unknown;
    }

    fn of(coverage: &Coverage) -> Tally {
        Tally {
            total: coverage.total,
            covered: coverage.covered,
            unknown: coverage.unknown,
        }
    }
}

/// MFA coverage of console users (root and users with a password).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleCoverage {
    pub all: Tally,
    pub by_tier: BTreeMap<String, Tally>,
    pub phishing_resistant: Tally,
    /// Console users whose policies enforce MFA (absent in scans recorded
    /// before verdicts were: then zero, which reads as "no figure").
    #[serde(default)]
    pub enforced: Tally,
    #[serde(default)]
    pub enforced_by_tier: BTreeMap<String, Tally>,
}

impl ConsoleCoverage {
    pub fn add(&mut self, other: &ConsoleCoverage) {
        self.all.add(&other.all);
        self.phishing_resistant.add(&other.phishing_resistant);
        self.enforced.add(&other.enforced);
        for (tier, tally) in &other.by_tier {
            self.by_tier.entry(tier.clone()).or_default().add(tally);
        }
        for (tier, tally) in &other.enforced_by_tier {
            self.enforced_by_tier
                .entry(tier.clone())
                .or_default()
                .add(tally);
        }
    }
}

/// One account of one scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountRecord {
    pub account_id: String,
    /// `scanned`, or `failed` (an organisation account that could not be
    /// collected; it says nothing about the account's findings).
    pub status: String,
    pub error: Option<String>,
    pub source: Option<String>,
    pub location: Option<String>,
    pub collected_at: Option<DateTime<Utc>>,
    pub credential_report_generated_at: Option<DateTime<Utc>>,
    pub posture: Option<f64>,
    pub passed_weight: u64,
    pub failed_weight: u64,
    /// Weight of the unknown results, counted in the posture as not
    /// passing; 0 for scans recorded before it was stored.
    pub unknown_weight: u64,
    /// CIS recommendation → `pass`, `fail`, `unknown` or `not_applicable`.
    pub cis_v3: BTreeMap<String, String>,
    pub cis_v5: BTreeMap<String, String>,
    pub counts: Counts,
    pub coverage: ConsoleCoverage,
}

impl AccountRecord {
    pub fn is_scanned(&self) -> bool {
        self.status == "scanned"
    }
}

/// One result (check × resource) of one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultRecord {
    pub account_id: String,
    pub check_id: String,
    pub status: String,
    pub severity: String,
    pub resource_arn: String,
    pub resource_name: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception_owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception_expires: Option<String>,
}

impl ResultRecord {
    /// A failure, accepted or not: the finding is still there.
    pub fn is_open(&self) -> bool {
        self.status == "fail" || self.status == "excepted"
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub serial: String,
    /// `virtual`, `hardware` or `fido`.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub slot: u8,
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<String>,
}

/// One identity of one scan, with what change detection needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityRecord {
    pub account_id: String,
    pub arn: String,
    pub name: String,
    /// `root`, `user` or `role`.
    pub kind: String,
    pub tier: String,
    pub console_access: Option<bool>,
    pub mfa_active: Option<bool>,
    pub breakglass: bool,
    pub privileged: Option<bool>,
    pub created: Option<DateTime<Utc>>,
    /// From the credential report (users only).
    pub password_last_changed: Option<String>,
    pub mfa_devices: Vec<DeviceRecord>,
    pub access_keys: Vec<KeyRecord>,
    pub groups: Vec<String>,
    /// Sorted descriptions of every policy that applies directly or through
    /// a group: `managed ARN`, `inline NAME #HASH`, `boundary ARN`,
    /// `group NAME: managed ARN`, ...
    pub policies: Vec<String>,
    /// The enforcement verdict (`enforced`, `not_enforced`, `no_access`,
    /// `locked_out`, `unknown`); `None` when not analysed, or recorded before
    /// verdicts were stored.
    #[serde(default)]
    pub enforcement: Option<String>,
    /// How many actions it was allowed without MFA.
    #[serde(default)]
    pub allowed_without_mfa: Option<u64>,
}

impl IdentityRecord {
    pub fn is_console_user(&self) -> bool {
        self.kind != "role" && self.console_access == Some(true)
    }

    /// Root, break-glass or privileged.
    pub fn is_sensitive(&self) -> bool {
        matches!(self.tier.as_str(), "root" | "breakglass" | "privileged")
            || self.breakglass
            || self.privileged == Some(true)
    }
}

/// One exception of the configuration the scan ran with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRecord {
    pub check_id: String,
    pub resource: String,
    pub owner: String,
    pub reason: String,
    pub expires: NaiveDate,
    pub reviewed: Option<NaiveDate>,
    pub config_line: usize,
}

impl ExceptionRecord {
    pub fn from_config(config: &Config) -> Vec<ExceptionRecord> {
        config
            .exceptions
            .iter()
            .map(|exception| ExceptionRecord {
                check_id: exception.check.clone(),
                resource: exception.resource.clone(),
                owner: exception.owner.clone(),
                reason: exception.reason.clone(),
                expires: exception.expires,
                reviewed: exception.reviewed,
                config_line: exception.line,
            })
            .collect()
    }

    pub fn has_owner(&self) -> bool {
        !self.owner.trim().is_empty()
    }

    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires < today
    }

    /// Whether `result` is a result this exception names.
    pub fn matches(&self, result: &ResultRecord) -> bool {
        result.check_id == self.check_id
            && (result.resource_arn == self.resource || result.resource_name == self.resource)
    }

    /// The account of the excepted resource, when it is an ARN.
    pub fn account_id(&self) -> Option<&str> {
        let mut parts = self.resource.split(':');
        match (parts.next(), parts.nth(3)) {
            (Some("arn"), Some(account)) if !account.is_empty() => Some(account),
            _ => None,
        }
    }
}

/// Everything recorded for one scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanRecord {
    /// The time the analysis was made as of (the report's `generated_at`).
    pub scanned_at: DateTime<Utc>,
    pub tool_version: String,
    pub report_schema_version: u32,
    pub shard: Option<String>,
    pub partial: bool,
    pub posture: Option<f64>,
    pub cis_v3: Option<f64>,
    pub cis_v5: Option<f64>,
    pub counts: Counts,
    #[serde(skip)]
    pub report_json: String,
    pub accounts: Vec<AccountRecord>,
    pub results: Vec<ResultRecord>,
    pub identities: Vec<IdentityRecord>,
    pub exceptions: Vec<ExceptionRecord>,
}

/// A recorded scan, as history lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    pub id: i64,
    pub scanned_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub tool_version: String,
    pub accounts: Vec<String>,
    pub shard: Option<String>,
    pub partial: bool,
    pub posture: Option<f64>,
    pub cis_v3: Option<f64>,
    pub cis_v5: Option<f64>,
    pub counts: Counts,
}

/// An account row read back, with its scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAccount {
    pub scan_id: i64,
    pub scanned_at: DateTime<Utc>,
    #[serde(flatten)]
    pub record: AccountRecord,
}

fn status_str(status: Status) -> &'static str {
    status.as_str()
}

fn kind_str(kind: IdentityType) -> &'static str {
    match kind {
        IdentityType::Root => "root",
        IdentityType::User => "user",
        IdentityType::Role => "role",
    }
}

impl ScanRecord {
    /// Builds the rows of a scan. `snapshots` and `config` are the inputs of
    /// the report: password changes and policies come from the snapshots,
    /// the exceptions from the configuration.
    pub fn from_report(
        report: &Report,
        snapshots: &[Snapshot],
        config: &Config,
        shard: Option<Shard>,
    ) -> ScanRecord {
        let json = serde_json::to_string(report).unwrap_or_else(|_| "{}".to_string());
        ScanRecord::with_report_json(report, snapshots, config, shard, json)
    }

    /// [`ScanRecord::from_report`] with the report's JSON made by the
    /// caller (empty when it is written from a [`crate::delta::ReportText`]).
    pub fn with_report_json(
        report: &Report,
        snapshots: &[Snapshot],
        config: &Config,
        shard: Option<Shard>,
        report_json: String,
    ) -> ScanRecord {
        // Looked up once per identity: indexed, not searched (an account
        // of 20,000 users would otherwise cost 400 million comparisons).
        let by_account: HashMap<&str, Lookup<'_>> = snapshots
            .iter()
            .map(|snapshot| {
                (
                    snapshot.account_id.as_deref().unwrap_or(""),
                    Lookup::of(snapshot),
                )
            })
            .collect();
        let mut accounts: Vec<AccountRecord> = Vec::new();
        for summary in &report.accounts {
            if accounts.iter().any(|a| a.account_id == summary.account_id) {
                continue;
            }
            let results: Vec<CheckResult> = report
                .results
                .iter()
                .filter(|result| result.account_id == summary.account_id)
                .cloned()
                .collect();
            let identities: Vec<Identity> = report
                .identities
                .iter()
                .filter(|identity| identity.account_id == summary.account_id)
                .cloned()
                .collect();
            let score = mfaguard_core::score::compute(&results);
            let kpis = mfaguard_core::kpi::compute(&identities);
            let cis = |recommendations: &BTreeMap<String, Status>| {
                recommendations
                    .iter()
                    .map(|(id, status)| (id.clone(), status_str(*status).to_string()))
                    .collect()
            };
            accounts.push(AccountRecord {
                account_id: summary.account_id.clone(),
                status: "scanned".to_string(),
                error: None,
                source: Some(summary.source.clone()),
                location: Some(summary.location.clone()),
                collected_at: Some(summary.collected_at),
                credential_report_generated_at: summary.credential_report_generated_at,
                posture: score.posture,
                passed_weight: u64::from(score.passed_weight),
                failed_weight: u64::from(score.failed_weight),
                unknown_weight: u64::from(score.unknown_weight),
                cis_v3: cis(&score.cis_v3.recommendations),
                cis_v5: cis(&score.cis_v5.recommendations),
                counts: Counts::of(results.iter().map(|r| status_str(r.status))),
                coverage: ConsoleCoverage {
                    all: Tally::of(&kpis.console_users_with_mfa),
                    by_tier: kpis
                        .console_users_with_mfa_by_tier
                        .iter()
                        .map(|(tier, coverage)| (tier.as_str().to_string(), Tally::of(coverage)))
                        .collect(),
                    phishing_resistant: Tally::of(&kpis.console_users_with_phishing_resistant_mfa),
                    enforced: Tally::of(&kpis.console_users_with_mfa_enforced),
                    enforced_by_tier: kpis
                        .console_users_with_mfa_enforced_by_tier
                        .iter()
                        .map(|(tier, coverage)| (tier.as_str().to_string(), Tally::of(coverage)))
                        .collect(),
                },
            });
        }
        for failed in &report.failed_accounts {
            if accounts.iter().any(|a| a.account_id == failed.account_id) {
                continue;
            }
            accounts.push(AccountRecord {
                account_id: failed.account_id.clone(),
                status: "failed".to_string(),
                error: Some(failed.error.clone()),
                source: None,
                location: None,
                collected_at: None,
                credential_report_generated_at: None,
                posture: None,
                passed_weight: 0,
                failed_weight: 0,
                unknown_weight: 0,
                cis_v3: BTreeMap::new(),
                cis_v5: BTreeMap::new(),
                counts: Counts::default(),
                coverage: ConsoleCoverage::default(),
            });
        }
        let results = report
            .results
            .iter()
            .map(|result| ResultRecord {
                account_id: result.account_id.clone(),
                check_id: result.check_id.to_string(),
                status: status_str(result.status).to_string(),
                severity: result.severity.as_str().to_string(),
                resource_arn: result.resource_arn.clone(),
                resource_name: result.resource_name.clone(),
                message: result.message.clone(),
                exception_owner: result.exception.as_ref().map(|e| e.owner.clone()),
                exception_expires: result.exception.as_ref().map(|e| e.expires.clone()),
            })
            .collect();
        let identities = report
            .identities
            .iter()
            .map(|identity| identity_record(identity, by_account.get(identity.account_id.as_str())))
            .collect();
        ScanRecord {
            scanned_at: report.generated_at,
            tool_version: report.tool.version.to_string(),
            report_schema_version: report.schema_version,
            shard: shard.map(|shard| shard.to_string()),
            partial: report.is_partial(),
            posture: report.score.posture,
            cis_v3: report.score.cis_v3.percent,
            cis_v5: report.score.cis_v5.percent,
            counts: Counts::of(report.results.iter().map(|r| status_str(r.status))),
            report_json,
            accounts,
            results,
            identities,
            exceptions: ExceptionRecord::from_config(config),
        }
    }

    /// Account IDs scanned or attempted, in order.
    pub fn account_ids(&self) -> Vec<String> {
        self.accounts.iter().map(|a| a.account_id.clone()).collect()
    }
}

/// A snapshot's credential report rows, users, groups and roles by key.
struct Lookup<'a> {
    report_rows: HashMap<&'a str, &'a mfaguard_core::credential_report::CredentialReportRow>,
    users: HashMap<&'a str, &'a UserDetail>,
    groups: HashMap<&'a str, &'a GroupDetail>,
    roles: HashMap<&'a str, &'a RoleDetail>,
}

impl<'a> Lookup<'a> {
    fn of(snapshot: &'a Snapshot) -> Lookup<'a> {
        // The first of duplicates wins, as a search from the start would.
        fn first<'a, T>(items: impl Iterator<Item = (&'a str, &'a T)>) -> HashMap<&'a str, &'a T> {
            let mut map = HashMap::new();
            for (key, item) in items {
                map.entry(key).or_insert(item);
            }
            map
        }
        let details = snapshot.authorization_details.as_ref();
        let users = details
            .map(|d| d.user_detail_list.as_slice())
            .unwrap_or_default();
        let groups = details
            .map(|d| d.group_detail_list.as_slice())
            .unwrap_or_default();
        let roles = details
            .map(|d| d.role_detail_list.as_slice())
            .unwrap_or_default();
        Lookup {
            report_rows: first(
                snapshot
                    .credential_report
                    .rows
                    .iter()
                    .map(|row| (row.arn.as_str(), row)),
            ),
            users: first(users.iter().map(|user| (user.arn.as_str(), user))),
            groups: first(
                groups
                    .iter()
                    .map(|group| (group.group_name.as_str(), group)),
            ),
            roles: first(roles.iter().map(|role| (role.arn.as_str(), role))),
        }
    }
}

fn identity_record(identity: &Identity, snapshot: Option<&Lookup<'_>>) -> IdentityRecord {
    let password_last_changed = snapshot
        .and_then(|lookup| lookup.report_rows.get(identity.arn.as_str()))
        .and_then(|row| row.password_last_changed.value().copied())
        .map(crate::time::format);
    let mut mfa_devices: Vec<DeviceRecord> = identity
        .mfa
        .devices
        .iter()
        .map(|device| DeviceRecord {
            serial: device.serial.clone(),
            kind: serde_json::to_value(device.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        })
        .collect();
    mfa_devices.sort();
    mfa_devices.dedup();
    let access_keys = identity
        .access_keys
        .iter()
        .map(|key| KeyRecord {
            slot: key.slot,
            active: key.active,
            last_rotated: key.last_rotated.map(crate::time::format),
        })
        .collect();
    let mut groups = identity.groups.clone();
    groups.sort();
    let policies = snapshot
        .map(|lookup| policies_of(lookup, identity))
        .unwrap_or_default();
    IdentityRecord {
        account_id: identity.account_id.clone(),
        arn: identity.arn.clone(),
        name: identity.name.clone(),
        kind: kind_str(identity.kind).to_string(),
        tier: identity.tier.as_str().to_string(),
        console_access: identity.console_access,
        mfa_active: identity.mfa.active,
        breakglass: identity.breakglass,
        privileged: identity.privilege.privileged,
        created: identity.created,
        password_last_changed,
        mfa_devices,
        access_keys,
        groups,
        policies,
        enforcement: identity
            .enforcement
            .map(|verdict| verdict.as_str().to_string()),
        allowed_without_mfa: identity
            .allowed_without_mfa
            .as_ref()
            .map(|allowed| allowed.count as u64),
    }
}

fn policies_of(lookup: &Lookup<'_>, identity: &Identity) -> Vec<String> {
    let mut out = Vec::new();
    let inline = |prefix: &str, list: &[InlinePolicy], out: &mut Vec<String>| {
        for policy in list {
            out.push(format!(
                "{prefix}inline {} #{:016x}",
                policy.policy_name,
                document_hash(&policy.policy_document)
            ));
        }
    };
    match identity.kind {
        IdentityType::User => {
            if let Some(user) = lookup.users.get(identity.arn.as_str()) {
                for policy in &user.attached_managed_policies {
                    out.push(format!("managed {}", policy.policy_arn));
                }
                inline("", &user.user_policy_list, &mut out);
                if let Some(boundary) = &user.permissions_boundary {
                    out.push(format!("boundary {}", boundary.permissions_boundary_arn));
                }
                for group_name in &user.group_list {
                    let prefix = format!("group {group_name}: ");
                    if let Some(group) = lookup.groups.get(group_name.as_str()) {
                        for policy in &group.attached_managed_policies {
                            out.push(format!("{prefix}managed {}", policy.policy_arn));
                        }
                        inline(&prefix, &group.group_policy_list, &mut out);
                    }
                }
            }
        }
        IdentityType::Role => {
            if let Some(role) = lookup.roles.get(identity.arn.as_str()) {
                for policy in &role.attached_managed_policies {
                    out.push(format!("managed {}", policy.policy_arn));
                }
                inline("", &role.role_policy_list, &mut out);
                if let Some(boundary) = &role.permissions_boundary {
                    out.push(format!("boundary {}", boundary.permissions_boundary_arn));
                }
                if let Some(trust) = &role.assume_role_policy_document {
                    out.push(format!("trust #{:016x}", document_hash(trust)));
                }
            }
        }
        IdentityType::Root => {}
    }
    out.sort();
    out.dedup();
    out
}

/// A stable hash of a policy document (keys sorted), to notice edits.
fn document_hash(document: &PolicyDocument) -> u64 {
    let mut text = String::new();
    canonical(&document.0, &mut text);
    crate::shard::account_hash(&text)
}

fn canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for key in keys {
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(inner) = map.get(key) {
                    canonical(inner, out);
                }
                out.push(',');
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for item in items {
                canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}
