//! Splits a service's catalogue actions into classes that every policy set
//! decides alike, so that the enforcement sweep evaluates one action per
//! class instead of every action.
//!
//! An action enters a decision only through the statements whose
//! `Action`/`NotAction` covers it: conditions read the request context and
//! resource patterns read the resource, never the action. Two actions of one
//! service covered by the same statements are therefore decided alike on the
//! same resource and context. When none of those statements restricts the
//! resource (`Resource: "*"`), the resource does not matter either; otherwise
//! the actions must also share their representative resource.
//!
//! Which actions of a service a statement covers is computed once per
//! statement (a bitset over the service's catalogue range) and shared by
//! every identity the statement's policy reaches.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use iam_policy::{Effect, Policy, PolicySet, Statement};

use crate::universe::Universe;

/// More statements than this on one service: the caller evaluates every
/// action of the service instead.
const MAX_STATEMENTS: usize = 128;

/// Actions of one service that the policy set decides alike.
#[derive(Debug)]
pub struct ActionClass {
    /// Catalogue indices, ascending.
    pub actions: Vec<usize>,
    /// The actions' common representative resource matters: every member has
    /// the same one. When false, the outcome holds for any resource.
    pub resource_matters: bool,
}

/// `(policy address, statement index, range start)` → one bit per action of
/// the range.
type CoveredBits = HashMap<(usize, usize, usize), Arc<[u64]>>;

/// Covered-action bitsets of statements, keyed by the statement and the
/// service range they were computed over.
#[derive(Debug, Default)]
pub struct StatementActions {
    bits: Mutex<CoveredBits>,
}

impl StatementActions {
    pub fn new() -> StatementActions {
        StatementActions::default()
    }

