//! Bounded memory of recent deliveries, so a redelivered message reaches the handler once.
//!
//! A key is recorded as *in flight* while its handler runs and as *done* only after the handler succeeded. A
//! failed (or panicked) handler removes the key, so the vendor's retry is processed. Done keys are forgotten after
//! the time window, or earlier (oldest first) when the capacity is reached; in-flight keys are never evicted and
//! count against the capacity, so memory stays bounded by `capacity` entries whatever happens.

use sha1::{Digest, Sha1};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

/// A dedup key: SHA-1 of the fields that identify a message (20 bytes per entry, whatever the body size).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DedupKey([u8; 20]);

impl DedupKey {
    /// Hashes `parts` with their lengths, so that part boundaries cannot be shifted to collide.
    pub fn from_parts(parts: &[&[u8]]) -> Self {
        let mut h = Sha1::new();
        for p in parts {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p);
        }
        Self(h.finalize().into())
    }

    /// All 20 bytes in lowercase hex (40 characters): the form a database stores.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DedupKey {
    /// First 6 bytes in hex: enough to correlate log lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    InFlight,
    Done(Instant),
}

/// Outcome of [`Dedup::begin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Begin {
    /// Not seen: now in flight; the caller runs the handler and then calls `succeed` or `fail`.
    New,
    /// Already handled successfully within the window.
    Done,
    /// Its handler is running right now (a concurrent or late-finishing delivery).
    InFlight,
    /// Every slot holds an in-flight message.
    Full,
}

#[derive(Debug)]
pub(crate) struct Dedup {
    window: Duration,
    capacity: usize,
    entries: HashMap<DedupKey, State>,
    /// Done keys in completion order (one entry per `Done` state in `entries`).
    done_order: VecDeque<(DedupKey, Instant)>,
}

impl Dedup {
    pub(crate) fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            entries: HashMap::new(),
            done_order: VecDeque::new(),
        }
    }

    pub(crate) fn begin(&mut self, key: DedupKey, now: Instant) -> Begin {
        self.expire(now);
        match self.entries.get(&key) {
            Some(State::Done(_)) => Begin::Done,
            Some(State::InFlight) => Begin::InFlight,
            None => {
                while self.entries.len() >= self.capacity {
                    if !self.evict_oldest_done() {
                        return Begin::Full;
                    }
                }
                self.entries.insert(key, State::InFlight);
                Begin::New
            }
        }
    }

    /// The handler succeeded: remember the key for the window.
    pub(crate) fn succeed(&mut self, key: DedupKey, now: Instant) {
        self.entries.insert(key, State::Done(now));
        // A key that was already `Done` cannot be `begin`-ed again, so this push keeps `done_order` 1:1 with
        // the `Done` entries.
        self.done_order.push_back((key, now));
        self.expire(now);
    }

    /// The handler failed: forget the key so a redelivery is processed.
    pub(crate) fn fail(&mut self, key: DedupKey) {
        if self.entries.get(&key) == Some(&State::InFlight) {
            self.entries.remove(&key);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(key, at)) = self.done_order.front() {
            if now.saturating_duration_since(at) < self.window {
                break;
            }
            self.done_order.pop_front();
            if self.entries.get(&key) == Some(&State::Done(at)) {
                self.entries.remove(&key);
            }
        }
    }

    fn evict_oldest_done(&mut self) -> bool {
        while let Some((key, at)) = self.done_order.pop_front() {
            if self.entries.get(&key) == Some(&State::Done(at)) {
                self.entries.remove(&key);
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> DedupKey {
        DedupKey::from_parts(&[&[n]])
    }

    #[test]
    fn lifecycle() {
        let t0 = Instant::now();
        let mut d = Dedup::new(Duration::from_secs(10), 100);
        assert_eq!(d.begin(key(1), t0), Begin::New);
        assert_eq!(d.begin(key(1), t0), Begin::InFlight);
        d.fail(key(1));
        assert_eq!(
            d.begin(key(1), t0),
            Begin::New,
            "a failure is not remembered"
        );
        d.succeed(key(1), t0);
        assert_eq!(d.begin(key(1), t0 + Duration::from_secs(9)), Begin::Done);
        assert_eq!(
            d.begin(key(1), t0 + Duration::from_secs(10)),
            Begin::New,
            "forgotten after the window"
        );
    }

    #[test]
    fn capacity_evicts_oldest_done_but_never_in_flight() {
        let t0 = Instant::now();
        let mut d = Dedup::new(Duration::from_secs(3600), 3);
        for n in 0..3 {
            assert_eq!(d.begin(key(n), t0), Begin::New);
            d.succeed(key(n), t0 + Duration::from_secs(n.into()));
        }
        assert_eq!(d.begin(key(10), t0), Begin::New); // evicts key 0
        assert_eq!(d.len(), 3);
        assert_eq!(d.begin(key(0), t0), Begin::New, "oldest done was evicted");
        assert_eq!(d.begin(key(2), t0), Begin::Done, "newer done kept");
        assert_eq!(d.begin(key(11), t0), Begin::New); // evicts key 2, the last done one
        assert_eq!(d.len(), 3);
        assert_eq!(d.begin(key(12), t0), Begin::Full, "all slots in flight");
        d.fail(key(10));
        assert_eq!(d.begin(key(12), t0), Begin::New);
    }

    #[test]
    fn key_parts_are_length_prefixed() {
        assert_ne!(
            DedupKey::from_parts(&[b"ab", b"c"]),
            DedupKey::from_parts(&[b"a", b"bc"])
        );
    }
}
