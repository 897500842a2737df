//! The typed policy AST. Every element keeps its original text and a
//! compiled form used by evaluation.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::arn::{split6, ArnPat};
use crate::condition::Condition;
use crate::context::Context;
use crate::error::ParseError;
use crate::glob::Glob;
use crate::template::eq_ignore_case_lc;
use crate::tri::Tri;

/// The policy language version (`Version` element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum PolicyVersion {
    /// No `Version` element: AWS then applies the 2008-10-17 rules, so policy
    /// variables are literal text.
    #[default]
    Unspecified,
    /// `"2008-10-17"`: policy variables are literal text.
    V2008_10_17,
    /// `"2012-10-17"`: policy variables are substituted.
    V2012_10_17,
}

impl PolicyVersion {
    /// True when `${...}` policy variables are substituted (2012-10-17 only).
    pub fn supports_variables(self) -> bool {
        self == PolicyVersion::V2012_10_17
    }

    /// The `Version` text, if one was given.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            PolicyVersion::Unspecified => None,
            PolicyVersion::V2008_10_17 => Some("2008-10-17"),
            PolicyVersion::V2012_10_17 => Some("2012-10-17"),
        }
    }
}

/// A parsed IAM policy document.
///
/// ```
/// use iam_policy::Policy;
/// let p = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#)?;
/// assert_eq!(p.statements.len(), 1);
/// assert!(p.statements[0].action.patterns[0].matches("S3:GetObject"));
/// # Ok::<(), iam_policy::ParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    /// The `Version` element.
    pub version: PolicyVersion,
    /// The `Id` element.
    pub id: Option<String>,
    /// The statements, in document order (a single statement object becomes
    /// a one-element list).
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Parses policy JSON text. URL-encoded documents (as the raw IAM API
    /// returns them) are decoded first. Errors name the JSON path of the
    /// offending element, or the line and column of a JSON syntax error.
    pub fn parse(text: &str) -> Result<Policy, ParseError> {
        crate::parse::parse_text(text)
    }

    /// Builds a policy from an already-parsed JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Policy, ParseError> {
        crate::parse::parse_value(value)
    }

    /// Statements with a condition on any of `keys` (case-insensitive), for
    /// example `["aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge"]`.
    pub fn statements_referencing<'a>(
        &'a self,
        keys: &'a [&'a str],
    ) -> impl Iterator<Item = &'a Statement> + 'a {
        self.statements
            .iter()
            .filter(move |s| keys.iter().any(|k| s.references_condition_key(k)))
    }

    /// True when any statement has a condition on `key` (case-insensitive).
    pub fn references_condition_key(&self, key: &str) -> bool {
        self.statements
            .iter()
            .any(|s| s.references_condition_key(key))
    }
}

impl std::str::FromStr for Policy {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Policy, ParseError> {
        Policy::parse(s)
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    /// `"Allow"`
    Allow,
    /// `"Deny"`
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// One statement of a policy.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in the policy's statement list (0-based).
    pub index: usize,
    /// The `Sid` element.
    pub sid: Option<Arc<str>>,
    /// The `Effect` element.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal` (only meaningful in resource-based
    /// policies such as role trust policies).
    pub principal: Option<PrincipalBlock>,
    /// `Action` or `NotAction`.
    pub action: ActionBlock,
    /// `Resource` or `NotResource` (absent in trust policies: then any
    /// resource matches).
    pub resource: Option<ResourceBlock>,
    /// The `Condition` element, flattened: one entry per operator and key.
    /// All must hold (AND); the values of one entry are alternatives (OR, or
    /// NOR for negated operators).
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// The condition keys this statement tests, as written (one per
    /// condition entry, so a key tested by two operators appears twice).
    pub fn condition_keys(&self) -> impl Iterator<Item = &str> {
        self.conditions.iter().map(|c| c.key.as_str())
    }

    /// True when a condition tests `key` (case-insensitive).
    pub fn references_condition_key(&self, key: &str) -> bool {
        self.conditions
            .iter()
            .any(|c| eq_ignore_case_lc(&c.key_lc, key))
    }

    /// The conditions that test `key` (case-insensitive).
    pub fn conditions_on<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Condition> + 'a {
        self.conditions
            .iter()
            .filter(move |c| eq_ignore_case_lc(&c.key_lc, key))
    }

    /// True when the `Action`/`NotAction` element covers `action`
    /// (case-insensitive, wildcards honoured).
    pub fn applies_to_action(&self, action: &str) -> bool {
        let (service, name) = split_action(action);
        self.action.matches_split(service, name)
    }

