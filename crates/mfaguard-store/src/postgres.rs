//! The PostgreSQL backend (shared history for several scanners).

use std::collections::HashMap;
use std::error::Error;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};

use crate::db::{Db, Dialect, Row, Value};
use crate::error::{Result, StoreError};

/// Key of the advisory lock that serialises migrations ("mfaguard" in hex).
const MIGRATION_LOCK: i64 = 0x6d66_6167_7561_7264;

pub(crate) struct PostgresDb {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PostgresDb {
    pub fn connect(url: &str, shown: &str) -> Result<PostgresDb> {
        let client = Client::connect(url, NoTls).map_err(|err| StoreError::Open {
            location: shown.to_string(),
            message: err.to_string(),
        })?;
        Ok(PostgresDb {
            client,
            statements: HashMap::new(),
        })
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&number_placeholders(sql))?;
        // Multi-row inserts make a few shapes; keep the cache bounded.
        if self.statements.len() > 256 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// `?` placeholders become `$1`, `$2`, ... (the store's SQL has no `?` in
/// string literals).
fn number_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(value) => match *ty {
                Type::INT4 => i32::try_from(*value)?.to_sql_checked(ty, out),
                Type::INT2 => i16::try_from(*value)?.to_sql_checked(ty, out),
                Type::FLOAT8 => (*value as f64).to_sql_checked(ty, out),
                _ => value.to_sql_checked(ty, out),
            },
            Value::Float(value) => value.to_sql_checked(ty, out),
            Value::Text(value) => value.to_sql_checked(ty, out),
            Value::Bool(value) => value.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Each variant checks the actual type in `to_sql`.
        true
    }

    to_sql_checked!();
}

fn params_of(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|value| value as &(dyn ToSql + Sync))
        .collect()
}

fn row_of(row: &postgres::Row) -> Result<Row> {
    let mut values = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let value = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(index)?.map(Value::Int),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(index)?
                .map(|v| Value::Int(i64::from(v))),
            Type::INT2 => row
                .try_get::<_, Option<i16>>(index)?
                .map(|v| Value::Int(i64::from(v))),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(index)?.map(Value::Float),
            Type::FLOAT4 => row
                .try_get::<_, Option<f32>>(index)?
                .map(|v| Value::Float(f64::from(v))),
            Type::BOOL => row.try_get::<_, Option<bool>>(index)?.map(Value::Bool),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                row.try_get::<_, Option<String>>(index)?.map(Value::Text)
            }
            ref other => {
                return Err(StoreError::Corrupt(format!(
                    "column {} has unsupported type {other}",
                    column.name()
                )))
            }
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl Db for PostgresDb {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.statements.clear();
        Ok(self.client.batch_execute(sql)?)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let statement = self.statement(sql)?;
        Ok(self.client.execute(&statement, &params_of(params))?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        self.client
            .query(&statement, &params_of(params))?
            .iter()
            .map(row_of)
            .collect()
    }

    fn begin(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("BEGIN")?)
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("COMMIT")?)
    }

    fn rollback(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("ROLLBACK")?)
    }

    fn lock_schema(&mut self) -> Result<()> {
        self.client
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(
            number_placeholders("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
