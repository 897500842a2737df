//! `mfaguard simulate`: evaluate one request against policies given as files,
//! or against the real policies of a user or role of an exported account.
//!
//! The exit code is 0 whenever a decision was made, whatever it is; 2 for any
//! error (an unreadable policy names the file and the JSON path).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use clap::ValueEnum;
use serde_json::{json, Map, Value};

use iam_policy::{
    Context, Decision, DecisionKind, Layer, MissingAllow, Policy, PolicySet, Reason, Request,
    ResourcePolicyMode, World,
};
use mfaguard_core::offline::{
    account_of_arn, AUTHORIZATION_DETAILS, CREDENTIAL_REPORT_CSV, CREDENTIAL_REPORT_JSON,
};
use mfaguard_core::policies::PolicyIndex;
use mfaguard_core::policy_set::PolicyCache;
use mfaguard_core::snapshot::{
    AuthorizationDetails, RoleDetail, Snapshot, SnapshotSource, SourceKind, Tag, UserDetail,
    SNAPSHOT_SCHEMA_VERSION,
};

use crate::output::{write_stdout, Format};

const MFA_PRESENT: &str = "aws:MultiFactorAuthPresent";
const MFA_AGE: &str = "aws:MultiFactorAuthAge";

#[derive(clap::Args)]
#[command(
    group(clap::ArgGroup::new("mfa").multiple(false)),
    after_help = "Exit codes: 0 a decision was made (allowed or denied), 2 error.

Examples:
  mfaguard simulate --policy force-mfa.json --policy admin.json --action ec2:RunInstances
  mfaguard simulate --policy p.json --action s3:GetObject --resource arn:aws:s3:::b/k \\
      --context aws:MultiFactorAuthPresent=true --context aws:MultiFactorAuthAge=300
  mfaguard simulate --policy p.json --scp root.json --scp-level ou-a.json,ou-b.json \\
      --action ec2:RunInstances --no-mfa
  mfaguard simulate --from ./my-account --principal alice --action iam:CreateAccessKey \\
      --resource arn:aws:iam::111122223333:user/alice --console-no-mfa"
)]
pub struct SimulateArgs {
    /// Identity-based policy: JSON, URL-encoded JSON, or the output of `aws
    /// iam get-policy-version` / `get-user-policy`; repeat for several
    /// (they are pooled).
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// Permissions boundary policy.
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// Service control policies, one level per flag in order root, OUs,
    /// account: `--scp FILE` is a level with one SCP, `--scp-level A,B` a
    /// level with several (each level needs an Allow).
    #[arg(
        long = "scp",
        visible_alias = "scp-level",
        value_name = "FILE[,FILE...]"
    )]
    scps: Vec<String>,
    /// Resource-based policy, e.g. a role's trust policy for sts:AssumeRole
    /// (the output of `aws iam get-role` is accepted).
    #[arg(long, value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// How the resource policy combines with the identity policies.
    #[arg(long, value_enum, default_value_t = ModeArg::RequireBoth, requires = "resource_policy")]
    resource_policy_mode: ModeArg,
    /// The action, e.g. iam:ListMFADevices.
    #[arg(long)]
    action: String,
    /// The resource ARN.
    #[arg(long, default_value = "*")]
    resource: String,
    /// The calling principal's ARN (resource policies match it). With
    /// --from: the user or role, by name or ARN, whose policies are used.
    #[arg(long, value_name = "ARN")]
    principal: Option<String>,
    /// A condition key: KEY=VALUE, or KEY=["a","b"] for a multi-valued key.
    /// Repeat for several; a key not given is absent.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Condition keys from a JSON file: {"key": "value", "multi": ["a", "b"],
    /// "absent": null}, or the AWS CLI's --context-entries list. --context
    /// and the MFA flags override it.
    #[arg(long, value_name = "FILE")]
    context_file: Option<PathBuf>,
    /// Request signed with long-term access keys: the MFA keys are absent.
    #[arg(long, group = "mfa")]
    no_mfa: bool,
    /// Console sign-in without MFA: aws:MultiFactorAuthPresent is "false".
    #[arg(long, group = "mfa")]
    console_no_mfa: bool,
    /// Signed in with MFA this many seconds ago: aws:MultiFactorAuthPresent
    /// "true" and aws:MultiFactorAuthAge SECONDS.
    #[arg(long, group = "mfa", value_name = "SECONDS")]
    mfa_age: Option<u64>,
    /// Keys not given are unknown rather than absent: the answer is "could
    /// this be allowed?" and lists the keys it depends on.
    #[arg(long)]
    open_world: bool,
    /// An account's exported policies: a folder of AWS CLI outputs (as for
    /// `scan --from`; account-authorization-details.json is what is used),
    /// a snapshot saved with --save-snapshot (with its SCPs), or a
    /// get-account-authorization-details JSON file. Needs --principal.
    #[arg(long, value_name = "DIR|FILE")]
    from: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    /// Both the identity policies and the resource policy must allow.
    RequireBoth,
    /// Either suffices (same-account access to most resources).
    Either,
    /// Only the resource policy decides (a trust policy naming the caller).
    ResourceOnly,
}

