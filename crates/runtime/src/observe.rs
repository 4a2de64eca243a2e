//! Tracing: one span per call, `sourcing.call`, with the fields `provider`, `operation`, `attempt`, `status`,
//! `request_id` (the vendor's request/trace id) and `latency_ms`; retries, refusals and failures are events
//! inside it. At `trace` level each attempt also logs its request line, its headers with every value but a
//! few harmless ones redacted, the response status and a prefix of the response body. Secrets and
//! signatures are never recorded: header values are redacted unless known harmless, and the query
//! parameters the operation's signing scheme marks secret ([`crate::Scheme::params`], the one list)
//! are masked in the logged URL. `latency_ms` is measured on the runtime's timer from the first attempt
//! to the last response; a call refused before sending has none.
//!
//! A process may also install one [`CallObserver`] ([`set_call_observer`]): told of every call's end with its
//! provider, operation, [`CallOutcome`] and duration, e.g. to count calls for metrics (`sourcing serve`).

use crate::error::Error;
use crate::operation::AuthStyle;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tracing::Span;
use tracing::field::Empty;

/// Headers whose values are logged as sent; every other value is `<redacted>`. The signing headers'
/// `timestamp` and `nonce-str` are no secrets (a server sees them in the clear) and are what a
/// timestamp-unit or nonce problem needs to be seen.
const SHOWN_HEADERS: [&str; 7] = [
    "accept",
    "content-type",
    "content-length",
    "user-agent",
    "host",
    "timestamp",
    "nonce-str",
];

/// Whether a header's value is shown as sent wherever a request is shown (logs, a CLI's dry run); every
/// other value is `<redacted>`.
pub fn is_shown_header(name: &str) -> bool {
    SHOWN_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// The span of one call.
pub(crate) fn call_span(provider: &str, operation: &str) -> Span {
    tracing::info_span!(
        "sourcing.call",
        provider,
        operation,
        attempt = Empty,
        status = Empty,
        request_id = Empty,
        latency_ms = Empty,
    )
}

/// How a call ended, as a metric label ([`CallOutcome::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallOutcome {
    /// Answered and decoded.
    Ok,
    /// Refused before sending (invalid request, signing failed).
    NotSent,
    /// Connecting, sending or reading failed (timeouts included).
    Transport,
    /// HTTP 429.
    Throttled,
    /// Another HTTP status than 200.
    HttpStatus,
    /// The vendor's envelope reported a business error.
    Api,
    /// HTTP 200 with an undecodable body.
    Undecodable,
    /// The response exceeded the size limit.
    TooLarge,
    /// A batch where some items failed.
    PartialFailure,
}

impl CallOutcome {
    /// The outcome of `result`.
    pub fn of<T>(result: &Result<T, Error>) -> Self {
        match result {
            Ok(_) => Self::Ok,
            Err(Error::InvalidRequest { .. } | Error::Signing { .. }) => Self::NotSent,
            Err(Error::Transport { .. }) => Self::Transport,
            Err(Error::HttpStatus { status: 429, .. }) => Self::Throttled,
            Err(Error::HttpStatus { .. }) => Self::HttpStatus,
            Err(Error::Api(_)) => Self::Api,
            Err(Error::Decode { .. }) => Self::Undecodable,
            Err(Error::ResponseTooLarge { .. }) => Self::TooLarge,
            Err(Error::PartialFailure(_)) => Self::PartialFailure,
        }
    }

    /// Its `snake_case` name: `ok`, `not_sent`, `transport`, `throttled`, `http_status`, `api_error`,
    /// `undecodable`, `too_large`, `partial_failure`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NotSent => "not_sent",
            Self::Transport => "transport",
            Self::Throttled => "throttled",
            Self::HttpStatus => "http_status",
            Self::Api => "api_error",
            Self::Undecodable => "undecodable",
            Self::TooLarge => "too_large",
            Self::PartialFailure => "partial_failure",
        }
    }
}

/// Told of the end of every call made through any [`crate::Runtime`] of the process (generated clients,
/// raw and multipart calls): the hook for call metrics. `elapsed` is the call as its caller waited for it,
/// from its first poll to its result (signing, rate-budget waits, every attempt and decoding).
pub trait CallObserver: Send + Sync + 'static {
    /// One call ended.
    fn finished(
        &self,
        provider: &'static str,
        operation: &'static str,
        outcome: CallOutcome,
        elapsed: Duration,
    );
}

static OBSERVER: OnceLock<Box<dyn CallObserver>> = OnceLock::new();

/// Installs the process's [`CallObserver`]; once per process (`Err` gives it back when one is installed:
/// one process, one set of metrics).
pub fn set_call_observer<O: CallObserver>(observer: O) -> Result<(), O> {
    let mut given = Some(observer);
    OBSERVER.get_or_init(|| Box::new(given.take().expect("taken once")));
    match given {
        None => Ok(()),
        Some(observer) => Err(observer),
    }
}

