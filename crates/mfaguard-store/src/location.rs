//! Where the history lives: a SQLite file (default) or a PostgreSQL database.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

/// Environment variable naming the store (same syntax as `--store`).
pub const STORE_ENV: &str = "MFAGUARD_STORE";

/// A store location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` connection URL.
    Postgres(String),
}

impl Location {
    /// Parses `--store` / `MFAGUARD_STORE`: `none` (or `off`, or empty)
    /// disables the store (`Ok(None)`); `postgres://...` or
    /// `postgresql://...` is PostgreSQL; `sqlite:PATH` or any other text is a
    /// SQLite file path.
    pub fn parse(text: &str) -> Result<Option<Location>> {
        let trimmed = text.trim();
        if trimmed.is_empty()
            || trimmed.eq_ignore_ascii_case("none")
            || trimmed.eq_ignore_ascii_case("off")
        {
            return Ok(None);
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Some(Location::Postgres(trimmed.to_string())));
        }
        if lower.contains("://") && !lower.starts_with("sqlite://") {
            return Err(StoreError::Invalid(format!(
                "store `{}`: only postgres:// URLs and SQLite file paths are supported",
                redact(trimmed)
            )));
        }
        let path = trimmed
            .strip_prefix("sqlite://")
            .or_else(|| trimmed.strip_prefix("sqlite:"))
            .unwrap_or(trimmed);
        if path.is_empty() {
            return Err(StoreError::Invalid("store `sqlite:` names no file".into()));
        }
        Ok(Some(Location::Sqlite(PathBuf::from(path))))
    }

    /// The default: `$XDG_DATA_HOME/mfaguard/history.sqlite`, else
    /// `~/.local/share/mfaguard/history.sqlite`.
    pub fn default_location() -> Result<Location> {
        default_path(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
            .map(Location::Sqlite)
            .ok_or_else(|| {
                StoreError::Invalid(
                    "cannot locate the default store: neither XDG_DATA_HOME nor HOME is set; pass --store PATH or --no-store".into(),
                )
            })
    }

    /// The location as it may be shown: a PostgreSQL password is masked.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

/// The default SQLite path from the values of `XDG_DATA_HOME` and `HOME`
/// (an `XDG_DATA_HOME` that is not absolute is ignored, as the XDG
/// specification says).
pub fn default_path(xdg_data_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let base = xdg_data_home
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|path| !path.as_os_str().is_empty())
                .map(|home| home.join(".local/share"))
        })?;
    Some(base.join("mfaguard").join("history.sqlite"))
}

/// Masks the password of a URL such as `postgres://user:secret@host/db`.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        assert_eq!(Location::parse("none").unwrap(), None);
        assert_eq!(Location::parse(" OFF ").unwrap(), None);
        assert_eq!(Location::parse("").unwrap(), None);
        assert_eq!(
            Location::parse("postgres://u@h/db").unwrap(),
            Some(Location::Postgres("postgres://u@h/db".into()))
        );
        assert_eq!(
            Location::parse("postgresql://u@h/db").unwrap(),
            Some(Location::Postgres("postgresql://u@h/db".into()))
        );
        assert_eq!(
            Location::parse("/tmp/h.sqlite").unwrap(),
            Some(Location::Sqlite("/tmp/h.sqlite".into()))
        );
        assert_eq!(
            Location::parse("sqlite:rel/h.db").unwrap(),
            Some(Location::Sqlite("rel/h.db".into()))
        );
        assert_eq!(
            Location::parse("sqlite:///abs/h.db").unwrap(),
            Some(Location::Sqlite("/abs/h.db".into()))
        );
        assert!(Location::parse("mysql://x").is_err());
        assert!(Location::parse("sqlite:").is_err());
    }

    #[test]
    fn default_path_follows_xdg() {
        assert_eq!(
            default_path(Some("/data".into()), Some("/home/a".into())),
            Some(PathBuf::from("/data/mfaguard/history.sqlite"))
        );
        assert_eq!(
            default_path(Some("relative".into()), Some("/home/a".into())),
            Some(PathBuf::from(
                "/home/a/.local/share/mfaguard/history.sqlite"
            ))
        );
        assert_eq!(
            default_path(None, Some("/home/a".into())),
            Some(PathBuf::from(
                "/home/a/.local/share/mfaguard/history.sqlite"
            ))
        );
        assert_eq!(default_path(None, None), None);
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            redact("postgres://me:secret@db.example:5432/h?sslmode=disable"),
            "postgres://me:***@db.example:5432/h?sslmode=disable"
        );
        assert_eq!(redact("postgres://me@db/h"), "postgres://me@db/h");
        assert_eq!(redact("postgres://db:5432/h"), "postgres://db:5432/h");
    }
}
