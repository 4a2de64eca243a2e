//! An HTTP/1 listener with the limits `axum::serve` lacks, used by both receivers and by `sourcing serve`: a
//! connection limit (a semaphore: at the limit the listener stops accepting, the kernel's backlog holds the
//! rest), a header read timeout (hyper's), a body timeout ([`read_body`], a middleware), an idle timeout (a
//! watchdog per connection), and a graceful stop (stop accepting, let in-flight requests finish within
//! [`Limits::drain`], close idle connections). Unauthenticated pushes (PandaPon, Xportcn) can then not hold
//! sockets open: a body sent a byte at a time gets `408` and the connection is closed.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// The listener's limits (flags of `sourcing serve`). Start from [`Limits::default`] and set the fields you
/// change (`let mut limits = Limits::default(); limits.max_connections = 64;`): more limits may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// A request's headers must arrive within this (slow-header clients are cut off).
    pub header_timeout: Duration,
    /// A request's body must arrive within this.
    pub body_timeout: Duration,
    /// A connection with no request in flight and no bytes moving is closed after this.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Largest request body.
    pub body_limit: usize,
    /// How long a stop waits for in-flight requests before closing their connections.
    pub drain: Duration,
}

impl Default for Limits {
    /// Headers within 10 s, a body within 30 s, idle connections closed after 60 s, 512 connections, bodies
    /// up to [`crate::DEFAULT_BODY_LIMIT`], 8 s to drain on stop.
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
            body_limit: crate::DEFAULT_BODY_LIMIT,
            drain: Duration::from_secs(8),
        }
    }
}

/// Connections accepted, open now, closed for idleness (for `/metrics`).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ConnectionStats {
    /// Connections open now.
    pub open: AtomicUsize,
    /// Connections accepted since start.
    pub accepted: AtomicU64,
    /// Connections closed for being idle.
    pub idle_closed: AtomicU64,
}

/// [`serve`] with the body limits and timeout ([`read_body`]) on every route of `router`.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let router = router.layer(axum::middleware::from_fn_with_state(limits, read_body));
    serve(listener, router, limits, Arc::default(), shutdown).await;
}

/// Serves `router` on `listener` until `shutdown` completes, then drains (at most [`Limits::drain`]). The
/// body timeout is the router's: add [`read_body`] where wanted (or use [`serve_router`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stats: Arc<ConnectionStats>,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        let (router, stop, stats) = (router.clone(), stop_rx.clone(), stats.clone());
        connections.spawn(async move {
            stats.open.fetch_add(1, Ordering::Relaxed);
            connection(stream, router, limits, stop, &stats).await;
            stats.open.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            "requests still in flight at the end of the drain: connections closed"
        );
        connections.abort_all();
    }
}

/// Last activity and requests in flight on one connection (the idle watchdog's view).
struct Activity {
    started: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let now = self.started.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Decrements the in-flight count when a request's handling ends (also when it is dropped).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

async fn connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    stats: &ConnectionStats,
) {
    let activity = Arc::new(Activity {
        started: Instant::now(),
        last_ms: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let io = TokioIo::new(Tracked {
        stream,
        activity: activity.clone(),
    });
    let seen = activity.clone();
    let service = tower::service_fn(move |request: Request<hyper::body::Incoming>| {
        let guard = InFlight::start(&seen);
        let router = router.clone();
        async move {
            let response = router.oneshot(request.map(Body::new)).await;
            drop(guard);
            response
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(io, TowerToHyperService::new(service));
    tokio::pin!(conn);
    let tick = (limits.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut ticks = tokio::time::interval(tick);
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            changed = stop.changed(), if !closing => {
                if changed.is_err() || *stop.borrow() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = ticks.tick(), if !closing => {
                let idle = activity.in_flight.load(Ordering::Relaxed) == 0
                    && activity.idle_for() >= limits.idle_timeout;
                if idle {
                    closing = true;
                    stats.idle_closed.fetch_add(1, Ordering::Relaxed);
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// A TCP stream that records when bytes last moved.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Middleware: the whole body within [`Limits::body_timeout`] and [`Limits::body_limit`], else `408` / `413`
/// and the connection is closed (what is left of the body is never read).
pub async fn read_body(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, limits.body_limit);
    match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) => {
            let too_large = exceeds_limit(&e);
            let (status, text) = if too_large {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "request body exceeds the limit of {} bytes",
                        limits.body_limit
                    ),
                )
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    format!("could not read the request body: {e}"),
                )
            };
            tracing::warn!(path = %parts.uri.path(), %status, "request refused: {text}");
            closing(status, text)
        }
        Err(_elapsed) => {
            tracing::warn!(
                path = %parts.uri.path(),
                timeout_ms = limits.body_timeout.as_millis() as u64,
                "request refused: body not received within the timeout; connection closed"
            );
            closing(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} ms",
                    limits.body_timeout.as_millis()
                ),
            )
        }
    }
}

/// Whether reading stopped at the length limit (`http-body-util`'s `LengthLimitError`, somewhere in the chain).
fn exceeds_limit(e: &axum::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = next {
        if error.to_string().contains("length limit exceeded") {
            return true;
        }
        next = error.source();
    }
    false
}

fn closing(status: StatusCode, text: String) -> Response {
    (status, [(header::CONNECTION, "close")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Generous: only "closed before this" is asserted.
    const BOUND: Duration = Duration::from_secs(20);

    async fn start() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = Limits {
            header_timeout: Duration::from_millis(300),
            body_timeout: Duration::from_millis(300),
            idle_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let router = Router::new().route("/", post(|body: String| async move { body }));
        tokio::spawn(serve_router(
            listener,
            router,
            limits,
            std::future::pending(),
        ));
        addr
    }

    /// Sends `trickle` a byte every 50 ms while reading; everything read once the server closed, or `None`
    /// if it did not close within [`BOUND`].
    async fn read_until_closed(mut stream: TcpStream, trickle: &[u8]) -> Option<String> {
        let started = Instant::now();
        let (mut sent, mut got) = (0, Vec::new());
        let mut buf = [0u8; 1024];
        while started.elapsed() < BOUND {
            if sent < trickle.len() && stream.write_all(&trickle[sent..=sent]).await.is_ok() {
                sent += 1;
            }
            match tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&got).into_owned()),
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        None
    }

    #[tokio::test]
    async fn slow_headers_slow_bodies_and_idle_connections_are_closed() {
        let addr = start().await;
        let slow_head = format!("POST / HTTP/1.1\r\nhost: x\r\nx-pad: {}", "a".repeat(300));
        let stream = TcpStream::connect(addr).await.unwrap();
        assert!(
            read_until_closed(stream, slow_head.as_bytes())
                .await
                .is_some()
        );

        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 400\r\n\r\n")
            .await
            .unwrap();
        let answer = read_until_closed(stream, &[b'x'; 400]).await;
        let answer = answer.expect("a slow body kept the connection open");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi")
            .await
            .unwrap();
        let answer = read_until_closed(stream, b"").await;
        let answer = answer.expect("an idle connection stayed open");
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("hi"),
            "{answer}"
        );
    }
}
