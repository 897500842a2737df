//! `mfaguard watch`: scan on a schedule, record each scan, and alert on
//! what changed for the worse since the previous stored scan of each account.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use mfaguard_core::report::FailedAccount;
use mfaguard_core::words::count;
use mfaguard_core::Snapshot;
use mfaguard_store::{Alert, Location, NewMessage, ScanRecord, Shard, Store};
use serde_json::json;

use crate::store_args::{apply_shard, StoreArgs};
use crate::webhook::{deliver_pending, sleep_unless, Delivery};

#[derive(clap::Args)]
pub struct WatchArgs {
    /// Time between scans: 90s, 15m, 1h, 1h30m, 1d.
    #[arg(long, value_name = "INTERVAL", default_value = "1h", value_parser = parse_interval)]
    every: Duration,
    /// Scan once, alert, deliver, and exit (for cron).
    #[arg(long)]
    once: bool,
    /// POST alerts to this URL as JSON (see docs/store.md).
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Send Slack-compatible payloads (`{"text": ...}`) to the webhook.
    #[arg(long, requires = "webhook")]
    slack: bool,
    /// Delivery attempts per message and run (1 to 100).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    attempts: u32,
    /// Seconds before the first retry of a delivery (doubling each time).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    retry_delay: f64,
    /// Seconds to wait for the webhook to answer (1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// Folder of AWS CLI outputs, read again for every scan.
    #[arg(long, value_name = "DIR", conflicts_with = "snapshot", conflicts_with_all = crate::scan::LIVE_ONLY)]
    from: Option<PathBuf>,
    /// Snapshot files, read again for every scan (each account once).
    #[arg(long, value_name = "FILE", conflicts_with_all = crate::scan::LIVE_ONLY)]
    snapshot: Vec<PathBuf>,
    /// Configuration (TOML), read again for every scan.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Warn when the credential report is older than this many hours.
    #[arg(long, value_name = "HOURS", allow_negative_numbers = true, value_parser = crate::scan::parse_hours)]
    max_report_age: Option<f64>,
    /// Evaluate as of this time (RFC 3339) instead of the clock.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Scan only the accounts of shard I of N (stable hash of the account ID).
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Also consume IAM change and console sign-in events from this SQS
    /// queue (see `mfaguard events setup`) and alert within seconds; the
    /// scans of --every still run and reconcile what events missed.
    #[arg(long, value_name = "SQS_URL", conflicts_with_all = ["from", "snapshot", "once", "shard"])]
    queue: Option<String>,
    /// Where poison messages go when the queue has no redrive policy.
    #[arg(long, value_name = "SQS_URL", requires = "queue")]
    dead_letter_queue: Option<String>,
    /// Seconds one receive waits for messages (long polling, 0 to 20).
    #[arg(long, value_name = "SECONDS", default_value_t = 20, requires = "queue", value_parser = clap::value_parser!(u64).range(0..=20))]
    queue_wait: u64,
    /// Seconds a received message stays hidden while it is handled; a
    /// message whose handling fails (or whose consumer dies) comes back
    /// after this.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, requires = "queue", value_parser = clap::value_parser!(u64).range(1..=43_200))]
    visibility_timeout: u64,
    /// Events handled at once (1 to 64).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "queue", value_parser = clap::value_parser!(u64).range(1..=64))]
    handlers: u64,
    /// Also read the CloudTrail log files under DIR after each scan, once
    /// each (new files, late ones in old date folders, files that failed
    /// before), record their figures and alert on root and break-glass use
    /// and MFA removed from privileged or break-glass users.
    #[arg(long, value_name = "DIR", conflicts_with = "queue")]
    trail: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    live: crate::live::LiveArgs,
}

/// Parses `90s`, `15m`, `1h`, `1h30m`, `2d` (a bare number is seconds).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!("`{text}` is not an interval: give a number followed by s, m, h or d, such as 30s, 15m, 1h or 1h30m")
    };
    let zero =
        || format!("`{text}` is zero: the interval must be at least 1s, such as 30s, 15m or 1h");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return (seconds > 0)
            .then(|| Duration::from_secs(seconds))
            .ok_or_else(zero);
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let value: u64 = number.parse().map_err(|_| bad())?;
        total = value
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(zero());
    }
    Ok(Duration::from_secs(total))
}

