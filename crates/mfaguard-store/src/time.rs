//! Times are stored as RFC 3339 text in UTC with second precision
//! (`2026-11-22T12:00:00Z`): readable, and ordered the same as text.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::error::{Result, StoreError};

pub fn format(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("`{text}` is not an RFC 3339 time")))
}

pub fn parse_date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("`{text}` is not a date")))
}

/// Days between two times, as a fraction.
pub fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
