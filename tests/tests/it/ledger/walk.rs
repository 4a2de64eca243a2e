//! The walk's ledger rules: one entry per order, no entry without an order id or a key, empty callback ids
//! refused, reads that fail marked for a person after a bounded number of tries, stores opened for reading.

use super::support::{buyer, draft, ledger, sqlite_url, urls};
use sourcing_buy::Buyer;
use sourcing_buy::providers::PANDAPON;
use sourcing_ledger::{
    CallbackReport, Filter, LedgerError, OrderState, ReadByExternalId, ReadSettings, Store,
    StoreError,
};
use sourcing_sandbox::{Fault, FaultRule, Sandbox};
use std::sync::Arc;

fn reads() -> ReadSettings {
    ReadSettings {
        state_pointer: Some("/status".into()),
        in_flight: std::time::Duration::ZERO,
        ..ReadSettings::default()
    }
}

#[tokio::test]
async fn a_callback_with_an_empty_order_id_is_refused_and_makes_no_entry() {
    for url in urls().await {
        let ledger = ledger(&url).await;
        let report = CallbackReport {
            provider: "pandapon",
            order_id: " ",
            status: Some("WAITING_FOR_SENT"),
            message_type: "ORDER_PAY_SUCCESS",
            body: "{}",
        };
        let err = ledger.record_callback(&report).await.unwrap_err();
        assert!(
            matches!(err, LedgerError::EmptyOrderId { .. }),
            "{url}: {err:?}"
        );
        assert!(ledger.list(Filter::All).await.unwrap().is_empty(), "{url}");
    }
}

#[tokio::test]
async fn a_read_that_keeps_failing_is_marked_for_a_person_after_the_bounded_tries() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, PANDAPON, &ledger);
        let order_id = "3305075341149134290";
        sandbox.seed_order(order_id);
        sandbox.inject(FaultRule::times(
            Some("order_pay_url"),
            Fault::DropConnection,
            1,
        ));
        b.pay(&order_id.into()).await.unwrap_err();
        sandbox.inject(FaultRule::always(
            Some("order_detail"),
            Fault::Business {
                code: 500,
                message: "busy".into(),
            },
        ));
        let settings = ReadSettings {
            max_read_failures: 3,
            ..reads()
        };
        for attempt in 1..=3 {
            let settled = ledger
                .reconcile(std::slice::from_ref(&b), &settings)
                .await
                .unwrap();
            assert_eq!(settled.len(), 1, "{url}");
            assert_eq!(
                settled[0].needs_person.is_some(),
                attempt == 3,
                "{url}: {settled:?}"
            );
        }
        let (entry, _) = ledger.show(order_id, None).await.unwrap();
        assert_eq!(entry.state, OrderState::PayUnknown, "{url}: still unknown");
        let why = entry.needs_person.unwrap();
        assert!(why.contains("failed 3 times"), "{why}");
    }
}

#[tokio::test]
async fn an_undecodable_read_is_flagged_not_re_read() {
    let url = sqlite_url();
    let sandbox = Sandbox::start().await.unwrap();
    let ledger = ledger(&url).await;
    let b = buyer(&sandbox, PANDAPON, &ledger);
    let order_id = "3305075341149134291";
    sandbox.seed_order(order_id);
    sandbox.inject(FaultRule::times(
        Some("order_pay_url"),
        Fault::DropConnection,
        1,
    ));
    b.pay(&order_id.into()).await.unwrap_err();
    sandbox.inject(FaultRule::always(
        Some("order_detail"),
        Fault::MalformedBody,
    ));
    let settled = ledger.reconcile(&[b], &reads()).await.unwrap();
    let why = settled[0].needs_person.clone().expect("flagged at once");
    assert!(why.contains("cannot be decoded"), "{why}");
}

/// A read by external id that knows one order.
#[derive(Debug)]
struct Knows(&'static str, &'static str);

impl ReadByExternalId for Knows {
    fn order_id<'a>(
        &'a self,
        _buyer: &'a Buyer,
        external_order_id: &'a sourcing_buy::ExternalOrderId,
    ) -> sourcing_ledger::BoxFuture<'a, Result<Option<sourcing_buy::OrderId>, sourcing_buy::Error>>
    {
        let found = (*external_order_id == self.0).then(|| self.1.into());
        Box::pin(async move { Ok(found) })
    }
}

#[tokio::test]
async fn a_create_without_an_answer_is_found_by_the_external_id_and_joins_its_orders_entry() {
    for url in urls().await {
        let sandbox = Sandbox::start().await.unwrap();
        let ledger = ledger(&url).await;
        let b = buyer(&sandbox, PANDAPON, &ledger);
        sandbox.inject(FaultRule::times(
            Some("order_create"),
            Fault::DropConnection,
            1,
        ));
        b.create_order(&draft()).await.unwrap_err();
        let unknown = ledger.list(Filter::Unknown).await.unwrap();
        assert_eq!(unknown.len(), 1, "{url}");
        assert_eq!(unknown[0].state, OrderState::CreateUnknown);
        assert_eq!(unknown[0].order_id, None);
        assert_eq!(
            unknown[0].external_order_id.as_deref(),
            Some("T20240708002"),
            "the key"
        );

        // The order's id went round another way: it was paid, its own entry.
        let order_id = "3305075341149134292";
        sandbox.seed_order(order_id);
        b.pay(&order_id.into()).await.unwrap();
        let settings = ReadSettings {
            by_external_id: Some(Arc::new(Knows("T20240708002", order_id))),
            ..reads()
        };
        ledger.reconcile(&[b], &settings).await.unwrap();
        let (entry, events) = ledger.show(order_id, None).await.unwrap();
        assert_eq!(entry.state, OrderState::Paid, "{url}");
        assert_eq!(
            entry.external_order_id.as_deref(),
            Some("T20240708002"),
            "{url}"
        );
        assert!(events.iter().any(|e| e.kind.name() == "joined"), "{url}");
        let merged = ledger
            .list(Filter::State(OrderState::Merged))
            .await
            .unwrap();
        assert_eq!(merged.len(), 1, "{url}: one order, one live entry");
    }
}

#[tokio::test]
async fn reading_opens_an_existing_store_read_only_and_creates_none() {
    let url = sqlite_url();
    let err = Store::open_existing(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }), "{err:?}");
    let path = url.strip_prefix("sqlite:").unwrap();
    assert!(!std::path::Path::new(path).exists(), "nothing created");

    Store::open(&url).await.unwrap();
    let store = Store::open_existing(&url).await.unwrap();
    let rows = store
        .query("SELECT count(*) FROM ledger_orders", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].int(0).unwrap(), 0);
    let write = store
        .execute("DELETE FROM ledger_orders", &[])
        .await
        .unwrap_err();
    assert!(write.to_string().contains("readonly"), "{write}");
}
