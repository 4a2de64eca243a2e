//! Everything in a generated crate that is not progenitor's client: `lib.rs`, the hooks that connect the
//! client to `sourcing-runtime`, the operation table, `Cargo.toml` and `README.md`.
//! One file per template; the helpers they share live here.

mod cargo_toml;
mod hooks;
mod lib_rs;
mod operations;
mod readme;

pub use cargo_toml::cargo_toml;
pub use hooks::hooks;
pub use lib_rs::lib_rs;
pub use operations::operations;
pub use readme::readme;

use crate::spec::{OperationModel, ProviderSpec};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The version a generated manifest's path dependencies name, and the registry's on generated crates: the
/// workspace's (`[workspace.package] version`).
pub const VERSION: &str = "0.2.0";

pub(super) fn path(s: &str) -> TokenStream {
    s.parse()
        .unwrap_or_else(|_| quote!(compile_error!("invalid type path")))
}

/// One `#[doc]` attribute per line, so prettyplease renders `///` comments.
pub(super) fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

/// `#[cfg(feature = "unconfirmed-endpoints")]` for an operation known only from third-party clients.
pub(super) fn gate(op: &OperationModel) -> TokenStream {
    match op.evidence {
        Some(_) => {
            let attr = crate::client::unconfirmed_cfg();
            quote!(#attr)
        }
        None => quote!(),
    }
}

pub(super) fn const_ident(op: &OperationModel) -> proc_macro2::Ident {
    format_ident!("{}", op.id.to_uppercase())
}

/// `orderId` -> `order_id` (progenitor's builder setter names).
pub fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The Rust type codegen recorded for `schema` in `list` (envelope data types or replacements).
pub(super) fn recorded_type<'a>(list: &'a [(String, String)], schema: &str) -> &'a str {
    list.iter()
        .find(|(n, _)| n == schema)
        .map(|(_, t)| t.as_str())
        .unwrap_or("::serde_json::Value")
}

/// The ids of the operations known only from third-party clients, comma-separated, or `none`.
pub(super) fn unconfirmed_list(spec: &ProviderSpec, none: &str) -> String {
    let ids: Vec<String> = spec
        .operations
        .iter()
        .filter(|o| o.evidence.is_some())
        .map(|o| format!("`{}`", o.id))
        .collect();
    if ids.is_empty() {
        none.to_string()
    } else {
        ids.join(", ")
    }
}

/// `pandapon` / `access-key` -> `Pandapon` / `AccessKey`: the name of a built-in's associated constant.
fn pascal(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The implementations a spec gives for names the runtime does not know: `x-rust` on a security scheme
/// (a `static` implementing `sourcing_runtime::Scheme`) and `x-sourcing.rust` (`envelope`: a `static`
/// implementing `EnvelopeCodec`; `credentials`: a `static CredentialKind`; `source`: the Rust file, next to
/// the spec, that defines them — copied into the generated crate as `src/extension.rs`).
/// The hand-written Rust files a spec may name under `x-sourcing.rust` and the module each becomes in the
/// generated crate: its scheme and envelope, its purchase flow (a `sourcing_buy::PurchaseFlow` and its
/// registration), its callback format (a `sourcing_webhooks::CallbackFormat` and its factory).
pub const RUST_FILES: [(&str, &str); 3] = [
    ("source", "extension"),
    ("flow", "flow"),
    ("callbacks", "callbacks"),
];

/// `x-sourcing.rust.<key>` of the spec, when it is set.
pub fn rust_extension<'a>(spec: &'a ProviderSpec, key: &str) -> Option<&'a str> {
    spec.raw
        .pointer(&format!("/x-sourcing/rust/{key}"))
        .and_then(serde_json::Value::as_str)
}

fn scheme_rust<'a>(spec: &'a ProviderSpec, scheme: &str) -> Option<&'a str> {
    spec.raw
        .pointer(&format!(
            "/components/securitySchemes/{}/x-rust",
            scheme.replace('~', "~0").replace('/', "~1")
        ))
        .and_then(serde_json::Value::as_str)
}

/// The Rust file of a spec's own scheme and envelope (`x-sourcing.rust.source`, relative to the spec).
pub fn extension_source(spec: &ProviderSpec) -> Option<&str> {
    rust_extension(spec, "source")
}

