//! `mfaguard kpi`: MFA posture over time from the recorded scans.

use std::fmt::Write as _;

use anyhow::Result;
use mfaguard_core::words::count;
use mfaguard_store::kpi::{CoverageFigure, Stats};
use mfaguard_store::{KpiOptions, KpiReport};

use crate::output::{write_stdout, Format};
use crate::store_args::{in_store, parse_since, ReadStoreArgs};

#[derive(clap::Args)]
pub struct KpiArgs {
    /// Trend and remediations from this date on (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// Time to remediate and open findings of this check only.
    #[arg(long, value_name = "CHECK")]
    check: Option<String>,
    /// Judge ages and expiry as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    store: ReadStoreArgs,
}

pub fn run(args: KpiArgs) -> Result<u8> {
    let now = crate::scan::parse_now(args.now.as_deref())?;
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let mut store = args.store.open()?;
    let location = store.location().display();
    let kpis = store
        .kpis(&KpiOptions {
            account: args.account.clone(),
            check: args.check.clone(),
            since,
            now,
        })
        .map_err(in_store(&location))?;
    let text = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&kpis)?;
            text.push('\n');
            text
        }
        Format::Text => render(&kpis),
    };
    write_stdout(&text)?;
    Ok(0)
}

fn coverage(figure: Option<&CoverageFigure>) -> String {
    match figure {
        None => "-".to_string(),
        Some(c) => match c.percent {
            Some(p) => format!("{p:.1}% ({}/{})", c.covered, c.total - c.unknown),
            None => format!("- (0/{})", c.total),
        },
    }
}

fn opt(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{v:.1}"))
}

fn stats(label: &str, stats: &Stats) -> String {
    match (stats.mean_days, stats.median_days) {
        (Some(mean), Some(median)) => format!(
            "  {label:<22} {} remediated, mean {mean:.1} days, median {median:.1} days\n",
            stats.samples
        ),
        _ => format!("  {label:<22} none remediated\n"),
    }
}

fn signed(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{v:+.1}"))
}

