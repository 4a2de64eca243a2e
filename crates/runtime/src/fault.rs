//! Fault points for crash tests (feature `fault`, off by default), one mechanism for every crate: with `SOURCING_FAULT=<name>` set, the
//! process prints `FAULT <name>: paused (<what>)` on stderr when it reaches that point and waits forever, so a
//! test can SIGKILL it at exactly that moment. Unset, a point costs one cached lookup; without the feature a
//! point is not compiled at all (each crate with points has its own `fault` feature turning this one on).
//!
//! Points: `after-store` (`sourcing-webhooks`' inbox receiver committed a new message and has not answered
//! yet), `in-handler` (`sourcing-ledger`'s order handler wrote the ledger event and has not committed it with
//! the completion) and `after-pay-sent` (`sourcing-ledger`'s journal: a payment was sent and its answer is not
//! recorded yet).

use std::sync::OnceLock;

/// The environment variable naming the fault point to pause at.
pub const FAULT_ENV: &str = "SOURCING_FAULT";

/// Pauses forever at `point` when [`FAULT_ENV`] names it. `what` names the message or order (a test waits for
/// the line about its own); it is only called when pausing, so a point costs no formatting otherwise.
pub async fn pause_if(point: &str, what: impl FnOnce() -> String) {
    static CHOSEN: OnceLock<Option<String>> = OnceLock::new();
    if CHOSEN
        .get_or_init(|| std::env::var(FAULT_ENV).ok())
        .as_deref()
        == Some(point)
    {
        eprintln!("FAULT {point}: paused ({})", what());
        std::future::pending::<()>().await;
    }
}
