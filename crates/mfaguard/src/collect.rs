//! `mfaguard collect`: live collection into snapshot files.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::live::LiveArgs;

#[derive(clap::Args)]
pub struct CollectArgs {
    /// Snapshot file to write; with --org, a directory that receives one
    /// `ACCOUNT_ID.json` per account.
    #[arg(long, short, value_name = "PATH")]
    output: PathBuf,
    /// Configuration (TOML); only its `[live]` section is used here.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    live: LiveArgs,
}

pub fn run(args: CollectArgs) -> Result<u8> {
    let config = crate::scan::load_config(args.config.as_deref(), None, chrono::Utc::now())?;
    let collected = crate::live::collect(&args.live, &config.live, None)?;
    if args.live.org {
        std::fs::create_dir_all(&args.output)
            .with_context(|| format!("cannot create {}", args.output.display()))?;
        for snapshot in &collected.snapshots {
            let name = format!(
                "{}.json",
                snapshot.account_id.as_deref().unwrap_or("unknown")
            );
            snapshot.save(&args.output.join(name))?;
        }
    } else if let Some(snapshot) = collected.snapshots.first() {
        snapshot.save(&args.output)?;
    }
    if collected.failed.is_empty() {
        Ok(0)
    } else if !args.live.org {
        // The account's error is already printed.
        Ok(crate::EXIT_ERROR)
    } else {
        eprintln!(
            "error: {} could not be collected",
            mfaguard_core::words::count(collected.failed.len(), "account", "accounts")
        );
        Ok(crate::EXIT_ERROR)
    }
}
