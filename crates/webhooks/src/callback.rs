//! What arrives: a callback format ([`CallbackFormat`], an open trait: one value per provider that pushes), a
//! parsed message ([`Callback`], any format's [`Message`] behind one type) and the code that acts on it
//! ([`Handler`]), shared by the in-memory receiver and the durable inbox.

use crate::dedup::DedupKey;
use crate::error::CallbackError;
use crate::outgoing::{OrderEvent, OrderFacts, Outgoing, Undocumented};
use serde::Serialize;
use serde_json::value::RawValue;
use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// How one provider's pushes look and how they are checked: parse (and verify) a request body into a
/// [`Callback`], and, where the provider documents one, encode the push it sends for an order event.
///
/// Open: the built-in formats are values of this trait ([`crate::formats`]); a provider of your own implements
/// it (a test fixture does: `tests/fixtures/providers/acme/callbacks.rs`). Receivers hold it as
/// `Arc<dyn CallbackFormat>`; the durable inbox stores the format's [`name`](Self::name) with each raw body and
/// parses a stored body again with the format of that name, so the name must stay the same across versions.
pub trait CallbackFormat: fmt::Debug + Send + Sync + 'static {
    /// The provider's name (`xportcn`): the inbox's `provider` column, the logs' `provider` field.
    fn name(&self) -> &'static str;

    /// Parses a request body, verifying its signature where the format has one. Errors say what was wrong:
    /// [`CallbackError::Parse`] is answered `400`, [`CallbackError::Signature`] `401`.
    fn parse(&self, body: &[u8]) -> Result<Callback, CallbackError>;

    /// The push this provider sends for `event` on `order` at `now_ms` (the sandbox and `sourcing webhooks
    /// send` use it). Default: [`Undocumented`] (nothing is sent for an event the provider documents no
    /// message for).
    fn encode(
        &self,
        event: OrderEvent,
        order: &OrderFacts,
        now_ms: u64,
    ) -> Result<Outgoing, Undocumented> {
        let _ = (order, now_ms);
        Err(Undocumented::new(self.name(), event))
    }
}

/// One format's parsed message, behind a [`Callback`]: what the receivers, the inbox and the ledger read from
/// any message. Implement it for your format's message type; read it back with [`Callback::message`].
pub trait Message: Any + fmt::Debug + Send + Sync {
    /// A short description of the message type, for logs and the inbox (`ORDER_CREATE`, …).
    fn kind(&self) -> String;

    /// The order the message is about, exact text, when it names one.
    fn order_id(&self) -> Option<&str>;

    /// The order state the message reports, as the vendor wrote it (`WAITING_FOR_SENT`, …), if any. The ledger
    /// maps it through its state table; a value it does not know is recorded as an unconfirmed "other" report.
    fn order_status(&self) -> Option<String> {
        None
    }

    /// The fields that identify a delivery, for deduplication (see [`Callback::dedup_key`]): a redelivery
    /// must give the same parts, two different messages different ones.
    fn dedup_parts(&self) -> Vec<Cow<'_, [u8]>>;

    /// The message as JSON text, fields in their order (the `message` member of [`Callback`]'s
    /// serialisation): `serde_json::value::to_raw_value(self)` for a `Serialize` type.
    fn to_json(&self) -> serde_json::Result<Box<RawValue>>;
}

/// A parsed, verified callback, as handed to your [`Handler`]: the provider's name and its format's message.
///
/// Serialises as `{"provider": "...", "message": {...}}` (handy for a CLI that prints JSON lines), the message's
/// fields in its own order. Two callbacks are equal when provider and message JSON text are.
#[derive(Clone)]
pub struct Callback {
    provider: &'static str,
    message: Arc<dyn Message>,
}

impl Callback {
    /// A callback of `provider` carrying `message` (what a [`CallbackFormat::parse`] returns).
    pub fn new(provider: &'static str, message: impl Message) -> Self {
        Self {
            provider,
            message: Arc::new(message),
        }
    }

