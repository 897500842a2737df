//! Which IAM API calls can change MFA posture, and which identities each
//! one changes. Names and parameters are those CloudTrail records in
//! `detail.requestParameters` (camelCase, as documented in the IAM API
//! reference).

use serde_json::Value;

use crate::{field_error, opt_str, EventError, Relevance, Subject};

/// How a call names what it changed.
#[derive(Clone, Copy)]
enum Route {
    /// `userName`; when absent the call acted on the caller (a user acting
    /// on itself, or root).
    User,
    /// `userName` and `newUserName` (a rename: the old name disappears).
    RenamedUser,
    /// `groupName`: the group and every member.
    Group,
    /// `groupName` and `newGroupName`.
    RenamedGroup,
    /// `roleName`.
    Role,
    /// `responseElements.role.roleName` (the service chose the name).
    CreatedServiceRole,
    /// `policyArn`: the policy's default version changed.
    PolicyVersion,
    /// `policyArn`, only when `setAsDefault` is true.
    NewPolicyVersion,
    /// `serialNumber` of a virtual MFA device.
    VirtualMfaDevice,
}

/// The routing table. An IAM call not listed here cannot change what the
/// analysis reads (the periodic full scan reconciles anything missed).
const ROUTES: &[(&str, Route)] = &[
    // Users and their console passwords.
    ("CreateUser", Route::User),
    ("DeleteUser", Route::User),
    ("UpdateUser", Route::RenamedUser),
    ("TagUser", Route::User),
    ("UntagUser", Route::User),
    ("CreateLoginProfile", Route::User),
    ("UpdateLoginProfile", Route::User),
    ("DeleteLoginProfile", Route::User),
    // MFA devices.
    ("EnableMFADevice", Route::User),
    ("DeactivateMFADevice", Route::User),
    ("DeleteVirtualMFADevice", Route::VirtualMfaDevice),
    // Long-term keys (never carry MFA).
    ("CreateAccessKey", Route::User),
    ("UpdateAccessKey", Route::User),
    ("DeleteAccessKey", Route::User),
    // User policies and boundaries.
    ("AttachUserPolicy", Route::User),
    ("DetachUserPolicy", Route::User),
    ("PutUserPolicy", Route::User),
    ("DeleteUserPolicy", Route::User),
    ("PutUserPermissionsBoundary", Route::User),
    ("DeleteUserPermissionsBoundary", Route::User),
    // Group membership is recorded on the user.
    ("AddUserToGroup", Route::User),
    ("RemoveUserFromGroup", Route::User),
    // Groups and their policies.
    ("CreateGroup", Route::Group),
    ("DeleteGroup", Route::Group),
    ("UpdateGroup", Route::RenamedGroup),
    ("AttachGroupPolicy", Route::Group),
    ("DetachGroupPolicy", Route::Group),
    ("PutGroupPolicy", Route::Group),
    ("DeleteGroupPolicy", Route::Group),
    // Roles, their trust and their policies.
    ("CreateRole", Route::Role),
    ("DeleteRole", Route::Role),
    ("CreateServiceLinkedRole", Route::CreatedServiceRole),
    ("UpdateAssumeRolePolicy", Route::Role),
    ("AttachRolePolicy", Route::Role),
    ("DetachRolePolicy", Route::Role),
    ("PutRolePolicy", Route::Role),
    ("DeleteRolePolicy", Route::Role),
    ("PutRolePermissionsBoundary", Route::Role),
    ("DeleteRolePermissionsBoundary", Route::Role),
    // Customer managed policies whose content changes.
    ("CreatePolicyVersion", Route::NewPolicyVersion),
    ("SetDefaultPolicyVersion", Route::PolicyVersion),
];

/// The IAM event names that are routed (for the EventBridge rule's
/// pattern and the documentation).
pub fn routed_event_names() -> Vec<&'static str> {
    ROUTES.iter().map(|(name, _)| *name).collect()
}

fn parameter<'a>(detail: &'a Value, name: &str) -> Result<Option<&'a str>, EventError> {
    opt_str(detail, &["requestParameters", name])
        .map_err(|_| {
            field_error(
                &format!("detail.requestParameters.{name}"),
                "is not a string",
            )
        })
        .map(|found| found.filter(|text| !text.is_empty()))
}

