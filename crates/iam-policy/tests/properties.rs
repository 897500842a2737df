//! Property tests.
//!
//! * Adding a Deny statement anywhere never turns a decision into
//!   `allowed` (and never undoes an explicit deny); adding an Allow never
//!   turns `allowed` into a deny.
//! * The open world is a sound over-approximation: if some closed-world
//!   completion of a context allows a request, the open-world decision is
//!   `allowed`; an open-world decision with no `depends_on` equals the
//!   closed-world one.
//! * `decide` always equals `evaluate(..).kind`; the closed world never
//!   reports dependencies; the indexed evaluation equals a naive one that
//!   asks every statement in turn.
//! * The wildcard matcher agrees with a regular-expression oracle.

use iam_policy::{wildcard_match, Context, DecisionKind, Effect, Policy, PolicySet, Request};
use proptest::prelude::*;
use serde_json::{json, Value};

const ACCT: &str = "111122223333";

fn action_pattern() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "*",
        "s3:*",
        "s3:GetObject",
        "s3:Get*",
        "S3:getobject",
        "ec2:*",
        "ec2:RunInstances",
        "iam:*MFA*",
        "iam:ListMFADevices",
        "iam:Create?ser",
        "sts:AssumeRole",
        "*:Get*",
    ])
}

fn resource_pattern() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "*",
        "arn:aws:s3:::bucket/*",
        "arn:aws:s3:::bucket/${aws:username}/*",
        "arn:aws:iam::*:user/${aws:username}",
        "arn:aws:iam::*:user/${aws:PrincipalTag/team, 'alice'}",
        "arn:aws:ec2:*:111122223333:instance/*",
        "arn:aws:s3:::other*",
    ])
}

fn condition() -> impl Strategy<Value = (&'static str, &'static str, Value)> {
    prop::sample::select(vec![
        ("Bool", "aws:MultiFactorAuthPresent", json!("true")),
        ("BoolIfExists", "aws:MultiFactorAuthPresent", json!("false")),
        ("Bool", "aws:MultiFactorAuthPresent", json!(false)),
        ("Null", "aws:MultiFactorAuthAge", json!("true")),
        ("Null", "aws:MultiFactorAuthAge", json!("false")),
        ("NumericLessThan", "aws:MultiFactorAuthAge", json!("3600")),
        (
            "NumericGreaterThanIfExists",
            "aws:MultiFactorAuthAge",
            json!(1800),
        ),
        ("StringEquals", "aws:username", json!("alice")),
        (
            "StringNotEquals",
            "aws:RequestedRegion",
            json!(["eu-west-1", "us-east-1"]),
        ),
        (
            "StringEqualsIgnoreCase",
            "aws:PrincipalTag/team",
            json!("BLUE"),
        ),
        ("IpAddress", "aws:SourceIp", json!("10.0.0.0/8")),
        ("NotIpAddress", "aws:SourceIp", json!(["192.0.2.0/24"])),
        (
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            json!(["env", "owner"]),
        ),
        ("ForAnyValue:StringLike", "aws:TagKeys", json!("e*")),
        ("StringLike", "s3:prefix", json!("home/${aws:username}/*")),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            json!("2020-01-01T00:00:00Z"),
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            json!("arn:aws:iam::*:user/a*"),
        ),
        (
            "ArnNotEquals",
            "aws:PrincipalArn",
            json!("arn:aws:iam::111122223333:user/alice"),
        ),
    ])
}

fn principal() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!("*"),
        json!({"AWS": ACCT}),
        json!({"AWS": format!("arn:aws:iam::{ACCT}:user/alice")}),
        json!({"AWS": [format!("arn:aws:iam::{ACCT}:user/alice"), format!("arn:aws:iam::{ACCT}:root")]}),
        json!({"Service": "ec2.amazonaws.com"}),
    ])
}

