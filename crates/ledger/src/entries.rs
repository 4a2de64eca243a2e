//! Ledger rows: one entry per order, an append-only list of events per entry. Every change to an entry's
//! state is one transaction that also appends the event explaining it.

use crate::error::LedgerError;
use crate::machine::{self, EventKind, Input, Refusal, To, Transition};
use crate::state::OrderState;
use crate::store::{Row, Transaction, Value};
use sourcing_buy::Money;

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
    /// The stored name (`buy`, `callback`, `reconcile`, `person`).
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
    /// The entry's id in the ledger (`#N`), stable for life.
    pub entry_id: i64,
    /// The provider's name (`pandapon`…).
    pub provider: String,
    /// The vendor's order id, exact; `None` while unknown (a create whose answer never came).
    pub order_id: Option<String>,
    /// The order's state.
    pub state: OrderState,
    /// `false`: the state is only reported by a callback, not confirmed by an answer or a read.
    pub confirmed: bool,
    /// `buy` or `callback` (known only from a callback).
    pub origin: String,
    /// Why a person must look at this order, if reconcile could not settle it.
    pub needs_person: Option<String>,
    /// The caller's own id of the order (the draft's external order id), when it gave one.
    pub external_order_id: Option<String>,
    /// The order's total: exact decimal text and its unit.
    pub amount: Option<Amount>,
    /// When the entry was created, milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// When the entry last changed, milliseconds since the Unix epoch.
    pub updated_at_ms: i64,
    /// The configuration profile (account) the entry was recorded with ([`crate::Ledger::with_profile`]);
    /// `None` for the environment's credentials and the sandbox. Kept for life; an entry without one (an
    /// order first heard of by a callback) takes the profile of the first step a profile sends on it.
    pub profile: Option<String>,
}

/// An exact amount as stored: decimal text and unit (`fen` / `yuan`), CNY. Serialised in the facade's
/// [`Money`] shape (`{"amount", "unit", "currency", "yuan"}`), so the ledger and `buy` print one shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    /// The exact decimal text (`1234` fen, `12.34` yuan).
    pub value: String,
    /// `fen` or `yuan`.
    pub unit: String,
}

impl Amount {
    /// The amount as the facade's [`Money`]; `None` for a stored value it cannot hold (written by hand).
    pub fn to_money(&self) -> Option<Money> {
        match self.unit.as_str() {
            "fen" => self.value.parse().ok().map(Money::fen),
            "yuan" => Money::yuan(&self.value).ok(),
            _ => None,
        }
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if let Some(money) = self.to_money() {
            return money.serialize(s);
        }
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &self.value)?;
        st.serialize_field("unit", &self.unit)?;
        st.end()
    }
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
    /// The event's id, increasing in the order events were recorded.
    pub event_id: i64,
    /// When it was recorded, milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// What happened.
    pub kind: EventKind,
    /// Who said so ([`Source::name`]: `buy`, `callback`, `reconcile`, `person`).
    pub source: String,
    /// The order's state after the event.
    pub state_after: OrderState,
    /// The amount the event carries (a preview's or an answer's total), if any.
    pub amount: Option<Amount>,
    /// The raw answer, callback body, error or note.
    pub detail: Option<String>,
}

