//! Delivering the callbacks the order flows queue ([`crate::flows::Store::queue`]), like the vendors: POST the
//! encoded body, and on a non-2xx answer (or no answer) try again on a schedule. The vendors document "every
//! 30 minutes, up to 5 times" (PandaPon/Xportcn message manual); the sandbox compresses it
//! ([`crate::SandboxConfig::callback_retries`], default 1 s, 2 s, 4 s, 8 s, 16 s).
//!
//! Deliveries live in the state (so a state file keeps the undelivered ones for the next process). A worker
//! claims the due ones under the state's lock (pushing them forward by a lease, so two processes sharing a
//! state do not both send one), sends them, then removes the delivered ones or schedules the next try.

use crate::flows::Store;
use crate::state::{Delivery, now_ms};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How long a claimed delivery is reserved for the process sending it.
const LEASE: Duration = Duration::from_secs(30);
/// Longest wait for one receiver's answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the worker looks at the state when nothing wakes it (other processes queue into a state file).
const POLL: Duration = Duration::from_millis(500);

pub(crate) struct Deliveries {
    client: reqwest::Client,
    schedule: Vec<Duration>,
    in_flight: AtomicUsize,
}

impl Deliveries {
    pub(crate) fn new(schedule: Vec<Duration>) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(SEND_TIMEOUT)
                .build()
                .unwrap_or_default(),
            schedule,
            in_flight: AtomicUsize::new(0),
        }
    }
}

/// Claim every due delivery (attempt counted, pushed forward by the lease); the state's error is logged.
fn claim_due(store: &Store) -> Vec<Delivery> {
    let now = now_ms();
    let lease = LEASE.as_millis() as u64;
    store
        .update(|d| {
            d.pending
                .iter_mut()
                .filter(|x| x.next_at_ms <= now)
                .map(|x| {
                    x.attempts += 1;
                    x.next_at_ms = now + lease;
                    x.clone()
                })
                .collect()
        })
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "sandbox: cannot read the callbacks owed");
            Vec::new()
        })
}

/// Whether nothing is being sent and nothing is due.
fn idle(store: &Store, deliveries: &Deliveries) -> bool {
    if deliveries.in_flight.load(Ordering::SeqCst) > 0 {
        return false;
    }
    let now = now_ms();
    store
        .snapshot()
        .map(|d| d.pending.iter().all(|x| x.next_at_ms > now))
        .unwrap_or(true)
}

/// Send one delivery and record the outcome.
async fn send(store: Arc<Store>, deliveries: Arc<Deliveries>, delivery: Delivery) {
    let outcome = deliveries
        .client
        .post(&delivery.url)
        .header("content-type", &delivery.content_type)
        .body(delivery.body.clone())
        .send()
        .await;
    let error = match outcome {
        Ok(r) if r.status().is_success() => None,
        Ok(r) => Some(format!("HTTP {}", r.status().as_u16())),
        Err(e) => Some(format!("no answer: {e}")),
    };
    let retry_in = deliveries
        .schedule
        .get(delivery.attempts as usize - 1)
        .copied();
    match (&error, retry_in) {
        (None, _) => tracing::info!(
            provider = %delivery.provider, event = %delivery.event, order_id = %delivery.order_id,
            url = %delivery.url, "sandbox: callback delivered"
        ),
        (Some(e), Some(wait)) => tracing::warn!(
            provider = %delivery.provider, event = %delivery.event, order_id = %delivery.order_id,
            url = %delivery.url, error = %e, retry_in_ms = wait.as_millis() as u64,
            "sandbox: callback refused; will retry"
        ),
        (Some(e), None) => tracing::warn!(
            provider = %delivery.provider, event = %delivery.event, order_id = %delivery.order_id,
            url = %delivery.url, error = %e, attempts = delivery.attempts,
            "sandbox: callback refused; retries spent, dropped"
        ),
    }
    let recorded = store.update(|d| {
        let Some(i) = d.pending.iter().position(|x| x.id == delivery.id) else {
            return;
        };
        match (error, retry_in) {
            (Some(e), Some(wait)) => {
                let x = &mut d.pending[i];
                x.next_at_ms = now_ms() + wait.as_millis() as u64;
                x.last_error = Some(e);
            }
            _ => {
                d.pending.remove(i);
            }
        }
    });
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "sandbox: cannot record a callback's outcome");
    }
    deliveries.in_flight.fetch_sub(1, Ordering::SeqCst);
    store.wake.notify_one();
}

/// The worker: send what is due, sleep until woken or the next poll, until the sandbox stops.
pub(crate) async fn run(store: Arc<Store>, deliveries: Arc<Deliveries>) {
    loop {
        // Counted in flight while claiming, so that `settle` never sees a claimed delivery as neither due nor
        // being sent.
        deliveries.in_flight.fetch_add(1, Ordering::SeqCst);
        for delivery in claim_due(&store) {
            deliveries.in_flight.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(send(store.clone(), deliveries.clone(), delivery));
        }
        deliveries.in_flight.fetch_sub(1, Ordering::SeqCst);
        let wait = store
            .snapshot()
            .ok()
            .and_then(|d| d.pending.iter().map(|x| x.next_at_ms).min())
            .map(|at| Duration::from_millis(at.saturating_sub(now_ms())))
            .unwrap_or(POLL)
            .min(POLL);
        tokio::select! {
            () = store.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Wait (at most `bound`) until every due callback has had its attempt: what a short-lived process does
/// before it exits. Undelivered ones stay in the state for the next process.
pub(crate) async fn settle(store: &Store, deliveries: &Deliveries, bound: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        if idle(store, deliveries) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        store.wake.notify_one();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
