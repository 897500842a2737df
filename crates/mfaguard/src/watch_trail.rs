//! `watch --trail DIR`: after each scan, read the CloudTrail log files not
//! read before, record their figures, and alert on root and break-glass
//! use and MFA removed from a privileged or break-glass user.
//!
//! What is read is remembered in the store per file (path from `AWSLogs/`
//! on, size and modification time): a file is read once, unless it
//! changes; a file anywhere in the tree is found, however late it lands in
//! an old date folder; a file that cannot be read to its end is reported
//! and read again next round. Alerts are queued once per event (by its
//! CloudTrail event ID), across rounds and restarts.

use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};
use mfaguard_core::words::count;
use mfaguard_core::{Config, Snapshot};
use mfaguard_store::{NewMessage, Store};
use mfaguard_trail::activity::{Alert, AlertKind};
use mfaguard_trail::reader::{discover, Window};
use mfaguard_trail::{analyze_files_by_file, default_jobs, Knowledge};
use serde_json::json;

use crate::webhook::Delivery;

/// Reads the new log files under `root`; returns how many could not be
/// read to their end (they are retried next round).
pub fn round(
    root: &Path,
    store: &mut Store,
    config: &Config,
    snapshots: &[Snapshot],
    delivery: Option<&Delivery>,
    slack: bool,
    now: DateTime<Utc>,
) -> Result<usize> {
    let known = store.trail_files()?;
    let mut discovery = discover(root, &Window::default())?;
    discovery.files.retain(|path| {
        let key = mfaguard_trail::kpi::file_key(root, path);
        let Some(file) = known.get(&key) else {
            return true;
        };
        match std::fs::metadata(path) {
            Ok(metadata) => !file.covers(
                metadata.len(),
                metadata.modified().ok().map(DateTime::<Utc>::from),
            ),
            // Gone or unreadable since it was listed: reading says why.
            Err(_) => true,
        }
    });
    if discovery.files.is_empty() {
        return Ok(0);
    }
    let with_account: Vec<Snapshot> = snapshots
        .iter()
        .filter(|snapshot| snapshot.account_id.is_some())
        .cloned()
        .collect();
    let knowledge = if with_account.is_empty() {
        Knowledge::from_config(config)
    } else {
        Knowledge::new(with_account, config, now)
    };
    let (report, readings) = analyze_files_by_file(
        root,
        discovery,
        &knowledge,
        Window::default(),
        default_jobs(),
        now,
    )?;
    let messages = |alerts: &[Alert]| -> Vec<NewMessage> {
        match delivery {
            Some(delivery) => vec![NewMessage {
                target: mfaguard_store::target_key(&delivery.url),
                format: if slack { "slack" } else { "json" }.to_string(),
                payload: event(now, alerts),
            }],
            None => Vec::new(),
        }
    };
    let done = store.record_trail(&readings, true, &messages)?;
    let mut text = format!(
        "{} trail: {} read ({} records), {}\n",
        mfaguard_store::time::format(now),
        count(done.recorded + done.kept, "new log file", "new log files"),
        report.inputs.records,
        count(done.new_alerts.len(), "alert", "alerts")
    );
    for alert in &done.new_alerts {
        text.push_str(&format!(
            "  [{}] {} {}: {} at {}\n",
            alert.severity,
            kind_name(alert.kind),
            alert.account_id,
            alert.message,
            mfaguard_store::time::format(alert.time)
        ));
    }
    crate::output::write_stdout(&text)?;
    for file in &report.inputs.files_failed {
        eprintln!(
            "error: trail file {}: {} (not recorded; read again next round)",
            file.path, file.reason
        );
    }
    if report.inputs.records_skipped > 0 {
        eprintln!(
            "warning: trail: {} could not be analysed (first ones: {})",
            count(
                usize::try_from(report.inputs.records_skipped).unwrap_or(usize::MAX),
                "record",
                "records"
            ),
            report
                .inputs
                .records_skipped_listed
                .iter()
                .take(3)
                .map(|r| format!("{} #{}: {}", r.path, r.index, r.reason))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(done.failed)
}

fn kind_name(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::RootActivity => "root_activity",
        AlertKind::BreakglassActivity => "breakglass_activity",
        AlertKind::MfaDeactivated => "mfa_deactivated",
    }
}

/// The webhook event of a round's trail alerts: the shape of the scan
/// alerts (docs/store.md), without a scan.
fn event(now: DateTime<Utc>, alerts: &[Alert]) -> serde_json::Value {
    let mut accounts: Vec<&str> = alerts.iter().map(|a| a.account_id.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    json!({
        "schema_version": 1,
        "type": "mfaguard.alerts",
        "source": "cloudtrail",
        "scan_id": null,
        "scanned_at": mfaguard_store::time::format(now),
        "accounts": accounts,
        "alerts": alerts.iter().map(|alert| json!({
            "kind": kind_name(alert.kind),
            "severity": alert.severity,
            "account_id": alert.account_id,
            "resource_arn": alert.identity_arn,
            "resource_name": alert.identity_name,
            "message": alert.message,
            "details": {
                "event_id": alert.event_id,
                "event_time": mfaguard_store::time::format(alert.time),
                "event_source": alert.event_source,
                "event_name": alert.event_name,
                "source_ip": alert.source_ip,
                "user_agent": alert.user_agent,
                "mfa_used": alert.mfa_used,
                "error_code": alert.error_code,
            },
        })).collect::<Vec<_>>(),
    })
}
