//! Renderers: every output format is a pure function of the [`Report`]
//! (and `simulate`'s answer, a function of its decision).

mod asff;
mod compliance;
mod csv;
pub mod html;
mod markdown;
mod ocsf;
mod sarif;
mod simulate;
mod text;

pub use asff::{asff_findings, render_asff, write_asff, ASFF_SCHEMA_VERSION};
pub use compliance::{
    compliance_view, render_compliance_json, render_compliance_text, render_frameworks_json,
    render_frameworks_text, ComplianceView,
};
pub use csv::render_csv;
pub use html::{render_html, HtmlContext};
pub use markdown::render_markdown;
pub use ocsf::{finding_uid, ocsf_events, render_ocsf, write_ocsf, OCSF_VERSION};
pub use sarif::{render_sarif, sarif_value, FINGERPRINT_KEY, SARIF_SCHEMA};
pub use simulate::{render_simulation, SimulationView};
pub use text::render_text;

use std::io::Write;

use mfaguard_core::Report;

/// The JSON contract (`docs/report-schema.md`), pretty-printed.
pub fn render_json(report: &Report) -> String {
    // Serialising plain data structures cannot fail.
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|err| format!("{{\"error\": \"report could not be serialised: {err}\"}}"));
    text.push('\n');
    text
}

/// Writes the JSON contract to `out` as it is serialised, without holding
/// the whole text in memory; the same bytes as [`render_json`].
pub fn write_json(report: &Report, out: impl std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, report)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes `items` as a pretty-printed JSON array (the same bytes as
/// `serde_json::to_string_pretty` of them all), serialising each as it
/// comes.
fn write_pretty_array(
    items: impl Iterator<Item = serde_json::Value>,
    out: impl std::io::Write,
) -> std::io::Result<()> {
    use serde::Serializer;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    serializer.collect_seq(items)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The text a streaming writer produces, for callers that want a string.
fn render_streamed(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut bytes = Vec::new();
    match write(&mut bytes) {
        Ok(()) => String::from_utf8_lossy(&bytes).into_owned(),
        // Writing plain values to memory cannot fail; a failure would be a
        // bug, reported in the output rather than as a panic.
        Err(err) => format!("{{\"error\": \"the output could not be serialised: {err}\"}}\n"),
    }
}

/// Whether and how to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Never,
    Always,
}

/// Every format a Report renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
    Sarif,
    Csv,
    Markdown,
    Ocsf,
    Asff,
    Html,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 8] = [
        ReportFormat::Text,
        ReportFormat::Json,
        ReportFormat::Sarif,
        ReportFormat::Csv,
        ReportFormat::Markdown,
        ReportFormat::Ocsf,
        ReportFormat::Asff,
        ReportFormat::Html,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Text => "text",
            ReportFormat::Json => "json",
            ReportFormat::Sarif => "sarif",
            ReportFormat::Csv => "csv",
            ReportFormat::Markdown => "markdown",
            ReportFormat::Ocsf => "ocsf",
            ReportFormat::Asff => "asff",
            ReportFormat::Html => "html",
        }
    }

    /// The file name a report of this format gets in an output folder.
    pub fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Text => "mfaguard-report.txt",
            ReportFormat::Json => "mfaguard-report.json",
            ReportFormat::Sarif => "mfaguard-report.sarif",
            ReportFormat::Csv => "mfaguard-report.csv",
            ReportFormat::Markdown => "mfaguard-report.md",
            ReportFormat::Ocsf => "mfaguard-report.ocsf.json",
            ReportFormat::Asff => "mfaguard-report.asff.json",
            ReportFormat::Html => "mfaguard-report.html",
        }
    }

    /// Parses a format name (`md` is accepted for markdown).
    pub fn parse(name: &str) -> Result<ReportFormat, String> {
        let name = name.trim().to_ascii_lowercase();
        if name == "md" {
            return Ok(ReportFormat::Markdown);
        }
        ReportFormat::ALL
            .into_iter()
            .find(|format| format.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "`{name}` is not a report format: use one of {}",
                    ReportFormat::ALL.map(ReportFormat::as_str).join(", ")
                )
            })
    }
}

/// The region ASFF findings name when the caller gives none.
pub const DEFAULT_ASFF_REGION: &str = "us-east-1";

/// The report in `format` (`color` applies to text only; ASFF is for
/// [`DEFAULT_ASFF_REGION`]: call [`render_asff`] for another region).
pub fn render(report: &Report, format: ReportFormat, color: Color) -> String {
    match format {
        ReportFormat::Text => render_text(report, color),
        ReportFormat::Json => render_json(report),
        ReportFormat::Sarif => render_sarif(report),
        ReportFormat::Csv => render_csv(report),
        ReportFormat::Markdown => render_markdown(report),
        ReportFormat::Ocsf => render_ocsf(report),
        ReportFormat::Asff => render_asff(report, DEFAULT_ASFF_REGION),
        // Without the configuration's exceptions and the history; the
        // binary renders HTML with them through `render_html`.
        ReportFormat::Html => render_html(report, &HtmlContext::default()),
    }
}
