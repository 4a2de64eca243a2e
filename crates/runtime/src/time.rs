//! The one time source of the runtime: wall-clock time for signatures (timestamps), a monotonic clock for
//! the retry budget and call latency, and the sleep between attempts. Injectable so tests (and callers with
//! their own executor) need no wall-clock waits. The default is [`TokioTimer`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A boxed sleep, as returned by [`Timer::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Clock and sleep: the timestamps signers send ([`Timer::now_millis`]), when a retry may start
/// (`RetryPolicy::max_elapsed`), how long a call took (the `latency` of its tracing span) and the waits
/// between attempts.
pub trait Timer: fmt::Debug + Send + Sync {
    /// Monotonic time since an arbitrary, fixed origin.
    fn now(&self) -> Duration;
    /// Wall-clock time: milliseconds since the Unix epoch (UTC), as signers send it.
    fn now_millis(&self) -> u64;
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The system's wall clock in milliseconds since the Unix epoch (0 if the clock is before 1970).
pub fn system_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `std::time::Instant`, the system clock and `tokio::time::sleep`: the default.
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

    fn now_millis(&self) -> u64 {
        system_millis()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that always answers the same instant (signature tests); its sleeps complete at once.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub u64);

impl Timer for FixedClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.0)
    }

    fn now_millis(&self) -> u64 {
        self.0
    }

    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(std::future::ready(()))
    }
}

/// A virtual clock for tests: time stands still except when something sleeps, and a sleep completes at once
/// after advancing the clock by its duration. Every sleep is recorded ([`VirtualTimer::sleeps`]). Its wall
/// clock starts at the Unix epoch plus [`VirtualTimer::EPOCH_MILLIS`].
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
    /// Where the virtual wall clock starts (2024-05-14, the vendors' sample timestamp).
    pub const EPOCH_MILLIS: u64 = 1_715_669_977_082;

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

    fn now_millis(&self) -> u64 {
        Self::EPOCH_MILLIS + self.lock().now.as_millis() as u64
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
        assert_eq!(t.now_millis(), VirtualTimer::EPOCH_MILLIS + 60_005);
        assert_eq!(t.sleeps(), [Duration::from_secs(60)]);
    }
}
