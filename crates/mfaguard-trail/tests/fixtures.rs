//! The analysis on records written from AWS's documented examples, laid out
//! as an organisation trail, against the demo account's snapshot.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use mfaguard_core::identity::Tier;
use mfaguard_core::{Config, Severity, Status};
use mfaguard_trail::activity::{AlertKind, Kind};
use mfaguard_trail::denial::DenialVerdict;
use mfaguard_trail::report::{Finding, IdentityMonthView, TrailReport};
use mfaguard_trail::{analyze_folder, parse_bound, Knowledge, Window};

const A: &str = "111122223333";
const B: &str = "444455556666";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn now() -> DateTime<Utc> {
    "2026-11-22T12:00:00Z".parse().expect("time")
}

/// The fixture tree copied to a temporary folder, every log file gzipped
/// as CloudTrail delivers it (the digest file stays as it is).
fn gzipped_copy() -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/org-trail");
    let dir = tempfile::tempdir().expect("tempdir");
    copy(&src, dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixtures") {
        let entry = entry.expect("entry");
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            copy(&path, &to.join(&name));
        } else if name.contains("CloudTrail-Digest") {
            std::fs::copy(&path, to.join(&name)).expect("copy");
        } else {
            let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder
                .write_all(&std::fs::read(&path).expect("read"))
                .expect("gzip");
            std::fs::write(
                to.join(format!("{name}.gz")),
                encoder.finish().expect("gzip"),
            )
            .expect("write");
        }
    }
}

fn demo_knowledge() -> Knowledge {
    let demo = repo().join("examples/demo-account");
    let snapshot = mfaguard_core::offline::read_dir(&demo, now()).expect("demo account");
    let config = Config::load(&demo.join("mfaguard.toml")).expect("config");
    Knowledge::new(vec![snapshot], &config, now())
}

fn november() -> Window {
    Window {
        since: Some(parse_bound("2026-11-01", false).expect("date")),
        until: Some(parse_bound("2026-11-30", true).expect("date")),
    }
}

fn month<'r>(report: &'r TrailReport, account: &str, name: &str) -> &'r IdentityMonthView {
    let identity = report
        .identities
        .iter()
        .find(|identity| identity.account_id == account && identity.name == name)
        .unwrap_or_else(|| panic!("{name} in {account}"));
    assert_eq!(identity.months.len(), 1, "{name}: one month");
    &identity.months[0]
}

