//! What the durable inbox needs from a database ([`InboxStore`]), and the records it keeps.
//!
//! The SQL implementations (SQLite, Postgres) live in `sourcing-ledger`, next to the order ledger, in the same
//! database and migrations. Times are milliseconds since the Unix epoch, taken from the store's clock (for
//! Postgres the server's, so instances on hosts with skewed clocks agree on leases).

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// An inbox store failed (connection lost, disk full, constraint other than dedup…). The receiver answers
/// such a delivery `503` (not acknowledged: the vendor retries); the worker retries later.
#[derive(Debug, thiserror::Error)]
#[error("inbox store: {0}")]
pub struct InboxStoreError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl InboxStoreError {
    /// Wraps the store's own error.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(source.into())
    }
}

/// A verified callback to store: the raw body exactly as received, and what identifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewMessage {
    /// The callback format's name ([`crate::CallbackFormat::name`]): how to parse `body` again.
    pub provider: String,
    /// [`crate::DedupKey::to_hex`] of the callback: the column with the UNIQUE constraint.
    pub dedup_key: String,
    /// [`crate::Callback::kind`], for people reading the inbox.
    pub kind: String,
    /// [`crate::Callback::order_id`], for people reading the inbox.
    pub order_id: Option<String>,
    /// The request body exactly as received.
    pub body: Vec<u8>,
}

impl NewMessage {
    /// A message of the format `provider` with these fields.
    pub fn new(
        provider: impl Into<String>,
        dedup_key: impl Into<String>,
        kind: impl Into<String>,
        order_id: Option<String>,
        body: Vec<u8>,
    ) -> Self {
        Self {
            provider: provider.into(),
            dedup_key: dedup_key.into(),
            kind: kind.into(),
            order_id,
            body,
        }
    }

    /// The message that stores `callback`, received as `body`: what the durable receiver stores.
    pub fn of(callback: &crate::Callback, body: Vec<u8>) -> Self {
        let order_id = callback.order_id().map(str::to_owned);
        let key = callback.dedup_key().to_hex();
        Self::new(callback.provider(), key, callback.kind(), order_id, body)
    }
}

/// What [`InboxStore::insert_batch`] did with one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inserted {
    /// Stored now under this id.
    New(i64),
    /// A message with the same dedup key was already stored (under this id); its delivery count went up.
    Duplicate(i64),
}

impl Inserted {
    /// The message's id, new or earlier.
    pub fn id(self) -> i64 {
        match self {
            Inserted::New(id) | Inserted::Duplicate(id) => id,
        }
    }
}

/// Where a stored message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InboxState {
    /// Waiting for a worker (or held by one under a lease), due at `due_at_ms`.
    Pending,
    /// A handler succeeded; never handed out again.
    Done,
    /// Failed `max_attempts` times; waits for a person ([`InboxStore::replay`]).
    Dead,
}

impl InboxState {
    /// The name stored in the database (`pending`, `done`, `dead`).
    pub fn as_str(self) -> &'static str {
        match self {
            InboxState::Pending => "pending",
            InboxState::Done => "done",
            InboxState::Dead => "dead",
        }
    }

    /// The state of this stored name; `None` for a name this version does not know.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "pending" => InboxState::Pending,
            "done" => InboxState::Done,
            "dead" => InboxState::Dead,
            _ => return None,
        })
    }
}

/// A stored message as a person or a worker sees it. A store builds it with [`InboxEntry::new`] and sets the
/// fields its row holds.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct InboxEntry {
    /// The inbox id: unique, increasing in the order messages were stored (not dense).
    pub id: i64,
    /// The callback format's name: the format that parses `body` again.
    pub provider: String,
    /// The dedup key (40 hex characters), unique in the store.
    pub dedup_key: String,
    /// The message type, for people ([`crate::Callback::kind`]).
    pub kind: String,
    /// The order the message is about, when it names one.
    pub order_id: Option<String>,
    /// The raw request body (not serialised: it can be large; [`InboxEntry::body_text`] for display).
    #[serde(skip)]
    pub body: Vec<u8>,
    /// Where the message is in its life.
    pub state: InboxState,
    /// Handler runs started (claims), including runs cut short by a crash.
    pub attempts: u32,
    /// Deliveries received (1 + duplicates acknowledged without storing again).
    pub deliveries: u32,
    /// When it was stored (ms since the epoch, the store's clock).
    pub received_at_ms: i64,
    /// When it is next due to a worker.
    pub due_at_ms: i64,
    /// When a handler succeeded.
    pub handled_at_ms: Option<i64>,
    /// The last handler failure, if any.
    pub last_error: Option<String>,
}

