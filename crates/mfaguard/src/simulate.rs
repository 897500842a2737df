//! `mfaguard simulate`: evaluate one request against policies given as files,
//! or against the real policies of a user or role of an exported account.
//!
//! The exit code is 0 whenever a decision was made, whatever it is; 2 for any
//! error (an unreadable policy names the file and the JSON path).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::ValueEnum;
use serde_json::json;

use iam_policy::{PolicySet, Request, ResourcePolicyMode, World};
use mfaguard_core::simulation::{
    account_policies, load_account, parse_context_entry, read_context_file, read_policy, scp_files,
    unknown_action_warning, ContextKeys, MfaRow, MFA_AGE, MFA_PRESENT,
};
use mfaguard_report::{render_simulation, SimulationView};

use crate::output::{stdout_color, write_stdout, Format};

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

pub fn run(args: SimulateArgs) -> Result<u8> {
    let mut set = PolicySet::new();
    let mut keys = ContextKeys::default();
    let mut principal = args.principal.clone();
    let mut identity = None;
    let mut gaps = Vec::new();
    let mut scps_known = true;

    if let Some(from) = &args.from {
        let Some(wanted) = &args.principal else {
            bail!("--from needs --principal NAME_OR_ARN: the user or role whose policies are evaluated");
        };
        let account = account_policies(&load_account(from)?, wanted)?;
        set = account.set;
        keys = account.keys;
        principal = Some(account.principal_arn);
        identity = Some(account.identity);
        gaps = account.gaps;
        scps_known = account.scps_known;
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
    let mut given = ContextKeys::default();
    for entry in &args.context {
        let (key, value) = parse_context_entry(entry)?;
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
        for (key, value) in row.keys() {
            keys.set(key, value);
        }
    }
    keys.extend(given);
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
    let warnings: Vec<String> = unknown_action_warning(&args.action).into_iter().collect();

    let text = match args.format {
        Format::Json => {
            let mut echo = json!({
                "action": args.action,
                "resource": args.resource,
                "principal": principal,
                "context": keys.to_json(),
            });
            if args.open_world {
                echo["open_world"] = json!(true);
            }
            let mut value = serde_json::to_value(&decision)?;
            if let Some(object) = value.as_object_mut() {
                object.insert("request".to_string(), echo);
                if !warnings.is_empty() {
                    object.insert("warnings".to_string(), json!(warnings));
                }
                if let Some(identity) = &identity {
                    object.insert(
                        "identity".to_string(),
                        json!({"type": identity.kind, "name": identity.name, "arn": identity.arn}),
                    );
                    object.insert("gaps".to_string(), json!(gaps));
                    object.insert("scps_evaluated".to_string(), json!(scps_known));
                }
            }
            for warning in &warnings {
                eprintln!("warning: {warning}");
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
            let view = SimulationView {
                action: &args.action,
                resource: &args.resource,
                principal: principal.as_deref(),
                identity: identity.as_ref(),
                keys: &keys,
                open_world: args.open_world,
                scp_levels: set.scp_level_count(),
                gaps: &gaps,
                scps_unknown: identity.is_some() && !scps_known,
                warnings: &warnings,
            };
            render_simulation(&view, &decision, stdout_color())
        }
    };
    write_stdout(&text)?;
    Ok(0)
}

/// The MFA row chosen with --no-mfa, --console-no-mfa or --mfa-age, and
/// the flag that chose it.
fn mfa_row(args: &SimulateArgs) -> Option<(&'static str, MfaRow)> {
    if args.no_mfa {
        Some(("--no-mfa", MfaRow::AccessKeys))
    } else if args.console_no_mfa {
        Some(("--console-no-mfa", MfaRow::ConsoleWithoutMfa))
    } else {
        args.mfa_age
            .map(|age_seconds| ("--mfa-age", MfaRow::WithMfa { age_seconds }))
    }
}
