//! `mfaguard simulate`: evaluate one request against policies given as files,
//! or against the real policies of a user or role of an exported account.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use clap::ValueEnum;
use serde_json::{json, Value};

use iam_policy::{Context, Decision, DecisionKind, Policy, PolicySet, Request, ResourcePolicyMode};
use mfaguard_core::policies::PolicyIndex;
use mfaguard_core::policy_set::PolicyCache;

use crate::output::{write_stdout, Format};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  mfaguard simulate --policy force-mfa.json --policy admin.json --action ec2:RunInstances
  mfaguard simulate --policy p.json --action s3:GetObject --resource arn:aws:s3:::b/k \\
      --context aws:MultiFactorAuthPresent=true --context aws:MultiFactorAuthAge=300
  mfaguard simulate --from ./my-account --principal alice --action iam:CreateAccessKey")]
pub struct SimulateArgs {
    /// Identity-based policy (JSON, URL-encoded JSON, or the output of
    /// `aws iam get-policy-version`); repeat for several.
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// Permissions boundary policy.
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// Service control policy; each --scp is one level, from the root down
    /// to the account. Several SCPs at one level: --scp A.json,B.json
    #[arg(long = "scp", value_name = "FILE[,FILE...]")]
    scps: Vec<String>,
    /// Resource-based policy (a role's trust policy for sts:AssumeRole; the
    /// output of `aws iam get-role` is accepted).
    #[arg(long, value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// How the resource policy combines with identity policies.
    #[arg(long, value_enum, default_value_t = ModeArg::RequireBoth)]
    resource_policy_mode: ModeArg,
    /// The action, e.g. iam:ListMFADevices.
    #[arg(long)]
    action: String,
    /// The resource ARN.
    #[arg(long, default_value = "*")]
    resource: String,
    /// The calling principal's ARN; with --from, the user or role (name or
    /// ARN) whose policies are evaluated.
    #[arg(long, value_name = "ARN")]
    principal: Option<String>,
    /// A request context key: KEY=VALUE, or KEY=["a","b"] for a multi-valued
    /// key. Keys not given are absent.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Folder of AWS CLI exports (as for `scan --from`): evaluate the real
    /// policies of --principal (inline, attached, groups, boundary, SCPs).
    #[arg(long, value_name = "DIR")]
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

pub fn run(args: SimulateArgs) -> Result<u8> {
    let mut set = PolicySet::new();
    let mut gaps = Vec::new();
    let mut scps_known = true;
    let mut context = Context::new();
    let mut principal = args.principal.clone();

    if let Some(dir) = &args.from {
        let Some(wanted) = &args.principal else {
            bail!("--from needs --principal NAME_OR_ARN: the user or role to evaluate");
        };
        let snapshot = mfaguard_core::offline::read_dir(dir, chrono::Utc::now())?;
        let Some(details) = &snapshot.authorization_details else {
            bail!(
                "{}: account-authorization-details.json is missing: no policies to evaluate",
                dir.display()
            );
        };
        let index = PolicyIndex::new(details);
        let user = details
            .user_detail_list
            .iter()
            .find(|user| &user.user_name == wanted || &user.arn == wanted);
        let role = details
            .role_detail_list
            .iter()
            .find(|role| &role.role_name == wanted || &role.arn == wanted);
        let account = snapshot.account_id.clone().unwrap_or_default();
        let resolved = match (user, role) {
            (Some(user), _) => {
                context.insert("aws:username", &user.user_name);
                context.insert("aws:userid", &user.user_id);
                context.insert("aws:PrincipalType", "User");
                context.insert("aws:PrincipalArn", &user.arn);
                principal = Some(user.arn.clone());
                index.for_user(user)
            }
            (None, Some(role)) => {
                context.insert("aws:PrincipalType", "AssumedRole");
                context.insert("aws:PrincipalArn", &role.arn);
                principal = Some(role.arn.clone());
                index.for_role(role)
            }
            (None, None) => {
                let names = details
                    .user_detail_list
                    .iter()
                    .map(|user| user.user_name.as_str())
                    .chain(
                        details
                            .role_detail_list
                            .iter()
                            .map(|r| r.role_name.as_str()),
                    );
                bail!("{}", unknown_principal(wanted, names));
            }
        };
        if !account.is_empty() {
            context.insert("aws:PrincipalAccount", &account);
        }
        let effective = PolicyCache::new().effective(&snapshot, &resolved);
        set = effective.set;
        gaps = effective.gaps;
        scps_known = effective.scps_known;
    }

    for file in &args.policies {
        set.add_identity(file.display().to_string(), read_policy(file)?);
    }
    if let Some(file) = &args.boundary {
        set.add_boundary(file.display().to_string(), read_policy(file)?);
    }
    for level in &args.scps {
        let mut policies = Vec::new();
        for file in level.split(',').filter(|file| !file.is_empty()) {
            let path = Path::new(file);
            policies.push((path.display().to_string(), read_policy(path)?));
        }
        set.add_scp_level(policies);
    }
    if let Some(file) = &args.resource_policy {
        set.set_resource_policy(file.display().to_string(), read_policy(file)?);
        set.set_resource_policy_mode(args.resource_policy_mode.into());
    }
    if args.from.is_none()
        && args.policies.is_empty()
        && args.resource_policy.is_none()
        && args.scps.is_empty()
        && args.boundary.is_none()
    {
        bail!("give the policies to evaluate: --policy FILE (and --boundary, --scp, --resource-policy), or --from DIR --principal NAME");
    }

    for entry in &args.context {
        let (key, value) = parse_context(entry)?;
        match value {
            ContextValue::One(value) => context.insert(&key, value),
            ContextValue::Many(values) => context.insert_values(&key, values),
        }
    }

    let mut request = Request::new(&args.action, &args.resource, &context);
    if let Some(principal) = &principal {
        request = request.with_principal(principal);
    }
    let decision = set.evaluate(&request);

    let text = match args.format {
        Format::Json => {
            let mut value = serde_json::to_value(&decision)?;
            if let Some(object) = value.as_object_mut() {
                object.insert(
                    "request".to_string(),
                    json!({
                        "action": args.action,
                        "resource": args.resource,
                        "principal": principal,
                        "context": args.context,
                    }),
                );
                if args.from.is_some() {
                    object.insert("gaps".to_string(), json!(gaps));
                    object.insert("scps_evaluated".to_string(), json!(scps_known));
                }
            }
            let mut text = serde_json::to_string_pretty(&value)?;
            text.push('\n');
            text
        }
        Format::Text => render(
            &args,
            principal.as_deref(),
            &decision,
            &gaps,
            args.from.is_some() && !scps_known,
        ),
    };
    write_stdout(&text)?;
    Ok(0)
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
        .iter()
        .find_map(|pointer| value.pointer(pointer).cloned())
    });
    let parsed = match wrapped {
        Some(Value::String(inner)) => Policy::parse(&inner),
        Some(inner) => Policy::from_value(&inner),
        None => Policy::parse(&text),
    };
    parsed.map_err(|err| anyhow!("{}: {err}", path.display()))
}

