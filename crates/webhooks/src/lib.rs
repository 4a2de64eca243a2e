//! Callbacks (webhooks) from PandaPon, Xportcn and Dajisaas: typed message models, parsers, the Dajisaas
//! signature check, and two axum receivers:
//!
//! * [`inbox`]: the **durable inbox** — each verified callback is stored in a database ([`inbox::InboxStore`];
//!   `sourcing-ledger` provides SQLite and Postgres) before it is answered `200`, and workers run your handler
//!   from the store with retries, backoff and dead letters. Its guarantees are listed in [`inbox`].
//! * [`Receiver`]: in memory, no database — runs your handler before answering, deduplicates per process.
//!
//! ```no_run
//! use sourcing_webhooks::{MessageBody, PushMessage, Receiver, formats};
//!
//! # async fn run() -> std::io::Result<()> {
//! Receiver::new(formats::xportcn(), |cb| async move {
//!     if let Some(push) = cb.message::<PushMessage>() {
//!         if let MessageBody::Order(order) = &push.body {
//!             println!("{} order {} total {:?} fen", push.message_type, order.order_id, order.total_amount);
//!         }
//!     }
//!     Ok(()) // Ok only once the message is safely handled
//! })
//! .serve("0.0.0.0:8080".parse().unwrap())
//! .await
//! # }
//! ```
//!
//! # Formats are open
//!
//! A callback format is a value of the trait [`CallbackFormat`] (`name`, `parse` — verifying the signature
//! where the format has one — and optionally `encode`); receivers and workers hold it as
//! `Arc<dyn CallbackFormat>`. The built-in ones are in [`formats`] ([`formats::pandapon`], [`formats::xportcn`],
//! [`formats::dajisaas`]; each also as a [`formats::FormatFactory`] built from a provider's configuration, which
//! the provider registry's kits hold: `sourcing_registry::kit(name)`). A [`Callback`] is the
//! provider's name and the format's [`Message`], read typed with [`Callback::message`]. A provider of your own
//! implements the two traits:
//!
//! ```
//! use sourcing_webhooks::{Callback, CallbackError, CallbackFormat, Message, ParseError};
//! use std::borrow::Cow;
//!
//! #[derive(Debug)]
//! struct Ping(String);
//!
//! impl Message for Ping {
//!     fn kind(&self) -> String { "ping".into() }
//!     fn order_id(&self) -> Option<&str> { Some(&self.0) }
//!     fn dedup_parts(&self) -> Vec<Cow<'_, [u8]>> { vec![self.0.as_bytes().into()] }
//!     fn to_json(&self) -> serde_json::Result<Box<serde_json::value::RawValue>> {
//!         serde_json::value::to_raw_value(&serde_json::json!({"order": self.0}))
//!     }
//! }
//!
//! #[derive(Debug)]
//! struct PingFormat;
//!
//! impl CallbackFormat for PingFormat {
//!     fn name(&self) -> &'static str { "ping" }
//!     fn parse(&self, body: &[u8]) -> Result<Callback, CallbackError> {
//!         let order = std::str::from_utf8(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
//!         Ok(Callback::new(self.name(), Ping(order.trim().into())))
//!     }
//! }
//!
//! let cb = PingFormat.parse(b"42").unwrap();
//! assert_eq!((cb.provider(), cb.order_id()), ("ping", Some("42")));
//! assert_eq!(cb.message::<Ping>().unwrap().0, "42");
//! ```
//!
//! # What the vendors publish
//!
//! * **PandaPon and Xportcn** (one "Message access manual", two brands): HTTPS `POST` of a JSON object
//!   `{messageType, messageBody, messagePlatform, timestamp}`, `messageBody` being a JSON document inside a string
//!   ([`PushMessage`]). Acknowledge with HTTP 200 within **1000 ms**; a failed push is retried half an hour later,
//!   up to 5 times. Xportcn publishes the message types `ORDER_CREATE`, `ORDER_CANCEL`, `ORDER_PAY_SUCCESS`,
//!   `ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY` (one order body shape, [`OrderBody`]) and
//!   `ORDER_BUYER_VIEW_ORDER_BUYER_REFUND` (truncated example, [`RefundBody`]); its table is cut off after them.
//!   PandaPon publishes no type values. No signature is published for either: these pushes are **not
//!   authenticated** — keep the callback URL unguessable and confirm through the query API (both vendors say
//!   message order is not guaranteed and to re-query the order).
//! * **Dajisaas**: `POST` form with `message` and `_dj_signature` (HMAC-SHA1). Key, signed input and encoding are
//!   not published; see [`DajisaasVerifier`] for the choices made and the knobs. The only published payload is a
//!   Taobao/Tmall message ([`TaobaoMessage`]); the 1688 message format is unpublished and kept raw. Reply,
//!   retries and timeout are not published either: the receiver applies the same rules as for the others.
//!
//! Undocumented message types are never dropped: they arrive as [`MessageType::Other`] with the body as raw JSON
//! ([`MessageBody::Other`]), or as [`DajisaasPayload::Json`] / [`DajisaasPayload::Text`].
//!
//! # How the in-memory receiver answers
//!
//! | situation | status |
//! |---|---|
//! | handler returned `Ok` within the deadline | `200` |
//! | redelivery of a message already handled (dedup) | `200`, handler not called |
//! | empty body (the consoles' "Verify" probe sends something unpublished) or `GET`/`HEAD` | `200` |
//! | body not JSON / not a form, missing or mistyped field, `messageBody` not JSON, body not matching its documented type | `400` + reason |
//! | Dajisaas signature missing, malformed or wrong | `401` + reason (never the values) |
//! | body larger than the limit (default 64 KiB, [`Receiver::body_limit`]) | `413` |
//! | body not received within the body timeout (default 30 s, [`Receiver::limits`]) | `408`, connection closed |
//! | headers not received within 10 s, or a connection idle for 60 s ([`listener::Limits`]) | connection closed |
//! | handler returned `Err` or panicked | `500`; not recorded, so the vendor's retry is processed |
//! | handler still running at the deadline (default 800 ms, [`Receiver::handler_deadline`]) | `503` |
//! | the same message is being handled right now | `503` |
//!
//! **Slow handlers.** Answering 200 before the handler finishes could lose the message (if the handler then
//! fails, nobody redelivers), so the receiver answers `503` at the deadline and lets the handler run on in its
//! own task. The message stays *in flight* in the dedup set: a redelivery during that time gets `503` without
//! running the handler a second time. When the handler finishes, success records the message as done (the next
//! redelivery gets `200` without running the handler) and failure forgets it (the next redelivery runs the
//! handler). So a late-finishing handler never runs twice for one message, and a message is only
//! acknowledged once handled. If the handler keeps failing past the vendor's last retry (about 2.5 hours), the
//! message is gone from the vendor side; the failures are logged (`tracing`) and the order can be re-read through
//! the query API.
//!
//! **Dedup.** Keys are SHA-1 digests of the identifying fields ([`Callback::dedup_key`] explains the choice: no
//! message id is published, and `timestamp` is the *push* time, so it is left out). A key is recorded only after
//! the handler succeeded, kept for a window (default 3 h, longer than the vendors' retry schedule) and at most
//! [`DEFAULT_DEDUP_CAPACITY`] keys are kept (oldest evicted first), so memory is bounded. Dedup is best effort
//! (per process, in memory): a restart or an eviction lets a redelivery through, so handlers should stay
//! idempotent.
//!
//! **HTTPS.** The vendors require an HTTPS callback URL; this server speaks plain HTTP/1.1 — put it behind a
//! TLS-terminating proxy.
//!
//! Secrets (the Dajisaas key) and signature values never appear in `Debug`, `Display`, logs, errors or responses.

