//! The store: opens a backend, migrates it, records scans and reads them
//! back. Everything here goes through [`Db`], so both backends share it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use chrono::{DateTime, Utc};

use crate::db::{insert_rows, transaction, Db, Row, Value};
use crate::delta::{ReportText, Run, ScanRuns};
use crate::error::{Result, StoreError};
use crate::location::Location;
use crate::model::{
    AccountRecord, ConsoleCoverage, Counts, DeviceRecord, ExceptionRecord, IdentityRecord,
    KeyRecord, ResultRecord, ScanRecord, ScanSummary, StoredAccount,
};
use crate::time;

/// A message to put in the outbox with a scan, in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// Opaque key of the destination (see [`crate::outbox::target_key`]).
    pub target: String,
    /// `json` or `slack`.
    pub format: String,
    pub payload: serde_json::Value,
}

/// Which scans to list.
#[derive(Debug, Clone, Default)]
pub struct ScanFilter {
    /// Only scans that covered this account (and their figures for it).
    pub account: Option<String>,
    /// Only scans made at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only the last N.
    pub limit: Option<usize>,
}

/// A history of scans in SQLite or PostgreSQL.
pub struct Store {
    pub(crate) db: Box<dyn Db>,
    location: Location,
}

impl Store {
    /// Opens (creating it if needed) and migrates the store.
    pub fn open(location: &Location) -> Result<Store> {
        let db: Box<dyn Db> = match location {
            Location::Sqlite(path) => Box::new(crate::sqlite::SqliteDb::open(path)?),
            Location::Postgres(url) => Box::new(crate::postgres::PostgresDb::connect(
                url,
                &location.display(),
            )?),
        };
        let mut store = Store {
            db,
            location: location.clone(),
        };
        crate::schema::migrate(store.db.as_mut()).map_err(|err| match err {
            StoreError::NewerSchema { .. } => err,
            other => StoreError::Open {
                location: location.display(),
                message: format!("migrating the schema failed: {other}"),
            },
        })?;
        Ok(store)
    }

    /// Opens a store that must already hold history: a SQLite file that does
    /// not exist is an error, not a new empty store.
    pub fn open_existing(location: &Location) -> Result<Store> {
        if let Some(path) = location.sqlite_path() {
            if !path.exists() {
                return Err(StoreError::Open {
                    location: location.display(),
                    message: "no such file: no scan has been recorded there yet (run `mfaguard scan`, which records every scan)".to_string(),
                });
            }
        }
        let mut store = Store::open(location)?;
        store.check_integrity()?;
        Ok(store)
    }

