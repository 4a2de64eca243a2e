//! The registry's generated lines (`sourcing_codegen::registry`): a spec's `Kit` line from what its
//! `x-sourcing` names, the order, the manifest's regions, the errors naming spec and key — and the workspace's
//! committed `crates/registry` files are exactly what its specs give.

use sourcing_codegen::registry::{self, KitEntry};
use sourcing_codegen::spec::{ProviderSpec, parse};
use std::path::Path;

/// The demo spec as crate `krate`, with `rust` (a YAML flow mapping, empty for none) under `x-sourcing`.
fn spec_with(krate: &str, rust: &str) -> Result<ProviderSpec, sourcing_codegen::CodegenError> {
    let text = crate::demo::spec("{type: string}", "", "").replacen(
        "crate: demo,",
        &format!("crate: {krate},"),
        1,
    );
    let text = match rust {
        "" => text,
        rust => text.replacen(
            "env-prefix: DEMO}",
            &format!("env-prefix: DEMO, rust: {rust}}}"),
            1,
        ),
    };
    parse(&text, Path::new(&format!("specs/{krate}.yaml")))
}

fn entry(krate: &str, rust: &str) -> Result<KitEntry, String> {
    registry::kit(&spec_with(krate, rust).unwrap()).map_err(|e| e.to_string())
}

#[test]
fn a_spec_without_flow_or_callbacks_is_its_api_alone() {
    let e = entry("demo", "").unwrap();
    assert_eq!(e.line(), "Kit::new(&demo::operations::PROVIDER),");
    assert_eq!(
        e.dependency(),
        "demo = { path = \"../../generated/demo\", version = \"0.2.0\", default-features = false }"
    );
}

#[test]
fn a_spec_naming_its_flow_and_callbacks_files_uses_the_generated_crates_items() {
    let e = entry("acme", "{flow: acme.flow.rs, callbacks: acme.callbacks.rs}").unwrap();
    assert_eq!(
        e.line(),
        "Kit::new(&acme::operations::PROVIDER).with_flow(acme::flow::flow()).with_callbacks(acme::callbacks::FACTORY),"
    );
    // One of the two: only that one.
    let e = entry("acme", "{callbacks: acme.callbacks.rs}").unwrap();
    assert_eq!(
        e.line(),
        "Kit::new(&acme::operations::PROVIDER).with_callbacks(acme::callbacks::FACTORY),"
    );
}

#[test]
fn the_acme_fixture_gives_the_line_new_provider_sh_expects() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/providers/acme/acme.yaml");
    let spec = sourcing_codegen::spec::load(&path, Path::new("specs/acme.yaml")).unwrap();
    let e = registry::kit(&spec).unwrap();
    assert_eq!(e.order, None);
    assert_eq!(
        e.line(),
        "Kit::new(&acme::operations::PROVIDER).with_flow(acme::flow::flow()).with_callbacks(acme::callbacks::FACTORY),"
    );
}

#[test]
fn a_spec_naming_rust_paths_uses_them() {
    let e = entry(
        "demo",
        "{kit: {order: 4, flow: \"sourcing_buy::providers::DEMO\", callbacks: \"sourcing_webhooks::formats::DEMO\"}}",
    )
    .unwrap();
    assert_eq!(e.order, Some(4));
    assert_eq!(
        e.line(),
        "Kit::new(&demo::operations::PROVIDER).with_flow(sourcing_buy::providers::DEMO).with_callbacks(sourcing_webhooks::formats::DEMO),"
    );
    // A path overrides the file's default item; a function of the crate is called.
    let e = entry(
        "demo",
        "{flow: demo.flow.rs, kit: {flow: \"demo::flow::registered()\"}}",
    )
    .unwrap();
    assert_eq!(
        e.line(),
        "Kit::new(&demo::operations::PROVIDER).with_flow(demo::flow::registered()),"
    );
}

