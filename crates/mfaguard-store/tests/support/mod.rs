//! Test fixtures shared by the store's tests and the CLI's history tests:
//! small accounts written as folders of AWS CLI outputs, scanned with the
//! real offline reader and analysis, and fresh SQLite / PostgreSQL stores.
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use chrono::{DateTime, Utc};
use mfaguard_core::{analyze, Config, Report, Snapshot};
use mfaguard_store::{Location, ScanRecord};
use serde_json::{json, Value};

pub const ACCOUNT: &str = "111122223333";

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn arn(account: &str, name: &str) -> String {
    if name == "<root_account>" {
        format!("arn:aws:iam::{account}:root")
    } else {
        format!("arn:aws:iam::{account}:user/{name}")
    }
}

/// One IAM user.
#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub password: bool,
    pub password_changed: String,
    /// Serials of MFA devices (`arn:...:mfa/x` virtual, `arn:...:u2f/...`
    /// FIDO, anything else hardware).
    pub devices: Vec<String>,
    pub key1: bool,
    pub key1_rotated: String,
    pub groups: Vec<String>,
    pub managed: Vec<String>,
    pub tags: Vec<(String, String)>,
}

impl User {
    pub fn console(name: &str) -> User {
        User {
            name: name.to_string(),
            password: true,
            password_changed: "2025-06-01T00:00:00+00:00".to_string(),
            devices: Vec::new(),
            key1: false,
            key1_rotated: "2025-06-01T00:00:00+00:00".to_string(),
            groups: Vec::new(),
            managed: Vec::new(),
            tags: Vec::new(),
        }
    }

    pub fn machine(name: &str) -> User {
        User {
            password: false,
            key1: true,
            ..User::console(name)
        }
    }

    pub fn with_virtual_mfa(mut self, account: &str) -> User {
        self.devices
            .push(format!("arn:aws:iam::{account}:mfa/{}", self.name));
        self
    }

    pub fn with_device(mut self, serial: &str) -> User {
        self.devices.push(serial.to_string());
        self
    }

    pub fn in_group(mut self, group: &str) -> User {
        self.groups.push(group.to_string());
        self
    }

    pub fn admin(mut self) -> User {
        self.managed
            .push("arn:aws:iam::aws:policy/AdministratorAccess".to_string());
        self
    }

    pub fn breakglass(mut self) -> User {
        self.tags
            .push(("mfaguard:break-glass".to_string(), "true".to_string()));
        self
    }
}

/// An account: root with a virtual MFA device, and users.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub users: Vec<User>,
    pub generated: String,
}

impl Account {
    pub fn new(id: &str) -> Account {
        Account {
            id: id.to_string(),
            users: Vec::new(),
            generated: "2026-01-01T00:00:00+00:00".to_string(),
        }
    }

    pub fn user(mut self, user: User) -> Account {
        self.users.push(user);
        self
    }

    pub fn without(mut self, name: &str) -> Account {
        self.users.retain(|u| u.name != name);
        self
    }

    pub fn edit(mut self, name: &str, change: impl FnOnce(&mut User)) -> Account {
        if let Some(user) = self.users.iter_mut().find(|u| u.name == name) {
            change(user);
        }
        self
    }

    /// Writes the AWS CLI outputs into `dir` (replacing earlier ones).
    /// The documents of the AWS managed policies the users hold, as
    /// get-account-authorization-details includes them.
    fn managed_policies(&self) -> Vec<Value> {
        let mut arns: Vec<&str> = self
            .users
            .iter()
            .flat_map(|user| user.managed.iter().map(String::as_str))
            .collect();
        arns.sort_unstable();
        arns.dedup();
        arns.into_iter()
            .filter_map(|arn| {
                let statement = match arn.rsplit('/').next()? {
                    "AdministratorAccess" => json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
                    "ReadOnlyAccess" => json!({"Effect": "Allow", "Action": ["ec2:Describe*", "s3:Get*", "s3:List*", "iam:Get*", "iam:List*"], "Resource": "*"}),
                    _ => return None,
                };
                Some(json!({
                    "PolicyName": arn.rsplit('/').next()?,
                    "PolicyId": "ANPAEXAMPLE",
                    "Arn": arn,
                    "Path": "/",
                    "DefaultVersionId": "v1",
                    "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [statement]}, "VersionId": "v1", "IsDefaultVersion": true}]
                }))
            })
            .collect()
    }

