//! Condition operators and their evaluation (including the three-valued
//! open-world mode).

use std::collections::BTreeSet;
use std::fmt;

use crate::arn::ArnPat;
use crate::context::{Context, Lookup};
use crate::template::{GlobPat, StrPat};
use crate::tri::Tri;
use crate::values::{parse_bool, parse_date, parse_number, Cidr};

/// The base condition operator (without `IfExists` or a set qualifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum OperatorKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl OperatorKind {
    /// Every operator AWS documents.
    pub const ALL: [OperatorKind; 27] = [
        OperatorKind::StringEquals,
        OperatorKind::StringNotEquals,
        OperatorKind::StringEqualsIgnoreCase,
        OperatorKind::StringNotEqualsIgnoreCase,
        OperatorKind::StringLike,
        OperatorKind::StringNotLike,
        OperatorKind::NumericEquals,
        OperatorKind::NumericNotEquals,
        OperatorKind::NumericLessThan,
        OperatorKind::NumericLessThanEquals,
        OperatorKind::NumericGreaterThan,
        OperatorKind::NumericGreaterThanEquals,
        OperatorKind::DateEquals,
        OperatorKind::DateNotEquals,
        OperatorKind::DateLessThan,
        OperatorKind::DateLessThanEquals,
        OperatorKind::DateGreaterThan,
        OperatorKind::DateGreaterThanEquals,
        OperatorKind::Bool,
        OperatorKind::BinaryEquals,
        OperatorKind::IpAddress,
        OperatorKind::NotIpAddress,
        OperatorKind::ArnEquals,
        OperatorKind::ArnLike,
        OperatorKind::ArnNotEquals,
        OperatorKind::ArnNotLike,
        OperatorKind::Null,
    ];

    /// The operator name as AWS spells it.
    pub fn name(self) -> &'static str {
        use OperatorKind::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            Bool => "Bool",
            BinaryEquals => "BinaryEquals",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
            ArnEquals => "ArnEquals",
            ArnLike => "ArnLike",
            ArnNotEquals => "ArnNotEquals",
            ArnNotLike => "ArnNotLike",
            Null => "Null",
        }
    }

    /// Case-insensitive lookup by name.
    pub fn from_name(name: &str) -> Option<OperatorKind> {
        OperatorKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// True for the negated matching operators (`StringNotEquals`,
    /// `StringNotEqualsIgnoreCase`, `StringNotLike`, `NumericNotEquals`,
    /// `DateNotEquals`, `NotIpAddress`, `ArnNotEquals`, `ArnNotLike`): their
    /// values combine as NOR, and on an absent key they are true.
    pub fn is_negated(self) -> bool {
        use OperatorKind::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

impl fmt::Display for OperatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetQualifier {
    /// True when every request value matches (and when the key is absent).
    ForAllValues,
    /// True when at least one request value matches (false when absent).
    ForAnyValue,
}

/// A full condition operator, e.g. `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The base operator.
    pub kind: OperatorKind,
    /// The `...IfExists` suffix: true when the key is absent.
    pub if_exists: bool,
    /// The set qualifier prefix, if any.
    pub qualifier: Option<SetQualifier>,
}

impl Operator {
    /// Parses an operator name (case-insensitive). The error says why the
    /// name is not a known operator.
    pub fn parse(name: &str) -> Result<Operator, String> {
        let (qualifier, rest) = if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (base, if_exists) = match strip_suffix_ci(rest, "IfExists") {
            Some(b) if OperatorKind::from_name(rest).is_none() => (b, true),
            _ => (rest, false),
        };
        let Some(kind) = OperatorKind::from_name(base) else {
            return Err(format!("unknown condition operator {name:?}"));
        };
        if kind == OperatorKind::Null && if_exists {
            return Err("the Null operator cannot take the IfExists suffix".into());
        }
        Ok(Operator {
            kind,
            if_exists,
            qualifier,
        })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(self.kind.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix)
        .then(|| s.get(..cut))
        .flatten()
}

/// One condition: an operator applied to one key with one or more values.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// The condition key as written.
    pub key: String,
    /// The values as written (JSON booleans and numbers as their text).
    pub values: Vec<String>,
    pub(crate) key_lc: Box<str>,
    pub(crate) compiled: Values,
}

/// Pre-parsed condition values.
#[derive(Debug, Clone)]
pub(crate) enum Values {
    Str(Box<[StrPat]>),
    Like(Box<[GlobPat]>),
    Num(Box<[f64]>),
    Date(Box<[i64]>),
    Bool(Box<[BoolVal]>),
    Binary(Box<[Box<str>]>),
    Ip(Box<[Cidr]>),
    Arn(Box<[ArnPat]>),
    Null(Box<[bool]>),
}

#[derive(Debug, Clone)]
pub(crate) enum BoolVal {
    Lit(bool),
    Dynamic(StrPat),
}

/// Compiles the values of one condition. Errors carry the index of the bad
/// value.
pub(crate) fn compile(
    kind: OperatorKind,
    values: &[String],
    vars: bool,
) -> Result<Values, (usize, String)> {
    use OperatorKind::*;
    fn each<T>(
        values: &[String],
        mut f: impl FnMut(&str) -> Result<T, String>,
    ) -> Result<Box<[T]>, (usize, String)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| f(v).map_err(|m| (i, m)))
            .collect()
    }
    Ok(match kind {
        StringEquals | StringNotEquals => {
            Values::Str(each(values, |v| Ok(StrPat::new(v, vars, false)))?)
        }
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            Values::Str(each(values, |v| Ok(StrPat::new(v, vars, true)))?)
        }
        StringLike | StringNotLike => Values::Like(each(values, |v| Ok(GlobPat::new(v, vars)))?),
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => Values::Num(each(values, |v| {
            parse_number(v).ok_or_else(|| format!("{v:?} is not a number"))
        })?),
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            Values::Date(each(values, |v| {
                parse_date(v).ok_or_else(|| {
                format!("{v:?} is not a date (ISO 8601 such as 2024-01-31T00:00:00Z, or epoch seconds)")
            })
            })?)
        }
        Bool => Values::Bool(each(values, |v| match parse_bool(v) {
            Some(b) => Ok(BoolVal::Lit(b)),
            None if vars && v.contains("${") => Ok(BoolVal::Dynamic(StrPat::new(v, vars, false))),
            None => Err(format!("{v:?} is not a boolean (\"true\" or \"false\")")),
        })?),
        BinaryEquals => Values::Binary(each(values, |v| Ok(Box::<str>::from(v)))?),
        IpAddress | NotIpAddress => Values::Ip(each(values, |v| {
            Cidr::parse(v).ok_or_else(|| {
                format!("{v:?} is not an IP address or CIDR range (such as 203.0.113.0/24)")
            })
        })?),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
            Values::Arn(each(values, |v| Ok(ArnPat::new(v, vars)))?)
        }
        Null => Values::Null(each(values, |v| {
            parse_bool(v).ok_or_else(|| format!("{v:?} is not a boolean (\"true\" or \"false\")"))
        })?),
    })
}

