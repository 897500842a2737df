//! Generates the change that enforces MFA in one account.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::enforcement::Verdict;
use crate::identity::{Identity, IdentityType, Tier};
use crate::snapshot::Snapshot;
use crate::trust::TrustAssessment;

/// Name of the generated self-service policy.
pub const DEFAULT_POLICY_NAME: &str = "MfaguardRequireMfa";
/// Name of the group created for people who are in no suitable group.
pub const DEFAULT_GROUP_NAME: &str = "MfaguardMfaRequired";
/// Name of the generated service control policy.
pub const DEFAULT_SCP_NAME: &str = "MfaguardDenyWithoutMfa";

/// What people may do without MFA: set up a device and change an initial
/// password. `sts:GetSessionToken` is listed because it is how access-key
/// users obtain MFA sessions (IAM does not control it, but an SCP-style deny
/// evaluator should not appear to block it).
const WITHOUT_MFA: &[&str] = &[
    "iam:ChangePassword",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetAccountPasswordPolicy",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
];

/// Exempt or include a kind of principal in the service control policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exemption {
    Exempt,
    Include,
}

/// The deliberate choices of the service control policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScpOptions {
    /// Roles (all of them but the service-linked ones): `Exempt` leaves
    /// role sessions alone (services, pipelines and people who assumed a
    /// role; MFA for people is then required by the trust policies);
    /// `Include` denies every role session without MFA, which breaks every
    /// role a service or pipeline assumes.
    pub service_roles: Exemption,
    /// Service-linked roles (`role/aws-service-role/...`). AWS does not
    /// apply SCPs to them; `Exempt` also says so in the policy.
    pub service_linked_roles: Exemption,
    /// Users under this path (for example `/breakglass/`) are exempt, so a
    /// break-glass account still works if its MFA device is lost.
    pub breakglass_path: Option<String>,
}

impl Default for ScpOptions {
    fn default() -> Self {
        ScpOptions {
            service_roles: Exemption::Exempt,
            service_linked_roles: Exemption::Exempt,
            breakglass_path: None,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixOptions {
    pub policy_name: String,
    pub group_name: String,
    pub scp_name: String,
    /// Tiers whose users and roles the change covers.
    pub tiers: BTreeSet<Tier>,
    /// Added to patched trust policies as `NumericLessThan
    /// aws:MultiFactorAuthAge`.
    pub max_mfa_age_seconds: Option<u64>,
    pub scp: ScpOptions,
}

impl Default for FixOptions {
    fn default() -> Self {
        FixOptions {
            policy_name: DEFAULT_POLICY_NAME.to_string(),
            group_name: DEFAULT_GROUP_NAME.to_string(),
            scp_name: DEFAULT_SCP_NAME.to_string(),
            tiers: [Tier::Breakglass, Tier::Privileged, Tier::Human]
                .into_iter()
                .collect(),
            max_mfa_age_seconds: None,
            scp: ScpOptions::default(),
        }
    }
}

/// An existing group the self-service policy is attached to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetGroup {
    pub name: String,
    pub arn: String,
    /// Its members that the policy newly covers.
    pub members: Vec<String>,
}

/// The group created for people in no suitable group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewGroup {
    pub name: String,
    pub members: Vec<String>,
}

/// A role's trust policy, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustPatch {
    pub role_name: String,
    pub role_arn: String,
    pub tier: Tier,
    pub before: Value,
    pub after: Value,
    /// Who could assume it without MFA.
    pub assumable_without_mfa: Vec<String>,
    /// Statements that keep `sts:ExternalId` (third parties).
    pub keeps_external_id: bool,
}

/// The generated change for one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixSet {
    pub account_id: String,
    pub partition: String,
    pub policy_name: String,
    pub self_service_policy: Value,
    pub target_groups: Vec<TargetGroup>,
    pub new_group: Option<NewGroup>,
    pub trust_patches: Vec<TrustPatch>,
    pub scp_name: String,
    pub scp: Value,
    pub scp_options: ScpOptions,
    /// What the change leaves out, and why.
    pub notes: Vec<String>,
}

impl FixSet {
    /// Every user the self-service policy will apply to.
    pub fn covered_users(&self) -> BTreeSet<&str> {
        self.target_groups
            .iter()
            .flat_map(|group| group.members.iter())
            .chain(self.new_group.iter().flat_map(|group| group.members.iter()))
            .map(String::as_str)
            .collect()
    }
}

fn strings(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|item| json!(item)).collect())
}

