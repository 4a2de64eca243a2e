//! `Cargo.toml` of a generated crate.

use super::unconfirmed_list;
use crate::spec::ProviderSpec;

pub fn cargo_toml(spec: &ProviderSpec, header: &str) -> String {
    format!(
        r#"{header}
[package]
name = "{krate}"
description = "Typed, signed client for the {title} OpenAPI (generated from {file})"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true
homepage.workspace = true
documentation = "https://docs.rs/{krate}"
readme = "README.md"
keywords = ["{krate}", "taobao", "1688", "sourcing", "api-client"]
categories = ["api-bindings", "web-programming::http-client"]

[features]
default = ["rustls"]
# HTTPS (the production base URL) with rustls. `default-features = false`: plain HTTP only, the lean
# build for the sandbox or a local TLS-terminating proxy.
rustls = ["sourcing-runtime/rustls"]
# Endpoints the vendor does not publish, known only from third-party clients (spec `x-evidence`):
# {unconfirmed}.
unconfirmed-endpoints = []

[package.metadata.docs.rs]
# Document the unconfirmed endpoints too (each is labelled, with its feature).
features = ["unconfirmed-endpoints"]
rustdoc-args = ["--cfg", "docsrs"]

[dependencies]
sourcing-runtime = {{ path = "../../crates/runtime", version = "{version}", default-features = false }}
progenitor-client.workspace = true
reqwest.workspace = true
serde.workspace = true
serde_json.workspace = true
{kit}
[lints]
workspace = true
"#,
        krate = spec.meta.crate_name,
        title = spec.meta.title,
        file = spec.file.display(),
        unconfirmed = unconfirmed_list(spec, "none in this crate"),
        kit = kit_dependencies(spec),
        version = super::VERSION,
    )
}

/// The facade and the webhooks crate, for a spec that names its purchase flow (`x-sourcing.rust.flow`) or
/// its callback format (`x-sourcing.rust.callbacks`).
fn kit_dependencies(spec: &ProviderSpec) -> String {
    let mut deps = String::new();
    if super::rust_extension(spec, "flow").is_some() {
        deps.push_str(&format!("# Its purchase flow (src/flow.rs).\nsourcing-buy = {{ path = \"../../crates/buy\", version = \"{}\", default-features = false }}\n", super::VERSION));
    }
    if super::rust_extension(spec, "callbacks").is_some() {
        deps.push_str(&format!("# Its callback format (src/callbacks.rs).\nsourcing-webhooks = {{ path = \"../../crates/webhooks\", version = \"{}\" }}\n", super::VERSION));
    }
    deps
}