enum ContextValue {
    One(String),
    Many(Vec<String>),
}

fn parse_context(entry: &str) -> Result<(String, ContextValue)> {
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
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                Value::Bool(_) | Value::Number(_) => Ok(item.to_string()),
                other => Err(anyhow!(
                    "--context {key}: {other} is not a string, number or boolean"
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok((key.to_string(), ContextValue::Many(values)));
    }
    Ok((key.to_string(), ContextValue::One(value.to_string())))
}

fn unknown_principal<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> String {
    let lower = wanted.to_ascii_lowercase();
    let mut close: Vec<&str> = names
        .filter(|name| {
            let name = name.to_ascii_lowercase();
            name.contains(&lower) || lower.contains(&name)
        })
        .collect();
    close.truncate(5);
    if close.is_empty() {
        format!("no user or role named `{wanted}` in the account")
    } else {
        format!(
            "no user or role named `{wanted}` in the account; did you mean {}?",
            close.join(", ")
        )
    }
}

fn render(
    args: &SimulateArgs,
    principal: Option<&str>,
    decision: &Decision,
    gaps: &[String],
    scps_unknown: bool,
) -> String {
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    let (word, code) = match decision.kind {
        DecisionKind::Allowed => ("allowed", "32"),
        DecisionKind::ImplicitDeny => ("implicit_deny", "33"),
        DecisionKind::ExplicitDeny => ("explicit_deny", "31"),
    };
    let word = if color {
        format!("\x1b[1;{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    };
    let mut out = format!("{word}  {} on {}", args.action, args.resource);
    if let Some(principal) = principal {
        out.push_str(&format!(" by {principal}"));
    }
    out.push('\n');
    let heading = match decision.kind {
        DecisionKind::ExplicitDeny => "denied by",
        _ => "allowed by",
    };
    if !decision.reasons.is_empty() {
        out.push_str(&format!("  {heading}:\n"));
        for reason in &decision.reasons {
            let layer = serde_json::to_value(reason.layer)
                .ok()
                .and_then(|value| value.as_str().map(str::to_string))
                .unwrap_or_default();
            let mut line = format!("    {layer}");
            if let Some(level) = reason.scp_level {
                line.push_str(&format!(" (level {level})"));
            }
            line.push_str(&format!("  {}", reason.policy));
            if let Some(index) = reason.statement {
                line.push_str(&format!(" statement {index}"));
            }
            if let Some(sid) = &reason.sid {
                line.push_str(&format!(" ({sid})"));
            }
            line.push_str(&format!(": {}", reason.effect));
            if let Some(note) = reason.note {
                line.push_str(&format!(" — {note}"));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    if let Some(missing) = &decision.missing_allow {
        let layer = serde_json::to_value(missing.layer)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        let level = missing
            .scp_level
            .map(|level| format!(" (level {level})"))
            .unwrap_or_default();
        out.push_str(&format!("  no Allow in: {layer}{level}\n"));
    }
    if !decision.depends_on.is_empty() {
        let keys: Vec<&str> = decision.depends_on.iter().map(String::as_str).collect();
        out.push_str(&format!("  depends on: {}\n", keys.join(", ")));
    }
    if !gaps.is_empty() {
        out.push_str("  warning: some policies could not be read, the decision may be wrong:\n");
        for gap in gaps {
            out.push_str(&format!("    - {gap}\n"));
        }
    }
    if scps_unknown {
        out.push_str(
            "  note: service control policies were not in the inputs and were not evaluated\n",
        );
    }
    out
}
