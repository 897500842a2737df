//! Evaluation of a request against a set of policies, following AWS's
//! documented policy evaluation logic.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::context::Context;
use crate::policy::{Effect, Policy, Statement, Target};
use crate::tri::Tri;

/// One request to authorise.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `service:Action`, e.g. `iam:ListMFADevices` (case-insensitive).
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: &'a str,
    /// The calling principal (an ARN, account ID, service principal, ...).
    /// Only resource-based policies (role trust policies) look at it; `None`
    /// is an anonymous caller.
    pub principal: Option<&'a str>,
    /// The request context (condition keys).
    pub context: &'a Context,
}

impl<'a> Request<'a> {
    /// A request without a principal.
    pub fn new(action: &'a str, resource: &'a str, context: &'a Context) -> Request<'a> {
        Request {
            action,
            resource,
            principal: None,
            context,
        }
    }

    /// Sets the calling principal.
    pub fn with_principal(mut self, principal: &'a str) -> Request<'a> {
        self.principal = Some(principal);
        self
    }
}

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Every required layer allows and nothing denies.
    Allowed,
    /// Nothing denies, but some required layer has no applicable Allow.
    ImplicitDeny,
    /// An applicable Deny statement exists in some policy.
    ExplicitDeny,
}

/// Where a policy sits in the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Service control policies (with `scp_level`).
    Scp,
    /// The permissions boundary.
    PermissionsBoundary,
    /// Identity-based policies (inline, managed and group policies, pooled).
    Identity,
    /// The resource-based policy (a role trust policy for `sts:AssumeRole*`).
    Resource,
    /// A rule built into AWS rather than a policy (`sts:GetCallerIdentity`,
    /// `sts:GetSessionToken`).
    Builtin,
}

/// A statement that decided (or contributed to) a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The layer of the policy.
    pub layer: Layer,
    /// For SCPs: the level (0 = root, then OUs, last = account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scp_level: Option<usize>,
    /// The label the policy was added with.
    pub policy: Arc<str>,
    /// Statement index within the policy (`None` for built-in rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<usize>,
    /// The statement's `Sid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Arc<str>>,
    /// The statement's effect.
    pub effect: Effect,
    /// True when the statement was taken to apply only because some keys are
    /// unknown (open world).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub conditional: bool,
    /// An explanation, for built-in rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// The layer that had no applicable Allow (for an implicit deny).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MissingAllow {
    /// The layer.
    pub layer: Layer,
    /// For SCPs: the level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scp_level: Option<usize>,
}

/// The result of [`PolicySet::evaluate`]. Serializes as
/// `{"decision": "allowed|implicit_deny|explicit_deny", "reasons": [...], ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The decision.
    #[serde(rename = "decision")]
    pub kind: DecisionKind,
    /// For an explicit deny: every applicable Deny statement. Otherwise: the
    /// applicable Allow statements of every layer (for an implicit deny,
    /// those of the layers that did allow).
    pub reasons: Vec<Reason>,
    /// Open world only: lowercase keys whose unknown values the decision
    /// depends on (a Deny assumed not to apply, or an Allow assumed to
    /// apply). Always empty in the closed world and for a definite explicit
    /// deny.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub depends_on: BTreeSet<String>,
    /// For an implicit deny: the first layer without an applicable Allow
    /// (checked in the order SCP levels, resource policy, identity policies,
    /// permissions boundary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_allow: Option<MissingAllow>,
}

impl Decision {
    /// True for [`DecisionKind::Allowed`].
    pub fn is_allowed(&self) -> bool {
        self.kind == DecisionKind::Allowed
    }
}

/// How a resource-based policy combines with identity-based policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResourcePolicyMode {
    /// The resource policy must allow the principal *and* the identity
    /// policies must allow the action (the cross-account rule; for a role
    /// trust policy: the trust policy and the caller's own permissions). A
    /// caller without identity policies is denied.
    #[default]
    RequireBoth,
    /// An Allow in either the resource policy or the identity policies
    /// suffices (the same-account rule for a resource policy that names the
    /// principal). A resource-policy grant that reaches the caller only
    /// through its account (`arn:aws:iam::ACCOUNT:root`) or `*` does not
    /// stand alone: the identity policies must allow too. When the resource
    /// policy names an IAM user (an `arn:aws:iam::ACCOUNT:user/...` caller),
    /// the permissions boundary's implicit deny does not limit that grant.
    EitherSuffices,
    /// Only the resource policy must allow; identity policies are not needed
    /// (their Deny statements still count). This evaluates a trust policy
    /// alone: allowed only if it explicitly allows the principal and nothing
    /// denies. Set by [`PolicySet::trust_policy`]. As for
    /// [`ResourcePolicyMode::EitherSuffices`], a boundary's implicit deny
    /// does not limit the resource policy's grant to an IAM user.
    ResourceOnly,
}

