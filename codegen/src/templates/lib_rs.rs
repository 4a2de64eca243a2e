//! `src/lib.rs`: crate docs, modules, re-exports.

use super::{snake, unconfirmed_list};
use crate::spec::{ParamLocation, ProviderSpec};

/// `src/lib.rs`, written to be stable under `rustfmt` (the generated modules are `#[rustfmt::skip]`).
pub fn lib_rs(spec: &ProviderSpec, header: &str) -> String {
    let m = &spec.meta;
    let krate = &m.crate_name;
    let example = doc_example(spec);
    let creds_new = credentials_new(spec);
    let reexports = use_list(&runtime_reexports(spec));
    let modules = optional_modules(spec);
    let description = doc_lines(spec.openapi.info.description.as_deref().unwrap_or(""));
    format!(
        r#"{header}
//! Typed, signed client for the {title} OpenAPI, generated from `{file}`.
//!
{description}
//!
//! # Example
//!
//! ```no_run
//! # async fn example() -> Result<(), {krate}::Error> {{
//! let client = {krate}::Client::new(
//!     {krate}::PRODUCTION_BASE_URL,
//!     {krate}::{creds_new},
//! );
{example}//! # Ok(())
//! # }}
//! ```
//!
//! Every operation is a method on [`Client`] returning a builder; `send()` returns the envelope's
//! `data` or an [`Error`]. [`operations::OPERATIONS`] lists every operation with its method, path,
//! signing style and whether it is retried.
//!
//! Endpoints {title} does not publish, known only from third-party clients, are compiled only with the
//! crate feature `unconfirmed-endpoints` and say so in their documentation: {unconfirmed}.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[rustfmt::skip]
#[allow(unused_imports, clippy::all)]
mod client;
#[rustfmt::skip]
mod hooks;
#[rustfmt::skip]
pub mod operations;

pub use client::{{Client, ClientInfo, ResponseValue, builder, types}};
{modules}pub use sourcing_runtime::{{
{reexports}}};

/// The production base URL published by {title}.
pub const PRODUCTION_BASE_URL: &str = "{base}";

// Lets generated type paths be written `::{krate}::types::…` everywhere.
extern crate self as {krate};
"#,
        title = m.title,
        file = spec.file.display(),
        base = spec.base_url,
        unconfirmed = unconfirmed_list(spec, "none in this crate"),
    )
}

/// The credentials constructor the crate docs' example calls, with the fields' placeholders.
fn credentials_new(spec: &ProviderSpec) -> String {
    let kind = spec.meta.credentials.kind();
    let placeholders: Vec<String> = kind
        .fields
        .iter()
        .map(|f| format!("\"{}\"", f.placeholder))
        .collect();
    match kind.rust_type {
        "" => format!("CredentialValues::new([{}])", placeholders.join(", ")),
        ty => format!("{ty}::new({})", placeholders.join(", ")),
    }
}

/// What the crate re-exports from `sourcing_runtime`, sorted: its credential types, the types every
/// caller needs and, with hand-written multipart operations, their forms.
fn runtime_reexports(spec: &ProviderSpec) -> Vec<&'static str> {
    let mut reexports: Vec<&str> = spec.meta.credentials.kind().reexports.to_vec();
    reexports.push("CredentialValues");
    if !spec.hand_written.is_empty() {
        reexports.extend(["ImageUpload", "MultipartForm"]);
    }
    reexports.extend([
        "ApiError",
        "Error",
        "FailedItem",
        "LenientId",
        "PartialFailure",
        "RequestPolicy",
        "RetryPolicy",
        "Runtime",
        "Secret",
    ]);
    reexports.sort_unstable();
    reexports
}

/// The `extension`, `flow` and `callbacks` modules (with a provider's own scheme and envelope, purchase
/// flow, callback format), each only when the spec needs it.
fn optional_modules(spec: &ProviderSpec) -> String {
    let mut modules = String::new();
    if super::extension_source(spec).is_some() {
        modules.push_str(
            "/// The provider's own signing scheme and envelope (copied from the Rust file next to its spec).\npub mod extension;\n",
        );
    }
    if super::rust_extension(spec, "flow").is_some() {
        modules.push_str(
            "/// The provider's purchase flow (`sourcing_buy::PurchaseFlow`), copied from the Rust file next to its spec.\npub mod flow;\n\n/// This provider's description, as its flow registers it.\n#[allow(dead_code)]\nfn description() -> &'static sourcing_runtime::Provider {\n    &operations::PROVIDER\n}\n",
        );
    }
    if super::rust_extension(spec, "callbacks").is_some() {
        modules.push_str(
            "/// The provider's callback format (`sourcing_webhooks::CallbackFormat`), copied from the Rust file next to its spec.\npub mod callbacks;\n",
        );
    }
    modules
}

/// `text` as `//!` doc lines (an empty line is a bare `//!`).
fn doc_lines(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "//!".to_string()
            } else {
                format!("//! {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The items of a `use a::{…};` list as rustfmt lays them out: lines of at most 100 columns, indented by
/// four spaces, each item followed by a comma.
fn use_list(items: &[&str]) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && 4 + line.len() + 1 + item.len() + 1 > 100 {
            out.push_str(&format!("    {line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(item);
        line.push(',');
    }
    if !line.is_empty() {
        out.push_str(&format!("    {line}\n"));
    }
    out
}

/// The crate-level example: the first operation whose required inputs are all query strings.
fn doc_example(spec: &ProviderSpec) -> String {
    // A vendor-published operation: the unconfirmed ones compile only with a feature, and the example is
    // a doc test of the crate as it builds by default.
    let published = || spec.operations.iter().filter(|o| o.evidence.is_none());
    let op = published()
        .find(|o| {
            o.body_schema.is_none() && o.params.iter().all(|p| !p.required || p.kind == "String")
        })
        .or_else(|| published().next())
        .unwrap_or(&spec.operations[0]);
    let mut call = format!("//! let data = client\n//!     .{}()\n", op.id);
    for p in op
        .params
        .iter()
        .filter(|p| p.required && p.location == ParamLocation::Query)
    {
        call.push_str(&format!(
            "//!     .{}(\"2257455039610311973\")\n",
            snake(&p.name)
        ));
    }
    call.push_str("//!     .send()\n//!     .await?;\n//! println!(\"{data:?}\");\n");
    call
}
