//! The progenitor step: settings, token generation (panics caught and reported), and a small AST
//! post-processing pass so the generated client fits the runtime:
//!
//! * each builder's `send` becomes `send_raw` (the raw envelope); the glue adds a `send` that returns
//!   `Result<data, sourcing_runtime::Error>`;
//! * progenitor's `api-version` header (the spec's `info.version`, which no vendor documents) is not sent:
//!   its insertion is removed from each `send`, and the header map with it when nothing else goes in it;
//! * `Client::new` is dropped — it `unwrap()`s the reqwest builder; the glue provides constructors that take
//!   credentials and apply the runtime's timeouts;
//! * typify's struct builders start the flattened `extra` map of an open object (`additionalProperties: {}`)
//!   as "no value supplied", so a body built without `.extra(..)` would fail in `send()`; it starts empty;
//! * operations known only from third-party clients (`x-evidence`) get `#[cfg(feature = "unconfirmed-endpoints")]`
//!   on their client method, builder struct and builder impls, and a rustdoc line saying they are unconfirmed.

use crate::error::CodegenError;
use crate::spec::ProviderSpec;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::{ToTokens, quote};
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use syn::visit_mut::VisitMut;

/// progenitor's output for a spec, post-processed, plus what the glue needs to know about it.
pub struct ClientCode {
    pub file: syn::File,
    /// Client method name -> builder struct name.
    pub builders: BTreeMap<String, String>,
}

pub fn settings(spec: &ProviderSpec) -> GenerationSettings {
    let mut s = GenerationSettings::new();
    s.with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote!(::sourcing_runtime::Runtime))
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq")
        .with_map_type("::std::collections::BTreeMap");
    for (name, path) in &spec.replacements {
        s.with_replacement(name, path, std::iter::empty());
    }
    s
}

/// The document progenitor sees, rewritten from the spec's strict OpenAPI 3.0 forms into those progenitor
/// and typify read as intended:
/// * `default` responses (the error answers) are removed, and a 200's failure envelope beside the success one
///   (`anyOf: [$ref X, $ref F]`) is dropped: progenitor gets only the success envelope `X` (the runtime's
///   envelope codec turns a failure into `Error::Api` before `data` is decoded);
/// * `anyOf: [X, {$ref: JsonNull}]` ("X or null") becomes `nullable: true, allOf: [X]` (typed `Option<X>`),
///   and the `JsonNull` component goes.
pub fn for_progenitor(source: &Yaml) -> Yaml {
    fn rewrite(v: &mut Yaml) {
        match v {
            Yaml::Mapping(m) => {
                let null_idiom = match m.get("anyOf") {
                    Some(Yaml::Sequence(a)) if a.len() == 2 => a
                        .iter()
                        .position(|s| s.get("$ref").and_then(Yaml::as_str) == Some(NULL_REF)),
                    _ => None,
                };
                if let Some(i) = null_idiom
                    && let Some(Yaml::Sequence(mut a)) = m.remove("anyOf")
                {
                    a.remove(i);
                    m.insert("nullable".into(), Yaml::Bool(true));
                    m.insert("allOf".into(), Yaml::Sequence(a));
                }
                for (_, child) in m.iter_mut() {
                    rewrite(child);
                }
            }
            Yaml::Sequence(a) => a.iter_mut().for_each(rewrite),
            Yaml::Tagged(t) => rewrite(&mut t.value),
            _ => {}
        }
    }
    let mut doc = source.clone();
    if let Some(Yaml::Mapping(paths)) = doc.get_mut("paths") {
        for (_, item) in paths.iter_mut() {
            if let Yaml::Mapping(item) = item {
                for (_, op) in item.iter_mut() {
                    if let Some(Yaml::Mapping(responses)) = op.get_mut("responses") {
                        responses.remove("default");
                        success_envelope_only(responses);
                    }
                }
            }
        }
    }
    if let Some(Yaml::Mapping(schemas)) =
        doc.get_mut("components").and_then(|c| c.get_mut("schemas"))
    {
        schemas.remove("JsonNull");
    }
    rewrite(&mut doc);
    doc
}