    /// Evaluates whether this statement applies to a request, ignoring its
    /// effect: `Some(true)`/`Some(false)`, or `None` when that depends on
    /// keys unknown in an open-world context. `check_principal` makes the
    /// `Principal`/`NotPrincipal` element count (as for resource-based
    /// policies); otherwise it is ignored.
    pub fn applies(&self, req: &crate::Request<'_>, check_principal: bool) -> Option<bool> {
        match self.applies_to(&Target::new(req), check_principal) {
            Tri::True => Some(true),
            Tri::False => Some(false),
            Tri::Unknown => None,
        }
    }

    #[inline]
    pub(crate) fn applies_to(&self, t: &Target<'_>, check_principal: bool) -> Tri {
        if !self.action.matches_split(t.service, t.name) {
            return Tri::False;
        }
        self.applies_beyond_action(t, check_principal)
    }

    /// Like [`Statement::applies_to`], with the action checked through a
    /// service mask (see [`ActionBlock::matches_masked`]).
    #[inline]
    pub(crate) fn applies_masked(&self, t: &Target<'_>, mask: u64, check_principal: bool) -> Tri {
        if !self.action.matches_masked(t.service, t.name, mask) {
            return Tri::False;
        }
        self.applies_beyond_action(t, check_principal)
    }

    #[inline]
    fn applies_beyond_action(&self, t: &Target<'_>, check_principal: bool) -> Tri {
        if check_principal {
            match &self.principal {
                Some(p) if p.applies_to(t.principal) => {}
                _ => return Tri::False,
            }
        }
        let mut acc = Tri::True;
        if let Some(r) = &self.resource {
            acc = r.matches(t);
            if acc == Tri::False {
                return Tri::False;
            }
        }
        for c in &self.conditions {
            acc = acc.and(c.eval(t.ctx));
            if acc == Tri::False {
                return Tri::False;
            }
        }
        acc
    }

    /// Keys unknown in `ctx` that made this statement's applicability unknown.
    pub(crate) fn unknown_keys(&self, ctx: &Context, out: &mut BTreeSet<String>) {
        if let Some(r) = &self.resource {
            for p in &r.patterns {
                p.pat.unknown_vars(ctx, out);
            }
        }
        for c in &self.conditions {
            if c.eval(ctx) == Tri::Unknown {
                c.unknown_keys(ctx, out);
            }
        }
    }
}

/// A request prepared once for matching against many statements.
pub(crate) struct Target<'a> {
    pub(crate) service: &'a str,
    pub(crate) name: Option<&'a str>,
    pub(crate) resource: &'a str,
    /// The resource split into ARN fields, computed on first use.
    resource_parts: OnceCell<Option<[&'a str; 6]>>,
    pub(crate) principal: Option<&'a str>,
    pub(crate) ctx: &'a Context,
}

impl<'a> Target<'a> {
    #[inline]
    pub(crate) fn new(req: &crate::Request<'a>) -> Target<'a> {
        let (service, name) = split_action(req.action);
        Target {
            service,
            name,
            resource: req.resource,
            resource_parts: OnceCell::new(),
            principal: req.principal,
            ctx: req.context,
        }
    }

    #[inline]
    pub(crate) fn resource_parts(&self) -> Option<&[&'a str; 6]> {
        self.resource_parts
            .get_or_init(|| split6(self.resource))
            .as_ref()
    }
}

/// Splits `service:name`; without a colon the name is `None`.
#[inline]
pub(crate) fn split_action(action: &str) -> (&str, Option<&str>) {
    match action.split_once(':') {
        Some((s, n)) => (s, Some(n)),
        None => (action, None),
    }
}

/// `Action` (negated = false) or `NotAction` (negated = true).
#[derive(Debug, Clone)]
pub struct ActionBlock {
    /// True for `NotAction`.
    pub negated: bool,
    /// The listed patterns.
    pub patterns: Vec<ActionPattern>,
}

impl ActionBlock {
    #[inline]
    pub(crate) fn matches_split(&self, service: &str, name: Option<&str>) -> bool {
        let any = self.patterns.iter().any(|p| p.matches_split(service, name));
        any != self.negated
    }

    /// The mask of patterns that can match actions of `service_lc` (an
    /// exact lowercase service prefix; `None` for a service no pattern
    /// names): bit `i` is set when pattern `i` is `*`, has a wildcard
    /// service, or names exactly that service. Patterns past the 64th are
    /// always checked.
    pub(crate) fn service_mask(&self, service_lc: Option<&str>) -> u64 {
        let mut mask = 0u64;
        for (i, p) in self.patterns.iter().take(64).enumerate() {
            let relevant = match &p.parts {
                None => true,
                Some((svc, _)) => match svc.as_exact() {
                    Some(exact) => Some(exact) == service_lc,
                    None => true,
                },
            };
            if relevant {
                mask |= 1 << i;
            }
        }
        mask
    }

