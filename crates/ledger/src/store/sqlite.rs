//! The embedded backend: one SQLite file in WAL mode, `synchronous=FULL` (a committed transaction survives
//! a power cut, not only a crash), one connection per process behind an async mutex. Statements run on
//! the calling task: they take microseconds, and the commit's fsync is the cost every durable write pays.

use super::{Backend, BoxFuture, Dialect, Row, Transaction, Value};
use crate::error::StoreError;
use rusqlite::types::ValueRef;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How long a writer waits for another process's lock on the file before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite backend: one file, one connection (WAL, `synchronous=FULL`).
#[derive(Debug)]
pub struct Sqlite {
    connection: Arc<Mutex<rusqlite::Connection>>,
    read_only: bool,
}

impl Sqlite {
    /// Opens (creating if missing) the file at `path`; `:memory:` is a private in-memory database.
    pub fn open(path: &str) -> Result<Sqlite, StoreError> {
        if path.is_empty() {
            return Err(StoreError::Url {
                url: "sqlite:".into(),
                message: "no file path after `sqlite:`".into(),
            });
        }
        let connection = rusqlite::Connection::open(path).map_err(|e| StoreError::Open {
            target: format!("sqlite:{path}"),
            message: e.to_string(),
        })?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| {
                connection.execute_batch(
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                )
            })
            .map_err(|e| StoreError::Open {
                target: format!("sqlite:{path}"),
                message: e.to_string(),
            })?;
        Ok(Sqlite {
            connection: Arc::new(Mutex::new(connection)),
            read_only: false,
        })
    }

    /// Opens the existing file at `path` read-only: nothing is created or written (a read-only file or
    /// directory can still be read). A file in a directory this process cannot write (so SQLite cannot
    /// make its shared-memory file) is opened as immutable.
    pub fn open_read_only(path: &str) -> Result<Sqlite, StoreError> {
        use rusqlite::OpenFlags;
        let failed = |e: rusqlite::Error| StoreError::Open {
            target: format!("sqlite:{path}"),
            message: e.to_string(),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let plain = rusqlite::Connection::open_with_flags(path, flags).map_err(failed)?;
        let connection = match plain.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        {
            Ok(()) => plain,
            Err(_) => {
                let uri = format!(
                    "file:{}?immutable=1",
                    path.replace('?', "%3f").replace('#', "%23")
                );
                rusqlite::Connection::open_with_flags(uri, flags).map_err(failed)?
            }
        };
        connection.busy_timeout(BUSY_TIMEOUT).map_err(failed)?;
        Ok(Sqlite {
            connection: Arc::new(Mutex::new(connection)),
            read_only: true,
        })
    }
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn begin(&self) -> BoxFuture<'_, Result<Box<dyn Transaction>, StoreError>> {
        Box::pin(async move {
            let connection = self.connection.clone().lock_owned().await;
            // Read-only: a deferred transaction, which takes no write lock.
            let begin = if self.read_only {
                "BEGIN"
            } else {
                "BEGIN IMMEDIATE"
            };
            connection.execute_batch(begin).map_err(failed)?;
            Ok(Box::new(SqliteTransaction {
                connection,
                open: true,
            }) as Box<dyn Transaction>)
        })
    }
}

struct SqliteTransaction {
    connection: OwnedMutexGuard<rusqlite::Connection>,
    open: bool,
}

impl SqliteTransaction {
    fn prepare<'c>(
        connection: &'c rusqlite::Connection,
        sql: &str,
        params: &[Value],
    ) -> Result<rusqlite::Statement<'c>, StoreError> {
        let mut statement = connection.prepare(sql).map_err(failed)?;
        for (i, value) in params.iter().enumerate() {
            let name = format!("${}", i + 1);
            // `$n` is a named parameter to SQLite: bind it by name, wherever it appears first.
            let Some(index) = statement.parameter_index(&name).map_err(failed)? else {
                continue;
            };
            let bound = match value {
                Value::Null => statement.raw_bind_parameter(index, rusqlite::types::Null),
                Value::Int(v) => statement.raw_bind_parameter(index, v),
                Value::Text(v) => statement.raw_bind_parameter(index, v),
                Value::Bytes(v) => statement.raw_bind_parameter(index, v),
            };
            bound.map_err(failed)?;
        }
        Ok(statement)
    }

    fn run_query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut statement = Self::prepare(&self.connection, sql, params)?;
        let width = statement.column_count();
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(match row.get_ref(i).map_err(failed)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                    ValueRef::Real(r) => {
                        return Err(StoreError::Column {
                            index: i,
                            message: format!("a floating-point value ({r}) where none is stored"),
                        });
                    }
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

impl Transaction for SqliteTransaction {
    fn execute<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let mut statement = Self::prepare(&self.connection, sql, params)?;
            Ok(statement.raw_execute().map_err(failed)? as u64)
        })
    }

    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, StoreError>> {
        Box::pin(async move { self.run_query(sql, params) })
    }

    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.connection.execute_batch(sql).map_err(failed) })
    }

    fn commit(mut self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            self.connection.execute_batch("COMMIT").map_err(failed)?;
            self.open = false;
            Ok(())
        })
    }
}

impl Drop for SqliteTransaction {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the caller already has the error that made it drop the transaction.
            let _ = self.connection.execute_batch("ROLLBACK");
        }
    }
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Statement {
        message: e.to_string(),
    }
}
