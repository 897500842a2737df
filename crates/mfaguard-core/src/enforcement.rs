//! Proves whether MFA is enforced by policy, and what each identity can do
//! without it.
//!
//! Every user and role is evaluated with the policy engine against the whole
//! action catalogue ([`crate::universe`]) in the request contexts a person
//! without MFA produces:
//!
//! * long-term access keys: `aws:MultiFactorAuthPresent` and
//!   `aws:MultiFactorAuthAge` are both absent;
//! * console sign-in without MFA: `aws:MultiFactorAuthPresent` is `false`.
//!
//! Every other condition key is unknown (open world): an Allow whose
//! condition cannot be decided is taken to apply and a Deny whose condition
//! cannot be decided is taken not to, and the allowance records the keys it
//! depends on. The answer is therefore "could this be done without MFA".
//!
//! Identities whose policies are the same (same sources, same path, and no
//! policy naming them) are evaluated once.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use iam_policy::{Context, Decision, DecisionKind, Layer, MfaState, PolicySet, Request};
use serde::Serialize;

use crate::action_classes::{classify, StatementActions};
use crate::escalation::{ESCALATION_ACTIONS, ONLY_FOR_OTHERS, PASSROLE_COMBINATIONS};
use crate::identity::{IdentityType, Privilege};
use crate::policies::{PolicySource, ResolvedPolicies};
use crate::policy_set::{EffectivePolicies, PolicyCache};
use crate::snapshot::Snapshot;
use crate::universe::{self, Principal, ResourceCandidates, Universe};

/// How many allowed actions a result lists.
pub const SAMPLE_SIZE: usize = 20;
/// The MFA age used for "with MFA" requests: a fresh sign-in.
const FRESH_MFA_AGE_SECONDS: u64 = 300;

/// The enforcement verdict of one identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Without MFA nothing but MFA self-enrolment is allowed, and the
    /// identity can do more with MFA.
    Enforced,
    /// Some actions are allowed without MFA.
    NotEnforced,
    /// Nothing is allowed without MFA, but only because nothing is allowed
    /// at all.
    NoAccess,
    /// Enforced, but the user cannot set up a device without MFA.
    LockedOut,
    /// Some policies could not be read: the verdict cannot be determined.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Enforced => "enforced",
            Verdict::NotEnforced => "not_enforced",
            Verdict::NoAccess => "no_access",
            Verdict::LockedOut => "locked_out",
            Verdict::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request context without MFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoMfaContext {
    /// Long-term access keys: the MFA keys are absent.
    AccessKeys,
    /// Console sign-in without MFA: `aws:MultiFactorAuthPresent` is false.
    ConsoleWithoutMfa,
}

/// One action allowed without MFA.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllowedAction {
    /// Borrowed from the action catalogue: no copy per identity.
    pub action: &'static str,
    pub access_level: &'static str,
    /// The resource it was found allowed on.
    pub resource: String,
    /// The contexts in which it is allowed.
    pub without_mfa: Vec<NoMfaContext>,
    /// Condition keys left unevaluated that the allowance depends on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// The statements that allow it.
    pub allowed_by: Vec<String>,
}

/// What an identity can do without MFA.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllowedWithoutMfa {
    /// Catalogue actions allowed (self-enrolment excluded).
    pub count: usize,
    /// How many of those depend on condition keys left unevaluated.
    pub conditional: usize,
    /// Every key some allowance depends on.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub depends_on: BTreeSet<String>,
    /// Most dangerous first: permissions management, then write, tagging,
    /// read, list; escalation actions first within a level.
    pub sample: Vec<AllowedAction>,
}

impl AllowedWithoutMfa {
    /// Nothing allowed.
    pub fn none() -> AllowedWithoutMfa {
        AllowedWithoutMfa {
            count: 0,
            conditional: 0,
            depends_on: BTreeSet::new(),
            sample: Vec::new(),
        }
    }

