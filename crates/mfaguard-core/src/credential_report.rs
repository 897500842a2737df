//! The IAM credential report: its 22 columns, AWS's special values
//! (`N/A`, `no_information`, `not_supported`) and its generation time.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InputError;

/// The user name AWS gives the root user's row.
pub const ROOT_ROW_USER: &str = "<root_account>";

/// The report's columns, in AWS's order.
pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

/// One cell of the report: a value or one of AWS's markers for its absence.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<T> {
    Value(T),
    /// `N/A`: the field does not apply (no password, no key, ...).
    NotApplicable,
    /// `no_information`: e.g. a password or key that was never used.
    NoInformation,
    /// `not_supported`: e.g. the root user's `password_enabled`.
    NotSupported,
}

impl<T> Cell<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Cell::Value(value) => Some(value),
            _ => None,
        }
    }
}

impl Cell<bool> {
    /// True only for an explicit `true`.
    pub fn is_true(&self) -> bool {
        matches!(self, Cell::Value(true))
    }
}

/// A type that a report cell can hold.
pub trait CellValue: Sized {
    const EXPECTED: &'static str;
    fn parse_cell(text: &str) -> Option<Self>;
    fn format_cell(&self) -> String;
}

impl CellValue for bool {
    const EXPECTED: &'static str = "true or false";
    fn parse_cell(text: &str) -> Option<bool> {
        match text {
            "true" | "TRUE" | "True" => Some(true),
            "false" | "FALSE" | "False" => Some(false),
            _ => None,
        }
    }
    fn format_cell(&self) -> String {
        self.to_string()
    }
}

impl CellValue for DateTime<Utc> {
    const EXPECTED: &'static str = "an ISO 8601 timestamp such as 2024-03-05T14:22:10+00:00";
    fn parse_cell(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|time| time.with_timezone(&Utc))
    }
    fn format_cell(&self) -> String {
        self.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }
}

impl CellValue for String {
    const EXPECTED: &'static str = "text";
    fn parse_cell(text: &str) -> Option<String> {
        Some(text.to_string())
    }
    fn format_cell(&self) -> String {
        self.clone()
    }
}

impl<T: CellValue> Cell<T> {
    pub fn parse(text: &str) -> Result<Cell<T>, String> {
        match text {
            "N/A" => Ok(Cell::NotApplicable),
            "no_information" => Ok(Cell::NoInformation),
            "not_supported" => Ok(Cell::NotSupported),
            other => T::parse_cell(other)
                .map(Cell::Value)
                .ok_or_else(|| format!("`{other}` is not {}", T::EXPECTED)),
        }
    }
}

impl<T: CellValue> fmt::Display for Cell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Value(value) => f.write_str(&value.format_cell()),
            Cell::NotApplicable => f.write_str("N/A"),
            Cell::NoInformation => f.write_str("no_information"),
            Cell::NotSupported => f.write_str("not_supported"),
        }
    }
}

impl<T: CellValue> Serialize for Cell<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de, T: CellValue> Deserialize<'de> for Cell<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Cell::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One row of the report: a user, or the root user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialReportRow {
    pub user: String,
    pub arn: String,
    pub user_creation_time: Cell<DateTime<Utc>>,
    pub password_enabled: Cell<bool>,
    pub password_last_used: Cell<DateTime<Utc>>,
    pub password_last_changed: Cell<DateTime<Utc>>,
    pub password_next_rotation: Cell<DateTime<Utc>>,
    pub mfa_active: Cell<bool>,
    pub access_key_1_active: Cell<bool>,
    pub access_key_1_last_rotated: Cell<DateTime<Utc>>,
    pub access_key_1_last_used_date: Cell<DateTime<Utc>>,
    pub access_key_1_last_used_region: Cell<String>,
    pub access_key_1_last_used_service: Cell<String>,
    pub access_key_2_active: Cell<bool>,
    pub access_key_2_last_rotated: Cell<DateTime<Utc>>,
    pub access_key_2_last_used_date: Cell<DateTime<Utc>>,
    pub access_key_2_last_used_region: Cell<String>,
    pub access_key_2_last_used_service: Cell<String>,
    pub cert_1_active: Cell<bool>,
    pub cert_1_last_rotated: Cell<DateTime<Utc>>,
    pub cert_2_active: Cell<bool>,
    pub cert_2_last_rotated: Cell<DateTime<Utc>>,
}

impl CredentialReportRow {
    pub fn is_root(&self) -> bool {
        self.user == ROOT_ROW_USER
    }

    /// Number of active access keys (0, 1 or 2).
    pub fn active_access_keys(&self) -> usize {
        usize::from(self.access_key_1_active.is_true())
            + usize::from(self.access_key_2_active.is_true())
    }

    /// Number of active X.509 signing certificates (0, 1 or 2).
    pub fn active_certificates(&self) -> usize {
        usize::from(self.cert_1_active.is_true()) + usize::from(self.cert_2_active.is_true())
    }
}

