//! `src/operations.rs`: the operation table.

use super::{auth_expr, const_ident, credentials_expr, envelope_expr, gate, path, recorded_type};
use crate::spec::{
    ExampleKind, ExampleModel, LimitModel, OperationModel, ParamLocation, ParamModel, ProviderSpec,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

fn envelope_type<'a>(spec: &'a ProviderSpec, op: &OperationModel) -> &'a str {
    recorded_type(&spec.replacements, &op.response_schema)
}

/// `src/operations.rs`: the operation table.
pub fn operations(spec: &ProviderSpec) -> TokenStream {
    let statics = spec.operations.iter().map(|op| operation_static(spec, op));
    let provider = provider(spec);
    let feature_test = feature_test(spec);
    quote! {
        //! The operation table: one row per spec operation (method, path, signing style, effect,
        //! parameters, documented examples, typed transcoders). Used by the hooks, the sandbox and the CLI.
        // A table without parameters or examples leaves some of these unused.
        #[allow(unused_imports)]
        use ::sourcing_runtime::{
            Effect, Example, ExampleKind, Operation, Param, ParamKind, ParamLocation, Provider, transcode,
        };

        #(#statics)*

        #provider

        #feature_test
    }
}

/// `pub static <OPERATION>: Operation = …`, one row of the table.
fn operation_static(spec: &ProviderSpec, op: &OperationModel) -> TokenStream {
    let konst = const_ident(op);
    let (id, method, p, tag, summary) = (&op.id, &op.method, &op.path, &op.tag, &op.summary);
    let auth = auth_expr(spec, &op.auth);
    let effect = op.effect;
    let effect = format_ident!("{effect:?}");
    let idempotent = op.idempotent;
    let params = op.params.iter().map(param);
    let examples = op.examples.iter().map(example);
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
            quote!(Some(::sourcing_runtime::BatchOutcome {
                succeeded: #s, failed: #f, id: #i, reason: #r,
            }))
        }
        None => quote!(None),
    };
    let (doc, evidence) = doc_and_evidence(op);
    let flow_role = match op.flow_role {
        Some(role) => {
            let role = format_ident!("{role:?}");
            quote!(Some(::sourcing_runtime::FlowRole::#role))
        }
        None => quote!(None),
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
            auth: #auth,
            effect: Effect::#effect,
            idempotent: #idempotent,
            params: &[#(#params),*],
            has_body: #has_body,
            examples: &[#(#examples),*],
            transcode_request: #tr_req,
            transcode_response: transcode::<#env>,
            batch_outcome: #batch,
            evidence: #evidence,
            flow_role: #flow_role,
            input_schema: #input_schema,
            response_schema: #response_schema,
        };
    }
}

/// The row's doc line and its `evidence` value (unconfirmed operations say so in both).
fn doc_and_evidence(op: &OperationModel) -> (String, TokenStream) {
    match &op.evidence {
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
    }
}

/// `Param { … }` of one parameter.
fn param(prm: &ParamModel) -> TokenStream {
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
            quote!(Some(::sourcing_runtime::Limit::MaxItems { max: #max, separator: #sep }))
        }
        Some(LimitModel::Maximum(max)) => {
            quote!(Some(::sourcing_runtime::Limit::Maximum(#max)))
        }
    };
    quote!(Param { name: #name, location: #loc, required: #req, kind: ParamKind::#kind, description: #desc, limit: #limit, json_string: #json_string })
}

/// `Example { … }` of one embedded example (its JSON re-serialised compactly).
fn example(ex: &ExampleModel) -> TokenStream {
    let name = &ex.name;
    let kind = match ex.kind {
        ExampleKind::Request => quote!(ExampleKind::Request),
        ExampleKind::Response => quote!(ExampleKind::Response),
    };
    let json = serde_json::to_string(&ex.value).unwrap_or_default();
    quote!(Example { name: #name, kind: #kind, json: #json })
}

/// `OPERATIONS`, `PROVIDER` and `find`.
fn provider(spec: &ProviderSpec) -> TokenStream {
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
    let envelope = envelope_expr(spec);
    let credentials = credentials_expr(spec);
    let arms = spec.operations.iter().map(|op| {
        let id = &op.id;
        let (gate, konst) = (gate(op), const_ident(op));
        quote!(#gate #id => Some(&#konst),)
    });
    quote! {
        /// Every operation, in spec order (those known only from third-party clients only with the feature
        /// `unconfirmed-endpoints`).
        pub static OPERATIONS: &[&Operation] = &[#(#all),*];

        /// This provider as described by its spec: name, title, base URL, credentials, envelope codec and the
        /// operation table with each operation's signing scheme. `sourcing-registry` lists it; the CLI,
        /// `sourcing mcp`, the sandbox and the tests serve and call every provider from such descriptions.
        pub static PROVIDER: Provider = Provider {
            name: #name,
            title: #title,
            production_base_url: #base,
            env_prefix: #env_prefix,
            envelope: #envelope,
            credentials: #credentials,
            operations: &[#(#all2),*],
        };

        /// The operation with this id (the client method name).
        pub fn find(id: &str) -> Option<&'static Operation> {
            match id {
                #(#arms)*
                _ => None,
            }
        }
    }
}

/// A test that the operations known only from third-party clients exist exactly with the feature (nothing
/// when the spec has none).
fn feature_test(spec: &ProviderSpec) -> TokenStream {
    let unconfirmed: Vec<&String> = spec
        .operations
        .iter()
        .filter(|o| o.evidence.is_some())
        .map(|o| &o.id)
        .collect();
    if unconfirmed.is_empty() {
        return quote!();
    }
    let feature = crate::client::UNCONFIRMED_FEATURE;
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
}