    /// "aws:sourceip, aws:resourcetag/team".
    pub fn describe_depends_on(&self) -> String {
        self.depends_on
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "iam:CreateAccessKey, s3:PutObject and 12 more".
    pub fn describe(&self, limit: usize) -> String {
        let names: Vec<&str> = self
            .sample
            .iter()
            .take(limit)
            .map(|allowed| allowed.action)
            .collect();
        let more = self.count.saturating_sub(names.len());
        if more > 0 {
            format!(
                "{} and {} more",
                names.join(", "),
                crate::words::thousands(more)
            )
        } else {
            names.join(", ")
        }
    }
}

/// The enforcement analysis of one identity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enforcement {
    pub verdict: Verdict,
    /// Shared by every identity whose policies give the same answer.
    pub allowed_without_mfa: Arc<AllowedWithoutMfa>,
    /// Why: the statements that deny or allow, the gaps, the lock-out.
    pub reasons: Vec<String>,
}

/// A user or role to analyse.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub kind: IdentityType,
    pub name: &'a str,
    pub arn: &'a str,
    pub user_id: Option<&'a str>,
    pub resolved: ResolvedPolicies<'a>,
    /// Run the enforcement sweep (console users, roles people assume);
    /// privilege is assessed for every subject.
    pub needs_enforcement: bool,
}

/// The analysis of one subject.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub privilege: Privilege,
    pub enforcement: Option<Enforcement>,
}