pub fn run(args: WatchArgs) -> Result<u8> {
    let Some(location) = args.store.location()? else {
        bail!("mfaguard watch compares each scan with the previous one: it needs a store (drop --no-store / MFAGUARD_STORE=none)");
    };
    if let Some(url) = &args.webhook {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            bail!("--webhook must be an http:// or https:// URL");
        }
    }
    if !(args.retry_delay.is_finite() && (0.0..=3600.0).contains(&args.retry_delay)) {
        bail!("--retry-delay must be a number of seconds from 0 to 3600");
    }
    let delivery = args.webhook.as_ref().map(|url| Delivery {
        url: url.clone(),
        attempts: args.attempts.max(1),
        retry_delay: Duration::try_from_secs_f64(args.retry_delay).unwrap_or(Duration::ZERO),
        timeout: Duration::from_secs(args.timeout.max(1)),
        in_order: args.queue.is_some(),
    });

    let stop = Arc::new(AtomicBool::new(false));
    if !args.once {
        let flag = stop.clone();
        ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                eprintln!("stopped");
                std::process::exit(130);
            }
            eprintln!("stopping after the current step (Ctrl-C again to stop at once; the store stays consistent)");
        })
        .context("cannot install the Ctrl-C handler")?;
    }

    if args.queue.is_some() {
        return watch_queue(&args, &location, delivery, stop);
    }

    loop {
        let started = Instant::now();
        match iteration(&args, &location, delivery.as_ref(), true, &stop) {
            // Cron only sees the exit code: an alert left in the outbox is
            // an error it must hear of, though the scan itself is recorded.
            Ok(round) if args.once && round.undelivered > 0 => {
                eprintln!(
                    "error: {} could not be delivered; kept in the outbox for the next run",
                    count(round.undelivered, "webhook message", "webhook messages")
                );
                return Ok(crate::EXIT_ERROR);
            }
            // A trail file that could not be read is an error cron must
            // hear of; it is read again by the next run.
            Ok(round) if args.once && round.trail_failed > 0 => {
                return Ok(crate::EXIT_ERROR);
            }
            Ok(_) => {}
            Err(err) if !args.once => eprintln!("error: {err:#} (retrying at the next scan)"),
            Err(err) => return Err(err),
        }
        if args.once || stop.load(Ordering::SeqCst) {
            break;
        }
        let wait = args.every.saturating_sub(started.elapsed());
        if !sleep_unless(&stop, wait) {
            break;
        }
    }
    if stop.load(Ordering::SeqCst) {
        eprintln!("watch stopped");
    }
    Ok(0)
}

/// `--queue`: a first full scan (the baseline the events are applied to),
/// then the consumer, with the periodic full scans and the webhook
/// delivery each in a thread of their own.
fn watch_queue(
    args: &WatchArgs,
    location: &Location,
    delivery: Option<Delivery>,
    stop: Arc<AtomicBool>,
) -> Result<u8> {
    let Some(url) = &args.queue else {
        return Ok(0);
    };
    iteration(args, location, delivery.as_ref(), false, &stop)
        .context("the first full scan failed")?;
    let now = crate::scan::parse_now(args.now.as_deref())?;
    let config = crate::scan::load_config(args.config.as_deref(), args.max_report_age, now)?;
    let options = args.live.options(&config.live)?;
    let (wake, woken) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|threads| {
        if let Some(delivery) = &delivery {
            let stop = &stop;
            threads.spawn(move || delivery_loop(location, delivery, stop, &woken));
        }
        let scans_stop = &stop;
        let delivery_ref = delivery.as_ref();
        let wake_scans = wake.clone();
        threads.spawn(move || loop {
            if !sleep_unless(scans_stop, args.every) {
                break;
            }
            match iteration(args, location, delivery_ref, false, scans_stop) {
                Ok(_) => {
                    let _ = wake_scans.send(());
                }
                Err(err) => eprintln!("error: {err:#} (retrying at the next scan)"),
            }
        });
        let settings = crate::queue::QueueSettings {
            url: url.clone(),
            dead_letter_url: args.dead_letter_queue.clone(),
            wait: Duration::from_secs(args.queue_wait),
            visibility: Duration::from_secs(args.visibility_timeout),
            handlers: usize::try_from(args.handlers).unwrap_or(16),
            verbose: args.live.verbose,
        };
        let result = crate::queue::consume(
            &settings,
            options,
            args.live.org_options(None),
            config,
            location.clone(),
            delivery.clone(),
            args.slack,
            wake,
            stop.clone(),
        );
        // The other threads end with the consumer.
        stop.store(true, Ordering::SeqCst);
        result
    })?;
    eprintln!("watch stopped");
    Ok(0)
}

