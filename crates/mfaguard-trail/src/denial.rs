//! MFA-related denials: an access-denied event whose denial MFA would have
//! changed.
//!
//! With a snapshot of the account, the denied request is evaluated again by
//! the policy engine against the caller's policies in the snapshot (identity
//! policies, permissions boundary, SCPs when collected): once in the MFA
//! context the event records, once with fresh MFA. The denial is
//! MFA-related when the first is denied and the second allowed. When the
//! snapshot's policies allow the request in the event's own context, the
//! denial came from something the snapshot does not hold (a resource or
//! session policy, an SCP not collected) and it is `unexplained`.
//!
//! Without a snapshot, a documented heuristic decides and the verdict is
//! marked inferred: a request made without MFA (a session without MFA or a
//! long-term access key) denied by "an explicit deny" (AWS's error message
//! says so for identity-based policies) is inferred MFA-related, since
//! deny-without-MFA statements are the common explicit deny on people; a
//! request made with MFA is inferred not MFA-related; anything else is
//! undetermined.

use std::collections::HashMap;

use iam_policy::{DecisionKind, Request, World};
use mfaguard_core::simulation::{account_policies, AccountPolicies, MfaRow};

use crate::knowledge::Knowledge;

/// How a denial was attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenialVerdict {
    /// Evaluated: MFA changes the decision.
    MfaRelated,
    /// Evaluated: denied with MFA too.
    NotMfaRelated,
    /// Evaluated: the snapshot's policies allow the request as made; the
    /// denial came from policies the snapshot does not hold.
    Unexplained,
    /// Evaluation was not possible (see the reason).
    Undetermined,
    /// No snapshot: the heuristic says MFA-related.
    InferredMfaRelated,
    /// No snapshot: the heuristic says not MFA-related.
    InferredNotMfaRelated,
}

impl DenialVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            DenialVerdict::MfaRelated => "mfa_related",
            DenialVerdict::NotMfaRelated => "not_mfa_related",
            DenialVerdict::Unexplained => "unexplained",
            DenialVerdict::Undetermined => "undetermined",
            DenialVerdict::InferredMfaRelated => "inferred_mfa_related",
            DenialVerdict::InferredNotMfaRelated => "inferred_not_mfa_related",
        }
    }
}

/// The MFA context a request was made in, from its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallMfa {
    /// Long-term access key (`AKIA...`): MFA keys absent.
    AccessKey,
    /// Temporary credentials without MFA (`mfaAuthenticated` "false").
    SessionWithoutMfa,
    /// With MFA, `age_seconds` after the session was created.
    WithMfa { age_seconds: u64 },
    /// The record does not say.
    Unknown,
}

impl CallMfa {
    pub fn without_mfa(self) -> bool {
        matches!(self, CallMfa::AccessKey | CallMfa::SessionWithoutMfa)
    }

    fn row(self) -> Option<MfaRow> {
        match self {
            CallMfa::AccessKey => Some(MfaRow::AccessKeys),
            CallMfa::SessionWithoutMfa => Some(MfaRow::ConsoleWithoutMfa),
            CallMfa::WithMfa { age_seconds } => Some(MfaRow::WithMfa { age_seconds }),
            CallMfa::Unknown => None,
        }
    }
}

/// The denied request as the record describes it.
pub struct DeniedRequest<'r> {
    pub account: &'r str,
    /// The caller's ARN (user, or assumed-role session).
    pub principal_arn: Option<&'r str>,
    pub is_root: bool,
    pub action: &'r str,
    /// The resource ARN, when the record names it.
    pub resource: Option<&'r str>,
    pub mfa: CallMfa,
    pub error_message: Option<&'r str>,
}

/// A verdict with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    pub verdict: DenialVerdict,
    pub reason: String,
}

/// Evaluates denials, caching each principal's policies.
#[derive(Default)]
pub struct DenialJudge {
    policies: HashMap<(String, String), Result<AccountPolicies, String>>,
}

impl DenialJudge {
    pub fn attribute(&mut self, knowledge: &Knowledge, request: &DeniedRequest<'_>) -> Attribution {
        match knowledge.accounts.get(request.account) {
            Some(account) => self.evaluate(&account.snapshot, request),
            None => heuristic(request),
        }
    }

