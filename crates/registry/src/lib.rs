//! The one provider registry: every provider's [`Kit`] — its API description ([`Provider`]: name, title,
//! base URL, credentials, envelope codec, and the operation table with each operation's signing scheme)
//! its purchase flow ([`sourcing_buy::Flow`], where it has one) and its callback format (a
//! [`FormatFactory`], where it publishes callbacks). The CLI, `sourcing serve`, `sourcing mcp`, the sandbox and
//! the conformance tests read this list; nothing else names the providers one by one.
//!
//! The list itself is generated: `cargo xtask regen` writes `src/kits.rs` (one [`Kit`] line per spec in
//! `specs/`) and, between marker comments in this crate's `Cargo.toml`, the dependency on each generated
//! crate and its place in the `unconfirmed-endpoints` feature; `cargo xtask regen --check` fails when they
//! drift from the specs. A spec's line is its generated crate's `operations::PROVIDER`, with the flow and
//! callbacks it names: its own files' (`x-sourcing.rust.flow` / `.callbacks`: `<crate>::flow::flow()`,
//! `<crate>::callbacks::FACTORY`) or Rust paths (`x-sourcing.rust.kit.flow` / `.callbacks`, as the
//! built-in providers name theirs in `sourcing-buy` and `sourcing-webhooks`).
//!
//! Feature `unconfirmed-endpoints` turns on the generated crates' feature of the same name (the
//! operations known only from third-party clients).
#![deny(missing_docs)]

mod kits;

use std::sync::{LazyLock, OnceLock};

pub use sourcing_runtime::Provider;
use sourcing_webhooks::formats::FormatFactory;

/// Everything the workspace knows about one provider, layer by layer. Built with [`Kit::new`] and the
/// `with_` methods (more layers may be added: the struct is `#[non_exhaustive]`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Kit {
    /// The API description: the generated crate's `operations::PROVIDER`.
    pub api: &'static Provider,
    /// The purchase flow through `sourcing_buy::Buyer`, where the provider has one (its name is the
    /// API's).
    pub flow: Option<sourcing_buy::Flow>,
    /// Its callback format, built from the provider's configuration, where it publishes callbacks.
    pub callbacks: Option<FormatFactory>,
}

impl Kit {
    /// The kit of `api`, with no purchase flow.
    pub const fn new(api: &'static Provider) -> Self {
        Kit {
            api,
            flow: None,
            callbacks: None,
        }
    }

    /// The same kit, with its purchase flow.
    pub const fn with_flow(mut self, flow: sourcing_buy::Flow) -> Self {
        self.flow = Some(flow);
        self
    }

    /// The same kit, with its callback format.
    pub const fn with_callbacks(mut self, callbacks: FormatFactory) -> Self {
        self.callbacks = Some(callbacks);
        self
    }

    /// The provider's name (`pandapon`).
    pub fn name(&self) -> &'static str {
        self.api.name
    }
}

/// Every provider's kit, one per spec in `specs/`, in a stable order (`x-sourcing.rust.kit.order`, then the
/// crate name). The list is `src/kits.rs`, written by `cargo xtask regen` from the specs: registering a
/// provider is its spec, not an edit here.
pub fn kits() -> &'static [Kit] {
    // Built once: a provider's flow may be registered at run time (a `LazyLock` in its crate).
    static KITS: LazyLock<Vec<Kit>> = LazyLock::new(kits::all);
    &KITS
}

/// The kit of the provider named `name` (`pandapon`; ASCII case ignored).
pub fn kit(name: &str) -> Option<&'static Kit> {
    kits().iter().find(|k| k.name().eq_ignore_ascii_case(name))
}

/// Every provider's API description, in the order of [`kits`].
pub fn providers() -> &'static [&'static Provider] {
    static PROVIDERS: OnceLock<Vec<&'static Provider>> = OnceLock::new();
    PROVIDERS.get_or_init(|| kits().iter().map(|k| k.api).collect())
}

/// The API description of the provider named `name` (`pandapon`).
pub fn find(name: &str) -> Option<&'static Provider> {
    providers().iter().copied().find(|p| p.name == name)
}

/// Every provider with a purchase flow, in the order of [`kits`].
pub fn flows() -> Vec<sourcing_buy::Flow> {
    kits().iter().filter_map(|k| k.flow).collect()
}

/// Every provider that publishes callbacks, with its format's factory, in the order of [`kits`].
pub fn callback_formats() -> impl Iterator<Item = (&'static str, FormatFactory)> {
    kits().iter().filter_map(|k| Some((k.name(), k.callbacks?)))
}

/// The purchase flow of the provider named `name` (ASCII case ignored), if it has one.
pub fn flow(name: &str) -> Option<sourcing_buy::Flow> {
    kit(name)?.flow
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for p in providers() {
            assert!(std::ptr::eq(find(p.name).unwrap(), *p));
            assert!(std::ptr::eq(kit(p.name).unwrap().api, *p));
        }
        assert!(find("nope").is_none() && kit("nope").is_none() && flow("nope").is_none());
        let mut names: Vec<&str> = kits().iter().map(Kit::name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), kits().len(), "{names:?}");
    }

    #[test]
    fn a_flow_is_the_flow_of_its_api() {
        for kit in kits() {
            let Some(flow) = kit.flow else { continue };
            assert!(std::ptr::eq(flow.description(), kit.api), "{}", kit.name());
            assert_eq!(super::flow(&kit.name().to_uppercase()), Some(flow));
        }
    }
}
