//! Pieces of pages shared by the report and the dashboard.

use maud::{html, Markup};

/// "87.5%", or "n/a" when there is no figure (nothing decided).
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}%"))
}

/// Sort key of a severity name: critical first.
pub fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        "info" => 4,
        _ => 5,
    }
}

/// Sort key of a status name: failing first, then excepted, unknown.
pub fn status_rank(status: &str) -> u8 {
    match status {
        "fail" => 0,
        "excepted" => 1,
        "unknown" => 2,
        "pass" => 3,
        "not_applicable" => 4,
        _ => 5,
    }
}

/// A stable fragment identifier for an identity's section, from its ARN
/// (FNV-1a, so it is the same in every scan and safe in any URL).
pub fn identity_anchor(arn: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in arn.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("identity-{hash:016x}")
}

/// One headline figure.
pub struct ScoreCard {
    pub label: &'static str,
    pub value: String,
    pub detail: String,
}

pub fn score_cards(cards: &[ScoreCard]) -> Markup {
    html! {
        div.cards {
            @for card in cards {
                div.card {
                    div.label { (card.label) }
                    div.value { (card.value) }
                    div.detail { (card.detail) }
                }
            }
        }
    }
}

/// Coverage of one tier: `(fraction, percent)` for MFA and enforcement,
/// `None` where the tier has nobody the figure counts.
pub struct CoverageRow {
    pub tier: String,
    pub with_mfa: Option<(String, Option<f64>)>,
    pub enforced: Option<(String, Option<f64>)>,
}

pub fn coverage_table(rows: &[CoverageRow]) -> Markup {
    let cell = |value: &Option<(String, Option<f64>)>| match value {
        Some((fraction, value)) => format!("{fraction} ({})", percent(*value)),
        None => "—".to_string(),
    };
    html! {
        table.coverage {
            thead { tr { th { "Tier" } th { "Console users with MFA" } th { "Policies enforce MFA" } } }
            tbody {
                @for row in rows {
                    tr { td { (row.tier) } td { (cell(&row.with_mfa)) } td { (cell(&row.enforced)) } }
                }
            }
        }
    }
}

/// One row of a results table.
pub struct ResultRow<'a> {
    pub status: &'a str,
    pub severity: &'a str,
    pub check: &'a str,
    /// Where the check's description is (`#check-…` in the report).
    pub check_link: Option<String>,
    pub tier: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
    /// Where the identity's section or page is.
    pub resource_link: Option<String>,
    pub message: &'a str,
    /// A second line under the message (the exception that covers it).
    pub note: Option<String>,
}

/// The distinct values of one column, for a filter's options.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    values
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn filter_select(label: &str, key: &str, options: &[&str]) -> Markup {
    html! {
        label {
            (label)
            select data-filter=(key) {
                option value="" { "all" }
                @for option in options { option value=(option) { (option) } }
            }
        }
    }
}

/// A results table with a filter form (status, severity, check, tier,
/// account) that the script shows and drives, and sortable columns. Every
/// row is in the markup, so the table is complete without the script.
pub fn results_table(id: &str, rows: &[ResultRow<'_>]) -> Markup {
    let mut severities = distinct(rows.iter().map(|r| r.severity));
    severities.sort_by_key(|s| severity_rank(s));
    let mut statuses = distinct(rows.iter().map(|r| r.status));
    statuses.sort_by_key(|s| status_rank(s));
    html! {
        form.filters data-table=(id) hidden {
            (filter_select("Status", "status", &statuses))
            (filter_select("Severity", "severity", &severities))
            (filter_select("Check", "check", &distinct(rows.iter().map(|r| r.check))))
            (filter_select("Tier", "tier", &distinct(rows.iter().map(|r| r.tier))))
            (filter_select("Account", "account", &distinct(rows.iter().map(|r| r.account))))
            button type="reset" { "Clear" }
            output {}
        }
        table.sortable id=(id) {
            thead { tr {
                th data-numeric { "Status" } th data-numeric { "Severity" } th { "Check" } th { "Tier" }
                th { "Account" } th { "Resource" } th { "Finding" }
            } }
            tbody {
                @for row in rows {
                    tr data-status=(row.status) data-severity=(row.severity)
                        data-check=(row.check) data-tier=(row.tier) data-account=(row.account) {
                        td class={ "status-" (row.status) } data-sort=(status_rank(row.status)) { (row.status) }
                        td class={ "sev-" (row.severity) } data-sort=(severity_rank(row.severity)) { (row.severity) }
                        td {
                            @match &row.check_link {
                                Some(link) => { a href=(link) { code { (row.check) } } }
                                None => { code { (row.check) } }
                            }
                        }
                        td { (row.tier) }
                        td { code { (row.account) } }
                        td {
                            @match &row.resource_link {
                                Some(link) => { a href=(link) { (row.resource) } }
                                None => { (row.resource) }
                            }
                        }
                        td {
                            (row.message)
                            @if let Some(note) = &row.note {
                                br;
                                span.muted { (note) }
                            }
                        }
                    }
                }
            }
        }
    }
}
