//! Storage behind one trait ([`Backend`]): SQL transactions with `$1, $2, …` placeholders and a few value
//! types that both backends hold the same way. The ledger (and the callback inbox of `sourcing-webhooks`)
//! are written once against it; a backend only runs statements.
//!
//! * [`sqlite`]: one file, WAL, one connection per process (writes serialise on it; other processes wait
//!   for SQLite's lock up to the busy timeout).
//! * `postgres` (feature `postgres`): a small connection pool; several processes share one database.

use crate::error::StoreError;
use crate::migrations;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;

/// A boxed, sendable future (the trait is object-safe: one [`Store`] type whichever backend is behind it).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which SQL a backend speaks, for the few statements that differ (migrations, locking).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// Postgres.
    Postgres,
}

impl Dialect {
    /// `sqlite` or `postgres` text, whichever this dialect is.
    pub fn pick<'a>(self, sqlite: &'a str, postgres: &'a str) -> &'a str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }
}

/// A value bound to a `$n` placeholder or read from a column. Integers are 64-bit (`BIGINT`/`INTEGER`),
/// text is `TEXT`, bytes are `BYTEA`/`BLOB`. Amounts and ids are text: nothing is stored as a float.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row, its columns in `SELECT` order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn column(&self, index: usize) -> Result<&Value, StoreError> {
        self.0.get(index).ok_or_else(|| StoreError::Column {
            index,
            message: format!("the row has {} columns", self.0.len()),
        })
    }

    fn wrong(index: usize, want: &str, got: &Value) -> StoreError {
        StoreError::Column {
            index,
            message: format!("expected {want}, found {got:?}"),
        }
    }

    /// Column `index` as an integer; `Err` names the column when it holds something else.
    pub fn int(&self, index: usize) -> Result<i64, StoreError> {
        match self.column(index)? {
            Value::Int(v) => Ok(*v),
            other => Err(Self::wrong(index, "an integer", other)),
        }
    }

    /// Column `index` as an integer or `NULL` (`None`); `Err` names the column when it holds something else.
    pub fn opt_int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        match self.column(index)? {
            Value::Null => Ok(None),
            _ => self.int(index).map(Some),
        }
    }

    /// Column `index` as text; `Err` names the column when it holds something else.
    pub fn text(&self, index: usize) -> Result<String, StoreError> {
        match self.column(index)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(Self::wrong(index, "text", other)),
        }
    }

    /// Column `index` as text or `NULL` (`None`); `Err` names the column when it holds something else.
    pub fn opt_text(&self, index: usize) -> Result<Option<String>, StoreError> {
        match self.column(index)? {
            Value::Null => Ok(None),
            _ => self.text(index).map(Some),
        }
    }

    /// Column `index` as bytes; `Err` names the column when it holds something else.
    pub fn bytes(&self, index: usize) -> Result<Vec<u8>, StoreError> {
        match self.column(index)? {
            Value::Bytes(v) => Ok(v.clone()),
            other => Err(Self::wrong(index, "bytes", other)),
        }
    }
}

/// An open transaction. Dropped without [`Transaction::commit`], it is rolled back.
pub trait Transaction: Send {
    /// Runs one statement; the number of rows it changed.
    fn execute<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
    ) -> BoxFuture<'a, Result<u64, StoreError>>;
    /// Runs one statement and returns its rows.
    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Value],
    ) -> BoxFuture<'a, Result<Vec<Row>, StoreError>>;
    /// Runs several statements without parameters (migrations).
    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Makes everything durable (SQLite: `synchronous=FULL`; Postgres: its own commit).
    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>>;
}

/// A database: the one storage trait, implemented by the SQLite and the Postgres backend.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// The SQL this backend speaks.
    fn dialect(&self) -> Dialect;
    /// Begins a read-write transaction (SQLite: `BEGIN IMMEDIATE`, so two writers never deadlock).
    fn begin(&self) -> BoxFuture<'_, Result<Box<dyn Transaction>, StoreError>>;
}

/// An open, migrated database. Cheap to clone; every clone uses the same connection(s).
#[derive(Clone, Debug)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

