//! The operation table's JSON Schemas (`Operation::input_schema`, `Operation::response_schema`): every one is
//! a valid, self-contained draft 2020-12 schema; the input schema names exactly the table's parameters (with
//! the documented `body_<name>` rule for a body property named like a query parameter); every published
//! response example validates against the response schema.

use serde_json::Value;
use sourcing_runtime::{ExampleKind, ParamLocation, Provider};

/// The one provider registry.
fn providers() -> impl Iterator<Item = &'static Provider> {
    sourcing_registry::providers().iter().copied()
}

fn compile(what: &str, schema: &Value) -> jsonschema::Validator {
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{what}: no 2020-12 dialect"
    );
    jsonschema::draft202012::new(schema).unwrap_or_else(|e| panic!("{what}: invalid schema: {e}"))
}

#[test]
fn input_schemas_name_exactly_the_parameters() {
    let mut checked = 0;
    for provider in providers() {
        for op in provider.operations {
            let what = format!("{}.{}", provider.name, op.id);
            let schema = op.input_schema_json().unwrap();
            compile(&what, &schema);
            let props = schema["properties"].as_object().unwrap();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut names: Vec<String> = op
                .params
                .iter()
                .map(|p| op.input_name(p).into_owned())
                .collect();
            for p in op.params {
                let name = op.input_name(p);
                assert!(props.contains_key(name.as_ref()), "{what}: {name} missing");
                if p.location == ParamLocation::Query {
                    assert_eq!(
                        required.contains(&name.as_ref()),
                        p.required,
                        "{what}: {name}"
                    );
                }
            }
            names.sort();
            let mut keys: Vec<String> = props.keys().cloned().collect();
            keys.sort();
            assert_eq!(names, keys, "{what}");
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked}");
}

#[test]
fn a_body_field_named_like_a_query_parameter_is_body_prefixed() {
    let op = pandapon::operations::PROVIDER.find("refund_info").unwrap();
    let schema = op.input_schema_json().unwrap();
    let props = schema["properties"].as_object().unwrap();
    assert!(props.contains_key("refundId") && props.contains_key("body_refundId"));
    let v = compile("refund_info", &schema);
    assert!(v.is_valid(&serde_json::json!({"refundId": "1", "body_refundId": "2"})));
    assert!(!v.is_valid(&serde_json::json!({"refundId": 1})));
    // Undocumented properties are accepted, as the vendors accept them (codegen/src/spec/input.rs).
    assert!(v.is_valid(&serde_json::json!({"refundId": "1", "unknown": "x"})));
}

#[test]
fn response_schemas_compile_and_published_response_examples_conform() {
    let mut validated = 0;
    let mut failures = Vec::new();
    for provider in providers() {
        for op in provider.operations {
            let what = format!("{}.{}", provider.name, op.id);
            let schema = op.response_schema_json().unwrap();
            let v = compile(&what, &schema);
            for ex in op.examples_of(ExampleKind::Response) {
                let value: Value = serde_json::from_str(ex.json).unwrap();
                let errors: Vec<String> = v
                    .iter_errors(&value)
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                if errors.is_empty() {
                    validated += 1;
                } else {
                    failures.push(format!("{what} {}: {}", ex.name, errors.join("; ")));
                }
            }
        }
    }
    eprintln!("response examples validated: {validated}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A published request example is a body: without the signer's own fields (Dajisaas `appKey`, …) and with a
/// body field named like a query parameter renamed `body_<name>`, it is a valid input for the operation
/// (query parameters aside: operations with a required query parameter are skipped).
#[test]
fn published_request_bodies_are_valid_inputs() {
    let mut validated = 0;
    let mut failures = Vec::new();
    for provider in providers() {
        for op in provider.operations {
            let schema = op.input_schema_json().unwrap();
            let v = compile(op.id, &schema);
            let query_required = op
                .params
                .iter()
                .any(|p| p.location == ParamLocation::Query && p.required);
            if query_required {
                continue;
            }
            for ex in op.examples_of(ExampleKind::Request) {
                let Value::Object(body) = serde_json::from_str::<Value>(ex.json).unwrap() else {
                    panic!("{}: a request example that is no object", ex.name)
                };
                let input: serde_json::Map<String, Value> = body
                    .into_iter()
                    .filter(|(k, _)| !sourcing_runtime::AuthStyle::AppKey.owns(k))
                    .map(|(k, v)| {
                        let name = op
                            .params
                            .iter()
                            .find(|p| p.location == ParamLocation::Body && p.name == k)
                            .map(|p| op.input_name(p).into_owned())
                            .unwrap_or(k);
                        (name, v)
                    })
                    .collect();
                let errors: Vec<String> = v
                    .iter_errors(&Value::Object(input))
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                if errors.is_empty() {
                    validated += 1;
                } else {
                    failures.push(format!(
                        "{}.{} {}: {}",
                        provider.name,
                        op.id,
                        ex.name,
                        errors.join("; ")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(validated > 15, "{validated}");
}
