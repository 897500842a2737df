//! What-if: the generated change applied to a copy of the snapshot, and the
//! whole analysis run on both. The difference is the plan; nothing here
//! evaluates a policy itself.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::generate::{FixSet, TargetGroup};
use super::render::{render_terraform_step, StepParts};
use crate::config::Config;
use crate::enforcement::{NoMfaContext, Verdict};
use crate::identity::{Identity, IdentityType, Tier};
use crate::kpi::{self, Coverage};
use crate::report::{Report, Status};
use crate::snapshot::{
    AttachedPolicy, GroupDetail, ManagedPolicyDetail, PolicyDocument, PolicyVersion, Snapshot,
};
use crate::trust::TrustAssessment;

/// Enforced coverage of one tier, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierCoverage {
    pub tier: Tier,
    /// Console users whose policies enforce MFA, counted as the report's
    /// summary counts them ([`crate::kpi::enforcement_figure`]).
    pub enforced_before: Coverage,
    pub enforced_after: Coverage,
    /// Roles people assume that require MFA, counted as the strategy check
    /// counts them ([`crate::kpi::role_figure`]).
    pub roles_before: Coverage,
    pub roles_after: Coverage,
}

/// A console user with no device who, after the change, can do nothing
/// but enrol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lockout {
    pub user: String,
    pub tier: Tier,
    /// The `owner` tag, or the `team` tag, when there is one.
    pub owner: Option<String>,
    pub password_last_used: Option<DateTime<Utc>>,
    /// The verdict after the change (`locked_out` means the user could not
    /// even enrol: a policy of the account still blocks it).
    pub verdict_after: Option<Verdict>,
}

/// A user whose access keys were used recently and whose key calls the new
/// deny blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutomationBreak {
    pub user: String,
    pub owner: Option<String>,
    pub key_last_used: DateTime<Utc>,
    /// Actions allowed with access keys before and denied after (the
    /// sweep's sample, most dangerous first).
    pub blocked_actions: Vec<String>,
    /// How many catalogue actions the user could call without MFA (access
    /// keys or console) before and after.
    pub allowed_without_mfa_before: usize,
    pub allowed_without_mfa_after: usize,
}

/// A role whose assumption without MFA starts to fail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleBreak {
    pub role: String,
    pub callers: Vec<String>,
    pub keeps_external_id: bool,
    /// True when the patched trust policy is assessed as requiring MFA.
    pub requires_mfa_after: bool,
}

/// One step of the rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutStep {
    pub tier: Tier,
    pub title: String,
    pub identities: Vec<String>,
    pub cli: Vec<String>,
    /// Terraform for this step (empty when the step cannot be expressed as
    /// infrastructure as code, as for root).
    pub terraform: String,
    /// The checks that verify the step, and how.
    pub verify: Vec<String>,
}

/// The strategy check's result, before or after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyResult {
    pub status: Status,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub fix: FixSet,
    pub coverage: Vec<TierCoverage>,
    pub lockouts: Vec<Lockout>,
    pub automation: Vec<AutomationBreak>,
    pub role_assumptions: Vec<RoleBreak>,
    pub rollout: Vec<RolloutStep>,
    pub strategy_before: Option<StrategyResult>,
    pub strategy_after: Option<StrategyResult>,
    /// Failing results before and after, all checks.
    pub failing_before: usize,
    pub failing_after: usize,
}

fn policy_arn(fix: &FixSet) -> String {
    let account = if fix.account_id.is_empty() {
        "ACCOUNT_ID"
    } else {
        fix.account_id.as_str()
    };
    format!(
        "arn:{}:iam::{account}:policy/{}",
        fix.partition, fix.policy_name
    )
}

