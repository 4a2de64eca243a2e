//! Typed errors: [`StoreError`] for the storage layer, [`LedgerError`] for the ledger on top of it.

/// A storage failure. Messages never carry a password (URLs are shown redacted).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store URL is not one this build can open.
    #[error("store URL `{url}`: {message}")]
    Url { url: String, message: String },
    /// The database could not be opened or connected to.
    #[error("cannot open {target}: {message}")]
    Open { target: String, message: String },
    /// The database was written by a newer binary: it has migrations this binary does not know. Nothing
    /// was changed; upgrade the binary.
    #[error(
        "the database is at schema version {database}, newer than this binary's {binary}: upgrade sourcing (nothing was changed)"
    )]
    DatabaseNewer { database: i64, binary: i64 },
    /// A migration the database recorded differs from the binary's migration of that version (two
    /// branches of the schema).
    #[error(
        "schema version {version} is `{database_name}` in the database but `{binary_name}` in this binary"
    )]
    MigrationMismatch {
        version: i64,
        database_name: String,
        binary_name: String,
    },
    /// A statement failed (constraint, syntax, lock timeout, lost connection…).
    #[error("database statement failed: {message}")]
    Statement { message: String },
    /// A column did not hold the expected type.
    #[error("database column {index}: {message}")]
    Column { index: usize, message: String },
}

/// A ledger operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No ledger entry for this order.
    #[error("no ledger entry for order `{order_id}`")]
    UnknownOrder { order_id: String },
    /// Several providers have an entry with this order id: name the provider.
    #[error("order `{order_id}` is in the ledger for several providers ({providers}): name one")]
    AmbiguousOrder { order_id: String, providers: String },
    /// The ledger refused to record (and so to send) a step it knows to be unsafe: a payment of an order
    /// already paid, or any step while an earlier step's outcome is unknown.
    #[error("refused: {message}")]
    Refused { message: String },
    /// A stored value the ledger does not recognise (written by a newer binary or by hand).
    #[error("ledger entry {entry}: unrecognised {what} `{value}`")]
    Corrupt {
        entry: i64,
        what: &'static str,
        value: String,
    },
}
