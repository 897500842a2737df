//! `mfaguard checks` and `mfaguard explain`.

use anyhow::{bail, Result};

use mfaguard_core::{checks, compliance};

use crate::output::{write_stdout, Format};

pub fn explain(id: &str) -> Result<()> {
    let Some(check) = checks::find(id) else {
        bail!("unknown check `{id}` (see `mfaguard checks`)");
    };
    let meta = check.meta();
    let mut text = format!(
        "# {}: {}\n\nSeverity: {}\n{}\n{}\n\n{}\n",
        meta.id,
        meta.title,
        meta.severity,
        references_line(&meta.references),
        compliance_line(meta.id),
        meta.docs()
    );
    text.push_str(&format!("\nFix in one line: {}\n", meta.fix));
    write_stdout(&text)
}

fn references_line(refs: &checks::References) -> String {
    let mut parts = Vec::new();
    if let Some(v3) = refs.cis_v3 {
        parts.push(format!("CIS AWS Foundations v3.0 {v3}"));
    }
    if let Some(v5) = refs.cis_v5 {
        parts.push(format!("CIS AWS Foundations v5.0 {v5}"));
    }
    if let Some(control) = refs.fsbp {
        // IAM.9 is a Security Hub control, not an FSBP one.
        let standard = match compliance::frameworks()
            .iter()
            .any(|f| f.id == "aws-fsbp" && f.controls.iter().any(|c| c.id == control))
        {
            true => "AWS FSBP",
            false => "AWS Security Hub",
        };
        parts.push(format!("{standard} {control}"));
    }
    if parts.is_empty() {
        "References: none (mfaguard check)".to_string()
    } else {
        format!("References: {}", parts.join(", "))
    }
}

/// Every framework control the check decides (`mfaguard compliance`).
fn compliance_line(check_id: &str) -> String {
    let labels: Vec<String> = compliance::requirements_of(check_id)
        .iter()
        .map(|requirement| match requirement.basis {
            compliance::Basis::Published => requirement.label(),
            compliance::Basis::Interpreted => format!("{} (interpreted)", requirement.label()),
        })
        .collect();
    format!("Compliance: {}", labels.join(", "))
}

pub fn print_checks(format: Format) -> Result<()> {
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = checks::all()
                .iter()
                .map(|check| {
                    let meta = check.meta();
                    serde_json::json!({
                        "id": meta.id,
                        "title": meta.title,
                        "severity": meta.severity,
                        "fix": meta.fix,
                        "references": meta.references,
                        "compliance": compliance::requirements_of(meta.id),
                    })
                })
                .collect();
            write_stdout(&(serde_json::to_string_pretty(&list)? + "\n"))
        }
        Format::Text => {
            let mut text = String::new();
            for check in checks::all() {
                let meta = check.meta();
                let refs = references_line(&meta.references);
                text.push_str(&format!(
                    "{:<30} {:<9} {}\n{:<30} {:<9} {}\n",
                    meta.id,
                    meta.severity.as_str(),
                    meta.title,
                    "",
                    "",
                    refs.trim_start_matches("References: ")
                ));
            }
            write_stdout(&text)
        }
    }
}
