//! `--format html`: the posture report as one self-contained page.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use maud::{html, Markup};

use mfaguard_core::config::Config;
use mfaguard_core::enforcement::NoMfaContext;
use mfaguard_core::identity::{Identity, Tier};
use mfaguard_core::kpi::Coverage;
use mfaguard_core::report::{CheckResult, Status};
use mfaguard_core::Report;

use super::chart::{line_chart, Series};
use super::layout::{page, to_text, Assets};
use super::widgets::{
    coverage_table, identity_anchor, percent, results_table, score_cards, severity_rank,
    status_rank, CoverageRow, ResultRow, ScoreCard,
};

/// What the report shows beside the Report itself.
#[derive(Debug, Clone, Default)]
pub struct HtmlContext {
    /// The exceptions of the configuration the scan ran with.
    pub exceptions: Vec<ExceptionView>,
    /// Figures of earlier scans from the history, when there are any.
    pub trend: Option<Trend>,
}

/// One exception of the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionView {
    pub check: String,
    pub resource: String,
    pub owner: String,
    pub reason: String,
    pub expires: String,
    pub reviewed: Option<String>,
    pub config_line: usize,
}

impl ExceptionView {
    pub fn from_config(config: &Config) -> Vec<ExceptionView> {
        config
            .exceptions
            .iter()
            .map(|exception| ExceptionView {
                check: exception.check.clone(),
                resource: exception.resource.clone(),
                owner: exception.owner.clone(),
                reason: exception.reason.clone(),
                expires: exception.expires.to_string(),
                reviewed: exception.reviewed.map(|date| date.to_string()),
                config_line: exception.line,
            })
            .collect()
    }

    /// The name `iam.mfa_exception_review` gives its result for this
    /// exception, which says whether it is valid and reviewed.
    fn review_result_name(&self) -> String {
        format!(
            "exception for {} on {} (config line {})",
            self.check, self.resource, self.config_line
        )
    }
}

/// KPIs over time from the history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trend {
    /// What the figures cover ("account 111122223333", "all accounts").
    pub scope: String,
    pub points: Vec<TrendPoint>,
    pub time_to_remediate: Option<RemediationTimes>,
}

/// The figures as of one scan (percentages; `None`: no figure).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendPoint {
    pub at: DateTime<Utc>,
    pub posture: Option<f64>,
    pub mfa: Option<f64>,
    pub mfa_by_tier: BTreeMap<String, Option<f64>>,
    pub enforced: Option<f64>,
    pub enforced_by_tier: BTreeMap<String, Option<f64>>,
}

impl TrendPoint {
    /// The figures of `report` itself, the newest point of its trend.
    pub fn of_report(report: &Report) -> TrendPoint {
        let by_tier = |map: &BTreeMap<Tier, Coverage>| {
            map.iter()
                .map(|(tier, coverage)| (tier.as_str().to_string(), coverage.percent))
                .collect()
        };
        TrendPoint {
            at: report.generated_at,
            posture: report.score.posture,
            mfa: report.kpis.console_users_with_mfa.percent,
            mfa_by_tier: by_tier(&report.kpis.console_users_with_mfa_by_tier),
            enforced: report.kpis.console_users_with_mfa_enforced.percent,
            enforced_by_tier: by_tier(&report.kpis.console_users_with_mfa_enforced_by_tier),
        }
    }
}

/// Time from a finding's first scan to the scan that no longer had it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemediationTimes {
    pub samples: usize,
    pub mean_days: Option<f64>,
    pub median_days: Option<f64>,
}

