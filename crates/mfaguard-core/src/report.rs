//! The Report: the only value that crosses from analysis to output. Its JSON
//! form is a versioned contract documented in `docs/report-schema.md`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::identity::Identity;
use crate::kpi::Kpis;
use crate::score::Score;

/// Version of the report's JSON contract.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// True when `self` is as severe as `threshold` or more.
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| format!("unknown severity `{text}` (critical, high, medium, low, info)"))
    }
}

/// The outcome of one check on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    /// A failure covered by a valid exception.
    Excepted,
    /// The inputs were not enough to decide; never counted as a pass.
    Unknown,
    Pass,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Excepted => "excepted",
            Status::Unknown => "unknown",
            Status::Pass => "pass",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// The exception that turned a failure into `excepted`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedException {
    pub owner: String,
    pub reason: String,
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub check_id: &'static str,
    pub status: Status,
    pub severity: Severity,
    pub account_id: String,
    pub resource_arn: String,
    pub resource_name: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<AppliedException>,
}

/// Facts about one scanned account's inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountSummary {
    pub account_id: String,
    pub source: String,
    pub location: String,
    pub collected_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_report_generated_at: Option<DateTime<Utc>>,
    /// Age of the credential report in hours when the scan ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_report_age_hours: Option<f64>,
    /// Inputs that were not available and what that leaves undecided.
    pub limitations: Vec<String>,
    /// AWS API calls made to collect the account, by operation (live scans).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub api_calls: std::collections::BTreeMap<String, u64>,
    /// Retries among those calls and the back-off before them (live scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<crate::snapshot::RetryStats>,
}

/// One check of the catalogue, as the report describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckSummary {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub fix: &'static str,
    pub references: crate::checks::References,
    /// Every framework control the check helps decide
    /// ([`crate::compliance`]).
    pub compliance: Vec<crate::compliance::Requirement>,
    pub pass: usize,
    pub fail: usize,
    pub excepted: usize,
    pub unknown: usize,
    pub not_applicable: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// An account that could not be scanned (organisation scans go on without it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedAccount {
    pub account_id: String,
    pub name: String,
    pub error: String,
    /// AWS API calls made for the account before it failed, by operation.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub api_calls: std::collections::BTreeMap<String, u64>,
    /// Retries among those calls and the back-off before them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<crate::snapshot::RetryStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub generated_at: DateTime<Utc>,
    pub accounts: Vec<AccountSummary>,
    /// Accounts that failed; when not empty the scan is partial.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_accounts: Vec<FailedAccount>,
    /// Organisation-level AWS API calls of an organisation scan (the
    /// caller's identity, the account list, the organisation), by operation.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub organization_api_calls: std::collections::BTreeMap<String, u64>,
    /// Retries among those calls and the back-off before them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_retries: Option<crate::snapshot::RetryStats>,
    pub warnings: Vec<String>,
    pub checks: Vec<CheckSummary>,
    pub results: Vec<CheckResult>,
    pub identities: Vec<Identity>,
    pub kpis: Kpis,
    pub score: Score,
}

impl Report {
    /// Failing results at or above `threshold`: what decides exit code 1.
    pub fn failures_at_or_above(&self, threshold: Severity) -> usize {
        self.results
            .iter()
            .filter(|result| result.status == Status::Fail && result.severity.at_least(threshold))
            .count()
    }

    /// True when some account could not be scanned.
    pub fn is_partial(&self) -> bool {
        !self.failed_accounts.is_empty()
    }

    pub fn count(&self, status: Status) -> usize {
        self.results
            .iter()
            .filter(|result| result.status == status)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_thresholds() {
        assert!(Severity::Critical.at_least(Severity::High));
        assert!(Severity::High.at_least(Severity::High));
        assert!(!Severity::Medium.at_least(Severity::High));
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
    }
}
