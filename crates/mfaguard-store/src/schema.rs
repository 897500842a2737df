//! Versioned migrations, shared by both backends. Each migration runs once,
//! in a transaction, and is recorded in `schema_migrations`.

use chrono::Utc;

use crate::db::{transaction, Db, Dialect};
use crate::error::{Result, StoreError};

/// One step of the schema.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    /// DDL; `{id}` becomes the dialect's auto-increment primary key.
    pub sql: &'static str,
}

/// Every migration, in order. Never edit one that has shipped: add a new one.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "scans, per-account, per-result, per-identity and exception rows",
        sql: r#"
CREATE TABLE scans (
    id {id},
    scanned_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    report_schema_version BIGINT NOT NULL,
    accounts TEXT NOT NULL,
    shard TEXT,
    partial BOOLEAN NOT NULL,
    posture DOUBLE PRECISION,
    cis_v3 DOUBLE PRECISION,
    cis_v5 DOUBLE PRECISION,
    fail_count BIGINT NOT NULL,
    excepted_count BIGINT NOT NULL,
    unknown_count BIGINT NOT NULL,
    pass_count BIGINT NOT NULL,
    not_applicable_count BIGINT NOT NULL,
    report_json TEXT NOT NULL
);
CREATE INDEX scans_scanned_at ON scans (scanned_at, id);

CREATE TABLE scan_accounts (
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    source TEXT,
    location TEXT,
    collected_at TEXT,
    credential_report_generated_at TEXT,
    posture DOUBLE PRECISION,
    passed_weight BIGINT NOT NULL,
    failed_weight BIGINT NOT NULL,
    cis_v3 TEXT NOT NULL,
    cis_v5 TEXT NOT NULL,
    fail_count BIGINT NOT NULL,
    excepted_count BIGINT NOT NULL,
    unknown_count BIGINT NOT NULL,
    pass_count BIGINT NOT NULL,
    not_applicable_count BIGINT NOT NULL,
    coverage TEXT NOT NULL,
    PRIMARY KEY (scan_id, account_id)
);
CREATE INDEX scan_accounts_account ON scan_accounts (account_id, scanned_at, scan_id);

CREATE TABLE scan_results (
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    check_id TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    resource_arn TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    message TEXT NOT NULL,
    exception_owner TEXT,
    exception_expires TEXT
);
CREATE INDEX scan_results_scan ON scan_results (scan_id, account_id);
CREATE INDEX scan_results_resource ON scan_results (account_id, check_id, resource_arn);

CREATE TABLE scan_identities (
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    arn TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    tier TEXT NOT NULL,
    console_access BOOLEAN,
    mfa_active BOOLEAN,
    breakglass BOOLEAN NOT NULL,
    privileged BOOLEAN,
    created TEXT,
    password_last_changed TEXT,
    mfa_devices TEXT NOT NULL,
    access_keys TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    policies TEXT NOT NULL
);
CREATE INDEX scan_identities_scan ON scan_identities (scan_id, account_id);