#[test]
fn per_identity_figures_of_the_organisation_trail() {
    let tree = gzipped_copy();
    let knowledge = demo_knowledge();
    let report = analyze_folder(tree.path(), &knowledge, november(), 2, now()).expect("report");

    // Inputs: three log files read, the October folder not opened, the
    // digest file named, nothing skipped.
    let inputs = &report.inputs;
    assert_eq!(inputs.files_read, 3);
    assert_eq!(inputs.date_folders_pruned, 1);
    assert_eq!(inputs.records, 23);
    assert_eq!(inputs.records_analysed, 23);
    assert_eq!(inputs.records_skipped, 0);
    assert_eq!(inputs.digest_files, 1);
    assert_eq!(inputs.files_skipped.len(), 1);
    assert!(inputs.files_skipped[0].reason.contains("digest"));
    assert!(inputs.bytes_uncompressed > inputs.bytes_on_disk);
    assert!(!inputs.is_partial());

    // Console sign-ins: MFAUsed Yes and No, the failure, the federated one.
    let alice = month(&report, A, "alice");
    assert_eq!(alice.console_sign_ins.with_mfa, 1);
    assert_eq!(alice.api_calls.with_mfa, 3);
    assert_eq!(alice.calls_without_mfa, 0);
    let erin = month(&report, A, "erin");
    assert_eq!(erin.console_sign_ins.without_mfa, 2);
    assert_eq!(erin.api_calls.access_key, 5);
    assert_eq!(erin.calls_without_mfa, 5);
    let actions: Vec<&str> = erin
        .top_actions_without_mfa
        .iter()
        .map(|action| action.action.as_str())
        .collect();
    // Most sensitive first: permissions management, then write, then
    // list (ec2:DescribeInstances twice before s3:ListBuckets once).
    assert_eq!(
        actions,
        [
            "iam:CreateAccessKey",
            "iam:EnableMFADevice",
            "ec2:DescribeInstances",
            "s3:ListBuckets"
        ]
    );
    let erin_view = report
        .identities
        .iter()
        .find(|identity| identity.name == "erin")
        .expect("erin");
    assert_eq!(erin_view.tier, Some(Tier::Privileged));
    let link = erin_view.enforcement.as_ref().expect("linked to the audit");
    assert_eq!(link.status, Status::Fail);
    let frank = month(&report, A, "frank");
    assert_eq!(frank.console_sign_ins.failed, 1);
    assert_eq!(frank.console_sign_ins.without_mfa, 0);
    let sso = report
        .identities
        .iter()
        .find(|identity| identity.name.starts_with("AWSReservedSSO_"))
        .expect("Identity Center role");
    assert_eq!(sso.kind, Kind::Federated);
    assert_eq!(sso.months[0].console_sign_ins.federated, 1);
    assert_eq!(sso.months[0].console_sign_ins.without_mfa, 0);

    // Account totals.
    let account = &report.accounts[0];
    assert_eq!(account.account_id, A);
    assert!(account.has_snapshot);
    let totals = &account.months[0];
    assert_eq!(totals.month, "2026-11");
    assert_eq!(totals.console_sign_ins.with_mfa, 3);
    assert_eq!(totals.console_sign_ins.without_mfa, 2);
    assert_eq!(totals.console_sign_ins.failed, 1);
    assert_eq!(totals.console_sign_ins.federated, 1);
    assert_eq!(totals.root_sign_ins, 1);
    assert_eq!(totals.denials.total, 2);
    assert_eq!(totals.denials.mfa_related, 1);
    assert_eq!(totals.denials.not_mfa_related, 1);

    // MFA-related denial decided by evaluation: carol's CreateAccessKey
    // without MFA is denied by ForceMFA and allowed with MFA.
    let carol = month(&report, A, "carol");
    assert_eq!(carol.denials.mfa_related, 1);
    assert_eq!(carol.denial_examples[0].verdict, DenialVerdict::MfaRelated);
    // fiona is denied CreateUser with MFA too.
    let fiona = month(&report, A, "fiona");
    assert_eq!(fiona.denials.not_mfa_related, 1);

    // Role assumptions: with MFA, cross-account without, by a service.
    let role = |name: &str| {
        report
            .roles
            .iter()
            .find(|role| role.role_arn.ends_with(name))
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(role("/SecurityAdmin").counts.with_mfa, 1);
    let auditor = role("/ThirdPartyAuditor");
    assert_eq!(auditor.counts.without_mfa, 1);
    assert_eq!(auditor.counts.cross_account, 1);
    assert_eq!(auditor.counts.caller_accounts.get(B), Some(&1));
    assert_eq!(role("/app-server-ec2").counts.service, 1);
    assert_eq!(role("/app-server-ec2").counts.without_mfa, 0);

    // MFA device lifecycle.
    let devices: Vec<(&str, Option<&str>)> = report
        .mfa_device_events
        .iter()
        .map(|event| (event.event_name.as_str(), event.user_name.as_deref()))
        .collect();
    assert_eq!(
        devices,
        [
            ("DeactivateMFADevice", Some("dave")),
            ("EnableMFADevice", Some("erin")),
            ("DeactivateMFADevice", Some("ops")),
        ]
    );

    // Alerts: root sign-in and API call, break-glass sign-in, MFA removed
    // from a privileged user; then the medium findings.
    let alerts: Vec<(Severity, AlertKind, &str)> = report
        .findings
        .iter()
        .filter_map(|finding| match finding {
            Finding::Alert(alert) => Some((alert.severity, alert.kind, alert.event_name.as_str())),
            Finding::SignInWithoutMfa(_) => None,
        })
        .collect();
    assert_eq!(
        alerts,
        [
            (Severity::Critical, AlertKind::RootActivity, "ConsoleLogin"),
            (
                Severity::Critical,
                AlertKind::RootActivity,
                "GetAccountSummary"
            ),
            (
                Severity::High,
                AlertKind::BreakglassActivity,
                "ConsoleLogin"
            ),
            (
                Severity::High,
                AlertKind::MfaDeactivated,
                "DeactivateMFADevice"
            ),
            (
                Severity::Medium,
                AlertKind::MfaDeactivated,
                "DeactivateMFADevice"
            ),
        ]
    );
    let Finding::Alert(root) = &report.findings[0] else {
        panic!("an alert first")
    };
    assert_eq!(root.source_ip.as_deref(), Some("203.0.113.50"));
    assert_eq!(root.mfa_used, Some(true));
    assert!(root
        .user_agent
        .as_deref()
        .is_some_and(|ua| ua.contains("Mozilla")));
    assert_eq!(report.findings_at_or_above(Severity::High), 4);
    assert_eq!(report.findings_at_or_above(Severity::Medium), 7);
}

#[test]
fn without_a_snapshot_denials_are_inferred_and_tiers_unknown() {
    let tree = gzipped_copy();
    let knowledge = Knowledge::from_config(&Config::new());
    let report =
        analyze_folder(tree.path(), &knowledge, Window::default(), 1, now()).expect("report");
    // No window: the October file is read too.
    assert_eq!(report.inputs.files_read, 4);
    assert_eq!(month_count(&report, A, "erin"), 2);
    let carol = month(&report, A, "carol");
    assert_eq!(carol.denials.inferred_mfa_related, 1);
    assert_eq!(carol.denials.mfa_related, 0);
    let fiona = month(&report, A, "fiona");
    assert_eq!(fiona.denials.inferred_not_mfa_related, 1);
    assert!(report
        .identities
        .iter()
        .all(|identity| identity.tier.is_none()));
    // Break-glass is unknown without the config or the snapshot's tag: only
    // root use is an alert, and both deactivations are of unknown tier.
    let kinds: Vec<AlertKind> = report
        .findings
        .iter()
        .filter_map(|finding| match finding {
            Finding::Alert(alert) => Some(alert.kind),
            Finding::SignInWithoutMfa(_) => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            AlertKind::RootActivity,
            AlertKind::RootActivity,
            AlertKind::MfaDeactivated,
            AlertKind::MfaDeactivated
        ]
    );
}

fn month_count(report: &TrailReport, account: &str, name: &str) -> usize {
    report
        .identities
        .iter()
        .find(|identity| identity.account_id == account && identity.name == name)
        .map_or(0, |identity| identity.months.len())
}

#[test]
fn one_thread_and_two_give_the_same_report() {
    let tree = gzipped_copy();
    let knowledge = demo_knowledge();
    let one = analyze_folder(tree.path(), &knowledge, Window::default(), 1, now()).expect("one");
    let two = analyze_folder(tree.path(), &knowledge, Window::default(), 2, now()).expect("two");
    assert_eq!(one, two);
}

#[test]
fn plain_json_files_are_read_as_well() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/org-trail");
    let knowledge = demo_knowledge();
    let plain = analyze_folder(&src, &knowledge, november(), 2, now()).expect("plain");
    let tree = gzipped_copy();
    let gzipped = analyze_folder(tree.path(), &knowledge, november(), 2, now()).expect("gz");
    assert_eq!(plain.identities, gzipped.identities);
    assert_eq!(plain.findings, gzipped.findings);
    assert_eq!(plain.inputs.bytes_on_disk, plain.inputs.bytes_uncompressed);
}

