//! Reconciliation: settle `*_unknown` steps and confirm callback-reported states by **reading** the order
//! (`Buyer::order`). Nothing is ever sent but reads: an unknown payment is settled from what the vendor
//! shows, never by paying again. What the read means for the entry is the transition table's
//! ([`crate::machine`]); this file reads and classifies.
//!
//! Marked for a person, with the reason: a provider without an order read (Xportcn), a create without
//! an order id where no read by the caller's own order number exists, a read that shows no state a vendor
//! document names, a read that cannot be decoded (re-reading would fail the same way), and a read that
//! failed [`ReadSettings::max_read_failures`] times in a row.

use crate::Ledger;
use crate::entries::{self, Facts, OrderEntry, Source};
use crate::error::LedgerError;
use crate::machine::{self, Input, Read, Step};
use crate::state::OrderState;
use crate::store::{BoxFuture, Value};
use sourcing_buy::{Buyer, ExternalOrderId, OrderId, OrderInfo, OrderStatus};
use std::sync::Arc;
use std::time::Duration;

/// The buyer in `buyers` of `entry`'s provider (the ledger stores the provider's name).
fn buyer_of<'b>(buyers: &'b [Buyer], entry: &OrderEntry) -> Option<&'b Buyer> {
    buyers
        .iter()
        .find(|b| b.flow().name().eq_ignore_ascii_case(&entry.provider))
}

/// A read of an order by the caller's own order number (`OrderDraft::external_order_id`): how reconcile
/// settles a create whose answer carried no order id. No vendor publishes one today, so none is set by
/// default (such creates are marked for a person); a provider that gains one plugs it in here.
pub trait ReadByExternalId: Send + Sync + std::fmt::Debug {
    /// The vendor's order id for `external_order_id`; `Ok(None)` when the vendor has no such order.
    fn order_id<'a>(
        &'a self,
        buyer: &'a Buyer,
        external_order_id: &'a ExternalOrderId,
    ) -> BoxFuture<'a, Result<Option<OrderId>, sourcing_buy::Error>>;
}

/// How reconcile reads.
#[derive(Clone, Debug)]
pub struct ReadSettings {
    /// An override: a JSON pointer into the raw read answer (`/status`) holding the order state, used before
    /// the facade's `OrderInfo::status` (which is the default source).
    pub state_pointer: Option<String>,
    /// Reads of one order that may fail in a row before it is marked for a person (default 5).
    pub max_read_failures: u32,
    /// A step recorded as sent less than this long ago may still be in flight: reconcile leaves it for
    /// the next run rather than read it before the vendor has acted (default 2 minutes, longer than any
    /// call's timeout).
    pub in_flight: Duration,
    /// The read by the caller's own order number, where one exists.
    pub by_external_id: Option<Arc<dyn ReadByExternalId>>,
}

impl Default for ReadSettings {
    fn default() -> Self {
        ReadSettings {
            state_pointer: None,
            max_read_failures: 5,
            in_flight: Duration::from_secs(120),
            by_external_id: None,
        }
    }
}

/// What reconcile did to one order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Settled {
    /// The ledger entry.
    pub entry_id: i64,
    /// The provider's name.
    pub provider: String,
    /// The vendor's order id, when known.
    pub order_id: Option<String>,
    /// The state before the read.
    pub before: OrderState,
    /// The state after it.
    pub after: OrderState,
    /// Set when a person must look at the order.
    pub needs_person: Option<String>,
    /// What the read showed, in words.
    pub note: String,
}

impl Ledger {
    /// Reads every order whose state is unknown or only reported, through the buyer of its provider in
    /// `buyers`, and records what the read shows. Orders of a provider without a buyer here are left
    /// as they are, and so are steps that may still be in flight ([`ReadSettings::in_flight`]).
    pub async fn reconcile(
        &self,
        buyers: &[Buyer],
        settings: &ReadSettings,
    ) -> Result<Vec<Settled>, LedgerError> {
        let mut out = Vec::new();
        for entry in self.due(settings).await? {
            let Some(buyer) = buyer_of(buyers, &entry) else {
                continue;
            };
            out.push(self.reconcile_one(buyer, entry, settings).await?);
        }
        Ok(out)
    }

