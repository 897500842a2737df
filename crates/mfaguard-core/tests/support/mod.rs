//! Builds small accounts as folders of AWS CLI outputs, for check tests.
#![allow(dead_code)]

use std::path::Path;

use chrono::{DateTime, Utc};
use mfaguard_core::{analyze, Config, Report, Snapshot, Status};
use serde_json::{json, Value};

pub const ACCOUNT: &str = "111122223333";
pub const NOW: &str = "2026-11-22T12:00:00Z";
pub const GENERATED: &str = "2026-11-22T10:00:00+00:00";

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

pub fn root_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:root")
}

/// One credential report row.
#[derive(Clone)]
pub struct Row {
    pub user: String,
    pub arn: String,
    pub created: String,
    pub password: bool,
    pub mfa: bool,
    pub key1: bool,
    pub key2: bool,
    pub cert1: bool,
}

impl Row {
    pub fn root() -> Row {
        Row {
            user: "<root_account>".into(),
            arn: root_arn(),
            created: "2020-01-01T00:00:00+00:00".into(),
            password: true,
            mfa: true,
            key1: false,
            key2: false,
            cert1: false,
        }
    }
    pub fn user(name: &str) -> Row {
        Row {
            user: name.into(),
            arn: user_arn(name),
            created: "2024-01-01T00:00:00+00:00".into(),
            password: true,
            mfa: false,
            key1: false,
            key2: false,
            cert1: false,
        }
    }
    pub fn mfa(mut self, on: bool) -> Row {
        self.mfa = on;
        self
    }
    pub fn password(mut self, on: bool) -> Row {
        self.password = on;
        self
    }
    pub fn key1(mut self, on: bool) -> Row {
        self.key1 = on;
        self
    }

    fn csv(&self) -> String {
        let root = self.user == "<root_account>";
        let (password, last_used, changed, next) = if root {
            (
                "not_supported",
                "2026-11-01T10:00:00+00:00",
                "not_supported",
                "not_supported",
            )
        } else if self.password {
            (
                "true",
                "2026-11-01T10:00:00+00:00",
                "2024-01-01T00:00:00+00:00",
                "N/A",
            )
        } else {
            ("false", "N/A", "N/A", "N/A")
        };
        let key = |on: bool| {
            if on {
                "true,2024-02-01T00:00:00+00:00,2026-11-20T00:00:00+00:00,us-east-1,s3".to_string()
            } else {
                "false,N/A,N/A,N/A,N/A".to_string()
            }
        };
        let cert = |on: bool| {
            if on {
                "true,2024-02-01T00:00:00+00:00"
            } else {
                "false,N/A"
            }
        };
        format!(
            "{},{},{},{password},{last_used},{changed},{next},{},{},{},{},false,N/A",
            self.user,
            self.arn,
            self.created,
            self.mfa,
            key(self.key1),
            key(self.key2),
            cert(self.cert1),
        )
    }
}

const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// An account to write out as CLI files.
pub struct Account {
    pub rows: Vec<Row>,
    pub users: Vec<Value>,
    pub groups: Vec<Value>,
    pub roles: Vec<Value>,
    pub policies: Vec<Value>,
    pub virtual_devices: Option<Vec<Value>>,
    pub mfa_devices: Option<Vec<Value>>,
    pub summary: Option<Value>,
    pub with_authorization_details: bool,
    pub config: String,
}

impl Account {
    /// Root with virtual MFA, no users.
    pub fn new() -> Account {
        Account {
            rows: vec![Row::root()],
            users: Vec::new(),
            groups: Vec::new(),
            roles: Vec::new(),
            policies: Vec::new(),
            virtual_devices: Some(vec![json!({
                "SerialNumber": format!("arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"),
                "User": {"Arn": root_arn(), "UserId": ACCOUNT, "CreateDate": "2020-01-01T00:00:00+00:00"},
                "EnableDate": "2020-01-02T00:00:00+00:00"
            })]),
            mfa_devices: Some(Vec::new()),
            summary: Some(
                json!({"AccountMFAEnabled": 1, "AccountPasswordPresent": 1, "AccountAccessKeysPresent": 0}),
            ),
            with_authorization_details: true,
            config: String::new(),
        }
    }