    /// The actions of `range` that `statement` (of `policy`) covers. The
    /// policy must stay alive, unmoved, as long as this cache: it is keyed
    /// by its address (policies are shared through `Arc`).
    fn covered(
        &self,
        universe: &Universe,
        policy: &Policy,
        statement: usize,
        range: &Range<usize>,
    ) -> Arc<[u64]> {
        let key = (policy as *const Policy as usize, statement, range.start);
        if let Some(bits) = self.lock().get(&key) {
            return Arc::clone(bits);
        }
        let mut bits = vec![0u64; range.len().div_ceil(64)];
        if let Some(statement) = policy.statements.get(statement) {
            for (offset, action) in universe.actions[range.clone()].iter().enumerate() {
                if statement.applies_to_action(&action.name) {
                    bits[offset / 64] |= 1 << (offset % 64);
                }
            }
        }
        let bits: Arc<[u64]> = bits.into();
        self.lock().insert(key, Arc::clone(&bits));
        bits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CoveredBits> {
        // The map is only ever extended with values computed outside the
        // lock: a panic elsewhere cannot leave it half-written.
        self.bits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A statement of the set that can cover an action of the service.
struct Relevant {
    bits: Arc<[u64]>,
    identity_allow: bool,
    restricts_resource: bool,
}

/// The classes of `range` (one service's actions) that some identity-policy
/// Allow covers; actions no identity Allow covers cannot be allowed and are
/// left out. `None` when the set has too many statements on the service to
/// classify: evaluate each action then.
pub fn classify(
    set: &PolicySet,
    universe: &Universe,
    range: Range<usize>,
    representative: &[u32],
    cache: &StatementActions,
) -> Option<Vec<ActionClass>> {
    let service = universe
        .actions
        .get(range.start)?
        .service
        .to_ascii_lowercase();
    let mut relevant: Vec<Relevant> = Vec::new();
    let mut add = |policy: &Policy, identity: bool| -> bool {
        for (index, statement) in policy.statements.iter().enumerate() {
            if !can_cover_service(statement, &service) {
                continue;
            }
            if relevant.len() == MAX_STATEMENTS {
                return false;
            }
            relevant.push(Relevant {
                bits: cache.covered(universe, policy, index, &range),
                identity_allow: identity && statement.effect == Effect::Allow,
                restricts_resource: restricts_resource(statement),
            });
        }
        true
    };
    for (_, policy) in set.identity_policies() {
        if !add(policy, true) {
            return None;
        }
    }
    for (_, policy) in set.boundary_policies().into_iter().flatten() {
        if !add(policy, false) {
            return None;
        }
    }
    for level in 0..set.scp_level_count() {
        for (_, policy) in set.scp_level(level) {
            if !add(policy, false) {
                return None;
            }
        }
    }
    // A resource-based policy is never part of an identity's own set; were
    // one there, its Principal element would make the caller matter too.
    if set.resource_policy().is_some() {
        return None;
    }

    let mut allow_mask = 0u128;
    let mut resource_mask = 0u128;
    for (position, statement) in relevant.iter().enumerate() {
        if statement.identity_allow {
            allow_mask |= 1 << position;
        }
        if statement.restricts_resource {
            resource_mask |= 1 << position;
        }
    }
    let mut classes: Vec<ActionClass> = Vec::new();
    let mut class_of: HashMap<(u128, Option<u32>), usize> = HashMap::new();
    for (offset, index) in range.clone().enumerate() {
        let mut signature = 0u128;
        for (position, statement) in relevant.iter().enumerate() {
            if statement.bits[offset / 64] & (1 << (offset % 64)) != 0 {
                signature |= 1 << position;
            }
        }
        if signature & allow_mask == 0 {
            continue;
        }
        let resource_matters = signature & resource_mask != 0;
        let resource = resource_matters.then(|| representative[index]);
        let class = *class_of.entry((signature, resource)).or_insert_with(|| {
            classes.push(ActionClass {
                actions: Vec::new(),
                resource_matters,
            });
            classes.len() - 1
        });
        classes[class].actions.push(index);
    }
    Some(classes)
}

/// False only when the statement names exact services and `service_lc` is
/// not one of them.
fn can_cover_service(statement: &Statement, service_lc: &str) -> bool {
    statement.action.negated
        || statement
            .action
            .patterns
            .iter()
            .any(|pattern| match pattern.service() {
                None => true,
                Some(named) => named == service_lc,
            })
}

/// True unless the statement matches every resource (`Resource: "*"`, or no
/// resource element at all).
fn restricts_resource(statement: &Statement) -> bool {
    match &statement.resource {
        None => false,
        Some(block) => block.negated || block.patterns.iter().any(|pattern| pattern.text != "*"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::universe::universe;

    fn policy(json: &str) -> Arc<Policy> {
        Arc::new(Policy::parse(json).expect("test policy parses"))
    }

    #[test]
    fn classes_group_actions_covered_by_the_same_statements() {
        let universe = universe();
        let representatives: Vec<u32> = (0..universe.actions.len() as u32).collect();
        let set = PolicySet::new()
            .with_identity(
                "read",
                policy(
                    r#"{"Version":"2012-10-17","Statement":[
                    {"Effect":"Allow","Action":"s3:Get*","Resource":"*"},
                    {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#,
                ),
            )
            .with_identity(
                "deny",
                policy(
                    r#"{"Version":"2012-10-17","Statement":[
                    {"Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}"#,
                ),
            );
        let cache = StatementActions::new();
        let range = universe
            .actions
            .iter()
            .position(|action| action.service == "s3")
            .expect("s3 in the catalogue")
            ..universe
                .actions
                .iter()
                .rposition(|action| action.service == "s3")
                .expect("s3 in the catalogue")
                + 1;
        let classes =
            classify(&set, universe, range, &representatives, &cache).expect("few statements");
        let gets: Vec<&str> = classes
            .iter()
            .filter(|class| !class.resource_matters)
            .flat_map(|class| class.actions.iter())
            .map(|&index| universe.actions[index].name.as_str())
            .collect();
        assert!(gets.len() > 10, "{gets:?}");
        assert!(gets.iter().all(|name| name.starts_with("s3:Get")));
        assert_eq!(
            classes
                .iter()
                .filter(|class| !class.resource_matters)
                .count(),
            1,
            "every s3:Get* action is covered by the same two statements"
        );
        let put: Vec<&ActionClass> = classes
            .iter()
            .filter(|class| class.resource_matters)
            .collect();
        assert_eq!(put.len(), 1);
        assert_eq!(universe.actions[put[0].actions[0]].name, "s3:PutObject");
        assert!(classes
            .iter()
            .flat_map(|class| class.actions.iter())
            .all(|&index| universe.actions[index].name != "s3:ListBucket"));
    }
}
