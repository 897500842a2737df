//! Alerts of `mfaguard watch`: what changed for the worse since the previous
//! stored scan of each account. The first scan of an account is its
//! baseline and raises nothing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use crate::error::Result;
use crate::model::{ExceptionRecord, IdentityRecord, ScanRecord};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A console user (new, or newly given a password) without MFA.
    NewConsoleUserWithoutMfa,
    /// An MFA device removed from a console user or a root, break-glass or
    /// privileged identity.
    MfaDeviceRemoved,
    /// A break-glass account's devices, password, keys, groups or policies
    /// changed, or it appeared or disappeared.
    BreakglassChanged,
    /// An exception expired since the previous scan.
    ExceptionExpired,
    /// Policy enforced MFA for a console user or an assumable role before
    /// (`enforced` or `locked_out`) and does not now (`not_enforced`).
    MfaEnforcementLost,
    /// Root or a break-glass user signed in to the console (real-time
    /// monitoring only).
    SensitiveSignIn,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NewConsoleUserWithoutMfa => "new_console_user_without_mfa",
            AlertKind::MfaDeviceRemoved => "mfa_device_removed",
            AlertKind::BreakglassChanged => "breakglass_changed",
            AlertKind::ExceptionExpired => "exception_expired",
            AlertKind::MfaEnforcementLost => "mfa_enforcement_lost",
            AlertKind::SensitiveSignIn => "sensitive_sign_in",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// `critical`, `high` or `medium`.
    pub severity: String,
    pub account_id: String,
    pub resource_arn: String,
    pub resource_name: String,
    pub message: String,
    /// The stored scan this one was compared with.
    pub previous_scan_id: Option<i64>,
    pub details: serde_json::Value,
}

/// The previous state of one account.
#[derive(Debug, Clone)]
pub struct Previous {
    pub scan_id: i64,
    pub scanned_at: DateTime<Utc>,
    pub identities: Vec<IdentityRecord>,
    pub exceptions: Vec<ExceptionRecord>,
}

impl Store {
    /// Alerts for `scan` (not yet recorded) against the latest stored scan
    /// of each of its accounts.
    pub fn alerts_for(&mut self, scan: &ScanRecord) -> Result<Vec<Alert>> {
        let mut alerts = Vec::new();
        let mut exception_baseline: Option<Previous> = None;
        for account in scan.accounts.iter().filter(|a| a.is_scanned()) {
            let Some(previous) = self.previous(&account.account_id)? else {
                continue;
            };
            alerts.extend(identity_alerts(
                &previous,
                &scan_identities(scan, &account.account_id),
            ));
            if exception_baseline
                .as_ref()
                .is_none_or(|b| (b.scanned_at, b.scan_id) < (previous.scanned_at, previous.scan_id))
            {
                exception_baseline = Some(previous);
            }
        }
        if let Some(previous) = &exception_baseline {
            alerts.extend(exception_alerts(
                previous,
                &scan.exceptions,
                scan.scanned_at.date_naive(),
            ));
        }
        Ok(alerts)
    }

    /// The latest stored scan of `account`, as alerts compare with it.
    pub fn previous(&mut self, account: &str) -> Result<Option<Previous>> {
        let Some(scan_id) = self.latest_scan_of(account)? else {
            return Ok(None);
        };
        let summary = self.scan(scan_id)?;
        Ok(Some(Previous {
            scan_id,
            scanned_at: summary.scanned_at,
            identities: self.identities(scan_id, Some(account))?,
            exceptions: self.exceptions(scan_id)?,
        }))
    }
}

fn scan_identities<'a>(scan: &'a ScanRecord, account: &str) -> Vec<&'a IdentityRecord> {
    scan.identities
        .iter()
        .filter(|i| i.account_id == account)
        .collect()
}

/// Alerts for `scan` of one account (not yet recorded) against that
/// account's `previous` state (pure): what [`Store::alerts_for`] gives for
/// a scan of that account alone.
pub fn alerts_against(previous: &Previous, scan: &ScanRecord, account: &str) -> Vec<Alert> {
    let mut alerts = identity_alerts(previous, &scan_identities(scan, account));
    alerts.extend(exception_alerts(
        previous,
        &scan.exceptions,
        scan.scanned_at.date_naive(),
    ));
    alerts
}

