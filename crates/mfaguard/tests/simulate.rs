//! `mfaguard simulate`: decisions, reasons, context handling and errors,
//! through the real binary.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

fn mfaguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}

fn json_of(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

struct Files(tempfile::TempDir);

impl Files {
    fn new() -> Files {
        Files(tempfile::tempdir().expect("temp dir"))
    }

    fn write(&self, name: &str, value: &Value) -> String {
        let path = self.0.path().join(name);
        std::fs::write(&path, value.to_string()).expect("write");
        path.display().to_string()
    }
}

fn allow_all() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

fn force_mfa() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowOwnMfa", "Effect": "Allow", "Action": ["iam:ListMFADevices", "iam:EnableMFADevice"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
         "NotAction": ["iam:ListMFADevices", "iam:EnableMFADevice", "iam:CreateVirtualMFADevice", "sts:GetSessionToken"],
         "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]})
}

#[test]
fn force_mfa_denies_without_mfa_and_allows_with_it() {
    let files = Files::new();
    let force = files.write("force.json", &force_mfa());
    let admin = files.write("admin.json", &allow_all());
    let base = [
        "simulate",
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:RunInstances",
        "--format",
        "json",
    ];
    let denied = json_of(&mfaguard(&base));
    assert_eq!(denied["decision"], "explicit_deny");
    assert_eq!(denied["reasons"][0]["sid"], "DenyAllExceptListedIfNoMFA");
    assert_eq!(denied["request"]["action"], "ec2:RunInstances");

    let mut with_mfa = base.to_vec();
    with_mfa.extend([
        "--context",
        "aws:MultiFactorAuthPresent=true",
        "--context",
        "aws:MultiFactorAuthAge=300",
    ]);
    let allowed = json_of(&mfaguard(&with_mfa));
    assert_eq!(allowed["decision"], "allowed", "{allowed}");

    let text = mfaguard(&base[..7]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.starts_with("explicit_deny  ec2:RunInstances on *"),
        "{text}"
    );
    assert!(text.contains("DenyAllExceptListedIfNoMFA"), "{text}");
}

