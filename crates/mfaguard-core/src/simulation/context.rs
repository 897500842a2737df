//! The request context of a simulation: condition keys as given, the MFA
//! rows of the design's context matrix, and the principal's own keys.

use std::collections::BTreeMap;

use iam_policy::{Context, World};
use serde_json::{json, Map, Value};

use crate::snapshot::Tag;

pub const MFA_PRESENT: &str = "aws:MultiFactorAuthPresent";
pub const MFA_AGE: &str = "aws:MultiFactorAuthAge";

/// One condition key's value as given.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    One(String),
    Many(Vec<String>),
    /// Declared absent (matters in the open world).
    Absent,
}

impl KeyValue {
    pub fn to_json(&self) -> Value {
        match self {
            KeyValue::One(value) => json!(value),
            KeyValue::Many(values) => json!(values),
            KeyValue::Absent => Value::Null,
        }
    }

    pub fn to_text(&self) -> String {
        match self {
            KeyValue::One(value) => value.clone(),
            KeyValue::Many(values) => json!(values).to_string(),
            KeyValue::Absent => "(absent)".to_string(),
        }
    }
}

/// The request context being assembled: keys by lowercase name (condition
/// keys are case-insensitive), each with the spelling it was given in.
/// Later layers replace earlier ones.
#[derive(Debug, Default, Clone)]
pub struct ContextKeys(BTreeMap<String, (String, KeyValue)>);

impl ContextKeys {
    pub fn set(&mut self, key: &str, value: KeyValue) {
        self.0.insert(key.to_lowercase(), (key.to_string(), value));
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(&key.to_lowercase())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys in name order, as given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &KeyValue)> {
        self.0.values().map(|(key, value)| (key.as_str(), value))
    }

    /// Every key of `other` replaces this one's.
    pub fn extend(&mut self, other: ContextKeys) {
        for (key, value) in other.0.into_values() {
            self.set(&key, value);
        }
    }

    pub fn context(&self, world: World) -> Context {
        let mut context = Context::new();
        context.set_world(world);
        for (key, value) in self.0.values() {
            match value {
                KeyValue::One(value) => context.insert(key, value.as_str()),
                KeyValue::Many(values) => context.insert_values(key, values.iter().cloned()),
                KeyValue::Absent => context.mark_absent(key),
            }
        }
        context
    }

    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .values()
                .map(|(key, value)| (key.clone(), value.to_json()))
                .collect::<Map<_, _>>(),
        )
    }

    /// The keys AWS sets for a request signed by an IAM user.
    pub(crate) fn set_user(
        &mut self,
        name: &str,
        user_id: &str,
        arn: &str,
        account: Option<&str>,
        tags: &[Tag],
    ) {
        self.set("aws:username", KeyValue::One(name.to_string()));
        self.set("aws:userid", KeyValue::One(user_id.to_string()));
        self.set_principal(arn, "User", account, tags);
    }

    /// The keys AWS sets for a request signed by a session of a role.
    pub(crate) fn set_role_session(
        &mut self,
        role_id: &str,
        arn: &str,
        session: Option<&str>,
        account: Option<&str>,
        tags: &[Tag],
    ) {
        if let Some(session) = session {
            self.set("aws:userid", KeyValue::One(format!("{role_id}:{session}")));
        }
        self.set_principal(arn, "AssumedRole", account, tags);
    }

    fn set_principal(&mut self, arn: &str, kind: &str, account: Option<&str>, tags: &[Tag]) {
        self.set("aws:PrincipalArn", KeyValue::One(arn.to_string()));
        self.set("aws:PrincipalType", KeyValue::One(kind.to_string()));
        if let Some(account) = account {
            self.set("aws:PrincipalAccount", KeyValue::One(account.to_string()));
        }
        for tag in tags {
            self.set(
                &format!("aws:PrincipalTag/{}", tag.key),
                KeyValue::One(tag.value.clone()),
            );
        }
    }
}

/// A row of the MFA context matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaRow {
    /// Long-term access keys: both MFA keys absent.
    AccessKeys,
    /// Console sign-in without MFA: `aws:MultiFactorAuthPresent` is "false".
    ConsoleWithoutMfa,
    /// Signed in with MFA this many seconds ago.
    WithMfa { age_seconds: u64 },
}

impl MfaRow {
    /// The MFA keys of the row.
    pub fn keys(self) -> [(&'static str, KeyValue); 2] {
        match self {
            MfaRow::AccessKeys => [(MFA_PRESENT, KeyValue::Absent), (MFA_AGE, KeyValue::Absent)],
            MfaRow::ConsoleWithoutMfa => [
                (MFA_PRESENT, KeyValue::One("false".to_string())),
                (MFA_AGE, KeyValue::Absent),
            ],
            MfaRow::WithMfa { age_seconds } => [
                (MFA_PRESENT, KeyValue::One("true".to_string())),
                (MFA_AGE, KeyValue::One(age_seconds.to_string())),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_keep_their_spelling() {
        let mut keys = ContextKeys::default();
        keys.set("aws:MultiFactorAuthPresent", KeyValue::One("true".into()));
        keys.set("AWS:multifactorauthpresent", KeyValue::One("false".into()));
        assert!(keys.contains("aws:multifactorAUTHpresent"));
        let all: Vec<_> = keys.iter().collect();
        assert_eq!(
            all,
            [("AWS:multifactorauthpresent", &KeyValue::One("false".into()))]
        );
    }

    #[test]
    fn mfa_rows_follow_the_matrix() {
        assert_eq!(MfaRow::AccessKeys.keys()[0].1, KeyValue::Absent);
        assert_eq!(
            MfaRow::ConsoleWithoutMfa.keys()[0].1,
            KeyValue::One("false".into())
        );
        assert_eq!(
            MfaRow::WithMfa { age_seconds: 30 }.keys()[1].1,
            KeyValue::One("30".into())
        );
    }
}
