//! Pushing findings to AWS Security Hub (`securityhub:BatchImportFindings`),
//! the only write mfaguard makes, and only when asked (`--security-hub`).
//! The findings come as ASFF JSON, the same document `--format asff`
//! writes, so what is pushed is what a user can read.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_securityhub::types::{
    AwsIamRoleDetails, AwsIamUserDetails, AwsSecurityFinding, Compliance, ComplianceStatus, Note,
    Partition, Recommendation, RecordState, Remediation, Resource, ResourceDetails, Severity,
    SeverityLabel, Workflow, WorkflowStatus,
};
use serde_json::Value;

use crate::error::{classify, CollectError};

/// Security Hub takes at most 100 findings per call.
pub const BATCH_SIZE: usize = 100;

const ACTION: &str = "securityhub:BatchImportFindings";

/// A finding Security Hub did not accept, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedFinding {
    pub id: String,
    pub code: String,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub imported: usize,
    pub rejected: Vec<RejectedFinding>,
    /// Calls made (one per batch of at most [`BATCH_SIZE`]).
    pub calls: usize,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn texts(value: &Value, key: &str) -> Vec<String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn resource(value: &Value) -> Resource {
    let details = value.get("Details").map(|details| {
        let mut builder = ResourceDetails::builder();
        if let Some(user) = details.get("AwsIamUser") {
            builder = builder.aws_iam_user(
                AwsIamUserDetails::builder()
                    .set_user_name(text(user, "UserName"))
                    .set_path(text(user, "Path"))
                    .build(),
            );
        }
        if let Some(role) = details.get("AwsIamRole") {
            builder = builder.aws_iam_role(
                AwsIamRoleDetails::builder()
                    .set_role_name(text(role, "RoleName"))
                    .set_path(text(role, "Path"))
                    .build(),
            );
        }
        builder.build()
    });
    Resource::builder()
        .set_type(text(value, "Type"))
        .set_id(text(value, "Id"))
        .set_partition(text(value, "Partition").map(|p| Partition::from(p.as_str())))
        .set_region(text(value, "Region"))
        .set_details(details)
        .build()
}

/// The SDK's finding of one ASFF document.
pub fn finding_of_asff(value: &Value) -> AwsSecurityFinding {
    let product_fields: Option<HashMap<String, String>> = value
        .get("ProductFields")
        .and_then(Value::as_object)
        .map(|fields| {
            fields
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        });
    let severity = value
        .get("Severity")
        .and_then(|s| text(s, "Label"))
        .map(|label| {
            Severity::builder()
                .label(SeverityLabel::from(label.as_str()))
                .build()
        });
    let compliance = value.get("Compliance").map(|c| {
        let requirements = texts(c, "RelatedRequirements");
        Compliance::builder()
            .set_status(text(c, "Status").map(|s| ComplianceStatus::from(s.as_str())))
            .set_related_requirements((!requirements.is_empty()).then_some(requirements))
            .build()
    });
    let remediation = value
        .get("Remediation")
        .and_then(|r| r.get("Recommendation"))
        .and_then(|r| text(r, "Text"))
        .map(|recommendation| {
            Remediation::builder()
                .recommendation(Recommendation::builder().text(recommendation).build())
                .build()
        });
    let workflow = value
        .get("Workflow")
        .and_then(|w| text(w, "Status"))
        .map(|status| {
            Workflow::builder()
                .status(WorkflowStatus::from(status.as_str()))
                .build()
        });
    let note = value.get("Note").map(|note| {
        Note::builder()
            .set_text(text(note, "Text"))
            .set_updated_by(text(note, "UpdatedBy"))
            .set_updated_at(text(note, "UpdatedAt"))
            .build()
    });
    let resources: Vec<Resource> = value
        .get("Resources")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(resource).collect())
        .unwrap_or_default();
    AwsSecurityFinding::builder()
        .set_schema_version(text(value, "SchemaVersion"))
        .set_id(text(value, "Id"))
        .set_product_arn(text(value, "ProductArn"))
        .set_product_name(text(value, "ProductName"))
        .set_company_name(text(value, "CompanyName"))
        .set_generator_id(text(value, "GeneratorId"))
        .set_aws_account_id(text(value, "AwsAccountId"))
        .set_region(text(value, "Region"))
        .set_types(Some(texts(value, "Types")))
        .set_created_at(text(value, "CreatedAt"))
        .set_updated_at(text(value, "UpdatedAt"))
        .set_severity(severity)
        .set_title(text(value, "Title"))
        .set_description(text(value, "Description"))
        .set_remediation(remediation)
        .set_product_fields(product_fields)
        .set_resources(Some(resources))
        .set_compliance(compliance)
        .set_workflow(workflow)
        .set_record_state(text(value, "RecordState").map(|s| RecordState::from(s.as_str())))
        .set_note(note)
        .build()
}

/// Imports `findings` (ASFF documents) in batches of [`BATCH_SIZE`]. A
/// finding Security Hub rejects is reported with its reason and the other
/// batches still go; a call that fails stops the import with its error.
pub async fn import_findings(
    config: &SdkConfig,
    findings: &[Value],
    max_attempts: u32,
) -> Result<ImportOutcome, CollectError> {
    let client = aws_sdk_securityhub::Client::new(config);
    let mut outcome = ImportOutcome::default();
    for batch in findings.chunks(BATCH_SIZE) {
        let answer = client
            .batch_import_findings()
            .set_findings(Some(batch.iter().map(finding_of_asff).collect()))
            .send()
            .await
            .map_err(|err| classify(ACTION, &err, None, max_attempts))?;
        outcome.calls += 1;
        let rejected: Vec<RejectedFinding> = answer
            .failed_findings()
            .iter()
            .map(|failure| RejectedFinding {
                id: failure.id().unwrap_or_default().to_string(),
                code: failure.error_code().unwrap_or_default().to_string(),
                message: failure.error_message().unwrap_or_default().to_string(),
            })
            .collect();
        // What the answer does not count as failed was imported; a count
        // that disagrees with the list is taken at its word for failures.
        let failed = answer
            .failed_count()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
            .max(rejected.len());
        outcome.imported += batch.len().saturating_sub(failed);
        outcome.rejected.extend(rejected);
    }
    Ok(outcome)
}
