//! Parsing and routing of EventBridge events, from examples shaped as AWS
//! documents them (CloudTrail record reference, EventBridge envelope).

use mfaguard_events::{
    parse, routed_event_names, EventError, Relevance, SignIn, SignInIdentity, Subject,
};
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The CreateLoginProfile example with another call in its detail.
fn api_call(event_name: &str, request: Value) -> Value {
    let mut event: Value = serde_json::from_str(&fixture("create-login-profile.json")).unwrap();
    event["detail"]["eventName"] = json!(event_name);
    event["detail"]["requestParameters"] = request;
    event["detail"]["responseElements"] = Value::Null;
    event
}

fn route(event: &Value) -> Relevance {
    parse(&event.to_string())
        .unwrap_or_else(|err| panic!("{event}: {err}"))
        .relevance
}

fn user(name: &str) -> Subject {
    Subject::User(name.to_string())
}

#[test]
fn documented_create_login_profile() {
    let event = parse(&fixture("create-login-profile.json")).unwrap();
    assert_eq!(event.event_id, "b7d9b3c5-2f1e-4f5a-9c1d-0e8f7a6b5c4d");
    assert_eq!(event.account_id, "111122223333");
    assert_eq!(event.event_name, "CreateLoginProfile");
    assert_eq!(event.region.as_deref(), Some("us-east-1"));
    assert_eq!(event.time.to_rfc3339(), "2026-11-30T09:12:40+00:00");
    assert_eq!(
        event.actor.as_deref(),
        Some("arn:aws:iam::111122223333:user/admin")
    );
    assert_eq!(event.relevance, Relevance::Change(vec![user("carol")]));
}

#[test]
fn account_from_the_cloudtrail_record_when_the_envelope_has_none() {
    let mut event: Value = serde_json::from_str(&fixture("create-login-profile.json")).unwrap();
    event.as_object_mut().unwrap().remove("account");
    assert_eq!(
        parse(&event.to_string()).unwrap().account_id,
        "111122223333"
    );
}

