//! Ledger rows: one entry per order, an append-only list of events per entry. Every change to an entry's
//! state is one transaction that also appends the event explaining it.

use crate::error::LedgerError;
use crate::state::OrderState;
use crate::store::{Row, Transaction, Value};
use sourcing_buy::{Money, Provider};

/// Who recorded an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A `sourcing-buy` call (through the journal).
    Buy,
    /// A callback from the vendor (unauthenticated: what it reports is *reported*).
    Callback,
    /// `reconcile`, from an order read.
    Reconcile,
    /// A person, through the operator console (`Ledger::mark_handled`).
    Person,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Buy => "buy",
            Source::Callback => "callback",
            Source::Reconcile => "reconcile",
            Source::Person => "person",
        }
    }
}

/// An order as the ledger knows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OrderEntry {
    pub entry_id: i64,
    pub provider: String,
    /// The vendor's order id, exact; `None` while unknown (a create whose answer never came).
    pub order_id: Option<String>,
    pub state: OrderState,
    /// `false`: the state is only reported by a callback, not confirmed by an answer or a read.
    pub confirmed: bool,
    /// `buy` or `callback` (known only from a callback).
    pub origin: String,
    /// Why a person must look at this order, if reconcile could not settle it.
    pub needs_person: Option<String>,
    pub external_order_id: Option<String>,
    /// The order's total: exact decimal text and its unit.
    pub amount: Option<Amount>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// An exact amount as stored: decimal text and unit (`fen` / `yuan`), CNY.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Amount {
    pub value: String,
    pub unit: String,
}

impl From<&Money> for Amount {
    fn from(m: &Money) -> Self {
        Amount {
            value: m.amount().to_string(),
            unit: m.unit().name().to_string(),
        }
    }
}

/// One line of an order's history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    pub event_id: i64,
    pub at_ms: i64,
    pub kind: String,
    pub source: String,
    pub state_after: OrderState,
    pub amount: Option<Amount>,
    /// The raw answer, callback body, error or note.
    pub detail: Option<String>,
}

pub(crate) const ENTRY_COLUMNS: &str = "entry_id, provider, order_id, state, confirmed, origin, \
     needs_person, external_order_id, amount, amount_unit, created_at_ms, updated_at_ms";

pub(crate) fn entry_from_row(row: &Row) -> Result<OrderEntry, LedgerError> {
    let entry_id = row.int(0)?;
    let state_name = row.text(3)?;
    let state = OrderState::from_name(&state_name).ok_or(LedgerError::Corrupt {
        entry: entry_id,
        what: "state",
        value: state_name,
    })?;
    Ok(OrderEntry {
        entry_id,
        provider: row.text(1)?,
        order_id: row.opt_text(2)?,
        state,
        confirmed: row.int(4)? != 0,
        origin: row.text(5)?,
        needs_person: row.opt_text(6)?,
        external_order_id: row.opt_text(7)?,
        amount: amount(row.opt_text(8)?, row.opt_text(9)?),
        created_at_ms: row.int(10)?,
        updated_at_ms: row.int(11)?,
    })
}

fn amount(value: Option<String>, unit: Option<String>) -> Option<Amount> {
    Some(Amount {
        value: value?,
        unit: unit?,
    })
}

pub(crate) fn event_from_row(entry: i64, row: &Row) -> Result<Event, LedgerError> {
    let state_name = row.text(4)?;
    Ok(Event {
        event_id: row.int(0)?,
        at_ms: row.int(1)?,
        kind: row.text(2)?,
        source: row.text(3)?,
        state_after: OrderState::from_name(&state_name).ok_or(LedgerError::Corrupt {
            entry,
            what: "event state",
            value: state_name,
        })?,
        amount: amount(row.opt_text(5)?, row.opt_text(6)?),
        detail: row.opt_text(7)?,
    })
}

/// A new entry's fields.
pub(crate) struct NewEntry<'a> {
    pub provider: Provider,
    pub order_id: Option<&'a str>,
    pub state: OrderState,
    pub confirmed: bool,
    pub origin: Source,
    pub draft: Option<String>,
    pub external_order_id: Option<&'a str>,
}

