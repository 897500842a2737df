//! Compliance frameworks: the MFA-relevant controls of the CIS AWS
//! Foundations Benchmark (every version from 1.2.0 to 7.0.0), AWS
//! Foundational Security Best Practices, NIST SP 800-53 rev. 5 and PCI DSS
//! v4.0, each control with the checks that decide it.
//!
//! A control's checks are either *published* (the source's own mapping, see
//! `docs/compliance-sources.md`) or *interpreted* (mfaguard's reading of the
//! control's text, labelled as such wherever it is shown). A control no
//! check decides is `manual`: someone has to look.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::{CheckResult, Status};

mod frameworks;

/// A compliance framework at one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framework {
    /// Stable id, e.g. `cis-aws-5.0`.
    pub id: &'static str,
    pub title: &'static str,
    pub version: &'static str,
    /// Its MFA-relevant controls, in the framework's order.
    pub controls: &'static [Control],
}

impl Framework {
    /// "CIS Amazon Web Services Foundations Benchmark v5.0.0".
    pub fn name(&self) -> String {
        if self.version.starts_with("rev") {
            format!("{} {}", self.title, self.version)
        } else {
            format!("{} v{}", self.title, self.version)
        }
    }
}

/// One control (recommendation, requirement) of a framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    pub id: &'static str,
    pub title: &'static str,
    /// Checks that the cited sources map to this control.
    pub checks: &'static [&'static str],
    /// Checks mapped by mfaguard's reading of the control's text.
    pub interpreted: &'static [&'static str],
}

impl Control {
    /// Every check that decides the control.
    pub fn deciding_checks(&self) -> impl Iterator<Item = &'static str> {
        self.checks.iter().chain(self.interpreted).copied()
    }

    pub fn is_manual(&self) -> bool {
        self.checks.is_empty() && self.interpreted.is_empty()
    }
}

/// Why a check is mapped to a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The framework's published mapping or a peer's mapping file.
    Published,
    /// mfaguard's own reading of the control's text.
    Interpreted,
}

/// A control that a check helps decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Requirement {
    pub framework: &'static str,
    pub control: &'static str,
    pub basis: Basis,
}

impl Requirement {
    /// `cis-aws-5.0/1.4`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.framework, self.control)
    }
}

/// Every framework, CIS versions in order, then FSBP, NIST and PCI.
pub fn frameworks() -> &'static [Framework] {
    frameworks::FRAMEWORKS
}

pub fn find(id: &str) -> Option<&'static Framework> {
    let id = id.trim();
    frameworks()
        .iter()
        .find(|framework| framework.id.eq_ignore_ascii_case(id))
}

/// The framework ids closest to a mistyped one, closest first.
pub fn closest(id: &str, limit: usize) -> Vec<&'static str> {
    let wanted = id.trim().to_ascii_lowercase();
    let mut ranked: Vec<(usize, &'static str)> = frameworks()
        .iter()
        .map(|framework| {
            // `cis-aws-5` is meant as `cis-aws-5.0`, not `cis-aws-1.5`.
            let extends = usize::from(!framework.id.starts_with(&wanted));
            (
                iam_policy::edit_distance(&wanted, framework.id) * 2 + extends,
                framework.id,
            )
        })
        .collect();
    ranked.sort();
    ranked.into_iter().take(limit).map(|(_, id)| id).collect()
}

/// Every control of every framework that `check_id` helps decide.
pub fn requirements_of(check_id: &str) -> Vec<Requirement> {
    let mut found = Vec::new();
    for framework in frameworks() {
        for control in framework.controls {
            let basis = if control.checks.contains(&check_id) {
                Basis::Published
            } else if control.interpreted.contains(&check_id) {
                Basis::Interpreted
            } else {
                continue;
            };
            found.push(Requirement {
                framework: framework.id,
                control: control.id,
                basis,
            });
        }
    }
    found
}

/// The AWS Security Hub control that checks what `check_id` checks.
pub fn security_hub_control(check_id: &str) -> Option<&'static str> {
    frameworks::SECURITY_HUB_CONTROLS
        .iter()
        .find(|(check, _)| *check == check_id)
        .map(|(_, control)| *control)
}

/// Where a control stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    /// A deciding result failed, or is excepted (accepted risk is not
    /// compliance).
    Fail,
    /// Nothing failed, but a deciding result could not be decided, or an
    /// account could not be scanned: never a pass.
    Unknown,
    Pass,
    /// Every deciding result was not applicable (nothing to check).
    NotApplicable,
    /// No check decides it: someone has to look.
    Manual,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Fail => "fail",
            ControlStatus::Unknown => "unknown",
            ControlStatus::Pass => "pass",
            ControlStatus::NotApplicable => "not_applicable",
            ControlStatus::Manual => "manual",
        }
    }
}

