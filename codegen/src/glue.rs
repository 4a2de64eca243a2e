//! Everything in a generated crate that is not progenitor's client: `lib.rs`, the hooks that connect the
//! client to `sourcing-runtime`, the operation table, `Cargo.toml` and `README.md`.

use crate::client::ClientCode;
use crate::spec::{
    CredentialsKind, ExampleKind, LimitModel, OperationModel, ParamLocation, ProviderSpec,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

fn path(s: &str) -> TokenStream {
    s.parse()
        .unwrap_or_else(|_| quote!(compile_error!("invalid type path")))
}

/// One `#[doc]` attribute per line, so prettyplease renders `///` comments.
fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

/// `#[cfg(feature = "unconfirmed-endpoints")]` for an operation known only from third-party clients.
fn gate(op: &OperationModel) -> TokenStream {
    match op.evidence {
        Some(_) => {
            let attr = crate::client::unconfirmed_cfg();
            quote!(#attr)
        }
        None => quote!(),
    }
}

fn const_ident(op: &OperationModel) -> proc_macro2::Ident {
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
fn recorded_type<'a>(list: &'a [(String, String)], schema: &str) -> &'a str {
    list.iter()
        .find(|(n, _)| n == schema)
        .map(|(_, t)| t.as_str())
        .unwrap_or("::serde_json::Value")
}

fn data_type<'a>(spec: &'a ProviderSpec, op: &OperationModel) -> &'a str {
    recorded_type(&spec.envelope_data, &op.response_schema)
}

fn envelope_type<'a>(spec: &'a ProviderSpec, op: &OperationModel) -> &'a str {
    recorded_type(&spec.replacements, &op.response_schema)
}

fn default_auth(spec: &ProviderSpec) -> String {
    spec.openapi
        .security
        .as_ref()
        .and_then(|s| s.first())
        .and_then(|r| r.keys().next().cloned())
        .unwrap_or_else(|| spec.operations[0].auth.clone())
}

