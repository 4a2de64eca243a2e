//! A record of what a [`crate::Buyer`] does to orders: the extension point a durable ledger plugs into
//! (`sourcing-ledger` implements it; `Buyer::with_journal`).
//!
//! For every order step (preview, create, pay, batch pay, cancel, receipt) the buyer — and the CLI's raw
//! order-step commands ([`Intent::CreateRaw`], [`Answer::Raw`]) — calls
//! [`Journal::before`] **before anything is sent** and [`Journal::after`] with what came back. If `before`
//! fails, the step is not sent and the caller gets [`crate::Error::Journal`]: an intent that could not be
//! recorded is never acted on. `after` cannot fail the step (the vendor has already acted); a journal that
//! cannot write the answer leaves its record of the step as it was after `before` — outcome unknown —
//! which is the truth as far as it knows, and what reconciliation is for.

use crate::{
    BatchPayment, Cancelled, CreatedOrder, Error, Flow, OrderDraft, OrderId, Payment, Preview,
    ReceiptConfirmed, SubOrderId,
};
use std::future::Future;
use std::pin::Pin;

/// A boxed future (the trait is object-safe: a `Buyer` holds `Arc<dyn Journal>`).
pub type JournalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An order step about to be sent.
/// Exhaustive on purpose: a journal must record every step that moves money or orders, so a new step is
/// a compile error in every journal, not a step silently left unrecorded.
#[derive(Clone, Copy, Debug, serde::Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Intent<'a> {
    /// [`crate::Buyer::preview`].
    Preview {
        /// What is previewed.
        draft: &'a OrderDraft,
    },
    /// [`crate::Buyer::create_order`].
    CreateOrder {
        /// What is ordered.
        draft: &'a OrderDraft,
    },
    /// An order created by a raw vendor request (`sourcing <provider> order-create`), not through a
    /// draft: `request` is the vendor's own body, recorded as sent.
    CreateRaw {
        /// The vendor's body.
        request: &'a serde_json::Value,
    },
    /// [`crate::Buyer::pay`].
    Pay {
        /// The order paid.
        order_id: &'a OrderId,
    },
    /// [`crate::Buyer::pay_batch`].
    PayBatch {
        /// The orders paid.
        order_ids: &'a [OrderId],
    },
    /// [`crate::Buyer::cancel`].
    Cancel {
        /// The order cancelled.
        order_id: &'a OrderId,
        /// The reason sent.
        reason: &'a str,
    },
    /// [`crate::Buyer::confirm_receipt`].
    ConfirmReceipt {
        /// The order.
        order_id: &'a OrderId,
        /// Its sub-orders whose goods arrived.
        sub_order_ids: &'a [SubOrderId],
    },
}

