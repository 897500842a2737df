//! `mfaguard serve`: a read-only dashboard over the scan history (SQLite or
//! PostgreSQL) with a JSON API behind every page, and the history figures
//! the static HTML report shows as trends. No AWS SDK here: it reads the
//! store only.
//!
//! Pages: `/` (organisation overview), `/accounts/ID` (trends, scans,
//! latest results, identities), `/accounts/ID/diff?from=A&to=B`,
//! `/accounts/ID/identity?arn=ARN`, `/exceptions`; the same paths under
//! `/api` answer JSON.

pub mod data;
pub mod error;
pub mod http;
pub mod pages;
pub mod server;
pub mod trend;

pub use error::DashboardError;
pub use server::{read_token, Dashboard, ServeOptions};
pub use trend::trend_from_store;
