//! What can go wrong serving the dashboard.

use mfaguard_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("`{listen}` is not on this machine only: a dashboard reachable from the network needs a token (--token-file)")]
    TokenRequired { listen: String },
    #[error("the token file {path}: {message}")]
    Token { path: String, message: String },
    #[error("cannot listen on {listen}: {message}")]
    Listen { listen: String, message: String },
}