/// The vendor's answer to a step that went through.
/// Exhaustive on purpose, as [`Intent`].
#[derive(Clone, Copy, Debug)]
pub enum Answer<'a> {
    /// A preview.
    Preview(&'a Preview),
    /// A created order.
    Created(&'a CreatedOrder),
    /// A payment of one order.
    Paid(&'a Payment),
    /// A batch payment where every order went through.
    BatchPaid(&'a BatchPayment),
    /// A cancellation.
    Cancelled(&'a Cancelled),
    /// A receipt confirmation.
    Received(&'a ReceiptConfirmed),
    /// The vendor's body, as a raw call (`sourcing <provider> <operation>`) returns it: answered, but not
    /// read by the facade, so it settles nothing (a journal records it and leaves the step's outcome
    /// unknown until an order read tells).
    Raw(&'a serde_json::Value),
}

/// How a step ended, as far as the caller can tell.
/// Exhaustive on purpose: these four are every way a step can end.
#[derive(Clone, Copy, Debug)]
pub enum Outcome<'a> {
    /// The vendor answered and the answer was read.
    Answered(Answer<'a>),
    /// The vendor answered "no" (a business error in its envelope): the step did not happen. A batch
    /// where some orders failed is here too ([`Error::partial_failure`] says which).
    Refused(&'a Error),
    /// The request may have reached the vendor but no readable answer came back (transport error,
    /// timeout, HTTP error without the vendor's envelope, an undecodable body): whether the step happened
    /// is unknown. Never retried: settle it by reading the order.
    Unknown(&'a Error),
    /// Refused before anything was sent (bad input, signing).
    NotSent(&'a Error),
}

impl<'a> Outcome<'a> {
    /// Sorts a failed step's error into refused / unknown / not sent.
    pub fn of_error(error: &'a Error) -> Outcome<'a> {
        if error.is_refused_before_sending() {
            return Outcome::NotSent(error);
        }
        match error {
            Error::Vendor(e) if e.api().is_some() || e.partial_failure().is_some() => {
                Outcome::Refused(error)
            }
            _ => Outcome::Unknown(error),
        }
    }
}

/// What a journal hands back from [`Journal::before`] to find its record again in [`Journal::after`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(pub i64);

/// Why a journal did not record an intent — so the step was not sent. The refusals a ledger makes to keep
/// money safe are variants of their own, with the order and its state as the journal knows it (`state`
/// is the journal's name for it, e.g. `pay_unknown`, `paid`), so a program can tell them apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The order is paid (or beyond) already: no second payment.
    #[error("refused: order {order_id} {} {state} already: not paying it again", if *confirmed { "is" } else { "is reported" })]
    AlreadyPaid {
        /// The order.
        order_id: OrderId,
        /// Its state in the journal.
        state: String,
        /// Whether the state was confirmed (our own answer or a read), not only reported by a callback.
        confirmed: bool,
    },
    /// An earlier step on the order was sent and its answer never came: nothing more is sent on the order
    /// until a read of the order settles it (`sourcing_ledger::Ledger::reconcile`, `sourcing ledger reconcile`).
    #[error(
        "refused: the outcome of an earlier step on order {order_id} is unknown ({state}): settle it by reading the order first (`sourcing ledger reconcile`)"
    )]
    OutcomeUnknown {
        /// The order.
        order_id: OrderId,
        /// Its state in the journal (`pay_unknown`, `create_unknown`, …).
        state: String,
    },
    /// The order is closed (cancelled, or merged into another entry): nothing is sent on it.
    #[error("refused: order {order_id} {} {state}: nothing is sent on a closed order", if *confirmed { "is" } else { "is reported" })]
    Closed {
        /// The order.
        order_id: OrderId,
        /// Its state in the journal.
        state: String,
        /// Whether the state was confirmed, not only reported by a callback.
        confirmed: bool,
    },
    /// The journal's store cannot take the record (database down, disk full, read-only): try again once
    /// it is back; nothing was sent.
    #[error("the order journal is unavailable, nothing was sent: {source}")]
    Unavailable {
        /// The store's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Any other reason the intent could not be recorded.
    #[error("the order journal could not record the step: {message}")]
    Other {
        /// What went wrong.
        message: String,
    },
}

impl JournalError {
    /// A refusal for any other reason (a journal's own, described by `message`).
    pub fn other(message: impl Into<String>) -> Self {
        JournalError::Other {
            message: message.into(),
        }
    }

    /// The store could not take the record.
    pub fn unavailable(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        JournalError::Unavailable {
            source: Box::new(source),
        }
    }

    /// Whether the journal refused to keep money safe (already paid, an unknown outcome, a closed order),
    /// rather than failed: sending again will be refused the same way until the order's state changes.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            JournalError::AlreadyPaid { .. }
                | JournalError::OutcomeUnknown { .. }
                | JournalError::Closed { .. }
        )
    }
}

/// Records order steps durably. See the module documentation for the contract.
pub trait Journal: Send + Sync + std::fmt::Debug {
    /// Records `intent` before it is sent. An error stops the step.
    fn before<'a>(
        &'a self,
        flow: Flow,
        intent: &'a Intent<'a>,
    ) -> JournalFuture<'a, Result<Ticket, JournalError>>;

    /// Records how the step ended. Must not panic; failures are the journal's to report.
    fn after<'a>(
        &'a self,
        flow: Flow,
        ticket: Ticket,
        intent: &'a Intent<'a>,
        outcome: Outcome<'a>,
    ) -> JournalFuture<'a, ()>;
}
