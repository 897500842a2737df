//! The trail report: the JSON contract of `mfaguard trail`
//! (docs/trail.md) and its text rendering.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use mfaguard_core::identity::Tier;
use mfaguard_core::Severity;

use crate::activity::{
    access_level, month_label, Activity, Alert, CallCounts, ConsoleCounts, DenialCounts,
    DenialExample, HumanCalls, Kind, MfaDeviceEvent, RoleMonth,
};
use crate::knowledge::{EnforcementLink, Knowledge};
use crate::reader::{Discovery, ReadStats, SkippedFile, Window};

/// Version of the trail report format.
pub const TRAIL_SCHEMA_VERSION: u32 = 1;

/// Actions without MFA listed per identity and month, most sensitive first.
pub const TOP_ACTIONS: usize = 5;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrailReport {
    pub schema_version: u32,
    pub tool: Tool,
    pub generated_at: DateTime<Utc>,
    pub window: WindowView,
    pub inputs: Inputs,
    /// Per account and month.
    pub accounts: Vec<AccountMonths>,
    /// Per identity and month.
    pub identities: Vec<IdentityView>,
    /// Role assumptions per role and month.
    pub roles: Vec<RoleView>,
    pub mfa_device_events: Vec<MfaDeviceEvent>,
    /// Alerts (root and break-glass use, MFA removed) and console sign-ins
    /// without MFA, most severe first.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WindowView {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// What was read and what was not, by name.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Inputs {
    pub location: String,
    /// Accounts with a snapshot: their denials are evaluated.
    pub snapshot_accounts: Vec<String>,
    pub files_read: u64,
    pub bytes_on_disk: u64,
    pub bytes_uncompressed: u64,
    /// Date folders outside the window, not opened.
    pub date_folders_pruned: usize,
    pub records: u64,
    pub records_analysed: u64,
    pub records_outside_window: u64,
    pub records_skipped: u64,
    /// Files not read (digest, Insights, other files).
    pub files_skipped: Vec<SkippedFile>,
    pub digest_files: usize,
    /// Log files that could not be read to the end.
    pub files_failed: Vec<crate::reader::FailedFile>,
    /// Skipped records, the first few of each file (all are counted).
    pub records_skipped_listed: Vec<crate::reader::SkippedRecord>,
    /// AWS API calls made to read the input (attempts by operation,
    /// retries included); absent when reading a local folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<BTreeMap<String, u64>>,
}

impl Inputs {
    /// True when something was not read: the figures are partial.
    pub fn is_partial(&self) -> bool {
        self.records_skipped > 0 || !self.files_failed.is_empty()
    }
}

/// One account in one month.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AccountMonths {
    pub account_id: String,
    pub has_snapshot: bool,
    pub months: Vec<AccountMonth>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AccountMonth {
    pub month: String,
    pub console_sign_ins: ConsoleCounts,
    /// Root console sign-ins (also in `console_sign_ins`).
    pub root_sign_ins: u64,
    /// API calls of people and roles (AWS services excluded).
    pub api_calls: CallCounts,
    pub denials: DenialCounts,
    /// API calls made by people, by MFA (see docs/trail.md for who counts).
    pub human_api_calls: HumanApiCalls,
    /// API calls of workloads (users without a console password, roles
    /// only workloads assume; AWS services are not counted at all).
    pub workload_api_calls: u64,
    /// API calls not told to be a person's or a workload's (no snapshot
    /// names the caller): outside the share, listed so that it is seen.
    pub unclassified_api_calls: u64,
    /// Sign-ins and API calls of the root user.
    pub root_uses: u64,
    /// Sign-ins and API calls of break-glass users.
    pub breakglass_uses: u64,
}

/// People's API calls and the share made with MFA.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HumanApiCalls {
    #[serde(flatten)]
    pub counts: HumanCalls,
    /// `with_mfa / (with_mfa + without_mfa)` in percent, one decimal;
    /// `null` without such calls. Federated calls and calls whose MFA is
    /// not recorded are outside it.
    pub share_with_mfa: Option<f64>,
    /// The same share counting the unclassified calls, and people's calls
    /// whose MFA is not recorded, as without MFA: the lowest it can be.
    pub share_with_mfa_at_worst: Option<f64>,
}

