//! Enforcement verdicts, privilege by evaluation, role assumption and the
//! tier strategy, each on a small account that proves it.

mod support;

use mfaguard_core::enforcement::{NoMfaContext, Verdict};
use mfaguard_core::identity::{Identity, Tier};
use mfaguard_core::{Report, Severity, Status};
use serde_json::{json, Value};
use support::*;

fn identity<'r>(report: &'r Report, name: &str) -> &'r Identity {
    report
        .identities
        .iter()
        .find(|identity| identity.name == name)
        .unwrap_or_else(|| panic!("no identity {name}"))
}

fn verdict(report: &Report, name: &str) -> Verdict {
    let found = identity(report, name);
    found
        .enforcement
        .unwrap_or_else(|| panic!("{name} has no verdict: {found:?}"))
}

fn console(name: &str) -> Row {
    Row::user(name).mfa(false)
}

/// A group "mfa-required" whose inline policy is the documented Force_MFA.
fn with_force_mfa_group(account: Account) -> Account {
    account.group("mfa-required", &[], &[force_mfa()])
}

// ---- verdicts ------------------------------------------------------------

#[test]
fn enforced_through_a_group_policy() {
    let report = with_force_mfa_group(Account::new())
        .user(console("alice"), &["mfa-required"], &[ADMIN], &[])
        .scan();
    assert_eq!(verdict(&report, "alice"), Verdict::Enforced);
    let alice = identity(&report, "alice");
    let allowed = alice.allowed_without_mfa.as_ref().unwrap();
    assert_eq!(allowed.count, 0, "{:?}", allowed.sample);
    assert!(
        alice
            .enforcement_reasons
            .iter()
            .any(|reason| reason.contains("DenyAllExceptListedIfNoMFA")),
        "{:?}",
        alice.enforcement_reasons
    );
    assert_eq!(
        status(&report, "iam.mfa_enforced_by_policy", "alice"),
        Status::Pass
    );
}

#[test]
fn a_second_allow_with_bool_if_exists_does_not_undo_the_deny() {
    let reallow = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}]});
    let report = with_force_mfa_group(Account::new())
        .user(console("bob"), &["mfa-required"], &[], &[reallow])
        .scan();
    // The Allow applies to access keys (an absent key satisfies IfExists),
    // but the explicit deny of the group policy wins.
    assert_eq!(verdict(&report, "bob"), Verdict::Enforced);
    assert_eq!(
        identity(&report, "bob")
            .allowed_without_mfa
            .as_ref()
            .unwrap()
            .count,
        0
    );
}

#[test]
fn a_deny_with_bool_lets_access_keys_through() {
    let bool_deny = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyWithoutMfa", "Effect": "Deny", "NotAction": ["iam:*MFA*", "sts:GetSessionToken"], "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]});
    let report = Account::new()
        .group("bool-deny", &[], &[bool_deny])
        .user(console("carol"), &["bool-deny"], &[ADMIN], &[])
        .scan();
    assert_eq!(verdict(&report, "carol"), Verdict::NotEnforced);
    let allowed = identity(&report, "carol")
        .allowed_without_mfa
        .clone()
        .unwrap();
    assert!(allowed.count > 10_000, "{}", allowed.count);
    // Only long-term keys get through: the console session says false.
    for item in &allowed.sample {
        assert_eq!(item.without_mfa, vec![NoMfaContext::AccessKeys], "{item:?}");
    }
    // Most dangerous first.
    assert_eq!(allowed.sample[0].access_level, "Permissions management");
    let (status, message) = outcome(&report, "iam.mfa_enforced_by_policy", "carol");
    assert_eq!(status, Status::Fail);
    assert!(message.contains("allowed without MFA"), "{message}");
}

#[test]
fn a_user_in_no_enforcing_group_is_not_enforced() {
    let report = with_force_mfa_group(Account::new())
        .user(console("dave"), &[], &[READ_ONLY], &[])
        .scan();
    assert_eq!(verdict(&report, "dave"), Verdict::NotEnforced);
    let allowed = identity(&report, "dave")
        .allowed_without_mfa
        .clone()
        .unwrap();
    assert!(allowed
        .sample
        .iter()
        .all(|item| item.access_level == "Read" || item.access_level == "List"));
    assert!(allowed.sample.iter().any(|item| item
        .allowed_by
        .iter()
        .any(|by| by.contains("ReadOnlyAccess"))));
    let (_, message) = outcome(&report, "iam.mfa_enforced_by_policy", "dave");
    assert!(
        message.contains("service control policies were not collected"),
        "{message}"
    );
}