#![deny(missing_docs)]

// `dajisaas`, `error` and `push` hold core types, reachable at the root only; `formats`, `inbox`, `listener`
// and `outgoing` are namespaces of their own, nothing of theirs re-exported here.
mod callback;
mod dajisaas;
mod dedup;
mod error;
pub mod formats;
pub mod inbox;
mod intake;
pub mod listener;
pub mod outgoing;
mod push;
mod receiver;

pub use callback::{Callback, CallbackFormat, Handler, HandlerError, Message};
pub use dajisaas::{
    DajisaasMessage, DajisaasPayload, DajisaasVerifier, OrderStatusUpdate, PriceChange,
    PurchaseOrderPrice, SignatureEncoding, SignedInput, SkuStatus, TaobaoMessage,
    TaobaoMessageData, TaobaoMessageType, TaobaoOrderStatus,
};
pub use dedup::DedupKey;
pub use error::{CallbackError, ParseError, SignatureError};
pub use push::{
    Fen, MessageBody, MessagePlatform, MessageType, OrderBody, PayStatus, PushMessage,
    PushOrderStatus, PushTimestamp, RefundBody,
};
pub use receiver::{
    DEFAULT_BODY_LIMIT, DEFAULT_DEDUP_CAPACITY, DEFAULT_DEDUP_WINDOW, DEFAULT_HANDLER_DEADLINE,
    Receiver, serve,
};
pub use sourcing_runtime::{LenientId, Secret};
