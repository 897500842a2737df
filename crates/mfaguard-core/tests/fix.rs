//! The generated policies, verified by the policy engine, and the what-if
//! plan on the demo account.

use std::path::Path;

use chrono::{DateTime, Utc};
use iam_policy::{Context, DecisionKind, MfaState, Policy, PolicySet, Request};
use mfaguard_core::fix::{self, Exemption, FixOptions, ScpOptions};
use mfaguard_core::identity::Tier;
use mfaguard_core::{Config, Snapshot};
use serde_json::json;

const ACCOUNT: &str = "111122223333";
const NINA: &str = "arn:aws:iam::111122223333:user/engineering/nina";

fn policy(value: &serde_json::Value) -> Policy {
    Policy::from_value(value).expect("generated policy parses")
}

fn admin() -> Policy {
    policy(&json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
}

fn nina(mfa: MfaState) -> Context {
    Context::new()
        .with("aws:username", "nina")
        .with("aws:PrincipalArn", NINA)
        .with_mfa(mfa)
}

fn decide(set: &PolicySet, action: &str, resource: &str, context: &Context) -> DecisionKind {
    set.evaluate(&Request::new(action, resource, context)).kind
}

const NO_MFA: [MfaState; 2] = [MfaState::LongTermKeys, MfaState::ConsoleWithoutMfa];
const WITH_MFA: MfaState = MfaState::WithMfa { age_seconds: 120 };

#[test]
fn self_service_policy_denies_everything_but_enrolment_without_mfa() {
    let generated = fix::self_service_policy("aws", ACCOUNT);
    let set = PolicySet::new()
        .with_identity("require-mfa", policy(&generated))
        .with_identity("admin", admin());
    for mfa in NO_MFA {
        let context = nina(mfa);
        for (action, resource) in [
            ("ec2:RunInstances", "*"),
            ("s3:GetObject", "arn:aws:s3:::bucket/key"),
            ("iam:CreateAccessKey", NINA),
            ("iam:DeactivateMFADevice", NINA),
            // Enrolling a device for someone else is denied without MFA.
            (
                "iam:EnableMFADevice",
                "arn:aws:iam::111122223333:user/alice",
            ),
            (
                "iam:CreateVirtualMFADevice",
                "arn:aws:iam::111122223333:mfa/alice",
            ),
            ("iam:ChangePassword", "arn:aws:iam::111122223333:user/alice"),
        ] {
            assert_eq!(
                decide(&set, action, resource, &context),
                DecisionKind::ExplicitDeny,
                "{action} on {resource} with {mfa:?}"
            );
        }
    }
    // Console without MFA: set up a device and change the initial password,
    // for a user with a path.
    let console = nina(MfaState::ConsoleWithoutMfa);
    for (action, resource) in [
        (
            "iam:CreateVirtualMFADevice",
            "arn:aws:iam::111122223333:mfa/nina",
        ),
        ("iam:EnableMFADevice", NINA),
        ("iam:ListMFADevices", NINA),
        ("iam:ResyncMFADevice", NINA),
        ("iam:ChangePassword", NINA),
        ("iam:GetAccountPasswordPolicy", "*"),
        ("iam:ListVirtualMFADevices", "*"),
    ] {
        assert_eq!(
            decide(&set, action, resource, &console),
            DecisionKind::Allowed,
            "{action} on {resource}"
        );
    }
    // With MFA everything the other policies allow is allowed.
    let with_mfa = nina(WITH_MFA);
    for (action, resource) in [
        ("ec2:RunInstances", "*"),
        ("iam:CreateAccessKey", NINA),
        ("iam:DeactivateMFADevice", NINA),
    ] {
        assert_eq!(
            decide(&set, action, resource, &with_mfa),
            DecisionKind::Allowed,
            "{action} with MFA"
        );
    }
}

#[test]
fn self_service_policy_alone_lets_a_user_with_a_path_enrol() {
    let set = PolicySet::new().with_identity(
        "require-mfa",
        policy(&fix::self_service_policy("aws", ACCOUNT)),
    );
    let console = nina(MfaState::ConsoleWithoutMfa);
    for (action, resource) in [
        (
            "iam:CreateVirtualMFADevice",
            "arn:aws:iam::111122223333:mfa/nina",
        ),
        ("iam:EnableMFADevice", NINA),
        ("iam:ChangePassword", NINA),
    ] {
        assert_eq!(
            decide(&set, action, resource, &console),
            DecisionKind::Allowed,
            "{action}"
        );
    }
    // The AWS-documented `user/${aws:username}` alone would not match her.
    let documented = policy(&json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:EnableMFADevice",
        "Resource": "arn:aws:iam::*:user/${aws:username}"}]}));
    let set = PolicySet::new().with_identity("documented", documented);
    assert_ne!(
        decide(&set, "iam:EnableMFADevice", NINA, &console),
        DecisionKind::Allowed
    );
}

