//! The durable inbox over loopback, on the in-memory test store (`memory_store`): each guarantee of
//! `sourcing_webhooks::inbox` that does not need a real database. The SQL stores, crashes and several
//! processes are tested in `sourcing-ledger` and the `sourcing` CLI.

use crate::memory_store::MemoryStore;
use crate::receiver::{ORDER_CANCEL_TEXT, ORDER_CREATE_TEXT, post_json};
use sourcing_webhooks::inbox::{
    AtLeastOnce, InboxReceiver, InboxState, InboxStore, InboxWorker, RedeliveryPolicy, Replay,
};
use sourcing_webhooks::{Callback, HandlerError, formats};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

async fn start(receiver: InboxReceiver<MemoryStore>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(receiver.serve_on(listener, std::future::pending()));
    format!("http://{addr}")
}

/// Waits (up to 20 s) until `done` holds; the loop is how long the worker needs, not an assertion on time.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

fn counting_handler(
    calls: Arc<AtomicUsize>,
    fail: Arc<AtomicBool>,
) -> impl sourcing_webhooks::Handler {
    move |_cb: Callback| {
        calls.fetch_add(1, Ordering::SeqCst);
        let fail = fail.load(Ordering::SeqCst);
        async move {
            if fail {
                Err::<(), HandlerError>("warehouse system unavailable".into())
            } else {
                Ok(())
            }
        }
    }
}

const FAST_RETRY: RedeliveryPolicy =
    RedeliveryPolicy::new(3, Duration::from_millis(10), Duration::from_millis(20));

#[tokio::test]
async fn a_message_is_stored_raw_before_200_and_handled_once_by_the_worker() {
    let store = Arc::new(MemoryStore::default());
    let stored = Arc::new(Mutex::new(Vec::new()));
    let s = stored.clone();
    let receiver =
        InboxReceiver::new(store.clone(), formats::xportcn()).on_stored(move |id, cb| {
            s.lock()
                .unwrap()
                .push((id, cb.order_id().map(str::to_owned)))
        });
    let calls = Arc::new(AtomicUsize::new(0));
    let worker = receiver.worker_with(AtLeastOnce(counting_handler(calls.clone(), Arc::default())));
    let url = start(receiver).await;

    assert_eq!(
        post_json(&url, &ORDER_CREATE_TEXT).await,
        (200, "ok: stored".into())
    );
    // Acknowledged means stored: the raw body is there, pending, before any handler ran.
    let entries = store.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].body, ORDER_CREATE_TEXT.as_bytes());
    assert_eq!(entries[0].provider, "xportcn");
    assert_eq!(entries[0].dedup_key.len(), 40);
    assert_eq!(entries[0].order_id.as_deref(), Some("3305075341149134260"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(
        *stored.lock().unwrap(),
        vec![(1, Some("3305075341149134260".into()))]
    );

    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(store.get(1).await.unwrap().unwrap().state, InboxState::Done);
    // Succeeded and recorded: never handed out again.
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_redelivery_is_acknowledged_without_storing_or_handling_it_again() {
    let store = Arc::new(MemoryStore::default());
    let new = Arc::new(AtomicUsize::new(0));
    let n = new.clone();
    let receiver = InboxReceiver::new(store.clone(), formats::pandapon()).on_stored(move |_, _| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    let calls = Arc::new(AtomicUsize::new(0));
    let worker = receiver.worker_with(AtLeastOnce(counting_handler(calls.clone(), Arc::default())));
    let url = start(receiver).await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    worker.run_once().await.unwrap();
    // Redelivered after handling, with a new push time (not part of the dedup key).
    let repushed = ORDER_CREATE_TEXT.replace("1779263269913", "1779265069913");
    let (status, text) = post_json(&url, &repushed).await;
    assert_eq!((status, text.contains("duplicate")), (200, true), "{text}");
    assert_eq!(
        post_json(&url, &ORDER_CANCEL_TEXT).await.0,
        200,
        "another message is new"
    );
    worker.run_once().await.unwrap();
    let entries = store.entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].deliveries, 2);
    assert_eq!(
        new.load(Ordering::SeqCst),
        2,
        "on_stored is for new messages only"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one handler run per message"
    );
}

#[tokio::test]
async fn a_store_failure_is_503_so_the_vendor_redelivers() {
    let store = Arc::new(MemoryStore::default());
    let url = start(InboxReceiver::new(store.clone(), formats::xportcn())).await;
    store.failing.store(true, Ordering::SeqCst);
    let (status, text) = post_json(&url, &ORDER_CREATE_TEXT).await;
    assert_eq!(status, 503, "{text}");
    assert!(store.entries().is_empty());
    store.failing.store(false, Ordering::SeqCst);
    assert_eq!(
        post_json(&url, &ORDER_CREATE_TEXT).await,
        (200, "ok: stored".into())
    );
}

#[tokio::test]
async fn bad_bodies_are_refused_as_by_the_in_memory_receiver_and_not_stored() {
    let store = Arc::new(MemoryStore::default());
    let url = start(InboxReceiver::new(store.clone(), formats::xportcn()).body_limit(1024)).await;
    assert_eq!(post_json(&url, "not json").await.0, 400);
    assert_eq!(post_json(&url, &"x".repeat(2048)).await.0, 413);
    assert_eq!(post_json(&url, "").await.0, 200, "empty probe");
    assert!(store.entries().is_empty());
}

#[tokio::test]
async fn a_failing_handler_is_retried_then_dead_lettered_then_replayed() {
    let store = Arc::new(MemoryStore::default());
    let receiver = InboxReceiver::new(store.clone(), formats::xportcn());
    let (calls, fail) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(true)),
    );
    let worker = receiver
        .worker_with(AtLeastOnce(counting_handler(calls.clone(), fail.clone())))
        .redelivery(FAST_RETRY)
        .poll_interval(Duration::from_millis(5));
    let url = start(receiver).await;
    tokio::spawn(worker.run(std::future::pending()));
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);

    eventually("dead-lettered", || {
        store.entries()[0].state == InboxState::Dead
    })
    .await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "max_attempts runs, no more"
    );
    let dead = store.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("warehouse system unavailable")
    );

    fail.store(false, Ordering::SeqCst);
    assert_eq!(store.replay(dead[0].id).await.unwrap(), Replay::Replayed);
    eventually("handled after replay", || {
        store.entries()[0].state == InboxState::Done
    })
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(
        store.replay(dead[0].id).await.unwrap(),
        Replay::NotDeadLetter(InboxState::Done)
    );
    assert_eq!(store.replay(999).await.unwrap(), Replay::NotFound);
}