#[test]
fn people_s_calls_root_and_break_glass_uses_per_account_and_month() {
    let tree = gzipped_copy();
    let report =
        analyze_folder(tree.path(), &demo_knowledge(), november(), 2, now()).expect("report");
    let totals = |account: &str| {
        let account = report
            .accounts
            .iter()
            .find(|a| a.account_id == account)
            .unwrap_or_else(|| panic!("{account}"));
        assert_eq!(account.months.len(), 1);
        account.months[0].clone()
    };
    // Account A, with its snapshot: with MFA alice (3 calls), fiona and
    // root; without MFA carol's CLI session and erin's five access-key
    // calls (erin has a console password: her keys are hers). The partner
    // account's auditor, whose account has no snapshot, is unclassified.
    let a = totals(A);
    let people = &a.human_api_calls;
    assert_eq!(people.counts.with_mfa, 5);
    assert_eq!(people.counts.without_mfa, 6);
    assert_eq!(people.counts.mfa_unknown, 0);
    assert_eq!(a.workload_api_calls, 0);
    assert_eq!(a.unclassified_api_calls, 1);
    assert_eq!(people.share_with_mfa, Some(45.5));
    assert_eq!(people.share_with_mfa_at_worst, Some(41.7));
    // Root: the sign-in and the API call; break-glass: the sign-in.
    assert_eq!(a.root_uses, 2);
    assert_eq!(a.breakglass_uses, 1);
    // The AWS service's AssumeRole is in no count.
    assert_eq!(
        people.counts.with_mfa
            + people.counts.without_mfa
            + a.workload_api_calls
            + a.unclassified_api_calls,
        a.api_calls.with_mfa + a.api_calls.session_without_mfa + a.api_calls.access_key
    );

    // Account B, no snapshot: ops-lead's session with MFA is a person's;
    // dev1's CLI session without MFA cannot be told apart from a workload.
    let b = totals(B);
    assert_eq!(b.human_api_calls.counts.with_mfa, 1);
    assert_eq!(b.human_api_calls.counts.without_mfa, 0);
    assert_eq!(b.unclassified_api_calls, 1);
    assert_eq!(b.human_api_calls.share_with_mfa, Some(100.0));
    assert_eq!(b.human_api_calls.share_with_mfa_at_worst, Some(50.0));
    assert_eq!((b.root_uses, b.breakglass_uses), (0, 0));

    let json = serde_json::to_value(&report).expect("json");
    let month = &json["accounts"][1]["months"][0];
    assert_eq!(month["human_api_calls"]["with_mfa"], 1);
    assert_eq!(month["human_api_calls"]["share_with_mfa_at_worst"], 50.0);
    assert_eq!(month["unclassified_api_calls"], 1);
    let text = report.to_text();
    assert!(
        text.contains("people's API calls with MFA: 45.5% (5 with, 6 without"),
        "{text}"
    );
    assert!(text.contains("root uses 2, break-glass uses 1"), "{text}");
}

