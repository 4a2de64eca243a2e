//! Fault points for crash tests: with `SOURCING_WEBHOOKS_FAULT=<name>` set, the process prints
//! `FAULT <name>: paused` on stderr when it reaches that point and waits forever, so a test can SIGKILL it at
//! exactly that moment. Unset (always, outside tests), a point costs one cached lookup.
//!
//! Points: `after-store` (the inbox receiver committed a new message and has not answered yet),
//! `in-handler` (a worker claimed a message and is about to run the handler), `after-handler` (the handler
//! succeeded and its success is not recorded yet).

use std::sync::OnceLock;

/// The environment variable naming the fault point to pause at.
pub const FAULT_ENV: &str = "SOURCING_WEBHOOKS_FAULT";

/// Pauses forever at `point` when [`FAULT_ENV`] names it (for handlers outside this crate that want their own
/// point, e.g. inside a transaction before its commit).
pub async fn pause_if(point: &str) {
    static CHOSEN: OnceLock<Option<String>> = OnceLock::new();
    if CHOSEN
        .get_or_init(|| std::env::var(FAULT_ENV).ok())
        .as_deref()
        == Some(point)
    {
        eprintln!("FAULT {point}: paused");
        std::future::pending::<()>().await;
    }
}
