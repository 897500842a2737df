//! The detector of bypassable MFA conditions, shared by the check
//! `iam.mfa_condition_pitfall` (the account's own policies) and `mfaguard
//! lint` (policy files and templates): one rule set for both.

use serde_json::{Map, Value};

const MFA_PRESENT: &str = "aws:multifactorauthpresent";
const MFA_AGE: &str = "aws:multifactorauthage";

/// The statements of a document, each with its index.
pub fn statements(document: &Value) -> Vec<(usize, &Map<String, Value>)> {
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

pub fn field<'a>(statement: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
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
pub struct Pitfall {
    pub explanation: &'static str,
    /// The operator as written, e.g. `BoolIfExists`.
    pub operator: String,
    /// The condition key as written.
    pub key: String,
    pub fixed_operator: &'static str,
    pub fixed_value: Value,
}

/// Whether a statement's condition tests the MFA keys, and its pitfalls.
pub fn pitfalls(effect: &str, condition: &Map<String, Value>) -> (bool, Vec<Pitfall>) {
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
pub fn corrected(statement: &Map<String, Value>, found: &[Pitfall]) -> Value {
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
