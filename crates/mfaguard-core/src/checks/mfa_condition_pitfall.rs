use serde_json::Value;

use super::{declare_check, AccountView, Check, CheckMeta};
use crate::pitfall::{corrected, field, pitfalls, statements};
use crate::report::{CheckResult, Status};
use crate::snapshot::{PolicyDocument, Snapshot};

declare_check! {
    /// ## What it checks
    /// Every statement of the account's own policies (customer managed,
    /// inline on users, groups and roles, role trust policies, and SCPs when
    /// collected) that tests `aws:MultiFactorAuthPresent` or
    /// `aws:MultiFactorAuthAge` in a way a request without MFA slips through:
    ///
    /// | statement | why it is bypassed |
    /// |---|---|
    /// | `Deny` + `Bool {aws:MultiFactorAuthPresent: false}` | long-term access keys send no MFA key at all, so `Bool` does not match and the deny does not apply |
    /// | `Allow` + `BoolIfExists {aws:MultiFactorAuthPresent: true}` | an absent key satisfies `...IfExists`: access keys are allowed |
    /// | `Allow` + `Null {aws:MultiFactorAuthPresent: false}` | "the key is present" is true for any temporary credentials, including a console session without MFA (`false`) |
    /// | `ForAllValues:` on an MFA key in an `Allow` | `ForAllValues` is true when the key is absent |
    /// | `Deny` + `NumericGreaterThan {aws:MultiFactorAuthAge: N}` | without MFA the age is absent, so the deny does not apply |
    ///
    /// Each such statement fails with the corrected statement in the message;
    /// a statement that tests the MFA keys soundly passes. Statements that do
    /// not mention the MFA keys are not examined.
    ///
    /// ## Why it matters
    /// These are the forms found in real accounts that look like MFA
    /// enforcement and are not: the policy reads as "MFA required" while
    /// stolen access keys, or a phished password, work as before.
    ///
    /// ## How to fix
    /// Replace the condition as the message shows: deny with
    /// `BoolIfExists {aws:MultiFactorAuthPresent: false}`, allow with
    /// `Bool {aws:MultiFactorAuthPresent: true}`, bound the age with
    /// `NumericGreaterThanIfExists` in a deny, and never use `ForAllValues:`
    /// or `Null` to require MFA.
    ///
    /// ## How to verify
    /// `mfaguard simulate` the policy with `--context aws:MultiFactorAuthPresent=false`
    /// and with no MFA key at all (access keys): both must be denied.
    MfaConditionPitfall {
        id: "iam.mfa_condition_pitfall",
        title: "MFA conditions cannot be bypassed",
        severity: High,
        fix: "Use Deny + BoolIfExists {aws:MultiFactorAuthPresent: false} (or Allow + Bool true); never Null, ForAllValues or plain NumericGreaterThan on the MFA keys.",
        cis_v3: None,
        cis_v5: None,
        fsbp: None,
    }
}

/// A policy document of the account, with what to call it in results.
struct NamedDocument<'a> {
    arn: String,
    name: String,
    document: &'a PolicyDocument,
}

fn account_documents(snapshot: &Snapshot) -> Vec<NamedDocument<'_>> {
    let mut documents = Vec::new();
    if let Some(details) = &snapshot.authorization_details {
        for policy in details.policies.iter().filter(|p| !p.is_aws_managed()) {
            if let Some(document) = policy.default_document() {
                documents.push(NamedDocument {
                    arn: policy.arn.clone(),
                    name: policy.policy_name.clone(),
                    document,
                });
            }
        }
        let owners = details
            .user_detail_list
            .iter()
            .map(|user| (&user.arn, &user.user_name, &user.user_policy_list))
            .chain(
                details
                    .group_detail_list
                    .iter()
                    .map(|group| (&group.arn, &group.group_name, &group.group_policy_list)),
            )
            .chain(
                details
                    .role_detail_list
                    .iter()
                    .map(|role| (&role.arn, &role.role_name, &role.role_policy_list)),
            );
        for (owner_arn, owner, list) in owners {
            for policy in list {
                documents.push(NamedDocument {
                    arn: owner_arn.clone(),
                    name: format!("{owner} inline {}", policy.policy_name),
                    document: &policy.policy_document,
                });
            }
        }
        for role in &details.role_detail_list {
            if let Some(trust) = &role.assume_role_policy_document {
                documents.push(NamedDocument {
                    arn: role.arn.clone(),
                    name: format!("{} trust policy", role.role_name),
                    document: trust,
                });
            }
        }
    }
    for level in snapshot.service_control_policies.iter().flatten() {
        for policy in &level.policies {
            documents.push(NamedDocument {
                arn: format!("scp:{}", policy.id),
                name: format!("SCP {} on {}", policy.name, level.target_id),
                document: &policy.document,
            });
        }
    }
    documents
}

impl Check for MfaConditionPitfall {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        let meta = &Self::META;
        let mut results = Vec::new();
        for named in account_documents(account.snapshot) {
            for (index, statement) in statements(&named.document.0) {
                let Some(Value::Object(condition)) = field(statement, "Condition") else {
                    continue;
                };
                let effect = field(statement, "Effect")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let (uses_mfa, found) = pitfalls(effect, condition);
                if !uses_mfa {
                    continue;
                }
                let sid = field(statement, "Sid")
                    .and_then(Value::as_str)
                    .map(|sid| format!(" ({sid})"))
                    .unwrap_or_default();
                let name = format!("{} statement {index}{sid}", named.name);
                let result = if found.is_empty() {
                    meta.result_for(
                        account.account_id,
                        &named.arn,
                        &name,
                        Status::Pass,
                        "MFA condition cannot be bypassed",
                    )
                } else {
                    let reasons: Vec<String> = found
                        .iter()
                        .map(|p| {
                            format!("{effect} + {} on {}: {}", p.operator, p.key, p.explanation)
                        })
                        .collect();
                    meta.result_for(
                        account.account_id,
                        &named.arn,
                        &name,
                        Status::Fail,
                        format!(
                            "{}; corrected statement: {}",
                            reasons.join("; "),
                            corrected(statement, &found)
                        ),
                    )
                };
                results.push(result);
            }
        }
        results
    }
}
