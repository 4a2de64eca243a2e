//! The callback inbox's storage: [`sourcing_webhooks::inbox::InboxStore`] for [`Store`], on SQLite and
//! Postgres (table `inbox_messages`, migration 2), and [`OrderCallbacks`], the inbox handler that records
//! order callbacks in the ledger.
//!
//! This crate depends on `sourcing-webhooks` (not the reverse): the webhooks crate stays free of any database
//! (its in-memory receiver needs none), defines what an inbox needs, and this crate, which owns the database
//! and its migrations, provides it — and can record a callback in the ledger and complete its inbox message in
//! one transaction.
//!
//! Times come from the database's clock (Postgres: the server's), so instances on several hosts agree on
//! leases.

use crate::store::{Dialect, Row, Store, Transaction, Value};
use crate::{CallbackReport, Ledger};
use sourcing_webhooks::inbox::{
    AfterFailure, Claim, Handled, InboxEntry, InboxHandler, InboxState, InboxStore,
    InboxStoreError, Inserted, NewMessage, Replay,
};
use sourcing_webhooks::{Callback, HandlerError};
use std::time::Duration;

const COLUMNS: &str = "id, provider, dedup_key, kind, order_id, body, state, attempts, deliveries, \
                       received_at_ms, due_at_ms, handled_at_ms, last_error";

/// The current time in milliseconds, by the database's clock.
fn now(dialect: Dialect) -> &'static str {
    dialect.pick(
        "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    )
}

fn failed(e: impl std::error::Error + Send + Sync + 'static) -> InboxStoreError {
    InboxStoreError::new(e)
}

