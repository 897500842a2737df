//! mfaguard's history: every scan recorded in SQLite (embedded, the
//! default) or PostgreSQL (shared by several scanners), with KPIs over time,
//! diffs between scans, alerts for `mfaguard watch` and a webhook outbox.
//!
//! The SQL sits behind one small trait implemented by both backends; the
//! logic (migrations, recording, KPIs, diffs, alerts) is written once, and
//! its arithmetic is done in Rust from the rows. See `docs/store.md`.

pub mod alerts;
mod db;
pub mod delta;
pub mod diff;
pub mod error;
pub mod events;
pub mod exceptions;
pub mod kpi;
pub mod location;
pub mod model;
pub mod outbox;
mod postgres;
mod schema;
pub mod shard;
mod sqlite;
mod store;
pub mod time;
pub mod trail;

pub use alerts::{Alert, AlertKind};
pub use delta::{DeltaBase, NewScan, RecordedScan, ReportText};
pub use diff::Diff;
pub use error::StoreError;
pub use events::{EventRecord, EventRecorded};
pub use kpi::{KpiOptions, KpiReport};
pub use location::{Location, STORE_ENV};
pub use model::{ExceptionRecord, IdentityRecord, ResultRecord, ScanRecord, ScanSummary};
pub use outbox::{target_key, OutboxMessage};
pub use schema::latest_version as latest_schema_version;
pub use shard::{shard_of, Shard};
pub use store::{NewMessage, ScanFilter, Store};