fn statement(effect: Option<&'static str>, with_principal: bool) -> impl Strategy<Value = Value> {
    let effect = match effect {
        Some(e) => Just(e).boxed(),
        None => prop::sample::select(vec!["Allow", "Deny"]).boxed(),
    };
    (
        effect,
        any::<bool>(),
        prop::collection::vec(action_pattern(), 1..3),
        prop::option::of((
            any::<bool>(),
            prop::collection::vec(resource_pattern(), 1..3),
        )),
        prop::collection::vec(condition(), 0..3),
        (principal(), any::<bool>()),
    )
        .prop_map(
            move |(effect, not_action, actions, resources, conds, (pr, not_pr))| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(effect));
                s.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                if let Some((not_res, res)) = resources {
                    s.insert(
                        if not_res { "NotResource" } else { "Resource" }.into(),
                        json!(res),
                    );
                }
                if !conds.is_empty() {
                    let mut c = serde_json::Map::new();
                    for (op, key, val) in conds {
                        let block = c.entry(op.to_string()).or_insert_with(|| json!({}));
                        if let Some(b) = block.as_object_mut() {
                            b.insert(key.to_string(), val);
                        }
                    }
                    s.insert("Condition".into(), Value::Object(c));
                }
                if with_principal {
                    s.insert(if not_pr { "NotPrincipal" } else { "Principal" }.into(), pr);
                }
                Value::Object(s)
            },
        )
}

fn policy_doc(with_principal: bool) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        prop::collection::vec(statement(None, with_principal), 1..4),
    )
        .prop_map(|(v2012, stmts)| {
            if v2012 {
                json!({"Version": "2012-10-17", "Statement": stmts})
            } else {
                json!({"Statement": stmts})
            }
        })
}

#[derive(Debug, Clone)]
struct SetSpec {
    identity: Vec<Value>,
    boundary: Option<Vec<Value>>,
    scps: Vec<Vec<Value>>,
    resource: Option<Value>,
}

fn set_spec() -> impl Strategy<Value = SetSpec> {
    (
        prop::collection::vec(policy_doc(false), 0..3),
        prop::option::of(prop::collection::vec(policy_doc(false), 1..3)),
        prop::collection::vec(prop::collection::vec(policy_doc(false), 1..3), 0..3),
        prop::option::of(policy_doc(true)),
    )
        .prop_map(|(identity, boundary, scps, resource)| SetSpec {
            identity,
            boundary,
            scps,
            resource,
        })
}

fn parse(v: &Value) -> Policy {
    Policy::from_value(v).unwrap_or_else(|e| panic!("generated policy does not parse: {e}\n{v}"))
}

fn build(spec: &SetSpec) -> PolicySet {
    let mut set = PolicySet::new();
    for (i, p) in spec.identity.iter().enumerate() {
        set.add_identity(format!("id{i}"), parse(p));
    }
    if let Some(b) = &spec.boundary {
        for (i, p) in b.iter().enumerate() {
            set.add_boundary(format!("b{i}"), parse(p));
        }
    }
    for (l, level) in spec.scps.iter().enumerate() {
        set.add_scp_level(
            level
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("scp{l}.{i}"), parse(p))),
        );
    }
    if let Some(r) = &spec.resource {
        set.set_resource_policy("resource", parse(r));
    }
    set
}

/// Every policy document of a spec, mutably, for inserting statements.
fn docs_mut(spec: &mut SetSpec) -> Vec<&mut Value> {
    let mut v: Vec<&mut Value> = spec.identity.iter_mut().collect();
    if let Some(b) = &mut spec.boundary {
        v.extend(b.iter_mut());
    }
    for level in &mut spec.scps {
        v.extend(level.iter_mut());
    }
    if let Some(r) = &mut spec.resource {
        v.push(r);
    }
    v
}

