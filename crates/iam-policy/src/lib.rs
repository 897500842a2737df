//! Parse and evaluate AWS IAM policies following AWS's documented evaluation
//! logic. No AWS SDK, no async, no network.
//!
//! * [`Policy::parse`] reads the full policy grammar (including URL-encoded
//!   documents as the IAM API returns them) into a typed AST with a compiled
//!   form; errors name the JSON path (or line and column) of the problem.
//! * [`PolicySet`] groups the policies that apply to a principal by layer
//!   (SCP levels, permissions boundary, identity policies, resource / trust
//!   policy) and evaluates [`Request`]s against them, returning a
//!   [`Decision`] that names the statements that decided it.
//! * A [`Context`] holds the request's condition keys. In the closed world
//!   (the default) keys not given are absent; in the open world they are
//!   unknown and the decision is made conservatively for security ("could
//!   this be allowed?"): an Allow whose condition is unknown applies, a Deny
//!   whose condition is unknown does not, and [`Decision::depends_on`] lists
//!   the keys the answer depends on.
//!
//! ```
//! use iam_policy::{Context, DecisionKind, MfaState, Policy, PolicySet, Request};
//!
//! let policy = Policy::parse(r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [
//!     {"Effect": "Allow", "Action": "*", "Resource": "*"},
//!     {"Sid": "DenyWithoutMFA", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
//!      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
//!   ]
//! }"#)?;
//! let set = PolicySet::new().with_identity("RequireMFA", policy);
//!
//! let keys = Context::new().with_mfa(MfaState::LongTermKeys);
//! let d = set.evaluate(&Request::new("ec2:DescribeInstances", "*", &keys));
//! assert_eq!(d.kind, DecisionKind::ExplicitDeny);
//! assert_eq!(d.reasons[0].sid.as_deref(), Some("DenyWithoutMFA"));
//!
//! // Open world: which keys would decide it?
//! let open = Context::new().open_world();
//! let d = set.evaluate(&Request::new("ec2:DescribeInstances", "*", &open));
//! assert_eq!(d.kind, DecisionKind::Allowed);
//! assert!(d.depends_on.contains("aws:multifactorauthpresent"));
//! # Ok::<(), iam_policy::ParseError>(())
//! ```
//!
//! # Semantics in detail
//!
//! * **Element names** (`Effect`, `Action`, ...) are case-sensitive; an
//!   unknown or misspelt element is an error (with a hint when only the case
//!   differs). **Operator names** are accepted case-insensitively; an unknown
//!   operator is an error. `BinaryNotEquals` is not an AWS operator.
//! * **Actions** match case-insensitively with `*` and `?`. **Resources**
//!   match case-sensitively, ARN field by field (see [`ResourcePattern`]); a
//!   statement without `Resource`/`NotResource` (a trust policy) covers any
//!   resource.
//! * **Principals** are checked only for the resource-based policy (a
//!   resource-policy statement without `Principal`/`NotPrincipal` never
//!   applies); see [`PrincipalBlock::applies_to`] for `NotPrincipal`.
//! * **Condition keys** are case-insensitive, values case-sensitive except for
//!   the `...IgnoreCase` operators. Values of one key are ORed (NOR for the
//!   negated operators), keys and operators ANDed. On an absent key: the
//!   negated operators, `...IfExists` and `ForAllValues:` are true,
//!   `ForAnyValue:` and the rest are false, and `Null` tests presence. A
//!   multi-valued key without a set qualifier matches when any of its values
//!   does. Typed policy values (numbers, dates, IP ranges, booleans) are
//!   checked when parsing; a request value of the wrong type never matches.
//! * **Policy variables** (`${aws:username}`, defaults `${key, 'text'}`,
//!   escapes `${*}` `${?}` `${$}`) are substituted in `Resource`/`NotResource`
//!   and in `String*`, `Arn*` and `Bool` condition values, only under
//!   `"Version": "2012-10-17"`; otherwise the text is literal. Substituted
//!   text is literal (a `*` in a user name is not a wildcard). A variable
//!   whose key is absent or multi-valued, without a default, makes the
//!   pattern match nothing.
#![forbid(unsafe_code)]

pub mod catalog;

mod arn;
mod condition;
mod context;
mod error;
mod eval;
mod glob;
mod parse;
mod policy;
mod similarity;
mod template;
mod tri;
mod values;

pub use condition::{Condition, Operator, OperatorKind, SetQualifier};
pub use context::{Context, MfaState, World, MFA_AGE_KEY, MFA_PRESENT_KEY};
pub use error::ParseError;
pub use eval::{
    Decision, DecisionKind, Layer, MissingAllow, PolicySet, Reason, Request, ResourcePolicyMode,
};
pub use glob::wildcard_match;
pub use policy::{
    ActionBlock, ActionPattern, Effect, Policy, PolicyVersion, PrincipalBlock, PrincipalEntry,
    PrincipalType, ResourceBlock, ResourcePattern, Statement,
};
pub use similarity::edit_distance;
