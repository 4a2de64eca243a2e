//! The worker: claims due messages under a lease, runs the handler, records success, or schedules a retry with
//! exponential backoff, or dead-letters the message after the last attempt.

use super::store::{AfterFailure, Claim, InboxStore, InboxStoreError};
use crate::callback::{Callback, CallbackFormat, Handler, HandlerError};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Default lease: how long a claimed message stays reserved for its worker without a renewal. A live worker
/// renews it every third of that while the handler runs; a crashed worker's messages are handed out again
/// after it expires.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// Default interval at which an idle worker looks for due messages it was not woken for (stored by another
/// instance, or retries falling due).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// When a failed message is tried again, and when it is given up (dead-lettered).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedeliveryPolicy {
    /// Handler runs (including runs cut short by a crash) before the message becomes a dead letter.
    pub max_attempts: u32,
    /// Delay after the first failure; doubled after each further one.
    pub first_delay: Duration,
    /// Cap on the delay.
    pub max_delay: Duration,
}

impl Default for RedeliveryPolicy {
    /// 10 attempts, 5 s doubling, capped at 10 min: about 35 minutes from the first failure to the dead letter.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(600),
        }
    }
}

impl RedeliveryPolicy {
    /// `max_attempts` runs, `first_delay` after the first failure, doubling, capped at `max_delay`.
    pub const fn new(max_attempts: u32, first_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_attempts,
            first_delay,
            max_delay,
        }
    }

    /// This policy with `max_attempts` runs before the dead letter.
    pub const fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// What follows the failure of attempt number `attempt` (1 for the first run).
    pub fn after_failure(&self, attempt: u32) -> AfterFailure {
        if attempt >= self.max_attempts {
            return AfterFailure::DeadLetter;
        }
        let doublings = attempt.saturating_sub(1).min(31);
        let delay = self.first_delay.saturating_mul(1 << doublings);
        AfterFailure::RetryAfter(delay.min(self.max_delay))
    }
}

/// What a handler run on a claimed message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled {
    /// The effect is done; the worker records the message `done` next (a crash in between runs the handler
    /// again: at least once).
    Done,
    /// The handler recorded the message `done` itself, in the transaction of its effect (with the store's
    /// completion for this claim), so the two cannot be separated by a crash: exactly once.
    Recorded,
}

/// Your code run by an [`InboxWorker`] on a claimed message. Any [`Handler`] is one, through
/// [`AtLeastOnce`] ([`InboxWorker::new`] wraps it); implement this trait directly to complete the claim in your
/// own transaction ([`Handled::Recorded`]), as the ledger's order handler does.
pub trait InboxHandler: Send + Sync + 'static {
    /// Acts on `callback`, the parsed message of `claim`.
    fn handle(
        &self,
        claim: &Claim,
        callback: Callback,
    ) -> impl Future<Output = Result<Handled, HandlerError>> + Send;
}

/// A plain [`Handler`] as an [`InboxHandler`]: the worker records success after it returns.
pub struct AtLeastOnce<H>(pub H);

impl<H: Handler> InboxHandler for AtLeastOnce<H> {
    fn handle(
        &self,
        _claim: &Claim,
        callback: Callback,
    ) -> impl Future<Output = Result<Handled, HandlerError>> + Send {
        let run = self.0.handle(callback);
        async move { run.await.map(|()| Handled::Done) }
    }
}

/// Runs an [`InboxHandler`] on the stored messages of one callback format. Start as many as you like, in one process
/// or several on one database: the lease makes one of them the only runner of a message at a time.
pub struct InboxWorker<S, H> {
    inner: Inner<S, H>,
}

struct Inner<S, H> {
    store: Arc<S>,
    format: Arc<dyn CallbackFormat>,
    handler: Arc<H>,
    redelivery: RedeliveryPolicy,
    lease: Duration,
    poll_interval: Duration,
    batch: usize,
    owner: String,
    wake: Arc<Notify>,
}

// Not derived: `S` and `H` are behind `Arc`s and need not be `Clone`.
impl<S, H> Clone for Inner<S, H> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            format: self.format.clone(),
            handler: self.handler.clone(),
            redelivery: self.redelivery,
            lease: self.lease,
            poll_interval: self.poll_interval,
            batch: self.batch,
            owner: self.owner.clone(),
            wake: self.wake.clone(),
        }
    }
}