/// Analyses the users and roles of one account.
pub fn analyze(snapshot: &Snapshot, subjects: &[Subject<'_>]) -> Vec<Outcome> {
    let account = snapshot.account_id.clone().unwrap_or_default();
    let partition = subjects
        .first()
        .and_then(|subject| subject.arn.split(':').nth(1))
        .unwrap_or("aws")
        .to_string();
    let universe = universe::universe();
    let resources = universe.representative_resources(&partition, &account);
    let lookup: HashMap<String, usize> = universe
        .actions
        .iter()
        .enumerate()
        .map(|(index, action)| (action.name.to_ascii_lowercase(), index))
        .collect();
    let mut interned: HashMap<&str, u32> = HashMap::new();
    let representative_ids = resources
        .iter()
        .map(|resource| {
            let next = u32::try_from(interned.len()).unwrap_or(u32::MAX);
            *interned.entry(resource.as_str()).or_insert(next)
        })
        .collect();
    let flags = universe
        .actions
        .iter()
        .map(|action| ActionFlags {
            escalation: is_escalation(&action.name),
            reads_secrets: reads_secrets(&action.name),
        })
        .collect();
    let env = Env {
        universe,
        resources: &resources,
        representative_ids,
        flags,
        statement_actions: StatementActions::new(),
        lookup: &lookup,
        partition: &partition,
        account: &account,
    };

    // Group subjects that must get the same answer.
    let mut cache = PolicyCache::new();
    let mut tokens: HashMap<PolicySource, HashSet<String>> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of_key: HashMap<GroupKey, usize> = HashMap::new();
    let mut group_of_subject = Vec::with_capacity(subjects.len());
    for (index, subject) in subjects.iter().enumerate() {
        let effective = cache.effective(snapshot, &subject.resolved);
        let named = names_subject(&mut tokens, subject);
        let key = GroupKey {
            fingerprint: effective.fingerprint,
            kind: subject.kind,
            arn_prefix: subject
                .arn
                .rsplit_once('/')
                .map(|(prefix, _)| prefix)
                .unwrap_or(subject.arn)
                .to_string(),
            // A policy that names the identity (in a resource or a
            // condition) may treat it unlike its peers.
            name: named.then(|| subject.name.to_string()),
        };
        let group = *group_of_key.entry(key).or_insert_with(|| {
            groups.push(Group {
                subject: index,
                effective,
                needs_enforcement: false,
            });
            groups.len() - 1
        });
        groups[group].needs_enforcement |= subject.needs_enforcement;
        group_of_subject.push(group);
    }

    let results = run_parallel(&groups, |group| {
        analyse_group(&env, &subjects[group.subject], group)
    });

    // Each subject's own part (the enrolment requests name it) is spread
    // over the cores too.
    let members: Vec<(&Subject<'_>, usize)> = subjects.iter().zip(group_of_subject).collect();
    run_parallel(&members, |&(subject, group)| {
        let result = &results[group];
        let enforcement = if subject.needs_enforcement {
            result.enforcement.clone().map(|mut enforcement| {
                if enforcement.verdict == Verdict::Enforced && subject.kind == IdentityType::User {
                    check_enrolment(
                        &env,
                        &groups[group].effective.set,
                        subject,
                        &mut enforcement,
                    );
                }
                enforcement
            })
        } else {
            None
        };
        Outcome {
            privilege: result.privilege.clone(),
            enforcement,
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    fingerprint: u64,
    kind: IdentityType,
    arn_prefix: String,
    name: Option<String>,
}

struct Group {
    /// The subject whose name and ARN the evaluation uses.
    subject: usize,
    effective: EffectivePolicies,
    needs_enforcement: bool,
}

struct GroupResult {
    privilege: Privilege,
    enforcement: Option<Enforcement>,
}

/// What every group's evaluation shares.
struct Env<'e> {
    universe: &'static Universe,
    resources: &'e [String],
    /// Per action: its representative resource as an interned id.
    representative_ids: Vec<u32>,
    /// Per action: how it ranks in a sample.
    flags: Vec<ActionFlags>,
    statement_actions: StatementActions,
    lookup: &'e HashMap<String, usize>,
    partition: &'e str,
    account: &'e str,
}

/// What puts an action early in a sample, within its access level.
#[derive(Debug, Clone, Copy)]
struct ActionFlags {
    escalation: bool,
    reads_secrets: bool,
}

impl Env<'_> {
    fn representative(&self, action: &str) -> &str {
        self.lookup
            .get(&action.to_ascii_lowercase())
            .map(|&index| self.resources[index].as_str())
            .unwrap_or("*")
    }
}

/// Every name-like token of a policy document (split on characters that
/// cannot occur in an IAM name), to tell whether it names an identity.
fn policy_tokens(document: &serde_json::Value) -> HashSet<String> {
    fn walk(value: &serde_json::Value, tokens: &mut HashSet<String>) {
        match value {
            serde_json::Value::String(text) => add(text, tokens),
            serde_json::Value::Array(items) => items.iter().for_each(|item| walk(item, tokens)),
            serde_json::Value::Object(map) => map.iter().for_each(|(key, item)| {
                add(key, tokens);
                walk(item, tokens);
            }),
            _ => {}
        }
    }
    fn add(text: &str, tokens: &mut HashSet<String>) {
        // IAM names use letters, digits and + = , . @ _ -
        for token in text.split(|c: char| {
            !(c.is_ascii_alphanumeric() || matches!(c, '+' | '=' | ',' | '.' | '@' | '_' | '-'))
        }) {
            if !token.is_empty() && !tokens.contains(token) {
                tokens.insert(token.to_string());
            }
        }
    }
    let mut tokens = HashSet::new();
    walk(document, &mut tokens);
    tokens
}

/// Whether one of the identity's documents (identity policies or boundary)
/// names it; each document is tokenised once however many identities it
/// reaches.
fn names_subject(
    tokens: &mut HashMap<PolicySource, HashSet<String>>,
    subject: &Subject<'_>,
) -> bool {
    let resolved = &subject.resolved;
    resolved
        .identity
        .iter()
        .chain(resolved.boundary.iter())
        .any(|applied| match applied.document {
            Some(document) => tokens
                .entry(applied.source.clone())
                .or_insert_with(|| policy_tokens(&document.0))
                .contains(subject.name),
            None => false,
        })
}

/// `work` applied to every item, the items shared out over the cores; the
/// results in the items' order.
fn run_parallel<I: Sync, T: Send>(items: &[I], work: impl Fn(&I) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<T>> = Vec::with_capacity(items.len());
    slots.resize_with(items.len(), || None);
    let done: Vec<Vec<(usize, T)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            break;
                        };
                        out.push((index, work(item)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or_default())
            .collect()
    });
    for (index, value) in done.into_iter().flatten() {
        slots[index] = Some(value);
    }
    // A worker that panicked left its slots empty; recompute them here so a
    // bug surfaces as a panic in this thread rather than a missing result.
    slots
        .into_iter()
        .enumerate()
        .map(|(index, slot)| match slot {
            Some(value) => value,
            None => work(&items[index]),
        })
        .collect()
}

/// The request contexts of one principal.
struct Contexts {
    access_keys: Context,
    console: Context,
    with_mfa: Context,
}

impl Contexts {
    /// The context of the first of `kinds` (the one an allowance was found
    /// in).
    fn no_mfa(&self, kinds: &[NoMfaContext]) -> &Context {
        match kinds.first() {
            Some(NoMfaContext::ConsoleWithoutMfa) => &self.console,
            _ => &self.access_keys,
        }
    }
}

fn contexts(subject: &Subject<'_>, account: &str) -> Contexts {
    let base = principal_context(subject, account);
    Contexts {
        access_keys: base.clone().with_mfa(MfaState::LongTermKeys),
        console: base.clone().with_mfa(MfaState::ConsoleWithoutMfa),
        with_mfa: base.with_mfa(MfaState::WithMfa {
            age_seconds: FRESH_MFA_AGE_SECONDS,
        }),
    }
}

/// The principal's own keys, every other key unknown (open world).
fn principal_context(subject: &Subject<'_>, account: &str) -> Context {
    let mut base = Context::new().open_world();
    base.insert("aws:PrincipalArn", subject.arn);
    base.insert("aws:PrincipalAccount", account);
    match subject.kind {
        IdentityType::User | IdentityType::Root => {
            base.insert("aws:username", subject.name);
            base.insert("aws:PrincipalType", "User");
            if let Some(user_id) = subject.user_id {
                base.insert("aws:userid", user_id);
            }
        }
        IdentityType::Role => {
            base.insert("aws:PrincipalType", "AssumedRole");
            // Role sessions have no user name.
            base.mark_absent("aws:username");
        }
    }
    base
}

/// The first resource on which `action` is allowed in `ctx`.
fn first_allowed<'r>(
    set: &PolicySet,
    action: &str,
    representative: &'r str,
    candidates: impl Iterator<Item = &'r str>,
    ctx: &Context,
) -> Option<&'r str> {
    std::iter::once(representative)
        .chain(candidates)
        .find(|resource| set.decide(&Request::new(action, resource, ctx)) == DecisionKind::Allowed)
}

