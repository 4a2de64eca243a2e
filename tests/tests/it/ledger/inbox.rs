//! The inbox store (`InboxStore for Store`) on SQLite and Postgres: each guarantee of
//! `sourcing_webhooks::inbox` that rests on the database, on both backends, and the order handler that
//! records a callback in the ledger and completes its message in one transaction.

use super::support::urls;
use sourcing_ledger::{Ledger, OrderCallbacks, Store};
use sourcing_webhooks::inbox::{
    AfterFailure, Claim, Handled, InboxHandler, InboxState, InboxStore, Inserted, NewMessage,
    Replay,
};
use sourcing_webhooks::{Callback, formats};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A name no other test (nor any earlier run on a shared Postgres) uses, so workers elsewhere never claim
/// these messages.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn message(provider: &str, key: &str, body: &[u8]) -> NewMessage {
    let order_id = Some("3305075341149134260".into());
    NewMessage::new(
        provider,
        format!("{provider}/{key}"),
        "ORDER_CREATE",
        order_id,
        body.to_vec(),
    )
}

const LONG: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn stored_once_by_the_unique_key_raw_body_kept_across_reopening() {
    for url in urls().await {
        let provider = unique("p");
        let body: &[u8] = b"{\"raw\": \xff bytes kept exactly}";
        let store = Store::open(&url).await.unwrap();
        let first = store
            .insert_batch(&[
                message(&provider, "a", body),
                message(&provider, "b", b"{}"),
                message(&provider, "a", body),
            ])
            .await
            .unwrap();
        let (a, b) = (first[0].id(), first[1].id());
        assert!(matches!(first[0], Inserted::New(_)), "{url}");
        assert!(matches!(first[1], Inserted::New(_)), "{url}");
        assert_eq!(
            first[2],
            Inserted::Duplicate(a),
            "{url}: a duplicate inside one group"
        );
        drop(store);
        // A restart: a new connection to the same database.
        let store = Store::open(&url).await.unwrap();
        assert_eq!(
            store
                .insert_batch(&[message(&provider, "a", body)])
                .await
                .unwrap(),
            vec![Inserted::Duplicate(a)],
            "{url}: dedup survives the restart"
        );
        let entry = store.get(a).await.unwrap().unwrap();
        assert_eq!(entry.body, body, "{url}");
        assert_eq!(
            (entry.deliveries, entry.attempts, entry.state),
            (3, 0, InboxState::Pending),
            "{url}"
        );
        assert_eq!(store.get(b).await.unwrap().unwrap().deliveries, 1, "{url}");
        assert!(store.get(-1).await.unwrap().is_none(), "{url}");
    }
}

