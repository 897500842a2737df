//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`,
//! escapes `${*}` `${?}` `${$}`) and the patterns that may contain them.
//!
//! Variables are only recognised in policies with `"Version": "2012-10-17"`;
//! elsewhere `${...}` is literal text. A pattern without variables compiles to
//! a static form that is matched without allocating.

use std::collections::BTreeSet;

use crate::context::{Context, Lookup};
use crate::glob::{match_segs, Glob, Seg, SegRef};
use crate::tri::Tri;

/// A policy variable reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Var {
    /// Lowercase condition key.
    pub(crate) key: Box<str>,
    /// Default used when the key has no (single) value.
    pub(crate) default: Option<Box<str>>,
}

/// A template segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TSeg {
    Lit(Box<str>),
    Star,
    One,
    Var(Var),
}

enum Inner {
    Escape(char),
    Var(Var),
}

/// Finds the `}` that closes a `${` whose content starts at `start`, skipping
/// quoted default values. Returns the index of the `}`.
fn find_close(s: &str, start: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = start;
    let mut quoted = false;
    while i < b.len() {
        match b[i] {
            b'\'' => quoted = !quoted,
            b'}' if !quoted => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_inner(content: &str) -> Option<Inner> {
    let t = content.trim();
    match t {
        "*" => return Some(Inner::Escape('*')),
        "?" => return Some(Inner::Escape('?')),
        "$" => return Some(Inner::Escape('$')),
        _ => {}
    }
    let (key, default) = match t.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let inner = d.strip_prefix('\'')?.strip_suffix('\'')?;
            // Inside the quotes, '' stands for one quote; a lone quote is invalid.
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                    } else {
                        return None;
                    }
                }
                out.push(c);
            }
            (k.trim(), Some(out.into_boxed_str()))
        }
        None => (t, None),
    };
    if key.is_empty() || key.contains(['\'', '$', '{', '}']) {
        return None;
    }
    Some(Inner::Var(Var {
        key: key.to_lowercase().into_boxed_str(),
        default,
    }))
}

/// Splits `s` into template segments. `vars`: recognise `${...}`; `wild`:
/// `*` and `?` are wildcards (otherwise literal).
pub(crate) fn parse(s: &str, vars: bool, wild: bool) -> Vec<TSeg> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let flush = |lit: &mut String, out: &mut Vec<TSeg>| {
        if !lit.is_empty() {
            out.push(TSeg::Lit(std::mem::take(lit).into_boxed_str()));
        }
    };
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if vars && rest.starts_with("${") {
            if let Some(close) = find_close(s, i + 2) {
                match parse_inner(&s[i + 2..close]) {
                    Some(Inner::Escape(c)) => lit.push(c),
                    Some(Inner::Var(v)) => {
                        flush(&mut lit, &mut out);
                        out.push(TSeg::Var(v));
                    }
                    None => lit.push_str(&s[i..=close]),
                }
                i = close + 1;
                continue;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        match c {
            '*' if wild => {
                flush(&mut lit, &mut out);
                out.push(TSeg::Star);
            }
            '?' if wild => {
                flush(&mut lit, &mut out);
                out.push(TSeg::One);
            }
            c => lit.push(c),
        }
        i += c.len_utf8();
    }
    flush(&mut lit, &mut out);
    out
}

/// True when any segment is a variable.
pub(crate) fn has_vars(segs: &[TSeg]) -> bool {
    segs.iter().any(|s| matches!(s, TSeg::Var(_)))
}

/// Converts variable-free template segments into plain glob segments.
pub(crate) fn to_static(segs: Vec<TSeg>) -> Vec<Seg> {
    segs.into_iter()
        .filter_map(|s| match s {
            TSeg::Lit(l) => Some(Seg::Lit(l)),
            TSeg::Star => Some(Seg::Star),
            TSeg::One => Some(Seg::One),
            TSeg::Var(_) => None,
        })
        .collect()
}

/// The value a variable resolves to.
enum Resolved<'a> {
    Value(&'a str),
    /// No value and no default: the pattern never matches.
    Fail,
    Unknown,
}

#[inline]
fn resolve<'a>(var: &'a Var, ctx: &'a Context) -> Resolved<'a> {
    match ctx.lookup(&var.key) {
        Lookup::Present(vals, false) if vals.len() == 1 => Resolved::Value(&vals[0]),
        // Multi-valued keys cannot be used as variables; absent keys have no
        // value. Either way the default applies when given.
        Lookup::Present(..) | Lookup::Absent => match &var.default {
            Some(d) => Resolved::Value(d),
            None => Resolved::Fail,
        },
        Lookup::Unknown => Resolved::Unknown,
    }
}

