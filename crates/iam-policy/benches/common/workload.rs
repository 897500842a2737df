//! The benchmark workload: principals with realistic policy sets built from
//! AWS managed policies (`benches/data/managed-policies.json.gz`, see
//! `benches/data/README.md`), plus the documented Force_MFA policy, MFA
//! permissions boundaries and MFA SCPs, and requests that mix the rows of
//! the MFA context matrix.
//!
//! Shared (through `#[path]`) by `benches/evaluate.rs` (criterion) and
//! `examples/engine_vs_simulate.rs` (the same requests through our engine
//! and through iam-simulate).
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;

use iam_policy::{Context, Policy, PolicySet, Request};
use serde_json::{json, Map, Value};

/// A managed policy of the corpus.
pub struct Managed {
    /// Its name, e.g. `ReadOnlyAccess`.
    pub name: String,
    /// The document.
    pub document: Value,
}

/// Loads the corpus of managed policies.
pub fn managed_policies() -> Result<Vec<Managed>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join("data")
        .join("managed-policies.json.gz");
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let list = v["policies"].as_array().ok_or("no \"policies\" array")?;
    Ok(list
        .iter()
        .filter_map(|p| {
            Some(Managed {
                name: p["name"].as_str()?.to_string(),
                document: p["document"].clone(),
            })
        })
        .collect())
}