impl From<ModeArg> for ResourcePolicyMode {
    fn from(mode: ModeArg) -> ResourcePolicyMode {
        match mode {
            ModeArg::RequireBoth => ResourcePolicyMode::RequireBoth,
            ModeArg::Either => ResourcePolicyMode::EitherSuffices,
            ModeArg::ResourceOnly => ResourcePolicyMode::ResourceOnly,
        }
    }
}

/// One condition key's value as given.
#[derive(Debug, Clone, PartialEq)]
enum KeyValue {
    One(String),
    Many(Vec<String>),
    /// Declared absent (matters in the open world).
    Absent,
}

impl KeyValue {
    fn to_json(&self) -> Value {
        match self {
            KeyValue::One(value) => json!(value),
            KeyValue::Many(values) => json!(values),
            KeyValue::Absent => Value::Null,
        }
    }

    fn to_text(&self) -> String {
        match self {
            KeyValue::One(value) => value.clone(),
            KeyValue::Many(values) => json!(values).to_string(),
            KeyValue::Absent => "(absent)".to_string(),
        }
    }
}

/// The request context being assembled: keys by lowercase name, each with
/// the spelling it was given in. Later layers replace earlier ones.
#[derive(Default)]
struct Keys(BTreeMap<String, (String, KeyValue)>);

impl Keys {
    fn set(&mut self, key: &str, value: KeyValue) {
        self.0.insert(key.to_lowercase(), (key.to_string(), value));
    }

    fn contains(&self, key: &str) -> bool {
        self.0.contains_key(&key.to_lowercase())
    }

    fn context(&self, world: World) -> Context {
        let mut context = Context::new();
        context.set_world(world);
        for (key, value) in self.0.values() {
            match value {
                KeyValue::One(value) => context.insert(key, value.as_str()),
                KeyValue::Many(values) => context.insert_values(key, values.iter().cloned()),
                KeyValue::Absent => context.mark_absent(key),
            }
        }
        context
    }

    fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .values()
                .map(|(key, value)| (key.clone(), value.to_json()))
                .collect::<Map<_, _>>(),
        )
    }
}

/// The identity chosen with --from.
struct Identity {
    kind: &'static str,
    name: String,
    arn: String,
}

