//! `mfaguard serve`: wires the arguments to the dashboard.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Result};
use mfaguard_dashboard::{read_token, Dashboard, ServeOptions};

#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: crate::store_args::ReadStoreArgs,
    /// Address to listen on. Anything but a loopback address needs
    /// --token-file.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// File whose first line is the token every request must carry
    /// (`Authorization: Bearer TOKEN`, or the cookie the /login form sets).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> Result<u8> {
    let Some(location) = args.store.location()? else {
        bail!("no history: the store is set to `none` (set --store or MFAGUARD_STORE)");
    };
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    let dashboard = Dashboard::bind(
        location,
        ServeOptions {
            listen: args.listen,
            token,
        },
    )?;
    match dashboard.address() {
        Some(address) => eprintln!("mfaguard dashboard on http://{address}/"),
        None => eprintln!("mfaguard dashboard on {}", args.listen),
    }
    dashboard.run()?;
    Ok(0)
}
