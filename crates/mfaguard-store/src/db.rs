//! The one interface both backends implement: a handful of SQL primitives
//! with backend-neutral values. All of the store's logic (migrations,
//! recording, KPIs, diffs, alerts, the outbox) is written once against it.

use crate::error::{Result, StoreError};

/// Which SQL dialect a connection speaks. Only DDL differs between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<usize> for Value {
    fn from(value: usize) -> Value {
        Value::Int(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Value {
        Value::Float(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Bool(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_string())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Value {
        Value::Text(value.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

/// One row of a query's result.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, index: usize) -> Result<&Value> {
        self.0
            .get(index)
            .ok_or_else(|| StoreError::Corrupt(format!("missing column {index}")))
    }

    fn mismatch(&self, index: usize, expected: &str) -> StoreError {
        StoreError::Corrupt(format!(
            "column {index}: expected {expected}, found {:?}",
            self.0.get(index)
        ))
    }

    pub fn opt_int(&self, index: usize) -> Result<Option<i64>> {
        match self.at(index)? {
            Value::Null => Ok(None),
            Value::Int(value) => Ok(Some(*value)),
            _ => Err(self.mismatch(index, "an integer")),
        }
    }

    pub fn int(&self, index: usize) -> Result<i64> {
        self.opt_int(index)?
            .ok_or_else(|| self.mismatch(index, "an integer"))
    }

    pub fn count(&self, index: usize) -> Result<usize> {
        usize::try_from(self.int(index)?).map_err(|_| self.mismatch(index, "a count"))
    }

    pub fn opt_float(&self, index: usize) -> Result<Option<f64>> {
        match self.at(index)? {
            Value::Null => Ok(None),
            Value::Float(value) => Ok(Some(*value)),
            Value::Int(value) => Ok(Some(*value as f64)),
            _ => Err(self.mismatch(index, "a number")),
        }
    }

    pub fn opt_text(&self, index: usize) -> Result<Option<String>> {
        match self.at(index)? {
            Value::Null => Ok(None),
            Value::Text(value) => Ok(Some(value.clone())),
            _ => Err(self.mismatch(index, "text")),
        }
    }

    pub fn text(&self, index: usize) -> Result<String> {
        self.opt_text(index)?
            .ok_or_else(|| self.mismatch(index, "text"))
    }

    pub fn opt_bool(&self, index: usize) -> Result<Option<bool>> {
        match self.at(index)? {
            Value::Null => Ok(None),
            Value::Bool(value) => Ok(Some(*value)),
            // SQLite stores booleans as 0 and 1.
            Value::Int(0) => Ok(Some(false)),
            Value::Int(1) => Ok(Some(true)),
            _ => Err(self.mismatch(index, "a boolean")),
        }
    }

    pub fn bool(&self, index: usize) -> Result<bool> {
        self.opt_bool(index)?
            .ok_or_else(|| self.mismatch(index, "a boolean"))
    }
}

/// SQL primitives. Statements use `?` placeholders; the PostgreSQL backend
/// numbers them. Column types are limited to BIGINT, DOUBLE PRECISION,
/// BOOLEAN and TEXT, which both backends read back as the same [`Value`]s.
pub(crate) trait Db: Send {
    fn dialect(&self) -> Dialect;
    /// Runs statements without parameters (DDL).
    fn batch(&mut self, sql: &str) -> Result<()>;
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Starts a write transaction (SQLite takes the write lock at once).
    fn begin(&mut self) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn rollback(&mut self) -> Result<()>;
    /// Serialises schema migrations between concurrent processes; called
    /// inside the migration transaction.
    fn lock_schema(&mut self) -> Result<()>;
}

/// Runs `work` in a transaction: committed when it returns `Ok`, rolled back
/// otherwise (and by the database itself if the process dies first).
pub(crate) fn transaction<T>(
    db: &mut dyn Db,
    work: impl FnOnce(&mut dyn Db) -> Result<T>,
) -> Result<T> {
    db.begin()?;
    match work(db) {
        Ok(value) => {
            db.commit()?;
            Ok(value)
        }
        Err(err) => {
            // The original error matters more than a failed rollback; a
            // connection in a broken state is dropped with the store.
            let _ = db.rollback();
            Err(err)
        }
    }
}

/// Inserts rows with multi-row `INSERT` statements. `after_chunk` is called
/// with the number of rows written so far; returning false aborts.
pub(crate) fn insert_rows(
    db: &mut dyn Db,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    after_chunk: &mut dyn FnMut(usize) -> bool,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = columns.len().max(1);
    // Well under SQLite's 32766 and PostgreSQL's 65535 parameters.
    let per_statement = (30_000 / width).clamp(1, 500);
    let tuple = format!("({})", vec!["?"; width].join(", "));
    let mut written = 0;
    let mut params = Vec::with_capacity(per_statement * width);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        params.clear();
        let mut count = 0;
        for row in rows.by_ref().take(per_statement) {
            if row.len() != width {
                return Err(StoreError::Invalid(format!(
                    "{table}: row of {} values for {width} columns",
                    row.len()
                )));
            }
            params.extend(row);
            count += 1;
        }
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            vec![tuple.as_str(); count].join(", ")
        );
        db.execute(&sql, &params)?;
        written += count;
        if !after_chunk(written) {
            return Err(StoreError::Aborted(format!(
                "stopped after {written} rows of {table}"
            )));
        }
    }
    Ok(())
}
