//! The inbox handler as `serve` runs it: the ledger's order handler, timed and counted for `/metrics`, its
//! failures logged at the default level.

use super::metrics::Metrics;
use sourcing_webhooks::inbox::{Claim, Handled, InboxHandler};
use sourcing_webhooks::{Callback, HandlerError};
use std::sync::Arc;
use std::time::Instant;

/// `inner`, observed.
pub struct Timed<H> {
    pub inner: H,
    pub provider: &'static str,
    pub metrics: Arc<Metrics>,
}

impl<H: InboxHandler> InboxHandler for Timed<H> {
    async fn handle(&self, claim: &Claim, callback: Callback) -> Result<Handled, HandlerError> {
        let started = Instant::now();
        let result = self.inner.handle(claim, callback).await;
        let labels = [("provider", self.provider)];
        self.metrics.observe(
            "sourcing_inbox_handler_seconds",
            &labels,
            started.elapsed().as_secs_f64(),
        );
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => {
                tracing::warn!(
                    provider = self.provider,
                    id = claim.entry.id,
                    attempt = claim.attempt(),
                    error = %e,
                    "inbox handler failed; retried later or dead-lettered"
                );
                "failed"
            }
        };
        self.metrics.inc(
            "sourcing_inbox_handled_total",
            &[("provider", self.provider), ("outcome", outcome)],
        );
        result
    }
}