#[test]
fn a_user_with_a_path_is_locked_out_of_enrolment() {
    // Without administrator rights, only the group policy's self-service
    // statements could allow enrolment, and they name `user/${aws:username}`.
    let report = with_force_mfa_group(Account::new())
        .user(console("erin"), &["mfa-required"], &[READ_ONLY], &[])
        .path("erin", "/engineering/")
        .scan();
    assert_eq!(verdict(&report, "erin"), Verdict::LockedOut);
    let erin = identity(&report, "erin");
    let text = erin.enforcement_reasons.join(" ");
    assert!(text.contains("iam:EnableMFADevice"), "{text}");
    assert!(text.contains("user/*/${aws:username}"), "{text}");
    let found = report
        .results
        .iter()
        .find(|r| r.check_id == "iam.mfa_enforced_by_policy" && r.resource_name == "erin")
        .unwrap();
    assert_eq!(found.status, Status::Fail);
    assert_eq!(found.severity, Severity::Low);
}

fn with_boundary(name: &str, boundary: Value) -> Report {
    let mut account = Account::new().policy("RequireMfaBoundary", boundary).user(
        console(name),
        &[],
        &[ADMIN],
        &[],
    );
    account.users[0]["PermissionsBoundary"] = json!({
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": customer_policy_arn("RequireMfaBoundary")
    });
    account.scan()
}

#[test]
fn a_boundary_that_requires_mfa_enforces_it() {
    let boundary = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "SelfServiceWithoutMfa", "Effect": "Allow",
         "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices", "iam:GetUser"],
         "Resource": ["arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}"]},
        {"Sid": "EverythingWithMfa", "Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]});
    let report = with_boundary("frank", boundary);
    assert_eq!(verdict(&report, "frank"), Verdict::Enforced);
    let frank = identity(&report, "frank");
    assert!(
        frank
            .enforcement_reasons
            .iter()
            .any(|reason| reason.contains("allowed only with MFA")),
        "{:?}",
        frank.enforcement_reasons
    );
}

#[test]
fn a_boundary_that_blocks_everything_without_mfa_locks_out() {
    let boundary = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]});
    let report = with_boundary("fiona", boundary);
    // Nothing is allowed without MFA, not even setting MFA up.
    assert_eq!(verdict(&report, "fiona"), Verdict::LockedOut);
    let fiona = identity(&report, "fiona");
    assert!(fiona
        .enforcement_reasons
        .iter()
        .any(|reason| reason.contains("iam:CreateVirtualMFADevice")));
}

#[test]
fn a_user_without_permissions_has_no_access() {
    let report = Account::new().user(console("gina"), &[], &[], &[]).scan();
    assert_eq!(verdict(&report, "gina"), Verdict::NoAccess);
    assert_eq!(
        status(&report, "iam.mfa_enforced_by_policy", "gina"),
        Status::NotApplicable
    );
}

#[test]
fn an_unreadable_policy_makes_the_verdict_unknown() {
    let report = Account::new()
        .user(console("hank"), &["group-not-in-the-inputs"], &[ADMIN], &[])
        .scan();
    assert_eq!(verdict(&report, "hank"), Verdict::Unknown);
    assert_eq!(
        status(&report, "iam.mfa_enforced_by_policy", "hank"),
        Status::Unknown
    );
}

#[test]
fn conditions_the_analysis_cannot_know_are_reported() {
    let by_ip = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::payroll/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]});
    let report = Account::new()
        .user(console("ivan"), &[], &[], &[by_ip])
        .scan();
    assert_eq!(verdict(&report, "ivan"), Verdict::NotEnforced);
    let allowed = identity(&report, "ivan")
        .allowed_without_mfa
        .clone()
        .unwrap();
    assert_eq!(allowed.count, 1);
    assert_eq!(allowed.conditional, 1);
    assert!(allowed.depends_on.contains("aws:sourceip"));
    // Found on the bucket the policy names, not on a placeholder.
    assert!(allowed.sample[0]
        .resource
        .starts_with("arn:aws:s3:::payroll/"));
}

#[test]
fn machine_users_are_not_analysed() {
    let report = Account::new()
        .user(
            Row::user("ci").password(false).key1(true),
            &[],
            &[ADMIN],
            &[],
        )
        .scan();
    assert!(identity(&report, "ci").enforcement.is_none());
    assert_eq!(
        status(&report, "iam.mfa_enforced_by_policy", "ci"),
        Status::NotApplicable
    );
}

#[test]
fn users_sharing_policies_get_the_same_answer() {
    let mut account = with_force_mfa_group(Account::new());
    for index in 0..50 {
        account = account.user(
            console(&format!("member{index:02}")),
            &["mfa-required"],
            &[ADMIN],
            &[],
        );
    }
    let report = account.scan();
    for index in 0..50 {
        assert_eq!(
            verdict(&report, &format!("member{index:02}")),
            Verdict::Enforced
        );
    }
}