impl InboxEntry {
    /// `message` as just stored under `id` at `received_at_ms`: pending, due then, delivered once, never run.
    pub fn new(id: i64, message: NewMessage, received_at_ms: i64) -> Self {
        Self {
            id,
            provider: message.provider,
            dedup_key: message.dedup_key,
            kind: message.kind,
            order_id: message.order_id,
            body: message.body,
            state: InboxState::Pending,
            attempts: 0,
            deliveries: 1,
            received_at_ms,
            due_at_ms: received_at_ms,
            handled_at_ms: None,
            last_error: None,
        }
    }

    /// The body as text (lossy for non-UTF-8 bytes).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Debug for InboxEntry {
    // The body is left out: it is the vendor's data, not needed to follow the message's life in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxEntry")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("kind", &self.kind)
            .field("order_id", &self.order_id)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("deliveries", &self.deliveries)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

/// One worker's hold on one message: the message and the lease that makes the worker its only runner.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claim {
    /// The message.
    pub entry: InboxEntry,
    /// Who holds the lease: unique per worker instance.
    pub owner: String,
}

impl Claim {
    /// `owner`'s claim on `entry` (what a store's [`InboxStore::claim_due`] returns).
    pub fn new(entry: InboxEntry, owner: impl Into<String>) -> Self {
        Self {
            entry,
            owner: owner.into(),
        }
    }

    /// The lease is identified by message, owner and attempt number: a stale worker's late `complete` or
    /// `fail` after its lease expired and another worker re-claimed the message changes nothing.
    pub fn attempt(&self) -> u32 {
        self.entry.attempts
    }
}

/// What to do with a message whose handler failed. Exhaustive on purpose: every store acts on each variant, so a
/// new one would be a breaking change for them anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Hand it out again after this delay.
    RetryAfter(Duration),
    /// Stop: state `dead` until a person replays it.
    DeadLetter,
}

/// Outcome of [`InboxStore::replay`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// The dead letter is pending again, due now, with its attempt count reset.
    Replayed,
    /// The message exists but is not a dead letter (it is pending or done): nothing changed.
    NotDeadLetter(InboxState),
    /// No message has this id.
    NotFound,
}

/// The storage the durable inbox runs on. Implementations must give these guarantees; the SQL ones in
/// `sourcing-ledger` are tested against them on SQLite and Postgres.
///
/// * [`insert_batch`](Self::insert_batch) is **one transaction**, committed durably before it returns: all
///   messages are stored or none. Deduplication is a `UNIQUE` constraint on `dedup_key`.
/// * [`claim_due`](Self::claim_due) hands a message to **one** claimer at a time: a pending message is
///   claimable when due and not under an unexpired lease; claiming sets the lease and counts an attempt, atomically
///   (a conditional update; on Postgres `FOR UPDATE SKIP LOCKED`).
/// * `renew`, `complete` and `fail` act only while the claim is still the current one (same owner and attempt)
///   and return `false` otherwise (the lease expired and the message was claimed again, or replayed).
pub trait InboxStore: Send + Sync + 'static {
    /// Stores each message unless one with its dedup key exists, in one transaction. One result per message, in
    /// order.
    fn insert_batch(
        &self,
        messages: &[NewMessage],
    ) -> impl Future<Output = Result<Vec<Inserted>, InboxStoreError>> + Send;

    /// Claims up to `limit` due pending messages of `provider` for `owner`, each under a lease of `lease`.
    fn claim_due(
        &self,
        provider: &str,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Claim>, InboxStoreError>> + Send;

    /// Extends a live claim's lease to `lease` from now.
    fn renew(
        &self,
        claim: &Claim,
        lease: Duration,
    ) -> impl Future<Output = Result<bool, InboxStoreError>> + Send;

    /// The handler succeeded: state `done`, lease released.
    fn complete(&self, claim: &Claim)
    -> impl Future<Output = Result<bool, InboxStoreError>> + Send;

    /// [`complete`](Self::complete) for several claims, one result each; a store overrides it to record them in
    /// one transaction (one commit for a batch of handled messages).
    fn complete_all(
        &self,
        claims: &[Claim],
    ) -> impl Future<Output = Result<Vec<bool>, InboxStoreError>> + Send {
        async move {
            let mut recorded = Vec::with_capacity(claims.len());
            for claim in claims {
                recorded.push(self.complete(claim).await?);
            }
            Ok(recorded)
        }
    }

    /// The handler failed with `error`: pending again after a delay, or dead.
    fn fail(
        &self,
        claim: &Claim,
        error: &str,
        then: AfterFailure,
    ) -> impl Future<Output = Result<bool, InboxStoreError>> + Send;

    /// One message by id.
    fn get(
        &self,
        id: i64,
    ) -> impl Future<Output = Result<Option<InboxEntry>, InboxStoreError>> + Send;

    /// Dead letters, oldest first.
    fn dead_letters(&self)
    -> impl Future<Output = Result<Vec<InboxEntry>, InboxStoreError>> + Send;

    /// Makes a dead letter pending again (due now, attempts reset).
    fn replay(&self, id: i64) -> impl Future<Output = Result<Replay, InboxStoreError>> + Send;
}