fn render(kpis: &KpiReport) -> String {
    let mut out = format!(
        "MFA KPIs as of {}{}{}{}: {}, {}\n",
        mfaguard_store::time::format(kpis.as_of),
        kpis.account
            .as_deref()
            .map(|a| format!(", account {a}"))
            .unwrap_or_default(),
        kpis.check
            .as_deref()
            .map(|c| format!(", check {c}"))
            .unwrap_or_default(),
        kpis.since
            .map(|s| format!(", since {}", mfaguard_store::time::format(s)))
            .unwrap_or_default(),
        count(kpis.scans, "scan", "scans"),
        count(kpis.accounts.len(), "account", "accounts")
    );
    if kpis.trend.is_empty() {
        out.push_str("\nno scans recorded in this range\n");
    } else {
        let tiers = ["root", "breakglass", "privileged", "human"];
        out.push_str("\nConsole users with MFA, per scan\n");
        let _ = writeln!(
            out,
            "  {:>5}  {:<20}  {:<16}  {:<16}  {:<16}  {:<16}  {:<16}  {:<16}  {:<16}  {:>7}  {:>6}  {:>6}",
            "scan",
            "time",
            "all",
            "root",
            "breakglass",
            "privileged",
            "human",
            "FIDO/hardware",
            "enforced",
            "posture",
            "CIS v3",
            "CIS v5"
        );
        for point in &kpis.trend {
            let _ = write!(
                out,
                "  {:>5}  {:<20}  {:<16}",
                point.scan_id,
                mfaguard_store::time::format(point.scanned_at),
                coverage(Some(&point.console_users_with_mfa))
            );
            for tier in tiers {
                let _ = write!(
                    out,
                    "  {:<16}",
                    coverage(point.console_users_with_mfa_by_tier.get(tier))
                );
            }
            let _ = writeln!(
                out,
                "  {:<16}  {:<16}  {:>7}  {:>6}  {:>6}",
                coverage(Some(&point.console_users_with_phishing_resistant_mfa)),
                coverage(Some(&point.console_users_with_mfa_enforced)),
                opt(point.posture),
                opt(point.cis_v3),
                opt(point.cis_v5)
            );
        }
        if kpis.trend.len() > 1 {
            let change = &kpis.change;
            let _ = writeln!(
                out,
                "  change from scan {} to {}: coverage {} points, posture {}, CIS v3 {}, CIS v5 {}",
                change.from_scan_id.unwrap_or_default(),
                change.to_scan_id.unwrap_or_default(),
                signed(change.console_users_with_mfa),
                signed(change.posture),
                signed(change.cis_v3),
                signed(change.cis_v5)
            );
        }
    }
    let ttr = &kpis.time_to_remediate;
    out.push_str("\nTime to remediate (first seen failing -> first seen passing, or removed)\n");
    out.push_str(&stats("all findings:", &ttr.all));
    out.push_str(&stats("existing identities:", &ttr.existing_identities));
    out.push_str(&stats("new identities:", &ttr.new_identities));

    let open = &kpis.open_findings;
    let _ = writeln!(
        out,
        "\nOpen findings: {} ({} failing, {} excepted)\n  by age: 0-7 days {}, 8-30 days {}, 31-90 days {}, over 90 days {}",
        open.total,
        open.fail,
        open.excepted,
        open.by_age.up_to_7_days,
        open.by_age.up_to_30_days,
        open.by_age.up_to_90_days,
        open.by_age.over_90_days
    );
    for finding in open.findings.iter().take(10) {
        let _ = writeln!(
            out,
            "  {:>6.1} days  {:<8}  {:<28}  {:<14}  {}{}",
            finding.age_days,
            finding.severity,
            finding.check_id,
            finding.account_id,
            finding.resource_name,
            if finding.status == "excepted" {
                " (excepted)"
            } else {
                ""
            }
        );
    }
    if open.findings.len() > 10 {
        let _ = writeln!(
            out,
            "  ... {} more (--format json lists all)",
            open.findings.len() - 10
        );
    }

    let exceptions = &kpis.exceptions;
    let _ = writeln!(
        out,
        "\nExceptions{}: {} (expired {}, expiring within 30 days {}, within 90 days {}, later {}; review due {})",
        exceptions
            .scan_id
            .map(|id| format!(" in scan {id}"))
            .unwrap_or_default(),
        exceptions.total,
        exceptions.by_expiry.expired,
        exceptions.by_expiry.within_30_days,
        exceptions.by_expiry.within_90_days,
        exceptions.by_expiry.later,
        exceptions.review_due
    );
    for owner in &exceptions.by_owner {
        let _ = writeln!(
            out,
            "  {:<32} {}, {} expired, {} expiring within 30 days, {} review due, next expiry {}",
            owner.owner,
            count(owner.count, "exception", "exceptions"),
            owner.expired,
            owner.expiring_within_30_days,
            owner.review_due,
            owner.next_expiry.map_or("-".to_string(), |d| d.to_string())
        );
    }
    render_trail(&mut out, kpis);
    out
}

fn percent(share: Option<f64>) -> String {
    share.map_or("-".to_string(), |p| format!("{p:.1}%"))
}

fn render_trail(out: &mut String, kpis: &KpiReport) {
    let trail = &kpis.trail;
    if trail.months.is_empty() {
        out.push_str(
            "\nMFA-related denials per month: no CloudTrail recorded \
             (mfaguard trail --from DIR --store, or mfaguard watch --trail DIR)\n",
        );
        return;
    }
    let _ = writeln!(
        out,
        "\nCloudTrail per month ({} recorded{}{})",
        count(trail.files, "log file", "log files"),
        if trail.files_incomplete > 0 {
            format!(", {} cut by a window", trail.files_incomplete)
        } else {
            String::new()
        },
        if trail.records_skipped > 0 {
            format!(", {} records skipped", trail.records_skipped)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "  {:<8} {:>8}  {:>20}  {:>16}  {:>22}  {:>12}  {:>5}  {:>11}",
        "month",
        "accounts",
        "MFA-related denials",
        "sign-ins w/o MFA",
        "people's calls w/ MFA",
        "unclassified",
        "root",
        "break-glass"
    );
    for month in &trail.months {
        let people = &month.human_api_calls;
        let _ = writeln!(
            out,
            "  {:<8} {:>8}  {:>20}  {:>16}  {:>22}  {:>12}  {:>5}  {:>11}",
            month.month,
            month.accounts,
            format!(
                "{} + {} inferred",
                month.mfa_related_denials, month.inferred_mfa_related_denials
            ),
            month.console_sign_ins_without_mfa,
            format!(
                "{} (at worst {})",
                percent(people.share_with_mfa),
                percent(people.share_with_mfa_at_worst)
            ),
            month.unclassified_api_calls,
            month.root_uses,
            month.breakglass_uses
        );
    }
    out.push_str(
        "  MFA-related denials: attributed by evaluation + inferred without a snapshot; \
         people's calls: see docs/trail.md\n",
    );
}
