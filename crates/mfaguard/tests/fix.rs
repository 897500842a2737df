//! `mfaguard fix policy` and `mfaguard fix plan` on the demo account: the
//! Terraform parses back to the same policies, the CloudFormation passes
//! cfn-lint, and the written snapshot scans with the fixed tiers enforced.

use std::path::{Path, PathBuf};
use std::process::Command;

use hcl::eval::{Context, Evaluate};
use serde_json::Value;

const NOW: &str = "2026-11-22T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> PathBuf {
    repo().join("examples/demo-account")
}

fn mfaguard(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fix_policy(format: &str) -> String {
    let demo = demo();
    let (code, stdout, stderr) = mfaguard(&[
        "fix",
        "policy",
        "--from",
        demo.to_str().unwrap(),
        "--config",
        demo.join("mfaguard.toml").to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        format,
    ]);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

/// `jsonencode(...)` arguments of the attribute `name` in every block.
fn jsonencoded(body: &hcl::Body, name: &str) -> Vec<Value> {
    let mut found = Vec::new();
    for block in body.blocks() {
        for attribute in block.body().attributes() {
            if attribute.key() != name {
                continue;
            }
            let hcl::Expression::FuncCall(call) = attribute.expr() else {
                panic!("{name} is not a function call");
            };
            assert_eq!(call.name.to_string(), "jsonencode");
            let value = call.args[0]
                .evaluate(&Context::new())
                .expect("a literal policy evaluates");
            found.push(serde_json::to_value(value).unwrap());
        }
    }
    found
}

#[test]
fn terraform_parses_back_to_the_same_policies_and_is_fmt_aligned() {
    let terraform = fix_policy("terraform");
    let bundle: Value = serde_json::from_str(&fix_policy("json")).unwrap();
    let body: hcl::Body = hcl::parse(&terraform).expect("the Terraform output is valid HCL");

    let policies = jsonencoded(&body, "policy");
    assert_eq!(
        policies,
        [bundle["self_service_policy"]["document"].clone()]
    );
    // The policy variables reach AWS unescaped.
    assert!(policies[0].to_string().contains("user/*/${aws:username}"));
    let scps = jsonencoded(&body, "content");
    assert_eq!(scps, [bundle["service_control_policy"]["document"].clone()]);
    let mut trust: Vec<Value> = bundle["trust_policies"]
        .as_object()
        .unwrap()
        .values()
        .cloned()
        .collect();
    let mut locals = Vec::new();
    for block in body.blocks().filter(|block| block.identifier() == "locals") {
        for attribute in block.body().attributes() {
            let hcl::Expression::FuncCall(call) = attribute.expr() else {
                panic!("local is not jsonencode");
            };
            let value = call.args[0].evaluate(&Context::new()).unwrap();
            locals.push(serde_json::to_value(value).unwrap());
        }
    }
    let key = |value: &Value| value.to_string();
    trust.sort_by_key(key);
    locals.sort_by_key(key);
    assert_eq!(locals, trust);
    assert_eq!(trust.len(), 4);

    // terraform fmt: two-space indentation, `=` aligned across consecutive
    // single-line attributes, one blank line between blocks, no trailing
    // whitespace.
    let lines: Vec<&str> = terraform.lines().collect();
    let mut run: Vec<(usize, usize)> = Vec::new();
    let assignment = |line: &str| -> Option<(usize, usize)> {
        let indent = line.len() - line.trim_start().len();
        let (left, right) = line.split_once(" = ")?;
        let open: i32 = right
            .chars()
            .map(|c| match c {
                '{' | '[' | '(' => 1,
                '}' | ']' | ')' => -1,
                _ => 0,
            })
            .sum();
        (open == 0 && !left.trim().contains(' ') || left.trim().starts_with('"'))
            .then_some((indent, left.len()))
    };
    for line in &lines {
        assert_eq!(line.trim_end(), *line, "trailing whitespace: {line:?}");
        let indent = line.len() - line.trim_start().len();
        assert_eq!(indent % 2, 0, "odd indentation: {line:?}");
        match assignment(line) {
            Some(entry) => run.push(entry),
            None => {
                if let Some(first) = run.first() {
                    assert!(
                        run.iter().all(|entry| entry.1 == first.1),
                        "unaligned run before {line:?}"
                    );
                }
                run.clear();
            }
        }
    }
    assert!(!terraform.contains("\n\n\n"));
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
fn cloudformation_passes_cfn_lint() {
    let Some(cfn_lint) = cfn_lint() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (format, file) in [
        ("cloudformation-yaml", "template.yaml"),
        ("cloudformation-json", "template.json"),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, fix_policy(format)).unwrap();
        let output = Command::new(&cfn_lint)
            .arg(&path)
            .output()
            .expect("run cfn-lint");
        assert!(
            output.status.success(),
            "cfn-lint on {file}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn strategy_message(report: &Value) -> String {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["check_id"] == "iam.mfa_enforcement_strategy")
        .and_then(|result| result["message"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn plan_round_trip_scans_the_fixed_tiers_enforced() {
    let demo = demo();
    let dir = tempfile::tempdir().unwrap();
    let written = dir.path().join("after.json");
    let config = demo.join("mfaguard.toml");
    let (code, plan, stderr) = mfaguard(&[
        "fix",
        "plan",
        "--from",
        demo.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "json",
        "--write-snapshot",
        written.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(plan["lockouts"].as_array().unwrap().len(), 7);

    let (code, report, stderr) = mfaguard(&[
        "scan",
        "--snapshot",
        written.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&report).unwrap();
    let message = strategy_message(&report);
    // Enforcement and roles are covered in the fixed tiers; enrolment of
    // the people without a device is what remains (the lockouts).
    assert!(
        message.contains("breakglass: 2/2 console users with MFA, 2/2 enforced")
            && message.contains("11/11 enforced, roles requiring MFA 3/3;"),
        "{message}"
    );
    assert!(
        message.contains("27/27 enforced, roles requiring MFA 3/3, 1 unknown"),
        "{message}"
    );
    for result in report["results"].as_array().unwrap() {
        let check = result["check_id"].as_str().unwrap();
        if check == "iam.mfa_enforced_by_policy" || check == "iam.role_assumption_mfa" {
            assert_ne!(result["status"], "fail", "{result}");
        }
    }
    // The one role still undetermined is the SAML role, whose MFA the
    // identity provider enforces: never a pass.
    let okta = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["check_id"] == "iam.role_assumption_mfa" && r["resource_name"] == "OktaEngineers"
        })
        .unwrap();
    assert_eq!(okta["status"], "unknown");

    // The text plan names the lockouts with their owners, and the rollout.
    let (code, text, _) = mfaguard(&[
        "fix",
        "plan",
        "--from",
        demo.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(code, 0);
    assert!(
        text.contains("nina (human) owner nina@example.com"),
        "{text}"
    );
    assert!(text.contains("contractor-hana (owner tina@example.com)"));
    // The plan's role figures are the strategy check's: the SAML role is
    // undecided before and after, never counted as covered.
    let human_row = text
        .lines()
        .find(|line| line.trim_start().starts_with("human ") && line.contains('%'))
        .unwrap();
    assert!(
        human_row.contains("0/3, 1 unknown") && human_row.contains("3/3, 1 unknown"),
        "{human_row}"
    );
    let root = text.find("1. Root").unwrap();
    let breakglass = text.find("2. Break-glass").unwrap();
    let privileged = text.find("3. Privileged").unwrap();
    let human = text.find("4. Every other human").unwrap();
    assert!(root < breakglass && breakglass < privileged && privileged < human);
}

#[test]
fn fix_needs_the_authorization_details() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        demo().join("credential-report.json"),
        dir.path().join("credential-report.json"),
    )
    .unwrap();
    let (code, _, stderr) = mfaguard(&["fix", "policy", "--from", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("authorization details"), "{stderr}");
}
