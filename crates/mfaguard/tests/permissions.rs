//! The shipped least-privilege policies, checked with the policy engine and
//! the action catalogue: they allow every call the collector makes and
//! nothing that writes, except the documented `sts:AssumeRole`.
//! (The live tests against moto check the calls actually made; see
//! `live_moto.rs`.)

use std::path::Path;

use iam_policy::catalog::{catalog, AccessLevel};
use iam_policy::{Context, DecisionKind, Policy, PolicySet, Request};

/// The calls the live collector makes, by the policy that must allow them.
const ACCOUNT_CALLS: [&str; 9] = [
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetAccountAuthorizationDetails",
    "iam:ListVirtualMFADevices",
    "iam:GetAccountSummary",
    "iam:ListMFADevices",
    "iam:ListSAMLProviders",
    "iam:ListOpenIDConnectProviders",
    // Only when a credential-report user is missing from the details.
    "iam:GetUser",
];
const ORG_CALLS: [&str; 5] = [
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
];
/// Writes the policies may allow, and why: assuming the scanner role in
/// each member account is how an organisation scan reaches it.
const DOCUMENTED_WRITES: [&str; 1] = ["sts:AssumeRole"];

fn policy(name: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("policy file");
    Policy::parse(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn allows(set: &PolicySet, action: &str, resource: &str) -> bool {
    let context = Context::new();
    set.evaluate(&Request::new(action, resource, &context)).kind == DecisionKind::Allowed
}

#[test]
fn the_account_policy_allows_every_collector_call() {
    let set = PolicySet::new().with_identity("mfaguard-scanner", policy("mfaguard-scanner.json"));
    for action in ACCOUNT_CALLS {
        assert!(allows(&set, action, "*"), "{action} is not allowed");
    }
    assert!(!allows(&set, "organizations:ListAccounts", "*"));
}

#[test]
fn the_org_policy_allows_listing_and_assuming_the_scanner_role() {
    let set =
        PolicySet::new().with_identity("mfaguard-org-scanner", policy("mfaguard-org-scanner.json"));
    for action in ORG_CALLS {
        assert!(allows(&set, action, "*"), "{action} is not allowed");
    }
    assert!(allows(
        &set,
        "sts:AssumeRole",
        "arn:aws:iam::210987654321:role/mfaguard-scanner"
    ));
    // Only the scanner role, not any role of the member accounts.
    assert!(!allows(
        &set,
        "sts:AssumeRole",
        "arn:aws:iam::210987654321:role/OrganizationAccountAccessRole"
    ));
}

#[test]
fn nothing_allowed_writes_except_what_is_documented() {
    for name in ["mfaguard-scanner.json", "mfaguard-org-scanner.json"] {
        let set = PolicySet::new().with_identity(name, policy(name));
        let mut writes = Vec::new();
        for action in catalog().actions() {
            let full = action.full_name();
            let resource = if full == "sts:AssumeRole" {
                "arn:aws:iam::210987654321:role/mfaguard-scanner"
            } else {
                "*"
            };
            if !allows(&set, &full, resource) {
                continue;
            }
            let reads = matches!(action.access_level, AccessLevel::List | AccessLevel::Read);
            if !reads && !DOCUMENTED_WRITES.contains(&full.as_str()) {
                writes.push(format!("{full} ({})", action.access_level));
            }
        }
        assert!(writes.is_empty(), "{name} allows writes: {writes:?}");
    }
}
