//! SARIF 2.1.0, for GitHub code scanning and other SARIF consumers: one rule
//! per check (its documentation as help), one result per failing, excepted
//! and undecided result. Types from the `serde-sarif` crate, generated from
//! the published SARIF schema.

use std::collections::BTreeMap;

use mfaguard_core::checks::{self, CheckMeta};
use mfaguard_core::report::{CheckResult, CheckSummary, Severity, Status};
use mfaguard_core::Report;
use serde_json::{json, Value};
use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultKind, ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};

/// The schema the output declares and is validated against in the tests.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of the fingerprint that identifies a finding across scans.
pub const FINGERPRINT_KEY: &str = "mfaguardFinding/v1";

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

/// GitHub code scanning orders and labels alerts by this score (0–10).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// `iam.root_mfa_enabled` → `RootMfaEnabled`.
fn rule_name(id: &str) -> String {
    id.trim_start_matches("iam.")
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The docs' first section ("What it checks"), as one paragraph.
fn what_it_checks(docs: &str) -> String {
    docs.split("## ")
        .find_map(|section| section.strip_prefix("What it checks"))
        .unwrap_or(docs)
        .split("\n\n")
        .map(str::trim)
        .find(|paragraph| !paragraph.is_empty())
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn text(value: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(value).build()
}

fn rule(summary: &CheckSummary, meta: Option<&CheckMeta>) -> ReportingDescriptor {
    let docs = meta.map(CheckMeta::docs).unwrap_or_default();
    let mut tags = vec!["security".to_string(), "mfa".to_string()];
    let mut properties = BTreeMap::new();
    properties.insert(
        "security-severity".to_string(),
        json!(security_severity(summary.severity)),
    );
    let references = summary.references;
    for (key, id) in [
        ("cis_v3", references.cis_v3),
        ("cis_v5", references.cis_v5),
        ("fsbp", references.fsbp),
    ] {
        if let Some(id) = id {
            properties.insert(key.to_string(), json!(id));
        }
    }
    // Every framework control the check decides, as `cis-aws-5.0/1.4`.
    let requirements: Vec<String> = summary.compliance.iter().map(|r| r.label()).collect();
    tags.extend(requirements.iter().cloned());
    properties.insert("compliance".to_string(), json!(summary.compliance));
    ReportingDescriptor::builder()
        .id(summary.id)
        .name(rule_name(summary.id))
        .short_description(text(summary.title))
        .full_description(text(if docs.is_empty() {
            summary.title.to_string()
        } else {
            what_it_checks(&docs)
        }))
        .help(
            MultiformatMessageString::builder()
                .text(format!("Fix: {}", summary.fix))
                .markdown(if docs.is_empty() {
                    summary.fix.to_string()
                } else {
                    docs
                })
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(summary.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(properties)
                .build(),
        )
        .build()
}

fn result(report: &Report, rule_index: Option<usize>, result: &CheckResult) -> SarifResult {
    let (kind, level) = match result.status {
        Status::Fail | Status::Excepted => (ResultKind::Fail, level(result.severity)),
        // SARIF's "open": the tool could not tell pass from fail.
        _ => (ResultKind::Open, ResultLevel::None),
    };
    let fix = report
        .checks
        .iter()
        .find(|c| c.id == result.check_id)
        .map(|c| c.fix)
        .unwrap_or_default();
    let message = match result.status {
        Status::Unknown => format!(
            "{}: could not be decided: {}",
            result.resource_name, result.message
        ),
        _ => format!("{}: {} Fix: {fix}", result.resource_name, result.message),
    };
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                // An ARN is a URI (scheme `arn`): consumers that need an
                // artifact get one that names the resource exactly.
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(&result.resource_arn)
                        .build(),
                )
                .region(Region::builder().start_line(1).build())
                .build(),
        )
        .logical_locations(vec![LogicalLocation::builder()
            .fully_qualified_name(&result.resource_arn)
            .name(&result.resource_name)
            .kind("resource")
            .build()])
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        FINGERPRINT_KEY.to_string(),
        format!(
            "{}:{}:{}",
            result.check_id, result.account_id, result.resource_arn
        ),
    );
    let mut properties = BTreeMap::new();
    properties.insert("status".to_string(), json!(result.status.as_str()));
    properties.insert("severity".to_string(), json!(result.severity.as_str()));
    properties.insert("account_id".to_string(), json!(result.account_id));
    properties.insert(
        "security-severity".to_string(),
        json!(security_severity(result.severity)),
    );
    let builder = SarifResult::builder()
        .rule_id(result.check_id)
        .kind(kind)
        .level(level)
        .message(Message::builder().text(message).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        );
    let builder = builder.rule_index(rule_index.map_or(-1, |index| index as i64));
    match &result.exception {
        Some(exception) => builder
            .suppressions(vec![Suppression::builder()
                .kind(json!("external"))
                .status(json!("accepted"))
                .justification(format!(
                    "{} (owner {}, expires {})",
                    exception.reason, exception.owner, exception.expires
                ))
                .properties(
                    PropertyBag::builder()
                        .additional_properties(BTreeMap::from([
                            ("owner".to_string(), json!(exception.owner)),
                            ("expires".to_string(), json!(exception.expires)),
                            ("reason".to_string(), json!(exception.reason)),
                        ]))
                        .build(),
                )
                .build()])
            .build(),
        None => builder.build(),
    }
}

/// The SARIF log of the report, as a JSON value.
pub fn sarif_value(report: &Report) -> Value {
    let rules: Vec<ReportingDescriptor> = report
        .checks
        .iter()
        .map(|summary| rule(summary, checks::find(summary.id).map(|check| check.meta())))
        .collect();
    let results: Vec<SarifResult> = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Excepted | Status::Unknown))
        .map(|r| {
            let index = report.checks.iter().position(|c| c.id == r.check_id);
            result(report, index, r)
        })
        .collect();
    let driver = ToolComponent::builder()
        .name(report.tool.name)
        .semantic_version(report.tool.version)
        .information_uri("https://github.com/mfaguard/mfaguard")
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .properties(
            PropertyBag::builder()
                .additional_properties(BTreeMap::from([
                    ("generated_at".to_string(), json!(report.generated_at)),
                    (
                        "accounts".to_string(),
                        json!(report
                            .accounts
                            .iter()
                            .map(|a| a.account_id.as_str())
                            .collect::<Vec<_>>()),
                    ),
                ]))
                .build(),
        )
        .build();
    let log = Sarif::builder()
        .schema(SARIF_SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_value(&log).unwrap_or_else(
        |err| json!({"error": format!("the SARIF log could not be serialised: {err}")}),
    )
}

/// The SARIF log of the report, pretty-printed.
pub fn render_sarif(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&sarif_value(report)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_and_levels() {
        assert_eq!(rule_name("iam.root_mfa_enabled"), "RootMfaEnabled");
        assert_eq!(level(Severity::Critical), ResultLevel::Error);
        assert_eq!(level(Severity::Medium), ResultLevel::Warning);
        assert_eq!(level(Severity::Low), ResultLevel::Note);
    }
}
