//! Lint output: text, JSON and SARIF 2.1.0.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{FileResult, RULES};
use crate::report::Severity;

/// `file:line:column: severity rule: message`, then the fix and the
/// corrected statement.
pub fn render_text(results: &[FileResult]) -> String {
    let mut out = String::new();
    let mut total = 0;
    for result in results {
        for finding in &result.findings {
            total += 1;
            let _ = writeln!(
                out,
                "{}:{}:{}: {} {}: {}",
                finding.file,
                finding.line,
                finding.column,
                finding.severity.as_str(),
                finding.rule,
                finding.message
            );
            let _ = writeln!(out, "  fix: {}", finding.fix);
            if let Some(corrected) = &finding.corrected {
                let _ = writeln!(out, "  corrected statement: {corrected}");
            }
        }
    }
    let _ = writeln!(
        out,
        "{} in {}",
        crate::words::count(total, "finding", "findings"),
        crate::words::count(results.len(), "file", "files")
    );
    out
}

pub fn render_json(results: &[FileResult]) -> String {
    let findings: usize = results.iter().map(|result| result.findings.len()).sum();
    let mut text = serde_json::to_string_pretty(&json!({
        "tool": {"name": "mfaguard", "version": env!("CARGO_PKG_VERSION")},
        "findings": findings,
        "files": results,
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    }
}

/// SARIF 2.1.0, as GitHub code scanning reads it.
pub fn render_sarif(results: &[FileResult]) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "shortDescription": {"text": rule.title},
                "help": {"text": rule.fix},
                "defaultConfiguration": {"level": level(rule.severity)},
                "properties": {"security-severity": match rule.severity {
                    Severity::Critical => "9.5",
                    Severity::High => "8.0",
                    Severity::Medium => "5.5",
                    _ => "3.0",
                }},
            })
        })
        .collect();
    let sarif_results: Vec<Value> = results
        .iter()
        .flat_map(|result| result.findings.iter())
        .map(|finding| {
            let mut text = format!("{} Fix: {}", finding.message, finding.fix);
            if let Some(corrected) = &finding.corrected {
                let _ = write!(text, " Corrected statement: {corrected}");
            }
            json!({
                "ruleId": finding.rule,
                "ruleIndex": RULES.iter().position(|rule| rule.id == finding.rule).unwrap_or(0),
                "level": level(finding.severity),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": finding.file.trim_start_matches("./")},
                        "region": {"startLine": finding.line, "startColumn": finding.column},
                    },
                    "logicalLocations": [{"name": finding.resource}],
                }],
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mfaguard",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/mfaguard/mfaguard",
                "rules": rules,
            }},
            "results": sarif_results,
        }],
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}
