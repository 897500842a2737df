//! CloudTrail in the history: the log files read, each file's KPIs per
//! account and month, and the trail alerts already sent.
//!
//! The unit of idempotence is the log file (keyed by its path from
//! `AWSLogs/` on): its figures are stored apart from every other file's and
//! a file read again replaces its own figures, so reading overlapping
//! windows, or the same folder twice, never counts a record twice. An
//! account's month is the sum over its files. A reading cut by
//! `--since`/`--until` (records of the file outside the window) is marked
//! incomplete: it never replaces a complete reading of the same file, and
//! a complete reading replaces it. A file that could not be read to its
//! end is not recorded at all (its figures would be partial), so the next
//! reading retries it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use mfaguard_trail::activity::Alert;
use mfaguard_trail::kpi::{FileReading, MonthKpi};

use crate::db::{transaction, Db, Row, Value};
use crate::error::Result;
use crate::store::{NewMessage, Store};
use crate::time;

/// The KPI columns of `trail_kpis`, in [`MonthKpi`]'s order.
const KPI_COLUMNS: [&str; 14] = [
    "console_sign_ins_with_mfa",
    "console_sign_ins_without_mfa",
    "console_sign_ins_mfa_unknown",
    "denials",
    "mfa_related_denials",
    "inferred_mfa_related_denials",
    "human_calls_with_mfa",
    "human_calls_without_mfa",
    "human_calls_mfa_unknown",
    "human_calls_federated",
    "workload_calls",
    "unclassified_calls",
    "root_uses",
    "breakglass_uses",
];

fn kpi_values(kpi: &MonthKpi) -> [u64; 14] {
    [
        kpi.console_sign_ins_with_mfa,
        kpi.console_sign_ins_without_mfa,
        kpi.console_sign_ins_mfa_unknown,
        kpi.denials,
        kpi.mfa_related_denials,
        kpi.inferred_mfa_related_denials,
        kpi.human_calls_with_mfa,
        kpi.human_calls_without_mfa,
        kpi.human_calls_mfa_unknown,
        kpi.human_calls_federated,
        kpi.workload_calls,
        kpi.unclassified_calls,
        kpi.root_uses,
        kpi.breakglass_uses,
    ]
}

fn kpi_of(row: &Row, first: usize) -> Result<MonthKpi> {
    let n = |i: usize| -> Result<u64> { Ok(row.int(first + i)?.max(0) as u64) };
    Ok(MonthKpi {
        console_sign_ins_with_mfa: n(0)?,
        console_sign_ins_without_mfa: n(1)?,
        console_sign_ins_mfa_unknown: n(2)?,
        denials: n(3)?,
        mfa_related_denials: n(4)?,
        inferred_mfa_related_denials: n(5)?,
        human_calls_with_mfa: n(6)?,
        human_calls_without_mfa: n(7)?,
        human_calls_mfa_unknown: n(8)?,
        human_calls_federated: n(9)?,
        workload_calls: n(10)?,
        unclassified_calls: n(11)?,
        root_uses: n(12)?,
        breakglass_uses: n(13)?,
    })
}

/// A log file as remembered.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailFile {
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    /// Read to the end with every record counted (not cut by a window).
    pub complete: bool,
}

impl TrailFile {
    /// Whether `reading`'s file is this one, unchanged and fully counted:
    /// then it need not be read again.
    pub fn covers(&self, size: u64, modified: Option<DateTime<Utc>>) -> bool {
        // Stored to the second.
        self.complete
            && self.size == size
            && self.modified.map(time::format) == modified.map(time::format)
    }
}

/// What [`Store::record_trail`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrailRecorded {
    /// Files whose figures were recorded (new, or replacing an earlier
    /// reading).
    pub recorded: usize,
    /// Files left as they were: a complete reading is kept over a reading
    /// cut by the window.
    pub kept: usize,
    /// Files not recorded because they could not be read to the end.
    pub failed: usize,
    /// Alerts not sent before, in the order given.
    pub new_alerts: Vec<Alert>,
}

/// Per month: KPIs summed over the accounts, and how many accounts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrailMonthRow {
    pub month: String,
    pub accounts: usize,
    pub kpi: MonthKpi,
}

/// The stored trail figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrailRows {
    pub files: usize,
    /// Files whose recorded reading was cut by a window.
    pub files_incomplete: usize,
    pub records_skipped: u64,
    /// Oldest month first.
    pub months: Vec<TrailMonthRow>,
}

/// The key an alert is deduplicated by: CloudTrail's event ID, else what
/// identifies the event in the record.
pub fn alert_key(alert: &Alert) -> String {
    match &alert.event_id {
        Some(id) => id.clone(),
        None => format!(
            "{}|{}|{}|{}",
            time::format(alert.time),
            alert.account_id,
            alert.identity_arn,
            alert.event_name
        ),
    }
}