#[tokio::test]
async fn a_claim_is_exclusive_until_its_lease_expires_and_a_stale_claim_changes_nothing() {
    for url in urls().await {
        let provider = unique("p");
        let store = Store::open(&url).await.unwrap();
        store
            .insert_batch(&[message(&provider, "a", b"{}")])
            .await
            .unwrap();
        let first = store
            .claim_due(&provider, "w1", Duration::from_millis(200), 10)
            .await
            .unwrap();
        assert_eq!(first.len(), 1, "{url}");
        assert_eq!(first[0].attempt(), 1, "{url}");
        assert!(
            store
                .claim_due(&provider, "w2", LONG, 10)
                .await
                .unwrap()
                .is_empty(),
            "{url}: leased"
        );
        assert!(
            store
                .renew(&first[0], Duration::from_millis(1))
                .await
                .unwrap(),
            "{url}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = store.claim_due(&provider, "w2", LONG, 10).await.unwrap();
        assert_eq!(second.len(), 1, "{url}: the expired lease is taken over");
        assert_eq!(second[0].attempt(), 2, "{url}: the abandoned run counts");
        // w1 comes back late: its claim is stale.
        assert!(!store.renew(&first[0], LONG).await.unwrap(), "{url}");
        assert!(!store.complete(&first[0]).await.unwrap(), "{url}");
        assert!(
            !store
                .fail(&first[0], "late", AfterFailure::DeadLetter)
                .await
                .unwrap(),
            "{url}"
        );
        assert!(store.complete(&second[0]).await.unwrap(), "{url}");
        let entry = store.get(second[0].entry.id).await.unwrap().unwrap();
        assert_eq!(entry.state, InboxState::Done, "{url}");
        assert!(entry.handled_at_ms.is_some(), "{url}");
        assert!(
            store
                .claim_due(&provider, "w3", LONG, 10)
                .await
                .unwrap()
                .is_empty(),
            "{url}: done is never handed out"
        );
    }
}

#[tokio::test]
async fn a_failure_waits_its_backoff_then_dead_letters_are_listed_and_replayed() {
    for url in urls().await {
        let provider = unique("p");
        let store = Store::open(&url).await.unwrap();
        let id = store
            .insert_batch(&[message(&provider, "a", b"{}")])
            .await
            .unwrap()[0]
            .id();
        let claim = store
            .claim_due(&provider, "w", LONG, 1)
            .await
            .unwrap()
            .remove(0);
        assert!(
            store
                .fail(&claim, "timeout", AfterFailure::RetryAfter(LONG))
                .await
                .unwrap(),
            "{url}"
        );
        assert!(
            store
                .claim_due(&provider, "w", LONG, 1)
                .await
                .unwrap()
                .is_empty(),
            "{url}: not due yet"
        );
        let entry = store.get(id).await.unwrap().unwrap();
        assert_eq!(
            (entry.state, entry.last_error.as_deref()),
            (InboxState::Pending, Some("timeout")),
            "{url}"
        );
        assert!(entry.due_at_ms > entry.received_at_ms + 3_000_000, "{url}");

        let id2 = store
            .insert_batch(&[message(&provider, "b", b"{}")])
            .await
            .unwrap()[0]
            .id();
        let claim = store
            .claim_due(&provider, "w", LONG, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(claim.entry.id, id2, "{url}");
        assert!(
            store
                .fail(&claim, "refused", AfterFailure::DeadLetter)
                .await
                .unwrap(),
            "{url}"
        );
        let dead = store.dead_letters().await.unwrap();
        let ours: Vec<_> = dead.iter().filter(|e| e.provider == provider).collect();
        assert_eq!(ours.len(), 1, "{url}");
        assert_eq!(
            (ours[0].id, ours[0].last_error.as_deref()),
            (id2, Some("refused")),
            "{url}"
        );
        assert!(
            store
                .claim_due(&provider, "w", LONG, 1)
                .await
                .unwrap()
                .is_empty(),
            "{url}: dead is not handed out"
        );

        assert_eq!(store.replay(id2).await.unwrap(), Replay::Replayed, "{url}");
        assert_eq!(
            store.replay(id2).await.unwrap(),
            Replay::NotDeadLetter(InboxState::Pending),
            "{url}"
        );
        assert_eq!(
            store.replay(i64::MAX).await.unwrap(),
            Replay::NotFound,
            "{url}"
        );
        let again = store.claim_due(&provider, "w", LONG, 1).await.unwrap();
        assert_eq!(
            (again[0].entry.id, again[0].attempt()),
            (id2, 1),
            "{url}: pending, attempts reset"
        );
    }
}

/// Four store instances (four connections; on Postgres as four processes would) claim 60 messages at the
/// same time: each message is claimed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_share_a_message() {
    for url in urls().await {
        let provider = unique("p");
        let setup = Store::open(&url).await.unwrap();
        let messages: Vec<_> = (0..60)
            .map(|n| message(&provider, &n.to_string(), b"{}"))
            .collect();
        setup.insert_batch(&messages).await.unwrap();
        let mut claimers = Vec::new();
        for w in 0..4 {
            let (url, provider) = (url.clone(), provider.clone());
            claimers.push(tokio::spawn(async move {
                let store = Store::open(&url).await.unwrap();
                let mut mine = Vec::new();
                loop {
                    let got = store
                        .claim_due(&provider, &format!("w{w}"), LONG, 3)
                        .await
                        .unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|c| c.entry.id));
                }
            }));
        }
        let mut all = Vec::new();
        for c in claimers {
            all.extend(c.await.unwrap());
        }
        all.sort();
        let before = all.len();
        all.dedup();
        assert_eq!(
            (before, all.len()),
            (60, 60),
            "{url}: every message claimed exactly once"
        );
    }
}

