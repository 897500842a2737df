//! The TOML configuration: break-glass users, exceptions and scan settings.
//!
//! ```toml
//! [breakglass]
//! users = ["name-or-arn"]
//!
//! [[exceptions]]
//! check = "iam.console_user_mfa"
//! resource = "arn:aws:iam::123456789012:user/x"
//! owner = "someone@example.com"
//! reason = "vendor SSO migration"
//! expires = "2027-01-31"
//! reviewed = "2026-10-01"
//!
//! [scan]
//! max_report_age_hours = 4
//!
//! [live]                        # live collection; flags override these
//! connect_timeout_seconds = 5
//! read_timeout_seconds = 30
//! call_timeout_seconds = 120
//! report_timeout_seconds = 120
//! account_timeout_seconds = 900
//! max_attempts = 8
//! ```

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};

use crate::error::{read_text, InputError};

/// Default age after which the credential report is called stale.
pub const DEFAULT_MAX_REPORT_AGE_HOURS: f64 = 4.0;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub breakglass_users: Vec<String>,
    pub exceptions: Vec<Exception>,
    pub max_report_age_hours: f64,
    /// Live collection settings; `None` leaves the built-in default.
    pub live: LiveSettings,
    /// The file the config was read from, for messages.
    pub source: Option<String>,
}

/// The `[live]` section: time limits (seconds) and attempts per call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveSettings {
    pub connect_timeout_seconds: Option<f64>,
    pub read_timeout_seconds: Option<f64>,
    pub call_timeout_seconds: Option<f64>,
    pub report_timeout_seconds: Option<f64>,
    pub account_timeout_seconds: Option<f64>,
    pub max_attempts: Option<u32>,
}

impl LiveSettings {
    /// The first setting that is not a positive number, by key.
    fn invalid(&self) -> Option<&'static str> {
        [
            ("connect_timeout_seconds", self.connect_timeout_seconds),
            ("read_timeout_seconds", self.read_timeout_seconds),
            ("call_timeout_seconds", self.call_timeout_seconds),
            ("report_timeout_seconds", self.report_timeout_seconds),
            ("account_timeout_seconds", self.account_timeout_seconds),
            ("max_attempts", self.max_attempts.map(f64::from)),
        ]
        .into_iter()
        .find(|(_, value)| value.is_some_and(|v| !(v.is_finite() && v > 0.0 && v < 1e9)))
        .map(|(key, _)| key)
    }
}

/// An accepted risk: a result of `check` on `resource` that is not counted as
/// a failure while the exception is valid (named owner, not expired).
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    pub check: String,
    /// ARN (or name) of the excepted resource.
    pub resource: String,
    pub owner: String,
    pub reason: String,
    pub expires: NaiveDate,
    pub reviewed: Option<NaiveDate>,
    /// 1-based line of the `[[exceptions]]` entry in the config file.
    pub line: usize,
    /// 1-based line of its `reviewed` key (the entry's line when absent).
    pub reviewed_line: usize,
}

impl Exception {
    pub fn has_owner(&self) -> bool {
        !self.owner.trim().is_empty()
    }

    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires < today
    }

    /// A valid exception suppresses failures; an expired or ownerless one
    /// does not.
    pub fn is_valid(&self, today: NaiveDate) -> bool {
        self.has_owner() && !self.is_expired(today)
    }

    /// Human label used in messages.
    pub fn label(&self) -> String {
        format!("exception for {} on {}", self.check, self.resource)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    breakglass: RawBreakglass,
    #[serde(default)]
    exceptions: Vec<toml::Spanned<RawException>>,
    #[serde(default)]
    scan: RawScan,
    #[serde(default)]
    live: Option<toml::Spanned<LiveSettings>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBreakglass {
    #[serde(default)]
    users: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawScan {
    max_report_age_hours: Option<toml::Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    check: toml::Spanned<String>,
    resource: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    reason: String,
    expires: ConfigDate,
    #[serde(default)]
    reviewed: Option<toml::Spanned<ConfigDate>>,
}

/// A date written as `"2027-01-31"` or as a bare TOML date `2027-01-31`.
struct ConfigDate(NaiveDate);

impl<'de> Deserialize<'de> for ConfigDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = match toml::Value::deserialize(deserializer)? {
            toml::Value::String(text) => text,
            toml::Value::Datetime(datetime) if datetime.time.is_none() => datetime.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected a date like \"2027-01-31\", found {other}"
                )))
            }
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(ConfigDate)
            .map_err(|_| {
                serde::de::Error::custom(format!("`{text}` is not a date of the form YYYY-MM-DD"))
            })
    }
}

