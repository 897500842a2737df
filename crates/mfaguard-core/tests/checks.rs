//! Pass, fail and edge cases of every check, on small generated accounts.

mod support;

use mfaguard_core::identity::Tier;
use mfaguard_core::Status;
use serde_json::json;
use support::*;

const ROOT: &str = "<root_account>";

// ---- iam.root_mfa_enabled ------------------------------------------------

#[test]
fn root_mfa_enabled_passes_with_mfa() {
    let report = Account::new().scan();
    assert_eq!(status(&report, "iam.root_mfa_enabled", ROOT), Status::Pass);
}

#[test]
fn root_mfa_enabled_fails_without_mfa() {
    let mut account = Account::new();
    account.rows[0] = Row::root().mfa(false);
    account.virtual_devices = Some(vec![]);
    let report = account.scan();
    assert_eq!(status(&report, "iam.root_mfa_enabled", ROOT), Status::Fail);
    assert_eq!(status(&report, "iam.root_hardware_mfa", ROOT), Status::Fail);
}

#[test]
fn root_without_credentials_passes_root_mfa() {
    let mut account = Account::new();
    account.rows[0] = Row::root().mfa(false);
    account.summary = Some(json!({"AccountMFAEnabled": 0, "AccountPasswordPresent": 0}));
    let report = account.scan();
    let (status, message) = outcome(&report, "iam.root_mfa_enabled", ROOT);
    assert_eq!(status, Status::Pass, "{message}");
    assert!(message.contains("root credentials removed"));
    assert_eq!(
        status_of(&report, "iam.root_hardware_mfa"),
        Status::NotApplicable
    );
}

fn status_of(report: &mfaguard_core::Report, check: &str) -> Status {
    status(report, check, ROOT)
}

#[test]
fn missing_root_row_is_unknown_never_pass() {
    let mut account = Account::new().user(Row::user("alice").mfa(true), &[], &[], &[]);
    account.rows.remove(0);
    let report = account.scan();
    for check in [
        "iam.root_mfa_enabled",
        "iam.root_hardware_mfa",
        "iam.root_access_keys",
    ] {
        let root = format!("arn:aws:iam::{ACCOUNT}:root");
        assert_eq!(status(&report, check, &root), Status::Unknown, "{check}");
    }
    assert!(report.accounts[0]
        .limitations
        .iter()
        .any(|l| l.contains("no <root_account> row")));
}

// ---- iam.root_hardware_mfa -----------------------------------------------

#[test]
fn root_with_virtual_device_fails_hardware_check() {
    let report = Account::new().scan();
    let (status, message) = outcome(&report, "iam.root_hardware_mfa", ROOT);
    assert_eq!(status, Status::Fail);
    assert!(message.contains("mfa/root-account-mfa-device"), "{message}");
}

#[test]
fn root_with_unlisted_hardware_passes() {
    let mut account = Account::new();
    account.virtual_devices = Some(vec![]);
    let report = account.scan();
    assert_eq!(status(&report, "iam.root_hardware_mfa", ROOT), Status::Pass);
}

#[test]
fn rootops_virtual_device_is_not_roots() {
    // A user whose name contains "root" holds a virtual device; root's own MFA
    // is hardware (no virtual device has exactly the root ARN).
    let mut account = Account::new();
    account.virtual_devices = Some(vec![]);
    let account = account
        .user(Row::user("rootops").mfa(true), &[], &[], &[])
        .device("rootops", &format!("arn:aws:iam::{ACCOUNT}:mfa/rootops"));
    let mut account = account;
    // Also a device whose user ARN merely starts with the root ARN.
    account.virtual_devices.as_mut().unwrap().push(json!({
        "SerialNumber": format!("arn:aws:iam::{ACCOUNT}:mfa/rootx"),
        "User": {"Arn": format!("arn:aws:iam::{ACCOUNT}:rootx"), "UserName": "rootx"},
        "EnableDate": "2024-01-03T00:00:00+00:00"
    }));
    let report = account.scan();
    assert_eq!(status(&report, "iam.root_hardware_mfa", ROOT), Status::Pass);
}

