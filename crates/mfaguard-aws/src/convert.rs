//! Converts AWS SDK types into the snapshot's types. Policy documents arrive
//! URL-encoded, as the IAM API returns them, and are decoded here.

use aws_sdk_iam::types as iam;
use chrono::{DateTime, Utc};

use mfaguard_core::snapshot::{
    AttachedPolicy, GroupDetail, InlinePolicy, ManagedPolicyDetail, MfaDevice, PermissionsBoundary,
    PolicyDocument, PolicyVersion, RoleDetail, Tag, UserDetail, VirtualMfaDevice, VirtualMfaUser,
};

pub fn time(value: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(value.secs(), value.subsec_nanos())
}

fn document(text: &str, what: &str) -> Result<PolicyDocument, String> {
    PolicyDocument::from_text(text).map_err(|err| format!("{what}: {err}"))
}

fn inline(policies: &[iam::PolicyDetail], owner: &str) -> Result<Vec<InlinePolicy>, String> {
    policies
        .iter()
        .map(|policy| {
            let name = policy.policy_name().unwrap_or_default().to_string();
            Ok(InlinePolicy {
                policy_document: document(
                    policy.policy_document().unwrap_or_default(),
                    &format!("{owner} inline policy {name}"),
                )?,
                policy_name: name,
            })
        })
        .collect()
}

fn attached(policies: &[iam::AttachedPolicy]) -> Vec<AttachedPolicy> {
    policies
        .iter()
        .map(|policy| AttachedPolicy {
            policy_name: policy.policy_name().unwrap_or_default().to_string(),
            policy_arn: policy.policy_arn().unwrap_or_default().to_string(),
        })
        .collect()
}

fn boundary(value: Option<&iam::AttachedPermissionsBoundary>) -> Option<PermissionsBoundary> {
    value.map(|boundary| PermissionsBoundary {
        permissions_boundary_type: boundary
            .permissions_boundary_type()
            .map(|kind| kind.as_str().to_string()),
        permissions_boundary_arn: boundary
            .permissions_boundary_arn()
            .unwrap_or_default()
            .to_string(),
    })
}

fn tags(tags: &[iam::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|tag| Tag {
            key: tag.key().to_string(),
            value: tag.value().to_string(),
        })
        .collect()
}

pub fn user(user: &iam::UserDetail) -> Result<UserDetail, String> {
    let arn = user.arn().unwrap_or_default().to_string();
    Ok(UserDetail {
        path: user.path().unwrap_or("/").to_string(),
        user_name: user.user_name().unwrap_or_default().to_string(),
        user_id: user.user_id().unwrap_or_default().to_string(),
        create_date: user.create_date().and_then(time),
        user_policy_list: inline(user.user_policy_list(), &arn)?,
        group_list: user.group_list().to_vec(),
        attached_managed_policies: attached(user.attached_managed_policies()),
        permissions_boundary: boundary(user.permissions_boundary()),
        tags: tags(user.tags()),
        arn,
    })
}

pub fn group(group: &iam::GroupDetail) -> Result<GroupDetail, String> {
    let arn = group.arn().unwrap_or_default().to_string();
    Ok(GroupDetail {
        path: group.path().unwrap_or("/").to_string(),
        group_name: group.group_name().unwrap_or_default().to_string(),
        group_id: group.group_id().unwrap_or_default().to_string(),
        create_date: group.create_date().and_then(time),
        group_policy_list: inline(group.group_policy_list(), &arn)?,
        attached_managed_policies: attached(group.attached_managed_policies()),
        arn,
    })
}

pub fn role(role: &iam::RoleDetail) -> Result<RoleDetail, String> {
    let arn = role.arn().unwrap_or_default().to_string();
    Ok(RoleDetail {
        path: role.path().unwrap_or("/").to_string(),
        role_name: role.role_name().unwrap_or_default().to_string(),
        role_id: role.role_id().unwrap_or_default().to_string(),
        create_date: role.create_date().and_then(time),
        assume_role_policy_document: role
            .assume_role_policy_document()
            .map(|text| document(text, &format!("{arn} trust policy")))
            .transpose()?,
        role_policy_list: inline(role.role_policy_list(), &arn)?,
        attached_managed_policies: attached(role.attached_managed_policies()),
        permissions_boundary: boundary(role.permissions_boundary()),
        tags: tags(role.tags()),
        arn,
    })
}

pub fn managed_policy(policy: &iam::ManagedPolicyDetail) -> Result<ManagedPolicyDetail, String> {
    let arn = policy.arn().unwrap_or_default().to_string();
    let versions = policy
        .policy_version_list()
        .iter()
        .map(|version| {
            let version_id = version.version_id().unwrap_or_default().to_string();
            Ok(PolicyVersion {
                document: version
                    .document()
                    .map(|text| document(text, &format!("{arn} version {version_id}")))
                    .transpose()?,
                version_id,
                is_default_version: version.is_default_version(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(ManagedPolicyDetail {
        policy_name: policy.policy_name().unwrap_or_default().to_string(),
        policy_id: policy.policy_id().unwrap_or_default().to_string(),
        path: policy.path().unwrap_or("/").to_string(),
        default_version_id: policy.default_version_id().map(str::to_string),
        policy_version_list: versions,
        arn,
    })
}

pub fn virtual_device(device: &iam::VirtualMfaDevice) -> VirtualMfaDevice {
    VirtualMfaDevice {
        serial_number: device.serial_number().to_string(),
        user: device.user().map(|user| VirtualMfaUser {
            user_name: Some(user.user_name().to_string()).filter(|name| !name.is_empty()),
            arn: user.arn().to_string(),
        }),
        enable_date: device.enable_date().and_then(time),
    }
}

pub fn mfa_device(device: &iam::MfaDevice) -> MfaDevice {
    MfaDevice {
        user_name: device.user_name().to_string(),
        serial_number: device.serial_number().to_string(),
        enable_date: time(device.enable_date()),
    }
}
