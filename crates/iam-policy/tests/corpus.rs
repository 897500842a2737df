//! Runs every case of `tests/corpus/*.json` (each file holds one case object
//! or an array of them) and reports all failures at once.
//!
//! Case format:
//! ```json
//! {
//!   "name": "unique description",
//!   "doc_source": "https://docs.aws.amazon.com/... (the page the case comes from)",
//!   "policies": {
//!     "identity": [{"name": "FM", "policy": "@force_mfa"}],
//!     "boundary": [{"name": "B", "policy": {...}}],
//!     "scps": [[{"name": "FullAWSAccess", "policy": "@full_aws_access"}], [...]],
//!     "resource": {"name": "Trust", "policy": {...}},
//!     "resource_mode": "require_both (default) | either_suffices | resource_only"
//!   },
//!   "request": {
//!     "action": "ec2:DescribeInstances", "resource": "*", "principal": "arn:...",
//!     "context": {"aws:username": "alice", "aws:TagKeys": ["a", "b"], "aws:SourceIp": null},
//!     "open_world": false
//!   },
//!   "expected": "allowed | implicit_deny | explicit_deny",
//!   "expected_depends_on": ["aws:sourceip"],
//!   "expected_reasons": [{"policy": "FM", "sid": "...", "statement": 3, "layer": "identity", "effect": "Deny"}],
//!   "expected_missing_allow": {"layer": "scp", "scp_level": 1}
//! }
//! ```
//! A policy is a JSON object, `"@name"` for `tests/corpus/policies/name.json`,
//! or a string holding the document text (possibly URL-encoded). In a
//! context, an array is a multi-valued key and `null` declares the key
//! absent (which matters in the open world).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use iam_policy::{Context, DecisionKind, Policy, PolicySet, Request, ResourcePolicyMode, World};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("corpus")
}

fn load_policy(spec: &Value, dir: &Path) -> Result<Policy, String> {
    match spec {
        Value::String(s) if s.starts_with('@') => {
            let path = dir.join("policies").join(format!("{}.json", &s[1..]));
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            Policy::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        Value::String(s) => Policy::parse(s).map_err(|e| e.to_string()),
        other => Policy::from_value(other).map_err(|e| e.to_string()),
    }
}

fn named(v: &Value, dir: &Path) -> Result<(String, Policy), String> {
    let name = v["name"].as_str().ok_or("policy entry without \"name\"")?;
    let policy = load_policy(&v["policy"], dir).map_err(|e| format!("policy {name}: {e}"))?;
    Ok((name.to_string(), policy))
}

fn list<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], String> {
    match v {
        Value::Null => Ok(&[]),
        Value::Array(a) => Ok(a),
        _ => Err(format!("{what} must be an array")),
    }
}

fn build_set(policies: &Value, dir: &Path) -> Result<PolicySet, String> {
    let mut set = PolicySet::new();
    for p in list(&policies["identity"], "identity")? {
        let (n, pol) = named(p, dir)?;
        set.add_identity(n, pol);
    }
    if !policies["boundary"].is_null() {
        for p in list(&policies["boundary"], "boundary")? {
            let (n, pol) = named(p, dir)?;
            set.add_boundary(n, pol);
        }
    }
    for level in list(&policies["scps"], "scps")? {
        let mut entries = Vec::new();
        for p in list(level, "an SCP level")? {
            entries.push(named(p, dir)?);
        }
        set.add_scp_level(entries);
    }
    if !policies["resource"].is_null() {
        let (n, pol) = named(&policies["resource"], dir)?;
        set.set_resource_policy(n, pol);
    }
    match policies["resource_mode"].as_str() {
        None | Some("require_both") => {}
        Some("either_suffices") => set.set_resource_policy_mode(ResourcePolicyMode::EitherSuffices),
        Some("resource_only") => set.set_resource_policy_mode(ResourcePolicyMode::ResourceOnly),
        Some(other) => return Err(format!("unknown resource_mode {other:?}")),
    }
    Ok(set)
}

fn kind_name(k: DecisionKind) -> &'static str {
    match k {
        DecisionKind::Allowed => "allowed",
        DecisionKind::ImplicitDeny => "implicit_deny",
        DecisionKind::ExplicitDeny => "explicit_deny",
    }
}