/// A copy of `snapshot` with the change applied: the policy created and
/// attached to the target groups, the new group created with its members,
/// the trust policies replaced. The SCP is not applied (it belongs to the
/// organisation, not to the account's snapshot).
pub fn apply(snapshot: &Snapshot, fix: &FixSet) -> Snapshot {
    let mut patched = snapshot.clone();
    let Some(details) = patched.authorization_details.as_mut() else {
        return patched;
    };
    let arn = policy_arn(fix);
    let attached = AttachedPolicy {
        policy_name: fix.policy_name.clone(),
        policy_arn: arn.clone(),
    };
    details.policies.retain(|policy| policy.arn != arn);
    details.policies.push(ManagedPolicyDetail {
        policy_name: fix.policy_name.clone(),
        policy_id: String::new(),
        arn: arn.clone(),
        path: "/".to_string(),
        default_version_id: Some("v1".to_string()),
        policy_version_list: vec![PolicyVersion {
            document: Some(PolicyDocument(fix.self_service_policy.clone())),
            version_id: "v1".to_string(),
            is_default_version: true,
        }],
    });
    for group in &mut details.group_detail_list {
        if fix
            .target_groups
            .iter()
            .any(|target| target.name == group.group_name)
            && !group
                .attached_managed_policies
                .iter()
                .any(|policy| policy.policy_arn == arn)
        {
            group.attached_managed_policies.push(attached.clone());
        }
    }
    if let Some(new_group) = &fix.new_group {
        if !details
            .group_detail_list
            .iter()
            .any(|group| group.group_name == new_group.name)
        {
            details.group_detail_list.push(GroupDetail {
                path: "/".to_string(),
                group_name: new_group.name.clone(),
                group_id: String::new(),
                arn: format!(
                    "arn:{}:iam::{}:group/{}",
                    fix.partition, fix.account_id, new_group.name
                ),
                create_date: None,
                group_policy_list: Vec::new(),
                attached_managed_policies: vec![attached.clone()],
            });
        }
        for user in &mut details.user_detail_list {
            if new_group.members.contains(&user.user_name)
                && !user.group_list.contains(&new_group.name)
            {
                user.group_list.push(new_group.name.clone());
            }
        }
    }
    for patch in &fix.trust_patches {
        if let Some(role) = details
            .role_detail_list
            .iter_mut()
            .find(|role| role.arn == patch.role_arn)
        {
            role.assume_role_policy_document = Some(PolicyDocument(patch.after.clone()));
        }
    }
    patched
}

fn owner(identity: &Identity) -> Option<String> {
    identity
        .tags
        .get("owner")
        .or_else(|| identity.tags.get("Owner"))
        .or_else(|| identity.tags.get("team"))
        .cloned()
}

fn requires_mfa(role: &Identity) -> bool {
    matches!(
        role.trust_assessment,
        Some(TrustAssessment::RequiresMfa { .. })
    )
}

fn coverage(before: &[Identity], after: &BTreeMap<&str, &Identity>) -> Vec<TierCoverage> {
    [Tier::Breakglass, Tier::Privileged, Tier::Human]
        .into_iter()
        .map(|tier| {
            let mut row = TierCoverage {
                tier,
                enforced_before: Coverage::default(),
                enforced_after: Coverage::default(),
                roles_before: Coverage::default(),
                roles_after: Coverage::default(),
            };
            for identity in before.iter().filter(|identity| identity.tier == tier) {
                let later = after.get(identity.arn.as_str());
                match identity.kind {
                    IdentityType::User => {
                        if let Some(figure) = kpi::enforcement_figure(identity) {
                            row.enforced_before.add(figure);
                        }
                        // A user gone from the patched copy is undecided.
                        let after = later.map_or(Some(None), |l| kpi::enforcement_figure(l));
                        if let Some(figure) = after {
                            row.enforced_after.add(figure);
                        }
                    }
                    IdentityType::Role => {
                        if let Some(figure) = kpi::role_figure(identity) {
                            row.roles_before.add(figure);
                            // A role gone from the patched copy is undecided.
                            let after = later.map_or(Some(None), |l| kpi::role_figure(l));
                            row.roles_after.add(after.flatten());
                        }
                    }
                    _ => {}
                }
            }
            row.enforced_before = row.enforced_before.finish();
            row.enforced_after = row.enforced_after.finish();
            row.roles_before = row.roles_before.finish();
            row.roles_after = row.roles_after.finish();
            row
        })
        .collect()
}

fn with_keys(identity: &Identity) -> Vec<&str> {
    identity
        .allowed_without_mfa
        .iter()
        .flat_map(|allowed| allowed.sample.iter())
        .filter(|action| action.without_mfa.contains(&NoMfaContext::AccessKeys))
        .map(|action| action.action)
        .collect()
}

fn allowed_count(identity: &Identity) -> usize {
    identity
        .allowed_without_mfa
        .as_ref()
        .map_or(0, |allowed| allowed.count)
}

fn strategy(report: &Report) -> Option<StrategyResult> {
    report
        .results
        .iter()
        .find(|result| result.check_id == "iam.mfa_enforcement_strategy")
        .map(|result| StrategyResult {
            status: result.status,
            message: result.message.clone(),
        })
}

