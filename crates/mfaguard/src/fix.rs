//! `mfaguard fix policy` and `mfaguard fix plan`: argument parsing and
//! wiring; the change, its rendering and the what-if live in
//! `mfaguard_core::fix`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};

use mfaguard_core::fix::{self, Exemption, FixFormat, FixOptions, FixSet, ScpOptions};
use mfaguard_core::identity::Tier;
use mfaguard_core::{Config, Snapshot};

use crate::output::{write_stdout, Format};

#[derive(Subcommand)]
pub enum FixCommand {
    /// Print the MFA enforcement policies for the account: the self-service
    /// policy and its groups, trust-policy patches, and the SCP.
    Policy(PolicyArgs),
    /// Apply the change to a copy of the snapshot, re-run the analysis and
    /// print what changes: coverage, lockouts, breakages, rollout.
    Plan(PlanArgs),
}

#[derive(clap::Args)]
pub struct Source {
    /// Folder of AWS CLI outputs, as for `scan --from`.
    #[arg(long, value_name = "DIR", conflicts_with = "snapshot")]
    from: Option<PathBuf>,
    /// A snapshot saved with --save-snapshot or `mfaguard collect`.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Configuration (TOML): break-glass users, exceptions.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Evaluate as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TierArg {
    Breakglass,
    Privileged,
    Human,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExemptionArg {
    Exempt,
    Include,
}

impl From<ExemptionArg> for Exemption {
    fn from(arg: ExemptionArg) -> Exemption {
        match arg {
            ExemptionArg::Exempt => Exemption::Exempt,
            ExemptionArg::Include => Exemption::Include,
        }
    }
}

#[derive(clap::Args)]
pub struct ChangeArgs {
    /// Tiers to fix (repeatable; default breakglass, privileged and human).
    #[arg(long = "tier", value_enum, value_name = "TIER")]
    tiers: Vec<TierArg>,
    /// Name of the self-service policy.
    #[arg(long, default_value = fix::generate_defaults::POLICY)]
    policy_name: String,
    /// Name of the group created for people in no suitable group.
    #[arg(long, default_value = fix::generate_defaults::GROUP)]
    group_name: String,
    /// Add NumericLessThan aws:MultiFactorAuthAge SECONDS to patched trust
    /// policies.
    #[arg(long, value_name = "SECONDS")]
    max_mfa_age: Option<u64>,
    /// SCP: exempt role sessions (services, pipelines, people in roles
    /// whose trust policies require MFA) or include them.
    #[arg(long, value_enum, default_value_t = ExemptionArg::Exempt)]
    scp_service_roles: ExemptionArg,
    /// SCP: say service-linked roles are exempt (AWS never applies SCPs to
    /// them) or leave them out of the exemption list.
    #[arg(long, value_enum, default_value_t = ExemptionArg::Exempt)]
    scp_service_linked_roles: ExemptionArg,
    /// SCP: exempt users under this path (the break-glass path, e.g.
    /// /breakglass/). Default: break-glass users need MFA too.
    #[arg(long, value_name = "PATH")]
    scp_breakglass_path: Option<String>,
}

impl ChangeArgs {
    fn options(&self) -> FixOptions {
        let mut options = FixOptions {
            policy_name: self.policy_name.clone(),
            group_name: self.group_name.clone(),
            max_mfa_age_seconds: self.max_mfa_age,
            scp: ScpOptions {
                service_roles: self.scp_service_roles.into(),
                service_linked_roles: self.scp_service_linked_roles.into(),
                breakglass_path: self.scp_breakglass_path.clone(),
            },
            ..FixOptions::default()
        };
        if !self.tiers.is_empty() {
            options.tiers = self
                .tiers
                .iter()
                .map(|tier| match tier {
                    TierArg::Breakglass => Tier::Breakglass,
                    TierArg::Privileged => Tier::Privileged,
                    TierArg::Human => Tier::Human,
                })
                .collect();
        }
        options
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PolicyFormat {
    Json,
    Terraform,
    CloudformationYaml,
    CloudformationJson,
}

#[derive(clap::Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    change: ChangeArgs,
    #[arg(long, value_enum, default_value_t = PolicyFormat::Json)]
    format: PolicyFormat,
    /// Write every form into DIR instead: POLICY.json, scp-NAME.json,
    /// trust-ROLE.json, main.tf, template.yaml, template.json.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    change: ChangeArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Access keys used within this many days count as automation in use.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    recent_days: i64,
    /// Save the patched snapshot: `mfaguard scan --snapshot FILE` shows the
    /// state after the change.
    #[arg(long, value_name = "FILE")]
    write_snapshot: Option<PathBuf>,
}

fn load(source: &Source) -> Result<(Snapshot, Config, chrono::DateTime<chrono::Utc>)> {
    let now = crate::scan::parse_now(source.now.as_deref())?;
    let config = crate::scan::load_config(source.config.as_deref(), None, now)?;
    let snapshot = match (&source.from, &source.snapshot) {
        (Some(dir), _) => mfaguard_core::offline::read_dir(dir, now)?,
        (None, Some(file)) => Snapshot::load(file)?,
        (None, None) => bail!("give the account with --from DIR or --snapshot FILE"),
    };
    if snapshot.authorization_details.is_none() {
        bail!("the account's authorization details (account-authorization-details.json) are needed to generate policies");
    }
    Ok((snapshot, config, now))
}

fn generate(snapshot: &Snapshot, config: &Config, change: &ChangeArgs) -> FixSet {
    let identities = mfaguard_core::inventory::build(snapshot, config);
    fix::generate(snapshot, &identities, &change.options())
}

pub fn run(command: FixCommand) -> Result<u8> {
    match command {
        FixCommand::Policy(args) => policy(args),
        FixCommand::Plan(args) => plan(args),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn policy(args: PolicyArgs) -> Result<u8> {
    let (snapshot, config, _) = load(&args.source)?;
    let fix = generate(&snapshot, &config, &args.change);
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let pretty = |value: &serde_json::Value| {
            serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
        };
        write(
            &dir.join(format!("{}.json", fix.policy_name)),
            &pretty(&fix.self_service_policy),
        )?;
        write(
            &dir.join(format!("scp-{}.json", fix.scp_name)),
            &pretty(&fix.scp),
        )?;
        for patch in &fix.trust_patches {
            write(
                &dir.join(format!("trust-{}.json", patch.role_name)),
                &pretty(&patch.after),
            )?;
        }
        write(
            &dir.join("main.tf"),
            &fix::render(&fix, FixFormat::Terraform),
        )?;
        write(
            &dir.join("template.yaml"),
            &fix::render(&fix, FixFormat::CloudformationYaml),
        )?;
        write(
            &dir.join("template.json"),
            &fix::render(&fix, FixFormat::CloudformationJson),
        )?;
        write(&dir.join("fix.json"), &fix::render(&fix, FixFormat::Json))?;
        eprintln!("wrote the policies to {}", dir.display());
        return Ok(0);
    }
    let format = match args.format {
        PolicyFormat::Json => FixFormat::Json,
        PolicyFormat::Terraform => FixFormat::Terraform,
        PolicyFormat::CloudformationYaml => FixFormat::CloudformationYaml,
        PolicyFormat::CloudformationJson => FixFormat::CloudformationJson,
    };
    write_stdout(&fix::render(&fix, format))?;
    Ok(0)
}

fn plan(args: PlanArgs) -> Result<u8> {
    if args.recent_days < 0 {
        bail!("--recent-days must not be negative");
    }
    let (snapshot, config, now) = load(&args.source)?;
    let fix = generate(&snapshot, &config, &args.change);
    let (plan, patched) = fix::plan(&snapshot, &fix, &config, now, args.recent_days);
    if let Some(path) = &args.write_snapshot {
        patched.save(path)?;
    }
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&plan)? + "\n",
        Format::Text => fix::render_plan_text(&plan),
    };
    write_stdout(&text)?;
    Ok(0)
}
