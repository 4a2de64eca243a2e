//! The ledger as `sourcing-buy`'s [`Journal`]: the intent of every order step is committed before the
//! step is sent, its answer after.
//!
//! Before sending, the ledger refuses (so nothing is sent) a step on an order whose earlier step's outcome
//! is unknown (`reconcile` first), and a payment of an order it knows as paid, received or cancelled.

use crate::Ledger;
use crate::entries::{self, Amount, Change, NewEntry, OrderEntry, Source};
use crate::error::LedgerError;
use crate::state::OrderState;
use crate::store::{Transaction, Value};
use sourcing_buy::journal::{Answer, Intent, JournalError, JournalFuture, Outcome, Ticket};
use sourcing_buy::{Journal, PaymentOutcome, Provider};

impl Journal for Ledger {
    fn before<'a>(
        &'a self,
        provider: Provider,
        intent: &'a Intent<'a>,
    ) -> JournalFuture<'a, Result<Ticket, JournalError>> {
        Box::pin(async move {
            self.record_intent(provider, intent)
                .await
                .map_err(|e| JournalError {
                    message: e.to_string(),
                })
        })
    }

    fn after<'a>(
        &'a self,
        provider: Provider,
        ticket: Ticket,
        intent: &'a Intent<'a>,
        outcome: Outcome<'a>,
    ) -> JournalFuture<'a, ()> {
        Box::pin(async move {
            if matches!(intent, Intent::Pay { .. } | Intent::PayBatch { .. }) {
                // The crash tests kill the process here: sent, answer not recorded.
                sourcing_runtime::fault::pause_if("after-pay-sent", || provider.to_string()).await;
            }
            if let Err(e) = self.record_outcome(provider, ticket, intent, outcome).await {
                // The step stays as `before` left it (outcome unknown): reconcile settles it.
                tracing::error!(error = %e, %provider, "the ledger could not record a step's answer; it stays unknown");
            }
        })
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl Ledger {
    async fn record_intent(
        &self,
        provider: Provider,
        intent: &Intent<'_>,
    ) -> Result<Ticket, LedgerError> {
        let mut tx = self.store().begin().await?;
        let ticket = match intent {
            Intent::Preview { .. } => Ticket(0),
            Intent::CreateOrder { draft } => {
                let draft = json(draft);
                let entry = self.previewed(&mut *tx, provider, &draft).await?;
                let entry = match entry {
                    Some(e) => e,
                    None => {
                        let external = intent_external_id(intent);
                        let new = NewEntry {
                            provider,
                            order_id: None,
                            state: OrderState::CreateUnknown,
                            confirmed: true,
                            origin: Source::Buy,
                            draft: Some(draft.clone()),
                            external_order_id: external,
                        };
                        entries::insert(&mut *tx, new).await?
                    }
                };
                let change = Change::event("create_requested", Source::Buy)
                    .to(OrderState::CreateUnknown, true)
                    .detail(draft);
                entries::apply(&mut *tx, &entry, change).await?;
                Ticket(entry.entry_id)
            }
            Intent::Pay { order_id } => {
                self.order_step(&mut *tx, provider, order_id, intent)
                    .await?
            }
            Intent::PayBatch { order_ids } => {
                for id in order_ids.iter() {
                    self.order_step(&mut *tx, provider, id, intent).await?;
                }
                Ticket(0)
            }
            Intent::Cancel { order_id, .. } | Intent::ConfirmReceipt { order_id, .. } => {
                self.order_step(&mut *tx, provider, order_id, intent)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(ticket)
    }

    /// A previewed entry of the same draft with no order yet (a create continues its preview's entry).
    async fn previewed(
        &self,
        tx: &mut dyn Transaction,
        provider: Provider,
        draft: &str,
    ) -> Result<Option<OrderEntry>, LedgerError> {
        let rows = tx
            .query(
                &format!(
                    "SELECT {} FROM ledger_orders WHERE provider = $1 AND state = $2 AND draft = $3 \
                     AND order_id IS NULL ORDER BY entry_id DESC LIMIT 1{}",
                    entries::ENTRY_COLUMNS,
                    self.lock()
                ),
                &[
                    provider.name().into(),
                    OrderState::Previewed.name().into(),
                    draft.into(),
                ],
            )
            .await?;
        rows.first().map(entries::entry_from_row).transpose()
    }

    /// Records the intent of a step on an existing order (pay, cancel, receipt), creating its entry if the
    /// ledger has not seen the order.
    async fn order_step(
        &self,
        tx: &mut dyn Transaction,
        provider: Provider,
        order_id: &str,
        intent: &Intent<'_>,
    ) -> Result<Ticket, LedgerError> {
        let entry = match entries::find(tx, provider, order_id, self.lock()).await? {
            Some(e) => e,
            None => {
                let new = NewEntry {
                    provider,
                    order_id: Some(order_id),
                    state: OrderState::Created,
                    confirmed: false,
                    origin: Source::Buy,
                    draft: None,
                    external_order_id: None,
                };
                entries::insert(tx, new).await?
            }
        };
        let (kind, unknown) = match intent {
            Intent::Pay { .. } | Intent::PayBatch { .. } => {
                ("pay_requested", OrderState::PayUnknown)
            }
            Intent::Cancel { .. } => ("cancel_requested", OrderState::CancelUnknown),
            _ => ("receipt_requested", OrderState::ReceiptUnknown),
        };
        refuse_unsafe(&entry, order_id, unknown)?;
        let change = Change::event(kind, Source::Buy)
            .to(unknown, entry.confirmed)
            .detail(json(intent));
        entries::apply(tx, &entry, change).await?;
        Ok(Ticket(entry.entry_id))
    }

    async fn record_outcome(
        &self,
        provider: Provider,
        ticket: Ticket,
        intent: &Intent<'_>,
        outcome: Outcome<'_>,
    ) -> Result<(), LedgerError> {
        let mut tx = self.store().begin().await?;
        match intent {
            Intent::Preview { draft } => {
                if let Outcome::Answered(Answer::Preview(p)) = outcome {
                    self.record_preview(&mut *tx, provider, draft, p).await?;
                }
            }
            Intent::CreateOrder { .. } => {
                let entry = entries::by_id(&mut *tx, ticket.0, self.lock()).await?;
                self.record_created(&mut *tx, provider, entry, outcome)
                    .await?;
            }
            Intent::PayBatch { order_ids } => {
                for id in order_ids.iter() {
                    let change = batch_change(id, &outcome);
                    self.settle_step(&mut *tx, provider, id, change).await?;
                }
            }
            Intent::Pay { order_id }
            | Intent::Cancel { order_id, .. }
            | Intent::ConfirmReceipt { order_id, .. } => {
                let change = step_change(intent, &outcome);
                self.settle_step(&mut *tx, provider, order_id, change)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_preview(
        &self,
        tx: &mut dyn Transaction,
        provider: Provider,
        draft: &sourcing_buy::OrderDraft,
        preview: &sourcing_buy::Preview,
    ) -> Result<(), LedgerError> {
        let text = json(draft);
        let entry = match self.previewed(tx, provider, &text).await? {
            Some(e) => e,
            None => {
                let new = NewEntry {
                    provider,
                    order_id: None,
                    state: OrderState::Previewed,
                    confirmed: true,
                    origin: Source::Buy,
                    draft: Some(text),
                    external_order_id: draft.external_order_id.as_deref(),
                };
                entries::insert(tx, new).await?
            }
        };
        let mut change = Change::event("previewed", Source::Buy)
            .to(OrderState::Previewed, true)
            .detail(json(&preview.raw().to_json()));
        // One resulting order: its total is the order's amount (several: see the raw answer).
        if let [only] = preview.orders.as_slice() {
            change.amount = only.total.as_ref().map(Amount::from);
        }
        entries::apply(tx, &entry, change).await?;
        Ok(())
    }

    async fn record_created(
        &self,
        tx: &mut dyn Transaction,
        provider: Provider,
        entry: OrderEntry,
        outcome: Outcome<'_>,
    ) -> Result<(), LedgerError> {
        let created = match outcome {
            Outcome::Answered(Answer::Created(c)) => c,
            other => {
                let change = failure_change(
                    "create",
                    &other,
                    OrderState::CreateFailed,
                    OrderState::CreateUnknown,
                );
                entries::apply(tx, &entry, change).await?;
                return Ok(());
            }
        };
        let raw = json(&created.raw().to_json());
        let amount = created.total.as_ref().map(Amount::from);
        let Some(order_id) = created.order_id.as_deref() else {
            // No id in a documented field (PandaPon publishes no create response): see the raw answer.
            let mut change = Change::event("created", Source::Buy)
                .to(OrderState::Created, true)
                .detail(raw);
            change.amount = amount;
            entries::apply(tx, &entry, change).await?;
            return Ok(());
        };
        if let Some(earlier) = entries::find(tx, provider, order_id, self.lock()).await? {
            // A callback recorded the order first: the history continues on its entry.
            let mut change = Change::event("created", Source::Buy)
                .to(
                    OrderState::Created.max_by_rank(earlier.state),
                    earlier.confirmed,
                )
                .detail(raw);
            change.amount = amount;
            entries::apply(tx, &earlier, change).await?;
            let note = format!(
                "order {order_id} continues in ledger entry {}",
                earlier.entry_id
            );
            let change = Change::event("merged", Source::Buy)
                .to(OrderState::Merged, true)
                .detail(note);
            entries::apply(tx, &entry, change).await?;
            return Ok(());
        }
        let mut change = Change::event("created", Source::Buy)
            .to(OrderState::Created, true)
            .detail(raw);
        change.order_id = Some(order_id);
        change.amount = amount;
        entries::apply(tx, &entry, change).await?;
        Ok(())
    }

    async fn settle_step(
        &self,
        tx: &mut dyn Transaction,
        provider: Provider,
        order_id: &str,
        change: StepChange,
    ) -> Result<(), LedgerError> {
        let Some(entry) = entries::find(tx, provider, order_id, self.lock()).await? else {
            return Err(LedgerError::UnknownOrder {
                order_id: order_id.into(),
            });
        };
        let state = match change.state {
            Some(s) => s,
            None => previous_state(tx, entry.entry_id).await?,
        };
        let change = Change::event(change.kind, Source::Buy)
            .to(state, true)
            .detail(change.detail);
        entries::apply(tx, &entry, change).await?;
        Ok(())
    }
}

/// The step's `intent`'s external order id (Dajisaas `thirdOrderId`), kept to find the order by hand.
fn intent_external_id<'a>(intent: &Intent<'a>) -> Option<&'a str> {
    match intent {
        Intent::CreateOrder { draft } => draft.external_order_id.as_deref(),
        _ => None,
    }
}

/// Refuses a step the ledger knows to be unsafe: any step while another's outcome is unknown, paying an
/// order that is paid, received or cancelled.
fn refuse_unsafe(entry: &OrderEntry, order_id: &str, step: OrderState) -> Result<(), LedgerError> {
    let why = if entry.state.is_unknown() {
        format!(
            "the outcome of an earlier step on order {order_id} is unknown ({}): run `sourcing ledger reconcile` first",
            entry.state
        )
    } else if step == OrderState::PayUnknown && entry.state.rank() >= OrderState::Paid.rank() {
        let how = if entry.confirmed { "is" } else { "is reported" };
        format!(
            "order {order_id} {how} {} already: not paying it again",
            entry.state
        )
    } else {
        return Ok(());
    };
    Err(LedgerError::Refused { message: why })
}

/// How one order's step ended: the event, and the state (`None`: the state before the step).
struct StepChange {
    kind: &'static str,
    state: Option<OrderState>,
    detail: String,
}

fn step_change(intent: &Intent<'_>, outcome: &Outcome<'_>) -> StepChange {
    let (step, done, unknown, failed) = match intent {
        Intent::Pay { .. } => (
            "pay",
            OrderState::Paid,
            OrderState::PayUnknown,
            Some(OrderState::PayFailed),
        ),
        Intent::Cancel { .. } => (
            "cancel",
            OrderState::Cancelled,
            OrderState::CancelUnknown,
            None,
        ),
        _ => (
            "receipt",
            OrderState::Received,
            OrderState::ReceiptUnknown,
            None,
        ),
    };
    match outcome {
        Outcome::Answered(answer) => answered(answer, step, done, unknown),
        other => {
            let c = failure_change(step, other, failed.unwrap_or(unknown), unknown);
            // A refused cancel or receipt leaves the order as it was.
            let state = match other {
                Outcome::Refused(_) if failed.is_none() => None,
                Outcome::NotSent(_) => None,
                _ => c.state,
            };
            StepChange {
                kind: c.kind,
                state,
                detail: c.detail.unwrap_or_default(),
            }
        }
    }
}

fn answered(
    answer: &Answer<'_>,
    step: &'static str,
    done: OrderState,
    unknown: OrderState,
) -> StepChange {
    let (kind, state, detail) = match answer {
        Answer::Paid(p) => match &p.outcome {
            PaymentOutcome::Paid => ("paid", Some(done), json(&p.raw().to_json())),
            PaymentOutcome::PayByHand { .. } => (
                "pay_failed",
                Some(OrderState::PayFailed),
                json(&p.raw().to_json()),
            ),
            // The call went through but the vendor publishes no result: a read tells.
            PaymentOutcome::Accepted => ("pay_accepted", Some(unknown), json(&p.raw().to_json())),
        },
        Answer::Cancelled(c) => action("cancelled", c.success, done, json(&c.raw().to_json())),
        Answer::Received(r) => action("received", r.success, done, json(&r.raw().to_json())),
        _ => (step, Some(unknown), String::new()),
    };
    StepChange {
        kind,
        state,
        detail,
    }
}

/// An action answered with a success flag: `false` leaves the order as it was.
fn action(
    kind: &'static str,
    success: Option<bool>,
    done: OrderState,
    detail: String,
) -> (&'static str, Option<OrderState>, String) {
    match success {
        Some(false) => ("refused", None, detail),
        _ => (kind, Some(done), detail),
    }
}

/// The event of a create/step that did not answer: refused, unknown or not sent.
fn failure_change<'a>(
    step: &str,
    outcome: &Outcome<'_>,
    failed: OrderState,
    unknown: OrderState,
) -> Change<'a> {
    let (kind, state, error) = match outcome {
        Outcome::Refused(e) => (refused_kind(step), failed, e.to_string()),
        Outcome::NotSent(e) => ("not_sent", failed, e.to_string()),
        Outcome::Unknown(e) => (unknown_kind(step), unknown, e.to_string()),
        Outcome::Answered(_) => (unknown_kind(step), unknown, String::new()),
    };
    Change::event(kind, Source::Buy)
        .to(state, true)
        .detail(error)
}

fn refused_kind(step: &str) -> &'static str {
    match step {
        "create" => "create_failed",
        "pay" => "pay_failed",
        "cancel" => "cancel_refused",
        _ => "receipt_refused",
    }
}