#[test]
fn root_with_fido_and_virtual_passes_and_says_so() {
    let account = Account::new().device(
        ROOT,
        &format!("arn:aws:iam::{ACCOUNT}:u2f/root/key-ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    );
    let mut account = account;
    // The virtual device is listed for root too.
    account.mfa_devices.as_mut().unwrap().push(json!({
        "UserName": ROOT,
        "SerialNumber": format!("arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"),
    }));
    let report = account.scan();
    let (status, message) = outcome(&report, "iam.root_hardware_mfa", ROOT);
    assert_eq!(status, Status::Pass);
    assert!(message.contains("also has the virtual device"), "{message}");
}

#[test]
fn root_hardware_is_unknown_without_virtual_device_list() {
    let mut account = Account::new();
    account.virtual_devices = None;
    let report = account.scan();
    assert_eq!(
        status(&report, "iam.root_hardware_mfa", ROOT),
        Status::Unknown
    );
}

// ---- iam.root_access_keys ------------------------------------------------

#[test]
fn root_access_keys_pass_and_fail() {
    let report = Account::new().scan();
    assert_eq!(status(&report, "iam.root_access_keys", ROOT), Status::Pass);
    let mut account = Account::new();
    account.rows[0] = Row::root().key1(true);
    let report = account.scan();
    let (status, message) = outcome(&report, "iam.root_access_keys", ROOT);
    assert_eq!(status, Status::Fail);
    assert!(message.contains("1 active access key"), "{message}");
}

// ---- iam.console_user_mfa ------------------------------------------------

#[test]
fn console_user_mfa_cases() {
    let report = Account::new()
        .user(Row::user("with-mfa").mfa(true), &[], &[], &[])
        .device("with-mfa", &format!("arn:aws:iam::{ACCOUNT}:mfa/with-mfa"))
        .user(Row::user("no-mfa"), &[], &[], &[])
        .user(
            Row::user("machine").password(false).key1(true),
            &[],
            &[],
            &[],
        )
        .scan();
    assert_eq!(
        status(&report, "iam.console_user_mfa", "with-mfa"),
        Status::Pass
    );
    assert_eq!(
        status(&report, "iam.console_user_mfa", "no-mfa"),
        Status::Fail
    );
    assert_eq!(
        status(&report, "iam.console_user_mfa", "machine"),
        Status::NotApplicable
    );
    // Root is not a subject of this check.
    assert!(report
        .results
        .iter()
        .all(|r| !(r.check_id == "iam.console_user_mfa" && r.resource_name == ROOT)));
}

#[test]
fn user_missing_from_the_report_is_unknown() {
    let mut account = Account::new().user(Row::user("late"), &[], &[], &[]);
    account.rows.pop();
    let report = account.scan();
    assert_eq!(
        status(&report, "iam.console_user_mfa", "late"),
        Status::Unknown
    );
}

// ---- iam.privileged_user_mfa ---------------------------------------------

#[test]
fn privileged_user_mfa_cases() {
    let star = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let mut account = Account::new()
        .user(Row::user("admin-direct"), &[], &[ADMIN], &[])
        .user(Row::user("admin-group"), &["Admins"], &[], &[])
        .user(Row::user("iam-full"), &[], &[IAM_FULL], &[])
        .user(Row::user("inline-star"), &[], &[], &[star])
        .user(Row::user("admin-mfa").mfa(true), &[], &[ADMIN], &[])
        .device(
            "admin-mfa",
            &format!("arn:aws:iam::{ACCOUNT}:mfa/admin-mfa"),
        )
        .user(Row::user("reader"), &[], &[READ_ONLY], &[])
        .user(
            Row::user("admin-machine").password(false).key1(true),
            &[],
            &[ADMIN],
            &[],
        );
    account.groups.push(json!({
        "Path": "/", "GroupName": "Admins", "GroupId": "AGPA1", "Arn": format!("arn:aws:iam::{ACCOUNT}:group/Admins"),
        "GroupPolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}]
    }));
    let report = account.scan();
    for user in ["admin-direct", "admin-group", "iam-full", "inline-star"] {
        assert_eq!(
            status(&report, "iam.privileged_user_mfa", user),
            Status::Fail,
            "{user}"
        );
    }
    let (_, message) = outcome(&report, "iam.privileged_user_mfa", "admin-group");
    assert!(message.contains("through group Admins"), "{message}");
    assert_eq!(
        status(&report, "iam.privileged_user_mfa", "admin-mfa"),
        Status::Pass
    );
    assert_eq!(
        status(&report, "iam.privileged_user_mfa", "reader"),
        Status::NotApplicable
    );
    assert_eq!(
        status(&report, "iam.privileged_user_mfa", "admin-machine"),
        Status::NotApplicable
    );
    let tier = |name: &str| {
        report
            .identities
            .iter()
            .find(|i| i.name == name)
            .unwrap()
            .tier
    };
    assert_eq!(tier("admin-group"), Tier::Privileged);
    assert_eq!(tier("reader"), Tier::Human);
    assert_eq!(tier("admin-machine"), Tier::Machine);
}

#[test]
fn privilege_is_unknown_without_authorization_details() {
    let mut account = Account::new().user(Row::user("someone"), &[], &[], &[]);
    account.with_authorization_details = false;
    let report = account.scan();
    assert_eq!(
        status(&report, "iam.privileged_user_mfa", "someone"),
        Status::Unknown
    );
    // The console check does not need the details.
    assert_eq!(
        status(&report, "iam.console_user_mfa", "someone"),
        Status::Fail
    );
}

// ---- iam.breakglass_hardware_mfa ------------------------------------------

#[test]
fn breakglass_cases() {
    let mut account = Account::new()
        .user(Row::user("bg-hardware").mfa(true), &[], &[ADMIN], &[])
        .device("bg-hardware", "GAHT12345678")
        .user(Row::user("bg-virtual").mfa(true), &[], &[ADMIN], &[])
        .device(
            "bg-virtual",
            &format!("arn:aws:iam::{ACCOUNT}:mfa/bg-virtual"),
        )
        .user(Row::user("bg-none"), &[], &[ADMIN], &[])
        .user(Row::user("bg-tagged").mfa(true), &[], &[], &[])
        .device(
            "bg-tagged",
            &format!("arn:aws:iam::{ACCOUNT}:u2f/user/bg-tagged/key-ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        )
        .user(Row::user("ordinary"), &[], &[], &[]);
    account.users[3]["Tags"] = json!([{"Key": "mfaguard:break-glass", "Value": "true"}]);
    account.config = format!(
        "[breakglass]\nusers = [\"bg-hardware\", \"bg-virtual\", \"{}\"]\n",
        user_arn("bg-none")
    );
    let report = account.scan();
    assert_eq!(
        status(&report, "iam.breakglass_hardware_mfa", "bg-hardware"),
        Status::Pass
    );
    assert_eq!(
        status(&report, "iam.breakglass_hardware_mfa", "bg-virtual"),
        Status::Fail
    );
    assert_eq!(
        status(&report, "iam.breakglass_hardware_mfa", "bg-none"),
        Status::Fail
    );
    assert_eq!(
        status(&report, "iam.breakglass_hardware_mfa", "bg-tagged"),
        Status::Pass
    );
    assert!(!report
        .results
        .iter()
        .any(|r| r.check_id == "iam.breakglass_hardware_mfa" && r.resource_name == "ordinary"));
    let tier = |name: &str| {
        report
            .identities
            .iter()
            .find(|i| i.name == name)
            .unwrap()
            .tier
    };
    assert_eq!(tier("bg-none"), Tier::Breakglass);
    assert_eq!(tier("bg-tagged"), Tier::Breakglass);
}

#[test]
fn breakglass_with_only_virtual_seen_and_no_device_list_is_unknown() {
    let mut account = Account::new()
        .user(Row::user("bg").mfa(true), &[], &[], &[])
        .device("bg", &format!("arn:aws:iam::{ACCOUNT}:mfa/bg"));
    account.mfa_devices = None;
    account.config = "[breakglass]\nusers = [\"bg\"]\n".into();
    let report = account.scan();
    assert_eq!(
        status(&report, "iam.breakglass_hardware_mfa", "bg"),
        Status::Unknown
    );
    assert!(report.accounts[0]
        .limitations
        .iter()
        .any(|l| l.contains("mfa-devices.json missing")));
}

// ---- exceptions and iam.mfa_exception_review -------------------------------

fn exception(resource: &str, owner: &str, expires: &str, reviewed: &str) -> String {
    format!(
        "[[exceptions]]\ncheck = \"iam.console_user_mfa\"\nresource = \"{resource}\"\nowner = \"{owner}\"\nreason = \"migration\"\nexpires = \"{expires}\"\nreviewed = \"{reviewed}\"\n"
    )
}

#[test]
fn exceptions_suppress_only_when_valid() {
    let mut account = Account::new()
        .user(Row::user("valid"), &[], &[], &[])
        .user(Row::user("expired"), &[], &[], &[])
        .user(Row::user("ownerless"), &[], &[], &[])
        .user(Row::user("overdue"), &[], &[], &[]);
    account.config = [
        exception(
            &user_arn("valid"),
            "a@example.com",
            "2027-01-31",
            "2026-10-01",
        ),
        exception(
            &user_arn("expired"),
            "a@example.com",
            "2026-09-30",
            "2026-09-01",
        ),
        exception(&user_arn("ownerless"), "", "2027-01-31", "2026-10-01"),
        exception(
            &user_arn("overdue"),
            "a@example.com",
            "2027-01-31",
            "2026-05-01",
        ),
    ]
    .join("\n");
    let report = account.scan();
    assert_eq!(
        status(&report, "iam.console_user_mfa", "valid"),
        Status::Excepted
    );
    assert_eq!(
        status(&report, "iam.console_user_mfa", "expired"),
        Status::Fail
    );
    assert_eq!(
        status(&report, "iam.console_user_mfa", "ownerless"),
        Status::Fail
    );
    assert_eq!(
        status(&report, "iam.console_user_mfa", "overdue"),
        Status::Excepted
    );

    let review = |user: &str| outcome(&report, "iam.mfa_exception_review", &user_arn(user));
    assert_eq!(review("valid").0, Status::Pass);
    let (status, message) = review("expired");
    assert_eq!(status, Status::Fail);
    assert!(
        message.contains("expired on 2026-09-30") && message.contains("suppresses nothing"),
        "{message}"
    );
    let (status, message) = review("ownerless");
    assert_eq!(status, Status::Fail);
    assert!(message.contains("has no owner"), "{message}");
    let (status, message) = review("overdue");
    assert_eq!(status, Status::Fail);
    assert!(
        message.contains("last reviewed 2026-05-01") && message.contains("still applies"),
        "{message}"
    );
}

#[test]
fn exception_for_unknown_resource_warns() {
    let mut account = Account::new();
    account.config = exception(
        &user_arn("ghost"),
        "a@example.com",
        "2027-01-31",
        "2026-10-01",
    );
    let report = account.scan();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("matches no resource")),
        "{:?}",
        report.warnings
    );
}

// ---- KPIs, score, staleness ----------------------------------------------

#[test]
fn kpis_count_console_users_per_tier() {
    let report = Account::new()
        .user(Row::user("a").mfa(true), &[], &[], &[])
        .device("a", "GAHT00000001")
        .user(Row::user("b"), &[], &[], &[])
        .user(Row::user("c").mfa(true), &[], &[ADMIN], &[])
        .device("c", &format!("arn:aws:iam::{ACCOUNT}:mfa/c"))
        .user(Row::user("m").password(false).key1(true), &[], &[], &[])
        .scan();
    let kpis = &report.kpis;
    // root, a, b, c are console users; root and a and c have MFA.
    assert_eq!(kpis.console_users_with_mfa.total, 4);
    assert_eq!(kpis.console_users_with_mfa.covered, 3);
    assert_eq!(kpis.console_users_with_mfa.percent, Some(75.0));
    let human = kpis.console_users_with_mfa_by_tier[&Tier::Human];
    assert_eq!((human.total, human.covered), (2, 1));
    let privileged = kpis.console_users_with_mfa_by_tier[&Tier::Privileged];
    assert_eq!((privileged.total, privileged.covered), (1, 1));
    // Phishing-resistant: only a (hardware); root and c are virtual.
    assert_eq!(kpis.console_users_with_phishing_resistant_mfa.covered, 1);
    assert_eq!(kpis.machine_users_with_active_keys, 1);
    // Devices enabled two days after creation.
    assert_eq!(kpis.time_to_mfa.median_days, Some(2.0));
}

#[test]
fn stale_report_warns_and_posture_is_weighted() {
    let report = Account::new().user(Row::user("b"), &[], &[], &[]).scan();
    // GENERATED is 2 hours before NOW: not stale.
    assert!(!report
        .warnings
        .iter()
        .any(|w| w.contains("hours before this scan")));
    let mut config = mfaguard_core::Config::new();
    config.max_report_age_hours = 1.0;
    let dir = tempfile::tempdir().unwrap();
    Account::new().write(dir.path());
    let snapshot = mfaguard_core::offline::read_dir(dir.path(), now()).unwrap();
    let stale = mfaguard_core::analyze(&[snapshot], &config, now());
    assert!(
        stale
            .warnings
            .iter()
            .any(|w| w.contains("2.0 hours before this scan")),
        "{:?}",
        stale.warnings
    );

    // Failing: root hardware (high 5), b console (high 5), the tier
    // strategy (high 5: b has no MFA); b privileged? no (n/a), b enforced?
    // no access at all (n/a). Passing: root mfa (10), root keys (10).
    assert_eq!(report.score.failed_weight, 15);
    assert_eq!(report.score.passed_weight, 20);
    assert_eq!(report.score.posture, Some(57.1));
    assert_eq!(report.score.cis_v3.recommendations["1.5"], Status::Pass);
    assert_eq!(report.score.cis_v3.recommendations["1.10"], Status::Fail);
}

#[test]
fn snapshot_round_trips() {
    let account = Account::new()
        .user(Row::user("a").mfa(true), &[], &[ADMIN], &[])
        .device("a", "GAHT1");
    let snapshot = account.snapshot();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    snapshot.save(&path).unwrap();
    let loaded = mfaguard_core::Snapshot::load(&path).unwrap();
    assert_eq!(snapshot, loaded);
    let config = mfaguard_core::Config::new();
    assert_eq!(
        mfaguard_core::analyze(&[snapshot], &config, now()),
        mfaguard_core::analyze(&[loaded], &config, now())
    );
}

#[test]
fn without_the_virtual_device_list_device_kinds_stay_unknown() {
    let mut account = Account::new().user(Row::user("a").mfa(true), &[], &[], &[]);
    account.virtual_devices = None;
    account.mfa_devices = None;
    let report = account.scan();
    let a = report.identities.iter().find(|i| i.name == "a").unwrap();
    assert!(!a.mfa.unlisted_non_virtual);
    assert_eq!(a.mfa.phishing_resistant(), None);
    assert_eq!(
        report
            .kpis
            .console_users_with_phishing_resistant_mfa
            .unknown,
        2
    );
}

// ---- iam.mfa_condition_pitfall -------------------------------------------

#[test]
fn condition_pitfalls_are_reported_per_statement_with_the_fix() {
    let pitfall = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Fine", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "DenyWithoutMfa", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
    ]});
    let mut account = Account::new().user(Row::user("u"), &["Legacy"], &[], &[]);
    account.groups.push(json!({
        "Path": "/", "GroupName": "Legacy", "GroupId": "AGPA2", "Arn": format!("arn:aws:iam::{ACCOUNT}:group/Legacy"),
        "GroupPolicyList": [{"PolicyName": "legacy-mfa", "PolicyDocument": pitfall}], "AttachedManagedPolicies": []
    }));
    let sound = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
    ]});
    let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/ForceMFA");
    account.policies.push(json!({
        "PolicyName": "ForceMFA", "Arn": policy_arn, "DefaultVersionId": "v1",
        "PolicyVersionList": [{"Document": sound, "VersionId": "v1", "IsDefaultVersion": true}]
    }));
    let report = account.scan();
    let (status, message) = outcome(
        &report,
        "iam.mfa_condition_pitfall",
        "Legacy inline legacy-mfa statement 1 (DenyWithoutMfa)",
    );
    assert_eq!(status, Status::Fail);
    assert!(
        message.contains("\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"false\"}"),
        "{message}"
    );
    assert_eq!(status_named(&report, "ForceMFA statement 0"), Status::Pass);
    // The statement without MFA keys is not examined.
    assert!(!report
        .results
        .iter()
        .any(|r| r.resource_name.contains("statement 0 (Fine)")));
}

fn status_named(report: &mfaguard_core::Report, name: &str) -> Status {
    status(report, "iam.mfa_condition_pitfall", name)
}