impl HumanApiCalls {
    pub fn new(counts: HumanCalls, unclassified: u64) -> HumanApiCalls {
        HumanApiCalls {
            share_with_mfa: share(counts.with_mfa, counts.without_mfa),
            share_with_mfa_at_worst: share(
                counts.with_mfa,
                counts.without_mfa + counts.mfa_unknown + unclassified,
            ),
            counts,
        }
    }
}

/// `with / (with + without)` in percent, one decimal.
pub fn share(with: u64, without: u64) -> Option<f64> {
    let total = with + without;
    (total > 0).then(|| (with as f64 * 1000.0 / total as f64).round() / 10.0)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IdentityView {
    pub account_id: String,
    pub arn: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// From the snapshot; absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// The audit's MFA-enforcement result for it (with a snapshot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<EnforcementLink>,
    pub months: Vec<IdentityMonthView>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IdentityMonthView {
    pub month: String,
    pub console_sign_ins: ConsoleCounts,
    pub api_calls: CallCounts,
    /// Calls without MFA (sessions without MFA and access keys).
    pub calls_without_mfa: u64,
    /// The most sensitive actions called without MFA.
    pub top_actions_without_mfa: Vec<ActionCount>,
    pub denials: DenialCounts,
    pub denial_examples: Vec<DenialExample>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActionCount {
    pub action: String,
    /// The catalogue's access level; absent for actions it does not list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_level: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RoleView {
    pub account_id: String,
    pub role_arn: String,
    pub month: String,
    #[serde(flatten)]
    pub counts: RoleMonth,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Finding {
    Alert(Alert),
    SignInWithoutMfa(SignInWithoutMfa),
}

impl Finding {
    pub fn severity(&self) -> Severity {
        match self {
            Finding::Alert(alert) => alert.severity,
            Finding::SignInWithoutMfa(finding) => finding.severity,
        }
    }
}

/// An IAM user signed in to the console without MFA in a month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SignInWithoutMfa {
    pub severity: Severity,
    /// Always `console_sign_in_without_mfa`.
    pub kind: &'static str,
    pub account_id: String,
    pub identity_arn: String,
    pub identity_name: String,
    pub month: String,
    pub sign_ins: u64,
    pub message: String,
}

impl TrailReport {
    /// Findings at or above `threshold`: what decides exit code 1.
    pub fn findings_at_or_above(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.severity().at_least(threshold))
            .count()
    }

    /// Builds the report from the merged analysis.
    pub fn build(
        location: &str,
        discovery: Discovery,
        stats: ReadStats,
        activity: Activity<'_>,
        knowledge: &Knowledge,
        window: Window,
        now: DateTime<Utc>,
    ) -> TrailReport {
        let mut snapshot_accounts: Vec<String> = knowledge.accounts.keys().cloned().collect();
        snapshot_accounts.sort();
        let inputs = Inputs {
            location: location.to_string(),
            snapshot_accounts,
            files_read: stats.files_read,
            bytes_on_disk: stats.bytes_on_disk,
            bytes_uncompressed: stats.bytes_uncompressed,
            date_folders_pruned: discovery.pruned_folders,
            records: stats.records,
            records_analysed: activity.records_analysed,
            records_outside_window: activity.records_outside_window,
            records_skipped: stats.records_skipped,
            files_skipped: discovery.skipped,
            digest_files: discovery.digest_files,
            files_failed: stats.failed_files,
            records_skipped_listed: stats.skipped_records,
            api_calls: None,
        };

        let mut accounts: BTreeMap<String, BTreeMap<i32, AccountMonth>> = BTreeMap::new();
        let mut identities = Vec::new();
        let mut findings = Vec::new();
        for (account, by_identity) in activity.identities {
            let months = accounts.entry(account.clone()).or_default();
            for (arn, identity) in by_identity {
                let facts = knowledge.facts(&account, &arn);
                let mut views = Vec::new();
                for (month, counts) in identity.months {
                    let label = month_label(month);
                    let total = months.entry(month).or_insert_with(|| AccountMonth {
                        month: label.clone(),
                        ..AccountMonth::default()
                    });
                    add_console(&mut total.console_sign_ins, &counts.console);
                    if identity.kind == Kind::Root {
                        total.root_sign_ins += counts.console.with_mfa
                            + counts.console.without_mfa
                            + counts.console.mfa_unknown;
                    }
                    add_calls(&mut total.api_calls, &counts.calls);
                    total.denials.merge(&counts.denials);
                    total.human_api_calls.counts.merge(&counts.human_calls);
                    total.workload_api_calls += counts.workload_calls;
                    total.unclassified_api_calls += counts.unclassified_calls;
                    total.root_uses += counts.root_uses;
                    total.breakglass_uses += counts.breakglass_uses;
                    if identity.kind == Kind::User && counts.console.without_mfa > 0 {
                        let times = counts.console.without_mfa;
                        let mut message = format!(
                            "{} signed in to the console {} without MFA in {label} (account {account})",
                            identity.name,
                            plural(times, "time", "times")
                        );
                        if let Some(link) = facts.and_then(|facts| facts.enforcement.as_ref()) {
                            let _ =
                                write!(message, "; {}: {}", link.check_id, link.status.as_str());
                        }
                        findings.push(Finding::SignInWithoutMfa(SignInWithoutMfa {
                            severity: Severity::Medium,
                            kind: "console_sign_in_without_mfa",
                            account_id: account.clone(),
                            identity_arn: arn.clone(),
                            identity_name: identity.name.clone(),
                            month: label.clone(),
                            sign_ins: times,
                            message,
                        }));
                    }
                    let mut actions: Vec<ActionCount> = counts
                        .actions_without_mfa
                        .into_iter()
                        .map(|(action, count)| ActionCount {
                            access_level: access_level(&action).map(|l| l.as_str().to_string()),
                            action,
                            count,
                        })
                        .collect();
                    actions.sort_by(|a, b| {
                        let rank = |x: &ActionCount| {
                            x.access_level
                                .as_deref()
                                .and_then(iam_policy::catalog::AccessLevel::from_name)
                        };
                        rank(b)
                            .cmp(&rank(a))
                            .then(b.count.cmp(&a.count))
                            .then(a.action.cmp(&b.action))
                    });
                    actions.truncate(TOP_ACTIONS);
                    views.push(IdentityMonthView {
                        month: label,
                        calls_without_mfa: counts.calls.session_without_mfa
                            + counts.calls.access_key,
                        console_sign_ins: counts.console,
                        api_calls: counts.calls,
                        top_actions_without_mfa: actions,
                        denials: counts.denials,
                        denial_examples: counts.denial_examples,
                    });
                }
                identities.push(IdentityView {
                    account_id: account.clone(),
                    arn,
                    name: identity.name,
                    kind: identity.kind,
                    tier: facts.map(|facts| facts.tier),
                    enforcement: facts.and_then(|facts| facts.enforcement.clone()),
                    months: views,
                });
            }
        }
        identities.sort_by(|a, b| (&a.account_id, &a.arn).cmp(&(&b.account_id, &b.arn)));

        let mut roles: Vec<RoleView> = activity
            .roles
            .into_iter()
            .flat_map(|((account, role), months)| {
                months.into_iter().map(move |(month, counts)| RoleView {
                    account_id: account.clone(),
                    role_arn: role.clone(),
                    month: month_label(month),
                    counts,
                })
            })
            .collect();
        roles.sort_by(|a, b| {
            (&a.account_id, &a.role_arn, &a.month).cmp(&(&b.account_id, &b.role_arn, &b.month))
        });

        let mut alerts = activity.alerts;
        alerts.sort_by(|a, b| {
            (a.time, &a.account_id, &a.identity_arn, &a.event_name).cmp(&(
                b.time,
                &b.account_id,
                &b.identity_arn,
                &b.event_name,
            ))
        });
        findings.sort_by(|a, b| match (a, b) {
            (Finding::SignInWithoutMfa(a), Finding::SignInWithoutMfa(b)) => (
                &a.account_id,
                &a.identity_arn,
                &a.month,
            )
                .cmp(&(&b.account_id, &b.identity_arn, &b.month)),
            _ => std::cmp::Ordering::Equal,
        });
        findings.extend(alerts.into_iter().map(Finding::Alert));
        // Most severe first; stable, so alerts stay in time order.
        findings.sort_by_key(|finding| finding.severity());

        let mut mfa_device_events = activity.mfa_device_events;
        mfa_device_events.sort_by(|a, b| {
            (a.time, &a.account_id, &a.event_name, &a.user_name).cmp(&(
                b.time,
                &b.account_id,
                &b.event_name,
                &b.user_name,
            ))
        });

        TrailReport {
            schema_version: TRAIL_SCHEMA_VERSION,
            tool: Tool {
                name: "mfaguard",
                version: env!("CARGO_PKG_VERSION"),
            },
            generated_at: now,
            window: WindowView {
                since: window.since,
                until: window.until,
            },
            accounts: accounts
                .into_iter()
                .map(|(account_id, months)| AccountMonths {
                    has_snapshot: knowledge.has_snapshot(&account_id),
                    account_id,
                    months: months
                        .into_values()
                        .map(|mut month| {
                            month.human_api_calls = HumanApiCalls::new(
                                month.human_api_calls.counts.clone(),
                                month.unclassified_api_calls,
                            );
                            month
                        })
                        .collect(),
                })
                .collect(),
            inputs,
            identities,
            roles,
            mfa_device_events,
            findings,
        }
    }

    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let inputs = &self.inputs;
        let _ = writeln!(out, "CloudTrail evidence from {}", inputs.location);
        let _ = writeln!(
            out,
            "  {} read ({} on disk, {} uncompressed), {} ({} analysed, {} outside the window, {} skipped)",
            plural(inputs.files_read, "file", "files"),
            bytes(inputs.bytes_on_disk),
            bytes(inputs.bytes_uncompressed),
            plural(inputs.records, "record", "records"),
            inputs.records_analysed,
            inputs.records_outside_window,
            inputs.records_skipped
        );
        if let Some(calls) = &inputs.api_calls {
            let listed: Vec<String> = calls
                .iter()
                .map(|(action, count)| format!("{action} {count}"))
                .collect();
            let _ = writeln!(out, "  AWS API calls: {}", listed.join(", "));
        }
        if inputs.date_folders_pruned > 0 {
            let _ = writeln!(
                out,
                "  {} outside --since/--until not opened",
                plural(
                    inputs.date_folders_pruned as u64,
                    "date folder",
                    "date folders"
                )
            );
        }
        if inputs.snapshot_accounts.is_empty() {
            let _ = writeln!(
                out,
                "  no snapshot: denials are attributed by heuristic (inferred), tiers unknown"
            );
        } else {
            let _ = writeln!(
                out,
                "  snapshots of: {}",
                inputs.snapshot_accounts.join(", ")
            );
        }
        for file in &inputs.files_skipped {
            let _ = writeln!(out, "  not read: {}: {}", file.path, file.reason);
        }
        for file in &inputs.files_failed {
            let _ = writeln!(
                out,
                "  PARTIAL: {}: {} ({} records before the problem were counted)",
                file.path, file.reason, file.records_before_error
            );
        }
        for record in &inputs.records_skipped_listed {
            let _ = writeln!(
                out,
                "  skipped record {} of {}: {}",
                record.index, record.path, record.reason
            );
        }
        let listed = inputs.records_skipped_listed.len() as u64;
        if inputs.records_skipped > listed {
            let _ = writeln!(
                out,
                "  ... and {} more skipped records (see the JSON report)",
                inputs.records_skipped - listed
            );
        }

        let _ = writeln!(out, "\nFindings ({})", self.findings.len());
        if self.findings.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for finding in &self.findings {
            match finding {
                Finding::Alert(alert) => {
                    let _ = writeln!(
                        out,
                        "  [{}] {} {} (from {}, {})",
                        alert.severity,
                        alert.time.format("%Y-%m-%d %H:%M:%SZ"),
                        alert.message,
                        alert.source_ip.as_deref().unwrap_or("unknown address"),
                        alert.user_agent.as_deref().unwrap_or("unknown agent")
                    );
                }
                Finding::SignInWithoutMfa(finding) => {
                    let _ = writeln!(out, "  [{}] {}", finding.severity, finding.message);
                }
            }
        }

        for account in &self.accounts {
            let _ = writeln!(
                out,
                "\nAccount {}{}",
                account.account_id,
                if account.has_snapshot {
                    ""
                } else {
                    " (no snapshot)"
                }
            );
            for month in &account.months {
                let c = &month.console_sign_ins;
                let a = &month.api_calls;
                let d = &month.denials;
                let _ = writeln!(
                    out,
                    "  {}: console sign-ins {} with MFA, {} without, {} federated, {} failed, {} root; \
                     API calls {} with MFA, {} sessions without MFA, {} access keys, {} federated, {} unknown; \
                     denials {} ({} MFA-related, {} inferred MFA-related)",
                    month.month,
                    c.with_mfa,
                    c.without_mfa,
                    c.federated,
                    c.failed,
                    month.root_sign_ins,
                    a.with_mfa,
                    a.session_without_mfa,
                    a.access_key,
                    a.federated,
                    a.mfa_unknown,
                    d.total,
                    d.mfa_related,
                    d.inferred_mfa_related
                );
                let h = &month.human_api_calls;
                let percent =
                    |share: Option<f64>| share.map_or("-".to_string(), |p| format!("{p:.1}%"));
                let _ = writeln!(
                    out,
                    "    people's API calls with MFA: {} ({} with, {} without, {} MFA not recorded, {} federated); \
                     {} unclassified (at worst {}), {} by workloads; root uses {}, break-glass uses {}",
                    percent(h.share_with_mfa),
                    h.counts.with_mfa,
                    h.counts.without_mfa,
                    h.counts.mfa_unknown,
                    h.counts.federated,
                    month.unclassified_api_calls,
                    percent(h.share_with_mfa_at_worst),
                    month.workload_api_calls,
                    month.root_uses,
                    month.breakglass_uses
                );
            }
        }

        let _ = writeln!(out, "\nIdentities without MFA");
        let mut any = false;
        for identity in &self.identities {
            for month in &identity.months {
                if month.calls_without_mfa == 0 && month.console_sign_ins.without_mfa == 0 {
                    continue;
                }
                any = true;
                let actions: Vec<&str> = month
                    .top_actions_without_mfa
                    .iter()
                    .map(|action| action.action.as_str())
                    .collect();
                let mut line = format!(
                    "  {} ({}): {} without MFA in {}",
                    identity.name,
                    identity.account_id,
                    plural(month.calls_without_mfa, "call", "calls"),
                    month.month
                );
                if !actions.is_empty() {
                    let _ = write!(line, ", including {}", actions.join(", "));
                }
                if let Some(link) = &identity.enforcement {
                    let _ = write!(line, " [{}: {}]", link.check_id, link.status.as_str());
                }
                let _ = writeln!(out, "{line}");
            }
        }
        if !any {
            let _ = writeln!(out, "  none");
        }

        if !self.roles.is_empty() {
            let _ = writeln!(out, "\nRole assumptions");
            for role in &self.roles {
                let c = &role.counts;
                let _ = writeln!(
                    out,
                    "  {} {}: {} with MFA, {} without, {} federated, {} failed, {} cross-account",
                    role.role_arn,
                    role.month,
                    c.with_mfa,
                    c.without_mfa,
                    c.federated,
                    c.failed,
                    c.cross_account
                );
            }
        }
        if !self.mfa_device_events.is_empty() {
            let _ = writeln!(out, "\nMFA device changes");
            for event in &self.mfa_device_events {
                let _ = writeln!(
                    out,
                    "  {} {} {} by {}{}{}",
                    event.time.format("%Y-%m-%d %H:%M:%SZ"),
                    event.event_name,
                    event.user_name.as_deref().unwrap_or("(no user named)"),
                    event.actor_arn,
                    event
                        .tier
                        .map(|t| format!(" [{}]", t.as_str()))
                        .unwrap_or_default(),
                    event
                        .error_code
                        .as_deref()
                        .map(|code| format!(" failed: {code}"))
                        .unwrap_or_default()
                );
            }
        }
        out
    }
}

fn add_console(into: &mut ConsoleCounts, from: &ConsoleCounts) {
    into.with_mfa += from.with_mfa;
    into.without_mfa += from.without_mfa;
    into.federated += from.federated;
    into.failed += from.failed;
    into.mfa_unknown += from.mfa_unknown;
}

fn add_calls(into: &mut CallCounts, from: &CallCounts) {
    into.with_mfa += from.with_mfa;
    into.session_without_mfa += from.session_without_mfa;
    into.access_key += from.access_key;
    into.federated += from.federated;
    into.mfa_unknown += from.mfa_unknown;
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        mfaguard_core::words::thousands(n as usize),
        if n == 1 { one } else { many }
    )
}

fn bytes(n: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if n as f64 >= MIB {
        format!("{:.1} MiB", n as f64 / MIB)
    } else {
        format!("{n} bytes")
    }
}
