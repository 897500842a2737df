//! Wildcard matching: `*` matches any run of characters (including none and
//! including `/` and `:`), `?` matches exactly one character.
//!
//! Patterns are compiled once into a [`Glob`], with fast paths for the shapes
//! that dominate real policies (`*`, exact text, `prefix*`, `*suffix`).

/// One piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Lit(Box<str>),
    Star,
    One,
}

/// A borrowed piece of a pattern, used when a pattern is assembled at
/// evaluation time from policy variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SegRef<'a> {
    Lit(&'a str),
    Star,
    One,
}

/// Anything that can be viewed as a pattern segment.
pub(crate) trait AsSeg {
    fn as_seg(&self) -> SegRef<'_>;
}

impl AsSeg for Seg {
    #[inline]
    fn as_seg(&self) -> SegRef<'_> {
        match self {
            Seg::Lit(l) => SegRef::Lit(l),
            Seg::Star => SegRef::Star,
            Seg::One => SegRef::One,
        }
    }
}

impl AsSeg for SegRef<'_> {
    #[inline]
    fn as_seg(&self) -> SegRef<'_> {
        *self
    }
}

/// Splits plain pattern text into segments (`*` and `?` are wildcards).
pub(crate) fn segs_of(s: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut lit = String::new();
    for c in s.chars() {
        match c {
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Seg::Lit(std::mem::take(&mut lit).into_boxed_str()));
                }
                out.push(if c == '*' { Seg::Star } else { Seg::One });
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Seg::Lit(lit.into_boxed_str()));
    }
    out
}

/// Merges adjacent literals and collapses runs of `*`.
fn normalize(segs: Vec<Seg>) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::with_capacity(segs.len());
    for s in segs {
        match (out.last_mut(), s) {
            (Some(Seg::Star), Seg::Star) => {}
            (Some(Seg::Lit(prev)), Seg::Lit(l)) => {
                let mut joined = String::with_capacity(prev.len() + l.len());
                joined.push_str(prev);
                joined.push_str(&l);
                *prev = joined.into_boxed_str();
            }
            (_, Seg::Lit(l)) if l.is_empty() => {}
            (_, s) => out.push(s),
        }
    }
    out
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Glob {
    /// `*`: matches everything.
    Any,
    /// No wildcard at all.
    Exact(Box<str>),
    /// `text*`
    Prefix(Box<str>),
    /// `*text`
    Suffix(Box<str>),
    /// Anything else.
    General(Box<[Seg]>),
}

impl Glob {
    /// Compiles plain pattern text where `*` and `?` are wildcards.
    pub(crate) fn new(pattern: &str) -> Glob {
        Glob::from_segs(segs_of(pattern))
    }

    /// Compiles a segment list.
    pub(crate) fn from_segs(segs: Vec<Seg>) -> Glob {
        let segs = normalize(segs);
        match segs.as_slice() {
            [] => Glob::Exact("".into()),
            [Seg::Star] => Glob::Any,
            [Seg::Lit(l)] => Glob::Exact(l.clone()),
            [Seg::Lit(l), Seg::Star] => Glob::Prefix(l.clone()),
            [Seg::Star, Seg::Lit(l)] => Glob::Suffix(l.clone()),
            _ => Glob::General(segs.into_boxed_slice()),
        }
    }

    /// The literal text when the pattern has no wildcard.
    pub(crate) fn as_exact(&self) -> Option<&str> {
        match self {
            Glob::Exact(s) => Some(s),
            _ => None,
        }
    }

    /// Matches `text`; `ci` makes ASCII letters compare case-insensitively.
    #[inline]
    pub(crate) fn is_match(&self, text: &str, ci: bool) -> bool {
        let t = text.as_bytes();
        match self {
            Glob::Any => true,
            Glob::Exact(l) => bytes_eq(t, l.as_bytes(), ci),
            Glob::Prefix(l) => {
                let l = l.as_bytes();
                t.len() >= l.len() && bytes_eq(&t[..l.len()], l, ci)
            }
            Glob::Suffix(l) => {
                let l = l.as_bytes();
                t.len() >= l.len() && bytes_eq(&t[t.len() - l.len()..], l, ci)
            }
            Glob::General(segs) => match_segs(segs, text, ci),
        }
    }
}