    /// Matches using a mask from [`ActionBlock::service_mask`] computed for
    /// the request's service: patterns outside the mask cannot match, and
    /// masked patterns with an exact service need no service comparison.
    #[inline]
    pub(crate) fn matches_masked(&self, service: &str, name: Option<&str>, mask: u64) -> bool {
        let mut bits = mask;
        let mut any = false;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Some(p) = self.patterns.get(i) {
                let m = match (&p.parts, name) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some((svc, n)), Some(name)) => {
                        (svc.as_exact().is_some() || svc.is_match(service, true))
                            && n.is_match(name, true)
                    }
                };
                if m {
                    any = true;
                    break;
                }
            }
        }
        if !any && self.patterns.len() > 64 {
            any = self.patterns[64..]
                .iter()
                .any(|p| p.matches_split(service, name));
        }
        any != self.negated
    }
}

/// One action pattern such as `iam:*MFA*`, `s3:GetObject` or `*`. Matching
/// is case-insensitive; `*` and `?` are wildcards.
#[derive(Debug, Clone)]
pub struct ActionPattern {
    /// The pattern as written.
    pub text: String,
    /// `None` for the pattern `*`.
    pub(crate) parts: Option<(Glob, Glob)>,
}

impl ActionPattern {
    pub(crate) fn parse(text: &str) -> Result<ActionPattern, String> {
        if text == "*" {
            return Ok(ActionPattern {
                text: text.to_string(),
                parts: None,
            });
        }
        let Some((service, name)) = text.split_once(':') else {
            return Err(format!(
                "action {text:?} must be \"*\" or \"service:action\" (for example \"iam:ListUsers\")"
            ));
        };
        if service.is_empty() || name.is_empty() {
            return Err(format!(
                "action {text:?} must have a service prefix and an action name"
            ));
        }
        Ok(ActionPattern {
            text: text.to_string(),
            parts: Some((
                Glob::new(&service.to_ascii_lowercase()),
                Glob::new(&name.to_ascii_lowercase()),
            )),
        })
    }

    /// True when this pattern matches `action` (`service:Name`).
    pub fn matches(&self, action: &str) -> bool {
        let (service, name) = split_action(action);
        self.matches_split(service, name)
    }

    /// The lowercase service prefix when the pattern names exactly one
    /// service (`None` for `*` or a wildcard prefix).
    pub fn service(&self) -> Option<&str> {
        self.parts.as_ref().and_then(|(s, _)| s.as_exact())
    }

    #[inline]
    pub(crate) fn matches_split(&self, service: &str, name: Option<&str>) -> bool {
        match &self.parts {
            None => true,
            Some((s, n)) => match name {
                Some(name) => s.is_match(service, true) && n.is_match(name, true),
                None => false,
            },
        }
    }
}

/// `Resource` (negated = false) or `NotResource` (negated = true).
#[derive(Debug, Clone)]
pub struct ResourceBlock {
    /// True for `NotResource`.
    pub negated: bool,
    /// The listed patterns.
    pub patterns: Vec<ResourcePattern>,
}

impl ResourceBlock {
    #[inline]
    pub(crate) fn matches(&self, t: &Target<'_>) -> Tri {
        let mut acc = Tri::False;
        for p in &self.patterns {
            acc = acc.or(p.pat.matches_target(t));
            if acc == Tri::True {
                break;
            }
        }
        if self.negated {
            acc.not()
        } else {
            acc
        }
    }
}

/// One resource pattern (an ARN with optional wildcards and, under
/// `Version 2012-10-17`, policy variables).
#[derive(Debug, Clone)]
pub struct ResourcePattern {
    /// The pattern as written.
    pub text: String,
    pub(crate) pat: ArnPat,
}

impl ResourcePattern {
    pub(crate) fn new(text: &str, vars: bool) -> ResourcePattern {
        ResourcePattern {
            text: text.to_string(),
            pat: ArnPat::new(text, vars),
        }
    }

    /// Matches a resource ARN, substituting policy variables from `ctx`.
    /// `None` when the answer depends on keys unknown in an open-world
    /// context.
    pub fn matches(&self, resource: &str, ctx: &Context) -> Option<bool> {
        match self.pat.matches(resource, ctx) {
            Tri::True => Some(true),
            Tri::False => Some(false),
            Tri::Unknown => None,
        }
    }
}

