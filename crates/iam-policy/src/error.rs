//! Parse errors.

use thiserror::Error;

/// An error in a policy document (or a request context given as JSON).
///
/// `path` is a JSON pointer (RFC 6901) to the offending element, for example
/// `/Statement/2/Condition/StringEqualsFoo`; it is empty for errors about the
/// whole document, such as JSON syntax errors, which carry `line` and
/// `column` (1-based) instead. Displays as `"{path}: {message}"` (with `/`
/// standing for the whole document).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}: {message}", display_path(.path))]
pub struct ParseError {
    /// JSON pointer to the element at fault (empty: the whole document).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line of a JSON syntax error (in the URL-decoded text when the
    /// document was URL-encoded).
    pub line: Option<usize>,
    /// 1-based column of a JSON syntax error.
    pub column: Option<usize>,
}

fn display_path(p: &str) -> &str {
    if p.is_empty() {
        "/"
    } else {
        p
    }
}

impl ParseError {
    pub(crate) fn at(path: String, message: impl Into<String>) -> ParseError {
        ParseError {
            path,
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

/// Escapes one JSON pointer reference token (`~` → `~0`, `/` → `~1`).
pub(crate) fn json_pointer_escape(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_string()
    }
}
