//! The exceptions workflow: each exception with its owner, expiry, last
//! review, whether it is due, and the results it suppresses in the latest
//! stored scan of each account.

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::Result;
use crate::kpi::{expiring_soon, review_due};
use crate::model::{ExceptionRecord, ResultRecord};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuppressedResult {
    pub scan_id: i64,
    pub account_id: String,
    pub check_id: String,
    pub resource_arn: String,
    pub resource_name: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionStatus {
    #[serde(flatten)]
    pub exception: ExceptionRecord,
    /// `valid`, `expired` or `no_owner`.
    pub state: String,
    /// Days until expiry (negative once expired).
    pub days_to_expiry: i64,
    /// Days since the last review; `None` when never reviewed.
    pub days_since_review: Option<i64>,
    /// Not expired yet, and expires within 30 days.
    pub expiring_within_30_days: bool,
    pub review_due: bool,
    /// Expiring within 30 days (or expired), or due for review.
    pub due: bool,
    /// Results it turns into `excepted` in the latest stored scans.
    pub suppresses: Vec<SuppressedResult>,
    /// Results it names that still fail there (it suppresses nothing: it
    /// has expired, has no owner, or was not in that scan's configuration).
    pub still_failing: Vec<SuppressedResult>,
}

/// The state of each exception as of `today`; `latest` are the results of
/// the latest stored scan of each account (pure).
pub fn statuses(
    exceptions: &[ExceptionRecord],
    latest: &[(i64, ResultRecord)],
    today: NaiveDate,
) -> Vec<ExceptionStatus> {
    exceptions
        .iter()
        .map(|exception| {
            let matching = |status: &str| -> Vec<SuppressedResult> {
                latest
                    .iter()
                    .filter(|(_, r)| r.status == status && exception.matches(r))
                    .map(|(scan_id, r)| SuppressedResult {
                        scan_id: *scan_id,
                        account_id: r.account_id.clone(),
                        check_id: r.check_id.clone(),
                        resource_arn: r.resource_arn.clone(),
                        resource_name: r.resource_name.clone(),
                        status: r.status.clone(),
                    })
                    .collect()
            };
            let state = if !exception.has_owner() {
                "no_owner"
            } else if exception.is_expired(today) {
                "expired"
            } else {
                "valid"
            };
            let expiring = expiring_soon(exception, today);
            let review = review_due(exception, today);
            ExceptionStatus {
                exception: exception.clone(),
                state: state.to_string(),
                days_to_expiry: (exception.expires - today).num_days(),
                days_since_review: exception.reviewed.map(|d| (today - d).num_days()),
                expiring_within_30_days: expiring,
                review_due: review,
                due: exception.is_expired(today) || expiring || review,
                suppresses: matching("excepted"),
                still_failing: matching("fail"),
            }
        })
        .collect()
}

impl Store {
    /// Results of the latest stored scan of every account.
    pub fn latest_results(&mut self) -> Result<Vec<(i64, ResultRecord)>> {
        self.latest_results_with_status(&[])
    }

    /// Results of the latest stored scan of every account whose status is
    /// one of `statuses` (all when empty), in account order.
    pub fn latest_results_with_status(
        &mut self,
        statuses: &[&str],
    ) -> Result<Vec<(i64, ResultRecord)>> {
        let mut out = Vec::new();
        for (account, scan_id) in self.latest_scan_per_account(None)? {
            for result in self.results_with_status(scan_id, Some(&account), statuses)? {
                out.push((scan_id, result));
            }
        }
        Ok(out)
    }

    /// The exceptions of the latest stored scan (the configuration it ran
    /// with), and that scan's ID.
    pub fn latest_exceptions(&mut self) -> Result<Option<(i64, Vec<ExceptionRecord>)>> {
        let scans = self.scans(&crate::store::ScanFilter {
            limit: Some(1),
            ..Default::default()
        })?;
        match scans.last() {
            Some(scan) => Ok(Some((scan.id, self.exceptions(scan.id)?))),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exception(expires: NaiveDate) -> ExceptionRecord {
        ExceptionRecord {
            check_id: "iam.console_user_mfa".to_string(),
            resource: "arn:aws:iam::111122223333:user/x".to_string(),
            owner: "owner@example.com".to_string(),
            reason: "migration".to_string(),
            expires,
            reviewed: NaiveDate::from_ymd_opt(2026, 11, 1),
            config_line: 1,
        }
    }

    #[test]
    fn an_expired_exception_is_not_also_expiring() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let expired = exception(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        let soon = exception(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let states = statuses(&[expired, soon], &[], today);
        assert_eq!(states[0].state, "expired");
        assert!(!states[0].expiring_within_30_days);
        assert!(states[0].due);
        assert_eq!(states[1].state, "valid");
        assert!(states[1].expiring_within_30_days);
        assert!(states[1].due);
    }
}
