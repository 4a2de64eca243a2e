//! A test double of `InboxStore` in memory, with the trait's semantics (atomic claim under a lease, conditional
//! renew/complete/fail), so the receiver and worker logic is tested without a database. The SQL stores are
//! tested against the same semantics in `sourcing-ledger`.

use sourcing_webhooks::inbox::{
    AfterFailure, Claim, InboxEntry, InboxState, InboxStore, InboxStoreError, Inserted, NewMessage,
    Replay,
};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Default)]
pub struct MemoryStore {
    rows: Mutex<Vec<Row>>,
    /// When set, every `insert_batch` fails (a database that is down).
    pub failing: AtomicBool,
    /// When set, every `complete` fails (the database went away right after the handler).
    pub failing_complete: AtomicBool,
}

struct Row {
    entry: InboxEntry,
    lease: Option<(String, i64)>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

impl MemoryStore {
    fn with_row<T>(&self, claim: &Claim, f: impl FnOnce(&mut Row) -> T) -> Option<T> {
        let mut rows = self.rows.lock().unwrap();
        let row = rows.iter_mut().find(|r| r.entry.id == claim.entry.id)?;
        let current = row.entry.state == InboxState::Pending
            && row.entry.attempts == claim.attempt()
            && row.lease.as_ref().is_some_and(|(o, _)| *o == claim.owner);
        current.then(|| f(row))
    }

    pub fn entries(&self) -> Vec<InboxEntry> {
        self.rows
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.entry.clone())
            .collect()
    }
}

impl InboxStore for MemoryStore {
    async fn insert_batch(
        &self,
        messages: &[NewMessage],
    ) -> Result<Vec<Inserted>, InboxStoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(InboxStoreError::new("database is down"));
        }
        let mut rows = self.rows.lock().unwrap();
        Ok(messages
            .iter()
            .map(|m| {
                if let Some(row) = rows.iter_mut().find(|r| r.entry.dedup_key == m.dedup_key) {
                    row.entry.deliveries += 1;
                    return Inserted::Duplicate(row.entry.id);
                }
                let id = rows.len() as i64 + 1;
                rows.push(Row {
                    entry: InboxEntry::new(id, m.clone(), now_ms()),
                    lease: None,
                });
                Inserted::New(id)
            })
            .collect())
    }

    async fn claim_due(
        &self,
        provider: &str,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claim>, InboxStoreError> {
        let now = now_ms();
        let mut rows = self.rows.lock().unwrap();
        Ok(rows
            .iter_mut()
            .filter(|r| {
                r.entry.provider == provider
                    && r.entry.state == InboxState::Pending
                    && r.entry.due_at_ms <= now
                    && r.lease.as_ref().is_none_or(|(_, until)| *until <= now)
            })
            .take(limit)
            .map(|r| {
                r.entry.attempts += 1;
                r.lease = Some((owner.to_owned(), now + lease.as_millis() as i64));
                Claim::new(r.entry.clone(), owner)
            })
            .collect())
    }

    async fn renew(&self, claim: &Claim, lease: Duration) -> Result<bool, InboxStoreError> {
        Ok(self
            .with_row(claim, |r| {
                r.lease = Some((claim.owner.clone(), now_ms() + lease.as_millis() as i64));
            })
            .is_some())
    }

    async fn complete(&self, claim: &Claim) -> Result<bool, InboxStoreError> {
        if self.failing_complete.load(Ordering::SeqCst) {
            return Err(InboxStoreError::new("database is down"));
        }
        Ok(self
            .with_row(claim, |r| {
                r.entry.state = InboxState::Done;
                r.entry.handled_at_ms = Some(now_ms());
                r.lease = None;
            })
            .is_some())
    }

    async fn fail(
        &self,
        claim: &Claim,
        error: &str,
        then: AfterFailure,
    ) -> Result<bool, InboxStoreError> {
        Ok(self
            .with_row(claim, |r| {
                r.entry.last_error = Some(error.to_owned());
                r.lease = None;
                match then {
                    AfterFailure::RetryAfter(d) => {
                        r.entry.due_at_ms = now_ms() + d.as_millis() as i64
                    }
                    AfterFailure::DeadLetter => r.entry.state = InboxState::Dead,
                }
            })
            .is_some())
    }

    async fn get(&self, id: i64) -> Result<Option<InboxEntry>, InboxStoreError> {
        Ok(self.entries().into_iter().find(|e| e.id == id))
    }

    async fn dead_letters(&self) -> Result<Vec<InboxEntry>, InboxStoreError> {
        Ok(self
            .entries()
            .into_iter()
            .filter(|e| e.state == InboxState::Dead)
            .collect())
    }

    async fn replay(&self, id: i64) -> Result<Replay, InboxStoreError> {
        let mut rows = self.rows.lock().unwrap();
        let Some(row) = rows.iter_mut().find(|r| r.entry.id == id) else {
            return Ok(Replay::NotFound);
        };
        if row.entry.state != InboxState::Dead {
            return Ok(Replay::NotDeadLetter(row.entry.state));
        }
        row.entry.state = InboxState::Pending;
        row.entry.attempts = 0;
        row.entry.due_at_ms = now_ms();
        Ok(Replay::Replayed)
    }
}
