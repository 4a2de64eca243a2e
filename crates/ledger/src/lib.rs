//! Durable storage for sourcing: an **order ledger** with reconciliation, on SQLite (default: one file,
//! WAL) or Postgres (feature `postgres`: several instances share one database).
//!
//! * [`Store`]: the database behind one trait ([`Backend`]), opened from a URL (`sqlite:PATH`,
//!   `postgres://…`), migrated on open ([`migrations`]).
//! * [`Ledger`]: every order created or paid through `sourcing-buy` (as its [`sourcing_buy::Journal`]):
//!   the intent is written before the step is sent, the answer after; a step whose answer never came stays
//!   `*_unknown` and is never retried. [`Ledger::record_callback`] records a vendor's push,
//!   [`Ledger::reconcile`] settles unknown and reported states by reading the order. Which input moves
//!   which state where is one transition table, [`machine`]; the ranks are in [`state`]. Lists stream
//!   ([`Ledger::for_each`] with a [`Query`]); one entry is found by order id, entry id or your own order
//!   number ([`Ledger::find`], [`Lookup`]). Reading tools open a store with [`Store::open_existing`]
//!   (read-only, creating nothing).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let ledger = Arc::new(sourcing_ledger::Ledger::open("sqlite:orders.db").await?);
//! let client = pandapon::Client::from_env().expect("PANDAPON_* variables");
//! let buyer = sourcing_buy::Buyer::from(client).with_journal(ledger.clone());
//! buyer.pay(&sourcing_buy::OrderId::new("3305075341149134260")).await?;
//! for order in ledger.list(sourcing_ledger::Filter::Unknown).await? {
//!     println!("{} {:?} {}", order.provider, order.order_id, order.state);
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod callback;
mod entries;
mod error;
pub mod inbox;
mod journal;
pub mod machine;
#[cfg(test)]
mod machine_props;
pub mod migrations;
mod reconcile;
pub mod state;
mod store;

pub use callback::{CallbackRecorded, CallbackReport};
pub use entries::{Amount, Event, OrderEntry, Source};
pub use error::{LedgerError, StoreError};
pub use inbox::OrderCallbacks;
pub use machine::EventKind;
pub use reconcile::{ReadByExternalId, ReadSettings, Settled};
pub use state::OrderState;
#[cfg(feature = "postgres")]
pub use store::postgres;
pub use store::{Backend, BoxFuture, Dialect, Row, Store, Transaction, Value, sqlite};

use sourcing_buy::Flow;

/// Which orders [`Ledger::list`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Every order.
    All,
    /// The orders in this state.
    State(OrderState),
    /// Any `*_unknown` state.
    Unknown,
    /// Reported by a callback, not yet confirmed.
    Reported,
    /// Marked as needing a person.
    NeedsPerson,
}

impl Filter {
    /// `all`, `unknown`, `reported`, `needs_person` or a state name.
    pub fn parse(text: &str) -> Option<Filter> {
        match text {
            "all" => Some(Filter::All),
            "unknown" => Some(Filter::Unknown),
            "reported" => Some(Filter::Reported),
            "needs_person" | "needs-person" => Some(Filter::NeedsPerson),
            other => OrderState::from_name(other).map(Filter::State),
        }
    }

    fn sql(self) -> (String, Vec<Value>) {
        match self {
            Filter::All => (String::new(), vec![]),
            Filter::State(s) => (" WHERE state = $1".into(), vec![s.name().into()]),
            Filter::Unknown => {
                let names: Vec<Value> = OrderState::ALL
                    .into_iter()
                    .filter(|s| s.is_unknown())
                    .map(|s| s.name().into())
                    .collect();
                let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
                (format!(" WHERE state IN ({})", marks.join(", ")), names)
            }
            Filter::Reported => (" WHERE confirmed = 0".into(), vec![]),
            Filter::NeedsPerson => (" WHERE needs_person IS NOT NULL".into(), vec![]),
        }
    }
}

/// Which orders [`Ledger::for_each`] streams: a [`Filter`] and optional narrowing. Every field is
/// optional; [`Query::default`] is every order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Query {
    /// Which orders (`None`: all).
    pub filter: Option<Filter>,
    /// Provider name (`pandapon`…).
    pub provider: Option<String>,
    /// Created at or after, in milliseconds since the Unix epoch.
    pub since_ms: Option<i64>,
    /// Created before, in milliseconds since the Unix epoch.
    pub until_ms: Option<i64>,
    /// At most this many orders.
    pub limit: Option<u64>,
    /// Your own order number (`OrderDraft::external_order_id`).
    pub external_order_id: Option<String>,
    /// The profile the entries were recorded with ([`Ledger::with_profile`]).
    pub profile: Option<String>,
}