fn millis(d: Duration) -> Value {
    Value::Int(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn count(row: &Row, index: usize) -> Result<u32, crate::StoreError> {
    Ok(u32::try_from(row.int(index)?).unwrap_or(u32::MAX))
}

fn entry_from_row(row: &Row) -> Result<InboxEntry, crate::StoreError> {
    let state = row.text(6)?;
    let message = NewMessage::new(
        row.text(1)?,
        row.text(2)?,
        row.text(3)?,
        row.opt_text(4)?,
        row.bytes(5)?,
    );
    let mut entry = InboxEntry::new(row.int(0)?, message, row.int(9)?);
    entry.state = InboxState::from_name(&state).ok_or_else(|| crate::StoreError::Column {
        index: 6,
        message: format!("unknown inbox state `{state}`"),
    })?;
    entry.attempts = count(row, 7)?;
    entry.deliveries = count(row, 8)?;
    entry.due_at_ms = row.int(10)?;
    entry.handled_at_ms = row.opt_int(11)?;
    entry.last_error = row.opt_text(12)?;
    Ok(entry)
}

/// The claim's row, while the claim is current: same owner and attempt, still pending.
const CURRENT_CLAIM: &str = "id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'pending'";

fn claim_params(claim: &Claim) -> [Value; 3] {
    [
        Value::Int(claim.entry.id),
        claim.owner.as_str().into(),
        Value::Int(claim.attempt().into()),
    ]
}

/// Marks `claim`'s message done inside `tx` (with the effect of its handler); `false` if the claim is no longer
/// current (nothing changed).
pub async fn complete_in(
    tx: &mut dyn Transaction,
    dialect: Dialect,
    claim: &Claim,
) -> Result<bool, crate::StoreError> {
    let sql = format!(
        "UPDATE inbox_messages SET state = 'done', handled_at_ms = {}, lease_owner = NULL, \
         lease_until_ms = NULL WHERE {CURRENT_CLAIM}",
        now(dialect)
    );
    Ok(tx.execute(&sql, &claim_params(claim)).await? == 1)
}

impl Store {
    async fn insert_messages(
        &self,
        messages: &[NewMessage],
    ) -> Result<Vec<Inserted>, crate::StoreError> {
        let sql = format!(
            "INSERT INTO inbox_messages (provider, dedup_key, kind, order_id, body, received_at_ms, due_at_ms) \
             VALUES ($1, $2, $3, $4, $5, {now}, {now}) \
             ON CONFLICT (dedup_key) DO UPDATE SET deliveries = inbox_messages.deliveries + 1 \
             RETURNING id, deliveries",
            now = now(self.dialect())
        );
        let mut tx = self.begin().await?;
        let mut inserted = Vec::with_capacity(messages.len());
        for m in messages {
            let params = [
                m.provider.as_str().into(),
                m.dedup_key.as_str().into(),
                m.kind.as_str().into(),
                m.order_id.as_deref().into(),
                Value::Bytes(m.body.clone()),
            ];
            let rows = tx.query(&sql, &params).await?;
            let row = rows.first().ok_or_else(|| crate::StoreError::Statement {
                message: "inbox insert returned no row".into(),
            })?;
            let id = row.int(0)?;
            inserted.push(if row.int(1)? == 1 {
                Inserted::New(id)
            } else {
                Inserted::Duplicate(id)
            });
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn claim_messages(
        &self,
        provider: &str,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claim>, crate::StoreError> {
        let dialect = self.dialect();
        let sql = format!(
            "UPDATE inbox_messages SET lease_owner = $1, lease_until_ms = {now} + $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM inbox_messages \
                 WHERE provider = $3 AND state = 'pending' AND due_at_ms <= {now} \
                 AND (lease_until_ms IS NULL OR lease_until_ms <= {now}) \
                 ORDER BY due_at_ms, id LIMIT $4{skip_locked}) \
             RETURNING {COLUMNS}",
            now = now(dialect),
            skip_locked = dialect.pick("", " FOR UPDATE SKIP LOCKED"),
        );
        let params = [
            owner.into(),
            millis(lease),
            provider.into(),
            Value::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
        ];
        let rows = self.query(&sql, &params).await?;
        rows.iter()
            .map(|row| Ok(Claim::new(entry_from_row(row)?, owner)))
            .collect()
    }

    async fn update_claim(
        &self,
        set: &str,
        claim: &Claim,
        extra: &[Value],
    ) -> Result<bool, crate::StoreError> {
        // The claim's parameters are $1..$3; `set` uses $4.. for `extra`.
        let sql = format!("UPDATE inbox_messages SET {set} WHERE {CURRENT_CLAIM}");
        let mut params = claim_params(claim).to_vec();
        params.extend_from_slice(extra);
        Ok(self.execute(&sql, &params).await? == 1)
    }

    async fn replay_message(&self, id: i64) -> Result<Replay, crate::StoreError> {
        let dialect = self.dialect();
        let mut tx = self.begin().await?;
        let rows = tx
            .query(
                &format!(
                    "SELECT state FROM inbox_messages WHERE id = $1{}",
                    dialect.pick("", " FOR UPDATE")
                ),
                &[Value::Int(id)],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(Replay::NotFound);
        };
        let state = row.text(0)?;
        match InboxState::from_name(&state) {
            Some(InboxState::Dead) => {}
            Some(other) => return Ok(Replay::NotDeadLetter(other)),
            None => {
                return Err(crate::StoreError::Column {
                    index: 0,
                    message: format!("unknown inbox state `{state}`"),
                });
            }
        }
        let sql = format!(
            "UPDATE inbox_messages SET state = 'pending', attempts = 0, due_at_ms = {}, lease_owner = NULL, \
             lease_until_ms = NULL WHERE id = $1 AND state = 'dead'",
            now(dialect)
        );
        tx.execute(&sql, &[Value::Int(id)]).await?;
        tx.commit().await?;
        Ok(Replay::Replayed)
    }
}

impl Store {
    /// The inbox's messages in `state` (every state: `None`), oldest first, at most `limit` — pending,
    /// handled and dead letters alike (`sourcing ledger inbox`).
    pub async fn inbox_messages(
        &self,
        state: Option<InboxState>,
        limit: u64,
    ) -> Result<Vec<InboxEntry>, crate::StoreError> {
        let limit = Value::Int(i64::try_from(limit).unwrap_or(i64::MAX));
        let (sql, params) = match state {
            Some(s) => (
                format!(
                    "SELECT {COLUMNS} FROM inbox_messages WHERE state = $1 ORDER BY id LIMIT $2"
                ),
                vec![s.as_str().into(), limit],
            ),
            None => (
                format!("SELECT {COLUMNS} FROM inbox_messages ORDER BY id LIMIT $1"),
                vec![limit],
            ),
        };
        let rows = self.query(&sql, &params).await?;
        rows.iter().map(entry_from_row).collect()
    }
}

impl InboxStore for Store {
    async fn insert_batch(
        &self,
        messages: &[NewMessage],
    ) -> Result<Vec<Inserted>, InboxStoreError> {
        self.insert_messages(messages).await.map_err(failed)
    }

    async fn claim_due(
        &self,
        provider: &str,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claim>, InboxStoreError> {
        self.claim_messages(provider, owner, lease, limit)
            .await
            .map_err(failed)
    }

    async fn renew(&self, claim: &Claim, lease: Duration) -> Result<bool, InboxStoreError> {
        let set = format!("lease_until_ms = {} + $4", now(self.dialect()));
        self.update_claim(&set, claim, &[millis(lease)])
            .await
            .map_err(failed)
    }

    async fn complete(&self, claim: &Claim) -> Result<bool, InboxStoreError> {
        let recorded = self.complete_all(std::slice::from_ref(claim)).await?;
        Ok(recorded.first().copied().unwrap_or(false))
    }

    async fn complete_all(&self, claims: &[Claim]) -> Result<Vec<bool>, InboxStoreError> {
        let mut tx = self.begin().await.map_err(failed)?;
        let mut recorded = Vec::with_capacity(claims.len());
        for claim in claims {
            let done = complete_in(&mut *tx, self.dialect(), claim).await;
            recorded.push(done.map_err(failed)?);
        }
        tx.commit().await.map_err(failed)?;
        Ok(recorded)
    }

    async fn fail(
        &self,
        claim: &Claim,
        error: &str,
        then: AfterFailure,
    ) -> Result<bool, InboxStoreError> {
        let release = "last_error = $4, lease_owner = NULL, lease_until_ms = NULL";
        let result = match then {
            AfterFailure::RetryAfter(delay) => {
                let set = format!("{release}, due_at_ms = {} + $5", now(self.dialect()));
                self.update_claim(&set, claim, &[error.into(), millis(delay)])
                    .await
            }
            AfterFailure::DeadLetter => {
                let set = format!("{release}, state = 'dead'");
                self.update_claim(&set, claim, &[error.into()]).await
            }
        };
        result.map_err(failed)
    }

    async fn get(&self, id: i64) -> Result<Option<InboxEntry>, InboxStoreError> {
        let sql = format!("SELECT {COLUMNS} FROM inbox_messages WHERE id = $1");
        let rows = self.query(&sql, &[Value::Int(id)]).await.map_err(failed)?;
        rows.first().map(entry_from_row).transpose().map_err(failed)
    }

    async fn dead_letters(&self) -> Result<Vec<InboxEntry>, InboxStoreError> {
        let sql = format!("SELECT {COLUMNS} FROM inbox_messages WHERE state = 'dead' ORDER BY id");
        let rows = self.query(&sql, &[]).await.map_err(failed)?;
        rows.iter()
            .map(entry_from_row)
            .collect::<Result<_, _>>()
            .map_err(failed)
    }

    async fn replay(&self, id: i64) -> Result<Replay, InboxStoreError> {
        self.replay_message(id).await.map_err(failed)
    }
}

/// The inbox handler for order callbacks: records the state a callback reports in the [`Ledger`] (creating
/// the order's entry, marked as known only from a callback, when the ledger has not seen the order) and
/// completes the inbox message **in the same transaction** — a crash before the commit undoes both, so each
/// message is recorded exactly once. A message that names no order is completed without a ledger change.
///
/// A message whose order id is **empty** is refused: no entry is made, and the message becomes a dead
/// letter at once (with the reason as its last error; handling it again would fail the same way). It was
/// stored at intake (the vendor got its 200): a person looks at it with `sourcing ledger dead-letters`.
#[derive(Clone, Debug)]
pub struct OrderCallbacks {
    ledger: Ledger,
}

impl OrderCallbacks {
    /// The handler recording order callbacks in `ledger`.
    pub fn new(ledger: Ledger) -> Self {
        Self { ledger }
    }
}

impl InboxHandler for OrderCallbacks {
    async fn handle(&self, claim: &Claim, callback: Callback) -> Result<Handled, HandlerError> {
        let store = self.ledger.store();
        if callback.order_id().is_some_and(|id| id.trim().is_empty()) {
            return refuse(store, claim, &callback).await;
        }
        let mut tx = store.begin().await?;
        if let Some(order_id) = callback.order_id() {
            let (status, kind) = (callback.order_status(), callback.kind());
            let body = claim.entry.body_text();
            let report = CallbackReport {
                provider: callback.provider(),
                order_id,
                status: status.as_deref(),
                message_type: &kind,
                body: &body,
            };
            self.ledger.record_callback_in(&mut *tx, &report).await?;
        }
        // A crash test's point: the ledger event is written, nothing is committed.
        #[cfg(feature = "fault")]
        sourcing_runtime::fault::pause_if("in-handler", || {
            format!("order {}", callback.order_id().unwrap_or("-"))
        })
        .await;
        if !complete_in(&mut *tx, store.dialect(), claim).await? {
            // Dropping `tx` rolls the ledger event back: the message's current claimer records it.
            return Err("the inbox lease was lost; the ledger event was rolled back".into());
        }
        tx.commit().await?;
        Ok(Handled::Recorded)
    }
}

/// Dead-letters `claim`'s message at once: its callback names an empty order id.
async fn refuse(
    store: &Store,
    claim: &Claim,
    callback: &Callback,
) -> Result<Handled, HandlerError> {
    let error = crate::LedgerError::EmptyOrderId {
        provider: callback.provider().to_string(),
        message_type: callback.kind(),
    }
    .to_string();
    tracing::warn!(id = claim.entry.id, %error, "inbox message refused: dead letter");
    if !store.fail(claim, &error, AfterFailure::DeadLetter).await? {
        return Err("the inbox lease was lost before the refusal was recorded".into());
    }
    Ok(Handled::Recorded)
}
