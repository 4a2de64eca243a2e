//! `src/hooks.rs`: the `ClientHooks` that connect progenitor's client to `sourcing-runtime`.

use super::{auth_expr, const_ident, docs, gate, path, recorded_type};
use crate::client::ClientCode;
use crate::spec::{HandWritten, OperationModel, ProviderSpec};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The type `send()` returns: the envelope's `data` type as recorded, else (an envelope of the spec's own,
/// named by `x-runtime-type`) the typed envelope's `Envelope::Data`.
fn data_type(spec: &ProviderSpec, op: &OperationModel) -> TokenStream {
    match spec
        .envelope_data
        .iter()
        .any(|(n, _)| *n == op.response_schema)
    {
        true => path(recorded_type(&spec.envelope_data, &op.response_schema)),
        false => {
            let envelope = path(recorded_type(&spec.replacements, &op.response_schema));
            quote!(<#envelope as ::sourcing_runtime::Envelope>::Data)
        }
    }
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
    let raw_auth = auth_expr(spec, &default_auth(spec));
    let constructors = constructors(spec);
    let untyped = untyped_calls(&raw_auth);
    let hand_written = spec
        .hand_written
        .iter()
        .map(|h| hand_written_call(h, &raw_auth));
    let sends = spec.operations.iter().map(|op| send(spec, client, op));
    let client_hooks = client_hooks();
    quote! {
        #client_hooks

        impl Client {
            #constructors

            #untyped

            #(#hand_written)*
        }

        #(#sends)*
    }
}

/// The `use` lines and `impl ClientHooks for Client`: sign before sending, send through the runtime.
fn client_hooks() -> TokenStream {
    quote! {
        use crate::{Client, builder};
        use crate::operations::PROVIDER;
        use ::sourcing_runtime::__codegen::{self as rt, progenitor_client as pc};
        use pc::{ClientHooks, ClientInfo, OperationInfo};

        impl ClientHooks<::sourcing_runtime::Runtime> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> ::std::result::Result<(), pc::Error<E>> {
                rt::pre(self.inner(), &PROVIDER, request, info).await
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                rt::exec(self.inner(), &PROVIDER, self.client(), request, info).await
            }
        }
    }
}

/// `Client::new`, `with_runtime` and `from_env`.
fn constructors(spec: &ProviderSpec) -> TokenStream {
    let title = &spec.meta.title;
    let env_prefix = &spec.meta.env_prefix;
    let env_base = format!("{env_prefix}_BASE_URL");
    let creds_doc = match spec.meta.credentials.kind().rust_type {
        "" => "credentials of the provider's kind".to_string(),
        ty => format!("`credentials` ([`crate::{ty}`])"),
    };
    let new_doc = docs(&format!(
        "A client for `base_url` (usually [`crate::PRODUCTION_BASE_URL`], or a sandbox) that signs every\nrequest with {creds_doc} and applies the default [`::sourcing_runtime::RequestPolicy`]."
    ));
    let env_doc = docs(&format!(
        "A client configured from the environment: credentials from `{env_prefix}_*` variables and the base\nURL from `{env_base}` (default: the {title} production URL). Secrets are never printed."
    ));
    quote! {
        #new_doc
        pub fn new(
            base_url: &str,
            credentials: impl Into<::sourcing_runtime::CredentialValues>,
        ) -> Self {
            Self::with_runtime(base_url, rt::runtime_for(&PROVIDER, credentials))
        }

        /// A client with a custom runtime: your own [`::sourcing_runtime::Signer`] or request policy.
        pub fn with_runtime(base_url: &str, runtime: ::sourcing_runtime::Runtime) -> Self {
            let http = runtime.http_client();
            Self::new_with_client(base_url, http, runtime)
        }

        #env_doc
        pub fn from_env() -> ::std::result::Result<Self, ::sourcing_runtime::MissingEnv> {
            let credentials = PROVIDER.credentials_from_env()?;
            let base_url = ::std::env::var(#env_base)
                .unwrap_or_else(|_| crate::PRODUCTION_BASE_URL.to_string());
            Ok(Self::new(&base_url, credentials))
        }
    }
}

/// `Client::call_operation` (a table row, untyped inputs) and `Client::call_raw` (a path the spec does not
/// describe, signed by `raw_auth` unless documented operations under its first segment say otherwise).
fn untyped_calls(raw_auth: &TokenStream) -> TokenStream {
    quote! {
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
            rt::call_operation(
                self.inner(), &PROVIDER, self.client(), self.baseurl(), operation, query, body,
            )
            .await
        }

        /// Signed call to a path the spec does not describe (e.g. an endpoint the vendor told you about
        /// privately), signed like the documented operations under the same first path segment (the most
        /// common scheme among them, else among all operations), with the same envelope mapping and errors
        /// as generated operations; returns `data` untyped. Never retried automatically.
        pub async fn call_raw(
            &self,
            method: reqwest::Method,
            path: &str,
            query: &[(&str, &str)],
            body: Option<&::serde_json::Value>,
        ) -> ::std::result::Result<::serde_json::Value, ::sourcing_runtime::Error> {
            let raw = ::sourcing_runtime::RawRequest { method, path, query, body };
            let default_auth = #raw_auth;
            rt::call_raw(
                self.inner(), &PROVIDER, default_auth, self.client(), self.baseurl(), raw,
            )
            .await
        }
    }
}

/// The `Client` method of a hand-written (multipart) operation, signed by `raw_auth`.
fn hand_written_call(h: &HandWritten, raw_auth: &TokenStream) -> TokenStream {
    let name = format_ident!("{}", h.id);
    let (id, p) = (&h.id, &h.path);
    let method = format_ident!("{}", h.method);
    let rust_fn = path(&h.rust_fn);
    let doc = docs(&format!(
        "`{} {}`, hand-written (progenitor cannot generate it): sends `form` through\n`{}` (built as `multipart/form-data`; the signer places the fields as its\nsettings say, e.g. Dajisaas `UPLOAD_ENCODING`), signed like the generated operations, and returns the\nenvelope's `data` untyped. Sent exactly once: never retried automatically.",
        h.method, h.path, h.rust_fn
    ));
    quote! {
        #doc
        pub async fn #name(
            &self,
            form: impl Into<::sourcing_runtime::MultipartForm>,
        ) -> ::std::result::Result<::serde_json::Value, ::sourcing_runtime::Error> {
            #rust_fn(
                self.inner(),
                self.client(),
                self.baseurl(),
                ::sourcing_runtime::MultipartCall {
                    operation: #id,
                    provider: &PROVIDER,
                    method: reqwest::Method::#method,
                    path: #p,
                    auth: #raw_auth,
                    form: form.into(),
                },
            )
            .await
        }
    }
}

/// The typed `send()` of one operation's builder, documented with its retry rule, batch outcome and evidence.
fn send(spec: &ProviderSpec, client: &ClientCode, op: &OperationModel) -> TokenStream {
    let builder = format_ident!("{}", client.builders[&op.id]);
    let data = data_type(spec, op);
    let konst = const_ident(op);
    let retry = if op.effect.retried() {
        "A read: retried on transport errors, 408, 429 and 5xx per the client's policy."
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
                rt::send(&PROVIDER, &crate::operations::#konst, move || self.send_raw()).await
            }
        }
    }
}