impl Query {
    /// Every order matching `filter`.
    pub fn new(filter: Filter) -> Query {
        Query {
            filter: Some(filter),
            ..Query::default()
        }
    }

    fn sql(&self) -> (String, Vec<Value>) {
        let (filter, mut params) = self.filter.unwrap_or(Filter::All).sql();
        let mut conditions: Vec<String> = filter
            .strip_prefix(" WHERE ")
            .map(|c| vec![c.to_string()])
            .unwrap_or_default();
        let mut add = |column: &str, op: &str, value: Value| {
            params.push(value);
            conditions.push(format!("{column} {op} ${}", params.len()));
        };
        if let Some(p) = &self.provider {
            add("provider", "=", p.as_str().into());
        }
        if let Some(since) = self.since_ms {
            add("created_at_ms", ">=", Value::Int(since));
        }
        if let Some(until) = self.until_ms {
            add("created_at_ms", "<", Value::Int(until));
        }
        if let Some(ext) = &self.external_order_id {
            add("external_order_id", "=", ext.as_str().into());
        }
        if let Some(profile) = &self.profile {
            add("profile", "=", profile.as_str().into());
        }
        (conditions.join(" AND "), params)
    }
}

/// How `ledger show` finds one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The vendor's order id.
    OrderId(String),
    /// The ledger's own entry id (`#12`).
    Entry(i64),
    /// Your own order number (`OrderDraft::external_order_id`).
    ExternalId(String),
}

/// Orders per page when [`Ledger::for_each`] streams.
const PAGE: i64 = 500;

/// The order ledger over a [`Store`].
#[derive(Clone, Debug)]
pub struct Ledger {
    store: Store,
    /// The profile new entries are recorded with ([`Ledger::with_profile`]).
    profile: Option<String>,
}

impl Ledger {
    /// Opens (and migrates) the store at `url`.
    pub async fn open(url: &str) -> Result<Ledger, StoreError> {
        Ok(Ledger::new(Store::open(url).await?))
    }

    /// The ledger on an opened store (migrated by [`Store::open`]), recording without a profile.
    pub fn new(store: Store) -> Ledger {
        Ledger {
            store,
            profile: None,
        }
    }

    /// This ledger (the same store) recording the entries it creates as `profile`'s (the configuration
    /// profile, i.e. the account, whose credentials send the steps): the journal of one profile's buyer.
    /// An entry keeps the profile it was created with.
    pub fn with_profile(&self, profile: Option<String>) -> Ledger {
        Ledger {
            store: self.store.clone(),
            profile,
        }
    }