fn insert_statement(spec: &mut SetSpec, target: usize, stmt: Value) {
    let mut docs = docs_mut(spec);
    let n = docs.len() + 1;
    match docs.get_mut(target % n) {
        Some(doc) => {
            if let Some(arr) = doc.get_mut("Statement").and_then(Value::as_array_mut) {
                arr.push(stmt);
            }
        }
        None => spec
            .identity
            .push(json!({"Version": "2012-10-17", "Statement": [stmt]})),
    }
}

#[derive(Debug, Clone)]
struct Req {
    action: &'static str,
    resource: &'static str,
    principal: Option<&'static str>,
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(vec![
            "s3:GetObject",
            "ec2:RunInstances",
            "iam:ListMFADevices",
            "iam:CreateUser",
            "sts:AssumeRole",
            "dynamodb:GetItem",
            "IAM:listmfadevices",
            "S3:GETOBJECT",
            "s3",
        ]),
        prop::sample::select(vec![
            "arn:aws:s3:::bucket/alice/x",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            "arn:aws:s3:::other-bucket",
            "*",
        ]),
        prop::sample::select(vec![
            Some("arn:aws:iam::111122223333:user/alice"),
            Some("arn:aws:iam::111122223333:user/bob"),
            Some("arn:aws:iam::444455556666:user/alice"),
            Some("ec2.amazonaws.com"),
            None,
        ]),
    )
        .prop_map(|(action, resource, principal)| Req {
            action,
            resource,
            principal,
        })
}

type Entry = (&'static str, Vec<&'static str>);

/// A closed-world context: each key present (with one of its values) or absent.
fn context_entries() -> impl Strategy<Value = Vec<Entry>> {
    let keys: Vec<(&'static str, Vec<Vec<&'static str>>)> = vec![
        (
            "aws:MultiFactorAuthPresent",
            vec![vec!["true"], vec!["false"]],
        ),
        ("aws:MultiFactorAuthAge", vec![vec!["300"], vec!["3600"]]),
        ("aws:username", vec![vec!["alice"], vec!["bob"]]),
        (
            "aws:RequestedRegion",
            vec![vec!["eu-west-1"], vec!["ap-south-1"]],
        ),
        ("aws:PrincipalTag/team", vec![vec!["blue"], vec!["red"]]),
        ("aws:SourceIp", vec![vec!["10.1.2.3"], vec!["192.0.2.7"]]),
        (
            "aws:TagKeys",
            vec![vec!["env"], vec!["env", "owner"], vec!["env", "x"], vec![]],
        ),
        (
            "s3:prefix",
            vec![vec!["home/alice/docs"], vec!["home/bob/"]],
        ),
        (
            "aws:CurrentTime",
            vec![vec!["2024-01-01T00:00:00Z"], vec!["2019-01-01T00:00:00Z"]],
        ),
        (
            "aws:PrincipalArn",
            vec![
                vec!["arn:aws:iam::111122223333:user/alice"],
                vec!["arn:aws:iam::111122223333:role/x"],
            ],
        ),
    ];
    keys.into_iter()
        .map(|(k, choices)| {
            prop::option::of(prop::sample::select(choices)).prop_map(move |v| (k, v))
        })
        .collect::<Vec<_>>()
        .prop_map(|entries| {
            entries
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect()
        })
}

fn closed_context(entries: &[Entry]) -> Context {
    let mut c = Context::new();
    for (k, v) in entries {
        if *k == "aws:TagKeys" {
            c.insert_values(k, v.iter().copied());
        } else if let Some(first) = v.first() {
            c.insert(k, *first);
        }
    }
    c
}