/// Renders the report as one HTML file that needs no network.
pub fn render_html(report: &Report, context: &HtmlContext) -> String {
    let accounts: Vec<&str> = report
        .accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    let title = format!(
        "mfaguard MFA posture — {}",
        report.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let nav = [
        ("#scores", "Scores"),
        ("#coverage", "Coverage"),
        ("#trends", "Trends"),
        ("#findings", "Findings"),
        ("#identities", "Identities"),
        ("#exceptions", "Exceptions"),
        ("#checks", "Checks"),
    ];
    let tiers: HashMap<&str, Tier> = report
        .identities
        .iter()
        .map(|identity| (identity.arn.as_str(), identity.tier))
        .collect();
    let body = html! {
        p {
            (if accounts.len() == 1 { "Account " } else { "Accounts " })
            @for (index, account) in accounts.iter().enumerate() {
                @if index > 0 { ", " }
                code { (account) }
            }
            "; mfaguard " (report.tool.version) "."
        }
        (notices(report))
        (scores(report))
        (coverage(report))
        (trends(report, context.trend.as_ref()))
        (findings(report, &tiers))
        (identities(report))
        (exceptions(report, &context.exceptions))
        (checks(report))
    };
    to_text(page(&title, Assets::Inline, &nav, body))
}

fn notices(report: &Report) -> Markup {
    html! {
        @if report.is_partial() {
            p.notice.error { "This scan is partial: some accounts could not be scanned and are not in the figures below." }
        }
        @for failed in &report.failed_accounts {
            p.notice.error { "Not scanned (" code { (failed.account_id) } "): " (failed.error) }
        }
        @for warning in &report.warnings {
            p.notice { "Warning: " (warning) }
        }
        @for account in &report.accounts {
            @for limitation in &account.limitations {
                p.notice { "Limited (" code { (account.account_id) } "): " (limitation) }
            }
        }
    }
}

fn scores(report: &Report) -> Markup {
    let score = &report.score;
    let cis = |cis: &mfaguard_core::score::CisScore| {
        format!(
            "{} passed, {} failed, {} unknown",
            cis.passed, cis.failed, cis.unknown
        )
    };
    let cards = [
        ScoreCard {
            label: "Posture score",
            value: score
                .posture
                .map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}/100")),
            detail: format!(
                "{} of the weight decided; {} unknown",
                percent(score.decided),
                score.unknown_results
            ),
        },
        ScoreCard {
            label: "CIS AWS Foundations v3.0",
            value: percent(score.cis_v3.percent),
            detail: cis(&score.cis_v3),
        },
        ScoreCard {
            label: "CIS AWS Foundations v5.0",
            value: percent(score.cis_v5.percent),
            detail: cis(&score.cis_v5),
        },
        ScoreCard {
            label: "Results",
            value: report.count(Status::Fail).to_string() + " failing",
            detail: format!(
                "{} excepted, {} unknown, {} passing, {} not applicable",
                report.count(Status::Excepted),
                report.count(Status::Unknown),
                report.count(Status::Pass),
                report.count(Status::NotApplicable)
            ),
        },
    ];
    html! {
        h2 #scores { "Scores" }
        (score_cards(&cards))
    }
}

fn coverage_figure(coverage: Option<&Coverage>) -> Option<(String, Option<f64>)> {
    coverage.map(|c| (c.fraction(), c.percent))
}

fn coverage(report: &Report) -> Markup {
    let kpis = &report.kpis;
    let mut rows = vec![CoverageRow {
        tier: "all".to_string(),
        with_mfa: coverage_figure(Some(&kpis.console_users_with_mfa)),
        enforced: coverage_figure(Some(&kpis.console_users_with_mfa_enforced)),
    }];
    for tier in Tier::ALL {
        let with_mfa = kpis.console_users_with_mfa_by_tier.get(&tier);
        let enforced = kpis.console_users_with_mfa_enforced_by_tier.get(&tier);
        if with_mfa.is_none() && enforced.is_none() {
            continue;
        }
        rows.push(CoverageRow {
            tier: tier.as_str().to_string(),
            with_mfa: coverage_figure(with_mfa),
            enforced: coverage_figure(enforced),
        });
    }
    let phishing = &kpis.console_users_with_phishing_resistant_mfa;
    html! {
        h2 #coverage { "MFA and enforcement coverage" }
        (coverage_table(&rows))
        dl.facts {
            dt { "Phishing-resistant MFA (FIDO or hardware)" }
            dd { (phishing.fraction()) " (" (percent(phishing.percent)) ")" }
            dt { "Time to MFA (user creation to first device)" }
            dd {
                @match kpis.time_to_mfa.median_days {
                    Some(median) => { "median " (format!("{median:.1}")) " days over " (kpis.time_to_mfa.samples) " users" }
                    None => { "n/a (no user with both dates)" }
                }
            }
            dt { "Users without a console password holding active keys" }
            dd { (kpis.machine_users_with_active_keys) }
            dt { "Identities per tier" }
            dd {
                @for (index, (tier, count)) in kpis.identities_by_tier.iter().enumerate() {
                    @if index > 0 { ", " }
                    (tier.as_str()) " " (count)
                }
            }
        }
    }
}

