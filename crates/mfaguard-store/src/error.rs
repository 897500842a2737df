//! Errors of the store.

/// Anything that can go wrong opening, migrating, writing or reading a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be opened or created.
    #[error("cannot open the store {location}: {message}")]
    Open { location: String, message: String },
    /// The driver's message only: its error chain repeats the same text.
    #[error("SQLite: {0}")]
    Sqlite(rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(postgres::Error),
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

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(err)
    }
}

impl From<postgres::Error> for StoreError {
    fn from(err: postgres::Error) -> StoreError {
        StoreError::Postgres(err)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driver_error_is_said_once() {
        let err = StoreError::from(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(11),
            Some("database disk image is malformed".to_string()),
        ));
        assert!(std::error::Error::source(&err).is_none());
        assert_eq!(err.to_string(), "SQLite: database disk image is malformed");
    }
}