pin_project_lite::pin_project! {
    /// A call inside its span that records its outcome on the span when it finishes ([`finished`]) and tells
    /// the [`CallObserver`], if one is installed. A combinator rather than an `async fn`: an `async fn`
    /// taking the call future keeps both the argument and the instrumented future it is moved into in its
    /// state, doubling what every call allocates.
    pub(crate) struct Observed<F> {
        #[pin]
        call: tracing::instrument::Instrumented<F>,
        provider: &'static str,
        operation: &'static str,
        // The first poll, when an observer is installed.
        started: Option<Instant>,
    }
}

impl<F> Observed<F> {
    pub(crate) fn new(
        call: tracing::instrument::Instrumented<F>,
        provider: &'static str,
        operation: &'static str,
    ) -> Self {
        Self {
            call,
            provider,
            operation,
            started: None,
        }
    }
}

impl<T, F: Future<Output = Result<T, Error>>> Future for Observed<F> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let observer = OBSERVER.get();
        if observer.is_some() && this.started.is_none() {
            *this.started = Some(Instant::now());
        }
        let mut call = this.call;
        let result = std::task::ready!(call.as_mut().poll(cx));
        finished(call.as_ref().get_ref().span(), &result);
        if let (Some(observer), Some(started)) = (observer, this.started) {
            observer.finished(
                this.provider,
                this.operation,
                CallOutcome::of(&result),
                started.elapsed(),
            );
        }
        Poll::Ready(result)
    }
}

/// Record the outcome of a call on its span.
pub(crate) fn finished<T>(span: &Span, result: &Result<T, Error>) {
    if let Err(e) = result {
        if let Some(id) = e.api().and_then(|a| a.request_id.as_deref()) {
            span.record("request_id", id);
        }
        match e {
            Error::InvalidRequest { .. } | Error::Signing { .. } => {
                tracing::info!(parent: span, error = %e, "refused: nothing was sent")
            }
            _ => tracing::debug!(parent: span, error = %e, "call failed"),
        }
    }
}

/// Record the vendor's request id on the current call span.
pub(crate) fn request_id(id: Option<&str>) {
    if let Some(id) = id {
        Span::current().record("request_id", id);
    }
}

/// A request URL as logged: the values of the scheme's secret parameters masked
/// ([`crate::redact_url`]).
pub(crate) struct LoggedUrl<'a>(pub(crate) &'a reqwest::Url, pub(crate) AuthStyle);

impl fmt::Display for LoggedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.0.clone();
        crate::redact_url(&mut url, self.1);
        f.write_str(url.as_str())
    }
}

/// Headers as logged: names kept, values redacted unless listed in [`SHOWN_HEADERS`].
pub(crate) struct LoggedHeaders<'a>(pub(crate) &'a reqwest::header::HeaderMap);

impl fmt::Debug for LoggedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if is_shown_header(name.as_str()) {
                map.entry(&name.as_str(), &value.to_str().unwrap_or("<binary>"));
            } else {
                map.entry(&name.as_str(), &"<redacted>");
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The calls of the provider `observed-test` (other tests' calls may be observed too).
    static SEEN: Mutex<Vec<(&str, &str)>> = Mutex::new(Vec::new());

    struct Recording;

    impl CallObserver for Recording {
        fn finished(
            &self,
            provider: &'static str,
            operation: &'static str,
            outcome: CallOutcome,
            _: Duration,
        ) {
            if provider == "observed-test" {
                SEEN.lock().unwrap().push((operation, outcome.name()));
            }
        }
    }

    #[tokio::test]
    async fn the_call_observer_is_told_each_calls_outcome() {
        assert!(set_call_observer(Recording).is_ok());
        assert!(set_call_observer(Recording).is_err(), "one per process");
        let ok = crate::runtime::observed("observed-test", "read", async { Ok::<_, Error>(1) });
        assert_eq!(ok.await.unwrap(), 1);
        let refused = crate::runtime::observed("observed-test", "write", async {
            Err::<(), _>(Error::InvalidRequest {
                operation: "write",
                message: "no".into(),
            })
        });
        assert!(refused.await.is_err());
        assert_eq!(
            *SEEN.lock().unwrap(),
            [("read", "ok"), ("write", "not_sent")]
        );
    }

    #[test]
    fn logged_urls_and_headers_hide_secrets_and_signatures() {
        let url: reqwest::Url = "http://h/p?appKey=k&sign=ABC&appSecret=S&x=1"
            .parse()
            .unwrap();
        let shown = LoggedUrl(&url, AuthStyle::AppKey).to_string();
        assert_eq!(
            shown,
            "http://h/p?appKey=k&sign=%3Credacted%3E&appSecret=%3Credacted%3E&x=1"
        );
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("signature", "SIG".parse().unwrap());
        h.insert("content-type", "application/json".parse().unwrap());
        let shown = format!("{:?}", LoggedHeaders(&h));
        assert!(
            !shown.contains("SIG") && shown.contains("application/json"),
            "{shown}"
        );
    }
}