    /// The entries a reconcile reads: unknown or only reported, not merged, not in flight.
    pub(crate) async fn due(
        &self,
        settings: &ReadSettings,
    ) -> Result<Vec<OrderEntry>, LedgerError> {
        let mut candidates = self.list(crate::Filter::Unknown).await?;
        for reported in self.list(crate::Filter::Reported).await? {
            if !candidates.iter().any(|c| c.entry_id == reported.entry_id) {
                candidates.push(reported);
            }
        }
        candidates.retain(|e| e.state != OrderState::Merged);
        candidates.sort_by_key(|e| e.entry_id);
        let mut due = Vec::with_capacity(candidates.len());
        for entry in candidates {
            if !self.in_flight(&entry, settings).await? {
                due.push(entry);
            }
        }
        Ok(due)
    }

    /// The entry's step was recorded as sent (its intent is the buyer's latest event: no answer yet) within
    /// the in-flight window. Callbacks and reads in between do not end a flight: a callback landing on a
    /// payment on its way must not let a read settle it as unpaid (the property test found that one).
    async fn in_flight(
        &self,
        entry: &OrderEntry,
        settings: &ReadSettings,
    ) -> Result<bool, LedgerError> {
        let Some(step) = machine::unknown_step(entry.state) else {
            return Ok(false);
        };
        let rows = self
            .store()
            .query(
                "SELECT kind, at_ms FROM ledger_events WHERE entry_id = $1 AND source = $2 \
                 ORDER BY event_id DESC LIMIT 1",
                &[Value::Int(entry.entry_id), Source::Buy.name().into()],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(false);
        };
        let window = i64::try_from(settings.in_flight.as_millis()).unwrap_or(i64::MAX);
        Ok(row.text(0)? == requested_kind(step) && crate::now_ms() - row.int(1)? < window)
    }

    /// Consecutive `read_failed` events at the end of the entry's history.
    async fn failed_reads(&self, entry_id: i64) -> Result<u32, LedgerError> {
        let rows = self
            .store()
            .query(
                "SELECT kind FROM ledger_events WHERE entry_id = $1 ORDER BY event_id DESC LIMIT 100",
                &[Value::Int(entry_id)],
            )
            .await?;
        let mut n = 0;
        for row in &rows {
            if row.text(0)? != machine::EventKind::ReadFailed.name() {
                break;
            }
            n += 1;
        }
        Ok(n)
    }

    /// [`Ledger::reconcile`] for one entry, whatever its state (an operator's "reconcile this order"); `None`
    /// when no buyer in `buyers` serves its provider.
    pub async fn reconcile_entry(
        &self,
        buyers: &[Buyer],
        entry_id: i64,
        settings: &ReadSettings,
    ) -> Result<Option<Settled>, LedgerError> {
        let mut tx = self.store().begin().await?;
        let entry = entries::by_id(&mut *tx, entry_id, "").await?;
        tx.commit().await?;
        let Some(buyer) = buyer_of(buyers, &entry) else {
            return Ok(None);
        };
        self.reconcile_one(buyer, entry, settings).await.map(Some)
    }