/// Substitutes variables into `out` (which must be at least as long as
/// `segs`); `True` when `out` holds the complete pattern.
fn substitute<'a>(segs: &'a [TSeg], ctx: &'a Context, out: &mut [SegRef<'a>]) -> Tri {
    let mut state = Tri::True;
    for (s, o) in segs.iter().zip(out.iter_mut()) {
        *o = match s {
            TSeg::Lit(l) => SegRef::Lit(l),
            TSeg::Star => SegRef::Star,
            TSeg::One => SegRef::One,
            TSeg::Var(v) => match resolve(v, ctx) {
                Resolved::Value(x) => SegRef::Lit(x),
                Resolved::Fail => return Tri::False,
                Resolved::Unknown => {
                    state = Tri::Unknown;
                    SegRef::Star
                }
            },
        };
    }
    state
}

/// Patterns with at most this many segments are substituted on the stack.
const INLINE_SEGS: usize = 16;

/// Adds the keys of variables that are unknown in `ctx` to `out`.
pub(crate) fn unknown_vars(segs: &[TSeg], ctx: &Context, out: &mut BTreeSet<String>) {
    for s in segs {
        if let TSeg::Var(v) = s {
            if matches!(ctx.lookup(&v.key), Lookup::Unknown) {
                out.insert(v.key.to_string());
            }
        }
    }
}

/// A wildcard pattern that may contain policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobPat {
    Static(Glob),
    Dynamic(Box<[TSeg]>),
}

impl GlobPat {
    pub(crate) fn new(text: &str, vars: bool) -> GlobPat {
        GlobPat::from_tsegs(parse(text, vars, true))
    }

    pub(crate) fn from_tsegs(segs: Vec<TSeg>) -> GlobPat {
        if has_vars(&segs) {
            GlobPat::Dynamic(segs.into_boxed_slice())
        } else {
            GlobPat::Static(Glob::from_segs(to_static(segs)))
        }
    }

    #[inline]
    pub(crate) fn is_any(&self) -> bool {
        matches!(self, GlobPat::Static(Glob::Any))
    }

    /// The literal text of a pattern without wildcards or variables.
    pub(crate) fn as_exact(&self) -> Option<&str> {
        match self {
            GlobPat::Static(g) => g.as_exact(),
            GlobPat::Dynamic(_) => None,
        }
    }

    /// Case-sensitive match.
    #[inline]
    pub(crate) fn matches(&self, text: &str, ctx: &Context) -> Tri {
        match self {
            GlobPat::Static(g) => g.is_match(text, false).into(),
            GlobPat::Dynamic(segs) => {
                let mut inline = [SegRef::Star; INLINE_SEGS];
                let mut heap;
                let buf: &mut [SegRef<'_>] = if segs.len() <= INLINE_SEGS {
                    &mut inline[..segs.len()]
                } else {
                    heap = vec![SegRef::Star; segs.len()];
                    &mut heap
                };
                match substitute(segs, ctx, buf) {
                    Tri::True => match_segs(buf, text, false).into(),
                    other => other,
                }
            }
        }
    }

    pub(crate) fn unknown_vars(&self, ctx: &Context, out: &mut BTreeSet<String>) {
        if let GlobPat::Dynamic(segs) = self {
            unknown_vars(segs, ctx, out);
        }
    }
}

/// An exact string (no wildcards) that may contain policy variables; used by
/// `StringEquals` and friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StrPat {
    /// Lowercased when compiled for a case-insensitive operator.
    Static(Box<str>),
    Dynamic(Box<[TSeg]>),
}

impl StrPat {
    pub(crate) fn new(text: &str, vars: bool, ignore_case: bool) -> StrPat {
        let segs = parse(text, vars, false);
        if has_vars(&segs) {
            return StrPat::Dynamic(segs.into_boxed_slice());
        }
        let mut s = String::with_capacity(text.len());
        for seg in &segs {
            if let TSeg::Lit(l) = seg {
                s.push_str(l);
            }
        }
        if ignore_case {
            s = s.to_lowercase();
        }
        StrPat::Static(s.into_boxed_str())
    }

    /// Compares `text` with the (substituted) pattern.
    #[inline]
    pub(crate) fn matches(&self, text: &str, ctx: &Context, ignore_case: bool) -> Tri {
        match self {
            StrPat::Static(s) => {
                if ignore_case {
                    eq_ignore_case_lc(s, text).into()
                } else {
                    (**s == *text).into()
                }
            }
            StrPat::Dynamic(segs) => {
                // Walk the text piece by piece: no allocation.
                let mut rest = Some(text);
                let mut unknown = false;
                for seg in segs.iter() {
                    let piece = match seg {
                        TSeg::Lit(l) => &**l,
                        TSeg::Var(v) => match resolve(v, ctx) {
                            Resolved::Value(x) => x,
                            Resolved::Fail => return Tri::False,
                            Resolved::Unknown => {
                                unknown = true;
                                continue;
                            }
                        },
                        // Not produced for exact patterns.
                        TSeg::Star => "*",
                        TSeg::One => "?",
                    };
                    if unknown {
                        continue;
                    }
                    rest = rest.and_then(|r| strip_prefix_cmp(r, piece, ignore_case));
                }
                if unknown {
                    Tri::Unknown
                } else {
                    rest.is_some_and(str::is_empty).into()
                }
            }
        }
    }

