//! The live collector under API faults: a fault-injecting proxy
//! (`scripts/fault_proxy.py`) sits between the real `mfaguard` binary and
//! moto. Every test asserts the exit code, a wall-time bound, and that the
//! outcome is either the correct report or an error naming the call, never
//! a report with identities missing and no warning. The calls the report
//! counts must be the requests the proxy saw, retries included.
//!
//! One moto server, seeded once (30 users, an organisation of three
//! accounts), serves every test; each test starts its own proxy.

mod support {
    pub mod fault_proxy;
    pub mod moto;
}

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::fault_proxy::FaultProxy;
use support::moto::{create_organization, mfaguard, python_or_skip, runtime, Moto};

const NOW: &str = "2026-11-22T12:00:00Z";
const MAIN_ACCOUNT: &str = "123456789012";
const USERS: usize = 30;
/// Users whose credential report shows MFA (every third), each one
/// `iam:ListMFADevices` call.
const USERS_WITH_MFA: u64 = 10;

struct Fixture {
    python: PathBuf,
    moto: Moto,
    members: Vec<String>,
    /// The single-account report without faults, comparable form.
    baseline: Value,
    /// How long that scan took: the machine's pace in this run.
    baseline_time: Duration,
}

/// A wall-time bound: `extra` seconds (the fault's own documented cost)
/// on top of three fault-free scans, so that a loaded machine does not
/// fail the test while a hang or a minute-long back-off still does.
fn bound(fx: &Fixture, extra: f64) -> Duration {
    fx.baseline_time * 3 + Duration::from_secs_f64(extra)
}

static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();

fn fixture(test: &str) -> Option<&'static Fixture> {
    FIXTURE
        .get_or_init(|| {
            let python = python_or_skip(test)?;
            let moto = Moto::start(&python, &json!({MAIN_ACCOUNT: {"mfa_active": true}}), &[]);
            let members = runtime().block_on(seed(&moto));
            let direct = scan_env(&moto.endpoint(), &moto);
            let started = Instant::now();
            let output = mfaguard(&direct, &["scan", "--format", "json", "--now", NOW]);
            let baseline_time = started.elapsed();
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            let baseline = comparable(json_of(&output));
            let users = baseline["identities"]
                .as_array()
                .map(|all| all.iter().filter(|i| i["type"] == "user").count());
            assert_eq!(users, Some(USERS));
            Some(Fixture {
                python,
                moto,
                members,
                baseline,
                baseline_time,
            })
        })
        .as_ref()
}

/// 30 users (every third with a virtual MFA device, two of ten admins, the
/// rest console users or key-only machines) and an organisation with two
/// member accounts.
async fn seed(moto: &Moto) -> Vec<String> {
    let config = moto.sdk_config("testing", "testing", None).await;
    let iam = aws_sdk_iam::Client::new(&config);
    iam.create_group()
        .group_name("Admins")
        .send()
        .await
        .expect("group");
    iam.attach_group_policy()
        .group_name("Admins")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("attach");
    for i in 0..USERS {
        let name = format!("user{i:03}");
        iam.create_user()
            .user_name(&name)
            .send()
            .await
            .expect("user");
        if i % 3 == 0 {
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
        if i % 10 == 1 || i % 10 == 2 {
            iam.add_user_to_group()
                .group_name("Admins")
                .user_name(&name)
                .send()
                .await
                .expect("membership");
        }
    }
    let names = ["dev", "prod"];
    let members = create_organization(&config, &names).await;
    for (name, id) in names.iter().zip(&members) {
        // One user each, through the launcher's always-assumable role.
        let assumed = aws_sdk_sts::Client::new(&config)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{id}:role/moto-seed-admin"))
            .role_session_name("seed")
            .send()
            .await
            .expect("seed role");
        let creds = assumed.credentials().expect("credentials");
        let member = moto
            .sdk_config(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token()),
            )
            .await;
        aws_sdk_iam::Client::new(&member)
            .create_user()
            .user_name(format!("{name}-admin"))
            .send()
            .await
            .expect("member user");
    }
    members
}

fn scan_env(endpoint: &str, moto: &Moto) -> Vec<(String, String)> {
    let mut env = moto.env("testing", "testing");
    for (key, value) in &mut env {
        if key == "AWS_ENDPOINT_URL" {
            *value = endpoint.to_string();
        }
    }
    env
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): stdout {} stderr {}",
            String::from_utf8_lossy(&output.stdout),
            stderr(output)
        )
    })
}