/// A check behind a control, with how many of its results had each status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckTally {
    pub check_id: &'static str,
    pub basis: Basis,
    pub pass: usize,
    pub fail: usize,
    pub excepted: usize,
    pub unknown: usize,
    pub not_applicable: usize,
}

/// One control as assessed from a report's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlAssessment {
    pub id: &'static str,
    pub title: &'static str,
    pub status: ControlStatus,
    /// Why, in one line.
    pub reason: String,
    pub checks: Vec<CheckTally>,
    /// The results that keep the control from passing (failing, excepted
    /// and unknown); passing ones are counted in `checks`.
    pub results: Vec<CheckResult>,
}

/// A framework assessed from a report's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub framework: &'static str,
    pub title: &'static str,
    pub version: &'static str,
    /// Controls by status.
    pub summary: BTreeMap<ControlStatus, usize>,
    pub controls: Vec<ControlAssessment>,
}

/// Assesses `framework` from `results`. `partial` (some account could not
/// be scanned) turns what would pass into unknown.
pub fn assess(framework: &Framework, results: &[CheckResult], partial: bool) -> Assessment {
    let controls: Vec<ControlAssessment> = framework
        .controls
        .iter()
        .map(|control| assess_control(control, results, partial))
        .collect();
    let mut summary = BTreeMap::new();
    for control in &controls {
        *summary.entry(control.status).or_insert(0) += 1;
    }
    Assessment {
        framework: framework.id,
        title: framework.title,
        version: framework.version,
        summary,
        controls,
    }
}

fn assess_control(control: &Control, results: &[CheckResult], partial: bool) -> ControlAssessment {
    let mut checks: Vec<CheckTally> = control
        .checks
        .iter()
        .map(|id| (*id, Basis::Published))
        .chain(
            control
                .interpreted
                .iter()
                .map(|id| (*id, Basis::Interpreted)),
        )
        .map(|(check_id, basis)| CheckTally {
            check_id,
            basis,
            pass: 0,
            fail: 0,
            excepted: 0,
            unknown: 0,
            not_applicable: 0,
        })
        .collect();
    let mut blocking = Vec::new();
    for result in results {
        let Some(tally) = checks.iter_mut().find(|t| t.check_id == result.check_id) else {
            continue;
        };
        match result.status {
            Status::Pass => tally.pass += 1,
            Status::Fail => tally.fail += 1,
            Status::Excepted => tally.excepted += 1,
            Status::Unknown => tally.unknown += 1,
            Status::NotApplicable => tally.not_applicable += 1,
        }
        if matches!(
            result.status,
            Status::Fail | Status::Excepted | Status::Unknown
        ) {
            blocking.push(result.clone());
        }
    }
    let sum = |count: fn(&CheckTally) -> usize| checks.iter().map(count).sum::<usize>();
    let (fail, excepted, unknown, pass) = (
        sum(|t| t.fail),
        sum(|t| t.excepted),
        sum(|t| t.unknown),
        sum(|t| t.pass),
    );
    let (status, reason) = if control.is_manual() {
        (
            ControlStatus::Manual,
            "no check decides this control: review it by hand".to_string(),
        )
    } else if fail + excepted > 0 {
        let mut reason = format!("{fail} failing");
        if excepted > 0 {
            reason.push_str(&format!(", {excepted} excepted (accepted risk)"));
        }
        if unknown > 0 {
            reason.push_str(&format!(", {unknown} could not be decided"));
        }
        (ControlStatus::Fail, reason)
    } else if unknown > 0 {
        (
            ControlStatus::Unknown,
            format!("{unknown} could not be decided"),
        )
    } else if partial {
        (
            ControlStatus::Unknown,
            "some accounts could not be scanned".to_string(),
        )
    } else if pass > 0 {
        (ControlStatus::Pass, format!("{pass} passing"))
    } else {
        (
            ControlStatus::NotApplicable,
            "nothing to check: every deciding result is not applicable".to_string(),
        )
    };
    ControlAssessment {
        id: control.id,
        title: control.title,
        status,
        reason,
        checks,
        results: blocking,
    }
}

