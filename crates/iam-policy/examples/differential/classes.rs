//! The documented classes of disagreement between our engine and
//! iam-simulate (Strict mode), as predicates. `docs/engine-differential.md`
//! has the same table; a disagreement no predicate accepts is unclassified
//! and fails `tests/differential.rs`.
//!
//! Where possible a predicate is a counterfactual: it re-evaluates the case
//! with our engine after applying the documented deviation (for example,
//! substituting variables without `Version`) and accepts the disagreement
//! only if our engine then gives the simulator's answer.
#![allow(dead_code)]

use iam_policy::DecisionKind;
use serde_json::{json, Value};

use super::gen::{has_variable, sim_name, unversioned, Case};

/// Who is right, per the AWS documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// (a) The AWS documentation says what our engine does.
    AwsDocs,
    /// (b) A known deviation of the simulator from the documentation.
    SimulatorDeviation,
}

impl Verdict {
    /// The short label of the doc's table.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::AwsDocs => "(a) AWS docs",
            Verdict::SimulatorDeviation => "(b) simulator deviation",
        }
    }
}

/// How a class recognises its disagreements.
#[derive(Clone, Copy)]
pub enum Check {
    /// A direct test (`ours` is our engine's decision, `theirs` the
    /// simulator's, in its vocabulary).
    Predicate(fn(&Case, DecisionKind, &str) -> bool),
    /// A counterfactual: the simulator's documented behaviour as a rewrite
    /// of every policy document of the case. The disagreement belongs to
    /// the class when our engine, on the rewritten case, gives the
    /// simulator's answer. Rewrites also combine (two at a time), for cases
    /// that hit two deviations at once.
    Rewrite(RewriteFn),
}

/// A rewrite of one policy document (see [`Check::Rewrite`]).
pub type RewriteFn = fn(&Case, &mut Value);

/// One class of disagreement.
pub struct Class {
    /// Stable identifier (used in the doc's table).
    pub id: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// One line: what differs.
    pub title: &'static str,
    /// The AWS documentation page.
    pub reference: &'static str,
    /// How disagreements of this class are recognised.
    pub check: Check,
}

/// Every documented class, in the doc's order. Our own bugs that the
/// differential run found are fixed and have no entry here: should one come
/// back, it shows up as unclassified.
pub const CLASSES: &[Class] = &[
    Class {
        id: "get-session-token",
        verdict: Verdict::SimulatorDeviation,
        title: "sts:GetSessionToken is not controlled by IAM policies; the simulator evaluates it like any action",
        reference: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getsessiontoken.html",
        check: Check::Predicate(get_session_token),
    },
    Class {
        id: "unversioned-variables",
        verdict: Verdict::SimulatorDeviation,
        title: "policy variables in a policy without Version 2012-10-17 are literal text; the simulator substitutes them",
        reference: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html",
        check: Check::Rewrite(substitute_without_version),
    },
    Class {
        id: "no-value-variable-negated",
        verdict: Verdict::AwsDocs,
        title: "a variable with no value in NotResource or in a negated string condition: the entry matches nothing, so NotResource and StringNot* apply; the simulator treats the statement as not applying",
        reference: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value",
        check: Check::Rewrite(neutralise_negated_no_value),
    },
];

/// The classes that explain the disagreement: one predicate, one rewrite,
/// or two rewrites together. Empty when unclassified.
pub fn classify(case: &Case, ours: DecisionKind, theirs: &str) -> Vec<&'static Class> {
    for c in CLASSES {
        if let Check::Predicate(p) = c.check {
            if p(case, ours, theirs) {
                return vec![c];
            }
        }
    }
    let rewrites: Vec<(&'static Class, RewriteFn)> = CLASSES
        .iter()
        .filter_map(|c| match c.check {
            Check::Rewrite(f) => Some((c, f)),
            Check::Predicate(_) => None,
        })
        .collect();
    for &(c, f) in &rewrites {
        if ours_after(case, |p| f(case, p)) == Some(theirs) {
            return vec![c];
        }
    }
    for (i, &(a, f)) in rewrites.iter().enumerate() {
        for &(b, g) in rewrites.iter().skip(i + 1) {
            if ours_after(case, |p| {
                f(case, p);
                g(case, p);
            }) == Some(theirs)
            {
                return vec![a, b];
            }
        }
    }
    Vec::new()
}