CREATE TABLE scan_exceptions (
    scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    owner TEXT NOT NULL,
    reason TEXT NOT NULL,
    expires TEXT NOT NULL,
    reviewed TEXT,
    config_line BIGINT NOT NULL
);
CREATE INDEX scan_exceptions_scan ON scan_exceptions (scan_id);
"#,
    },
    Migration {
        version: 2,
        name: "webhook outbox",
        sql: r#"
CREATE TABLE outbox (
    id {id},
    created_at TEXT NOT NULL,
    scan_id BIGINT REFERENCES scans (id) ON DELETE SET NULL,
    target TEXT NOT NULL,
    format TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error TEXT,
    lease_until TEXT,
    delivered_at TEXT
);
CREATE INDEX outbox_pending ON outbox (target, delivered_at, id);
"#,
    },
    Migration {
        version: 3,
        name: "enforcement verdicts",
        sql: r#"
ALTER TABLE scan_identities ADD COLUMN enforcement TEXT;
ALTER TABLE scan_identities ADD COLUMN allowed_without_mfa BIGINT;
"#,
    },
    Migration {
        version: 4,
        name: "weight of unknown results",
        sql: r#"
ALTER TABLE scan_accounts ADD COLUMN unknown_weight BIGINT;
"#,
    },
    Migration {
        version: 5,
        name: "latest snapshot per account and processed events",
        sql: r#"
CREATE TABLE account_snapshots (
    account_id TEXT PRIMARY KEY,
    scan_id BIGINT REFERENCES scans (id) ON DELETE SET NULL,
    collected_at TEXT NOT NULL,
    snapshot_json TEXT NOT NULL
);

CREATE TABLE processed_events (
    event_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    event_time TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    scan_id BIGINT REFERENCES scans (id) ON DELETE SET NULL,
    alerts BIGINT NOT NULL
);
CREATE INDEX processed_events_account ON processed_events (account_id, processed_at);
"#,
    },
    Migration {
        version: 6,
        name: "CloudTrail files read and their KPIs per account and month; trail alerts sent",
        sql: r#"
CREATE TABLE trail_files (
    file_key TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    modified_at TEXT,
    read_at TEXT NOT NULL,
    records BIGINT NOT NULL,
    records_skipped BIGINT NOT NULL,
    complete BOOLEAN NOT NULL
);

CREATE TABLE trail_kpis (
    file_key TEXT NOT NULL REFERENCES trail_files (file_key) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    month TEXT NOT NULL,
    console_sign_ins_with_mfa BIGINT NOT NULL,
    console_sign_ins_without_mfa BIGINT NOT NULL,
    console_sign_ins_mfa_unknown BIGINT NOT NULL,
    denials BIGINT NOT NULL,
    mfa_related_denials BIGINT NOT NULL,
    inferred_mfa_related_denials BIGINT NOT NULL,
    human_calls_with_mfa BIGINT NOT NULL,
    human_calls_without_mfa BIGINT NOT NULL,
    human_calls_mfa_unknown BIGINT NOT NULL,
    human_calls_federated BIGINT NOT NULL,
    workload_calls BIGINT NOT NULL,
    unclassified_calls BIGINT NOT NULL,
    root_uses BIGINT NOT NULL,
    breakglass_uses BIGINT NOT NULL,
    PRIMARY KEY (file_key, account_id, month)
);
CREATE INDEX trail_kpis_account_month ON trail_kpis (account_id, month);

CREATE TABLE trail_alerts (
    event_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    event_time TEXT NOT NULL,
    alerted_at TEXT NOT NULL,
    PRIMARY KEY (event_key, kind)
);
"#,
    },
    Migration {
        version: 7,
        name: "scans recorded as a delta of an earlier one; snapshot patches",
        sql: r#"
ALTER TABLE scans ADD COLUMN base_scan_id BIGINT;
ALTER TABLE scans ADD COLUMN delta_runs TEXT;
ALTER TABLE scan_results ADD COLUMN seq BIGINT;
ALTER TABLE scan_identities ADD COLUMN seq BIGINT;

CREATE TABLE account_snapshot_patches (
    account_id TEXT NOT NULL REFERENCES account_snapshots (account_id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    scan_id BIGINT REFERENCES scans (id) ON DELETE SET NULL,
    patch_json TEXT NOT NULL,
    PRIMARY KEY (account_id, position)
);
"#,
    },
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |migration| migration.version)
}

fn ddl(dialect: Dialect, sql: &str) -> String {
    let id = match dialect {
        Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    sql.replace("{id}", id)
}

/// Versions already applied.
pub(crate) fn applied(db: &mut dyn Db) -> Result<Vec<i64>> {
    db.query(
        "SELECT version FROM schema_migrations ORDER BY version",
        &[],
    )?
    .iter()
    .map(|row| row.int(0))
    .collect()
}

/// Brings the schema up to date. Safe to run from several processes at once:
/// the migration transaction holds the database's (SQLite) or an advisory
/// (PostgreSQL) lock, so each migration is applied exactly once.
pub(crate) fn migrate(db: &mut dyn Db) -> Result<()> {
    // Up to date already: no write (a read-only copy of a store opens).
    if let Ok(rows) = db.query("SELECT MAX(version) FROM schema_migrations", &[]) {
        if let Some(found) = rows.first().and_then(|row| row.opt_int(0).ok().flatten()) {
            if found > latest_version() {
                return Err(StoreError::NewerSchema {
                    found,
                    known: latest_version(),
                });
            }
            if found == latest_version() {
                return Ok(());
            }
        }
    }
    transaction(db, |db| {
        db.lock_schema()?;
        db.batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )",
        )?;
        let done = applied(db)?;
        if let Some(&found) = done.last() {
            if found > latest_version() {
                return Err(StoreError::NewerSchema {
                    found,
                    known: latest_version(),
                });
            }
        }
        for migration in MIGRATIONS {
            if done.contains(&migration.version) {
                continue;
            }
            db.batch(&ddl(db.dialect(), migration.sql))?;
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                &[
                    migration.version.into(),
                    migration.name.into(),
                    crate::time::format(Utc::now()).into(),
                ],
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_by_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1, "{}", migration.name);
        }
    }
}