impl Condition {
    pub(crate) fn new(
        operator: Operator,
        key: &str,
        values: Vec<String>,
        compiled: Values,
    ) -> Condition {
        Condition {
            operator,
            key: key.to_string(),
            key_lc: key.to_lowercase().into_boxed_str(),
            values,
            compiled,
        }
    }

    /// The condition key, lowercased.
    pub fn key_lowercase(&self) -> &str {
        &self.key_lc
    }

    /// Evaluates against `ctx`: `Some(result)`, or `None` when it depends on
    /// keys unknown in an open-world context.
    pub fn evaluate(&self, ctx: &Context) -> Option<bool> {
        match self.eval(ctx) {
            Tri::True => Some(true),
            Tri::False => Some(false),
            Tri::Unknown => None,
        }
    }

    pub(crate) fn eval(&self, ctx: &Context) -> Tri {
        let op = self.operator;
        let lookup = ctx.lookup(&self.key_lc);
        if let Values::Null(expect) = &self.compiled {
            // Null: "true" means the key must be absent, "false" present.
            return match lookup {
                Lookup::Unknown => Tri::Unknown,
                Lookup::Absent => expect.contains(&true).into(),
                Lookup::Present(..) => expect.contains(&false).into(),
            };
        }
        let negated = op.kind.is_negated();
        match lookup {
            Lookup::Unknown => Tri::Unknown,
            Lookup::Absent => {
                if op.if_exists {
                    return Tri::True;
                }
                match op.qualifier {
                    Some(SetQualifier::ForAllValues) => Tri::True,
                    Some(SetQualifier::ForAnyValue) => Tri::False,
                    None => negated.into(),
                }
            }
            Lookup::Present(vals, _) => match op.qualifier {
                None => {
                    // Any request value matching any policy value; a negated
                    // operator is true when none does.
                    let mut any = Tri::False;
                    for r in vals {
                        any = any.or(self.any_match(r, ctx));
                        if any == Tri::True {
                            break;
                        }
                    }
                    if negated {
                        any.not()
                    } else {
                        any
                    }
                }
                Some(SetQualifier::ForAnyValue) => {
                    let mut acc = Tri::False;
                    for r in vals {
                        acc = acc.or(self.per_value(r, ctx, negated));
                        if acc == Tri::True {
                            break;
                        }
                    }
                    acc
                }
                Some(SetQualifier::ForAllValues) => {
                    let mut acc = Tri::True;
                    for r in vals {
                        acc = acc.and(self.per_value(r, ctx, negated));
                        if acc == Tri::False {
                            break;
                        }
                    }
                    acc
                }
            },
        }
    }

