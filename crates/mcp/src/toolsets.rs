//! Toolsets: `buy` (the purchase workflow over `sourcing-buy`) and one per provider (its raw operations).
//! `--toolsets` chooses which are listed at start; `list_toolsets` and `enable_toolset` list and enable the
//! others at run time, announced with `notifications/tools/list_changed`, so every operation stays reachable
//! without being listed up front. The guard flags apply inside every toolset.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// The workflow toolset.
pub const BUY: &str = "buy";

/// The discovery tools, always listed.
pub const LIST: &str = "list_toolsets";
pub const ENABLE: &str = "enable_toolset";

/// The toolsets listed when `--toolsets` is not given.
pub const DEFAULT: &[&str] = &[BUY];

/// The names a `--toolsets` list may use: `buy`, `ledger` and the providers' names (and `all`).
pub fn names() -> Vec<&'static str> {
    [BUY, super::ledger::LEDGER]
        .into_iter()
        .chain(sourcing_registry::providers().iter().map(|p| p.name))
        .collect()
}

/// What a toolset holds, for `list_toolsets`.
pub fn description(name: &str) -> String {
    if name == super::ledger::LEDGER {
        return "The order ledger, read-only (needs --store): orders needing attention (unknown outcomes, \
                callback-reported states, orders needing a person) and an order's history."
            .into();
    }
    if name == BUY {
        return "The purchase workflow on every provider (provider argument): capabilities, search, product by id \
                or pasted link, preview, order status; creating an order and paying are prepared, then confirmed \
                (a one-time token, or the person's yes). Normalised answers: exact ids, money with its unit."
            .into();
    }
    match sourcing_registry::providers()
        .iter()
        .find(|p| p.name == name)
    {
        Some(p) => format!(
            "Every {} API operation as a tool of its own, named {}_<operation_id> ({} operations)",
            p.title,
            p.name,
            p.operations.len()
        ),
        None => String::new(),
    }
}

/// Parses `--toolsets a,b` (`all`: every toolset, `ledger` only `with_store`); unknown names are refused,
/// listing the valid ones.
pub fn parse(list: &str, with_store: bool) -> Result<BTreeSet<String>, String> {
    let valid = names();
    let mut out = BTreeSet::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "all" {
            out.extend(
                valid
                    .iter()
                    .filter(|s| with_store || **s != super::ledger::LEDGER)
                    .map(|s| s.to_string()),
            );
        } else if valid.contains(&name) {
            out.insert(name.to_string());
        } else {
            return Err(format!(
                "--toolsets: unknown toolset {name:?}; valid: {}, all",
                valid.join(", ")
            ));
        }
    }
    Ok(out)
}

/// The toolsets enabled in this session.
pub struct Enabled(Mutex<BTreeSet<String>>);

impl Enabled {
    pub fn new(initial: BTreeSet<String>) -> Self {
        Enabled(Mutex::new(initial))
    }

    /// Whether tools of `toolset` are listed and callable (the discovery tools' empty toolset always is).
    pub fn contains(&self, toolset: &str) -> bool {
        toolset.is_empty() || self.lock().contains(toolset)
    }

    /// Enables `toolset`; `false` when it already was.
    pub fn enable(&self, toolset: &str) -> bool {
        self.lock().insert(toolset.to_string())
    }

    pub fn names(&self) -> BTreeSet<String> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `enable_toolset`'s arguments.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct EnableArgs {
    /// A toolset name from `list_toolsets`.
    pub toolset: String,
}
