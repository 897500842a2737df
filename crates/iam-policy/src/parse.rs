//! JSON → [`Policy`]: the full IAM policy grammar, with errors that name the
//! JSON path of the offending element.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::condition::{self, Condition, Operator};
use crate::error::{json_pointer_escape, ParseError};
use crate::policy::{
    ActionBlock, ActionPattern, Effect, Policy, PolicyVersion, PrincipalBlock, PrincipalEntry,
    PrincipalType, ResourceBlock, ResourcePattern, Statement,
};

/// A JSON pointer built on the stack; rendered only when an error occurs.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    fn key(&'a self, k: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(k),
        }
    }

    fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }

    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            match p.seg {
                Seg::Root => {}
                Seg::Key(k) => segs.push(json_pointer_escape(k)),
                Seg::Index(i) => segs.push(i.to_string()),
            }
            cur = p.parent;
        }
        segs.reverse();
        let mut out = String::new();
        for s in segs {
            out.push('/');
            out.push_str(&s);
        }
        out
    }

    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError::at(self.render(), message)
    }
}

const TOP_LEVEL: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn hint(key: &str, known: &[&str]) -> String {
    match known.iter().find(|k| k.eq_ignore_ascii_case(key)) {
        Some(k) => format!(" (did you mean {k:?}? element names are case-sensitive)"),
        None => String::new(),
    }
}

/// Parses policy text, URL-decoding it first when it is percent-encoded.
pub(crate) fn parse_text(text: &str) -> Result<Policy, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim();
    if trimmed.starts_with('{') || !trimmed.contains('%') {
        let value: Value = serde_json::from_str(text).map_err(|e| syntax_error(&e, false))?;
        return parse_value(&value);
    }
    let decoded = url_decode(trimmed)?;
    match serde_json::from_str::<Value>(&decoded) {
        Ok(value) => parse_value(&value),
        Err(e) => {
            // Form encoding writes spaces as '+': try that reading too.
            if trimmed.contains('+') {
                let spaced = trimmed.replace('+', "%20");
                let alt = url_decode(&spaced)?;
                if let Ok(value) = serde_json::from_str::<Value>(&alt) {
                    return parse_value(&value);
                }
            }
            Err(syntax_error(&e, true))
        }
    }
}

fn url_decode(s: &str) -> Result<Cow<'_, str>, ParseError> {
    percent_decode_str(s).decode_utf8().map_err(|_| {
        ParseError::at(
            String::new(),
            "the URL-encoded policy document does not decode to UTF-8 text",
        )
    })
}

fn syntax_error(e: &serde_json::Error, decoded: bool) -> ParseError {
    let full = e.to_string();
    // serde_json appends " at line L column C"; we report those separately.
    let msg = match full.rfind(" at line ") {
        Some(pos) => &full[..pos],
        None => full.as_str(),
    };
    let (line, column) = (e.line(), e.column());
    let what = if decoded {
        "invalid JSON (after URL-decoding)"
    } else {
        "invalid JSON"
    };
    ParseError {
        path: String::new(),
        message: format!("{what} at line {line}, column {column}: {msg}"),
        line: Some(line),
        column: Some(column),
    }
}

/// Parses an already-decoded JSON value.
pub(crate) fn parse_value(value: &Value) -> Result<Policy, ParseError> {
    let root = Path::ROOT;
    let Some(obj) = value.as_object() else {
        return Err(root.err("a policy document must be a JSON object"));
    };
    let mut version = PolicyVersion::Unspecified;
    let mut id = None;
    let mut statement = None;
    for (k, v) in obj {
        let p = root.key(k);
        match k.as_str() {
            "Version" => {
                version = match v.as_str() {
                    Some("2012-10-17") => PolicyVersion::V2012_10_17,
                    Some("2008-10-17") => PolicyVersion::V2008_10_17,
                    Some(other) => {
                        return Err(p.err(format!(
                            "unsupported policy version {other:?} (expected \"2012-10-17\" or \"2008-10-17\")"
                        )))
                    }
                    None => return Err(p.err("Version must be a string")),
                }
            }
            "Id" => match v {
                Value::String(s) => id = Some(s.clone()),
                _ => return Err(p.err("Id must be a string")),
            },
            "Statement" => statement = Some(v),
            other => {
                return Err(p.err(format!(
                    "unknown top-level element {other:?}{}",
                    hint(other, &TOP_LEVEL)
                )))
            }
        }
    }
    let Some(statement) = statement else {
        return Err(root.err("missing Statement"));
    };
    let vars = version.supports_variables();
    let sp = root.key("Statement");
    let statements = match statement {
        Value::Object(_) => vec![parse_statement(statement, &sp, 0, vars)?],
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(parse_statement(item, &sp.index(i), i, vars)?);
            }
            out
        }
        _ => return Err(sp.err("Statement must be an object or an array of objects")),
    };
    Ok(Policy {
        version,
        id,
        statements,
    })
}