#[inline]
fn bytes_eq(a: &[u8], b: &[u8], ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Length in bytes of the UTF-8 character starting at `t[i]`.
#[inline]
fn char_len(t: &[u8], i: usize) -> usize {
    let b = t[i];
    let n = if b < 0x80 {
        1
    } else if b >= 0xF0 {
        4
    } else if b >= 0xE0 {
        3
    } else {
        2
    };
    n.min(t.len() - i)
}

/// Matches `text` against a segment list. Linear-time greedy matching with
/// backtracking to the most recent `*` only (sufficient for `*`/`?` globs).
pub(crate) fn match_segs<S: AsSeg>(segs: &[S], text: &str, ci: bool) -> bool {
    let t = text.as_bytes();
    let (mut si, mut ti) = (0usize, 0usize);
    // (segment index after the star, text position the star currently ends at)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if si < segs.len() {
            match segs[si].as_seg() {
                SegRef::Star => {
                    if si + 1 == segs.len() {
                        return true;
                    }
                    star = Some((si + 1, ti));
                    si += 1;
                    continue;
                }
                SegRef::One => {
                    if ti < t.len() {
                        ti += char_len(t, ti);
                        si += 1;
                        continue;
                    }
                }
                SegRef::Lit(l) => {
                    let l = l.as_bytes();
                    if t.len() - ti >= l.len() && bytes_eq(&t[ti..ti + l.len()], l, ci) {
                        ti += l.len();
                        si += 1;
                        continue;
                    }
                }
            }
        } else if ti == t.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more character.
        match star {
            Some((after, end)) if end < t.len() => {
                let next = end + char_len(t, end);
                star = Some((after, next));
                si = after;
                ti = next;
            }
            _ => return false,
        }
    }
}

/// Matches `text` against an IAM wildcard `pattern` (`*` = any run of
/// characters, `?` = exactly one character). With `ignore_case`, ASCII letters
/// compare case-insensitively (as for action names); otherwise the comparison
/// is exact (as for `StringLike` and resource ARNs).
///
/// This is the matcher the engine uses everywhere; it is public so that
/// callers (for example code walking the action catalogue) match exactly as
/// the engine does. Patterns compiled inside policies are cached; this
/// function compiles `pattern` on every call.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    Glob::new(pattern).is_match(text, ignore_case)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(Glob::new("*"), Glob::Any);
        assert_eq!(Glob::new("**"), Glob::Any);
        assert_eq!(Glob::new("abc"), Glob::Exact("abc".into()));
        assert_eq!(Glob::new("abc*"), Glob::Prefix("abc".into()));
        assert_eq!(Glob::new("*abc"), Glob::Suffix("abc".into()));
        assert!(matches!(Glob::new("a*b"), Glob::General(_)));
    }

    #[test]
    fn matching() {
        assert!(wildcard_match("a*b", "ab", false));
        assert!(wildcard_match("a*b", "axxb", false));
        assert!(!wildcard_match("a*b", "axxbc", false));
        assert!(wildcard_match("a?c", "abc", false));
        assert!(wildcard_match("a?c", "aéc", false));
        assert!(!wildcard_match("a?c", "ac", false));
        assert!(wildcard_match("*a*a*", "banana", false));
        assert!(!wildcard_match("*a*a*a*a", "banana", false));
        assert!(wildcard_match("Describe*", "describeinstances", true));
        assert!(!wildcard_match("Describe*", "describeinstances", false));
        assert!(wildcard_match("", "", false));
        assert!(!wildcard_match("", "x", false));
        assert!(wildcard_match("?*", "x", false));
        assert!(!wildcard_match("?*", "", false));
        assert!(wildcard_match("*/*", "user/alice", false));
    }
}
