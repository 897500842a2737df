//! ASFF, the AWS Security Finding Format: the `Findings` of a Security Hub
//! `BatchImportFindings` call, one per result, for import into Security Hub
//! as findings of the account's own default product.

use std::collections::{BTreeSet, HashMap};

use mfaguard_core::compliance;
use mfaguard_core::report::{CheckResult, CheckSummary, Severity, Status};
use mfaguard_core::Report;
use serde_json::{json, Map, Value};

use crate::ocsf::{finding_uid, partition, resource_type};

/// The ASFF schema version Security Hub accepts.
pub const ASFF_SCHEMA_VERSION: &str = "2018-10-08";

/// Security Hub's limits on the fields mfaguard fills with free text.
pub const TITLE_MAX: usize = 256;
pub const DESCRIPTION_MAX: usize = 1024;
pub const RECOMMENDATION_MAX: usize = 512;
pub const NOTE_MAX: usize = 512;
pub const RELATED_REQUIREMENTS_MAX: usize = 32;

/// Security Hub's limit on a finding's `Id`.
pub const ID_MAX: usize = 512;

/// The finding's id: the OCSF finding uid, or, past [`ID_MAX`] (an ARN
/// with a long path), its start with a hash of the whole, so that it stays
/// unique and stable.
fn finding_id(result: &CheckResult) -> String {
    let uid = finding_uid(result);
    if uid.len() <= ID_MAX {
        return uid;
    }
    // FNV-1a, 64 bits: stable across builds and platforms.
    let hash = uid.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let suffix = format!("#{hash:016x}");
    let mut end = ID_MAX - suffix.len();
    while !uid.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}", &uid[..end])
}

/// At most `max` characters, with `…` marking a cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// A passing result is informational, as Security Hub's own controls
/// report them; everything else keeps the check's severity.
fn severity_label(result: &CheckResult) -> &'static str {
    if matches!(result.status, Status::Pass | Status::NotApplicable) {
        return "INFORMATIONAL";
    }
    match result.severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFORMATIONAL",
    }
}

/// `Compliance.Status`: WARNING when information was missing to decide,
/// NOT_AVAILABLE when the check does not apply.
fn compliance_status(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASSED",
        Status::Fail | Status::Excepted => "FAILED",
        Status::Unknown => "WARNING",
        Status::NotApplicable => "NOT_AVAILABLE",
    }
}

fn workflow_status(status: Status) -> &'static str {
    match status {
        Status::Fail | Status::Unknown => "NEW",
        Status::Excepted => "SUPPRESSED",
        Status::Pass | Status::NotApplicable => "RESOLVED",
    }
}

/// The Security Hub finding types: best practice, and the standards the
/// check's frameworks belong to.
fn types(check_id: &str) -> Vec<String> {
    const STANDARDS: &str = "Software and Configuration Checks/Industry and Regulatory Standards/";
    let mut types = BTreeSet::from([
        "Software and Configuration Checks/AWS Security Best Practices".to_string(),
    ]);
    for requirement in compliance::requirements_of(check_id) {
        let framework = requirement.framework;
        let classifier = if framework.starts_with("cis-aws-") {
            "CIS AWS Foundations Benchmark"
        } else if framework == "aws-fsbp" {
            "AWS-Foundational-Security-Best-Practices"
        } else if framework.starts_with("nist-800-53") {
            "NIST 800-53 Controls (USA)"
        } else if framework.starts_with("pci-dss") {
            "PCI-DSS Controls"
        } else {
            continue;
        };
        types.insert(format!("{STANDARDS}{classifier}"));
    }
    types.into_iter().collect()
}

/// The last part of an ARN's resource path: `user/team/ana` → `ana`.
fn name_in_arn(arn: &str) -> Option<&str> {
    arn.rsplit(['/', ':'])
        .next()
        .filter(|name| !name.is_empty())
}

fn resource(result: &CheckResult, region: &str) -> Value {
    let kind = resource_type(&result.resource_arn);
    let mut resource = Map::new();
    resource.insert("Type".into(), json!(kind));
    resource.insert("Id".into(), json!(result.resource_arn));
    if let Some(partition) = partition(&result.resource_arn) {
        resource.insert("Partition".into(), json!(partition));
    }
    resource.insert("Region".into(), json!(region));
    let path = |prefix: &str| {
        let rest = result
            .resource_arn
            .split_once(&format!(":{prefix}/"))
            .map(|(_, rest)| rest)?;
        Some(match rest.rfind('/') {
            Some(end) => format!("/{}/", &rest[..end]),
            None => "/".to_string(),
        })
    };
    let details = match (kind, name_in_arn(&result.resource_arn)) {
        ("AwsIamUser", Some(name)) => Some(json!({"AwsIamUser": {
            "UserName": name,
            "Path": path("user").unwrap_or_else(|| "/".to_string()),
        }})),
        ("AwsIamRole", Some(name)) => Some(json!({"AwsIamRole": {
            "RoleName": name,
            "Path": path("role").unwrap_or_else(|| "/".to_string()),
        }})),
        _ => None,
    };
    if let Some(details) = details {
        resource.insert("Details".into(), details);
    }
    Value::Object(resource)
}

/// What every finding of one check shares, computed once per check.
struct CheckFacts<'a> {
    summary: Option<&'a CheckSummary>,
    requirements: Vec<String>,
    types: Vec<String>,
}