/// Applies `fix` to a copy of `snapshot`, analyses both with `config` as of
/// `now`, and reports the difference. Keys used within `recent_days` count
/// as automation in use.
pub fn plan(
    snapshot: &Snapshot,
    fix: &FixSet,
    config: &Config,
    now: DateTime<Utc>,
    recent_days: i64,
) -> (Plan, Snapshot) {
    let patched = apply(snapshot, fix);
    let before = crate::analyze(std::slice::from_ref(snapshot), config, now);
    let after = crate::analyze(std::slice::from_ref(&patched), config, now);
    let after_by_arn: BTreeMap<&str, &Identity> = after
        .identities
        .iter()
        .map(|identity| (identity.arn.as_str(), identity))
        .collect();
    let covered = fix.covered_users();

    let mut lockouts = Vec::new();
    let mut automation = Vec::new();
    for user in before
        .identities
        .iter()
        .filter(|identity| identity.kind == IdentityType::User)
    {
        let Some(later) = after_by_arn.get(user.arn.as_str()) else {
            continue;
        };
        let newly_covered = covered.contains(user.name.as_str());
        if newly_covered && user.console_access == Some(true) && user.mfa.active != Some(true) {
            lockouts.push(Lockout {
                user: user.name.clone(),
                tier: user.tier,
                owner: owner(user),
                password_last_used: user.password_last_used,
                verdict_after: later.enforcement,
            });
        }
        let last_used = user
            .access_keys
            .iter()
            .filter(|key| key.active)
            .filter_map(|key| key.last_used)
            .max();
        let Some(last_used) = last_used else { continue };
        if now - last_used > Duration::days(recent_days) {
            continue;
        }
        let still: BTreeSet<&str> = with_keys(later).into_iter().collect();
        let blocked: Vec<String> = with_keys(user)
            .into_iter()
            .filter(|action| !still.contains(action))
            .map(str::to_string)
            .collect();
        let count_before = allowed_count(user);
        let count_after = allowed_count(later);
        if blocked.is_empty() && count_after >= count_before {
            continue;
        }
        automation.push(AutomationBreak {
            user: user.name.clone(),
            owner: owner(user),
            key_last_used: last_used,
            blocked_actions: blocked,
            allowed_without_mfa_before: count_before,
            allowed_without_mfa_after: count_after,
        });
    }

    let role_assumptions = fix
        .trust_patches
        .iter()
        .map(|patch| RoleBreak {
            role: patch.role_name.clone(),
            callers: patch.assumable_without_mfa.clone(),
            keeps_external_id: patch.keeps_external_id,
            requires_mfa_after: after_by_arn
                .get(patch.role_arn.as_str())
                .is_some_and(|role| requires_mfa(role)),
        })
        .collect();

    let failing = |report: &Report| report.count(Status::Fail);
    let plan = Plan {
        coverage: coverage(&before.identities, &after_by_arn),
        lockouts,
        automation,
        role_assumptions,
        rollout: rollout(fix, &before.identities),
        strategy_before: strategy(&before),
        strategy_after: strategy(&after),
        failing_before: failing(&before),
        failing_after: failing(&after),
        fix: fix.clone(),
    };
    (plan, patched)
}

/// The tier a group's step belongs to: the most critical of its members.
fn group_tier(group: &TargetGroup, tiers: &BTreeMap<&str, Tier>) -> Tier {
    group
        .members
        .iter()
        .filter_map(|member| tiers.get(member.as_str()).copied())
        .min()
        .unwrap_or(Tier::Human)
}

