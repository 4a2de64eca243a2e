//! The axum receiver: parse → verify → deduplicate → hand to your handler → answer within the deadline.

use crate::dajisaas::{DajisaasMessage, DajisaasVerifier};
use crate::dedup::{Begin, Dedup, DedupKey};
use crate::error::CallbackError;
use crate::push::PushMessage;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;
use sourcing_runtime::Secret;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Default request body limit: 64 KiB (published pushes are under 1 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
/// Default time the handler gets before the receiver answers `503`: 800 ms, leaving 200 ms of the vendors'
/// documented 1000 ms timeout for the network.
pub const DEFAULT_HANDLER_DEADLINE: Duration = Duration::from_millis(800);
/// Default dedup window: 3 hours. Xportcn (and, by the identical manual, PandaPon) retries a failed push every
/// 30 minutes up to 5 times, so the last redelivery comes about 2.5 hours after the first push.
pub const DEFAULT_DEDUP_WINDOW: Duration = Duration::from_secs(3 * 60 * 60);
/// Default dedup capacity: 10 000 keys (about 1 MB).
pub const DEFAULT_DEDUP_CAPACITY: usize = 10_000;

/// Which vendor pushes to this receiver, and how its pushes are checked.
///
/// This is the one list of **callback formats**, not a second list of API providers: the API providers are
/// described by the generated `operations::PROVIDER` statics (listed by `sourcing_sandbox::providers()`),
/// whose specs say nothing about callbacks (the vendors publish them in separate message manuals, and the
/// formats are hand-written here). The names agree with the API providers' names: `Provider::NAMES` is pinned
/// against `sourcing_sandbox::providers()` by a test of the `sourcing` CLI, which takes its `--provider`
/// values from that registry. This crate does not read the registry itself: it would then depend on every
/// generated client (and the sandbox) to learn three names, for a receiver that needs none of them.
#[derive(Clone, Debug)]
pub enum Provider {
    /// JSON `{messageType, messageBody, messagePlatform, timestamp}`; no signature is published.
    Pandapon,
    /// Same format as PandaPon; no signature is published.
    Xportcn,
    /// Form fields `message` + `_dj_signature` (HMAC-SHA1, see [`DajisaasVerifier`]).
    Dajisaas(DajisaasVerifier),
}

impl Provider {
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

    /// The receiver setting for the provider of this name. `secret` gives the signing key (the provider's app
    /// secret) and is called only for a provider that signs its pushes (Dajisaas). `None` for a name not in
    /// [`Provider::NAMES`].
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
    pub fn parse(provider: &Provider, body: &[u8]) -> Result<Self, CallbackError> {
        Ok(match provider {
            Provider::Pandapon => Self::Pandapon(PushMessage::parse(body)?),
            Provider::Xportcn => Self::Xportcn(PushMessage::parse(body)?),
            Provider::Dajisaas(verifier) => {
                Self::Dajisaas(DajisaasMessage::from_form(body, verifier)?)
            }
        })
    }

    /// `pandapon`, `xportcn` or `dajisaas` (see [`Provider::NAMES`]).
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
/// use sourcing_webhooks::{Callback, HandlerError, Provider, Receiver};
///
/// let app: axum::Router = Receiver::new(Provider::Xportcn, |cb: Callback| async move {
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

/// Receiver settings (all have documented defaults).
#[derive(Clone, Debug)]
struct Settings {
    path: String,
    body_limit: usize,
    handler_deadline: Duration,
    dedup_window: Duration,
    dedup_capacity: usize,
}

/// An HTTP endpoint for one vendor's callbacks.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use sourcing_webhooks::{Callback, DajisaasVerifier, HandlerError, Provider, Receiver};
///
/// Receiver::new(
///     Provider::Dajisaas(DajisaasVerifier::new("app-secret")),
///     |cb: Callback| async move { Ok::<_, HandlerError>(()) },
/// )
/// .path("/callbacks/dajisaas")
/// .serve("0.0.0.0:8080".parse().unwrap())
/// .await
/// # }
/// ```
pub struct Receiver<H> {
    provider: Provider,
    handler: H,
    settings: Settings,
}

impl<H: Handler> Receiver<H> {
    /// A receiver on path `/` with the default limits.
    pub fn new(provider: Provider, handler: H) -> Self {
        Self {
            provider,
            handler,
            settings: Settings {
                path: "/".into(),
                body_limit: DEFAULT_BODY_LIMIT,
                handler_deadline: DEFAULT_HANDLER_DEADLINE,
                dedup_window: DEFAULT_DEDUP_WINDOW,
                dedup_capacity: DEFAULT_DEDUP_CAPACITY,
            },
        }
    }

    /// The URL path that accepts callbacks (default `/`). A missing leading `/` is added.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.settings.path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        self
    }

    /// Largest accepted request body in bytes (default [`DEFAULT_BODY_LIMIT`]); larger bodies get `413`.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.settings.body_limit = bytes;
        self
    }

    /// How long the handler may run before the receiver answers `503` (default [`DEFAULT_HANDLER_DEADLINE`]).
    /// The handler keeps running after that; see the crate docs.
    pub fn handler_deadline(mut self, deadline: Duration) -> Self {
        self.settings.handler_deadline = deadline;
        self
    }

    /// Dedup window and capacity (defaults [`DEFAULT_DEDUP_WINDOW`], [`DEFAULT_DEDUP_CAPACITY`]).
    pub fn dedup(mut self, window: Duration, capacity: usize) -> Self {
        self.settings.dedup_window = window;
        self.settings.dedup_capacity = capacity;
        self
    }

    /// The axum router: `POST <path>` receives callbacks, `GET`/`HEAD <path>` answers 200 (a reachability
    /// probe). Mount it, or run it with [`Receiver::serve`].
    pub fn router(self) -> Router {
        let Settings {
            path,
            body_limit,
            handler_deadline,
            dedup_window,
            dedup_capacity,
        } = self.settings;
        let shared = Arc::new(Shared {
            provider: self.provider,
            handler: Arc::new(self.handler),
            dedup: Mutex::new(Dedup::new(dedup_window, dedup_capacity)),
            body_limit,
            handler_deadline,
        });
        Router::new()
            .route(&path, post(receive::<H>).get(probe))
            .layer(DefaultBodyLimit::max(body_limit))
            .with_state(shared)
    }

    /// Binds `addr` and serves until the process ends.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<()> {
        let listener = TcpListener::bind(addr).await?;
        self.serve_on(listener, std::future::pending()).await
    }

    /// Serves on an already bound listener until `shutdown` completes (then stops accepting and finishes the
    /// requests in progress). Bind `127.0.0.1:0` and read [`TcpListener::local_addr`] to get a free port.
    pub async fn serve_on(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(
            addr = %listener.local_addr()?,
            provider = self.provider.name(),
            path = %self.settings.path,
            "listening for callbacks"
        );
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Serves `provider`'s callbacks on `addr` (path `/`, default limits) until the process ends.
pub async fn serve<H: Handler>(
    addr: SocketAddr,
    provider: Provider,
    handler: H,
) -> std::io::Result<()> {
    Receiver::new(provider, handler).serve(addr).await
}

struct Shared<H> {
    provider: Provider,
    handler: Arc<H>,
    dedup: Mutex<Dedup>,
    body_limit: usize,
    handler_deadline: Duration,
}

impl<H> Shared<H> {
    fn dedup(&self) -> MutexGuard<'_, Dedup> {
        // The lock is never held across user code, so poisoning cannot leave the state half-updated.
        self.dedup.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Records the handler's outcome in the dedup set — also when the handler panics or its task is dropped
/// (then as a failure, so the redelivery is processed).
struct InFlight<H> {
    shared: Arc<Shared<H>>,
    key: DedupKey,
    settled: bool,
}

impl<H> InFlight<H> {
    fn settle(&mut self, ok: bool) {
        let mut dedup = self.shared.dedup();
        if ok {
            dedup.succeed(self.key, Instant::now());
        } else {
            dedup.fail(self.key);
        }
        self.settled = true;
    }
}

impl<H> Drop for InFlight<H> {
    fn drop(&mut self) {
        if !self.settled {
            self.shared.dedup().fail(self.key);
        }
    }
}

fn reply(status: StatusCode, text: impl Into<String>) -> Response {
    (status, text.into()).into_response()
}

async fn probe() -> &'static str {
    "sourcing-webhooks receiver: POST callbacks to this URL\n"
}

async fn receive<H: Handler>(
    State(shared): State<Arc<Shared<H>>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let provider = shared.provider.name();
    let body = match body {
        Ok(body) => body,
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            tracing::warn!(
                provider,
                limit = shared.body_limit,
                "callback rejected: body too large"
            );
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "request body exceeds the limit of {} bytes",
                    shared.body_limit
                ),
            );
        }
        Err(e) => {
            tracing::warn!(provider, error = %e, "callback rejected: body unreadable");
            return reply(
                StatusCode::BAD_REQUEST,
                format!("could not read the request body: {}", e.body_text()),
            );
        }
    };

    if body.iter().all(u8::is_ascii_whitespace) {
        // The consoles' "Verify" button expects a 200; what it sends is not published. An empty body carries no
        // message, so acknowledging it loses nothing.
        tracing::info!(provider, "empty POST acknowledged (verification probe?)");
        return reply(
            StatusCode::OK,
            "ok: empty body (verification probe); nothing to deliver",
        );
    }

    let callback = match Callback::parse(&shared.provider, &body) {
        Ok(callback) => callback,
        Err(CallbackError::Parse(e)) => {
            tracing::warn!(provider, error = %e, "callback rejected: 400");
            return reply(StatusCode::BAD_REQUEST, e.to_string());
        }
        Err(CallbackError::Signature(e)) => {
            tracing::warn!(provider, error = %e, "callback rejected: 401");
            return reply(StatusCode::UNAUTHORIZED, e.to_string());
        }
    };
    if let Callback::Dajisaas(m) = &callback
        && !m.signature_verified
    {
        tracing::warn!(
            provider,
            "Dajisaas signature NOT verified (insecure_skip_verification is on)"
        );
    }

    let key = callback.dedup_key();
    let kind = callback.kind();
    let order_id = callback.order_id().unwrap_or("-").to_owned();
    match shared.dedup().begin(key, Instant::now()) {
        Begin::New => {}
        Begin::Done => {
            tracing::info!(provider, kind, %key, "duplicate delivery acknowledged without calling the handler");
            return reply(StatusCode::OK, "ok: duplicate of a message already handled");
        }
        Begin::InFlight => {
            tracing::info!(provider, kind, %key, "same message is being handled: 503");
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "the same message is being handled right now; redeliver later",
            );
        }
        Begin::Full => {
            tracing::warn!(provider, kind, %key, "dedup set full of in-flight messages: 503");
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many messages in flight; redeliver later",
            );
        }
    }

    let mut guard = InFlight {
        shared: shared.clone(),
        key,
        settled: false,
    };
    let handler = shared.handler.clone();
    // The handler runs in its own task: it goes on if the deadline passes (the outcome is still recorded by
    // the guard), and a panic in it is contained.
    let task = tokio::spawn(async move {
        let result = handler.handle(callback).await;
        guard.settle(result.is_ok());
        result
    });
    let deadline = shared.handler_deadline.saturating_sub(started.elapsed());
    match tokio::time::timeout(deadline, task).await {
        Ok(Ok(Ok(()))) => {
            tracing::info!(provider, kind, order_id, %key, elapsed_ms = started.elapsed().as_millis() as u64, "callback handled");
            reply(StatusCode::OK, "ok")
        }
        Ok(Ok(Err(e))) => {
            tracing::warn!(provider, kind, order_id, %key, error = %e, "handler failed: 500, not recorded as seen");
            reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "handler failed; the message was not recorded, a redelivery will be processed",
            )
        }
        Ok(Err(join_error)) => {
            tracing::error!(provider, kind, order_id, %key, error = %join_error, "handler panicked: 500, not recorded as seen");
            reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "handler panicked; the message was not recorded, a redelivery will be processed",
            )
        }
        Err(_elapsed) => {
            tracing::warn!(
                provider,
                kind,
                order_id,
                %key,
                deadline_ms = shared.handler_deadline.as_millis() as u64,
                "handler still running at the deadline: 503"
            );
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "handler did not finish within {} ms; it keeps running: if it succeeds a redelivery is \
                     acknowledged as a duplicate, if it fails a redelivery is processed",
                    shared.handler_deadline.as_millis()
                ),
            )
        }
    }
}
