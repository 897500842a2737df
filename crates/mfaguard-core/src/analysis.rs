//! Turns snapshots and a configuration into a [`Report`].

use chrono::{DateTime, Utc};

use crate::checks::{self, AccountView};
use crate::config::Config;
use crate::inventory;
use crate::kpi;
use crate::offline::{ACCOUNT_SUMMARY, AUTHORIZATION_DETAILS, MFA_DEVICES, VIRTUAL_MFA_DEVICES};
use crate::report::{
    AccountSummary, AppliedException, CheckSummary, Report, Status, Tool, REPORT_SCHEMA_VERSION,
};
use crate::score;
use crate::snapshot::{Snapshot, SourceKind};

/// Analyses every snapshot as of `now` (which decides report staleness and
/// exception expiry).
pub fn analyze(snapshots: &[Snapshot], config: &Config, now: DateTime<Utc>) -> Report {
    let today = now.date_naive();
    let mut accounts = Vec::new();
    let mut warnings = Vec::new();
    let mut results = Vec::new();
    let mut identities = Vec::new();

    for snapshot in snapshots {
        let account_identities = inventory::build(snapshot, config);
        let account_id = snapshot.account_id.clone().unwrap_or_default();
        let summary = account_summary(snapshot, config, now, &mut warnings);
        let view = AccountView {
            account_id: &account_id,
            snapshot,
            identities: &account_identities,
            config,
            now,
        };
        for check in checks::all() {
            results.extend(check.run(&view));
        }
        accounts.push(summary);
        identities.extend(account_identities);
    }
    for check in checks::all() {
        results.extend(check.run_global(config, today));
    }

    for name in &config.breakglass_users {
        if !identities
            .iter()
            .any(|identity| &identity.name == name || &identity.arn == name)
        {
            warnings.push(format!(
                "break-glass user `{name}` named in the configuration is not in any scanned account"
            ));
        }
    }
    apply_exceptions(config, today, &mut results, &mut warnings);

    let checks = checks::all()
        .iter()
        .map(|check| {
            let meta = check.meta();
            let count = |status: Status| {
                results
                    .iter()
                    .filter(|result| result.check_id == meta.id && result.status == status)
                    .count()
            };
            CheckSummary {
                id: meta.id,
                title: meta.title,
                severity: meta.severity,
                fix: meta.fix,
                references: meta.references,
                compliance: crate::compliance::requirements_of(meta.id),
                pass: count(Status::Pass),
                fail: count(Status::Fail),
                excepted: count(Status::Excepted),
                unknown: count(Status::Unknown),
                not_applicable: count(Status::NotApplicable),
            }
        })
        .collect();

    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool {
            name: "mfaguard",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: now,
        accounts,
        failed_accounts: Vec::new(),
        organization_api_calls: Default::default(),
        organization_retries: None,
        warnings,
        checks,
        kpis: kpi::compute(&identities),
        score: score::compute(&results),
        results,
        identities,
    }
}

fn account_summary(
    snapshot: &Snapshot,
    config: &Config,
    now: DateTime<Utc>,
    warnings: &mut Vec<String>,
) -> AccountSummary {
    let account_id = snapshot.account_id.clone().unwrap_or_default();
    let mut limitations = Vec::new();
    for missing in &snapshot.source.missing {
        let consequence = match missing.as_str() {
            AUTHORIZATION_DETAILS => "groups, policies, roles and privilege cannot be decided",
            VIRTUAL_MFA_DEVICES => "virtual and hardware MFA cannot be told apart",
            ACCOUNT_SUMMARY => "root is assumed to still have a password",
            MFA_DEVICES => {
                "device lists are partial: only virtual devices are named, other kinds are inferred"
            }
            _ => "not available",
        };
        limitations.push(format!("{missing} missing: {consequence}"));
    }
    let generated = snapshot.credential_report.generated_time;
    let age_hours = generated.map(|time| (now - time).num_minutes() as f64 / 60.0);
    match age_hours {
        None => limitations.push(
            "credential report generation time unknown (the CSV does not carry it; export the JSON of get-credential-report): its age cannot be checked"
                .to_string(),
        ),
        // A report generated after the scan time means a wrong clock or a
        // wrong --now: its age, and every date judged against it, is suspect.
        Some(age) if age < 0.0 => warnings.push(format!(
            "account {account_id}: the credential report was generated {:.1} hours after the time of this scan: the clock or --now is wrong, so the report's age cannot be judged",
            -age
        )),
        Some(age) if age > config.max_report_age_hours => warnings.push(format!(
            "account {account_id}: the credential report was generated {:.1} hours before this scan (more than {} hours): changes since then are not seen",
            age, config.max_report_age_hours
        )),
        Some(_) => {}
    }
    if snapshot.credential_report.root_row().is_none() {
        limitations.push(
            "the credential report has no <root_account> row: root checks are unknown".to_string(),
        );
    }
    AccountSummary {
        account_id,
        source: match snapshot.source.kind {
            SourceKind::Offline => "offline".to_string(),
            SourceKind::Live => "live".to_string(),
        },
        location: snapshot.source.location.clone(),
        collected_at: snapshot.source.collected_at,
        credential_report_generated_at: generated,
        credential_report_age_hours: age_hours.map(crate::kpi::round1),
        limitations,
        api_calls: snapshot.source.api_calls.clone(),
        retries: snapshot.source.retries,
    }
}

/// Turns failures covered by a valid exception into `excepted`.
fn apply_exceptions(
    config: &Config,
    today: chrono::NaiveDate,
    results: &mut [crate::report::CheckResult],
    warnings: &mut Vec<String>,
) {
    for exception in &config.exceptions {
        let mut matched = false;
        for result in results.iter_mut() {
            if result.check_id != exception.check
                || (result.resource_arn != exception.resource
                    && result.resource_name != exception.resource)
            {
                continue;
            }
            matched = true;
            if result.status == Status::Fail && exception.is_valid(today) {
                result.status = Status::Excepted;
                result.exception = Some(AppliedException {
                    owner: exception.owner.clone(),
                    reason: exception.reason.clone(),
                    expires: exception.expires.to_string(),
                });
            }
        }
        if !matched {
            warnings.push(format!(
                "{} (config line {}) matches no resource that was scanned",
                exception.label(),
                exception.line
            ));
        }
    }
}
