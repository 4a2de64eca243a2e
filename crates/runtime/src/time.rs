//! The time the retry loop runs on: a monotonic clock and a sleep, injectable so tests (and callers with
//! their own executor) need no wall-clock waits. The default is [`TokioTimer`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A boxed sleep, as returned by [`Timer::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Clock and sleep of the retry loop: when a retry may start (`RetryPolicy::max_elapsed`), how long a call
/// took (the `latency` of its tracing span) and the waits between attempts.
pub trait Timer: fmt::Debug + Send + Sync {
    /// Monotonic time since an arbitrary, fixed origin.
    fn now(&self) -> Duration;
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// `std::time::Instant` and `tokio::time::sleep`: the default.
#[derive(Debug, Clone, Copy)]
pub struct TokioTimer {
    origin: Instant,
}

impl Default for TokioTimer {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Timer for TokioTimer {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A virtual clock for tests: time stands still except when something sleeps, and a sleep completes at once
/// after advancing the clock by its duration. Every sleep is recorded ([`VirtualTimer::sleeps`]).
#[derive(Debug, Default)]
pub struct VirtualTimer {
    state: Mutex<VirtualState>,
}

#[derive(Debug, Default)]
struct VirtualState {
    now: Duration,
    sleeps: Vec<Duration>,
}

impl VirtualTimer {
    /// A clock at zero with no sleeps recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Move the clock forward without sleeping (e.g. to simulate a slow attempt).
    pub fn advance(&self, by: Duration) {
        self.lock().now += by;
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VirtualState> {
        // A panic while holding the lock cannot leave the state inconsistent: keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Timer for VirtualTimer {
    fn now(&self) -> Duration {
        self.lock().now
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let mut state = self.lock();
        state.now += duration;
        state.sleeps.push(duration);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn virtual_sleeps_advance_the_clock_at_once() {
        let t = VirtualTimer::new();
        t.sleep(Duration::from_secs(60)).await;
        t.advance(Duration::from_millis(5));
        assert_eq!(t.now(), Duration::from_millis(60_005));
        assert_eq!(t.sleeps(), [Duration::from_secs(60)]);
    }
}
