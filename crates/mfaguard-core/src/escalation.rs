//! The privilege-escalation set: IAM actions that let their holder grant
//! itself (or anyone) more permissions, and so make it as good as an
//! administrator. An identity allowed any of these (with MFA) is privileged.
//!
//! Sources:
//! - AWS IAM User Guide, "Security best practices in IAM" and "Grant least
//!   privilege" (permissions management actions are the ones that change
//!   permissions): <https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html>
//! - AWS Service Authorization Reference, IAM actions with access level
//!   "Permissions management": <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html>
//! - AWS IAM User Guide, "Granting a user permissions to pass a role to an
//!   AWS service" (passing a privileged role to compute acts with its
//!   permissions): <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html>
//! - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and
//!   Mitigation" (the public catalogue of 21 escalation paths).

/// An action that escalates on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationAction {
    pub action: &'static str,
    pub why: &'static str,
}

/// `iam:PassRole` together with an action that runs code as the passed role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassRoleCombination {
    pub action: &'static str,
    pub service: &'static str,
}

pub const ESCALATION_ACTIONS: &[EscalationAction] = &[
    EscalationAction {
        action: "iam:CreatePolicyVersion",
        why: "rewrites a managed policy it is attached to, with --set-as-default",
    },
    EscalationAction {
        action: "iam:SetDefaultPolicyVersion",
        why: "switches a managed policy to a more permissive existing version",
    },
    EscalationAction {
        action: "iam:AttachUserPolicy",
        why: "attaches AdministratorAccess to a user",
    },
    EscalationAction {
        action: "iam:AttachGroupPolicy",
        why: "attaches AdministratorAccess to a group it belongs to",
    },
    EscalationAction {
        action: "iam:AttachRolePolicy",
        why: "attaches AdministratorAccess to a role it can assume",
    },
    EscalationAction {
        action: "iam:PutUserPolicy",
        why: "writes an inline policy granting anything to a user",
    },
    EscalationAction {
        action: "iam:PutGroupPolicy",
        why: "writes an inline policy granting anything to a group",
    },
    EscalationAction {
        action: "iam:PutRolePolicy",
        why: "writes an inline policy granting anything to a role",
    },
    EscalationAction {
        action: "iam:AddUserToGroup",
        why: "joins a more privileged group",
    },
    EscalationAction {
        action: "iam:CreateAccessKey",
        why: "creates access keys for another (privileged) user",
    },
    EscalationAction {
        action: "iam:CreateLoginProfile",
        why: "sets a console password for another user",
    },
    EscalationAction {
        action: "iam:UpdateLoginProfile",
        why: "changes another user's console password",
    },
    EscalationAction {
        action: "iam:UpdateAssumeRolePolicy",
        why: "makes a privileged role assumable by itself",
    },
    EscalationAction {
        action: "iam:DeleteUserPermissionsBoundary",
        why: "removes the boundary that limits a user",
    },
    EscalationAction {
        action: "iam:DeleteRolePermissionsBoundary",
        why: "removes the boundary that limits a role",
    },
    EscalationAction {
        action: "iam:PutUserPermissionsBoundary",
        why: "replaces a user's boundary with a permissive one",
    },
    EscalationAction {
        action: "iam:PutRolePermissionsBoundary",
        why: "replaces a role's boundary with a permissive one",
    },
    EscalationAction {
        action: "iam:CreateServiceSpecificCredential",
        why: "creates credentials for another user",
    },
    EscalationAction {
        action: "organizations:DetachPolicy",
        why: "removes the SCPs that restrict accounts",
    },
    EscalationAction {
        action: "sso:CreatePermissionSet",
        why: "defines new permission sets for the organisation",
    },
    EscalationAction {
        action: "sso:PutInlinePolicyToPermissionSet",
        why: "grants anything through an existing permission set",
    },
    EscalationAction {
        action: "sso:AttachManagedPolicyToPermissionSet",
        why: "grants AdministratorAccess through a permission set",
    },
    EscalationAction {
        action: "sso:CreateAccountAssignment",
        why: "assigns itself any permission set in any account",
    },
];

/// With `iam:PassRole`, these run code as the passed role.
/// Escalation actions that escalate only when done to another user: every
/// user may manage its own keys, password and service credentials (the AWS
/// documented self-service policies allow exactly that).
pub const ONLY_FOR_OTHERS: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
];

pub const PASSROLE_COMBINATIONS: &[PassRoleCombination] = &[
    PassRoleCombination {
        action: "ec2:RunInstances",
        service: "EC2",
    },
    PassRoleCombination {
        action: "lambda:CreateFunction",
        service: "Lambda",
    },
    PassRoleCombination {
        action: "lambda:UpdateFunctionConfiguration",
        service: "Lambda",
    },
    PassRoleCombination {
        action: "glue:CreateDevEndpoint",
        service: "Glue",
    },
    PassRoleCombination {
        action: "glue:CreateJob",
        service: "Glue",
    },
    PassRoleCombination {
        action: "cloudformation:CreateStack",
        service: "CloudFormation",
    },
    PassRoleCombination {
        action: "datapipeline:CreatePipeline",
        service: "Data Pipeline",
    },
    PassRoleCombination {
        action: "ecs:RunTask",
        service: "ECS",
    },
    PassRoleCombination {
        action: "sagemaker:CreateNotebookInstance",
        service: "SageMaker",
    },
    PassRoleCombination {
        action: "codebuild:CreateProject",
        service: "CodeBuild",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_service_prefixed_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for entry in ESCALATION_ACTIONS {
            assert!(entry.action.contains(':'), "{}", entry.action);
            assert!(
                seen.insert(entry.action.to_ascii_lowercase()),
                "{}",
                entry.action
            );
        }
        for entry in PASSROLE_COMBINATIONS {
            assert!(entry.action.contains(':'), "{}", entry.action);
        }
    }
}
