//! Errors of live collection, in plain words.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("no AWS credentials found: set AWS_PROFILE or use --profile, run `aws configure` or `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ({detail})")]
    NoCredentials { detail: String },
    #[error("the AWS SSO session has expired: run `aws sso login{}` and try again ({detail})", profile.as_deref().map(|p| format!(" --profile {p}")).unwrap_or_default())]
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
    Call { action: String, message: String },
    #[error("{action} returned data mfaguard cannot read: {message}")]
    BadResponse { action: String, message: String },
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
    if let SdkError::ServiceError(service) = err {
        let inner = service.err();
        let status = service.raw().status().as_u16();
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
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {status}: {detail}"));
        return match code {
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError" => CollectError::AccessDenied {
                action: action.to_string(),
                message,
            },
            "Throttling"
            | "ThrottlingException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded" => CollectError::Throttled {
                action: action.to_string(),
                attempts: max_attempts,
                message,
            },
            "ExpiredToken" | "ExpiredTokenException" => CollectError::SsoExpired {
                profile: profile.map(str::to_string),
                detail: message,
            },
            _ => CollectError::Call {
                action: action.to_string(),
                message: format!("{code}: {message}"),
            },
        };
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
    CollectError::Call {
        action: action.to_string(),
        message: detail,
    }
}
