//! What every SDK client of the collector shares: an interceptor that counts
//! each attempt (retries included), measures the back-off between attempts,
//! paces new calls when AWS throttles, and refuses answers that were cut off.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use mfaguard_core::snapshot::RetryStats;

/// API calls of one account (or of the organisation level), as the service
/// saw them: every attempt counts, retries included.
#[derive(Clone, Default)]
pub struct CallCounter(Arc<Mutex<CallTally>>);

/// What a [`CallCounter`] has seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallTally {
    /// Attempts by operation (`iam:ListMFADevices`).
    pub calls: BTreeMap<String, u64>,
    /// Attempts beyond the first of each call.
    pub retries: u64,
    /// Time waited between attempts of the same call.
    pub backoff: Duration,
}

impl CallTally {
    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }

    pub fn retry_stats(&self) -> RetryStats {
        RetryStats {
            count: self.retries,
            // Milliseconds are precise enough and keep reports stable.
            backoff_seconds: (self.backoff.as_millis() as f64) / 1000.0,
        }
    }
}

impl CallCounter {
    fn attempt(&self, action: String, backoff: Option<Duration>) {
        if let Ok(mut tally) = self.0.lock() {
            *tally.calls.entry(action).or_default() += 1;
            if let Some(waited) = backoff {
                tally.retries += 1;
                tally.backoff += waited;
            }
        }
    }

    pub fn tally(&self) -> CallTally {
        self.0.lock().map(|tally| tally.clone()).unwrap_or_default()
    }
}

/// Paces the start of new calls of one account: no delay until AWS
/// throttles; each throttling answer doubles the gap between call starts
/// (up to [`Pacer::MAX_GAP`]), each success shrinks it again. Retries are
/// spaced by the SDK's jittered exponential back-off; this keeps the calls
/// that follow from running into the same limit.
#[derive(Clone, Default)]
pub struct Pacer(Arc<Mutex<PacerState>>);

#[derive(Default)]
struct PacerState {
    gap: Duration,
    next_start: Option<Instant>,
}

impl Pacer {
    /// The slowest pace: four call starts a second.
    const MAX_GAP: Duration = Duration::from_millis(250);
    const FIRST_GAP: Duration = Duration::from_millis(20);

    /// Waits for this call's turn.
    pub async fn wait(&self) {
        let wait = {
            let Ok(mut state) = self.0.lock() else {
                return;
            };
            if state.gap.is_zero() {
                return;
            }
            let now = Instant::now();
            let start = state.next_start.map_or(now, |next| next.max(now));
            state.next_start = Some(start + state.gap);
            start - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    fn throttled(&self) {
        if let Ok(mut state) = self.0.lock() {
            state.gap = (state.gap * 2).clamp(Self::FIRST_GAP, Self::MAX_GAP);
        }
    }

    fn succeeded(&self) {
        if let Ok(mut state) = self.0.lock() {
            if state.gap.is_zero() {
                return;
            }
            state.gap = state.gap.mul_f64(0.8);
            if state.gap < Self::FIRST_GAP / 2 {
                state.gap = Duration::ZERO;
                state.next_start = None;
            }
        }
    }

    /// The current gap between call starts (for tests).
    #[cfg(test)]
    fn gap(&self) -> Duration {
        self.0.lock().map(|state| state.gap).unwrap_or_default()
    }
}

/// An answer whose body ends before its document does: a connection cut
/// mid-answer. The SDK's XML reader accepts a well-formed prefix, which
/// would silently drop the rest of a page.
#[derive(Debug, thiserror::Error)]
#[error("the answer was cut off after {received} bytes (its XML document is not closed)")]
pub struct CutOffAnswer {
    pub received: usize,
}

/// The interceptor installed on every client of one account.
#[derive(Clone, Debug)]
pub struct Observer {
    calls: CallCounter,
    pacer: Pacer,
}

impl std::fmt::Debug for CallCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallCounter")
    }
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pacer")
    }
}

impl Observer {
    pub fn new(calls: CallCounter, pacer: Pacer) -> Observer {
        Observer { calls, pacer }
    }

    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    pub fn iam(&self, config: &SdkConfig) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(config)
                .interceptor(self.clone())
                .build(),
        )
    }

    pub fn sts(&self, config: &SdkConfig) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(config)
                .interceptor(self.clone())
                .build(),
        )
    }

    pub fn organizations(&self, config: &SdkConfig) -> aws_sdk_organizations::Client {
        aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(config)
                .interceptor(self.clone())
                .build(),
        )
    }
}

/// When the previous attempt of the current call ended.
#[derive(Debug, Clone, Copy)]
struct PreviousAttemptEnd(Instant);

impl Storable for PreviousAttemptEnd {
    type Storer = StoreReplace<PreviousAttemptEnd>;
}