fn trends(report: &Report, trend: Option<&Trend>) -> Markup {
    let Some(trend) = trend.filter(|t| !t.points.is_empty()) else {
        return html! {
            h2 #trends { "Trends" }
            p.muted { "No earlier scans in the history: trends appear once scans are recorded (see `--store`)." }
        };
    };
    let mut points = trend.points.clone();
    if points
        .last()
        .is_none_or(|last| last.at < report.generated_at)
    {
        points.push(TrendPoint::of_report(report));
    }
    let series = |label: &str, value: &dyn Fn(&TrendPoint) -> Option<f64>| Series {
        label: label.to_string(),
        points: points.iter().map(|p| (p.at, value(p))).collect(),
    };
    let tiers_of = |pick: &dyn Fn(&TrendPoint) -> &BTreeMap<String, Option<f64>>| {
        let names: BTreeSet<&str> = points
            .iter()
            .flat_map(|p| pick(p).keys().map(String::as_str))
            .collect();
        let mut ordered: Vec<&str> = Tier::ALL
            .iter()
            .map(|t| t.as_str())
            .filter(|t| names.contains(t))
            .collect();
        let others: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !ordered.contains(n))
            .collect();
        ordered.extend(others);
        ordered
            .into_iter()
            .map(|tier| Series {
                label: tier.to_string(),
                points: points
                    .iter()
                    .map(|p| (p.at, pick(p).get(tier).copied().flatten()))
                    .collect(),
            })
            .collect::<Vec<_>>()
    };
    let mut mfa = vec![series("all", &|p| p.mfa)];
    mfa.extend(tiers_of(&|p| &p.mfa_by_tier));
    let mut enforced = vec![series("all", &|p| p.enforced)];
    enforced.extend(tiers_of(&|p| &p.enforced_by_tier));
    html! {
        h2 #trends { "Trends" }
        p.muted { "Over " (points.len()) " scans of " (trend.scope) ", this one last." }
        (line_chart("Posture score", "", 100.0, &[series("posture", &|p| p.posture)]))
        (line_chart("Console users with MFA, per tier (%)", "%", 100.0, &mfa))
        (line_chart("Console users whose policies enforce MFA, per tier (%)", "%", 100.0, &enforced))
        h3 { "Time to remediate" }
        @match &trend.time_to_remediate {
            Some(times) if times.samples > 0 => {
                p {
                    "Over " (times.samples) " remediated findings: median "
                    (times.median_days.map_or("n/a".to_string(), |d| format!("{d:.1}")))
                    " days, mean "
                    (times.mean_days.map_or("n/a".to_string(), |d| format!("{d:.1}")))
                    " days."
                }
            }
            _ => { p.muted { "No finding has been remediated in the recorded scans yet." } }
        }
        table {
            thead { tr { th { "Scan" } th.num { "Posture" } th.num { "MFA" } th.num { "Enforced" } } }
            tbody {
                @for point in &points {
                    tr {
                        td { (point.at.format("%Y-%m-%d %H:%M")) }
                        td.num { (point.posture.map_or("n/a".to_string(), |v| format!("{v:.1}"))) }
                        td.num { (percent(point.mfa)) }
                        td.num { (percent(point.enforced)) }
                    }
                }
            }
        }
    }
}