/// `scan`'s state of `account` as the next scan's alerts compare with it:
/// what [`Store::previous`] reads once `scan` is recorded as `scan_id`.
pub fn previous_from(scan_id: i64, scan: &ScanRecord, account: &str) -> Previous {
    Previous {
        scan_id,
        scanned_at: as_stored(scan.scanned_at),
        identities: scan
            .identities
            .iter()
            .filter(|i| i.account_id == account)
            .map(|identity| IdentityRecord {
                created: identity.created.map(as_stored),
                ..identity.clone()
            })
            .collect(),
        exceptions: scan.exceptions.clone(),
    }
}

/// A time as the store keeps it (whole seconds).
fn as_stored(time: DateTime<Utc>) -> DateTime<Utc> {
    crate::time::parse(&crate::time::format(time)).unwrap_or(time)
}

fn severity_of(identity: &IdentityRecord) -> &'static str {
    if identity.is_sensitive() {
        "critical"
    } else {
        "high"
    }
}

/// Alerts about identities of one account (pure).
pub fn identity_alerts(previous: &Previous, current: &[&IdentityRecord]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let before = |arn: &str| previous.identities.iter().find(|i| i.arn == arn);
    let alert = |kind: AlertKind,
                 severity: &str,
                 identity: &IdentityRecord,
                 message: String,
                 details: serde_json::Value| Alert {
        kind,
        severity: severity.to_string(),
        account_id: identity.account_id.clone(),
        resource_arn: identity.arn.clone(),
        resource_name: identity.name.clone(),
        message,
        previous_scan_id: Some(previous.scan_id),
        details,
    };
    for now in current {
        let was = before(&now.arn);
        // A console user without MFA who was not one before.
        if now.is_console_user()
            && now.mfa_active == Some(false)
            && !was.is_some_and(|w| w.is_console_user())
        {
            let what = if was.is_some() {
                "was given a console password"
            } else {
                "is a new console user"
            };
            alerts.push(alert(
                AlertKind::NewConsoleUserWithoutMfa,
                severity_of(now),
                now,
                format!("{} {what} without MFA (tier {})", now.name, now.tier),
                json!({"tier": now.tier, "new_identity": was.is_none()}),
            ));
        }
        let Some(was) = was else {
            if now.breakglass {
                alerts.push(alert(
                    AlertKind::BreakglassChanged,
                    "high",
                    now,
                    format!("new break-glass account {}", now.name),
                    json!({"changes": ["added"]}),
                ));
            }
            continue;
        };
        // MFA devices removed from a console user or a sensitive identity.
        if was.is_console_user()
            || now.is_console_user()
            || was.is_sensitive()
            || now.is_sensitive()
        {
            let removed: Vec<&str> = was
                .mfa_devices
                .iter()
                .filter(|d| !now.mfa_devices.iter().any(|n| n.serial == d.serial))
                .map(|d| d.serial.as_str())
                .collect();
            let deactivated = was.mfa_active == Some(true) && now.mfa_active == Some(false);
            if !removed.is_empty() || deactivated {
                let severity = if was.is_sensitive() || now.is_sensitive() {
                    "critical"
                } else {
                    "high"
                };
                let message = if removed.is_empty() {
                    format!("{} no longer has an active MFA device", now.name)
                } else {
                    format!(
                        "MFA device {} removed from {}{}",
                        removed.join(", "),
                        now.name,
                        if now.mfa_active == Some(false) {
                            " (no MFA left)"
                        } else {
                            ""
                        }
                    )
                };
                alerts.push(alert(
                    AlertKind::MfaDeviceRemoved,
                    severity,
                    now,
                    message,
                    json!({"removed": removed, "mfa_active": now.mfa_active, "tier": now.tier}),
                ));
            }
        }
        // Enforcement lost: the policies that required MFA changed.
        if let (Some(before), Some(after)) = (&was.enforcement, &now.enforcement) {
            if crate::diff::enforcement_lost(before, after) {
                let count = now.allowed_without_mfa.unwrap_or_default();
                alerts.push(alert(
                    AlertKind::MfaEnforcementLost,
                    severity_of(now),
                    now,
                    format!(
                        "policy no longer enforces MFA for {} (tier {}): {} allowed without MFA",
                        now.name,
                        now.tier,
                        mfaguard_core::words::count(count as usize, "action", "actions")
                    ),
                    json!({"from": before, "to": after, "allowed_without_mfa": count, "tier": now.tier}),
                ));
            }
        }
        if was.breakglass || now.breakglass {
            let changes = breakglass_changes(was, now);
            if !changes.is_empty() {
                alerts.push(alert(
                    AlertKind::BreakglassChanged,
                    "critical",
                    now,
                    format!(
                        "break-glass account {} changed: {}",
                        now.name,
                        changes.join("; ")
                    ),
                    json!({"changes": changes}),
                ));
            }
        }
    }
    for was in &previous.identities {
        if was.breakglass && !current.iter().any(|i| i.arn == was.arn) {
            alerts.push(alert(
                AlertKind::BreakglassChanged,
                "critical",
                was,
                format!("break-glass account {} was removed", was.name),
                json!({"changes": ["removed"]}),
            ));
        }
    }
    alerts
}

