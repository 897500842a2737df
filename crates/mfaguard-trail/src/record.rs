//! The CloudTrail record, reduced to the fields mfaguard uses.
//!
//! Every field is read leniently: a field of an unexpected JSON type does not
//! abort the file. It is kept as [`Text::Wrong`] / [`Obj::Wrong`] with the
//! type found, and the analysis skips the record naming the field, when it
//! needs that field. Fields the record does not have, or that are `null`,
//! are absent. Strings borrow from the decompressed buffer when they contain
//! no escapes, so most records are read without allocating.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string field.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Text<'a> {
    #[default]
    Absent,
    Value(Cow<'a, str>),
    /// Another JSON type was found: "a number", "an object", ...
    Wrong(&'static str),
}

/// Why a record cannot be analysed: the field and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError(pub String);

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn wrong(path: &str, found: &str, expected: &str) -> FieldError {
    FieldError(format!("`{path}` is {found}, expected {expected}"))
}

impl<'a> Text<'a> {
    /// The value, `None` when absent; an error naming `path` when it has
    /// another type.
    pub fn get(&self, path: &str) -> Result<Option<&str>, FieldError> {
        match self {
            Text::Absent => Ok(None),
            Text::Value(value) => Ok(Some(value)),
            Text::Wrong(found) => Err(wrong(path, found, "a string")),
        }
    }

    /// The value; an error when absent or of another type.
    pub fn require(&self, path: &str) -> Result<&str, FieldError> {
        self.get(path)?
            .ok_or_else(|| FieldError(format!("`{path}` is missing")))
    }

    /// The value when it is a string; `None` otherwise (for fields whose
    /// type varies from one kind of event to another).
    pub fn loose(&self) -> Option<&str> {
        match self {
            Text::Value(value) => Some(value),
            _ => None,
        }
    }
}

/// The JSON type of what a visitor saw, for messages.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text::Value(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text::Value(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text::Value(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text<'a>, E> {
                Ok(Text::Absent)
            }
            fn visit_none<E: de::Error>(self) -> Result<Text<'a>, E> {
                Ok(Text::Absent)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text<'a>, E> {
                Ok(Text::Wrong("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Text<'a>, E> {
                Ok(Text::Wrong("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Text<'a>, E> {
                Ok(Text::Wrong("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text<'a>, E> {
                Ok(Text::Wrong("a number"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'a>, A::Error> {
                drain_seq(seq)?;
                Ok(Text::Wrong("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'a>, A::Error> {
                drain_map(map)?;
                Ok(Text::Wrong("an object"))
            }
        }
        deserializer.deserialize_any(TextVisitor(PhantomData))
    }
}

/// An object field, read into `T` (unknown keys ignored).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Obj<T> {
    #[default]
    Absent,
    Value(T),
    Wrong(&'static str),
}

impl<T> Obj<T> {
    /// The object, `None` when absent; an error naming `path` when it has
    /// another type.
    pub fn get(&self, path: &str) -> Result<Option<&T>, FieldError> {
        match self {
            Obj::Absent => Ok(None),
            Obj::Value(value) => Ok(Some(value)),
            Obj::Wrong(found) => Err(wrong(path, found, "an object")),
        }
    }

    /// The object when it is one; `None` otherwise (for fields such as
    /// `requestParameters` whose shape depends on the event).
    pub fn loose(&self) -> Option<&T> {
        match self {
            Obj::Value(value) => Some(value),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Obj::Value)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Obj<T>, E> {
                Ok(Obj::Absent)
            }
            fn visit_none<E: de::Error>(self) -> Result<Obj<T>, E> {
                Ok(Obj::Absent)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Obj<T>, E> {
                Ok(Obj::Wrong("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Obj<T>, E> {
                Ok(Obj::Wrong("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Obj<T>, E> {
                Ok(Obj::Wrong("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Obj<T>, E> {
                Ok(Obj::Wrong("a number"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Obj<T>, E> {
                Ok(Obj::Wrong("a string"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Obj<T>, A::Error> {
                drain_seq(seq)?;
                Ok(Obj::Wrong("an array"))
            }
        }
        deserializer.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// The first ARN of the record's `resources` list (where AWS names the
/// resource acted on); other entries are not used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirstResource<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstResource<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for ListVisitor<'a> {
            type Value = FirstResource<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut first = None;
                while let Some(item) = seq.next_element::<Obj<ResourceRef<'a>>>()? {
                    if first.is_none() {
                        if let Obj::Value(ResourceRef {
                            arn: Text::Value(arn),
                        }) = item
                        {
                            first = Some(arn);
                        }
                    }
                }
                Ok(FirstResource(first))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map)?;
                Ok(FirstResource(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(FirstResource(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(FirstResource(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(FirstResource(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(FirstResource(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(FirstResource(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(FirstResource(None))
            }
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
struct ResourceRef<'a> {
    #[serde(rename = "ARN", borrow)]
    arn: Text<'a>,
}

/// One CloudTrail event record.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Record<'a> {
    /// CloudTrail's unique ID of the event (alerts are deduplicated by it).
    #[serde(rename = "eventID", borrow)]
    pub event_id: Text<'a>,
    #[serde(borrow)]
    pub event_time: Text<'a>,
    /// `"true"` when the caller's credentials come from a console session.
    #[serde(borrow)]
    pub session_credential_from_console: Text<'a>,
    #[serde(borrow)]
    pub event_source: Text<'a>,
    #[serde(borrow)]
    pub event_name: Text<'a>,
    #[serde(borrow)]
    pub event_type: Text<'a>,
    #[serde(borrow)]
    pub aws_region: Text<'a>,
    #[serde(rename = "sourceIPAddress", borrow)]
    pub source_ip_address: Text<'a>,
    #[serde(borrow)]
    pub user_agent: Text<'a>,
    #[serde(borrow)]
    pub error_code: Text<'a>,
    #[serde(borrow)]
    pub error_message: Text<'a>,
    #[serde(borrow)]
    pub recipient_account_id: Text<'a>,
    #[serde(borrow)]
    pub user_identity: Obj<UserIdentity<'a>>,
    #[serde(borrow)]
    pub additional_event_data: Obj<AdditionalEventData<'a>>,
    #[serde(borrow)]
    pub request_parameters: Obj<RequestParameters<'a>>,
    #[serde(borrow)]
    pub response_elements: Obj<ResponseElements<'a>>,
    #[serde(borrow)]
    pub resources: FirstResource<'a>,
}

/// `userIdentity`: who made the request.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub principal_id: Text<'a>,
    #[serde(borrow)]
    pub arn: Text<'a>,
    #[serde(borrow)]
    pub account_id: Text<'a>,
    #[serde(borrow)]
    pub access_key_id: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
    #[serde(borrow)]
    pub session_context: Obj<SessionContext<'a>>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow)]
    pub attributes: Obj<SessionAttributes<'a>>,
    #[serde(borrow)]
    pub session_issuer: Obj<SessionIssuer<'a>>,
}

/// `userIdentity.sessionContext.attributes`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionAttributes<'a> {
    /// `"true"` or `"false"`.
    #[serde(borrow)]
    pub mfa_authenticated: Text<'a>,
    #[serde(borrow)]
    pub creation_date: Text<'a>,
}

/// `userIdentity.sessionContext.sessionIssuer`: the role of a session.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionIssuer<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Text<'a>,
    #[serde(borrow)]
    pub arn: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
    #[serde(borrow)]
    pub account_id: Text<'a>,
}

/// `additionalEventData` (sign-in events).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct AdditionalEventData<'a> {
    /// `"Yes"` or `"No"`.
    #[serde(rename = "MFAUsed", borrow)]
    pub mfa_used: Text<'a>,
}

/// `requestParameters`, the few parameters mfaguard reads.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RequestParameters<'a> {
    #[serde(borrow)]
    pub role_arn: Text<'a>,
    #[serde(borrow)]
    pub serial_number: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
    #[serde(borrow)]
    pub virtual_mfa_device_name: Text<'a>,
}

/// `responseElements`, the few elements mfaguard reads.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct ResponseElements<'a> {
    /// `"Success"` or `"Failure"` for `ConsoleLogin`.
    #[serde(rename = "ConsoleLogin", borrow)]
    pub console_login: Text<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_types_are_kept_not_fatal() {
        let json = r#"{"eventName": 5, "eventTime": "2024-01-01T00:00:00Z",
            "userIdentity": "root", "additionalEventData": {"MFAUsed": ["Yes"]},
            "resources": [{"ARN": "arn:aws:iam::111122223333:user/a"}, {"ARN": 1}]}"#;
        let record: Record = serde_json::from_str(json).expect("lenient");
        assert_eq!(record.event_name, Text::Wrong("a number"));
        assert_eq!(
            record.event_name.get("eventName").unwrap_err().0,
            "`eventName` is a number, expected a string"
        );
        assert_eq!(record.user_identity, Obj::Wrong("a string"));
        assert_eq!(
            record
                .additional_event_data
                .loose()
                .map(|data| data.mfa_used.clone()),
            Some(Text::Wrong("an array"))
        );
        assert_eq!(
            record.resources.0.as_deref(),
            Some("arn:aws:iam::111122223333:user/a")
        );
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let json = r#"{"eventName": "ConsoleLogin", "errorMessage": "a\"b"}"#;
        let record: Record = serde_json::from_str(json).expect("record");
        assert!(matches!(record.event_name, Text::Value(Cow::Borrowed(_))));
        assert_eq!(record.error_message.loose(), Some("a\"b"));
    }
}
