//! Seeded random cases for the differential test against iam-simulate:
//! policies with MFA conditions, wildcards, `NotAction`/`NotResource`,
//! policy variables, permissions boundaries, SCP levels and role trust
//! policies, with contexts in every row of the MFA matrix.
//!
//! Shared (through `#[path]`) by `examples/differential` and
//! `tests/differential.rs`. Case `i` of seed `s` depends only on `(s, i)`,
//! so any single case can be regenerated from its id.
#![allow(dead_code)]

use std::sync::OnceLock;

use iam_policy::{DecisionKind, Policy, PolicySet, Request, ResourcePolicyMode};
use serde_json::{json, Map, Value};

/// The account of the caller and of every resource (except cross-account
/// callers of `sts:AssumeRole`).
pub const ACCOUNT: &str = "111122223333";
/// The account of cross-account callers.
pub const OTHER_ACCOUNT: &str = "444455556666";

/// A small deterministic PRNG (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator of case `index` of run `seed`.
    pub fn for_case(seed: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ 0x5DEE_CE66_D1A4_F87B);
        let base = r.next_u64();
        Rng(base ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// A policy with its label.
#[derive(Debug, Clone)]
pub struct Named {
    /// The label.
    pub name: String,
    /// The policy document.
    pub policy: Value,
}

/// How our engine combines the trust policy with identity policies, chosen
/// from the form of the trust policy's principals (see [`TrustStyle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The trust policy names the caller itself (its ARN or `*`): in the
    /// same account the trust policy alone suffices.
    ResourceOnly,
    /// The trust policy names the caller's account (or the caller is in
    /// another account): trust policy and identity policies must both allow.
    RequireBoth,
}

/// A context key's value.
#[derive(Debug, Clone)]
pub struct CtxValue {
    /// The key as written.
    pub key: String,
    /// Its values.
    pub values: Vec<String>,
    /// Multi-valued (a JSON array).
    pub multi: bool,
}

/// One generated case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case number within its seed.
    pub id: u64,
    /// Identity-based policies.
    pub identity: Vec<Named>,
    /// The permissions boundary, if any.
    pub boundary: Option<Vec<Named>>,
    /// SCP levels, root first.
    pub scps: Vec<Vec<Named>>,
    /// The role trust policy (for `sts:AssumeRole`), if any.
    pub resource_policy: Option<Value>,
    /// How our engine combines the trust policy.
    pub mode: Mode,
    /// The action.
    pub action: String,
    /// The resource ARN (or `*` for actions without resource types).
    pub resource: String,
    /// The resource's account.
    pub resource_account: String,
    /// The caller's ARN.
    pub principal: String,
    /// The request context.
    pub context: Vec<CtxValue>,
}

impl Case {
    /// The case in the driver's JSON-lines format.
    pub fn to_json(&self) -> Value {
        let named = |v: &[Named]| -> Value {
            Value::Array(
                v.iter()
                    .map(|n| json!({"name": n.name, "policy": n.policy}))
                    .collect(),
            )
        };
        let mut ctx = Map::new();
        for c in &self.context {
            let v = if c.multi {
                Value::Array(c.values.iter().cloned().map(Value::String).collect())
            } else {
                Value::String(c.values.first().cloned().unwrap_or_default())
            };
            ctx.insert(c.key.clone(), v);
        }
        let mut o = Map::new();
        o.insert("id".into(), json!(self.id));
        o.insert("identityPolicies".into(), named(&self.identity));
        if let Some(b) = &self.boundary {
            o.insert("boundary".into(), named(b));
        }
        if !self.scps.is_empty() {
            o.insert(
                "scps".into(),
                Value::Array(self.scps.iter().map(|l| named(l)).collect()),
            );
        }
        if let Some(r) = &self.resource_policy {
            o.insert("resourcePolicy".into(), r.clone());
        }
        o.insert("action".into(), json!(self.action));
        o.insert("resource".into(), json!(self.resource));
        o.insert("resourceAccount".into(), json!(self.resource_account));
        o.insert("principal".into(), json!(self.principal));
        o.insert("context".into(), Value::Object(ctx));
        o.insert(
            "mode".into(),
            json!(match self.mode {
                Mode::ResourceOnly => "resource_only",
                Mode::RequireBoth => "require_both",
            }),
        );
        Value::Object(o)
    }

