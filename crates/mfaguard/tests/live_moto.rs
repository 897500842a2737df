//! Live collection against moto, a real implementation of the IAM, STS and
//! Organizations HTTP APIs, started on 127.0.0.1 by the test.
//!
//! Accounts are seeded through the real HTTP API with the official Rust SDK;
//! then the real `mfaguard` binary collects them with the standard
//! credential chain and `AWS_ENDPOINT_URL`.

mod support {
    pub mod moto;
}

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};
use support::moto::{create_organization, mfaguard, python_or_skip, runtime, Moto};

const NOW: &str = "2026-11-22T12:00:00Z";
const MAIN_ACCOUNT: &str = "123456789012";
const SEED_ROLE: &str = "moto-seed-admin";

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.code().is_some(),
        "mfaguard was killed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): stdout {} stderr {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn policy(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Seeds one account: `users` users in a realistic mix, groups, roles.
async fn seed_account(config: &aws_config::SdkConfig, prefix: &str, users: usize) {
    let iam = aws_sdk_iam::Client::new(config);
    iam.create_group()
        .group_name("Admins")
        .send()
        .await
        .expect("group");
    iam.attach_group_policy()
        .group_name("Admins")
        .policy_arn(ADMIN)
        .send()
        .await
        .expect("attach");
    iam.create_group()
        .group_name("Developers")
        .send()
        .await
        .expect("group");
    iam.put_group_policy()
        .group_name("Developers")
        .policy_name("dev")
        .policy_document(policy(
            json!([{"Effect": "Allow", "Action": ["ec2:*", "s3:Get*"], "Resource": "*"}]),
        ))
        .send()
        .await
        .expect("group policy");
    for i in 0..users {
        let name = format!("{prefix}{i:03}");
        iam.create_user()
            .user_name(&name)
            .send()
            .await
            .expect("user");
        let machine = i % 3 == 0;
        if machine {
            iam.create_access_key()
                .user_name(&name)
                .send()
                .await
                .expect("key");
        } else {
            iam.create_login_profile()
                .user_name(&name)
                .password("Pa55word!x")
                .send()
                .await
                .expect("login");
        }
        if i % 3 == 1 {
            let device = iam
                .create_virtual_mfa_device()
                .virtual_mfa_device_name(&name)
                .send()
                .await
                .expect("virtual device");
            let serial = device
                .virtual_mfa_device()
                .map(|d| d.serial_number().to_string())
                .expect("serial");
            iam.enable_mfa_device()
                .user_name(&name)
                .serial_number(serial)
                .authentication_code1("123456")
                .authentication_code2("654321")
                .send()
                .await
                .expect("enable");
        }
        let group = if i % 10 == 1 || i % 10 == 2 {
            "Admins"
        } else {
            "Developers"
        };
        iam.add_user_to_group()
            .group_name(group)
            .user_name(&name)
            .send()
            .await
            .expect("membership");
    }
    // An inline allow-everything policy: moto returns it URL-encoded, as AWS does.
    if users <= 5 {
        return;
    }
    iam.put_user_policy()
        .user_name(format!("{prefix}005"))
        .policy_name("everything")
        .policy_document(policy(
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        ))
        .send()
        .await
        .expect("inline");
}

async fn seed_service_role(config: &aws_config::SdkConfig) {
    let iam = aws_sdk_iam::Client::new(config);
    iam.create_role()
        .role_name("app-server")
        .assume_role_policy_document(policy(json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}])))
        .send()
        .await
        .expect("role");
}