fn run_case(case: &Value, dir: &Path) -> Result<(), String> {
    let set = build_set(&case["policies"], dir)?;
    let req = &case["request"];
    let mut ctx = Context::from_json(&req["context"]).map_err(|e| format!("context: {e}"))?;
    if req["open_world"].as_bool() == Some(true) {
        ctx.set_world(World::Open);
    }
    let action = req["action"].as_str().ok_or("request without action")?;
    let resource = req["resource"].as_str().unwrap_or("*");
    let mut request = Request::new(action, resource, &ctx);
    if let Some(p) = req["principal"].as_str() {
        request = request.with_principal(p);
    }
    let decision = set.evaluate(&request);
    let json = serde_json::to_value(&decision).map_err(|e| e.to_string())?;
    let got = kind_name(decision.kind);
    let expected = case["expected"]
        .as_str()
        .ok_or("case without \"expected\"")?;
    if got != expected {
        return Err(format!("expected {expected}, got {got}: {json}"));
    }
    if json["decision"] != Value::String(got.into()) {
        return Err(format!("serialized decision mismatch: {json}"));
    }
    let fast = set.decide(&request);
    if fast != decision.kind {
        return Err(format!(
            "decide() gave {fast:?} but evaluate() gave {:?}",
            decision.kind
        ));
    }
    if !ctx.is_open_world() && !decision.depends_on.is_empty() {
        return Err(format!("closed world with depends_on: {json}"));
    }
    if let Some(exp) = case.get("expected_depends_on") {
        let exp: BTreeSet<String> = list(exp, "expected_depends_on")?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        if exp != decision.depends_on {
            return Err(format!(
                "expected depends_on {exp:?}, got {:?}",
                decision.depends_on
            ));
        }
    }
    if let Some(exp) = case.get("expected_reasons") {
        let reasons = json["reasons"].as_array().cloned().unwrap_or_default();
        for want in list(exp, "expected_reasons")? {
            let want = want
                .as_object()
                .ok_or("expected reason must be an object")?;
            let found = reasons.iter().any(|r| want.iter().all(|(k, v)| &r[k] == v));
            if !found {
                return Err(format!("no reason matches {want:?}: {json}"));
            }
        }
    }
    if let Some(exp) = case.get("expected_missing_allow") {
        if &json["missing_allow"] != exp {
            return Err(format!(
                "expected missing_allow {exp}, got {}",
                json["missing_allow"]
            ));
        }
    }
    if decision.kind != DecisionKind::ImplicitDeny && decision.missing_allow.is_some() {
        return Err(format!("missing_allow set on {got}"));
    }
    if decision.kind != DecisionKind::Allowed && decision.kind == DecisionKind::ExplicitDeny {
        let has_deny = decision
            .reasons
            .iter()
            .any(|r| r.effect == iam_policy::Effect::Deny);
        if !has_deny {
            return Err(format!("explicit deny without a Deny reason: {json}"));
        }
    }
    Ok(())
}

#[test]
fn corpus() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/corpus exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut total = 0usize;
    let mut failures = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for file in &files {
        let fname = file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = fs::read_to_string(file).expect("readable corpus file");
        let value: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{fname}: not valid JSON: {e}"));
        let cases = match value {
            Value::Array(a) => a,
            other => vec![other],
        };
        for case in &cases {
            total += 1;
            let name = case["name"].as_str().unwrap_or("(unnamed)").to_string();
            if let Some(prev) = names.insert(name.clone(), fname.clone()) {
                failures.push(format!(
                    "{fname}: duplicate case name {name:?} (also in {prev})"
                ));
            }
            let doc = case["doc_source"].as_str().unwrap_or("");
            if !doc.starts_with("https://docs.aws.amazon.com/") {
                failures.push(format!(
                    "{fname}: {name}: doc_source must be an AWS documentation URL"
                ));
            }
            if let Err(e) = run_case(case, &dir) {
                failures.push(format!("{fname}: {name}: {e}"));
            }
        }
    }
    println!("{} corpus cases in {} files", total, files.len());
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        total,
        failures.join("\n")
    );
    assert!(total >= 150, "the corpus shrank to {total} cases");
}
