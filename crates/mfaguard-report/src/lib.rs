//! Renderers: every output format is a pure function of the [`Report`].

mod text;

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

/// Whether and how to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Never,
    Always,
}
