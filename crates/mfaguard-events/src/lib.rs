//! mfaguard's real-time input: the EventBridge events CloudTrail emits for
//! IAM API calls ("AWS API Call via CloudTrail", source `aws.iam`) and for
//! console sign-ins ("AWS Console Signin via CloudTrail", source
//! `aws.signin`), parsed into typed events and routed to the identities
//! whose MFA posture they may change. No AWS SDK: reading the queue is the
//! AWS crate's job.
//!
//! Every message gets one of three outcomes:
//! - a [`Relevance::Change`] names the users, groups, roles, managed
//!   policies or virtual MFA devices to collect again;
//! - a [`Relevance::SignIn`] is a console sign-in, which matters when the
//!   identity is root or break-glass (decided by the caller, who knows the
//!   configuration);
//! - a [`Relevance::Ignored`] is a well-formed event that cannot change MFA
//!   posture (a read, a failed call, an IAM action outside the routing
//!   table), with the reason.
//!
//! Anything else (not JSON, not an EventBridge envelope, another source or
//! detail type, a field of the wrong type, a routed call without the
//! parameter that names its identity) is an [`EventError`]: a poison message
//! for the dead-letter queue.

mod route;
pub mod setup;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use route::{route_api_call, routed_event_names};

/// The detail type of CloudTrail's API-call events on EventBridge.
pub const API_CALL: &str = "AWS API Call via CloudTrail";
/// The detail type of CloudTrail's console sign-in events on EventBridge.
pub const CONSOLE_SIGNIN: &str = "AWS Console Signin via CloudTrail";

/// An identity or object whose state an event changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// The root user of the account.
    Root,
    /// An IAM user, by name.
    User(String),
    /// An IAM group, by name: its policies changed, so every member is
    /// affected.
    Group(String),
    /// An IAM role, by name.
    Role(String),
    /// A customer managed policy, by ARN: its default version changed, so
    /// every identity it is attached to is affected.
    ManagedPolicy(String),
    /// A virtual MFA device, by serial number (ARN), deleted or created
    /// without being assigned yet.
    VirtualMfaDevice(String),
}

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInIdentity {
    Root,
    User(String),
    /// A federated or assumed-role session, by ARN; never break-glass.
    Other(String),
}

/// A console sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub identity: SignInIdentity,
    /// `responseElements.ConsoleLogin` is `Success`.
    pub success: bool,
    /// `additionalEventData.MFAUsed`: `Yes`, `No`, or absent (unknown).
    pub mfa_used: Option<bool>,
}

/// What an event means for MFA posture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relevance {
    /// Collect these again and analyse; sorted, without duplicates.
    Change(Vec<Subject>),
    SignIn(SignIn),
    /// Nothing to do, and why.
    Ignored(String),
}

/// One parsed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// CloudTrail's `eventID` (stable across EventBridge and SQS
    /// redeliveries); the envelope's `id` when the detail has none.
    pub event_id: String,
    /// The account the event happened in (the envelope's `account`).
    pub account_id: String,
    pub region: Option<String>,
    /// When the call was made (`detail.eventTime`, else the envelope's).
    pub time: DateTime<Utc>,
    /// `detail.eventName`, e.g. `CreateLoginProfile` or `ConsoleLogin`.
    pub event_name: String,
    /// The caller's ARN, when CloudTrail gives it.
    pub actor: Option<String>,
    pub relevance: Relevance,
}

/// Why a message is poison. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not JSON: {message} at line {line}, column {column}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not an EventBridge event: {0}")]
    NotAnEvent(String),
    #[error("`{field}` {problem}")]
    Field { field: String, problem: String },
    #[error(
        "unknown event: source `{event_source}`, detail-type `{detail_type}` (expected `{API_CALL}` from aws.iam or `{CONSOLE_SIGNIN}` from aws.signin)"
    )]
    UnknownKind {
        event_source: String,
        detail_type: String,
    },
    #[error("unknown sign-in event `{0}` (expected ConsoleLogin)")]
    UnknownSignIn(String),
}

fn field_error(field: &str, problem: impl Into<String>) -> EventError {
    EventError::Field {
        field: field.to_string(),
        problem: problem.into(),
    }
}

/// A string at `path` (object keys), or None when absent or null; an
/// error when present with another type.
pub(crate) fn opt_str<'a>(root: &'a Value, path: &[&str]) -> Result<Option<&'a str>, EventError> {
    let mut value = root;
    for key in path {
        match value.get(key) {
            Some(Value::Null) | None => return Ok(None),
            Some(next) => value = next,
        }
    }
    match value {
        Value::String(text) => Ok(Some(text.as_str())),
        other => Err(field_error(
            &path.join("."),
            format!("is {}, not a string", kind(other)),
        )),
    }
}

fn required_str<'a>(root: &'a Value, path: &[&str]) -> Result<&'a str, EventError> {
    match opt_str(root, path)? {
        Some(text) if !text.is_empty() => Ok(text),
        Some(_) => Err(field_error(&path.join("."), "is empty")),
        None => Err(field_error(&path.join("."), "is missing")),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn time_field(root: &Value, path: &[&str]) -> Result<Option<DateTime<Utc>>, EventError> {
    opt_str(root, path)?
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|time| time.with_timezone(&Utc))
                .map_err(|err| {
                    field_error(
                        &path.join("."),
                        format!("`{text}` is not an RFC 3339 time: {err}"),
                    )
                })
        })
        .transpose()
}

