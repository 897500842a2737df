//! Renderers: every output format is a pure function of the [`Report`]
//! (and `simulate`'s answer, a function of its decision).

mod simulate;
mod text;

pub use simulate::{render_simulation, SimulationView};
pub use text::render_text;

use mfaguard_core::Report;

/// The JSON contract (`docs/report-schema.md`), pretty-printed.
pub fn render_json(report: &Report) -> String {
    // Serialising plain data structures cannot fail.
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|err| format!("{{\"error\": \"report could not be serialised: {err}\"}}"));
    text.push('\n');
    text
}

/// Whether and how to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Never,
    Always,
}
