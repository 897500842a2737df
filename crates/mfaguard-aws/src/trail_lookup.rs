//! CloudTrail's `LookupEvents`, for `mfaguard trail --lookup-events`: the
//! last 90 days of management events of the credentials' account in one
//! region, for accounts without a trail delivered to S3.
//!
//! AWS allows 2 `LookupEvents` requests per second per account and region:
//! requests (retries included) are started at most every
//! [`LOOKUP_INTERVAL`], and a throttled request is tried again after an
//! exponential back-off. Each page's events (their `CloudTrailEvent`, the
//! record as JSON text) go to the trail crate's reader as one log file, so
//! records are analysed exactly as records read from files.

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::primitives::DateTime as AwsTime;
use chrono::{DateTime, Utc};
use mfaguard_trail::reader::{Discovery, LogObject};
use mfaguard_trail::{Knowledge, TrailReport, Window};

use crate::error::{classify, CollectError};
use crate::observe::{CallCounter, Observer, Pacer};
use crate::LiveOptions;

/// How far back `LookupEvents` reaches.
pub const LOOKUP_DAYS: i64 = 90;

/// The gap between request starts: AWS allows 2 a second per account and
/// region; a little more than half a second keeps clear of the limit when
/// requests arrive closer together than they were sent.
pub const LOOKUP_INTERVAL: Duration = Duration::from_millis(550);

/// Events per page (the most `LookupEvents` gives).
const PAGE_SIZE: i32 = 50;

/// Why a lookup stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrailLookupError {
    #[error("cloudtrail:LookupEvents in {region}: {error}")]
    Call { region: String, error: CollectError },
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

impl TrailLookupError {
    /// The SDK's own words, for `--verbose`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            TrailLookupError::Call { error, .. } => error.detail(),
            TrailLookupError::Runtime(_) => None,
        }
    }
}

/// The window `LookupEvents` can answer for as of `now`: `since` no
/// earlier than 90 days back. The flag is true when `since` was moved (or
/// missing).
pub fn lookup_window(window: Window, now: DateTime<Utc>) -> (Window, bool) {
    let earliest = now - chrono::Duration::days(LOOKUP_DAYS);
    let since = window.since.map_or(earliest, |since| since.max(earliest));
    let moved = window.since.is_none_or(|given| given < earliest);
    (
        Window {
            since: Some(since),
            until: window.until,
        },
        moved,
    )
}

/// Looks up the management events of `window` (already within reach, see
/// [`lookup_window`]) and builds the report; every request is counted in
/// `calls`, throttled ones and retries included.
pub fn analyze_lookup_events(
    options: &LiveOptions,
    knowledge: &Knowledge,
    window: Window,
    jobs: usize,
    now: DateTime<Utc>,
    calls: &CallCounter,
) -> Result<TrailReport, TrailLookupError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|err| TrailLookupError::Runtime(err.to_string()))?;
    let config = runtime.block_on(crate::load_config(options));
    let region = config
        .region()
        .map(|region| region.to_string())
        .unwrap_or_else(|| "us-east-1".to_string());
    let observer = Observer::new(calls.clone(), Pacer::default());
    let client = cloudtrail_client(&config, &observer);
    let (page_tx, mut page_rx) = tokio::sync::mpsc::channel::<LogObject>(jobs.max(1));
    // Events cannot be later than now; AWS is asked for no later ones.
    let asked = Window {
        since: window.since,
        until: Some(window.until.map_or(now, |until| until.min(now))),
    };
    let lookup = runtime.spawn(look_up(
        client,
        region.clone(),
        asked,
        options.clone(),
        page_tx,
    ));
    let pages = std::iter::from_fn(move || page_rx.blocking_recv());
    let location = format!("cloudtrail:LookupEvents in {region}");
    let listed = || match runtime.block_on(lookup) {
        Ok(Ok(())) => Ok(Discovery::default()),
        Ok(Err(error)) => Err(TrailLookupError::Call { region, error }),
        Err(join) => Err(TrailLookupError::Runtime(join.to_string())),
    };
    mfaguard_trail::analyze_objects(&location, pages, listed, knowledge, window, jobs, now)
}

