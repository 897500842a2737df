//! ARN pattern matching for `Resource`/`NotResource` and the `Arn*`
//! condition operators.
//!
//! A pattern with at least five `:` separators is matched segment by segment:
//! `partition:service:region:account:resource` after the leading `arn`, so
//! wildcards in the first five segments never cross a `:`, while `*` in the
//! resource segment matches anything, including `/` and `:`. Any other
//! pattern (such as `*`) is matched against the whole text.

use std::collections::BTreeSet;

use crate::context::Context;
use crate::policy::Target;
use crate::template::{self, GlobPat, TSeg};
use crate::tri::Tri;

/// A compiled ARN (or plain) pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPat {
    Any,
    Whole(GlobPat),
    /// The first five fields are literal: `head` is them with their five
    /// `:` separators, `tail` matches the resource field.
    Head {
        head: Box<str>,
        tail: GlobPat,
    },
    Parts(Box<[GlobPat; 6]>),
}

impl ArnPat {
    pub(crate) fn new(text: &str, vars: bool) -> ArnPat {
        if text == "*" {
            return ArnPat::Any;
        }
        let segs = template::parse(text, vars, true);
        match split_parts(&segs) {
            // Even "*:*:*:*:*:*" keeps its parts: it requires six segments.
            Some(parts) => {
                let [p0, p1, p2, p3, p4, p5] = parts.map(GlobPat::from_tsegs);
                let fields = [&p0, &p1, &p2, &p3, &p4];
                if let Some(exact) = fields
                    .iter()
                    .map(|p| p.as_exact())
                    .collect::<Option<Vec<_>>>()
                {
                    let mut head = exact.join(":");
                    head.push(':');
                    return ArnPat::Head {
                        head: head.into_boxed_str(),
                        tail: p5,
                    };
                }
                ArnPat::Parts(Box::new([p0, p1, p2, p3, p4, p5]))
            }
            None => {
                let g = GlobPat::from_tsegs(segs);
                if g.is_any() {
                    ArnPat::Any
                } else {
                    ArnPat::Whole(g)
                }
            }
        }
    }

    /// Case-sensitive match of `text`.
    #[inline]
    pub(crate) fn matches(&self, text: &str, ctx: &Context) -> Tri {
        match self {
            ArnPat::Parts(_) => self.matches_split(text, split6(text).as_ref(), ctx),
            _ => self.matches_split(text, None, ctx),
        }
    }

    /// Matches the resource of a prepared request (split once, on demand).
    #[inline]
    pub(crate) fn matches_target(&self, t: &Target<'_>) -> Tri {
        match self {
            ArnPat::Parts(_) => self.matches_split(t.resource, t.resource_parts(), t.ctx),
            _ => self.matches_split(t.resource, None, t.ctx),
        }
    }

    /// Like [`ArnPat::matches`] with `text` already split by [`split6`]
    /// (only [`ArnPat::Parts`] uses the split).
    #[inline]
    pub(crate) fn matches_split(
        &self,
        text: &str,
        split: Option<&[&str; 6]>,
        ctx: &Context,
    ) -> Tri {
        match self {
            ArnPat::Any => Tri::True,
            ArnPat::Whole(g) => g.matches(text, ctx),
            ArnPat::Head { head, tail } => match text.strip_prefix(&**head) {
                Some(rest) => tail.matches(rest, ctx),
                None => Tri::False,
            },
            ArnPat::Parts(parts) => {
                let Some(split) = split else {
                    return Tri::False;
                };
                let mut acc = Tri::True;
                for (p, t) in parts.iter().zip(split) {
                    if p.is_any() {
                        continue;
                    }
                    acc = acc.and(p.matches(t, ctx));
                    if acc == Tri::False {
                        return Tri::False;
                    }
                }
                acc
            }
        }
    }

    pub(crate) fn unknown_vars(&self, ctx: &Context, out: &mut BTreeSet<String>) {
        match self {
            ArnPat::Any => {}
            ArnPat::Whole(g) | ArnPat::Head { tail: g, .. } => g.unknown_vars(ctx, out),
            ArnPat::Parts(parts) => parts.iter().for_each(|p| p.unknown_vars(ctx, out)),
        }
    }
}

/// Splits an ARN into its six `:`-separated fields (the last keeps any
/// further `:`); `None` when it has fewer than six.
#[inline]
pub(crate) fn split6(s: &str) -> Option<[&str; 6]> {
    let mut out = [""; 6];
    let mut it = s.splitn(6, ':');
    for slot in &mut out {
        *slot = it.next()?;
    }
    Some(out)
}

/// Splits template segments at the first five `:` found in literal text.
fn split_parts(segs: &[TSeg]) -> Option<[Vec<TSeg>; 6]> {
    let colons: usize = segs
        .iter()
        .map(|s| match s {
            TSeg::Lit(l) => l.matches(':').count(),
            _ => 0,
        })
        .sum();
    if colons < 5 {
        return None;
    }
    let mut parts: [Vec<TSeg>; 6] = Default::default();
    let mut idx = 0usize;
    for s in segs {
        match s {
            TSeg::Lit(l) if idx < 5 => {
                let mut rest: &str = l;
                while idx < 5 {
                    match rest.split_once(':') {
                        Some((head, tail)) => {
                            if !head.is_empty() {
                                parts[idx].push(TSeg::Lit(head.into()));
                            }
                            idx += 1;
                            rest = tail;
                        }
                        None => break,
                    }
                }
                if !rest.is_empty() {
                    parts[idx].push(TSeg::Lit(rest.into()));
                }
            }
            other => parts[idx].push(other.clone()),
        }
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        ArnPat::new(p, true).matches(t, &Context::new().with("aws:username", "alice")) == Tri::True
    }

    #[test]
    fn segment_wise() {
        assert!(m("*", "anything"));
        assert!(m(
            "arn:aws:iam::*:user/${aws:username}",
            "arn:aws:iam::123456789012:user/alice"
        ));
        assert!(!m(
            "arn:aws:iam::*:user/${aws:username}",
            "arn:aws:iam::123456789012:user/bob"
        ));
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c"));
        assert!(!m("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/a"));
        // '*' in the account segment does not swallow ':'
        assert!(!m("arn:aws:iam::*:user/x", "arn:aws:iam::1:2:user/x"));
        assert!(m("arn:aws:*:*:*:*", "arn:aws:ec2:us-east-1:1:instance/i-1"));
        assert!(!m("arn:aws:*:*:*:*", "arn:aws:ec2"));
        assert!(m(
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:eu-west-1:1:instance/i-1"
        ));
        assert!(!m(
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:eu-west-1:1:volume/v-1"
        ));
        assert!(m("arn:aws:ec2:us-*-1:*:*", "arn:aws:ec2:us-east-1:1:x"));
        assert!(!m("arn:aws:ec2:us-*-1:*:*", "arn:aws:ec2:us-east-2:1:x"));
        assert!(m(
            "arn:aws:iam::${aws:username}:root",
            "arn:aws:iam::alice:root"
        ));
        // case-sensitive
        assert!(!m("arn:aws:iam::*:user/Alice", "arn:aws:iam::1:user/alice"));
    }
}
