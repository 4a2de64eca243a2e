//! The durable receiver: parse → verify → store (one transaction, grouped with concurrent deliveries) → answer.

use super::group_commit::GroupCommit;
use super::store::{InboxStore, Inserted, NewMessage};
use super::worker::{AtLeastOnce, InboxHandler, InboxWorker};
use crate::callback::{Callback, CallbackFormat, HandlerError};
use crate::intake::{self, Answer, probe, reply};
use crate::listener::{self, Limits};
use crate::receiver::{DEFAULT_BODY_LIMIT, DEFAULT_HANDLER_DEADLINE};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// Default largest group of deliveries stored in one transaction.
pub const DEFAULT_MAX_GROUP: usize = 256;

type OnStored = Arc<dyn Fn(i64, &Callback) + Send + Sync>;

/// An HTTP endpoint for one vendor's callbacks that stores each verified message before answering `200`.
///
/// Handlers do not run here: an [`InboxWorker`] (from [`InboxReceiver::worker`], or in another process on the
/// same database) takes messages from the store. See the [module docs](crate::inbox) for the guarantees.
pub struct InboxReceiver<S> {
    store: Arc<S>,
    format: Arc<dyn CallbackFormat>,
    path: String,
    body_limit: usize,
    ack_deadline: Duration,
    max_group: usize,
    wake: Arc<Notify>,
    on_stored: Option<OnStored>,
    limits: Limits,
}

impl<S: InboxStore> InboxReceiver<S> {
    /// A receiver on path `/` storing into `store`, with the default limits.
    pub fn new(store: Arc<S>, format: Arc<dyn CallbackFormat>) -> Self {
        Self {
            store,
            format,
            path: "/".into(),
            body_limit: DEFAULT_BODY_LIMIT,
            ack_deadline: DEFAULT_HANDLER_DEADLINE,
            max_group: DEFAULT_MAX_GROUP,
            wake: Arc::new(Notify::new()),
            on_stored: None,
            limits: Limits::default(),
        }
    }

    /// The timeouts and connection limit of [`InboxReceiver::serve_on`] (default [`Limits::default`]; its
    /// body limit is this receiver's [`InboxReceiver::body_limit`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The URL path that accepts callbacks (default `/`). A missing leading `/` is added.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        self
    }

    /// Largest accepted request body in bytes (default [`DEFAULT_BODY_LIMIT`]); larger bodies get `413`.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long storing may take before the receiver answers `503` (default 800 ms, as
    /// [`DEFAULT_HANDLER_DEADLINE`]). A message whose commit finishes later is stored all the same; the vendor's
    /// redelivery is then acknowledged as a duplicate.
    pub fn ack_deadline(mut self, deadline: Duration) -> Self {
        self.ack_deadline = deadline;
        self
    }

    /// Largest number of concurrent deliveries committed in one transaction (default [`DEFAULT_MAX_GROUP`]).
    pub fn max_group(mut self, size: usize) -> Self {
        self.max_group = size;
        self
    }

    /// Called with the inbox id and the message once a **new** message is committed, before the `200`
    /// (duplicates do not call it). Keep it short: the answer waits for it.
    pub fn on_stored(mut self, hook: impl Fn(i64, &Callback) + Send + Sync + 'static) -> Self {
        self.on_stored = Some(Arc::new(hook));
        self
    }

    /// A worker running `handler` on this receiver's messages, woken as soon as one is stored (it also polls,
    /// so it picks up messages stored by other instances and retries that fall due).
    /// `handler` is a plain async closure (`|cb| async move { …; Ok(()) }`, no type annotations needed); for any
    /// other [`crate::Handler`] wrap it: `worker_with(AtLeastOnce(handler))`.
    pub fn worker<F, Fut>(&self, handler: F) -> InboxWorker<S, AtLeastOnce<F>>
    where
        F: Fn(Callback) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send,
    {
        self.worker_with(AtLeastOnce(handler))
    }

    /// [`InboxReceiver::worker`] for an [`InboxHandler`] (one that records its success itself).
    pub fn worker_with<H: InboxHandler>(&self, handler: H) -> InboxWorker<S, H> {
        InboxWorker::with_handler(self.store.clone(), self.format.clone(), handler)
            .wake_on(self.wake.clone())
    }

    /// The axum router: `POST <path>` stores callbacks, `GET`/`HEAD <path>` answers 200. Starts the group-commit
    /// writer, so call it inside a Tokio runtime.
    pub fn router(self) -> Router {
        let shared = Arc::new(Shared {
            commit: GroupCommit::start(self.store, self.max_group),
            format: self.format,
            body_limit: self.body_limit,
            ack_deadline: self.ack_deadline,
            wake: self.wake,
            on_stored: self.on_stored,
        });
        Router::new()
            .route(&self.path, post(receive).get(probe))
            .layer(DefaultBodyLimit::max(self.body_limit))
            .with_state(shared)
    }

    /// Serves on an already bound listener until `shutdown` completes, with the [`InboxReceiver::limits`].
    pub async fn serve_on(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(
            addr = %listener.local_addr()?,
            provider = self.format.name(),
            path = %self.path,
            "listening for callbacks (durable inbox)"
        );
        let limits = Limits {
            body_limit: self.body_limit,
            ..self.limits
        };
        listener::serve_router(listener, self.router(), limits, shutdown).await;
        Ok(())
    }
}

struct Shared {
    commit: GroupCommit,
    format: Arc<dyn CallbackFormat>,
    body_limit: usize,
    ack_deadline: Duration,
    wake: Arc<Notify>,
    on_stored: Option<OnStored>,
}

/// The durable receiver's steps after [`intake::callback_from`]: store, then answer.
async fn receive(State(shared): State<Arc<Shared>>, body: Result<Bytes, BytesRejection>) -> Answer {
    let (body, callback) = match intake::callback_from(&*shared.format, body, shared.body_limit) {
        Ok(parsed) => parsed,
        Err(answer) => return answer,
    };
    let message = NewMessage::of(&callback, body.to_vec());
    let (provider, kind) = (callback.provider(), message.kind.clone());
    match tokio::time::timeout(shared.ack_deadline, shared.commit.insert(message)).await {
        Ok(Ok(Inserted::New(id))) => {
            #[cfg(feature = "fault")]
            sourcing_runtime::fault::pause_if("after-store", || format!("inbox id {id}")).await;
            shared.wake.notify_one();
            if let Some(hook) = &shared.on_stored {
                hook(id, &callback);
            }
            tracing::info!(provider, kind, id, "callback stored");
            reply(StatusCode::OK, "ok: stored")
        }
        Ok(Ok(Inserted::Duplicate(id))) => {
            tracing::info!(
                provider,
                kind,
                id,
                "duplicate delivery acknowledged (already stored)"
            );
            reply(StatusCode::OK, "ok: duplicate of a message already stored")
        }
        Ok(Err(error)) => {
            tracing::warn!(provider, kind, %error, "callback not stored: 503");
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "the message could not be stored; redeliver later",
            )
        }
        Err(_elapsed) => {
            tracing::warn!(
                provider,
                kind,
                "callback not stored within the deadline: 503"
            );
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the message was not stored within {} ms; redeliver later (a stored copy is then \
                     acknowledged as a duplicate)",
                    shared.ack_deadline.as_millis()
                ),
            )
        }
    }
}