fn unknown_kind(step: &str) -> &'static str {
    match step {
        "create" => "create_unknown",
        "pay" => "pay_unknown",
        "cancel" => "cancel_unknown",
        _ => "receipt_unknown",
    }
}

/// One order of a batch payment.
fn batch_change(order_id: &str, outcome: &Outcome<'_>) -> StepChange {
    let listed = |ids: &[String]| ids.iter().any(|i| i == order_id);
    match outcome {
        Outcome::Answered(Answer::BatchPaid(b)) if listed(&b.paid) => StepChange {
            kind: "paid",
            state: Some(OrderState::Paid),
            detail: json(&b.raw().to_json()),
        },
        Outcome::Refused(e) if e.partial_failure().is_some() => {
            let p = e.partial_failure().expect("checked");
            if listed(&p.succeeded) && !p.conflicting.iter().any(|f| f.id == order_id) {
                StepChange {
                    kind: "paid",
                    state: Some(OrderState::Paid),
                    detail: json(&p.data),
                }
            } else if let Some(f) = p.failed.iter().find(|f| f.id == order_id) {
                StepChange {
                    kind: "pay_failed",
                    state: Some(OrderState::PayFailed),
                    detail: f.reason.clone().unwrap_or_default(),
                }
            } else {
                StepChange {
                    kind: "pay_unknown",
                    state: Some(OrderState::PayUnknown),
                    detail: format!("the batch answer does not settle this order: {e}"),
                }
            }
        }
        Outcome::Answered(_) => StepChange {
            kind: "pay_unknown",
            state: Some(OrderState::PayUnknown),
            detail: "the batch answer does not list this order".into(),
        },
        other => step_change(&Intent::Pay { order_id }, other),
    }
}

/// The state an entry had before its last event (what a refused cancel returns to).
async fn previous_state(
    tx: &mut dyn Transaction,
    entry_id: i64,
) -> Result<OrderState, LedgerError> {
    let rows = tx
        .query(
            "SELECT state_after FROM ledger_events WHERE entry_id = $1 ORDER BY event_id DESC LIMIT 1 OFFSET 1",
            &[Value::Int(entry_id)],
        )
        .await?;
    let name = match rows.first() {
        Some(r) => r.text(0)?,
        None => return Ok(OrderState::Created),
    };
    OrderState::from_name(&name).ok_or(LedgerError::Corrupt {
        entry: entry_id,
        what: "event state",
        value: name,
    })
}
