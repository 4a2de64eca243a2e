//! The built-in providers, one file each: each maps the purchase flow's steps onto its generated client
//! (a [`crate::PurchaseFlow`]) and states what it supports (its [`crate::FlowRegistration`]). The list of every
//! provider by name is the registry's (`sourcing_registry::kits()`), not this crate's.

mod dajisaas;
mod input;
mod pandapon;
mod read;
mod xportcn;

use crate::capability::{Flow, Support};

/// PandaPon (`pandapon`): every step but logistics.
pub const PANDAPON: Flow = Flow::new(&pandapon::REGISTRATION);
/// Dajisaas (`dajisaas`): preview, create, pay, order detail, cancel, receipt; search and product detail
/// with the `dajisaas-unconfirmed` feature.
pub const DAJISAAS: Flow = Flow::new(&dajisaas::REGISTRATION);
/// Xportcn (`xportcn`): preview and payment (one order or a batch).
pub const XPORTCN: Flow = Flow::new(&xportcn::REGISTRATION);

const fn published(operation: &'static str) -> Support {
    Support::published(operation)
}

const fn third_party(operation: &'static str, feature: &'static str) -> Support {
    Support::third_party(operation, feature)
}

const fn not_available(reason: &'static str) -> Support {
    Support::not_available(reason)
}

/// `data` of a published response example (fixtures in `vendor-docs/examples`).
#[cfg(test)]
fn example_data<T: serde::de::DeserializeOwned>(envelope: &str) -> T {
    let v: serde_json::Value = serde_json::from_str(envelope).unwrap();
    serde_json::from_value(v["data"].clone()).unwrap()
}
