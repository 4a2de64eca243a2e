//! Client-side rate budgets: [`RateBudget`].

use crate::operation::Operation;
use crate::time::Timer;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How fast a runtime may call its vendor.
///
/// The client-side rate budget of one [`crate::Runtime`] (one provider, one set of credentials): every
/// attempt of every call passes `Budget::acquire` once, before it is sent; reads and writes alike wait there for budget, so a write or payment waits *before* its single attempt and never
/// after a failure. A `429` (`Budget::throttled`) slows the budget: nothing is sent before its
/// `Retry-After`, and the rate is halved for [`RateBudget::slowdown`].
///
/// No vendor publishes a rate limit or a throttling business code (specs/*.yaml document only HTTP `429`
/// with an optional `Retry-After`), so the default, 10 calls per second with bursts of 10, is a
/// conservative guess; `<PREFIX>_RATE_PER_SECOND`, `<PREFIX>_RATE_BURST` and `<PREFIX>_RATE_<OPERATION>`
/// ([`RateBudget::from_lookup`]) or [`crate::RequestPolicy::rate`] change it.
#[derive(Clone, Debug, PartialEq)]
pub struct RateBudget {
    /// Calls per second to the provider with these credentials; `None` (or a rate that is not a positive
    /// number): no limit.
    pub per_second: Option<f64>,
    /// Calls that may start at once before the rate applies (at least 1).
    pub burst: u32,
    /// Calls per second of single operations (by operation id, e.g. `order_detail`), in addition to the
    /// provider's budget (a rate that is not a positive number: no limit of its own).
    pub per_operation: BTreeMap<String, f64>,
    /// How long a `429` halves the provider's rate; also the longest `Retry-After` waited for by later calls.
    pub slowdown: Duration,
}

impl Default for RateBudget {
    fn default() -> Self {
        Self {
            per_second: Some(10.0),
            burst: 10,
            per_operation: BTreeMap::new(),
            slowdown: Duration::from_secs(60),
        }
    }
}

impl RateBudget {
    /// No client-side limit (a `429` still delays later calls until its `Retry-After`).
    pub fn unlimited() -> Self {
        Self {
            per_second: None,
            ..Self::default()
        }
    }

    /// The budget of the provider whose configuration prefix is `prefix`, read through `lookup`
    /// (environment, `--config` file, profile): `<PREFIX>_RATE_PER_SECOND` (a positive number, or `off`),
    /// `<PREFIX>_RATE_BURST` (a positive integer) and, for each of `operations`,
    /// `<PREFIX>_RATE_<OPERATION ID IN CAPITALS>` (e.g. `PANDAPON_RATE_ORDER_DETAIL=2`). Unset keys keep the
    /// default; a bad value is an error naming the key and what it takes.
    pub fn from_lookup<'a>(
        prefix: &str,
        operations: impl IntoIterator<Item = &'a str>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut budget = Self::default();
        let key = |k: &str| format!("{prefix}_RATE_{k}");
        if let Some(v) = lookup(&key("PER_SECOND")) {
            budget.per_second = match v.trim() {
                "off" => None,
                _ => Some(rate(&key("PER_SECOND"), &v)?),
            };
        }
        if let Some(v) = lookup(&key("BURST")) {
            budget.burst = v
                .trim()
                .parse()
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(|| format!("{}={v:?} is not a positive integer", key("BURST")))?;
        }
        for id in operations {
            let full = key(&id.to_ascii_uppercase());
            if let Some(v) = lookup(&full) {
                budget.per_operation.insert(id.to_owned(), rate(&full, &v)?);
            }
        }
        Ok(budget)
    }
}

/// A rate in calls per second: positive and finite.
fn rate(key: &str, value: &str) -> Result<f64, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r > 0.0)
        .ok_or_else(|| {
            format!("{key}={value:?} is not a rate: give calls per second, e.g. 5 or 0.5")
        })
}

/// The runtime's timer as governor's clock, so budgets wait on the same (injectable, virtual in tests) time
/// as retries.
#[derive(Clone, Debug)]
struct TimerClock(Arc<dyn Timer>);

impl Clock for TimerClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        self.0.now()
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TimerClock, NoOpMiddleware<Duration>>;