use crate::spec::JSON_NULL_REF as NULL_REF;

/// The 200 schema `anyOf: [$ref X, $ref F]` (success or failure envelope) becomes `$ref X`.
fn success_envelope_only(responses: &mut serde_yaml::Mapping) {
    let Some(schema) = responses
        .get_mut("200")
        .and_then(|r| r.get_mut("content"))
        .and_then(|c| c.get_mut("application/json"))
        .and_then(|m| m.get_mut("schema"))
    else {
        return;
    };
    let first = match schema.get("anyOf") {
        Some(Yaml::Sequence(a)) => a.first().cloned(),
        _ => None,
    };
    if let Some(first) = first {
        *schema = first;
    }
}

pub fn generate(spec: &ProviderSpec) -> Result<ClientCode, CodegenError> {
    let fail = |m: String| CodegenError::new(&spec.file, "", m);
    let settings = settings(spec);
    let openapi: openapiv3::OpenAPI = serde_yaml::from_value(for_progenitor(&spec.source))
        .map_err(|e| {
            fail(format!(
                "the document rewritten for progenitor does not read: {e}"
            ))
        })?;
    let tokens = catch_panic(|| Generator::new(&settings).generate_tokens(&openapi))
        .map_err(|m| fail(format!("progenitor panicked: {m}")))?
        .map_err(|e| fail(format!("progenitor cannot generate this spec: {e}")))?;
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| fail(format!("progenitor produced unparsable code: {e}")))?;
    let mut pass = PostProcess::default();
    pass.visit_file_mut(&mut file);
    let mut gate = Gate::default();
    for op in &spec.operations {
        if let (Some(source), Some(builder)) = (&op.evidence, pass.builders.get(&op.id)) {
            gate.methods.insert(op.id.clone(), source.clone());
            gate.builders.insert(builder.clone());
        }
    }
    if !gate.methods.is_empty() {
        gate.visit_file_mut(&mut file);
    }
    for op in &spec.operations {
        if !pass.builders.contains_key(&op.id) {
            return Err(fail(format!(
                "progenitor generated no builder for operation {}",
                op.id
            )));
        }
    }
    Ok(ClientCode {
        file,
        builders: pass.builders,
    })
}