impl Store {
    /// Opens the database at `url` and applies the embedded migrations it lacks:
    ///
    /// * `sqlite:PATH` (also `sqlite://PATH`): a file, created if missing; `sqlite::memory:` for a private
    ///   in-memory database;
    /// * `postgres://…` or `postgresql://…` (feature `postgres`).
    ///
    /// A database written by a newer binary (a migration this one does not know) is refused with
    /// [`StoreError::DatabaseNewer`]; nothing is changed.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::open_unmigrated(url).await?;
        migrations::apply(&store, migrations::MIGRATIONS).await?;
        Ok(store)
    }

    /// Opens an **existing** ledger for reading, creating nothing: `sqlite:PATH` read-only (a missing file
    /// is [`StoreError::Missing`]), Postgres as it is (a database without the ledger's tables is
    /// [`StoreError::Missing`]). A database of an older schema is migrated where it can be written, and
    /// otherwise read as it is.
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        if let Some(path) = sqlite_path(url) {
            if path != ":memory:" && !std::path::Path::new(path).exists() {
                return Err(StoreError::Missing { target: url.into() });
            }
            let store = Store {
                backend: Arc::new(sqlite::Sqlite::open_read_only(path)?),
            };
            if store.schema_version().await? < migrations::latest_version()
                && let Err(e) = Store::open(url).await
            {
                tracing::warn!(error = %e, "the ledger's schema is older and cannot be migrated here: reading it as it is");
            }
            return Ok(store);
        }
        let store = Store::open_unmigrated(url).await?;
        if store.schema_version().await? == 0 {
            return Err(StoreError::Missing {
                target: redact(url),
            });
        }
        migrations::apply(&store, migrations::MIGRATIONS).await?;
        Ok(store)
    }

    /// The newest migration the database records (0: none, or no ledger at all).
    async fn schema_version(&self) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let exists = tx
            .query(
                self.dialect().pick(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations' \
                     AND table_schema = current_schema()",
                ),
                &[],
            )
            .await?;
        if exists.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) == 0 {
            return Ok(0);
        }
        let rows = tx
            .query("SELECT max(version) FROM schema_migrations", &[])
            .await?;
        Ok(rows
            .first()
            .map(|r| r.opt_int(0))
            .transpose()?
            .flatten()
            .unwrap_or(0))
    }

    /// Opens without migrating (tests of the migration mechanism).
    pub(crate) async fn open_unmigrated(url: &str) -> Result<Store, StoreError> {
        let backend: Arc<dyn Backend> = if let Some(path) = sqlite_path(url) {
            Arc::new(sqlite::Sqlite::open(path)?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            postgres_backend(url).await?
        } else {
            return Err(StoreError::Url {
                url: redact(url),
                message: "expected `sqlite:PATH` or `postgres://…`".into(),
            });
        };
        Ok(Store { backend })
    }

    /// A store over any backend (e.g. one of your own), migrated like [`Store::open`].
    pub async fn with_backend(backend: Arc<dyn Backend>) -> Result<Store, StoreError> {
        let store = Store { backend };
        migrations::apply(&store, migrations::MIGRATIONS).await?;
        Ok(store)
    }

    /// The SQL the store's backend speaks.
    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// Begins a read-write transaction ([`Backend::begin`]).
    pub async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        self.backend.begin().await
    }

    /// One statement in its own transaction.
    pub async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let n = tx.execute(sql, params).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// One query in its own transaction.
    pub async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut tx = self.begin().await?;
        let rows = tx.query(sql, params).await?;
        tx.commit().await?;
        Ok(rows)
    }
}

/// The file path of a `sqlite:` URL.
pub(crate) fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
}

#[cfg(feature = "postgres")]
async fn postgres_backend(url: &str) -> Result<Arc<dyn Backend>, StoreError> {
    Ok(Arc::new(postgres::Postgres::connect(url).await?))
}

#[cfg(not(feature = "postgres"))]
async fn postgres_backend(url: &str) -> Result<Arc<dyn Backend>, StoreError> {
    Err(StoreError::Url {
        url: redact(url),
        message:
            "this build has no Postgres backend: enable the `postgres` feature of sourcing-ledger"
                .into(),
    })
}

/// The URL with any password (in the user info or a `password=` parameter) replaced by `***` (URLs appear
/// in errors).
pub(crate) fn redact(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = redact_userinfo(url);
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out = format!("{out}?{}", params.join("&"));
    }
    out
}

fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact("postgres://app:s3cret@127.0.0.1:5432/db"),
            "postgres://app:***@127.0.0.1:5432/db"
        );
        assert_eq!(redact("postgres://app@h/db"), "postgres://app@h/db");
        assert_eq!(redact("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
        assert_eq!(
            redact("postgres://h/db?user=app&password=s3cret&sslmode=disable"),
            "postgres://h/db?user=app&password=***&sslmode=disable"
        );
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_a_typed_error() {
        let err = Store::open("mysql://h/db").await.unwrap_err();
        assert!(matches!(err, StoreError::Url { .. }), "{err}");
        assert!(err.to_string().contains("sqlite:PATH"), "{err}");
    }
}
