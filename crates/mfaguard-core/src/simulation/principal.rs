//! The user or role behind `--from DIR --principal NAME`: found by name
//! (exact, then ignoring case as IAM does), ARN or role-session ARN, with
//! close-name suggestions when absent; its real policies and request keys.

use iam_policy::{edit_distance, PolicySet};

use super::context::ContextKeys;
use super::SimulationError;
use crate::offline::{account_of_arn, AUTHORIZATION_DETAILS};
use crate::policies::PolicyIndex;
use crate::policy_set::PolicyCache;
use crate::snapshot::{AuthorizationDetails, RoleDetail, Snapshot, UserDetail};

/// A user or role found in the account.
pub enum Found<'a> {
    User(&'a UserDetail),
    /// The role, and the session name when an assumed-role ARN was given.
    Role(&'a RoleDetail, Option<String>),
}

/// The identity whose policies are evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `user` or `role`.
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
}

/// An identity's effective policies and the keys its requests carry.
pub struct AccountPolicies {
    pub set: PolicySet,
    pub keys: ContextKeys,
    /// The principal ARN of the request (a session ARN when one was named).
    pub principal_arn: String,
    pub identity: Principal,
    /// Policies that could not be evaluated.
    pub gaps: Vec<String>,
    /// Whether the account's service control policies are in the inputs.
    pub scps_known: bool,
}

/// The effective policies and request keys of `wanted` in `snapshot`.
pub fn account_policies(
    snapshot: &Snapshot,
    wanted: &str,
) -> Result<AccountPolicies, SimulationError> {
    let Some(details) = &snapshot.authorization_details else {
        return Err(SimulationError::Request(format!(
            "{}: {AUTHORIZATION_DETAILS} is missing: no policies to evaluate \
             (aws iam get-account-authorization-details --output json > {AUTHORIZATION_DETAILS})",
            snapshot.source.location
        )));
    };
    let index = PolicyIndex::new(details);
    let mut keys = ContextKeys::default();
    let (resolved, principal_arn, identity) = match find_principal(details, wanted)? {
        Found::User(user) => {
            let account = snapshot
                .account_id
                .clone()
                .or_else(|| account_of_arn(&user.arn));
            keys.set_user(
                &user.user_name,
                &user.user_id,
                &user.arn,
                account.as_deref(),
                &user.tags,
            );
            let identity = Principal {
                kind: "user",
                name: user.user_name.clone(),
                arn: user.arn.clone(),
            };
            (index.for_user(user), user.arn.clone(), identity)
        }
        Found::Role(role, session) => {
            let account = snapshot
                .account_id
                .clone()
                .or_else(|| account_of_arn(&role.arn));
            keys.set_role_session(
                &role.role_id,
                &role.arn,
                session.as_deref(),
                account.as_deref(),
                &role.tags,
            );
            // A session ARN when one was named: trust policies match both
            // the role's ARN and its sessions'.
            let principal_arn = match session {
                Some(_) => wanted.to_string(),
                None => role.arn.clone(),
            };
            let identity = Principal {
                kind: "role",
                name: role.role_name.clone(),
                arn: role.arn.clone(),
            };
            (index.for_role(role), principal_arn, identity)
        }
    };
    let effective = PolicyCache::new().effective(snapshot, &resolved);
    Ok(AccountPolicies {
        set: effective.set,
        keys,
        principal_arn,
        identity,
        gaps: effective.gaps,
        scps_known: effective.scps_known,
    })
}

/// Finds a user or role by name (exact, then ignoring case as IAM does) or
/// ARN, or a role by one of its session ARNs
/// (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`).
pub fn find_principal<'a>(
    details: &'a AuthorizationDetails,
    wanted: &str,
) -> Result<Found<'a>, SimulationError> {
    let users = &details.user_detail_list;
    let roles = &details.role_detail_list;
    if wanted.starts_with("arn:") {
        if let Some(user) = users.iter().find(|user| user.arn == wanted) {
            return Ok(Found::User(user));
        }
        if let Some(role) = roles.iter().find(|role| role.arn == wanted) {
            return Ok(Found::Role(role, None));
        }
        if let Some((name, session)) = wanted
            .split(':')
            .nth(5)
            .and_then(|resource| resource.strip_prefix("assumed-role/"))
            .and_then(|rest| rest.split_once('/'))
        {
            let account = account_of_arn(wanted);
            if let Some(role) = roles
                .iter()
                .find(|role| role.role_name == name && account_of_arn(&role.arn) == account)
            {
                return Ok(Found::Role(role, Some(session.to_string())));
            }
        }
        let name = wanted.rsplit(['/', ':']).next().unwrap_or(wanted);
        return Err(SimulationError::Principal(unknown_principal(
            wanted, name, details,
        )));
    }

    for exact in [true, false] {
        let same = |name: &str| {
            if exact {
                name == wanted
            } else {
                name.eq_ignore_ascii_case(wanted)
            }
        };
        let user = users.iter().find(|user| same(&user.user_name));
        let role = roles.iter().find(|role| same(&role.role_name));
        match (user, role) {
            (Some(user), Some(role)) => {
                return Err(SimulationError::Principal(format!(
                    "`{wanted}` is both a user and a role; give the ARN: {} or {}",
                    user.arn, role.arn
                )))
            }
            (Some(user), None) => return Ok(Found::User(user)),
            (None, Some(role)) => return Ok(Found::Role(role, None)),
            (None, None) => {}
        }
    }
    Err(SimulationError::Principal(unknown_principal(
        wanted, wanted, details,
    )))
}

/// "no user or role named X; did you mean A, B?" with the closest names.
fn unknown_principal(wanted: &str, name: &str, details: &AuthorizationDetails) -> String {
    let lower = name.to_lowercase();
    let mut close: Vec<(usize, &str)> = details
        .user_detail_list
        .iter()
        .map(|user| user.user_name.as_str())
        .chain(
            details
                .role_detail_list
                .iter()
                .map(|role| role.role_name.as_str()),
        )
        .filter_map(|candidate| {
            let candidate_lower = candidate.to_lowercase();
            let distance = edit_distance(&lower, &candidate_lower);
            let near = distance <= (lower.chars().count() / 3).max(2);
            let part = lower.chars().count() >= 3
                && (candidate_lower.contains(&lower) || lower.contains(&candidate_lower));
            (near || part).then_some((distance, candidate))
        })
        .collect();
    close.sort();
    close.dedup_by(|a, b| a.1 == b.1);
    let close: Vec<&str> = close.into_iter().take(5).map(|(_, name)| name).collect();
    let count = details.user_detail_list.len() + details.role_detail_list.len();
    let mut message =
        format!("no user or role `{wanted}` among the account's {count} users and roles");
    if !close.is_empty() {
        message.push_str(&format!("; did you mean {}?", close.join(", ")));
    }
    message
}
