//! Acme — the provider that exists only in the tests — buys through `sourcing_buy::Buyer` and is journaled
//! by the ledger, with its flow and registration in its own folder (`fixtures/providers/acme/flow.rs`) and
//! no edit to `sourcing-buy`. A loopback server answers Acme's envelope, per order: paid, refused (a
//! business error), and paid but the answer lost (a 502 without the envelope) — settled by a read.

use super::support::{ledger, sqlite_url};
use crate::acme::flow::{self, AcmeOrder, AcmePayResult};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sourcing_buy::{Buyer, PaymentOutcome, StatusKind, Step, Support};
use sourcing_ledger::{OrderState, ReadSettings};
use sourcing_runtime::{Runtime, SigningSettings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PAID: &str = "2257455039610311973";
const REFUSED: &str = "2257455039610311974";
const LOST: &str = "2257455039610311975";

/// Acme's orders by id (`waiting` or `paid`), and the requests each path received.
#[derive(Default)]
struct Acme {
    orders: Mutex<HashMap<String, &'static str>>,
    hits: Mutex<HashMap<&'static str, usize>>,
}

impl Acme {
    fn hit(&self, path: &'static str) {
        *self.hits.lock().unwrap().entry(path).or_default() += 1;
    }
    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"success": true, "result": result})).into_response()
}

async fn pay(State(acme): State<Arc<Acme>>, axum::Json(body): axum::Json<Value>) -> Response {
    acme.hit("pay");
    let id = body["orderId"].as_str().unwrap_or_default().to_string();
    match id.as_str() {
        REFUSED => axum::Json(
            json!({"success": false, "errorCode": 4001, "errorMessage": "insufficient balance"}),
        )
        .into_response(),
        LOST => {
            // Acme pays, but the answer does not come back.
            acme.orders.lock().unwrap().insert(id, "paid");
            (StatusCode::BAD_GATEWAY, "upstream went away").into_response()
        }
        _ => {
            acme.orders.lock().unwrap().insert(id.clone(), "paid");
            ok(json!({"orderId": id, "paid": true}))
        }
    }
}

async fn detail(
    State(acme): State<Arc<Acme>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    acme.hit("detail");
    let id = query.get("orderId").cloned().unwrap_or_default();
    let status = acme.orders.lock().unwrap().get(&id).copied();
    ok(json!({"orderId": id, "status": status.unwrap_or("waiting")}))
}

async fn serve() -> (String, Arc<Acme>) {
    let acme = Arc::new(Acme::default());
    let app = axum::Router::new()
        .route("/orders/pay", axum::routing::post(pay))
        .route("/orders/detail", axum::routing::get(detail))
        .with_state(acme.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), acme)
}

fn buyer(base: &str) -> Buyer {
    let acme = flow::flow();
    let credentials = acme.description().credentials.kind().sandbox_values();
    let runtime = Runtime::for_provider(
        acme.description(),
        &credentials,
        &SigningSettings::default(),
    );
    acme.buyer(base, runtime)
}

#[tokio::test]
async fn acme_buys_through_the_facade_and_the_ledger_records_it() {
    let (base, acme) = serve().await;
    let ledger = ledger(&sqlite_url()).await;
    let b = buyer(&base).with_journal(ledger.clone());
    assert_eq!(b.flow().name(), "acme");
    assert_eq!(b.flow(), flow::flow());

    // The steps Acme's spec lacks are refused before anything is sent.
    assert!(matches!(
        b.support(Step::CreateOrder),
        Support::NotAvailable { .. }
    ));
    let e = b.cancel(&PAID.into(), "changed my mind").await.unwrap_err();
    assert!(e.is_refused_before_sending(), "{e}");
    assert!(e.to_string().contains("Acme"), "{e}");

    // Paid: the typed answer is Acme's own type; the ledger's entry is paid, confirmed by the answer.
    let payment = b.pay(&PAID.into()).await.unwrap();
    assert_eq!(payment.outcome, PaymentOutcome::Paid);
    let raw = payment.raw().get::<AcmePayResult>().unwrap();
    assert_eq!((raw.order_id.as_str(), raw.paid), (PAID, true));
    assert_eq!(payment.raw().to_json()["orderId"], PAID);
    let (entry, _) = ledger.show(PAID, None).await.unwrap();
    assert_eq!(
        (entry.provider.as_str(), entry.state),
        ("acme", OrderState::Paid)
    );
    assert!(entry.confirmed);

    // A second payment of a paid order is refused by the ledger, not sent.
    let before = acme.hits("pay");
    let e = b.pay(&PAID.into()).await.unwrap_err();
    assert!(e.is_refused_before_sending(), "{e}");
    assert_eq!(acme.hits("pay"), before, "no second payment was sent");

    // Refused in Acme's envelope: the payment failed, the business error is typed.
    let e = b.pay(&REFUSED.into()).await.unwrap_err();
    assert_eq!(e.api().map(|a| a.code), Some(4001), "{e:?}");
    let (entry, _) = ledger.show(REFUSED, None).await.unwrap();
    assert_eq!(entry.state, OrderState::PayFailed);

    // The answer lost: unknown, never retried, then settled by reading the order through Acme's flow.
    let e = b.pay(&LOST.into()).await.unwrap_err();
    assert!(!e.is_refused_before_sending(), "{e}");
    assert_eq!(
        ledger.show(LOST, None).await.unwrap().0.state,
        OrderState::PayUnknown
    );
    let info = b.order(&LOST.into()).await.unwrap();
    let status = info.status.clone().unwrap();
    assert_eq!(
        (status.kind, status.raw.as_str()),
        (StatusKind::WaitingForShipment, "paid")
    );
    assert_eq!(info.raw().get::<AcmeOrder>().unwrap().order_id, LOST);
    let settings = ReadSettings {
        in_flight: Duration::ZERO,
        ..ReadSettings::default()
    };
    let settled = ledger
        .reconcile(std::slice::from_ref(&b), &settings)
        .await
        .unwrap();
    let lost = settled
        .iter()
        .find(|s| s.order_id.as_deref() == Some(LOST))
        .unwrap();
    assert_eq!(
        (lost.before, lost.after),
        (OrderState::PayUnknown, OrderState::Paid)
    );
    let (entry, _) = ledger.show(LOST, None).await.unwrap();
    assert_eq!((entry.state, entry.confirmed), (OrderState::Paid, true));
    assert_eq!(acme.hits("pay"), 3, "each payment sent once");
}