fn findings(report: &Report, tiers: &HashMap<&str, Tier>) -> Markup {
    let tier_of = |result: &CheckResult| {
        tiers
            .get(result.resource_arn.as_str())
            .map_or("—", |tier| tier.as_str())
    };
    let mut results: Vec<&CheckResult> = report.results.iter().collect();
    results.sort_by_key(|r| (status_rank(r.status.as_str()), r.severity, r.check_id));
    let rows: Vec<ResultRow<'_>> = results
        .iter()
        .map(|result| ResultRow {
            status: result.status.as_str(),
            severity: result.severity.as_str(),
            check: result.check_id,
            check_link: Some(format!("#check-{}", result.check_id)),
            tier: tier_of(result),
            account: &result.account_id,
            resource: &result.resource_name,
            resource_link: tiers
                .contains_key(result.resource_arn.as_str())
                .then(|| format!("#{}", identity_anchor(&result.resource_arn))),
            message: &result.message,
            note: result.exception.as_ref().map(|exception| {
                format!(
                    "Excepted: owner {}, expires {}: {}",
                    exception.owner, exception.expires, exception.reason
                )
            }),
        })
        .collect();
    html! {
        h2 #findings { "Findings" }
        p.muted { "Every result of every check, failing first. Select to filter, click a column to sort." }
        (results_table("findings-table", &rows))
    }
}

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn context_label(context: &NoMfaContext) -> &'static str {
    match context {
        NoMfaContext::AccessKeys => "access keys",
        NoMfaContext::ConsoleWithoutMfa => "console without MFA",
    }
}

fn identities(report: &Report) -> Markup {
    let mut by_arn: HashMap<&str, Vec<&CheckResult>> = HashMap::new();
    for result in &report.results {
        by_arn
            .entry(result.resource_arn.as_str())
            .or_default()
            .push(result);
    }
    let mut list: Vec<&Identity> = report.identities.iter().collect();
    list.sort_by(|a, b| {
        (a.account_id.as_str(), a.tier, a.name.as_str()).cmp(&(
            b.account_id.as_str(),
            b.tier,
            b.name.as_str(),
        ))
    });
    html! {
        h2 #identities { "Identities" }
        p.muted { (list.len()) " identities, by account and tier." }
        @for identity in list {
            (identity_section(identity, by_arn.get(identity.arn.as_str()).map_or(&[][..], Vec::as_slice)))
        }
    }
}

fn identity_section(identity: &Identity, results: &[&CheckResult]) -> Markup {
    html! {
        section.identity id=(identity_anchor(&identity.arn)) {
            h3 { (identity.name) " " span.muted { "(" (identity.tier.as_str()) ")" } }
            dl.facts {
                dt { "ARN" } dd.arn { (identity.arn) }
                dt { "Account" } dd { code { (identity.account_id) } }
                dt { "Console access" } dd { (yes_no(identity.console_access)) }
                dt { "MFA active" } dd { (yes_no(identity.mfa.active)) }
                dt { "Privileged" } dd {
                    (yes_no(identity.privilege.privileged))
                    @for reason in &identity.privilege.reasons { br; span.muted { (reason) } }
                }
                @if identity.breakglass { dt { "Break-glass" } dd { "yes" } }
                @if !identity.groups.is_empty() {
                    dt { "Groups" } dd { (identity.groups.join(", ")) }
                }
                @if !identity.tags.is_empty() {
                    dt { "Tags" } dd {
                        @for (key, value) in &identity.tags { code { (key) "=" (value) } " " }
                    }
                }
                @if identity.active_access_keys() > 0 {
                    dt { "Active access keys" } dd { (identity.active_access_keys()) }
                }
                @if let Some(trust) = &identity.trust {
                    dt { "Trusted principals" } dd {
                        @for principal in trust.aws_principals.iter().chain(&trust.federated).chain(&trust.services) {
                            code { (principal) } " "
                        }
                    }
                }
            }
            h4 { "MFA devices" }
            @if identity.mfa.devices.is_empty() {
                p.muted {
                    (identity.mfa.describe_devices())
                    @if !identity.mfa.devices_complete { " (the inputs may not list every device)" }
                }
            } @else {
                table {
                    thead { tr { th { "Serial" } th { "Kind" } th { "Enabled" } } }
                    tbody {
                        @for device in &identity.mfa.devices {
                            tr {
                                td.arn { (device.serial) }
                                td { (device.kind.label()) }
                                td { (device.enable_date.map_or("unknown".to_string(), |d| d.format("%Y-%m-%d").to_string())) }
                            }
                        }
                    }
                }
            }
            @if let Some(verdict) = identity.enforcement {
                h4 { "Enforcement: " span class={ "verdict-" (verdict.as_str()) } { (verdict.as_str()) } }
                @if !identity.enforcement_reasons.is_empty() {
                    ul { @for reason in &identity.enforcement_reasons { li { (reason) } } }
                }
            }
            @if let Some(allowed) = &identity.allowed_without_mfa {
                h4 { "Allowed without MFA: " (allowed.count) " actions" }
                @if allowed.conditional > 0 {
                    p.muted { (allowed.conditional) " of them depend on condition keys left unevaluated: " (allowed.describe_depends_on()) }
                }
                @if !allowed.sample.is_empty() {
                    table {
                        thead { tr { th { "Action" } th { "Access level" } th { "Resource" } th { "Without MFA via" } th { "Allowed by" } } }
                        tbody {
                            @for action in &allowed.sample {
                                tr {
                                    td { code { (action.action) } }
                                    td { (action.access_level) }
                                    td.arn { (action.resource) }
                                    td { (action.without_mfa.iter().map(context_label).collect::<Vec<_>>().join(", ")) }
                                    td { @for statement in &action.allowed_by { (statement) br; } }
                                }
                            }
                        }
                    }
                    @if allowed.count > allowed.sample.len() {
                        p.muted { "The most dangerous " (allowed.sample.len()) " shown." }
                    }
                }
            }
            @if !identity.notes.is_empty() {
                ul { @for note in &identity.notes { li.muted { (note) } } }
            }
            @if !results.is_empty() {
                h4 { "Results" }
                ul {
                    @for result in results {
                        li {
                            span class={ "status-" (result.status.as_str()) } { (result.status.as_str()) }
                            " " code { (result.check_id) } ": " (result.message)
                        }
                    }
                }
            }
        }
    }
}