pub(crate) async fn insert(
    tx: &mut dyn Transaction,
    new: NewEntry<'_>,
) -> Result<OrderEntry, LedgerError> {
    let now = crate::now_ms();
    let rows = tx
        .query(
            &format!(
                "INSERT INTO ledger_orders (provider, order_id, state, confirmed, origin, draft, \
                 external_order_id, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {ENTRY_COLUMNS}"
            ),
            &[
                new.provider.name().into(),
                new.order_id.into(),
                new.state.name().into(),
                Value::Int(new.confirmed.into()),
                new.origin.name().into(),
                new.draft.into(),
                new.external_order_id.into(),
                Value::Int(now),
            ],
        )
        .await?;
    entry_from_row(first(&rows)?)
}

fn first(rows: &[Row]) -> Result<&Row, LedgerError> {
    rows.first().ok_or_else(|| {
        LedgerError::Store(crate::StoreError::Statement {
            message: "INSERT … RETURNING returned no row".into(),
        })
    })
}

/// The entry of `provider`'s order `order_id`, locked for this transaction on Postgres.
pub(crate) async fn find(
    tx: &mut dyn Transaction,
    provider: Provider,
    order_id: &str,
    lock: &str,
) -> Result<Option<OrderEntry>, LedgerError> {
    let rows = tx
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM ledger_orders WHERE provider = $1 AND order_id = $2{lock}"
            ),
            &[provider.name().into(), order_id.into()],
        )
        .await?;
    rows.first().map(entry_from_row).transpose()
}

pub(crate) async fn by_id(
    tx: &mut dyn Transaction,
    entry_id: i64,
    lock: &str,
) -> Result<OrderEntry, LedgerError> {
    let rows = tx
        .query(
            &format!("SELECT {ENTRY_COLUMNS} FROM ledger_orders WHERE entry_id = $1{lock}"),
            &[Value::Int(entry_id)],
        )
        .await?;
    rows.first()
        .map(entry_from_row)
        .transpose()?
        .ok_or_else(|| LedgerError::UnknownOrder {
            order_id: format!("entry {entry_id}"),
        })
}

/// A change to an entry and the event that explains it, written together.
pub(crate) struct Change<'a> {
    pub kind: &'a str,
    pub source: Source,
    /// The new state (`None`: unchanged).
    pub state: Option<OrderState>,
    pub confirmed: Option<bool>,
    /// `Some(None)` clears the flag.
    pub needs_person: Option<Option<String>>,
    pub order_id: Option<&'a str>,
    pub amount: Option<Amount>,
    pub detail: Option<String>,
}

impl<'a> Change<'a> {
    pub fn event(kind: &'a str, source: Source) -> Self {
        Change {
            kind,
            source,
            state: None,
            confirmed: None,
            needs_person: None,
            order_id: None,
            amount: None,
            detail: None,
        }
    }
    pub fn to(mut self, state: OrderState, confirmed: bool) -> Self {
        self.state = Some(state);
        self.confirmed = Some(confirmed);
        self
    }
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Applies `change` to `entry` and appends its event.
pub(crate) async fn apply(
    tx: &mut dyn Transaction,
    entry: &OrderEntry,
    change: Change<'_>,
) -> Result<OrderState, LedgerError> {
    let now = crate::now_ms();
    let state = change.state.unwrap_or(entry.state);
    let confirmed = change.confirmed.unwrap_or(entry.confirmed);
    let needs_person = change
        .needs_person
        .unwrap_or_else(|| entry.needs_person.clone());
    let order_id = change
        .order_id
        .map(str::to_string)
        .or(entry.order_id.clone());
    let amount = change.amount.clone().or(entry.amount.clone());
    tx.execute(
        "UPDATE ledger_orders SET state = $1, confirmed = $2, needs_person = $3, order_id = $4, \
         amount = $5, amount_unit = $6, updated_at_ms = $7 WHERE entry_id = $8",
        &[
            state.name().into(),
            Value::Int(confirmed.into()),
            needs_person.into(),
            order_id.into(),
            amount.as_ref().map(|a| a.value.clone()).into(),
            amount.as_ref().map(|a| a.unit.clone()).into(),
            Value::Int(now),
            Value::Int(entry.entry_id),
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO ledger_events (entry_id, at_ms, kind, source, state_after, amount, amount_unit, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Value::Int(entry.entry_id),
            Value::Int(now),
            change.kind.into(),
            change.source.name().into(),
            state.name().into(),
            change.amount.as_ref().map(|a| a.value.clone()).into(),
            change.amount.as_ref().map(|a| a.unit.clone()).into(),
            change.detail.into(),
        ],
    )
    .await?;
    Ok(state)
}
