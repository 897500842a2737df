//! Public API behaviour: decision serialization, builders, the fast path,
//! helpers the analysis relies on.

use std::sync::Arc;

use iam_policy::{
    wildcard_match, Context, DecisionKind, Layer, MfaState, Policy, PolicySet, Request,
    ResourcePolicyMode, World,
};
use serde_json::json;

const FORCE_MFA: &str = include_str!("corpus/policies/force_mfa.json");
const ALLOW_ALL: &str = include_str!("corpus/policies/allow_all.json");

fn policy(text: &str) -> Policy {
    Policy::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn decision_serializes_for_the_cli() {
    let set = PolicySet::new()
        .with_identity("Force_MFA", policy(FORCE_MFA))
        .with_identity("AdministratorAccess", policy(ALLOW_ALL));
    let ctx = Context::new().with("aws:username", "alice");
    let d = set.evaluate(&Request::new("ec2:DescribeInstances", "*", &ctx));
    assert_eq!(
        serde_json::to_value(&d).expect("serializes"),
        json!({
            "decision": "explicit_deny",
            "reasons": [{
                "layer": "identity",
                "policy": "Force_MFA",
                "statement": 3,
                "sid": "DenyAllExceptListedIfNoMFA",
                "effect": "Deny"
            }]
        })
    );

    let mfa = ctx.clone().with_mfa(MfaState::WithMfa { age_seconds: 120 });
    let d = set.evaluate(&Request::new("ec2:DescribeInstances", "*", &mfa));
    assert_eq!(
        serde_json::to_value(&d).expect("serializes"),
        json!({
            "decision": "allowed",
            "reasons": [{"layer": "identity", "policy": "AdministratorAccess", "statement": 0, "effect": "Allow"}]
        })
    );

    let none = PolicySet::new().with_scp_level([("FullAWSAccess", policy(ALLOW_ALL))]);
    let d = none.evaluate(&Request::new("s3:ListBuckets", "*", &ctx));
    assert_eq!(
        serde_json::to_value(&d).expect("serializes"),
        json!({
            "decision": "implicit_deny",
            "reasons": [{"layer": "scp", "scp_level": 0, "policy": "FullAWSAccess", "statement": 0, "effect": "Allow"}],
            "missing_allow": {"layer": "identity"}
        })
    );

    let d = none.evaluate(&Request::new("sts:GetCallerIdentity", "*", &ctx));
    let v = serde_json::to_value(&d).expect("serializes");
    assert_eq!(v["decision"], "allowed");
    assert_eq!(v["reasons"][0]["layer"], "builtin");
    assert!(v["reasons"][0]["note"]
        .as_str()
        .is_some_and(|n| n.contains("GetCallerIdentity")));
}

#[test]
fn open_world_decisions_record_their_keys() {
    let set = PolicySet::new()
        .with_identity("Force_MFA", policy(FORCE_MFA))
        .with_identity("AdministratorAccess", policy(ALLOW_ALL));
    let ctx = Context::new().with("aws:username", "alice").open_world();
    assert_eq!(ctx.world(), World::Open);
    let d = set.evaluate(&Request::new("ec2:DescribeInstances", "*", &ctx));
    assert_eq!(d.kind, DecisionKind::Allowed);
    assert_eq!(
        d.depends_on.iter().collect::<Vec<_>>(),
        ["aws:multifactorauthpresent"]
    );
    let v = serde_json::to_value(&d).expect("serializes");
    assert_eq!(v["depends_on"], json!(["aws:multifactorauthpresent"]));

    // Deciding the key settles it.
    for (state, expected) in [
        (MfaState::LongTermKeys, DecisionKind::ExplicitDeny),
        (MfaState::ConsoleWithoutMfa, DecisionKind::ExplicitDeny),
        (MfaState::WithMfa { age_seconds: 10 }, DecisionKind::Allowed),
    ] {
        let c = ctx.clone().with_mfa(state);
        let d = set.evaluate(&Request::new("ec2:DescribeInstances", "*", &c));
        assert_eq!(d.kind, expected, "{state:?}");
        assert!(d.depends_on.is_empty(), "{state:?}");
    }
}

#[test]
fn decide_is_the_fast_path_of_evaluate() {
    let set = PolicySet::new()
        .with_identity("Force_MFA", policy(FORCE_MFA))
        .with_identity("AdministratorAccess", policy(ALLOW_ALL));
    let keys = Context::new().with("aws:username", "alice");
    for action in [
        "ec2:RunInstances",
        "iam:ListMFADevices",
        "sts:GetSessionToken",
        "nonsense",
        "*",
    ] {
        let req = Request::new(action, "arn:aws:iam::111122223333:user/alice", &keys);
        assert_eq!(set.decide(&req), set.evaluate(&req).kind, "{action}");
        assert_eq!(set.is_allowed(&req), set.evaluate(&req).is_allowed());
    }
}

#[test]
fn adding_policies_after_evaluating_is_seen() {
    let ctx = Context::new();
    let req = Request::new("s3:GetObject", "arn:aws:s3:::b/k", &ctx);
    let mut set = PolicySet::new();
    assert_eq!(set.decide(&req), DecisionKind::ImplicitDeny);
    set.add_identity(
        "S3",
        policy(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#),
    );
    assert_eq!(set.decide(&req), DecisionKind::Allowed);
    set.add_boundary(
        "EC2Only",
        policy(r#"{"Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#),
    );
    assert_eq!(set.decide(&req), DecisionKind::ImplicitDeny);
    assert_eq!(
        set.evaluate(&req).missing_allow.map(|m| m.layer),
        Some(Layer::PermissionsBoundary)
    );
    set.add_boundary(
        "S3Too",
        policy(r#"{"Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#),
    );
    assert_eq!(set.decide(&req), DecisionKind::Allowed);
    set.add_scp_level([(
        "Deny",
        policy(r#"{"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}"#),
    )]);
    assert_eq!(set.decide(&req), DecisionKind::ExplicitDeny);
    let cloned = set.clone();
    assert_eq!(cloned.decide(&req), DecisionKind::ExplicitDeny);

    assert_eq!(set.identity_policies().count(), 1);
    assert_eq!(set.boundary_policies().map(Iterator::count), Some(2));
    assert_eq!(set.scp_level_count(), 1);
    assert_eq!(set.scp_level(0).next().map(|(l, _)| l), Some("Deny"));
    assert!(set.resource_policy().is_none());
    assert_eq!(set.all_policies().count(), 4);
}

#[test]
fn policies_are_shared_through_arc() {
    let shared = Arc::new(policy(ALLOW_ALL));
    let a = PolicySet::new().with_identity("AA", Arc::clone(&shared));
    let b = PolicySet::new().with_identity("AA", Arc::clone(&shared));
    let ctx = Context::new();
    let req = Request::new("s3:GetObject", "*", &ctx);
    assert!(a.is_allowed(&req) && b.is_allowed(&req));
    assert_eq!(Arc::strong_count(&shared), 3);
}

#[test]
fn trust_policy_alone_and_with_the_caller() {
    let trust = policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},
            "Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#,
    );
    let role = "arn:aws:iam::111122223333:role/Admin";
    let alice = "arn:aws:iam::111122223333:user/alice";
    let set = PolicySet::trust_policy("trust", trust.clone());
    let keys = Context::new();
    let mfa = Context::new().with_mfa(MfaState::WithMfa { age_seconds: 5 });
    assert_eq!(
        set.decide(&Request::new("sts:AssumeRole", role, &keys).with_principal(alice)),
        DecisionKind::ImplicitDeny
    );
    assert_eq!(
        set.decide(&Request::new("sts:AssumeRole", role, &mfa).with_principal(alice)),
        DecisionKind::Allowed
    );
    assert_eq!(
        set.decide(&Request::new("sts:AssumeRole", role, &mfa)),
        DecisionKind::ImplicitDeny
    );

    // Open world: the trust policy's requirement shows up as a dependency.
    let open = Context::new().open_world();
    let d = set.evaluate(&Request::new("sts:AssumeRole", role, &open).with_principal(alice));
    assert_eq!(d.kind, DecisionKind::Allowed);
    assert!(d.depends_on.contains("aws:multifactorauthpresent"));
    assert!(d.reasons[0].conditional);

    // With the caller's identity policies, both must allow.
    let with_caller = set.clone().with_identity(
        "S3",
        policy(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#),
    );
    // Still the trust policy alone...
    assert_eq!(
        with_caller.decide(&Request::new("sts:AssumeRole", role, &mfa).with_principal(alice)),
        DecisionKind::Allowed
    );
    // ...until both are required.
    let both = with_caller.with_resource_policy_mode(ResourcePolicyMode::RequireBoth);
    assert_eq!(
        both.decide(&Request::new("sts:AssumeRole", role, &mfa).with_principal(alice)),
        DecisionKind::ImplicitDeny
    );
    // A caller without any identity policy cannot assume the role then.
    let bare = PolicySet::new().with_resource_policy("trust", trust);
    assert_eq!(
        bare.decide(&Request::new("sts:AssumeRole", role, &mfa).with_principal(alice)),
        DecisionKind::ImplicitDeny
    );
    let either = both.with_resource_policy_mode(ResourcePolicyMode::EitherSuffices);
    assert_eq!(
        either.decide(&Request::new("sts:AssumeRole", role, &mfa).with_principal(alice)),
        DecisionKind::Allowed
    );
}

#[test]
fn statement_and_condition_helpers() {
    let p = policy(FORCE_MFA);
    let deny = &p.statements[3];
    assert!(deny.applies_to_action("ec2:RunInstances"));
    assert!(!deny.applies_to_action("IAM:ListMFADevices"));
    let keys = Context::new();
    let req = Request::new("ec2:RunInstances", "*", &keys);
    assert_eq!(deny.applies(&req, false), Some(true));
    let open = Context::new().open_world();
    let req = Request::new("ec2:RunInstances", "*", &open);
    assert_eq!(deny.applies(&req, false), None);
    let cond = deny
        .conditions_on("aws:multifactorauthpresent")
        .next()
        .expect("condition");
    assert_eq!(cond.evaluate(&keys), Some(true));
    assert_eq!(cond.evaluate(&open), None);
    assert_eq!(
        cond.evaluate(&Context::new().with_mfa(MfaState::WithMfa { age_seconds: 1 })),
        Some(false)
    );

    let own = &p.statements[2]
        .resource
        .as_ref()
        .expect("resource")
        .patterns[0];
    let alice = Context::new().with("aws:username", "alice");
    assert_eq!(own.matches("arn:aws:iam::1:user/alice", &alice), Some(true));
    assert_eq!(own.matches("arn:aws:iam::1:user/bob", &alice), Some(false));
    assert_eq!(own.matches("arn:aws:iam::1:user/alice", &open), None);

    let pat = &p.statements[1].action.patterns[0];
    assert_eq!(pat.service(), Some("iam"));
    assert!(pat.matches("iam:createvirtualmfadevice"));
}

#[test]
fn context_builder() {
    let mut c = Context::new()
        .with("AWS:UserName", "alice")
        .with_values("aws:TagKeys", ["env", "owner"])
        .absent("aws:SourceIp");
    assert_eq!(c.get("aws:username"), Some(&["alice".to_string()][..]));
    assert!(c.is_multi_valued("AWS:TAGKEYS"));
    assert!(c.is_declared_absent("aws:sourceip"));
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        ["aws:tagkeys", "aws:username"]
    );
    assert_eq!(c.absent_keys().collect::<Vec<_>>(), ["aws:sourceip"]);
    c.insert("aws:SourceIp", "10.0.0.1");
    assert!(!c.is_declared_absent("aws:sourceip"));
    c.remove("aws:SourceIp");
    assert!(c.get("aws:sourceip").is_none());
    c.mark_absent("aws:username");
    assert!(c.get("aws:username").is_none());
    assert!(!c.is_open_world());
    let c = c.open_world().closed_world();
    assert_eq!(c.world(), World::Closed);
}

#[test]
fn wildcard_helper() {
    assert!(wildcard_match("iam:*MFA*", "IAM:ListMfaDevices", true));
    assert!(!wildcard_match("iam:*MFA*", "IAM:ListMfaDevices", false));
    assert!(wildcard_match("a?c", "abc", false));
}

#[test]
fn types_are_thread_safe() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PolicySet>();
    assert_send_sync::<Policy>();
    assert_send_sync::<Context>();
    assert_send_sync::<iam_policy::Decision>();
    assert_send_sync::<iam_policy::ParseError>();
}
