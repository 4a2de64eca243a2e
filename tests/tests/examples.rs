//! Every documented example embedded in a spec decodes into its generated type and re-encodes to a
//! semantically equal value (insta JSON snapshots); every example named after a published fixture file is
//! byte-for-byte that fixture's JSON.

use sourcing_runtime::Operation;
use sourcing_runtime::operation::ExampleKind;
use sourcing_tests::{fixtures_dir, normalize};

/// `signer_params`: names the signer adds to requests (Dajisaas `appKey`, `appSecret`, …). Published request
/// examples carry them, the generated body types deliberately do not: they are removed from the example
/// before comparing, and must not come back.
fn round_trip(provider: &str, operations: &[&Operation], signer_params: &[&str]) -> usize {
    let mut checked = 0;
    for op in operations {
        for ex in op.examples {
            let transcode = match ex.kind {
                ExampleKind::Request => op
                    .transcode_request
                    .unwrap_or_else(|| panic!("{}: request example but no body type", ex.name)),
                ExampleKind::Response => op.transcode_response,
            };
            let back = transcode(ex.json.as_bytes())
                .unwrap_or_else(|e| panic!("{} ({}) does not decode: {e}", ex.name, op.id));
            let mut original: serde_json::Value = serde_json::from_str(ex.json).unwrap();
            if ex.kind == ExampleKind::Request {
                for name in signer_params {
                    assert!(back.get(name).is_none(), "{}: {name} came back", ex.name);
                    if let Some(fields) = original.as_object_mut() {
                        fields.remove(*name);
                    }
                }
            }
            assert_eq!(
                normalize(back.clone()),
                normalize(original),
                "{} ({}) does not round-trip",
                ex.name,
                op.id
            );
            insta::assert_json_snapshot!(format!("{provider}__{}", ex.name), back);
            checked += 1;
        }
    }
    checked
}

/// Every published fixture of the provider is embedded in the spec (by file name).
fn every_fixture_is_embedded(provider: &str, operations: &[&Operation]) -> usize {
    let embedded: Vec<&str> = operations
        .iter()
        .flat_map(|op| op.examples.iter().map(|ex| ex.name))
        .collect();
    let mut fixtures = 0;
    for entry in std::fs::read_dir(fixtures_dir(provider)).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        let Some(name) = file.strip_suffix(".json") else {
            continue;
        };
        assert!(
            embedded.contains(&name),
            "fixture {provider}/{file} is not embedded in the spec"
        );
        fixtures += 1;
    }
    fixtures
}

/// Embedded examples are the published fixtures, unaltered, and no example is made up.
fn embedded_examples_are_fixtures(provider: &str, operations: &[&Operation]) {
    let dir = fixtures_dir(provider);
    for op in operations {
        for ex in op.examples {
            let file = dir.join(format!("{}.json", ex.name));
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
                panic!(
                    "example {} of {} names no fixture file {}: {e}",
                    ex.name,
                    op.id,
                    file.display()
                )
            });
            let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
            let embedded: serde_json::Value = serde_json::from_str(ex.json).unwrap();
            assert_eq!(
                embedded,
                fixture,
                "example {} differs from {}",
                ex.name,
                file.display()
            );
        }
    }
}

#[test]
fn pandapon_examples_round_trip() {
    let n = round_trip("pandapon", pandapon::operations::OPERATIONS, &[]);
    assert!(n >= 6, "only {n} pandapon examples checked");
}

#[test]
fn pandapon_examples_are_the_published_fixtures() {
    embedded_examples_are_fixtures("pandapon", pandapon::operations::OPERATIONS);
}

#[test]
fn xportcn_examples_round_trip() {
    let n = round_trip("xportcn", xportcn::operations::OPERATIONS, &[]);
    assert_eq!(n, 4, "xportcn examples checked");
}

#[test]
fn xportcn_examples_are_the_published_fixtures() {
    embedded_examples_are_fixtures("xportcn", xportcn::operations::OPERATIONS);
}

/// Every published Xportcn fixture of an API call is embedded in the spec; `webhook-*` fixtures are
/// callbacks the vendor pushes, not API calls, and belong to the webhook receiver.
#[test]
fn every_xportcn_api_fixture_is_embedded() {
    let embedded: Vec<&str> = xportcn::operations::OPERATIONS
        .iter()
        .flat_map(|op| op.examples.iter().map(|e| e.name))
        .collect();
    let mut fixtures: Vec<String> = std::fs::read_dir(fixtures_dir("xportcn"))
        .expect("xportcn fixtures")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_owned))
        .filter(|f| !f.starts_with("webhook-"))
        .collect();
    fixtures.sort();
    assert_eq!(fixtures.len(), 4, "{fixtures:?}");
    for f in &fixtures {
        assert!(
            embedded.contains(&f.as_str()),
            "fixture {f}.json is not embedded in specs/xportcn.yaml"
        );
    }
}

#[test]
fn dajisaas_examples_round_trip() {
    let n = round_trip(
        "dajisaas",
        dajisaas::operations::OPERATIONS,
        &sourcing_runtime::signing::SIGNER_PARAMS,
    );
    assert_eq!(n, 15, "dajisaas examples checked");
}

#[test]
fn dajisaas_examples_are_the_published_fixtures() {
    embedded_examples_are_fixtures("dajisaas", dajisaas::operations::OPERATIONS);
}

#[test]
fn every_dajisaas_fixture_is_embedded() {
    let n = every_fixture_is_embedded("dajisaas", dajisaas::operations::OPERATIONS);
    assert_eq!(n, 15, "dajisaas fixture files");
}
