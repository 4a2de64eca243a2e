//! The ledger as `sourcing-buy`'s [`Journal`]: the intent of every order step is committed before the
//! step is sent, its answer after. Which state each records, and which steps are refused before sending
//! (any step while an earlier outcome is unknown, a second payment), is the transition table's
//! ([`crate::machine`]); this file only turns the buyer's intents and outcomes into its inputs.
//!
//! One order is one entry: a create continues its preview's entry, a payment, cancel or receipt of an
//! order id the ledger knows joins that order's entry, and a create whose id a callback recorded first
//! continues on the callback's entry (with the create's external id and amount).

use crate::Ledger;
use crate::entries::{self, Amount, Facts, NewEntry, OrderEntry, Source};
use crate::error::LedgerError;
use crate::machine::{self, Input, Step};
use crate::state::OrderState;
use crate::store::Transaction;
use sourcing_buy::journal::{Answer, Intent, JournalError, JournalFuture, Outcome, Ticket};
use sourcing_buy::{ExternalOrderId, Flow, Journal, OrderId, PaymentOutcome};

impl Journal for Ledger {
    fn before<'a>(
        &'a self,
        provider: Flow,
        intent: &'a Intent<'a>,
    ) -> JournalFuture<'a, Result<Ticket, JournalError>> {
        Box::pin(async move {
            self.record_intent(provider, intent)
                .await
                .map_err(journal_error)
        })
    }

    fn after<'a>(
        &'a self,
        provider: Flow,
        ticket: Ticket,
        intent: &'a Intent<'a>,
        outcome: Outcome<'a>,
    ) -> JournalFuture<'a, ()> {
        Box::pin(async move {
            if matches!(intent, Intent::Pay { .. } | Intent::PayBatch { .. }) {
                // The crash tests kill the process here: sent, answer not recorded.
                #[cfg(feature = "fault")]
                sourcing_runtime::fault::pause_if("after-pay-sent", || provider.to_string()).await;
            }
            if let Err(e) = self.record_outcome(provider, ticket, intent, outcome).await {
                // The step stays as `before` left it (outcome unknown): reconcile settles it.
                tracing::error!(error = %e, %provider, "the ledger could not record a step's answer; it stays unknown");
            }
        })
    }
}

