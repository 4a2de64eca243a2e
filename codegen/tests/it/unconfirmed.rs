//! Operations known only from third-party clients (`x-evidence: third-party-client`): the spec rules, and
//! that every generated trace of them — client method, builder, `send()`, operation-table static, its
//! entries in `OPERATIONS`/`PROVIDER` and its `find` arm — sits behind `#[cfg(feature =
//! "unconfirmed-endpoints")]`, so the feature-off build does not contain them. Checked on a small spec and
//! on the workspace's real specs.

use proc_macro2::{TokenStream, TokenTree};
use sourcing_codegen::spec::{ProviderSpec, parse};
use std::path::Path;
use std::sync::LazyLock;
use syn::visit_mut::VisitMut;

/// `GET /d`, known only from a third-party client.
const D_PATH: &str = r##"  /d:
    get:
      operationId: area_d
      x-effect: read
      x-catalogue-id: demo.d
      x-evidence: third-party-client
      x-evidence-source: a test client calls GET /d with q
      tags: [area]
      summary: Get d
      externalDocs: {url: "https://example.test/d"}
      parameters:
        - {name: q, in: query, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/DEnvelope"}
"##;

const D_SCHEMAS: &str = r##"    D:
      type: object
      properties: {x: {description: not typed}}
      additionalProperties: {description: kept}
    DEnvelope:
      allOf:
        - $ref: "#/components/schemas/Envelope"
        - type: object
          properties:
            data: {$ref: "#/components/schemas/D"}
"##;

static SPEC: LazyLock<String> =
    LazyLock::new(|| crate::demo::spec("{type: string}", D_PATH, D_SCHEMAS));

fn error_of(spec: &str) -> String {
    match parse(spec, Path::new("specs/demo.yaml")) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn x_evidence_is_read_into_the_operation_model() {
    let spec = parse(&SPEC, Path::new("specs/demo.yaml")).unwrap();
    let ev = |id: &str| {
        spec.operations
            .iter()
            .find(|o| o.id == id)
            .unwrap()
            .evidence
            .clone()
    };
    assert_eq!(ev("area_get"), None);
    assert_eq!(
        ev("area_d").as_deref(),
        Some("a test client calls GET /d with q")
    );
}

#[test]
fn bad_x_evidence_is_an_error_naming_where_and_why() {
    let cases = [
        (
            "x-evidence: third-party-client",
            "x-evidence: hearsay",
            "/paths/~1d/get/x-evidence: x-evidence \"hearsay\" is not \"third-party-client\"",
        ),
        (
            "      x-evidence-source: a test client calls GET /d with q\n",
            "",
            "/paths/~1d/get/x-evidence-source: x-evidence: third-party-client needs x-evidence-source",
        ),
        (
            "x-evidence-source: a test client calls GET /d with q",
            "x-evidence-source: \"  \"",
            "needs x-evidence-source, a non-empty string",
        ),
        (
            "      x-evidence: third-party-client\n",
            "",
            "/paths/~1d/get/x-evidence-source: x-evidence-source without x-evidence",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(SPEC.contains(from), "case {from:?} does not apply");
        let err = error_of(&SPEC.replacen(from, to, 1));
        assert!(err.starts_with("specs/demo.yaml"), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
}

/// Removes every item, impl item, array element and match arm under
/// `#[cfg(feature = "unconfirmed-endpoints")]` (or `#[cfg(test)]`): what the compiler sees with the
/// feature off in a normal build.
struct FeatureOff;

/// Behind the feature, or test-only (the generated feature test names the operations as strings).
fn gated(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let text = quote::ToTokens::to_token_stream(&a.meta).to_string();
        a.path().is_ident("cfg")
            && (text.contains("\"unconfirmed-endpoints\"") || text == "cfg (test)")
    })
}

fn expr_attrs(e: &syn::Expr) -> &[syn::Attribute] {
    match e {
        syn::Expr::Reference(r) => &r.attrs,
        syn::Expr::Path(p) => &p.attrs,
        _ => &[],
    }
}

impl VisitMut for FeatureOff {
    fn visit_file_mut(&mut self, f: &mut syn::File) {
        f.items.retain(|i| !item_gated(i));
        syn::visit_mut::visit_file_mut(self, f);
    }
    fn visit_item_mod_mut(&mut self, m: &mut syn::ItemMod) {
        if let Some((_, items)) = &mut m.content {
            items.retain(|i| !item_gated(i));
        }
        syn::visit_mut::visit_item_mod_mut(self, m);
    }
    fn visit_item_impl_mut(&mut self, i: &mut syn::ItemImpl) {
        i.items.retain(|it| match it {
            syn::ImplItem::Fn(f) => !gated(&f.attrs),
            _ => true,
        });
        syn::visit_mut::visit_item_impl_mut(self, i);
    }
    fn visit_expr_array_mut(&mut self, a: &mut syn::ExprArray) {
        a.elems = a
            .elems
            .clone()
            .into_iter()
            .filter(|e| !gated(expr_attrs(e)))
            .collect();
        syn::visit_mut::visit_expr_array_mut(self, a);
    }
    fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
        m.arms.retain(|a| !gated(&a.attrs));
        syn::visit_mut::visit_expr_match_mut(self, m);
    }
}

fn item_gated(i: &syn::Item) -> bool {
    match i {
        syn::Item::Struct(s) => gated(&s.attrs),
        syn::Item::Impl(s) => gated(&s.attrs),
        syn::Item::Static(s) => gated(&s.attrs),
        syn::Item::Fn(s) => gated(&s.attrs),
        syn::Item::Const(s) => gated(&s.attrs),
        syn::Item::Mod(s) => gated(&s.attrs),
        _ => false,
    }
}

/// Identifiers and string literals of `tokens`.
fn names(tokens: TokenStream, out: &mut Vec<String>) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => out.push(i.to_string()),
            TokenTree::Literal(l) => out.push(l.to_string().trim_matches('"').to_string()),
            TokenTree::Group(g) => names(g.stream(), out),
            TokenTree::Punct(_) => {}
        }
    }
}