#[test]
fn an_implicit_deny_names_the_layer_without_an_allow() {
    let files = Files::new();
    let admin = files.write("admin.json", &allow_all());
    let boundary = files.write(
        "boundary.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    );
    let output = json_of(&mfaguard(&[
        "simulate",
        "--policy",
        &admin,
        "--boundary",
        &boundary,
        "--action",
        "ec2:RunInstances",
        "--format",
        "json",
    ]));
    assert_eq!(output["decision"], "implicit_deny");
    assert_eq!(output["missing_allow"]["layer"], "permissions_boundary");
}

#[test]
fn scp_levels_are_evaluated_in_order() {
    let files = Files::new();
    let admin = files.write("admin.json", &allow_all());
    let full = files.write("full.json", &allow_all());
    let deny = files.write(
        "deny-ec2.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoEc2", "Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]}),
    );
    let both = format!("{full},{deny}");
    let output = json_of(&mfaguard(&[
        "simulate",
        "--policy",
        &admin,
        "--scp",
        &full,
        "--scp",
        &both,
        "--action",
        "ec2:RunInstances",
        "--format",
        "json",
    ]));
    assert_eq!(output["decision"], "explicit_deny");
    assert_eq!(output["reasons"][0]["layer"], "scp");
    assert_eq!(output["reasons"][0]["scp_level"], 1);
    assert_eq!(output["reasons"][0]["sid"], "NoEc2");
}

#[test]
fn a_trust_policy_requiring_mfa() {
    let files = Files::new();
    // As `aws iam get-role` prints it.
    let role = files.write(
        "role.json",
        &json!({"Role": {"RoleName": "admin", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
             "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}}}),
    );
    let base = [
        "simulate",
        "--resource-policy",
        &role,
        "--resource-policy-mode",
        "resource-only",
        "--action",
        "sts:AssumeRole",
        "--resource",
        "arn:aws:iam::111122223333:role/admin",
        "--principal",
        "arn:aws:iam::111122223333:user/alice",
        "--format",
        "json",
    ];
    assert_eq!(json_of(&mfaguard(&base))["decision"], "implicit_deny");
    let mut with_mfa = base.to_vec();
    with_mfa.extend(["--context", "aws:MultiFactorAuthPresent=true"]);
    assert_eq!(json_of(&mfaguard(&with_mfa))["decision"], "allowed");
    let mut bob = base.to_vec();
    bob[10] = "arn:aws:iam::111122223333:user/bob";
    bob.extend(["--context", "aws:MultiFactorAuthPresent=true"]);
    assert_eq!(json_of(&mfaguard(&bob))["decision"], "implicit_deny");
}

#[test]
fn a_json_array_is_a_multi_valued_key() {
    let files = Files::new();
    let policy = files.write(
        "tags.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}}}]}),
    );
    let run = |value: &str| {
        json_of(&mfaguard(&[
            "simulate",
            "--policy",
            &policy,
            "--action",
            "ec2:CreateTags",
            "--context",
            value,
            "--format",
            "json",
        ]))["decision"]
            .clone()
    };
    assert_eq!(run(r#"aws:TagKeys=["team","owner"]"#), "allowed");
    assert_eq!(run(r#"aws:TagKeys=["team","cost"]"#), "implicit_deny");
}

#[test]
fn a_bad_policy_names_the_file_and_the_json_path() {
    let files = Files::new();
    let bad = files.write(
        "bad.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"BoolIfExist": {"aws:MultiFactorAuthPresent": "true"}}}]}),
    );
    let output = mfaguard(&["simulate", "--policy", &bad, "--action", "s3:GetObject"]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("bad.json"), "{error}");
    assert!(error.contains("/Statement/0/Condition"), "{error}");

    let output = mfaguard(&[
        "simulate",
        "--policy",
        &bad,
        "--action",
        "s3:GetObject",
        "--context",
        "novalue",
    ]);
    assert_eq!(output.status.code(), Some(2));
}

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/demo-account")
        .display()
        .to_string()
}

fn from_demo(principal: &str, action: &str, resource: &str) -> Value {
    json_of(&mfaguard(&[
        "simulate",
        "--from",
        &demo(),
        "--principal",
        principal,
        "--action",
        action,
        "--resource",
        resource,
        "--format",
        "json",
    ]))
}

#[test]
fn the_real_policies_of_a_user_with_a_path() {
    // nina (path /engineering/) is in ForceMFA, whose self-service
    // statements name user/${aws:username}: she cannot enable her device.
    let nina = "arn:aws:iam::111122223333:user/engineering/nina";
    let enable = from_demo("nina", "iam:EnableMFADevice", nina);
    assert_eq!(enable["decision"], "implicit_deny", "{enable}");
    assert_eq!(enable["request"]["principal"], nina);
    assert_eq!(enable["gaps"], json!([]));
    assert_eq!(enable["scps_evaluated"], false);
    // Without MFA, everything else is denied by ForceMFA.
    let run = from_demo(nina, "ec2:RunInstances", "*");
    assert_eq!(run["decision"], "explicit_deny");
    assert!(
        run["reasons"]
            .to_string()
            .contains("through group ForceMFA"),
        "{run}"
    );
}

#[test]
fn the_real_policies_of_a_role_and_unknown_names() {
    let role = from_demo("DeveloperAccess", "ec2:DescribeInstances", "*");
    assert_eq!(role["decision"], "allowed");
    let output = mfaguard(&[
        "simulate",
        "--from",
        &demo(),
        "--principal",
        "nin",
        "--action",
        "s3:GetObject",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("did you mean nina"), "{error}");
}

#[test]
fn get_policy_version_output_is_accepted() {
    let files = Files::new();
    let wrapped = files.write(
        "version.json",
        &json!({"PolicyVersion": {"Document": allow_all(), "VersionId": "v1", "IsDefaultVersion": true}}),
    );
    let encoded = files.write(
        "encoded.json",
        &json!({"PolicyVersion": {"Document": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}}),
    );
    for file in [wrapped, encoded] {
        let output = json_of(&mfaguard(&[
            "simulate",
            "--policy",
            &file,
            "--action",
            "s3:GetObject",
            "--format",
            "json",
        ]));
        assert_eq!(output["decision"], "allowed");
    }
}