/// The whole report and when AWS generated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialReport {
    /// `GeneratedTime` of `get-credential-report`; unknown when only the
    /// decoded CSV was given (the CSV does not carry it).
    pub generated_time: Option<DateTime<Utc>>,
    pub rows: Vec<CredentialReportRow>,
}

impl CredentialReport {
    pub fn root_row(&self) -> Option<&CredentialReportRow> {
        self.rows.iter().find(|row| row.is_root())
    }

    pub fn user_rows(&self) -> impl Iterator<Item = &CredentialReportRow> {
        self.rows.iter().filter(|row| !row.is_root())
    }

    /// Reads `credential-report.csv` (decoded CSV) or `credential-report.json`
    /// (the raw `get-credential-report` output with base64 `Content`).
    pub fn read(path: &Path) -> Result<CredentialReport, InputError> {
        let text = crate::error::read_text(path)?;
        if text.trim_start().starts_with('{') {
            Self::from_get_credential_report_json(path, &text)
        } else {
            Ok(CredentialReport {
                generated_time: None,
                rows: parse_csv(path, &text)?,
            })
        }
    }

    fn from_get_credential_report_json(
        path: &Path,
        text: &str,
    ) -> Result<CredentialReport, InputError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Output {
            content: String,
            #[serde(default)]
            report_format: Option<String>,
            #[serde(default)]
            generated_time: Option<DateTime<Utc>>,
        }
        let output: Output = crate::error::parse_json(path, text)?;
        if let Some(format) = &output.report_format {
            if format != "text/csv" {
                return Err(InputError::invalid(
                    path,
                    "/ReportFormat",
                    format!("report format `{format}` is not supported (expected text/csv)"),
                ));
            }
        }
        let compact: String = output
            .content
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|err| InputError::invalid(path, "/Content", format!("not base64: {err}")))?;
        let csv_text = String::from_utf8(bytes)
            .map(crate::error::strip_bom)
            .map_err(|_| {
                InputError::invalid(path, "/Content", "decoded content is not UTF-8 text")
            })?;
        let decoded_path = format!("{} (decoded /Content)", path.display());
        Ok(CredentialReport {
            generated_time: output.generated_time,
            rows: parse_csv(Path::new(&decoded_path), &csv_text)?,
        })
    }
}

/// Parses the CSV text of a credential report.
pub fn parse_csv(path: &Path, text: &str) -> Result<Vec<CredentialReportRow>, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::Missing {
            path: path.display().to_string(),
            message: "the credential report is empty".to_string(),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| csv_error(path, &err))?
        .clone();
    let index: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(position, name)| (name.trim(), position))
        .collect();
    for column in COLUMNS {
        if !index.contains_key(column) {
            return Err(InputError::line(
                path,
                1,
                format!("missing column `{column}` in the header"),
            ));
        }
    }

    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|err| csv_error(path, &err))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = |column: &str| -> &str {
            index
                .get(column)
                .and_then(|&position| record.get(position))
                .unwrap_or("")
        };
        macro_rules! typed {
            ($column:literal) => {
                Cell::parse(cell($column)).map_err(|message| {
                    InputError::line(path, line, format!("column `{}`: {}", $column, message))
                })?
            };
        }
        let user = cell("user").to_string();
        if user.is_empty() {
            return Err(InputError::line(path, line, "column `user` is empty"));
        }
        let arn = cell("arn").to_string();
        if !arn.starts_with("arn:") {
            return Err(InputError::line(
                path,
                line,
                format!("column `arn`: `{arn}` is not an ARN"),
            ));
        }
        // IAM's own limits: a longer value was not exported from IAM.
        for (column, value, max) in [
            ("user", &user, crate::validate::MAX_USER_NAME),
            ("arn", &arn, crate::validate::MAX_ARN),
        ] {
            let length = value.chars().count();
            if length > max {
                return Err(InputError::line(
                    path,
                    line,
                    format!(
                        "column `{column}` is {length} characters long; IAM allows at most {max}"
                    ),
                ));
            }
        }
        if let Some(first) = seen.insert(user.clone(), line) {
            return Err(InputError::line(
                path,
                line,
                format!("duplicate row for user `{user}` (first on line {first})"),
            ));
        }
        rows.push(CredentialReportRow {
            user,
            arn,
            user_creation_time: typed!("user_creation_time"),
            password_enabled: typed!("password_enabled"),
            password_last_used: typed!("password_last_used"),
            password_last_changed: typed!("password_last_changed"),
            password_next_rotation: typed!("password_next_rotation"),
            mfa_active: typed!("mfa_active"),
            access_key_1_active: typed!("access_key_1_active"),
            access_key_1_last_rotated: typed!("access_key_1_last_rotated"),
            access_key_1_last_used_date: typed!("access_key_1_last_used_date"),
            access_key_1_last_used_region: typed!("access_key_1_last_used_region"),
            access_key_1_last_used_service: typed!("access_key_1_last_used_service"),
            access_key_2_active: typed!("access_key_2_active"),
            access_key_2_last_rotated: typed!("access_key_2_last_rotated"),
            access_key_2_last_used_date: typed!("access_key_2_last_used_date"),
            access_key_2_last_used_region: typed!("access_key_2_last_used_region"),
            access_key_2_last_used_service: typed!("access_key_2_last_used_service"),
            cert_1_active: typed!("cert_1_active"),
            cert_1_last_rotated: typed!("cert_1_last_rotated"),
            cert_2_active: typed!("cert_2_active"),
            cert_2_last_rotated: typed!("cert_2_last_rotated"),
        });
    }
    if rows.is_empty() {
        return Err(InputError::Missing {
            path: path.display().to_string(),
            message: "the credential report has a header but no rows".to_string(),
        });
    }
    Ok(rows)
}