fn scp_set(scp: &serde_json::Value) -> PolicySet {
    PolicySet::new()
        .with_scp_level([
            ("FullAWSAccess", admin()),
            ("deny-without-mfa", policy(scp)),
        ])
        .with_identity("admin", admin())
}

fn principal(arn: &str, mfa: MfaState) -> Context {
    Context::new().with("aws:PrincipalArn", arn).with_mfa(mfa)
}

#[test]
fn scp_denies_people_without_mfa_and_exempts_what_was_chosen() {
    let role = "arn:aws:iam::111122223333:role/service-role/image-resizer";
    let linked = "arn:aws:iam::111122223333:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport";
    let breakglass = "arn:aws:iam::111122223333:user/breakglass/admin";
    let defaults = scp_set(&fix::scp(&ScpOptions::default()));
    for mfa in NO_MFA {
        let user = principal(NINA, mfa);
        assert_eq!(
            decide(&defaults, "s3:GetObject", "*", &user),
            DecisionKind::ExplicitDeny
        );
        assert_eq!(
            decide(&defaults, "iam:CreateAccessKey", NINA, &user),
            DecisionKind::ExplicitDeny
        );
        assert_eq!(
            decide(&defaults, "iam:EnableMFADevice", NINA, &user),
            DecisionKind::Allowed
        );
        // Break-glass users need MFA unless their path is exempted.
        assert_eq!(
            decide(&defaults, "s3:GetObject", "*", &principal(breakglass, mfa)),
            DecisionKind::ExplicitDeny
        );
        // Role sessions of services are exempt by default.
        for arn in [role, linked] {
            assert_eq!(
                decide(&defaults, "s3:GetObject", "*", &principal(arn, mfa)),
                DecisionKind::Allowed
            );
        }
    }
    assert_eq!(
        decide(&defaults, "s3:GetObject", "*", &principal(NINA, WITH_MFA)),
        DecisionKind::Allowed
    );

    let strict = scp_set(&fix::scp(&ScpOptions {
        service_roles: Exemption::Include,
        service_linked_roles: Exemption::Exempt,
        breakglass_path: Some("/breakglass/".to_string()),
    }));
    let keys = MfaState::LongTermKeys;
    assert_eq!(
        decide(&strict, "s3:GetObject", "*", &principal(role, keys)),
        DecisionKind::ExplicitDeny
    );
    assert_eq!(
        decide(&strict, "s3:GetObject", "*", &principal(linked, keys)),
        DecisionKind::Allowed
    );
    assert_eq!(
        decide(&strict, "s3:GetObject", "*", &principal(breakglass, keys)),
        DecisionKind::Allowed
    );
}

#[test]
fn trust_patch_requires_mfa_keeps_external_id_and_services() {
    let before = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root", "Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"sts:ExternalId": "vendor-42"},
            "BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}
        }
    }]});
    let (after, keeps_external_id) = fix::patch_trust_policy(&before, Some(3600));
    assert!(keeps_external_id);
    let set = PolicySet::trust_policy("trust", policy(&after));
    let role = "arn:aws:iam::111122223333:role/ThirdPartyAuditor";
    let vendor = "arn:aws:iam::444455556666:user/auditor";
    let ask = |context: &Context, principal: &str| {
        set.evaluate(&Request::new("sts:AssumeRole", role, context).with_principal(principal))
            .kind
    };
    for mfa in NO_MFA {
        let context = Context::new()
            .with("sts:ExternalId", "vendor-42")
            .with_mfa(mfa);
        assert_ne!(ask(&context, vendor), DecisionKind::Allowed, "{mfa:?}");
    }
    let fresh = Context::new()
        .with("sts:ExternalId", "vendor-42")
        .with_mfa(WITH_MFA);
    assert_eq!(ask(&fresh, vendor), DecisionKind::Allowed);
    let stale = Context::new()
        .with("sts:ExternalId", "vendor-42")
        .with_mfa(MfaState::WithMfa { age_seconds: 7200 });
    assert_ne!(ask(&stale, vendor), DecisionKind::Allowed);
    let no_external_id = Context::new().with_mfa(WITH_MFA);
    assert_ne!(ask(&no_external_id, vendor), DecisionKind::Allowed);
    // The service keeps assuming it without MFA (its statement keeps the
    // original conditions).
    let service = Context::new()
        .with("sts:ExternalId", "vendor-42")
        .with_mfa(MfaState::LongTermKeys);
    assert_eq!(ask(&service, "ec2.amazonaws.com"), DecisionKind::Allowed);
}