    /// SQLite's structural check of the file, so that a damaged history is
    /// refused when opened rather than read as fewer scans. PostgreSQL
    /// guards its own storage.
    fn check_integrity(&mut self) -> Result<()> {
        if self.location.sqlite_path().is_none() {
            return Ok(());
        }
        let rows = self
            .db
            .query("PRAGMA quick_check(1)", &[])
            .map_err(|err| StoreError::Open {
                location: self.location.display(),
                message: format!("the file is damaged ({err})"),
            })?;
        let verdict = match rows.first() {
            Some(row) => row.text(0)?,
            None => "no answer from the integrity check".to_string(),
        };
        if verdict != "ok" {
            let first = verdict.lines().find(|line| !line.starts_with("***"));
            return Err(StoreError::Open {
                location: self.location.display(),
                message: format!(
                    "the file is damaged (SQLite integrity check: {})",
                    first.unwrap_or(&verdict)
                ),
            });
        }
        Ok(())
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The schema version (the highest migration applied).
    pub fn schema_version(&mut self) -> Result<i64> {
        Ok(crate::schema::applied(self.db.as_mut())?
            .last()
            .copied()
            .unwrap_or(0))
    }

    /// Records a scan in one transaction; returns its ID.
    pub fn record(&mut self, scan: &ScanRecord) -> Result<i64> {
        self.record_with(scan, &|_| Vec::new(), &mut |_| true)
    }

    /// Records a scan and the outbox messages made from its ID, in one
    /// transaction: all of it is visible, or none. `progress` is called
    /// with the rows written so far after each batch of rows; returning
    /// false aborts and rolls everything back.
    pub fn record_with(
        &mut self,
        scan: &ScanRecord,
        messages: &dyn Fn(i64) -> Vec<NewMessage>,
        progress: &mut dyn FnMut(usize) -> bool,
    ) -> Result<i64> {
        self.record_with_snapshots(scan, &[], messages, progress)
    }

    /// [`Store::record_with`], keeping in the same transaction each
    /// account's snapshot as its latest (the baseline `watch --queue`
    /// patches): an event handled meanwhile never sees the new scan with
    /// the old snapshot.
    pub fn record_with_snapshots(
        &mut self,
        scan: &ScanRecord,
        snapshots: &[&mfaguard_core::Snapshot],
        messages: &dyn Fn(i64) -> Vec<NewMessage>,
        progress: &mut dyn FnMut(usize) -> bool,
    ) -> Result<i64> {
        transaction(self.db.as_mut(), |db| {
            insert_scan(db, scan, progress).and_then(|id| {
                for snapshot in snapshots {
                    crate::events::save_snapshot(db, Some(id), snapshot)?;
                }
                let now = time::format(Utc::now());
                for message in messages(id) {
                    db.execute(
                        "INSERT INTO outbox (created_at, scan_id, target, format, payload, attempts) VALUES (?, ?, ?, ?, ?, 0)",
                        &[
                            now.clone().into(),
                            id.into(),
                            message.target.into(),
                            message.format.into(),
                            message.payload.to_string().into(),
                        ],
                    )?;
                }
                Ok(id)
            })
        })
    }

    /// Scans in time order (oldest first).
    pub fn scans(&mut self, filter: &ScanFilter) -> Result<Vec<ScanSummary>> {
        let mut sql = String::from(SCAN_COLUMNS);
        let mut params = Vec::new();
        let mut clauses = Vec::new();
        if let Some(account) = &filter.account {
            clauses.push(
                "id IN (SELECT scan_id FROM scan_accounts WHERE account_id = ? AND status = 'scanned')",
            );
            params.push(Value::from(account));
        }
        if let Some(since) = filter.since {
            clauses.push("scanned_at >= ?");
            params.push(time::format(since).into());
        }
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        // The last `limit` scans: the newest read first, then put in time
        // order, so that a long history is not read for a few scans.
        match filter.limit {
            Some(limit) => {
                sql.push_str(" ORDER BY scanned_at DESC, id DESC LIMIT ?");
                params.push(Value::from(i64::try_from(limit).unwrap_or(i64::MAX)));
            }
            None => sql.push_str(" ORDER BY scanned_at, id"),
        }
        let mut scans = self
            .db
            .query(&sql, &params)?
            .iter()
            .map(scan_summary)
            .collect::<Result<Vec<_>>>()?;
        if filter.limit.is_some() {
            scans.reverse();
        }
        if let Some(account) = &filter.account {
            // Figures for that account only.
            let rows = self.account_rows(Some(account))?;
            for scan in &mut scans {
                if let Some(row) = rows.iter().find(|row| row.scan_id == scan.id) {
                    scan.posture = row.record.posture;
                    scan.counts = row.record.counts;
                    scan.cis_v3 = cis_percent(&row.record.cis_v3);
                    scan.cis_v5 = cis_percent(&row.record.cis_v5);
                }
            }
        }
        Ok(scans)
    }

    pub fn scan(&mut self, id: i64) -> Result<ScanSummary> {
        let sql = format!("{SCAN_COLUMNS} WHERE id = ?");
        let rows = self.db.query(&sql, &[id.into()])?;
        rows.first()
            .map(scan_summary)
            .unwrap_or(Err(StoreError::NoSuchScan(id)))
    }

    /// The report JSON exactly as the scan produced it (a delta record's
    /// rebuilt from its chain, see [`crate::delta`]).
    pub fn report_json(&mut self, id: i64) -> Result<String> {
        match self.delta_of(id)? {
            None => self.stored_report(id),
            Some(delta) => Ok(self.delta_report(id, &delta, 0)?.join()),
        }
    }

    fn stored_report(&mut self, id: i64) -> Result<String> {
        let rows = self
            .db
            .query("SELECT report_json FROM scans WHERE id = ?", &[id.into()])?;
        rows.first()
            .map(|row| row.text(0))
            .unwrap_or(Err(StoreError::NoSuchScan(id)))
    }

    fn delta_report(&mut self, id: i64, delta: &Delta, depth: u32) -> Result<ReportText> {
        check_depth(id, depth)?;
        let base = match self.delta_of(delta.base_scan_id)? {
            Some(inner) => self.delta_report(delta.base_scan_id, &inner, depth + 1)?,
            None => ReportText::parse(&self.stored_report(delta.base_scan_id)?)?,
        };
        let stored = self.stored_report(id)?;
        crate::delta::rebuild_report(&stored, &delta.runs, &base)
    }

    /// Whether scan `id` is recorded as a delta, and of what.
    pub(crate) fn delta_of(&mut self, id: i64) -> Result<Option<Delta>> {
        let rows = self.db.query(
            "SELECT base_scan_id, delta_runs, accounts FROM scans WHERE id = ?",
            &[id.into()],
        )?;
        let row = rows.first().ok_or(StoreError::NoSuchScan(id))?;
        delta_from(row, 0)
    }

    /// The full list of a delta record, rebuilt along its chain; None for a
    /// full record.
    fn rebuilt<T: Listed>(&mut self, id: i64, depth: u32) -> Result<Option<Vec<T>>> {
        let Some(delta) = self.delta_of(id)? else {
            return Ok(None);
        };
        check_depth(id, depth)?;
        let base = match self.rebuilt::<T>(delta.base_scan_id, depth + 1)? {
            Some(list) => list,
            None => T::read_ordered(self, delta.base_scan_id, Some(&delta.account_id))?,
        };
        let own = T::read_ordered(self, id, None)?;
        crate::delta::rebuild(&base, T::runs(&delta.runs), own).map(Some)
    }

    /// Every delta record's full list (of `account`, or all), with its scan
    /// ID, each rebuilt once from its base's.
    fn rebuilt_all<T: Listed>(&mut self, account: Option<&str>) -> Result<Vec<(i64, Rc<Vec<T>>)>> {
        let mut sql = String::from(
            "SELECT id, base_scan_id, delta_runs, accounts FROM scans WHERE base_scan_id IS NOT NULL",
        );
        let mut params = Vec::new();
        if let Some(account) = account {
            sql.push_str(" AND accounts = ?");
            params.push(Value::from(account));
        }
        sql.push_str(" ORDER BY id");
        let deltas = self
            .db
            .query(&sql, &params)?
            .iter()
            .map(|row| Ok((row.int(0)?, delta_from(row, 1)?)))
            .collect::<Result<Vec<(i64, Option<Delta>)>>>()?;
        // A rebuilt list is kept only while a later delta still builds on it.
        let mut uses: HashMap<i64, usize> = HashMap::new();
        for delta in deltas.iter().filter_map(|(_, delta)| delta.as_ref()) {
            *uses.entry(delta.base_scan_id).or_default() += 1;
        }
        let mut built: HashMap<i64, Rc<Vec<T>>> = HashMap::new();
        let mut out = Vec::with_capacity(deltas.len());
        for (id, delta) in deltas {
            let Some(delta) = delta else {
                continue;
            };
            let base = match built.get(&delta.base_scan_id) {
                Some(list) => list.clone(),
                None => Rc::new(match self.rebuilt::<T>(delta.base_scan_id, 1)? {
                    Some(list) => list,
                    None => T::read_ordered(self, delta.base_scan_id, Some(&delta.account_id))?,
                }),
            };
            let own = T::read_ordered(self, id, None)?;
            let list = Rc::new(crate::delta::rebuild(&base, T::runs(&delta.runs), own)?);
            if let Some(left) = uses.get_mut(&delta.base_scan_id) {
                *left -= 1;
                if *left == 0 {
                    built.remove(&delta.base_scan_id);
                }
            }
            if uses.get(&id).is_some_and(|&left| left > 0) {
                built.insert(id, list.clone());
            }
            out.push((id, list));
        }
        Ok(out)
    }

    /// Per-account rows of every scan, in time order.
    pub fn account_rows(&mut self, account: Option<&str>) -> Result<Vec<StoredAccount>> {
        let mut sql = format!("SELECT {ACCOUNT_COLUMNS} FROM scan_accounts");
        let mut params = Vec::new();
        if let Some(account) = account {
            sql.push_str(" WHERE account_id = ?");
            params.push(Value::from(account));
        }
        sql.push_str(" ORDER BY scanned_at, scan_id, account_id");
        self.db
            .query(&sql, &params)?
            .iter()
            .map(stored_account)
            .collect()
    }

    /// Results of a scan (of one account, or all).
    pub fn results(&mut self, scan_id: i64, account: Option<&str>) -> Result<Vec<ResultRecord>> {
        self.results_with_status(scan_id, account, &[])
    }

    /// Results of a scan (of one account, or all) whose status is one of
    /// `statuses` (all when empty).
    pub fn results_with_status(
        &mut self,
        scan_id: i64,
        account: Option<&str>,
        statuses: &[&str],
    ) -> Result<Vec<ResultRecord>> {
        if let Some(mut rows) = self.rebuilt::<ResultRecord>(scan_id, 0)? {
            rows.retain(|row| {
                account.is_none_or(|account| row.account_id == account)
                    && (statuses.is_empty() || statuses.contains(&row.status.as_str()))
            });
            return Ok(rows);
        }
        self.stored_results(scan_id, account, statuses, false)
    }

    /// The result rows stored for a scan; `ordered`: in their scan's order,
    /// which a delta record's runs refer to.
    fn stored_results(
        &mut self,
        scan_id: i64,
        account: Option<&str>,
        statuses: &[&str],
        ordered: bool,
    ) -> Result<Vec<ResultRecord>> {
        let mut sql = String::from(
            "SELECT account_id, check_id, status, severity, resource_arn, resource_name, message,
                    exception_owner, exception_expires, seq
             FROM scan_results WHERE scan_id = ?",
        );
        let mut params = vec![Value::from(scan_id)];
        if let Some(account) = account {
            sql.push_str(" AND account_id = ?");
            params.push(account.into());
        }
        if !statuses.is_empty() {
            sql.push_str(&format!(
                " AND status IN ({})",
                vec!["?"; statuses.len()].join(", ")
            ));
            params.extend(statuses.iter().map(|status| Value::from(*status)));
        }
        // In the scan's order (PostgreSQL returns rows in any order
        // otherwise); rows recorded before schema version 7 have none.
        sql.push_str(" ORDER BY seq");
        let rows = self.db.query(&sql, &params)?;
        if ordered {
            unordered_rows(&rows, 9, scan_id)?;
        }
        rows.iter().map(|row| result_record(row, 0, true)).collect()
    }

    /// Identities of a scan (of one account, or all).
    pub fn identities(
        &mut self,
        scan_id: i64,
        account: Option<&str>,
    ) -> Result<Vec<IdentityRecord>> {
        if let Some(mut rows) = self.rebuilt::<IdentityRecord>(scan_id, 0)? {
            rows.retain(|row| account.is_none_or(|account| row.account_id == account));
            return Ok(rows);
        }
        self.stored_identities(scan_id, account, false)
    }

    fn stored_identities(
        &mut self,
        scan_id: i64,
        account: Option<&str>,
        ordered: bool,
    ) -> Result<Vec<IdentityRecord>> {
        let mut sql = String::from(
            "SELECT account_id, arn, name, kind, tier, console_access, mfa_active, breakglass, privileged,
                    created, password_last_changed, mfa_devices, access_keys, groups_json, policies,
                    enforcement, allowed_without_mfa, seq
             FROM scan_identities WHERE scan_id = ?",
        );
        let mut params = vec![Value::from(scan_id)];
        if let Some(account) = account {
            sql.push_str(" AND account_id = ?");
            params.push(account.into());
        }
        sql.push_str(" ORDER BY seq");
        let rows = self.db.query(&sql, &params)?;
        if ordered {
            unordered_rows(&rows, 17, scan_id)?;
        }
        rows.iter().map(identity_record).collect()
    }

    /// The exceptions of the configuration a scan ran with.
    pub fn exceptions(&mut self, scan_id: i64) -> Result<Vec<ExceptionRecord>> {
        self.db
            .query(
                "SELECT check_id, resource, owner, reason, expires, reviewed, config_line
                 FROM scan_exceptions WHERE scan_id = ? ORDER BY config_line",
                &[scan_id.into()],
            )?
            .iter()
            .map(|row| {
                Ok(ExceptionRecord {
                    check_id: row.text(0)?,
                    resource: row.text(1)?,
                    owner: row.text(2)?,
                    reason: row.text(3)?,
                    expires: time::parse_date(&row.text(4)?)?,
                    reviewed: row
                        .opt_text(5)?
                        .map(|text| time::parse_date(&text))
                        .transpose()?,
                    config_line: row.count(6)?,
                })
            })
            .collect()
    }

    /// `(scan_id, result)` for every result of every scan (messages left
    /// out), for the finding timelines of the KPIs.
    pub(crate) fn finding_rows(
        &mut self,
        account: Option<&str>,
    ) -> Result<Vec<(i64, ResultRecord)>> {
        let mut sql = String::from(
            "SELECT scan_id, account_id, check_id, status, severity, resource_arn, resource_name
             FROM scan_results",
        );
        let mut params = Vec::new();
        if let Some(account) = account {
            sql.push_str(" WHERE account_id = ?");
            params.push(Value::from(account));
        }
        let deltas = self.rebuilt_all::<ResultRecord>(account)?;
        let mut rows = self
            .db
            .query(&sql, &params)?
            .iter()
            .map(|row| Ok((row.int(0)?, result_record(row, 1, false)?)))
            .collect::<Result<Vec<_>>>()?;
        if deltas.is_empty() {
            return Ok(rows);
        }
        // A delta record's stored rows are only its own: its full list
        // replaces them.
        let ids: HashSet<i64> = deltas.iter().map(|(id, _)| *id).collect();
        rows.retain(|(id, _)| !ids.contains(id));
        for (id, list) in deltas {
            rows.extend(list.iter().map(|result| {
                let mut result = result.clone();
                result.message = String::new();
                (id, result)
            }));
        }
        Ok(rows)
    }

    /// `(scan_id, account_id, arn)` of every identity of every scan.
    pub(crate) fn identity_keys(
        &mut self,
        account: Option<&str>,
    ) -> Result<Vec<(i64, String, String)>> {
        let mut sql = String::from("SELECT scan_id, account_id, arn FROM scan_identities");
        let mut params = Vec::new();
        if let Some(account) = account {
            sql.push_str(" WHERE account_id = ?");
            params.push(Value::from(account));
        }
        let deltas = self.rebuilt_all::<IdentityRecord>(account)?;
        let mut rows = self
            .db
            .query(&sql, &params)?
            .iter()
            .map(|row| Ok((row.int(0)?, row.text(1)?, row.text(2)?)))
            .collect::<Result<Vec<_>>>()?;
        if deltas.is_empty() {
            return Ok(rows);
        }
        let ids: HashSet<i64> = deltas.iter().map(|(id, _)| *id).collect();
        rows.retain(|(id, _, _)| !ids.contains(id));
        for (id, list) in deltas {
            rows.extend(
                list.iter()
                    .map(|identity| (id, identity.account_id.clone(), identity.arn.clone())),
            );
        }
        Ok(rows)
    }

    /// The latest scan that covered each account (by scan time, then ID).
    pub fn latest_scan_per_account(
        &mut self,
        account: Option<&str>,
    ) -> Result<BTreeMap<String, i64>> {
        Ok(self
            .latest_account_rows(account, true)?
            .into_iter()
            .map(|row| (row.record.account_id, row.scan_id))
            .collect())
    }

    /// Each account's latest row (by scan time, then scan ID), in account
    /// order: of any status, or only of scans that read the account. One
    /// query, whatever the length of the history.
    pub fn latest_account_rows(
        &mut self,
        account: Option<&str>,
        scanned_only: bool,
    ) -> Result<Vec<StoredAccount>> {
        // Per account, one seek backwards along (account_id, scanned_at,
        // scan_id): a window over the whole history costs far more.
        let mut params = Vec::new();
        let only_account = match account {
            Some(account) => {
                params.push(Value::from(account));
                " WHERE account_id = ?"
            }
            None => "",
        };
        let only_scanned = if scanned_only {
            " AND latest.status = 'scanned'"
        } else {
            ""
        };
        let columns = ACCOUNT_COLUMNS
            .split(',')
            .map(|column| format!("picked.{}", column.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}
             FROM (SELECT DISTINCT account_id FROM scan_accounts{only_account}) AS accounts
             JOIN scan_accounts AS picked
               ON picked.account_id = accounts.account_id
              AND picked.scan_id = (
                  SELECT latest.scan_id FROM scan_accounts AS latest
                  WHERE latest.account_id = accounts.account_id{only_scanned}
                  ORDER BY latest.scanned_at DESC, latest.scan_id DESC
                  LIMIT 1)
             ORDER BY picked.account_id"
        );
        self.db
            .query(&sql, &params)?
            .iter()
            .map(stored_account)
            .collect()
    }

    /// How many scans are recorded.
    pub fn scan_count(&mut self) -> Result<usize> {
        let rows = self.db.query("SELECT COUNT(*) FROM scans", &[])?;
        Ok(rows
            .first()
            .map(|row| row.count(0))
            .transpose()?
            .unwrap_or(0))
    }

    /// The latest scan that covered `account` (by scan time, then ID): what
    /// [`Store::latest_scan_per_account`] gives for it, read with one row.
    pub fn latest_scan_of(&mut self, account: &str) -> Result<Option<i64>> {
        self.db
            .query(
                "SELECT scan_id FROM scan_accounts WHERE account_id = ? AND status = 'scanned'
                 ORDER BY scanned_at DESC, scan_id DESC LIMIT 1",
                &[account.into()],
            )?
            .first()
            .map(|row| row.int(0))
            .transpose()
    }

    /// Rows per table, for diagnostics and tests.
    pub fn table_counts(&mut self) -> Result<BTreeMap<String, usize>> {
        let mut counts = BTreeMap::new();
        for table in [
            "scans",
            "scan_accounts",
            "scan_results",
            "scan_identities",
            "scan_exceptions",
            "outbox",
            "account_snapshots",
            "processed_events",
            "trail_files",
            "trail_kpis",
            "trail_alerts",
        ] {
            let rows = self
                .db
                .query(&format!("SELECT COUNT(*) FROM {table}"), &[])?;
            let count = rows
                .first()
                .map(|row| row.count(0))
                .transpose()?
                .unwrap_or(0);
            counts.insert(table.to_string(), count);
        }
        Ok(counts)
    }

    /// The last two scans (overall, or that covered `account`).
    pub fn last_two_scans(&mut self, account: Option<&str>) -> Result<Option<(i64, i64)>> {
        let scans = self.scans(&ScanFilter {
            account: account.map(str::to_string),
            since: None,
            limit: Some(2),
        })?;
        Ok(match scans.as_slice() {
            [a, b] => Some((a.id, b.id)),
            _ => None,
        })
    }
}

/// The columns `stored_account` reads, in its order.
const ACCOUNT_COLUMNS: &str =
    "scan_id, scanned_at, account_id, status, error, source, location, collected_at,
     credential_report_generated_at, posture, passed_weight, failed_weight, cis_v3, cis_v5,
     fail_count, excepted_count, unknown_count, pass_count, not_applicable_count, coverage,
     unknown_weight";

const SCAN_COLUMNS: &str = "SELECT id, scanned_at, recorded_at, tool_version, accounts, shard, partial, posture, cis_v3, cis_v5,
        fail_count, excepted_count, unknown_count, pass_count, not_applicable_count FROM scans";

fn scan_summary(row: &Row) -> Result<ScanSummary> {
    Ok(ScanSummary {
        id: row.int(0)?,
        scanned_at: time::parse(&row.text(1)?)?,
        recorded_at: time::parse(&row.text(2)?)?,
        tool_version: row.text(3)?,
        accounts: row
            .text(4)?
            .split(',')
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect(),
        shard: row.opt_text(5)?,
        partial: row.bool(6)?,
        posture: row.opt_float(7)?,
        cis_v3: row.opt_float(8)?,
        cis_v5: row.opt_float(9)?,
        counts: Counts {
            fail: row.count(10)?,
            excepted: row.count(11)?,
            unknown: row.count(12)?,
            pass: row.count(13)?,
            not_applicable: row.count(14)?,
        },
    })
}

/// Percent of passing CIS recommendations in a recommendation map.
pub(crate) fn cis_percent(recommendations: &BTreeMap<String, String>) -> Option<f64> {
    // As in the report: an undecided recommendation is not compliance.
    let passed = recommendations.values().filter(|s| *s == "pass").count();
    let judged = recommendations
        .values()
        .filter(|s| matches!(s.as_str(), "pass" | "fail" | "unknown"))
        .count();
    (judged > 0).then(|| time::round1(100.0 * passed as f64 / judged as f64))
}

fn json_of<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt(format!("{what}: {err}")))
}