fn csv_error(path: &Path, err: &csv::Error) -> InputError {
    let line = err.position().map(|p| p.line()).unwrap_or(0);
    let message = match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len}"),
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
        _ => err.to_string(),
    };
    InputError::line(path, line, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
    const ROOT: &str = "<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";
    const ALICE: &str = "alice,arn:aws:iam::111122223333:user/alice,2023-01-01T00:00:00+00:00,true,no_information,2023-01-01T00:00:00+00:00,N/A,false,true,2023-01-01T00:00:00+00:00,2026-11-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

    fn csv(rows: &[&str]) -> String {
        let mut text = HEADER.to_string();
        for row in rows {
            text.push('\n');
            text.push_str(row);
        }
        text.push('\n');
        text
    }

    #[test]
    fn parses_markers_and_values() {
        let rows = parse_csv(Path::new("r.csv"), &csv(&[ROOT, ALICE])).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].is_root());
        assert_eq!(rows[0].password_enabled, Cell::NotSupported);
        assert!(rows[0].mfa_active.is_true());
        assert_eq!(rows[1].password_last_used, Cell::NoInformation);
        assert_eq!(rows[1].password_next_rotation, Cell::NotApplicable);
        assert_eq!(rows[1].active_access_keys(), 1);
        assert_eq!(
            rows[1].access_key_1_last_used_service,
            Cell::Value("s3".to_string())
        );
    }

    #[test]
    fn bad_value_names_line_and_column() {
        let bad = ALICE.replace(",false,true,", ",maybe,true,");
        let err = parse_csv(Path::new("r.csv"), &csv(&[ROOT, &bad])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "r.csv: line 3: column `mfa_active`: `maybe` is not true or false"
        );
    }

    #[test]
    fn short_row_names_its_line() {
        let err = parse_csv(
            Path::new("r.csv"),
            &csv(&[ROOT, "bob,arn:aws:iam::1:user/bob"]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "r.csv: line 3: expected 22 fields, found 2"
        );
    }

    #[test]
    fn missing_column_is_reported() {
        let text = csv(&[ROOT]).replacen(",mfa_active", ",mfa", 1);
        let err = parse_csv(Path::new("r.csv"), &text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "r.csv: line 1: missing column `mfa_active` in the header"
        );
    }

    #[test]
    fn duplicate_user_is_reported() {
        let err = parse_csv(Path::new("r.csv"), &csv(&[ROOT, ALICE, ALICE])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "r.csv: line 4: duplicate row for user `alice` (first on line 3)"
        );
    }

    #[test]
    fn empty_reports_are_errors() {
        assert!(parse_csv(Path::new("r.csv"), "").is_err());
        assert!(parse_csv(Path::new("r.csv"), &csv(&[])).is_err());
    }

    #[test]
    fn cells_round_trip_through_json() {
        let rows = parse_csv(Path::new("r.csv"), &csv(&[ROOT, ALICE])).unwrap();
        let json = serde_json::to_string(&rows).unwrap();
        let back: Vec<CredentialReportRow> = serde_json::from_str(&json).unwrap();
        assert_eq!(rows, back);
    }

    #[test]
    fn reads_get_credential_report_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credential-report.json");
        let content = base64::engine::general_purpose::STANDARD.encode(csv(&[ROOT, ALICE]));
        std::fs::write(
            &path,
            format!(
                r#"{{"Content": "{content}", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T09:12:44+00:00"}}"#
            ),
        )
        .unwrap();
        let report = CredentialReport::read(&path).unwrap();
        assert_eq!(report.rows.len(), 2);
        assert_eq!(
            report.generated_time.unwrap().to_rfc3339(),
            "2026-11-20T09:12:44+00:00"
        );
    }

    #[test]
    fn bad_base64_names_the_pointer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credential-report.json");
        std::fs::write(&path, r#"{"Content": "@@@", "ReportFormat": "text/csv"}"#).unwrap();
        let err = CredentialReport::read(&path).unwrap_err();
        assert!(err.to_string().contains("at /Content: not base64"), "{err}");
    }
}