/// Serialises [`catch_panic`]: the panic hook is process-wide, so two swaps running at once could each
/// restore the other's silent hook (or lose the user's). Poison-tolerant: the guarded state is the hook
/// itself, which every holder restores before releasing the lock.
static PANIC_HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Run `f`, turning a panic into `Err(message)` without printing the default panic report. Panics on
/// other threads while `f` runs still reach the previous hook.
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    use std::sync::{Arc, PoisonError};
    let _serialised = PANIC_HOOK.lock().unwrap_or_else(PoisonError::into_inner);
    let previous = Arc::new(std::panic::take_hook());
    let here = std::thread::current().id();
    let forward = Arc::clone(&previous);
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != here {
            forward(info);
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    // Dropping the silent hook drops its clone, so `previous` is the only one left.
    drop(std::panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(previous) => std::panic::set_hook(previous),
        Err(shared) => std::panic::set_hook(Box::new(move |info| shared(info))),
    }
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

#[derive(Default)]
struct PostProcess {
    builders: BTreeMap<String, String>,
    in_builder_mod: bool,
    /// Types with a `#[serde(flatten)] extra` map (open objects); their builders default it to empty.
    open_objects: BTreeSet<String>,
}

fn is_flattened_extra(field: &syn::Field) -> bool {
    field.ident.as_ref().is_some_and(|i| i == "extra")
        && field.attrs.iter().any(|a| {
            a.path().is_ident("serde")
                && a.parse_args::<syn::Ident>()
                    .is_ok_and(|arg| arg == "flatten")
        })
}

fn self_ty_name(item: &syn::ItemImpl) -> Option<String> {
    match &*item.self_ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

impl VisitMut for PostProcess {
    fn visit_item_mod_mut(&mut self, m: &mut syn::ItemMod) {
        let was = self.in_builder_mod;
        self.in_builder_mod = m.ident == "builder";
        syn::visit_mut::visit_item_mod_mut(self, m);
        self.in_builder_mod = was;
    }

    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        if !self.in_builder_mod && item.fields.iter().any(is_flattened_extra) {
            self.open_objects.insert(item.ident.to_string());
        }
        syn::visit_mut::visit_item_struct_mut(self, item);
    }

    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        let is_default = item
            .trait_
            .as_ref()
            .and_then(|(p, _)| p.segments.last())
            .is_some_and(|s| s.ident == "Default");
        if self.in_builder_mod
            && is_default
            && self_ty_name(item).is_some_and(|n| self.open_objects.contains(&n))
        {
            for i in &mut item.items {
                if let syn::ImplItem::Fn(f) = i {
                    EmptyExtra.visit_block_mut(&mut f.block);
                }
            }
        }
        let is_client = item.trait_.is_none() && self_ty_name(item).as_deref() == Some("Client");
        if is_client && !self.in_builder_mod {
            item.items
                .retain(|i| !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
            for i in &item.items {
                if let syn::ImplItem::Fn(f) = i
                    && let syn::ReturnType::Type(_, ty) = &f.sig.output
                    && let syn::Type::Path(p) = &**ty
                    && p.path.segments.len() == 2
                    && p.path.segments[0].ident == "builder"
                {
                    self.builders.insert(
                        f.sig.ident.to_string(),
                        p.path.segments[1].ident.to_string(),
                    );
                }
            }
        }
        if self.in_builder_mod && item.trait_.is_none() {
            for i in &mut item.items {
                if let syn::ImplItem::Fn(f) = i
                    && f.sig.ident == "send"
                {
                    f.sig.ident = syn::Ident::new("send_raw", f.sig.ident.span());
                    drop_api_version(&mut f.block);
                    f.attrs.retain(|a| !a.path().is_ident("doc"));
                    f.attrs.push(syn::parse_quote!(
                        #[doc = "Sends the request and returns the provider's whole envelope, unmapped. Prefer `send()`."]
                    ));
                }
            }
        }
        syn::visit_mut::visit_item_impl_mut(self, item);
    }
}

/// Removes progenitor's `header_map.append(.."api-version"..)` from a `send` body. When the header map is
/// then only declared and passed to `.headers(header_map)`, both go too: no map is allocated per call.
fn drop_api_version(body: &mut syn::Block) {
    let is_api_version = |stmt: &syn::Stmt| {
        matches!(stmt, syn::Stmt::Expr(syn::Expr::MethodCall(call), Some(_))
            if call.method == "append" && mentions(&quote!(#call), "\"api-version\""))
    };
    body.stmts.retain(|stmt| !is_api_version(stmt));
    let uses = body
        .stmts
        .iter()
        .filter(|stmt| mentions(&quote!(#stmt), HEADER_MAP))
        .count();
    let declared = body.stmts.iter().position(|stmt| {
        matches!(stmt, syn::Stmt::Local(syn::Local { pat, .. }) if mentions(&quote!(#pat), HEADER_MAP))
    });
    if let (2, Some(declared)) = (uses, declared) {
        body.stmts.remove(declared);
        NoHeaderMap.visit_block_mut(body);
    }
}

/// The local progenitor collects a request's header parameters (and `api-version`) in.
const HEADER_MAP: &str = "header_map";

/// Whether `tokens` contain a token printed as `token` (an identifier, or a literal with its quotes).
fn mentions(tokens: &proc_macro2::TokenStream, token: &str) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), token),
        other => other.to_string() == token,
    })
}

/// Replaces `<receiver>.headers(header_map)` with `<receiver>`.
struct NoHeaderMap;

impl VisitMut for NoHeaderMap {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "headers"
            && call.args.len() == 1
            && mentions(&call.args.to_token_stream(), HEADER_MAP)
        {
            *expr = (*call.receiver).clone();
        }
    }
}

/// The crate feature that compiles the operations known only from third-party clients.
pub const UNCONFIRMED_FEATURE: &str = "unconfirmed-endpoints";

/// `#[cfg(feature = "unconfirmed-endpoints")]`.
pub fn unconfirmed_cfg() -> syn::Attribute {
    syn::parse_quote!(#[cfg(feature = "unconfirmed-endpoints")])
}

/// On docs.rs (`--cfg docsrs`), the "Available on crate feature unconfirmed-endpoints only" badge.
pub fn unconfirmed_doc_cfg() -> syn::Attribute {
    syn::parse_quote!(#[cfg_attr(docsrs, doc(cfg(feature = "unconfirmed-endpoints")))])
}

/// The rustdoc paragraph every unconfirmed operation's method carries.
pub fn unconfirmed_doc(source: &str) -> String {
    format!(
        "**Unconfirmed by the vendor**: known from third-party clients ({source}).\n\nCompiled only with the crate feature `{UNCONFIRMED_FEATURE}`; the vendor may change or remove it\nwithout notice."
    )
}

/// Gates the client methods (`methods`: name -> evidence source) and builders of unconfirmed operations.
#[derive(Default)]
struct Gate {
    methods: BTreeMap<String, String>,
    builders: BTreeSet<String>,
    in_builder_mod: bool,
}

impl VisitMut for Gate {
    fn visit_item_mod_mut(&mut self, m: &mut syn::ItemMod) {
        let was = self.in_builder_mod;
        self.in_builder_mod = m.ident == "builder";
        syn::visit_mut::visit_item_mod_mut(self, m);
        self.in_builder_mod = was;
    }

    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        if self.in_builder_mod && self.builders.contains(&item.ident.to_string()) {
            item.attrs.push(unconfirmed_cfg());
        }
    }

    fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
        let name = self_ty_name(item);
        if self.in_builder_mod && name.as_ref().is_some_and(|n| self.builders.contains(n)) {
            item.attrs.push(unconfirmed_cfg());
            return;
        }
        if !self.in_builder_mod && item.trait_.is_none() && name.as_deref() == Some("Client") {
            for i in &mut item.items {
                if let syn::ImplItem::Fn(f) = i
                    && let Some(source) = self.methods.get(&f.sig.ident.to_string())
                {
                    let doc = format!(" {}\n", unconfirmed_doc(source).replace('\n', "\n "));
                    f.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
                    f.attrs.push(unconfirmed_cfg());
                    f.attrs.push(unconfirmed_doc_cfg());
                }
            }
        }
    }
}

/// Rewrites `extra: Err(..)` in a builder's `Default` to `extra: Ok(Default::default())`.
struct EmptyExtra;

impl VisitMut for EmptyExtra {
    fn visit_field_value_mut(&mut self, fv: &mut syn::FieldValue) {
        if matches!(&fv.member, syn::Member::Named(i) if i == "extra") {
            fv.expr = syn::parse_quote!(Ok(Default::default()));
        }
        syn::visit_mut::visit_field_value_mut(self, fv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn without_api_version(body: syn::Block) -> String {
        let mut body = body;
        drop_api_version(&mut body);
        quote!(#body).to_string()
    }

    #[test]
    fn api_version_goes_and_the_header_map_with_it() {
        let body = without_api_version(syn::parse_quote!({
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            let mut request = client.client.get(url).headers(header_map).build()?;
        }));
        let expected: syn::Block = syn::parse_quote!({
            let mut request = client.client.get(url).build()?;
        });
        assert_eq!(body, quote!(#expected).to_string());
    }

    #[test]
    fn declared_header_parameters_stay() {
        let body = without_api_version(syn::parse_quote!({
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            header_map.append("x-trace", value.to_string().try_into()?);
            let mut request = client.client.get(url).headers(header_map).build()?;
        }));
        assert!(!body.contains("api-version"), "{body}");
        assert!(body.contains("\"x-trace\""), "{body}");
        assert!(body.contains(". headers (header_map)"), "{body}");
    }
}
