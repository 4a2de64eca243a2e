//! Embedded, versioned schema migrations, applied on open in one transaction.
//!
//! **Adding a migration is one entry at the end of [`MIGRATIONS`]** (the next version number, a name, and
//! the SQL for each dialect, usually two files under `src/migrations/`). Applied migrations are never
//! edited: the database records each version's name and a binary refuses a database whose recorded
//! names differ from its own ([`StoreError::MigrationMismatch`]) or that has versions it does not know
//! ([`StoreError::DatabaseNewer`]).
//!
//! The tables of the whole database live here, whoever uses them: the order ledger's (`ledger_*`), and
//! the callback inbox's (`inbox_*`, owned by `sourcing-webhooks`), each migration naming its owner.

use crate::error::StoreError;
use crate::store::{Dialect, Store, Value};

/// One schema change.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// 1, 2, 3, … in order, without gaps.
    pub version: i64,
    /// Recorded in the database; identifies the migration.
    pub name: &'static str,
    /// The SQL applied on SQLite.
    pub sqlite: &'static str,
    /// The SQL applied on Postgres.
    pub postgres: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "ledger: orders and events",
        sqlite: include_str!("migrations/0001_ledger.sqlite.sql"),
        postgres: include_str!("migrations/0001_ledger.postgres.sql"),
    },
    Migration {
        version: 2,
        name: "inbox: callback messages",
        sqlite: include_str!("migrations/0002_inbox.sqlite.sql"),
        postgres: include_str!("migrations/0002_inbox.postgres.sql"),
    },
    Migration {
        version: 3,
        name: "ledger: lookups by order id, external order id, time",
        sqlite: include_str!("migrations/0003_ledger_lookups.sqlite.sql"),
        postgres: include_str!("migrations/0003_ledger_lookups.postgres.sql"),
    },
    Migration {
        version: 4,
        name: "ledger: the profile of each entry",
        sqlite: include_str!("migrations/0004_ledger_profile.sqlite.sql"),
        postgres: include_str!("migrations/0004_ledger_profile.postgres.sql"),
    },
    Migration {
        version: 5,
        name: "console lookups: needs a person, reported, provider and state, charts, callbacks, dead letters",
        sqlite: include_str!("migrations/0005_console_lookups.sqlite.sql"),
        postgres: include_str!("migrations/0005_console_lookups.postgres.sql"),
    },
];

/// The newest schema version this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

const CREATE_VERSIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at_ms BIGINT NOT NULL
)";

/// Postgres: one migrating instance at a time (a transaction-scoped advisory lock; the number is
/// arbitrary and fixed). SQLite's `BEGIN IMMEDIATE` already excludes other writers.
const POSTGRES_MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(7301190001)";

/// Applies the migrations of `list` the database lacks; refuses a database newer than `list`.
pub(crate) async fn apply(store: &Store, list: &[Migration]) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    if store.dialect() == Dialect::Postgres {
        tx.query(POSTGRES_MIGRATION_LOCK, &[]).await?;
    }
    tx.execute(CREATE_VERSIONS, &[]).await?;
    let applied = tx
        .query(
            "SELECT version, name FROM schema_migrations ORDER BY version",
            &[],
        )
        .await?;
    let binary = list.last().map_or(0, |m| m.version);
    let mut database = 0;
    for row in &applied {
        let (version, name) = (row.int(0)?, row.text(1)?);
        database = database.max(version);
        if let Some(known) = list.iter().find(|m| m.version == version)
            && known.name != name
        {
            return Err(StoreError::MigrationMismatch {
                version,
                database_name: name,
                binary_name: known.name.to_string(),
            });
        }
    }
    if database > binary {
        return Err(StoreError::DatabaseNewer { database, binary });
    }
    for migration in list.iter().filter(|m| m.version > database) {
        tx.batch(store.dialect().pick(migration.sqlite, migration.postgres))
            .await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)",
            &[
                Value::Int(migration.version),
                migration.name.into(),
                Value::Int(crate::now_ms()),
            ],
        )
        .await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_run_in_order_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
        }
    }

    #[tokio::test]
    async fn a_database_from_a_newer_binary_is_refused_unchanged() {
        let dir = crate::test_dir();
        let url = format!("sqlite:{}", dir.join("newer.db").display());
        // Whatever this binary's list is, plus one.
        let mut newer = MIGRATIONS.to_vec();
        newer.push(Migration {
            version: latest_version() + 1,
            name: "from the future",
            sqlite: "CREATE TABLE future (x BIGINT)",
            postgres: "CREATE TABLE future (x BIGINT)",
        });
        let store = Store::open_unmigrated(&url).await.unwrap();
        apply(&store, &newer).await.unwrap();
        drop(store);

        let err = Store::open(&url).await.unwrap_err();
        assert!(
            matches!(err, StoreError::DatabaseNewer { database, binary }
                if binary == latest_version() && database == binary + 1),
            "{err:?}"
        );
        assert!(err.to_string().contains("upgrade"), "{err}");
        // Still openable by the newer binary.
        let store = Store::open_unmigrated(&url).await.unwrap();
        apply(&store, &newer).await.unwrap();
    }

    #[tokio::test]
    async fn a_differently_named_version_is_refused() {
        let dir = crate::test_dir();
        let url = format!("sqlite:{}", dir.join("fork.db").display());
        let fork = [Migration {
            name: "another branch's first migration",
            ..MIGRATIONS[0]
        }];
        let store = Store::open_unmigrated(&url).await.unwrap();
        apply(&store, &fork).await.unwrap();
        drop(store);
        let err = Store::open(&url).await.unwrap_err();
        assert!(
            matches!(err, StoreError::MigrationMismatch { version: 1, .. }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn reopening_applies_nothing_twice() {
        let dir = crate::test_dir();
        let url = format!("sqlite:{}", dir.join("twice.db").display());
        Store::open(&url).await.unwrap();
        let store = Store::open(&url).await.unwrap();
        let rows = store
            .query("SELECT count(*) FROM schema_migrations", &[])
            .await
            .unwrap();
        assert_eq!(rows[0].int(0).unwrap(), latest_version());
    }
}