fn list_changes(what: &str, before: &[String], after: &[String], out: &mut Vec<String>) {
    for item in after {
        if !before.contains(item) {
            out.push(format!("{what} added: {item}"));
        }
    }
    for item in before {
        if !after.contains(item) {
            out.push(format!("{what} removed: {item}"));
        }
    }
}

/// What changed on a break-glass account, in words.
pub fn breakglass_changes(was: &IdentityRecord, now: &IdentityRecord) -> Vec<String> {
    let mut changes = Vec::new();
    let serials = |i: &IdentityRecord| {
        i.mfa_devices
            .iter()
            .map(|d| d.serial.clone())
            .collect::<Vec<_>>()
    };
    list_changes("MFA device", &serials(was), &serials(now), &mut changes);
    if was.mfa_active != now.mfa_active {
        changes.push(format!(
            "MFA active {} -> {}",
            tri(was.mfa_active),
            tri(now.mfa_active)
        ));
    }
    if was.console_access != now.console_access {
        changes.push(format!(
            "console password {} -> {}",
            tri(was.console_access),
            tri(now.console_access)
        ));
    } else if was.password_last_changed != now.password_last_changed {
        changes.push(format!(
            "password changed ({})",
            now.password_last_changed
                .as_deref()
                .unwrap_or("unknown time")
        ));
    }
    for slot in [1u8, 2] {
        let key = |i: &IdentityRecord| i.access_keys.iter().find(|k| k.slot == slot).cloned();
        let (before, after) = (key(was), key(now));
        let active = |k: &Option<crate::model::KeyRecord>| k.as_ref().is_some_and(|k| k.active);
        if active(&before) != active(&after) {
            changes.push(format!(
                "access key {slot} {}",
                if active(&after) {
                    "activated"
                } else {
                    "deactivated"
                }
            ));
        } else if active(&after)
            && before.as_ref().and_then(|k| k.last_rotated.clone())
                != after.as_ref().and_then(|k| k.last_rotated.clone())
        {
            changes.push(format!("access key {slot} replaced"));
        }
    }
    list_changes("group", &was.groups, &now.groups, &mut changes);
    list_changes("policy", &was.policies, &now.policies, &mut changes);
    if was.breakglass != now.breakglass {
        changes.push(if now.breakglass {
            "now marked break-glass".to_string()
        } else {
            "no longer marked break-glass".to_string()
        });
    }
    changes
}

fn tri(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// Exceptions expired as of `today` that had not expired as of the
/// previous scan (or were not in its configuration) (pure).
pub fn exception_alerts(
    previous: &Previous,
    current: &[ExceptionRecord],
    today: NaiveDate,
) -> Vec<Alert> {
    let before_day = previous.scanned_at.date_naive();
    current
        .iter()
        .filter(|e| e.is_expired(today))
        .filter(|e| {
            !previous.exceptions.iter().any(|p| {
                p.check_id == e.check_id
                    && p.resource == e.resource
                    && p.expires == e.expires
                    && p.is_expired(before_day)
            })
        })
        .map(|e| Alert {
            kind: AlertKind::ExceptionExpired,
            severity: "medium".to_string(),
            account_id: e.account_id().unwrap_or_default().to_string(),
            resource_arn: e.resource.clone(),
            resource_name: format!("exception for {} on {}", e.check_id, e.resource),
            message: format!(
                "the exception for {} on {} (owner {}) expired on {}: its failures count again",
                e.check_id,
                e.resource,
                if e.has_owner() {
                    e.owner.as_str()
                } else {
                    "none"
                },
                e.expires
            ),
            previous_scan_id: Some(previous.scan_id),
            details: json!({
                "check_id": e.check_id,
                "owner": e.owner,
                "reason": e.reason,
                "expires": e.expires.to_string(),
                "config_line": e.config_line,
            }),
        })
        .collect()
}
