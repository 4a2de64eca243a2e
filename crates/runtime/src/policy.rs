//! Timeouts and retries: [`RequestPolicy`].

use crate::budget::RateBudget;
use crate::operation::Operation;
use rand::Rng;
use std::time::Duration;

/// Timeouts, the retry policy and the rate budget ([`RateBudget`]) of a client. Only operations the spec
/// declares reads (`x-effect: read`) are retried; writes (order creation, cancellation, confirmation) and
/// payments are sent exactly once.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestPolicy {
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, from sending to the end of the response body.
    pub timeout: Duration,
    /// Largest response body read into memory; a larger one fails with `Error::ResponseTooLarge` without
    /// being read further.
    pub max_response_bytes: usize,
    /// Which calls are retried, how often and how long.
    pub retry: RetryPolicy,
    /// How fast calls may be sent: every attempt waits for this budget before it is sent.
    pub rate: RateBudget,
}

impl Default for RequestPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_response_bytes: 16 << 20,
            retry: RetryPolicy::default(),
            rate: RateBudget::default(),
        }
    }
}

/// Exponential backoff with jitter for declared reads ([`Effect::retried`](crate::Effect::retried)).
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubles each retry.
    pub initial_backoff: Duration,
    /// The longest delay between attempts.
    pub max_backoff: Duration,
    /// No retry starts later than this after the first attempt began.
    pub max_elapsed: Duration,
    /// Randomise each delay in `[delay/2, delay]` so clients do not retry in lockstep.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether this policy retries `operation`: a declared read ([`Effect::retried`](crate::Effect::retried)) with more than one
    /// attempt allowed.
    pub fn retries(&self, operation: &Operation) -> bool {
        operation.effect.retried() && self.max_attempts > 1
    }

    /// The delay before retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let delay = exp.min(self.max_backoff);
        if self.jitter && !delay.is_zero() {
            let half = delay / 2;
            half + rand::rng().random_range(Duration::ZERO..=half)
        } else {
            delay
        }
    }
}

/// Whether a transport error is worth retrying for a read. reqwest reports a body that failed while being
/// read (the connection closed before the declared length, a read timeout) as a *decode* error whose source
/// is the body error; that is a transport failure like any other, not a bad answer.
pub(crate) fn retryable_error(e: &reqwest::Error) -> bool {
    if e.is_decode() {
        return body_read_failed(e);
    }
    !(e.is_builder() || e.is_redirect())
}

fn body_read_failed(e: &reqwest::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<reqwest::Error>())
        .is_some_and(reqwest::Error::is_body)
}

/// Whether an HTTP status is worth retrying for a read.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by these vendors and is ignored).
pub(crate) fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let v = response.headers().get(reqwest::header::RETRY_AFTER)?;
    v.to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{AuthStyle, Effect};

    #[test]
    fn only_declared_reads_are_retried() {
        let policy = RetryPolicy::default();
        let op = |effect, idempotent| Operation {
            effect,
            idempotent,
            ..Operation::untabled("op", AuthStyle::AppKey, false)
        };
        assert!(policy.retries(&op(Effect::Read, true)));
        // Idempotence alone (a payment link fetched twice is the same link) does not make a call retried.
        assert!(!policy.retries(&op(Effect::Pay, true)));
        assert!(!policy.retries(&op(Effect::Write, true)));
        assert!(!RetryPolicy::none().retries(&op(Effect::Read, true)));
        assert!(!policy.retries(&Operation::untabled("call_raw", AuthStyle::AppKey, false)));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(400));
        assert_eq!(p.backoff(40), Duration::from_secs(5));
        let j = RetryPolicy::default();
        for _ in 0..100 {
            let d = j.backoff(2);
            assert!(d >= Duration::from_millis(200) && d <= Duration::from_millis(400));
        }
    }
}
