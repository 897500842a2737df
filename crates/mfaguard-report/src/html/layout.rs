//! The page shell shared by the static report and the dashboard.

use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The stylesheet, embedded at build time.
pub const STYLESHEET: &str = include_str!("../../assets/mfaguard.css");
/// The filter and sort script, embedded at build time.
pub const SCRIPT: &str = include_str!("../../assets/mfaguard.js");

/// How a page gets its stylesheet and script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assets {
    /// Inside the page: a single file that needs no network (the report).
    Inline,
    /// As files from the server under this prefix (the dashboard, whose
    /// Content-Security-Policy allows no inline script).
    Linked(&'static str),
}

/// Links in the page header: `(href, label)`.
pub type Nav<'a> = &'a [(&'a str, &'a str)];

/// The markup as text with a line break after block-level closing tags,
/// so that a diff of two reports (or a golden file) points at a row, not at
/// one long line. Values are escaped, so these tags are only ever ours.
pub fn to_text(markup: Markup) -> String {
    let mut text = markup.into_string();
    for tag in [
        "</tr>",
        "</section>",
        "</h2>",
        "</h3>",
        "</p>",
        "</table>",
        "</li>",
        "</dd>",
        "</figure>",
        "</head>",
    ] {
        text = text.replace(tag, &format!("{tag}\n"));
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// A complete HTML document.
pub fn page(title: &str, assets: Assets, nav: Nav<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                @match assets {
                    Assets::Inline => {
                        style { (PreEscaped(STYLESHEET)) }
                        script { (PreEscaped(SCRIPT)) }
                    }
                    Assets::Linked(prefix) => {
                        link rel="stylesheet" href={ (prefix) "/mfaguard.css" };
                        script src={ (prefix) "/mfaguard.js" } defer {}
                    }
                }
            }
            body {
                header.top {
                    h1 { (title) }
                    @if !nav.is_empty() {
                        nav {
                            @for (href, label) in nav {
                                a href=(href) { (label) }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}