    /// A person settled an order that needed one: clears the mark, with an event `handled` saying who and
    /// why (the state is left as it is: only a read or the vendor's answer sets it). The state after.
    pub async fn mark_handled(
        &self,
        entry_id: i64,
        who: &str,
        note: &str,
    ) -> Result<OrderState, LedgerError> {
        let mut tx = self.store().begin().await?;
        let current = entries::by_id(&mut *tx, entry_id, self.lock()).await?;
        let facts = entries::Facts::default().with_detail(format!("handled by {who}: {note}"));
        let after =
            entries::record(&mut *tx, &current, Source::Person, Input::Handled, facts).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn reconcile_one(
        &self,
        buyer: &Buyer,
        entry: OrderEntry,
        settings: &ReadSettings,
    ) -> Result<Settled, LedgerError> {
        let order_id = match entry.order_id.clone() {
            Some(id) => id,
            None => match self.order_id_by_external(buyer, &entry, settings).await? {
                Ok(id) => id,
                Err(settled) => return Ok(settled),
            },
        };
        if !buyer.support(sourcing_buy::Step::OrderStatus).is_enabled() {
            let why = format!(
                "{} publishes no order read: check order {order_id} by hand",
                buyer.flow()
            );
            return self.apply(entry, Read::NoRead, Facts::why(why)).await;
        }
        let info = match buyer.order(&OrderId::new(order_id.as_str())).await {
            Ok(info) => info,
            Err(e) => return self.read_failed(entry, &order_id, e, settings).await,
        };
        let raw = serde_json::to_string(&info.raw().to_json()).unwrap_or_default();
        let Some((observed, text)) = observe(&info, settings) else {
            let why =
                format!("the read of order {order_id} shows no state a vendor document names");
            let facts = Facts::why(why.clone()).with_detail(format!("{why}; read: {raw}"));
            return self.apply(entry, Read::NoState, facts).await;
        };
        let read = Read::Shows(observed);
        if let machine::Transition::NeedsPerson =
            machine::transition(entry.state, entry.confirmed, Input::Read(read))
        {
            let why = format!(
                "the read shows {text} ({observed}) but the ledger has {} confirmed",
                entry.state
            );
            let facts = Facts::why(why.clone()).with_detail(format!("{why}; read: {raw}"));
            return self.apply(entry, read, facts).await;
        }
        let mut facts = Facts::detail(raw);
        facts.why = Some(format!("read shows {text}"));
        self.apply(entry, read, facts).await
    }

    /// The order id of a create that answered none: read by the caller's own order number where that
    /// read exists (recording the id on the entry, or merging into the entry that has it), else marked
    /// for a person. `Err`: what reconcile did instead of reading.
    async fn order_id_by_external(
        &self,
        buyer: &Buyer,
        entry: &OrderEntry,
        settings: &ReadSettings,
    ) -> Result<Result<String, Settled>, LedgerError> {
        let (Some(external), Some(by_external)) =
            (entry.external_order_id.as_deref(), &settings.by_external_id)
        else {
            let why = match &entry.external_order_id {
                Some(ext) => format!(
                    "the create answered no order id and {} publishes no read by your order number: look for your order number {ext} at the vendor",
                    buyer.flow()
                ),
                None => format!(
                    "the create answered no order id and carried no order number of yours: look for ledger entry #{} at the vendor",
                    entry.entry_id
                ),
            };
            return Ok(Err(self
                .apply(entry.clone(), Read::NoOrderId, Facts::why(why))
                .await?));
        };
        match by_external
            .order_id(buyer, &ExternalOrderId::new(external))
            .await
        {
            Ok(Some(order_id)) => Ok(self
                .learn_order_id(entry, order_id.as_str())
                .await?
                .map(|()| order_id.into_string())),
            Ok(None) => {
                let why = format!("the vendor has no order with your order number {external}");
                Ok(Err(self
                    .apply(entry.clone(), Read::NotFound, Facts::why(why))
                    .await?))
            }
            Err(e) => Ok(Err(self
                .read_failed(entry.clone(), external, e, settings)
                .await?)),
        }
    }

    /// Records the order id a read by external id found: on this entry, or — when another entry already
    /// has that order (a payment or callback came first) — this entry merges into it.
    async fn learn_order_id(
        &self,
        entry: &OrderEntry,
        order_id: &str,
    ) -> Result<Result<(), Settled>, LedgerError> {
        let provider = entry.provider.as_str();
        let mut tx = self.store().begin().await?;
        let current = entries::by_id(&mut *tx, entry.entry_id, self.lock()).await?;
        if let Some(other) = entries::find(&mut *tx, provider, order_id, self.lock()).await? {
            let note = format!(
                "order {order_id} continues in ledger entry {}",
                other.entry_id
            );
            let mut facts = Facts::detail(format!("read by your order number: {order_id}"));
            facts.external_order_id = current.external_order_id.as_deref();
            facts.amount = current.amount.clone();
            entries::record(&mut *tx, &other, Source::Reconcile, Input::Joined, facts).await?;
            let after = entries::record(
                &mut *tx,
                &current,
                Source::Reconcile,
                Input::Merged,
                Facts::detail(note.clone()),
            )
            .await?;
            tx.commit().await?;
            return Ok(Err(settled(&current, after, None, note)));
        }
        tx.execute(
            "UPDATE ledger_orders SET order_id = $1 WHERE entry_id = $2",
            &[order_id.into(), Value::Int(entry.entry_id)],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// A failed read: recorded, and marked for a person when it cannot succeed (undecodable) or failed
    /// `max_read_failures` times in a row.
    async fn read_failed(
        &self,
        entry: OrderEntry,
        what: &str,
        error: sourcing_buy::Error,
        settings: &ReadSettings,
    ) -> Result<Settled, LedgerError> {
        let tries = self.failed_reads(entry.entry_id).await? + 1;
        let (read, why) = if undecodable(&error) {
            let why = format!("the read of order {what} cannot be decoded: {error}");
            (Read::Undecodable, why)
        } else if tries >= settings.max_read_failures {
            let why = format!("the read of order {what} failed {tries} times in a row: {error}");
            (Read::FailedTooOften, why)
        } else {
            (
                Read::Failed,
                format!(
                    "read failed ({tries} of {}): {error}",
                    settings.max_read_failures
                ),
            )
        };
        let mut facts = Facts::why(why);
        facts.detail = Some(error.to_string());
        self.apply(entry, read, facts).await
    }

    /// Records what a read showed unless the entry changed since it was listed (another process acted
    /// on it).
    pub(crate) async fn apply(
        &self,
        entry: OrderEntry,
        read: Read,
        facts: Facts<'_>,
    ) -> Result<Settled, LedgerError> {
        let mut tx = self.store().begin().await?;
        let current = entries::by_id(&mut *tx, entry.entry_id, self.lock()).await?;
        if current.updated_at_ms != entry.updated_at_ms || current.state != entry.state {
            return Ok(settled(
                &current,
                current.state,
                current.needs_person.clone(),
                "changed while being read: left for the next reconcile".into(),
            ));
        }
        let note = facts.why.clone().unwrap_or_default();
        let after = entries::record(
            &mut *tx,
            &current,
            Source::Reconcile,
            Input::Read(read),
            facts,
        )
        .await?;
        let marked = entries::by_id(&mut *tx, entry.entry_id, "")
            .await?
            .needs_person;
        tx.commit().await?;
        Ok(settled(&entry, after, marked, note))
    }
}

fn requested_kind(step: Step) -> String {
    match machine::transition(OrderState::Created, true, Input::Requested(step)) {
        machine::Transition::Record { kind, .. } => kind.name().to_string(),
        _ => String::new(),
    }
}

/// A read whose answer cannot be decoded fails the same way next time.
fn undecodable(error: &sourcing_buy::Error) -> bool {
    match error {
        sourcing_buy::Error::Money(_) => true,
        sourcing_buy::Error::Vendor(e) => matches!(e, sourcing_runtime::Error::Decode { .. }),
        _ => false,
    }
}

fn settled(
    entry: &OrderEntry,
    after: OrderState,
    needs_person: Option<String>,
    note: String,
) -> Settled {
    Settled {
        entry_id: entry.entry_id,
        provider: entry.provider.clone(),
        order_id: entry.order_id.clone(),
        before: entry.state,
        after,
        needs_person,
        note,
    }
}

/// The state an order read shows: the configured raw field when set (an override), else the facade's
/// order-level state, else the one state all lines agree on. `None` where none of them is a value a
/// vendor document names.
fn observe(info: &OrderInfo, settings: &ReadSettings) -> Option<(OrderState, String)> {
    let named =
        |s: &OrderStatus| machine::state_of_status(s.kind).map(|state| (state, s.raw.clone()));
    if let Some(pointer) = settings.state_pointer.as_deref() {
        let raw = info.raw().to_json();
        let text = raw.pointer(pointer).and_then(|v| v.as_str());
        if let Some(found) = text.and_then(|t| named(&OrderStatus::from_vendor(t))) {
            return Some(found);
        }
    }
    if let Some(found) = info.status.as_ref().and_then(named) {
        return Some(found);
    }
    let lines: Vec<_> = info
        .items
        .iter()
        .filter_map(|i| i.status.as_ref())
        .collect();
    let first = lines.first()?;
    if lines.len() == info.items.len() && lines.iter().all(|s| s.kind == first.kind) {
        return named(first);
    }
    None
}
