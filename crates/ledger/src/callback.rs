//! Recording what a vendor's callback reports about an order. Callbacks are unauthenticated, unordered and
//! redelivered: what they report is *reported* (unconfirmed) until a read confirms it, and they only move
//! an order forward (precedence in [`crate::state`]).

use crate::Ledger;
use crate::entries::{self, Facts, NewEntry, Source};
use crate::error::LedgerError;
use crate::machine::{self, Input};
use crate::state::OrderState;
use crate::store::Transaction;
use sourcing_buy::OrderStatus;

/// What one callback says about one order.
#[derive(Clone, Copy, Debug)]
pub struct CallbackReport<'a> {
    /// The provider's name (`xportcn`, or any callback format's [`sourcing_webhooks::CallbackFormat::name`]):
    /// the ledger keys orders by it, so a provider known only by its callbacks needs no purchase flow.
    pub provider: &'a str,
    /// The order id, exact text.
    pub order_id: &'a str,
    /// The order state the message carries, as the vendor wrote it (`WAITING_FOR_SENT`…), if any.
    pub status: Option<&'a str>,
    /// The message type (`ORDER_PAY_SUCCESS`…), kept in the history.
    pub message_type: &'a str,
    /// The raw callback body.
    pub body: &'a str,
}

/// What recording a callback did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackRecorded {
    /// The ledger entry of the order.
    pub entry_id: i64,
    /// The order's state after the callback.
    pub state: OrderState,
    /// The callback moved the order to the state it reports.
    pub moved: bool,
    /// The ledger had not seen the order: its entry was created, marked as known only from a callback.
    pub new_entry: bool,
}

impl Ledger {
    /// Records `report` in its own transaction.
    pub async fn record_callback(
        &self,
        report: &CallbackReport<'_>,
    ) -> Result<CallbackRecorded, LedgerError> {
        let mut tx = self.store().begin().await?;
        let recorded = self.record_callback_in(&mut *tx, report).await?;
        tx.commit().await?;
        Ok(recorded)
    }

    /// Records `report` inside the caller's transaction (e.g. together with marking an inbox message
    /// handled). Creates the order's entry if unseen (origin `callback`). Recording the same report twice
    /// adds a second event and changes nothing else. A report whose order id is empty is refused
    /// ([`LedgerError::EmptyOrderId`]): nothing is written.
    pub async fn record_callback_in(
        &self,
        tx: &mut dyn Transaction,
        report: &CallbackReport<'_>,
    ) -> Result<CallbackRecorded, LedgerError> {
        if report.order_id.trim().is_empty() {
            return Err(LedgerError::EmptyOrderId {
                provider: report.provider.into(),
                message_type: report.message_type.into(),
            });
        }
        let reported = report
            .status
            .and_then(|s| machine::state_of_status(OrderStatus::from_vendor(s).kind));
        let found = entries::find(tx, report.provider, report.order_id, self.lock()).await?;
        let new_entry = found.is_none();
        let (entry, input) = match found {
            Some(e) => (e, Input::Reported(reported)),
            None => {
                let new = NewEntry {
                    provider: report.provider,
                    order_id: Some(report.order_id),
                    state: OrderState::Created,
                    confirmed: false,
                    origin: Source::Callback,
                    draft: None,
                    external_order_id: None,
                    profile: None,
                };
                (
                    entries::insert(tx, new).await?,
                    Input::ReportedFirst(reported),
                )
            }
        };
        let detail = format!("{}: {}", report.message_type, report.body);
        let state =
            entries::record(tx, &entry, Source::Callback, input, Facts::detail(detail)).await?;
        Ok(CallbackRecorded {
            entry_id: entry.entry_id,
            state,
            moved: state != entry.state || (new_entry && reported.is_some()),
            new_entry,
        })
    }
}
