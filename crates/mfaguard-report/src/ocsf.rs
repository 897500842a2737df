//! OCSF: one Compliance Finding (class 2003) per result, for Security Lake,
//! SIEMs and other OCSF consumers. The schema version is pinned and stated
//! in every event's `metadata.version`.

use std::collections::{BTreeSet, HashMap};

use mfaguard_core::compliance;
use mfaguard_core::report::{CheckResult, CheckSummary, Severity, Status};
use mfaguard_core::Report;
use serde_json::{json, Map, Value};

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.5.0";

/// Compliance Finding, in the Findings category.
const CLASS_UID: u32 = 2003;
const CATEGORY_UID: u32 = 2;
/// Activity "Create": each scan reports its findings afresh.
const ACTIVITY_CREATE: u32 = 1;

fn severity_id(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 5,
        Severity::High => 4,
        Severity::Medium => 3,
        Severity::Low => 2,
        Severity::Info => 1,
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Informational",
    }
}

/// The finding's workflow status (`status_id`, `status`).
fn finding_status(status: Status) -> (u32, &'static str) {
    match status {
        Status::Fail | Status::Unknown => (1, "New"),
        Status::Excepted => (3, "Suppressed"),
        Status::Pass | Status::NotApplicable => (4, "Resolved"),
    }
}

/// The compliance status (`compliance.status_id`, `compliance.status`): an
/// excepted failure is still a failure; what could not be decided is
/// Unknown, never Pass.
fn compliance_status(status: Status) -> (u32, &'static str) {
    match status {
        Status::Pass => (1, "Pass"),
        Status::Fail | Status::Excepted => (3, "Fail"),
        Status::Unknown => (0, "Unknown"),
        Status::NotApplicable => (99, "Not Applicable"),
    }
}

/// The AWS resource type of an IAM ARN, as Security Hub and OCSF name it.
pub(crate) fn resource_type(arn: &str) -> &'static str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    match resource.split('/').next().unwrap_or_default() {
        "root" => "AwsAccount",
        "user" => "AwsIamUser",
        "role" => "AwsIamRole",
        "group" => "AwsIamGroup",
        "policy" => "AwsIamPolicy",
        _ => "Other",
    }
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`).
pub(crate) fn partition(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').next())
        .filter(|p| !p.is_empty())
}

/// Identifies a finding across scans: check, account and resource.
pub fn finding_uid(result: &CheckResult) -> String {
    format!(
        "mfaguard/{}/{}/{}",
        result.check_id, result.account_id, result.resource_arn
    )
}

/// What every event of one check shares, computed once per check.
struct CheckFacts<'a> {
    summary: Option<&'a CheckSummary>,
    requirements: Value,
    standards: Value,
}

impl<'a> CheckFacts<'a> {
    fn of(report: &'a Report, check_id: &str) -> CheckFacts<'a> {
        let requirements = compliance::requirements_of(check_id);
        let standards: BTreeSet<String> = requirements
            .iter()
            .filter_map(|r| compliance::find(r.framework))
            .map(|framework| framework.name())
            .collect();
        CheckFacts {
            summary: report.checks.iter().find(|c| c.id == check_id),
            requirements: json!(requirements.iter().map(|r| r.label()).collect::<Vec<_>>()),
            standards: json!(standards),
        }
    }
}

fn event(report: &Report, facts: &CheckFacts<'_>, result: &CheckResult) -> Value {
    let summary = facts.summary;
    let time = report.generated_at.timestamp_millis();
    let (status_id, status) = finding_status(result.status);
    let (compliance_status_id, compliance_status) = compliance_status(result.status);
    let title = summary.map(|s| s.title).unwrap_or(result.check_id);
    let mut resource = Map::new();
    resource.insert("uid".into(), json!(result.resource_arn));
    resource.insert("name".into(), json!(result.resource_name));
    resource.insert("type".into(), json!(resource_type(&result.resource_arn)));
    if let Some(partition) = partition(&result.resource_arn) {
        resource.insert("cloud_partition".into(), json!(partition));
    }
    let mut cloud = Map::new();
    cloud.insert("provider".into(), json!("AWS"));
    if !result.account_id.is_empty() {
        cloud.insert(
            "account".into(),
            json!({
                "uid": result.account_id,
                "name": result.account_id,
                "type": "AWS Account",
                "type_id": 10,
            }),
        );
    }
    let mut event = json!({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id(result.severity),
        "severity": severity_name(result.severity),
        "status_id": status_id,
        "status": status,
        "status_code": result.status.as_str(),
        "status_detail": result.message,
        "message": format!("{}: {}", result.resource_name, result.message),
        "time": time,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": report.tool.name,
                "vendor_name": "mfaguard",
                "version": report.tool.version,
                "uid": "mfaguard",
            },
            "profiles": ["cloud"],
            "event_code": result.check_id,
        },
        "finding_info": {
            "uid": finding_uid(result),
            "title": title,
            "desc": result.message,
            "types": ["MFA"],
            "created_time": time,
        },
        "compliance": {
            "control": result.check_id,
            "status": compliance_status,
            "status_id": compliance_status_id,
            "requirements": facts.requirements,
            "standards": facts.standards,
        },
        "resources": [Value::Object(resource)],
        "cloud": Value::Object(cloud),
    });
    if let Some(fix) = summary.map(|s| s.fix) {
        event["remediation"] = json!({ "desc": fix });
    }
    if let Some(exception) = &result.exception {
        event["comment"] = json!(format!(
            "excepted: {} (owner {}, expires {})",
            exception.reason, exception.owner, exception.expires
        ));
    }
    event
}

/// Every result of the report as an OCSF Compliance Finding, made as the
/// caller takes them.
pub fn ocsf_events(report: &Report) -> impl Iterator<Item = Value> + '_ {
    let mut facts: HashMap<&str, CheckFacts<'_>> = HashMap::new();
    report.results.iter().map(move |result| {
        let facts = facts
            .entry(result.check_id)
            .or_insert_with(|| CheckFacts::of(report, result.check_id));
        event(report, facts, result)
    })
}

/// Writes the events to `out` as a pretty-printed JSON array, one event at
/// a time: a large account's events are never all held in memory.
pub fn write_ocsf(report: &Report, out: impl std::io::Write) -> std::io::Result<()> {
    crate::write_pretty_array(ocsf_events(report), out)
}

/// The events as a pretty-printed JSON array.
pub fn render_ocsf(report: &Report) -> String {
    crate::render_streamed(|out| write_ocsf(report, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_from_arns() {
        assert_eq!(
            resource_type("arn:aws:iam::111122223333:root"),
            "AwsAccount"
        );
        assert_eq!(
            resource_type("arn:aws:iam::111122223333:user/a/b"),
            "AwsIamUser"
        );
        assert_eq!(
            resource_type("arn:aws:iam::111122223333:role/r"),
            "AwsIamRole"
        );
        assert_eq!(
            resource_type("arn:aws:iam::111122223333:policy/p"),
            "AwsIamPolicy"
        );
        assert_eq!(resource_type("not an arn"), "Other");
        assert_eq!(partition("arn:aws-cn:iam::1:root"), Some("aws-cn"));
        assert_eq!(partition("x"), None);
    }

    #[test]
    fn undecided_is_never_a_pass() {
        assert_eq!(compliance_status(Status::Unknown).1, "Unknown");
        assert_eq!(compliance_status(Status::Excepted).1, "Fail");
        assert_eq!(finding_status(Status::Unknown).1, "New");
    }
}