/// A small deterministic PRNG (SplitMix64).
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The requests' targets: actions of common services with a resource of
/// the right type (all accepted by iam-simulate's validation). `{user}` is
/// the caller's name.
pub const TARGETS: &[(&str, &str)] = &[
    ("s3:GetObject", "arn:aws:s3:::corp-data/reports/q1.csv"),
    (
        "s3:PutObject",
        "arn:aws:s3:::corp-data/home/{user}/upload.bin",
    ),
    ("s3:ListBucket", "arn:aws:s3:::corp-data"),
    ("s3:DeleteBucket", "arn:aws:s3:::corp-logs"),
    ("s3:ListAllMyBuckets", "*"),
    ("ec2:DescribeInstances", "*"),
    (
        "ec2:RunInstances",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-0new",
    ),
    (
        "ec2:TerminateInstances",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-0abcd1234",
    ),
    (
        "ec2:StopInstances",
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-0feed5678",
    ),
    (
        "ec2:CreateVpc",
        "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0abc",
    ),
    ("iam:ListUsers", "*"),
    ("iam:CreateUser", "arn:aws:iam::111122223333:user/new-hire"),
    (
        "iam:AttachUserPolicy",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    (
        "iam:ChangePassword",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    (
        "iam:ListMFADevices",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    (
        "iam:CreateVirtualMFADevice",
        "arn:aws:iam::111122223333:mfa/{user}",
    ),
    ("iam:PassRole", "arn:aws:iam::111122223333:role/app"),
    (
        "iam:CreateAccessKey",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    (
        "lambda:InvokeFunction",
        "arn:aws:lambda:us-east-1:111122223333:function:billing",
    ),
    (
        "lambda:CreateFunction",
        "arn:aws:lambda:us-east-1:111122223333:function:new",
    ),
    (
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
    ),
    (
        "dynamodb:DeleteTable",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
    ),
    ("cloudwatch:GetMetricData", "*"),
    (
        "cloudwatch:PutMetricAlarm",
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm:high-cpu",
    ),
    (
        "logs:GetLogEvents",
        "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:s1",
    ),
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:jobs"),
    ("sns:Publish", "arn:aws:sns:us-east-1:111122223333:alerts"),
    (
        "rds:DeleteDBInstance",
        "arn:aws:rds:us-east-1:111122223333:db:prod",
    ),
    (
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
    ),
    (
        "cloudtrail:StopLogging",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/org",
    ),
    (
        "ssm:GetParameter",
        "arn:aws:ssm:us-east-1:111122223333:parameter/app/db",
    ),
    ("organizations:LeaveOrganization", "*"),
];

fn force_mfa() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("corpus")
        .join("policies")
        .join("force_mfa.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

fn full_aws_access() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

fn deny_without_mfa_scp() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyWithoutMFA", "Effect": "Deny",
        "NotAction": ["iam:*", "sts:GetSessionToken"], "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]})
}

fn mfa_boundary() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "ec2:*", "lambda:*", "dynamodb:*", "cloudwatch:*", "logs:*", "iam:*", "sqs:*", "sns:*"],
         "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "43200"}}}]})
}

fn inline_developer(user: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnHome", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::corp-data/home/${aws:username}/*"},
        {"Sid": "ListCorpData", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::corp-data",
         "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}},
        {"Sid": "DestructiveNeedsFreshMFA", "Effect": "Deny",
         "Action": ["s3:DeleteBucket", "ec2:TerminateInstances", "rds:Delete*", "dynamodb:DeleteTable"],
         "Resource": "*", "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}},
        {"Sid": "OfficeOnly", "Effect": "Deny", "NotAction": ["iam:ChangePassword", "iam:*MFA*"], "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]},
                       "Bool": {"aws:ViaAWSService": "false"}}},
        {"Sid": "Tagged", "Effect": "Allow", "Action": "ec2:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "platform", "aws:username": user}}}]})
}

/// One principal's policies.
pub struct Principal {
    /// The IAM user ARN.
    pub arn: String,
    /// The user name.
    pub user: String,
    /// Identity policies (label, document).
    pub identity: Vec<(String, Value)>,
    /// The permissions boundary, if any.
    pub boundary: Option<(String, Value)>,
    /// SCP levels.
    pub scps: Vec<Vec<(String, Value)>>,
    /// The compiled set.
    pub set: PolicySet,
}

/// One request.
pub struct Req {
    /// Index into [`Workload::principals`].
    pub principal: usize,
    /// The action.
    pub action: &'static str,
    /// The resource.
    pub resource: String,
    /// The context as JSON (strings, or arrays for multi-valued keys).
    pub context_json: Value,
    /// The context.
    pub context: Context,
}

/// Principals and requests.
pub struct Workload {
    /// The principals.
    pub principals: Vec<Principal>,
    /// The requests.
    pub requests: Vec<Req>,
    /// The number of managed policies in the corpus.
    pub corpus_size: usize,
}

fn parse(doc: &Value) -> Result<Policy, String> {
    Policy::from_value(doc).map_err(|e| e.to_string())
}

/// Builds `principals` principals and `requests` requests, deterministically
/// from `seed`.
pub fn build(seed: u64, principals: usize, requests: usize) -> Result<Workload, String> {
    let corpus = managed_policies()?;
    let by_name = |n: &str| {
        corpus
            .iter()
            .find(|m| m.name == n)
            .map(|m| (m.name.clone(), m.document.clone()))
            .ok_or(format!("{n} is not in the corpus"))
    };
    let fm = ("ForceMFA".to_string(), force_mfa());
    let mut rng = Rng::new(seed);
    let mut ps = Vec::with_capacity(principals);
    for i in 0..principals {
        let user = format!("user{i:03}");
        let mut identity = Vec::new();
        match rng.below(20) {
            0..=1 => identity.push(by_name("AdministratorAccess")?),
            2..=4 => {
                identity.push(by_name("PowerUserAccess")?);
                identity.push(by_name("IAMUserChangePassword")?);
            }
            5..=7 => identity.push(by_name("ReadOnlyAccess")?),
            _ => {
                for _ in 0..2 + rng.below(5) {
                    let m = &corpus[rng.below(corpus.len())];
                    identity.push((m.name.clone(), m.document.clone()));
                }
                identity.push(("Developer".to_string(), inline_developer(&user)));
            }
        }
        if rng.chance(60) {
            identity.push(fm.clone());
        }
        let boundary = rng
            .chance(20)
            .then(|| ("MfaBoundary".to_string(), mfa_boundary()));
        let scps = if rng.chance(50) {
            vec![
                vec![("FullAWSAccess".to_string(), full_aws_access())],
                vec![
                    ("FullAWSAccess".to_string(), full_aws_access()),
                    ("DenyWithoutMFA".to_string(), deny_without_mfa_scp()),
                ],
            ]
        } else {
            Vec::new()
        };
        let mut set = PolicySet::new();
        for (n, d) in &identity {
            set.add_identity(n.clone(), parse(d).map_err(|e| format!("{n}: {e}"))?);
        }
        if let Some((n, d)) = &boundary {
            set.add_boundary(n.clone(), parse(d)?);
        }
        for level in &scps {
            let mut l = Vec::new();
            for (n, d) in level {
                l.push((n.clone(), parse(d)?));
            }
            set.add_scp_level(l);
        }
        ps.push(Principal {
            arn: format!("arn:aws:iam::111122223333:user/{user}"),
            user,
            identity,
            boundary,
            scps,
            set,
        });
    }
    let mut reqs = Vec::with_capacity(requests);
    for _ in 0..requests {
        let p = rng.below(ps.len());
        let (action, resource) = TARGETS[rng.below(TARGETS.len())];
        let user = &ps[p].user;
        let mut ctx = Map::new();
        ctx.insert("aws:username".into(), json!(user));
        ctx.insert("aws:PrincipalArn".into(), json!(ps[p].arn));
        match rng.below(10) {
            0..=3 => {} // long-term access keys: no MFA keys
            4..=5 => {
                ctx.insert("aws:MultiFactorAuthPresent".into(), json!("false"));
            }
            _ => {
                let age = [30, 600, 1800, 3599, 7200, 50000][rng.below(6)];
                ctx.insert("aws:MultiFactorAuthPresent".into(), json!("true"));
                ctx.insert("aws:MultiFactorAuthAge".into(), json!(age.to_string()));
            }
        }
        if rng.chance(70) {
            let ip = ["10.20.30.40", "192.0.2.10", "203.0.113.7"][rng.below(3)];
            ctx.insert("aws:SourceIp".into(), json!(ip));
        }
        ctx.insert("aws:SecureTransport".into(), json!("true"));
        ctx.insert(
            "aws:ViaAWSService".into(),
            json!(if rng.chance(10) { "true" } else { "false" }),
        );
        if rng.chance(30) {
            ctx.insert("aws:PrincipalTag/team".into(), json!("platform"));
        }
        let context_json = Value::Object(ctx);
        let context = Context::from_json(&context_json).map_err(|e| e.to_string())?;
        reqs.push(Req {
            principal: p,
            action,
            resource: resource.replace("{user}", user),
            context_json,
            context,
        });
    }
    Ok(Workload {
        principals: ps,
        requests: reqs,
        corpus_size: corpus.len(),
    })
}

impl Workload {
    /// The request as our engine sees it.
    pub fn request<'a>(&'a self, r: &'a Req) -> Request<'a> {
        let p = &self.principals[r.principal];
        Request::new(r.action, &r.resource, &r.context).with_principal(&p.arn)
    }

    /// The request made by another principal.
    pub fn request_for<'a>(&'a self, principal: usize, r: &'a Req) -> Request<'a> {
        let arn = self
            .principals
            .get(principal)
            .map_or("", |p| p.arn.as_str());
        Request::new(r.action, &r.resource, &r.context).with_principal(arn)
    }

    /// The workload in the driver's `--bench` format: principals (policies
    /// validated once by the driver) and requests referring to them.
    pub fn to_driver_json(&self) -> Value {
        let named = |v: &[(String, Value)]| -> Value {
            Value::Array(
                v.iter()
                    .map(|(n, d)| json!({"name": n, "policy": d}))
                    .collect(),
            )
        };
        let principals: Vec<Value> = self
            .principals
            .iter()
            .map(|p| {
                let mut o = Map::new();
                o.insert("identityPolicies".into(), named(&p.identity));
                if let Some(b) = &p.boundary {
                    o.insert("boundary".into(), named(std::slice::from_ref(b)));
                }
                if !p.scps.is_empty() {
                    o.insert(
                        "scps".into(),
                        Value::Array(p.scps.iter().map(|l| named(l)).collect()),
                    );
                }
                Value::Object(o)
            })
            .collect();
        let requests: Vec<Value> = self
            .requests
            .iter()
            .map(|r| {
                json!({
                    "p": r.principal,
                    "action": r.action,
                    "resource": r.resource,
                    "resourceAccount": "111122223333",
                    "principal": self.principals[r.principal].arn,
                    "context": r.context_json,
                })
            })
            .collect();
        json!({"principals": principals, "requests": requests})
    }
}
