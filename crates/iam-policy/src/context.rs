//! The request context: condition keys and their values.

use serde_json::Value;

use crate::error::{json_pointer_escape, ParseError};

/// How keys that are neither present nor explicitly absent are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum World {
    /// Keys that are not present are absent (the default; how AWS evaluates a
    /// real request).
    #[default]
    Closed,
    /// Keys that are not present and not listed as absent are *unknown*:
    /// conditions on them evaluate to "unknown" and the decision is made
    /// conservatively ("could this be allowed?"), recording the keys it
    /// depended on in [`Decision::depends_on`](crate::Decision::depends_on).
    Open,
}

/// The MFA rows of the AWS condition-key documentation, for
/// [`Context::with_mfa`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaState {
    /// Request signed with long-term access keys: both
    /// `aws:MultiFactorAuthPresent` and `aws:MultiFactorAuthAge` are absent.
    LongTermKeys,
    /// Console sign-in without MFA: `aws:MultiFactorAuthPresent` is `"false"`,
    /// `aws:MultiFactorAuthAge` is absent.
    ConsoleWithoutMfa,
    /// Console or `GetSessionToken` with MFA: `aws:MultiFactorAuthPresent` is
    /// `"true"` and `aws:MultiFactorAuthAge` is the number of seconds since
    /// the MFA authentication.
    WithMfa {
        /// Seconds since the MFA authentication.
        age_seconds: u64,
    },
}

/// The lowercase name of `aws:MultiFactorAuthPresent`.
pub const MFA_PRESENT_KEY: &str = "aws:multifactorauthpresent";
/// The lowercase name of `aws:MultiFactorAuthAge`.
pub const MFA_AGE_KEY: &str = "aws:multifactorauthage";

#[derive(Debug, Clone)]
struct Entry {
    key: Box<str>,
    values: Vec<String>,
    multi: bool,
}

/// The request context: which condition keys are present (with one value or
/// several), which are known to be absent, and whether unmentioned keys are
/// absent (closed world, the default) or unknown (open world).
///
/// Key names are case-insensitive (stored lowercased); values are kept as
/// given. Values are strings, as AWS passes them: booleans are `"true"` /
/// `"false"`, numbers are decimal text, dates ISO 8601 or epoch seconds.
///
/// ```
/// use iam_policy::{Context, MfaState};
/// // KEYS: long-term access keys, no MFA keys at all
/// let keys = Context::new().with("aws:username", "alice");
/// // NOMFA: console sign-in without MFA
/// let nomfa = Context::new().with("aws:username", "alice").with_mfa(MfaState::ConsoleWithoutMfa);
/// // MFA: signed in with MFA 5 minutes ago
/// let mfa = Context::new()
///     .with("aws:username", "alice")
///     .with("aws:MultiFactorAuthPresent", "true")
///     .with("aws:MultiFactorAuthAge", "300");
/// // Open world: only the MFA keys are decided; every other key is unknown
/// let open = Context::new().with_mfa(MfaState::LongTermKeys).open_world();
/// # let _ = (keys, nomfa, mfa, open);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Sorted by key.
    entries: Vec<Entry>,
    /// Sorted, lowercase.
    absent: Vec<Box<str>>,
    world: World,
}

/// The state of one key during evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'a> {
    /// Present, with its values and whether it is multi-valued.
    Present(&'a [String], bool),
    Absent,
    Unknown,
}

