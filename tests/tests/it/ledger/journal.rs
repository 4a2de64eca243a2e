//! Every order step through `Buyer::with_journal(ledger)`: the intent committed before sending, the answer
//! after, an unknown outcome left unknown and never retried.

use super::support::{buyer, draft, kinds, ledger, urls};
use sourcing_buy::Error;
use sourcing_buy::journal::JournalError;
use sourcing_buy::providers::{DAJISAAS, PANDAPON, XPORTCN};
use sourcing_ledger::{Filter, OrderState};
use sourcing_sandbox::{Fault, FaultRule, Sandbox};

#[tokio::test]
async fn preview_create_and_pay_make_one_history_with_exact_ids_and_amounts() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, DAJISAAS, &ledger);

        b.preview(&draft()).await.unwrap();
        let created = b.create_order(&draft()).await.unwrap();
        let order_id = created
            .order_id
            .clone()
            .expect("Dajisaas documents orderId");
        b.pay(&order_id).await.unwrap();

        let all = ledger.list(Filter::All).await.unwrap();
        assert_eq!(
            all.len(),
            1,
            "{url}: the create continues its preview's entry: {all:?}"
        );
        let (entry, events) = ledger.show(order_id.as_str(), None).await.unwrap();
        assert_eq!(entry.order_id.as_deref(), Some(order_id.as_str()));
        assert_eq!(order_id.as_str().len(), 19, "ids stay exact text");
        assert_eq!(entry.external_order_id.as_deref(), Some("T20240708002"));
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
        assert_eq!(
            kinds,
            [
                "previewed",
                "create_requested",
                "created",
                "pay_requested",
                "pay_accepted"
            ],
            "{url}"
        );
        // Dajisaas publishes no payment result: accepted, settled only by a read.
        assert_eq!(entry.state, OrderState::PayUnknown, "{url}");
        if let Some(total) = &created.total {
            let amount = entry.amount.clone().expect("the created order's total");
            assert_eq!(
                (amount.value, amount.unit),
                (total.amount().to_string(), "fen".to_string())
            );
        }
        assert!(
            events[2]
                .detail
                .as_deref()
                .unwrap()
                .contains(order_id.as_str()),
            "raw answer kept"
        );
    }
}

#[tokio::test]
async fn a_paid_order_is_not_paid_again_and_nothing_is_sent() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, PANDAPON, &ledger);
        let order_id = "3305075341149134260";
        sandbox.seed_order(order_id);

        b.pay(&order_id.into()).await.unwrap();
        assert_eq!(
            kinds(&ledger, order_id).await,
            ["pay_requested", "paid"],
            "{url}"
        );
        let err = b.pay(&order_id.into()).await.unwrap_err();
        assert!(
            matches!(&err, Error::Journal(JournalError::AlreadyPaid { order_id: id, state, confirmed: true })
                if id == order_id && state == "paid"),
            "{url}: {err:?}"
        );
        assert!(err.to_string().contains("already"), "{err}");
        assert_eq!(
            sandbox.hits("order_pay_url"),
            1,
            "{url}: refused before sending"
        );
    }
}

#[tokio::test]
async fn a_payment_without_an_answer_stays_unknown_and_blocks_a_second_payment() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, PANDAPON, &ledger);
        let order_id = "3305075341149134261";
        sandbox.seed_order(order_id);
        sandbox.inject(FaultRule::times(
            Some("order_pay_url"),
            Fault::DropConnection,
            1,
        ));

        let err = b.pay(&order_id.into()).await.unwrap_err();
        assert!(matches!(err, Error::Vendor(_)), "{err:?}");
        let (entry, events) = ledger.show(order_id, None).await.unwrap();
        assert_eq!(entry.state, OrderState::PayUnknown, "{url}");
        assert_eq!(events.last().unwrap().kind.name(), "pay_unknown");
        assert!(
            events
                .last()
                .unwrap()
                .detail
                .as_deref()
                .unwrap()
                .contains("order_pay_url")
        );
        let unknown = ledger.list(Filter::Unknown).await.unwrap();
        assert_eq!(unknown.len(), 1);

        // Not retried, and not payable again until reconciled.
        let err = b.pay(&order_id.into()).await.unwrap_err();
        assert!(
            matches!(&err, Error::Journal(JournalError::OutcomeUnknown { order_id: id, state })
                if id == order_id && state == "pay_unknown"),
            "{url}: {err:?}"
        );
        assert!(err.to_string().contains("reconcile"), "{err}");
        assert_eq!(sandbox.hits("order_pay_url"), 1, "{url}");
    }
}

#[tokio::test]
async fn a_vendor_refusal_is_recorded_as_failed() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, PANDAPON, &ledger);
        let order_id = "3305075341149134262";
        sandbox.seed_order(order_id);
        assert!(sandbox.cancel_order(order_id));

        let err = b.pay(&order_id.into()).await.unwrap_err();
        assert!(err.api().is_some(), "{err:?}");
        let (entry, _) = ledger.show(order_id, None).await.unwrap();
        assert_eq!(entry.state, OrderState::PayFailed, "{url}");
    }
}