impl<S, F, Fut> InboxWorker<S, AtLeastOnce<F>>
where
    S: InboxStore,
    F: Fn(Callback) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send,
{
    /// A worker running a plain async closure (at least once; `|cb| async move { …; Ok(()) }`, no type
    /// annotations needed), with the default redelivery policy, lease and poll interval. Any other [`Handler`]:
    /// `InboxWorker::with_handler(store, format, AtLeastOnce(handler))`.
    ///
    /// ```
    /// use sourcing_webhooks::formats;
    /// use sourcing_webhooks::inbox::{InboxStore, InboxWorker};
    ///
    /// fn start<S: InboxStore>(store: std::sync::Arc<S>) {
    ///     let worker = InboxWorker::new(store, formats::xportcn(), |cb| async move {
    ///         println!("{:?}", cb.order_id());
    ///         Ok(())
    ///     });
    ///     tokio::spawn(worker.run(std::future::pending()));
    /// }
    /// ```
    pub fn new(store: Arc<S>, format: Arc<dyn CallbackFormat>, handler: F) -> Self {
        InboxWorker::with_handler(store, format, AtLeastOnce(handler))
    }
}

impl<S: InboxStore, H: InboxHandler> InboxWorker<S, H> {
    /// A worker running an [`InboxHandler`], with the default redelivery policy, lease and poll interval.
    pub fn with_handler(store: Arc<S>, format: Arc<dyn CallbackFormat>, handler: H) -> Self {
        Self {
            inner: Inner {
                store,
                format,
                handler: Arc::new(handler),
                redelivery: RedeliveryPolicy::default(),
                lease: DEFAULT_LEASE,
                poll_interval: DEFAULT_POLL_INTERVAL,
                batch: 16,
                owner: new_owner_id(),
                wake: Arc::new(Notify::new()),
            },
        }
    }

    fn with(mut self, change: impl FnOnce(&mut Inner<S, H>)) -> Self {
        change(&mut self.inner);
        self
    }

    /// Retries, backoff and the dead-letter threshold (default [`RedeliveryPolicy::default`]).
    pub fn redelivery(self, policy: RedeliveryPolicy) -> Self {
        self.with(|i| i.redelivery = policy)
    }

    /// The lease (default [`DEFAULT_LEASE`]); at least 30 ms.
    pub fn lease(self, lease: Duration) -> Self {
        self.with(|i| i.lease = lease.max(Duration::from_millis(30)))
    }

    /// The idle poll interval (default [`DEFAULT_POLL_INTERVAL`]).
    pub fn poll_interval(self, interval: Duration) -> Self {
        self.with(|i| i.poll_interval = interval)
    }

    pub(crate) fn wake_on(self, wake: Arc<Notify>) -> Self {
        self.with(|i| i.wake = wake)
    }

    /// Processes due messages until `shutdown` completes (the handlers running then are finished first).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            let handled = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "inbox worker: claiming failed; trying again");
                    0
                }
            };
            if handled > 0 {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(self.inner.poll_interval) => {}
            }
        }
    }

    /// Claims the due messages (up to a batch) and runs their handlers concurrently; returns how many it claimed.
    pub async fn run_once(&self) -> Result<usize, InboxStoreError> {
        let inner = &self.inner;
        let claims = inner
            .store
            .claim_due(inner.format.name(), &inner.owner, inner.lease, inner.batch)
            .await?;
        let claimed = claims.len();
        let mut running = tokio::task::JoinSet::new();
        for claim in claims {
            running.spawn(inner.clone().process(claim));
        }
        // Successes are recorded as they finish; those finished together are recorded in one transaction.
        while let Some(first) = running.join_next().await {
            let mut done: Vec<Claim> = first.ok().flatten().into_iter().collect();
            while let Some(more) = running.try_join_next() {
                done.extend(more.ok().flatten());
            }
            inner.record_done(&done).await;
        }
        Ok(claimed)
    }
}