/// The type of a principal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PrincipalType {
    /// `"AWS"`: accounts, users, roles, role sessions.
    #[serde(rename = "AWS")]
    Aws,
    /// `"Service"`: AWS service principals such as `ec2.amazonaws.com`.
    Service,
    /// `"Federated"`: identity providers.
    Federated,
    /// `"CanonicalUser"`: S3 canonical user IDs.
    CanonicalUser,
}

impl PrincipalType {
    /// The element name as written in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<PrincipalType> {
        match s {
            "AWS" => Some(PrincipalType::Aws),
            "Service" => Some(PrincipalType::Service),
            "Federated" => Some(PrincipalType::Federated),
            "CanonicalUser" => Some(PrincipalType::CanonicalUser),
            _ => None,
        }
    }
}

/// `Principal` (negated = false) or `NotPrincipal` (negated = true).
#[derive(Debug, Clone)]
pub struct PrincipalBlock {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// True for `"Principal": "*"` (everyone, including anonymous callers).
    pub any: bool,
    /// The typed entries, in document order.
    pub entries: Vec<PrincipalEntry>,
}

impl PrincipalBlock {
    /// The entries grouped by type (`AWS`, `Service`, ...).
    pub fn by_type(&self) -> BTreeMap<PrincipalType, Vec<&str>> {
        let mut m: BTreeMap<PrincipalType, Vec<&str>> = BTreeMap::new();
        for e in &self.entries {
            m.entry(e.kind).or_default().push(&e.value);
        }
        m
    }

    /// True when the listed principals include `principal` (before
    /// `NotPrincipal` negation). `None` is an anonymous caller, matched only
    /// by `"*"`.
    pub fn lists(&self, principal: Option<&str>) -> bool {
        if self.any {
            return true;
        }
        match principal {
            Some(p) => self.entries.iter().any(|e| e.matches(p)),
            None => false,
        }
    }

    /// True when this `Principal` names `principal` itself (or, for a role
    /// session, its role) rather than only its account or everyone. AWS
    /// lets such a grant stand without an identity-policy Allow in the same
    /// account; a grant to the account hands the decision back to the
    /// account's IAM policies.
    pub fn names_specifically(&self, principal: Option<&str>) -> bool {
        let Some(p) = principal else {
            return false;
        };
        !self.negated
            && self.entries.iter().any(|e| {
                !matches!(
                    e.matcher,
                    PrincipalMatcher::Any | PrincipalMatcher::Account(_)
                ) && e.matches(p)
            })
    }

    /// True when a statement with this element applies to `principal`.
    ///
    /// `Principal`: the principal is listed, where an account entry covers
    /// every principal of the account and a role entry covers the role's
    /// sessions.
    ///
    /// `NotPrincipal`: AWS checks every identity of the caller (a user and
    /// its account; a role session, its role and its account) against the
    /// list, each exactly; the statement applies unless all of them are
    /// listed. This is why AWS tells you to list the account ARN next to a
    /// user in `NotPrincipal`.
    pub fn applies_to(&self, principal: Option<&str>) -> bool {
        if !self.negated {
            return self.lists(principal);
        }
        if self.any {
            return false;
        }
        match principal {
            Some(p) => !self.exempts(p),
            None => true,
        }
    }

    fn names_exactly(&self, p: &str) -> bool {
        self.entries.iter().any(|e| e.names_exactly(p))
    }

    fn names_account(&self, account: &str) -> bool {
        self.entries.iter().any(|e| match &e.matcher {
            PrincipalMatcher::Any => true,
            PrincipalMatcher::Account(a) => **a == *account,
            _ => false,
        })
    }

    fn names_role(&self, account: &str, role: &str) -> bool {
        self.entries.iter().any(|e| match &e.matcher {
            PrincipalMatcher::Any => true,
            PrincipalMatcher::Role {
                account: a, name, ..
            } => **a == *account && **name == *role,
            _ => false,
        })
    }

    /// `NotPrincipal`: are all identities of `p` listed?
    fn exempts(&self, p: &str) -> bool {
        if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
            return self.names_account(p);
        }
        let (Some(service), Some(account), Some(resource)) =
            (arn_field(p, 2), arn_field(p, 4), arn_field(p, 5))
        else {
            return self.names_exactly(p);
        };
        match service {
            "iam" if resource == "root" => self.names_account(account),
            "iam" if resource.starts_with("role/") => {
                let name = resource.rsplit('/').next().unwrap_or(resource);
                self.names_role(account, name) && self.names_account(account)
            }
            "iam" => self.names_exactly(p) && self.names_account(account),
            "sts" => match resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split('/').next())
            {
                Some(role) => {
                    self.names_exactly(p)
                        && self.names_role(account, role)
                        && self.names_account(account)
                }
                None => self.names_exactly(p) && self.names_account(account),
            },
            _ => self.names_exactly(p),
        }
    }
}

