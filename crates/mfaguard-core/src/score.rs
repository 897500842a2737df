//! The posture score (0–100, weighted by severity) and the CIS score.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checks;
use crate::kpi::round1;
use crate::report::{CheckResult, Severity, Status};

/// Weight of a result by the severity of its check.
pub fn weight(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 10,
        Severity::High => 5,
        Severity::Medium => 3,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    /// 100 × weight of passing and excepted results ÷ weight of passing,
    /// excepted, failing and unknown results. An undecided result counts as
    /// not passing: a missing or unreadable input can lower the score, never
    /// raise it. `None` when no result carries weight.
    pub posture: Option<f64>,
    /// Share of the weight that was decided (passing, excepted or failing),
    /// 0–100: how much of `posture` rests on what the inputs showed.
    pub decided: Option<f64>,
    pub passed_weight: u32,
    pub failed_weight: u32,
    /// Weight of the unknown results, counted in `posture` as not passing.
    pub unknown_weight: u32,
    pub unknown_results: usize,
    pub cis_v3: CisScore,
    pub cis_v5: CisScore,
}

/// Compliance with the CIS AWS Foundations recommendations mfaguard checks.
/// A recommendation passes when all its results pass; an excepted result
/// counts as failing (an exception is accepted risk, not compliance).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CisScore {
    pub passed: usize,
    pub failed: usize,
    pub unknown: usize,
    /// Passed over all recommendations with a result (passed, failed and
    /// unknown), 0–100: an undecided recommendation is not compliance.
    pub percent: Option<f64>,
    pub recommendations: BTreeMap<String, Status>,
}

pub fn compute(results: &[CheckResult]) -> Score {
    let mut score = Score::default();
    for result in results {
        let weight = weight(result.severity);
        match result.status {
            Status::Pass | Status::Excepted => score.passed_weight += weight,
            Status::Fail => score.failed_weight += weight,
            Status::Unknown => {
                score.unknown_weight += weight;
                score.unknown_results += 1;
            }
            Status::NotApplicable => {}
        }
    }
    let decided = score.passed_weight + score.failed_weight;
    let total = decided + score.unknown_weight;
    let percent = |part: u32| round1(100.0 * part as f64 / total as f64);
    score.posture = (total > 0).then(|| percent(score.passed_weight));
    score.decided = (total > 0).then(|| percent(decided));
    score.cis_v3 = cis(results, |refs| refs.cis_v3);
    score.cis_v5 = cis(results, |refs| refs.cis_v5);
    score
}

fn cis(
    results: &[CheckResult],
    recommendation: impl Fn(&checks::References) -> Option<&'static str>,
) -> CisScore {
    let mut statuses: BTreeMap<String, Vec<Status>> = BTreeMap::new();
    for check in checks::all() {
        if let Some(id) = recommendation(&check.meta().references) {
            statuses.entry(id.to_string()).or_default();
        }
    }
    for result in results {
        let Some(check) = checks::find(result.check_id) else {
            continue;
        };
        if let Some(id) = recommendation(&check.meta().references) {
            statuses
                .entry(id.to_string())
                .or_default()
                .push(result.status);
        }
    }
    let mut score = CisScore::default();
    for (id, list) in statuses {
        let status = if list
            .iter()
            .any(|s| matches!(s, Status::Fail | Status::Excepted))
        {
            Status::Fail
        } else if list.contains(&Status::Unknown) {
            Status::Unknown
        } else if list.contains(&Status::Pass) {
            Status::Pass
        } else {
            Status::NotApplicable
        };
        match status {
            Status::Pass => score.passed += 1,
            Status::Fail => score.failed += 1,
            Status::Unknown => score.unknown += 1,
            _ => {}
        }
        score.recommendations.insert(id, status);
    }
    let judged = score.passed + score.failed + score.unknown;
    score.percent = (judged > 0).then(|| round1(100.0 * score.passed as f64 / judged as f64));
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckResult;

    fn result(status: Status, severity: Severity) -> CheckResult {
        CheckResult {
            check_id: "iam.console_user_mfa",
            status,
            severity,
            account_id: "111122223333".to_string(),
            resource_arn: String::new(),
            resource_name: String::new(),
            message: String::new(),
            exception: None,
        }
    }

    #[test]
    fn unknown_results_count_as_not_passing() {
        let decided = [
            result(Status::Pass, Severity::High),
            result(Status::Fail, Severity::High),
        ];
        let mut with_unknown = decided.to_vec();
        with_unknown.push(result(Status::Unknown, Severity::Critical));
        let full = compute(&decided);
        let partial = compute(&with_unknown);
        assert_eq!(full.posture, Some(50.0));
        assert_eq!(full.decided, Some(100.0));
        assert_eq!(partial.posture, Some(25.0));
        assert_eq!(partial.decided, Some(50.0));
        assert_eq!(partial.unknown_weight, 10);
    }
}
