//! Resolves which policy documents apply to a user or role: inline, attached
//! managed, through groups, and the permissions boundary.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::snapshot::{
    AttachedPolicy, AuthorizationDetails, GroupDetail, InlinePolicy, ManagedPolicyDetail,
    PolicyDocument, RoleDetail, UserDetail,
};

/// Where a policy document comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicySource {
    Managed { arn: String },
    Inline { owner_arn: String, name: String },
}

impl fmt::Display for PolicySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicySource::Managed { arn } => f.write_str(arn),
            PolicySource::Inline { owner_arn, name } => write!(f, "{owner_arn} (inline {name})"),
        }
    }
}

/// One policy that applies to an identity, and how it reached it.
#[derive(Debug, Clone)]
pub struct AppliedPolicy<'a> {
    pub source: PolicySource,
    /// The group it came through, if any.
    pub via_group: Option<&'a str>,
    /// `None` when the document is not in the inputs (a managed policy that
    /// `get-account-authorization-details` did not include).
    pub document: Option<&'a PolicyDocument>,
}

/// All identity-based policies of a user or role, plus its boundary.
#[derive(Debug, Clone, Default)]
pub struct ResolvedPolicies<'a> {
    pub identity: Vec<AppliedPolicy<'a>>,
    pub boundary: Option<AppliedPolicy<'a>>,
    /// Groups named by the user that the inputs do not describe.
    pub unknown_groups: Vec<String>,
}

/// Indexes of an authorization-details document for fast look-ups.
pub struct PolicyIndex<'a> {
    managed: HashMap<&'a str, &'a ManagedPolicyDetail>,
    groups: HashMap<&'a str, &'a GroupDetail>,
}

impl<'a> PolicyIndex<'a> {
    pub fn new(details: &'a AuthorizationDetails) -> PolicyIndex<'a> {
        PolicyIndex {
            managed: details
                .policies
                .iter()
                .map(|policy| (policy.arn.as_str(), policy))
                .collect(),
            groups: details
                .group_detail_list
                .iter()
                .map(|group| (group.group_name.as_str(), group))
                .collect(),
        }
    }

    pub fn managed_policy(&self, arn: &str) -> Option<&'a ManagedPolicyDetail> {
        self.managed.get(arn).copied()
    }

    fn managed(
        &self,
        attached: &'a AttachedPolicy,
        via_group: Option<&'a str>,
    ) -> AppliedPolicy<'a> {
        AppliedPolicy {
            source: PolicySource::Managed {
                arn: attached.policy_arn.clone(),
            },
            via_group,
            document: self
                .managed_policy(&attached.policy_arn)
                .and_then(ManagedPolicyDetail::default_document),
        }
    }

    fn inline(
        owner_arn: &str,
        inline: &'a InlinePolicy,
        via_group: Option<&'a str>,
    ) -> AppliedPolicy<'a> {
        AppliedPolicy {
            source: PolicySource::Inline {
                owner_arn: owner_arn.to_string(),
                name: inline.policy_name.clone(),
            },
            via_group,
            document: Some(&inline.policy_document),
        }
    }

    fn boundary(&self, arn: &str) -> AppliedPolicy<'a> {
        AppliedPolicy {
            source: PolicySource::Managed {
                arn: arn.to_string(),
            },
            via_group: None,
            document: self
                .managed_policy(arn)
                .and_then(ManagedPolicyDetail::default_document),
        }
    }

    pub fn for_user(&self, user: &'a UserDetail) -> ResolvedPolicies<'a> {
        let mut resolved = ResolvedPolicies::default();
        for inline in &user.user_policy_list {
            resolved
                .identity
                .push(Self::inline(&user.arn, inline, None));
        }
        for attached in &user.attached_managed_policies {
            resolved.identity.push(self.managed(attached, None));
        }
        for group_name in &user.group_list {
            match self.groups.get(group_name.as_str()) {
                Some(group) => {
                    let via = Some(group.group_name.as_str());
                    for inline in &group.group_policy_list {
                        resolved
                            .identity
                            .push(Self::inline(&group.arn, inline, via));
                    }
                    for attached in &group.attached_managed_policies {
                        resolved.identity.push(self.managed(attached, via));
                    }
                }
                None => resolved.unknown_groups.push(group_name.clone()),
            }
        }
        resolved.boundary = user
            .permissions_boundary
            .as_ref()
            .map(|boundary| self.boundary(&boundary.permissions_boundary_arn));
        resolved
    }

    pub fn for_role(&self, role: &'a RoleDetail) -> ResolvedPolicies<'a> {
        let mut resolved = ResolvedPolicies::default();
        for inline in &role.role_policy_list {
            resolved
                .identity
                .push(Self::inline(&role.arn, inline, None));
        }
        for attached in &role.attached_managed_policies {
            resolved.identity.push(self.managed(attached, None));
        }
        resolved.boundary = role
            .permissions_boundary
            .as_ref()
            .map(|boundary| self.boundary(&boundary.permissions_boundary_arn));
        resolved
    }
}