#[test]
fn a_wrong_kit_is_refused_naming_the_spec_and_the_key() {
    let cases: &[(&str, &str)] = &[
        (
            "{kit: {flow: \"sourcing_buy::providers::\"}}",
            "specs/demo.yaml at /x-sourcing/rust/kit/flow: x-sourcing.rust.kit.flow \"sourcing_buy::providers::\": \"\" is not a Rust identifier",
        ),
        (
            "{kit: {flow: \"sourcing_buy providers PANDAPON\"}}",
            "at /x-sourcing/rust/kit/flow: x-sourcing.rust.kit.flow \"sourcing_buy providers PANDAPON\": \"sourcing_buy providers PANDAPON\" is not a Rust identifier",
        ),
        (
            "{kit: {callbacks: \"crate::callbacks::FACTORY\"}}",
            "at /x-sourcing/rust/kit/callbacks: x-sourcing.rust.kit.callbacks \"crate::callbacks::FACTORY\": `crate` would name the registry itself",
        ),
        (
            "{kit: {callbacks: FACTORY}}",
            "at /x-sourcing/rust/kit/callbacks: x-sourcing.rust.kit.callbacks \"FACTORY\": a path of one segment",
        ),
        (
            "{kit: {flow: \"other::flow::flow()\"}}",
            "it must start with a crate the registry depends on for it: `demo` (the generated crate) or `sourcing_buy`",
        ),
        (
            "{kit: {callbacks: \"sourcing_buy::providers::DEMO\"}}",
            "or `sourcing_webhooks`",
        ),
        (
            "{kit: {flow: \"demo::flow::provider(x)\"}}",
            "\"provider(x)\" is not a Rust identifier",
        ),
        (
            "{kit: {flow: 3}}",
            "at /x-sourcing/rust/kit/flow: x-sourcing.rust.kit.flow must be a string (a Rust path), not 3",
        ),
        (
            "{kit: {order: -1}}",
            "at /x-sourcing/rust/kit/order: x-sourcing.rust.kit.order must be a non-negative integer, not -1",
        ),
        (
            "{kit: {flows: \"demo::flow::flow()\"}}",
            "at /x-sourcing/rust/kit/flows: unknown key x-sourcing.rust.kit.flows: it takes order, flow, callbacks",
        ),
        (
            "{kit: \"demo::flow::flow()\"}",
            "at /x-sourcing/rust/kit: x-sourcing.rust.kit must be a mapping with order, flow, callbacks",
        ),
    ];
    for (rust, expected) in cases {
        let err = entry("demo", rust).expect_err(rust);
        assert!(
            err.starts_with("specs/demo.yaml at /x-sourcing/rust/kit"),
            "{rust}: {err}"
        );
        assert!(err.contains(expected), "{rust}: {err}");
    }
    // Generating the crate checks it too.
    let spec = spec_with("demo", "{kit: {flow: \"::\"}}").unwrap();
    let err = sourcing_codegen::generate(&spec).unwrap_err().to_string();
    assert!(err.contains("/x-sourcing/rust/kit/flow"), "{err}");
}

#[test]
fn ordered_first_by_number_then_by_crate_name_and_a_number_is_one_specs() {
    let specs = [
        spec_with("zeta", "").unwrap(),
        spec_with("beta", "{kit: {order: 2}}").unwrap(),
        spec_with("alpha", "").unwrap(),
        spec_with("omega", "{kit: {order: 1}}").unwrap(),
    ];
    let names: Vec<String> = registry::entries(&specs)
        .unwrap()
        .into_iter()
        .map(|e| e.crate_name)
        .collect();
    assert_eq!(names, ["omega", "beta", "alpha", "zeta"]);

    let clash = [
        spec_with("beta", "{kit: {order: 2}}").unwrap(),
        spec_with("omega", "{kit: {order: 2}}").unwrap(),
    ];
    let err = registry::entries(&clash).unwrap_err().to_string();
    assert_eq!(
        err,
        "specs/omega.yaml at /x-sourcing/rust/kit/order: x-sourcing.rust.kit.order 2 is also specs/beta.yaml's: each spec has its own place"
    );
}