/// `iam:GetCredentialReport` from the operation metadata.
fn action_of(cfg: &ConfigBag) -> String {
    match cfg.load::<Metadata>() {
        Some(metadata) => format!(
            "{}:{}",
            metadata.service().to_ascii_lowercase(),
            metadata.name()
        ),
        None => "unknown operation".to_string(),
    }
}

/// Throttling as IAM/STS (XML `<Code>`) and Organizations (JSON `__type`)
/// answer it.
fn is_throttling(status: u16, body: &[u8]) -> bool {
    if status == 429 {
        return true;
    }
    if status != 400 && status != 503 {
        return false;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    [
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    ]
    .iter()
    .any(|code| text.contains(code))
}

/// True when `body` is an XML document whose root element is not closed at
/// its end. JSON and empty bodies are left to the SDK's own parser.
pub fn xml_is_cut_off(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if !text.starts_with('<') {
        return false;
    }
    // Skip the declaration and comments to reach the root element.
    let mut rest = text;
    while let Some(stripped) = rest.strip_prefix("<?").or_else(|| rest.strip_prefix("<!")) {
        match stripped.find('>') {
            Some(end) => rest = stripped[end + 1..].trim_start(),
            None => return true,
        }
    }
    let Some(open) = rest.strip_prefix('<') else {
        return true;
    };
    let name_end = open
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(open.len());
    let name = &open[..name_end];
    if name.is_empty() {
        return true;
    }
    // A self-closing root (`<Name/>`) is complete.
    if let Some(tag_end) = open.find('>') {
        if open[..tag_end].ends_with('/') && open[tag_end + 1..].trim().is_empty() {
            return false;
        }
    }
    !text.ends_with(&format!("</{name}>"))
}

impl Intercept for Observer {
    fn name(&self) -> &'static str {
        "mfaguard-observer"
    }

    // Counted when the request is sent, not when the attempt starts: an
    // attempt abandoned before sending (a sibling call failed) reached no
    // one and is no call.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let backoff = cfg
            .load::<PreviousAttemptEnd>()
            .map(|PreviousAttemptEnd(ended)| ended.elapsed());
        self.calls.attempt(action_of(cfg), backoff);
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let status = response.status().as_u16();
        let body = response.body().bytes().unwrap_or_default();
        if is_throttling(status, body) {
            self.pacer.throttled();
        } else if (200..300).contains(&status) {
            self.pacer.succeeded();
            if context.output_or_error().is_ok() && xml_is_cut_off(body) {
                return Err(Box::new(CutOffAnswer {
                    received: body.len(),
                }));
            }
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(PreviousAttemptEnd(Instant::now()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_and_cut_off_xml() {
        let complete = br#"<?xml version="1.0"?>
<GetAccountAuthorizationDetailsResponse xmlns="x"><R><UserDetailList><member/></UserDetailList></R></GetAccountAuthorizationDetailsResponse>
"#;
        assert!(!xml_is_cut_off(complete));
        let cut = br#"<GetAccountAuthorizationDetailsResponse xmlns="x"><R><UserDetailList><member/></UserDetailList>"#;
        assert!(xml_is_cut_off(cut));
        assert!(xml_is_cut_off(b"<?xml version=\"1.0\""));
        assert!(!xml_is_cut_off(b"<Empty/>"));
        assert!(!xml_is_cut_off(b"{\"Accounts\": []}"));
        assert!(!xml_is_cut_off(b""));
    }

    #[test]
    fn throttling_is_recognised_in_both_protocols() {
        assert!(is_throttling(
            400,
            b"<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"
        ));
        assert!(is_throttling(
            400,
            br#"{"__type": "TooManyRequestsException"}"#
        ));
        assert!(is_throttling(429, b""));
        assert!(!is_throttling(
            400,
            b"<Error><Code>NoSuchEntity</Code></Error>"
        ));
        assert!(!is_throttling(200, b"Throttling"));
    }

    #[test]
    fn pacer_slows_on_throttling_and_recovers() {
        let pacer = Pacer::default();
        assert_eq!(pacer.gap(), Duration::ZERO);
        pacer.throttled();
        assert_eq!(pacer.gap(), Pacer::FIRST_GAP);
        for _ in 0..10 {
            pacer.throttled();
        }
        assert_eq!(pacer.gap(), Pacer::MAX_GAP);
        for _ in 0..40 {
            pacer.succeeded();
        }
        assert_eq!(pacer.gap(), Duration::ZERO);
    }

    #[test]
    fn attempts_after_the_first_are_retries() {
        let calls = CallCounter::default();
        calls.attempt("iam:ListMFADevices".to_string(), None);
        calls.attempt(
            "iam:ListMFADevices".to_string(),
            Some(Duration::from_millis(150)),
        );
        let tally = calls.tally();
        assert_eq!(tally.calls["iam:ListMFADevices"], 2);
        assert_eq!(tally.retries, 1);
        assert_eq!(tally.retry_stats().backoff_seconds, 0.15);
    }
}
