//! The dashboard's pages: the report's templates (layout, cards, coverage
//! tables, results tables, charts) over the data of [`crate::data`].

use maud::{html, Markup};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use mfaguard_report::html::{
    coverage_table, line_chart, page, percent, results_table, to_text, Assets, CoverageRow,
    ResultRow, ScoreCard, Series,
};
use mfaguard_store::kpi::CoverageFigure;
use mfaguard_store::ResultRecord;

use crate::data::{AccountPage, Coverage, DiffPage, ExceptionsPage, IdentityPage, Overview};

/// Where the stylesheet and script are served.
pub const ASSETS: &str = "/assets";

const NAV: [(&str, &str); 2] = [("/", "Organisation"), ("/exceptions", "Exceptions")];

/// A value in a URL's path or query.
pub fn url_part(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

pub fn account_link(account: &str) -> String {
    format!("/accounts/{}", url_part(account))
}

pub fn identity_link(account: &str, arn: &str) -> String {
    format!(
        "/accounts/{}/identity?arn={}",
        url_part(account),
        url_part(arn)
    )
}

fn shell(title: &str, body: Markup) -> String {
    to_text(page(title, Assets::Linked(ASSETS), &NAV, body))
}

fn figure(value: Option<&CoverageFigure>) -> Option<(String, Option<f64>)> {
    value.map(|f| {
        let mut fraction = format!("{}/{}", f.covered, f.total - f.unknown);
        if f.unknown > 0 {
            fraction.push_str(&format!(", {} unknown", f.unknown));
        }
        (fraction, f.percent)
    })
}

fn coverage_rows(coverage: &Coverage) -> Vec<CoverageRow> {
    let mut rows = vec![CoverageRow {
        tier: "all".to_string(),
        with_mfa: figure(Some(&coverage.console_users_with_mfa)),
        enforced: figure(Some(&coverage.console_users_with_mfa_enforced)),
    }];
    let mut tiers: Vec<&String> = coverage
        .console_users_with_mfa_by_tier
        .keys()
        .chain(coverage.console_users_with_mfa_enforced_by_tier.keys())
        .collect();
    tiers.sort_by_key(|tier| {
        ["root", "breakglass", "privileged", "human", "machine"]
            .iter()
            .position(|t| t == tier)
            .unwrap_or(usize::MAX)
    });
    tiers.dedup();
    for tier in tiers {
        rows.push(CoverageRow {
            tier: tier.clone(),
            with_mfa: figure(coverage.console_users_with_mfa_by_tier.get(tier)),
            enforced: figure(coverage.console_users_with_mfa_enforced_by_tier.get(tier)),
        });
    }
    rows
}

fn result_rows<'a>(
    results: &'a [ResultRecord],
    tier_of: &dyn Fn(&str) -> &'a str,
) -> Vec<ResultRow<'a>> {
    results
        .iter()
        .map(|result| ResultRow {
            status: &result.status,
            severity: &result.severity,
            check: &result.check_id,
            check_link: None,
            tier: tier_of(&result.resource_arn),
            account: &result.account_id,
            resource: &result.resource_name,
            resource_link: result
                .resource_arn
                .starts_with("arn:")
                .then(|| identity_link(&result.account_id, &result.resource_arn)),
            message: &result.message,
            note: result.exception_owner.as_ref().map(|owner| {
                format!(
                    "Excepted: owner {owner}, expires {}",
                    result.exception_expires.as_deref().unwrap_or("unknown")
                )
            }),
        })
        .collect()
}

fn posture(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}"))
}

