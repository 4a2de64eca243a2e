//! Reconciliation: settle `*_unknown` steps and confirm callback-reported states by **reading** the order
//! (`Buyer::order`: PandaPon and Dajisaas order detail). Nothing is ever sent but reads: an unknown
//! payment is settled from what the vendor shows, never by paying again. What cannot be read (Xportcn
//! publishes no order read; a create whose answer never came has no order id) or whose read shows no state
//! a vendor document names is marked as needing a person.

use crate::Ledger;
use crate::entries::{self, Change, OrderEntry, Source};
use crate::error::LedgerError;
use crate::state::OrderState;
use sourcing_buy::{Buyer, OrderInfo, OrderStatus, Provider, Step};

/// Where a state is read from an order read.
#[derive(Clone, Debug, Default)]
pub struct ReadSettings {
    /// A JSON pointer into the raw read answer (`/status`) holding the order state, used when the
    /// facade normalises none. No vendor publishes one in its order-read response, so the default is none;
    /// the sandbox documents its own answer as `{"orderId", "status", "sandbox"}` (`/status`).
    pub state_pointer: Option<String>,
}

/// What reconcile did to one order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Settled {
    pub entry_id: i64,
    pub provider: String,
    pub order_id: Option<String>,
    pub before: OrderState,
    pub after: OrderState,
    /// Set when a person must look at the order.
    pub needs_person: Option<String>,
    pub note: String,
}

impl Ledger {
    /// Reads every order whose state is unknown or only reported, through the buyer of its provider in
    /// `buyers`, and records what the read shows. Orders of a provider without a buyer here are left
    /// as they are.
    pub async fn reconcile(
        &self,
        buyers: &[Buyer],
        settings: &ReadSettings,
    ) -> Result<Vec<Settled>, LedgerError> {
        let mut candidates = self.list(crate::Filter::Unknown).await?;
        for reported in self.list(crate::Filter::Reported).await? {
            if !candidates.iter().any(|c| c.entry_id == reported.entry_id) {
                candidates.push(reported);
            }
        }
        candidates.retain(|e| e.state != OrderState::Merged);
        candidates.sort_by_key(|e| e.entry_id);
        let mut out = Vec::new();
        for entry in candidates {
            let Some(provider) = Provider::from_name(&entry.provider) else {
                continue;
            };
            let Some(buyer) = buyers.iter().find(|b| b.provider() == provider) else {
                continue;
            };
            out.push(self.reconcile_one(buyer, entry, settings).await?);
        }
        Ok(out)
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
        let provider = Provider::from_name(&entry.provider);
        let Some(buyer) = buyers.iter().find(|b| Some(b.provider()) == provider) else {
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
        let mut change =
            Change::event("handled", Source::Person).detail(format!("handled by {who}: {note}"));
        change.needs_person = Some(None);
        let after = entries::apply(&mut *tx, &current, change).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn reconcile_one(
        &self,
        buyer: &Buyer,
        entry: OrderEntry,
        settings: &ReadSettings,
    ) -> Result<Settled, LedgerError> {
        let Some(order_id) = entry.order_id.clone() else {
            let why = match &entry.external_order_id {
                Some(ext) => format!("the create's answer never came and no order id is known: look for your order number {ext} at the vendor"),
                None => "the create's answer never came and no order id is known: look for the order at the vendor".into(),
            };
            return self.needs_person(entry, why, None).await;
        };
        if !buyer.support(Step::OrderStatus).is_enabled() {
            let why = format!(
                "{} publishes no order read: check order {order_id} by hand",
                buyer.provider()
            );
            return self.needs_person(entry, why, None).await;
        }
        let info = match buyer.order(&order_id).await {
            Ok(info) => info,
            Err(e) => {
                // Reads are safe to repeat: the order stays as it was, for the next reconcile.
                let change = Change::event("read_failed", Source::Reconcile).detail(e.to_string());
                return self
                    .record(entry, change, None, format!("read failed: {e}"))
                    .await;
            }
        };
        let raw = serde_json::to_string(&info.raw().to_json()).unwrap_or_default();
        let Some((observed, text)) = observe(&info, settings) else {
            let why =
                format!("the read of order {order_id} shows no state a vendor document names");
            return self.needs_person(entry, why, Some(raw)).await;
        };
        if entry.confirmed && !entry.state.is_unknown() && observed.rank() < entry.state.rank() {
            let why = format!(
                "the read shows {text} ({observed}) but the ledger has {} confirmed",
                entry.state
            );
            return self.needs_person(entry, why, Some(raw)).await;
        }
        let kind = if observed == entry.state {
            "confirmed"
        } else {
            "reconciled"
        };
        let mut change = Change::event(kind, Source::Reconcile)
            .to(observed, true)
            .detail(raw);
        change.needs_person = Some(None);
        let note = format!("read shows {text}");
        self.record(entry, change, None, note).await
    }

    async fn needs_person(
        &self,
        entry: OrderEntry,
        why: String,
        raw: Option<String>,
    ) -> Result<Settled, LedgerError> {
        if entry.needs_person.as_deref() == Some(why.as_str()) {
            // Already marked for the same reason: no second event.
            return Ok(settled(&entry, entry.state, Some(why.clone()), why));
        }
        let mut change = Change::event("needs_person", Source::Reconcile)
            .detail(raw.map_or(why.clone(), |r| format!("{why}; read: {r}")));
        change.needs_person = Some(Some(why.clone()));
        self.record(entry, change, Some(why.clone()), why).await
    }

    /// Applies `change` unless the entry changed since it was listed (another process acted on it).
    async fn record(
        &self,
        entry: OrderEntry,
        change: Change<'_>,
        needs_person: Option<String>,
        note: String,
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
        let after = entries::apply(&mut *tx, &current, change).await?;
        tx.commit().await?;
        Ok(settled(&entry, after, needs_person, note))
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

/// The state an order read shows: the order-level state, else the one state all lines agree on, else the
/// configured raw field. `None` where none of them is a value a vendor document names.
fn observe(info: &OrderInfo, settings: &ReadSettings) -> Option<(OrderState, String)> {
    let named = |s: &OrderStatus| OrderState::from_status(s).map(|state| (state, s.raw.clone()));
    if let Some(found) = info.status.as_ref().and_then(named) {
        return Some(found);
    }
    let lines: Vec<_> = info
        .items
        .iter()
        .filter_map(|i| i.status.as_ref())
        .collect();
    if let Some(first) = lines.first()
        && lines.len() == info.items.len()
        && lines.iter().all(|s| s.kind == first.kind)
        && let Some(found) = named(first)
    {
        return Some(found);
    }
    let pointer = settings.state_pointer.as_deref()?;
    let raw = info.raw().to_json();
    let text = raw.pointer(pointer)?.as_str()?;
    named(&OrderStatus::from_vendor(text))
}