/// Drops doc attributes (their prose may name operations).
struct NoDocs;
impl VisitMut for NoDocs {
    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        attrs.retain(|a| !a.path().is_ident("doc"));
    }
    fn visit_file_mut(&mut self, f: &mut syn::File) {
        f.attrs.retain(|a| !a.path().is_ident("doc"));
        syn::visit_mut::visit_file_mut(self, f);
    }
}

/// Every identifier and string literal of a generated Rust file, with the feature on or off.
fn visible_names(source: &str, feature_on: bool) -> Vec<String> {
    let mut file = syn::parse_file(source).expect("generated code parses");
    if !feature_on {
        FeatureOff.visit_file_mut(&mut file);
    }
    NoDocs.visit_file_mut(&mut file);
    let mut out = Vec::new();
    names(quote::ToTokens::to_token_stream(&file), &mut out);
    out
}

/// For each unconfirmed operation: its method name, builder name, table static and id literal exist
/// with the feature on and are gone with it off; the published operations are untouched.
fn check(spec: &ProviderSpec) -> usize {
    let files = sourcing_codegen::generate(spec).unwrap();
    let file = |suffix: &str| {
        &files
            .iter()
            .find(|f| f.path.ends_with(suffix))
            .unwrap()
            .contents
    };
    let rust: Vec<&String> = ["src/client.rs", "src/hooks.rs", "src/operations.rs"]
        .iter()
        .map(|s| file(s))
        .collect();
    let on: Vec<String> = rust.iter().flat_map(|s| visible_names(s, true)).collect();
    let off: Vec<String> = rust.iter().flat_map(|s| visible_names(s, false)).collect();
    let client = sourcing_codegen::client::generate(spec).unwrap();
    let mut unconfirmed = 0;
    for op in &spec.operations {
        let builder = &client.builders[&op.id];
        let names = [op.id.clone(), builder.clone(), op.id.to_uppercase()];
        for n in &names {
            assert!(on.contains(n), "{}: {n} missing with the feature on", op.id);
            assert_eq!(
                off.contains(n),
                op.evidence.is_none(),
                "{}: {n} with the feature off (unconfirmed = {})",
                op.id,
                op.evidence.is_some()
            );
        }
        if let Some(source) = &op.evidence {
            unconfirmed += 1;
            let docs = file("src/client.rs");
            assert!(
                docs.contains(&format!(
                    "**Unconfirmed by the vendor**: known from third-party clients ({source})"
                )),
                "{}: rustdoc",
                op.id
            );
            assert!(file("README.md").contains(&format!("| `{}` |", op.id)));
        }
    }
    assert!(file("Cargo.toml").contains("\nunconfirmed-endpoints = []\n"));
    unconfirmed
}

#[test]
fn the_feature_off_source_has_no_trace_of_unconfirmed_operations() {
    let spec = parse(&SPEC, Path::new("specs/demo.yaml")).unwrap();
    assert_eq!(check(&spec), 1);
}

#[test]
fn the_workspace_specs_gate_every_unconfirmed_operation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let specs = sourcing_codegen::load_all(root).unwrap();
    let counts: Vec<(String, usize)> = specs
        .iter()
        .map(|s| (s.meta.crate_name.clone(), check(s)))
        .collect();
    let count = |name: &str| counts.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(count("dajisaas"), 3);
    assert_eq!(count("xportcn"), 2);
    assert_eq!(count("pandapon"), 0);
}