    /// The profile this ledger records new entries with.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// The store under the ledger (the callback inbox's store too).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Row lock for read-modify-write on Postgres (SQLite's `BEGIN IMMEDIATE` already holds the write lock).
    pub(crate) fn lock(&self) -> &'static str {
        self.store.dialect().pick("", " FOR UPDATE")
    }

    /// Orders matching `filter`, oldest first.
    pub async fn list(&self, filter: Filter) -> Result<Vec<OrderEntry>, LedgerError> {
        let (condition, params) = filter.sql();
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT {} FROM ledger_orders{condition} ORDER BY entry_id",
                    entries::ENTRY_COLUMNS
                ),
                &params,
            )
            .await?;
        rows.iter().map(entries::entry_from_row).collect()
    }

    /// Streams the orders matching `query` to `each`, oldest first, a page at a time (never all rows in
    /// memory). `each` returns `false` to stop.
    pub async fn for_each(
        &self,
        query: &Query,
        mut each: impl FnMut(OrderEntry) -> bool,
    ) -> Result<(), LedgerError> {
        let (conditions, params) = query.sql();
        let mut left = query.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let mut after = 0i64;
        loop {
            let page = left.map_or(PAGE, |l| l.min(PAGE));
            if page <= 0 {
                return Ok(());
            }
            let mut all = params.clone();
            all.push(Value::Int(after));
            all.push(Value::Int(page));
            let and = if conditions.is_empty() {
                String::new()
            } else {
                format!("{conditions} AND ")
            };
            let sql = format!(
                "SELECT {} FROM ledger_orders WHERE {and}entry_id > ${} ORDER BY entry_id LIMIT ${}",
                entries::ENTRY_COLUMNS,
                all.len() - 1,
                all.len()
            );
            let rows = self.store.query(&sql, &all).await?;
            let n = rows.len() as i64;
            for row in &rows {
                let entry = entries::entry_from_row(row)?;
                after = entry.entry_id;
                if !each(entry) {
                    return Ok(());
                }
            }
            left = left.map(|l| l - n);
            if n < page {
                return Ok(());
            }
        }
    }

    /// The entry a [`Lookup`] names (of `provider`, needed only when two entries match) and its history.
    pub async fn find(
        &self,
        lookup: &Lookup,
        provider: Option<Flow>,
    ) -> Result<(OrderEntry, Vec<Event>), LedgerError> {
        let (column, value, what) = match lookup {
            Lookup::OrderId(id) => return self.show(id, provider).await,
            Lookup::Entry(id) => ("entry_id", Value::Int(*id), format!("#{id}")),
            Lookup::ExternalId(ext) => (
                "external_order_id",
                ext.as_str().into(),
                format!("with external order id `{ext}`"),
            ),
        };
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT {} FROM ledger_orders WHERE {column} = $1 ORDER BY entry_id",
                    entries::ENTRY_COLUMNS
                ),
                &[value],
            )
            .await?;
        let mut found: Vec<OrderEntry> = rows
            .iter()
            .map(entries::entry_from_row)
            .collect::<Result<_, _>>()?;
        if let Some(p) = provider {
            found.retain(|e| e.provider == p.name());
        }
        // An entry merged into another one is found through the one it continues in.
        if found.len() > 1 {
            found.retain(|e| e.state != OrderState::Merged);
        }
        match found.len() {
            0 => Err(LedgerError::NotFound { what }),
            1 => {
                let entry = found.remove(0);
                let events = self.history(entry.entry_id).await?;
                Ok((entry, events))
            }
            _ => Err(LedgerError::AmbiguousOrder {
                order_id: what,
                providers: found
                    .iter()
                    .map(|e| format!("#{} {}", e.entry_id, e.provider))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The entry of order `order_id` (of `provider`, needed only when two providers share the id) and its
    /// history, oldest first.
    pub async fn show(
        &self,
        order_id: &str,
        provider: Option<Flow>,
    ) -> Result<(OrderEntry, Vec<Event>), LedgerError> {
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT {} FROM ledger_orders WHERE order_id = $1 ORDER BY entry_id",
                    entries::ENTRY_COLUMNS
                ),
                &[order_id.into()],
            )
            .await?;
        let mut found: Vec<OrderEntry> = rows
            .iter()
            .map(entries::entry_from_row)
            .collect::<Result<_, _>>()?;
        if let Some(p) = provider {
            found.retain(|e| e.provider == p.name());
        }
        let entry = match found.len() {
            0 => {
                return Err(LedgerError::UnknownOrder {
                    order_id: order_id.into(),
                });
            }
            1 => found.remove(0),
            _ => {
                let providers: Vec<&str> = found.iter().map(|e| e.provider.as_str()).collect();
                return Err(LedgerError::AmbiguousOrder {
                    order_id: order_id.into(),
                    providers: providers.join(", "),
                });
            }
        };
        let events = self.history(entry.entry_id).await?;
        Ok((entry, events))
    }

    /// An entry's events, oldest first.
    pub async fn history(&self, entry_id: i64) -> Result<Vec<Event>, LedgerError> {
        let rows = self
            .store
            .query(
                "SELECT event_id, at_ms, kind, source, state_after, amount, amount_unit, detail \
                 FROM ledger_events WHERE entry_id = $1 ORDER BY event_id",
                &[Value::Int(entry_id)],
            )
            .await?;
        rows.iter()
            .map(|r| entries::event_from_row(entry_id, r))
            .collect()
    }
}

/// Milliseconds since the Unix epoch (what the ledger stores as time).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A fresh directory under the system temp dir, for tests.
#[cfg(test)]
pub(crate) fn test_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sourcing-ledger-test-{}-{}-{}",
        std::process::id(),
        now_ms(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
