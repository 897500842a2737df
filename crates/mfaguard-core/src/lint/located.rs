//! Documents read with the position of every value: JSON (through
//! serde_json, then a scan for positions) and YAML (yaml-rust2's event
//! parser, which marks every event; CloudFormation's short intrinsic tags
//! such as `!Sub` and `!GetAtt` become their long JSON form).

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A document with the position of each value, by JSON pointer.
#[derive(Debug, Clone, Default)]
pub struct Located {
    pub value: Value,
    positions: HashMap<String, Position>,
}

impl Located {
    /// Positions only, for inputs that are not JSON-shaped (Terraform HCL).
    pub fn from_positions(positions: HashMap<String, Position>) -> Located {
        Located {
            value: Value::Null,
            positions,
        }
    }

    /// The position of the value at `pointer`, or of its nearest ancestor
    /// that has one.
    pub fn position(&self, pointer: &str) -> Position {
        let mut pointer = pointer;
        loop {
            if let Some(position) = self.positions.get(pointer) {
                return *position;
            }
            match pointer.rfind('/') {
                Some(cut) => pointer = &pointer[..cut],
                None => return Position { line: 1, column: 1 },
            }
        }
    }
}

/// Escapes one JSON pointer segment.
pub fn segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Parses JSON; the error names the line and column.
pub fn parse_json(text: &str) -> Result<Located, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|err| format!("line {} column {}: {err}", err.line(), err.column()))?;
    let mut scanner = JsonScanner {
        bytes: text.as_bytes(),
        offset: 0,
        line: 1,
        column: 1,
        positions: HashMap::new(),
    };
    scanner.value(String::new(), None);
    Ok(Located {
        value,
        positions: scanner.positions,
    })
}

/// Walks JSON text already known to be valid and records where each value
/// starts.
struct JsonScanner<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
    column: usize,
    positions: HashMap<String, Position>,
}

impl JsonScanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.offset).copied()
    }

    fn bump(&mut self) {
        if let Some(byte) = self.peek() {
            self.offset += 1;
            if byte == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if byte & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    fn string(&mut self) -> String {
        let start = self.offset;
        self.bump();
        while let Some(byte) = self.peek() {
            self.bump();
            match byte {
                b'\\' => self.bump(),
                b'"' => break,
                _ => {}
            }
        }
        let raw = std::str::from_utf8(&self.bytes[start..self.offset]).unwrap_or("\"\"");
        serde_json::from_str(raw).unwrap_or_default()
    }

    fn here(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    /// Records where the value at `pointer` starts: at its key, when it has
    /// one (`"Condition": {...}` is reported at `"Condition"`).
    fn value(&mut self, pointer: String, key_position: Option<Position>) {
        self.skip_whitespace();
        let position = key_position.unwrap_or_else(|| self.here());
        self.positions.insert(pointer.clone(), position);
        match self.peek() {
            Some(b'{') => {
                self.bump();
                loop {
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b'}') | None => {
                            self.bump();
                            break;
                        }
                        Some(b',') => self.bump(),
                        Some(b'"') => {
                            let at = self.here();
                            let key = self.string();
                            self.skip_whitespace();
                            self.bump(); // ':'
                            self.value(format!("{pointer}/{}", segment(&key)), Some(at));
                        }
                        Some(_) => self.bump(),
                    }
                }
            }
            Some(b'[') => {
                self.bump();
                let mut index = 0;
                loop {
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b']') | None => {
                            self.bump();
                            break;
                        }
                        Some(b',') => self.bump(),
                        Some(_) => {
                            self.value(format!("{pointer}/{index}"), None);
                            index += 1;
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            _ => {
                while matches!(self.peek(), Some(byte) if !matches!(byte, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                {
                    self.bump();
                }
            }
        }
    }
}

/// Parses YAML (one document); CloudFormation short tags become long forms:
/// `!Ref X` is `{"Ref": "X"}`, `!GetAtt A.B` is `{"Fn::GetAtt": ["A",
/// "B"]}`, `!Condition C` is `{"Condition": "C"}`, and any other `!Name`
/// is `{"Fn::Name": ...}`.
pub fn parse_yaml(text: &str) -> Result<Located, String> {
    let mut builder = YamlBuilder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|err| {
        format!(
            "line {} column {}: {}",
            err.marker().line(),
            err.marker().col() + 1,
            err.info()
        )
    })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    let value = builder.root.unwrap_or(Value::Null);
    Ok(Located {
        value,
        positions: builder.positions,
    })
}

enum Frame {
    Mapping {
        map: Map<String, Value>,
        key: Option<String>,
        tag: Option<String>,
        pointer: String,
    },
    Sequence {
        items: Vec<Value>,
        tag: Option<String>,
        pointer: String,
    },
}

#[derive(Default)]
struct YamlBuilder {
    stack: Vec<Frame>,
    root: Option<Value>,
    positions: HashMap<String, Position>,
    /// Pointers whose position is their key's (kept over the value's mark).
    keyed: std::collections::HashSet<String>,
    anchors: HashMap<usize, Value>,
    error: Option<String>,
}

fn tagged(tag: Option<String>, value: Value) -> Value {
    let Some(tag) = tag else { return value };
    match tag.as_str() {
        "Ref" => serde_json::json!({ "Ref": value }),
        "Condition" => serde_json::json!({ "Condition": value }),
        "GetAtt" => match value {
            Value::String(text) => {
                let parts: Vec<Value> = match text.split_once('.') {
                    Some((resource, attribute)) => vec![resource.into(), attribute.into()],
                    None => vec![text.into()],
                };
                serde_json::json!({ "Fn::GetAtt": parts })
            }
            other => serde_json::json!({ "Fn::GetAtt": other }),
        },
        name => {
            let mut map = Map::new();
            map.insert(format!("Fn::{name}"), value);
            Value::Object(map)
        }
    }
}

fn scalar(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        "null" | "Null" | "NULL" | "~" | "" => Value::Null,
        _ => {
            if let Ok(number) = text.parse::<i64>() {
                Value::from(number)
            } else if text.contains('.') && text.parse::<f64>().is_ok() {
                // Versions such as 2012-10-17 are not numbers; 1.5 is.
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            } else {
                Value::String(text)
            }
        }
    }
}

impl YamlBuilder {
    fn child_pointer(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Mapping { key, pointer, .. }) => {
                format!("{pointer}/{}", segment(key.as_deref().unwrap_or("")))
            }
            Some(Frame::Sequence { items, pointer, .. }) => format!("{pointer}/{}", items.len()),
        }
    }

    /// True when the next scalar is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Mapping { key: None, .. }))
    }

    fn push_value(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Mapping { map, key, .. }) => {
                if let Some(key) = key.take() {
                    map.insert(key, value);
                }
            }
            Some(Frame::Sequence { items, .. }) => items.push(value),
        }
    }
}

