//! Errors of the store.

/// Anything that can go wrong opening, migrating, writing or reading a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be opened or created.
    #[error("cannot open the store {location}: {message}")]
    Open { location: String, message: String },
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    /// The store was migrated by a newer mfaguard.
    #[error(
        "the store's schema is at version {found}, newer than this mfaguard knows ({known}): upgrade mfaguard"
    )]
    NewerSchema { found: i64, known: i64 },
    /// A value read back does not have the shape the schema promises.
    #[error("unexpected data in the store: {0}")]
    Corrupt(String),
    #[error("no scan {0} in the store")]
    NoSuchScan(i64),
    /// Bad arguments (a malformed store location, shard, ...).
    #[error("{0}")]
    Invalid(String),
    /// Recording was stopped before it committed; nothing was written.
    #[error("recording the scan was aborted before it committed: {0}")]
    Aborted(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