/// The state of a [`RateBudget`], shared by the clones of a runtime.
pub(crate) struct Budget {
    timer: Arc<dyn Timer>,
    provider: Option<Limiter>,
    /// Half the provider's rate, without burst: passed too while slowed after a `429`.
    slowed: Option<Limiter>,
    operations: HashMap<String, Limiter>,
    slowdown: Duration,
    throttle: Mutex<Throttle>,
}

/// What the last `429`s asked for, on the timer's clock.
#[derive(Debug, Default)]
struct Throttle {
    /// Nothing is sent before this (`Retry-After`).
    not_before: Duration,
    /// The rate stays halved until this.
    slowed_until: Duration,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("limited", &self.provider.is_some())
            .field("operations", &self.operations.keys().collect::<Vec<_>>())
            .field("throttle", &*self.lock())
            .finish()
    }
}

impl Budget {
    pub(crate) fn new(rate: &RateBudget, timer: Arc<dyn Timer>) -> Self {
        let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
        let limiter = |per_second: f64, burst| {
            // Set in code, a rate may be anything: one that is not positive is no limit, and the period
            // stays within [1 ns, 1 day] (`Duration::from_secs_f64` would panic beyond its range).
            if per_second.is_nan() || per_second <= 0.0 {
                return None;
            }
            let period = Duration::try_from_secs_f64(1.0 / per_second).unwrap_or(Duration::MAX);
            let period = period.clamp(Duration::from_nanos(1), Duration::from_secs(86_400));
            let quota = Quota::with_period(period)?.allow_burst(burst);
            Some(RateLimiter::direct_with_clock(
                quota,
                TimerClock(timer.clone()),
            ))
        };
        Self {
            provider: rate.per_second.and_then(|r| limiter(r, burst)),
            slowed: rate
                .per_second
                .and_then(|r| limiter(r / 2.0, NonZeroU32::MIN)),
            operations: rate
                .per_operation
                .iter()
                .filter_map(|(id, r)| Some((id.clone(), limiter(*r, NonZeroU32::MIN)?)))
                .collect(),
            slowdown: rate.slowdown,
            throttle: Mutex::new(Throttle::default()),
            timer,
        }
    }

    /// Wait until `operation` may send an attempt: past any `Retry-After`, then within the operation's
    /// budget, the halved rate while slowed, and the provider's budget.
    /// The clock is read only where there is something to wait for (no limit and no `429` seen: never).
    pub(crate) async fn acquire(&self, operation: &Operation) {
        let (not_before, slowed_until) = {
            let t = self.lock();
            (t.not_before, t.slowed_until)
        };
        if !not_before.is_zero() {
            let now = self.timer.now();
            if not_before > now {
                tracing::debug!(wait = ?(not_before - now), "waiting for the vendor's Retry-After");
                self.timer.sleep(not_before - now).await;
            }
        }
        if let Some(l) = self.operations.get(operation.id) {
            self.until_ready(l).await;
        }
        let slowed = !slowed_until.is_zero() && self.timer.now() < slowed_until;
        if let Some(l) = self.slowed.as_ref().filter(|_| slowed) {
            self.until_ready(l).await;
        }
        if let Some(l) = &self.provider {
            self.until_ready(l).await;
        }
    }

    async fn until_ready(&self, limiter: &Limiter) {
        while let Err(not_until) = limiter.check() {
            let wait = not_until.wait_time_from(self.timer.now());
            tracing::debug!(?wait, "waiting for rate budget");
            self.timer.sleep(wait).await;
        }
    }