/// The catalogue as a Markdown table, one row per control: what
/// `docs/compliance.md` shows (a test keeps them equal).
pub fn catalogue_markdown() -> String {
    let mut out = String::from(
        "| framework | control | title | decided by (published) | decided by (interpreted) |\n|---|---|---|---|---|\n",
    );
    let list = |checks: &[&str]| {
        if checks.is_empty() {
            "—".to_string()
        } else {
            checks
                .iter()
                .map(|check| format!("`{check}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    for framework in frameworks() {
        for control in framework.controls {
            let published = if control.is_manual() {
                "manual".to_string()
            } else {
                list(control.checks)
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                framework.id,
                control.id,
                control.title.replace('|', "\\|"),
                published,
                list(control.interpreted),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks;

    #[test]
    fn every_mapped_check_exists_and_ids_are_unique() {
        let mut ids = std::collections::HashSet::new();
        for framework in frameworks() {
            assert!(ids.insert(framework.id), "duplicate {}", framework.id);
            let mut controls = std::collections::HashSet::new();
            for control in framework.controls {
                assert!(
                    controls.insert(control.id),
                    "{} {}",
                    framework.id,
                    control.id
                );
                for check in control.deciding_checks() {
                    assert!(
                        checks::is_known(check),
                        "{} {}: {check}",
                        framework.id,
                        control.id
                    );
                }
            }
        }
        for (check, _) in frameworks::SECURITY_HUB_CONTROLS {
            assert!(checks::is_known(check), "{check}");
        }
    }

    fn result(check_id: &'static str, status: Status) -> CheckResult {
        CheckResult {
            check_id,
            status,
            severity: crate::Severity::High,
            account_id: "111122223333".to_string(),
            resource_arn: "arn:aws:iam::111122223333:user/a".to_string(),
            resource_name: "a".to_string(),
            message: String::new(),
            exception: None,
        }
    }

    fn status_of(
        framework: &str,
        control: &str,
        results: &[CheckResult],
        partial: bool,
    ) -> ControlStatus {
        let framework = find(framework).expect("framework");
        let assessment = assess(framework, results, partial);
        let control = assessment
            .controls
            .iter()
            .find(|c| c.id == control)
            .expect("control");
        control.status
    }

    #[test]
    fn a_control_passes_only_when_everything_deciding_it_passed() {
        use Status::*;
        let console = "iam.console_user_mfa";
        let cases: [(&[Status], bool, ControlStatus); 8] = [
            (&[Pass, Pass], false, ControlStatus::Pass),
            (&[Pass, Fail], false, ControlStatus::Fail),
            (&[Pass, Excepted], false, ControlStatus::Fail),
            (&[Unknown, Fail], false, ControlStatus::Fail),
            (&[Pass, Unknown], false, ControlStatus::Unknown),
            (&[Pass, NotApplicable], true, ControlStatus::Unknown),
            (&[NotApplicable], false, ControlStatus::NotApplicable),
            (&[], false, ControlStatus::NotApplicable),
        ];
        for (statuses, partial, expected) in cases {
            let results: Vec<CheckResult> = statuses.iter().map(|s| result(console, *s)).collect();
            assert_eq!(
                status_of("cis-aws-5.0", "1.9", &results, partial),
                expected,
                "{statuses:?} partial={partial}"
            );
        }
        // Results of other checks do not decide the control.
        let other = [result("iam.root_mfa_enabled", Fail)];
        assert_eq!(
            status_of("cis-aws-5.0", "1.9", &other, false),
            ControlStatus::NotApplicable
        );
        // A control no check decides is manual whatever the results.
        assert_eq!(
            status_of("cis-aws-7.0", "2.1.1", &other, false),
            ControlStatus::Manual
        );
        // The results behind a failing control are listed; passes counted.
        let results = [
            result(console, Pass),
            result(console, Fail),
            result(console, Unknown),
        ];
        let framework = find("aws-fsbp").expect("fsbp");
        let assessment = assess(framework, &results, false);
        let iam5 = &assessment.controls[1];
        assert_eq!(iam5.id, "IAM.5");
        assert_eq!(iam5.results.len(), 2);
        assert_eq!(
            (
                iam5.checks[0].pass,
                iam5.checks[0].fail,
                iam5.checks[0].unknown
            ),
            (1, 1, 1)
        );
        assert_eq!(assessment.summary[&ControlStatus::Fail], 1);
    }

    #[test]
    fn closest_ids_for_a_typo() {
        assert_eq!(closest("cis-aws-5", 1), vec!["cis-aws-5.0"]);
        assert_eq!(closest("pci-dss-4", 1), vec!["pci-dss-4.0"]);
        assert!(find("CIS-AWS-5.0").is_some());
    }
}
