//! Spec and sandbox agree, for every operation of every provider (property-based): a request the
//! operation's input schema allows is never refused, and one it refuses is never accepted.
//!
//! Requests start from a value generated from the input schema (a random seed), lose a random subset of
//! their optional fields, and then get at most one random mutation: a value of another type, `null`, a field
//! removed, an integer beyond its bounds, an empty array, an undocumented property (accepted: the vendors'
//! own examples send fields their tables do not list, see `codegen/src/spec/input.rs`). The referee is a
//! plain draft 2020-12 validator over the wire request as the schema describes it: query values are text,
//! read as their schema's type (integer, number, boolean); a JSON-in-string field must hold JSON text
//! (`contentMediaType: application/json`) or be empty. "Accepted" is HTTP 200 (a business failure, e.g. an
//! unknown order, is an accepted request); "refused" is HTTP 400.
//!
//! The query-signed operations (`QueryTimestampSign`) also need a valid `sign` by the sandbox's own rule: a
//! tampered or missing one is a 401.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use sourcing_runtime::operation::{Operation, ParamLocation, Provider};
use sourcing_runtime::{AuthStyle, Runtime};
use sourcing_sandbox::{Sandbox, SandboxSigner};
use std::collections::BTreeMap;

/// Cases per operation.
const CASES: u32 = 24;

#[derive(Clone, Debug)]
enum Mutation {
    None,
    OtherType(usize),
    Null(usize),
    Remove(usize),
    OutOfRange(usize),
    EmptyArray(usize),
    Undocumented(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0usize..1000;
    prop_oneof![
        2 => Just(Mutation::None),
        1 => at.clone().prop_map(Mutation::OtherType),
        1 => at.clone().prop_map(Mutation::Null),
        1 => at.clone().prop_map(Mutation::Remove),
        1 => at.clone().prop_map(Mutation::OutOfRange),
        1 => at.clone().prop_map(Mutation::EmptyArray),
        1 => at.prop_map(Mutation::Undocumented),
    ]
}

/// JSON pointers of every node below the root.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        _ => {}
    }
}

fn pick(list: &[String], at: usize) -> Option<&String> {
    (!list.is_empty()).then(|| &list[at % list.len()])
}

fn apply(input: &mut Value, m: &Mutation) {
    let mut all = Vec::new();
    pointers(input, String::new(), &mut all);
    let parent_and_key = |p: &str| {
        let (parent, key) = p.rsplit_once('/').unwrap();
        (
            parent.to_string(),
            key.replace("~1", "/").replace("~0", "~"),
        )
    };
    match *m {
        Mutation::None => {}
        Mutation::OtherType(at) => {
            if let Some(p) = pick(&all, at) {
                let v = input.pointer_mut(p).unwrap();
                *v = match v {
                    Value::String(_) => json!(17),
                    Value::Number(_) => json!("seventeen"),
                    Value::Bool(_) => json!("yes"),
                    Value::Array(_) => json!({"not": "a list"}),
                    Value::Object(_) => json!(["not", "an object"]),
                    Value::Null => json!(false),
                };
            }
        }
        Mutation::Null(at) => {
            if let Some(p) = pick(&all, at) {
                *input.pointer_mut(p).unwrap() = Value::Null;
            }
        }
        Mutation::Remove(at) => {
            if let Some(p) = pick(&all, at) {
                let (parent, key) = parent_and_key(p);
                match input.pointer_mut(&parent) {
                    Some(Value::Object(o)) => {
                        o.remove(&key);
                    }
                    Some(Value::Array(a)) => {
                        a.remove(key.parse::<usize>().unwrap());
                    }
                    _ => {}
                }
            }
        }
        Mutation::OutOfRange(at) => {
            let numbers: Vec<String> = all
                .iter()
                .filter(|p| input.pointer(p).is_some_and(Value::is_i64))
                .cloned()
                .collect();
            if let Some(p) = pick(&numbers, at) {
                let v = input.pointer_mut(p).unwrap();
                *v = if at % 2 == 0 {
                    json!(-1)
                } else {
                    json!(100_000_000_000_000_000_000u128 as f64)
                };
            }
        }
        Mutation::EmptyArray(at) => {
            let arrays: Vec<String> = all
                .iter()
                .filter(|p| input.pointer(p).is_some_and(Value::is_array))
                .cloned()
                .collect();
            if let Some(p) = pick(&arrays, at) {
                *input.pointer_mut(p).unwrap() = json!([]);
            }
        }
        Mutation::Undocumented(at) => {
            let objects: Vec<String> = std::iter::once(String::new())
                .chain(
                    all.iter()
                        .filter(|p| input.pointer(p).is_some_and(Value::is_object))
                        .cloned(),
                )
                .collect();
            let p = &objects[at % objects.len()];
            if let Some(Value::Object(o)) = input.pointer_mut(p) {
                o.insert("zzUndocumentedExtra".into(), json!("x"));
            }
        }
    }
}

