//! Decides whether an identity is privileged (can act as an administrator).
//!
//! This first version recognises administrator access by the policies that
//! grant it: the AWS managed `AdministratorAccess` and `IAMFullAccess`
//! policies (directly or through a group) and any inline or customer managed
//! statement that allows `*` on `*`. Checks read only [`Privilege`], so the
//! detection can be replaced by policy evaluation without touching them.

use serde_json::Value;

use crate::identity::Privilege;
use crate::policies::{PolicySource, ResolvedPolicies};
use crate::snapshot::is_aws_managed_policy_arn;

/// AWS managed policies that make their holder an administrator.
const ADMIN_MANAGED_POLICIES: [&str; 2] = ["AdministratorAccess", "IAMFullAccess"];

pub fn assess(policies: &ResolvedPolicies<'_>) -> Privilege {
    let mut reasons = Vec::new();
    let mut missing_documents = Vec::new();
    for applied in &policies.identity {
        let through = applied
            .via_group
            .map(|group| format!(" through group {group}"))
            .unwrap_or_default();
        match &applied.source {
            PolicySource::Managed { arn } if is_aws_managed_policy_arn(arn) => {
                let name = arn.rsplit('/').next().unwrap_or(arn);
                if ADMIN_MANAGED_POLICIES.contains(&name) {
                    reasons.push(format!("{name} attached{through}"));
                }
            }
            source => match applied.document {
                Some(document) => {
                    if allows_everything(&document.0) {
                        reasons.push(format!("{source} allows * on *{through}"));
                    }
                }
                None => missing_documents.push(source.to_string()),
            },
        }
    }
    if !reasons.is_empty() {
        return Privilege {
            privileged: Some(true),
            reasons,
        };
    }
    if !policies.unknown_groups.is_empty() {
        return Privilege::unknown(format!(
            "groups not described in the inputs: {}",
            policies.unknown_groups.join(", ")
        ));
    }
    if !missing_documents.is_empty() {
        return Privilege::unknown(format!(
            "policy documents not in the inputs: {}",
            missing_documents.join(", ")
        ));
    }
    Privilege {
        privileged: Some(false),
        reasons: Vec::new(),
    }
}

/// True when some statement allows every action on every resource,
/// whatever its conditions (a condition limits when, not how much).
pub fn allows_everything(document: &Value) -> bool {
    let statements: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => return false,
    };
    statements.into_iter().any(|statement| {
        statement.get("Effect").and_then(Value::as_str) == Some("Allow")
            && contains_star(statement.get("Action"), &["*", "*:*"])
            && contains_star(statement.get("Resource"), &["*"])
    })
}

fn contains_star(value: Option<&Value>, stars: &[&str]) -> bool {
    match value {
        Some(Value::String(text)) => stars.contains(&text.as_str()),
        Some(Value::Array(items)) => items
            .iter()
            .any(|item| item.as_str().is_some_and(|text| stars.contains(&text))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn allow_star_on_star_is_recognised_in_every_shape() {
        assert!(allows_everything(
            &json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
        ));
        assert!(allows_everything(
            &json!({"Statement": [{"Effect": "Allow", "Action": ["s3:*", "*:*"], "Resource": ["*"]}]})
        ));
        assert!(!allows_everything(
            &json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
        ));
        assert!(!allows_everything(
            &json!({"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]})
        ));
        assert!(!allows_everything(
            &json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
        ));
    }
}
