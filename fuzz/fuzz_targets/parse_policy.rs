//! Fuzzes the policy parser on arbitrary UTF-8 text (raw JSON and
//! URL-encoded documents alike), then evaluates whatever parses, so the
//! compiled forms (wildcards, variables, ARN patterns, typed condition values)
//! are exercised too. Nothing may panic.
//!
//! Run with: `cargo +nightly fuzz run parse_policy` from this directory.
#![no_main]

use iam_policy::{Context, MfaState, Policy, PolicySet, Request};
use libfuzzer_sys::fuzz_target;

const ACTIONS: [&str; 5] = [
    "iam:ListMFADevices",
    "ec2:RunInstances",
    "sts:AssumeRole",
    "s3:GetObject",
    "*",
];
const RESOURCES: [&str; 4] = [
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:s3:::bucket/alice/key",
    "*",
    "arn:aws",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::parse(text) else {
        return;
    };
    let set = PolicySet::new()
        .with_identity("identity", policy.clone())
        .with_boundary("boundary", policy.clone())
        .with_scp_level([("scp", policy.clone())])
        .with_resource_policy("resource", policy);
    let contexts = [
        Context::new()
            .with("aws:username", "alice")
            .with_values("aws:TagKeys", ["env", "owner"])
            .with("aws:SourceIp", "10.1.2.3")
            .with("aws:CurrentTime", "2024-01-01T00:00:00Z"),
        Context::new()
            .with_mfa(MfaState::ConsoleWithoutMfa)
            .open_world(),
    ];
    for ctx in &contexts {
        for action in ACTIONS {
            for resource in RESOURCES {
                let req = Request::new(action, resource, ctx)
                    .with_principal("arn:aws:sts::111122223333:assumed-role/R/s");
                let d = set.evaluate(&req);
                assert_eq!(d.kind, set.decide(&req));
            }
        }
    }
});