impl Context {
    /// An empty, closed-world context: every key is absent.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key (replacing any previous value).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Context {
        self.insert(key, value);
        self
    }

    /// Sets a multi-valued key (for example `aws:CalledVia` or
    /// `aws:TagKeys`), replacing any previous value.
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> Context
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert_values(key, values);
        self
    }

    /// Declares `key` absent (removing any value). Only matters in the open
    /// world, where keys not mentioned are unknown rather than absent.
    pub fn absent(mut self, key: &str) -> Context {
        self.mark_absent(key);
        self
    }

    /// Switches to the open world: keys neither present nor declared absent
    /// are unknown.
    pub fn open_world(mut self) -> Context {
        self.world = World::Open;
        self
    }

    /// Switches to the closed world (the default).
    pub fn closed_world(mut self) -> Context {
        self.world = World::Closed;
        self
    }

    /// Sets the MFA keys for one row of the AWS MFA context matrix. Keys that
    /// the row says are absent are declared absent, so this is meaningful in
    /// the open world too.
    pub fn with_mfa(mut self, state: MfaState) -> Context {
        self.set_mfa(state);
        self
    }

    /// In-place form of [`Context::with`].
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.put(key, vec![value.into()], false);
    }

    /// In-place form of [`Context::with_values`].
    pub fn insert_values<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.put(key, values, true);
    }

    /// In-place form of [`Context::absent`].
    pub fn mark_absent(&mut self, key: &str) {
        let key = key.to_lowercase();
        self.remove_entry(&key);
        if let Err(pos) = self.absent.binary_search_by(|k| (**k).cmp(key.as_str())) {
            self.absent.insert(pos, key.into_boxed_str());
        }
    }

    /// Removes `key` entirely: it is then neither present nor declared
    /// absent (so absent in the closed world, unknown in the open world).
    pub fn remove(&mut self, key: &str) {
        let key = key.to_lowercase();
        self.remove_entry(&key);
        if let Ok(pos) = self.absent.binary_search_by(|k| (**k).cmp(key.as_str())) {
            self.absent.remove(pos);
        }
    }

    /// Sets the world mode.
    pub fn set_world(&mut self, world: World) {
        self.world = world;
    }

    /// In-place form of [`Context::with_mfa`].
    pub fn set_mfa(&mut self, state: MfaState) {
        match state {
            MfaState::LongTermKeys => {
                self.mark_absent(MFA_PRESENT_KEY);
                self.mark_absent(MFA_AGE_KEY);
            }
            MfaState::ConsoleWithoutMfa => {
                self.insert(MFA_PRESENT_KEY, "false");
                self.mark_absent(MFA_AGE_KEY);
            }
            MfaState::WithMfa { age_seconds } => {
                self.insert(MFA_PRESENT_KEY, "true");
                self.insert(MFA_AGE_KEY, age_seconds.to_string());
            }
        }
    }

    /// The world mode.
    pub fn world(&self) -> World {
        self.world
    }

    /// True in the open world.
    pub fn is_open_world(&self) -> bool {
        self.world == World::Open
    }

    /// The values of a present key (case-insensitive name).
    pub fn get(&self, key: &str) -> Option<&[String]> {
        let key = key.to_lowercase();
        self.find(&key).map(|e| e.values.as_slice())
    }

    /// True when `key` is present and was given as multi-valued.
    pub fn is_multi_valued(&self, key: &str) -> bool {
        let key = key.to_lowercase();
        self.find(&key).is_some_and(|e| e.multi)
    }

    /// True when `key` was explicitly declared absent.
    pub fn is_declared_absent(&self, key: &str) -> bool {
        let key = key.to_lowercase();
        self.absent
            .binary_search_by(|k| (**k).cmp(key.as_str()))
            .is_ok()
    }

    /// The present keys (lowercase), in sorted order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| &*e.key)
    }

    /// The keys declared absent (lowercase), in sorted order.
    pub fn absent_keys(&self) -> impl Iterator<Item = &str> {
        self.absent.iter().map(|k| &**k)
    }

    /// Builds a closed-world context from a JSON object: a string, boolean or
    /// number is a single value, an array of those is a multi-valued key, and
    /// `null` declares the key absent.
    pub fn from_json(value: &Value) -> Result<Context, ParseError> {
        let obj = value.as_object().ok_or_else(|| ParseError {
            path: String::new(),
            message: "a request context must be a JSON object".into(),
            line: None,
            column: None,
        })?;
        let mut ctx = Context::new();
        for (k, v) in obj {
            let path = format!("/{}", json_pointer_escape(k));
            match v {
                Value::Null => ctx.mark_absent(k),
                Value::Array(items) => {
                    let mut vals = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        vals.push(scalar(item).ok_or_else(|| ParseError {
                            path: format!("{path}/{i}"),
                            message: "expected a string, boolean or number".into(),
                            line: None,
                            column: None,
                        })?);
                    }
                    ctx.insert_values(k, vals);
                }
                other => {
                    let s = scalar(other).ok_or_else(|| ParseError {
                        path: path.clone(),
                        message: "expected a string, boolean, number, array or null".into(),
                        line: None,
                        column: None,
                    })?;
                    ctx.insert(k, s);
                }
            }
        }
        Ok(ctx)
    }

    fn put(&mut self, key: &str, values: Vec<String>, multi: bool) {
        let key = key.to_lowercase();
        if let Ok(pos) = self.absent.binary_search_by(|k| (**k).cmp(key.as_str())) {
            self.absent.remove(pos);
        }
        match self
            .entries
            .binary_search_by(|e| (*e.key).cmp(key.as_str()))
        {
            Ok(pos) => {
                self.entries[pos].values = values;
                self.entries[pos].multi = multi;
            }
            Err(pos) => self.entries.insert(
                pos,
                Entry {
                    key: key.into_boxed_str(),
                    values,
                    multi,
                },
            ),
        }
    }

    fn remove_entry(&mut self, key_lc: &str) {
        if let Ok(pos) = self.entries.binary_search_by(|e| (*e.key).cmp(key_lc)) {
            self.entries.remove(pos);
        }
    }

    #[inline]
    fn find(&self, key_lc: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| (*e.key).cmp(key_lc))
            .ok()
            .and_then(|pos| self.entries.get(pos))
    }

    /// Looks up a key already lowercased.
    #[inline]
    pub(crate) fn lookup(&self, key_lc: &str) -> Lookup<'_> {
        if let Some(e) = self.find(key_lc) {
            return Lookup::Present(&e.values, e.multi);
        }
        match self.world {
            World::Closed => Lookup::Absent,
            World::Open => {
                if self.absent.binary_search_by(|k| (**k).cmp(key_lc)).is_ok() {
                    Lookup::Absent
                } else {
                    Lookup::Unknown
                }
            }
        }
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive() {
        let c = Context::new().with("AWS:UserName", "Alice");
        assert_eq!(c.get("aws:username"), Some(&["Alice".to_string()][..]));
        assert!(matches!(
            c.lookup("aws:username"),
            Lookup::Present(_, false)
        ));
        assert!(matches!(c.lookup("aws:other"), Lookup::Absent));
    }

    #[test]
    fn open_world() {
        let c = Context::new().absent("aws:SourceIp").open_world();
        assert!(matches!(c.lookup("aws:sourceip"), Lookup::Absent));
        assert!(matches!(c.lookup("aws:other"), Lookup::Unknown));
        let c = c.with("aws:SourceIp", "10.0.0.1");
        assert!(matches!(c.lookup("aws:sourceip"), Lookup::Present(..)));
        assert!(!c.is_declared_absent("aws:sourceip"));
    }

    #[test]
    fn mfa_rows() {
        let c = Context::new()
            .with_mfa(MfaState::WithMfa { age_seconds: 60 })
            .with_mfa(MfaState::LongTermKeys)
            .open_world();
        assert!(matches!(c.lookup(MFA_PRESENT_KEY), Lookup::Absent));
        assert!(matches!(c.lookup(MFA_AGE_KEY), Lookup::Absent));
        let c = c.with_mfa(MfaState::ConsoleWithoutMfa);
        assert_eq!(c.get(MFA_PRESENT_KEY), Some(&["false".to_string()][..]));
    }

    #[test]
    fn from_json() {
        let v: Value = serde_json::json!({"a": "x", "b": true, "c": 3, "d": ["p", "q"], "e": null});
        let c = Context::from_json(&v).unwrap();
        assert_eq!(c.get("b"), Some(&["true".to_string()][..]));
        assert_eq!(c.get("c"), Some(&["3".to_string()][..]));
        assert!(c.is_multi_valued("d"));
        assert!(c.is_declared_absent("e"));
        let bad: Value = serde_json::json!({"a": {"x": 1}});
        assert_eq!(Context::from_json(&bad).unwrap_err().path, "/a");
    }
}