    /// The vendor answered `429`: send nothing before `retry_after` (at most the slowdown: a `Retry-After`
    /// of a day would stop the client for a day), and halve the rate for a while.
    pub(crate) fn throttled(&self, retry_after: Option<Duration>) {
        let now = self.timer.now();
        let pause = retry_after.unwrap_or_default().min(self.slowdown);
        let mut t = self.lock();
        t.not_before = t.not_before.max(now + pause);
        t.slowed_until = t.slowed_until.max(now + self.slowdown);
        tracing::info!(?retry_after, slowdown = ?self.slowdown, "throttled by the vendor: slowing down");
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Throttle> {
        // Two instants: a panic elsewhere cannot leave them inconsistent.
        self.throttle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::AuthStyle;
    use crate::time::VirtualTimer;

    fn budget(rate: RateBudget) -> (Budget, Arc<VirtualTimer>) {
        let timer = Arc::new(VirtualTimer::new());
        (Budget::new(&rate, timer.clone()), timer)
    }

    #[tokio::test]
    async fn calls_beyond_the_budget_wait_on_the_timer() {
        let (b, timer) = budget(RateBudget {
            per_second: Some(10.0),
            burst: 2,
            ..RateBudget::default()
        });
        let op = Operation::untabled("op", AuthStyle::AppKey, false);
        for _ in 0..4 {
            b.acquire(&op).await;
        }
        // Two at once (the burst), then one per 100 ms.
        assert_eq!(timer.sleeps(), [Duration::from_millis(100); 2]);
        assert_eq!(timer.now(), Duration::from_millis(200));
    }

    #[tokio::test]
    async fn an_operation_budget_applies_to_that_operation_only() {
        let rate = RateBudget::from_lookup("PANDAPON", ["order_detail", "other"], |k| {
            (k == "PANDAPON_RATE_ORDER_DETAIL").then(|| "2".to_owned())
        })
        .unwrap();
        assert_eq!(
            rate.per_operation,
            BTreeMap::from([("order_detail".into(), 2.0)])
        );
        let (b, timer) = budget(rate);
        let other = Operation::untabled("other", AuthStyle::AppKey, false);
        let detail = Operation::untabled("order_detail", AuthStyle::AppKey, false);
        for _ in 0..3 {
            b.acquire(&other).await;
        }
        assert!(timer.sleeps().is_empty());
        b.acquire(&detail).await;
        b.acquire(&detail).await;
        assert_eq!(timer.sleeps(), [Duration::from_millis(500)]);
    }

    #[tokio::test]
    async fn a_429_delays_until_retry_after_then_halves_the_rate() {
        let (b, timer) = budget(RateBudget {
            per_second: Some(10.0),
            burst: 1,
            ..RateBudget::default()
        });
        let op = Operation::untabled("op", AuthStyle::AppKey, false);
        b.acquire(&op).await;
        b.throttled(Some(Duration::from_secs(3)));
        b.acquire(&op).await;
        b.acquire(&op).await;
        // Retry-After, then 200 ms (5/s) instead of 100 ms.
        assert_eq!(
            timer.sleeps(),
            [Duration::from_secs(3), Duration::from_millis(200)]
        );
        // After the slowdown the full rate is back.
        timer.advance(Duration::from_secs(60));
        b.acquire(&op).await;
        b.acquire(&op).await;
        assert_eq!(timer.sleeps().last(), Some(&Duration::from_millis(100)));
        // A Retry-After of a day pauses later calls for the slowdown only.
        b.throttled(Some(Duration::from_secs(86_400)));
        b.acquire(&op).await;
        assert_eq!(timer.sleeps().last(), Some(&Duration::from_secs(60)));
    }

    #[tokio::test]
    async fn rates_set_in_code_never_panic() {
        for r in [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e-300,
            f64::MIN_POSITIVE,
        ] {
            let (b, _) = budget(RateBudget {
                per_second: Some(r),
                per_operation: BTreeMap::from([("op".into(), r)]),
                ..RateBudget::default()
            });
            b.acquire(&Operation::untabled("op", AuthStyle::AppKey, false))
                .await;
        }
    }

    #[test]
    fn settings_are_read_and_bad_values_named() {
        let get = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let r = RateBudget::from_lookup(
            "DAJISAAS",
            [],
            get(&[
                ("DAJISAAS_RATE_PER_SECOND", "0.5"),
                ("DAJISAAS_RATE_BURST", "3"),
            ]),
        )
        .unwrap();
        assert_eq!((r.per_second, r.burst), (Some(0.5), 3));
        let off = RateBudget::from_lookup("X", [], get(&[("X_RATE_PER_SECOND", "off")])).unwrap();
        assert_eq!(off.per_second, None);
        let e = RateBudget::from_lookup("X", [], get(&[("X_RATE_PER_SECOND", "0")])).unwrap_err();
        assert!(
            e.starts_with("X_RATE_PER_SECOND=\"0\" is not a rate"),
            "{e}"
        );
        let e = RateBudget::from_lookup("X", [], get(&[("X_RATE_BURST", "-1")])).unwrap_err();
        assert!(e.contains("X_RATE_BURST"), "{e}");
    }
}
