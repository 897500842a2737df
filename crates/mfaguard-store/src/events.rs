//! What real-time monitoring keeps between events: the latest snapshot of
//! each account (which an event's re-collected identities are patched
//! into) and the IDs of the events already processed, so that a message
//! the queue delivers twice never alerts twice.

use chrono::{DateTime, Utc};
use mfaguard_core::Snapshot;

use crate::db::{transaction, Db, Dialect};
use crate::delta::{DeltaBase, NewScan, Plan, RecordedScan};
use crate::error::{Result, StoreError};
use crate::store::{insert_scan_shaped, NewMessage, Shape, Store};
use crate::time;
use crate::ScanRecord;

/// One processed event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// CloudTrail's event ID.
    pub event_id: String,
    pub account_id: String,
    pub event_name: String,
    pub event_time: DateTime<Utc>,
    /// How many alerts it raised.
    pub alerts: usize,
}

/// What [`Store::record_event`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventRecorded {
    /// Recorded now, with its scan ID when it had one.
    New { scan_id: Option<i64> },
    /// Recorded before (a redelivery): nothing was written.
    Duplicate,
}

fn account_of(snapshot: &Snapshot) -> Result<&str> {
    snapshot.account_id.as_deref().ok_or_else(|| {
        StoreError::Corrupt(
            "a snapshot without an account ID cannot be kept per account".to_string(),
        )
    })
}

pub(crate) fn save_snapshot(
    db: &mut dyn Db,
    scan_id: Option<i64>,
    snapshot: &Snapshot,
) -> Result<()> {
    let account = account_of(snapshot)?;
    let json = serde_json::to_string(snapshot)
        .map_err(|err| StoreError::Corrupt(format!("snapshot of {account}: {err}")))?;
    // The patches were on top of the snapshot this replaces.
    db.execute(
        "DELETE FROM account_snapshot_patches WHERE account_id = ?",
        &[account.into()],
    )?;
    db.execute(
        "INSERT INTO account_snapshots (account_id, scan_id, collected_at, snapshot_json) VALUES (?, ?, ?, ?) \
         ON CONFLICT (account_id) DO UPDATE SET scan_id = excluded.scan_id, collected_at = excluded.collected_at, snapshot_json = excluded.snapshot_json",
        &[
            account.into(),
            scan_id.map_or(crate::db::Value::Null, Into::into),
            time::format(snapshot.source.collected_at).into(),
            json.into(),
        ],
    )?;
    Ok(())
}

/// A scan to record with a batch of events, and how.
struct ScanWrite<'a> {
    record: &'a ScanRecord,
    snapshot: &'a Snapshot,
    plan: Plan,
}

/// Writes the scan (in full, or its own entries only) and keeps its
/// snapshot (in full, or the patch from the previous one).
fn write_scan(db: &mut dyn Db, write: &ScanWrite<'_>) -> Result<i64> {
    match &write.plan {
        Plan::Full { report_json } => {
            let shape = Shape::Full { report_json };
            let id = insert_scan_shaped(db, write.record, &shape, &mut |_| true)?;
            save_snapshot(db, Some(id), write.snapshot)?;
            Ok(id)
        }
        Plan::Delta {
            base_scan_id,
            runs,
            report_json,
            own_results,
            own_identities,
            snapshot_patch,
            ..
        } => {
            let shape = Shape::Delta {
                base_scan_id: *base_scan_id,
                runs: runs.to_json(),
                report_json,
                own_results,
                own_identities,
            };
            let id = insert_scan_shaped(db, write.record, &shape, &mut |_| true)?;
            let account = account_of(write.snapshot)?;
            // The patch is against the snapshot stored with the base scan:
            // when another writer replaced it since (a full scan, another
            // consumer), the whole snapshot is written instead.
            if kept_snapshot_scan(db, account)? != Some(*base_scan_id) {
                save_snapshot(db, Some(id), write.snapshot)?;
                return Ok(id);
            }
            let position = db
                .query(
                    "SELECT COALESCE(MAX(position), 0) FROM account_snapshot_patches WHERE account_id = ?",
                    &[account.into()],
                )?
                .first()
                .map(|row| row.int(0))
                .transpose()?
                .unwrap_or(0);
            db.execute(
                "INSERT INTO account_snapshot_patches (account_id, position, scan_id, patch_json) VALUES (?, ?, ?, ?)",
                &[
                    account.into(),
                    (position + 1).into(),
                    id.into(),
                    snapshot_patch.to_string().into(),
                ],
            )?;
            // `account_snapshots` is left alone: rewriting any of its
            // columns rewrites the whole snapshot's row.
            Ok(id)
        }
    }
}