fn exceptions(report: &Report, exceptions: &[ExceptionView]) -> Markup {
    let review: HashMap<&str, &CheckResult> = report
        .results
        .iter()
        .filter(|r| r.check_id == "iam.mfa_exception_review")
        .map(|r| (r.resource_name.as_str(), r))
        .collect();
    html! {
        h2 #exceptions { "Exceptions" }
        @if exceptions.is_empty() {
            p.muted { "The configuration has no exceptions." }
        } @else {
            table.sortable {
                thead { tr {
                    th { "Check" } th { "Resource" } th { "Owner" } th { "Reason" } th { "Expires" }
                    th { "Reviewed" } th { "Review" }
                } }
                tbody {
                    @for exception in exceptions {
                        @let verdict = review.get(exception.review_result_name().as_str());
                        tr {
                            td { code { (exception.check) } }
                            td.arn { (exception.resource) }
                            td { @if exception.owner.trim().is_empty() { span.status-fail { "none" } } @else { (exception.owner) } }
                            td { (exception.reason) }
                            td { (exception.expires) }
                            td { (exception.reviewed.as_deref().unwrap_or("never")) }
                            td {
                                @match verdict {
                                    Some(result) => { span class={ "status-" (result.status.as_str()) } { (result.status.as_str()) } ": " (result.message) }
                                    None => { span.status-unknown { "unknown" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn checks(report: &Report) -> Markup {
    html! {
        h2 #checks { "Checks" }
        table.sortable {
            thead { tr {
                th { "Check" } th data-numeric { "Severity" } th { "CIS v3.0" } th { "CIS v5.0" } th { "FSBP" }
                th.num data-numeric { "Fail" } th.num data-numeric { "Excepted" } th.num data-numeric { "Unknown" } th.num data-numeric { "Pass" }
            } }
            tbody {
                @for check in &report.checks {
                    tr id={ "check-" (check.id) } {
                        td { code { (check.id) } br; (check.title) br; span.muted { "Fix: " (check.fix) } }
                        td class={ "sev-" (check.severity.as_str()) } data-sort=(severity_rank(check.severity.as_str())) { (check.severity.as_str()) }
                        td { (check.references.cis_v3.unwrap_or("—")) }
                        td { (check.references.cis_v5.unwrap_or("—")) }
                        td { (check.references.fsbp.unwrap_or("—")) }
                        td.num { (check.fail) } td.num { (check.excepted) } td.num { (check.unknown) } td.num { (check.pass) }
                    }
                }
            }
        }
    }
}