    /// Every policy document of the case.
    pub fn policies(&self) -> impl Iterator<Item = &Value> {
        self.identity
            .iter()
            .chain(self.boundary.iter().flatten())
            .chain(self.scps.iter().flatten())
            .map(|n| &n.policy)
            .chain(self.resource_policy.iter())
    }

    /// The value of a context key (case-insensitive), if present.
    pub fn context_value(&self, key: &str) -> Option<&CtxValue> {
        self.context
            .iter()
            .find(|c| c.key.eq_ignore_ascii_case(key))
    }

    /// Builds our engine's policy set.
    pub fn policy_set(&self) -> Result<PolicySet, String> {
        let parse = |n: &Named| {
            Policy::from_value(&n.policy).map_err(|e| format!("policy {}: {e}", n.name))
        };
        let mut set = PolicySet::new();
        for n in &self.identity {
            set.add_identity(n.name.clone(), parse(n)?);
        }
        if let Some(b) = &self.boundary {
            for n in b {
                set.add_boundary(n.name.clone(), parse(n)?);
            }
        }
        for level in &self.scps {
            let mut ps = Vec::new();
            for n in level {
                ps.push((n.name.clone(), parse(n)?));
            }
            set.add_scp_level(ps);
        }
        if let Some(r) = &self.resource_policy {
            let p = Policy::from_value(r).map_err(|e| format!("trust policy: {e}"))?;
            set.set_resource_policy("Trust", p);
            set.set_resource_policy_mode(match self.mode {
                Mode::ResourceOnly => ResourcePolicyMode::ResourceOnly,
                Mode::RequireBoth => ResourcePolicyMode::RequireBoth,
            });
        }
        Ok(set)
    }

    /// Our engine's context.
    pub fn engine_context(&self) -> iam_policy::Context {
        let mut ctx = iam_policy::Context::new();
        for c in &self.context {
            if c.multi {
                ctx.insert_values(&c.key, c.values.iter().cloned());
            } else if let Some(v) = c.values.first() {
                ctx.insert(&c.key, v.clone());
            }
        }
        ctx
    }

    /// Our engine's decision.
    pub fn evaluate(&self) -> Result<DecisionKind, String> {
        let set = self.policy_set()?;
        let ctx = self.engine_context();
        let req = Request::new(&self.action, &self.resource, &ctx).with_principal(&self.principal);
        let d = set.evaluate(&req);
        let fast = set.decide(&req);
        if fast != d.kind {
            return Err(format!("decide() = {fast:?} but evaluate() = {:?}", d.kind));
        }
        Ok(d.kind)
    }
}

/// The decision in the simulator's vocabulary.
pub fn sim_name(k: DecisionKind) -> &'static str {
    match k {
        DecisionKind::Allowed => "Allowed",
        DecisionKind::ImplicitDeny => "ImplicitlyDenied",
        DecisionKind::ExplicitDeny => "ExplicitlyDenied",
    }
}

/// A request target: an action and a resource it accepts.
struct Target {
    action: &'static str,
    resource: &'static str,
}

const fn t(action: &'static str, resource: &'static str) -> Target {
    Target { action, resource }
}