/// Writes the README's AWS CLI exports of the account into `dir`, with the
/// real `aws` command (PyPI awscli) against moto.
fn export_with_aws_cli(moto: &Moto, python: &Path, dir: &Path) -> bool {
    let aws = python.with_file_name("aws");
    if !aws.is_file() {
        return false;
    }
    let env = moto.env("testing", "testing");
    let run = |args: &[&str]| -> Vec<u8> {
        let output = Command::new(&aws)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run aws");
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    run(&["iam", "generate-credential-report"]);
    let files = [
        (
            "credential-report.json",
            vec!["iam", "get-credential-report", "--output", "json"],
        ),
        (
            "account-authorization-details.json",
            vec![
                "iam",
                "get-account-authorization-details",
                "--output",
                "json",
            ],
        ),
        (
            "virtual-mfa-devices.json",
            vec!["iam", "list-virtual-mfa-devices", "--output", "json"],
        ),
        (
            "account-summary.json",
            vec!["iam", "get-account-summary", "--output", "json"],
        ),
    ];
    for (name, args) in files {
        std::fs::write(dir.join(name), run(&args)).expect("write export");
    }
    // The README's loop, merged as jq would; users without MFA are skipped
    // here only to save time (their lists are empty).
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("credential-report.json")).expect("report"))
            .expect("json");
    let csv = String::from_utf8(base64_decode(report["Content"].as_str().expect("content")))
        .expect("utf8");
    let mut devices = Vec::new();
    for line in csv.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.get(7) != Some(&"true") || fields[0] == "<root_account>" {
            continue;
        }
        let name = fields[0];
        let listed: Value = serde_json::from_slice(&run(&[
            "iam",
            "list-mfa-devices",
            "--user-name",
            name,
            "--output",
            "json",
        ]))
        .expect("devices");
        devices.extend(listed["MFADevices"].as_array().cloned().unwrap_or_default());
    }
    std::fs::write(
        dir.join("mfa-devices.json"),
        json!({"MFADevices": devices}).to_string(),
    )
    .expect("write");
    true
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text
        .bytes()
        .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
    {
        let value = ALPHABET.iter().position(|c| *c == byte).expect("base64") as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// Drops what legitimately differs between two collections of the same data.
fn comparable(mut report: Value) -> Value {
    for account in report["accounts"].as_array_mut().expect("accounts") {
        let account = account.as_object_mut().expect("account");
        for key in [
            "source",
            "location",
            "collected_at",
            "api_calls",
            "credential_report_generated_at",
            "credential_report_age_hours",
        ] {
            account.remove(key);
        }
    }
    if let Some(warnings) = report["warnings"].as_array_mut() {
        warnings.retain(|w| {
            !w.as_str()
                .unwrap_or_default()
                .contains("credential report was generated")
        });
    }
    report
}

/// Every call in `calls` (the report's `api_calls`) is allowed by
/// policies/mfaguard-scanner.json, evaluated with the policy engine.
fn assert_shipped_policy_allows(calls: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/mfaguard-scanner.json");
    let text = std::fs::read_to_string(&path).expect("policy file");
    let policy = iam_policy::Policy::parse(&text).expect("policy parses");
    let set = iam_policy::PolicySet::new().with_identity("mfaguard-scanner", policy);
    let context = iam_policy::Context::new();
    let made = calls.as_object().expect("api_calls object");
    assert!(!made.is_empty());
    for action in made.keys() {
        let decision = set.evaluate(&iam_policy::Request::new(action, "*", &context));
        assert!(
            decision.is_allowed(),
            "{action} was called but policies/mfaguard-scanner.json does not allow it"
        );
    }
}

fn result_status(report: &Value, check: &str, name: &str) -> String {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["check_id"] == check && r["resource_name"] == name)
        .map(|r| r["status"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("no {check} result for {name}"))
}

#[test]
fn live_scan_of_one_account_equals_offline_scan_of_its_cli_exports() {
    let Some(python) = python_or_skip("live_scan_of_one_account") else {
        return;
    };
    let moto = Moto::start(
        &python,
        &json!({MAIN_ACCOUNT: {"mfa_active": true, "virtual_mfa": true}}),
        &[],
    );
    runtime().block_on(async {
        let config = moto.sdk_config("testing", "testing", None).await;
        // More users than one page of GetAccountAuthorizationDetails (100).
        seed_account(&config, "user", 130).await;
        seed_service_role(&config).await;
    });
    let env = moto.env("testing", "testing");
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = dir.path().join("snapshot.json");

    let collect = mfaguard(
        &env,
        &[
            "collect",
            "-o",
            snapshot.to_str().expect("path"),
            "--verbose",
        ],
    );
    assert_eq!(
        collect.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&collect.stderr)
    );
    let calls = String::from_utf8_lossy(&collect.stderr);
    assert!(
        calls.contains("iam:GetAccountAuthorizationDetails"),
        "{calls}"
    );

    let live = json_of(&mfaguard(&env, &["scan", "--format", "json", "--now", NOW]));
    let replayed = json_of(&mfaguard(
        &env,
        &[
            "scan",
            "--snapshot",
            snapshot.to_str().expect("path"),
            "--format",
            "json",
            "--now",
            NOW,
        ],
    ));
    assert_eq!(comparable(live.clone()), comparable(replayed));

    // Pagination: every user made it.
    let users = live["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .filter(|i| i["type"] == "user")
        .count();
    assert_eq!(users, 130);
    // Call counts are in the report's metadata.
    let calls = &live["accounts"][0]["api_calls"];
    assert!(
        calls["iam:GetAccountAuthorizationDetails"]
            .as_u64()
            .expect("count")
            >= 2,
        "{calls}"
    );
    // ListMFADevices only for users whose report shows MFA (every third).
    assert_eq!(calls["iam:ListMFADevices"].as_u64(), Some(43), "{calls}");
    // The shipped least-privilege policy allows every call actually made.
    assert_shipped_policy_allows(calls);

    // Root row added by the launcher: virtual MFA.
    assert_eq!(
        result_status(&live, "iam.root_mfa_enabled", "<root_account>"),
        "pass"
    );
    assert_eq!(
        result_status(&live, "iam.root_hardware_mfa", "<root_account>"),
        "fail"
    );
    // user002: console, Admins, no MFA. user001: Admins with MFA.
    assert_eq!(
        result_status(&live, "iam.privileged_user_mfa", "user002"),
        "fail"
    );
    assert_eq!(
        result_status(&live, "iam.privileged_user_mfa", "user001"),
        "pass"
    );
    assert_eq!(
        result_status(&live, "iam.console_user_mfa", "user000"),
        "not_applicable"
    );
    // The URL-encoded inline policy was decoded: user005 is privileged.
    let user005 = live["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .find(|i| i["name"] == "user005")
        .expect("user005");
    assert_eq!(user005["privilege"]["privileged"], true, "{user005}");

    // The same account exported with the AWS CLI, scanned offline.
    let export = tempfile::tempdir().expect("temp dir");
    if export_with_aws_cli(&moto, &python, export.path()) {
        let offline = json_of(&mfaguard(
            &env,
            &[
                "scan",
                "--from",
                export.path().to_str().expect("path"),
                "--format",
                "json",
                "--now",
                NOW,
            ],
        ));
        let mut offline = comparable(offline);
        let mut live = comparable(live);
        // The CLI exports carry no identity provider lists; nothing else may differ.
        for report in [&mut offline, &mut live] {
            for account in report["accounts"].as_array_mut().expect("accounts") {
                account
                    .as_object_mut()
                    .expect("account")
                    .remove("limitations");
            }
        }
        assert_eq!(live["results"], offline["results"]);
        assert_eq!(live["identities"], offline["identities"]);
        assert_eq!(live["kpis"], offline["kpis"]);
        assert_eq!(live["score"], offline["score"]);
    } else if std::env::var_os("CI").is_some() {
        panic!("the aws CLI is not installed: run scripts/install-test-tools.sh");
    }
}

#[test]
fn organization_scan_reports_each_account_and_survives_a_failing_one() {
    let Some(python) = python_or_skip("organization_scan") else {
        return;
    };
    let moto = Moto::start(&python, &json!({MAIN_ACCOUNT: {"mfa_active": true}}), &[]);
    let members: Vec<String> = runtime().block_on(async {
        let config = moto.sdk_config("testing", "testing", None).await;
        seed_account(&config, "mgmt", 4).await;
        let members = create_organization(&config, &["dev", "prod", "sandbox"]).await;
        let orgs = aws_sdk_organizations::Client::new(&config);
        // An SCP on the root, inherited by every account.
        let roots = orgs.list_roots().send().await.expect("roots");
        let root_id = roots.roots().first().and_then(|r| r.id()).expect("root").to_string();
        let scp = orgs
            .create_policy()
            .name("deny-leave")
            .description("deny leaving")
            .r#type(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
            .content(policy(json!([{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}])))
            .send()
            .await
            .expect("scp");
        let scp_id = scp.policy().and_then(|p| p.policy_summary()).and_then(|s| s.id()).expect("scp id").to_string();
        orgs.attach_policy().policy_id(&scp_id).target_id(&root_id).send().await.expect("attach scp");

        let sts = aws_sdk_sts::Client::new(&config);
        for account in &members[..2] {
            let assumed = sts
                .assume_role()
                .role_arn(format!("arn:aws:iam::{account}:role/{SEED_ROLE}"))
                .role_session_name("seed")
                .send()
                .await
                .expect("seed role");
            let creds = assumed.credentials().expect("credentials");
            let member = moto
                .sdk_config(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token()))
                .await;
            seed_account(&member, "member", 6).await;
        }
        // Organizations creates OrganizationAccountAccessRole in new
        // accounts; sandbox's has been deleted, so assuming it fails.
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{}:role/{SEED_ROLE}", members[2]))
            .role_session_name("seed")
            .send()
            .await
            .expect("seed role");
        let creds = assumed.credentials().expect("credentials");
        let sandbox = moto
            .sdk_config(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token()))
            .await;
        let iam = aws_sdk_iam::Client::new(&sandbox);
        for policy in iam
            .list_attached_role_policies()
            .role_name("OrganizationAccountAccessRole")
            .send()
            .await
            .expect("attached")
            .attached_policies()
        {
            iam.detach_role_policy()
                .role_name("OrganizationAccountAccessRole")
                .policy_arn(policy.policy_arn().unwrap_or_default())
                .send()
                .await
                .expect("detach");
        }
        iam.delete_role().role_name("OrganizationAccountAccessRole").send().await.expect("delete role");
        members
    });

    let env = moto.env("testing", "testing");
    let output = mfaguard(
        &env,
        &[
            "scan",
            "--org",
            "--format",
            "json",
            "--now",
            NOW,
            "--concurrency",
            "2",
        ],
    );
    // Partial: one account failed.
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&members[2]), "{stderr}");

    let scanned: Vec<&str> = report["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["account_id"].as_str().unwrap_or_default())
        .collect();
    assert!(scanned.contains(&MAIN_ACCOUNT), "{scanned:?}");
    assert!(
        scanned.contains(&members[0].as_str()) && scanned.contains(&members[1].as_str()),
        "{scanned:?}"
    );
    let failed = &report["failed_accounts"];
    assert_eq!(failed.as_array().map(Vec::len), Some(1), "{failed}");
    assert_eq!(failed[0]["account_id"], members[2].as_str());
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot assume"),
        "{failed}"
    );

    // Members have no <root_account> row in moto: root is unknown, never a pass.
    let member_root = format!("arn:aws:iam::{}:root", members[0]);
    let root_result = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| {
            r["check_id"] == "iam.root_mfa_enabled" && r["resource_arn"] == member_root.as_str()
        })
        .expect("member root result");
    assert_eq!(root_result["status"], "unknown");

    // SCPs were collected along each member's path.
    let dir = tempfile::tempdir().expect("temp dir");
    let collect = mfaguard(
        &env,
        &[
            "collect",
            "--org",
            "--accounts",
            &members[0],
            "-o",
            dir.path().to_str().expect("path"),
        ],
    );
    assert_eq!(
        collect.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&collect.stderr)
    );
    let snapshot: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(format!("{}.json", members[0])))
            .expect("snapshot file"),
    )
    .expect("snapshot");
    let levels = snapshot["service_control_policies"]
        .as_array()
        .expect("scp levels");
    assert_eq!(
        levels.first().map(|l| l["target_type"].clone()),
        Some(json!("ROOT")),
        "{levels:?}"
    );
    assert_eq!(
        levels.last().map(|l| l["target_id"].clone()),
        Some(json!(members[0]))
    );
    assert!(
        levels[0]["policies"].to_string().contains("deny-leave"),
        "{levels:?}"
    );

    // SCPs do not restrict the management account: none is applied to it.
    let (_kept, path) = saved_path(&env, MAIN_ACCOUNT);
    let management: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("snapshot file"))
            .expect("snapshot");
    assert_eq!(management["service_control_policies"], json!([]));

    // The live organisation report equals the offline scan of the same
    // accounts' snapshots.
    let good = [MAIN_ACCOUNT, members[0].as_str(), members[1].as_str()].join(",");
    let saved = tempfile::tempdir().expect("temp dir");
    let collect = mfaguard(
        &env,
        &[
            "collect",
            "--org",
            "--accounts",
            &good,
            "-o",
            saved.path().to_str().expect("path"),
        ],
    );
    assert_eq!(
        collect.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&collect.stderr)
    );
    let mut args = vec!["scan", "--format", "json", "--now", NOW];
    let files: Vec<String> = [MAIN_ACCOUNT, members[0].as_str(), members[1].as_str()]
        .iter()
        .map(|id| {
            saved
                .path()
                .join(format!("{id}.json"))
                .display()
                .to_string()
        })
        .collect();
    for file in &files {
        args.push("--snapshot");
        args.push(file);
    }
    let offline = json_of(&mfaguard(&env, &args));
    assert_eq!(
        sorted_by(
            &report["results"],
            &["account_id", "check_id", "resource_arn"]
        ),
        sorted_by(
            &offline["results"],
            &["account_id", "check_id", "resource_arn"]
        )
    );
    assert_eq!(
        sorted_by(&report["identities"], &["arn"]),
        sorted_by(&offline["identities"], &["arn"])
    );

    // Two shards split the organisation: each collects only its accounts
    // (no role is assumed in the other shard's), together they cover it.
    let mut seen: Vec<String> = Vec::new();
    for shard in ["1/2", "2/2"] {
        let output = mfaguard(
            &env,
            &[
                "scan", "--org", "--shard", shard, "--format", "json", "--now", NOW,
            ],
        );
        let part = json_of(&output);
        for account in part["accounts"].as_array().expect("accounts") {
            seen.push(
                account["account_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        // Present only when some account failed.
        for failed in part["failed_accounts"].as_array().into_iter().flatten() {
            seen.push(
                failed["account_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    seen.sort();
    let mut everyone = vec![MAIN_ACCOUNT.to_string()];
    everyone.extend(members.iter().cloned());
    everyone.sort();
    assert_eq!(seen, everyone, "each account in exactly one shard");
}

/// Collects one account of the organisation into a temporary folder and
/// returns the folder (removed when dropped) and the snapshot's path.
fn saved_path(env: &[(String, String)], account: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let kept = tempfile::tempdir().expect("temp dir");
    let dir = kept.path().to_path_buf();
    let collect = mfaguard(
        env,
        &[
            "collect",
            "--org",
            "--accounts",
            account,
            "-o",
            dir.to_str().expect("path"),
        ],
    );
    assert_eq!(
        collect.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&collect.stderr)
    );
    let path = dir.join(format!("{account}.json"));
    (kept, path)
}

/// The array `items`, sorted by the given fields.
fn sorted_by(items: &Value, fields: &[&str]) -> Vec<Value> {
    let mut items = items.as_array().expect("array").clone();
    items.sort_by_key(|item| {
        fields
            .iter()
            .map(|field| item[*field].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    });
    items
}

#[test]
fn access_denied_on_one_call_names_the_action() {
    let Some(python) = python_or_skip("access_denied_on_one_call") else {
        return;
    };
    // moto enforces IAM policies after this many unauthenticated requests:
    // exactly the seeding calls below.
    let moto = Moto::start(
        &python,
        &json!({}),
        &[("INITIAL_NO_AUTH_ACTION_COUNT", "4")],
    );
    let (key, secret) = runtime().block_on(async {
        let config = moto.sdk_config("testing", "testing", None).await;
        let iam = aws_sdk_iam::Client::new(&config);
        iam.create_user().user_name("scanner").send().await.expect("user");
        iam.put_user_policy()
            .user_name("scanner")
            .policy_name("read-but-not-virtual-devices")
            .policy_document(policy(json!([
                {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:GenerateCredentialReport", "sts:GetCallerIdentity"], "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:ListVirtualMFADevices", "Resource": "*"}
            ])))
            .send()
            .await
            .expect("policy");
        iam.create_login_profile().user_name("scanner").password("Pa55word!x").send().await.expect("login");
        let key = iam.create_access_key().user_name("scanner").send().await.expect("key");
        let key = key.access_key().expect("access key");
        (key.access_key_id().to_string(), key.secret_access_key().to_string())
    });
    let output = mfaguard(
        &moto.env(&key, &secret),
        &["scan", "--format", "json", "--max-attempts", "1"],
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("access denied calling iam:ListVirtualMFADevices"),
        "{stderr}"
    );
}

#[test]
fn missing_credentials_are_reported_in_plain_words() {
    let env: Vec<(String, String)> = vec![
        ("AWS_CONFIG_FILE".into(), "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE".into(), "/dev/null".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into()),
        ("MFAGUARD_STORE".into(), "none".into()),
    ];
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["scan", "--max-attempts", "1"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run mfaguard");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no AWS credentials found"), "{stderr}");
}