fn analyse_group(env: &Env<'_>, subject: &Subject<'_>, group: &Group) -> GroupResult {
    let set = &group.effective.set;
    let principal = Principal {
        partition: env.partition,
        account: env.account,
        user_name: (subject.kind == IdentityType::User).then_some(subject.name),
    };
    let candidates = ResourceCandidates::of(set, principal);
    let contexts = contexts(subject, env.account);
    let privilege = assess_privilege(
        env,
        set,
        &candidates,
        &contexts.with_mfa,
        &group.effective,
        (subject.kind == IdentityType::User).then_some(subject.name),
    );
    let enforcement = group
        .needs_enforcement
        .then(|| sweep(env, set, &candidates, &contexts, &group.effective));
    GroupResult {
        privilege,
        enforcement,
    }
}

/// Privileged: allowed, with MFA, an action of the escalation set, or
/// `iam:PassRole` together with a compute action.
fn assess_privilege(
    env: &Env<'_>,
    set: &PolicySet,
    candidates: &ResourceCandidates,
    with_mfa: &Context,
    effective: &EffectivePolicies,
    own_user_name: Option<&str>,
) -> Privilege {
    // User names are unique in an account whatever the path: a user ARN
    // ending in the identity's own name is the identity itself.
    let is_self = |resource: &str| {
        own_user_name.is_some_and(|name| {
            resource
                .split_once(":user/")
                .is_some_and(|(_, rest)| rest.rsplit('/').next() == Some(name))
        })
    };
    let allowed = |action: &str| -> Option<Decision> {
        let service = action.split(':').next().unwrap_or("");
        // Managing one's own credentials is self-service, not escalation.
        let others_only = ONLY_FOR_OTHERS
            .iter()
            .any(|only| only.eq_ignore_ascii_case(action));
        first_allowed(
            set,
            action,
            env.representative(action),
            candidates
                .for_service(service)
                .filter(|resource| !(others_only && is_self(resource))),
            with_mfa,
        )
        .map(|resource| set.evaluate(&Request::new(action, resource, with_mfa)))
    };
    // (action, allowing statements), grouped below by statements.
    let mut found: Vec<(String, String)> = Vec::new();
    for entry in ESCALATION_ACTIONS {
        if let Some(decision) = allowed(entry.action) {
            found.push((
                entry.action.to_string(),
                statements(&decision, Layer::Identity),
            ));
        }
    }
    if let Some(pass_role) = allowed("iam:PassRole") {
        for combination in PASSROLE_COMBINATIONS {
            if allowed(combination.action).is_some() {
                found.push((
                    format!("iam:PassRole with {}", combination.action),
                    statements(&pass_role, Layer::Identity),
                ));
            }
        }
    }
    let total = ESCALATION_ACTIONS.len() + PASSROLE_COMBINATIONS.len();
    let mut reasons = Vec::new();
    let mut by_statements: Vec<(String, Vec<String>)> = Vec::new();
    for (action, by) in found.iter().cloned() {
        match by_statements.iter_mut().find(|(known, _)| *known == by) {
            Some((_, actions)) => actions.push(action),
            None => by_statements.push((by, vec![action])),
        }
    }
    for (by, actions) in by_statements {
        let listed = if actions.len() == total {
            format!("every privilege-escalation action (e.g. {})", actions[0])
        } else if actions.len() > 3 {
            format!(
                "{} and {} more privilege-escalation actions",
                actions[..3].join(", "),
                actions.len() - 3
            )
        } else {
            actions.join(", ")
        };
        reasons.push(format!("allowed {listed} by {by}"));
    }
    if !reasons.is_empty() {
        if !effective.gaps.is_empty() {
            reasons.push(format!(
                "some policies could not be read ({}); an unread Deny could narrow this",
                effective.gaps.join("; ")
            ));
        }
        return Privilege {
            privileged: Some(true),
            reasons,
        };
    }
    if !effective.gaps.is_empty() {
        return Privilege::unknown(effective.gaps.join("; "));
    }
    Privilege {
        privileged: Some(false),
        reasons: Vec::new(),
    }
}

