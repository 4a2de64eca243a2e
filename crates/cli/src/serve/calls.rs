//! Vendor calls in `/metrics`: the runtime tells its [`CallObserver`] of every call's end (the one place
//! every call passes, [`sourcing_runtime::observe`]); this one counts them by provider, operation and outcome
//! and records their duration.

use super::metrics::Metrics;
use sourcing_runtime::observe::{self, CallObserver, CallOutcome};
use std::sync::Arc;
use std::time::Duration;

/// Counts vendor calls into [`Metrics`]: `sourcing_vendor_calls_total`, `sourcing_vendor_call_seconds`.
struct VendorCalls(Arc<Metrics>);

impl CallObserver for VendorCalls {
    fn finished(
        &self,
        provider: &'static str,
        operation: &'static str,
        outcome: CallOutcome,
        elapsed: Duration,
    ) {
        self.0.inc(
            "sourcing_vendor_calls_total",
            &[
                ("provider", provider),
                ("operation", operation),
                ("outcome", outcome.name()),
            ],
        );
        self.0.observe(
            "sourcing_vendor_call_seconds",
            &[("provider", provider), ("operation", operation)],
            elapsed.as_secs_f64(),
        );
    }
}

/// Counts this process's vendor calls into `metrics` (one serve per process: a second is not counted).
pub fn count_into(metrics: Arc<Metrics>) {
    if observe::set_call_observer(VendorCalls(metrics)).is_err() {
        tracing::warn!("vendor calls are counted by another observer already");
    }
}
