//! `mfaguard lint`: reads IAM policy files, CloudFormation templates (JSON
//! and YAML), Terraform plans (`terraform show -json`) and Terraform HCL
//! (where its policies are literals) into the engine's policies, with the
//! file position of every statement, and reports:
//!
//! * `iam.mfa_condition_pitfall`: the detector of the check of that name
//!   ([`crate::pitfall`]), one rule set for both;
//! * `lint.role_assumable_without_mfa`: a role trust policy that lets an
//!   AWS principal assume the role without MFA, as [`crate::trust::assess`]
//!   decides for `iam.role_assumption_mfa`;
//! * `lint.login_profile_outside_mfa_group`: a user given a console
//!   password whose policies (its own and its groups' in the same file) do
//!   not deny access without MFA, decided by the policy engine;
//! * `lint.escalation_without_mfa`: an Allow of a privilege-escalation
//!   action ([`crate::escalation`]) that the document lets through without
//!   MFA, decided by the policy engine.

mod hcl;
mod located;
mod model;
mod render;
mod rules;

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

pub use located::{parse_json, parse_yaml, Located, Position};
pub use render::{render_json, render_sarif, render_text};

use crate::error::InputError;
use crate::report::Severity;

/// What kind of file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    PolicyJson,
    CloudformationJson,
    CloudformationYaml,
    TerraformPlan,
    TerraformHcl,
}

/// One finding, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The resource or document in the file (`Resources.AdminRole`,
    /// `aws_iam_role.admin`, or the file itself).
    pub resource: String,
    pub message: String,
    pub fix: String,
    /// The statement as it should read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected: Option<Value>,
}

/// The findings of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileResult {
    pub file: String,
    pub kind: FileKind,
    pub findings: Vec<Finding>,
}

/// A lint rule, for the catalogue and SARIF.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub fix: &'static str,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "iam.mfa_condition_pitfall",
        severity: Severity::High,
        title: "An MFA condition that a request without MFA slips through",
        fix: crate::checks::MfaConditionPitfall::META.fix,
    },
    Rule {
        id: rules::ROLE_WITHOUT_MFA,
        severity: Severity::High,
        title: "A role people can assume without MFA",
        fix: "Add Bool aws:MultiFactorAuthPresent true to every trust statement that names an AWS principal (keep sts:ExternalId for third parties).",
    },
    Rule {
        id: rules::LOGIN_PROFILE,
        severity: Severity::High,
        title: "A console password for a user whose policies do not deny access without MFA",
        fix: "Put the user in a group with the deny-without-MFA self-service policy (mfaguard fix policy).",
    },
    Rule {
        id: rules::ESCALATION,
        severity: Severity::High,
        title: "A privilege-escalation action allowed without MFA",
        fix: "Add Bool aws:MultiFactorAuthPresent true to the statement, or deny without MFA in the same policy.",
    },
    Rule {
        id: rules::UNREADABLE,
        severity: Severity::High,
        title: "A policy the engine cannot read: nothing about it can be decided",
        fix: "Fix the policy so that IAM accepts it.",
    },
];

/// Reads and lints one file.
pub fn lint_file(path: &Path) -> Result<FileResult, InputError> {
    let text = crate::error::read_text(path)?;
    lint_text(path, &text)
}

fn invalid(path: &Path, message: impl Into<String>) -> InputError {
    InputError::Io {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Lints `text`, read from `path` (whose extension decides JSON or YAML).
pub fn lint_text(path: &Path, text: &str) -> Result<FileResult, InputError> {
    let file = path.display().to_string();
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let yaml = matches!(extension.as_str(), "yaml" | "yml");
    if extension == "tf" {
        let (located, model) = hcl::read(text).map_err(|message| invalid(path, message))?;
        let mut findings = rules::run(&file, &located, &model);
        findings.sort_by(|a, b| (a.line, a.column, a.rule).cmp(&(b.line, b.column, b.rule)));
        return Ok(FileResult {
            file,
            kind: FileKind::TerraformHcl,
            findings,
        });
    }
    let located = if yaml {
        parse_yaml(text)
    } else {
        parse_json(text)
    }
    .map_err(|message| invalid(path, message))?;
    let (kind, documents) =
        model::read(&located, yaml).map_err(|message| invalid(path, message))?;
    let mut findings = rules::run(&file, &located, &documents);
    findings.sort_by(|a, b| (a.line, a.column, a.rule).cmp(&(b.line, b.column, b.rule)));
    Ok(FileResult {
        file,
        kind,
        findings,
    })
}
