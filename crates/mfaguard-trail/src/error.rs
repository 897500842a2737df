//! Errors that stop a trail analysis (a missing folder, an unreadable
//! snapshot). Problems with single log files or records do not stop it:
//! they are named in the report.

#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(transparent)]
    Input(#[from] mfaguard_core::InputError),
    #[error("{0}")]
    Argument(String),
}
