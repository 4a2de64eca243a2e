//! Typed errors: [`StoreError`] for the storage layer, [`LedgerError`] for the ledger on top of it.

/// A storage failure. Messages never carry a password (URLs are shown redacted).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store URL is not one this build can open.
    #[error("store URL `{url}`: {message}")]
    Url {
        /// The URL, redacted.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// A reading command's ledger does not exist; nothing was created.
    #[error(
        "no ledger at {target}: nothing was created (a recording command creates it: `sourcing ledger init`, `sourcing buy …`, `sourcing webhooks`)"
    )]
    Missing {
        /// Where the ledger was looked for (a path or a redacted URL).
        target: String,
    },
    /// The database could not be opened or connected to.
    #[error("cannot open {target}: {message}")]
    Open {
        /// What was opened (a path or a redacted URL).
        target: String,
        /// The database's or the driver's message.
        message: String,
    },
    /// The database was written by a newer binary: it has migrations this binary does not know. Nothing
    /// was changed; upgrade the binary.
    #[error(
        "the database is at schema version {database}, newer than this binary's {binary}: upgrade sourcing (nothing was changed)"
    )]
    DatabaseNewer {
        /// The database's schema version.
        database: i64,
        /// The newest version this binary knows.
        binary: i64,
    },
    /// A migration the database recorded differs from the binary's migration of that version (two
    /// branches of the schema).
    #[error(
        "schema version {version} is `{database_name}` in the database but `{binary_name}` in this binary"
    )]
    MigrationMismatch {
        /// The schema version both have.
        version: i64,
        /// The migration's name in the database.
        database_name: String,
        /// The migration's name in this binary.
        binary_name: String,
    },
    /// A statement failed (constraint, syntax, lock timeout, lost connection…).
    #[error("database statement failed: {message}")]
    Statement {
        /// The database's message.
        message: String,
    },
    /// A column did not hold the expected type.
    #[error("database column {index}: {message}")]
    Column {
        /// The column's index in the row.
        index: usize,
        /// What it held instead.
        message: String,
    },
}

/// A ledger operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The store failed (the database is unavailable, a statement failed, …).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No ledger entry for this order.
    #[error("no ledger entry for order `{order_id}`")]
    UnknownOrder {
        /// The order id looked up.
        order_id: String,
    },
    /// Several providers have an entry with this order id: name the provider.
    #[error("order `{order_id}` is in the ledger for several providers ({providers}): name one")]
    AmbiguousOrder {
        /// The order id looked up.
        order_id: String,
        /// The providers with an entry of that id, comma-separated.
        providers: String,
    },
    /// Refused before sending: the outcome of an earlier step on the order is unknown; settle it by reading
    /// the order (`Ledger::reconcile`) first.
    #[error(
        "refused: the outcome of an earlier step on order {order_id} is unknown ({state}): run `sourcing ledger reconcile` first"
    )]
    OutcomeUnknown {
        /// The order.
        order_id: String,
        /// Its `*_unknown` state.
        state: crate::OrderState,
    },
    /// Refused before sending: the order is paid or beyond (or cancelled); no second payment.
    #[error("refused: order {order_id} {} {state} already: not paying it again", if *confirmed { "is" } else { "is reported" })]
    AlreadyPaid {
        /// The order.
        order_id: String,
        /// Its state (`paid` or beyond).
        state: crate::OrderState,
        /// `false`: the state is only reported by a callback.
        confirmed: bool,
    },
    /// Refused before sending: the order is closed (cancelled, or merged into another entry).
    #[error("refused: order {order_id} {} {state}: nothing is sent on a closed order (reconcile to check it)", if *confirmed { "is" } else { "is reported" })]
    Closed {
        /// The order.
        order_id: String,
        /// Its state (`cancelled` or `merged`).
        state: crate::OrderState,
        /// `false`: the state is only reported by a callback.
        confirmed: bool,
    },
    /// A callback names an empty order id: nothing about an order can be recorded from it.
    #[error("a {provider} callback ({message_type}) names an empty order id: refused")]
    EmptyOrderId {
        /// The provider whose callback it is.
        provider: String,
        /// The callback's message type.
        message_type: String,
    },
    /// No entry matches a lookup (entry id or external order id).
    #[error("no ledger entry {what}")]
    NotFound {
        /// What was looked up (`#12`, ``with external order id `X` ``).
        what: String,
    },
    /// A stored value the ledger does not recognise (written by a newer binary or by hand).
    #[error("ledger entry {entry}: unrecognised {what} `{value}`")]
    Corrupt {
        /// The entry id.
        entry: i64,
        /// Which value (`state`, `event kind`, …).
        what: &'static str,
        /// The stored text.
        value: String,
    },
}