impl Config {
    /// A configuration with the defaults and nothing else.
    pub fn new() -> Config {
        Config {
            max_report_age_hours: DEFAULT_MAX_REPORT_AGE_HOURS,
            ..Config::default()
        }
    }

    pub fn load(path: &Path) -> Result<Config, InputError> {
        let text = read_text(path)?;
        Config::parse(path, &text)
    }

    /// Parses config text; `known_checks` validates exception check IDs.
    pub fn parse(path: &Path, text: &str) -> Result<Config, InputError> {
        let raw: RawConfig = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| line_of(text, span.start))
                .unwrap_or(0) as u64;
            InputError::line(path, line, err.message().trim().to_string())
        })?;
        let mut exceptions = Vec::new();
        for entry in raw.exceptions {
            let line = line_of(text, entry.span().start);
            let raw = entry.into_inner();
            if raw.resource.trim().is_empty() {
                return Err(InputError::line(
                    path,
                    line as u64,
                    "exception `resource` is empty",
                ));
            }
            let check_line = line_of(text, raw.check.span().start);
            let check = raw.check.into_inner();
            if !crate::checks::is_known(&check) {
                return Err(InputError::line(
                    path,
                    check_line as u64,
                    format!("unknown check `{check}` (see `mfaguard checks`)"),
                ));
            }
            let reviewed_line = raw
                .reviewed
                .as_ref()
                .map_or(line, |date| line_of(text, date.span().start));
            exceptions.push(Exception {
                check,
                resource: raw.resource,
                owner: raw.owner,
                reason: raw.reason,
                expires: raw.expires.0,
                reviewed: raw.reviewed.map(|date| date.into_inner().0),
                line,
                reviewed_line,
            });
        }
        let max_report_age_hours = match raw.scan.max_report_age_hours {
            None => DEFAULT_MAX_REPORT_AGE_HOURS,
            Some(hours) => {
                let line = line_of(text, hours.span().start);
                let hours = hours.into_inner();
                if !(hours.is_finite() && hours > 0.0) {
                    return Err(InputError::line(
                        path,
                        line as u64,
                        format!(
                            "scan.max_report_age_hours is {hours}: it must be a positive number of hours, such as 4 or 0.5"
                        ),
                    ));
                }
                hours
            }
        };
        let (live_line, live) = match raw.live {
            Some(section) => (
                line_of(text, section.span().start) as u64,
                section.into_inner(),
            ),
            None => (0, LiveSettings::default()),
        };
        if let Some(key) = live.invalid() {
            return Err(InputError::line(
                path,
                live_line,
                format!("live.{key} must be a positive number"),
            ));
        }
        Ok(Config {
            breakglass_users: raw.breakglass.users,
            exceptions,
            max_report_age_hours,
            live,
            source: Some(path.display().to_string()),
        })
    }
}