#[tokio::test]
async fn a_panicking_handler_is_a_failure_not_a_crash() {
    let store = Arc::new(MemoryStore::default());
    let receiver = InboxReceiver::new(store.clone(), formats::xportcn());
    let worker = receiver
        // A plain async closure, no type annotations.
        .worker(|cb| async move {
            if cb.order_id().is_some() {
                panic!("handler bug");
            }
            Ok(())
        })
        .redelivery(FAST_RETRY);
    let url = start(receiver).await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let entry = store.get(1).await.unwrap().unwrap();
    assert_eq!(entry.state, InboxState::Pending, "retried later");
    assert!(entry.last_error.unwrap().contains("panicked"));
}

#[tokio::test]
async fn two_workers_on_one_store_run_each_message_once() {
    let store = Arc::new(MemoryStore::default());
    let receiver = InboxReceiver::new(store.clone(), formats::xportcn());
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let handler = |runs: Arc<Mutex<HashMap<String, usize>>>| {
        move |cb: Callback| {
            let runs = runs.clone();
            async move {
                let key = cb.dedup_key().to_hex();
                *runs.lock().unwrap().entry(key).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok::<(), HandlerError>(())
            }
        }
    };
    let a = receiver
        .worker(handler(runs.clone()))
        .poll_interval(Duration::from_millis(2));
    let b = InboxWorker::new(store.clone(), formats::xportcn(), handler(runs.clone()))
        .poll_interval(Duration::from_millis(2));
    let url = start(receiver).await;
    tokio::spawn(a.run(std::future::pending()));
    tokio::spawn(b.run(std::future::pending()));
    for n in 0..40 {
        let body =
            ORDER_CREATE_TEXT.replace("3305075341149134260", &format!("33050753411491342{n:02}"));
        assert_eq!(post_json(&url, &body).await.0, 200);
    }
    eventually("all handled", || {
        store.entries().iter().all(|e| e.state == InboxState::Done)
    })
    .await;
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 40);
    assert!(runs.values().all(|&n| n == 1), "{runs:?}");
}