fn demo() -> (Snapshot, Config, DateTime<Utc>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account");
    let now = "2026-11-22T12:00:00Z".parse().unwrap();
    let snapshot = mfaguard_core::offline::read_dir(&dir, now).unwrap();
    let config = Config::load(&dir.join("mfaguard.toml")).unwrap();
    (snapshot, config, now)
}

#[test]
fn demo_plan_names_lockouts_breakages_and_roles() {
    let (snapshot, config, now) = demo();
    let identities = mfaguard_core::inventory::build(&snapshot, &config);
    let change = fix::generate(&snapshot, &identities, &FixOptions::default());
    let (plan, patched) = fix::plan(&snapshot, &change, &config, now, 30);

    let lockouts: Vec<&str> = plan.lockouts.iter().map(|l| l.user.as_str()).collect();
    assert_eq!(
        lockouts,
        [
            "audit-ben",
            "audit-dora",
            "erin",
            "frank",
            "nina",
            "olga",
            "rootops"
        ]
    );
    let nina = plan.lockouts.iter().find(|l| l.user == "nina").unwrap();
    assert_eq!(nina.owner.as_deref(), Some("nina@example.com"));
    // After the change nina can enrol despite her path.
    assert_eq!(
        nina.verdict_after,
        Some(mfaguard_core::enforcement::Verdict::Enforced)
    );

    let automation: Vec<&str> = plan.automation.iter().map(|a| a.user.as_str()).collect();
    for user in ["contractor-hana", "frank"] {
        assert!(
            automation.contains(&user),
            "{user} missing from {automation:?}"
        );
    }
    // Machine users are not covered, so their keys keep working.
    for machine in ["backup-agent", "terraform", "ci-deployer"] {
        assert!(!automation.contains(&machine));
    }
    let hana = plan
        .automation
        .iter()
        .find(|a| a.user == "contractor-hana")
        .unwrap();
    assert!(hana
        .blocked_actions
        .iter()
        .any(|a| a == "codecommit:GitPush"));
    assert_eq!(hana.allowed_without_mfa_after, 0);

    let roles: Vec<&str> = plan
        .role_assumptions
        .iter()
        .map(|r| r.role.as_str())
        .collect();
    assert_eq!(
        roles,
        [
            "DataAnalystRole",
            "OrganizationAccountAccessRole",
            "SupportRole",
            "ThirdPartyAuditor"
        ]
    );
    assert!(plan.role_assumptions.iter().all(|r| r.requires_mfa_after));
    assert!(plan
        .role_assumptions
        .iter()
        .any(|r| r.role == "ThirdPartyAuditor" && r.keeps_external_id));

    for row in &plan.coverage {
        let after = &row.enforced_after;
        assert_eq!(after.covered, after.total, "{:?}", row.tier);
    }
    let human = plan
        .coverage
        .iter()
        .find(|r| r.tier == Tier::Human)
        .unwrap();
    assert!(human.enforced_before.covered < human.enforced_after.covered);
    let tiers: Vec<Tier> = plan.rollout.iter().map(|step| step.tier).collect();
    assert_eq!(
        tiers,
        [Tier::Root, Tier::Breakglass, Tier::Privileged, Tier::Human]
    );
    // Exactly one step creates the policy, before any attachment.
    let creates: usize = plan
        .rollout
        .iter()
        .flat_map(|step| step.cli.iter())
        .filter(|line| line.starts_with("aws iam create-policy"))
        .count();
    assert_eq!(creates, 1);

    // The patched snapshot keeps the original's identities.
    assert_eq!(
        patched
            .authorization_details
            .as_ref()
            .unwrap()
            .user_detail_list
            .len(),
        snapshot
            .authorization_details
            .as_ref()
            .unwrap()
            .user_detail_list
            .len()
    );
}
