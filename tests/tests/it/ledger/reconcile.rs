//! `reconcile` settles unknown and reported states by reading the order, never by sending a step again.

use super::support::{buyer, draft, kinds, ledger, urls};
use sourcing_buy::Journal;
use sourcing_buy::journal::Intent;
use sourcing_buy::providers::{PANDAPON, XPORTCN};
use sourcing_ledger::{CallbackReport, Filter, OrderState, ReadSettings};
use sourcing_sandbox::{Fault, FaultRule, Sandbox};

/// The sandbox documents its order-read answer as `{"orderId", "status", "sandbox"}`.
fn sandbox_reads() -> ReadSettings {
    ReadSettings {
        state_pointer: Some("/status".into()),
        // These tests read right after a simulated crash: nothing is in flight.
        in_flight: std::time::Duration::ZERO,
        ..ReadSettings::default()
    }
}

#[tokio::test]
async fn a_payment_sent_but_never_recorded_is_settled_paid_from_a_read_without_paying_again() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let order_id = "3305075341149134270";
        sandbox.seed_order(order_id);
        // The intent is committed, the payment goes through, the answer is never recorded (a crash).
        let id = order_id.into();
        let intent = Intent::Pay { order_id: &id };
        ledger.before(PANDAPON, &intent).await.unwrap();
        let plain = buyer(&sandbox, PANDAPON, &ledger);
        let plain = sourcing_buy::Buyer::from(
            plain
                .client::<pandapon::Client>()
                .expect("a PandaPon buyer")
                .clone(),
        );
        plain.pay(&order_id.into()).await.unwrap();
        assert_eq!(
            ledger.show(order_id, None).await.unwrap().0.state,
            OrderState::PayUnknown
        );

        let b = buyer(&sandbox, PANDAPON, &ledger);
        let settled = ledger.reconcile(&[b], &sandbox_reads()).await.unwrap();
        assert_eq!(settled.len(), 1, "{url}: {settled:?}");
        assert_eq!(
            (settled[0].before, settled[0].after),
            (OrderState::PayUnknown, OrderState::Paid)
        );
        let (entry, _) = ledger.show(order_id, None).await.unwrap();
        assert_eq!(
            (entry.state, entry.confirmed),
            (OrderState::Paid, true),
            "{url}"
        );
        assert_eq!(
            kinds(&ledger, order_id).await,
            ["pay_requested", "reconciled"]
        );
        assert_eq!(sandbox.hits("order_pay_url"), 1, "{url}: one payment, ever");
        assert_eq!(
            sandbox.hits("order_detail"),
            1,
            "{url}: settled by one read"
        );
    }
}

#[tokio::test]
async fn an_unknown_payment_the_vendor_never_got_is_settled_unpaid_and_can_then_be_paid() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, PANDAPON, &ledger);
        let order_id = "3305075341149134271";
        sandbox.seed_order(order_id);
        sandbox.inject(FaultRule::times(
            Some("order_pay_url"),
            Fault::DropConnection,
            1,
        ));
        b.pay(&order_id.into()).await.unwrap_err();

        ledger
            .reconcile(std::slice::from_ref(&b), &sandbox_reads())
            .await
            .unwrap();
        let (entry, _) = ledger.show(order_id, None).await.unwrap();
        assert_eq!(
            entry.state,
            OrderState::Created,
            "{url}: the read shows it unpaid"
        );
        assert_eq!(
            sandbox.hits("order_pay_url"),
            1,
            "{url}: reconcile never pays"
        );

        b.pay(&order_id.into()).await.unwrap();
        assert_eq!(
            ledger.show(order_id, None).await.unwrap().0.state,
            OrderState::Paid
        );
    }
}

#[tokio::test]
async fn what_cannot_be_read_needs_a_person_once() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        // Xportcn publishes no order read.
        let report = CallbackReport {
            provider: "xportcn",
            order_id: "3305075341149134272",
            status: Some("WAITING_FOR_SENT"),
            message_type: "ORDER_PAY_SUCCESS",
            body: "{}",
        };
        ledger.record_callback(&report).await.unwrap();
        // A create whose answer never came has no order id to read.
        let pandapon = buyer(&sandbox, PANDAPON, &ledger);
        sandbox.inject(FaultRule::times(
            Some("order_create"),
            Fault::DropConnection,
            1,
        ));
        pandapon.create_order(&draft()).await.unwrap_err();
        // A read that shows no state (the order-state reading turned off): nothing can be concluded.
        let pandapon = pandapon.with_readings(
            sourcing_runtime::Readings::from_lookup("PANDAPON", |key| {
                (key == "PANDAPON_ORDER_STATE").then(|| "none".to_string())
            })
            .unwrap(),
        );
        let paid = "3305075341149134273";
        sandbox.seed_order(paid);
        sandbox.inject(FaultRule::times(
            Some("order_pay_url"),
            Fault::DropConnection,
            1,
        ));
        pandapon.pay(&paid.into()).await.unwrap_err();

        let buyers = [buyer(&sandbox, XPORTCN, &ledger), pandapon];
        for _ in 0..2 {
            let settled = ledger
                .reconcile(&buyers, &ReadSettings::default())
                .await
                .unwrap();
            assert_eq!(settled.len(), 3, "{url}: {settled:?}");
            assert!(
                settled.iter().all(|s| s.needs_person.is_some()),
                "{settled:?}"
            );
        }
        let marked = ledger.list(Filter::NeedsPerson).await.unwrap();
        let reasons: Vec<&str> = marked
            .iter()
            .filter_map(|e| e.needs_person.as_deref())
            .collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("publishes no order read")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("T20240708002")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("no state")),
            "{reasons:?}"
        );
        let xportcn = kinds(&ledger, "3305075341149134272").await;
        assert_eq!(xportcn, ["reported", "needs_person"], "{url}: marked once");
        assert_eq!(sandbox.hits("order_pay_url"), 1);
        assert_eq!(sandbox.hits("order_create"), 1);
    }
}

#[tokio::test]
async fn a_reported_state_is_confirmed_or_corrected_by_a_read() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let (true_report, false_report) = ("3305075341149134274", "3305075341149134275");
        sandbox.seed_order(true_report);
        sandbox.seed_order(false_report);
        let b = buyer(&sandbox, PANDAPON, &ledger);
        b.pay(&true_report.into()).await.unwrap();
        for id in [true_report, false_report] {
            let report = CallbackReport {
                provider: "pandapon",
                order_id: id,
                status: Some("WAITING_FOR_SENT"),
                message_type: "ORDER_PAY_SUCCESS",
                body: "{}",
            };
            ledger.record_callback(&report).await.unwrap();
        }
        assert!(!ledger.show(false_report, None).await.unwrap().0.confirmed);

        ledger.reconcile(&[b], &sandbox_reads()).await.unwrap();
        let (entry, _) = ledger.show(false_report, None).await.unwrap();
        assert_eq!(
            (entry.state, entry.confirmed),
            (OrderState::Created, true),
            "{url}: an unauthenticated push is overruled by the read"
        );
        let (entry, _) = ledger.show(true_report, None).await.unwrap();
        assert_eq!(
            (entry.state, entry.confirmed),
            (OrderState::Paid, true),
            "{url}"
        );
    }
}