/// The label of a classification (`+`-joined ids), or `UNCLASSIFIED`.
pub fn label(classes: &[&Class]) -> String {
    if classes.is_empty() {
        "UNCLASSIFIED".to_string()
    } else {
        classes.iter().map(|c| c.id).collect::<Vec<_>>().join("+")
    }
}

/// Our engine's decision on a modified copy of the case, in the
/// simulator's vocabulary.
fn ours_after(case: &Case, f: impl Fn(&mut Value)) -> Option<&'static str> {
    let mut c = case.clone();
    for n in c.identity.iter_mut() {
        f(&mut n.policy);
    }
    for n in c.boundary.iter_mut().flatten() {
        f(&mut n.policy);
    }
    for n in c.scps.iter_mut().flatten() {
        f(&mut n.policy);
    }
    if let Some(p) = c.resource_policy.as_mut() {
        f(p);
    }
    c.evaluate().ok().map(sim_name)
}

fn get_session_token(case: &Case, ours: DecisionKind, theirs: &str) -> bool {
    case.action.eq_ignore_ascii_case("sts:GetSessionToken")
        && ours == DecisionKind::Allowed
        && theirs != "Allowed"
}

/// The simulator substitutes variables whatever the `Version`.
fn substitute_without_version(_case: &Case, p: &mut Value) {
    if unversioned(p) && has_variable(p) {
        if let Value::Object(m) = p {
            m.insert("Version".into(), json!("2012-10-17"));
        }
    }
}

/// True when `text` has a policy variable with no value in the case's
/// context (absent or multi-valued, and without a default).
fn unresolved_variables(case: &Case, text: &str) -> bool {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return false;
        };
        let inner = &after[..end];
        rest = &after[end + 1..];
        if matches!(inner, "*" | "?" | "$") || inner.contains(',') {
            continue;
        }
        match case.context_value(inner.trim()) {
            Some(v) if !v.multi => {}
            _ => return true,
        }
    }
    false
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn negated_string_operator(op: &str) -> bool {
    let base = op.rsplit(':').next().unwrap_or(op).to_ascii_lowercase();
    base.starts_with("stringnot") || base.starts_with("arnnot")
}

/// True when the statement has a variable with no value in `NotResource`
/// or in the values of a negated string/ARN operator on a key that is
/// present.
fn negated_no_value(case: &Case, st: &Value) -> bool {
    if let Some(nr) = st.get("NotResource") {
        if strings(nr).iter().any(|s| unresolved_variables(case, s)) {
            return true;
        }
    }
    let Some(Value::Object(ops)) = st.get("Condition") else {
        return false;
    };
    ops.iter().any(|(op, keys)| {
        // On an absent key a negated operator is true whatever its values
        // (both engines agree); the difference is for a present key.
        negated_string_operator(op)
            && keys.as_object().is_some_and(|m| {
                m.iter().any(|(key, v)| {
                    case.context_value(key).is_some()
                        && strings(v).iter().any(|s| unresolved_variables(case, s))
                })
            })
    })
}

fn statements_mut(policy: &mut Value) -> Vec<&mut Value> {
    match policy.get_mut("Statement") {
        Some(Value::Array(a)) => a.iter_mut().collect(),
        Some(st @ Value::Object(_)) => vec![st],
        _ => Vec::new(),
    }
}

/// The simulator never applies a statement with a no-value variable in
/// `NotResource` or in a negated string/ARN condition.
fn neutralise_negated_no_value(case: &Case, p: &mut Value) {
    if unversioned(p) {
        return;
    }
    for st in statements_mut(p) {
        if negated_no_value(case, st) {
            if let Value::Object(m) = st {
                let cond = m.entry("Condition").or_insert_with(|| json!({}));
                if let Value::Object(c) = cond {
                    c.insert("Null".into(), json!({"mfaguard:never-present": "false"}));
                }
            }
        }
    }
}
