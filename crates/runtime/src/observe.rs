//! Tracing: one span per call, `sourcing.call`, with the fields `provider`, `operation`, `attempt`, `status`,
//! `request_id` (the vendor's request/trace id) and `latency_ms`; retries, refusals and failures are events
//! inside it. At `trace` level each attempt also logs its request line, its headers with every value but a
//! few harmless ones redacted, the response status and a prefix of the response body. Secrets and
//! signatures are never recorded: header values are redacted unless known harmless, and the query
//! parameters the operation's signing scheme marks secret ([`crate::signing::Scheme::params`], the one list)
//! are masked in the logged URL. `latency_ms` is measured on the runtime's timer from the first attempt
//! to the last response; a call refused before sending has none.

use crate::error::Error;
use crate::operation::AuthStyle;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
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

pin_project_lite::pin_project! {
    /// A call inside its span that records its outcome on the span when it finishes ([`finished`]). A
    /// combinator rather than an `async fn`: an `async fn` taking the call future keeps both the argument
    /// and the instrumented future it is moved into in its state, doubling what every call allocates.
    pub(crate) struct Observed<F> {
        #[pin]
        call: tracing::instrument::Instrumented<F>,
    }
}

impl<F> Observed<F> {
    pub(crate) fn new(call: tracing::instrument::Instrumented<F>) -> Self {
        Self { call }
    }
}

impl<T, F: Future<Output = Result<T, Error>>> Future for Observed<F> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut call = self.project().call;
        let result = std::task::ready!(call.as_mut().poll(cx));
        finished(call.as_ref().get_ref().span(), &result);
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
/// ([`crate::signing::redact_url`]).
pub(crate) struct LoggedUrl<'a>(pub(crate) &'a reqwest::Url, pub(crate) AuthStyle);

impl fmt::Display for LoggedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.0.clone();
        crate::signing::redact_url(&mut url, self.1);
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
