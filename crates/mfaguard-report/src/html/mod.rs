//! HTML: the self-contained posture report (`--format html`) and the
//! building blocks `mfaguard serve` shares with it (page layout, cards,
//! coverage tables, sortable result tables, trend charts).
//!
//! Markup is written with `maud`: every value interpolated into a template
//! goes through its one escaping function (`&`, `<`, `>`, `"` become
//! entities; attribute values are always quoted), in text and attribute
//! contexts alike. Raw markup is only ever the stylesheet, the script and
//! markup built by these templates, never a value from the inputs.

mod chart;
mod layout;
mod report;
mod widgets;

pub use chart::{line_chart, Series};
pub use layout::{page, to_text, Assets, Nav, SCRIPT, STYLESHEET};
pub use report::{render_html, ExceptionView, HtmlContext, RemediationTimes, Trend, TrendPoint};
pub use widgets::{
    coverage_table, identity_anchor, percent, results_table, score_cards, severity_rank,
    status_rank, CoverageRow, ResultRow, ScoreCard,
};

/// The escaping every template uses, exposed for tests and for the rare
/// value written outside a template.
pub fn escape(text: &str) -> String {
    maud::html! { (text) }.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_becomes_text() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape("\"><img src=x onerror=alert(1)>"),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(escape("</style>&"), "&lt;/style&gt;&amp;");
    }
}