/// A client whose SDK retries are off: throttling is retried here, so
/// that every attempt goes through the pace.
fn cloudtrail_client(config: &SdkConfig, observer: &Observer) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::from_conf(
        aws_sdk_cloudtrail::config::Builder::from(config)
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .interceptor(observer.clone())
            .build(),
    )
}

fn aws_time(time: DateTime<Utc>) -> AwsTime {
    AwsTime::from_millis(time.timestamp_millis())
}

/// Every page of the window, newest first, each to `pages`.
async fn look_up(
    client: aws_sdk_cloudtrail::Client,
    region: String,
    window: Window,
    options: LiveOptions,
    pages: tokio::sync::mpsc::Sender<LogObject>,
) -> Result<(), CollectError> {
    const ACTION: &str = "cloudtrail:LookupEvents";
    let mut last_start: Option<Instant> = None;
    let mut token: Option<String> = None;
    let mut page_number = 0u64;
    loop {
        page_number += 1;
        let mut attempt = 0u32;
        let output = loop {
            attempt += 1;
            if let Some(last) = last_start {
                let due = last + LOOKUP_INTERVAL;
                tokio::time::sleep_until(due.into()).await;
            }
            last_start = Some(Instant::now());
            let mut request = client.lookup_events().max_results(PAGE_SIZE);
            if let Some(since) = window.since {
                request = request.start_time(aws_time(since));
            }
            if let Some(until) = window.until {
                request = request.end_time(aws_time(until));
            }
            if let Some(token) = &token {
                request = request.next_token(token);
            }
            match request.send().await {
                Ok(output) => break output,
                Err(err) => {
                    let error = classify(
                        ACTION,
                        &err,
                        options.profile.as_deref(),
                        options.max_attempts,
                    );
                    let retryable = matches!(
                        error,
                        CollectError::Throttled { .. }
                            | CollectError::Connection { .. }
                            | CollectError::Timeout { .. }
                    );
                    if !retryable || attempt >= options.max_attempts.max(1) {
                        return Err(error);
                    }
                    let backoff = options
                        .initial_backoff
                        .saturating_mul(1 << (attempt - 1).min(16))
                        .min(options.max_backoff);
                    tokio::time::sleep(backoff).await;
                }
            }
        };
        let mut text = String::from("{\"Records\":[");
        for (index, event) in output.events().iter().enumerate() {
            if index > 0 {
                text.push(',');
            }
            match event.cloud_trail_event() {
                Some(record) if serde_json::from_str::<serde_json::Value>(record).is_ok() => {
                    text.push_str(record)
                }
                // Kept, so that the reader names it as a record it skipped.
                Some(_) => text.push_str("\"CloudTrailEvent is not JSON\""),
                None => text.push_str("\"no CloudTrailEvent\""),
            }
        }
        text.push_str("]}");
        let name = format!("{ACTION} {region} page {page_number}");
        if pages
            .send(LogObject {
                name,
                content: Ok(text.into_bytes()),
            })
            .await
            .is_err()
        {
            return Ok(());
        }
        match output.next_token() {
            Some(next) if token.as_deref() == Some(next) => {
                return Err(CollectError::BadResponse {
                    action: ACTION.to_string(),
                    message: "the same NextToken was given twice".to_string(),
                })
            }
            Some(next) => token = Some(next.to_string()),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_kept_within_90_days() {
        let now: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let (window, moved) = lookup_window(Window::default(), now);
        assert!(moved);
        assert_eq!(window.since, Some("2026-08-24T12:00:00Z".parse().unwrap()));
        assert_eq!(window.until, None);
        let recent = Window {
            since: Some("2026-11-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-11-06T00:00:00Z".parse().unwrap()),
        };
        assert_eq!(lookup_window(recent, now), (recent, false));
    }
}