fn parse_statement(
    value: &Value,
    path: &Path<'_>,
    index: usize,
    vars: bool,
) -> Result<Statement, ParseError> {
    let Some(obj) = value.as_object() else {
        return Err(path.err("a statement must be a JSON object"));
    };
    let mut sid = None;
    let mut effect = None;
    let mut principal: Option<PrincipalBlock> = None;
    let mut action: Option<ActionBlock> = None;
    let mut resource: Option<ResourceBlock> = None;
    let mut conditions = Vec::new();
    for (k, v) in obj {
        let p = path.key(k);
        match k.as_str() {
            "Sid" => match v {
                Value::String(s) => sid = Some(s.as_str().into()),
                _ => return Err(p.err("Sid must be a string")),
            },
            "Effect" => {
                effect = Some(match v.as_str() {
                    Some("Allow") => Effect::Allow,
                    Some("Deny") => Effect::Deny,
                    _ => return Err(p.err("Effect must be \"Allow\" or \"Deny\"")),
                })
            }
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(path.err("a statement cannot have both Principal and NotPrincipal"));
                }
                principal = Some(parse_principal(v, &p, k == "NotPrincipal")?);
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(path.err("a statement cannot have both Action and NotAction"));
                }
                let mut patterns = Vec::new();
                for_each_string(v, &p, |s, ep| {
                    patterns.push(ActionPattern::parse(s).map_err(|m| ep.err(m))?);
                    Ok(())
                })?;
                action = Some(ActionBlock {
                    negated: k == "NotAction",
                    patterns,
                });
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(path.err("a statement cannot have both Resource and NotResource"));
                }
                let mut patterns = Vec::new();
                for_each_string(v, &p, |s, _| {
                    patterns.push(ResourcePattern::new(s, vars));
                    Ok(())
                })?;
                resource = Some(ResourceBlock {
                    negated: k == "NotResource",
                    patterns,
                });
            }
            "Condition" => conditions = parse_conditions(v, &p, vars)?,
            other => {
                let extra = if other == "Version" {
                    " (Version belongs at the top level of the document)".to_string()
                } else {
                    hint(other, &STATEMENT_KEYS)
                };
                return Err(p.err(format!("unknown statement element {other:?}{extra}")));
            }
        }
    }
    let Some(effect) = effect else {
        return Err(path.err("missing Effect"));
    };
    let Some(action) = action else {
        return Err(path.err("missing Action or NotAction"));
    };
    Ok(Statement {
        index,
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

/// Calls `f` for a string or for each string of an array, with the path of
/// that string.
fn for_each_string<'v>(
    value: &'v Value,
    path: &Path<'_>,
    mut f: impl FnMut(&'v str, &Path<'_>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    match value {
        Value::String(s) => f(s, path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let ip = path.index(i);
                match item {
                    Value::String(s) => f(s, &ip)?,
                    _ => return Err(ip.err("expected a string")),
                }
            }
            Ok(())
        }
        _ => Err(path.err("expected a string or an array of strings")),
    }
}

fn parse_principal(
    value: &Value,
    path: &Path<'_>,
    negated: bool,
) -> Result<PrincipalBlock, ParseError> {
    let mut block = PrincipalBlock {
        negated,
        any: false,
        entries: Vec::new(),
    };
    match value {
        Value::String(s) if s == "*" => block.any = true,
        Value::Object(map) => {
            for (k, v) in map {
                let p = path.key(k);
                let Some(kind) = PrincipalType::from_name(k) else {
                    return Err(p.err(format!(
                        "unknown principal type {k:?} (expected AWS, Service, Federated or CanonicalUser)"
                    )));
                };
                for_each_string(v, &p, |s, _| {
                    block.entries.push(PrincipalEntry::new(kind, s));
                    Ok(())
                })?;
            }
        }
        _ => {
            return Err(path.err(
                "expected \"*\" or an object such as {\"AWS\": \"arn:aws:iam::111122223333:root\"}",
            ))
        }
    }
    Ok(block)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_conditions(
    value: &Value,
    path: &Path<'_>,
    vars: bool,
) -> Result<Vec<Condition>, ParseError> {
    let Some(obj) = value.as_object() else {
        return Err(path.err("Condition must be an object mapping operators to {key: values}"));
    };
    let mut out = Vec::new();
    for (op_name, block) in obj {
        let op_path = path.key(op_name);
        let operator = Operator::parse(op_name).map_err(|m| op_path.err(m))?;
        let Some(block) = block.as_object() else {
            return Err(op_path.err("expected an object mapping condition keys to values"));
        };
        parse_condition_block(block, &op_path, operator, vars, &mut out)?;
    }
    Ok(out)
}

fn parse_condition_block(
    block: &Map<String, Value>,
    op_path: &Path<'_>,
    operator: Operator,
    vars: bool,
    out: &mut Vec<Condition>,
) -> Result<(), ParseError> {
    for (key, raw) in block {
        let kp = op_path.key(key);
        if key.trim().is_empty() {
            return Err(kp.err("empty condition key"));
        }
        let (values, single) = match raw {
            Value::Array(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    vals.push(scalar_text(item).ok_or_else(|| {
                        kp.index(i)
                            .err("condition values must be strings, booleans or numbers")
                    })?);
                }
                (vals, false)
            }
            other => (
                vec![scalar_text(other).ok_or_else(|| {
                    kp.err("condition values must be a string, boolean, number or an array of them")
                })?],
                true,
            ),
        };
        let compiled = condition::compile(operator.kind, &values, vars).map_err(|(i, m)| {
            if single {
                kp.err(m)
            } else {
                kp.index(i).err(m)
            }
        })?;
        out.push(Condition::new(operator, key, values, compiled));
    }
    Ok(())
}