impl<S: InboxStore, H: InboxHandler> Inner<S, H> {
    /// Runs the handler on one claimed message; the claim back when the worker is to record its success.
    async fn process(self, claim: Claim) -> Option<Claim> {
        let (id, attempt) = (claim.entry.id, claim.attempt());
        let callback = match self.format.parse(&claim.entry.body) {
            Ok(callback) => callback,
            Err(e) => {
                let error = format!("the stored body no longer parses: {e}");
                self.record_failure(&claim, &error).await;
                return None;
            }
        };
        match self.run_handler(&claim, callback).await {
            Some(Ok(Handled::Recorded)) => {
                tracing::info!(
                    id,
                    attempt,
                    "inbox message handled (recorded by the handler)"
                );
                None
            }
            Some(Ok(Handled::Done)) => Some(claim),
            Some(Err(error)) => {
                self.record_failure(&claim, &error).await;
                None
            }
            None => None,
        }
    }

    async fn record_done(&self, done: &[Claim]) {
        if done.is_empty() {
            return;
        }
        match self.store.complete_all(done).await {
            Ok(recorded) => {
                for (claim, recorded) in done.iter().zip(recorded) {
                    let (id, attempt) = (claim.entry.id, claim.attempt());
                    if recorded {
                        tracing::info!(id, attempt, "inbox message handled");
                    } else {
                        tracing::warn!(id, attempt, "handled, but the lease was lost meanwhile");
                    }
                }
            }
            Err(e) => {
                tracing::warn!(count = done.len(), error = %e, "handled, but not recorded: they run again after the lease")
            }
        }
    }

    /// Runs the handler in its own task (a panic is contained) while renewing the lease. `None` when the lease
    /// was lost (the handler is then stopped: another worker owns the message).
    async fn run_handler(
        &self,
        claim: &Claim,
        callback: Callback,
    ) -> Option<Result<Handled, String>> {
        let (handler, owned_claim) = (self.handler.clone(), claim.clone());
        let mut task = tokio::spawn(async move { handler.handle(&owned_claim, callback).await });
        let renew_every = self.lease / 3;
        loop {
            tokio::select! {
                joined = &mut task => {
                    return Some(match joined {
                        Ok(Ok(handled)) => Ok(handled),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(e) => Err(format!("handler panicked: {e}")),
                    });
                }
                () = tokio::time::sleep(renew_every) => match self.store.renew(claim, self.lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        task.abort();
                        tracing::warn!(id = claim.entry.id, "lease lost while the handler ran: handler stopped");
                        return None;
                    }
                    Err(e) => tracing::warn!(id = claim.entry.id, error = %e, "lease renewal failed; trying again"),
                },
            }
        }
    }

    async fn record_failure(&self, claim: &Claim, error: &str) {
        let (id, attempt) = (claim.entry.id, claim.attempt());
        let then = self.redelivery.after_failure(attempt);
        match self.store.fail(claim, error, then).await {
            Ok(_) if then == AfterFailure::DeadLetter => {
                tracing::error!(
                    id,
                    attempt,
                    error,
                    "inbox message dead-lettered: replay it once the cause is fixed"
                );
            }
            Ok(_) => tracing::warn!(
                id,
                attempt,
                error,
                ?then,
                "inbox handler failed; will retry"
            ),
            Err(e) => {
                tracing::warn!(id, attempt, error, store_error = %e, "handler failed and the failure was not recorded")
            }
        }
    }
}

/// Unique per worker instance across processes and hosts (pid, start time, a counter).
fn new_owner_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_dead_letters_at_the_last_attempt() {
        let p = RedeliveryPolicy {
            max_attempts: 5,
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10),
        };
        let after = |n| p.after_failure(n);
        assert_eq!(after(1), AfterFailure::RetryAfter(Duration::from_secs(2)));
        assert_eq!(after(2), AfterFailure::RetryAfter(Duration::from_secs(4)));
        assert_eq!(after(3), AfterFailure::RetryAfter(Duration::from_secs(8)));
        assert_eq!(after(4), AfterFailure::RetryAfter(Duration::from_secs(10)));
        assert_eq!(after(5), AfterFailure::DeadLetter);
        assert_eq!(after(50), AfterFailure::DeadLetter);
        let long = RedeliveryPolicy {
            max_attempts: 100,
            ..p
        };
        assert_eq!(
            long.after_failure(90),
            AfterFailure::RetryAfter(Duration::from_secs(10))
        );
    }
}
