//! Checks on the inputs that their types cannot express: no entity listed
//! twice, and names, paths and ARNs within the limits IAM itself enforces
//! ("IAM and AWS STS quotas, name requirements, and character limits" in
//! the IAM User Guide, and the IAM API reference). A value IAM could not
//! have produced means the file was not exported from IAM as it stands;
//! reading it anyway would let one oversized or repeated entry silently
//! change or bloat the report.

use std::collections::HashMap;
use std::path::Path;

use crate::error::InputError;
use crate::snapshot::{
    AttachedPolicy, AuthorizationDetails, InlinePolicy, MfaDevice, Tag, VirtualMfaDevice,
};

/// User names: 1 to 64 characters.
pub const MAX_USER_NAME: usize = 64;
/// Role names: 1 to 64 characters.
pub const MAX_ROLE_NAME: usize = 64;
/// Group names: 1 to 128 characters.
pub const MAX_GROUP_NAME: usize = 128;
/// Managed and inline policy names: 1 to 128 characters.
pub const MAX_POLICY_NAME: usize = 128;
/// Paths: 1 to 512 characters.
pub const MAX_PATH: usize = 512;
/// ARNs: 20 to 2048 characters.
pub const MAX_ARN: usize = 2048;
/// Unique IDs (`AIDA…`, `AROA…`): at most 128 characters.
pub const MAX_UNIQUE_ID: usize = 128;
/// MFA device serial numbers: 9 to 256 characters.
pub const MAX_SERIAL_NUMBER: usize = 256;
/// Tag keys: 1 to 128 characters.
pub const MAX_TAG_KEY: usize = 128;
/// Tag values: at most 256 characters.
pub const MAX_TAG_VALUE: usize = 256;

/// Fails when `value` is longer than `max` characters (or empty where IAM
/// requires a value). The message quotes only the start of the value.
pub fn check_length(
    path: &Path,
    pointer: &str,
    what: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<(), InputError> {
    let length = value.chars().count();
    if required && length == 0 {
        return Err(InputError::invalid(
            path,
            pointer,
            format!("{what} is empty"),
        ));
    }
    if length > max {
        return Err(InputError::invalid(
            path,
            pointer,
            format!(
                "{what} `{}` is {length} characters long; IAM allows at most {max}",
                preview(value)
            ),
        ));
    }
    Ok(())
}

/// The first characters of a value, for a message.
fn preview(value: &str) -> String {
    const SHOWN: usize = 24;
    if value.chars().count() <= SHOWN {
        value.to_string()
    } else {
        format!("{}…", value.chars().take(SHOWN).collect::<String>())
    }
}

/// Remembers where each key was first seen and fails on the second.
struct Seen<'a> {
    path: &'a Path,
    what: &'static str,
    first: HashMap<String, String>,
}

impl<'a> Seen<'a> {
    fn new(path: &'a Path, what: &'static str) -> Seen<'a> {
        Seen {
            path,
            what,
            first: HashMap::new(),
        }
    }

    fn insert(&mut self, key: String, label: &str, pointer: String) -> Result<(), InputError> {
        match self.first.get(&key) {
            Some(first) => Err(InputError::invalid(
                self.path,
                &pointer,
                format!(
                    "{} `{}` is listed twice (first at {first}): the export is damaged or two exports were merged",
                    self.what,
                    preview(label)
                ),
            )),
            None => {
                self.first.insert(key, pointer);
                Ok(())
            }
        }
    }
}