pub(crate) const ENTRY_COLUMNS: &str = "entry_id, provider, order_id, state, confirmed, origin, \
     needs_person, external_order_id, amount, amount_unit, created_at_ms, updated_at_ms, profile";

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
        profile: row.opt_text(12)?,
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
    let kind_name = row.text(2)?;
    Ok(Event {
        event_id: row.int(0)?,
        at_ms: row.int(1)?,
        kind: EventKind::from_name(&kind_name).ok_or(LedgerError::Corrupt {
            entry,
            what: "event kind",
            value: kind_name,
        })?,
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
    /// The provider's name (a callback-only provider has no purchase flow).
    pub provider: &'a str,
    pub order_id: Option<&'a str>,
    pub state: OrderState,
    pub confirmed: bool,
    pub origin: Source,
    pub draft: Option<String>,
    pub external_order_id: Option<&'a str>,
    /// The profile it is recorded with (kept for the entry's life).
    pub profile: Option<&'a str>,
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
                 external_order_id, created_at_ms, updated_at_ms, profile) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING {ENTRY_COLUMNS}"
            ),
            &[
                new.provider.into(),
                new.order_id.into(),
                new.state.name().into(),
                Value::Int(new.confirmed.into()),
                new.origin.name().into(),
                new.draft.into(),
                new.external_order_id.into(),
                Value::Int(now),
                new.profile.into(),
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

/// Gives `entry` the profile `profile` if it has none (an order first heard of by a callback, then sent a
/// step by a profile's account); a profile once recorded is kept.
pub(crate) async fn claim_profile(
    tx: &mut dyn Transaction,
    entry: &OrderEntry,
    profile: Option<&str>,
) -> Result<(), LedgerError> {
    let (None, Some(profile)) = (&entry.profile, profile) else {
        return Ok(());
    };
    tx.execute(
        "UPDATE ledger_orders SET profile = $1 WHERE entry_id = $2 AND profile IS NULL",
        &[profile.into(), Value::Int(entry.entry_id)],
    )
    .await?;
    Ok(())
}

/// The entry of `provider`'s (a name) order `order_id`, locked for this transaction on Postgres.
pub(crate) async fn find(
    tx: &mut dyn Transaction,
    provider: &str,
    order_id: &str,
    lock: &str,
) -> Result<Option<OrderEntry>, LedgerError> {
    let rows = tx
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM ledger_orders WHERE provider = $1 AND order_id = $2{lock}"
            ),
            &[provider.into(), order_id.into()],
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
    pub kind: EventKind,
    pub source: Source,
    /// The new state (`None`: unchanged).
    pub state: Option<OrderState>,
    pub confirmed: Option<bool>,
    /// `Some(None)` clears the flag.
    pub needs_person: Option<Option<String>>,
    pub order_id: Option<&'a str>,
    pub external_order_id: Option<&'a str>,
    pub amount: Option<Amount>,
    pub detail: Option<String>,
}

/// What an event carries besides the state the transition table decides: its detail, what the entry
/// learns (order id, external id, amount), and the reason when it is marked for a person.
#[derive(Default)]
pub(crate) struct Facts<'a> {
    pub detail: Option<String>,
    pub amount: Option<Amount>,
    pub order_id: Option<&'a str>,
    pub external_order_id: Option<&'a str>,
    pub why: Option<String>,
}

impl<'a> Facts<'a> {
    pub fn detail(detail: impl Into<String>) -> Self {
        Facts {
            detail: Some(detail.into()),
            ..Facts::default()
        }
    }

    /// Facts of a mark for a person: the reason, also the event's detail.
    pub fn why(why: String) -> Self {
        Facts {
            detail: Some(why.clone()),
            why: Some(why),
            ..Facts::default()
        }
    }