    pub(crate) fn unknown_vars(&self, ctx: &Context, out: &mut BTreeSet<String>) {
        if let StrPat::Dynamic(segs) = self {
            unknown_vars(segs, ctx, out);
        }
    }

    /// Resolves the pattern to a string (for values parsed after
    /// substitution, such as `Bool` with a variable).
    pub(crate) fn resolve_to_string(&self, ctx: &Context) -> Result<String, Tri> {
        match self {
            StrPat::Static(s) => Ok(s.to_string()),
            StrPat::Dynamic(segs) => {
                let mut out = String::new();
                let mut unknown = false;
                for seg in segs.iter() {
                    match seg {
                        TSeg::Lit(l) => out.push_str(l),
                        TSeg::Var(v) => match resolve(v, ctx) {
                            Resolved::Value(x) => out.push_str(x),
                            Resolved::Fail => return Err(Tri::False),
                            Resolved::Unknown => unknown = true,
                        },
                        TSeg::Star => out.push('*'),
                        TSeg::One => out.push('?'),
                    }
                }
                if unknown {
                    Err(Tri::Unknown)
                } else {
                    Ok(out)
                }
            }
        }
    }
}

fn strip_prefix_cmp<'t>(text: &'t str, piece: &str, ignore_case: bool) -> Option<&'t str> {
    if ignore_case {
        let n = piece.len();
        let head = text.as_bytes().get(..n)?;
        if head.eq_ignore_ascii_case(piece.as_bytes()) {
            text.get(n..)
        } else {
            None
        }
    } else {
        text.strip_prefix(piece)
    }
}

/// Compares `text` case-insensitively with `lower`, which is already
/// lowercase. Allocation-free; Unicode-aware beyond ASCII.
#[inline]
pub(crate) fn eq_ignore_case_lc(lower: &str, text: &str) -> bool {
    if lower.is_ascii() && text.is_ascii() {
        return lower.eq_ignore_ascii_case(text);
    }
    lower
        .chars()
        .flat_map(char::to_lowercase)
        .eq(text.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> TSeg {
        TSeg::Lit(s.into())
    }

    fn var(k: &str, d: Option<&str>) -> TSeg {
        TSeg::Var(Var {
            key: k.into(),
            default: d.map(Into::into),
        })
    }

    #[test]
    fn parses_variables() {
        assert_eq!(
            parse("user/${aws:username}", true, true),
            vec![lit("user/"), var("aws:username", None)]
        );
        assert_eq!(
            parse("user/${aws:username}", false, true),
            vec![lit("user/${aws:username}")]
        );
        assert_eq!(
            parse("a${*}b*${?}${$}", true, true),
            vec![lit("a*b"), TSeg::Star, lit("?$")]
        );
        assert_eq!(
            parse("${ aws:PrincipalTag/Team , 'it''s' }", true, true),
            vec![var("aws:principaltag/team", Some("it's"))]
        );
        assert_eq!(
            parse("${aws:x, 'a}b'}", true, true),
            vec![var("aws:x", Some("a}b"))]
        );
        // Unterminated or malformed variables are literal text.
        assert_eq!(parse("${aws:x", true, false), vec![lit("${aws:x")]);
        assert_eq!(
            parse("${aws:x, nope}", true, false),
            vec![lit("${aws:x, nope}")]
        );
        assert_eq!(parse("${}", true, false), vec![lit("${}")]);
    }

    #[test]
    fn substitution() {
        let ctx = Context::new().with("aws:username", "alice");
        let p = GlobPat::new("user/${aws:username}", true);
        assert_eq!(p.matches("user/alice", &ctx), Tri::True);
        assert_eq!(p.matches("user/bob", &ctx), Tri::False);
        let p = GlobPat::new("user/${aws:userid}", true);
        assert_eq!(p.matches("user/alice", &ctx), Tri::False);
        let p = GlobPat::new("user/${aws:userid, 'x*'}", true);
        // Substituted text is literal: the '*' in the default is not a wildcard.
        assert_eq!(p.matches("user/x*", &ctx), Tri::True);
        assert_eq!(p.matches("user/xy", &ctx), Tri::False);
        let open = Context::new().open_world();
        assert_eq!(p.matches("user/x*", &open), Tri::Unknown);

        let s = StrPat::new("${aws:username}-team", true, false);
        assert_eq!(s.matches("alice-team", &ctx, false), Tri::True);
        assert_eq!(s.matches("Alice-team", &ctx, false), Tri::False);
        assert_eq!(s.matches("Alice-TEAM", &ctx, true), Tri::True);
        assert_eq!(s.matches("alice-teamx", &ctx, false), Tri::False);
    }

    #[test]
    fn ignore_case_unicode() {
        assert!(eq_ignore_case_lc("straße", "STRAßE"));
        assert!(eq_ignore_case_lc("abc", "ABC"));
        assert!(!eq_ignore_case_lc("abc", "ABD"));
    }
}