pub fn run(args: SimulateArgs) -> Result<u8> {
    let mut set = PolicySet::new();
    let mut keys = Keys::default();
    let mut principal = args.principal.clone();
    let mut identity = None;
    let mut gaps = Vec::new();
    let mut scps_known = true;

    if let Some(from) = &args.from {
        let Some(wanted) = &args.principal else {
            bail!("--from needs --principal NAME_OR_ARN: the user or role whose policies are evaluated");
        };
        let snapshot = load_account(from)?;
        let Some(details) = &snapshot.authorization_details else {
            bail!(
                "{}: {AUTHORIZATION_DETAILS} is missing: no policies to evaluate \
                 (aws iam get-account-authorization-details --output json > {AUTHORIZATION_DETAILS})",
                from.display()
            );
        };
        let index = PolicyIndex::new(details);
        let account = snapshot.account_id.clone();
        let resolved = match find_principal(details, wanted)? {
            Found::User(user) => {
                let account = account.or_else(|| account_of_arn(&user.arn));
                user_keys(&mut keys, user, account.as_deref());
                principal = Some(user.arn.clone());
                identity = Some(Identity {
                    kind: "user",
                    name: user.user_name.clone(),
                    arn: user.arn.clone(),
                });
                index.for_user(user)
            }
            Found::Role(role, session) => {
                let account = account.or_else(|| account_of_arn(&role.arn));
                role_keys(&mut keys, role, session.as_deref(), account.as_deref());
                // A session ARN when one was named: trust policies match
                // both the role's ARN and its sessions'.
                principal = Some(match session {
                    Some(_) => wanted.clone(),
                    None => role.arn.clone(),
                });
                identity = Some(Identity {
                    kind: "role",
                    name: role.role_name.clone(),
                    arn: role.arn.clone(),
                });
                index.for_role(role)
            }
        };
        let effective = PolicyCache::new().effective(&snapshot, &resolved);
        set = effective.set;
        gaps = effective.gaps;
        scps_known = effective.scps_known;
    } else if args.policies.is_empty()
        && args.boundary.is_none()
        && args.scps.is_empty()
        && args.resource_policy.is_none()
    {
        bail!(
            "give the policies to evaluate: --policy FILE (and --boundary, --scp, \
             --resource-policy), or --from DIR --principal NAME"
        );
    }

    for file in &args.policies {
        set.add_identity(file.display().to_string(), read_policy(file)?);
    }
    if let Some(file) = &args.boundary {
        if set.boundary_policies().is_some() {
            bail!(
                "--boundary {}: {} already has a permissions boundary in the account",
                file.display(),
                args.principal.as_deref().unwrap_or_default()
            );
        }
        set.add_boundary(file.display().to_string(), read_policy(file)?);
    }
    for level in &args.scps {
        let mut policies = Vec::new();
        for file in scp_files(level)? {
            policies.push((file.display().to_string(), read_policy(&file)?));
        }
        set.add_scp_level(policies);
    }
    if let Some(file) = &args.resource_policy {
        set.set_resource_policy(file.display().to_string(), read_policy(file)?);
        set.set_resource_policy_mode(args.resource_policy_mode.into());
    }

    // Context: the identity's keys, then the file, the MFA row, --context.
    if let Some(file) = &args.context_file {
        for (key, value) in read_context_file(file)? {
            keys.set(&key, value);
        }
    }
    let mut given = Keys::default();
    for entry in &args.context {
        let (key, value) = parse_context(entry)?;
        if given.contains(&key) {
            bail!("--context {key} is given twice");
        }
        given.set(&key, value);
    }
    if let Some((flag, row)) = mfa_row(&args) {
        // The command line overrides the file, but two flags for the same
        // keys are a mistake.
        if given.contains(MFA_PRESENT) || given.contains(MFA_AGE) {
            bail!("{flag} sets the MFA keys; do not also give {MFA_PRESENT} or {MFA_AGE}");
        }
        for (key, value) in row {
            keys.set(key, value);
        }
    }
    for (key, value) in given.0.into_values() {
        keys.set(&key, value);
    }
    let world = if args.open_world {
        World::Open
    } else {
        World::Closed
    };
    let context = keys.context(world);

    let mut request = Request::new(&args.action, &args.resource, &context);
    if let Some(principal) = &principal {
        request = request.with_principal(principal);
    }
    let decision = set.evaluate(&request);

    let request_echo = {
        let mut echo = json!({
            "action": args.action,
            "resource": args.resource,
            "principal": principal,
            "context": keys.to_json(),
        });
        if args.open_world {
            echo["open_world"] = json!(true);
        }
        echo
    };
    let text = match args.format {
        Format::Json => {
            let mut value = serde_json::to_value(&decision)?;
            if let Some(object) = value.as_object_mut() {
                object.insert("request".to_string(), request_echo);
                if let Some(identity) = &identity {
                    object.insert(
                        "identity".to_string(),
                        json!({"type": identity.kind, "name": identity.name, "arn": identity.arn}),
                    );
                    object.insert("gaps".to_string(), json!(gaps));
                    object.insert("scps_evaluated".to_string(), json!(scps_known));
                }
            }
            if !gaps.is_empty() {
                eprintln!(
                    "warning: the decision may be wrong: {} of the identity's policies could not \
                     be evaluated (see \"gaps\")",
                    gaps.len()
                );
            }
            let mut text = serde_json::to_string_pretty(&value)?;
            text.push('\n');
            text
        }
        Format::Text => {
            let view = View {
                action: &args.action,
                resource: &args.resource,
                principal: principal.as_deref(),
                identity: identity.as_ref(),
                keys: &keys,
                open_world: args.open_world,
                scp_levels: set.scp_level_count(),
                gaps: &gaps,
                scps_unknown: identity.is_some() && !scps_known,
            };
            render(&view, &decision, Paint::for_stdout())
        }
    };
    write_stdout(&text)?;
    Ok(0)
}