fn stored_account(row: &Row) -> Result<StoredAccount> {
    let opt_time = |index: usize| -> Result<Option<DateTime<Utc>>> {
        row.opt_text(index)?
            .map(|text| time::parse(&text))
            .transpose()
    };
    Ok(StoredAccount {
        scan_id: row.int(0)?,
        scanned_at: time::parse(&row.text(1)?)?,
        record: AccountRecord {
            account_id: row.text(2)?,
            status: row.text(3)?,
            error: row.opt_text(4)?,
            source: row.opt_text(5)?,
            location: row.opt_text(6)?,
            collected_at: opt_time(7)?,
            credential_report_generated_at: opt_time(8)?,
            posture: row.opt_float(9)?,
            passed_weight: u64::try_from(row.int(10)?).unwrap_or(0),
            failed_weight: u64::try_from(row.int(11)?).unwrap_or(0),
            unknown_weight: row
                .opt_int(20)?
                .and_then(|weight| u64::try_from(weight).ok())
                .unwrap_or(0),
            cis_v3: json_of(&row.text(12)?, "cis_v3")?,
            cis_v5: json_of(&row.text(13)?, "cis_v5")?,
            counts: Counts {
                fail: row.count(14)?,
                excepted: row.count(15)?,
                unknown: row.count(16)?,
                pass: row.count(17)?,
                not_applicable: row.count(18)?,
            },
            coverage: json_of::<ConsoleCoverage>(&row.text(19)?, "coverage")?,
        },
    })
}