/// A log file of the given records in a one-account tree.
fn tree_of(account: &str, records: serde_json::Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir
        .path()
        .join(format!("AWSLogs/{account}/CloudTrail/us-east-1/2026/11/07"));
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(
        folder.join(format!(
            "{account}_CloudTrail_us-east-1_20261107T1200Z_PeopleEXAMPLE.json"
        )),
        serde_json::json!({ "Records": records }).to_string(),
    )
    .expect("write");
    dir
}

#[test]
fn console_sessions_and_sessions_with_mfa_are_people_s_without_a_snapshot() {
    let session = |kind: &str, arn: &str, issuer: serde_json::Value, mfa: &str| {
        serde_json::json!({
            "type": kind, "arn": arn, "accountId": "777788889999",
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {"sessionIssuer": issuer,
                "attributes": {"creationDate": "2026-11-07T11:00:00Z", "mfaAuthenticated": mfa}}
        })
    };
    let record = |id: &str, identity: serde_json::Value, console: Option<&str>| {
        let mut record = serde_json::json!({
            "eventID": id, "eventTime": "2026-11-07T11:30:00Z",
            "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
            "recipientAccountId": "777788889999", "userIdentity": identity
        });
        if let Some(console) = console {
            record["sessionCredentialFromConsole"] = console.into();
        }
        record
    };
    let role = serde_json::json!({"type": "Role", "arn": "arn:aws:iam::777788889999:role/deploy",
        "userName": "deploy"});
    let tree = tree_of(
        "777788889999",
        serde_json::json!([
            // A user's console session without MFA: a person without MFA.
            record(
                "e1",
                session(
                    "IAMUser",
                    "arn:aws:iam::777788889999:user/gina",
                    serde_json::json!({}),
                    "false"
                ),
                Some("true")
            ),
            // A role switched to in the console: a person.
            record(
                "e2",
                session(
                    "AssumedRole",
                    "arn:aws:sts::777788889999:assumed-role/deploy/gina",
                    role.clone(),
                    "false"
                ),
                Some("true")
            ),
            // The same role from a session without MFA outside the console,
            // no snapshot: unclassified.
            record(
                "e3",
                session(
                    "AssumedRole",
                    "arn:aws:sts::777788889999:assumed-role/deploy/ci",
                    role.clone(),
                    "false"
                ),
                None
            ),
            // With MFA: a person.
            record(
                "e4",
                session(
                    "AssumedRole",
                    "arn:aws:sts::777788889999:assumed-role/deploy/hana",
                    role,
                    "true"
                ),
                Some("false")
            ),
        ]),
    );
    let knowledge = Knowledge::from_config(&Config::new());
    let report =
        analyze_folder(tree.path(), &knowledge, Window::default(), 1, now()).expect("report");
    assert_eq!(report.inputs.records_skipped, 0, "{:?}", report.inputs);
    let month = &report.accounts[0].months[0];
    assert_eq!(month.human_api_calls.counts.with_mfa, 1);
    assert_eq!(month.human_api_calls.counts.without_mfa, 2);
    assert_eq!(month.unclassified_api_calls, 1);
    assert_eq!(month.workload_api_calls, 0);
    assert_eq!(month.human_api_calls.share_with_mfa, Some(33.3));
    assert_eq!(month.human_api_calls.share_with_mfa_at_worst, Some(25.0));
}

