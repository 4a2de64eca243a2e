//! The shared backend: Postgres through `tokio-postgres`, a small pool of connections (opened on demand,
//! at most [`POOL_SIZE`]). Several processes share one database; the statements that must exclude each
//! other say so in SQL (constraints, advisory locks, `FOR UPDATE SKIP LOCKED`).

use super::{Backend, BoxFuture, Dialect, Row, Transaction, Value, redact};
use crate::error::StoreError;
use bytes::BytesMut;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// Connections per process.
pub const POOL_SIZE: usize = 4;

/// The Postgres backend: a pool of [`POOL_SIZE`] connections to one database.
#[derive(Debug)]
pub struct Postgres {
    url: String,
    config: tokio_postgres::Config,
    idle: Arc<Mutex<Vec<tokio_postgres::Client>>>,
    permits: Arc<Semaphore>,
}

impl Postgres {
    /// Parses `url` and opens a first connection (so a bad URL or an unreachable server fails here).
    pub async fn connect(url: &str) -> Result<Postgres, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Url {
            url: redact(url),
            message: format!("{e}"),
        })?;
        let postgres = Postgres {
            url: redact(url),
            config,
            idle: Arc::default(),
            permits: Arc::new(Semaphore::new(POOL_SIZE)),
        };
        let first = postgres.new_client().await?;
        postgres.idle_clients().push(first);
        Ok(postgres)
    }

    async fn new_client(&self) -> Result<tokio_postgres::Client, StoreError> {
        let (client, connection) =
            self.config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| StoreError::Open {
                    target: self.url.clone(),
                    message: e.to_string(),
                })?;
        // The connection task ends when its client is dropped.
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "postgres connection closed");
            }
        });
        Ok(client)
    }

    fn idle_clients(&self) -> std::sync::MutexGuard<'_, Vec<tokio_postgres::Client>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn begin(&self) -> BoxFuture<'_, Result<Box<dyn Transaction>, StoreError>> {
        Box::pin(async move {
            let permit = self
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| failed(e.to_string()))?;
            let reused = self.idle_clients().pop().filter(|c| !c.is_closed());
            let client = match reused {
                Some(c) => c,
                None => self.new_client().await?,
            };
            client
                .batch_execute("BEGIN")
                .await
                .map_err(|e| failed(e.to_string()))?;
            Ok(Box::new(PostgresTransaction {
                client: Some(client),
                idle: self.idle.clone(),
                _permit: permit,
            }) as Box<dyn Transaction>)
        })
    }
}

/// A checked-out connection inside `BEGIN`. Dropped without commit, the connection is closed rather than
/// returned (the server rolls the transaction back).
struct PostgresTransaction {
    client: Option<tokio_postgres::Client>,
    idle: Arc<Mutex<Vec<tokio_postgres::Client>>>,
    _permit: OwnedSemaphorePermit,
}

impl PostgresTransaction {
    fn client(&self) -> Result<&tokio_postgres::Client, StoreError> {
        self.client
            .as_ref()
            .ok_or_else(|| failed("the transaction is over".into()))
    }
}

fn as_params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Transaction for PostgresTransaction {
    fn execute<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            self.client()?
                .execute(sql, &as_params(params))
                .await
                .map_err(statement_failed)
        })
    }

    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, StoreError>> {
        Box::pin(async move {
            let rows = self
                .client()?
                .query(sql, &as_params(params))
                .await
                .map_err(statement_failed)?;
            rows.iter().map(read_row).collect()
        })
    }

    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.client()?
                .batch_execute(sql)
                .await
                .map_err(statement_failed)
        })
    }

    fn commit(mut self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self
                .client
                .take()
                .ok_or_else(|| failed("the transaction is over".into()))?;
            client
                .batch_execute("COMMIT")
                .await
                .map_err(statement_failed)?;
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(client);
            Ok(())
        })
    }
}

fn read_row(row: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let get = |e: tokio_postgres::Error| StoreError::Column {
            index: i,
            message: e.to_string(),
        };
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)
                .map_err(get)?
                .map(Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)
                .map_err(get)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)
                .map_err(get)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)
                .map_err(get)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(i)
                .map_err(get)?
                .map(Value::Bytes)
        } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
            row.try_get::<_, Option<String>>(i)
                .map_err(get)?
                .map(Value::Text)
        } else if *ty == Type::VOID {
            None
        } else {
            return Err(StoreError::Column {
                index: i,
                message: format!("unsupported column type {ty}"),
            });
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT8 => v.to_sql(ty, out),
            Value::Text(v) if [Type::TEXT, Type::VARCHAR, Type::NAME].contains(ty) => {
                v.as_str().to_sql(ty, out)
            }
            Value::Bytes(v) if *ty == Type::BYTEA => v.as_slice().to_sql(ty, out),
            other => Err(format!("{other:?} cannot be bound to a {ty} parameter").into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [
            Type::INT8,
            Type::INT4,
            Type::INT2,
            Type::TEXT,
            Type::VARCHAR,
            Type::NAME,
            Type::BYTEA,
        ]
        .contains(ty)
    }

    to_sql_checked!();
}

fn failed(message: String) -> StoreError {
    StoreError::Statement { message }
}

fn statement_failed(e: tokio_postgres::Error) -> StoreError {
    // `Display` of a server error is only "db error"; the server's message is in the source.
    let message = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    StoreError::Statement { message }
}