#[tokio::test]
async fn cancel_and_receipt_are_recorded() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, PANDAPON, &ledger);
        let (paid, unpaid) = ("3305075341149134263", "3305075341149134264");
        sandbox.seed_order(paid);
        sandbox.seed_order(unpaid);

        b.cancel(&unpaid.into(), "不想要了").await.unwrap();
        assert_eq!(
            kinds(&ledger, unpaid).await,
            ["cancel_requested", "cancelled"]
        );
        b.pay(&paid.into()).await.unwrap();
        // The vendor refuses to cancel a paid order: it stays paid.
        b.cancel(&paid.into(), "不想要了").await.unwrap_err();
        let (entry, _) = ledger.show(paid, None).await.unwrap();
        assert_eq!(entry.state, OrderState::Paid, "{url}");
        b.confirm_receipt(&paid.into(), &["2257164624870311973".into()])
            .await
            .unwrap();
        let (entry, _) = ledger.show(paid, None).await.unwrap();
        assert_eq!(entry.state, OrderState::Received, "{url}");
    }
}

/// An id the provider's orders cannot have (`null` from a failed step, a 23-digit number, a sub-order that is
/// not digits) is refused before the journal: no entry is opened, nothing is sent.
#[tokio::test]
async fn an_order_id_the_provider_cannot_have_opens_no_entry() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        for flow in [PANDAPON, DAJISAAS] {
            let b = buyer(&sandbox, flow, &ledger);
            for bad in ["null", "22571646248703119731234", ""] {
                let err = b.pay(&bad.into()).await.unwrap_err();
                assert!(matches!(err, Error::InvalidInput { .. }), "{url}: {err:?}");
                let err = b.cancel(&bad.into(), "buyerCancel").await.unwrap_err();
                assert!(matches!(err, Error::InvalidInput { .. }), "{url}: {err:?}");
            }
            let err = b
                .confirm_receipt(&"3305075341149134266".into(), &["x1".into()])
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{url}: {err:?}");
        }
        let b = buyer(&sandbox, PANDAPON, &ledger);
        let err = b
            .pay_batch(&["3305075341149134267".into(), "null".into()])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{url}: {err:?}");
        let listed = ledger.list(Filter::All).await.unwrap();
        assert!(listed.is_empty(), "{url}: {listed:?}");
        for op in [
            "order_pay_url",
            "order_cancel",
            "order_receive_goods",
            "order_receive_confirm",
            "pay_protocol_pay",
            "order_batch_submit_to_pay",
        ] {
            assert_eq!(sandbox.hits(op), 0, "{url}: {op}");
        }
    }
}

#[tokio::test]
async fn an_intent_that_cannot_be_recorded_is_not_sent() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, PANDAPON, &ledger);
        sandbox.seed_order("3305075341149134265");
        ledger
            .store()
            .execute("DROP TABLE ledger_events", &[])
            .await
            .unwrap();

        let err = b.pay(&"3305075341149134265".into()).await.unwrap_err();
        assert!(
            matches!(&err, Error::Journal(e @ JournalError::Unavailable { .. }) if !e.is_refusal()),
            "{url}: {err:?}"
        );
        assert!(err.is_refused_before_sending());
        assert_eq!(sandbox.hits("order_pay_url"), 0, "{url}");
        let err = b.create_order(&draft()).await.unwrap_err();
        assert!(matches!(err, Error::Journal(_)), "{url}: {err:?}");
        assert_eq!(sandbox.hits("order_create"), 0, "{url}");
    }
}

#[tokio::test]
async fn two_instances_paying_one_order_at_once_send_one_payment() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let (first, second) = (ledger(&url).await, ledger(&url).await);
        let order_id = "3305075341149134266";
        sandbox.seed_order(order_id);
        let (a, b) = (
            buyer(&sandbox, PANDAPON, &first),
            buyer(&sandbox, PANDAPON, &second),
        );
        let order_id = order_id.into();
        let (ra, rb) = tokio::join!(a.pay(&order_id), b.pay(&order_id));
        let journal_refusals = [&ra, &rb]
            .iter()
            .filter(|r| matches!(r, Err(Error::Journal(_))))
            .count();
        assert_eq!(journal_refusals, 1, "{url}: {ra:?} {rb:?}");
        assert_eq!(sandbox.hits("order_pay_url"), 1, "{url}");
    }
}

#[tokio::test]
async fn a_batch_naming_an_order_twice_is_one_step_on_it() {
    let url = super::support::sqlite_url();
    let sandbox = Sandbox::start().await.unwrap();
    let ledger = ledger(&url).await;
    let b = buyer(&sandbox, XPORTCN, &ledger);
    let id = "3300504350583134260".to_string();
    // The sandbox knows no such order: the vendor refuses it (not the journal, before sending).
    let err = b
        .pay_batch(&[id.as_str().into(), id.as_str().into()])
        .await
        .unwrap_err();
    assert!(!matches!(err, Error::Journal(_)), "{err:?}");
    assert_eq!(
        kinds(&ledger, &id).await,
        ["pay_requested", "pay_failed"],
        "one intent, one answer"
    );
}