impl<'a> CheckFacts<'a> {
    fn of(report: &'a Report, check_id: &str) -> CheckFacts<'a> {
        let mut requirements: Vec<String> = compliance::requirements_of(check_id)
            .iter()
            .map(|r| r.label())
            .collect();
        requirements.truncate(RELATED_REQUIREMENTS_MAX);
        CheckFacts {
            summary: report.checks.iter().find(|c| c.id == check_id),
            requirements,
            types: types(check_id),
        }
    }
}

fn finding(
    report: &Report,
    facts: &CheckFacts<'_>,
    result: &CheckResult,
    region: &str,
    fallback_account: &str,
) -> Value {
    // A configuration-level result (an exception naming no account) is
    // filed under the scanned account.
    let account = if result.account_id.len() == 12 {
        result.account_id.as_str()
    } else {
        fallback_account
    };
    let time = report
        .generated_at
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let summary = facts.summary;
    let title = summary.map(|s| s.title).unwrap_or(result.check_id);
    let mut compliance_field = json!({ "Status": compliance_status(result.status) });
    if !facts.requirements.is_empty() {
        compliance_field["RelatedRequirements"] = json!(facts.requirements);
    }
    let mut finding = json!({
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": finding_id(result),
        "ProductArn": format!("arn:aws:securityhub:{region}:{account}:product/{account}/default"),
        "ProductName": "mfaguard",
        "CompanyName": "mfaguard",
        "GeneratorId": format!("mfaguard/{}", result.check_id),
        "AwsAccountId": account,
        "Region": region,
        "Types": facts.types,
        "CreatedAt": time,
        "UpdatedAt": time,
        "Severity": { "Label": severity_label(result) },
        "Title": clip(title, TITLE_MAX),
        "Description": clip(&format!("{}: {}", result.resource_name, result.message), DESCRIPTION_MAX),
        "Resources": [resource(result, region)],
        "Compliance": compliance_field,
        "Workflow": { "Status": workflow_status(result.status) },
        "RecordState": "ACTIVE",
        "ProductFields": {
            "mfaguard/check_id": result.check_id,
            "mfaguard/status": result.status.as_str(),
            "mfaguard/severity": result.severity.as_str(),
            "mfaguard/version": report.tool.version,
        },
    });
    if let Some(fix) = summary.map(|s| s.fix) {
        finding["Remediation"] = json!({"Recommendation": {"Text": clip(fix, RECOMMENDATION_MAX)}});
    }
    if let Some(exception) = &result.exception {
        finding["Note"] = json!({
            "Text": clip(&format!("excepted until {}: {}", exception.expires, exception.reason), NOTE_MAX),
            "UpdatedBy": clip(&exception.owner, 512),
            "UpdatedAt": time,
        });
    }
    finding
}

/// Every result of the report as an ASFF finding, for `region` (which the
/// `ProductArn` names: Security Hub accepts findings for its own region),
/// made as the caller takes them.
pub fn asff_findings<'a>(report: &'a Report, region: &'a str) -> impl Iterator<Item = Value> + 'a {
    let fallback = report
        .accounts
        .first()
        .map(|a| a.account_id.as_str())
        .unwrap_or_default();
    let mut facts: HashMap<&str, CheckFacts<'_>> = HashMap::new();
    report.results.iter().map(move |result| {
        let facts = facts
            .entry(result.check_id)
            .or_insert_with(|| CheckFacts::of(report, result.check_id));
        finding(report, facts, result, region, fallback)
    })
}

/// Writes the findings to `out` as a pretty-printed JSON array (the
/// `Findings` of `BatchImportFindings`, which takes at most 100 per call),
/// one at a time.
pub fn write_asff(report: &Report, region: &str, out: impl std::io::Write) -> std::io::Result<()> {
    crate::write_pretty_array(asff_findings(report, region), out)
}

/// The findings as a pretty-printed JSON array.
pub fn render_asff(report: &Report, region: &str) -> String {
    crate::render_streamed(|out| write_asff(report, region, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_characters() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "ab…");
        assert_eq!(clip("ééééé", 4).chars().count(), 4);
    }

    #[test]
    fn long_ids_are_shortened_uniquely() {
        let result = |path: &str| CheckResult {
            check_id: "iam.console_user_mfa",
            status: Status::Fail,
            severity: Severity::High,
            account_id: "111122223333".to_string(),
            resource_arn: format!("arn:aws:iam::111122223333:user/{path}/ana"),
            resource_name: "ana".to_string(),
            message: String::new(),
            exception: None,
        };
        let short = result("team");
        assert_eq!(finding_id(&short), finding_uid(&short));
        let (a, b) = (result(&"a".repeat(510)), result(&"a".repeat(509)));
        assert_eq!(finding_id(&a).len(), ID_MAX);
        assert_ne!(finding_id(&a), finding_id(&b));
        assert_eq!(finding_id(&a), finding_id(&a.clone()));
    }

    #[test]
    fn names_and_paths_from_arns() {
        assert_eq!(name_in_arn("arn:aws:iam::1:user/team/ana"), Some("ana"));
        assert_eq!(name_in_arn("arn:aws:iam::1:root"), Some("root"));
        assert_eq!(compliance_status(Status::Unknown), "WARNING");
        assert!(types("iam.root_mfa_enabled")
            .iter()
            .any(|t| t.ends_with("CIS AWS Foundations Benchmark")));
    }
}