#[test]
fn every_listed_change_routes_to_its_identities() {
    let cases: Vec<(&str, Value, Vec<Subject>)> = vec![
        ("CreateUser", json!({"userName": "u"}), vec![user("u")]),
        ("DeleteUser", json!({"userName": "u"}), vec![user("u")]),
        (
            "UpdateUser",
            json!({"userName": "old", "newUserName": "new"}),
            vec![user("new"), user("old")],
        ),
        (
            "TagUser",
            json!({"userName": "u", "tags": []}),
            vec![user("u")],
        ),
        (
            "UpdateLoginProfile",
            json!({"userName": "u"}),
            vec![user("u")],
        ),
        (
            "DeleteLoginProfile",
            json!({"userName": "u"}),
            vec![user("u")],
        ),
        (
            "EnableMFADevice",
            json!({"userName": "u", "serialNumber": "arn:aws:iam::111122223333:mfa/u"}),
            vec![user("u")],
        ),
        (
            "DeactivateMFADevice",
            json!({"userName": "u", "serialNumber": "arn:aws:iam::111122223333:mfa/u"}),
            vec![user("u")],
        ),
        (
            "DeleteVirtualMFADevice",
            json!({"serialNumber": "arn:aws:iam::111122223333:mfa/u"}),
            vec![Subject::VirtualMfaDevice(
                "arn:aws:iam::111122223333:mfa/u".into(),
            )],
        ),
        ("CreateAccessKey", json!({"userName": "u"}), vec![user("u")]),
        (
            "UpdateAccessKey",
            json!({"userName": "u", "accessKeyId": "AKIA", "status": "Active"}),
            vec![user("u")],
        ),
        (
            "AttachUserPolicy",
            json!({"userName": "u", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            vec![user("u")],
        ),
        (
            "DetachUserPolicy",
            json!({"userName": "u", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            vec![user("u")],
        ),
        (
            "PutUserPolicy",
            json!({"userName": "u", "policyName": "p", "policyDocument": "{}"}),
            vec![user("u")],
        ),
        (
            "DeleteUserPolicy",
            json!({"userName": "u", "policyName": "p"}),
            vec![user("u")],
        ),
        (
            "PutUserPermissionsBoundary",
            json!({"userName": "u", "permissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            vec![user("u")],
        ),
        (
            "AddUserToGroup",
            json!({"userName": "u", "groupName": "g"}),
            vec![user("u")],
        ),
        (
            "RemoveUserFromGroup",
            json!({"userName": "u", "groupName": "g"}),
            vec![user("u")],
        ),
        (
            "CreateGroup",
            json!({"groupName": "g"}),
            vec![Subject::Group("g".into())],
        ),
        (
            "AttachGroupPolicy",
            json!({"groupName": "g", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            vec![Subject::Group("g".into())],
        ),
        (
            "DetachGroupPolicy",
            json!({"groupName": "g", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            vec![Subject::Group("g".into())],
        ),
        (
            "PutGroupPolicy",
            json!({"groupName": "g", "policyName": "p", "policyDocument": "{}"}),
            vec![Subject::Group("g".into())],
        ),
        (
            "DeleteGroupPolicy",
            json!({"groupName": "g", "policyName": "p"}),
            vec![Subject::Group("g".into())],
        ),
        (
            "CreateRole",
            json!({"roleName": "r", "assumeRolePolicyDocument": "{}"}),
            vec![Subject::Role("r".into())],
        ),
        (
            "UpdateAssumeRolePolicy",
            json!({"roleName": "r", "policyDocument": "{}"}),
            vec![Subject::Role("r".into())],
        ),
        (
            "AttachRolePolicy",
            json!({"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            vec![Subject::Role("r".into())],
        ),
        (
            "DetachRolePolicy",
            json!({"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            vec![Subject::Role("r".into())],
        ),
        (
            "PutRolePolicy",
            json!({"roleName": "r", "policyName": "p", "policyDocument": "{}"}),
            vec![Subject::Role("r".into())],
        ),
        (
            "DeleteRolePolicy",
            json!({"roleName": "r", "policyName": "p"}),
            vec![Subject::Role("r".into())],
        ),
        (
            "SetDefaultPolicyVersion",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/p", "versionId": "v2"}),
            vec![Subject::ManagedPolicy(
                "arn:aws:iam::111122223333:policy/p".into(),
            )],
        ),
        (
            "CreatePolicyVersion",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/p", "policyDocument": "{}", "setAsDefault": true}),
            vec![Subject::ManagedPolicy(
                "arn:aws:iam::111122223333:policy/p".into(),
            )],
        ),
    ];
    for (name, request, expected) in cases {
        assert!(routed_event_names().contains(&name), "{name} not routed");
        assert_eq!(
            route(&api_call(name, request)),
            Relevance::Change(expected),
            "{name}"
        );
    }
}

#[test]
fn calls_on_oneself_route_to_the_caller() {
    // CreateAccessKey without userName: the calling user's own key.
    assert_eq!(
        route(&api_call("CreateAccessKey", json!({}))),
        Relevance::Change(vec![user("admin")])
    );
    // Root creating its own access key.
    let mut event = api_call("CreateAccessKey", Value::Null);
    event["detail"]["userIdentity"] = json!({
        "type": "Root", "principalId": "111122223333",
        "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"
    });
    assert_eq!(route(&event), Relevance::Change(vec![Subject::Root]));
    // A role session cannot act on "itself" as a user: poison, not a guess.
    event["detail"]["userIdentity"] = json!({
        "type": "AssumedRole",
        "arn": "arn:aws:sts::111122223333:assumed-role/ops/alice"
    });
    let err = parse(&event.to_string()).unwrap_err();
    assert!(
        err.to_string()
            .contains("detail.requestParameters.userName"),
        "{err}"
    );
}

#[test]
fn service_linked_role_is_named_in_the_response() {
    let mut event = api_call(
        "CreateServiceLinkedRole",
        json!({"aWSServiceName": "autoscaling.amazonaws.com"}),
    );
    event["detail"]["responseElements"] =
        json!({"role": {"roleName": "AWSServiceRoleForAutoScaling"}});
    assert_eq!(
        route(&event),
        Relevance::Change(vec![Subject::Role("AWSServiceRoleForAutoScaling".into())])
    );
}

#[test]
fn calls_that_change_nothing_are_ignored_with_a_reason() {
    let failed = {
        let mut event = api_call("CreateLoginProfile", json!({"userName": "u"}));
        event["detail"]["errorCode"] = json!("AccessDenied");
        event
    };
    let not_default = api_call(
        "CreatePolicyVersion",
        json!({"policyArn": "arn:aws:iam::111122223333:policy/p", "policyDocument": "{}"}),
    );
    let unrouted = api_call("UploadSSHPublicKey", json!({"userName": "u"}));
    let read_only = {
        let mut event = api_call("GetUser", json!({"userName": "u"}));
        event["detail"]["readOnly"] = json!(true);
        event
    };
    for (event, reason) in [
        (failed, "failed (AccessDenied)"),
        (not_default, "did not make the new version the default"),
        (unrouted, "does not change MFA posture"),
        (read_only, "read-only"),
    ] {
        match route(&event) {
            Relevance::Ignored(text) => assert!(text.contains(reason), "{text}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn documented_root_sign_in() {
    let event = parse(&fixture("root-console-login.json")).unwrap();
    assert_eq!(event.event_id, "4d2f6a1b-8c3e-4f9d-a7b6-5e4d3c2b1a09");
    assert_eq!(
        event.relevance,
        Relevance::SignIn(SignIn {
            identity: SignInIdentity::Root,
            success: true,
            mfa_used: Some(false),
        })
    );
}

#[test]
fn failed_user_sign_in() {
    let event = parse(&fixture("iam-user-console-login-failure.json")).unwrap();
    assert_eq!(event.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        event.relevance,
        Relevance::SignIn(SignIn {
            identity: SignInIdentity::User("breakglass-admin".into()),
            success: false,
            mfa_used: Some(true),
        })
    );
}

#[test]
fn poison_messages_say_what_is_wrong() {
    let good: Value = serde_json::from_str(&fixture("create-login-profile.json")).unwrap();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut event = good.clone();
        change(&mut event);
        event.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        ("{\"id\": ".to_string(), "not JSON"),
        ("[1, 2]".to_string(), "is an array, not an object"),
        (
            with(&|e| e["source"] = json!("aws.ec2")),
            "unknown event: source `aws.ec2`",
        ),
        (
            with(&|e| e["detail-type"] = json!("AWS Service Event via CloudTrail")),
            "unknown event",
        ),
        (
            with(&|e| e["detail"] = json!("text")),
            "`detail` is a string, not an object",
        ),
        (
            with(&|e| e["account"] = json!("1234")),
            "`account` `1234` is not a 12-digit account ID",
        ),
        (
            with(&|e| {
                e.as_object_mut().unwrap().remove("account");
                e["detail"]
                    .as_object_mut()
                    .unwrap()
                    .remove("recipientAccountId");
            }),
            "`account` is missing (and so is detail.recipientAccountId)",
        ),
        (
            with(&|e| {
                e["detail"].as_object_mut().unwrap().remove("eventName");
            }),
            "`detail.eventName` is missing",
        ),
        (
            with(&|e| e["detail"]["eventTime"] = json!("yesterday")),
            "is not an RFC 3339 time",
        ),
        (
            with(&|e| e["detail"]["eventSource"] = json!("s3.amazonaws.com")),
            "`detail.eventSource` is `s3.amazonaws.com`",
        ),
        (
            with(&|e| e["detail"]["requestParameters"]["userName"] = json!(7)),
            "`detail.requestParameters.userName` is not a string",
        ),
        (
            with(&|e| {
                e["detail"]["eventName"] = json!("AttachRolePolicy");
            }),
            "`detail.requestParameters.roleName` is missing",
        ),
    ];
    for (body, expected) in cases {
        let err: EventError = parse(&body).expect_err(&body);
        assert!(err.to_string().contains(expected), "{body}\n{err}");
    }
    let mut sign_in: Value = serde_json::from_str(&fixture("root-console-login.json")).unwrap();
    sign_in["detail"]["eventName"] = json!("CheckMfa");
    assert_eq!(
        parse(&sign_in.to_string()).unwrap_err(),
        EventError::UnknownSignIn("CheckMfa".into())
    );
}
