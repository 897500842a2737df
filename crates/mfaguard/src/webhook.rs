//! Webhook delivery from the outbox: JSON (documented in docs/store.md) or
//! Slack-compatible `{"text": ...}`, retried with exponential backoff; a
//! message that still fails stays in the outbox for the next run.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use chrono::Utc;
use mfaguard_core::words::count;
use mfaguard_store::{target_key, OutboxMessage, Store};
use serde_json::{json, Value};

/// How to deliver.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub url: String,
    /// Attempts per message and run.
    pub attempts: u32,
    /// Wait before the first retry; doubles for each further one.
    pub retry_delay: Duration,
    pub timeout: Duration,
    /// Stop a round at the first message that cannot be delivered, so that
    /// the receiver gets messages in the order they were made.
    pub in_order: bool,
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub delivered: usize,
    pub failed: usize,
}

/// The body sent for a message.
pub fn body(message: &OutboxMessage) -> Value {
    let mut payload = message.payload.clone();
    if message.format == "slack" {
        return json!({ "text": slack_text(&payload) });
    }
    if let Some(object) = payload.as_object_mut() {
        object.insert("delivery_id".to_string(), json!(message.id));
    }
    payload
}

/// The Slack text of an alert event.
pub fn slack_text(event: &Value) -> String {
    let alerts = event["alerts"].as_array().cloned().unwrap_or_default();
    let mut text = format!(
        "mfaguard: {} in scan {} ({})",
        count(alerts.len(), "MFA alert", "MFA alerts"),
        event["scan_id"],
        event["scanned_at"].as_str().unwrap_or("")
    );
    for alert in alerts {
        text.push_str(&format!(
            "\n• [{}] {} — account {}: {}",
            alert["severity"].as_str().unwrap_or(""),
            alert["kind"].as_str().unwrap_or(""),
            alert["account_id"].as_str().unwrap_or(""),
            alert["message"].as_str().unwrap_or("")
        ));
    }
    text
}

fn post(agent: &ureq::Agent, url: &str, body: &str) -> Result<(), String> {
    match agent
        .post(url)
        .header("Content-Type", "application/json")
        .header(
            "User-Agent",
            concat!("mfaguard/", env!("CARGO_PKG_VERSION")),
        )
        .send(body)
    {
        Ok(_) => Ok(()),
        Err(ureq::Error::StatusCode(code)) => Err(format!("the receiver answered HTTP {code}")),
        Err(err) => Err(err.to_string()),
    }
}

/// The wait before retry `n + 1`: `first`, doubling each time.
pub fn backoff(first: Duration, n: u32) -> Duration {
    first.saturating_mul(2u32.saturating_pow(n))
}

/// Sleeps `duration`, waking early when `stop` is set; false when stopped.
pub fn sleep_unless(stop: &AtomicBool, duration: Duration) -> bool {
    let step = Duration::from_millis(100);
    let mut left = duration;
    while !left.is_zero() {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let nap = left.min(step);
        std::thread::sleep(nap);
        left -= nap;
    }
    !stop.load(Ordering::SeqCst)
}

/// Delivers every pending message for this webhook, oldest first, except
/// those in `failed` (already tried in this run), to which it adds the
/// messages that fail now.
pub fn deliver_pending(
    store: &mut Store,
    delivery: &Delivery,
    stop: &AtomicBool,
    failed: &mut HashSet<i64>,
) -> Result<Outcome> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(delivery.timeout))
        .http_status_as_error(true)
        .build()
        .into();
    let target = target_key(&delivery.url);
    let mut outcome = Outcome::default();
    // Long enough for every attempt and wait of one message.
    let mut lease = delivery
        .timeout
        .saturating_mul(delivery.attempts.max(1))
        .saturating_add(Duration::from_secs(60));
    for n in 0..delivery.attempts {
        lease = lease.saturating_add(backoff(delivery.retry_delay, n));
    }
    let lease = chrono::Duration::from_std(lease.min(Duration::from_secs(86_400)))
        .unwrap_or(chrono::Duration::hours(1));
    for message in store.pending_messages(&target)? {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if failed.contains(&message.id) || !store.claim_message(message.id, Utc::now(), lease)? {
            continue;
        }
        let text = body(&message).to_string();
        let mut error = String::new();
        let mut sent = false;
        let mut tries = 0u64;
        for attempt in 0..delivery.attempts.max(1) {
            tries += 1;
            match post(&agent, &delivery.url, &text) {
                Ok(()) => {
                    sent = true;
                    break;
                }
                Err(err) => error = err,
            }
            if attempt + 1 < delivery.attempts.max(1) {
                let wait = backoff(delivery.retry_delay, attempt);
                if !sleep_unless(stop, wait) {
                    break;
                }
            }
        }
        if sent {
            store.mark_delivered(message.id, Utc::now())?;
            outcome.delivered += 1;
        } else {
            store.mark_failed(message.id, Utc::now(), tries, &error)?;
            failed.insert(message.id);
            outcome.failed += 1;
            eprintln!(
                "error: webhook delivery of outbox message {} (scan {}) failed after {} ({} in all): {error}; it stays in the outbox and is retried on the next run",
                message.id,
                message
                    .scan_id
                    .map_or("-".to_string(), |id| id.to_string()),
                count(tries as usize, "attempt", "attempts"),
                message.attempts + tries
            );
            if delivery.in_order {
                break;
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_saturates() {
        let first = Duration::from_millis(500);
        assert_eq!(backoff(first, 0), Duration::from_millis(500));
        assert_eq!(backoff(first, 2), Duration::from_secs(2));
        assert_eq!(backoff(Duration::MAX, 5), Duration::MAX);
    }

    #[test]
    fn bodies() {
        let message = |format: &str| OutboxMessage {
            id: 7,
            created_at: Utc::now(),
            scan_id: Some(3),
            target: "t".into(),
            format: format.into(),
            payload: json!({"scan_id": 3, "scanned_at": "2026-01-01T00:00:00Z", "alerts": [
                {"kind": "exception_expired", "severity": "medium", "account_id": "1", "message": "m"}
            ]}),
            attempts: 0,
            last_attempt_at: None,
            last_error: None,
            delivered_at: None,
        };
        let json = body(&message("json"));
        assert_eq!(json["delivery_id"], 7);
        assert_eq!(json["scan_id"], 3);
        let slack = body(&message("slack"));
        assert_eq!(
            slack["text"],
            "mfaguard: 1 MFA alert in scan 3 (2026-01-01T00:00:00Z)\n• [medium] exception_expired — account 1: m"
        );
    }
}
