//! Markdown: a summary and the failing results as a table, fit for a pull
//! request or ticket comment. Every value from the inputs is escaped so a
//! name cannot break the table, inject HTML or a link.

use std::fmt::Write as _;

use mfaguard_core::identity::Tier;
use mfaguard_core::report::{CheckResult, Severity, Status};
use mfaguard_core::words::count;
use mfaguard_core::Report;

/// Escapes text for a Markdown table cell: Markdown punctuation is
/// backslash-escaped, HTML's `<`, `>` and `&` become entities, line breaks
/// become spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}%"))
}

/// Renders the report as Markdown.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let accounts: Vec<String> = report
        .accounts
        .iter()
        .map(|a| format!("`{}`", escape(&a.account_id)))
        .collect();
    let _ = writeln!(
        out,
        "## mfaguard MFA posture — {}\n",
        report.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        out,
        "{} {}; mfaguard {}.\n",
        if accounts.len() == 1 {
            "Account"
        } else {
            "Accounts"
        },
        accounts.join(", "),
        report.tool.version
    );
    let score = &report.score;
    let _ = writeln!(
        out,
        "| Posture | CIS v3.0 | CIS v5.0 | Fail | Excepted | Unknown | Pass |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        score
            .posture
            .map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}/100")),
        percent(score.cis_v3.percent),
        percent(score.cis_v5.percent),
        report.count(Status::Fail),
        report.count(Status::Excepted),
        report.count(Status::Unknown),
        report.count(Status::Pass),
    );

    let kpis = &report.kpis;
    let _ = writeln!(
        out,
        "| Tier | Console users with MFA | Policies enforce MFA |"
    );
    let _ = writeln!(out, "|---|---|---|");
    let _ = writeln!(
        out,
        "| all | {} ({}) | {} ({}) |",
        kpis.console_users_with_mfa.fraction(),
        percent(kpis.console_users_with_mfa.percent),
        kpis.console_users_with_mfa_enforced.fraction(),
        percent(kpis.console_users_with_mfa_enforced.percent),
    );
    for tier in Tier::ALL {
        let with_mfa = kpis.console_users_with_mfa_by_tier.get(&tier);
        let enforced = kpis.console_users_with_mfa_enforced_by_tier.get(&tier);
        if with_mfa.is_none() && enforced.is_none() {
            continue;
        }
        let cell = |value: Option<&mfaguard_core::kpi::Coverage>| {
            value.map_or_else(
                || "—".to_string(),
                |v| format!("{} ({})", v.fraction(), percent(v.percent)),
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            tier.as_str(),
            cell(with_mfa),
            cell(enforced)
        );
    }
    out.push('\n');
    for warning in &report.warnings {
        let _ = writeln!(out, "> **Warning:** {}\n", escape(warning));
    }
    for account in &report.accounts {
        for limitation in &account.limitations {
            let _ = writeln!(
                out,
                "> **Limited** (`{}`): {}\n",
                escape(&account.account_id),
                escape(limitation)
            );
        }
    }
    for failed in &report.failed_accounts {
        let _ = writeln!(
            out,
            "> **Not scanned** (`{}`): {}\n",
            escape(&failed.account_id),
            escape(&failed.error)
        );
    }

    let failing: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .collect();
    if failing.is_empty() {
        let _ = writeln!(out, "No failing results.");
    } else {
        let _ = writeln!(
            out,
            "### Failing ({})\n",
            count(failing.len(), "result", "results")
        );
        let _ = writeln!(out, "| Severity | Check | Account | Resource | Finding |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for severity in Severity::ALL {
            for result in failing.iter().filter(|r| r.severity == severity) {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} | {} |",
                    severity.as_str(),
                    result.check_id,
                    escape(&result.account_id),
                    escape(&result.resource_name),
                    escape(&result.message)
                );
            }
        }
    }
    let other: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Excepted | Status::Unknown))
        .collect();
    if !other.is_empty() {
        let _ = writeln!(out, "\n### Excepted and undecided\n");
        let _ = writeln!(out, "| Status | Check | Resource | Detail |");
        let _ = writeln!(out, "|---|---|---|---|");
        for result in other {
            let detail = match &result.exception {
                Some(e) => format!("owner {}, expires {}: {}", e.owner, e.expires, e.reason),
                None => result.message.clone(),
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                result.status.as_str(),
                result.check_id,
                escape(&result.resource_name),
                escape(&detail)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_break_the_table_or_inject_markup() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(escape("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(escape("two\nlines"), "two lines");
    }
}
