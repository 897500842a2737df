use serde_json::{Map, Value};

use super::{declare_check, AccountView, Check, CheckMeta};
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

const MFA_PRESENT: &str = "aws:multifactorauthpresent";
const MFA_AGE: &str = "aws:multifactorauthage";

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

/// The statements of a document, each with its index.
fn statements(document: &Value) -> Vec<(usize, &Map<String, Value>)> {
    let found = document
        .as_object()
        .and_then(|object| {
            object
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case("Statement"))
        })
        .map(|(_, value)| value);
    match found {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| item.as_object().map(|object| (index, object)))
            .collect(),
        Some(Value::Object(object)) => vec![(0, object)],
        _ => Vec::new(),
    }
}

fn field<'a>(statement: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    statement
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// Values of a condition entry as lowercase text (`true`, `"false"`, `300`).
fn values(value: &Value) -> Vec<String> {
    let one = |item: &Value| match item {
        Value::String(text) => Some(text.to_ascii_lowercase()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// One bypassable use of an MFA key, and the corrected operator and values.
struct Pitfall {
    explanation: &'static str,
    operator: String,
    key: String,
    fixed_operator: &'static str,
    fixed_value: Value,
}

fn pitfalls(effect: &str, condition: &Map<String, Value>) -> (bool, Vec<Pitfall>) {
    let mut uses_mfa = false;
    let mut found = Vec::new();
    let deny = effect.eq_ignore_ascii_case("Deny");
    for (operator, block) in condition {
        let Some(block) = block.as_object() else {
            continue;
        };
        let lower = operator.to_ascii_lowercase();
        let (qualifier, base) = match lower.split_once(':') {
            Some((qualifier, base)) => (Some(qualifier.to_string()), base.to_string()),
            None => (None, lower.clone()),
        };
        for (key, value) in block {
            let key_lower = key.to_ascii_lowercase();
            if key_lower != MFA_PRESENT && key_lower != MFA_AGE {
                continue;
            }
            uses_mfa = true;
            let values = values(value);
            let has = |wanted: &str| values.iter().any(|v| v == wanted);
            let pitfall = |explanation, fixed_operator, fixed_value| Pitfall {
                explanation,
                operator: operator.clone(),
                key: key.clone(),
                fixed_operator,
                fixed_value,
            };
            if qualifier.as_deref() == Some("forallvalues") && !deny {
                found.push(pitfall(
                    "ForAllValues is true when the key is absent, so requests without MFA match",
                    "Bool",
                    Value::String("true".into()),
                ));
                continue;
            }
            if key_lower == MFA_PRESENT {
                match (deny, base.as_str()) {
                    (true, "bool") if has("false") => found.push(pitfall(
                        "long-term access keys send no MFA key, so Bool does not match and the deny does not apply",
                        "BoolIfExists",
                        Value::String("false".into()),
                    )),
                    (false, "boolifexists") if has("true") => found.push(pitfall(
                        "an absent MFA key satisfies ...IfExists, so long-term access keys are allowed",
                        "Bool",
                        Value::String("true".into()),
                    )),
                    (false, "null") if has("false") => found.push(pitfall(
                        "Null false only tests that the key is present: any temporary credentials, even a console session without MFA, are allowed",
                        "Bool",
                        Value::String("true".into()),
                    )),
                    _ => {}
                }
            } else if deny && (base == "numericgreaterthan" || base == "numericgreaterthanequals") {
                found.push(pitfall(
                    "without MFA the age is absent, so the deny does not apply",
                    if base == "numericgreaterthan" {
                        "NumericGreaterThanIfExists"
                    } else {
                        "NumericGreaterThanEqualsIfExists"
                    },
                    value.clone(),
                ));
            }
        }
    }
    (uses_mfa, found)
}

/// The statement with each pitfall's condition replaced by its correction.
fn corrected(statement: &Map<String, Value>, found: &[Pitfall]) -> Value {
    let mut fixed = statement.clone();
    let condition_key = fixed
        .keys()
        .find(|key| key.eq_ignore_ascii_case("Condition"))
        .cloned();
    if let Some(condition_key) = condition_key {
        if let Some(Value::Object(condition)) = fixed.get_mut(&condition_key) {
            for pitfall in found {
                let mut emptied = false;
                if let Some(Value::Object(block)) = condition.get_mut(&pitfall.operator) {
                    block.remove(&pitfall.key);
                    emptied = block.is_empty();
                }
                if emptied {
                    condition.remove(&pitfall.operator);
                }
                let entry = condition
                    .entry(pitfall.fixed_operator.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(block) = entry {
                    block.insert(pitfall.key.clone(), pitfall.fixed_value.clone());
                }
            }
        }
    }
    Value::Object(fixed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(statement: Value) -> (bool, Vec<&'static str>, Value) {
        let statement = statement.as_object().unwrap().clone();
        let condition = statement["Condition"].as_object().unwrap().clone();
        let effect = statement["Effect"].as_str().unwrap().to_string();
        let (uses, found) = pitfalls(&effect, &condition);
        let fixed = corrected(&statement, &found);
        (
            uses,
            found.iter().map(|p| p.fixed_operator).collect(),
            fixed,
        )
    }

    #[test]
    fn deny_with_plain_bool_is_a_pitfall() {
        let (uses, fixes, fixed) = check(
            json!({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}),
        );
        assert!(uses);
        assert_eq!(fixes, ["BoolIfExists"]);
        assert_eq!(
            fixed["Condition"],
            json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
        );
    }

    #[test]
    fn the_documented_deny_is_sound() {
        let (uses, fixes, _) = check(
            json!({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}),
        );
        assert!(uses);
        assert!(fixes.is_empty());
        let (_, fixes, _) = check(json!({"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"AWS:MultiFactorAuthPresent": true}}}));
        assert!(fixes.is_empty());
        let (_, fixes, _) = check(json!({"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": 3600}}}));
        assert!(fixes.is_empty());
    }

    #[test]
    fn allow_pitfalls() {
        let (_, fixes, _) = check(json!({"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}));
        assert_eq!(fixes, ["Bool"]);
        let (_, fixes, _) = check(json!({"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Null": {"aws:MultiFactorAuthPresent": "false"}}}));
        assert_eq!(fixes, ["Bool"]);
        let (_, fixes, _) = check(json!({"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"ForAllValues:Bool": {"aws:MultiFactorAuthPresent": "true"}}}));
        assert_eq!(fixes, ["Bool"]);
    }

    #[test]
    fn deny_on_age_without_ifexists_is_a_pitfall() {
        let (_, fixes, fixed) = check(json!({"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}, "StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}));
        assert_eq!(fixes, ["NumericGreaterThanIfExists"]);
        assert_eq!(
            fixed["Condition"]["NumericGreaterThanIfExists"],
            json!({"aws:MultiFactorAuthAge": "3600"})
        );
        assert_eq!(
            fixed["Condition"]["StringEquals"],
            json!({"aws:RequestedRegion": "eu-west-1"})
        );
        assert!(fixed["Condition"].get("NumericGreaterThan").is_none());
    }

    #[test]
    fn statements_without_mfa_keys_are_not_examined() {
        let (uses, _, _) = check(json!({"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}));
        assert!(!uses);
    }
}
