//! The in-memory receiver: parse → verify → deduplicate (in memory) → hand to your handler → answer within the deadline.

use crate::callback::{Callback, CallbackFormat, Handler, HandlerError};
use crate::dedup::{Begin, Dedup, DedupKey};
use crate::intake::{self, Answer, probe, reply};
use crate::listener::{self, Limits};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
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

/// Receiver settings (all have documented defaults).
#[derive(Clone, Debug)]
struct Settings {
    path: String,
    body_limit: usize,
    handler_deadline: Duration,
    dedup_window: Duration,
    dedup_capacity: usize,
    limits: Limits,
}

/// An HTTP endpoint for one vendor's callbacks.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use sourcing_webhooks::{DajisaasVerifier, Receiver, formats};
///
/// Receiver::new(
///     formats::dajisaas(DajisaasVerifier::new("app-secret")),
///     |cb| async move { Ok(()) },
/// )
/// .path("/callbacks/dajisaas")
/// .serve("0.0.0.0:8080".parse().unwrap())
/// .await
/// # }
/// ```
pub struct Receiver<H> {
    format: Arc<dyn CallbackFormat>,
    handler: H,
    settings: Settings,
}

impl<F, Fut> Receiver<F>
where
    F: Fn(Callback) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send,
{
    /// A receiver on path `/` with the default limits, running `handler`: a plain async closure, no type
    /// annotations needed (`|cb| async move { …; Ok(()) }`). [`Receiver::with_handler`] takes any [`Handler`].
    pub fn new(format: Arc<dyn CallbackFormat>, handler: F) -> Self {
        Self::with_handler(format, handler)
    }
}

impl<H: Handler> Receiver<H> {
    /// A receiver on path `/` with the default limits, running any [`Handler`].
    pub fn with_handler(format: Arc<dyn CallbackFormat>, handler: H) -> Self {
        Self {
            format,
            handler,
            settings: Settings {
                path: "/".into(),
                body_limit: DEFAULT_BODY_LIMIT,
                handler_deadline: DEFAULT_HANDLER_DEADLINE,
                dedup_window: DEFAULT_DEDUP_WINDOW,
                dedup_capacity: DEFAULT_DEDUP_CAPACITY,
                limits: Limits::default(),
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

    /// The timeouts and connection limit of [`Receiver::serve_on`] (default [`Limits::default`]; its body
    /// limit is this receiver's [`Receiver::body_limit`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.settings.limits = limits;
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
            limits: _,
        } = self.settings;
        let shared = Arc::new(Shared {
            format: self.format,
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
    /// requests in progress), with the [`Receiver::limits`]. Bind `127.0.0.1:0` and read [`TcpListener::local_addr`] to get a free port.
    pub async fn serve_on(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(
            addr = %listener.local_addr()?,
            provider = self.format.name(),
            path = %self.settings.path,
            "listening for callbacks"
        );
        let limits = Limits {
            body_limit: self.settings.body_limit,
            ..self.settings.limits
        };
        listener::serve_router(listener, self.router(), limits, shutdown).await;
        Ok(())
    }
}

/// Serves callbacks of `format` on `addr` (path `/`, default limits) until the process ends.
pub async fn serve<H: Handler>(
    addr: SocketAddr,
    format: Arc<dyn CallbackFormat>,
    handler: H,
) -> std::io::Result<()> {
    Receiver::with_handler(format, handler).serve(addr).await
}

struct Shared<H> {
    format: Arc<dyn CallbackFormat>,
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

/// The in-memory receiver's steps after [`intake::callback_from`]: dedup, run the handler, answer.
async fn receive<H: Handler>(
    State(shared): State<Arc<Shared<H>>>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let started = Instant::now();
    let callback = match intake::callback_from(&*shared.format, body, shared.body_limit) {
        Ok((_, callback)) => callback,
        Err(answer) => return answer,
    };
    let key = callback.dedup_key();
    if let Err(answer) = begin(&shared, key, &callback) {
        return answer;
    }
    let guard = InFlight {
        shared: shared.clone(),
        key,
        settled: false,
    };
    run_handler(&shared, guard, callback, started).await
}

/// Marks the message in flight, or answers a duplicate / a message already in flight / a full set.
fn begin<H>(shared: &Shared<H>, key: DedupKey, callback: &Callback) -> Result<(), Answer> {
    let (provider, kind) = (callback.provider(), callback.kind());
    match shared.dedup().begin(key, Instant::now()) {
        Begin::New => Ok(()),
        Begin::Done => {
            tracing::info!(provider, kind, %key, "duplicate delivery acknowledged without calling the handler");
            Err(reply(
                StatusCode::OK,
                "ok: duplicate of a message already handled",
            ))
        }
        Begin::InFlight => {
            tracing::info!(provider, kind, %key, "same message is being handled: 503");
            Err(reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "the same message is being handled right now; redeliver later",
            ))
        }
        Begin::Full => {
            tracing::warn!(provider, kind, %key, "dedup set full of in-flight messages: 503");
            Err(reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many messages in flight; redeliver later",
            ))
        }
    }
}

/// Runs the handler in its own task and answers by its outcome, or `503` at the deadline.
async fn run_handler<H: Handler>(
    shared: &Shared<H>,
    mut guard: InFlight<H>,
    callback: Callback,
    started: Instant,
) -> Answer {
    let (provider, kind, key) = (callback.provider(), callback.kind(), guard.key);
    let order_id = callback.order_id().unwrap_or("-").to_owned();
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