fn alert_kind(alert: &Alert) -> String {
    serde_json::to_value(alert.kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn record_file(db: &mut dyn Db, reading: &FileReading, now: &str) -> Result<bool> {
    let existing = db.query(
        "SELECT complete FROM trail_files WHERE file_key = ?",
        &[reading.key.as_str().into()],
    )?;
    let complete = reading.is_complete();
    if let Some(row) = existing.first() {
        if row.bool(0)? && !complete {
            return Ok(false);
        }
    }
    db.execute(
        "DELETE FROM trail_kpis WHERE file_key = ?",
        &[reading.key.as_str().into()],
    )?;
    db.execute(
        "INSERT INTO trail_files (file_key, size, modified_at, read_at, records, records_skipped, complete) \
         VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (file_key) DO UPDATE SET size = excluded.size, modified_at = excluded.modified_at, \
         read_at = excluded.read_at, records = excluded.records, \
         records_skipped = excluded.records_skipped, complete = excluded.complete",
        &[
            reading.key.as_str().into(),
            count(reading.size),
            reading.modified.map(time::format).into(),
            now.into(),
            count(reading.records),
            count(reading.records_skipped),
            complete.into(),
        ],
    )?;
    let sql = format!(
        "INSERT INTO trail_kpis (file_key, account_id, month, {}) VALUES (?, ?, ?{})",
        KPI_COLUMNS.join(", "),
        ", ?".repeat(KPI_COLUMNS.len())
    );
    for ((account, month), kpi) in &reading.kpis {
        let mut params: Vec<Value> = vec![
            reading.key.as_str().into(),
            account.as_str().into(),
            month.as_str().into(),
        ];
        params.extend(kpi_values(kpi).into_iter().map(count));
        db.execute(&sql, &params)?;
    }
    Ok(true)
}

fn count(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

impl Store {
    /// The log files read so far, by key.
    pub fn trail_files(&mut self) -> Result<HashMap<String, TrailFile>> {
        let rows = self.db.query(
            "SELECT file_key, size, modified_at, complete FROM trail_files",
            &[],
        )?;
        let mut files = HashMap::with_capacity(rows.len());
        for row in &rows {
            let modified = match row.opt_text(2)? {
                Some(text) => Some(time::parse(&text)?),
                None => None,
            };
            files.insert(
                row.text(0)?,
                TrailFile {
                    size: row.int(1)?.max(0) as u64,
                    modified,
                    complete: row.bool(3)?,
                },
            );
        }
        Ok(files)
    }

    /// Records the readings of log files in one transaction (see the
    /// module's documentation for what replaces what). With `alerting`,
    /// each reading's alerts not sent before are remembered and
    /// `messages` makes the outbox messages for them, in the same
    /// transaction: an alert is queued once, whatever the rounds and
    /// restarts.
    pub fn record_trail(
        &mut self,
        readings: &[FileReading],
        alerting: bool,
        messages: &dyn Fn(&[Alert]) -> Vec<NewMessage>,
    ) -> Result<TrailRecorded> {
        transaction(self.db.as_mut(), |db| {
            let now = time::format(Utc::now());
            let mut outcome = TrailRecorded::default();
            for reading in readings {
                if reading.failure.is_some() {
                    outcome.failed += 1;
                    continue;
                }
                if record_file(db, reading, &now)? {
                    outcome.recorded += 1;
                } else {
                    outcome.kept += 1;
                }
                if !alerting {
                    continue;
                }
                for alert in &reading.alerts {
                    let key = alert_key(alert);
                    let kind = alert_kind(alert);
                    let seen = db.query(
                        "SELECT 1 FROM trail_alerts WHERE event_key = ? AND kind = ?",
                        &[key.as_str().into(), kind.as_str().into()],
                    )?;
                    if !seen.is_empty() {
                        continue;
                    }
                    db.execute(
                        "INSERT INTO trail_alerts (event_key, kind, account_id, event_time, alerted_at) VALUES (?, ?, ?, ?, ?)",
                        &[
                            key.into(),
                            kind.into(),
                            alert.account_id.as_str().into(),
                            time::format(alert.time).into(),
                            now.as_str().into(),
                        ],
                    )?;
                    outcome.new_alerts.push(alert.clone());
                }
            }
            if !outcome.new_alerts.is_empty() {
                for message in messages(&outcome.new_alerts) {
                    db.execute(
                        "INSERT INTO outbox (created_at, scan_id, target, format, payload, attempts) VALUES (?, NULL, ?, ?, ?, 0)",
                        &[
                            now.as_str().into(),
                            message.target.into(),
                            message.format.into(),
                            message.payload.to_string().into(),
                        ],
                    )?;
                }
            }
            Ok(outcome)
        })
    }

    /// The stored trail KPIs per month (of `account`, or summed over all),
    /// from the month of `since` on.
    pub fn trail_rows(
        &mut self,
        account: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<TrailRows> {
        let files = self.db.query(
            "SELECT COUNT(*), CAST(COALESCE(SUM(records_skipped), 0) AS BIGINT), \
             COUNT(CASE WHEN complete THEN NULL ELSE 1 END) FROM trail_files",
            &[],
        )?;
        let (files_count, records_skipped, incomplete) = match files.first() {
            Some(row) => (row.count(0)?, row.int(1)?.max(0) as u64, row.count(2)?),
            None => (0, 0, 0),
        };
        let sums: Vec<String> = KPI_COLUMNS
            .iter()
            .map(|column| format!("CAST(SUM({column}) AS BIGINT)"))
            .collect();
        let mut sql = format!(
            "SELECT account_id, month, {} FROM trail_kpis",
            sums.join(", ")
        );
        let mut params = Vec::new();
        let mut clauses = Vec::new();
        if let Some(account) = account {
            clauses.push("account_id = ?");
            params.push(Value::from(account));
        }
        if let Some(since) = since {
            clauses.push("month >= ?");
            params.push(Value::from(since.format("%Y-%m").to_string()));
        }
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        sql.push_str(" GROUP BY account_id, month");
        let mut months: BTreeMap<String, TrailMonthRow> = BTreeMap::new();
        for row in &self.db.query(&sql, &params)? {
            let month = row.text(1)?;
            let kpi = kpi_of(row, 2)?;
            let entry = months
                .entry(month.clone())
                .or_insert_with(|| TrailMonthRow {
                    month,
                    ..TrailMonthRow::default()
                });
            entry.accounts += 1;
            entry.kpi.add(&kpi);
        }
        Ok(TrailRows {
            files: files_count,
            files_incomplete: incomplete,
            records_skipped,
            months: months.into_values().collect(),
        })
    }
}
