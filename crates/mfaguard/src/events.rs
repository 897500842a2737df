//! `mfaguard events setup`: writes what `watch --queue` needs in AWS.

use std::path::PathBuf;

use anyhow::{bail, Result};
use mfaguard_events::setup::{self, SetupOptions};

#[derive(clap::Subcommand)]
pub enum EventsCommand {
    /// Write the EventBridge rules, the SQS queue and its dead-letter
    /// queue, the queue policy and the consumer's policy.
    Setup(SetupArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SetupFormat {
    /// CloudFormation (JSON) for us-east-1.
    Cloudformation,
    Terraform,
    /// A plain description of every resource.
    Json,
}

#[derive(clap::Args)]
pub struct SetupArgs {
    #[arg(long, value_enum, default_value_t = SetupFormat::Cloudformation)]
    format: SetupFormat,
    /// Regions whose console sign-ins are watched, comma-separated
    /// (us-east-1 always is).
    #[arg(long, value_name = "REGION,...", value_delimiter = ',')]
    signin_regions: Vec<String>,
    /// With --format cloudformation: the stack for a sign-in region other
    /// than us-east-1 (forwards its sign-ins to us-east-1).
    #[arg(long)]
    forwarder: bool,
    /// Name of the queue (the dead-letter queue adds -dlq).
    #[arg(long, value_name = "NAME", default_value = "mfaguard-events")]
    queue_name: String,
    /// Receives before a message goes to the dead-letter queue.
    #[arg(long, value_name = "N", default_value_t = 5)]
    max_receives: u32,
    /// Seconds a received message is hidden while it is handled.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    visibility_timeout: u32,
    /// With an organisation (`watch --org --role NAME`): allow the consumer
    /// the organisation reads and assuming this role in member accounts.
    #[arg(long, value_name = "NAME")]
    org_role: Option<String>,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(command: EventsCommand) -> Result<u8> {
    let EventsCommand::Setup(args) = command;
    if args.forwarder && args.format != SetupFormat::Cloudformation {
        bail!("--forwarder is a CloudFormation stack: use it with --format cloudformation (the Terraform and JSON outputs include the forwarding rules)");
    }
    let mut regions = vec![setup::IAM_REGION.to_string()];
    regions.extend(args.signin_regions.iter().map(|r| r.trim().to_string()));
    let options = SetupOptions {
        queue_name: args.queue_name.clone(),
        signin_regions: regions,
        max_receives: args.max_receives,
        visibility_timeout: args.visibility_timeout,
        org_role: args.org_role.clone(),
    };
    if let Err(message) = setup::validate(&options) {
        bail!(message);
    }
    let text = match args.format {
        SetupFormat::Cloudformation if args.forwarder => {
            pretty(&setup::cloudformation_forwarder())?
        }
        SetupFormat::Cloudformation => pretty(&setup::cloudformation(&options))?,
        SetupFormat::Json => pretty(&setup::json_plan(&options))?,
        SetupFormat::Terraform => setup::terraform(&options),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|err| anyhow::anyhow!("cannot write {}: {err}", path.display()))?,
        None => crate::output::write_stdout(&text)?,
    }
    // Rules see only the events of the account they are deployed in.
    eprintln!(
        "note: this sets up the account it is deployed in; an organisation's member accounts need rules forwarding their events to this account's default bus in {}, which setup does not write (docs/events.md, Organisations)",
        setup::IAM_REGION
    );
    Ok(0)
}

fn pretty(value: &serde_json::Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}
