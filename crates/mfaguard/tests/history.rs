//! `mfaguard scan` records into the history; `history`, `diff`, `kpi` and
//! `exceptions` read it. Run on SQLite files and on PostgreSQL
//! (`MFAGUARD_TEST_POSTGRES`, see scripts/with-postgres.sh).

#[path = "../../mfaguard-store/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use support::{at, changing_account, Account, User, ACCOUNT};

fn mfaguard(store: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("MFAGUARD_STORE", store)
        .output()
        .expect("run mfaguard")
}

fn ok(output: Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(output: Output) -> Value {
    serde_json::from_str(&ok(output)).unwrap()
}

/// Three `mfaguard scan` runs of the changing account, then every reader.
fn three_scans_through_the_cli(store: &str) {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("account");
    std::fs::create_dir(&from).unwrap();
    let mut reports = Vec::new();
    for (account, now) in changing_account() {
        account.write(&from, at(now));
        reports.push(json(mfaguard(
            store,
            &[
                "scan",
                "--from",
                from.to_str().unwrap(),
                "--format",
                "json",
                "--now",
                now,
            ],
        )));
    }
    let history = json(mfaguard(store, &["history", "--format", "json"]));
    let scans = history.as_array().unwrap();
    assert_eq!(scans.len(), 3);
    assert_eq!(scans[0]["accounts"][0], ACCOUNT);
    assert_eq!(scans[2]["scanned_at"], "2026-01-21T00:00:00Z");
    assert_eq!(scans[2]["posture"], reports[2]["score"]["posture"]);
    let ids: Vec<i64> = scans.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    let text = ok(mfaguard(store, &["history"]));
    assert!(text.contains("posture") && text.contains(ACCOUNT), "{text}");

    // The recorded report is the report.
    let shown = json(mfaguard(store, &["history", "--show", &ids[0].to_string()]));
    assert_eq!(shown, reports[0]);

    // Default diff: the last two scans.
    let diff = json(mfaguard(store, &["diff", "--format", "json"]));
    assert_eq!(diff["from"]["id"], ids[1]);
    assert_eq!(diff["to"]["id"], ids[2]);
    let fixed: Vec<String> = diff["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["check_id"] == "iam.console_user_mfa")
        .map(|r| format!("{}:{}", r["resource_name"].as_str().unwrap(), r["to"]))
        .collect();
    assert_eq!(fixed, ["carol:\"pass\"", "dave:null"]);
    assert_eq!(diff["removed_identities"][0]["name"], "dave");
    assert_eq!(diff["mfa_devices_added"][0]["name"], "carol");
    // Explicit scans, text.
    let text = ok(mfaguard(
        store,
        &["diff", &ids[0].to_string(), &ids[1].to_string()],
    ));
    assert!(text.contains("Newly failing (2)"), "{text}");
    assert!(text.contains("MFA devices removed (1)"), "{text}");
    assert!(text.contains("mfa/alice"), "{text}");

    // KPIs.
    let kpi = json(mfaguard(
        store,
        &[
            "kpi",
            "--check",
            "iam.console_user_mfa",
            "--now",
            "2026-01-21T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    let ttr = &kpi["time_to_remediate"];
    assert_eq!(ttr["all"]["samples"], 3);
    assert_eq!(ttr["all"]["mean_days"], 13.3);
    assert_eq!(ttr["all"]["median_days"], 10.0);
    assert_eq!(ttr["new_identities"]["samples"], 1);
    assert_eq!(ttr["new_identities"]["mean_days"], 10.0);
    assert_eq!(kpi["open_findings"]["total"], 1);
    assert_eq!(kpi["trend"][2]["console_users_with_mfa"]["percent"], 75.0);
    assert_eq!(kpi["mfa_denials_per_month"], serde_json::json!([]));
    let text = ok(mfaguard(store, &["kpi", "--account", ACCOUNT]));
    assert!(text.contains("Console users with MFA, per scan"), "{text}");
    assert!(
        text.contains("MFA-related denials per month: no CloudTrail recorded"),
        "{text}"
    );
    let since = json(mfaguard(
        store,
        &["kpi", "--since", "2026-01-05", "--format", "json"],
    ));
    assert_eq!(since["scans"], 2);
}

#[test]
fn sqlite_history_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("h.sqlite");
    three_scans_through_the_cli(store.to_str().unwrap());
}

#[test]
fn postgres_history_through_the_cli() {
    let Some(location) = support::postgres_location("cli_history") else {
        return;
    };
    let mfaguard_store::Location::Postgres(url) = location else {
        unreachable!()
    };
    three_scans_through_the_cli(&url);
}

#[test]
fn default_location_and_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("account");
    std::fs::create_dir(&from).unwrap();
    changing_account()[0]
        .0
        .write(&from, at("2026-01-01T00:00:00Z"));
    let data = dir.path().join("data");
    let run = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mfaguard"));
        command
            .args(["scan", "--from", from.to_str().unwrap()])
            .args(extra)
            .env_remove("MFAGUARD_STORE")
            .env("XDG_DATA_HOME", &data)
            .env("HOME", dir.path().join("home"));
        command.output().unwrap()
    };
    ok(run(&["--no-store"]));
    assert!(!data.exists(), "--no-store wrote {}", data.display());
    ok(run(&[]));
    let file = data.join("mfaguard/history.sqlite");
    assert!(file.exists());
    let history = json(mfaguard(
        file.to_str().unwrap(),
        &["history", "--format", "json"],
    ));
    assert_eq!(history.as_array().unwrap().len(), 1);
    // `none` turns it off too.
    let other = dir.path().join("other.sqlite");
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["scan", "--from", from.to_str().unwrap(), "--store", "none"])
        .env("MFAGUARD_STORE", &other)
        .output()
        .unwrap();
    ok(output);
    assert!(!other.exists());
}

#[test]
fn store_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.sqlite");
    let output = mfaguard(missing.to_str().unwrap(), &["history"]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("no scan has been recorded"), "{err}");
    assert!(!missing.exists());

    let output = mfaguard("mysql://db/x", &["history"]);
    assert_eq!(output.status.code(), Some(2));

    let output = mfaguard("none", &["kpi"]);
    assert_eq!(output.status.code(), Some(2));

    // One scan: nothing to compare.
    let from = dir.path().join("account");
    std::fs::create_dir(&from).unwrap();
    changing_account()[0]
        .0
        .write(&from, at("2026-01-01T00:00:00Z"));
    let store = dir.path().join("h.sqlite");
    let store = store.to_str().unwrap();
    ok(mfaguard(store, &["scan", "--from", from.to_str().unwrap()]));
    let output = mfaguard(store, &["diff"]);
    assert_eq!(output.status.code(), Some(2));
    let output = mfaguard(store, &["diff", "1", "99"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no scan 99"));

    // A store that cannot be written: the report is still printed, exit 2.
    let output = mfaguard(
        "/proc/version/history.sqlite",
        &["scan", "--from", from.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stdout).contains("iam.console_user_mfa"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot open the store"));

    let output = mfaguard(
        store,
        &["scan", "--from", from.to_str().unwrap(), "--shard", "3/2"],
    );
    assert_eq!(output.status.code(), Some(2));
}

fn save_snapshot(account: &Account, dir: &Path) -> String {
    let path = dir.join(format!("{}.json", account.id));
    account
        .snapshot(at("2026-02-01T00:00:00Z"))
        .save(&path)
        .unwrap();
    path.display().to_string()
}

/// `--shard i/n`: each runner scans its share; together they scan every
/// account once, and `kpi` adds them up.
#[test]
fn shards_split_and_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let accounts: Vec<Account> = (1..=6)
        .map(|n| {
            let id = format!("{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}{n}");
            Account::new(&id)
                .user(User::console("a").with_virtual_mfa(&id))
                .user(User::console("b"))
        })
        .collect();
    let files: Vec<String> = accounts
        .iter()
        .map(|a| save_snapshot(a, dir.path()))
        .collect();
    let store = dir.path().join("h.sqlite");
    let store = store.to_str().unwrap();
    let mut covered = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let mut args = vec!["scan", "--shard", shard, "--now", "2026-02-01T00:00:00Z"];
        for file in &files {
            args.push("--snapshot");
            args.push(file);
        }
        ok(mfaguard(store, &args));
    }
    let history = json(mfaguard(store, &["history", "--format", "json"]));
    for scan in history.as_array().unwrap() {
        assert!(scan["shard"].as_str().unwrap().ends_with("/3"));
        for account in scan["accounts"].as_array().unwrap() {
            covered.push(account.as_str().unwrap().to_string());
        }
    }
    covered.sort();
    let mut expected: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    expected.sort();
    assert_eq!(covered, expected, "every account exactly once");
    let kpi = json(mfaguard(store, &["kpi", "--format", "json"]));
    let last = kpi["trend"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["accounts"], 6);
    // Root and a of each account have MFA, b does not: 12 of 18.
    assert_eq!(last["console_users_with_mfa"]["covered"], 12);
    assert_eq!(last["console_users_with_mfa"]["total"], 18);
}

#[test]
fn exceptions_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("account");
    std::fs::create_dir(&from).unwrap();
    Account::new(ACCOUNT)
        .user(User::console("vendor"))
        .user(User::console("contractor"))
        .user(User::console("fine").with_virtual_mfa(ACCOUNT))
        .write(&from, at("2026-03-01T00:00:00Z"));
    let config = dir.path().join("mfaguard.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[exceptions]]
check = "iam.console_user_mfa"
resource = "arn:aws:iam::{ACCOUNT}:user/vendor"
owner = "iam-team@example.com"
reason = "vendor SSO migration"
expires = "2026-03-20"
reviewed = "2026-02-15"

[[exceptions]]
check = "iam.console_user_mfa"
resource = "arn:aws:iam::{ACCOUNT}:user/contractor"
owner = "sec@example.com"
reason = "leaving soon"
expires = "2026-12-31"
reviewed = "2026-02-20"

[[exceptions]]
check = "iam.console_user_mfa"
resource = "arn:aws:iam::{ACCOUNT}:user/fine"
owner = "ops@example.com"
reason = "old"
expires = "2027-06-30"
"#
        ),
    )
    .unwrap();
    let store = dir.path().join("h.sqlite");
    let store = store.to_str().unwrap();
    ok(mfaguard(
        store,
        &[
            "scan",
            "--from",
            from.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--now",
            "2026-03-01T00:00:00Z",
        ],
    ));
    let all = json(mfaguard(
        store,
        &[
            "exceptions",
            "--config",
            config.to_str().unwrap(),
            "--now",
            "2026-03-01T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["owner"], "iam-team@example.com");
    assert_eq!(all[0]["suppresses"][0]["resource_name"], "vendor");
    assert_eq!(all[1]["suppresses"][0]["resource_name"], "contractor");
    assert!(all[2]["suppresses"].as_array().unwrap().is_empty());
    // Due: vendor expires within 30 days; fine was never reviewed.
    let due = json(mfaguard(
        store,
        &[
            "exceptions",
            "--due",
            "--now",
            "2026-03-01T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    let names: Vec<&str> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["vendor", "fine"]);
    assert_eq!(due[0]["expiring_within_30_days"], true);
    assert_eq!(due[1]["review_due"], true);
    let text = ok(mfaguard(
        store,
        &["exceptions", "--due", "--now", "2026-03-01T00:00:00Z"],
    ));
    assert!(
        text.contains("suppresses: iam.console_user_mfa vendor"),
        "{text}"
    );
    assert!(text.contains("last review: never"), "{text}");
    // KPI: exceptions by owner.
    let kpi = json(mfaguard(
        store,
        &["kpi", "--now", "2026-03-01T00:00:00Z", "--format", "json"],
    ));
    assert_eq!(kpi["exceptions"]["total"], 3);
    assert_eq!(kpi["exceptions"]["by_expiry"]["within_30_days"], 1);
    assert_eq!(kpi["exceptions"]["review_due"], 1);
    assert_eq!(kpi["exceptions"]["by_owner"].as_array().unwrap().len(), 3);
}