/// The merged `get-account-authorization-details` document; `prefix` is the
/// JSON pointer of the document in its file (empty for the CLI's file).
pub fn authorization_details(
    path: &Path,
    prefix: &str,
    details: &AuthorizationDetails,
) -> Result<(), InputError> {
    // IAM names are unique regardless of case.
    let mut user_names = Seen::new(path, "user");
    let mut user_arns = Seen::new(path, "user ARN");
    for (i, user) in details.user_detail_list.iter().enumerate() {
        let at = format!("{prefix}/UserDetailList/{i}");
        let length = |field: &str, value: &str, max: usize, required: bool| {
            check_length(path, &format!("{at}/{field}"), field, value, max, required)
        };
        length("UserName", &user.user_name, MAX_USER_NAME, true)?;
        length("Path", &user.path, MAX_PATH, false)?;
        length("Arn", &user.arn, MAX_ARN, true)?;
        length("UserId", &user.user_id, MAX_UNIQUE_ID, false)?;
        for (g, group) in user.group_list.iter().enumerate() {
            check_length(
                path,
                &format!("{at}/GroupList/{g}"),
                "group name",
                group,
                MAX_GROUP_NAME,
                true,
            )?;
        }
        inline_policies(
            path,
            &format!("{at}/UserPolicyList"),
            &user.user_policy_list,
        )?;
        attached_policies(
            path,
            &format!("{at}/AttachedManagedPolicies"),
            &user.attached_managed_policies,
        )?;
        tags(path, &format!("{at}/Tags"), &user.tags)?;
        user_names.insert(user.user_name.to_lowercase(), &user.user_name, at.clone())?;
        user_arns.insert(user.arn.clone(), &user.arn, at)?;
    }
    let mut group_names = Seen::new(path, "group");
    for (i, group) in details.group_detail_list.iter().enumerate() {
        let at = format!("{prefix}/GroupDetailList/{i}");
        let length = |field: &str, value: &str, max: usize, required: bool| {
            check_length(path, &format!("{at}/{field}"), field, value, max, required)
        };
        length("GroupName", &group.group_name, MAX_GROUP_NAME, true)?;
        length("Path", &group.path, MAX_PATH, false)?;
        length("Arn", &group.arn, MAX_ARN, true)?;
        length("GroupId", &group.group_id, MAX_UNIQUE_ID, false)?;
        inline_policies(
            path,
            &format!("{at}/GroupPolicyList"),
            &group.group_policy_list,
        )?;
        attached_policies(
            path,
            &format!("{at}/AttachedManagedPolicies"),
            &group.attached_managed_policies,
        )?;
        group_names.insert(group.group_name.to_lowercase(), &group.group_name, at)?;
    }
    let mut role_names = Seen::new(path, "role");
    for (i, role) in details.role_detail_list.iter().enumerate() {
        let at = format!("{prefix}/RoleDetailList/{i}");
        let length = |field: &str, value: &str, max: usize, required: bool| {
            check_length(path, &format!("{at}/{field}"), field, value, max, required)
        };
        length("RoleName", &role.role_name, MAX_ROLE_NAME, true)?;
        length("Path", &role.path, MAX_PATH, false)?;
        length("Arn", &role.arn, MAX_ARN, true)?;
        length("RoleId", &role.role_id, MAX_UNIQUE_ID, false)?;
        inline_policies(
            path,
            &format!("{at}/RolePolicyList"),
            &role.role_policy_list,
        )?;
        attached_policies(
            path,
            &format!("{at}/AttachedManagedPolicies"),
            &role.attached_managed_policies,
        )?;
        tags(path, &format!("{at}/Tags"), &role.tags)?;
        role_names.insert(role.role_name.to_lowercase(), &role.role_name, at)?;
    }
    let mut policy_arns = Seen::new(path, "managed policy");
    for (i, policy) in details.policies.iter().enumerate() {
        let at = format!("{prefix}/Policies/{i}");
        let length = |field: &str, value: &str, max: usize, required: bool| {
            check_length(path, &format!("{at}/{field}"), field, value, max, required)
        };
        length("PolicyName", &policy.policy_name, MAX_POLICY_NAME, false)?;
        length("Path", &policy.path, MAX_PATH, false)?;
        length("Arn", &policy.arn, MAX_ARN, true)?;
        length("PolicyId", &policy.policy_id, MAX_UNIQUE_ID, false)?;
        policy_arns.insert(policy.arn.clone(), &policy.arn, at)?;
    }
    Ok(())
}