#[derive(Debug, Clone)]
struct Entry {
    label: Arc<str>,
    policy: Arc<Policy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Scp(usize),
    Resource,
    Identity,
    Boundary,
}

impl Source {
    fn layer(self) -> (Layer, Option<usize>) {
        match self {
            Source::Scp(l) => (Layer::Scp, Some(l)),
            Source::Resource => (Layer::Resource, None),
            Source::Identity => (Layer::Identity, None),
            Source::Boundary => (Layer::PermissionsBoundary, None),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct StmtRef {
    policy: u32,
    stmt: u32,
    /// Which action patterns can match the slot's service
    /// ([`crate::ActionBlock`]'s service mask).
    mask: u64,
    /// For a statement with more than 64 action patterns (the mask covers
    /// only the first 64): index into [`Index::long_lists`] of the patterns
    /// that can match the slot's service; [`NO_LIST`] otherwise.
    long: u32,
}

/// [`StmtRef::long`] for a statement matched through its mask.
const NO_LIST: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
struct Cands {
    deny: Vec<StmtRef>,
    allow: Vec<StmtRef>,
}

impl Cands {
    fn push(&mut self, effect: Effect, r: StmtRef) {
        match effect {
            Effect::Deny => self.deny.push(r),
            Effect::Allow => self.allow.push(r),
        }
    }
}

#[derive(Debug, Clone)]
struct LayerIndex {
    source: Source,
    /// Candidates per service (same order as `Index::services`).
    per_service: Vec<Cands>,
    /// Candidates for a service no statement names (wildcard statements).
    other: Cands,
}

impl LayerIndex {
    #[inline]
    fn cands(&self, slot: Option<usize>) -> &Cands {
        slot.and_then(|i| self.per_service.get(i))
            .unwrap_or(&self.other)
    }
}

/// Statements pre-sorted by layer, effect and service, so that a request
/// only looks at statements that can match its service.
#[derive(Debug, Clone)]
struct Index {
    /// Lowercase service prefixes named by some statement, sorted.
    services: Vec<Box<str>>,
    layers: Vec<LayerIndex>,
    /// Per (long statement, service slot): the indices of the action
    /// patterns that can match the slot's service. Statements such as
    /// `ReadOnlyAccess`'s have thousands of patterns, of which a request's
    /// service needs a handful.
    long_lists: Vec<Box<[u32]>>,
}

fn cmp_service(stored_lc: &str, req: &str) -> Ordering {
    let (a, b) = (stored_lc.as_bytes(), req.as_bytes());
    for (x, y) in a.iter().zip(b) {
        let y = y.to_ascii_lowercase();
        if *x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

impl Index {
    #[inline]
    fn slot(&self, service: &str) -> Option<usize> {
        self.services
            .binary_search_by(|s| cmp_service(s, service))
            .ok()
    }
}

/// The exact services a statement can match, or `None` when it may match
/// any service (`NotAction`, `*`, or a wildcard in the service prefix).
fn statement_services(st: &Statement) -> Option<Vec<&str>> {
    if st.action.negated {
        return None;
    }
    st.action.patterns.iter().map(|p| p.service()).collect()
}

/// The policies that apply to a principal, grouped by layer, ready to
/// evaluate many requests.
///
/// ```
/// use iam_policy::{Context, MfaState, Policy, PolicySet, Request, DecisionKind};
/// let allow_all = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)?;
/// let deny_without_mfa = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*",
///     "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}"#)?;
/// let set = PolicySet::new()
///     .with_scp_level([("FullAWSAccess", allow_all.clone())])   // root
///     .with_scp_level([("RequireMFA", deny_without_mfa.clone()), ("FullAWSAccess", allow_all.clone())]) // OU
///     .with_identity("AdministratorAccess", allow_all.clone())
///     .with_boundary("Boundary", allow_all);
/// let keys = Context::new().with_mfa(MfaState::LongTermKeys);
/// let d = set.evaluate(&Request::new("ec2:RunInstances", "*", &keys));
/// assert_eq!(d.kind, DecisionKind::ExplicitDeny);
/// assert_eq!(d.reasons[0].policy.as_ref(), "RequireMFA");
/// let mfa = Context::new().with_mfa(MfaState::WithMfa { age_seconds: 60 });
/// assert!(set.evaluate(&Request::new("ec2:RunInstances", "*", &mfa)).is_allowed());
/// # Ok::<(), iam_policy::ParseError>(())
/// ```
///
/// Layers and how they combine:
/// * an applicable Deny statement in any policy of any layer gives
///   [`DecisionKind::ExplicitDeny`];
/// * each SCP level (root, each OU, the account; each level a set of
///   policies) must have an applicable Allow in at least one of its policies;
/// * the permissions boundary, when present, must allow;
/// * identity policies are pooled: one Allow in any of them suffices;
/// * a resource-based policy, when present, must allow *the principal*
///   (`Principal`/`NotPrincipal` are checked only there); see
///   [`ResourcePolicyMode`] for how it combines with identity policies (by
///   default both must allow). [`PolicySet::trust_policy`] evaluates a trust
///   policy alone: allowed only if it explicitly allows the principal and
///   nothing denies.
///
/// `sts:GetCallerIdentity` is always allowed: AWS requires no permission for
/// it and policies cannot deny it. `sts:GetSessionToken` is likewise treated
/// as allowed: AWS documents that no permission is needed to call it, so IAM
/// policies do not control it.
///
/// Within an account, a resource-based policy's grant to an IAM user is not
/// limited by an implicit deny of the user's permissions boundary (AWS:
/// "Permissions boundaries", resource-based policies): with
/// [`ResourcePolicyMode::EitherSuffices`] or
/// [`ResourcePolicyMode::ResourceOnly`], a resource policy that allows a
/// caller of the form `arn:aws:iam::ACCOUNT:user/...` is enough even when
/// the boundary has no applicable Allow (an explicit Deny still wins). For
/// other callers (role sessions) the boundary still applies.
///
/// Not modelled: session policies and the SCP exemptions of the management
/// account and service-linked roles.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    identity: Vec<Entry>,
    boundary: Option<Vec<Entry>>,
    scp_levels: Vec<Vec<Entry>>,
    resource: Option<Entry>,
    resource_mode: ResourcePolicyMode,
    index: OnceLock<Index>,
}

fn entry(label: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) -> Entry {
    Entry {
        label: label.into(),
        policy: policy.into(),
    }
}

impl PolicySet {
    /// An empty set (everything is implicitly denied).
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// A set holding a role trust policy (or other resource-based policy)
    /// evaluated alone ([`ResourcePolicyMode::ResourceOnly`]). Add the
    /// caller's identity policies and switch to
    /// [`ResourcePolicyMode::RequireBoth`] to require both.
    pub fn trust_policy(label: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) -> PolicySet {
        PolicySet::new()
            .with_resource_policy(label, policy)
            .with_resource_policy_mode(ResourcePolicyMode::ResourceOnly)
    }

    /// Adds an identity-based policy (inline, managed or group policy).
    pub fn with_identity(
        mut self,
        label: impl Into<Arc<str>>,
        policy: impl Into<Arc<Policy>>,
    ) -> PolicySet {
        self.add_identity(label, policy);
        self
    }

    /// Adds a policy to the permissions boundary (creating the boundary).
    pub fn with_boundary(
        mut self,
        label: impl Into<Arc<str>>,
        policy: impl Into<Arc<Policy>>,
    ) -> PolicySet {
        self.add_boundary(label, policy);
        self
    }

    /// Adds one SCP level (call in order: root, OUs from the top, account).
    pub fn with_scp_level<I, L, P>(mut self, policies: I) -> PolicySet
    where
        I: IntoIterator<Item = (L, P)>,
        L: Into<Arc<str>>,
        P: Into<Arc<Policy>>,
    {
        self.add_scp_level(policies);
        self
    }

    /// Sets the resource-based policy (for `sts:AssumeRole*`: the role's
    /// trust policy).
    pub fn with_resource_policy(
        mut self,
        label: impl Into<Arc<str>>,
        policy: impl Into<Arc<Policy>>,
    ) -> PolicySet {
        self.set_resource_policy(label, policy);
        self
    }

    /// Sets how the resource policy combines with identity policies.
    pub fn with_resource_policy_mode(mut self, mode: ResourcePolicyMode) -> PolicySet {
        self.resource_mode = mode;
        self
    }

    /// In-place form of [`PolicySet::with_identity`].
    pub fn add_identity(&mut self, label: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) {
        self.identity.push(entry(label, policy));
        self.index = OnceLock::new();
    }

    /// In-place form of [`PolicySet::with_boundary`].
    pub fn add_boundary(&mut self, label: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) {
        self.boundary
            .get_or_insert_with(Vec::new)
            .push(entry(label, policy));
        self.index = OnceLock::new();
    }

    /// In-place form of [`PolicySet::with_scp_level`].
    pub fn add_scp_level<I, L, P>(&mut self, policies: I)
    where
        I: IntoIterator<Item = (L, P)>,
        L: Into<Arc<str>>,
        P: Into<Arc<Policy>>,
    {
        self.scp_levels
            .push(policies.into_iter().map(|(l, p)| entry(l, p)).collect());
        self.index = OnceLock::new();
    }

    /// In-place form of [`PolicySet::with_resource_policy`].
    pub fn set_resource_policy(
        &mut self,
        label: impl Into<Arc<str>>,
        policy: impl Into<Arc<Policy>>,
    ) {
        self.resource = Some(entry(label, policy));
        self.index = OnceLock::new();
    }

    /// In-place form of [`PolicySet::with_resource_policy_mode`].
    pub fn set_resource_policy_mode(&mut self, mode: ResourcePolicyMode) {
        self.resource_mode = mode;
    }

    /// The identity policies with their labels.
    pub fn identity_policies(&self) -> impl Iterator<Item = (&str, &Policy)> {
        self.identity.iter().map(|e| (&*e.label, &*e.policy))
    }

    /// The permissions boundary policies, if a boundary is set.
    pub fn boundary_policies(&self) -> Option<impl Iterator<Item = (&str, &Policy)>> {
        self.boundary
            .as_ref()
            .map(|b| b.iter().map(|e| (&*e.label, &*e.policy)))
    }

    /// The number of SCP levels.
    pub fn scp_level_count(&self) -> usize {
        self.scp_levels.len()
    }

    /// The policies of one SCP level.
    pub fn scp_level(&self, level: usize) -> impl Iterator<Item = (&str, &Policy)> {
        self.scp_levels
            .get(level)
            .into_iter()
            .flatten()
            .map(|e| (&*e.label, &*e.policy))
    }

    /// The resource-based policy, if any.
    pub fn resource_policy(&self) -> Option<(&str, &Policy)> {
        self.resource.as_ref().map(|e| (&*e.label, &*e.policy))
    }

    /// Every policy in the set with its layer, label and SCP level.
    pub fn all_policies(&self) -> impl Iterator<Item = (Layer, Option<usize>, &str, &Policy)> {
        self.sources().into_iter().flat_map(move |src| {
            let (layer, level) = src.layer();
            self.entries(src)
                .iter()
                .map(move |e| (layer, level, &*e.label, &*e.policy))
        })
    }

    fn sources(&self) -> Vec<Source> {
        let mut v: Vec<Source> = (0..self.scp_levels.len()).map(Source::Scp).collect();
        if self.resource.is_some() {
            v.push(Source::Resource);
        }
        v.push(Source::Identity);
        if self.boundary.is_some() {
            v.push(Source::Boundary);
        }
        v
    }

    fn entries(&self, src: Source) -> &[Entry] {
        match src {
            Source::Scp(l) => self.scp_levels.get(l).map_or(&[], Vec::as_slice),
            Source::Resource => self.resource.as_slice(),
            Source::Identity => &self.identity,
            Source::Boundary => self.boundary.as_deref().unwrap_or(&[]),
        }
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| self.build_index())
    }

    fn build_index(&self) -> Index {
        let sources = self.sources();
        let mut services: Vec<Box<str>> = Vec::new();
        for &src in &sources {
            for e in self.entries(src) {
                // Every exact service any pattern names (NotAction ones too),
                // so that a service outside this list matches no exact one.
                for st in &e.policy.statements {
                    services.extend(
                        st.action
                            .patterns
                            .iter()
                            .filter_map(|p| p.service())
                            .map(Into::into),
                    );
                }
            }
        }
        services.sort();
        services.dedup();
        let mut long_lists: Vec<Box<[u32]>> = Vec::new();
        let layers = sources
            .into_iter()
            .map(|src| {
                let mut per_service = vec![Cands::default(); services.len()];
                let mut other = Cands::default();
                for (pi, e) in self.entries(src).iter().enumerate() {
                    for (si, st) in e.policy.statements.iter().enumerate() {
                        let (Ok(policy), Ok(stmt)) = (u32::try_from(pi), u32::try_from(si)) else {
                            continue;
                        };
                        let mut at = |service: Option<&str>| {
                            let long = if st.action.patterns.len() > 64 {
                                let list = relevant_patterns(st, service);
                                match u32::try_from(long_lists.len()) {
                                    Ok(i) if i != NO_LIST => {
                                        long_lists.push(list);
                                        i
                                    }
                                    _ => NO_LIST,
                                }
                            } else {
                                NO_LIST
                            };
                            StmtRef {
                                policy,
                                stmt,
                                mask: st.action.service_mask(service),
                                long,
                            }
                        };
                        match statement_services(st) {
                            None => {
                                for (c, svc) in per_service.iter_mut().zip(&services) {
                                    c.push(st.effect, at(Some(svc)));
                                }
                                other.push(st.effect, at(None));
                            }
                            Some(mut svcs) => {
                                svcs.sort_unstable();
                                svcs.dedup();
                                for s in svcs {
                                    if let Ok(i) = services.binary_search_by(|x| (**x).cmp(s)) {
                                        if let Some(c) = per_service.get_mut(i) {
                                            c.push(st.effect, at(Some(s)));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                LayerIndex {
                    source: src,
                    per_service,
                    other,
                }
            })
            .collect();
        Index {
            services,
            layers,
            long_lists,
        }
    }

    /// Evaluates a request, explaining the decision.
    pub fn evaluate(&self, req: &Request<'_>) -> Decision {
        if let Some(note) = builtin_note(req.action) {
            return Decision {
                kind: DecisionKind::Allowed,
                reasons: vec![Reason {
                    layer: Layer::Builtin,
                    scp_level: None,
                    policy: Arc::from("(built-in)"),
                    statement: None,
                    sid: None,
                    effect: Effect::Allow,
                    conditional: false,
                    note: Some(note),
                }],
                depends_on: BTreeSet::new(),
                missing_allow: None,
            };
        }
        let mut reasons = Vec::new();
        let mut depends_on = BTreeSet::new();
        let (kind, missing_allow) = self.run::<true>(req, &mut reasons, &mut depends_on);
        Decision {
            kind,
            reasons,
            depends_on,
            missing_allow,
        }
    }

    /// Evaluates a request without collecting reasons or dependencies: the
    /// fast path for bulk questions. Always equals `evaluate(req).kind`.
    pub fn decide(&self, req: &Request<'_>) -> DecisionKind {
        if builtin_note(req.action).is_some() {
            return DecisionKind::Allowed;
        }
        let mut reasons = Vec::new();
        let mut deps = BTreeSet::new();
        self.run::<false>(req, &mut reasons, &mut deps).0
    }

    /// `decide(req) == Allowed`.
    pub fn is_allowed(&self, req: &Request<'_>) -> bool {
        self.decide(req) == DecisionKind::Allowed
    }

    /// The evaluation proper. With `FULL`, collects every applicable
    /// statement and the keys the decision depends on; without, stops as
    /// soon as the outcome is known.
    fn run<const FULL: bool>(
        &self,
        req: &Request<'_>,
        reasons: &mut Vec<Reason>,
        depends_on: &mut BTreeSet<String>,
    ) -> (DecisionKind, Option<MissingAllow>) {
        let index = self.index();
        let target = Target::new(req);
        let slot = index.slot(target.service);
        let ctx = req.context;

        // 1. Explicit deny anywhere wins.
        let mut deny_deps = BTreeSet::new();
        for layer in &index.layers {
            let entries = self.entries(layer.source);
            let check_principal = layer.source == Source::Resource;
            for &r in &layer.cands(slot).deny {
                let Some((e, st)) = resolve(entries, r) else {
                    continue;
                };
                match applies(index, st, &target, r, check_principal) {
                    Tri::True => {
                        if !FULL {
                            return (DecisionKind::ExplicitDeny, None);
                        }
                        reasons.push(reason(layer.source, e, st, false));
                    }
                    // Conservatively assume the Deny does not apply.
                    Tri::Unknown if FULL => st.unknown_keys(ctx, &mut deny_deps),
                    _ => {}
                }
            }
        }
        if !reasons.is_empty() {
            return (DecisionKind::ExplicitDeny, None);
        }

        // 2. Each layer needs an Allow (unknown conditions count as allowing).
        let mut scp_missing = None;
        let mut resource_ok = None;
        let mut resource_standalone = false;
        let mut identity_ok = false;
        let mut boundary_ok = None;
        let mut allow_deps = BTreeSet::new();
        for layer in &index.layers {
            let entries = self.entries(layer.source);
            let check_principal = layer.source == Source::Resource;
            let cands = &layer.cands(slot).allow;
            let mut definite = false;
            let mut conditional = false;
            for &r in cands {
                let Some((e, st)) = resolve(entries, r) else {
                    continue;
                };
                match applies(index, st, &target, r, check_principal) {
                    Tri::True => {
                        definite = true;
                        if !FULL {
                            break;
                        }
                        reasons.push(reason(layer.source, e, st, false));
                    }
                    Tri::Unknown => {
                        conditional = true;
                        if !FULL {
                            break;
                        }
                        reasons.push(reason(layer.source, e, st, true));
                    }
                    Tri::False => {}
                }
            }
            if FULL && conditional && !definite {
                for &r in cands {
                    if let Some((_, st)) = resolve(entries, r) {
                        if applies(index, st, &target, r, check_principal) == Tri::Unknown {
                            st.unknown_keys(ctx, &mut allow_deps);
                        }
                    }
                }
            }
            let ok = definite || conditional;
            match layer.source {
                Source::Scp(level) => {
                    if !ok && scp_missing.is_none() {
                        scp_missing = Some(level);
                    }
                }
                Source::Resource => {
                    // Either-suffices holds only for a grant that names the
                    // caller; a grant to its account needs the identity
                    // policies too.
                    let standalone = ok
                        && (self.resource_mode != ResourcePolicyMode::EitherSuffices
                            || cands.iter().any(|&r| {
                                resolve(entries, r).is_some_and(|(_, st)| {
                                    applies(index, st, &target, r, check_principal) != Tri::False
                                        && st.principal.as_ref().is_some_and(|block| {
                                            block.names_specifically(req.principal)
                                        })
                                })
                            }));
                    resource_ok = Some(ok);
                    resource_standalone = standalone;
                }
                Source::Identity => identity_ok = ok,
                Source::Boundary => boundary_ok = Some(ok),
            }
        }

        let missing =
            |layer: Layer, scp_level: Option<usize>| Some(MissingAllow { layer, scp_level });
        let missing_allow = if let Some(level) = scp_missing {
            missing(Layer::Scp, Some(level))
        } else {
            let principal_missing = match (resource_ok, self.resource_mode) {
                (None, _) => (!identity_ok).then_some(Layer::Identity),
                (Some(false), ResourcePolicyMode::RequireBoth) => Some(Layer::Resource),
                (Some(true), ResourcePolicyMode::RequireBoth) => {
                    (!identity_ok).then_some(Layer::Identity)
                }
                (Some(r), ResourcePolicyMode::EitherSuffices) => {
                    if r && !resource_standalone {
                        (!identity_ok).then_some(Layer::Identity)
                    } else {
                        (!r && !identity_ok).then_some(Layer::Resource)
                    }
                }
                (Some(r), ResourcePolicyMode::ResourceOnly) => (!r).then_some(Layer::Resource),
            };
            // Within an account, a resource policy's grant to an IAM user is
            // not limited by the boundary's implicit deny.
            let resource_grant_to_user = resource_ok == Some(true)
                && (self.resource_mode == ResourcePolicyMode::ResourceOnly
                    || (self.resource_mode == ResourcePolicyMode::EitherSuffices
                        && resource_standalone))
                && req.principal.is_some_and(is_iam_user_arn);
            match principal_missing {
                Some(l) => missing(l, None),
                None if boundary_ok == Some(false) && !resource_grant_to_user => {
                    missing(Layer::PermissionsBoundary, None)
                }
                None => None,
            }
        };
        if FULL {
            depends_on.append(&mut deny_deps);
        }
        match missing_allow {
            Some(m) => (DecisionKind::ImplicitDeny, Some(m)),
            None => {
                if FULL {
                    depends_on.append(&mut allow_deps);
                }
                (DecisionKind::Allowed, None)
            }
        }
    }
}

/// The indices of the statement's action patterns that can match an
/// action of `service_lc` (an exact lowercase service some pattern names;
/// `None` for any other service): `*`, wildcard services, and patterns
/// naming exactly that service.
fn relevant_patterns(st: &Statement, service_lc: Option<&str>) -> Box<[u32]> {
    st.action
        .patterns
        .iter()
        .enumerate()
        .filter(|(_, p)| match &p.parts {
            None => true,
            Some((svc, _)) => match svc.as_exact() {
                Some(exact) => Some(exact) == service_lc,
                None => true,
            },
        })
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}

/// Whether the statement applies to the target (see
/// [`Statement::applies_to`]), checking only the action patterns the index
/// selected for the request's service.
#[inline]
fn applies(
    index: &Index,
    st: &Statement,
    t: &Target<'_>,
    r: StmtRef,
    check_principal: bool,
) -> Tri {
    match index.long_lists.get(r.long as usize) {
        None => st.applies_masked(t, r.mask, check_principal),
        Some(list) => applies_listed(st, t, list, check_principal),
    }
}

/// [`Statement::applies_to`] for a long statement, with the action patterns
/// limited to `list` (which holds every pattern that can match the
/// request's service; those with an exact service name it already).
fn applies_listed(st: &Statement, t: &Target<'_>, list: &[u32], check_principal: bool) -> Tri {
    let any = list.iter().any(|&i| {
        st.action
            .patterns
            .get(i as usize)
            .is_some_and(|p| match (&p.parts, t.name) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some((svc, n)), Some(name)) => {
                    (svc.as_exact().is_some() || svc.is_match(t.service, true))
                        && n.is_match(name, true)
                }
            })
    });
    if any == st.action.negated {
        return Tri::False;
    }
    // As in `Statement::applies_to` after the action check.
    if check_principal {
        match &st.principal {
            Some(p) if p.applies_to(t.principal) => {}
            _ => return Tri::False,
        }
    }
    let mut acc = Tri::True;
    if let Some(r) = &st.resource {
        acc = r.matches(t);
        if acc == Tri::False {
            return Tri::False;
        }
    }
    for c in &st.conditions {
        acc = acc.and(c.eval(t.ctx));
        if acc == Tri::False {
            return Tri::False;
        }
    }
    acc
}

#[inline]
fn resolve(entries: &[Entry], r: StmtRef) -> Option<(&Entry, &Statement)> {
    let e = entries.get(r.policy as usize)?;
    let st = e.policy.statements.get(r.stmt as usize)?;
    Some((e, st))
}

fn reason(src: Source, e: &Entry, st: &Statement, conditional: bool) -> Reason {
    let (layer, scp_level) = src.layer();
    Reason {
        layer,
        scp_level,
        policy: Arc::clone(&e.label),
        statement: Some(st.index),
        sid: st.sid.clone(),
        effect: st.effect,
        conditional,
        note: None,
    }
}

/// True for an IAM user ARN, `arn:PARTITION:iam::ACCOUNT:user/PATH/NAME`.
fn is_iam_user_arn(principal: &str) -> bool {
    let mut parts = principal.splitn(6, ':');
    parts.next() == Some("arn")
        && parts.next().is_some_and(|p| !p.is_empty())
        && parts.next() == Some("iam")
        && parts.next() == Some("")
        && parts.next().is_some_and(|a| !a.is_empty())
        && parts.next().is_some_and(|r| r.starts_with("user/"))
}

/// Actions AWS does not let policies control.
fn builtin_note(action: &str) -> Option<&'static str> {
    if action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
        Some("sts:GetCallerIdentity needs no permission and cannot be denied by policy")
    } else if action.eq_ignore_ascii_case("sts:GetSessionToken") {
        Some("sts:GetSessionToken needs no permission and is not controlled by IAM policies")
    } else {
        None
    }
}
