//! The durable inbox: callbacks are stored in a database before they are acknowledged, and handlers run from
//! there, asynchronously, with retries, backoff and a dead-letter state.
//!
//! ```text
//! vendor ──POST──▶ InboxReceiver ── verify ── INSERT (one transaction, UNIQUE dedup_key) ── 200
//!                                                   │
//!                        InboxWorker(s) ◀── claim (lease) ── handler ── done │ retry after backoff │ dead
//! ```
//!
//! The store is any [`InboxStore`]; `sourcing-ledger` implements it on SQLite (one file) and Postgres (several
//! instances on one database), in the same database as the order ledger.
//!
//! # Guarantees
//!
//! 1. **An acknowledged message is never lost.** `200` is answered only after the transaction storing the raw
//!    body is committed (SQLite `synchronous=FULL`, Postgres commit). A crash before the commit leaves the
//!    delivery unanswered, so the vendor redelivers it; a crash after it leaves the message in the store.
//! 2. **A message is stored once.** Deduplication is a `UNIQUE` constraint on the dedup key
//!    ([`crate::Callback::dedup_key`]) in the database: it survives restarts and holds across instances. A
//!    redelivery is answered `200` without storing or handling it again.
//! 3. **A handler that succeeded is not run again for the same message**, once its success is recorded (state
//!    `done`). For a plain [`crate::Handler`] ([`AtLeastOnce`]) the record follows the handler: a crash between
//!    the handler's success and the record runs the handler again after the lease expires — delivery is **at
//!    least once**. An [`InboxHandler`] that records the completion in the transaction of its own effect
//!    ([`Handled::Recorded`]; the ledger's order handler does) takes effect **exactly once**: a crash before
//!    that commit undoes both, and the message is run again.
//! 4. **One runner at a time.** A message is handed to one worker under a lease (default 30 s, renewed while the
//!    handler runs); other workers, in this process or others on the same database, skip it. A crashed
//!    worker's lease expires and the message is handed out again. A worker that cannot renew its lease (it was
//!    stalled longer than the lease and another worker took the message) stops its handler.
//! 5. **Failures are retried, then kept for a person.** A failed or panicking handler is retried with
//!    exponential backoff ([`RedeliveryPolicy`]); after `max_attempts` runs (crashed runs count) the message is a
//!    dead letter: listed by [`InboxStore::dead_letters`], run again after [`InboxStore::replay`]. Nothing is
//!    deleted.
//!
//! Not guaranteed: order. Messages are handled roughly in the order they fall due, concurrently; the vendors do
//! not guarantee order either.
//!
//! The receiver answers like the in-memory one (`400`, `401`, `413`, `200` for an empty probe), except: a new
//! message is answered `200` once stored, whatever the handler later does; a store failure or a commit slower
//! than the deadline (default 800 ms) is `503` (not acknowledged; the vendor retries).

mod group_commit;
mod receiver;
mod store;
mod worker;

pub use receiver::{DEFAULT_MAX_GROUP, InboxReceiver};
pub use store::{
    AfterFailure, Claim, InboxEntry, InboxState, InboxStore, InboxStoreError, Inserted, NewMessage,
    Replay,
};
pub use worker::{
    AtLeastOnce, DEFAULT_LEASE, DEFAULT_POLL_INTERVAL, Handled, InboxHandler, InboxWorker,
    RedeliveryPolicy,
};