/// `AuthStyle` of a security scheme name in generated code: the built-in constant, or the spec's `x-rust`.
pub(super) fn auth_expr(spec: &ProviderSpec, scheme: &str) -> TokenStream {
    match scheme_rust(spec, scheme) {
        Some(rust) => {
            let rust = path(rust);
            quote!(::sourcing_runtime::AuthStyle::new(&#rust))
        }
        None => {
            let name = format_ident!("{scheme}");
            quote!(::sourcing_runtime::AuthStyle::#name)
        }
    }
}

/// The provider's `EnvelopeStyle` in generated code.
pub(super) fn envelope_expr(spec: &ProviderSpec) -> TokenStream {
    match rust_extension(spec, "envelope") {
        Some(rust) => {
            let rust = path(rust);
            quote!(::sourcing_runtime::EnvelopeStyle::new(&#rust))
        }
        None => {
            let name = format_ident!("{}", pascal(spec.meta.envelope.name()));
            quote!(::sourcing_runtime::EnvelopeStyle::#name)
        }
    }
}

/// The provider's `CredentialStyle` in generated code.
pub(super) fn credentials_expr(spec: &ProviderSpec) -> TokenStream {
    match rust_extension(spec, "credentials") {
        Some(rust) => {
            let rust = path(rust);
            quote!(::sourcing_runtime::CredentialStyle::new(&#rust))
        }
        None => {
            let name = format_ident!("{}", pascal(spec.meta.credentials.name()));
            quote!(::sourcing_runtime::CredentialStyle::#name)
        }
    }
}

/// Every scheme, envelope and credential name of the spec is the runtime's or has its implementation in
/// the spec (`x-rust`, `x-sourcing.rust`); `Err((JSON pointer, message))` names the first that has neither.
pub fn check_extensions(spec: &ProviderSpec) -> Result<(), (String, String)> {
    use crate::spec::names;
    use sourcing_runtime::{AuthStyle, CredentialStyle, EnvelopeStyle};
    let missing = |what: &str, name: &str, valid: String, key: &str| {
        format!(
            "{what} {name:?} is not one of the runtime's ({valid}) and the spec gives no implementation ({key})"
        )
    };
    for op in &spec.operations {
        check_signer_params(spec, &op.auth)?;
        let known = AuthStyle::from_scheme_name(&op.auth).is_some_and(|a| a.is_built_in());
        if !known && scheme_rust(spec, &op.auth).is_none() {
            return Err((
                format!("/components/securitySchemes/{}", op.auth),
                missing(
                    "security scheme",
                    &op.auth,
                    names(AuthStyle::ALL, AuthStyle::scheme_name),
                    "x-rust",
                ),
            ));
        }
    }
    if !spec.meta.envelope.is_built_in() && rust_extension(spec, "envelope").is_none() {
        return Err((
            "/x-sourcing".into(),
            missing(
                "x-sourcing.envelope",
                spec.meta.envelope.name(),
                names(EnvelopeStyle::ALL, EnvelopeStyle::name),
                "x-sourcing.rust.envelope",
            ),
        ));
    }
    if !spec.meta.credentials.is_built_in() && rust_extension(spec, "credentials").is_none() {
        return Err((
            "/x-sourcing".into(),
            missing(
                "x-sourcing.credentials",
                spec.meta.credentials.name(),
                names(CredentialStyle::ALL, CredentialStyle::name),
                "x-sourcing.rust.credentials",
            ),
        ));
    }
    Ok(())
}

/// A built-in scheme's `x-signer-params`, when the spec states them, are the scheme's own list
/// (`Scheme::params`): the spec repeats the one list, it does not keep a second one.
fn check_signer_params(spec: &ProviderSpec, scheme: &str) -> Result<(), (String, String)> {
    use sourcing_runtime::AuthStyle;
    let Some(style) = AuthStyle::from_scheme_name(scheme).filter(|a| a.is_built_in()) else {
        return Ok(());
    };
    let at = format!("/components/securitySchemes/{scheme}/x-signer-params");
    let Some(stated) = spec.raw.pointer(&at).and_then(serde_json::Value::as_array) else {
        return Ok(());
    };
    let mut stated: Vec<&str> = stated
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let mut owned: Vec<&str> = style.params().iter().map(|p| p.name).collect();
    stated.sort_unstable();
    owned.sort_unstable();
    match stated == owned {
        true => Ok(()),
        false => Err((
            at,
            format!(
                "the {scheme} scheme adds {owned:?} (Scheme::params); the spec states {stated:?}"
            ),
        )),
    }
}