#[test]
fn access_keys_of_users_without_a_console_password_are_workloads() {
    let call = |path: &str, user: &str| {
        serde_json::json!({
            "eventID": format!("key-{user}"), "eventTime": "2026-11-07T11:30:00Z",
            "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
            "recipientAccountId": A,
            "userIdentity": {"type": "IAMUser", "userName": user,
                "arn": format!("arn:aws:iam::{A}:user{path}{user}"), "accountId": A,
                "accessKeyId": "AKIAEXAMPLEKEY000001"}
        })
    };
    // ci-deployer has no console password (tier machine); bob has one.
    let tree = tree_of(
        A,
        serde_json::json!([call("/machine/", "ci-deployer"), call("/", "bob")]),
    );
    let report = analyze_folder(tree.path(), &demo_knowledge(), Window::default(), 1, now())
        .expect("report");
    let month = &report.accounts[0].months[0];
    assert_eq!(month.workload_api_calls, 1);
    assert_eq!(month.human_api_calls.counts.without_mfa, 1);
    assert_eq!(month.unclassified_api_calls, 0);
    assert_eq!(month.human_api_calls.share_with_mfa, Some(0.0));
}

#[test]
fn per_file_figures_add_up_to_the_report() {
    use mfaguard_trail::kpi::MonthKpi;
    let tree = gzipped_copy();
    let knowledge = demo_knowledge();
    let whole = analyze_folder(tree.path(), &knowledge, november(), 2, now()).expect("report");
    let (report, readings) =
        mfaguard_trail::analyze_folder_by_file(tree.path(), &knowledge, november(), 2, now())
            .expect("report");
    assert_eq!(report, whole);
    assert_eq!(readings.len(), 3);
    assert!(readings
        .iter()
        .all(|r| r.is_complete() && r.failure.is_none()));
    assert!(readings
        .iter()
        .all(|r| r.key.starts_with("AWSLogs/o-aa111bb222/") && r.size > 0));
    let mut sum = MonthKpi::default();
    for reading in readings.iter().filter(|r| r.key.contains(A)) {
        for kpi in reading.kpis.values() {
            sum.add(kpi);
        }
    }
    let totals = &report.accounts[0].months[0];
    assert_eq!(sum.mfa_related_denials, totals.denials.mfa_related);
    assert_eq!(
        sum.console_sign_ins_without_mfa,
        totals.console_sign_ins.without_mfa
    );
    assert_eq!(
        sum.human_calls_with_mfa,
        totals.human_api_calls.counts.with_mfa
    );
    assert_eq!(
        sum.human_calls_without_mfa,
        totals.human_api_calls.counts.without_mfa
    );
    assert_eq!(sum.unclassified_calls, totals.unclassified_api_calls);
    assert_eq!((sum.root_uses, sum.breakglass_uses), (2, 1));
    let alerts: usize = readings.iter().map(|r| r.alerts.len()).sum();
    assert_eq!(alerts, 5);
    assert!(readings
        .iter()
        .flat_map(|r| &r.alerts)
        .all(|alert| alert.event_id.is_some()));

    // A window that cuts a file: its figures are marked as partial.
    let cut = Window {
        since: Some("2026-11-05T10:00:00Z".parse().expect("time")),
        until: None,
    };
    let (_, readings) =
        mfaguard_trail::analyze_folder_by_file(tree.path(), &knowledge, cut, 1, now())
            .expect("report");
    let sign_ins = readings
        .iter()
        .find(|r| r.key.contains("Sgn1n"))
        .expect("sign-in file");
    assert!(sign_ins.records_outside_window > 0);
    assert!(!sign_ins.is_complete());
}