    /// Adds a user to the report and to the authorization details.
    pub fn user(
        mut self,
        row: Row,
        groups: &[&str],
        managed: &[&str],
        inline: &[Value],
    ) -> Account {
        let name = row.user.clone();
        self.users.push(json!({
            "Path": "/",
            "UserName": name,
            "UserId": format!("AIDA{:017}", self.users.len()),
            "Arn": row.arn,
            "CreateDate": "2024-01-01T00:00:00+00:00",
            "UserPolicyList": inline.iter().enumerate().map(|(i, doc)| json!({"PolicyName": format!("inline{i}"), "PolicyDocument": doc})).collect::<Vec<_>>(),
            "GroupList": groups,
            "AttachedManagedPolicies": managed.iter().map(|arn| json!({"PolicyName": arn.rsplit('/').next().unwrap(), "PolicyArn": arn})).collect::<Vec<_>>(),
            "Tags": []
        }));
        self.rows.push(row);
        self
    }

    pub fn device(mut self, user: &str, serial: &str) -> Account {
        if serial.contains(":mfa/") {
            let arn = if user == "<root_account>" {
                root_arn()
            } else {
                user_arn(user)
            };
            self.virtual_devices.get_or_insert_with(Vec::new).push(json!({
                "SerialNumber": serial,
                "User": {"UserName": user, "Arn": arn, "UserId": "AIDAX", "CreateDate": "2024-01-01T00:00:00+00:00"},
                "EnableDate": "2024-01-03T00:00:00+00:00"
            }));
        }
        if let Some(list) = self.mfa_devices.as_mut() {
            list.push(json!({"UserName": user, "SerialNumber": serial, "EnableDate": "2024-01-03T00:00:00+00:00"}));
        }
        self
    }

    /// Adds a group with managed and inline policies.
    pub fn group(mut self, name: &str, managed: &[&str], inline: &[Value]) -> Account {
        self.groups.push(json!({
            "Path": "/",
            "GroupName": name,
            "GroupId": format!("AGPA{:017}", self.groups.len()),
            "Arn": format!("arn:aws:iam::{ACCOUNT}:group/{name}"),
            "GroupPolicyList": inline.iter().enumerate().map(|(i, doc)| json!({"PolicyName": format!("{name}-inline{i}"), "PolicyDocument": doc})).collect::<Vec<_>>(),
            "AttachedManagedPolicies": managed.iter().map(|arn| json!({"PolicyName": arn.rsplit('/').next().unwrap(), "PolicyArn": arn})).collect::<Vec<_>>(),
        }));
        self
    }

    /// Adds a customer managed policy; returns its ARN through `arn_of`.
    pub fn policy(mut self, name: &str, document: Value) -> Account {
        self.policies
            .push(managed_policy(&customer_policy_arn(name), document));
        self
    }

    /// Adds a role with a trust policy, managed policies and tags.
    pub fn role(
        mut self,
        name: &str,
        trust: Value,
        managed: &[&str],
        tags: &[(&str, &str)],
    ) -> Account {
        self.roles.push(json!({
            "Path": "/",
            "RoleName": name,
            "RoleId": format!("AROA{:017}", self.roles.len()),
            "Arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [],
            "AttachedManagedPolicies": managed.iter().map(|arn| json!({"PolicyName": arn.rsplit('/').next().unwrap(), "PolicyArn": arn})).collect::<Vec<_>>(),
            "Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
        }));
        self
    }

    /// Sets the path of a user added before.
    pub fn path(mut self, user: &str, path: &str) -> Account {
        let arn = format!("arn:aws:iam::{ACCOUNT}:user{path}{user}");
        for detail in &mut self.users {
            if detail["UserName"] == user {
                detail["Path"] = json!(path);
                detail["Arn"] = json!(arn);
            }
        }
        for row in &mut self.rows {
            if row.user == user {
                row.arn = arn.clone();
            }
        }
        self
    }