/// Drop the optional top-level fields whose bit in `mask` is set.
fn drop_optional(op: &Operation, input: &mut Value, mask: u64) {
    let schema: Value = serde_json::from_str(op.input_schema).unwrap();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Value::Object(m) = input {
        let names: Vec<String> = m.keys().cloned().collect();
        for (i, k) in names.iter().enumerate() {
            if !required.contains(&k.as_str()) && mask & (1 << (i % 64)) != 0 {
                m.remove(k);
            }
        }
    }
}

/// What the schema sees of a wire request: query text read as the parameter schema's type.
fn as_schema_sees(
    op: &Operation,
    schema: &Value,
    query: &[(String, String)],
    body: &Option<Value>,
) -> Value {
    let mut out = Map::new();
    for (k, t) in query {
        let types = schema["properties"][k.as_str()]["type"].clone();
        let wants = |name: &str| match &types {
            Value::String(s) => s == name,
            Value::Array(a) => a.iter().any(|x| x == name),
            _ => false,
        };
        let parsed: Option<Value> = serde_json::from_str(t.trim()).ok();
        let v = match parsed {
            _ if wants("string") => json!(t),
            Some(n @ Value::Number(_)) if wants("integer") || wants("number") => n,
            Some(b @ Value::Bool(_)) if wants("boolean") => b,
            _ => json!(t),
        };
        out.insert(k.clone(), v);
    }
    if let Some(Value::Object(b)) = body {
        for (k, v) in b {
            let name = op
                .params
                .iter()
                .find(|p| p.name == k && p.location == ParamLocation::Body)
                .map_or_else(|| k.clone(), |p| op.input_name(p).into_owned());
            out.insert(name, v.clone());
        }
    }
    Value::Object(out)
}

/// The referee: schema-valid, and every JSON-in-string field empty or JSON text.
fn allowed(op: &Operation, validator: &jsonschema::Validator, instance: &Value) -> bool {
    validator.is_valid(instance)
        && op.params.iter().filter(|p| p.json_string).all(|p| {
            match instance.get(&*op.input_name(p)) {
                Some(Value::String(s)) => {
                    s.trim().is_empty() || serde_json::from_str::<Value>(s).is_ok()
                }
                _ => true,
            }
        })
}

struct Outcome {
    status: u16,
    body: String,
}

/// Where requests go and how they are signed.
struct Target<'a> {
    sandbox: &'a Sandbox,
    runtime: &'a Runtime,
    http: &'a reqwest::Client,
}