/// The buyer's typed refusal for the ledger's: the money-safety refusals keep their order and state, a
/// store failure its source.
fn journal_error(e: LedgerError) -> JournalError {
    match e {
        LedgerError::AlreadyPaid {
            order_id,
            state,
            confirmed,
        } => JournalError::AlreadyPaid {
            order_id: OrderId::from(order_id),
            state: state.to_string(),
            confirmed,
        },
        LedgerError::OutcomeUnknown { order_id, state } => JournalError::OutcomeUnknown {
            order_id: OrderId::from(order_id),
            state: state.to_string(),
        },
        LedgerError::Closed {
            order_id,
            state,
            confirmed,
        } => JournalError::Closed {
            order_id: OrderId::from(order_id),
            state: state.to_string(),
            confirmed,
        },
        LedgerError::Store(e) => JournalError::unavailable(e),
        other => JournalError::other(other.to_string()),
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A batch's order ids, each once (a batch naming an order twice is one step on that order).
fn distinct(ids: &[OrderId]) -> impl Iterator<Item = &str> {
    ids.iter()
        .enumerate()
        .filter(move |(i, id)| !ids[..*i].contains(id))
        .map(|(_, id)| id.as_str())
}

/// The step an intent on an existing order stands for.
fn step_of(intent: &Intent<'_>) -> Step {
    match intent {
        Intent::Preview { .. } | Intent::CreateOrder { .. } | Intent::CreateRaw { .. } => {
            Step::Create
        }
        Intent::Pay { .. } | Intent::PayBatch { .. } => Step::Pay,
        Intent::Cancel { .. } => Step::Cancel,
        Intent::ConfirmReceipt { .. } => Step::Receipt,
    }
}

impl Ledger {
    pub(crate) async fn record_intent(
        &self,
        provider: Flow,
        intent: &Intent<'_>,
    ) -> Result<Ticket, LedgerError> {
        let mut tx = self.store().begin().await?;
        let ticket = match intent {
            Intent::Preview { .. } => Ticket(0),
            Intent::CreateOrder { draft } => {
                let entry = self.draft_entry(&mut *tx, provider, draft).await?;
                let facts = Facts::detail(json(draft));
                let input = Input::Requested(Step::Create);
                entries::record(&mut *tx, &entry, Source::Buy, input, facts).await?;
                Ticket(entry.entry_id)
            }
            Intent::CreateRaw { request } => {
                // A raw create has no draft to match a preview: always an entry of its own.
                let new = NewEntry {
                    provider: provider.name(),
                    order_id: None,
                    state: OrderState::Previewed,
                    confirmed: true,
                    origin: Source::Buy,
                    draft: Some(json(request)),
                    external_order_id: None,
                    profile: self.profile(),
                };
                let entry = entries::insert(&mut *tx, new).await?;
                let input = Input::Requested(Step::Create);
                let facts = Facts::detail(json(request));
                entries::record(&mut *tx, &entry, Source::Buy, input, facts).await?;
                Ticket(entry.entry_id)
            }
            Intent::PayBatch { order_ids } => {
                for id in distinct(order_ids) {
                    self.order_step(&mut *tx, provider, id, intent).await?;
                }
                Ticket(0)
            }
            Intent::Pay { order_id }
            | Intent::Cancel { order_id, .. }
            | Intent::ConfirmReceipt { order_id, .. } => {
                self.order_step(&mut *tx, provider, order_id.as_str(), intent)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(ticket)
    }

    /// The entry of a draft: its preview's (same draft, no order yet), else a new one keyed by the
    /// caller's external order id.
    async fn draft_entry(
        &self,
        tx: &mut dyn Transaction,
        provider: Flow,
        draft: &sourcing_buy::OrderDraft,
    ) -> Result<OrderEntry, LedgerError> {
        let text = json(draft);
        if let Some(entry) = self.previewed(tx, provider, &text).await? {
            return Ok(entry);
        }
        let new = NewEntry {
            provider: provider.name(),
            order_id: None,
            state: OrderState::Previewed,
            confirmed: true,
            origin: Source::Buy,
            draft: Some(text),
            external_order_id: draft
                .external_order_id
                .as_ref()
                .map(ExternalOrderId::as_str),
            profile: self.profile(),
        };
        entries::insert(tx, new).await
    }

    /// A previewed entry of the same draft with no order yet (a create continues its preview's entry).
    async fn previewed(
        &self,
        tx: &mut dyn Transaction,
        provider: Flow,
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

    /// Records the intent of a step on an existing order (pay, cancel, receipt): it joins the order's
    /// entry, or starts one if the ledger has not seen the order.
    async fn order_step(
        &self,
        tx: &mut dyn Transaction,
        provider: Flow,
        order_id: &str,
        intent: &Intent<'_>,
    ) -> Result<Ticket, LedgerError> {
        let entry = match entries::find(tx, provider.name(), order_id, self.lock()).await? {
            Some(e) => e,
            None => {
                let new = NewEntry {
                    provider: provider.name(),
                    order_id: Some(order_id),
                    state: OrderState::Created,
                    confirmed: false,
                    origin: Source::Buy,
                    draft: None,
                    external_order_id: None,
                    profile: self.profile(),
                };
                entries::insert(tx, new).await?
            }
        };
        let input = Input::Requested(step_of(intent));
        entries::record(tx, &entry, Source::Buy, input, Facts::detail(json(intent))).await?;
        entries::claim_profile(tx, &entry, self.profile()).await?;
        Ok(Ticket(entry.entry_id))
    }

    async fn record_outcome(
        &self,
        provider: Flow,
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
            Intent::CreateOrder { .. } | Intent::CreateRaw { .. } => {
                let entry = entries::by_id(&mut *tx, ticket.0, self.lock()).await?;
                self.record_created(&mut *tx, provider, entry, outcome)
                    .await?;
            }
            Intent::PayBatch { order_ids } => {
                for id in distinct(order_ids) {
                    let (answer, facts) = batch_answer(id, &outcome);
                    self.settle_step(&mut *tx, provider, id, Step::Pay, answer, facts)
                        .await?;
                }
            }
            Intent::Pay { order_id }
            | Intent::Cancel { order_id, .. }
            | Intent::ConfirmReceipt { order_id, .. } => {
                let (answer, detail) = answer_of(&outcome);
                let step = step_of(intent);
                let facts = Facts::detail(detail);
                self.settle_step(&mut *tx, provider, order_id.as_str(), step, answer, facts)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_preview(
        &self,
        tx: &mut dyn Transaction,
        provider: Flow,
        draft: &sourcing_buy::OrderDraft,
        preview: &sourcing_buy::Preview,
    ) -> Result<(), LedgerError> {
        let entry = self.draft_entry(tx, provider, draft).await?;
        let mut facts = Facts::detail(json(&preview.raw().to_json()));
        // One resulting order: its total is the order's amount (several: see the raw answer).
        if let [only] = preview.orders.as_slice() {
            facts.amount = only.total.as_ref().map(Amount::from);
        }
        entries::record(tx, &entry, Source::Buy, Input::Previewed, facts).await?;
        Ok(())
    }

    async fn record_created(
        &self,
        tx: &mut dyn Transaction,
        provider: Flow,
        entry: OrderEntry,
        outcome: Outcome<'_>,
    ) -> Result<(), LedgerError> {
        let (answer, detail) = answer_of(&outcome);
        let mut facts = Facts::detail(detail);
        let order_id = match outcome {
            Outcome::Answered(Answer::Created(c)) => {
                facts.amount = c.total.as_ref().map(Amount::from);
                c.order_id
                    .as_ref()
                    .map(OrderId::as_str)
                    .filter(|id| !id.is_empty())
            }
            _ => None,
        };
        let Some(order_id) = order_id else {
            // No id in the answer: the entry stays `create_unknown` under the caller's external order id
            // (reconcile reads by it where a read exists).
            entries::record(
                tx,
                &entry,
                Source::Buy,
                Input::Answered(Step::Create, answer),
                facts,
            )
            .await?;
            return Ok(());
        };
        let input = Input::Answered(Step::Create, machine::Answer::Done);
        if let Some(earlier) = entries::find(tx, provider.name(), order_id, self.lock()).await? {
            // A callback (or a payment) recorded the order first: the history continues on its entry,
            // with the create's external id and amount.
            let note = format!(
                "order {order_id} continues in ledger entry {}",
                earlier.entry_id
            );
            facts.external_order_id = entry.external_order_id.as_deref();
            entries::record(tx, &earlier, Source::Buy, input, facts).await?;
            entries::claim_profile(tx, &earlier, entry.profile.as_deref()).await?;
            entries::record(tx, &entry, Source::Buy, Input::Merged, Facts::detail(note)).await?;
            return Ok(());
        }
        facts.order_id = Some(order_id);
        entries::record(tx, &entry, Source::Buy, input, facts).await?;
        Ok(())
    }

    /// Records `answer` to `step` on `order_id` in its own transaction (the property test's answers).
    #[cfg(test)]
    pub(crate) async fn record_answer(
        &self,
        provider: Flow,
        order_id: &str,
        step: Step,
        answer: machine::Answer,
    ) -> Result<(), LedgerError> {
        let mut tx = self.store().begin().await?;
        self.settle_step(&mut *tx, provider, order_id, step, answer, Facts::default())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn settle_step(
        &self,
        tx: &mut dyn Transaction,
        provider: Flow,
        order_id: &str,
        step: Step,
        answer: machine::Answer,
        facts: Facts<'_>,
    ) -> Result<(), LedgerError> {
        let Some(entry) = entries::find(tx, provider.name(), order_id, self.lock()).await? else {
            return Err(LedgerError::UnknownOrder {
                order_id: order_id.into(),
            });
        };
        entries::record(
            tx,
            &entry,
            Source::Buy,
            Input::Answered(step, answer),
            facts,
        )
        .await?;
        Ok(())
    }
}

/// The table's name for how a step ended, and the event's detail (the raw answer or the error).
fn answer_of(outcome: &Outcome<'_>) -> (machine::Answer, String) {
    use machine::Answer as A;
    let declined = |success: Option<bool>| {
        if success == Some(false) {
            A::Declined
        } else {
            A::Done
        }
    };
    match outcome {
        Outcome::Answered(answer) => {
            let kind = match answer {
                Answer::Paid(p) => match &p.outcome {
                    PaymentOutcome::Paid => A::Done,
                    PaymentOutcome::PayByHand { .. } => A::PayByHand,
                    PaymentOutcome::Accepted => A::Accepted,
                    // An outcome this ledger does not know settles nothing: a read tells.
                    _ => A::Unknown,
                },
                Answer::Created(c)
                    if c.order_id.as_ref().is_none_or(|id| id.as_str().is_empty()) =>
                {
                    A::NoOrderId
                }
                Answer::Created(_) => A::Done,
                Answer::Cancelled(c) => declined(c.success),
                Answer::Received(r) => declined(r.success),
                // A raw body, not read: recorded, and the step stays unknown until a read.
                Answer::Raw(_) => A::Raw,
                // An answer of another step's shape: nothing it says settles this step.
                Answer::Preview(_) | Answer::BatchPaid(_) => A::Unknown,
            };
            (kind, raw_of(answer))
        }
        Outcome::Refused(e) => (A::Refused, e.to_string()),
        Outcome::NotSent(e) => (A::NotSent, e.to_string()),
        Outcome::Unknown(e) => (A::Unknown, e.to_string()),
    }
}

fn raw_of(answer: &Answer<'_>) -> String {
    match answer {
        Answer::Preview(p) => json(&p.raw().to_json()),
        Answer::Created(c) => json(&c.raw().to_json()),
        Answer::Paid(p) => json(&p.raw().to_json()),
        Answer::BatchPaid(b) => json(&b.raw().to_json()),
        Answer::Cancelled(c) => json(&c.raw().to_json()),
        Answer::Received(r) => json(&r.raw().to_json()),
        Answer::Raw(body) => json(body),
    }
}

/// One order of a batch payment.
fn batch_answer<'a>(order_id: &str, outcome: &Outcome<'_>) -> (machine::Answer, Facts<'a>) {
    use machine::Answer as A;
    let listed = |ids: &[String]| ids.iter().any(|i| i == order_id);
    let (answer, detail) = match outcome {
        Outcome::Answered(Answer::BatchPaid(b)) if b.paid.iter().any(|i| i == order_id) => {
            (A::Done, json(&b.raw().to_json()))
        }
        Outcome::Answered(Answer::Raw(body)) => (A::Raw, json(body)),
        Outcome::Answered(_) => (
            A::Unknown,
            "the batch answer does not list this order".into(),
        ),
        Outcome::Refused(e) => match e.partial_failure() {
            Some(p) if listed(&p.succeeded) && !p.conflicting.iter().any(|f| f.id == order_id) => {
                (A::Done, json(&p.data))
            }
            Some(p) => match p.failed.iter().find(|f| f.id == order_id) {
                Some(f) => (A::Refused, f.reason.clone().unwrap_or_default()),
                None => (
                    A::Unknown,
                    format!("the batch answer does not settle this order: {e}"),
                ),
            },
            None => answer_of(outcome),
        },
        other => answer_of(other),
    };
    (answer, Facts::detail(detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Filter, Query};

    async fn ledger() -> Ledger {
        let dir = crate::test_dir();
        Ledger::open(&format!("sqlite:{}", dir.join("j.db").display()))
            .await
            .unwrap()
    }

    async fn pay(ledger: &Ledger, id: &str, body: &serde_json::Value) -> Result<(), LedgerError> {
        let id = OrderId::new(id);
        let intent = Intent::Pay { order_id: &id };
        let ticket = ledger
            .record_intent(sourcing_buy::providers::PANDAPON, &intent)
            .await?;
        let outcome = Outcome::Answered(Answer::Raw(body));
        ledger
            .record_outcome(sourcing_buy::providers::PANDAPON, ticket, &intent, outcome)
            .await
    }

    /// A raw answer is recorded with its body and settles nothing: the payment stays unknown, and a second
    /// payment is refused until a read settles it.
    #[tokio::test]
    async fn a_raw_payment_answer_stays_unknown() {
        let ledger = ledger().await;
        let body = serde_json::json!({"code": 200, "data": "https://pay.example/1"});
        pay(&ledger, "3305075341149134260", &body).await.unwrap();
        let (entry, events) = ledger.show("3305075341149134260", None).await.unwrap();
        assert_eq!(entry.state, OrderState::PayUnknown);
        let last = events.last().unwrap();
        assert_eq!(last.kind, crate::EventKind::AnsweredRaw);
        assert_eq!(last.detail.as_deref(), Some(body.to_string().as_str()));
        let again = pay(&ledger, "3305075341149134260", &body).await;
        assert!(
            matches!(again, Err(LedgerError::OutcomeUnknown { .. })),
            "{again:?}"
        );
    }

    /// A raw create is an entry of its own, `create_unknown` after a raw answer, its request as the draft.
    #[tokio::test]
    async fn a_raw_create_is_recorded_unknown() {
        let ledger = ledger().await.with_profile(Some("shop-a".into()));
        let request = serde_json::json!({"thirdOrderId": "T1", "cargoParamList": []});
        let intent = Intent::CreateRaw { request: &request };
        let ticket = ledger
            .record_intent(sourcing_buy::providers::DAJISAAS, &intent)
            .await
            .unwrap();
        let body = serde_json::json!({"code": 200, "data": {"orderId": "1"}});
        let outcome = Outcome::Answered(Answer::Raw(&body));
        ledger
            .record_outcome(sourcing_buy::providers::DAJISAAS, ticket, &intent, outcome)
            .await
            .unwrap();
        let all = ledger.list(Filter::Unknown).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].state, OrderState::CreateUnknown);
        assert_eq!(all[0].order_id, None, "a raw answer is not read");
        assert_eq!(all[0].profile.as_deref(), Some("shop-a"));
    }

    /// Each entry keeps the profile it was created with; `Query::profile` filters on it.
    #[tokio::test]
    async fn entries_keep_their_profile() {
        let base = ledger().await;
        let body = serde_json::json!({});
        pay(&base.with_profile(Some("shop-a".into())), "1", &body)
            .await
            .unwrap();
        pay(&base.with_profile(Some("shop-b".into())), "2", &body)
            .await
            .unwrap();
        pay(&base, "3", &body).await.unwrap();
        let of = |profile: Option<&str>| {
            let query = Query {
                profile: profile.map(String::from),
                ..Query::default()
            };
            let base = base.clone();
            async move {
                let mut ids = Vec::new();
                base.for_each(&query, |e| {
                    ids.push((e.order_id.unwrap(), e.profile));
                    true
                })
                .await
                .unwrap();
                ids
            }
        };
        assert_eq!(
            of(Some("shop-a")).await,
            [("1".to_string(), Some("shop-a".to_string()))]
        );
        assert_eq!(of(None).await.len(), 3);
        assert_eq!(base.with_profile(Some("x".into())).profile(), Some("x"));
        // Kept: another profile's step on shop-a's order does not change it.
        let cancel = Intent::Cancel {
            order_id: &OrderId::new("1"),
            reason: "r",
        };
        base.record_answer(
            sourcing_buy::providers::PANDAPON,
            "1",
            Step::Pay,
            machine::Answer::Done,
        )
        .await
        .unwrap();
        let ledger_b = base.with_profile(Some("shop-b".into()));
        ledger_b
            .record_intent(sourcing_buy::providers::PANDAPON, &cancel)
            .await
            .unwrap();
        let (entry, _) = base.show("1", None).await.unwrap();
        assert_eq!(entry.profile.as_deref(), Some("shop-a"));
    }

    /// An order first heard of by a callback takes the profile of the first step a profile sends on it.
    #[tokio::test]
    async fn a_callback_order_takes_the_profile_that_pays_it() {
        let base = ledger().await;
        let report = crate::CallbackReport {
            provider: "pandapon",
            order_id: "77",
            status: None,
            message_type: "ORDER_CREATED",
            body: "{}",
        };
        base.record_callback(&report).await.unwrap();
        assert_eq!(base.show("77", None).await.unwrap().0.profile, None);
        pay(
            &base.with_profile(Some("shop-a".into())),
            "77",
            &serde_json::json!({}),
        )
        .await
        .unwrap();
        assert_eq!(
            base.show("77", None).await.unwrap().0.profile.as_deref(),
            Some("shop-a")
        );
    }
}