/// Delivers the outbox in order: when woken by a new alert, and every
/// second (longer after a failure) for what could not be delivered yet.
fn delivery_loop(
    location: &Location,
    delivery: &Delivery,
    stop: &AtomicBool,
    woken: &std::sync::mpsc::Receiver<()>,
) {
    let idle = Duration::from_secs(1);
    loop {
        let mut failed = HashSet::new();
        let round = Store::open(location)
            .map_err(anyhow::Error::from)
            .and_then(|mut store| deliver_pending(&mut store, delivery, stop, &mut failed));
        if let Err(err) = round {
            eprintln!("error: webhook delivery: {err:#}");
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let wait = if failed.is_empty() {
            idle
        } else {
            delivery.retry_delay.max(idle)
        };
        match woken.recv_timeout(wait) {
            Ok(()) => while woken.try_recv().is_ok() {},
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
}

/// What an iteration left undone.
struct Round {
    /// Webhook messages that could not be delivered in this run.
    undelivered: usize,
    /// Trail files that could not be read to their end.
    trail_failed: usize,
}

/// One scan, its record and its alerts (and the new trail files, with
/// `--trail`); returns what could not be done in this run. Without `deliver`, alerts are only
/// put in the outbox (another thread delivers them).
fn iteration(
    args: &WatchArgs,
    location: &Location,
    delivery: Option<&Delivery>,
    deliver: bool,
    stop: &AtomicBool,
) -> Result<Round> {
    let mut store = Store::open(location)?;
    // Messages that failed in this iteration are not tried twice in it.
    let mut failed_messages = HashSet::new();
    // What earlier runs could not deliver goes first.
    if let Some(delivery) = delivery.filter(|_| deliver) {
        let outcome = deliver_pending(&mut store, delivery, stop, &mut failed_messages)?;
        if outcome.delivered > 0 {
            eprintln!(
                "delivered {} kept from earlier runs",
                count(outcome.delivered, "message", "messages")
            );
        }
    }
    if stop.load(Ordering::SeqCst) {
        return Ok(Round {
            undelivered: failed_messages.len(),
            trail_failed: 0,
        });
    }
    let now = crate::scan::parse_now(args.now.as_deref())?;
    let config = crate::scan::load_config(args.config.as_deref(), args.max_report_age, now)?;
    let (snapshots, failed) = collect(args, &config.live, now)?;
    let (snapshots, failed) = apply_shard(args.shard, snapshots, failed);
    if snapshots.is_empty() && failed.is_empty() {
        eprintln!("no account to scan");
        return Ok(Round {
            undelivered: failed_messages.len(),
            trail_failed: 0,
        });
    }
    let mut report = mfaguard_core::analyze(&snapshots, &config, now);
    report.failed_accounts = failed;
    let record = ScanRecord::from_report(&report, &snapshots, &config, args.shard);
    let alerts = store.alerts_for(&record)?;
    let messages = |scan_id: i64| -> Vec<NewMessage> {
        match delivery {
            Some(delivery) if !alerts.is_empty() => vec![NewMessage {
                target: mfaguard_store::target_key(&delivery.url),
                format: if args.slack { "slack" } else { "json" }.to_string(),
                payload: event(scan_id, &record, &alerts),
            }],
            _ => Vec::new(),
        }
    };
    // With the scan, each account's snapshot: the baseline that events are
    // applied to (`--queue`).
    let baselines: Vec<&mfaguard_core::Snapshot> = snapshots
        .iter()
        .filter(|s| s.account_id.is_some())
        .collect();
    let id = store.record_with_snapshots(&record, &baselines, &messages, &mut |_| true)?;
    print_alerts(id, &record, &alerts)?;
    let trail_failed = match &args.trail {
        Some(root) => crate::watch_trail::round(
            root, &mut store, &config, &snapshots, delivery, args.slack, now,
        )?,
        None => 0,
    };
    if let Some(delivery) = delivery.filter(|_| deliver) {
        let outcome = deliver_pending(&mut store, delivery, stop, &mut failed_messages)?;
        if outcome.delivered > 0 {
            eprintln!(
                "delivered {}",
                count(outcome.delivered, "webhook message", "webhook messages")
            );
        }
    }
    Ok(Round {
        undelivered: failed_messages.len(),
        trail_failed,
    })
}

fn collect(
    args: &WatchArgs,
    live: &mfaguard_core::config::LiveSettings,
    now: chrono::DateTime<Utc>,
) -> Result<(Vec<Snapshot>, Vec<FailedAccount>)> {
    if let Some(dir) = &args.from {
        Ok((
            vec![mfaguard_core::offline::read_dir(dir, now)?],
            Vec::new(),
        ))
    } else if !args.snapshot.is_empty() {
        Ok((Snapshot::load_all(&args.snapshot)?, Vec::new()))
    } else {
        let collected = crate::live::collect(&args.live, live, args.shard)?;
        Ok((collected.snapshots, collected.failed))
    }
}

/// The webhook event: see docs/store.md.
fn event(scan_id: i64, record: &ScanRecord, alerts: &[Alert]) -> serde_json::Value {
    json!({
        "schema_version": 1,
        "type": "mfaguard.alerts",
        "scan_id": scan_id,
        "scanned_at": mfaguard_store::time::format(record.scanned_at),
        "accounts": record.account_ids(),
        "alerts": alerts,
    })
}

fn print_alerts(id: i64, record: &ScanRecord, alerts: &[Alert]) -> Result<()> {
    let mut text = format!(
        "{} scan {id} of {}: {}\n",
        mfaguard_store::time::format(record.scanned_at),
        record.account_ids().join(", "),
        count(alerts.len(), "alert", "alerts")
    );
    for alert in alerts {
        text.push_str(&format!(
            "  [{}] {} {}: {}\n",
            alert.severity,
            alert.kind.as_str(),
            alert.account_id,
            alert.message
        ));
    }
    crate::output::write_stdout(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3_600)));
        assert_eq!(parse_interval("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_interval("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_interval("45"), Ok(Duration::from_secs(45)));
        for bad in [
            "",
            "0",
            "0s",
            "h",
            "1x",
            "1h30",
            "-1h",
            "99999999999999999999d",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }
}
