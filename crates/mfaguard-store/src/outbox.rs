//! The webhook outbox: alerts are written with their scan, in the same
//! transaction, then delivered; a delivery that fails stays in the outbox
//! (with its attempts and last error) and is retried by the next run. A
//! short lease keeps two watchers from sending the same message at once.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::db::Value;
use crate::error::{Result, StoreError};
use crate::store::Store;
use crate::time;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub scan_id: Option<i64>,
    pub target: String,
    pub format: String,
    pub payload: serde_json::Value,
    pub attempts: u64,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The key a destination is stored under: a hash, so that webhook URLs
/// (which often carry a secret token) are not written to the store.
pub fn target_key(url: &str) -> String {
    format!("webhook-{:016x}", crate::shard::account_hash(url))
}

const COLUMNS: &str = "SELECT id, created_at, scan_id, target, format, payload, attempts, last_attempt_at, last_error, delivered_at FROM outbox";

fn message(row: &crate::db::Row) -> Result<OutboxMessage> {
    let opt_time = |index: usize| -> Result<Option<DateTime<Utc>>> {
        row.opt_text(index)?.map(|t| time::parse(&t)).transpose()
    };
    Ok(OutboxMessage {
        id: row.int(0)?,
        created_at: time::parse(&row.text(1)?)?,
        scan_id: row.opt_int(2)?,
        target: row.text(3)?,
        format: row.text(4)?,
        payload: serde_json::from_str(&row.text(5)?)
            .map_err(|err| StoreError::Corrupt(format!("outbox payload: {err}")))?,
        attempts: u64::try_from(row.int(6)?).unwrap_or(0),
        last_attempt_at: opt_time(7)?,
        last_error: row.opt_text(8)?,
        delivered_at: opt_time(9)?,
    })
}

impl Store {
    /// Undelivered messages for `target`, oldest first.
    pub fn pending_messages(&mut self, target: &str) -> Result<Vec<OutboxMessage>> {
        let sql = format!("{COLUMNS} WHERE target = ? AND delivered_at IS NULL ORDER BY id");
        self.db
            .query(&sql, &[target.into()])?
            .iter()
            .map(message)
            .collect()
    }

    /// Every message, oldest first.
    pub fn outbox(&mut self) -> Result<Vec<OutboxMessage>> {
        let sql = format!("{COLUMNS} ORDER BY id");
        self.db.query(&sql, &[])?.iter().map(message).collect()
    }

    /// Takes a message for delivery for `lease`; false when it was
    /// delivered or another watcher holds it.
    pub fn claim_message(&mut self, id: i64, now: DateTime<Utc>, lease: Duration) -> Result<bool> {
        let now_text = time::format(now);
        let changed = self.db.execute(
            "UPDATE outbox SET lease_until = ? WHERE id = ? AND delivered_at IS NULL AND (lease_until IS NULL OR lease_until < ?)",
            &[time::format(now + lease).into(), id.into(), now_text.into()],
        )?;
        Ok(changed == 1)
    }

    pub fn mark_delivered(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let at = time::format(now);
        self.db.execute(
            "UPDATE outbox SET delivered_at = ?, last_attempt_at = ?, attempts = attempts + 1, lease_until = NULL, last_error = NULL WHERE id = ?",
            &[at.clone().into(), at.into(), id.into()],
        )?;
        Ok(())
    }

    /// Records a failed delivery (after its retries); the message stays
    /// pending.
    pub fn mark_failed(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        attempts: u64,
        error: &str,
    ) -> Result<()> {
        self.db.execute(
            "UPDATE outbox SET last_attempt_at = ?, attempts = attempts + ?, last_error = ?, lease_until = NULL WHERE id = ?",
            &[
                time::format(now).into(),
                Value::Int(i64::try_from(attempts).unwrap_or(i64::MAX)),
                error.into(),
                id.into(),
            ],
        )?;
        Ok(())
    }
}