pub fn overview(data: &Overview) -> String {
    let cards = [
        ScoreCard {
            label: "Accounts",
            value: data.accounts.len().to_string(),
            detail: format!(
                "{} not scanned at their latest scan; {} scans recorded",
                data.accounts
                    .iter()
                    .filter(|a| a.status != "scanned")
                    .count(),
                data.scans
            ),
        },
        ScoreCard {
            label: "Console users with MFA",
            value: percent(data.coverage.console_users_with_mfa.percent),
            detail: figure(Some(&data.coverage.console_users_with_mfa))
                .map(|(f, _)| f)
                .unwrap_or_default(),
        },
        ScoreCard {
            label: "Policies enforce MFA",
            value: percent(data.coverage.console_users_with_mfa_enforced.percent),
            detail: figure(Some(&data.coverage.console_users_with_mfa_enforced))
                .map(|(f, _)| f)
                .unwrap_or_default(),
        },
        ScoreCard {
            label: "Failing results",
            value: data.failing.to_string(),
            detail: "in the latest scan of each account".to_string(),
        },
    ];
    let no_tier = |_: &str| "—";
    let worst = result_rows(&data.worst_findings, &no_tier);
    shell(
        "mfaguard — organisation",
        html! {
            p.muted { "As of " (data.as_of.format("%Y-%m-%d %H:%M UTC")) ". JSON: " a href="/api/overview" { "/api/overview" } }
            (mfaguard_report::html::score_cards(&cards))
            h2 { "Coverage per tier" }
            (coverage_table(&coverage_rows(&data.coverage)))
            h2 { "Accounts" }
            table.sortable #accounts {
                thead { tr {
                    th { "Account" } th { "Latest scan" } th.num data-numeric { "Posture" }
                    th.num data-numeric { "MFA %" } th.num data-numeric { "Enforced %" } th.num data-numeric { "Failing" }
                } }
                tbody {
                    @for account in &data.accounts {
                        @let coverage = account.coverage.as_ref();
                        tr {
                            td { a href=(account_link(&account.account_id)) { code { (account.account_id) } } }
                            td {
                                (account.scanned_at.format("%Y-%m-%d %H:%M"))
                                @if let Some(error) = &account.error { br; span.status-fail { "not scanned: " (error) } }
                            }
                            td.num data-sort=(account.posture.unwrap_or(-1.0)) { (posture(account.posture)) }
                            td.num data-sort=(coverage.and_then(|c| c.console_users_with_mfa.percent).unwrap_or(-1.0)) {
                                (percent(coverage.and_then(|c| c.console_users_with_mfa.percent)))
                            }
                            td.num data-sort=(coverage.and_then(|c| c.console_users_with_mfa_enforced.percent).unwrap_or(-1.0)) {
                                (percent(coverage.and_then(|c| c.console_users_with_mfa_enforced.percent)))
                            }
                            td.num { (account.counts.fail) }
                        }
                    }
                }
            }
            h2 { "Worst findings" }
            @if data.worst_findings.is_empty() {
                p { "No failing result in the latest scans." }
            } @else {
                p.muted { "The " (data.worst_findings.len()) " most severe of " (data.failing) " failing results." }
                (results_table("worst-findings", &worst))
            }
        },
    )
}

