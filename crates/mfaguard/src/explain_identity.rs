//! `mfaguard explain-identity`: everything mfaguard knows about one user or
//! role: tier, devices, enforcement verdict with the deciding statements,
//! what it can do without MFA, and its check results.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Result};
use mfaguard_core::identity::Identity;
use mfaguard_core::{CheckResult, Config, Snapshot, Status};

use crate::output::{write_stdout, Format};

#[derive(clap::Args)]
pub struct ExplainIdentityArgs {
    /// User or role name, or its ARN (`root` for the root user).
    identity: String,
    /// Folder of AWS CLI outputs, as for `scan --from`.
    #[arg(long, value_name = "DIR", conflicts_with = "snapshot")]
    from: Option<PathBuf>,
    /// A snapshot saved with --save-snapshot or `mfaguard collect`.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Configuration (TOML): break-glass users, exceptions.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Evaluate as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
}

pub fn run(args: ExplainIdentityArgs) -> Result<u8> {
    let now = crate::scan::parse_now(args.now.as_deref())?;
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::new(),
    };
    let snapshot = match (&args.from, &args.snapshot) {
        (Some(dir), _) => mfaguard_core::offline::read_dir(dir, now)?,
        (None, Some(file)) => Snapshot::load(file)?,
        (None, None) => bail!("give the account with --from DIR or --snapshot FILE"),
    };
    let report = mfaguard_core::analyze(std::slice::from_ref(&snapshot), &config, now);
    let wanted = args.identity.as_str();
    let found = report.identities.iter().find(|identity| {
        identity.arn == wanted
            || identity.name == wanted
            || (wanted.eq_ignore_ascii_case("root") && identity.name == "<root_account>")
    });
    let Some(identity) = found else {
        let mut close: Vec<&str> = report
            .identities
            .iter()
            .map(|identity| identity.name.as_str())
            .filter(|name| {
                let name = name.to_ascii_lowercase();
                let wanted = wanted.to_ascii_lowercase();
                name.contains(&wanted) || wanted.contains(&name)
            })
            .collect();
        close.truncate(5);
        if close.is_empty() {
            bail!("no user or role named `{wanted}` in the account");
        }
        bail!(
            "no user or role named `{wanted}` in the account; did you mean {}?",
            close.join(", ")
        );
    };
    let results: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|result| result.resource_arn == identity.arn)
        .collect();
    let text = match args.format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&serde_json::json!({
                "identity": identity,
                "results": results,
            }))?;
            text.push('\n');
            text
        }
        Format::Text => render(identity, &results),
    };
    write_stdout(&text)?;
    Ok(0)
}

fn render(identity: &Identity, results: &[&CheckResult]) -> String {
    let mut out = String::new();
    let kind = serde_json::to_value(identity.kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(out, "{} ({kind})", identity.name);
    let _ = writeln!(out, "  arn:          {}", identity.arn);
    let _ = writeln!(out, "  tier:         {}", identity.tier.as_str());
    let console = match identity.console_access {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    let _ = writeln!(out, "  console:      {console}");
    let mfa = match identity.mfa.active {
        Some(true) => format!("active ({})", identity.mfa.describe_devices()),
        Some(false) => "none".to_string(),
        None => "unknown".to_string(),
    };
    let _ = writeln!(out, "  MFA:          {mfa}");
    if !identity.groups.is_empty() {
        let _ = writeln!(out, "  groups:       {}", identity.groups.join(", "));
    }
    let privileged = match identity.privilege.privileged {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    let _ = writeln!(out, "  privileged:   {privileged}");
    for reason in identity.privilege.reasons.iter().take(5) {
        let _ = writeln!(out, "    - {reason}");
    }
    if identity.privilege.reasons.len() > 5 {
        let _ = writeln!(
            out,
            "    - and {} more",
            identity.privilege.reasons.len() - 5
        );
    }
    match identity.enforcement {
        Some(verdict) => {
            let _ = writeln!(out, "  enforcement:  {verdict}");
            for reason in &identity.enforcement_reasons {
                let _ = writeln!(out, "    - {reason}");
            }
        }
        None => {
            let _ = writeln!(
                out,
                "  enforcement:  not analysed (not a console user or a role people assume)"
            );
        }
    }
    if let Some(allowed) = &identity.allowed_without_mfa {
        let _ = writeln!(
            out,
            "  allowed without MFA: {}{}",
            mfaguard_core::words::count(allowed.count, "action", "actions"),
            if allowed.conditional > 0 {
                format!(
                    ", {} depending on {}",
                    allowed.conditional,
                    allowed.describe_depends_on()
                )
            } else {
                String::new()
            }
        );
        for item in &allowed.sample {
            let contexts: Vec<&str> = item
                .without_mfa
                .iter()
                .map(|context| match context {
                    mfaguard_core::enforcement::NoMfaContext::AccessKeys => "access keys",
                    mfaguard_core::enforcement::NoMfaContext::ConsoleWithoutMfa => {
                        "console without MFA"
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "    {:<45} {:<22} on {} ({}) by {}",
                item.action,
                item.access_level,
                item.resource,
                contexts.join(", "),
                item.allowed_by.join(", ")
            );
        }
        if allowed.count > allowed.sample.len() {
            let _ = writeln!(
                out,
                "    ... and {} more (--format json lists the sample with details)",
                allowed.count - allowed.sample.len()
            );
        }
    }
    for note in &identity.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    if !results.is_empty() {
        let _ = writeln!(out, "  checks:");
        for result in results {
            let status = match result.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::Excepted => "excepted",
                Status::NotApplicable => "n/a",
                Status::Unknown => "unknown",
            };
            let _ = writeln!(
                out,
                "    {status:<9} {:<32} {}",
                result.check_id, result.message
            );
        }
    }
    out
}