/// The MFA row chosen with --no-mfa, --console-no-mfa or --mfa-age.
fn mfa_row(args: &SimulateArgs) -> Option<(&'static str, Vec<(&'static str, KeyValue)>)> {
    if args.no_mfa {
        Some((
            "--no-mfa",
            vec![(MFA_PRESENT, KeyValue::Absent), (MFA_AGE, KeyValue::Absent)],
        ))
    } else if args.console_no_mfa {
        Some((
            "--console-no-mfa",
            vec![
                (MFA_PRESENT, KeyValue::One("false".to_string())),
                (MFA_AGE, KeyValue::Absent),
            ],
        ))
    } else {
        args.mfa_age.map(|age| {
            (
                "--mfa-age",
                vec![
                    (MFA_PRESENT, KeyValue::One("true".to_string())),
                    (MFA_AGE, KeyValue::One(age.to_string())),
                ],
            )
        })
    }
}

// ---------------------------------------------------------------------------
// Inputs

/// The policy files of one SCP level. A value that names an existing file is
/// that file even if its name has a comma.
fn scp_files(level: &str) -> Result<Vec<PathBuf>> {
    if Path::new(level).is_file() {
        return Ok(vec![PathBuf::from(level)]);
    }
    let files: Vec<PathBuf> = level
        .split(',')
        .map(str::trim)
        .filter(|file| !file.is_empty())
        .map(PathBuf::from)
        .collect();
    if files.is_empty() {
        bail!("--scp `{level}` names no file");
    }
    Ok(files)
}

/// Reads a policy file: a policy document (JSON or URL-encoded JSON), or the
/// output of `aws iam get-policy-version`, `get-role`, `get-user-policy`,
/// `get-role-policy` or `get-group-policy`.
fn read_policy(path: &Path) -> Result<Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let wrapped = serde_json::from_str::<Value>(&text).ok().and_then(|value| {
        [
            "/PolicyVersion/Document",
            "/Role/AssumeRolePolicyDocument",
            "/PolicyDocument",
        ]
        .into_iter()
        .find_map(|pointer| {
            value
                .pointer(pointer)
                .cloned()
                .map(|inner| (pointer, inner))
        })
    });
    match wrapped {
        None => Policy::parse(&text).map_err(|err| anyhow!("{}: {err}", path.display())),
        Some((pointer, Value::String(inner))) => Policy::parse(&inner).map_err(|err| {
            anyhow!(
                "{}: the document at {pointer} (URL-encoded): {err}",
                path.display()
            )
        }),
        Some((pointer, inner)) => Policy::from_value(&inner)
            .map_err(|err| anyhow!("{}: {pointer}{}: {}", path.display(), err.path, err.message)),
    }
}