fn required_parameter<'a>(detail: &'a Value, name: &str) -> Result<&'a str, EventError> {
    parameter(detail, name)?
        .ok_or_else(|| field_error(&format!("detail.requestParameters.{name}"), "is missing"))
}

/// The caller, for calls that act on the caller when no user is named.
fn caller(detail: &Value, event_name: &str) -> Result<Subject, EventError> {
    let kind = opt_str(detail, &["userIdentity", "type"])?;
    match kind {
        Some("Root") => Ok(Subject::Root),
        Some("IAMUser") => match opt_str(detail, &["userIdentity", "userName"])? {
            Some(name) if !name.is_empty() => Ok(Subject::User(name.to_string())),
            _ => Err(field_error(
                "detail.userIdentity.userName",
                format!("is missing, and {event_name} names no user"),
            )),
        },
        other => Err(field_error(
            "detail.requestParameters.userName",
            format!(
                "is missing, and the caller is {} (not a user or root) so {event_name} names no user",
                other.unwrap_or("unknown")
            ),
        )),
    }
}

/// Routes one IAM API call (source `aws.iam`).
pub fn route_api_call(event_name: &str, detail: &Value) -> Result<Relevance, EventError> {
    if let Some(code) = opt_str(detail, &["errorCode"])? {
        return Ok(Relevance::Ignored(format!(
            "{event_name} failed ({code}): nothing changed"
        )));
    }
    if detail.get("readOnly") == Some(&Value::Bool(true)) {
        return Ok(Relevance::Ignored(format!(
            "{event_name} is a read-only call"
        )));
    }
    let Some((_, route)) = ROUTES.iter().find(|(name, _)| *name == event_name) else {
        return Ok(Relevance::Ignored(format!(
            "{event_name} does not change MFA posture"
        )));
    };
    let mut subjects = match route {
        Route::User => match parameter(detail, "userName")? {
            Some(name) => vec![Subject::User(name.to_string())],
            None => vec![caller(detail, event_name)?],
        },
        Route::RenamedUser => {
            let mut subjects = vec![Subject::User(
                required_parameter(detail, "userName")?.to_string(),
            )];
            if let Some(new) = parameter(detail, "newUserName")? {
                subjects.push(Subject::User(new.to_string()));
            }
            subjects
        }
        Route::Group => vec![Subject::Group(
            required_parameter(detail, "groupName")?.to_string(),
        )],
        Route::RenamedGroup => {
            let mut subjects = vec![Subject::Group(
                required_parameter(detail, "groupName")?.to_string(),
            )];
            if let Some(new) = parameter(detail, "newGroupName")? {
                subjects.push(Subject::Group(new.to_string()));
            }
            subjects
        }
        Route::Role => vec![Subject::Role(
            required_parameter(detail, "roleName")?.to_string(),
        )],
        Route::CreatedServiceRole => {
            match opt_str(detail, &["responseElements", "role", "roleName"])? {
                Some(name) if !name.is_empty() => vec![Subject::Role(name.to_string())],
                _ => {
                    return Err(field_error(
                        "detail.responseElements.role.roleName",
                        "is missing",
                    ))
                }
            }
        }
        Route::PolicyVersion => vec![Subject::ManagedPolicy(
            required_parameter(detail, "policyArn")?.to_string(),
        )],
        Route::NewPolicyVersion => {
            let arn = required_parameter(detail, "policyArn")?;
            match detail
                .get("requestParameters")
                .and_then(|p| p.get("setAsDefault"))
            {
                Some(Value::Bool(true)) => vec![Subject::ManagedPolicy(arn.to_string())],
                Some(Value::Bool(false)) | Some(Value::Null) | None => {
                    return Ok(Relevance::Ignored(format!(
                        "{event_name} did not make the new version the default"
                    )))
                }
                Some(_) => {
                    return Err(field_error(
                        "detail.requestParameters.setAsDefault",
                        "is not a boolean",
                    ))
                }
            }
        }
        Route::VirtualMfaDevice => vec![Subject::VirtualMfaDevice(
            required_parameter(detail, "serialNumber")?.to_string(),
        )],
    };
    subjects.sort();
    subjects.dedup();
    Ok(Relevance::Change(subjects))
}