    pub fn write(&self, dir: &Path, generated: DateTime<Utc>) {
        let id = &self.id;
        let mut csv = String::from("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n");
        csv.push_str(&format!("<root_account>,arn:aws:iam::{id}:root,2020-01-01T00:00:00+00:00,not_supported,2025-11-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"));
        for user in &self.users {
            let (password, used, changed) = if user.password {
                (
                    "true",
                    "2025-11-01T10:00:00+00:00",
                    user.password_changed.as_str(),
                )
            } else {
                ("false", "N/A", "N/A")
            };
            let key = if user.key1 {
                format!(
                    "true,{},2025-11-20T00:00:00+00:00,us-east-1,s3",
                    user.key1_rotated
                )
            } else {
                "false,N/A,N/A,N/A,N/A".to_string()
            };
            csv.push_str(&format!(
                "{},{},2024-01-01T00:00:00+00:00,{password},{used},{changed},N/A,{},{key},false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
                user.name,
                arn(id, &user.name),
                !user.devices.is_empty(),
            ));
        }
        let content = base64::engine::general_purpose::STANDARD.encode(csv);
        std::fs::write(
            dir.join("credential-report.json"),
            json!({"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated.to_rfc3339()}).to_string(),
        )
        .unwrap();
        let users: Vec<Value> = self
            .users
            .iter()
            .enumerate()
            .map(|(i, user)| {
                json!({
                    "Path": "/",
                    "UserName": user.name,
                    "UserId": format!("AIDA{i:017}"),
                    "Arn": arn(id, &user.name),
                    "CreateDate": "2024-01-01T00:00:00+00:00",
                    "UserPolicyList": [],
                    "GroupList": user.groups,
                    "AttachedManagedPolicies": user.managed.iter().map(|p| json!({"PolicyName": p.rsplit('/').next().unwrap_or(p), "PolicyArn": p})).collect::<Vec<_>>(),
                    "Tags": user.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut groups: Vec<String> = self.users.iter().flat_map(|u| u.groups.clone()).collect();
        groups.sort();
        groups.dedup();
        let groups: Vec<Value> = groups
            .iter()
            .map(|g| json!({"Path": "/", "GroupName": g, "GroupId": format!("AGPA{g}"), "Arn": format!("arn:aws:iam::{id}:group/{g}"), "GroupPolicyList": group_policies(g), "AttachedManagedPolicies": []}))
            .collect();
        std::fs::write(
            dir.join("account-authorization-details.json"),
            json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": [], "Policies": self.managed_policies()}).to_string(),
        )
        .unwrap();
        let mut virtual_devices = vec![json!({
            "SerialNumber": format!("arn:aws:iam::{id}:mfa/root-account-mfa-device"),
            "User": {"Arn": format!("arn:aws:iam::{id}:root"), "UserId": id, "CreateDate": "2020-01-01T00:00:00+00:00"},
            "EnableDate": "2020-01-02T00:00:00+00:00"
        })];
        let mut mfa_devices = Vec::new();
        for user in &self.users {
            for serial in &user.devices {
                if serial.contains(":mfa/") {
                    virtual_devices.push(json!({
                        "SerialNumber": serial,
                        "User": {"UserName": user.name, "Arn": arn(id, &user.name), "UserId": "AIDAX", "CreateDate": "2024-01-01T00:00:00+00:00"},
                        "EnableDate": "2024-01-03T00:00:00+00:00"
                    }));
                }
                mfa_devices.push(json!({"UserName": user.name, "SerialNumber": serial, "EnableDate": "2024-01-03T00:00:00+00:00"}));
            }
        }
        mfa_devices.push(json!({"UserName": "<root_account>", "SerialNumber": format!("arn:aws:iam::{id}:mfa/root-account-mfa-device"), "EnableDate": "2020-01-02T00:00:00+00:00"}));
        std::fs::write(
            dir.join("virtual-mfa-devices.json"),
            json!({"VirtualMFADevices": virtual_devices}).to_string(),
        )
        .unwrap();
        std::fs::write(
            dir.join("mfa-devices.json"),
            json!({"MFADevices": mfa_devices}).to_string(),
        )
        .unwrap();
        std::fs::write(
            dir.join("account-summary.json"),
            json!({"SummaryMap": {"AccountMFAEnabled": 1, "AccountPasswordPresent": 1, "AccountAccessKeysPresent": 0}}).to_string(),
        )
        .unwrap();
    }

    pub fn snapshot(&self, now: DateTime<Utc>) -> Snapshot {
        let dir = tempfile::tempdir().unwrap();
        self.write(dir.path(), now);
        mfaguard_core::offline::read_dir(dir.path(), now).unwrap()
    }
}

pub fn config(text: &str) -> Config {
    if text.is_empty() {
        Config::new()
    } else {
        Config::parse(Path::new("mfaguard.toml"), text).unwrap()
    }
}

/// Scans accounts as of `now` and builds the record the CLI would store.
pub fn scan(accounts: &[&Account], now: &str, config_text: &str) -> (Report, ScanRecord) {
    let now = at(now);
    let snapshots: Vec<Snapshot> = accounts.iter().map(|a| a.snapshot(now)).collect();
    let config = config(config_text);
    let report = analyze(&snapshots, &config, now);
    let record = ScanRecord::from_report(&report, &snapshots, &config, None);
    (report, record)
}

/// The changing account of the history tests, at day 0, 10 and 20:
///
/// | user  | day 0        | day 10            | day 20            |
/// |-------|--------------|-------------------|-------------------|
/// | alice | MFA          | device removed    | still without     |
/// | bob   | no MFA       | MFA (fixed: 10 d) | MFA               |
/// | carol | —            | new, no MFA       | MFA (fixed: 10 d) |
/// | dave  | no MFA       | no MFA            | deleted (20 d)    |
/// | ci    | machine      | machine           | machine           |
pub fn changing_account() -> [(Account, &'static str); 3] {
    let day0 = Account::new(ACCOUNT)
        .user(User::console("alice").with_virtual_mfa(ACCOUNT))
        .user(User::console("bob"))
        .user(User::console("dave"))
        .user(User::machine("ci"));
    let day10 = day0
        .clone()
        .edit("alice", |u| u.devices.clear())
        .edit("bob", |u| {
            u.devices.push(format!("arn:aws:iam::{ACCOUNT}:mfa/bob"))
        })
        .user(User::console("carol"));
    let day20 = day10
        .clone()
        .edit("carol", |u| {
            u.devices
                .push(format!("arn:aws:iam::{ACCOUNT}:u2f/user/carol/key-1"))
        })
        .without("dave");
    [
        (day0, "2026-01-01T00:00:00Z"),
        (day10, "2026-01-11T00:00:00Z"),
        (day20, "2026-01-21T00:00:00Z"),
    ]
}

// ---- stores -------------------------------------------------------------

pub fn sqlite_location(dir: &Path) -> Location {
    Location::Sqlite(dir.join("history.sqlite"))
}

/// The test PostgreSQL server's URL: from `MFAGUARD_TEST_POSTGRES` (set by
/// `scripts/with-postgres.sh`). Unset: a failure under CI, a printed notice
/// and a skip otherwise.
pub fn postgres_base() -> Option<String> {
    match std::env::var("MFAGUARD_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let ci = std::env::var("CI")
                .map(|v| !v.is_empty() && v != "0" && v != "false")
                .unwrap_or(false);
            assert!(
                !ci,
                "MFAGUARD_TEST_POSTGRES is not set under CI: run the tests with scripts/with-postgres.sh"
            );
            eprintln!(
                "notice: MFAGUARD_TEST_POSTGRES is not set: PostgreSQL test skipped (run under scripts/with-postgres.sh)"
            );
            None
        }
    }
}

static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// A new, empty database on the test server, for one test.
pub fn postgres_location(name: &str) -> Option<Location> {
    let base = postgres_base()?;
    let database = format!(
        "mfaguard_{}_{}_{}",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::SeqCst)
    )
    .to_ascii_lowercase();
    let mut client = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|err| panic!("cannot connect to MFAGUARD_TEST_POSTGRES: {err}"));
    // One statement each: neither may run in a transaction block.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {database}"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {database}"))
        .unwrap();
    Some(Location::Postgres(with_database(&base, &database)))
}

/// `base` with its database name replaced.
pub fn with_database(base: &str, database: &str) -> String {
    let (url, query) = match base.split_once('?') {
        Some((url, query)) => (url, format!("?{query}")),
        None => (base, String::new()),
    };
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let host_part = match url[scheme_end..].find('/') {
        Some(slash) => &url[..scheme_end + slash],
        None => url,
    };
    format!("{host_part}/{database}{query}")
}

/// Inline policies of the groups the fixtures use: `mfa-required` holds the
/// AWS documented policy that denies everything but MFA self-service
/// without MFA; other groups hold none.
fn group_policies(group: &str) -> Vec<Value> {
    if group != MFA_REQUIRED_GROUP {
        return Vec::new();
    }
    vec![json!({"PolicyName": "force-mfa", "PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowOwnMfa", "Effect": "Allow",
             "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices", "iam:GetUser"],
             "Resource": ["arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}"]},
            {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
             "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices",
                           "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
             "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
        ]
    }})]
}

/// The group whose policy enforces MFA (see `group_policies`).
pub const MFA_REQUIRED_GROUP: &str = "mfa-required";
