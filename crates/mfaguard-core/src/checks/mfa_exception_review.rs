use chrono::NaiveDate;

use super::{declare_check, Check, CheckMeta};
use crate::config::Config;
use crate::offline::account_of_arn;
use crate::report::{CheckResult, Status};

/// An exception must be reviewed at least this often (quarterly).
pub const REVIEW_INTERVAL_DAYS: i64 = 90;
/// Exceptions expiring this soon are called out.
const EXPIRY_WARNING_DAYS: i64 = 30;

declare_check! {
    /// ## What it checks
    /// That every exception in the configuration is still sound: it has a
    /// named owner, it has not expired, and it was reviewed in the last 90
    /// days (quarterly). One result per exception.
    ///
    /// An expired or ownerless exception suppresses nothing: the result it
    /// covered stays `fail`. An exception overdue for review still applies
    /// until it expires, but this check fails until it is reviewed.
    ///
    /// ## Why it matters
    /// Exceptions are accepted risk. Without an owner nobody answers for it;
    /// without expiry and review a temporary gap becomes permanent.
    ///
    /// ## How to fix
    /// Give the exception an `owner`, set `reviewed` to the date of the
    /// review, and either fix the finding and delete the exception or extend
    /// `expires` after a deliberate decision.
    ///
    /// ## How to verify
    /// `mfaguard scan` reports this check as `pass` for every exception.
    MfaExceptionReview {
        id: "iam.mfa_exception_review",
        title: "Exceptions have an owner, are not expired and were reviewed this quarter",
        severity: Medium,
        fix: "Name an owner, review the exception (set `reviewed`), and fix the finding or extend `expires` deliberately.",
        cis_v3: None,
        cis_v5: None,
        fsbp: None,
    }
}

impl Check for MfaExceptionReview {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run_global(&self, config: &Config, today: NaiveDate) -> Vec<CheckResult> {
        let meta = &Self::META;
        config
            .exceptions
            .iter()
            .map(|exception| {
                let mut problems = Vec::new();
                if !exception.has_owner() {
                    problems.push("has no owner".to_string());
                }
                if exception.is_expired(today) {
                    problems.push(format!("expired on {}", exception.expires));
                }
                match exception.reviewed {
                    None => problems.push("has never been reviewed".to_string()),
                    Some(reviewed) => {
                        let age = (today - reviewed).num_days();
                        if age > REVIEW_INTERVAL_DAYS {
                            problems.push(format!(
                                "last reviewed {reviewed} ({age} days ago, more than {REVIEW_INTERVAL_DAYS})"
                            ));
                        }
                    }
                }
                let account_id = account_of_arn(&exception.resource).unwrap_or_default();
                let name = format!("{} (config line {})", exception.label(), exception.line);
                if problems.is_empty() {
                    let days_left = (exception.expires - today).num_days();
                    let note = if days_left <= EXPIRY_WARNING_DAYS {
                        format!("; expires in {days_left} days")
                    } else {
                        String::new()
                    };
                    meta.result_for(
                        &account_id,
                        &exception.resource,
                        &name,
                        Status::Pass,
                        format!("owned by {}, expires {}{note}", exception.owner, exception.expires),
                    )
                } else {
                    let suppresses = if exception.is_valid(today) {
                        "it still applies until it expires"
                    } else {
                        "it suppresses nothing"
                    };
                    meta.result_for(
                        &account_id,
                        &exception.resource,
                        &name,
                        Status::Fail,
                        format!("the exception {}; {suppresses}", problems.join(", ")),
                    )
                }
            })
            .collect()
    }
}