    pub fn with_detail(mut self, detail: String) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// Records `input` on `entry` as [`machine::transition`] decides (the only way the ledger changes a
/// state): the new state, or the refusal of a step (nothing written).
pub(crate) async fn record(
    tx: &mut dyn Transaction,
    entry: &OrderEntry,
    source: Source,
    input: Input,
    facts: Facts<'_>,
) -> Result<OrderState, LedgerError> {
    let (kind, to, needs_person) = match machine::transition(entry.state, entry.confirmed, input) {
        Transition::Refuse(refusal) => return Err(refused(entry, refusal)),
        Transition::NeedsPerson => {
            let why = facts.why.clone().unwrap_or_else(|| "see the event".into());
            if entry.needs_person.as_deref() == Some(why.as_str()) {
                // Already marked for the same reason: no second event.
                return Ok(entry.state);
            }
            (EventKind::NeedsPerson, To::Stay, Some(Some(why)))
        }
        Transition::Record {
            kind,
            to,
            clears_mark,
        } => (kind, to, clears_mark.then_some(None)),
    };
    let (state, confirmed) = match to {
        To::Stay => (None, None),
        To::State { state, confirmed } => (Some(state), Some(confirmed)),
        To::BeforeStep => {
            let step = match input {
                Input::Answered(step, _) => step,
                _ => machine::Step::Create,
            };
            (Some(state_before(tx, entry.entry_id, step).await?), None)
        }
    };
    let change = Change {
        kind,
        source,
        state,
        confirmed,
        needs_person,
        order_id: facts.order_id,
        external_order_id: facts.external_order_id,
        amount: facts.amount,
        detail: facts.detail,
    };
    apply(tx, entry, change).await
}

fn refused(entry: &OrderEntry, refusal: Refusal) -> LedgerError {
    let order_id = entry
        .order_id
        .clone()
        .unwrap_or_else(|| format!("#{}", entry.entry_id));
    match refusal {
        Refusal::OutcomeUnknown => LedgerError::OutcomeUnknown {
            order_id,
            state: entry.state,
        },
        Refusal::AlreadyPaid => LedgerError::AlreadyPaid {
            order_id,
            state: entry.state,
            confirmed: entry.confirmed,
        },
        Refusal::Closed => LedgerError::Closed {
            order_id,
            state: entry.state,
            confirmed: entry.confirmed,
        },
    }
}

/// The state the entry had before the latest intent of `step` (what a refused cancel returns to).
async fn state_before(
    tx: &mut dyn Transaction,
    entry_id: i64,
    step: machine::Step,
) -> Result<OrderState, LedgerError> {
    let requested = machine::transition(OrderState::Created, true, Input::Requested(step));
    let kind = match requested {
        Transition::Record { kind, .. } => kind.name(),
        _ => "",
    };
    let rows = tx
        .query(
            "SELECT state_after FROM ledger_events WHERE entry_id = $1 AND event_id < \
             (SELECT max(event_id) FROM ledger_events WHERE entry_id = $1 AND kind = $2) \
             ORDER BY event_id DESC LIMIT 1",
            &[Value::Int(entry_id), kind.into()],
        )
        .await?;
    let name = match rows.first() {
        Some(r) => r.text(0)?,
        // The intent was the entry's first event: an order the ledger met through this step.
        None => return Ok(OrderState::Created),
    };
    OrderState::from_name(&name).ok_or(LedgerError::Corrupt {
        entry: entry_id,
        what: "event state",
        value: name,
    })
}

/// Applies `change` to `entry` and appends its event.
async fn apply(
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
    let external = entry
        .external_order_id
        .clone()
        .or(change.external_order_id.map(str::to_string));
    tx.execute(
        "UPDATE ledger_orders SET state = $1, confirmed = $2, needs_person = $3, order_id = $4, \
         amount = $5, amount_unit = $6, updated_at_ms = $7, external_order_id = $9 WHERE entry_id = $8",
        &[
            state.name().into(),
            Value::Int(confirmed.into()),
            needs_person.into(),
            order_id.into(),
            amount.as_ref().map(|a| a.value.clone()).into(),
            amount.as_ref().map(|a| a.unit.clone()).into(),
            Value::Int(now),
            Value::Int(entry.entry_id),
            external.into(),
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO ledger_events (entry_id, at_ms, kind, source, state_after, amount, amount_unit, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Value::Int(entry.entry_id),
            Value::Int(now),
            change.kind.name().into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_in_the_facades_money_shape() {
        let fen = Amount::from(&Money::fen(1990));
        let shown = serde_json::to_value(&fen).unwrap();
        assert_eq!(shown, serde_json::to_value(Money::fen(1990)).unwrap());
        assert_eq!(
            (&shown["amount"], &shown["unit"]),
            (&"1990".into(), &"fen".into())
        );
        let yuan = Amount::from(&Money::yuan("8.31").unwrap());
        assert_eq!(
            serde_json::to_value(&yuan).unwrap(),
            serde_json::to_value(Money::yuan("8.31").unwrap()).unwrap()
        );
        let odd = Amount {
            value: "1".into(),
            unit: "bitcoin".into(),
        };
        assert_eq!(
            serde_json::to_value(&odd).unwrap(),
            serde_json::json!({"amount": "1", "unit": "bitcoin"}),
            "a value written by hand is shown as stored"
        );
    }
}