/// Parses the body of an SQS message that EventBridge delivered.
pub fn parse(body: &str) -> Result<Event, EventError> {
    let value: Value = serde_json::from_str(body).map_err(|err| EventError::Json {
        line: err.line(),
        column: err.column(),
        message: err
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or("")
            .to_string(),
    })?;
    parse_value(&value)
}

/// Parses an EventBridge envelope already read as JSON.
pub fn parse_value(envelope: &Value) -> Result<Event, EventError> {
    if !envelope.is_object() {
        return Err(EventError::NotAnEvent(format!(
            "the message is {}, not an object",
            kind(envelope)
        )));
    }
    let source = required_str(envelope, &["source"])?;
    let detail_type = required_str(envelope, &["detail-type"])?;
    let detail = match envelope.get("detail") {
        Some(detail @ Value::Object(_)) => detail,
        Some(other) => {
            return Err(field_error(
                "detail",
                format!("is {}, not an object", kind(other)),
            ))
        }
        None => return Err(field_error("detail", "is missing")),
    };
    // EventBridge sets `account`; CloudTrail's `recipientAccountId` names
    // the same account (some emulators leave the former out).
    let account_id = match opt_str(envelope, &["account"])? {
        Some(account) => account,
        None => opt_str(detail, &["recipientAccountId"])
            .map_err(prefix_detail)?
            .ok_or_else(|| {
                field_error(
                    "account",
                    "is missing (and so is detail.recipientAccountId)",
                )
            })?,
    };
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_error(
            "account",
            format!("`{account_id}` is not a 12-digit account ID"),
        ));
    }
    let envelope_id = required_str(envelope, &["id"])?;
    let event_id = opt_str(detail, &["eventID"])?.unwrap_or(envelope_id);
    let time = match time_field(detail, &["eventTime"])? {
        Some(time) => time,
        None => time_field(envelope, &["time"])?
            .ok_or_else(|| field_error("time", "is missing (and so is detail.eventTime)"))?,
    };
    let region = opt_str(envelope, &["region"])?
        .or(opt_str(detail, &["awsRegion"])?)
        .map(str::to_string);
    let event_name = required_str(detail, &["eventName"])
        .map_err(prefix_detail)?
        .to_string();
    let actor = opt_str(detail, &["userIdentity", "arn"])
        .map_err(prefix_detail)?
        .map(str::to_string);

    let relevance = match (source, detail_type) {
        ("aws.iam", API_CALL) => {
            let event_source = required_str(detail, &["eventSource"]).map_err(prefix_detail)?;
            if event_source != "iam.amazonaws.com" {
                return Err(field_error(
                    "detail.eventSource",
                    format!("is `{event_source}` in an aws.iam event (expected iam.amazonaws.com)"),
                ));
            }
            route::route_api_call(&event_name, detail)?
        }
        ("aws.signin", CONSOLE_SIGNIN) => sign_in(&event_name, detail)?,
        _ => {
            return Err(EventError::UnknownKind {
                event_source: source.to_string(),
                detail_type: detail_type.to_string(),
            })
        }
    };
    Ok(Event {
        event_id: event_id.to_string(),
        account_id: account_id.to_string(),
        region,
        time,
        event_name,
        actor,
        relevance,
    })
}

fn prefix_detail(err: EventError) -> EventError {
    match err {
        EventError::Field { field, problem } => EventError::Field {
            field: format!("detail.{field}"),
            problem,
        },
        other => other,
    }
}

fn sign_in(event_name: &str, detail: &Value) -> Result<Relevance, EventError> {
    if event_name != "ConsoleLogin" {
        return Err(EventError::UnknownSignIn(event_name.to_string()));
    }
    let identity_type = required_str(detail, &["userIdentity", "type"]).map_err(prefix_detail)?;
    let identity = match identity_type {
        "Root" => SignInIdentity::Root,
        "IAMUser" => {
            let name =
                match opt_str(detail, &["userIdentity", "userName"]).map_err(prefix_detail)? {
                    Some(name) if !name.is_empty() => name.to_string(),
                    // Failed sign-ins of IAM users may carry only the ARN.
                    _ => {
                        let arn = required_str(detail, &["userIdentity", "arn"])
                            .map_err(prefix_detail)?;
                        arn.rsplit('/').next().unwrap_or(arn).to_string()
                    }
                };
            SignInIdentity::User(name)
        }
        _ => SignInIdentity::Other(
            opt_str(detail, &["userIdentity", "arn"])
                .map_err(prefix_detail)?
                .unwrap_or(identity_type)
                .to_string(),
        ),
    };
    let success =
        match opt_str(detail, &["responseElements", "ConsoleLogin"]).map_err(prefix_detail)? {
            Some("Success") => true,
            Some("Failure") => false,
            Some(other) => {
                return Err(field_error(
                    "detail.responseElements.ConsoleLogin",
                    format!("is `{other}` (expected Success or Failure)"),
                ))
            }
            None => opt_str(detail, &["errorMessage"])
                .map_err(prefix_detail)?
                .is_none(),
        };
    let mfa_used =
        match opt_str(detail, &["additionalEventData", "MFAUsed"]).map_err(prefix_detail)? {
            Some("Yes") => Some(true),
            Some("No") => Some(false),
            _ => None,
        };
    Ok(Relevance::SignIn(SignIn {
        identity,
        success,
        mfa_used,
    }))
}
