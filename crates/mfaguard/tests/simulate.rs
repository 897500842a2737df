//! `mfaguard simulate` through the real binary: decisions and their reasons,
//! the context options, policy-file formats, errors, and `--from` against the
//! demo account. Policy fixtures are in `tests/simulate/`.

use std::path::{Path, PathBuf};
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

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/simulate")
        .join(name)
        .display()
        .to_string()
}

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/demo-account")
        .display()
        .to_string()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `simulate ARGS --format json`, expecting exit 0.
fn simulate_json(args: &[&str]) -> Value {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let output = mfaguard(&all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

/// Runs `simulate ARGS` (text), expecting exit 0.
fn simulate_text(args: &[&str]) -> String {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    let output = mfaguard(&all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// Runs `simulate ARGS`, expecting exit 2; returns standard error.
fn simulate_error(args: &[&str]) -> String {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    let output = mfaguard(&all);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: {}",
        stdout(&output)
    );
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
    stderr(&output)
}

#[test]
fn force_mfa_with_allow_all_denies_a_request_without_mfa_keys() {
    let (force, admin) = (fixture("force-mfa.json"), fixture("allow-all.json"));
    let base = [
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:DescribeInstances",
    ];
    let denied = simulate_json(&base);
    assert_eq!(denied["decision"], "explicit_deny");
    let reasons = denied["reasons"].as_array().expect("reasons");
    assert_eq!(reasons.len(), 1, "{denied}");
    assert_eq!(reasons[0]["layer"], "identity");
    assert_eq!(reasons[0]["policy"], force.as_str());
    assert_eq!(reasons[0]["statement"], 3);
    assert_eq!(reasons[0]["sid"], "DenyAllExceptListedIfNoMFA");
    assert_eq!(reasons[0]["effect"], "Deny");
    assert_eq!(denied["request"]["context"], json!({}));

    let text = simulate_text(&base);
    assert!(text.starts_with("DENIED (explicit Deny)\n"), "{text}");
    assert!(
        text.contains("  request: ec2:DescribeInstances on *\n"),
        "{text}"
    );
    assert!(text.contains("every key absent"), "{text}");
    assert!(
        text.contains(&format!(
            "identity policy: {force}, Statement[3] Sid DenyAllExceptListedIfNoMFA: Deny"
        )),
        "{text}"
    );
    assert!(!text.contains("\x1b["), "NO_COLOR: {text}");

    // The same under the other no-MFA rows of the matrix.
    for row in ["--no-mfa", "--console-no-mfa"] {
        let mut args = base.to_vec();
        args.push(row);
        assert_eq!(simulate_json(&args)["decision"], "explicit_deny", "{row}");
    }
    let mut nomfa = base.to_vec();
    nomfa.push("--console-no-mfa");
    let nomfa = simulate_json(&nomfa);
    assert_eq!(
        nomfa["request"]["context"],
        json!({"aws:MultiFactorAuthPresent": "false", "aws:MultiFactorAuthAge": null})
    );
}

#[test]
fn force_mfa_with_allow_all_allows_with_mfa() {
    let (force, admin) = (fixture("force-mfa.json"), fixture("allow-all.json"));
    let allowed = simulate_json(&[
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:DescribeInstances",
        "--context",
        "aws:MultiFactorAuthPresent=true",
        "--context",
        "aws:MultiFactorAuthAge=300",
    ]);
    assert_eq!(allowed["decision"], "allowed", "{allowed}");
    assert_eq!(allowed["reasons"][0]["policy"], admin.as_str());
    assert_eq!(allowed["reasons"][0]["effect"], "Allow");
    assert_eq!(
        allowed["request"]["context"],
        json!({"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "300"})
    );

    // --mfa-age is the same row.
    let age = simulate_json(&[
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:DescribeInstances",
        "--mfa-age",
        "300",
    ]);
    assert_eq!(age["decision"], "allowed");
    assert_eq!(age["request"]["context"], allowed["request"]["context"]);

    let text = simulate_text(&[
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:DescribeInstances",
        "--mfa-age",
        "300",
    ]);
    assert!(text.starts_with("ALLOWED\n"), "{text}");
    assert!(text.contains("aws:MultiFactorAuthAge = 300"), "{text}");
    assert!(text.contains("  Allowed by:\n"), "{text}");
}

#[test]
fn force_mfa_self_service_uses_the_username_variable() {
    let force = fixture("force-mfa.json");
    let run = |user: &str| {
        simulate_json(&[
            "--policy",
            &force,
            "--action",
            "iam:EnableMFADevice",
            "--resource",
            "arn:aws:iam::111122223333:user/alice",
            "--context",
            &format!("aws:username={user}"),
        ])["decision"]
            .clone()
    };
    assert_eq!(run("alice"), "allowed");
    assert_eq!(run("bob"), "implicit_deny");
}

#[test]
fn an_implicit_deny_names_the_boundary() {
    let (admin, boundary) = (fixture("allow-all.json"), fixture("boundary-s3-only.json"));
    let args = [
        "--policy",
        &admin,
        "--boundary",
        &boundary,
        "--action",
        "ec2:RunInstances",
    ];
    let output = simulate_json(&args);
    assert_eq!(output["decision"], "implicit_deny");
    assert_eq!(
        output["missing_allow"],
        json!({"layer": "permissions_boundary"})
    );
    // The layers that did allow are listed.
    assert_eq!(output["reasons"][0]["layer"], "identity");

    let text = simulate_text(&args);
    assert!(
        text.starts_with("DENIED (implicit: nothing allows it)\n"),
        "{text}"
    );
    assert!(
        text.contains("No Allow in the permissions boundary"),
        "{text}"
    );
    assert!(
        text.contains("Allowed by (not enough on its own):"),
        "{text}"
    );

    // Inside the boundary: allowed, by both layers.
    let s3 = simulate_json(&[
        "--policy",
        &admin,
        "--boundary",
        &boundary,
        "--action",
        "s3:GetObject",
    ]);
    assert_eq!(s3["decision"], "allowed");
    let layers: Vec<&Value> = s3["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|reason| &reason["layer"])
        .collect();
    assert!(layers.contains(&&json!("permissions_boundary")), "{s3}");
    assert!(layers.contains(&&json!("identity")), "{s3}");
}

#[test]
fn an_scp_denies_without_mfa() {
    let (admin, full, require) = (
        fixture("allow-all.json"),
        fixture("scp-full-access.json"),
        fixture("scp-require-mfa.json"),
    );
    let level = format!("{full},{require}");
    let base = [
        "--policy",
        &admin,
        "--scp",
        &full,
        "--scp-level",
        &level,
        "--action",
        "ec2:RunInstances",
    ];
    let denied = simulate_json(&base);
    assert_eq!(denied["decision"], "explicit_deny");
    assert_eq!(denied["reasons"][0]["layer"], "scp");
    assert_eq!(denied["reasons"][0]["scp_level"], 1);
    assert_eq!(denied["reasons"][0]["policy"], require.as_str());
    assert_eq!(denied["reasons"][0]["sid"], "DenyWithoutMFA");
    let text = simulate_text(&base);
    assert!(
        text.contains(&format!(
            "SCP level 1 (account): {require}, Statement[0] Sid DenyWithoutMFA: Deny"
        )),
        "{text}"
    );

    // iam:* is exempt from the SCP's deny.
    let mut iam = base.to_vec();
    iam[7] = "iam:ListUsers";
    assert_eq!(simulate_json(&iam)["decision"], "allowed");

    let mut with_mfa = base.to_vec();
    with_mfa.extend(["--mfa-age", "60"]);
    assert_eq!(simulate_json(&with_mfa)["decision"], "allowed");
}

#[test]
fn every_scp_level_needs_an_allow() {
    let (admin, full, s3_only) = (
        fixture("allow-all.json"),
        fixture("scp-full-access.json"),
        fixture("scp-s3-only.json"),
    );
    let output = simulate_json(&[
        "--policy",
        &admin,
        "--scp",
        &full,
        "--scp",
        &s3_only,
        "--scp",
        &full,
        "--action",
        "ec2:RunInstances",
    ]);
    assert_eq!(output["decision"], "implicit_deny");
    assert_eq!(
        output["missing_allow"],
        json!({"layer": "scp", "scp_level": 1})
    );
    let text = simulate_text(&[
        "--policy",
        &admin,
        "--scp",
        &full,
        "--scp",
        &s3_only,
        "--scp",
        &full,
        "--action",
        "ec2:RunInstances",
    ]);
    assert!(
        text.contains("No Allow in SCP level 1: no service control policy at this level"),
        "{text}"
    );
}

#[test]
fn a_trust_policy_requiring_mfa_as_a_resource_policy() {
    // The output of `aws iam get-role`.
    let role = fixture("get-role-admin.json");
    let alice = "arn:aws:iam::111122223333:user/alice";
    let base = [
        "--resource-policy",
        &role,
        "--resource-policy-mode",
        "resource-only",
        "--action",
        "sts:AssumeRole",
        "--resource",
        "arn:aws:iam::111122223333:role/admin",
        "--principal",
        alice,
    ];
    let without = simulate_json(&base);
    assert_eq!(without["decision"], "implicit_deny");
    assert_eq!(without["missing_allow"], json!({"layer": "resource"}));
    assert_eq!(without["request"]["principal"], alice);
    assert!(simulate_text(&base).contains("No Allow in the resource policy"));

    let mut with_mfa = base.to_vec();
    with_mfa.extend(["--context", "aws:MultiFactorAuthPresent=true"]);
    let allowed = simulate_json(&with_mfa);
    assert_eq!(allowed["decision"], "allowed");
    assert_eq!(allowed["reasons"][0]["layer"], "resource");
    assert_eq!(allowed["reasons"][0]["sid"], "AliceWithMFA");

    // Another principal is not named by the trust policy.
    let mut bob = with_mfa.clone();
    bob[9] = "arn:aws:iam::111122223333:user/bob";
    assert_eq!(simulate_json(&bob)["decision"], "implicit_deny");

    // Without a principal (anonymous), nothing in the trust policy applies.
    let anonymous: Vec<&str> = with_mfa
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 8 && *i != 9)
        .map(|(_, arg)| *arg)
        .collect();
    let anonymous = simulate_json(&anonymous);
    assert_eq!(anonymous["decision"], "implicit_deny");
    assert_eq!(anonymous["request"]["principal"], Value::Null);

    // By default (require-both) the caller's identity policies must allow too.
    let mut both = with_mfa.clone();
    both.drain(2..4);
    assert_eq!(simulate_json(&both)["decision"], "implicit_deny");
    let admin = fixture("allow-all.json");
    both.extend(["--policy", &admin]);
    assert_eq!(simulate_json(&both)["decision"], "allowed");
}

#[test]
fn a_json_array_is_a_multi_valued_key() {
    let policy = fixture("tag-keys.json");
    let run = |value: &str| {
        simulate_json(&[
            "--policy",
            &policy,
            "--action",
            "ec2:CreateTags",
            "--context",
            value,
        ])
    };
    let both = run(r#"aws:TagKeys=["team","owner"]"#);
    assert_eq!(both["decision"], "allowed");
    assert_eq!(
        both["request"]["context"]["aws:TagKeys"],
        json!(["team", "owner"])
    );
    assert_eq!(
        run(r#"aws:TagKeys=["team","project"]"#)["decision"],
        "implicit_deny"
    );
    let denied = run(r#"aws:TagKeys=["team","cost-center"]"#);
    assert_eq!(denied["decision"], "explicit_deny");
    assert_eq!(denied["reasons"][0]["sid"], "DenyCostCenterTag");
    // A plain value is one value; a key not given is absent, and
    // ForAllValues over an absent key is true.
    assert_eq!(run("aws:TagKeys=owner")["decision"], "allowed");
    assert_eq!(
        simulate_json(&["--policy", &policy, "--action", "ec2:CreateTags"])["decision"],
        "allowed"
    );
    // An empty array is a present key with no values.
    assert_eq!(
        run("aws:TagKeys=[]")["request"]["context"]["aws:TagKeys"],
        json!([])
    );
}

#[test]
fn a_context_file_in_either_form() {
    let (force, admin, tags) = (
        fixture("force-mfa.json"),
        fixture("allow-all.json"),
        fixture("tag-keys.json"),
    );
    for file in ["context-mfa.json", "context-entries.json"] {
        let file = fixture(file);
        let output = simulate_json(&[
            "--policy",
            &force,
            "--policy",
            &admin,
            "--policy",
            &tags,
            "--action",
            "ec2:CreateTags",
            "--context-file",
            &file,
        ]);
        assert_eq!(output["decision"], "allowed", "{file}: {output}");
        assert_eq!(
            output["request"]["context"]["aws:MultiFactorAuthPresent"],
            "true"
        );
        assert_eq!(
            output["request"]["context"]["aws:MultiFactorAuthAge"],
            "300"
        );
        assert!(output["request"]["context"]["aws:TagKeys"].is_array());
    }
    // The command line overrides the file.
    let file = fixture("context-mfa.json");
    let overridden = simulate_json(&[
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:RunInstances",
        "--context-file",
        &file,
        "--context",
        "aws:MultiFactorAuthPresent=false",
    ]);
    assert_eq!(overridden["decision"], "explicit_deny");
    let flag = simulate_json(&[
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:RunInstances",
        "--context-file",
        &file,
        "--no-mfa",
    ]);
    assert_eq!(flag["decision"], "explicit_deny");
    assert_eq!(
        flag["request"]["context"]["aws:MultiFactorAuthPresent"],
        Value::Null
    );
}

#[test]
fn open_world_names_the_keys_the_decision_depends_on() {
    let (force, admin) = (fixture("force-mfa.json"), fixture("allow-all.json"));
    let args = [
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:RunInstances",
        "--open-world",
    ];
    let output = simulate_json(&args);
    // Could it be allowed? Yes, if the unknown MFA key lets the Deny not apply.
    assert_eq!(output["decision"], "allowed");
    assert_eq!(output["depends_on"], json!(["aws:multifactorauthpresent"]));
    assert_eq!(output["request"]["open_world"], true);
    let text = simulate_text(&args);
    assert!(
        text.contains("Depends on the unknown keys: aws:multifactorauthpresent"),
        "{text}"
    );
    // With the MFA keys declared absent, it is decided.
    let mut keys = args.to_vec();
    keys.push("--no-mfa");
    let decided = simulate_json(&keys);
    assert_eq!(decided["decision"], "explicit_deny");
    assert!(decided.get("depends_on").is_none(), "{decided}");
}

#[test]
fn policy_files_from_the_aws_cli_are_accepted() {
    // get-policy-version with a URL-encoded document, as the raw API gives it.
    let encoded = fixture("get-policy-version-encoded.json");
    let run = |resource: &str| {
        simulate_json(&[
            "--policy",
            &encoded,
            "--action",
            "s3:GetObject",
            "--resource",
            resource,
        ])
    };
    let allowed = run("arn:aws:s3:::reports/2026/q1.csv");
    assert_eq!(allowed["decision"], "allowed");
    assert_eq!(allowed["reasons"][0]["sid"], "ReadReports");
    assert_eq!(run("arn:aws:s3:::other/x")["decision"], "implicit_deny");

    // A bare URL-encoded document.
    let dir = tempfile::tempdir().expect("temp dir");
    let bare = dir.path().join("encoded.txt");
    std::fs::write(
        &bare,
        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D",
    )
    .expect("write");
    let bare = bare.display().to_string();
    assert_eq!(
        simulate_json(&["--policy", &bare, "--action", "ec2:RunInstances"])["decision"],
        "allowed"
    );
}

#[test]
fn a_bad_policy_file_names_the_file_and_the_json_path() {
    let bad = fixture("bad-operator.json");
    let error = simulate_error(&["--policy", &bad, "--action", "s3:GetObject"]);
    assert!(error.contains("bad-operator.json"), "{error}");
    assert!(
        error.contains("/Statement/1/Condition/BoolIfExist"),
        "{error}"
    );

    // Inside a get-policy-version wrapper, the path includes the wrapper.
    let wrapped = fixture("bad-get-policy-version.json");
    let error = simulate_error(&["--policy", &wrapped, "--action", "s3:GetObject"]);
    assert!(error.contains("bad-get-policy-version.json"), "{error}");
    assert!(
        error.contains("/PolicyVersion/Document/Statement/0/Effect"),
        "{error}"
    );

    // The same checks apply to every layer.
    let admin = fixture("allow-all.json");
    for flag in ["--boundary", "--scp", "--resource-policy"] {
        let error = simulate_error(&["--policy", &admin, flag, &bad, "--action", "s3:GetObject"]);
        assert!(
            error.contains("bad-operator.json: /Statement/1/"),
            "{flag}: {error}"
        );
    }

    // Syntax errors give the line and column.
    let dir = tempfile::tempdir().expect("temp dir");
    let truncated = dir.path().join("truncated.json");
    std::fs::write(
        &truncated,
        "{\"Version\": \"2012-10-17\",\n \"Statement\": [",
    )
    .expect("write");
    let truncated = truncated.display().to_string();
    let error = simulate_error(&["--policy", &truncated, "--action", "s3:GetObject"]);
    assert!(error.contains("truncated.json"), "{error}");
    assert!(error.contains("line 2"), "{error}");

    let missing = simulate_error(&[
        "--policy",
        "/nonexistent/p.json",
        "--action",
        "s3:GetObject",
    ]);
    assert!(missing.contains("/nonexistent/p.json"), "{missing}");
}

#[test]
fn bad_arguments_are_errors() {
    let admin = fixture("allow-all.json");
    let error = simulate_error(&[
        "--policy",
        &admin,
        "--action",
        "s3:GetObject",
        "--context",
        "novalue",
    ]);
    assert!(error.contains("KEY=VALUE"), "{error}");
    let error = simulate_error(&[
        "--policy",
        &admin,
        "--action",
        "s3:GetObject",
        "--context",
        r#"aws:TagKeys=["a","#,
    ]);
    assert!(error.contains("aws:TagKeys"), "{error}");
    let error = simulate_error(&[
        "--policy",
        &admin,
        "--action",
        "s3:GetObject",
        "--context",
        "aws:MultiFactorAuthPresent=true",
        "--no-mfa",
    ]);
    assert!(error.contains("--no-mfa"), "{error}");
    let error = simulate_error(&[
        "--policy",
        &admin,
        "--action",
        "s3:GetObject",
        "--context",
        "aws:username=a",
        "--context",
        "AWS:UserName=b",
    ]);
    assert!(error.contains("twice"), "{error}");
    // Two MFA rows at once.
    simulate_error(&[
        "--policy",
        &admin,
        "--action",
        "s3:GetObject",
        "--no-mfa",
        "--mfa-age",
        "5",
    ]);
    // No policies at all.
    let error = simulate_error(&["--action", "s3:GetObject"]);
    assert!(error.contains("--policy"), "{error}");
    // --from without --principal.
    let error = simulate_error(&["--from", &demo(), "--action", "s3:GetObject"]);
    assert!(error.contains("--principal"), "{error}");

    let bad = fixture("bad-context.json");
    let error = simulate_error(&[
        "--policy",
        &admin,
        "--action",
        "s3:GetObject",
        "--context-file",
        &bad,
    ]);
    assert!(
        error.contains("bad-context.json: at /aws:TagKeys/1"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------
// --from: the demo account (examples/demo-account)

fn from_demo(principal: &str, action: &str, resource: &str, extra: &[&str]) -> Value {
    let demo = demo();
    let mut args = vec![
        "--from",
        &demo,
        "--principal",
        principal,
        "--action",
        action,
        "--resource",
        resource,
    ];
    args.extend_from_slice(extra);
    simulate_json(&args)
}

#[test]
fn a_user_in_groups_with_policies() {
    // judy: groups Developers (DeveloperWorkloads) and ForceMFA.
    let judy = "arn:aws:iam::111122223333:user/judy";
    let denied = from_demo("judy", "s3:GetObject", "arn:aws:s3:::data/x", &["--no-mfa"]);
    assert_eq!(denied["decision"], "explicit_deny", "{denied}");
    assert_eq!(
        denied["reasons"][0]["policy"],
        "arn:aws:iam::111122223333:policy/ForceMFA (through group ForceMFA)"
    );
    assert_eq!(denied["reasons"][0]["sid"], "DenyAllExceptListedIfNoMFA");
    assert_eq!(denied["request"]["principal"], judy);
    assert_eq!(
        denied["identity"],
        json!({"type": "user", "name": "judy", "arn": judy})
    );
    assert_eq!(denied["gaps"], json!([]));
    assert_eq!(denied["scps_evaluated"], false);
    let context = &denied["request"]["context"];
    assert_eq!(context["aws:username"], "judy");
    assert_eq!(context["aws:userid"], "AIDAHHTSALM3UMCTQDPW3");
    assert_eq!(context["aws:PrincipalArn"], judy);
    assert_eq!(context["aws:PrincipalAccount"], "111122223333");
    assert_eq!(context["aws:PrincipalType"], "User");

    let allowed = from_demo(
        "judy",
        "s3:GetObject",
        "arn:aws:s3:::data/x",
        &["--mfa-age", "120"],
    );
    assert_eq!(allowed["decision"], "allowed");
    assert_eq!(
        allowed["reasons"][0]["policy"],
        "arn:aws:iam::111122223333:policy/DeveloperWorkloads (through group Developers)"
    );
    assert_eq!(allowed["reasons"][0]["sid"], "WorkloadServices");
    // Developers have no IAM permissions, even with MFA.
    let iam = from_demo("judy", "iam:CreateUser", "*", &["--mfa-age", "120"]);
    assert_eq!(iam["decision"], "implicit_deny");
    assert_eq!(iam["missing_allow"]["layer"], "identity");

    // ${aws:username} is set from the identity: self-service works without MFA.
    let own = from_demo(
        "judy",
        "iam:EnableMFADevice",
        "arn:aws:iam::111122223333:user/judy",
        &["--no-mfa"],
    );
    assert_eq!(own["decision"], "allowed");
    assert_eq!(own["reasons"][0]["sid"], "AllowManageOwnUserMFA");
    // Unless the key is given explicitly.
    let other = from_demo(
        "judy",
        "iam:EnableMFADevice",
        "arn:aws:iam::111122223333:user/judy",
        &["--no-mfa", "--context", "aws:username=tina"],
    );
    assert_eq!(other["decision"], "implicit_deny");
    assert_eq!(other["request"]["context"]["aws:username"], "tina");

    let demo = demo();
    let text = simulate_text(&[
        "--from",
        &demo,
        "--principal",
        "judy",
        "--action",
        "s3:GetObject",
    ]);
    assert!(text.starts_with("DENIED (explicit Deny)\n"), "{text}");
    assert!(
        text.contains("policies of the user judy (arn:aws:iam::111122223333:user/judy)"),
        "{text}"
    );
    assert!(
        text.contains("note: service control policies are not in the inputs"),
        "{text}"
    );
    assert!(!text.contains("warning:"), "{text}");
}

#[test]
fn a_user_with_a_path_and_a_boundary() {
    // nina has the path /engineering/: ForceMFA's user/${aws:username} does
    // not match her ARN, so she cannot enable her own device.
    let nina = "arn:aws:iam::111122223333:user/engineering/nina";
    for principal in ["nina", "NINA", nina] {
        let enable = from_demo(principal, "iam:EnableMFADevice", nina, &["--no-mfa"]);
        assert_eq!(enable["decision"], "implicit_deny", "{principal}: {enable}");
        assert_eq!(enable["request"]["principal"], nina);
        assert_eq!(enable["request"]["context"]["aws:PrincipalArn"], nina);
    }

    // wendy: permissions boundary RequireMFABoundary (Allow * only with MFA).
    let without = from_demo("wendy", "ec2:DescribeInstances", "*", &["--console-no-mfa"]);
    assert_eq!(without["decision"], "implicit_deny");
    assert_eq!(
        without["missing_allow"],
        json!({"layer": "permissions_boundary"})
    );
    let with = from_demo("wendy", "ec2:DescribeInstances", "*", &["--mfa-age", "60"]);
    assert_eq!(with["decision"], "allowed");
    assert!(
        with["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|reason| reason["layer"] == "permissions_boundary"
                && reason["sid"] == "AllowEverythingWithMFA"),
        "{with}"
    );
}

#[test]
fn a_role_by_name_arn_or_session() {
    // DeveloperAccess: PowerUserAccess (everything but IAM and Organizations).
    let arn = "arn:aws:iam::111122223333:role/DeveloperAccess";
    let by_name = from_demo("DeveloperAccess", "ec2:RunInstances", "*", &[]);
    assert_eq!(by_name["decision"], "allowed");
    assert_eq!(
        by_name["identity"],
        json!({"type": "role", "name": "DeveloperAccess", "arn": arn})
    );
    assert_eq!(by_name["request"]["principal"], arn);
    let context = &by_name["request"]["context"];
    assert_eq!(context["aws:PrincipalType"], "AssumedRole");
    assert_eq!(context["aws:PrincipalArn"], arn);
    assert_eq!(context["aws:PrincipalAccount"], "111122223333");
    assert!(context.get("aws:username").is_none(), "{context}");

    let by_arn = from_demo(arn, "iam:CreateUser", "*", &[]);
    assert_eq!(by_arn["decision"], "implicit_deny");

    let session = "arn:aws:sts::111122223333:assumed-role/DeveloperAccess/judy";
    let by_session = from_demo(session, "ec2:RunInstances", "*", &[]);
    assert_eq!(by_session["decision"], "allowed");
    assert_eq!(by_session["request"]["principal"], session);
    assert_eq!(
        by_session["request"]["context"]["aws:userid"],
        "AROA7RC22A2G2LLQVACCU:judy"
    );
    assert_eq!(by_session["request"]["context"]["aws:PrincipalArn"], arn);
}

#[test]
fn an_unknown_principal_suggests_close_names() {
    let demo = demo();
    let error = simulate_error(&[
        "--from",
        &demo,
        "--principal",
        "alce",
        "--action",
        "s3:GetObject",
    ]);
    assert!(error.contains("`alce`"), "{error}");
    assert!(error.contains("did you mean alice"), "{error}");

    let error = simulate_error(&[
        "--from",
        &demo,
        "--principal",
        "DeveloperAcess",
        "--action",
        "s3:GetObject",
    ]);
    assert!(error.contains("did you mean DeveloperAccess"), "{error}");

    let error = simulate_error(&[
        "--from",
        &demo,
        "--principal",
        "arn:aws:iam::111122223333:user/engineering/nena",
        "--action",
        "s3:GetObject",
    ]);
    assert!(error.contains("nina"), "{error}");

    let error = simulate_error(&[
        "--from",
        &demo,
        "--principal",
        "zzzzzzzzzzzz",
        "--action",
        "s3:GetObject",
    ]);
    assert!(error.contains("no user or role `zzzzzzzzzzzz`"), "{error}");
    assert!(!error.contains("did you mean"), "{error}");

    let error = simulate_error(&[
        "--from",
        "/nonexistent/account",
        "--principal",
        "alice",
        "--action",
        "s3:GetObject",
    ]);
    assert!(error.contains("/nonexistent/account"), "{error}");
}

#[test]
fn gaps_in_the_inputs_are_reported() {
    // Only account-authorization-details.json (no credential report); priya's
    // attached AWS managed policy is not in it, and one of her groups is not
    // described.
    let account = fixture("partial-account");
    let args = [
        "--from",
        &account,
        "--principal",
        "priya",
        "--action",
        "ec2:DescribeInstances",
    ];
    let mut json_args = vec!["simulate"];
    json_args.extend_from_slice(&args);
    json_args.extend(["--format", "json"]);
    let output = mfaguard(&json_args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["decision"], "allowed");
    let gaps = value["gaps"].as_array().expect("gaps");
    assert_eq!(gaps.len(), 2, "{value}");
    assert!(gaps[0]
        .as_str()
        .unwrap_or_default()
        .contains("ReadOnlyAccess"));
    assert!(gaps[1].as_str().unwrap_or_default().contains("Contractors"));
    assert!(
        stderr(&output).contains("may be wrong"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        value["request"]["context"]["aws:PrincipalAccount"],
        "444455556666"
    );

    let text = simulate_text(&args);
    assert!(
        text.contains(
            "warning: some policies could not be evaluated, so this decision may be wrong:"
        ),
        "{text}"
    );
    assert!(
        text.contains("group Contractors is not described"),
        "{text}"
    );

    // The get-account-authorization-details file itself works too, and a
    // name that is both a user and a role needs its ARN.
    let file = fixture("partial-account/account-authorization-details.json");
    let error = simulate_error(&[
        "--from",
        &file,
        "--principal",
        "ops",
        "--action",
        "s3:GetObject",
    ]);
    assert!(error.contains("both a user and a role"), "{error}");
    assert!(
        error.contains("arn:aws:iam::444455556666:role/ops"),
        "{error}"
    );
    let role = simulate_json(&[
        "--from",
        &file,
        "--principal",
        "arn:aws:iam::444455556666:role/ops",
        "--action",
        "s3:GetObject",
    ]);
    assert_eq!(role["identity"]["type"], "role");
    assert_eq!(role["decision"], "implicit_deny");
}

#[test]
fn a_saved_snapshot_with_scps() {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot: PathBuf = dir.path().join("snapshot.json");
    let snapshot_arg = snapshot.display().to_string();
    let demo = demo();
    let saved = mfaguard(&[
        "scan",
        "--from",
        &demo,
        "--save-snapshot",
        &snapshot_arg,
        "--format",
        "json",
        "--now",
        "2026-11-22T12:00:00Z",
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(&snapshot).expect("read")).expect("JSON");
    let full = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    value["service_control_policies"] = json!([
        {"target_id": "r-ab12", "target_type": "ROOT", "policies": [
            {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "document": full}]},
        {"target_id": "111122223333", "target_type": "ACCOUNT", "policies": [
            {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "document": full},
            {"id": "p-noregion", "name": "NoRunInstances", "document": {"Version": "2012-10-17", "Statement": [
                {"Sid": "NoRunInstances", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}]}}]}
    ]);
    std::fs::write(&snapshot, value.to_string()).expect("write");

    // alice is an administrator (Admins) under ForceMFA; with MFA only the
    // SCP stops her.
    let run = simulate_json(&[
        "--from",
        &snapshot_arg,
        "--principal",
        "alice",
        "--action",
        "ec2:RunInstances",
        "--mfa-age",
        "60",
    ]);
    assert_eq!(run["decision"], "explicit_deny", "{run}");
    assert_eq!(run["reasons"][0]["layer"], "scp");
    assert_eq!(run["reasons"][0]["scp_level"], 1);
    assert_eq!(
        run["reasons"][0]["policy"],
        "SCP NoRunInstances (p-noregion) on 111122223333"
    );
    assert_eq!(run["scps_evaluated"], true);

    let describe = simulate_json(&[
        "--from",
        &snapshot_arg,
        "--principal",
        "alice",
        "--action",
        "ec2:DescribeInstances",
        "--mfa-age",
        "60",
    ]);
    assert_eq!(describe["decision"], "allowed");
    let text = simulate_text(&[
        "--from",
        &snapshot_arg,
        "--principal",
        "alice",
        "--action",
        "ec2:DescribeInstances",
        "--mfa-age",
        "60",
    ]);
    assert!(!text.contains("service control policies are not"), "{text}");
    assert!(
        text.contains("SCP level 0 (root): SCP FullAWSAccess"),
        "{text}"
    );
}

#[test]
fn the_json_output_shape() {
    let (force, admin) = (fixture("force-mfa.json"), fixture("allow-all.json"));
    let files = simulate_json(&[
        "--policy",
        &force,
        "--policy",
        &admin,
        "--action",
        "ec2:RunInstances",
        "--resource",
        "arn:aws:ec2:eu-west-1:111122223333:instance/*",
        "--principal",
        "arn:aws:iam::111122223333:user/alice",
        "--context",
        "aws:RequestedRegion=eu-west-1",
    ]);
    let keys: Vec<&str> = files
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["decision", "reasons", "request"], "{files}");
    assert_eq!(
        files["request"],
        json!({
            "action": "ec2:RunInstances",
            "resource": "arn:aws:ec2:eu-west-1:111122223333:instance/*",
            "principal": "arn:aws:iam::111122223333:user/alice",
            "context": {"aws:RequestedRegion": "eu-west-1"},
        })
    );
    for reason in files["reasons"].as_array().expect("reasons") {
        for key in ["layer", "policy", "statement", "effect"] {
            assert!(reason.get(key).is_some(), "{key}: {reason}");
        }
    }

    let from = from_demo("judy", "ec2:DescribeInstances", "*", &["--mfa-age", "5"]);
    let mut keys: Vec<&str> = from
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "decision",
            "gaps",
            "identity",
            "reasons",
            "request",
            "scps_evaluated"
        ]
    );

    let implicit = simulate_json(&[
        "--policy",
        &force,
        "--action",
        "ec2:RunInstances",
        "--mfa-age",
        "5",
    ]);
    assert_eq!(implicit["decision"], "implicit_deny");
    assert_eq!(implicit["reasons"], json!([]));
    assert_eq!(implicit["missing_allow"], json!({"layer": "identity"}));

    // Built-in rules are reasons too.
    let caller = simulate_json(&["--policy", &force, "--action", "sts:GetCallerIdentity"]);
    assert_eq!(caller["decision"], "allowed");
    assert_eq!(caller["reasons"][0]["layer"], "builtin");
    assert!(caller["reasons"][0]["note"].is_string());
}

/// An action the catalogue does not list is answered, with a warning that
/// names the closest catalogue actions: a typo must not pass unnoticed as
/// an allowed (or explicitly denied) request.
#[test]
fn unknown_actions_are_warned_about_with_the_closest_names() {
    let (force, admin) = (fixture("force-mfa.json"), fixture("allow-all.json"));
    let base = ["--policy", &force, "--policy", &admin, "--no-mfa"];

    let mut args = base.to_vec();
    args.extend(["--action", "iam:EnableMFADevices"]);
    let answer = simulate_json(&args);
    let warnings = answer["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{answer}");
    let warning = warnings[0].as_str().unwrap_or_default();
    assert!(
        warning.contains("`iam:EnableMFADevices` is not an action in the embedded catalogue")
            && warning.contains("did you mean iam:EnableMFADevice"),
        "{warning}"
    );
    let text = simulate_text(&args);
    assert!(text.contains("warning: `iam:EnableMFADevices`"), "{text}");

    let mut args = vec!["--policy", admin.as_str(), "--action", "ec2RunInstances"];
    args.push("--no-mfa");
    let answer = simulate_json(&args);
    let warning = answer["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warning.contains("actions are written service:ActionName")
            && warning.contains("did you mean ec2:RunInstances"),
        "{warning}"
    );

    // A catalogue action, in any case, and a pattern get no warning.
    for action in ["iam:EnableMFADevice", "IAM:enablemfadevice", "iam:Enable*"] {
        let mut args = base.to_vec();
        args.extend(["--action", action]);
        let answer = simulate_json(&args);
        assert!(answer.get("warnings").is_none(), "{action}: {answer}");
    }
}
