//! The lint rules. Every permission question goes to the policy engine; the
//! MFA condition pitfalls come from the detector the check uses.

use iam_policy::{Context, DecisionKind, MfaState, Policy, PolicySet, Request};
use serde_json::{json, Map, Value};

use super::located::Located;
use super::model::{DocKind, Document, Model};
use super::Finding;
use crate::escalation::ESCALATION_ACTIONS;
use crate::identity::RoleTrust;
use crate::pitfall;
use crate::report::Severity;
use crate::trust::{self, TrustAssessment};

pub const ROLE_WITHOUT_MFA: &str = "lint.role_assumable_without_mfa";
pub const LOGIN_PROFILE: &str = "lint.login_profile_outside_mfa_group";
pub const ESCALATION: &str = "lint.escalation_without_mfa";
pub const UNREADABLE: &str = "lint.unreadable_policy";

/// The account templates are evaluated in (CloudFormation's
/// `AWS::AccountId`); other unresolved references become this one.
const PLACEHOLDER_ACCOUNT: &str = "123456789012";
const PLACEHOLDER_OTHER: &str = "999999999999";

/// Replaces CloudFormation intrinsic functions by plausible values so that
/// the engine can read the policy: pseudo parameters by the placeholder
/// account, `Fn::GetAtt X.Arn` by a role ARN named X, `Fn::Sub` and
/// `Fn::Join` by their text, any other reference by a placeholder.
pub fn resolve(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map
                .iter()
                .next()
                .map(|(k, v)| (k.as_str(), v))
                .unwrap_or(("", value));
            match key {
                "Ref" => Value::String(pseudo(inner.as_str().unwrap_or(""))),
                "Fn::GetAtt" => {
                    let target = inner
                        .get(0)
                        .and_then(Value::as_str)
                        .or_else(|| inner.as_str().and_then(|text| text.split('.').next()))
                        .unwrap_or("unresolved");
                    Value::String(format!("arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/{target}"))
                }
                "Fn::Sub" => {
                    let template = inner
                        .as_str()
                        .or_else(|| inner.get(0).and_then(Value::as_str))
                        .unwrap_or("");
                    Value::String(substitute(template))
                }
                "Fn::Join" => {
                    let separator = inner.get(0).and_then(Value::as_str).unwrap_or("");
                    let parts: Vec<String> = inner
                        .get(1)
                        .and_then(Value::as_array)
                        .map(|parts| {
                            parts
                                .iter()
                                .map(|part| match resolve(part) {
                                    Value::String(text) => text,
                                    other => other.to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Value::String(parts.join(separator))
                }
                "Fn::If" => inner.get(1).map(resolve).unwrap_or(Value::Null),
                _ if key.starts_with("Fn::") => Value::String(PLACEHOLDER_OTHER.to_string()),
                _ => Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
            }
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(resolve).collect()),
        other => other.clone(),
    }
}

fn pseudo(name: &str) -> String {
    match name {
        "AWS::AccountId" => PLACEHOLDER_ACCOUNT.to_string(),
        "AWS::Partition" => "aws".to_string(),
        "AWS::Region" => "us-east-1".to_string(),
        "AWS::URLSuffix" => "amazonaws.com".to_string(),
        _ => PLACEHOLDER_OTHER.to_string(),
    }
}

/// `Fn::Sub` text: `${Name}` replaced, `${!Literal}` kept as `${Literal}`.
fn substitute(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        match name.strip_prefix('!') {
            Some(literal) => {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            }
            None => out.push_str(&pseudo(name)),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

struct Emitter<'a> {
    file: &'a str,
    located: &'a Located,
    findings: Vec<Finding>,
}

impl Emitter<'_> {
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        rule: &'static str,
        severity: Severity,
        document: &Document,
        statement_pointer: Option<String>,
        message: String,
        fix: &str,
        corrected: Option<Value>,
    ) {
        let pointer = if document.embedded {
            document.pointer.clone()
        } else {
            statement_pointer.unwrap_or_else(|| document.pointer.clone())
        };
        let position = self.located.position(&pointer);
        self.findings.push(Finding {
            rule,
            severity,
            file: self.file.to_string(),
            line: position.line,
            column: position.column,
            resource: document.resource.clone(),
            message,
            fix: fix.to_string(),
            corrected,
        });
    }
}

/// The pointer of statement `index` of a document at `base`.
fn statement_pointer(document: &Value, base: &str, index: usize, suffix: &str) -> String {
    let key = document
        .as_object()
        .and_then(|object| {
            object
                .keys()
                .find(|key| key.eq_ignore_ascii_case("Statement"))
        })
        .cloned()
        .unwrap_or_else(|| "Statement".into());
    let array = document.get(&key).is_some_and(Value::is_array);
    if array {
        format!("{base}/{key}/{index}{suffix}")
    } else {
        format!("{base}/{key}{suffix}")
    }
}

fn describe(document: &Document, index: usize, statement: &Map<String, Value>) -> String {
    let sid = pitfall::field(statement, "Sid")
        .and_then(Value::as_str)
        .map(|sid| format!(" ({sid})"))
        .unwrap_or_default();
    format!("{} statement {index}{sid}", document.resource)
}

pub fn run(file: &str, located: &Located, model: &Model) -> Vec<Finding> {
    let mut emitter = Emitter {
        file,
        located,
        findings: Vec::new(),
    };
    let mut parsed: Vec<Option<Policy>> = Vec::new();
    for document in &model.documents {
        if let Some(why) = &document.unreadable {
            emitter.emit(
                UNREADABLE,
                Severity::High,
                document,
                None,
                format!(
                    "{}: {why}; nothing about it can be decided",
                    document.resource
                ),
                "Lint the Terraform plan, where the policy is evaluated.",
                None,
            );
            parsed.push(None);
            continue;
        }
        pitfalls(&mut emitter, document);
        let policy = match Policy::from_value(&resolve(&document.value)) {
            Ok(policy) => Some(policy),
            Err(err) => {
                emitter.emit(
                    UNREADABLE,
                    Severity::High,
                    document,
                    None,
                    format!(
                        "{}: the policy cannot be read ({err}); nothing about it can be decided",
                        document.resource
                    ),
                    "Fix the policy so that IAM accepts it.",
                    None,
                );
                None
            }
        };
        if let Some(policy) = &policy {
            match document.kind {
                DocKind::Trust => trust_rule(&mut emitter, document),
                DocKind::Identity => escalation_rule(&mut emitter, document, policy),
                DocKind::Scp => {}
            }
        }
        parsed.push(policy);
    }
    login_profile_rule(&mut emitter, model, &parsed);
    emitter.findings
}

fn pitfalls(emitter: &mut Emitter<'_>, document: &Document) {
    for (index, statement) in pitfall::statements(&document.value) {
        let Some(Value::Object(condition)) = pitfall::field(statement, "Condition") else {
            continue;
        };
        let effect = pitfall::field(statement, "Effect")
            .and_then(Value::as_str)
            .unwrap_or("");
        let (_, found) = pitfall::pitfalls(effect, condition);
        if found.is_empty() {
            continue;
        }
        let condition_key = statement
            .keys()
            .find(|key| key.eq_ignore_ascii_case("Condition"))
            .cloned()
            .unwrap_or_default();
        let reasons: Vec<String> = found
            .iter()
            .map(|p| format!("{effect} + {} on {}: {}", p.operator, p.key, p.explanation))
            .collect();
        emitter.emit(
            "iam.mfa_condition_pitfall",
            Severity::High,
            document,
            Some(statement_pointer(
                &document.value,
                &document.pointer,
                index,
                &format!("/{condition_key}"),
            )),
            format!(
                "{}: {}",
                describe(document, index, statement),
                reasons.join("; ")
            ),
            crate::checks::MfaConditionPitfall::META.fix,
            Some(pitfall::corrected(statement, &found)),
        );
    }
}

fn single(statement: &Map<String, Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": [Value::Object(statement.clone())]})
}

fn trust_rule(emitter: &mut Emitter<'_>, document: &Document) {
    let role_arn = format!("arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/linted");
    for (index, statement) in pitfall::statements(&document.value) {
        let resolved = resolve(&single(statement));
        let federated = pitfall::field(statement, "Principal")
            .and_then(|principal| principal.get("Federated"))
            .map(|value| match value {
                Value::String(one) => vec![one.clone()],
                Value::Array(items) => items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default();
        let role = RoleTrust {
            aws_principals: Vec::new(),
            services: Vec::new(),
            federated,
            machine_tagged: false,
        };
        let TrustAssessment::WithoutMfa { principals, .. } =
            trust::assess(&role_arn, PLACEHOLDER_ACCOUNT, &role, Some(&resolved))
        else {
            continue;
        };
        let (patched, _) = crate::fix::patch_trust_policy(&single(statement), None);
        let corrected = match patched.get("Statement") {
            Some(Value::Array(items)) if items.len() == 1 => items[0].clone(),
            Some(other) => other.clone(),
            None => Value::Null,
        };
        let message = format!(
            "{}: assumable without MFA by {}",
            describe(document, index, statement),
            principals.join("; ")
        );
        emitter.emit(
            ROLE_WITHOUT_MFA,
            Severity::High,
            document,
            Some(statement_pointer(
                &document.value,
                &document.pointer,
                index,
                "",
            )),
            message,
            super::RULES[1].fix,
            Some(corrected),
        );
    }
}

fn escalation_actions() -> impl Iterator<Item = &'static str> {
    ESCALATION_ACTIONS
        .iter()
        .map(|entry| entry.action)
        .chain(std::iter::once("iam:PassRole"))
}

/// A concrete resource a statement's first resource pattern matches.
fn example_resource(statement: &iam_policy::Statement) -> String {
    statement
        .resource
        .as_ref()
        .filter(|block| !block.negated)
        .and_then(|block| block.patterns.first())
        .map(|pattern| {
            pattern
                .text
                .replace("${aws:username}", "mfaguard-example")
                .replace(['*', '?'], "x")
        })
        .unwrap_or_else(|| "*".to_string())
}

fn escalation_rule(emitter: &mut Emitter<'_>, document: &Document, policy: &Policy) {
    let set = PolicySet::new().with_identity("document", policy.clone());
    let statements = pitfall::statements(&document.value);
    for (index, statement) in policy.statements.iter().enumerate() {
        if statement.effect != iam_policy::Effect::Allow {
            continue;
        }
        let resource = example_resource(statement);
        let mut allowed = Vec::new();
        for action in escalation_actions() {
            if !statement.applies_to_action(action) {
                continue;
            }
            let through_this = [MfaState::LongTermKeys, MfaState::ConsoleWithoutMfa]
                .into_iter()
                .any(|mfa| {
                    let context = Context::new()
                        .with("aws:username", "mfaguard-example")
                        .with_mfa(mfa)
                        .open_world();
                    let decision = set.evaluate(&Request::new(action, &resource, &context));
                    decision.kind == DecisionKind::Allowed
                        && decision
                            .reasons
                            .iter()
                            .any(|reason| reason.statement == Some(index))
                });
            if through_this {
                allowed.push(action);
            }
        }
        if allowed.is_empty() {
            continue;
        }
        let Some((_, raw)) = statements.iter().find(|(i, _)| *i == index) else {
            continue;
        };
        let mut corrected = (*raw).clone();
        let condition_key = corrected
            .keys()
            .find(|key| key.eq_ignore_ascii_case("Condition"))
            .cloned()
            .unwrap_or_else(|| "Condition".into());
        let condition = corrected
            .entry(condition_key)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(condition) = condition {
            condition.insert("Bool".into(), json!({"aws:MultiFactorAuthPresent": "true"}));
        }
        let shown: Vec<&str> = allowed.iter().take(5).copied().collect();
        let more = allowed.len().saturating_sub(shown.len());
        emitter.emit(
            ESCALATION,
            Severity::High,
            document,
            Some(statement_pointer(
                &document.value,
                &document.pointer,
                index,
                "",
            )),
            format!(
                "{}: allows {}{} without MFA (privilege escalation)",
                describe(document, index, raw),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
            super::RULES[3].fix,
            Some(Value::Object(corrected)),
        );
    }
}

fn login_profile_rule(emitter: &mut Emitter<'_>, model: &Model, parsed: &[Option<Policy>]) {
    let allow_all = Policy::from_value(&json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}));
    for user in &model.console_users {
        let mut set = PolicySet::new();
        let mut count = 0;
        let mut unreadable = false;
        for (document, policy) in model.documents.iter().zip(parsed) {
            let applies = document.kind == DocKind::Identity
                && (document.users.contains(&user.name)
                    || document
                        .groups
                        .iter()
                        .any(|group| user.groups.contains(group)));
            if !applies {
                continue;
            }
            match policy {
                Some(policy) => {
                    set.add_identity(document.resource.clone(), policy.clone());
                    count += 1;
                }
                None => unreadable = true,
            }
        }
        if let Ok(allow_all) = &allow_all {
            set.add_identity("any other permission", allow_all.clone());
        }
        let user_arn = format!("arn:aws:iam::{PLACEHOLDER_ACCOUNT}:user/{}", user.name);
        let enforced = [MfaState::LongTermKeys, MfaState::ConsoleWithoutMfa]
            .into_iter()
            .all(|mfa| {
                let context = Context::new()
                    .with("aws:username", &user.name)
                    .with_mfa(mfa);
                [
                    ("s3:ListAllMyBuckets", "*"),
                    ("iam:CreateAccessKey", user_arn.as_str()),
                ]
                .into_iter()
                .all(|(action, resource)| {
                    set.evaluate(&Request::new(action, resource, &context)).kind
                        == DecisionKind::ExplicitDeny
                })
            });
        if enforced {
            continue;
        }
        let why = if count == 0 {
            "no policy in this file applies to the user or its groups".to_string()
        } else {
            format!(
                "the {count} policies in this file that apply to the user or its groups do not deny access without MFA"
            )
        };
        let document = Document {
            kind: DocKind::Identity,
            resource: user.resource.clone(),
            pointer: user.pointer.clone(),
            embedded: false,
            value: Value::Null,
            users: Vec::new(),
            groups: Vec::new(),
            unreadable: None,
        };
        emitter.emit(
            LOGIN_PROFILE,
            Severity::High,
            &document,
            None,
            format!(
                "{}: user {} gets a console password, but {why}{}; groups: {}",
                user.resource,
                user.name,
                if unreadable {
                    " (a policy could not be read)"
                } else {
                    ""
                },
                if user.groups.is_empty() {
                    "none".to_string()
                } else {
                    user.groups.join(", ")
                }
            ),
            super::RULES[2].fix,
            None,
        );
    }
}
