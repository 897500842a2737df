//! The SQLite backend (embedded, the default).

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;

use crate::db::{Db, Dialect, Row, Value};
use crate::error::{Result, StoreError};

/// How long a writer waits for another one to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) struct SqliteDb {
    conn: Connection,
}

impl SqliteDb {
    pub fn open(path: &Path) -> Result<SqliteDb> {
        let open_error = |message: String| StoreError::Open {
            location: path.display().to_string(),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|err| open_error(format!("cannot create {}: {err}", parent.display())))?;
        }
        let conn = Connection::open(path).map_err(|err| open_error(err.to_string()))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|err| open_error(err.to_string()))?;
        // Fails here, with the path, when the file is not a database.
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .and_then(|()| conn.query_row("PRAGMA schema_version", [], |_| Ok(())))
            .map_err(|err| open_error(err.to_string()))?;
        Ok(SqliteDb { conn })
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(value) => ToSqlOutput::Borrowed(ValueRef::Integer(*value)),
            Value::Float(value) => ToSqlOutput::Borrowed(ValueRef::Real(*value)),
            Value::Text(value) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
            Value::Bool(value) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*value))),
        })
    }
}

fn value_of(value: ValueRef<'_>) -> Result<Value> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(value) => Value::Int(value),
        ValueRef::Real(value) => Value::Float(value),
        ValueRef::Text(bytes) => Value::Text(
            String::from_utf8(bytes.to_vec())
                .map_err(|_| StoreError::Corrupt("text that is not UTF-8".to_string()))?,
        ),
        ValueRef::Blob(_) => return Err(StoreError::Corrupt("unexpected blob".to_string())),
    })
}

impl Db for SqliteDb {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.conn.execute_batch(sql)?)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let changed = statement.execute(rusqlite::params_from_iter(params.iter()))?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let width = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(width);
            for index in 0..width {
                values.push(value_of(row.get_ref(index)?)?);
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn begin(&mut self) -> Result<()> {
        // IMMEDIATE takes the write lock now, so two writers queue on the
        // busy timeout instead of failing at their first write.
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    fn rollback(&mut self) -> Result<()> {
        Ok(self.conn.execute_batch("ROLLBACK")?)
    }

    fn lock_schema(&mut self) -> Result<()> {
        // BEGIN IMMEDIATE already holds the database's write lock.
        Ok(())
    }
}
