//! Every documented example embedded in a spec decodes into its generated type and re-encodes to a
//! semantically equal value (insta JSON snapshots); every example named after a published fixture file is
//! byte-for-byte that fixture's JSON; every published fixture is embedded in some operation.

use serde_json::Value;
use sourcing_runtime::{ExampleKind, Operation};
use sourcing_tests::{fixtures_dir, normalize};

/// The semantic form a round trip is compared in: [`normalize`] (absent = `null` = `[]` = `{}`), plus
///
/// * a string holding a JSON object or array (`receiver`, `sort`, … — typed as `JsonString<T>`) is compared
///   as the JSON it holds: the typed value re-encodes its keys in field order, and the server parses it;
/// * a float with no fractional part equals the same integer when it is exactly representable (fields the
///   docs type as `number`, e.g. `quantity: 1`, decode into `f64` and re-encode as `1.0`). Integers beyond
///   2^53 never match a float, so an id squeezed through `f64` still fails.
fn semantic(v: Value) -> Value {
    fn expand(v: Value) -> Value {
        match v {
            Value::String(s) => {
                let t = s.trim_start();
                if (t.starts_with('{') || t.starts_with('['))
                    && let Ok(inner) = serde_json::from_str::<Value>(&s)
                {
                    return serde_json::json!({ "$json-in-string": expand(inner) });
                }
                Value::String(s)
            }
            Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                    Value::from(f as i64)
                }
                _ => Value::Number(n),
            },
            Value::Array(a) => Value::Array(a.into_iter().map(expand).collect()),
            Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, expand(v))).collect()),
            other => other,
        }
    }
    normalize(expand(v))
}

/// The names each operation's signing scheme adds to requests (`Scheme::params`: Dajisaas `appKey`,
/// `appSecret`, …). Published request examples carry them, the generated body types deliberately do not:
/// they are removed from the example before comparing, and must not come back.
fn round_trip(provider: &str, operations: &[&Operation]) -> usize {
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
            let mut original: Value = serde_json::from_str(ex.json).unwrap();
            if ex.kind == ExampleKind::Request {
                for name in op.auth.params().iter().map(|p| p.name) {
                    assert!(back.get(name).is_none(), "{}: {name} came back", ex.name);
                    if let Some(fields) = original.as_object_mut() {
                        fields.remove(name);
                    }
                }
            }
            assert_eq!(
                semantic(back.clone()),
                semantic(original),
                "{} ({}) does not round-trip",
                ex.name,
                op.id
            );
            // Snapshots keep their names and folder from when this module was the `examples` test binary.
            insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_json_snapshot!(format!("examples__{provider}__{}", ex.name), back);
            });
            checked += 1;
        }
    }
    checked
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

/// Every published fixture of `provider` (except those `skip` names) is embedded, under its file name, in
/// some operation: no example is left out of the spec.
fn fixtures_are_embedded(
    provider: &str,
    operations: &[&Operation],
    skip: fn(&str) -> bool,
) -> usize {
    let dir = fixtures_dir(provider);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_owned))
        .filter(|f| !skip(f))
        .collect();
    names.sort();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| {
            !operations
                .iter()
                .any(|op| op.examples.iter().any(|ex| ex.name == n.as_str()))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "published {provider} fixtures not embedded in any operation: {missing:?}"
    );
    names.len()
}

#[test]
fn pandapon_examples_round_trip() {
    let n = round_trip("pandapon", pandapon::operations::OPERATIONS);
    assert!(n >= 41, "only {n} pandapon examples checked");
}

#[test]
fn every_pandapon_fixture_is_embedded() {
    let n = fixtures_are_embedded("pandapon", pandapon::operations::OPERATIONS, |_| false);
    assert_eq!(n, 41, "the PandaPon fixture folder changed: {n} files");
}

#[test]
fn semantic_comparison_is_not_too_lenient() {
    use serde_json::json;
    // Key order inside a JSON-in-a-string field does not matter; its content does.
    assert_eq!(
        semantic(json!({"sort": "{\"price\":\"asc\",\"x\":1}"})),
        semantic(json!({"sort": "{\"x\":1,\"price\":\"asc\"}"}))
    );
    assert_ne!(
        semantic(json!({"sort": "{\"price\":\"asc\"}"})),
        semantic(json!({"sort": "{\"price\":\"desc\"}"}))
    );
    // 1 == 1.0, but a 19-digit id rounded through f64 is not the id.
    assert_eq!(semantic(json!({"q": 1})), semantic(json!({"q": 1.0})));
    assert_ne!(
        semantic(json!({"id": 2542285634920880794u64})),
        semantic(json!({"id": 2542285634920880794u64 as f64}))
    );
    assert_ne!(semantic(json!({"q": 1})), semantic(json!({"q": 1.5})));
    // A JSON string is not the object it holds.
    assert_ne!(
        semantic(json!({"a": "{\"b\":1}"})),
        semantic(json!({"a": {"b": 1}}))
    );
}

#[test]
fn pandapon_examples_are_the_published_fixtures() {
    embedded_examples_are_fixtures("pandapon", pandapon::operations::OPERATIONS);
}

#[test]
fn xportcn_examples_round_trip() {
    let n = round_trip("xportcn", xportcn::operations::OPERATIONS);
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
    let n = fixtures_are_embedded("xportcn", xportcn::operations::OPERATIONS, |f| {
        f.starts_with("webhook-")
    });
    assert_eq!(n, 4, "xportcn API fixture files");
}

#[test]
fn dajisaas_examples_round_trip() {
    let n = round_trip("dajisaas", dajisaas::operations::OPERATIONS);
    assert_eq!(n, 15, "dajisaas examples checked");
}

#[test]
fn dajisaas_examples_are_the_published_fixtures() {
    embedded_examples_are_fixtures("dajisaas", dajisaas::operations::OPERATIONS);
}

#[test]
fn every_dajisaas_fixture_is_embedded() {
    let n = fixtures_are_embedded("dajisaas", dajisaas::operations::OPERATIONS, |_| false);
    assert_eq!(n, 15, "dajisaas fixture files");
}
