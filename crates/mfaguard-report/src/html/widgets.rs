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