impl MarkedEventReceiver for YamlBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let position = Position {
            line: mark.line(),
            column: mark.col() + 1,
        };
        let tag_name = |tag: Option<yaml_rust2::parser::Tag>| {
            tag.filter(|tag| tag.handle == "!").map(|tag| tag.suffix)
        };
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                if self.expects_key() {
                    if let Some(Frame::Mapping {
                        key, pointer, map, ..
                    }) = self.stack.last_mut()
                    {
                        // A mapping is reported at its first key (the
                        // parser marks it where the first `:` is).
                        if map.is_empty() && !self.keyed.contains(pointer.as_str()) {
                            self.positions.insert(pointer.clone(), position);
                        }
                        let child = format!("{pointer}/{}", segment(&text));
                        self.positions.insert(child.clone(), position);
                        self.keyed.insert(child);
                        *key = Some(text);
                    }
                    return;
                }
                let pointer = self.child_pointer();
                if !self.keyed.contains(&pointer) {
                    self.positions.insert(pointer, position);
                }
                let value = tagged(tag_name(tag), scalar(text, style));
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                self.push_value(value);
            }
            Event::Alias(anchor) => {
                if self.expects_key() {
                    self.error = Some(format!(
                        "line {} column {}: an alias as a mapping key is not supported",
                        position.line, position.column
                    ));
                    return;
                }
                let value = self.anchors.get(&anchor).cloned().unwrap_or(Value::Null);
                self.push_value(value);
            }
            Event::MappingStart(_, tag) | Event::SequenceStart(_, tag) if self.expects_key() => {
                let _ = tag;
                self.error.get_or_insert_with(|| {
                    format!(
                        "line {} column {}: a mapping or sequence as a key is not supported",
                        position.line, position.column
                    )
                });
            }
            Event::MappingStart(_, tag) => {
                let pointer = self.child_pointer();
                if !self.keyed.contains(&pointer) {
                    self.positions.insert(pointer.clone(), position);
                }
                self.stack.push(Frame::Mapping {
                    map: Map::new(),
                    key: None,
                    tag: tag_name(tag),
                    pointer,
                });
            }
            Event::SequenceStart(_, tag) => {
                let pointer = self.child_pointer();
                if !self.keyed.contains(&pointer) {
                    self.positions.insert(pointer.clone(), position);
                }
                self.stack.push(Frame::Sequence {
                    items: Vec::new(),
                    tag: tag_name(tag),
                    pointer,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let value = match self.stack.pop() {
                    Some(Frame::Mapping { map, tag, .. }) => tagged(tag, Value::Object(map)),
                    Some(Frame::Sequence { items, tag, .. }) => tagged(tag, Value::Array(items)),
                    None => return,
                };
                self.push_value(value);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_positions_by_pointer() {
        let text = "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\"},\n    {\"Effect\": \"Deny\"}\n  ]\n}";
        let located = parse_json(text).unwrap();
        assert_eq!(
            located.position("/Statement/1"),
            Position { line: 4, column: 5 }
        );
        assert_eq!(
            located.position("/Statement/0/Effect"),
            Position { line: 3, column: 6 }
        );
        // Unknown pointers fall back to the nearest ancestor.
        assert_eq!(
            located.position("/Statement/1/Nope"),
            Position { line: 4, column: 5 }
        );
    }

    #[test]
    fn yaml_intrinsic_tags_and_positions() {
        let text = "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      Arn: !GetAtt Other.Arn\n      Name: !Sub '${AWS::StackName}-x'\n      List: !Split [',', !Ref Csv]\n      Version: 2012-10-17\n";
        let located = parse_yaml(text).unwrap();
        let properties = &located.value["Resources"]["Role"]["Properties"];
        assert_eq!(
            properties["Arn"],
            serde_json::json!({"Fn::GetAtt": ["Other", "Arn"]})
        );
        assert_eq!(
            properties["Name"],
            serde_json::json!({"Fn::Sub": "${AWS::StackName}-x"})
        );
        assert_eq!(
            properties["List"],
            serde_json::json!({"Fn::Split": [",", {"Ref": "Csv"}]})
        );
        assert_eq!(properties["Version"], "2012-10-17");
        assert_eq!(
            located.position("/Resources/Role/Properties/Name"),
            Position { line: 6, column: 7 }
        );
    }

    #[test]
    fn yaml_errors_name_the_line() {
        let error = parse_yaml("a: [1, 2\nb: c\n").unwrap_err();
        assert!(error.starts_with("line "), "{error}");
    }
}