/// The self-service MFA policy for `account` in `partition`.
///
/// Unlike the AWS-documented example, the user resources match users with
/// a path (`user/*/${aws:username}` next to `user/${aws:username}`), and
/// an initial password can be changed before a device is enrolled.
pub fn self_service_policy(partition: &str, account: &str) -> Value {
    let own_user = json!([
        format!("arn:{partition}:iam::{account}:user/${{aws:username}}"),
        format!("arn:{partition}:iam::{account}:user/*/${{aws:username}}"),
    ]);
    let own_device = json!([
        format!("arn:{partition}:iam::{account}:mfa/${{aws:username}}"),
        format!("arn:{partition}:iam::{account}:mfa/*/${{aws:username}}"),
    ]);
    let mut own_resources = own_user.as_array().cloned().unwrap_or_default();
    own_resources.extend(own_device.as_array().cloned().unwrap_or_default());
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowViewAccountInfo",
                "Effect": "Allow",
                "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
                "Resource": "*"
            },
            {
                "Sid": "AllowManageOwnPasswordAndUser",
                "Effect": "Allow",
                "Action": ["iam:ChangePassword", "iam:GetUser"],
                "Resource": own_user
            },
            {
                "Sid": "AllowManageOwnVirtualMFADevice",
                "Effect": "Allow",
                "Action": ["iam:CreateVirtualMFADevice"],
                "Resource": own_device
            },
            {
                "Sid": "AllowManageOwnUserMFA",
                "Effect": "Allow",
                "Action": [
                    "iam:EnableMFADevice",
                    "iam:GetMFADevice",
                    "iam:ListMFADevices",
                    "iam:ResyncMFADevice"
                ],
                "Resource": own_user
            },
            {
                "Sid": "AllowRemoveOwnMFAOnlyWithMFA",
                "Effect": "Allow",
                "Action": ["iam:DeactivateMFADevice", "iam:DeleteVirtualMFADevice"],
                "Resource": own_resources,
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            },
            {
                "Sid": "DenyEnrolmentOfOthersWithoutMFA",
                "Effect": "Deny",
                "Action": [
                    "iam:CreateVirtualMFADevice",
                    "iam:EnableMFADevice",
                    "iam:ResyncMFADevice",
                    "iam:ChangePassword"
                ],
                "NotResource": own_resources,
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
            },
            {
                "Sid": "DenyAllExceptEnrolmentWithoutMFA",
                "Effect": "Deny",
                "NotAction": strings(WITHOUT_MFA),
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
            }
        ]
    })
}

/// The service control policy: deny everything but enrolment without MFA,
/// with the exemptions chosen in `options`.
pub fn scp(options: &ScpOptions) -> Value {
    let mut exempt = Vec::new();
    if options.service_linked_roles == Exemption::Exempt {
        exempt.push("arn:*:iam::*:role/aws-service-role/*".to_string());
    }
    if options.service_roles == Exemption::Exempt {
        exempt.push("arn:*:iam::*:role/*".to_string());
    }
    if let Some(path) = &options.breakglass_path {
        let path = path.trim_matches('/');
        if !path.is_empty() {
            exempt.push(format!("arn:*:iam::*:user/{path}/*"));
        }
    }
    let mut condition = Map::new();
    condition.insert(
        "BoolIfExists".into(),
        json!({"aws:MultiFactorAuthPresent": "false"}),
    );
    if !exempt.is_empty() {
        condition.insert("ArnNotLike".into(), json!({ "aws:PrincipalArn": exempt }));
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyAllExceptEnrolmentWithoutMFA",
                "Effect": "Deny",
                "NotAction": strings(WITHOUT_MFA),
                "Resource": "*",
                "Condition": Value::Object(condition)
            }
        ]
    })
}

fn field_key(object: &Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
}

fn is_mfa_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent")
        || key.eq_ignore_ascii_case("aws:MultiFactorAuthAge")
}