fn rollout(fix: &FixSet, identities: &[Identity]) -> Vec<RolloutStep> {
    let tiers: BTreeMap<&str, Tier> = identities
        .iter()
        .filter(|identity| identity.kind == IdentityType::User)
        .map(|identity| (identity.name.as_str(), identity.tier))
        .collect();
    let arn = policy_arn(fix);
    let policy_file = format!("{}.json", fix.policy_name);
    let mut steps = Vec::new();

    let root = identities
        .iter()
        .find(|identity| identity.kind == IdentityType::Root);
    let mut root_cli = vec![
        "# as root, in the console: Security credentials > Multi-factor authentication > Assign MFA device (choose a security key)".to_string(),
        "aws iam get-account-summary --query 'SummaryMap.[AccountMFAEnabled,AccountAccessKeysPresent]'".to_string(),
    ];
    if root.is_some_and(|root| root.active_access_keys() > 0) {
        root_cli.push(
            "# as root: aws iam list-access-keys, then aws iam delete-access-key --access-key-id KEY_ID for each"
                .to_string(),
        );
    }
    steps.push(RolloutStep {
        tier: Tier::Root,
        title: "Root: a FIDO security key (or hardware token), no access keys".to_string(),
        identities: root.map(|root| vec![root.name.clone()]).unwrap_or_default(),
        cli: root_cli,
        terraform: String::new(),
        verify: vec![
            "iam.root_mfa_enabled, iam.root_hardware_mfa, iam.root_access_keys: mfaguard scan --from DIR".to_string(),
        ],
    });

    let mut policy_created = false;
    for (tier, title, verify) in [
        (
            Tier::Breakglass,
            "Break-glass: hardware or FIDO MFA, then the deny-without-MFA policy",
            "iam.breakglass_hardware_mfa, iam.mfa_enforced_by_policy",
        ),
        (
            Tier::Privileged,
            "Privileged people: MFA enforced by policy, admin roles require MFA",
            "iam.privileged_user_mfa, iam.mfa_enforced_by_policy, iam.role_assumption_mfa",
        ),
        (
            Tier::Human,
            "Every other human: MFA enforced by policy, roles require MFA",
            "iam.console_user_mfa, iam.mfa_enforced_by_policy, iam.role_assumption_mfa, iam.mfa_enforcement_strategy",
        ),
    ] {
        let groups: Vec<&TargetGroup> = fix
            .target_groups
            .iter()
            .filter(|group| group_tier(group, &tiers) == tier)
            .collect();
        let new_members: Vec<&String> = fix
            .new_group
            .iter()
            .flat_map(|group| group.members.iter())
            .filter(|member| tiers.get(member.as_str()) == Some(&tier))
            .collect();
        let patches: Vec<_> = fix
            .trust_patches
            .iter()
            .filter(|patch| patch.tier == tier)
            .collect();
        let breakglass_users: Vec<&Identity> = identities
            .iter()
            .filter(|identity| identity.kind == IdentityType::User && identity.tier == tier)
            .filter(|_| tier == Tier::Breakglass)
            .filter(|user| user.mfa.phishing_resistant() != Some(true))
            .collect();
        if groups.is_empty()
            && new_members.is_empty()
            && patches.is_empty()
            && breakglass_users.is_empty()
        {
            continue;
        }
        let mut cli = Vec::new();
        let mut names: BTreeSet<String> = BTreeSet::new();
        for user in &breakglass_users {
            names.insert(user.name.clone());
            cli.push(format!(
                "aws iam enable-mfa-device --user-name {} --serial-number TOKEN_SERIAL --authentication-code1 CODE1 --authentication-code2 CODE2  # or register a FIDO key in the console",
                user.name
            ));
        }
        let needs_policy = !groups.is_empty() || !new_members.is_empty();
        let create_policy = needs_policy && !policy_created;
        if create_policy {
            cli.push(format!(
                "aws iam create-policy --policy-name {} --policy-document file://{policy_file}",
                fix.policy_name
            ));
            policy_created = true;
        }
        for group in &groups {
            names.extend(group.members.iter().cloned());
            cli.push(format!(
                "aws iam attach-group-policy --group-name {} --policy-arn {arn}",
                group.name
            ));
        }
        let create_group = !new_members.is_empty()
            && !steps.iter().any(|step: &RolloutStep| {
                step.cli
                    .iter()
                    .any(|line| line.starts_with("aws iam create-group"))
            });
        if let Some(group) = fix.new_group.as_ref().filter(|_| !new_members.is_empty()) {
            if create_group {
                cli.push(format!("aws iam create-group --group-name {}", group.name));
                cli.push(format!(
                    "aws iam attach-group-policy --group-name {} --policy-arn {arn}",
                    group.name
                ));
            }
            for member in &new_members {
                names.insert(member.to_string());
                cli.push(format!(
                    "aws iam add-user-to-group --group-name {} --user-name {member}",
                    group.name
                ));
            }
        }
        for patch in &patches {
            names.insert(patch.role_name.clone());
            cli.push(format!(
                "aws iam update-assume-role-policy --role-name {} --policy-document file://trust-{}.json",
                patch.role_name, patch.role_name
            ));
        }
        let terraform = render_terraform_step(
            fix,
            &StepParts {
                create_policy,
                groups: groups.iter().map(|group| group.name.as_str()).collect(),
                create_group,
                new_members: new_members.iter().map(|member| member.as_str()).collect(),
                trust_patches: patches.iter().map(|patch| patch.role_name.as_str()).collect(),
            },
        );
        steps.push(RolloutStep {
            tier,
            title: title.to_string(),
            identities: names.into_iter().collect(),
            cli,
            terraform,
            verify: vec![format!("{verify}: mfaguard scan --from DIR (after a fresh export)")],
        });
    }
    steps
}