    /// The provider's name: the [`CallbackFormat::name`] of the format that parsed it.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The format's message, typed: `callback.message::<PushMessage>()` for a PandaPon / Xportcn push,
    /// `message::<DajisaasMessage>()` for Dajisaas, your own type for your format; `None` for another type.
    pub fn message<M: Message>(&self) -> Option<&M> {
        let any: &dyn Any = &*self.message;
        any.downcast_ref()
    }

    /// A short description of the message type, for logs (`ORDER_CREATE`, `taobao message_type 3`, …).
    pub fn kind(&self) -> String {
        self.message.kind()
    }

    /// The order the message is about, when known ([`Message::order_id`]).
    pub fn order_id(&self) -> Option<&str> {
        self.message.order_id()
    }

    /// The order state the message reports, as the vendor wrote it ([`Message::order_status`]).
    pub fn order_status(&self) -> Option<String> {
        self.message.order_status()
    }

    /// The key under which deliveries are deduplicated: a SHA-1 of the provider's name and the message's
    /// [`Message::dedup_parts`] (the same key the receivers computed before the formats were open, so the
    /// inbox's stored keys still match redeliveries).
    ///
    /// * PandaPon / Xportcn: `messagePlatform` + `messageType` + the exact `messageBody` text. Not `timestamp`:
    ///   it is documented as the *push* time, and nothing says a redelivery keeps the original one, so including
    ///   it could let a retry through twice. No message id is published. The body is a full snapshot of the
    ///   order (ids, status, amounts), so two pushes of the same type with byte-identical bodies carry the same
    ///   information and handling one of them is enough.
    /// * Dajisaas: the exact `message` value (the signed content; the signature is derived from it).
    pub fn dedup_key(&self) -> DedupKey {
        let parts = self.message.dedup_parts();
        let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        all.push(self.provider.as_bytes());
        all.extend(parts.iter().map(|p| &**p));
        DedupKey::from_parts(&all)
    }
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("provider", &self.provider)
            .field("message", &self.message)
            .finish()
    }
}

impl PartialEq for Callback {
    fn eq(&self, other: &Self) -> bool {
        let text = |m: &dyn Message| m.to_json().ok().map(|raw| raw.get().to_owned());
        self.provider == other.provider && text(&*self.message) == text(&*other.message)
    }
}

impl Serialize for Callback {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Callback", 2)?;
        out.serialize_field("provider", self.provider)?;
        let message = self.message.to_json().map_err(serde::ser::Error::custom)?;
        out.serialize_field("message", &message)?;
        out.end()
    }
}

/// The error a handler returns; the receiver then answers `500` and does not record the message as seen.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// Your code that acts on a callback.
///
/// Return `Ok(())` only once the message is safely handled (stored, queued…): the receiver then answers 200 and
/// remembers the message for dedup. Return an error to make the vendor redeliver it.
///
/// A plain async closure is a handler, and [`crate::Receiver::new`], [`crate::inbox::InboxReceiver::worker`] and
/// [`crate::inbox::InboxWorker::new`] take one without type annotations (`?` converts any error):
///
/// ```
/// use sourcing_webhooks::{Receiver, formats};
///
/// let app: axum::Router = Receiver::new(formats::xportcn(), |cb| async move {
///     println!("{}", serde_json::to_string(&cb)?);
///     Ok(())
/// })
/// .router();
/// ```
///
/// Any `Fn(Callback) -> impl Future<Output = Result<(), E>>` with `E: Into<HandlerError>`, and any type
/// implementing this trait, is a handler too ([`crate::Receiver::with_handler`]).
pub trait Handler: Send + Sync + 'static {
    /// Acts on `callback`.
    fn handle(&self, callback: Callback) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

impl<F, Fut, E> Handler for F
where
    F: Fn(Callback) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: Into<HandlerError>,
{
    fn handle(&self, callback: Callback) -> impl Future<Output = Result<(), HandlerError>> + Send {
        let fut = self(callback);
        async move { fut.await.map_err(Into::into) }
    }
}
