//! `mfaguard events setup`: the CloudFormation stacks pass cfn-lint, the
//! Terraform parses as HCL with the expected resources, and every output
//! routes the same IAM calls to the queue as the consumer handles.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn setup(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["events", "setup"])
        .args(args)
        .output()
        .expect("run mfaguard events setup")
}

fn stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn cfn_lint() -> Option<PathBuf> {
    let path = repo().join(".tools/linters/bin/cfn-lint");
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some()
        || std::env::var("MFAGUARD_REQUIRE_TOOLS").as_deref() == Ok("1")
    {
        panic!("cfn-lint is not installed: run scripts/install-test-tools.sh");
    }
    eprintln!("skipping: cfn-lint not installed (run scripts/install-test-tools.sh)");
    None
}

#[test]
fn cloudformation_stacks_pass_cfn_lint() {
    let Some(cfn_lint) = cfn_lint() else { return };
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("mfaguard-events.json");
    let forwarder = dir.path().join("mfaguard-events-forwarder.json");
    let organization = dir.path().join("mfaguard-events-org.json");
    stdout(&setup(&[
        "--format",
        "cloudformation",
        "--org-role",
        "MfaguardAudit",
        "-o",
        organization.to_str().unwrap(),
    ]));
    stdout(&setup(&[
        "--format",
        "cloudformation",
        "-o",
        main.to_str().unwrap(),
    ]));
    stdout(&setup(&[
        "--format",
        "cloudformation",
        "--forwarder",
        "-o",
        forwarder.to_str().unwrap(),
    ]));
    let output = Command::new(&cfn_lint)
        .arg(&main)
        .arg(&forwarder)
        .arg(&organization)
        .output()
        .expect("run cfn-lint");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let template: Value = serde_json::from_str(&std::fs::read_to_string(&main).unwrap()).unwrap();
    let resources = &template["Resources"];
    assert_eq!(
        resources["EventQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"],
        5
    );
    let pattern = &resources["IamChangesRule"]["Properties"]["EventPattern"];
    assert_eq!(pattern["source"][0], "aws.iam");
    let names: Vec<String> = pattern["detail"]["eventName"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, mfaguard_routed_names());
    assert_eq!(
        resources["ConsoleSigninRule"]["Properties"]["EventPattern"]["detail-type"][0],
        "AWS Console Signin via CloudTrail"
    );
    let statements = |template: &Value| -> Vec<Value> {
        template["Resources"]["ConsumerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .clone()
    };
    // Without --org-role, no role may be assumed.
    assert!(!statements(&template)
        .iter()
        .any(|s| s["Action"] == "sts:AssumeRole"));
    let organization: Value =
        serde_json::from_str(&std::fs::read_to_string(&organization).unwrap()).unwrap();
    let org_statements = statements(&organization);
    let assume = org_statements
        .iter()
        .find(|s| s["Sid"] == "AssumeMemberRole")
        .expect("AssumeMemberRole");
    assert_eq!(assume["Action"], "sts:AssumeRole");
    assert_eq!(assume["Resource"], "arn:aws:iam::*:role/MfaguardAudit");
    let read = org_statements
        .iter()
        .find(|s| s["Sid"] == "ReadOrganization")
        .expect("ReadOrganization");
    assert!(read["Action"]
        .as_array()
        .unwrap()
        .contains(&Value::from("organizations:ListAccounts")));
}

/// The names the consumer routes, as the JSON plan lists them.
fn mfaguard_routed_names() -> Vec<String> {
    let plan: Value = serde_json::from_str(&stdout(&setup(&["--format", "json"]))).unwrap();
    let names = plan["rules"][0]["event_pattern"]["detail"]["eventName"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    for expected in [
        "CreateUser",
        "CreateLoginProfile",
        "DeactivateMFADevice",
        "AttachGroupPolicy",
        "AddUserToGroup",
        "UpdateAssumeRolePolicy",
        "CreateAccessKey",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected}");
    }
    names
}

#[test]
fn terraform_parses_with_a_forwarder_per_signin_region() {
    let text = stdout(&setup(&[
        "--format",
        "terraform",
        "--signin-regions",
        "eu-west-1,eu-central-1",
        "--org-role",
        "MfaguardAudit",
    ]));
    assert!(
        text.contains(
            "{ Sid = \"AssumeMemberRole\", Effect = \"Allow\", Action = \"sts:AssumeRole\", Resource = \"arn:aws:iam::*:role/MfaguardAudit\" }"
        ),
        "{text}"
    );
    let body: hcl::Body = hcl::from_str(&text).unwrap_or_else(|err| panic!("{err}\n{text}"));
    let blocks: Vec<String> = body
        .blocks()
        .map(|block| {
            block
                .labels()
                .iter()
                .map(|l| l.as_str().to_string())
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect();
    for expected in [
        "aws_sqs_queue.events",
        "aws_sqs_queue.dead_letter",
        "aws_sqs_queue_policy.events",
        "aws_cloudwatch_event_rule.iam_changes",
        "aws_cloudwatch_event_rule.console_signin",
        "aws_cloudwatch_event_rule.console_signin_eu_west_1",
        "aws_cloudwatch_event_rule.console_signin_eu_central_1",
        "aws_iam_policy.consumer",
    ] {
        assert!(
            blocks.iter().any(|b| b == expected),
            "{expected} in {blocks:?}"
        );
    }
}

#[test]
fn bad_arguments_are_errors() {
    for (args, expected) in [
        (
            vec!["--signin-regions", "Europe"],
            "`Europe` is not a region name",
        ),
        (vec!["--queue-name", "a b"], "queue name `a b`"),
        (vec!["--org-role", "a/b"], "role name `a/b`"),
        (
            vec!["--format", "json", "--forwarder"],
            "--forwarder is a CloudFormation stack",
        ),
    ] {
        let output = setup(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    }
}