/// "POLICY statement N (Sid)" for each reason of `layer`.
fn statements(decision: &Decision, layer: Layer) -> String {
    let mut names: Vec<String> = decision
        .reasons
        .iter()
        .filter(|reason| reason.layer == layer)
        .map(statements_of)
        .collect();
    names.dedup();
    if names.is_empty() {
        "no statement".to_string()
    } else {
        names.join(", ")
    }
}

fn sweep(
    env: &Env<'_>,
    set: &PolicySet,
    candidates: &ResourceCandidates,
    contexts: &Contexts,
    effective: &EffectivePolicies,
) -> Enforcement {
    let allowable = env.universe.allowable(set);
    // Each found action points at the outcome of its class.
    let mut outcomes: Vec<ClassOutcome<'_>> = Vec::new();
    let mut found: Vec<(usize, usize)> = Vec::new();
    for range in allowable
        .iter()
        .flat_map(|range| env.universe.service_ranges(range.clone()))
    {
        match classify(
            set,
            env.universe,
            range.clone(),
            &env.representative_ids,
            &env.statement_actions,
        ) {
            Some(classes) => {
                for class in classes {
                    let Some(&exemplar) = class.actions.first() else {
                        continue;
                    };
                    let Some(outcome) =
                        allowed_without_mfa(env, set, candidates, contexts, exemplar)
                    else {
                        continue;
                    };
                    // When the resource does not matter, each member is
                    // allowed on its own representative resource; anything
                    // else would mean the class was wrong, so decide the
                    // members one by one then.
                    let shared = class.resource_matters
                        || outcome.resource == env.resources[exemplar].as_str();
                    if shared {
                        outcomes.push(ClassOutcome {
                            resource_shared: class.resource_matters,
                            ..outcome
                        });
                        let slot = outcomes.len() - 1;
                        found.extend(class.actions.iter().map(|&index| (index, slot)));
                    } else {
                        for &index in &class.actions {
                            if let Some(outcome) =
                                allowed_without_mfa(env, set, candidates, contexts, index)
                            {
                                outcomes.push(outcome);
                                found.push((index, outcomes.len() - 1));
                            }
                        }
                    }
                }
            }
            None => {
                for index in range {
                    if let Some(outcome) =
                        allowed_without_mfa(env, set, candidates, contexts, index)
                    {
                        outcomes.push(outcome);
                        found.push((index, outcomes.len() - 1));
                    }
                }
            }
        }
    }

    let mut allowed = AllowedWithoutMfa::none();
    allowed.count = found.len();
    let mut used = vec![false; outcomes.len()];
    for &(_, slot) in &found {
        let outcome = &outcomes[slot];
        if !outcome.depends_on.is_empty() {
            allowed.conditional += 1;
            if !used[slot] {
                used[slot] = true;
                allowed
                    .depends_on
                    .extend(outcome.depends_on.iter().cloned());
            }
        }
    }
    // Most dangerous first: access level, escalation, secret reads, then
    // unconditional before conditional, then by name (the catalogue order).
    let rank = |&(index, slot): &(usize, usize)| {
        let flags = env.flags[index];
        (
            std::cmp::Reverse(env.universe.actions[index].access_level),
            std::cmp::Reverse(flags.escalation),
            std::cmp::Reverse(flags.reads_secrets),
            !outcomes[slot].depends_on.is_empty(),
            index,
        )
    };
    if found.len() > SAMPLE_SIZE {
        found.select_nth_unstable_by_key(SAMPLE_SIZE - 1, rank);
        found.truncate(SAMPLE_SIZE);
    }
    found.sort_unstable_by_key(rank);
    allowed.sample = found
        .iter()
        .map(|&(index, slot)| {
            let action = &env.universe.actions[index];
            let outcome = &outcomes[slot];
            let resource = if outcome.resource_shared {
                outcome.resource
            } else {
                env.resources[index].as_str()
            };
            let decision = set.evaluate(&Request::new(
                &action.name,
                resource,
                contexts.no_mfa(&outcome.without_mfa),
            ));
            AllowedAction {
                action: action.name.as_str(),
                access_level: action.access_level.as_str(),
                resource: resource.to_string(),
                without_mfa: outcome.without_mfa.clone(),
                depends_on: outcome.depends_on.clone(),
                allowed_by: decision
                    .reasons
                    .iter()
                    .filter(|reason| reason.layer == Layer::Identity)
                    .map(statements_of)
                    .collect(),
            }
        })
        .collect();

    let mut reasons = Vec::new();
    let verdict = if allowed.count > 0 {
        reasons.push(format!(
            "{} allowed without MFA, e.g. {}",
            crate::words::count(allowed.count, "action", "actions"),
            allowed.describe(3)
        ));
        if !effective.scps_known {
            reasons.push(
                "service control policies were not collected: an organisation policy could still deny these"
                    .to_string(),
            );
        }
        Verdict::NotEnforced
    } else {
        match first_allowed_with_mfa(env, set, &allowable, candidates, &contexts.with_mfa) {
            Some((index, resource)) => {
                let action = &env.universe.actions[index].name;
                let without = set.evaluate(&Request::new(action, resource, &contexts.access_keys));
                let with = set.evaluate(&Request::new(action, resource, &contexts.with_mfa));
                if without.kind == DecisionKind::ExplicitDeny {
                    reasons.push(format!(
                        "without MFA, {action} is denied by {}",
                        all_statements(&without)
                    ));
                } else {
                    reasons.push(format!(
                        "{action} is allowed only with MFA, by {}",
                        statements(&with, Layer::Identity)
                    ));
                }
                Verdict::Enforced
            }
            None => {
                reasons.push("nothing is allowed, with or without MFA".to_string());
                Verdict::NoAccess
            }
        }
    };
    if !effective.gaps.is_empty() {
        reasons.insert(
            0,
            format!(
                "cannot be determined: some policies could not be read ({}); the figures below cover the readable ones",
                effective.gaps.join("; ")
            ),
        );
        return Enforcement {
            verdict: Verdict::Unknown,
            allowed_without_mfa: Arc::new(allowed),
            reasons,
        };
    }
    Enforcement {
        verdict,
        allowed_without_mfa: Arc::new(allowed),
        reasons,
    }
}