impl Config {
    /// Checks what depends on the date of the scan: a `reviewed` date after
    /// `today` is a typo that would keep the exception from ever coming due
    /// for review.
    pub fn check_dates(&self, today: NaiveDate) -> Result<(), InputError> {
        let path = Path::new(self.source.as_deref().unwrap_or("configuration"));
        for exception in &self.exceptions {
            if let Some(reviewed) = exception.reviewed.filter(|reviewed| *reviewed > today) {
                return Err(InputError::line(
                    path,
                    exception.reviewed_line as u64,
                    format!(
                        "{}: `reviewed` is {reviewed}, after the date of the scan ({today}): a review date cannot be in the future",
                        exception.label()
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, InputError> {
        Config::parse(Path::new("mfaguard.toml"), text)
    }

    const GOOD: &str = r#"
[breakglass]
users = ["breakglass-admin"]

[[exceptions]]
check = "iam.console_user_mfa"
resource = "arn:aws:iam::123456789012:user/x"
owner = "someone@example.com"
reason = "vendor SSO migration"
expires = "2027-01-31"
reviewed = 2026-10-01
"#;

    #[test]
    fn parses_the_documented_example() {
        let config = parse(GOOD).unwrap();
        assert_eq!(config.breakglass_users, vec!["breakglass-admin"]);
        assert_eq!(config.exceptions.len(), 1);
        let exception = &config.exceptions[0];
        assert_eq!(exception.line, 5);
        assert_eq!(exception.expires.to_string(), "2027-01-31");
        assert_eq!(
            exception.reviewed.map(|d| d.to_string()).as_deref(),
            Some("2026-10-01")
        );
        assert_eq!(config.max_report_age_hours, DEFAULT_MAX_REPORT_AGE_HOURS);
    }

    #[test]
    fn validity_follows_owner_and_expiry() {
        let mut exception = parse(GOOD).unwrap().exceptions.remove(0);
        let before = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        let after = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert!(exception.is_valid(before));
        assert!(!exception.is_valid(after));
        exception.owner = "  ".to_string();
        assert!(!exception.is_valid(before));
    }

    #[test]
    fn unknown_key_names_its_line() {
        let text = GOOD.replace("reason =", "reasn =");
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.starts_with("mfaguard.toml: line 9: unknown field `reasn`"),
            "{err}"
        );
    }

    #[test]
    fn malformed_date_names_its_line() {
        let text = GOOD.replace("\"2027-01-31\"", "\"2027-13-45\"");
        let err = parse(&text).unwrap_err().to_string();
        assert_eq!(
            err,
            "mfaguard.toml: line 10: `2027-13-45` is not a date of the form YYYY-MM-DD"
        );
    }

    #[test]
    fn unknown_check_names_its_line() {
        let text = GOOD.replace("iam.console_user_mfa", "iam.console_mfa");
        let err = parse(&text).unwrap_err().to_string();
        assert_eq!(
            err,
            "mfaguard.toml: line 6: unknown check `iam.console_mfa` (see `mfaguard checks`)"
        );
    }

    #[test]
    fn a_bad_report_age_names_its_line() {
        let text = format!("{GOOD}\n[scan]\nmax_report_age_hours = -5\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("mfaguard.toml: line 14: "), "{err}");
        assert!(err.contains("must be a positive number"), "{err}");
    }

    #[test]
    fn a_review_date_in_the_future_is_refused() {
        let config = parse(GOOD).unwrap();
        let before_review = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let err = config.check_dates(before_review).unwrap_err().to_string();
        assert!(err.starts_with("mfaguard.toml: line 11: "), "{err}");
        assert!(err.contains("cannot be in the future"), "{err}");
        let after_review = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert!(config.check_dates(after_review).is_ok());
    }

    #[test]
    fn live_settings_are_read_and_checked() {
        let config = Config::parse(
            Path::new("c.toml"),
            "[live]\nread_timeout_seconds = 2.5\nmax_attempts = 3\n",
        )
        .expect("parses");
        assert_eq!(config.live.read_timeout_seconds, Some(2.5));
        assert_eq!(config.live.max_attempts, Some(3));
        assert_eq!(config.live.call_timeout_seconds, None);
        let err = Config::parse(
            Path::new("c.toml"),
            "[scan]\nmax_report_age_hours = 4\n\n[live]\ncall_timeout_seconds = 0\n",
        )
        .expect_err("zero is refused")
        .to_string();
        assert!(
            err.contains("c.toml") && err.contains("live.call_timeout_seconds"),
            "{err}"
        );
    }

    #[test]
    fn missing_expiry_is_an_error() {
        let text = GOOD.replace("expires = \"2027-01-31\"\n", "");
        assert!(parse(&text)
            .unwrap_err()
            .to_string()
            .contains("missing field `expires`"));
    }
}