#[tokio::test]
async fn a_crashed_workers_lease_expires_and_another_worker_takes_the_message() {
    let store = Arc::new(MemoryStore::default());
    let receiver = InboxReceiver::new(store.clone(), formats::xportcn());
    let calls = Arc::new(AtomicUsize::new(0));
    let worker = receiver.worker_with(AtLeastOnce(counting_handler(calls.clone(), Arc::default())));
    let url = start(receiver).await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    assert_eq!(post_json(&url, &ORDER_CANCEL_TEXT).await.0, 200);
    // A worker that claims both and dies: one lease far in the future, one already over.
    let long = store
        .claim_due("xportcn", "crashed-1", Duration::from_secs(3600), 1)
        .await
        .unwrap();
    let short = store
        .claim_due("xportcn", "crashed-2", Duration::from_millis(1), 1)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        worker.run_once().await.unwrap(),
        1,
        "only the expired lease is taken over"
    );
    assert_eq!(
        store.get(short[0].entry.id).await.unwrap().unwrap().state,
        InboxState::Done
    );
    assert_eq!(
        store
            .get(short[0].entry.id)
            .await
            .unwrap()
            .unwrap()
            .attempts,
        2,
        "the crashed run counts"
    );
    assert_eq!(
        store.get(long[0].entry.id).await.unwrap().unwrap().state,
        InboxState::Pending
    );
    // The crashed worker's claim is stale: it can no longer record anything.
    assert!(!store.complete(&short[0]).await.unwrap());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// Delivery is at least once: a handler whose success could not be recorded runs again once its lease expires.
#[tokio::test]
async fn a_success_that_was_not_recorded_runs_the_handler_again() {
    let store = Arc::new(MemoryStore::default());
    let receiver = InboxReceiver::new(store.clone(), formats::xportcn());
    let calls = Arc::new(AtomicUsize::new(0));
    let worker = receiver
        .worker_with(AtLeastOnce(counting_handler(calls.clone(), Arc::default())))
        .lease(Duration::from_millis(30));
    let url = start(receiver).await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    store.failing_complete.store(true, Ordering::SeqCst);
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        store.get(1).await.unwrap().unwrap().state,
        InboxState::Pending
    );
    store.failing_complete.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(40)).await; // past the lease
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "run again: at least once");
    assert_eq!(store.get(1).await.unwrap().unwrap().state, InboxState::Done);
}

/// A handler that runs longer than the lease keeps its message: the worker renews the lease, so a second
/// worker polling all along never runs it too.
#[tokio::test]
async fn a_handler_longer_than_the_lease_keeps_its_message() {
    let store = Arc::new(MemoryStore::default());
    let receiver = InboxReceiver::new(store.clone(), formats::xportcn());
    let runs = Arc::new(AtomicUsize::new(0));
    let slow = |runs: Arc<AtomicUsize>| {
        move |_cb: Callback| {
            runs.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(1200)).await;
                Ok::<(), HandlerError>(())
            }
        }
    };
    // Renewed every 100 ms; without renewal the other worker would take the message after 300 ms.
    let lease = Duration::from_millis(300);
    let a = receiver
        .worker(slow(runs.clone()))
        .lease(lease)
        .poll_interval(Duration::from_millis(5));
    let b = InboxWorker::new(store.clone(), formats::xportcn(), slow(runs.clone()))
        .lease(lease)
        .poll_interval(Duration::from_millis(5));
    let url = start(receiver).await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    tokio::spawn(a.run(std::future::pending()));
    tokio::spawn(b.run(std::future::pending()));
    eventually("handled", || store.entries()[0].state == InboxState::Done).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "never run by both workers");
    assert_eq!(store.entries()[0].attempts, 1);
}