pub fn account(data: &AccountPage) -> String {
    let points = &data.kpis.trend;
    let series =
        |label: &str, value: &dyn Fn(&mfaguard_store::kpi::TrendPoint) -> Option<f64>| Series {
            label: label.to_string(),
            points: points.iter().map(|p| (p.scanned_at, value(p))).collect(),
        };
    let mut tiers: Vec<&String> = points
        .iter()
        .flat_map(|p| p.console_users_with_mfa_by_tier.keys())
        .collect();
    tiers.sort();
    tiers.dedup();
    let mut mfa = vec![series("all", &|p| p.console_users_with_mfa.percent)];
    for tier in &tiers {
        mfa.push(series(tier, &|p| {
            p.console_users_with_mfa_by_tier
                .get(*tier)
                .and_then(|f| f.percent)
        }));
    }
    let mut enforced = vec![series("all", &|p| {
        p.console_users_with_mfa_enforced.percent
    })];
    for tier in &tiers {
        enforced.push(series(tier, &|p| {
            p.console_users_with_mfa_enforced_by_tier
                .get(*tier)
                .and_then(|f| f.percent)
        }));
    }
    let tier_of = |arn: &str| {
        data.identities
            .iter()
            .find(|i| i.arn == arn)
            .map_or("—", |i| i.tier.as_str())
    };
    let rows = result_rows(&data.results, &tier_of);
    let ttr = &data.kpis.time_to_remediate.all;
    let base = account_link(&data.account_id);
    shell(
        &format!("mfaguard — account {}", data.account_id),
        html! {
            p.muted { "JSON: " a href={ "/api" (base) } { "/api" (base) } }
            h2 { "Trends" }
            (line_chart("Posture score", "", 100.0, &[series("posture", &|p| p.posture)]))
            (line_chart("Console users with MFA, per tier (%)", "%", 100.0, &mfa))
            (line_chart("Console users whose policies enforce MFA, per tier (%)", "%", 100.0, &enforced))
            p {
                "Time to remediate: "
                @if ttr.samples > 0 {
                    "median " (ttr.median_days.map_or("n/a".to_string(), |d| format!("{d:.1}"))) " days over " (ttr.samples) " remediated findings."
                } @else {
                    "no finding remediated in the recorded scans yet."
                }
            }
            h2 { "Scans" }
            form.diff method="get" action={ (base) "/diff" } {
                label { "From " select name="from" {
                    @for (index, scan) in data.scans.iter().enumerate() {
                        option value=(scan.id) selected[index + 2 == data.scans.len()] { (scan.id) " — " (scan.scanned_at.format("%Y-%m-%d %H:%M")) }
                    }
                } }
                " "
                label { "to " select name="to" {
                    @for (index, scan) in data.scans.iter().enumerate() {
                        option value=(scan.id) selected[index + 1 == data.scans.len()] { (scan.id) " — " (scan.scanned_at.format("%Y-%m-%d %H:%M")) }
                    }
                } }
                " "
                button type="submit" { "Compare" }
            }
            table.sortable {
                thead { tr { th data-numeric { "Scan" } th { "Time" } th.num data-numeric { "Posture" } th.num data-numeric { "Fail" } th.num data-numeric { "Excepted" } th.num data-numeric { "Unknown" } } }
                tbody {
                    @for scan in data.scans.iter().rev() {
                        tr {
                            td { (scan.id) } td { (scan.scanned_at.format("%Y-%m-%d %H:%M")) }
                            td.num data-sort=(scan.posture.unwrap_or(-1.0)) { (posture(scan.posture)) }
                            td.num { (scan.counts.fail) } td.num { (scan.counts.excepted) } td.num { (scan.counts.unknown) }
                        }
                    }
                }
            }
            h2 { "Results of the latest scan" }
            (results_table("account-results", &rows))
            h2 { "Identities" }
            table.sortable {
                thead { tr { th { "Name" } th { "Type" } th { "Tier" } th { "Console" } th { "MFA" } th { "Enforcement" } } }
                tbody {
                    @for identity in &data.identities {
                        tr {
                            td { a href=(identity_link(&data.account_id, &identity.arn)) { (identity.name) } }
                            td { (identity.kind) } td { (identity.tier) }
                            td { (yes_no(identity.console_access)) } td { (yes_no(identity.mfa_active)) }
                            td { (identity.enforcement.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
        },
    )
}

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn changed_table(title: &str, rows: &[mfaguard_store::diff::ChangedResult]) -> Markup {
    html! {
        h3 { (title) " (" (rows.len()) ")" }
        @if !rows.is_empty() {
            table {
                thead { tr { th { "Severity" } th { "Check" } th { "Resource" } th { "From" } th { "To" } th { "Finding" } } }
                tbody {
                    @for row in rows {
                        tr {
                            td class={ "sev-" (row.severity) } { (row.severity) }
                            td { code { (row.check_id) } }
                            td { (row.resource_name) }
                            td { (row.from.as_deref().unwrap_or("—")) }
                            td { (row.to.as_deref().unwrap_or("—")) }
                            td { (row.message) }
                        }
                    }
                }
            }
        }
    }
}

pub fn diff(data: &DiffPage) -> String {
    let diff = &data.diff;
    let base = account_link(&data.account_id);
    shell(
        &format!(
            "mfaguard — account {}: scan {} to {}",
            data.account_id, diff.from.id, diff.to.id
        ),
        html! {
            p {
                a href=(base) { "Back to the account" } " · JSON: "
                a href={ "/api" (base) "/diff?from=" (diff.from.id) "&to=" (diff.to.id) } { "/api" (base) "/diff" }
            }
            p { "From scan " (diff.from.id) " (" (diff.from.scanned_at.format("%Y-%m-%d %H:%M")) ") to scan "
                (diff.to.id) " (" (diff.to.scanned_at.format("%Y-%m-%d %H:%M")) ")." }
            @if diff.is_empty() { p #no-change { "Nothing changed." } }
            (changed_table("Newly failing", &diff.newly_failing))
            (changed_table("Fixed", &diff.fixed))
            (changed_table("Newly excepted", &diff.newly_excepted))
            h3 { "Identities" }
            ul {
                @for identity in &diff.new_identities { li { "new: " (identity.name) " (" (identity.tier) ")" } }
                @for identity in &diff.removed_identities { li { "removed: " (identity.name) " (" (identity.tier) ")" } }
                @for device in &diff.mfa_devices_added { li { "MFA device added for " (device.name) ": " (device.kind) " " code { (device.serial) } } }
                @for device in &diff.mfa_devices_removed { li { "MFA device removed from " (device.name) ": " (device.kind) " " code { (device.serial) } } }
                @for change in &diff.enforcement_changed { li { "enforcement of " (change.name) ": " (change.from) " → " (change.to) } }
            }
        },
    )
}

pub fn exceptions(data: &ExceptionsPage) -> String {
    shell(
        "mfaguard — exceptions",
        html! {
            p.muted { (data.due) " of " (data.exceptions.len()) " exceptions are due (expired, expiring within 30 days or overdue for review). JSON: " a href="/api/exceptions" { "/api/exceptions" } }
            @if let Some(scan) = data.scan_id { p.muted { "From the configuration of scan " (scan) "." } }
            table.sortable #exceptions {
                thead { tr {
                    th { "Due" } th { "Check" } th { "Resource" } th { "Owner" } th { "Reason" } th { "Expires" }
                    th { "Reviewed" } th { "State" } th.num data-numeric { "Suppresses" } th.num data-numeric { "Still failing" }
                } }
                tbody {
                    @for state in &data.exceptions {
                        @let exception = &state.exception;
                        tr data-due=(state.due) {
                            td { @if state.due { span.status-fail { "due" } } @else { "—" } }
                            td { code { (exception.check_id) } }
                            td.arn { (exception.resource) }
                            td { @if exception.owner.trim().is_empty() { span.status-fail { "none" } } @else { (exception.owner) } }
                            td { (exception.reason) }
                            td { (exception.expires) " (" (state.days_to_expiry) " days)" }
                            td { (exception.reviewed.map_or("never".to_string(), |d| d.to_string())) @if state.review_due { " — " span.status-fail { "review due" } } }
                            td { (state.state) }
                            td.num { (state.suppresses.len()) }
                            td.num { (state.still_failing.len()) }
                        }
                    }
                }
            }
        },
    )
}

pub fn identity(account: &str, data: &IdentityPage) -> String {
    let identity = &data.identity;
    let no_tier = |_: &str| identity.tier.as_str();
    let rows = result_rows(&data.results, &no_tier);
    let allowed = data.allowed_without_mfa.as_ref();
    shell(
        &format!("mfaguard — {}", identity.name),
        html! {
            p { a href=(account_link(account)) { "Back to account " (account) } " · as of scan " (data.scan_id)
                " (" (data.scanned_at.format("%Y-%m-%d %H:%M")) ") · JSON: "
                a href={ "/api" (identity_link(account, &identity.arn)) } { "this identity" } }
            dl.facts {
                dt { "ARN" } dd.arn { (identity.arn) }
                dt { "Type" } dd { (identity.kind) }
                dt { "Tier" } dd { (identity.tier) }
                dt { "Console access" } dd { (yes_no(identity.console_access)) }
                dt { "MFA active" } dd { (yes_no(identity.mfa_active)) }
                dt { "Privileged" } dd { (yes_no(identity.privileged)) }
                @if !identity.groups.is_empty() { dt { "Groups" } dd { (identity.groups.join(", ")) } }
            }
            h2 { "MFA devices" }
            @if identity.mfa_devices.is_empty() { p.muted { "No device listed." } }
            ul { @for device in &identity.mfa_devices { li { (device.kind) " " code { (device.serial) } } } }
            h2 { "Enforcement: " (identity.enforcement.as_deref().unwrap_or("not analysed")) }
            ul { @for reason in &data.enforcement_reasons { li { (reason) } } }
            @if let Some(allowed) = allowed {
                h3 { "Allowed without MFA: " (allowed["count"].as_u64().map_or("unknown".to_string(), |c| c.to_string())) " actions" }
                ul {
                    @for action in allowed["sample"].as_array().into_iter().flatten() {
                        li {
                            code { (action["action"].as_str().unwrap_or("?")) } " on " code { (action["resource"].as_str().unwrap_or("?")) }
                            @for statement in action["allowed_by"].as_array().into_iter().flatten() {
                                br; span.muted { "allowed by " (statement.as_str().unwrap_or("?")) }
                            }
                        }
                    }
                }
            }
            h2 { "Policies" }
            ul { @for policy in &identity.policies { li { code { (policy) } } } }
            h2 { "Results" }
            (results_table("identity-results", &rows))
        },
    )
}

pub fn login(failed: bool) -> String {
    shell(
        "mfaguard — sign in",
        html! {
            @if failed { p.notice.error { "That token is not the dashboard's token." } }
            form.login method="post" action="/login" {
                label { "Token " input type="password" name="token" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
        },
    )
}

pub fn not_found(what: &str) -> String {
    shell(
        "mfaguard — not found",
        html! { p { (what) } p { a href="/" { "Organisation overview" } } },
    )
}
