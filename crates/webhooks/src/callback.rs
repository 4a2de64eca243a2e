//! What arrives: the callback formats ([`CallbackFormat`]), a parsed message ([`Callback`]) and the code that acts
//! on it ([`Handler`]), shared by the in-memory receiver and the durable inbox.

use crate::dajisaas::{DajisaasMessage, DajisaasVerifier};
use crate::dedup::DedupKey;
use crate::error::CallbackError;
use crate::push::PushMessage;
use serde::Serialize;
use sourcing_runtime::Secret;
use std::future::Future;

/// A callback format: how one vendor's pushes look and how they are checked (named after the vendor).
///
/// This is the one list of **callback formats**, not a second list of API providers: the API providers are
/// described by the generated `operations::PROVIDER` statics (listed by `sourcing_registry::providers()`),
/// whose specs say nothing about callbacks (the vendors publish them in separate message manuals, and the
/// formats are hand-written here). The names agree with the API providers' names: `CallbackFormat::NAMES` is pinned
/// against `sourcing_registry::providers()` by a test of the `sourcing` CLI, which takes its `--provider`
/// values from that registry. This crate does not read the registry itself: it would then depend on every
/// generated client to learn three names, for a receiver that needs none of them.
#[derive(Clone, Debug)]
pub enum CallbackFormat {
    /// JSON `{messageType, messageBody, messagePlatform, timestamp}`; no signature is published.
    Pandapon,
    /// Same format as PandaPon; no signature is published.
    Xportcn,
    /// Form fields `message` + `_dj_signature` (HMAC-SHA1, see [`DajisaasVerifier`]).
    Dajisaas(DajisaasVerifier),
}

impl CallbackFormat {
    /// The names of the providers whose callbacks this crate receives (the API providers' names).
    pub const NAMES: [&'static str; 3] = ["pandapon", "xportcn", "dajisaas"];

    /// `pandapon`, `xportcn` or `dajisaas`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Pandapon => "pandapon",
            Self::Xportcn => "xportcn",
            Self::Dajisaas(_) => "dajisaas",
        }
    }

    /// The callback format of the provider of this name. `secret` gives the signing key (the provider's app
    /// secret) and is called only for a provider that signs its pushes (Dajisaas). `None` for a name not in
    /// [`CallbackFormat::NAMES`].
    pub fn from_name<E>(
        name: &str,
        secret: impl FnOnce() -> Result<Secret, E>,
    ) -> Option<Result<Self, E>> {
        Some(match name {
            "pandapon" => Ok(Self::Pandapon),
            "xportcn" => Ok(Self::Xportcn),
            "dajisaas" => secret().map(|s| Self::Dajisaas(DajisaasVerifier::new(s))),
            _ => return None,
        })
    }
}

/// A parsed, verified callback, as handed to your [`Handler`].
///
/// Serialises as `{"provider": "...", "message": {...}}` (handy for a CLI that prints JSON lines).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "provider", content = "message", rename_all = "lowercase")]
pub enum Callback {
    Pandapon(PushMessage),
    Xportcn(PushMessage),
    Dajisaas(DajisaasMessage),
}

impl Callback {
    /// Parses (and for Dajisaas verifies) a request body the way the receiver does.
    pub fn parse(format: &CallbackFormat, body: &[u8]) -> Result<Self, CallbackError> {
        Ok(match format {
            CallbackFormat::Pandapon => Self::Pandapon(PushMessage::parse(body)?),
            CallbackFormat::Xportcn => Self::Xportcn(PushMessage::parse(body)?),
            CallbackFormat::Dajisaas(verifier) => {
                Self::Dajisaas(DajisaasMessage::from_form(body, verifier)?)
            }
        })
    }

