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
