//! How much a tool can do, and which start-up flag allows it. Applies to every toolset.

use sourcing_runtime::{Effect, Operation};

/// How much an operation can do, and so which flag exposes it as a tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Guard {
    /// Changes nothing (`x-effect: read`): served by default.
    Read,
    /// Changes something (creates, cancels, confirms, edits; `x-effect: write`): `--allow-writes`.
    Write,
    /// Pays or returns a payment link (`x-effect: pay`): `--allow-payments`.
    Payment,
}

impl Guard {
    /// An operation's guard: its declared effect ([`Operation::effect`], the spec's `x-effect`).
    pub fn of(op: &Operation) -> Self {
        match op.effect {
            Effect::Read => Guard::Read,
            Effect::Write => Guard::Write,
            Effect::Pay => Guard::Payment,
        }
    }

    /// The flag that serves tools of this guard (`""` for reads, always served).
    pub fn flag(self) -> &'static str {
        match self {
            Guard::Read => "",
            Guard::Write => "--allow-writes",
            Guard::Payment => "--allow-payments",
        }
    }

    /// What a refusal says the tool does.
    pub fn what(self) -> &'static str {
        match self {
            Guard::Payment => "moves money (pays or returns a payment link)",
            _ => "changes data at the provider",
        }
    }
}

/// The start-up flags `--allow-writes` and `--allow-payments` ([`crate::Options::guards`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Guards {
    /// Tools that write are served.
    pub allow_writes: bool,
    /// Tools that pay are served.
    pub allow_payments: bool,
}

impl Guards {
    /// Whether a tool of `guard` is served under these flags.
    pub fn allows(&self, guard: Guard) -> bool {
        match guard {
            Guard::Read => true,
            Guard::Write => self.allow_writes,
            Guard::Payment => self.allow_payments,
        }
    }

    /// The refusal of a call the flags do not allow: a tool error naming the flag; nothing is sent.
    pub fn refusal(&self, name: &str, guard: Guard) -> serde_json::Value {
        serde_json::json!({
            "error": "refused",
            "message": format!(
                "{name} {}: this server does not serve it; restart `sourcing mcp` with {} to allow it",
                guard.what(),
                guard.flag()
            ),
            "code": null,
            "requestId": null,
            "sent": false,
        })
    }
}