fn allows_assume_role(statement: &Map<String, Value>) -> bool {
    let effect = field_key(statement, "Effect")
        .and_then(|key| statement.get(&key))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !effect.eq_ignore_ascii_case("Allow") {
        return false;
    }
    let Some(actions) = field_key(statement, "Action").and_then(|key| statement.get(&key)) else {
        return false;
    };
    let list: Vec<&str> = match actions {
        Value::String(one) => vec![one.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    list.iter()
        .any(|action| iam_policy::wildcard_match(action, "sts:AssumeRole", true))
}

/// Splits a trust statement's principal into its AWS part and the rest
/// (services, federated providers), which must not get an MFA condition.
fn split_principal(statement: &Map<String, Value>) -> (Option<Value>, Option<Value>) {
    let Some(key) = field_key(statement, "Principal") else {
        return (None, None);
    };
    match statement.get(&key) {
        Some(Value::String(star)) if star == "*" => (Some(json!("*")), None),
        Some(Value::Object(principal)) => {
            let mut aws = None;
            let mut rest = Map::new();
            for (kind, value) in principal {
                if kind.eq_ignore_ascii_case("AWS") {
                    aws = Some(value.clone());
                } else {
                    rest.insert(kind.clone(), value.clone());
                }
            }
            let rest = (!rest.is_empty()).then_some(Value::Object(rest));
            (aws.map(|value| json!({ "AWS": value })), rest)
        }
        _ => (None, None),
    }
}

fn require_mfa(statement: &mut Map<String, Value>, max_age: Option<u64>) -> bool {
    let condition_key = field_key(statement, "Condition").unwrap_or_else(|| "Condition".into());
    let condition = statement
        .entry(condition_key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !condition.is_object() {
        *condition = Value::Object(Map::new());
    }
    let Value::Object(condition) = condition else {
        return false;
    };
    let mut keeps_age = None;
    for (operator, block) in condition.iter_mut() {
        if let Value::Object(block) = block {
            let lower = operator.to_ascii_lowercase();
            let sound_age = lower == "numericlessthan" || lower == "numericlessthanequals";
            let keys: Vec<String> = block
                .keys()
                .filter(|key| is_mfa_key(key))
                .cloned()
                .collect();
            for key in keys {
                if sound_age && key.eq_ignore_ascii_case("aws:MultiFactorAuthAge") {
                    keeps_age = Some(());
                    continue;
                }
                block.remove(&key);
            }
        }
    }
    condition.retain(|_, block| !matches!(block, Value::Object(map) if map.is_empty()));
    let bool_key = condition
        .keys()
        .find(|key| key.eq_ignore_ascii_case("Bool"))
        .cloned()
        .unwrap_or_else(|| "Bool".into());
    if let Value::Object(block) = condition
        .entry(bool_key)
        .or_insert_with(|| Value::Object(Map::new()))
    {
        block.insert("aws:MultiFactorAuthPresent".into(), json!("true"));
    }
    if let (Some(age), None) = (max_age, keeps_age) {
        if let Value::Object(block) = condition
            .entry("NumericLessThan".to_string())
            .or_insert_with(|| Value::Object(Map::new()))
        {
            block.insert("aws:MultiFactorAuthAge".into(), json!(age.to_string()));
        }
    }
    condition.values().any(|block| {
        block.as_object().is_some_and(|map| {
            map.keys()
                .any(|key| key.eq_ignore_ascii_case("sts:ExternalId"))
        })
    })
}

/// The trust policy with `Bool aws:MultiFactorAuthPresent true` (and the
/// age bound, when given) on every Allow of `sts:AssumeRole` to an AWS
/// principal. Other conditions, `sts:ExternalId` included, are kept; a
/// statement that also trusts a service or an identity provider is split
/// so that only the AWS principals need MFA. Returns the document and
/// whether a patched statement keeps `sts:ExternalId`.
pub fn patch_trust_policy(document: &Value, max_age: Option<u64>) -> (Value, bool) {
    let mut patched = document.clone();
    let mut keeps_external_id = false;
    let Some(object) = patched.as_object_mut() else {
        return (patched, false);
    };
    let Some(key) = field_key(object, "Statement") else {
        return (patched, false);
    };
    let statements: Vec<Value> = match object.get(&key) {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for statement in statements {
        let Value::Object(map) = &statement else {
            out.push(statement);
            continue;
        };
        if !allows_assume_role(map) {
            out.push(statement);
            continue;
        }
        let (aws, rest) = split_principal(map);
        let Some(aws) = aws else {
            out.push(statement);
            continue;
        };
        let principal_key = field_key(map, "Principal").unwrap_or_else(|| "Principal".into());
        if let Some(rest) = rest {
            let mut others = map.clone();
            others.insert(principal_key.clone(), rest);
            out.push(Value::Object(others));
        }
        let mut people = map.clone();
        people.insert(principal_key, aws);
        keeps_external_id |= require_mfa(&mut people, max_age);
        out.push(Value::Object(people));
    }
    object.insert(key, Value::Array(out));
    (patched, keeps_external_id)
}

fn partition_of(snapshot: &Snapshot) -> String {
    snapshot
        .authorization_details
        .as_ref()
        .and_then(|details| {
            details
                .user_detail_list
                .iter()
                .map(|user| user.arn.as_str())
                .chain(
                    details
                        .role_detail_list
                        .iter()
                        .map(|role| role.arn.as_str()),
                )
                .next()
        })
        .and_then(|arn| arn.split(':').nth(1))
        .unwrap_or("aws")
        .to_string()
}

fn already_enforced(user: &Identity) -> bool {
    matches!(user.enforcement, Some(Verdict::Enforced))
}

/// The change for the account in `snapshot`, whose identities (from
/// [`crate::inventory::build`]) are `identities`.
pub fn generate(snapshot: &Snapshot, identities: &[Identity], options: &FixOptions) -> FixSet {
    let account_id = snapshot.account_id.clone().unwrap_or_default();
    let partition = partition_of(snapshot);
    let mut notes = Vec::new();
    let account_for_arns = if account_id.is_empty() {
        notes.push(
            "the account ID is not in the inputs: the policy names `*` as the account".to_string(),
        );
        "*"
    } else {
        account_id.as_str()
    };

    let users: Vec<&Identity> = identities
        .iter()
        .filter(|identity| identity.kind == IdentityType::User)
        .collect();
    let people: Vec<&Identity> = users
        .iter()
        .copied()
        .filter(|user| options.tiers.contains(&user.tier) && user.console_access == Some(true))
        .collect();
    let to_cover: BTreeSet<&str> = people
        .iter()
        .filter(|user| !already_enforced(user))
        .map(|user| user.name.as_str())
        .collect();

    // Group name -> members.
    let mut members: BTreeMap<&str, Vec<&Identity>> = BTreeMap::new();
    for user in &users {
        for group in &user.groups {
            members.entry(group.as_str()).or_default().push(user);
        }
    }
    let group_arns: BTreeMap<&str, &str> = snapshot
        .authorization_details
        .iter()
        .flat_map(|details| details.group_detail_list.iter())
        .map(|group| (group.group_name.as_str(), group.arn.as_str()))
        .collect();

    let mut target_groups = Vec::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for (group, list) in &members {
        let newly: Vec<String> = list
            .iter()
            .filter(|user| to_cover.contains(user.name.as_str()))
            .map(|user| user.name.clone())
            .collect();
        if newly.is_empty() {
            continue;
        }
        let outsiders: Vec<&str> = list
            .iter()
            .filter(|user| {
                !(options.tiers.contains(&user.tier) && user.console_access == Some(true))
            })
            .map(|user| user.name.as_str())
            .collect();
        if !outsiders.is_empty() {
            notes.push(format!(
                "group {group} is not a target: it also holds {} (no console password or a tier not fixed), whose access keys the deny would block",
                outsiders.join(", ")
            ));
            continue;
        }
        covered.extend(newly.iter().cloned());
        target_groups.push(TargetGroup {
            name: group.to_string(),
            arn: group_arns
                .get(group)
                .copied()
                .unwrap_or_default()
                .to_string(),
            members: newly,
        });
    }
    let left: Vec<String> = to_cover
        .iter()
        .filter(|name| !covered.contains(**name))
        .map(|name| name.to_string())
        .collect();
    let new_group = (!left.is_empty()).then(|| NewGroup {
        name: options.group_name.clone(),
        members: left,
    });

    let mut trust_patches = Vec::new();
    for role in identities
        .iter()
        .filter(|identity| identity.kind == IdentityType::Role)
        .filter(|role| options.tiers.contains(&role.tier))
    {
        match &role.trust_assessment {
            Some(TrustAssessment::WithoutMfa { principals, .. }) => {
                let before = snapshot
                    .authorization_details
                    .as_ref()
                    .and_then(|details| {
                        details
                            .role_detail_list
                            .iter()
                            .find(|detail| detail.arn == role.arn)
                    })
                    .and_then(|detail| detail.assume_role_policy_document.as_ref())
                    .map(|document| document.0.clone());
                let Some(before) = before else { continue };
                let (after, keeps_external_id) =
                    patch_trust_policy(&before, options.max_mfa_age_seconds);
                trust_patches.push(TrustPatch {
                    role_name: role.name.clone(),
                    role_arn: role.arn.clone(),
                    tier: role.tier,
                    before,
                    after,
                    assumable_without_mfa: principals.clone(),
                    keeps_external_id,
                });
            }
            Some(TrustAssessment::Federated(providers)) => notes.push(format!(
                "role {} is federated ({}): require MFA at the identity provider; IAM cannot",
                role.name,
                providers.join(", ")
            )),
            Some(TrustAssessment::Unreadable(why)) => notes.push(format!(
                "role {}: {why}; its trust policy is not patched",
                role.name
            )),
            _ => {}
        }
    }

    FixSet {
        account_id: account_id.clone(),
        partition: partition.clone(),
        policy_name: options.policy_name.clone(),
        self_service_policy: self_service_policy(&partition, account_for_arns),
        target_groups,
        new_group,
        trust_patches,
        scp_name: options.scp_name.clone(),
        scp: scp(&options.scp),
        scp_options: options.scp.clone(),
        notes,
    }
}
