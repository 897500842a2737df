//! `mfaguard compliance`: one framework's controls assessed from a report,
//! as text or JSON, and the list of frameworks.

use mfaguard_core::compliance::{self, Assessment, Basis, ControlStatus, Framework};
use mfaguard_core::Report;
use serde_json::json;

/// Failing and undecided results shown per control in text; JSON lists all.
const RESULTS_SHOWN: usize = 10;

/// A framework assessed from a report, with the scan it came from.
pub struct ComplianceView<'a> {
    pub name: String,
    /// When the scan ran (RFC 3339).
    pub generated_at: String,
    pub accounts: Vec<&'a str>,
    /// Accounts that could not be scanned; when not empty, nothing passes.
    pub failed_accounts: Vec<&'a str>,
    pub assessment: Assessment,
}

/// Assesses `framework` from the report's results.
pub fn compliance_view<'a>(report: &'a Report, framework: &Framework) -> ComplianceView<'a> {
    ComplianceView {
        name: framework.name(),
        generated_at: report.generated_at.to_rfc3339(),
        accounts: report
            .accounts
            .iter()
            .map(|a| a.account_id.as_str())
            .collect(),
        failed_accounts: report
            .failed_accounts
            .iter()
            .map(|a| a.account_id.as_str())
            .collect(),
        assessment: compliance::assess(framework, &report.results, report.is_partial()),
    }
}

pub fn render_compliance_json(view: &ComplianceView<'_>) -> String {
    let assessment = &view.assessment;
    let value = json!({
        "framework": assessment.framework,
        "title": assessment.title,
        "version": assessment.version,
        "name": view.name,
        "generated_at": view.generated_at,
        "accounts": view.accounts,
        "failed_accounts": view.failed_accounts,
        "summary": assessment.summary,
        "controls": assessment.controls,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|err| {
        json!({"error": format!("the assessment could not be serialised: {err}")}).to_string()
    });
    text.push('\n');
    text
}

fn basis(basis: Basis) -> &'static str {
    match basis {
        Basis::Published => "published",
        Basis::Interpreted => "interpreted",
    }
}

pub fn render_compliance_text(view: &ComplianceView<'_>) -> String {
    let assessment = &view.assessment;
    let mut out = format!("{} ({})\n", view.name, assessment.framework);
    out.push_str(&format!(
        "accounts: {} · as of {}\n",
        if view.accounts.is_empty() {
            "none".to_string()
        } else {
            view.accounts.join(", ")
        },
        view.generated_at
    ));
    if !view.failed_accounts.is_empty() {
        out.push_str(&format!(
            "not scanned: {} (nothing can pass while they are missing)\n",
            view.failed_accounts.join(", ")
        ));
    }
    let count = |status| assessment.summary.get(&status).copied().unwrap_or(0);
    out.push_str(&format!(
        "controls: {} pass, {} fail, {} unknown, {} not applicable, {} manual\n",
        count(ControlStatus::Pass),
        count(ControlStatus::Fail),
        count(ControlStatus::Unknown),
        count(ControlStatus::NotApplicable),
        count(ControlStatus::Manual),
    ));
    for control in &assessment.controls {
        out.push_str(&format!(
            "\n{:<14} {}  {}\n",
            control.status.as_str().to_uppercase(),
            control.id,
            control.title
        ));
        out.push_str(&format!("{:14} {}\n", "", control.reason));
        for tally in &control.checks {
            out.push_str(&format!(
                "{:14} {} ({}): {} pass, {} fail, {} excepted, {} unknown, {} not applicable\n",
                "",
                tally.check_id,
                basis(tally.basis),
                tally.pass,
                tally.fail,
                tally.excepted,
                tally.unknown,
                tally.not_applicable
            ));
        }
        for result in control.results.iter().take(RESULTS_SHOWN) {
            out.push_str(&format!(
                "{:16} {} {} {} ({}): {}\n",
                "",
                result.status.as_str(),
                result.check_id,
                result.resource_name,
                result.resource_arn,
                result.message
            ));
        }
        if control.results.len() > RESULTS_SHOWN {
            out.push_str(&format!(
                "{:16} ... and {} more (--format json lists them all)\n",
                "",
                control.results.len() - RESULTS_SHOWN
            ));
        }
    }
    out
}

/// The frameworks, as text.
pub fn render_frameworks_text() -> String {
    let mut out = String::new();
    for framework in compliance::frameworks() {
        let manual = framework.controls.iter().filter(|c| c.is_manual()).count();
        out.push_str(&format!(
            "{:<16} {} ({} controls, {} manual)\n",
            framework.id,
            framework.name(),
            framework.controls.len(),
            manual
        ));
    }
    out
}

/// The frameworks and their controls, as JSON.
pub fn render_frameworks_json() -> String {
    let list: Vec<_> = compliance::frameworks()
        .iter()
        .map(|framework| {
            json!({
                "id": framework.id,
                "title": framework.title,
                "version": framework.version,
                "controls": framework.controls.iter().map(|control| json!({
                    "id": control.id,
                    "title": control.title,
                    "manual": control.is_manual(),
                    "checks": control.checks,
                    "interpreted": control.interpreted,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}