async fn send(
    t: &Target<'_>,
    provider: &Provider,
    op: &Operation,
    query: &[(String, String)],
    body: &Option<Value>,
    tamper_sign: bool,
) -> Outcome {
    let (runtime, http) = (t.runtime, t.http);
    let url = format!("{}{}", t.sandbox.base_url(provider.name), op.path);
    let mut b = http
        .request(
            reqwest::Method::from_bytes(op.method.as_bytes()).unwrap(),
            url,
        )
        .query(query);
    if let Some(v) = body {
        b = b
            .header("content-type", "application/json")
            .body(serde_json::to_vec(v).unwrap());
    }
    let mut request = b.build().unwrap();
    runtime.sign(&mut request, op).unwrap();
    if tamper_sign {
        let pairs: Vec<(String, String)> = request
            .url()
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "sign" {
                    format!("{v}0")
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        request
            .url_mut()
            .query_pairs_mut()
            .clear()
            .extend_pairs(pairs);
    }
    let response = http.execute(request).await.unwrap();
    Outcome {
        status: response.status().as_u16(),
        body: response.text().await.unwrap(),
    }
}

#[derive(Default, Debug)]
struct Tally {
    valid: usize,
    invalid: usize,
}

#[test]
fn no_valid_request_is_refused_and_no_invalid_one_accepted() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(Sandbox::start()).unwrap();
    let runtime = Runtime::new(SandboxSigner::new());
    let http = runtime.http_client();
    let target = Target {
        sandbox: &sandbox,
        runtime: &runtime,
        http: &http,
    };
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    for provider in sourcing_registry::providers() {
        for op in provider.operations {
            let schema: Value = serde_json::from_str(op.input_schema).unwrap();
            let validator = jsonschema::draft202012::new(&schema).unwrap();
            let mut runner = TestRunner::new(Config {
                cases: CASES,
                failure_persistence: None,
                ..Config::default()
            });
            let counts = std::cell::Cell::new((0usize, 0usize));
            let strategy = (any::<u64>(), any::<u64>(), mutation());
            runner
                .run(&strategy, |(seed, mask, m)| {
                    let mut input = sourcing_sandbox::generate::generate(&schema, &schema, seed);
                    drop_optional(op, &mut input, mask);
                    apply(&mut input, &m);
                    let (query, body) = crate::conformance::split(op, &input);
                    let expected = allowed(op, &validator, &as_schema_sees(op, &schema, &query, &body));
                    let got = rt.block_on(send(&target, provider, op, &query, &body, false));
                    let want = if expected { 200 } else { 400 };
                    let (v, i) = counts.get();
                    counts.set(if expected { (v + 1, i) } else { (v, i + 1) });
                    if got.status != want {
                        return Err(TestCaseError::fail(format!(
                            "{}::{} {m:?}: schema says {}, sandbox answered {}: {} (query {query:?}, body {body:?})",
                            provider.name,
                            op.id,
                            if expected { "valid" } else { "invalid" },
                            got.status,
                            got.body
                        )));
                    }
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{e}"));
            let row = tally.entry(provider.name).or_default();
            row.valid += counts.get().0;
            row.invalid += counts.get().1;
        }
    }
    let (mut valid, mut invalid) = (0, 0);
    for (name, t) in &tally {
        eprintln!(
            "{name}: {} valid requests accepted, {} invalid refused",
            t.valid, t.invalid
        );
        valid += t.valid;
        invalid += t.invalid;
    }
    let ops: usize = sourcing_registry::providers()
        .iter()
        .map(|p| p.operations.len())
        .sum();
    assert_eq!(valid + invalid, ops * CASES as usize);
    // Both classes are exercised.
    assert!(valid > ops && invalid > ops, "{tally:?}");
}

#[test]
fn query_signed_operations_check_the_sandbox_rule() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(Sandbox::start()).unwrap();
    let runtime = Runtime::new(SandboxSigner::new());
    let http = runtime.http_client();
    let target = Target {
        sandbox: &sandbox,
        runtime: &runtime,
        http: &http,
    };
    let mut checked = 0;
    for provider in sourcing_registry::providers() {
        for op in provider
            .operations
            .iter()
            .filter(|o| o.auth == AuthStyle::QueryTimestampSign)
        {
            let schema: Value = serde_json::from_str(op.input_schema).unwrap();
            let input = sourcing_sandbox::generate::generate(&schema, &schema, 7);
            let (query, body) = crate::conformance::split(op, &input);
            let ok = rt.block_on(send(&target, provider, op, &query, &body, false));
            assert_eq!(ok.status, 200, "{}::{}: {}", provider.name, op.id, ok.body);
            let bad = rt.block_on(send(&target, provider, op, &query, &body, true));
            assert_eq!(
                bad.status, 401,
                "{}::{}: {}",
                provider.name, op.id, bad.body
            );
            assert!(bad.body.contains("sign mismatch"), "{}", bad.body);
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked} query-signed operations");
}