    #[inline]
    fn per_value(&self, r: &str, ctx: &Context, negated: bool) -> Tri {
        let m = self.any_match(r, ctx);
        if negated {
            m.not()
        } else {
            m
        }
    }

    /// Does request value `r` match any policy value under the positive form
    /// of the operator?
    fn any_match(&self, r: &str, ctx: &Context) -> Tri {
        use OperatorKind::*;
        let kind = self.operator.kind;
        match &self.compiled {
            Values::Str(pats) => {
                let ic = matches!(kind, StringEqualsIgnoreCase | StringNotEqualsIgnoreCase);
                any(pats.iter(), |p| p.matches(r, ctx, ic))
            }
            Values::Like(pats) => any(pats.iter(), |p| p.matches(r, ctx)),
            Values::Arn(pats) => any(pats.iter(), |p| p.matches(r, ctx)),
            Values::Binary(vals) => vals.iter().any(|v| **v == *r).into(),
            Values::Ip(cidrs) => cidrs.iter().any(|c| c.contains(r)).into(),
            Values::Num(nums) => {
                let Some(x) = parse_number(r) else {
                    return Tri::False;
                };
                nums.iter()
                    .any(|&v| match kind {
                        NumericLessThan => x < v,
                        NumericLessThanEquals => x <= v,
                        NumericGreaterThan => x > v,
                        NumericGreaterThanEquals => x >= v,
                        _ => x == v,
                    })
                    .into()
            }
            Values::Date(dates) => {
                let Some(x) = parse_date(r) else {
                    return Tri::False;
                };
                dates
                    .iter()
                    .any(|&v| match kind {
                        DateLessThan => x < v,
                        DateLessThanEquals => x <= v,
                        DateGreaterThan => x > v,
                        DateGreaterThanEquals => x >= v,
                        _ => x == v,
                    })
                    .into()
            }
            Values::Bool(vals) => {
                let Some(x) = parse_bool(r) else {
                    return Tri::False;
                };
                any(vals.iter(), |v| match v {
                    BoolVal::Lit(b) => (*b == x).into(),
                    BoolVal::Dynamic(p) => match p.resolve_to_string(ctx) {
                        Ok(s) => (parse_bool(&s) == Some(x)).into(),
                        Err(t) => t,
                    },
                })
            }
            Values::Null(_) => Tri::False,
        }
    }

    /// Adds the keys that make this condition unknown in `ctx`.
    pub(crate) fn unknown_keys(&self, ctx: &Context, out: &mut BTreeSet<String>) {
        if matches!(ctx.lookup(&self.key_lc), Lookup::Unknown) {
            out.insert(self.key_lc.to_string());
        }
        match &self.compiled {
            Values::Str(p) => p.iter().for_each(|p| p.unknown_vars(ctx, out)),
            Values::Like(p) => p.iter().for_each(|p| p.unknown_vars(ctx, out)),
            Values::Arn(p) => p.iter().for_each(|p| p.unknown_vars(ctx, out)),
            Values::Bool(p) => p.iter().for_each(|v| {
                if let BoolVal::Dynamic(p) = v {
                    p.unknown_vars(ctx, out);
                }
            }),
            _ => {}
        }
    }
}

#[inline]
fn any<T>(items: impl Iterator<Item = T>, mut f: impl FnMut(T) -> Tri) -> Tri {
    let mut acc = Tri::False;
    for it in items {
        acc = acc.or(f(it));
        if acc == Tri::True {
            break;
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.kind, OperatorKind::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.qualifier, Some(SetQualifier::ForAnyValue));
        assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
        assert_eq!(
            Operator::parse("boolifexists").unwrap().to_string(),
            "BoolIfExists"
        );
        assert!(Operator::parse("StringEqualsFoo").is_err());
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("BinaryNotEquals").is_err());
        assert!(Operator::parse("ForAllValues:").is_err());
        assert!(Operator::parse("").is_err());
        for k in OperatorKind::ALL {
            assert_eq!(Operator::parse(k.name()).unwrap().kind, k);
        }
    }
}
