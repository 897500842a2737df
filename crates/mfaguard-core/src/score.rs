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
    /// excepted and failing ones. `None` when nothing was decided. Unknown
    /// and not-applicable results are left out and counted in
    /// `unknown_results`.
    pub posture: Option<f64>,
    pub passed_weight: u32,
    pub failed_weight: u32,
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
    /// Passed over passed plus failed, 0–100.
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
            Status::Unknown => score.unknown_results += 1,
            Status::NotApplicable => {}
        }
    }
    let total = score.passed_weight + score.failed_weight;
    score.posture = (total > 0).then(|| round1(100.0 * score.passed_weight as f64 / total as f64));
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
    let decided = score.passed + score.failed;
    score.percent = (decided > 0).then(|| round1(100.0 * score.passed as f64 / decided as f64));
    score
}
