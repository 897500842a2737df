//! `mfaguard serve`: a read-only dashboard over the scan history (SQLite or
//! PostgreSQL) with a JSON API behind every page, and the history figures
//! the static HTML report shows as trends. No AWS SDK here: it reads the
//! store only.

pub mod trend;

pub use trend::trend_from_store;
