//! mfaguard's core: the snapshot model, the offline readers, the checks,
//! identity tiers, KPIs and the Report.

mod action_classes;
pub mod analysis;
pub mod checks;
pub mod compliance;
pub mod config;
pub mod credential_report;
pub mod enforcement;
pub mod error;
pub mod escalation;
pub mod fix;
pub mod identity;
pub mod inventory;
pub mod kpi;
pub mod lint;
pub mod offline;
pub mod pitfall;
pub mod policies;
pub mod policy_set;
pub mod report;
pub mod score;
pub mod simulation;
pub mod snapshot;
pub mod trust;
pub mod universe;
pub mod validate;
pub mod words;

pub use analysis::analyze;
pub use config::Config;
pub use error::InputError;
pub use report::{CheckResult, Report, Severity, Status};
pub use snapshot::Snapshot;