/// A result from columns starting at `at`: account, check, status,
/// severity, ARN, name, then (with `full`) message and exception.
fn result_record(row: &Row, at: usize, full: bool) -> Result<ResultRecord> {
    Ok(ResultRecord {
        account_id: row.text(at)?,
        check_id: row.text(at + 1)?,
        status: row.text(at + 2)?,
        severity: row.text(at + 3)?,
        resource_arn: row.text(at + 4)?,
        resource_name: row.text(at + 5)?,
        message: if full {
            row.text(at + 6)?
        } else {
            String::new()
        },
        exception_owner: if full { row.opt_text(at + 7)? } else { None },
        exception_expires: if full { row.opt_text(at + 8)? } else { None },
    })
}

fn identity_record(row: &Row) -> Result<IdentityRecord> {
    Ok(IdentityRecord {
        account_id: row.text(0)?,
        arn: row.text(1)?,
        name: row.text(2)?,
        kind: row.text(3)?,
        tier: row.text(4)?,
        console_access: row.opt_bool(5)?,
        mfa_active: row.opt_bool(6)?,
        breakglass: row.bool(7)?,
        privileged: row.opt_bool(8)?,
        created: row.opt_text(9)?.map(|t| time::parse(&t)).transpose()?,
        password_last_changed: row.opt_text(10)?,
        mfa_devices: json_of::<Vec<DeviceRecord>>(&row.text(11)?, "mfa_devices")?,
        access_keys: json_of::<Vec<KeyRecord>>(&row.text(12)?, "access_keys")?,
        groups: json_of(&row.text(13)?, "groups")?,
        policies: json_of(&row.text(14)?, "policies")?,
        enforcement: row.opt_text(15)?,
        allowed_without_mfa: row
            .opt_int(16)?
            .map(|count| u64::try_from(count).unwrap_or_default()),
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

/// How a scan's rows are written: all of them, or (a delta of an earlier
/// scan, see [`crate::delta`]) only its own.
pub(crate) enum Shape<'a> {
    Full {
        report_json: &'a str,
    },
    Delta {
        base_scan_id: i64,
        runs: String,
        report_json: &'a str,
        own_results: &'a [usize],
        own_identities: &'a [usize],
    },
}

pub(crate) fn insert_scan(
    db: &mut dyn Db,
    scan: &ScanRecord,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Result<i64> {
    let shape = Shape::Full {
        report_json: &scan.report_json,
    };
    insert_scan_shaped(db, scan, &shape, progress)
}

pub(crate) fn insert_scan_shaped(
    db: &mut dyn Db,
    scan: &ScanRecord,
    shape: &Shape<'_>,
    progress: &mut dyn FnMut(usize) -> bool,
) -> Result<i64> {
    let scanned_at = time::format(scan.scanned_at);
    let (report_json, base_scan_id, runs) = match shape {
        Shape::Full { report_json } => (*report_json, Value::Null, Value::Null),
        Shape::Delta {
            base_scan_id,
            runs,
            report_json,
            ..
        } => (
            *report_json,
            Value::from(*base_scan_id),
            Value::from(runs.as_str()),
        ),
    };
    // The rows written: all, or a delta's own entries (`seq` keeps their
    // order, which rebuilding the full lists relies on).
    let (own_results, own_identities): (Vec<usize>, Vec<usize>) = match shape {
        Shape::Full { .. } => (
            (0..scan.results.len()).collect(),
            (0..scan.identities.len()).collect(),
        ),
        Shape::Delta {
            own_results,
            own_identities,
            ..
        } => (own_results.to_vec(), own_identities.to_vec()),
    };
    let rows = db.query(
        "INSERT INTO scans (scanned_at, recorded_at, tool_version, report_schema_version, accounts, shard,
                            partial, posture, cis_v3, cis_v5, fail_count, excepted_count, unknown_count,
                            pass_count, not_applicable_count, report_json, base_scan_id, delta_runs)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            scanned_at.clone().into(),
            time::format(Utc::now()).into(),
            scan.tool_version.clone().into(),
            i64::from(scan.report_schema_version).into(),
            scan.account_ids().join(",").into(),
            scan.shard.clone().into(),
            scan.partial.into(),
            scan.posture.into(),
            scan.cis_v3.into(),
            scan.cis_v5.into(),
            scan.counts.fail.into(),
            scan.counts.excepted.into(),
            scan.counts.unknown.into(),
            scan.counts.pass.into(),
            scan.counts.not_applicable.into(),
            report_json.into(),
            base_scan_id,
            runs,
        ],
    )?;
    let id = rows
        .first()
        .map(|row| row.int(0))
        .unwrap_or_else(|| Err(StoreError::Corrupt("INSERT returned no id".into())))?;

    let mut written = 0usize;
    let mut step = |table_rows: usize| {
        // Rows of earlier tables count too.
        progress(written + table_rows)
    };
    let accounts: Vec<Vec<Value>> = scan
        .accounts
        .iter()
        .map(|a| {
            vec![
                id.into(),
                a.account_id.clone().into(),
                scanned_at.clone().into(),
                a.status.clone().into(),
                a.error.clone().into(),
                a.source.clone().into(),
                a.location.clone().into(),
                a.collected_at.map(time::format).into(),
                a.credential_report_generated_at.map(time::format).into(),
                a.posture.into(),
                i64::try_from(a.passed_weight).unwrap_or(i64::MAX).into(),
                i64::try_from(a.failed_weight).unwrap_or(i64::MAX).into(),
                to_json(&a.cis_v3).into(),
                to_json(&a.cis_v5).into(),
                a.counts.fail.into(),
                a.counts.excepted.into(),
                a.counts.unknown.into(),
                a.counts.pass.into(),
                a.counts.not_applicable.into(),
                to_json(&a.coverage).into(),
                i64::try_from(a.unknown_weight).unwrap_or(i64::MAX).into(),
            ]
        })
        .collect();
    let n = accounts.len();
    insert_rows(
        db,
        "scan_accounts",
        &[
            "scan_id",
            "account_id",
            "scanned_at",
            "status",
            "error",
            "source",
            "location",
            "collected_at",
            "credential_report_generated_at",
            "posture",
            "passed_weight",
            "failed_weight",
            "cis_v3",
            "cis_v5",
            "fail_count",
            "excepted_count",
            "unknown_count",
            "pass_count",
            "not_applicable_count",
            "coverage",
            "unknown_weight",
        ],
        accounts,
        &mut step,
    )?;
    written += n;

    let results: Vec<Vec<Value>> = own_results
        .iter()
        .enumerate()
        .filter_map(|(seq, &at)| scan.results.get(at).map(|r| (seq, r)))
        .map(|(seq, r)| {
            vec![
                id.into(),
                seq.into(),
                r.account_id.clone().into(),
                r.check_id.clone().into(),
                r.status.clone().into(),
                r.severity.clone().into(),
                r.resource_arn.clone().into(),
                r.resource_name.clone().into(),
                r.message.clone().into(),
                r.exception_owner.clone().into(),
                r.exception_expires.clone().into(),
            ]
        })
        .collect();
    let n = results.len();
    let mut step = |table_rows: usize| progress(written + table_rows);
    insert_rows(
        db,
        "scan_results",
        &[
            "scan_id",
            "seq",
            "account_id",
            "check_id",
            "status",
            "severity",
            "resource_arn",
            "resource_name",
            "message",
            "exception_owner",
            "exception_expires",
        ],
        results,
        &mut step,
    )?;
    written += n;

    let identities: Vec<Vec<Value>> = own_identities
        .iter()
        .enumerate()
        .filter_map(|(seq, &at)| scan.identities.get(at).map(|i| (seq, i)))
        .map(|(seq, i)| {
            vec![
                id.into(),
                seq.into(),
                i.account_id.clone().into(),
                i.arn.clone().into(),
                i.name.clone().into(),
                i.kind.clone().into(),
                i.tier.clone().into(),
                i.console_access.into(),
                i.mfa_active.into(),
                i.breakglass.into(),
                i.privileged.into(),
                i.created.map(time::format).into(),
                i.password_last_changed.clone().into(),
                to_json(&i.mfa_devices).into(),
                to_json(&i.access_keys).into(),
                to_json(&i.groups).into(),
                to_json(&i.policies).into(),
                i.enforcement.clone().into(),
                i.allowed_without_mfa
                    .map(|count| i64::try_from(count).unwrap_or(i64::MAX))
                    .into(),
            ]
        })
        .collect();
    let n = identities.len();
    let mut step = |table_rows: usize| progress(written + table_rows);
    insert_rows(
        db,
        "scan_identities",
        &[
            "scan_id",
            "seq",
            "account_id",
            "arn",
            "name",
            "kind",
            "tier",
            "console_access",
            "mfa_active",
            "breakglass",
            "privileged",
            "created",
            "password_last_changed",
            "mfa_devices",
            "access_keys",
            "groups_json",
            "policies",
            "enforcement",
            "allowed_without_mfa",
        ],
        identities,
        &mut step,
    )?;
    written += n;

    let exceptions: Vec<Vec<Value>> = scan
        .exceptions
        .iter()
        .map(|e| {
            vec![
                id.into(),
                e.check_id.clone().into(),
                e.resource.clone().into(),
                e.owner.clone().into(),
                e.reason.clone().into(),
                e.expires.to_string().into(),
                e.reviewed.map(|d| d.to_string()).into(),
                e.config_line.into(),
            ]
        })
        .collect();
    let mut step = |table_rows: usize| progress(written + table_rows);
    insert_rows(
        db,
        "scan_exceptions",
        &[
            "scan_id",
            "check_id",
            "resource",
            "owner",
            "reason",
            "expires",
            "reviewed",
            "config_line",
        ],
        exceptions,
        &mut step,
    )?;
    Ok(id)
}

/// A scan recorded as a delta: its base and its runs.
pub(crate) struct Delta {
    pub base_scan_id: i64,
    pub runs: ScanRuns,
    /// Its one account.
    pub account_id: String,
}

/// The delta a scan row describes from column `at` on (`base_scan_id`,
/// `delta_runs`, `accounts`); None for a full record.
fn delta_from(row: &Row, at: usize) -> Result<Option<Delta>> {
    let Some(base_scan_id) = row.opt_int(at)? else {
        return Ok(None);
    };
    Ok(Some(Delta {
        base_scan_id,
        runs: ScanRuns::parse(&row.opt_text(at + 1)?.unwrap_or_default())?,
        account_id: row.text(at + 2)?,
    }))
}

/// Deeper chains than the writer makes are a damaged store (or a cycle).
fn check_depth(id: i64, depth: u32) -> Result<()> {
    if depth > 4 * crate::delta::MAX_DEPTH {
        return Err(StoreError::Corrupt(format!(
            "scan {id}: its chain of delta records is longer than {}",
            4 * crate::delta::MAX_DEPTH
        )));
    }
    Ok(())
}

/// Rows read in their scan's order must all have one (rows recorded before
/// schema version 7 have none, and are never a delta's base).
fn unordered_rows(rows: &[Row], seq_column: usize, scan_id: i64) -> Result<()> {
    for row in rows {
        if row.opt_int(seq_column)?.is_none() {
            return Err(StoreError::Corrupt(format!(
                "scan {scan_id} is the base of a delta record but its rows have no order"
            )));
        }
    }
    Ok(())
}

/// The two lists a delta record rebuilds.
trait Listed: Clone {
    fn read_ordered(store: &mut Store, scan_id: i64, account: Option<&str>) -> Result<Vec<Self>>;
    fn runs(runs: &ScanRuns) -> &[Run];
}

impl Listed for ResultRecord {
    fn read_ordered(store: &mut Store, scan_id: i64, account: Option<&str>) -> Result<Vec<Self>> {
        store.stored_results(scan_id, account, &[], true)
    }
    fn runs(runs: &ScanRuns) -> &[Run] {
        &runs.results
    }
}

impl Listed for IdentityRecord {
    fn read_ordered(store: &mut Store, scan_id: i64, account: Option<&str>) -> Result<Vec<Self>> {
        store.stored_identities(scan_id, account, true)
    }
    fn runs(runs: &ScanRuns) -> &[Run] {
        &runs.identities
    }
}