/// The same context in the open world, with the keys selected by `hide`
/// made unknown (neither present nor declared absent); every other key is
/// present or declared absent exactly as in the closed world.
fn open_context(entries: &[Entry], hide: &[bool]) -> Context {
    let all = [
        "aws:MultiFactorAuthPresent",
        "aws:MultiFactorAuthAge",
        "aws:username",
        "aws:RequestedRegion",
        "aws:PrincipalTag/team",
        "aws:SourceIp",
        "aws:TagKeys",
        "s3:prefix",
        "aws:CurrentTime",
        "aws:PrincipalArn",
    ];
    let mut c = closed_context(entries);
    for (i, k) in all.iter().enumerate() {
        let hidden = hide.get(i).copied().unwrap_or(false);
        if hidden {
            c.remove(k);
        } else if c.get(k).is_none() {
            c.mark_absent(k);
        }
    }
    c.open_world()
}

fn eval(set: &PolicySet, r: &Req, ctx: &Context) -> iam_policy::Decision {
    let mut req = Request::new(r.action, r.resource, ctx);
    if let Some(p) = r.principal {
        req = req.with_principal(p);
    }
    let d = set.evaluate(&req);
    assert_eq!(
        set.decide(&req),
        d.kind,
        "decide() disagrees with evaluate()"
    );
    if !ctx.is_open_world() {
        assert!(
            d.depends_on.is_empty(),
            "closed world reported dependencies"
        );
    }
    d
}

/// Evaluation written the obvious way, statement by statement, from the
/// public API only (resource policy mode: the default, both required).
fn naive(set: &PolicySet, req: &Request<'_>) -> DecisionKind {
    // (any Deny applies, any Allow applies); unknown: Allow yes, Deny no.
    let scan = |policies: Vec<&Policy>, principal: bool| {
        let (mut deny, mut allow) = (false, false);
        for p in policies {
            for st in &p.statements {
                let applies = st.applies(req, principal);
                match st.effect {
                    Effect::Deny => deny |= applies == Some(true),
                    Effect::Allow => allow |= applies != Some(false),
                }
            }
        }
        (deny, allow)
    };
    let identity = scan(set.identity_policies().map(|(_, p)| p).collect(), false);
    let boundary = set
        .boundary_policies()
        .map(|b| scan(b.map(|(_, p)| p).collect(), false));
    let scps: Vec<(bool, bool)> = (0..set.scp_level_count())
        .map(|l| scan(set.scp_level(l).map(|(_, p)| p).collect(), false))
        .collect();
    let resource = set.resource_policy().map(|(_, p)| scan(vec![p], true));
    let any_deny = identity.0
        || boundary.is_some_and(|b| b.0)
        || scps.iter().any(|s| s.0)
        || resource.is_some_and(|r| r.0);
    if any_deny {
        return DecisionKind::ExplicitDeny;
    }
    let scp_ok = scps.iter().all(|s| s.1);
    let boundary_ok = !matches!(boundary, Some((_, false)));
    let principal_ok = match resource {
        None => identity.1,
        Some(r) => r.1 && identity.1,
    };
    if scp_ok && boundary_ok && principal_ok {
        DecisionKind::Allowed
    } else {
        DecisionKind::ImplicitDeny
    }
}

