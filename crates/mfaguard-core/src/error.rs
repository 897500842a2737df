//! Errors about input files. Every error names the file and where in it the
//! problem is (a line, or a JSON path such as `/UserDetailList/3/UserName`).

use std::path::Path;

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InputError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: line {line}: {message}")]
    Line {
        path: String,
        line: u64,
        message: String,
    },
    #[error("{path}: line {line}, column {column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: at {pointer}: {message}")]
    Invalid {
        path: String,
        pointer: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Missing { path: String, message: String },
}

impl InputError {
    pub fn invalid(path: &Path, pointer: &str, message: impl Into<String>) -> InputError {
        InputError::Invalid {
            path: path.display().to_string(),
            pointer: if pointer.is_empty() {
                "/".to_string()
            } else {
                pointer.to_string()
            },
            message: message.into(),
        }
    }

    pub fn line(path: &Path, line: u64, message: impl Into<String>) -> InputError {
        InputError::Line {
            path: path.display().to_string(),
            line,
            message: message.into(),
        }
    }
}

/// The UTF-8 byte order mark that Windows tools write at the start of text.
const UTF8_BOM: char = '\u{feff}';

/// Reads a whole UTF-8 text file, without the byte order mark some Windows
/// exports start with. Anything but a regular file (a directory, a FIFO, a
/// symbolic link that leads nowhere) is refused with what it is.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    if let Some(kind) = not_a_file(path) {
        return Err(InputError::Io {
            path: path.display().to_string(),
            message: kind,
        });
    }
    let bytes = std::fs::read(path).map_err(|err| InputError::Io {
        path: path.display().to_string(),
        message: err.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|err| InputError::Io {
        path: path.display().to_string(),
        message: format!(
            "not UTF-8 text (invalid byte at offset {})",
            err.utf8_error().valid_up_to()
        ),
    })?;
    Ok(strip_bom(text))
}

/// Removes a leading UTF-8 byte order mark.
pub fn strip_bom(text: String) -> String {
    match text.strip_prefix(UTF8_BOM) {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// Whether something is at `path`, and whether it is a file that can be
/// read: `Ok(false)` when nothing is there, `Ok(true)` for a regular file
/// (directly or through symbolic links), and an error saying what the path
/// is otherwise. Optional inputs use it so that a directory or a broken link
/// where a file should be is an error, not a file reported as missing.
pub fn file_present(path: &Path) -> Result<bool, InputError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(false);
    }
    match not_a_file(path) {
        None => Ok(true),
        Some(kind) => Err(InputError::Io {
            path: path.display().to_string(),
            message: kind,
        }),
    }
}

/// What `path` is when it is not a readable regular file; `None` when it is
/// one (or does not exist: reading it then reports that).
fn not_a_file(path: &Path) -> Option<String> {
    let link = std::fs::symlink_metadata(path).ok()?;
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => None,
        Ok(meta) if meta.is_dir() => Some("is a directory, not a file".to_string()),
        Ok(_) => Some(
            "is not a regular file (a FIFO, socket or device): give the exported file itself"
                .to_string(),
        ),
        Err(err) if link.file_type().is_symlink() => {
            let target = std::fs::read_link(path)
                .map(|target| format!(" to {}", target.display()))
                .unwrap_or_default();
            Some(format!(
                "is a symbolic link{target} that cannot be followed ({err})"
            ))
        }
        Err(err) => Some(err.to_string()),
    }
}

/// Parses JSON into `T`, reporting syntax errors by line and column and shape
/// errors by JSON path.
pub fn parse_json<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, InputError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    match value {
        Ok(value) => {
            deserializer.end().map_err(|err| syntax_error(path, &err))?;
            Ok(value)
        }
        Err(err) => {
            let pointer = json_pointer(err.path());
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                Err(syntax_error(path, &inner))
            } else {
                Err(InputError::invalid(path, &pointer, strip_position(&inner)))
            }
        }
    }
}

fn syntax_error(path: &Path, err: &serde_json::Error) -> InputError {
    let message = if err.is_eof() {
        "unexpected end of file (truncated JSON?)".to_string()
    } else {
        strip_position(err)
    };
    InputError::Syntax {
        path: path.display().to_string(),
        line: err.line(),
        column: err.column(),
        message,
    }
}

/// serde_json appends " at line L column C" to its messages; we report the
/// position separately.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_string(),
        None => text,
    }
}

/// Converts a serde path into a JSON pointer (`/UserDetailList/3/UserName`).
pub fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { variant } => {
                pointer.push('/');
                pointer.push_str(variant);
            }
            Segment::Unknown => pointer.push_str("/?"),
        }
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        name: String,
    }

    #[test]
    fn shape_errors_name_the_json_path() {
        let err = parse_json::<Doc>(
            Path::new("x.json"),
            r#"{"items": [{"name": "a"}, {"name": 7}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.json: at /items/1/name: invalid type: integer `7`, expected a string"
        );
    }

    #[test]
    fn truncated_json_names_line_and_column() {
        let err =
            parse_json::<Doc>(Path::new("x.json"), "{\"items\": [\n{\"name\": \"a\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.json: line 2, column 12: unexpected end of file (truncated JSON?)"
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bom.json");
        std::fs::write(&path, "\u{feff}{\"items\": []}").unwrap();
        let doc: Doc = parse_json(&path, &read_text(&path).unwrap()).unwrap();
        assert!(doc.items.is_empty());
    }

    #[test]
    fn a_directory_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = file_present(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("is a directory, not a file"), "{err}");
        assert!(!file_present(&dir.path().join("absent")).unwrap());
    }

    #[test]
    fn trailing_garbage_is_a_syntax_error() {
        let err = parse_json::<Doc>(Path::new("x.json"), "{\"items\": []} trailing").unwrap_err();
        assert!(matches!(err, InputError::Syntax { line: 1, .. }), "{err}");
    }
}