// ---- privilege by evaluation ----------------------------------------------

#[test]
fn privilege_comes_from_what_policies_allow() {
    let pass_role = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction"], "Resource": "*"}]});
    let keys_for_others = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::*:user/*"}]});
    let report = Account::new()
        .user(console("admin"), &[], &[ADMIN], &[])
        .user(console("iamfull"), &[], &[IAM_FULL], &[])
        .user(console("poweruser"), &[], &[POWER_USER], &[])
        .user(console("deployer"), &[], &[], &[pass_role])
        .user(console("keymaker"), &[], &[], &[keys_for_others])
        .user(console("reader"), &[], &[READ_ONLY], &[])
        .scan();
    for name in ["admin", "iamfull", "deployer", "keymaker", "poweruser"] {
        assert_eq!(identity(&report, name).tier, Tier::Privileged, "{name}");
    }
    assert_eq!(identity(&report, "reader").tier, Tier::Human);
    let deployer = identity(&report, "deployer");
    assert!(
        deployer.privilege.reasons[0].contains("lambda:CreateFunction"),
        "{:?}",
        deployer.privilege.reasons
    );
}

#[test]
fn an_scp_that_denies_escalation_removes_privilege() {
    let mut snapshot = Account::new()
        .user(console("admin"), &[], &[ADMIN], &[])
        .snapshot();
    let deny_iam: Value = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": ["iam:*", "sso:*", "organizations:*", "iam:PassRole"], "Resource": "*"}]});
    snapshot.service_control_policies = Some(vec![mfaguard_core::snapshot::ScpLevel {
        target_id: ACCOUNT.to_string(),
        target_type: "ACCOUNT".to_string(),
        policies: vec![mfaguard_core::snapshot::ScpPolicy {
            id: "p-denyiam".to_string(),
            name: "DenyIam".to_string(),
            document: mfaguard_core::snapshot::PolicyDocument(deny_iam),
        }],
    }]);
    let report = mfaguard_core::analyze(&[snapshot], &mfaguard_core::Config::new(), now());
    let admin = identity(&report, "admin");
    assert_eq!(
        admin.privilege.privileged,
        Some(false),
        "{:?}",
        admin.privilege
    );
    // SCPs were collected: no note about them.
    assert!(admin
        .enforcement_reasons
        .iter()
        .all(|reason| !reason.contains("service control policies")));
}

// ---- iam.role_assumption_mfa -----------------------------------------------

fn trust(principal: Value, condition: Option<Value>) -> Value {
    let mut statement =
        json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

#[test]
fn role_assumption_verdicts() {
    let same_account = json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")});
    let report = Account::new()
        .role(
            "mfa-admin",
            trust(
                same_account.clone(),
                Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
            ),
            &[ADMIN],
            &[],
        )
        .role(
            "age-bound",
            trust(
                same_account.clone(),
                Some(json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})),
            ),
            &[],
            &[],
        )
        .role(
            "if-exists-admin",
            trust(
                same_account.clone(),
                Some(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})),
            ),
            &[ADMIN],
            &[],
        )
        .role("plain", trust(same_account.clone(), None), &[READ_ONLY], &[])
        .role(
            "partner",
            trust(json!({"AWS": "arn:aws:iam::999988887777:root"}), None),
            &[READ_ONLY],
            &[],
        )
        .role(
            "partner-external-id",
            trust(
                json!({"AWS": "999988887777"}),
                Some(json!({"StringEquals": {"sts:ExternalId": "partner-secret"}})),
            ),
            &[READ_ONLY],
            &[],
        )
        .role(
            "lambda",
            trust(json!({"Service": "lambda.amazonaws.com"}), None),
            &[ADMIN],
            &[],
        )
        .role(
            "ci",
            trust(same_account, None),
            &[ADMIN],
            &[("mfaguard:machine", "true")],
        )
        .role(
            "sso",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/corp")},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}),
            &[ADMIN],
            &[],
        )
        .scan();
    let check = "iam.role_assumption_mfa";
    assert_eq!(status(&report, check, "mfa-admin"), Status::Pass);
    assert_eq!(status(&report, check, "age-bound"), Status::Pass);
    assert_eq!(status(&report, check, "lambda"), Status::NotApplicable);
    let (ci, message) = outcome(&report, check, "ci");
    assert_eq!(ci, Status::NotApplicable);
    assert!(message.contains("exempt"), "{message}");
    let (sso, message) = outcome(&report, check, "sso");
    assert_eq!(sso, Status::Unknown);
    assert!(message.contains("federated"), "{message}");

    let failing = |name: &str| {
        report
            .results
            .iter()
            .find(|r| r.check_id == check && r.resource_name == name)
            .unwrap()
    };
    let if_exists = failing("if-exists-admin");
    assert_eq!(if_exists.status, Status::Fail);
    assert_eq!(if_exists.severity, Severity::Critical);
    assert!(
        if_exists.message.contains("access keys"),
        "{}",
        if_exists.message
    );
    assert!(!if_exists.message.contains("console without MFA"));
    let plain = failing("plain");
    assert_eq!(plain.status, Status::Fail);
    assert_eq!(plain.severity, Severity::High);
    let partner = failing("partner");
    assert!(
        partner.message.contains("neither MFA nor sts:ExternalId"),
        "{}",
        partner.message
    );
    let with_id = failing("partner-external-id");
    assert_eq!(with_id.status, Status::Fail);
    assert!(!with_id.message.contains("neither MFA nor sts:ExternalId"));
}

#[test]
fn roles_people_assume_get_an_enforcement_verdict() {
    let same_account = json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")});
    let report = Account::new()
        .role("ops", trust(same_account.clone(), None), &[READ_ONLY], &[])
        .role(
            "admin-with-mfa",
            trust(
                same_account,
                Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
            ),
            &[ADMIN],
            &[],
        )
        .role(
            "sso",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/corp")},
                "Action": "sts:AssumeRoleWithSAML"}]}),
            &[READ_ONLY],
            &[],
        )
        .role(
            "lambda",
            trust(json!({"Service": "lambda.amazonaws.com"}), None),
            &[READ_ONLY],
            &[],
        )
        .scan();
    assert_eq!(verdict(&report, "ops"), Verdict::NotEnforced);
    // Sessions of a role whose trust requires MFA always have MFA.
    assert_eq!(verdict(&report, "admin-with-mfa"), Verdict::Enforced);
    assert_eq!(
        identity(&report, "admin-with-mfa")
            .allowed_without_mfa
            .as_ref()
            .unwrap()
            .count,
        0
    );
    // People come through the identity provider: not verifiable in IAM.
    assert_eq!(verdict(&report, "sso"), Verdict::Unknown);
    assert!(identity(&report, "lambda").enforcement.is_none());
}

// ---- iam.mfa_enforcement_strategy --------------------------------------------

#[test]
fn the_strategy_passes_only_when_every_tier_is_covered() {
    let covered = with_force_mfa_group(Account::new())
        .user(
            Row::user("admin").mfa(true),
            &["mfa-required"],
            &[ADMIN],
            &[],
        )
        .user(
            Row::user("dev").mfa(true),
            &["mfa-required"],
            &[READ_ONLY],
            &[],
        )
        .scan();
    let (status, message) = outcome(
        &covered,
        "iam.mfa_enforcement_strategy",
        &format!("account {ACCOUNT}"),
    );
    assert_eq!(status, Status::Pass, "{message}");
    assert!(
        message.contains("privileged: 1/1 console users with MFA, 1/1 enforced"),
        "{message}"
    );

    let human_gap = with_force_mfa_group(Account::new())
        .user(
            Row::user("admin").mfa(true),
            &["mfa-required"],
            &[ADMIN],
            &[],
        )
        .user(Row::user("dev").mfa(true), &[], &[READ_ONLY], &[])
        .scan();
    let (status, message) = outcome(
        &human_gap,
        "iam.mfa_enforcement_strategy",
        &format!("account {ACCOUNT}"),
    );
    assert_eq!(status, Status::Fail, "{message}");
    assert!(
        message.contains("human: 1/1 console users with MFA, 0/1 enforced"),
        "{message}"
    );
}

#[test]
fn the_strategy_counts_valid_exceptions() {
    let mut account = with_force_mfa_group(Account::new())
        .user(
            Row::user("admin").mfa(true),
            &["mfa-required"],
            &[ADMIN],
            &[],
        )
        .user(Row::user("vendor").mfa(false), &[], &[READ_ONLY], &[]);
    account.config = format!(
        "[[exceptions]]\ncheck = \"iam.mfa_enforced_by_policy\"\nresource = \"{}\"\nowner = \"sec@example.com\"\nreason = \"vendor SSO migration\"\nexpires = \"2027-01-31\"\nreviewed = \"2026-10-01\"\n",
        user_arn("vendor")
    );
    let report = account.scan();
    let (status, message) = outcome(
        &report,
        "iam.mfa_enforcement_strategy",
        &format!("account {ACCOUNT}"),
    );
    assert_eq!(status, Status::Pass, "{message}");
    assert!(message.contains("1 excepted"), "{message}");
}