/// `{user}` is replaced with the caller's user name.
const TARGETS: &[Target] = &[
    t("ec2:DescribeInstances", "*"),
    t(
        "ec2:TerminateInstances",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-0abcd1234",
    ),
    t(
        "ec2:StartInstances",
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-0feed5678",
    ),
    t("s3:GetObject", "arn:aws:s3:::corp-data/reports/q1.csv"),
    t(
        "s3:GetObject",
        "arn:aws:s3:::corp-data/home/{user}/notes.txt",
    ),
    t(
        "s3:PutObject",
        "arn:aws:s3:::corp-data/home/{user}/upload.bin",
    ),
    t("s3:PutObject", "arn:aws:s3:::corp-data/eng-core/plan.md"),
    t("s3:ListBucket", "arn:aws:s3:::corp-data"),
    t("s3:DeleteBucket", "arn:aws:s3:::corp-logs"),
    t(
        "iam:ListMFADevices",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    t("iam:ListMFADevices", "arn:aws:iam::111122223333:user/bob"),
    t(
        "iam:EnableMFADevice",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    t(
        "iam:DeactivateMFADevice",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    t(
        "iam:ChangePassword",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    t(
        "iam:CreateAccessKey",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    t("iam:GetUser", "arn:aws:iam::111122223333:user/{user}"),
    t(
        "iam:CreateVirtualMFADevice",
        "arn:aws:iam::111122223333:mfa/{user}",
    ),
    t("iam:ListVirtualMFADevices", "*"),
    t("iam:CreateUser", "arn:aws:iam::111122223333:user/new-hire"),
    t(
        "iam:AttachUserPolicy",
        "arn:aws:iam::111122223333:user/{user}",
    ),
    t("sts:GetSessionToken", "*"),
    t("sts:GetCallerIdentity", "*"),
    t(
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
    ),
    t(
        "kms:Decrypt",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    t(
        "lambda:InvokeFunction",
        "arn:aws:lambda:us-east-1:111122223333:function:billing",
    ),
];

const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/Admin";

/// Other actions (not the request's) for non-matching patterns.
const OTHER_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "ec2:RunInstances",
    "iam:ListUsers",
    "iam:ListMFADevices",
    "sts:GetSessionToken",
    "dynamodb:PutItem",
    "kms:Encrypt",
    "sts:AssumeRole",
];

const MFA_PRESENT: &str = "aws:MultiFactorAuthPresent";
const MFA_AGE: &str = "aws:MultiFactorAuthAge";

fn random_case(rng: &mut Rng, s: &str) -> String {
    s.chars()
        .map(|c| {
            if rng.chance(30) {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// The documented Force_MFA policy and the allow-all policy, from the corpus.
fn corpus_policy(name: &str) -> Value {
    static POLICIES: OnceLock<(Value, Value)> = OnceLock::new();
    let (fm, aa) = POLICIES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("corpus")
            .join("policies");
        let load = |f: &str| -> Value {
            std::fs::read_to_string(dir.join(f))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(Value::Null)
        };
        (load("force_mfa.json"), load("allow_all.json"))
    });
    match name {
        "force_mfa" => fm.clone(),
        _ => aa.clone(),
    }
}

fn full_aws_access() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// An action pattern related to `action` (matching or not).
fn action_pattern(rng: &mut Rng, action: &str) -> String {
    let (svc, name) = action.split_once(':').unwrap_or((action, ""));
    match rng.below(12) {
        0 | 1 => action.to_string(),
        2 => random_case(rng, action),
        3 => format!("{svc}:*"),
        4 => "*".to_string(),
        5 => {
            let cut = 1 + rng.below(name.len().max(1));
            format!("{svc}:{}*", &name[..cut.min(name.len())])
        }
        6 => {
            let i = rng.below(name.len().max(1));
            let mut n: Vec<char> = name.chars().collect();
            if let Some(c) = n.get_mut(i) {
                *c = '?';
            }
            format!("{svc}:{}", n.into_iter().collect::<String>())
        }
        7 => format!("{svc}:*{}", &name[name.len().saturating_sub(3)..]),
        8 => rng
            .pick(&[
                "iam:*MFA*",
                "iam:List*",
                "s3:Get*",
                "ec2:Describe*",
                "sts:*",
            ])
            .to_string(),
        _ => rng.pick(OTHER_ACTIONS).to_string(),
    }
}

fn action_value(rng: &mut Rng, action: &str) -> Value {
    let n = 1 + rng.below(3);
    if n == 1 && rng.chance(60) {
        return Value::String(action_pattern(rng, action));
    }
    Value::Array(
        (0..n)
            .map(|_| Value::String(action_pattern(rng, action)))
            .collect(),
    )
}

/// A resource pattern related to `resource` (matching or not).
fn resource_pattern(rng: &mut Rng, resource: &str, user: &str) -> String {
    if resource == "*" {
        return rng
            .pick(&[
                "*",
                "*",
                "arn:aws:ec2:*:111122223333:instance/*",
                "arn:aws:iam::111122223333:user/${aws:username}",
            ])
            .to_string();
    }
    match rng.below(12) {
        0 | 1 => "*".to_string(),
        2 => resource.to_string(),
        3 => match resource.rfind(['/', ':']) {
            Some(i) => format!("{}*", &resource[..=i]),
            None => "*".to_string(),
        },
        4 => {
            // Wildcard the region and account fields.
            let parts: Vec<&str> = resource.splitn(6, ':').collect();
            if parts.len() == 6 {
                format!("{}:{}:{}:*:*:{}", parts[0], parts[1], parts[2], parts[5])
            } else {
                "*".to_string()
            }
        }
        5 | 6 => {
            // The same resource with the user name replaced by a variable.
            let var = rng.pick(&[
                "${aws:username}",
                "${aws:username}",
                "${aws:PrincipalTag/team}",
                "${aws:username, 'nobody'}",
            ]);
            if resource.contains(user) {
                resource.replace(user, var)
            } else if resource.starts_with("arn:aws:s3:::corp-data/") {
                format!("arn:aws:s3:::corp-data/{var}/*")
            } else {
                format!("arn:aws:iam::*:user/{var}")
            }
        }
        7 => rng
            .pick(&[
                "arn:aws:iam::*:user/${aws:username}",
                "arn:aws:iam::*:mfa/${aws:username}",
                "arn:aws:s3:::corp-data/home/${aws:username}/*",
            ])
            .to_string(),
        8 => "arn:aws:*:*:111122223333:*".to_string(),
        9 => "arn:aws:s3:::corp-*".to_string(),
        10 => resource.replace("111122223333", "999999999999"),
        _ => rng
            .pick(&[
                "arn:aws:s3:::other-bucket/*",
                "arn:aws:iam::111122223333:user/bob",
                "arn:aws:dynamodb:*:*:table/Ord?rs",
                "arn:aws:ec2:us-east-1:111122223333:instance/*",
            ])
            .to_string(),
    }
}

fn resource_value(rng: &mut Rng, resource: &str, user: &str) -> Value {
    if rng.chance(70) {
        Value::String(resource_pattern(rng, resource, user))
    } else {
        Value::Array(
            (0..2)
                .map(|_| Value::String(resource_pattern(rng, resource, user)))
                .collect(),
        )
    }
}

fn bool_value(rng: &mut Rng, b: bool) -> Value {
    if rng.chance(25) {
        Value::Bool(b)
    } else {
        Value::String(b.to_string())
    }
}

fn key(rng: &mut Rng, k: &str) -> String {
    if rng.chance(10) {
        random_case(rng, k)
    } else {
        k.to_string()
    }
}

/// One `operator: {key: value}` condition block.
fn condition_entry(rng: &mut Rng) -> (String, String, Value) {
    let age = rng.pick(&["300", "1800", "3600"]);
    let age_value = if rng.chance(20) {
        json!(age.parse::<u64>().unwrap_or(3600))
    } else {
        json!(age)
    };
    let b = rng.chance(50);
    match rng.below(22) {
        0..=2 => ("Bool".into(), key(rng, MFA_PRESENT), bool_value(rng, b)),
        3..=5 => (
            "BoolIfExists".into(),
            key(rng, MFA_PRESENT),
            bool_value(rng, b),
        ),
        6 => (
            "Null".into(),
            key(rng, MFA_AGE),
            Value::String(b.to_string()),
        ),
        7 => (
            "Null".into(),
            key(rng, MFA_PRESENT),
            Value::String(b.to_string()),
        ),
        8 => (
            rng.pick(&["NumericGreaterThan", "NumericGreaterThanIfExists"])
                .to_string(),
            key(rng, MFA_AGE),
            age_value,
        ),
        9 => (
            rng.pick(&[
                "NumericLessThan",
                "NumericLessThanIfExists",
                "NumericLessThanEquals",
            ])
            .to_string(),
            key(rng, MFA_AGE),
            age_value,
        ),
        10 => (
            rng.pick(&["ForAllValues:Bool", "ForAnyValue:Bool"])
                .to_string(),
            key(rng, MFA_PRESENT),
            bool_value(rng, b),
        ),
        11 => (
            rng.pick(&["StringEquals", "StringNotEquals"]).to_string(),
            "aws:username".into(),
            json!(rng.pick(&["alice", "bob", "${aws:username}"])),
        ),
        12 => (
            rng.pick(&["StringLike", "StringNotLike"]).to_string(),
            "aws:PrincipalTag/team".into(),
            json!(rng.pick(&["eng*", "finance", "${aws:username}"])),
        ),
        13 => (
            rng.pick(&["IpAddress", "NotIpAddress"]).to_string(),
            "aws:SourceIp".into(),
            json!(rng.pick(&["10.0.0.0/8", "203.0.113.0/24"])),
        ),
        14 => (
            rng.pick(&[
                "ForAnyValue:StringEquals",
                "ForAllValues:StringEquals",
                "ForAnyValue:StringLike",
            ])
            .to_string(),
            "aws:CalledVia".into(),
            json!(["cloudformation.amazonaws.com"]),
        ),
        15 => (
            rng.pick(&["StringEquals", "StringNotEquals", "StringEqualsIfExists"])
                .to_string(),
            "aws:RequestedRegion".into(),
            json!(["us-east-1", "eu-west-1"]),
        ),
        16 => (
            "BoolIfExists".into(),
            "aws:SecureTransport".into(),
            bool_value(rng, b),
        ),
        17 => (
            "StringEqualsIgnoreCase".into(),
            "aws:username".into(),
            json!("ALICE"),
        ),
        18 => (
            rng.pick(&["ArnLike", "ArnNotLike", "ArnEquals", "StringLike"])
                .to_string(),
            "aws:PrincipalArn".into(),
            json!(rng.pick(&[
                "arn:aws:iam::*:user/a*",
                "arn:aws:iam::111122223333:user/${aws:username}",
                "arn:aws:iam::444455556666:*",
            ])),
        ),
        19 => (
            rng.pick(&["StringEquals", "StringNotEquals"]).to_string(),
            "aws:PrincipalAccount".into(),
            json!(ACCOUNT),
        ),
        _ => (
            rng.pick(&["Bool", "BoolIfExists"]).to_string(),
            key(rng, MFA_PRESENT),
            bool_value(rng, b),
        ),
    }
}

fn condition(rng: &mut Rng) -> Option<Value> {
    let n = match rng.below(10) {
        0..=2 => 0,
        3..=8 => 1,
        _ => 2,
    };
    if n == 0 {
        return None;
    }
    let mut ops: Map<String, Value> = Map::new();
    for _ in 0..n {
        let (op, k, v) = condition_entry(rng);
        let entry = ops.entry(op).or_insert_with(|| json!({}));
        if let Value::Object(m) = entry {
            m.insert(k, v);
        }
    }
    Some(Value::Object(ops))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Identity,
    Scp,
    Trust,
}

fn statement(rng: &mut Rng, kind: Kind, action: &str, resource: &str, user: &str) -> Value {
    let mut st = Map::new();
    if rng.chance(30) {
        st.insert("Sid".into(), json!(format!("S{}", rng.below(1000))));
    }
    let deny = match kind {
        Kind::Trust => rng.chance(20),
        _ => rng.chance(40),
    };
    st.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
    if kind == Kind::Trust && action.starts_with("kms:") {
        // A KMS key policy statement; Principal filled in by the caller.
        let a = match rng.below(6) {
            0 => json!("kms:*"),
            1 => json!(["kms:Decrypt", "kms:Encrypt"]),
            2 => json!("KMS:decrypt"),
            3 => json!("kms:Encrypt"),
            _ => json!("kms:Decrypt"),
        };
        st.insert("Action".into(), a);
        st.insert("Resource".into(), json!("*"));
    } else if kind == Kind::Trust {
        // A role trust policy statement; Principal filled in by the caller.
        let a = match rng.below(5) {
            0 => json!("sts:*"),
            1 => json!(["sts:AssumeRole", "sts:TagSession"]),
            2 => json!("STS:assumerole"),
            _ => json!("sts:AssumeRole"),
        };
        st.insert("Action".into(), a);
    } else {
        let not_action = rng.chance(if deny { 30 } else { 8 });
        let a = if not_action && rng.chance(50) {
            json!(["iam:*", "sts:GetSessionToken"])
        } else {
            action_value(rng, action)
        };
        st.insert((if not_action { "NotAction" } else { "Action" }).into(), a);
        let not_resource = rng.chance(8);
        st.insert(
            (if not_resource {
                "NotResource"
            } else {
                "Resource"
            })
            .into(),
            resource_value(rng, resource, user),
        );
    }
    if let Some(c) = condition(rng) {
        st.insert("Condition".into(), c);
    }
    Value::Object(st)
}

fn version(rng: &mut Rng) -> Option<&'static str> {
    match rng.below(20) {
        0 | 1 => None,
        2 => Some("2008-10-17"),
        _ => Some("2012-10-17"),
    }
}

fn wrap(rng: &mut Rng, statements: Vec<Value>, version: Option<&str>) -> Value {
    let mut p = Map::new();
    if let Some(v) = version {
        p.insert("Version".into(), json!(v));
    }
    let st = if statements.len() == 1 && rng.chance(40) {
        statements.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::Array(statements)
    };
    p.insert("Statement".into(), st);
    Value::Object(p)
}

fn generated_policy(rng: &mut Rng, kind: Kind, action: &str, resource: &str, user: &str) -> Value {
    let n = 1 + rng.below(3);
    let sts = (0..n)
        .map(|_| statement(rng, kind, action, resource, user))
        .collect();
    let v = version(rng);
    wrap(rng, sts, v)
}

fn identity_policy(rng: &mut Rng, action: &str, resource: &str, user: &str) -> Value {
    match rng.below(10) {
        0 => corpus_policy("force_mfa"),
        1 => corpus_policy("allow_all"),
        _ => generated_policy(rng, Kind::Identity, action, resource, user),
    }
}

fn mfa_scp(rng: &mut Rng) -> Value {
    let op = rng.pick(&["BoolIfExists", "Bool"]);
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyWithoutMFA", "Effect": "Deny",
        "NotAction": ["iam:*", "sts:GetSessionToken"], "Resource": "*",
        "Condition": {op: {MFA_PRESENT: "false"}}}]})
}

/// How the trust policy names the caller.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TrustStyle {
    /// The user's ARN.
    UserArn,
    /// `"*"`.
    Wildcard,
    /// The account root ARN.
    AccountRoot,
    /// The bare account ID.
    AccountId,
}

/// A role trust policy (for `sts:AssumeRole`) or a KMS key policy (for
/// `kms:*` actions) naming the caller in `style`.
fn resource_policy(
    rng: &mut Rng,
    action: &str,
    style: TrustStyle,
    caller_account: &str,
    user_arn: &str,
) -> Value {
    let principal = match style {
        TrustStyle::UserArn => json!({"AWS": user_arn}),
        TrustStyle::Wildcard => {
            if rng.chance(50) {
                json!("*")
            } else {
                json!({"AWS": "*"})
            }
        }
        TrustStyle::AccountRoot => json!({"AWS": format!("arn:aws:iam::{caller_account}:root")}),
        TrustStyle::AccountId => json!({"AWS": caller_account}),
    };
    let n = 1 + rng.below(2);
    let sts: Vec<Value> = (0..n)
        .map(|_| {
            let mut st = statement(rng, Kind::Trust, action, "*", "");
            if let Value::Object(m) = &mut st {
                m.insert("Principal".into(), principal.clone());
            }
            st
        })
        .collect();
    let v = version(rng);
    wrap(rng, sts, v)
}

fn context(rng: &mut Rng, user: &str, principal: &str) -> Vec<CtxValue> {
    let one = |k: &str, v: &str| CtxValue {
        key: k.to_string(),
        values: vec![v.to_string()],
        multi: false,
    };
    let mut c = Vec::new();
    let session = principal.contains(":assumed-role/");
    // IAM users have aws:username; role sessions do not.
    if !session && rng.chance(95) {
        c.push(one("aws:username", user));
    }
    match rng.below(20) {
        0..=6 => {} // KEYS: long-term access keys, no MFA keys
        7..=11 => c.push(one(MFA_PRESENT, "false")),
        _ => {
            let age = rng.pick(&["0", "60", "300", "1799", "1800", "1801", "3600", "43200"]);
            c.push(one(MFA_PRESENT, "true"));
            c.push(one(MFA_AGE, age));
        }
    }
    if session {
        // A role session's aws:PrincipalArn is the role's ARN.
        c.push(one(
            "aws:PrincipalArn",
            &format!("arn:aws:iam::{ACCOUNT}:role/Dev"),
        ));
    } else {
        c.push(one("aws:PrincipalArn", principal));
    }
    if let Some(account) = principal.split(':').nth(4) {
        c.push(one("aws:PrincipalAccount", account));
    }
    if rng.chance(50) {
        c.push(one(
            "aws:PrincipalTag/team",
            rng.pick(&["eng-core", "finance"]),
        ));
    }
    if rng.chance(60) {
        c.push(one("aws:SourceIp", rng.pick(&["10.1.2.3", "203.0.113.9"])));
    }
    if rng.chance(30) {
        let vals: &[&str] = if rng.chance(50) {
            &["cloudformation.amazonaws.com"]
        } else {
            &["cloudformation.amazonaws.com", "athena.amazonaws.com"]
        };
        c.push(CtxValue {
            key: "aws:CalledVia".into(),
            values: vals.iter().map(|s| s.to_string()).collect(),
            multi: true,
        });
    }
    if rng.chance(50) {
        c.push(one(
            "aws:RequestedRegion",
            rng.pick(&["us-east-1", "ap-south-1"]),
        ));
    }
    if rng.chance(50) {
        c.push(one("aws:SecureTransport", rng.pick(&["true", "false"])));
    }
    c
}

/// Generates case `index` of run `seed`.
pub fn generate(seed: u64, index: u64) -> Case {
    let mut rng = Rng::for_case(seed, index);
    let user = if rng.chance(85) { "alice" } else { "bob" };
    let (action, target_resource) = if rng.chance(15) {
        ("sts:AssumeRole".to_string(), ROLE_ARN.to_string())
    } else {
        let target = &TARGETS[rng.below(TARGETS.len())];
        (
            target.action.to_string(),
            target.resource.replace("{user}", user),
        )
    };
    // Role trust policies and KMS key policies must allow the caller
    // explicitly; the case carries one for those actions.
    let trust = action == "sts:AssumeRole" || action.starts_with("kms:");
    let (resource, principal, resource_account, resource_policy, mode) = if trust {
        let style = rng.pick(&[
            TrustStyle::UserArn,
            TrustStyle::UserArn,
            TrustStyle::Wildcard,
            TrustStyle::AccountRoot,
            TrustStyle::AccountId,
        ]);
        let cross = rng.chance(25);
        let caller_account = if cross { OTHER_ACCOUNT } else { ACCOUNT };
        let user_arn = format!("arn:aws:iam::{caller_account}:user/{user}");
        // The policy sometimes names someone else.
        let named_arn = if rng.chance(15) {
            format!("arn:aws:iam::{caller_account}:user/mallory")
        } else {
            user_arn.clone()
        };
        let rp = resource_policy(&mut rng, &action, style, caller_account, &named_arn);
        let mode = match style {
            TrustStyle::UserArn | TrustStyle::Wildcard if !cross => Mode::ResourceOnly,
            _ => Mode::RequireBoth,
        };
        (
            target_resource,
            user_arn,
            ACCOUNT.to_string(),
            Some(rp),
            mode,
        )
    } else {
        // Mostly IAM users; sometimes a role session (no aws:username).
        let caller = if rng.chance(20) {
            format!("arn:aws:sts::{ACCOUNT}:assumed-role/Dev/{user}")
        } else {
            format!("arn:aws:iam::{ACCOUNT}:user/{user}")
        };
        (
            target_resource,
            caller,
            ACCOUNT.to_string(),
            None,
            Mode::RequireBoth,
        )
    };

    let n_identity = match rng.below(10) {
        0 => 0,
        1..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    let identity = (0..n_identity)
        .map(|i| Named {
            name: format!("identity{i}"),
            policy: if trust && rng.chance(50) {
                json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": action,
                    "Resource": if rng.chance(50) { resource.as_str() } else { "*" }}})
            } else {
                identity_policy(&mut rng, &action, &resource, user)
            },
        })
        .collect();

    let boundary = rng.chance(20).then(|| {
        let p = match rng.below(4) {
            0 => full_aws_access(),
            1 => json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
                "Condition": {"Bool": {MFA_PRESENT: "true"}}}}),
            _ => generated_policy(&mut rng, Kind::Identity, &action, &resource, user),
        };
        vec![Named {
            name: "boundary".into(),
            policy: p,
        }]
    });

    let scps = if rng.chance(25) {
        let levels = 1 + rng.below(3);
        (0..levels)
            .map(|l| {
                let mut level = Vec::new();
                if rng.chance(85) {
                    level.push(Named {
                        name: format!("FullAWSAccess{l}"),
                        policy: full_aws_access(),
                    });
                }
                if rng.chance(60) || level.is_empty() {
                    let p = if rng.chance(40) {
                        mfa_scp(&mut rng)
                    } else {
                        generated_policy(&mut rng, Kind::Scp, &action, &resource, user)
                    };
                    level.push(Named {
                        name: format!("scp{l}"),
                        policy: p,
                    });
                }
                level
            })
            .collect()
    } else {
        Vec::new()
    };

    let user_name = principal.rsplit('/').next().unwrap_or(user).to_string();
    let context = context(&mut rng, &user_name, &principal);
    Case {
        id: index,
        identity,
        boundary,
        scps,
        resource_policy,
        mode,
        action,
        resource,
        resource_account,
        principal,
        context,
    }
}

/// True when the policy's `Version` is not `2012-10-17` (so policy
/// variables are literal text).
pub fn unversioned(policy: &Value) -> bool {
    policy.get("Version").and_then(Value::as_str) != Some("2012-10-17")
}

/// True when the JSON text of `v` contains a policy variable.
pub fn has_variable(v: &Value) -> bool {
    v.to_string().contains("${")
}
