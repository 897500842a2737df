//! Turns the policies that apply to a user or role into the policy engine's
//! [`PolicySet`]: identity policies (inline, attached, through groups), the
//! permissions boundary and, when they were collected, the SCP chain.
//!
//! Policy documents are parsed once per source ([`PolicyCache`]), so twenty
//! thousand users sharing a group policy cost one parse. What could not be
//! read (a document missing from the inputs, one the engine rejects, a group
//! the inputs do not describe) is listed in [`EffectivePolicies::gaps`]: a
//! decision made without those policies is a guess, and callers report it as
//! unknown.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use iam_policy::{Policy, PolicySet};

use crate::policies::{AppliedPolicy, PolicySource, ResolvedPolicies};
use crate::snapshot::{PolicyDocument, ScpLevel, Snapshot};

/// The engine's view of one identity.
#[derive(Debug, Clone)]
pub struct EffectivePolicies {
    pub set: PolicySet,
    /// What is missing or unreadable, in plain words. Non-empty means the set
    /// is incomplete and any decision over it is uncertain.
    pub gaps: Vec<String>,
    /// False when the SCPs were not collected (an offline export, or no
    /// access to AWS Organizations): an organisation policy could then deny
    /// more than [`Self::set`] shows, never allow more.
    pub scps_known: bool,
    /// Identifies the policies in the set: identities with equal fingerprints
    /// have the same permissions up to policy variables.
    pub fingerprint: u64,
}

/// Parsed policies, keyed by where they come from.
#[derive(Debug, Default)]
pub struct PolicyCache {
    parsed: HashMap<PolicySource, Result<Arc<Policy>, String>>,
    scps: HashMap<String, Result<Arc<Policy>, String>>,
}

impl PolicyCache {
    pub fn new() -> PolicyCache {
        PolicyCache::default()
    }

    fn policy(
        &mut self,
        source: &PolicySource,
        document: &PolicyDocument,
    ) -> Result<Arc<Policy>, String> {
        if let Some(parsed) = self.parsed.get(source) {
            return parsed.clone();
        }
        let parsed = parse(document).map_err(|message| format!("{source}: {message}"));
        self.parsed.insert(source.clone(), parsed.clone());
        parsed
    }

    fn scp(&mut self, id: &str, document: &PolicyDocument) -> Result<Arc<Policy>, String> {
        if let Some(parsed) = self.scps.get(id) {
            return parsed.clone();
        }
        let parsed = parse(document).map_err(|message| format!("SCP {id}: {message}"));
        self.scps.insert(id.to_string(), parsed.clone());
        parsed
    }

    /// Builds the set for an identity whose policies were resolved with
    /// [`crate::policies::PolicyIndex`].
    pub fn effective(
        &mut self,
        snapshot: &Snapshot,
        resolved: &ResolvedPolicies<'_>,
    ) -> EffectivePolicies {
        let mut set = PolicySet::new();
        let mut gaps = Vec::new();
        let mut hasher = DefaultHasher::new();

        let mut identity: Vec<&AppliedPolicy<'_>> = resolved.identity.iter().collect();
        // Order does not change a decision; sorting makes the fingerprint
        // independent of attachment order.
        identity.sort_by(|a, b| a.source.cmp(&b.source));
        identity.dedup_by(|a, b| a.source == b.source);
        for applied in identity {
            // The label (with the group a policy came through) is hashed too:
            // identities grouped together share the reasons' wording.
            label(applied).hash(&mut hasher);
            match self.applied(applied) {
                Ok(policy) => set.add_identity(label(applied), policy),
                Err(gap) => gaps.push(gap),
            }
        }

        if let Some(boundary) = &resolved.boundary {
            "boundary".hash(&mut hasher);
            label(boundary).hash(&mut hasher);
            match self.applied(boundary) {
                Ok(policy) => set.add_boundary(label(boundary), policy),
                Err(gap) => gaps.push(format!("permissions boundary {gap}")),
            }
        }

        for group in &resolved.unknown_groups {
            "unknown-group".hash(&mut hasher);
            group.hash(&mut hasher);
            gaps.push(format!("group {group} is not described in the inputs"));
        }

        let scps_known = match &snapshot.service_control_policies {
            Some(levels) => {
                self.add_scps(levels, &mut set, &mut gaps);
                true
            }
            None => false,
        };

        EffectivePolicies {
            set,
            gaps,
            scps_known,
            fingerprint: hasher.finish(),
        }
    }

    fn applied(&mut self, applied: &AppliedPolicy<'_>) -> Result<Arc<Policy>, String> {
        match applied.document {
            Some(document) => self.policy(&applied.source, document),
            None => Err(format!(
                "{} is not in the inputs (its document is unknown)",
                applied.source
            )),
        }
    }

    fn add_scps(&mut self, levels: &[ScpLevel], set: &mut PolicySet, gaps: &mut Vec<String>) {
        for level in levels {
            let mut policies = Vec::new();
            for scp in &level.policies {
                match self.scp(&scp.id, &scp.document) {
                    Ok(policy) => policies.push((
                        format!("SCP {} ({}) on {}", scp.name, scp.id, level.target_id),
                        policy,
                    )),
                    Err(gap) => gaps.push(gap),
                }
            }
            set.add_scp_level(policies);
        }
    }
}

fn parse(document: &PolicyDocument) -> Result<Arc<Policy>, String> {
    Policy::from_value(&document.0)
        .map(Arc::new)
        .map_err(|err| format!("the policy engine cannot read it: {err}"))
}

/// The label a decision's reasons name the policy by.
fn label(applied: &AppliedPolicy<'_>) -> String {
    match applied.via_group {
        Some(group) => format!("{} (through group {group})", applied.source),
        None => applied.source.to_string(),
    }
}