    /// The managed policies, plus the documents of the AWS managed policies
    /// the fixtures attach (as get-account-authorization-details includes
    /// them).
    fn policies_with_aws_managed(&self) -> Vec<Value> {
        let mut policies = self.policies.clone();
        let attached: Vec<String> = self
            .users
            .iter()
            .chain(&self.groups)
            .chain(&self.roles)
            .flat_map(|entity| {
                entity["AttachedManagedPolicies"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|attached| attached["PolicyArn"].as_str().map(str::to_string))
            .collect();
        for arn in attached {
            if policies.iter().any(|policy| policy["Arn"] == arn.as_str()) {
                continue;
            }
            if let Some(document) = aws_managed_document(&arn) {
                policies.push(managed_policy(&arn, document));
            }
        }
        policies
    }

    pub fn write(&self, dir: &Path) {
        let mut csv = HEADER.to_string();
        for row in &self.rows {
            csv.push('\n');
            csv.push_str(&row.csv());
        }
        csv.push('\n');
        use base64::Engine;
        let content = base64::engine::general_purpose::STANDARD.encode(csv);
        std::fs::write(
            dir.join("credential-report.json"),
            json!({"Content": content, "ReportFormat": "text/csv", "GeneratedTime": GENERATED})
                .to_string(),
        )
        .unwrap();
        if self.with_authorization_details {
            std::fs::write(
                dir.join("account-authorization-details.json"),
                serde_json::to_string_pretty(&json!({
                    "UserDetailList": self.users,
                    "GroupDetailList": self.groups,
                    "RoleDetailList": self.roles,
                    "Policies": self.policies_with_aws_managed(),
                }))
                .unwrap(),
            )
            .unwrap();
        }
        if let Some(devices) = &self.virtual_devices {
            std::fs::write(
                dir.join("virtual-mfa-devices.json"),
                json!({"VirtualMFADevices": devices}).to_string(),
            )
            .unwrap();
        }
        if let Some(devices) = &self.mfa_devices {
            std::fs::write(
                dir.join("mfa-devices.json"),
                json!({"MFADevices": devices}).to_string(),
            )
            .unwrap();
        }
        if let Some(summary) = &self.summary {
            std::fs::write(
                dir.join("account-summary.json"),
                json!({"SummaryMap": summary}).to_string(),
            )
            .unwrap();
        }
    }

    pub fn scan(&self) -> Report {
        let dir = tempfile::tempdir().unwrap();
        self.write(dir.path());
        let snapshot = mfaguard_core::offline::read_dir(dir.path(), now()).unwrap();
        let config = if self.config.is_empty() {
            Config::new()
        } else {
            Config::parse(Path::new("mfaguard.toml"), &self.config).unwrap()
        };
        analyze(&[snapshot], &config, now())
    }

    pub fn snapshot(&self) -> Snapshot {
        let dir = tempfile::tempdir().unwrap();
        self.write(dir.path());
        mfaguard_core::offline::read_dir(dir.path(), now()).unwrap()
    }
}

/// The status and message of `check` on the resource named `name`.
pub fn outcome(report: &Report, check: &str, name: &str) -> (Status, String) {
    let found: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.check_id == check && (r.resource_name == name || r.resource_arn == name))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {check} result for {name}, got {found:?}"
    );
    (found[0].status, found[0].message.clone())
}

pub fn status(report: &Report, check: &str, name: &str) -> Status {
    outcome(report, check, name).0
}

pub const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
pub const IAM_FULL: &str = "arn:aws:iam::aws:policy/IAMFullAccess";
pub const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

pub const POWER_USER: &str = "arn:aws:iam::aws:policy/PowerUserAccess";

pub fn customer_policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
}

fn managed_policy(arn: &str, document: Value) -> Value {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    json!({
        "PolicyName": name,
        "PolicyId": format!("ANPA{}", name.len()),
        "Arn": arn,
        "Path": "/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 1,
        "IsAttachable": true,
        "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": true}]
    })
}

/// The documents of the AWS managed policies the fixtures use (their
/// statements as AWS publishes them, the read-only one shortened).
fn aws_managed_document(arn: &str) -> Option<Value> {
    let statement = match arn.rsplit('/').next()? {
        "AdministratorAccess" => json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        "IAMFullAccess" => {
            json!({"Effect": "Allow", "Action": ["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization", "organizations:ListRoots"], "Resource": "*"})
        }
        "ReadOnlyAccess" => {
            json!({"Effect": "Allow", "Action": ["ec2:Describe*", "s3:Get*", "s3:List*", "iam:Get*", "iam:List*"], "Resource": "*"})
        }
        "PowerUserAccess" => json!([
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions"], "Resource": "*"}
        ]),
        _ => return None,
    };
    Some(json!({"Version": "2012-10-17", "Statement": statement}))
}

/// The AWS documented policy that lets users manage their own MFA device and
/// denies everything else without MFA ("Force_MFA").
pub fn force_mfa() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowViewAccountInfo", "Effect": "Allow", "Action": "iam:ListVirtualMFADevices", "Resource": "*"},
            {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/*"},
            {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow", "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"], "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny", "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:GetMFADevice", "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"], "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
        ]
    })
}