/// Reads `--context-file`: a JSON object of keys (a string, number or boolean
/// is one value, an array several, null declares the key absent), or the
/// AWS CLI's `--context-entries` list
/// (`[{"ContextKeyName", "ContextKeyValues", "ContextKeyType"}]`).
fn read_context_file(path: &Path) -> Result<Vec<(String, KeyValue)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|err| {
        anyhow!(
            "{}: invalid JSON at line {}, column {}",
            path.display(),
            err.line(),
            err.column()
        )
    })?;
    let at = |pointer: String, message: &str| anyhow!("{}: {pointer}: {message}", path.display());
    let mut keys = Vec::new();
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                let pointer = format!("/{}", key.replace('~', "~0").replace('/', "~1"));
                let value = match value {
                    Value::Null => KeyValue::Absent,
                    Value::Array(items) => KeyValue::Many(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| {
                                scalar(item).ok_or_else(|| {
                                    at(
                                        format!("{pointer}/{i}"),
                                        "expected a string, number or boolean",
                                    )
                                })
                            })
                            .collect::<Result<_>>()?,
                    ),
                    other => KeyValue::One(scalar(&other).ok_or_else(|| {
                        at(
                            pointer.clone(),
                            "expected a string, number, boolean, array or null",
                        )
                    })?),
                };
                keys.push((key, value));
            }
        }
        Value::Array(entries) => {
            for (i, entry) in entries.iter().enumerate() {
                let Some(name) = entry.get("ContextKeyName").and_then(Value::as_str) else {
                    return Err(at(
                        format!("/{i}/ContextKeyName"),
                        "missing: each entry needs ContextKeyName and ContextKeyValues",
                    ));
                };
                let Some(items) = entry.get("ContextKeyValues").and_then(Value::as_array) else {
                    return Err(at(
                        format!("/{i}/ContextKeyValues"),
                        "missing or not an array",
                    ));
                };
                let values = items
                    .iter()
                    .enumerate()
                    .map(|(j, item)| {
                        scalar(item).ok_or_else(|| {
                            at(
                                format!("/{i}/ContextKeyValues/{j}"),
                                "expected a string, number or boolean",
                            )
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let list = entry
                    .get("ContextKeyType")
                    .and_then(Value::as_str)
                    .is_some_and(|kind| kind.ends_with("List"));
                let value = match values.as_slice() {
                    [one] if !list => KeyValue::One(one.clone()),
                    _ => KeyValue::Many(values),
                };
                keys.push((name.to_string(), value));
            }
        }
        _ => {
            return Err(at(
                "/".to_string(),
                "expected an object of condition keys or a list of context entries",
            ))
        }
    }
    Ok(keys)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(_) | Value::Number(_) => Some(value.to_string()),
        _ => None,
    }
}

fn parse_context(entry: &str) -> Result<(String, KeyValue)> {
    let Some((key, value)) = entry.split_once('=') else {
        bail!(
            "--context `{entry}` must be KEY=VALUE (for example aws:MultiFactorAuthPresent=true)"
        );
    };
    let key = key.trim();
    if key.is_empty() {
        bail!("--context `{entry}` has no key");
    }
    if value.trim_start().starts_with('[') {
        let items: Vec<Value> = serde_json::from_str(value).map_err(|err| {
            anyhow!("--context {key}: `{value}` is not a JSON array of values: {err}")
        })?;
        let values = items
            .iter()
            .map(|item| {
                scalar(item).ok_or_else(|| {
                    anyhow!("--context {key}: {item} is not a string, number or boolean")
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok((key.to_string(), KeyValue::Many(values)));
    }
    Ok((key.to_string(), KeyValue::One(value.to_string())))
}

/// Reads the account behind --from.
fn load_account(from: &Path) -> Result<Snapshot> {
    if from.is_dir() {
        let has_report = [CREDENTIAL_REPORT_JSON, CREDENTIAL_REPORT_CSV]
            .iter()
            .any(|name| from.join(name).is_file());
        let details = from.join(AUTHORIZATION_DETAILS);
        if has_report || !details.is_file() {
            return Ok(mfaguard_core::offline::read_dir(from, chrono::Utc::now())?);
        }
        // Only the policies are needed: the credential report is optional.
        return authorization_details_only(&details);
    }
    let text = mfaguard_core::error::read_text(from)?;
    let is_snapshot = serde_json::from_str::<Value>(&text)
        .ok()
        .is_some_and(|value| value.get("schema_version").is_some());
    if is_snapshot {
        Ok(Snapshot::load(from)?)
    } else {
        authorization_details_only(from)
    }
}

/// A snapshot holding only `get-account-authorization-details`.
fn authorization_details_only(path: &Path) -> Result<Snapshot> {
    let text = mfaguard_core::error::read_text(path)?;
    let details: AuthorizationDetails = mfaguard_core::error::parse_json(path, &text)?;
    let account_id = details
        .user_detail_list
        .iter()
        .map(|user| &user.arn)
        .chain(details.role_detail_list.iter().map(|role| &role.arn))
        .find_map(|arn| account_of_arn(arn));
    Ok(Snapshot {
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        account_id,
        source: SnapshotSource {
            kind: SourceKind::Offline,
            location: path.display().to_string(),
            collected_at: chrono::Utc::now(),
            missing: Vec::new(),
            api_calls: BTreeMap::new(),
            retries: None,
        },
        credential_report: mfaguard_core::credential_report::CredentialReport {
            generated_time: None,
            rows: Vec::new(),
        },
        authorization_details: Some(details),
        virtual_mfa_devices: None,
        mfa_devices: None,
        account_summary: None,
        identity_providers: None,
        service_control_policies: None,
    })
}

// ---------------------------------------------------------------------------
// The identity behind --from

enum Found<'a> {
    User(&'a UserDetail),
    /// The role, and the session name when an assumed-role ARN was given.
    Role(&'a RoleDetail, Option<String>),
}

/// Finds a user or role by name (exact, then ignoring case as IAM does) or
/// ARN, or a role by one of its session ARNs
/// (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`).
fn find_principal<'a>(details: &'a AuthorizationDetails, wanted: &str) -> Result<Found<'a>> {
    let users = &details.user_detail_list;
    let roles = &details.role_detail_list;
    if wanted.starts_with("arn:") {
        if let Some(user) = users.iter().find(|user| user.arn == wanted) {
            return Ok(Found::User(user));
        }
        if let Some(role) = roles.iter().find(|role| role.arn == wanted) {
            return Ok(Found::Role(role, None));
        }
        if let Some((name, session)) = wanted
            .split(':')
            .nth(5)
            .and_then(|resource| resource.strip_prefix("assumed-role/"))
            .and_then(|rest| rest.split_once('/'))
        {
            let account = account_of_arn(wanted);
            if let Some(role) = roles
                .iter()
                .find(|role| role.role_name == name && account_of_arn(&role.arn) == account)
            {
                return Ok(Found::Role(role, Some(session.to_string())));
            }
        }
        let name = wanted.rsplit(['/', ':']).next().unwrap_or(wanted);
        bail!("{}", unknown_principal(wanted, name, details));
    }

    for exact in [true, false] {
        let same = |name: &str| {
            if exact {
                name == wanted
            } else {
                name.eq_ignore_ascii_case(wanted)
            }
        };
        let user = users.iter().find(|user| same(&user.user_name));
        let role = roles.iter().find(|role| same(&role.role_name));
        match (user, role) {
            (Some(user), Some(role)) => bail!(
                "`{wanted}` is both a user and a role; give the ARN: {} or {}",
                user.arn,
                role.arn
            ),
            (Some(user), None) => return Ok(Found::User(user)),
            (None, Some(role)) => return Ok(Found::Role(role, None)),
            (None, None) => {}
        }
    }
    bail!("{}", unknown_principal(wanted, wanted, details))
}

/// "no user or role named X; did you mean A, B?" with the closest names.
fn unknown_principal(wanted: &str, name: &str, details: &AuthorizationDetails) -> String {
    let lower = name.to_lowercase();
    let mut close: Vec<(usize, &str)> = details
        .user_detail_list
        .iter()
        .map(|user| user.user_name.as_str())
        .chain(
            details
                .role_detail_list
                .iter()
                .map(|role| role.role_name.as_str()),
        )
        .filter_map(|candidate| {
            let candidate_lower = candidate.to_lowercase();
            let distance = edit_distance(&lower, &candidate_lower);
            let near = distance <= (lower.chars().count() / 3).max(2);
            let part = lower.chars().count() >= 3
                && (candidate_lower.contains(&lower) || lower.contains(&candidate_lower));
            (near || part).then_some((distance, candidate))
        })
        .collect();
    close.sort();
    close.dedup_by(|a, b| a.1 == b.1);
    let close: Vec<&str> = close.into_iter().take(5).map(|(_, name)| name).collect();
    let count = details.user_detail_list.len() + details.role_detail_list.len();
    let mut message =
        format!("no user or role `{wanted}` among the account's {count} users and roles");
    if !close.is_empty() {
        let _ = write!(message, "; did you mean {}?", close.join(", "));
    }
    message
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The keys AWS sets for a request signed by an IAM user.
fn user_keys(keys: &mut Keys, user: &UserDetail, account: Option<&str>) {
    keys.set("aws:username", KeyValue::One(user.user_name.clone()));
    keys.set("aws:userid", KeyValue::One(user.user_id.clone()));
    principal_keys(keys, &user.arn, "User", account, &user.tags);
}

/// The keys AWS sets for a request signed by a session of a role.
fn role_keys(keys: &mut Keys, role: &RoleDetail, session: Option<&str>, account: Option<&str>) {
    if let Some(session) = session {
        keys.set(
            "aws:userid",
            KeyValue::One(format!("{}:{session}", role.role_id)),
        );
    }
    principal_keys(keys, &role.arn, "AssumedRole", account, &role.tags);
}

fn principal_keys(keys: &mut Keys, arn: &str, kind: &str, account: Option<&str>, tags: &[Tag]) {
    keys.set("aws:PrincipalArn", KeyValue::One(arn.to_string()));
    keys.set("aws:PrincipalType", KeyValue::One(kind.to_string()));
    if let Some(account) = account {
        keys.set("aws:PrincipalAccount", KeyValue::One(account.to_string()));
    }
    for tag in tags {
        keys.set(
            &format!("aws:PrincipalTag/{}", tag.key),
            KeyValue::One(tag.value.clone()),
        );
    }
}

// ---------------------------------------------------------------------------
// Text output

#[derive(Clone, Copy)]
struct Paint {
    on: bool,
}

impl Paint {
    /// Coloured on a terminal unless NO_COLOR is set (as `scan` does).
    fn for_stdout() -> Paint {
        Paint {
            on: std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()),
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

struct View<'a> {
    action: &'a str,
    resource: &'a str,
    principal: Option<&'a str>,
    identity: Option<&'a Identity>,
    keys: &'a Keys,
    open_world: bool,
    scp_levels: usize,
    gaps: &'a [String],
    scps_unknown: bool,
}

fn layer_name(layer: Layer, level: Option<usize>, levels: usize) -> String {
    match layer {
        Layer::Scp => {
            let level = level.unwrap_or_default();
            let place = if levels > 1 && level == 0 {
                " (root)"
            } else if levels > 1 && level + 1 == levels {
                " (account)"
            } else {
                ""
            };
            format!("SCP level {level}{place}")
        }
        Layer::PermissionsBoundary => "permissions boundary".to_string(),
        Layer::Identity => "identity policy".to_string(),
        Layer::Resource => "resource policy".to_string(),
        Layer::Builtin => "built-in rule".to_string(),
    }
}

fn reason_line(reason: &Reason, levels: usize) -> String {
    let mut line = format!(
        "    {}: {}",
        layer_name(reason.layer, reason.scp_level, levels),
        reason.policy
    );
    if let Some(index) = reason.statement {
        let _ = write!(line, ", Statement[{index}]");
    }
    if let Some(sid) = &reason.sid {
        let _ = write!(line, " Sid {sid}");
    }
    let _ = write!(line, ": {}", reason.effect);
    if reason.conditional {
        line.push_str(" (if the unknown keys let it apply)");
    }
    if let Some(note) = reason.note {
        let _ = write!(line, " — {note}");
    }
    line
}

fn missing_line(missing: &MissingAllow, levels: usize) -> String {
    let what = match missing.layer {
        Layer::Scp => format!(
            "{}: no service control policy at this level allows the action",
            layer_name(Layer::Scp, missing.scp_level, levels)
        ),
        Layer::PermissionsBoundary => {
            "the permissions boundary: it does not allow the action".to_string()
        }
        Layer::Identity => "the identity policies: none allows the action".to_string(),
        Layer::Resource => {
            "the resource policy: it does not allow this principal the action".to_string()
        }
        Layer::Builtin => "a built-in rule".to_string(),
    };
    format!("  No Allow in {what}\n")
}

fn render(view: &View<'_>, decision: &Decision, paint: Paint) -> String {
    let (word, code) = match decision.kind {
        DecisionKind::Allowed => ("ALLOWED", "1;32"),
        DecisionKind::ImplicitDeny => ("DENIED (implicit: nothing allows it)", "1;33"),
        DecisionKind::ExplicitDeny => ("DENIED (explicit Deny)", "1;31"),
    };
    let mut out = String::new();
    let _ = write!(out, "{}", paint.wrap(code, word));
    if !decision.depends_on.is_empty() {
        out.push_str(" (if the unknown keys allow it)");
    }
    out.push('\n');
    let _ = write!(out, "  request: {} on {}", view.action, view.resource);
    if let Some(principal) = view.principal {
        let _ = write!(out, " by {principal}");
    }
    out.push('\n');
    if let Some(identity) = view.identity {
        let _ = writeln!(
            out,
            "  policies of the {} {} ({})",
            identity.kind, identity.name, identity.arn
        );
    }
    if !view.gaps.is_empty() {
        let _ = writeln!(
            out,
            "  {} some policies could not be evaluated, so this decision may be wrong:",
            paint.wrap("1;33", "warning:")
        );
        for gap in view.gaps {
            let _ = writeln!(out, "    - {gap}");
        }
    }
    if view.keys.0.is_empty() {
        let _ = writeln!(
            out,
            "  context: no keys ({})",
            if view.open_world {
                "every key unknown"
            } else {
                "every key absent"
            }
        );
    } else {
        let _ = writeln!(
            out,
            "  context{}:",
            if view.open_world {
                " (keys not listed are unknown)"
            } else {
                " (keys not listed are absent)"
            }
        );
        for (key, value) in view.keys.0.values() {
            let _ = writeln!(out, "    {key} = {}", value.to_text());
        }
    }

    if !decision.reasons.is_empty() {
        let heading = match decision.kind {
            DecisionKind::ExplicitDeny => "Denied by",
            DecisionKind::Allowed => "Allowed by",
            DecisionKind::ImplicitDeny => "Allowed by (not enough on its own)",
        };
        let _ = writeln!(out, "  {heading}:");
        for reason in &decision.reasons {
            let _ = writeln!(out, "{}", reason_line(reason, view.scp_levels));
        }
    }
    if let Some(missing) = &decision.missing_allow {
        out.push_str(&missing_line(missing, view.scp_levels));
    }
    if !decision.depends_on.is_empty() {
        let keys: Vec<&str> = decision.depends_on.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "  Depends on the unknown keys: {} (assumed in the least safe way)",
            keys.join(", ")
        );
    }
    if view.scps_unknown {
        let _ = writeln!(
            out,
            "note: service control policies are not in the inputs and were not evaluated \
             (an SCP could still deny this)"
        );
    }
    out
}