proptest! {
    // 256 cases by default; set PROPTEST_CASES to run more.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn adding_a_deny_never_allows(
        spec in set_spec(),
        deny in statement(Some("Deny"), false),
        deny_with_principal in statement(Some("Deny"), true),
        target in 0usize..16,
        r in request(),
        entries in context_entries(),
        hide in prop::collection::vec(any::<bool>(), 10),
    ) {
        let mut after = spec.clone();
        // Resource policies need a Principal in their statements.
        let is_resource_target = {
            let n_docs = docs_mut(&mut after.clone()).len();
            spec.resource.is_some() && target % (n_docs + 1) == n_docs - 1
        };
        insert_statement(&mut after, target, if is_resource_target { deny_with_principal } else { deny });
        let (a, b) = (build(&spec), build(&after));
        for ctx in [closed_context(&entries), open_context(&entries, &hide)] {
            let before = eval(&a, &r, &ctx).kind;
            let now = eval(&b, &r, &ctx).kind;
            prop_assert!(!(now == DecisionKind::Allowed && before != DecisionKind::Allowed),
                "a Deny turned {before:?} into allowed");
            prop_assert!(!(before == DecisionKind::ExplicitDeny && now != DecisionKind::ExplicitDeny),
                "a Deny undid an explicit deny");
        }
    }

    #[test]
    fn adding_an_allow_never_denies(
        spec in set_spec(),
        allow in statement(Some("Allow"), false),
        target in 0usize..16,
        r in request(),
        entries in context_entries(),
    ) {
        let mut after = spec.clone();
        let n_docs = docs_mut(&mut after.clone()).len();
        // Skip the resource policy (its statements would need a Principal).
        let target = if spec.resource.is_some() && target % (n_docs + 1) == n_docs - 1 { n_docs } else { target };
        insert_statement(&mut after, target, allow);
        let ctx = closed_context(&entries);
        let before = eval(&build(&spec), &r, &ctx).kind;
        let now = eval(&build(&after), &r, &ctx).kind;
        prop_assert!(!(before == DecisionKind::Allowed && now != DecisionKind::Allowed),
            "an Allow turned allowed into {now:?}");
    }

    #[test]
    fn open_world_over_approximates(
        spec in set_spec(),
        r in request(),
        entries in context_entries(),
        hide in prop::collection::vec(any::<bool>(), 10),
    ) {
        let set = build(&spec);
        let closed = eval(&set, &r, &closed_context(&entries));
        let open = eval(&set, &r, &open_context(&entries, &hide));
        if closed.kind == DecisionKind::Allowed {
            prop_assert_eq!(open.kind, DecisionKind::Allowed, "open world missed a possible allow");
        }
        if open.kind == DecisionKind::ExplicitDeny {
            prop_assert_eq!(closed.kind, DecisionKind::ExplicitDeny);
        }
        if open.depends_on.is_empty() {
            prop_assert_eq!(open.kind, closed.kind, "no dependencies but a different answer");
        }
        // Revealing nothing: the open world with every key decided is the closed world.
        let decided = eval(&set, &r, &open_context(&entries, &[]));
        prop_assert_eq!(decided.kind, closed.kind);
        prop_assert!(decided.depends_on.is_empty());
    }

    #[test]
    fn index_agrees_with_naive_evaluation(
        spec in set_spec(),
        r in request(),
        entries in context_entries(),
        hide in prop::collection::vec(any::<bool>(), 10),
    ) {
        let set = build(&spec);
        for ctx in [closed_context(&entries), open_context(&entries, &hide)] {
            let mut req = Request::new(r.action, r.resource, &ctx);
            if let Some(p) = r.principal {
                req = req.with_principal(p);
            }
            let expected = if r.action.eq_ignore_ascii_case("sts:GetSessionToken") {
                DecisionKind::Allowed
            } else {
                naive(&set, &req)
            };
            prop_assert_eq!(set.evaluate(&req).kind, expected);
        }
    }

    #[test]
    fn wildcard_agrees_with_regex(
        pattern in prop::collection::vec(prop::sample::select(vec!["a", "b", "B", "/", ":", "é", "*", "?", "ab", "."]), 0..8),
        text in prop::collection::vec(prop::sample::select(vec!["a", "b", "A", "B", "/", ":", "é", ".", "\n"]), 0..12),
        ignore_case in any::<bool>(),
    ) {
        let pattern: String = pattern.concat();
        let text: String = text.concat();
        let mut re = String::from(if ignore_case { "^(?is:" } else { "^(?s:" });
        for c in pattern.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex_lite::escape(&c.to_string())),
            }
        }
        re.push_str(")$");
        let oracle = regex_lite::Regex::new(&re).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // regex-lite folds ASCII case only, as IAM action matching does.
        prop_assert_eq!(wildcard_match(&pattern, &text, ignore_case), oracle.is_match(&text),
            "pattern {:?} text {:?} ignore_case {}", pattern, text, ignore_case);
    }
}
