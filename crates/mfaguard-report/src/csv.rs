//! CSV (RFC 4180): one row per result, for spreadsheets. Cells that a
//! spreadsheet would take for a formula are neutralised.

use mfaguard_core::report::CheckResult;
use mfaguard_core::Report;

const HEADER: [&str; 17] = [
    "account_id",
    "check_id",
    "check_title",
    "severity",
    "status",
    "resource_name",
    "resource_arn",
    "message",
    "fix",
    "exception_owner",
    "exception_expires",
    "exception_reason",
    "cis_v3",
    "cis_v5",
    "fsbp",
    "scanned_at",
    "compliance",
];

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, or a tab or
/// carriage return that some programs strip before them) is prefixed with
/// `'`, which spreadsheets read as "text follows": a user name or tag value
/// such as `=1+2` stays inert.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn row(report: &Report, result: &CheckResult) -> Vec<String> {
    let summary = report.checks.iter().find(|c| c.id == result.check_id);
    let reference = |pick: fn(&mfaguard_core::checks::References) -> Option<&'static str>| {
        summary
            .and_then(|summary| pick(&summary.references))
            .unwrap_or_default()
            .to_string()
    };
    let exception = result.exception.as_ref();
    vec![
        result.account_id.clone(),
        result.check_id.to_string(),
        summary.map(|s| s.title).unwrap_or_default().to_string(),
        result.severity.as_str().to_string(),
        result.status.as_str().to_string(),
        result.resource_name.clone(),
        result.resource_arn.clone(),
        result.message.clone(),
        summary.map(|s| s.fix).unwrap_or_default().to_string(),
        exception.map(|e| e.owner.clone()).unwrap_or_default(),
        exception.map(|e| e.expires.clone()).unwrap_or_default(),
        exception.map(|e| e.reason.clone()).unwrap_or_default(),
        reference(|r| r.cis_v3),
        reference(|r| r.cis_v5),
        reference(|r| r.fsbp),
        report.generated_at.to_rfc3339(),
        // Every framework control the check decides, space-separated.
        summary
            .map(|s| {
                s.compliance
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
    ]
}

/// Renders every result of the report as CSV with a header row.
pub fn render_csv(report: &Report) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory cannot fail; a failure would be a bug, reported in
    // the output rather than as a panic.
    let mut problems = Vec::new();
    if let Err(err) = writer.write_record(HEADER) {
        problems.push(err.to_string());
    }
    for result in &report.results {
        let cells: Vec<String> = row(report, result)
            .iter()
            .map(|cell| neutralise(cell))
            .collect();
        if let Err(err) = writer.write_record(&cells) {
            problems.push(err.to_string());
        }
    }
    let bytes = writer.into_inner().unwrap_or_else(|err| {
        problems.push(err.to_string());
        Vec::new()
    });
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    for problem in problems {
        text.push_str(&format!("# error: {problem}\r\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in ["=1+2", "+SUM(A1)", "-2", "@cmd", "\t=x", "\r=x"] {
            assert!(neutralise(cell).starts_with('\''), "{cell:?}");
        }
        for cell in ["alice", "a=b", "arn:aws:iam::1:user/x", ""] {
            assert_eq!(neutralise(cell), cell);
        }
    }
}