/// The scan the account's kept snapshot belongs to (its latest patch's,
/// else the full one's), read under a lock on the account's row.
fn kept_snapshot_scan(db: &mut dyn Db, account: &str) -> Result<Option<i64>> {
    let lock = match db.dialect() {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    let full = db.query(
        &format!("SELECT scan_id FROM account_snapshots WHERE account_id = ?{lock}"),
        &[account.into()],
    )?;
    let Some(row) = full.first() else {
        return Ok(None);
    };
    let patched = db.query(
        "SELECT scan_id FROM account_snapshot_patches WHERE account_id = ? ORDER BY position DESC LIMIT 1",
        &[account.into()],
    )?;
    match patched.first() {
        Some(patch) => patch.opt_int(0),
        None => row.opt_int(0),
    }
}

fn event_seen(db: &mut dyn Db, event_id: &str) -> Result<bool> {
    Ok(!db
        .query(
            "SELECT 1 FROM processed_events WHERE event_id = ?",
            &[event_id.into()],
        )?
        .is_empty())
}

impl Store {
    /// Keeps `snapshot` as its account's latest (replacing the previous).
    pub fn save_snapshot(&mut self, scan_id: Option<i64>, snapshot: &Snapshot) -> Result<()> {
        transaction(self.db.as_mut(), |db| save_snapshot(db, scan_id, snapshot))
    }

    /// The latest snapshot kept for `account`: the one saved in full with
    /// the patches recorded since applied in order.
    pub fn latest_snapshot(&mut self, account: &str) -> Result<Option<Snapshot>> {
        let rows = self.db.query(
            "SELECT snapshot_json FROM account_snapshots WHERE account_id = ?",
            &[account.into()],
        )?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let corrupt = |err: serde_json::Error| {
            StoreError::Corrupt(format!("stored snapshot of {account}: {err}"))
        };
        let mut snapshot: Snapshot = serde_json::from_str(&row.text(0)?).map_err(corrupt)?;
        let patches = self.db.query(
            "SELECT patch_json FROM account_snapshot_patches WHERE account_id = ? ORDER BY position",
            &[account.into()],
        )?;
        for patch in &patches {
            let patch: serde_json::Value =
                serde_json::from_str(&patch.text(0)?).map_err(corrupt)?;
            snapshot = crate::delta::apply_snapshot_patch(snapshot, &patch)?;
        }
        Ok(Some(snapshot))
    }

    /// The scan the latest kept snapshot of `account` belongs to: None when
    /// no snapshot is kept, Some(None) when it has no scan. A consumer that
    /// keeps the snapshot in memory reads it again only when this changed.
    pub fn snapshot_scan_id(&mut self, account: &str) -> Result<Option<Option<i64>>> {
        let patched = self.db.query(
            "SELECT scan_id FROM account_snapshot_patches WHERE account_id = ? ORDER BY position DESC LIMIT 1",
            &[account.into()],
        )?;
        if let Some(row) = patched.first() {
            return Ok(Some(row.opt_int(0)?));
        }
        self.db
            .query(
                "SELECT scan_id FROM account_snapshots WHERE account_id = ?",
                &[account.into()],
            )?
            .first()
            .map(|row| row.opt_int(0))
            .transpose()
    }

    /// Whether this event was processed already.
    pub fn event_seen(&mut self, event_id: &str) -> Result<bool> {
        event_seen(self.db.as_mut(), event_id)
    }

    /// Records a processed event in one transaction with what it produced:
    /// see [`Store::record_events`].
    pub fn record_event(
        &mut self,
        event: &EventRecord,
        scan: Option<(&ScanRecord, &Snapshot)>,
        messages: &dyn Fn(Option<i64>) -> Vec<NewMessage>,
    ) -> Result<EventRecorded> {
        self.record_events(std::slice::from_ref(event), scan, messages)
    }

    /// Records events handled together in one transaction with what they
    /// produced: the scan of their account and the account's new snapshot
    /// (when they changed identities), and the outbox messages made from
    /// the scan ID. Events recorded before are left out; when all were,
    /// nothing is written.
    pub fn record_events(
        &mut self,
        events: &[EventRecord],
        scan: Option<(&ScanRecord, &Snapshot)>,
        messages: &dyn Fn(Option<i64>) -> Vec<NewMessage>,
    ) -> Result<EventRecorded> {
        let write = scan.map(|(record, snapshot)| ScanWrite {
            record,
            snapshot,
            plan: Plan::Full {
                report_json: record.report_json.clone(),
            },
        });
        self.record_events_with(events, write.as_ref(), messages)
    }

    /// [`Store::record_events`] for a consumer that keeps what it recorded
    /// last of the account (`base`): the scan is written as a delta of it
    /// when that is smaller (see [`crate::delta`]). Returns what to keep
    /// for the next batch: None when nothing was written (all events were
    /// recorded before) or no scan was given.
    pub fn record_event_batch(
        &mut self,
        events: &[EventRecord],
        scan: Option<NewScan<'_>>,
        base: Option<DeltaBase<'_>>,
        messages: &dyn Fn(Option<i64>) -> Vec<NewMessage>,
    ) -> Result<(EventRecorded, Option<RecordedScan>)> {
        let Some(scan) = scan else {
            return Ok((self.record_events_with(events, None, messages)?, None));
        };
        let account = account_of(scan.snapshot)?.to_string();
        let plan = crate::delta::plan(&scan, base.as_ref());
        let depth = match &plan {
            Plan::Full { .. } => 0,
            Plan::Delta { depth, .. } => *depth,
        };
        let write = ScanWrite {
            record: scan.record,
            snapshot: scan.snapshot,
            plan,
        };
        let recorded = self.record_events_with(events, Some(&write), messages)?;
        let kept = match recorded {
            EventRecorded::New {
                scan_id: Some(scan_id),
            } => Some(RecordedScan {
                scan_id,
                account_id: account,
                depth,
                report: scan.report,
                results: scan.record.results.clone(),
                identities: scan.record.identities.clone(),
            }),
            _ => None,
        };
        Ok((recorded, kept))
    }

    fn record_events_with(
        &mut self,
        events: &[EventRecord],
        scan: Option<&ScanWrite<'_>>,
        messages: &dyn Fn(Option<i64>) -> Vec<NewMessage>,
    ) -> Result<EventRecorded> {
        transaction(self.db.as_mut(), |db| {
            let mut new = Vec::new();
            for event in events {
                if !event_seen(db, &event.event_id)?
                    && !new
                        .iter()
                        .any(|e: &&EventRecord| e.event_id == event.event_id)
                {
                    new.push(event);
                }
            }
            if new.is_empty() {
                return Ok(EventRecorded::Duplicate);
            }
            let scan_id = match scan {
                Some(write) => Some(write_scan(db, write)?),
                None => None,
            };
            let now = time::format(Utc::now());
            for event in new {
                db.execute(
                    "INSERT INTO processed_events (event_id, account_id, event_name, event_time, processed_at, scan_id, alerts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    &[
                        event.event_id.as_str().into(),
                        event.account_id.as_str().into(),
                        event.event_name.as_str().into(),
                        time::format(event.event_time).into(),
                        now.clone().into(),
                        scan_id.map_or(crate::db::Value::Null, Into::into),
                        event.alerts.into(),
                    ],
                )?;
            }
            for message in messages(scan_id) {
                db.execute(
                    "INSERT INTO outbox (created_at, scan_id, target, format, payload, attempts) VALUES (?, ?, ?, ?, ?, 0)",
                    &[
                        now.clone().into(),
                        scan_id.map_or(crate::db::Value::Null, Into::into),
                        message.target.into(),
                        message.format.into(),
                        message.payload.to_string().into(),
                    ],
                )?;
            }
            Ok(EventRecorded::New { scan_id })
        })
    }
}