/// `src/hooks.rs`: `ClientHooks` (sign, execute with the runtime policy), constructors, `send()`, `call_raw`.
pub fn hooks(spec: &ProviderSpec, client: &ClientCode) -> TokenStream {
    let title = &spec.meta.title;
    let env_prefix = &spec.meta.env_prefix;
    let (creds_ty, signer) = match spec.meta.credentials {
        CredentialsKind::AccessKey => (
            quote!(::sourcing_runtime::AccessKeyCredentials),
            quote!(::sourcing_runtime::AccessKeySigner::new(credentials)),
        ),
        CredentialsKind::AppKey => (
            quote!(::sourcing_runtime::AppKeyCredentials),
            quote!(::sourcing_runtime::AppKeySigner::new(credentials)),
        ),
    };
    let raw_envelope = path(&format!(
        "{}<::serde_json::Value>",
        spec.meta.envelope.rust_path()
    ));
    let raw_auth = format_ident!("{}", default_auth(spec));
    let env_base = format!("{env_prefix}_BASE_URL");
    let new_doc = docs(
        "A client for `base_url` (usually [`crate::PRODUCTION_BASE_URL`], or a sandbox) that signs every\nrequest with `credentials` and applies the default [`::sourcing_runtime::RequestPolicy`].",
    );
    let env_doc = docs(&format!(
        "A client configured from the environment: credentials from `{env_prefix}_*` variables and the base\nURL from `{env_base}` (default: the {title} production URL). Secrets are never printed."
    ));
    let sends = spec.operations.iter().map(|op| {
        let builder = format_ident!("{}", client.builders[&op.id]);
        let data = path(data_type(spec, op));
        let konst = const_ident(op);
        let retry = if op.idempotent {
            "Idempotent: retried on transport errors, 408, 429 and 5xx per the client's policy."
        } else {
            "Sent exactly once: never retried automatically."
        };
        let batch = match &op.batch_outcome {
            Some(b) => format!(
                "\nA batch with any item in `{}` is [`::sourcing_runtime::Error::PartialFailure`] (which items\nsucceeded, which failed and why), never plain success.",
                b.failed
            ),
            None => String::new(),
        };
        let unconfirmed = match &op.evidence {
            Some(source) => format!("\n\n{}", crate::client::unconfirmed_doc(source)),
            None => String::new(),
        };
        let doc = docs(&format!(
            "Sends `{} {}` and returns the envelope's `data` on code 200; any other code is\n[`::sourcing_runtime::Error::Api`] with `code`, message and request id. {retry}{batch}{unconfirmed}",
            op.method, op.path
        ));
        let gate = gate(op);
        quote! {
            #gate
            impl builder::#builder<'_> {
                #doc
                pub async fn send(self) -> ::std::result::Result<#data, ::sourcing_runtime::Error> {
                    ::sourcing_runtime::runtime::finish(
                        &crate::operations::#konst,
                        self.send_raw().await,
                    ).await
                }
            }
        }
    });
    let hand_written = spec.hand_written.iter().map(|h| {
        let name = format_ident!("{}", h.id);
        let (id, p) = (&h.id, &h.path);
        let method = format_ident!("{}", h.method);
        let rust_fn = path(&h.rust_fn);
        let doc = docs(&format!(
            "`{} {}`, hand-written (progenitor cannot generate it): sends `form` as\n`multipart/form-data` through `{}`, signed like the generated\noperations, and returns the envelope's `data` untyped. Sent exactly once: never retried automatically.",
            h.method, h.path, h.rust_fn
        ));
        quote! {
            #doc
            pub async fn #name(
                &self,
                form: impl Into<::sourcing_runtime::MultipartForm>,
            ) -> ::std::result::Result<::serde_json::Value, ::sourcing_runtime::Error> {
                #rust_fn::<#raw_envelope>(
                    self.inner(),
                    self.client(),
                    self.baseurl(),
                    ::sourcing_runtime::MultipartCall {
                        operation: #id,
                        method: reqwest::Method::#method,
                        path: #p,
                        auth: ::sourcing_runtime::AuthStyle::#raw_auth,
                        form: form.into(),
                    },
                )
                .await
            }
        }
    });
    quote! {
        use crate::{Client, builder};
        use ::sourcing_runtime::progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};

        impl ClientHooks<::sourcing_runtime::Runtime> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> ::std::result::Result<(), Error<E>> {
                let op = crate::operations::find(info.operation_id)
                    .ok_or_else(|| Error::Custom(format!("unknown operation {}", info.operation_id)))?;
                self.inner().prepare(request, op).map_err(|refused| match refused {
                    ::sourcing_runtime::runtime::Refused::InvalidRequest(m) => Error::InvalidRequest(m),
                    ::sourcing_runtime::runtime::Refused::Signing(m) => Error::Custom(m),
                })
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                match crate::operations::find(info.operation_id) {
                    Some(op) => self.inner().execute(self.client(), request, op).await,
                    None => self.client().execute(request).await,
                }
            }
        }

        impl Client {
            #new_doc
            pub fn new(base_url: &str, credentials: #creds_ty) -> Self {
                Self::with_runtime(base_url, ::sourcing_runtime::Runtime::new(#signer))
            }

            /// A client with a custom runtime: your own [`::sourcing_runtime::Signer`] or request policy.
            pub fn with_runtime(base_url: &str, runtime: ::sourcing_runtime::Runtime) -> Self {
                let http = runtime.http_client();
                Self::new_with_client(base_url, http, runtime)
            }

            #env_doc
            pub fn from_env() -> ::std::result::Result<Self, ::sourcing_runtime::credentials::MissingEnv> {
                let credentials = <#creds_ty>::from_env(#env_prefix)?;
                let base_url = ::std::env::var(#env_base)
                    .unwrap_or_else(|_| crate::PRODUCTION_BASE_URL.to_string());
                Ok(Self::new(&base_url, credentials))
            }

            /// Calls a row of [`crate::operations::OPERATIONS`] with untyped inputs (query pairs and a JSON body)
            /// and returns `data` as JSON, after checking it decodes into the operation's generated type.
            /// Signing, retries and errors are those of the typed methods. For tools that drive every
            /// operation (the `sourcing` CLI); application code should prefer the typed builders.
            pub async fn call_operation(
                &self,
                operation: &::sourcing_runtime::Operation,
                query: &[(&str, &str)],
                body: Option<&::serde_json::Value>,
            ) -> ::std::result::Result<::serde_json::Value, ::sourcing_runtime::Error> {
                self.inner()
                    .call_operation::<#raw_envelope>(self.client(), self.baseurl(), operation, query, body)
                    .await
            }

            /// Signed like the documented operations under the same first path segment (PandaPon `/v2/...`
            /// signs without `nonce-str`).
            ///
            /// Signed call to a path the spec does not describe (e.g. an endpoint the vendor told you about
            /// privately), with the same signing, envelope mapping and errors as generated operations; returns
            /// `data` untyped. Never retried automatically.
            pub async fn call_raw(
                &self,
                method: reqwest::Method,
                path: &str,
                query: &[(&str, &str)],
                body: Option<&::serde_json::Value>,
            ) -> ::std::result::Result<::serde_json::Value, ::sourcing_runtime::Error> {
                self.inner()
                    .call_raw::<#raw_envelope>(
                        self.client(),
                        self.baseurl(),
                        crate::operations::PROVIDER
                            .auth_for_path(path)
                            .unwrap_or(::sourcing_runtime::AuthStyle::#raw_auth),
                        ::sourcing_runtime::RawRequest { method, path, query, body },
                    )
                    .await
            }

            #(#hand_written)*
        }

        #(#sends)*
    }
}

/// `src/operations.rs`: the operation table.
pub fn operations(spec: &ProviderSpec) -> TokenStream {
    let statics = spec.operations.iter().map(|op| {
        let konst = const_ident(op);
        let (id, method, p, tag, summary) = (&op.id, &op.method, &op.path, &op.tag, &op.summary);
        let auth = format_ident!("{}", op.auth);
        let idempotent = op.idempotent;
        let params = op.params.iter().map(|prm| {
            let name = &prm.name;
            let loc = match prm.location {
                ParamLocation::Query => quote!(ParamLocation::Query),
                ParamLocation::Body => quote!(ParamLocation::Body),
            };
            let req = prm.required;
            let kind = format_ident!("{}", prm.kind);
            let desc = &prm.description;
            let json_string = prm.json_string;
            let limit = match &prm.limit {
                None => quote!(None),
                Some(LimitModel::MaxItems { max, separator }) => {
                    let max = *max as usize;
                    let sep = match separator {
                        Some(s) => quote!(Some(#s)),
                        None => quote!(None),
                    };
                    quote!(Some(::sourcing_runtime::operation::Limit::MaxItems { max: #max, separator: #sep }))
                }
                Some(LimitModel::Maximum(max)) => {
                    quote!(Some(::sourcing_runtime::operation::Limit::Maximum(#max)))
                }
            };
            quote!(Param { name: #name, location: #loc, required: #req, kind: ParamKind::#kind, description: #desc, limit: #limit, json_string: #json_string })
        });
        let examples = op.examples.iter().map(|ex| {
            let name = &ex.name;
            let kind = match ex.kind {
                ExampleKind::Request => quote!(ExampleKind::Request),
                ExampleKind::Response => quote!(ExampleKind::Response),
            };
            let json = serde_json::to_string(&ex.value).unwrap_or_default();
            quote!(Example { name: #name, kind: #kind, json: #json })
        });
        let has_body = op.body_schema.is_some();
        let tr_req = match &op.body_schema {
            Some(b) => {
                let ty = path(&format!("::{}::types::{b}", spec.meta.crate_name));
                quote!(Some(transcode::<#ty>))
            }
            None => quote!(None),
        };
        let env = path(envelope_type(spec, op));
        let batch = match &op.batch_outcome {
            Some(b) => {
                let (s, f, i, r) = (&b.succeeded, &b.failed, &b.id, &b.reason);
                quote!(Some(::sourcing_runtime::batch::BatchOutcome {
                    succeeded: #s, failed: #f, id: #i, reason: #r,
                }))
            }
            None => quote!(None),
        };
        let (doc, evidence) = match &op.evidence {
            Some(source) => (
                format!(
                    " `{} {}`: {} — **unconfirmed by the vendor** (feature `{}`)",
                    op.method,
                    op.path,
                    op.summary,
                    crate::client::UNCONFIRMED_FEATURE
                ),
                quote!(Some(#source)),
            ),
            None => (
                format!(" `{} {}`: {}", op.method, op.path, op.summary),
                quote!(None),
            ),
        };
        let gate = gate(op);
        let input_schema = op.input_schema.to_string();
        let response_schema = op.response_json_schema.to_string();
        quote! {
            #[doc = #doc]
            #gate
            pub static #konst: Operation = Operation {
                id: #id,
                method: #method,
                path: #p,
                tag: #tag,
                summary: #summary,
                auth: AuthStyle::#auth,
                idempotent: #idempotent,
                params: &[#(#params),*],
                has_body: #has_body,
                examples: &[#(#examples),*],
                transcode_request: #tr_req,
                transcode_response: transcode::<#env>,
                batch_outcome: #batch,
                evidence: #evidence,
                input_schema: #input_schema,
                response_schema: #response_schema,
            };
        }
    });
    let entry = |op: &OperationModel| {
        let (gate, konst) = (gate(op), const_ident(op));
        quote!(#gate &#konst)
    };
    let all = spec.operations.iter().map(entry);
    let all2 = spec.operations.iter().map(entry);
    let (name, title, base, env_prefix) = (
        &spec.meta.crate_name,
        &spec.meta.title,
        &spec.base_url,
        &spec.meta.env_prefix,
    );
    let envelope = match spec.meta.envelope {
        crate::spec::EnvelopeKind::Pandapon => format_ident!("Pandapon"),
        crate::spec::EnvelopeKind::Dajisaas => format_ident!("Dajisaas"),
    };
    let credentials = match spec.meta.credentials {
        CredentialsKind::AccessKey => format_ident!("AccessKey"),
        CredentialsKind::AppKey => format_ident!("AppKey"),
    };
    let arms = spec.operations.iter().map(|op| {
        let id = &op.id;
        let (gate, konst) = (gate(op), const_ident(op));
        quote!(#gate #id => Some(&#konst),)
    });
    let unconfirmed: Vec<&String> = spec
        .operations
        .iter()
        .filter(|o| o.evidence.is_some())
        .map(|o| &o.id)
        .collect();
    let feature = crate::client::UNCONFIRMED_FEATURE;
    let feature_test = if unconfirmed.is_empty() {
        quote!()
    } else {
        quote! {
            #[cfg(test)]
            mod tests {
                /// The operations known only from third-party clients exist exactly when the crate feature
                /// `unconfirmed-endpoints` is on (`cargo test -p <crate>` checks "off", `--features` "on").
                #[test]
                fn unconfirmed_operations_exist_only_with_the_feature() {
                    let on = cfg!(feature = "unconfirmed-endpoints");
                    for id in [#(#unconfirmed),*] {
                        assert_eq!(super::find(id).is_some(), on, "{id} with feature {} = {on}", #feature);
                    }
                    assert_eq!(
                        super::OPERATIONS.iter().any(|op| op.evidence.is_some()),
                        on,
                    );
                    assert_eq!(super::OPERATIONS.len(), super::PROVIDER.operations.len());
                }
            }
        }
    };
    quote! {
        //! The operation table: one row per spec operation (method, path, signing style, idempotency,
        //! parameters, documented examples, typed transcoders). Used by the hooks, the sandbox and the CLI.
        use ::sourcing_runtime::operation::{
            AuthStyle, CredentialStyle, EnvelopeStyle, Example, ExampleKind, Operation, Param, ParamKind,
            ParamLocation, Provider, transcode,
        };

        #(#statics)*

        /// Every operation, in spec order (those known only from third-party clients only with the feature
        /// `unconfirmed-endpoints`).
        pub static OPERATIONS: &[&Operation] = &[#(#all),*];

        /// This provider as described by its spec.
        pub static PROVIDER: Provider = Provider {
            name: #name,
            title: #title,
            production_base_url: #base,
            env_prefix: #env_prefix,
            envelope: EnvelopeStyle::#envelope,
            credentials: CredentialStyle::#credentials,
            operations: &[#(#all2),*],
        };

        /// The operation with this id (the client method name).
        pub fn find(id: &str) -> Option<&'static Operation> {
            match id {
                #(#arms)*
                _ => None,
            }
        }

        #feature_test
    }
}

/// `src/lib.rs`, written to be stable under `rustfmt` (the generated modules are `#[rustfmt::skip]`).
pub fn lib_rs(spec: &ProviderSpec, header: &str) -> String {
    let m = &spec.meta;
    let krate = &m.crate_name;
    let example = doc_example(spec);
    let (creds, creds_new): (&[&str], _) = match m.credentials {
        CredentialsKind::AccessKey => (
            &["AccessKeyCredentials"],
            "AccessKeyCredentials::new(\"your-access-key\", \"your-access-secret\", \"your-user-id\")",
        ),
        CredentialsKind::AppKey => (
            &["AppKeyCredentials", "AppKeyMode", "AppKeySigner"],
            "AppKeyCredentials::new(\"your-app-key\", \"your-app-secret\")",
        ),
    };
    let mut reexports: Vec<&str> = creds.to_vec();
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
    let reexports = use_list(&reexports);
    let multipart = if spec.hand_written.is_empty() {
        ""
    } else {
        "/// Forms of the hand-written multipart operations (e.g. `multipart::ImageUpload`).\npub use sourcing_runtime::multipart;\n"
    };
    let description = spec
        .openapi
        .info
        .description
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(|l| {
            if l.is_empty() {
                "//!".to_string()
            } else {
                format!("//! {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
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
{multipart}pub use sourcing_runtime::{{
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
    let op = spec
        .operations
        .iter()
        .find(|o| {
            o.body_schema.is_none() && o.params.iter().all(|p| !p.required || p.kind == "String")
        })
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
sourcing-runtime = {{ path = "../../crates/runtime", version = "0.1.0", default-features = false }}
progenitor-client.workspace = true
reqwest.workspace = true
serde.workspace = true
serde_json.workspace = true
"#,
        krate = spec.meta.crate_name,
        title = spec.meta.title,
        file = spec.file.display(),
        unconfirmed = unconfirmed_list(spec, "none in this crate"),
    )
}

/// The ids of the operations known only from third-party clients, comma-separated, or `none`.
fn unconfirmed_list(spec: &ProviderSpec, none: &str) -> String {
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

pub fn readme(spec: &ProviderSpec, header: &str) -> String {
    let m = &spec.meta;
    let mut rows = String::new();
    for op in &spec.operations {
        let mark = if op.evidence.is_some() {
            "**unconfirmed** (third-party clients; feature `unconfirmed-endpoints`): "
        } else {
            ""
        };
        rows.push_str(&format!(
            "| `{}` | {} `{}` | {} | {mark}{} | {} |\n",
            op.id,
            op.method,
            op.path,
            op.tag,
            op.summary.replace('|', "\\|"),
            if op.idempotent { "yes" } else { "never" }
        ));
    }
    let mut hand = String::new();
    for h in &spec.hand_written {
        hand.push_str(&format!(
            "| `{}` | {} `{}` | hand-written: `{}` |\n",
            h.id, h.method, h.path, h.rust_fn
        ));
    }
    if !hand.is_empty() {
        hand = format!(
            "\n## Hand-written operations\n\nprogenitor cannot generate these; the runtime implements them.\n\n| id | endpoint | where |\n|---|---|---|\n{hand}"
        );
    }
    format!(
        r#"<!-- {header_text} -->
# `{krate}`

Typed, signed Rust client for the {title} OpenAPI, generated from `{file}` by `cargo xtask regen`.
Production base URL: `{base}`. HTTPS works out of the box (default feature `rustls`);
`default-features = false` drops TLS for plain-HTTP use (the sandbox, a local TLS-terminating proxy).

```rust,ignore
let client = {krate}::Client::from_env()?; // {prefix}_* credentials, optional {prefix}_BASE_URL
```

## Operations
{unconfirmed_note}
| method | endpoint | area | summary | retried |
|---|---|---|---|---|
{rows}{hand}"#,
        header_text = header.trim_start_matches("//").trim(),
        unconfirmed_note = if spec.operations.iter().any(|o| o.evidence.is_some()) {
            format!(
                "\nOperations marked **unconfirmed** are not published by {}: they are known only from third-party\n\
                 clients (each one's documentation names them) and are compiled only with the crate feature\n\
                 `unconfirmed-endpoints`.\n",
                m.title
            )
        } else {
            String::new()
        },
        krate = m.crate_name,
        title = m.title,
        file = spec.file.display(),
        base = spec.base_url,
        prefix = m.env_prefix,
    )
}
