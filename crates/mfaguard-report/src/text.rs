//! The human-readable report: summary first, then findings by severity.

use std::fmt::Write;

use mfaguard_core::identity::Tier;
use mfaguard_core::kpi::Coverage;
use mfaguard_core::report::{CheckResult, Severity, Status};
use mfaguard_core::Report;

use crate::Color;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
    fn severity(&self, severity: Severity, text: &str) -> String {
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(code, text)
    }
    fn good(&self, text: &str) -> String {
        self.wrap("32", text)
    }
    fn warn(&self, text: &str) -> String {
        self.wrap("33", text)
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}%"))
}

fn coverage(value: &Coverage) -> String {
    format!("{} ({})", value.fraction(), percent(value.percent))
}

/// Renders the report for a terminal or a text file.
pub fn render_text(report: &Report, color: Color) -> String {
    let paint = Paint {
        on: color == Color::Always,
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} — MFA posture as of {}",
        paint.bold("mfaguard"),
        report.tool.version,
        report.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    for account in &report.accounts {
        let generated = match (
            account.credential_report_generated_at,
            account.credential_report_age_hours,
        ) {
            (Some(time), Some(age)) if age < 0.0 => format!(
                "credential report generated {} ({:.1} h after the scan time)",
                time.format("%Y-%m-%d %H:%M UTC"),
                -age
            ),
            (Some(time), Some(age)) => format!(
                "credential report generated {} ({age:.1} h before the scan)",
                time.format("%Y-%m-%d %H:%M UTC")
            ),
            _ => "credential report generation time unknown".to_string(),
        };
        let _ = writeln!(
            out,
            "\nAccount {}  {}",
            paint.bold(&account.account_id),
            paint.dim(&format!(
                "{} {}; {generated}",
                account.source, account.location
            ))
        );
        for limitation in &account.limitations {
            let _ = writeln!(out, "  {} {limitation}", paint.warn("limited:"));
        }
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "{} {warning}", paint.warn("warning:"));
    }

    let score = &report.score;
    let _ = writeln!(
        out,
        "\n{}  posture {}   CIS v3.0 {} ({}/{})   CIS v5.0 {} ({}/{})",
        paint.bold("Score"),
        score
            .posture
            .map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}/100")),
        percent(score.cis_v3.percent),
        score.cis_v3.passed,
        score.cis_v3.passed + score.cis_v3.failed,
        percent(score.cis_v5.percent),
        score.cis_v5.passed,
        score.cis_v5.passed + score.cis_v5.failed,
    );
    let _ = writeln!(
        out,
        "{}  {} fail · {} excepted · {} unknown · {} pass · {} not applicable",
        paint.bold("Results"),
        report.count(Status::Fail),
        report.count(Status::Excepted),
        report.count(Status::Unknown),
        report.count(Status::Pass),
        report.count(Status::NotApplicable),
    );

    let kpis = &report.kpis;
    let _ = writeln!(out, "\n{}", paint.bold("Console users with MFA"));
    let _ = writeln!(
        out,
        "  {:<14} {}",
        "all",
        coverage(&kpis.console_users_with_mfa)
    );
    for tier in Tier::ALL {
        if let Some(value) = kpis.console_users_with_mfa_by_tier.get(&tier) {
            let _ = writeln!(out, "  {:<14} {}", tier.as_str(), coverage(value));
        }
    }
    let _ = writeln!(
        out,
        "  {:<14} {}",
        "FIDO/hardware",
        coverage(&kpis.console_users_with_phishing_resistant_mfa)
    );
    let _ = writeln!(
        out,
        "\n{}",
        paint.bold("Console users whose policies enforce MFA")
    );
    let _ = writeln!(
        out,
        "  {:<14} {}",
        "all",
        coverage(&kpis.console_users_with_mfa_enforced)
    );
    for tier in Tier::ALL {
        if let Some(value) = kpis.console_users_with_mfa_enforced_by_tier.get(&tier) {
            let _ = writeln!(out, "  {:<14} {}", tier.as_str(), coverage(value));
        }
    }
    let tiers: Vec<String> = Tier::ALL
        .iter()
        .filter_map(|tier| {
            kpis.identities_by_tier
                .get(tier)
                .map(|count| format!("{} {count}", tier.as_str()))
        })
        .collect();
    let _ = writeln!(out, "{}  {}", paint.bold("Identities"), tiers.join(" · "));
    match (kpis.time_to_mfa.median_days, kpis.time_to_mfa.mean_days) {
        (Some(median), Some(mean)) => {
            let _ = writeln!(
                out,
                "{}  median {median:.1} days, mean {mean:.1} days ({} users)",
                paint.bold("Time to MFA"),
                kpis.time_to_mfa.samples
            );
        }
        _ => {
            let _ = writeln!(out, "{}  not enough data", paint.bold("Time to MFA"));
        }
    }
    if kpis.machine_users_with_active_keys > 0 {
        let _ = writeln!(
            out,
            "{}  {} machine users hold long-term access keys (move them to role credentials)",
            paint.bold("Keys"),
            kpis.machine_users_with_active_keys
        );
    }

    let failing: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|result| result.status == Status::Fail)
        .collect();
    if failing.is_empty() {
        let _ = writeln!(out, "\n{}", paint.good("No failing results."));
    } else {
        let _ = writeln!(out, "\n{}", paint.bold("Findings"));
        for severity in Severity::ALL {
            let at: Vec<&&CheckResult> =
                failing.iter().filter(|r| r.severity == severity).collect();
            if at.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "\n{} ({})",
                paint.severity(severity, &severity.as_str().to_uppercase()),
                at.len()
            );
            // A result's severity may differ from its check's default (an
            // enforcement gap on a privileged user is critical): group by the
            // result's own severity, in catalogue order.
            for summary in &report.checks {
                let of_check: Vec<&&&CheckResult> =
                    at.iter().filter(|r| r.check_id == summary.id).collect();
                if of_check.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "  {}  {}", paint.bold(summary.id), summary.title);
                for result in of_check {
                    let _ = writeln!(
                        out,
                        "    {} {}  {}",
                        paint.severity(severity, "✗"),
                        result.resource_name,
                        paint.dim(&result.message)
                    );
                }
                let _ = writeln!(out, "    fix: {}", summary.fix);
            }
        }
    }
    section(
        &mut out,
        &paint,
        report,
        Status::Excepted,
        "Excepted: accepted risk",
    );
    section(
        &mut out,
        &paint,
        report,
        Status::Unknown,
        "Could not be decided",
    );
    out
}

fn section(out: &mut String, paint: &Paint, report: &Report, status: Status, title: &str) {
    let results: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| r.status == status)
        .collect();
    if results.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{} ({})", paint.bold(title), results.len());
    for result in results {
        let extra = result
            .exception
            .as_ref()
            .map(|e| format!(" [owner {}, expires {}: {}]", e.owner, e.expires, e.reason))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}  {}  {}{}",
            result.check_id,
            result.resource_name,
            paint.dim(&result.message),
            extra
        );
    }
}
