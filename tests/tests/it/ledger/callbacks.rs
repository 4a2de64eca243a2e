//! Callback-reported states: recorded as reported, only ever moving an order forward.

use super::support::{kinds, ledger, urls};
use sourcing_buy::providers::PANDAPON;

use sourcing_ledger::{CallbackReport, OrderState};

fn report<'a>(order_id: &'a str, status: &'a str) -> CallbackReport<'a> {
    CallbackReport {
        provider: "pandapon",
        order_id,
        status: Some(status),
        message_type: "ORDER_STATUS_CHANGE",
        body: r#"{"messageType":"ORDER_STATUS_CHANGE"}"#,
    }
}

#[tokio::test]
async fn an_unseen_order_gets_an_entry_known_only_from_a_callback() {
    for url in urls().await {
        let ledger = ledger(&url).await;
        let recorded = ledger
            .record_callback(&report("3305075341149134280", "WAITING_FOR_PAYMENT"))
            .await
            .unwrap();
        assert!(recorded.new_entry && recorded.moved);
        let (entry, events) = ledger.show("3305075341149134280", None).await.unwrap();
        assert_eq!(entry.origin, "callback", "{url}");
        assert_eq!((entry.state, entry.confirmed), (OrderState::Created, false));
        assert!(
            events[0]
                .detail
                .as_deref()
                .unwrap()
                .contains("ORDER_STATUS_CHANGE")
        );
    }
}

#[tokio::test]
async fn late_and_out_of_order_callbacks_never_move_an_order_back() {
    for url in urls().await {
        let ledger = ledger(&url).await;
        let id = "3305075341149134281";
        for (status, expected) in [
            ("WAITING_FOR_SENT", OrderState::Paid),
            ("WAITING_FOR_PAYMENT", OrderState::Paid),
            ("WAITING_FOR_SENT", OrderState::Paid),
            ("CANCEL", OrderState::Cancelled),
            ("WAITING_FOR_SENT", OrderState::Cancelled),
            ("an_undocumented_state", OrderState::Cancelled),
        ] {
            let recorded = ledger.record_callback(&report(id, status)).await.unwrap();
            assert_eq!(recorded.state, expected, "{url}: after {status}");
        }
        assert_eq!(
            kinds(&ledger, id).await,
            [
                "reported",
                "reported_late",
                "reported_again",
                "reported",
                "reported_late",
                "reported_other"
            ]
        );
    }
}

#[tokio::test]
async fn a_callback_never_settles_an_unknown_payment_as_unpaid() {
    for url in urls().await {
        let ledger = ledger(&url).await;
        let id = "3305075341149134282";
        let order_id = sourcing_buy::OrderId::new(id);
        let intent = sourcing_buy::journal::Intent::Pay {
            order_id: &order_id,
        };
        sourcing_buy::Journal::before(&*ledger, PANDAPON, &intent)
            .await
            .unwrap();
        let r = ledger
            .record_callback(&report(id, "WAITING_FOR_PAYMENT"))
            .await
            .unwrap();
        assert_eq!(r.state, OrderState::PayUnknown, "{url}");
        let r = ledger
            .record_callback(&report(id, "WAITING_FOR_SENT"))
            .await
            .unwrap();
        assert_eq!(
            r.state,
            OrderState::Paid,
            "{url}: a forward report moves it (reported)"
        );
        let (entry, _) = ledger.show(id, None).await.unwrap();
        assert!(!entry.confirmed);
    }
}
