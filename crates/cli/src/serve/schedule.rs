//! The scheduled reconcile: every interval, one round of [`Ledger::reconcile`] (what `sourcing ledger
//! reconcile` runs) — on **one** instance when several share a Postgres.
//!
//! Rounds start on the wall clock's multiples of the interval, so instances tick together; each round first
//! takes a transaction-scoped Postgres advisory lock (`pg_try_advisory_xact_lock`) and holds it for the
//! round and at least half the interval (capped at 30 s), so an instance whose tick comes a little later,
//! by clock skew, finds it taken and skips. SQLite is one process's file: no lock.

use super::metrics::Metrics;
use sourcing_buy::Buyer;
use sourcing_ledger::{Dialect, Ledger, ReadSettings, Settled, Store};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// The advisory lock's key (arbitrary, fixed; the migrations use 7301190001).
const ROUND_LOCK: i64 = 7_301_190_027;
/// The longest a finished round keeps the lock.
const MAX_HOLD: Duration = Duration::from_secs(30);

/// What a scheduled round needs.
pub struct Reconciler {
    pub ledger: Arc<Ledger>,
    pub buyers: Vec<Buyer>,
    pub settings: ReadSettings,
    pub metrics: Arc<Metrics>,
}

impl Reconciler {
    /// Runs a round every `every` until `stop` turns true.
    pub async fn run(&self, every: Duration, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(until_next_tick(every)) => {}
                _ = stop.changed() => return,
            }
            let round = self.round(every);
            tokio::select! {
                () = round => {}
                // A stop cuts the round short: reads are safe to repeat, the next start redoes them.
                _ = stop.changed() => return,
            }
        }
    }

    async fn round(&self, every: Duration) {
        let started = tokio::time::Instant::now();
        let store = self.ledger.store();
        let held = match take_lock(store).await {
            Ok(Some(held)) => held,
            Ok(None) => {
                tracing::info!("reconcile round skipped: another instance holds this round");
                self.metrics
                    .inc("sourcing_reconcile_rounds_total", &[("outcome", "skipped")]);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "reconcile round not started: the store failed");
                self.metrics
                    .inc("sourcing_reconcile_rounds_total", &[("outcome", "failed")]);
                return;
            }
        };
        match self.ledger.reconcile(&self.buyers, &self.settings).await {
            Ok(settled) => {
                self.count(&settled);
                let needs = settled.iter().filter(|s| s.needs_person.is_some()).count();
                tracing::info!(
                    orders = settled.len(),
                    needs_person = needs,
                    "reconcile round ran"
                );
                self.metrics
                    .inc("sourcing_reconcile_rounds_total", &[("outcome", "ran")]);
            }
            Err(e) => {
                tracing::warn!(error = %e, "reconcile round failed");
                self.metrics
                    .inc("sourcing_reconcile_rounds_total", &[("outcome", "failed")]);
            }
        }
        if let Some(tx) = held {
            tokio::time::sleep_until(started + (every / 2).min(MAX_HOLD)).await;
            // Ending the transaction releases the lock; nothing was written in it.
            drop(tx);
        }
    }

    /// Counts what reconcile did to each order.
    pub fn count(&self, settled: &[Settled]) {
        for s in settled {
            self.metrics.inc(
                "sourcing_reconcile_orders_total",
                &[("provider", &s.provider), ("after", s.after.name())],
            );
        }
    }
}

/// The round's lock: `Some(Some(tx))` taken (held while `tx` lives, Postgres), `Some(None)` nothing to take
/// (SQLite), `None` another instance holds it.
#[allow(clippy::type_complexity)]
async fn take_lock(
    store: &Store,
) -> Result<Option<Option<Box<dyn sourcing_ledger::Transaction>>>, sourcing_ledger::StoreError> {
    if store.dialect() == Dialect::Sqlite {
        return Ok(Some(None));
    }
    let mut tx = store.begin().await?;
    let rows = tx
        .query(
            &format!(
                "SELECT CAST(CASE WHEN pg_try_advisory_xact_lock({ROUND_LOCK}) THEN 1 ELSE 0 END AS BIGINT)"
            ),
            &[],
        )
        .await?;
    let taken = rows.first().map(|r| r.int(0)).transpose()? == Some(1);
    Ok(taken.then_some(Some(tx)))
}

/// Time from now to the next multiple of `every` on the wall clock.
fn until_next_tick(every: Duration) -> Duration {
    let every_ms = every.as_millis().max(1);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Duration::from_millis((every_ms - now_ms % every_ms) as u64)
}