fn inline_policies(path: &Path, at: &str, policies: &[InlinePolicy]) -> Result<(), InputError> {
    let mut names = Seen::new(path, "inline policy");
    for (i, policy) in policies.iter().enumerate() {
        let pointer = format!("{at}/{i}/PolicyName");
        check_length(
            path,
            &pointer,
            "PolicyName",
            &policy.policy_name,
            MAX_POLICY_NAME,
            true,
        )?;
        names.insert(policy.policy_name.clone(), &policy.policy_name, pointer)?;
    }
    Ok(())
}

fn attached_policies(path: &Path, at: &str, policies: &[AttachedPolicy]) -> Result<(), InputError> {
    for (i, policy) in policies.iter().enumerate() {
        check_length(
            path,
            &format!("{at}/{i}/PolicyName"),
            "PolicyName",
            &policy.policy_name,
            MAX_POLICY_NAME,
            false,
        )?;
        check_length(
            path,
            &format!("{at}/{i}/PolicyArn"),
            "PolicyArn",
            &policy.policy_arn,
            MAX_ARN,
            true,
        )?;
    }
    Ok(())
}

fn tags(path: &Path, at: &str, tags: &[Tag]) -> Result<(), InputError> {
    for (i, tag) in tags.iter().enumerate() {
        check_length(
            path,
            &format!("{at}/{i}/Key"),
            "tag key",
            &tag.key,
            MAX_TAG_KEY,
            true,
        )?;
        check_length(
            path,
            &format!("{at}/{i}/Value"),
            "tag value",
            &tag.value,
            MAX_TAG_VALUE,
            false,
        )?;
    }
    Ok(())
}

/// `list-virtual-mfa-devices`; `at` is the pointer of the list.
pub fn virtual_mfa_devices(
    path: &Path,
    at: &str,
    devices: &[VirtualMfaDevice],
) -> Result<(), InputError> {
    let mut serials = Seen::new(path, "MFA device");
    for (i, device) in devices.iter().enumerate() {
        let pointer = format!("{at}/{i}/SerialNumber");
        check_length(
            path,
            &pointer,
            "SerialNumber",
            &device.serial_number,
            MAX_SERIAL_NUMBER,
            true,
        )?;
        if let Some(user) = &device.user {
            check_length(
                path,
                &format!("{at}/{i}/User/Arn"),
                "Arn",
                &user.arn,
                MAX_ARN,
                true,
            )?;
            if let Some(name) = &user.user_name {
                check_length(
                    path,
                    &format!("{at}/{i}/User/UserName"),
                    "UserName",
                    name,
                    MAX_USER_NAME,
                    false,
                )?;
            }
        }
        serials.insert(device.serial_number.clone(), &device.serial_number, pointer)?;
    }
    Ok(())
}

/// Merged `list-mfa-devices`; `at` is the pointer of the list. A device may
/// appear once per user only.
pub fn mfa_devices(path: &Path, at: &str, devices: &[MfaDevice]) -> Result<(), InputError> {
    let mut seen = Seen::new(path, "MFA device");
    for (i, device) in devices.iter().enumerate() {
        check_length(
            path,
            &format!("{at}/{i}/UserName"),
            "UserName",
            &device.user_name,
            MAX_USER_NAME,
            true,
        )?;
        let pointer = format!("{at}/{i}/SerialNumber");
        check_length(
            path,
            &pointer,
            "SerialNumber",
            &device.serial_number,
            MAX_SERIAL_NUMBER,
            true,
        )?;
        seen.insert(
            format!("{}\u{0}{}", device.user_name, device.serial_number),
            &device.serial_number,
            pointer,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlong_value_is_named_without_quoting_it_whole() {
        let name = "a".repeat(65);
        let err = check_length(
            Path::new("d.json"),
            "/UserDetailList/0/UserName",
            "UserName",
            &name,
            MAX_USER_NAME,
            true,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "d.json: at /UserDetailList/0/UserName: UserName `aaaaaaaaaaaaaaaaaaaaaaaa…` is 65 characters long; IAM allows at most 64"
        );
        assert!(check_length(Path::new("d.json"), "/x", "UserName", &name[..64], 64, true).is_ok());
    }
}