    fn evaluate(
        &mut self,
        snapshot: &mfaguard_core::Snapshot,
        request: &DeniedRequest<'_>,
    ) -> Attribution {
        let undetermined = |reason: String| Attribution {
            verdict: DenialVerdict::Undetermined,
            reason,
        };
        if request.is_root {
            return undetermined(
                "a root request: root has no IAM policies to evaluate".to_string(),
            );
        }
        let Some(principal) = request.principal_arn else {
            return undetermined("the record does not name the caller's ARN".to_string());
        };
        let Some(row) = request.mfa.row() else {
            return undetermined("the record does not say whether MFA was used".to_string());
        };
        if iam_policy::catalog::try_catalog()
            .ok()
            .and_then(|catalog| catalog.lookup(request.action))
            .is_none()
        {
            return undetermined(format!(
                "`{}` is not an action of the embedded catalogue",
                request.action
            ));
        }
        let key = (request.account.to_string(), principal.to_string());
        let policies = self.policies.entry(key).or_insert_with(|| {
            account_policies(snapshot, principal).map_err(|err| err.to_string())
        });
        let policies = match policies {
            Ok(policies) => &*policies,
            Err(err) => return undetermined(format!("the caller is not in the snapshot: {err}")),
        };
        let resource = request.resource.unwrap_or("*");
        let decide = |row: MfaRow| {
            let mut keys = policies.keys.clone();
            for (key, value) in row.keys() {
                keys.set(key, value);
            }
            let context = keys.context(World::Closed);
            let request = Request::new(request.action, resource, &context)
                .with_principal(&policies.principal_arn);
            policies.set.decide(&request)
        };
        let as_made = decide(row);
        let with_mfa = decide(MfaRow::WithMfa { age_seconds: 0 });
        let partial = if policies.gaps.is_empty() {
            String::new()
        } else {
            format!(
                " ({} of the caller's policies could not be evaluated)",
                policies.gaps.len()
            )
        };
        if as_made == DecisionKind::Allowed {
            return Attribution {
                verdict: DenialVerdict::Unexplained,
                reason: format!(
                    "the snapshot's policies allow {} on {resource} as made: denied by a policy \
                     the snapshot does not hold{partial}",
                    request.action
                ),
            };
        }
        if with_mfa == DecisionKind::Allowed {
            return Attribution {
                verdict: DenialVerdict::MfaRelated,
                reason: format!(
                    "{} on {resource}: {} as made, allowed with MFA{partial}",
                    request.action,
                    decision_words(as_made)
                ),
            };
        }
        if request.resource.is_none() && with_mfa == DecisionKind::ImplicitDeny {
            return undetermined(format!(
                "the record names no resource and no policy allows {} on every resource, with \
                 or without MFA{partial}",
                request.action
            ));
        }
        Attribution {
            verdict: DenialVerdict::NotMfaRelated,
            reason: format!(
                "{} on {resource}: {} with MFA too{partial}",
                request.action,
                decision_words(with_mfa)
            ),
        }
    }
}

fn decision_words(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allowed => "allowed",
        DecisionKind::ImplicitDeny => "not allowed by any policy",
        DecisionKind::ExplicitDeny => "explicitly denied",
    }
}

/// The documented heuristic for accounts without a snapshot.
fn heuristic(request: &DeniedRequest<'_>) -> Attribution {
    let explicit = request
        .error_message
        .is_some_and(|message| message.to_ascii_lowercase().contains("explicit deny"));
    match request.mfa {
        CallMfa::WithMfa { .. } => Attribution {
            verdict: DenialVerdict::InferredNotMfaRelated,
            reason: "no snapshot; the request was made with MFA".to_string(),
        },
        mfa if mfa.without_mfa() && explicit => Attribution {
            verdict: DenialVerdict::InferredMfaRelated,
            reason: "no snapshot; made without MFA and denied by an explicit deny".to_string(),
        },
        _ => Attribution {
            verdict: DenialVerdict::Undetermined,
            reason: "no snapshot, and the record does not show an explicit deny on a request \
                     without MFA"
                .to_string(),
        },
    }
}

/// Whether an error code is an authorization denial.
pub fn is_access_denied(error_code: &str) -> bool {
    matches!(
        error_code,
        "AccessDenied" | "UnauthorizedOperation" | "Client.UnauthorizedOperation"
    ) || error_code.ends_with("AccessDeniedException")
        || error_code.ends_with("AccessDenied")
}

/// The IAM service prefix of a CloudTrail event source
/// (`iam.amazonaws.com` is `iam`); the few services whose prefix differs
/// from their endpoint are mapped.
pub fn service_prefix(event_source: &str) -> &str {
    let host = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    match host {
        "monitoring" => "cloudwatch",
        "email" => "ses",
        "streams.dynamodb" => "dynamodb",
        "elasticloadbalancing" => "elasticloadbalancing",
        "sso-directory" => "sso-directory",
        other => other,
    }
}