/// Drops what legitimately differs between two collections of the same data.
fn comparable(mut report: Value) -> Value {
    for account in report["accounts"].as_array_mut().expect("accounts") {
        let account = account.as_object_mut().expect("account");
        for key in [
            "location",
            "collected_at",
            "api_calls",
            "retries",
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

/// One scan through a proxy with `rules`.
struct Run {
    output: Output,
    elapsed: Duration,
    proxy_saw: BTreeMap<String, u64>,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn stderr(&self) -> String {
        stderr(&self.output)
    }

    fn report(&self) -> Value {
        json_of(&self.output)
    }

    fn assert_exit(&self, code: i32, within: Duration) {
        assert_eq!(
            self.code(),
            Some(code),
            "stderr: {}\nstdout: {}",
            self.stderr(),
            String::from_utf8_lossy(&self.output.stdout)
        );
        assert!(
            self.elapsed < within,
            "took {:?}, bound {within:?}; stderr: {}",
            self.elapsed,
            self.stderr()
        );
    }

    /// The report counts exactly the requests the proxy received: every
    /// attempt, organisation-level calls and failed accounts included.
    fn assert_calls_match_proxy(&self) {
        assert_eq!(self.counted_calls(), self.proxy_saw, "report vs proxy");
    }

    /// When a failure cancels concurrent calls, the requests already handed
    /// to the connection count although some never reached the proxy: the
    /// report may count up to `in_flight` more of an action, never fewer.
    fn assert_calls_cover_proxy(&self, in_flight: u64) {
        let counted = self.counted_calls();
        assert_eq!(
            counted.keys().collect::<Vec<_>>(),
            self.proxy_saw.keys().collect::<Vec<_>>()
        );
        for (action, seen) in &self.proxy_saw {
            let count = counted[action];
            assert!(
                *seen <= count && count <= seen + in_flight,
                "{action}: report {count}, proxy {seen}"
            );
        }
    }

    fn counted_calls(&self) -> BTreeMap<String, u64> {
        let report = self.report();
        let mut counted: BTreeMap<String, u64> = BTreeMap::new();
        let mut add = |calls: &Value| {
            for (action, count) in calls.as_object().into_iter().flatten() {
                let operation = action.rsplit(':').next().unwrap_or_default().to_string();
                *counted.entry(operation).or_default() += count.as_u64().unwrap_or_default();
            }
        };
        add(&report["organization_api_calls"]);
        for account in report["accounts"].as_array().into_iter().flatten() {
            add(&account["api_calls"]);
        }
        for failed in report["failed_accounts"].as_array().into_iter().flatten() {
            add(&failed["api_calls"]);
        }
        counted
    }

    /// The scan completed with the same findings as without faults.
    fn assert_correct(&self, fixture: &Fixture) {
        let report = self.report();
        assert!(report.get("failed_accounts").is_none(), "{report}");
        assert_eq!(comparable(report), fixture.baseline);
    }

    /// The single-account scan failed as a whole: the JSON report has the
    /// organisation's failed-account shape and no result at all.
    fn assert_account_failed(&self, naming: &str) -> String {
        let report = self.report();
        assert_eq!(report["accounts"], json!([]), "{report}");
        assert_eq!(report["results"], json!([]), "{report}");
        let failed = report["failed_accounts"]
            .as_array()
            .expect("failed_accounts");
        assert_eq!(failed.len(), 1, "{report}");
        let error = failed[0]["error"].as_str().unwrap_or_default().to_string();
        assert!(error.contains(naming), "{error}");
        assert!(self.stderr().contains(naming), "{}", self.stderr());
        error
    }
}

fn run(fixture: &Fixture, rules: Value, args: &[&str]) -> Run {
    let proxy = FaultProxy::start(&fixture.python, fixture.moto.port, &rules);
    let env = scan_env(&proxy.endpoint(), &fixture.moto);
    let mut all = vec!["scan", "--format", "json", "--now", NOW];
    all.extend_from_slice(args);
    let started = Instant::now();
    let output = mfaguard(&env, &all);
    let elapsed = started.elapsed();
    let proxy_saw = proxy.requests();
    eprintln!(
        "scan with faults {rules}: {elapsed:?} (fault-free scan: {:?})",
        fixture.baseline_time
    );
    Run {
        output,
        elapsed,
        proxy_saw,
    }
}

fn throttle(action: &str) -> Value {
    json!({"action": action, "fault": "error", "status": 400, "code": "Throttling"})
}

#[test]
fn no_fault_through_the_proxy_counts_every_call() {
    let Some(fx) = fixture("no_fault") else {
        return;
    };
    let run = run(fx, json!([]), &[]);
    run.assert_exit(0, bound(fx, 2.0));
    run.assert_correct(fx);
    run.assert_calls_match_proxy();
    let retries = &run.report()["accounts"][0]["retries"];
    assert_eq!(retries["count"], 0, "{retries}");
}

#[test]
fn a_credential_report_that_never_answers_ends_at_the_report_timeout() {
    let Some(fx) = fixture("report_hangs") else {
        return;
    };
    let run = run(
        fx,
        json!([{"action": "GetCredentialReport", "fault": "hang"}]),
        &["--report-timeout", "2"],
    );
    run.assert_exit(2, bound(fx, 3.0));
    let error = run.assert_account_failed("--report-timeout (2 seconds)");
    assert!(error.contains("iam:GetCredentialReport"), "{error}");
    assert_eq!(
        run.report()["failed_accounts"][0]["account_id"],
        MAIN_ACCOUNT
    );
    run.assert_calls_match_proxy();
}

#[test]
fn a_page_that_never_answers_ends_at_the_read_timeout() {
    let Some(fx) = fixture("page_hangs") else {
        return;
    };
    let run = run(
        fx,
        json!([{"action": "GetAccountAuthorizationDetails", "skip": 1, "fault": "hang"}]),
        &["--read-timeout", "1", "--max-attempts", "2"],
    );
    run.assert_exit(2, bound(fx, 3.0));
    let error = run.assert_account_failed("iam:GetAccountAuthorizationDetails");
    assert!(error.contains("--read-timeout"), "{error}");
    run.assert_calls_match_proxy();
}

#[test]
fn a_slow_credential_report_is_bounded_by_the_report_timeout() {
    let Some(fx) = fixture("report_slow") else {
        return;
    };
    let run = run(
        fx,
        json!([{"action": "GetCredentialReport", "fault": "delay", "seconds": 30}]),
        &["--report-timeout", "2"],
    );
    run.assert_exit(2, bound(fx, 3.0));
    run.assert_account_failed("--report-timeout");
}

#[test]
fn a_credential_report_throttled_every_time_is_bounded_by_the_report_timeout() {
    let Some(fx) = fixture("report_always_throttled") else {
        return;
    };
    let run = run(
        fx,
        json!([throttle("GetCredentialReport")]),
        &["--report-timeout", "3"],
    );
    run.assert_exit(2, bound(fx, 4.0));
    run.assert_account_failed("iam:GetCredentialReport");
    run.assert_calls_match_proxy();
}

#[test]
fn a_credential_report_that_is_never_ready_ends_at_the_report_timeout() {
    let Some(fx) = fixture("report_never_ready") else {
        return;
    };
    // Set in the config file's [live] section this time.
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("mfaguard.toml");
    std::fs::write(&config, "[live]\nreport_timeout_seconds = 2\n").expect("config");
    let run = run(
        fx,
        json!([{"action": "GetCredentialReport", "fault": "error", "status": 410, "code": "ReportInProgress"}]),
        &["--config", config.to_str().expect("path")],
    );
    run.assert_exit(2, bound(fx, 3.0));
    let error = run.assert_account_failed("--report-timeout (2 seconds)");
    assert!(
        error.contains("still said the report was being generated"),
        "{error}"
    );
}

#[test]
fn three_throttles_cost_well_under_a_second_each_and_are_reported() {
    let Some(fx) = fixture("three_throttles") else {
        return;
    };
    let mut rule = throttle("GetCredentialReport");
    rule["times"] = json!(3);
    let run = run(fx, json!([rule]), &["--verbose"]);
    // Back-off starts at 0.2 s and doubles, with jitter: at most 1.4 s.
    run.assert_exit(0, bound(fx, 2.0));
    run.assert_correct(fx);
    run.assert_calls_match_proxy();
    let report = run.report();
    let retries = &report["accounts"][0]["retries"];
    assert_eq!(retries["count"], 3, "{retries}");
    let backoff = retries["backoff_seconds"].as_f64().expect("backoff");
    assert!(backoff > 0.0 && backoff < 2.0, "{retries}");
    assert!(run.stderr().contains("3 retries"), "{}", run.stderr());
}

/// The documented bound: with 30% of all calls throttled, a scan of this
/// size (about 40 calls) completes, correct, within 20 seconds.
#[test]
fn throttling_a_share_of_all_calls_still_completes_correctly() {
    let Some(fx) = fixture("throttle_share") else {
        return;
    };
    let mut rule = throttle("*");
    rule["share"] = json!(0.3);
    let run = run(fx, json!([rule]), &[]);
    run.assert_exit(0, bound(fx, 10.0));
    run.assert_correct(fx);
    run.assert_calls_match_proxy();
    let retries = run.report()["accounts"][0]["retries"]["count"]
        .as_u64()
        .unwrap_or_default();
    assert!(retries > 0, "no throttling was injected");
}

#[test]
fn bursts_of_500_and_503_are_retried() {
    let Some(fx) = fixture("server_errors") else {
        return;
    };
    let run = run(
        fx,
        json!([
            {"action": "*", "fault": "error", "status": 500, "code": "InternalFailure", "times": 3},
            {"action": "*", "fault": "error", "status": 503, "code": "ServiceUnavailable", "times": 3}
        ]),
        &[],
    );
    run.assert_exit(0, bound(fx, 12.0));
    run.assert_correct(fx);
    run.assert_calls_match_proxy();
    assert_eq!(run.report()["accounts"][0]["retries"]["count"], 6);
}

#[test]
fn a_page_cut_off_after_the_tenth_user_is_an_error() {
    let Some(fx) = fixture("cut_off_page") else {
        return;
    };
    let run = run(
        fx,
        json!([{"action": "GetAccountAuthorizationDetails", "fault": "cut_after_user", "users": 10}]),
        &[],
    );
    run.assert_exit(2, bound(fx, 2.0));
    let error = run.assert_account_failed("iam:GetAccountAuthorizationDetails");
    assert!(error.contains("cut off"), "{error}");
}

#[test]
fn users_of_the_credential_report_missing_from_the_details_are_an_error() {
    let Some(fx) = fixture("users_dropped") else {
        return;
    };
    let run = run(
        fx,
        json!([{"action": "GetAccountAuthorizationDetails", "fault": "drop_users_after", "users": 10}]),
        &[],
    );
    run.assert_exit(2, bound(fx, 2.0));
    let error = run.assert_account_failed("iam:GetAccountAuthorizationDetails");
    assert!(
        error.contains("20 users of the credential report are missing"),
        "{error}"
    );
    run.assert_calls_match_proxy();
}

#[test]
fn a_repeated_marker_is_an_error_not_a_loop() {
    let Some(fx) = fixture("repeated_marker") else {
        return;
    };
    let run = run(
        fx,
        json!([{"action": "GetAccountAuthorizationDetails", "fault": "repeat_marker"}]),
        &[],
    );
    run.assert_exit(2, bound(fx, 2.0));
    let error = run.assert_account_failed("iam:GetAccountAuthorizationDetails");
    assert!(
        error.contains("same pagination marker was received twice"),
        "{error}"
    );
    assert!(
        run.proxy_saw["GetAccountAuthorizationDetails"] <= 2,
        "{:?}",
        run.proxy_saw
    );
}

#[test]
fn a_truncated_list_mfa_devices_page_without_marker_is_an_error() {
    let Some(fx) = fixture("mfa_devices_no_marker") else {
        return;
    };
    let run = run(
        fx,
        json!([{"action": "ListMFADevices", "fault": "truncated_no_marker"}]),
        &[],
    );
    run.assert_exit(2, bound(fx, 2.0));
    let error = run.assert_account_failed("iam:ListMFADevices");
    assert!(error.contains("no marker"), "{error}");
}

#[test]
fn retried_calls_are_counted_and_printed() {
    let Some(fx) = fixture("retries_counted") else {
        return;
    };
    let mut rule = throttle("ListMFADevices");
    rule["times"] = json!(3);
    let run = run(fx, json!([rule]), &["--verbose"]);
    run.assert_exit(0, bound(fx, 2.0));
    run.assert_correct(fx);
    run.assert_calls_match_proxy();
    assert_eq!(run.proxy_saw["ListMFADevices"], USERS_WITH_MFA + 3);
    let line = run
        .stderr()
        .lines()
        .find(|line| line.contains("iam:ListMFADevices"))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        line.trim_end().ends_with(&(USERS_WITH_MFA + 3).to_string()),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_malformed_answer_is_named_in_plain_words_with_detail_only_when_verbose() {
    let Some(fx) = fixture("malformed") else {
        return;
    };
    let rules = json!([{"action": "ListMFADevices", "fault": "garbage"}]);
    let quiet = run(fx, rules.clone(), &[]);
    quiet.assert_exit(2, bound(fx, 2.0));
    let error =
        quiet.assert_account_failed("iam:ListMFADevices returned an answer mfaguard cannot read");
    for raw in ["StartEl", "unhandled error", "service error"] {
        assert!(!quiet.stderr().contains(raw), "{}", quiet.stderr());
        assert!(!error.contains(raw), "{error}");
    }
    let verbose = run(fx, rules, &["--verbose"]);
    verbose.assert_exit(2, bound(fx, 2.0));
    assert!(verbose.stderr().contains("detail:"), "{}", verbose.stderr());
    // The calls made before the failure are printed.
    assert!(
        verbose.stderr().contains("(failed): "),
        "{}",
        verbose.stderr()
    );
    // ListMFADevices runs 8 at a time; the first failure cancels the rest.
    verbose.assert_calls_cover_proxy(8);
}

#[test]
fn reset_connections_are_retried_then_named_in_plain_words() {
    let Some(fx) = fixture("resets") else {
        return;
    };
    let recovered = run(
        fx,
        json!([{"action": "ListVirtualMFADevices", "fault": "reset", "times": 2}]),
        &[],
    );
    recovered.assert_exit(0, bound(fx, 2.0));
    recovered.assert_correct(fx);

    let broken = run(
        fx,
        json!([{"action": "ListVirtualMFADevices", "fault": "reset"}]),
        &["--max-attempts", "3"],
    );
    broken.assert_exit(2, bound(fx, 2.0));
    let error = broken.assert_account_failed("iam:ListVirtualMFADevices could not reach AWS");
    assert!(!error.contains("dispatch failure"), "{error}");
    broken.assert_calls_match_proxy();
}

#[test]
fn a_stuck_member_account_becomes_a_failed_account() {
    let Some(fx) = fixture("stuck_member") else {
        return;
    };
    let stuck = &fx.members[0];
    // Longer than a healthy account takes on this machine now.
    let timeout = (fx.baseline_time.as_secs_f64() * 2.0 + 2.0).ceil() as u64;
    let run = run(
        fx,
        json!([{"action": "AssumeRole", "match": stuck.as_str(), "fault": "hang"}]),
        &[
            "--org",
            "--account-timeout",
            &timeout.to_string(),
            "--verbose",
        ],
    );
    run.assert_exit(2, bound(fx, timeout as f64 + 2.0));
    let report = run.report();
    let failed = report["failed_accounts"].as_array().expect("failed");
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0]["account_id"], stuck.as_str());
    let error = failed[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("--account-timeout ({timeout} seconds)")),
        "{error}"
    );
    let collected: Vec<&str> = report["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter_map(|a| a["account_id"].as_str())
        .collect();
    assert_eq!(collected.len(), 2, "{report}");
    assert!(collected.contains(&MAIN_ACCOUNT));
    assert!(collected.contains(&fx.members[1].as_str()));
    // Organisation-level calls are in the report and printed.
    let org_calls = &report["organization_api_calls"];
    for action in [
        "sts:GetCallerIdentity",
        "organizations:ListAccounts",
        "organizations:DescribeOrganization",
    ] {
        assert!(org_calls[action].as_u64() >= Some(1), "{org_calls}");
    }
    assert!(run.stderr().contains("organisation: "), "{}", run.stderr());
    run.assert_calls_match_proxy();
}

#[test]
fn collecting_without_credentials_prints_one_plain_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["collect", "--max-attempts", "1", "-o"])
        .arg(dir.path().join("snapshot.json"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard");
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.contains("no AWS credentials found")),
        "{text}"
    );
    assert!(
        !text.contains("dispatch failure") && !text.contains("Error {"),
        "{text}"
    );
    // The account error, then the summary of the collection.
    assert!(lines.len() <= 2, "{text}");
}