/// How one action (and every action of its class) is allowed without MFA.
struct ClassOutcome<'r> {
    /// The first resource it was found allowed on.
    resource: &'r str,
    /// False when each member of the class is allowed on its own
    /// representative resource rather than on `resource`.
    resource_shared: bool,
    without_mfa: Vec<NoMfaContext>,
    depends_on: Vec<String>,
}

/// Whether the action is allowed in some no-MFA context, where, and on
/// which unevaluated keys that depends.
fn allowed_without_mfa<'r>(
    env: &'r Env<'_>,
    set: &PolicySet,
    candidates: &'r ResourceCandidates,
    contexts: &Contexts,
    index: usize,
) -> Option<ClassOutcome<'r>> {
    let action = &env.universe.actions[index];
    let no_mfa = [
        (NoMfaContext::AccessKeys, &contexts.access_keys),
        (NoMfaContext::ConsoleWithoutMfa, &contexts.console),
    ];
    let mut resource = None;
    let mut without_mfa = Vec::new();
    for (kind, ctx) in no_mfa {
        if let Some(allowed_on) = first_allowed(
            set,
            &action.name,
            &env.resources[index],
            candidates.for_service(&action.service),
            ctx,
        ) {
            resource.get_or_insert(allowed_on);
            without_mfa.push(kind);
        }
    }
    let resource = resource?;
    let decision = set.evaluate(&Request::new(
        &action.name,
        resource,
        contexts.no_mfa(&without_mfa),
    ));
    Some(ClassOutcome {
        resource,
        resource_shared: true,
        without_mfa,
        depends_on: decision.depends_on.into_iter().collect(),
    })
}