/// One principal value, such as `{"AWS": "arn:aws:iam::111122223333:user/alice"}`.
#[derive(Debug, Clone)]
pub struct PrincipalEntry {
    /// The principal type.
    pub kind: PrincipalType,
    /// The value as written.
    pub value: String,
    pub(crate) matcher: PrincipalMatcher,
}

#[derive(Debug, Clone)]
pub(crate) enum PrincipalMatcher {
    Any,
    /// Every principal of an account (`111122223333` or `arn:...:root`).
    Account(Box<str>),
    /// A role: matches the role ARN and its sessions.
    Role {
        arn: Box<str>,
        account: Box<str>,
        name: Box<str>,
    },
    Exact(Box<str>),
    ExactIgnoreCase(Box<str>),
}

/// Field `i` (0-based) of an ARN split on `:` (at most 6 fields).
fn arn_field(arn: &str, i: usize) -> Option<&str> {
    if !arn.starts_with("arn:") {
        return None;
    }
    arn.splitn(6, ':').nth(i)
}

impl PrincipalEntry {
    pub(crate) fn new(kind: PrincipalType, value: &str) -> PrincipalEntry {
        let matcher = match kind {
            _ if value == "*" => PrincipalMatcher::Any,
            PrincipalType::Aws => aws_matcher(value),
            PrincipalType::Service => PrincipalMatcher::ExactIgnoreCase(value.into()),
            PrincipalType::Federated | PrincipalType::CanonicalUser => {
                PrincipalMatcher::Exact(value.into())
            }
        };
        PrincipalEntry {
            kind,
            value: value.to_string(),
            matcher,
        }
    }

    /// True when this entry names exactly `p` (no delegation from an account
    /// to its principals or from a role to its sessions).
    fn names_exactly(&self, p: &str) -> bool {
        match &self.matcher {
            PrincipalMatcher::Any => true,
            PrincipalMatcher::Account(a) => {
                p == &**a
                    || (arn_field(p, 2) == Some("iam")
                        && arn_field(p, 4) == Some(&**a)
                        && arn_field(p, 5) == Some("root"))
            }
            PrincipalMatcher::Role { arn, .. } => p == &**arn,
            PrincipalMatcher::Exact(v) => p == &**v,
            PrincipalMatcher::ExactIgnoreCase(v) => p.eq_ignore_ascii_case(v),
        }
    }

    /// True when this entry names `principal` (an ARN, account ID, service
    /// name, provider or canonical user ID). An account entry covers every
    /// principal of that account and a role entry covers the role's sessions
    /// (the `Principal` reading).
    pub fn matches(&self, principal: &str) -> bool {
        match &self.matcher {
            PrincipalMatcher::Any => true,
            PrincipalMatcher::Account(acct) => {
                principal == &**acct || arn_field(principal, 4) == Some(&**acct)
            }
            PrincipalMatcher::Role { arn, account, name } => {
                if principal == &**arn {
                    return true;
                }
                // arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
                arn_field(principal, 2) == Some("sts")
                    && arn_field(principal, 4) == Some(&**account)
                    && arn_field(principal, 5)
                        .and_then(|r| r.strip_prefix("assumed-role/"))
                        .and_then(|r| r.split('/').next())
                        == Some(&**name)
            }
            PrincipalMatcher::Exact(v) => principal == &**v,
            PrincipalMatcher::ExactIgnoreCase(v) => principal.eq_ignore_ascii_case(v),
        }
    }
}

fn aws_matcher(value: &str) -> PrincipalMatcher {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return PrincipalMatcher::Account(value.into());
    }
    if arn_field(value, 2) == Some("iam") {
        if let (Some(account), Some(resource)) = (arn_field(value, 4), arn_field(value, 5)) {
            if resource == "root" {
                return PrincipalMatcher::Account(account.into());
            }
            if let Some(path_and_name) = resource.strip_prefix("role/") {
                let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
                return PrincipalMatcher::Role {
                    arn: value.into(),
                    account: account.into(),
                    name: name.into(),
                };
            }
        }
    }
    PrincipalMatcher::Exact(value.into())
}