    /// `pandapon`, `xportcn` or `dajisaas` (see [`CallbackFormat::NAMES`]).
    pub fn provider(&self) -> &'static str {
        match self {
            Self::Pandapon(_) => "pandapon",
            Self::Xportcn(_) => "xportcn",
            Self::Dajisaas(_) => "dajisaas",
        }
    }

    /// A short description of the message type, for logs (`ORDER_CREATE`, `taobao message_type 3`, …).
    pub fn kind(&self) -> String {
        match self {
            Self::Pandapon(m) | Self::Xportcn(m) => m.message_type.to_string(),
            Self::Dajisaas(m) => match &m.payload {
                crate::DajisaasPayload::Taobao(t) => {
                    format!("taobao message_type {}", i64::from(t.message_type))
                }
                crate::DajisaasPayload::Json(_) => "json".into(),
                crate::DajisaasPayload::Text => "text".into(),
            },
        }
    }

    /// The order the message is about, when known: `orderId` of a PandaPon / Xportcn body, `purchase_id` of a
    /// Dajisaas Taobao order status update.
    pub fn order_id(&self) -> Option<&str> {
        match self {
            Self::Pandapon(m) | Self::Xportcn(m) => m.order_id(),
            Self::Dajisaas(m) => m.purchase_id(),
        }
    }

    /// The order state the message reports, as the vendor wrote it (`WAITING_FOR_SENT`, `TRADE_CLOSED`, …):
    /// `orderStatus` of a PandaPon / Xportcn order body, `status` of a Dajisaas Taobao order status update.
    pub fn order_status(&self) -> Option<String> {
        match self {
            Self::Pandapon(m) | Self::Xportcn(m) => match &m.body {
                crate::MessageBody::Order(order) => order.order_status.clone().map(String::from),
                _ => None,
            },
            Self::Dajisaas(m) => match &m.payload {
                crate::DajisaasPayload::Taobao(t) => match &t.data {
                    crate::TaobaoMessageData::OrderStatusUpdate(u) => {
                        Some(String::from(u.status.clone()))
                    }
                    _ => None,
                },
                _ => None,
            },
        }
    }

    /// The key under which deliveries are deduplicated.
    ///
    /// * PandaPon / Xportcn: `messagePlatform` + `messageType` + the exact `messageBody` text. Not `timestamp`:
    ///   it is documented as the *push* time, and nothing says a redelivery keeps the original one, so including
    ///   it could let a retry through twice. No message id is published. The body is a full snapshot of the
    ///   order (ids, status, amounts), so two pushes of the same type with byte-identical bodies carry the same
    ///   information and handling one of them is enough.
    /// * Dajisaas: the exact `message` value (the signed content; the signature is derived from it).
    pub fn dedup_key(&self) -> DedupKey {
        match self {
            Self::Pandapon(m) | Self::Xportcn(m) => DedupKey::from_parts(&[
                self.provider().as_bytes(),
                &i64::from(m.platform).to_be_bytes(),
                m.message_type.as_str().as_bytes(),
                m.raw_body.as_bytes(),
            ]),
            Self::Dajisaas(m) => {
                DedupKey::from_parts(&[self.provider().as_bytes(), m.message.as_bytes()])
            }
        }
    }
}

/// The error a handler returns; the receiver then answers `500` and does not record the message as seen.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// Your code that acts on a callback.
///
/// Return `Ok(())` only once the message is safely handled (stored, queued…): the receiver then answers 200 and
/// remembers the message for dedup. Return an error to make the vendor redeliver it.
///
/// Any `Fn(Callback) -> impl Future<Output = Result<(), E>>` with `E: Into<HandlerError>` is a handler:
///
/// ```
/// use sourcing_webhooks::{Callback, HandlerError, CallbackFormat, Receiver};
///
/// let app: axum::Router = Receiver::new(CallbackFormat::Xportcn, |cb: Callback| async move {
///     println!("{}", serde_json::to_string(&cb)?);
///     Ok::<_, HandlerError>(())
/// })
/// .router();
/// ```
pub trait Handler: Send + Sync + 'static {
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