fn order_callback(order_id: &str) -> (Callback, Vec<u8>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vendor-docs/examples/xportcn/webhook-order-pay-success.request.json");
    let body = std::fs::read_to_string(path)
        .unwrap()
        .replace("3305075341149134260", order_id);
    let callback = formats::xportcn().parse(body.as_bytes()).unwrap();
    (callback, body.into_bytes())
}

fn fresh_order_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:019}", nanos % 10_000_000_000_000_000_000)
}

async fn claim_callback(store: &Store, order_id: &str) -> (Claim, Callback) {
    let (callback, body) = order_callback(order_id);
    // The row's provider is this test's own (the handler reads the parsed callback), so no worker elsewhere on
    // a shared database takes it.
    let provider = unique("xportcn");
    let mut message = NewMessage::of(&callback, body);
    message.provider = provider.clone();
    store.insert_batch(&[message]).await.unwrap();
    let claim = store
        .claim_due(&provider, "t", LONG, 1)
        .await
        .unwrap()
        .remove(0);
    (claim, callback)
}

#[tokio::test]
async fn the_order_handler_records_the_callback_and_completes_the_message_in_one_transaction() {
    for url in urls().await {
        let ledger = Ledger::open(&url).await.unwrap();
        let handler = OrderCallbacks::new(ledger.clone());
        let order_id = fresh_order_id();
        let (claim, callback) = claim_callback(ledger.store(), &order_id).await;
        assert_eq!(
            handler.handle(&claim, callback.clone()).await.unwrap(),
            Handled::Recorded,
            "{url}"
        );
        let entry = ledger.store().get(claim.entry.id).await.unwrap().unwrap();
        assert_eq!(entry.state, InboxState::Done, "{url}");
        let (order, events) = ledger.show(&order_id, None).await.unwrap();
        assert_eq!(
            order.origin, "callback",
            "{url}: known only from a callback"
        );
        assert_eq!(
            events.iter().filter(|e| e.source == "callback").count(),
            1,
            "{url}"
        );

        // The same claim again (a worker whose lease was taken over): refused, and the ledger event it wrote is
        // rolled back with it.
        assert!(handler.handle(&claim, callback).await.is_err(), "{url}");
        let (_, events) = ledger.show(&order_id, None).await.unwrap();
        assert_eq!(
            events.iter().filter(|e| e.source == "callback").count(),
            1,
            "{url}"
        );
    }
}

#[tokio::test]
async fn a_callback_with_an_empty_order_id_becomes_a_dead_letter_and_makes_no_entry() {
    for url in urls().await {
        let ledger = Ledger::open(&url).await.unwrap();
        let handler = OrderCallbacks::new(ledger.clone());
        let (claim, callback) = claim_callback(ledger.store(), "").await;
        assert_eq!(
            callback.order_id(),
            Some(""),
            "the parsed callback names an empty id"
        );
        assert_eq!(
            handler.handle(&claim, callback).await.unwrap(),
            Handled::Recorded,
            "{url}"
        );
        let message = ledger.store().get(claim.entry.id).await.unwrap().unwrap();
        assert_eq!(message.state, InboxState::Dead, "{url}: refused at once");
        let why = message.last_error.unwrap_or_default();
        assert!(why.contains("empty order id"), "{url}: {why}");
        let entries = ledger.list(sourcing_ledger::Filter::All).await.unwrap();
        assert!(
            entries.iter().all(|e| e.order_id.as_deref() != Some("")),
            "{url}: {entries:?}"
        );
    }
}