/// Actions a reader recognises, tried first when an example is needed.
const FAMILIAR_ACTIONS: [&str; 6] = [
    "iam:CreateAccessKey",
    "ec2:RunInstances",
    "s3:GetObject",
    "sts:AssumeRole",
    "ec2:DescribeInstances",
    "s3:ListAllMyBuckets",
];

/// An action allowed with MFA (a familiar one when there is one), and the
/// resource it is allowed on.
fn first_allowed_with_mfa<'r>(
    env: &'r Env<'_>,
    set: &PolicySet,
    allowable: &[std::ops::Range<usize>],
    candidates: &'r ResourceCandidates,
    with_mfa: &Context,
) -> Option<(usize, &'r str)> {
    let familiar = FAMILIAR_ACTIONS
        .iter()
        .filter_map(|name| env.lookup.get(&name.to_ascii_lowercase()).copied());
    familiar
        .chain(allowable.iter().cloned().flatten())
        .find_map(|index| {
            let action = &env.universe.actions[index];
            first_allowed(
                set,
                &action.name,
                &env.resources[index],
                candidates.for_service(&action.service),
                with_mfa,
            )
            .map(|resource| (index, resource))
        })
}

fn statements_of(reason: &iam_policy::Reason) -> String {
    let mut text = reason.policy.to_string();
    if let Some(index) = reason.statement {
        text.push_str(&format!(" statement {index}"));
    }
    if let Some(sid) = &reason.sid {
        text.push_str(&format!(" ({sid})"));
    }
    text
}

