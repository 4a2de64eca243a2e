//! The one provider registry: every generated crate's provider description ([`Provider`]: name, title,
//! base URL, credentials, envelope codec, and the operation table with each operation's signing scheme).
//! The CLI, `sourcing mcp`, the sandbox and the conformance tests read this list; nothing else names the
//! providers one by one. Feature `unconfirmed-endpoints` turns on the generated crates' feature of the
//! same name (the operations known only from third-party clients).
#![deny(missing_docs)]

pub use sourcing_runtime::operation::Provider;

/// Every provider, in a stable order. Registering a provider is one line here (and its dependency).
pub fn providers() -> &'static [&'static Provider] {
    static PROVIDERS: &[&Provider] = &[
        &pandapon::operations::PROVIDER,
        &dajisaas::operations::PROVIDER,
        &xportcn::operations::PROVIDER,
    ];
    PROVIDERS
}

/// The provider of this name (`pandapon`).
pub fn find(name: &str) -> Option<&'static Provider> {
    providers().iter().copied().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique_and_found() {
        for p in super::providers() {
            assert!(std::ptr::eq(super::find(p.name).unwrap(), *p));
        }
        assert!(super::find("nope").is_none());
    }
}