#[test]
fn the_kit_list_and_the_manifest_regions_are_written_from_the_entries() {
    let specs = [
        spec_with("acme", "{flow: acme.flow.rs, callbacks: acme.callbacks.rs}").unwrap(),
        spec_with("demo", "{kit: {order: 1}}").unwrap(),
    ];
    let entries = registry::entries(&specs).unwrap();
    let kits = registry::kits_rs(&entries);
    assert!(
        kits.starts_with("// @generated by `cargo xtask regen` from specs/*.yaml. DO NOT EDIT"),
        "{kits}"
    );
    assert!(
        kits.contains(
            "    vec![\n        Kit::new(&demo::operations::PROVIDER),\n        Kit::new(&acme::operations::PROVIDER).with_flow(acme::flow::flow()).with_callbacks(acme::callbacks::FACTORY),\n    ]\n"
        ),
        "{kits}"
    );

    let (deps_begin, deps_end) = (
        registry::begin_marker("dependencies"),
        registry::end_marker("dependencies"),
    );
    let (feat_begin, feat_end) = (
        registry::begin_marker("unconfirmed-endpoints"),
        registry::end_marker("unconfirmed-endpoints"),
    );
    let current = format!(
        "[features]\nunconfirmed-endpoints = [\n    {feat_begin}\n    \"old/unconfirmed-endpoints\",\n    {feat_end}\n]\n\n[dependencies]\nkept = \"1\"\n{deps_begin}\nold = {{ path = \"x\" }}\n{deps_end}\n"
    );
    let written = registry::manifest(&current, &entries).unwrap();
    assert_eq!(
        written,
        format!(
            "[features]\nunconfirmed-endpoints = [\n    {feat_begin}\n    \"demo/unconfirmed-endpoints\",\n    \"acme/unconfirmed-endpoints\",\n    {feat_end}\n]\n\n[dependencies]\nkept = \"1\"\n{deps_begin}\ndemo = {{ path = \"../../generated/demo\", version = \"0.2.0\", default-features = false }}\nacme = {{ path = \"../../generated/acme\", version = \"0.2.0\", default-features = false }}\n{deps_end}\n"
        )
    );
    assert_eq!(
        registry::manifest(&written, &entries).unwrap(),
        written,
        "idempotent"
    );

    // A missing or repeated marker is an error naming it, not lines written somewhere else.
    let err = registry::manifest(&current.replace(&deps_end, ""), &entries).unwrap_err();
    assert!(err.contains(&format!("no line `{deps_end}`")), "{err}");
    let twice = format!("{current}{feat_begin}\n");
    let err = registry::manifest(&twice, &entries).unwrap_err();
    assert!(err.contains("is there 2 times"), "{err}");
}

/// The workspace's committed registry files are what its specs give (the same check as `regen --check`),
/// and they keep the providers' historical order.
#[test]
fn the_workspace_registry_lines_match_its_specs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let specs = sourcing_codegen::load_all(&root).unwrap();
    let files = registry::generate(&root, &specs).unwrap();
    assert_eq!(files.len(), 2);
    for f in &files {
        let committed = std::fs::read_to_string(root.join(&f.path)).unwrap();
        assert!(
            committed == f.contents,
            "{} differs from what specs/ give: run `cargo xtask regen`",
            f.path.display()
        );
    }
    let names: Vec<String> = registry::entries(&specs)
        .unwrap()
        .into_iter()
        .map(|e| e.crate_name)
        .collect();
    assert_eq!(names[..3], ["pandapon", "dajisaas", "xportcn"]);
    let kits = &files[1].contents;
    assert!(
        kits.contains("Kit::new(&pandapon::operations::PROVIDER).with_flow(sourcing_buy::providers::PANDAPON).with_callbacks(sourcing_webhooks::formats::PANDAPON),"),
        "{kits}"
    );
}