fn all_statements(decision: &Decision) -> String {
    let mut names: Vec<String> = decision.reasons.iter().map(statements_of).collect();
    names.dedup();
    names.join(", ")
}

/// Reads that hand over data or secrets rather than configuration: within
/// their access level they come first in a sample.
const SECRET_READS: [&str; 12] = [
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
    "s3:GetObject",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "ec2:GetPasswordData",
    "lambda:GetFunction",
    "iam:GetCredentialReport",
];

fn reads_secrets(action: &str) -> bool {
    SECRET_READS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(action))
}

fn is_escalation(action: &str) -> bool {
    ESCALATION_ACTIONS
        .iter()
        .any(|entry| entry.action.eq_ignore_ascii_case(action))
        || action.eq_ignore_ascii_case("iam:PassRole")
}

/// The requests a user makes to set up a device in the console, before it
/// has MFA.
fn check_enrolment(
    env: &Env<'_>,
    set: &PolicySet,
    subject: &Subject<'_>,
    enforcement: &mut Enforcement,
) {
    let console = principal_context(subject, env.account).with_mfa(MfaState::ConsoleWithoutMfa);
    let device = format!(
        "arn:{}:iam::{}:mfa/{}",
        env.partition, env.account, subject.name
    );
    let requests = [
        ("iam:CreateVirtualMFADevice", device.as_str()),
        ("iam:EnableMFADevice", subject.arn),
        ("iam:ListMFADevices", subject.arn),
    ];
    let mut denied = Vec::new();
    for (action, resource) in requests {
        let decision = set.evaluate(&Request::new(action, resource, &console));
        if decision.kind != DecisionKind::Allowed {
            denied.push(match decision.kind {
                DecisionKind::ExplicitDeny => {
                    format!(
                        "{action} on {resource} (denied by {})",
                        all_statements(&decision)
                    )
                }
                _ => format!("{action} on {resource} (no statement allows it)"),
            });
        }
    }
    if denied.is_empty() {
        return;
    }
    enforcement.verdict = Verdict::LockedOut;
    enforcement.reasons.push(format!(
        "cannot set up MFA without MFA: {}",
        denied.join("; ")
    ));
    let has_path = subject
        .arn
        .split_once(":user/")
        .is_some_and(|(_, rest)| rest.contains('/'));
    let names_own_user = set.identity_policies().any(|(_, policy)| {
        policy.statements.iter().any(|statement| {
            statement.resource.as_ref().is_some_and(|block| {
                block
                    .patterns
                    .iter()
                    .any(|pattern| pattern.text.contains("user/${aws:username}"))
            })
        })
    });
    if has_path && names_own_user {
        enforcement.reasons.push(
            "the user has a path, and `user/${aws:username}` matches only users without one: add `arn:aws:iam::*:user/*/${aws:username}` next to it (user names are unique whatever the path)"
                .to_string(),
        );
    }
}