/// A provider brings its own callback format: Acme's (a test fixture, `tests/fixtures/providers/acme/callbacks.rs`,
/// signed with Acme's HMAC-SHA256 scheme) is posted to the durable inbox over loopback twice (a redelivery), the
/// worker hands it to the ledger's order handler, and the ledger shows the callback once — with no line for Acme
/// in `sourcing-webhooks` or `sourcing-ledger`. Acme's `paid` is no status the state table names, so the order is
/// recorded as the ledger records any unnamed report: known from a callback, `created`, unconfirmed,
/// `reported_other`. A push with a wrong signature is refused (401) and stored nowhere.
#[tokio::test]
async fn an_acme_callback_posted_twice_reaches_the_ledger_once() {
    use crate::acme::callbacks::{FACTORY, NAME};
    use sourcing_ledger::OrderState;
    use sourcing_webhooks::formats::WithSecret;
    use sourcing_webhooks::inbox::InboxReceiver;
    use sourcing_webhooks::outgoing::{OrderEvent, OrderFacts};
    use std::sync::Arc;

    for url in urls().await {
        let ledger = Ledger::open(&url).await.unwrap();
        let store = Arc::new(ledger.store().clone());
        // Built as its kit builds it: from the provider's configuration (here, its sandbox secret).
        let format = FACTORY(&WithSecret("sandbox-acme-secret".into())).unwrap();
        let receiver = InboxReceiver::new(store.clone(), format.clone());
        let worker = receiver.worker_with(OrderCallbacks::new(ledger.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let to = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(receiver.serve_on(listener, std::future::pending()));

        let order_id = fresh_order_id();
        let (goods, freight) = (sourcing_webhooks::Fen(9_500), sourcing_webhooks::Fen(500));
        let paid_ms = Some(1_779_263_260_000);
        let facts = OrderFacts::new(&order_id, goods, freight, 1_779_263_200_000, paid_ms);
        let sent = format
            .encode(OrderEvent::Paid, &facts, 1_779_263_269_913)
            .unwrap();
        let post = |body: String| {
            let to = to.clone();
            async move {
                let answer = reqwest::Client::new()
                    .post(to)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (answer.status().as_u16(), answer.text().await.unwrap())
            }
        };
        assert_eq!(
            post(sent.body.clone()).await,
            (200, "ok: stored".into()),
            "{url}"
        );
        let again = post(sent.body.clone()).await;
        assert_eq!(again.0, 200, "{url}");
        assert!(again.1.contains("duplicate"), "{url}: {}", again.1);
        let forged = sent.body.replace("\"paid\\\"", "\"waiting\\\"");
        assert_ne!(forged, sent.body, "the payload's status was changed");
        let refused = post(forged).await;
        assert_eq!(refused.0, 401, "{url}: {}", refused.1);

        assert_eq!(
            worker.run_once().await.unwrap(),
            1,
            "{url}: one stored message"
        );
        assert_eq!(worker.run_once().await.unwrap(), 0, "{url}: handled once");
        let (entry, events) = ledger.show(&order_id, None).await.unwrap();
        assert_eq!(
            (entry.provider.as_str(), entry.origin.as_str()),
            (NAME, "callback"),
            "{url}"
        );
        assert_eq!(
            (entry.state, entry.confirmed),
            (OrderState::Created, false),
            "{url}"
        );
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
        assert_eq!(kinds, ["reported_other"], "{url}: the callback, once");
        let detail = events[0].detail.as_deref().unwrap();
        assert!(detail.starts_with("order.paid: "), "{url}: {detail}");
        let stored = store.inbox_messages(None, 10).await.unwrap();
        let ours: Vec<_> = stored
            .iter()
            .filter(|m| m.order_id.as_deref() == Some(&order_id))
            .collect();
        assert_eq!(ours.len(), 1, "{url}");
        assert_eq!(
            (ours[0].provider.as_str(), ours[0].state, ours[0].deliveries),
            (NAME, InboxState::Done, 2)
        );
    }
}
