//! Errors of live collection, in plain words. The SDK's own description of
//! what went wrong is kept as `detail`, shown only with `--verbose`.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::observe::CutOffAnswer;

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("no AWS credentials found: set AWS_PROFILE or use --profile, run `aws configure` or `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")]
    NoCredentials { detail: String },
    #[error("the AWS SSO session has expired: run `aws sso login{}` and try again", profile.as_deref().map(|p| format!(" --profile {p}")).unwrap_or_default())]
    SsoExpired {
        profile: Option<String>,
        detail: String,
    },
    #[error("access denied calling {action}: {message}")]
    AccessDenied { action: String, message: String },
    #[error("{action} was throttled past the retry limit ({attempts} attempts): {message}")]
    Throttled {
        action: String,
        attempts: u32,
        message: String,
    },
    #[error("the credential report could not be had: {0}")]
    CredentialReport(String),
    #[error("cannot assume {role_arn}: {message}")]
    AssumeRole { role_arn: String, message: String },
    #[error("{action} failed: {message}")]
    Call {
        action: String,
        message: String,
        detail: Option<String>,
    },
    #[error("{action} got no answer in time: {message}")]
    Timeout {
        action: String,
        message: String,
        detail: Option<String>,
    },
    #[error("{action} could not reach AWS: {message}")]
    Connection {
        action: String,
        message: String,
        detail: String,
    },
    #[error("{action} returned an answer mfaguard cannot read: {message}")]
    Malformed {
        action: String,
        message: String,
        detail: String,
    },
    #[error("{action} returned data mfaguard cannot use: {message}")]
    BadResponse { action: String, message: String },
    #[error("the account was not collected within --account-timeout ({seconds} seconds); the calls still pending were abandoned")]
    AccountTimeout { seconds: f64 },
}

impl CollectError {
    /// The SDK's own words, for `--verbose`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            CollectError::NoCredentials { detail }
            | CollectError::SsoExpired { detail, .. }
            | CollectError::Connection { detail, .. }
            | CollectError::Malformed { detail, .. } => Some(detail),
            CollectError::Call { detail, .. } | CollectError::Timeout { detail, .. } => {
                detail.as_deref()
            }
            _ => None,
        }
    }
}

/// The first error of `err`'s source chain that is a `T`.
fn find_in_chain<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// What an HTTP status says, for answers that carry no error code.
fn status_words(status: u16) -> String {
    let words = match status {
        500 => "internal server error",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        400 => "bad request",
        401 | 403 => "access denied",
        404 => "not found",
        429 => "too many requests",
        _ => "unexpected status",
    };
    format!("HTTP {status} ({words})")
}

/// Classifies an SDK error of the call `action` (e.g. `iam:ListMFADevices`).
pub fn classify<E>(
    action: &str,
    err: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    profile: Option<&str>,
    max_attempts: u32,
) -> CollectError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    let detail = DisplayErrorContext(err).to_string();
    let lower = detail.to_ascii_lowercase();
    let action = action.to_string();
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let status = service.raw().status().as_u16();
            if (200..300).contains(&status) {
                // A success status whose body did not parse as the answer.
                return CollectError::Malformed {
                    action,
                    message: format!("HTTP {status} with a body that is not the expected answer"),
                    detail,
                };
            }
            let code = inner
                .code()
                .filter(|code| !code.is_empty())
                .unwrap_or(match status {
                    401 | 403 => "AccessDenied",
                    429 => "Throttling",
                    _ => "",
                });
            let message = inner
                .message()
                .filter(|message| !message.is_empty())
                .map(str::to_string);
            let message_or_status = message.clone().unwrap_or_else(|| status_words(status));
            return match code {
                "AccessDenied"
                | "AccessDeniedException"
                | "UnauthorizedOperation"
                | "AuthorizationError" => CollectError::AccessDenied {
                    action,
                    message: message_or_status,
                },
                "Throttling"
                | "ThrottlingException"
                | "TooManyRequestsException"
                | "RequestLimitExceeded" => CollectError::Throttled {
                    action,
                    attempts: max_attempts,
                    message: message_or_status,
                },
                "ExpiredToken" | "ExpiredTokenException" => CollectError::SsoExpired {
                    profile: profile.map(str::to_string),
                    detail: message_or_status,
                },
                "" => CollectError::Call {
                    action,
                    message: status_words(status),
                    detail: Some(detail),
                },
                code => CollectError::Call {
                    action,
                    message: match message {
                        Some(message) => format!("{code}: {message}"),
                        None => format!("{code} ({})", status_words(status)),
                    },
                    detail: Some(detail),
                },
            };
        }
        SdkError::TimeoutError(_) => {
            let message = if lower.contains("attempt timeout") {
                "no answer within --read-timeout, on every attempt"
            } else {
                "the call and its retries took longer than --call-timeout"
            };
            return CollectError::Timeout {
                action,
                message: message.to_string(),
                detail: Some(detail),
            };
        }
        SdkError::ResponseError(_) => {
            let message = match find_in_chain::<CutOffAnswer>(err) {
                Some(cut) => format!("{cut}; the page was not used"),
                None => "the body is not a complete, well-formed answer".to_string(),
            };
            return CollectError::Malformed {
                action,
                message,
                detail,
            };
        }
        _ => {}
    }
    if lower.contains("sso") && (lower.contains("expired") || lower.contains("token")) {
        return CollectError::SsoExpired {
            profile: profile.map(str::to_string),
            detail,
        };
    }
    if lower.contains("credentials")
        && (lower.contains("no credentials")
            || lower.contains("provider")
            || lower.contains("failed to load"))
    {
        return CollectError::NoCredentials { detail };
    }
    if let SdkError::DispatchFailure(failure) = err {
        if failure.is_timeout() {
            return CollectError::Timeout {
                action,
                message:
                    "no answer within --read-timeout (or no connection within --connect-timeout)"
                        .to_string(),
                detail: Some(detail),
            };
        }
        let message = if lower.contains("refused") {
            "connection refused"
        } else if lower.contains("reset") {
            "the connection was reset"
        } else if lower.contains("dns") || lower.contains("resolve") {
            "the endpoint's name could not be resolved"
        } else if lower.contains("incomplete") || lower.contains("closed") || lower.contains("eof")
        {
            "the connection was closed before the answer was complete"
        } else {
            "the connection failed"
        };
        return CollectError::Connection {
            action,
            message: message.to_string(),
            detail,
        };
    }
    CollectError::Call {
        action,
        message: "the request could not be made".to_string(),
        detail: Some(detail),
    }
}
