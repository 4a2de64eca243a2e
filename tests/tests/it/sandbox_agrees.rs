//! Spec and sandbox agree, for every operation of every provider (property-based): a request the
//! operation's input schema allows is never refused, and one it refuses is never accepted.
//!
//! Requests start from a value generated from the input schema (a random seed), lose a random subset of
//! their optional fields, and then get at most one random mutation: a value of another type, `null`, a field
//! removed, an integer beyond its bounds, an integer token just beyond int64 (`-9223372036854775809`,
//! `9223372036854775808`, sent as written), an empty array, an undocumented property (accepted in a body:
//! the vendors' own examples send fields their tables do not list, see `codegen/src/spec/input.rs`; refused
//! as a query parameter, which OpenAPI declares one by one), a string that is not JSON in a JSON-in-string
//! field. The referee is a plain draft 2020-12 validator over the wire request as the schema describes it:
//! query values are text, read as their schema's type (integer, number, boolean); an integer beyond int64 is
//! given to it as `±1e19`. Its verdict decides the answer:
//! * schema-invalid: HTTP 400 with the provider's error envelope, which validates against the spec's
//!   failure envelope (`ErrorEnvelope`, the `default` response);
//! * schema-valid, but a JSON-in-string field (`contentMediaType: application/json`) holds text that is not
//!   JSON, which OpenAPI 3.0 cannot state: HTTP 200 with the failure envelope, code 400 (how the vendors
//!   answer business failures);
//! * otherwise accepted: HTTP 200 (a business failure, e.g. an unknown order, is an accepted request).
//!
//! Every HTTP 200 answer, success or failure, validates against the operation's whole 200 response schema
//! (`anyOf: [success envelope, failure envelope]`).
//!
//! The query-signed operations (`QueryTimestampSign`) also need a valid `sign` by the sandbox's own rule: a
//! tampered or missing one is a 401.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use sourcing_runtime::{AuthStyle, Operation, ParamLocation, Provider, Runtime};
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
    BeyondInt64(usize),
    NotJson(usize),
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
        1 => at.clone().prop_map(Mutation::BeyondInt64),
        1 => at.clone().prop_map(Mutation::NotJson),
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

/// Stand-ins for integer tokens beyond int64, replaced in the wire request (a `serde_json::Value` cannot
/// hold them) and given to the referee as `∓1e19`.
const BELOW_INT64: (&str, &str, f64) = ("@below-int64@", "-9223372036854775809", -1e19);
const ABOVE_INT64: (&str, &str, f64) = ("@above-int64@", "9223372036854775808", 1e19);

/// `v` with the stand-ins as the referee reads them.
fn for_referee(v: &Value) -> Value {
    match v {
        Value::String(s) => match [BELOW_INT64, ABOVE_INT64].iter().find(|m| m.0 == s) {
            Some(m) => json!(m.2),
            None => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(for_referee).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), for_referee(x))).collect())
        }
        other => other.clone(),
    }
}

/// Text with the stand-ins written as the integer tokens they stand for (a JSON body or a query value).
fn on_the_wire(text: &str) -> String {
    let mut out = text.to_owned();
    for (marker, token, _) in [BELOW_INT64, ABOVE_INT64] {
        out = out
            .replace(&format!("\"{marker}\""), token)
            .replace(marker, token);
    }
    out
}

fn apply(op: &Operation, input: &mut Value, m: &Mutation) {
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
        Mutation::BeyondInt64(at) => {
            let numbers: Vec<String> = all
                .iter()
                .filter(|p| input.pointer(p).is_some_and(Value::is_i64))
                .cloned()
                .collect();
            if let Some(p) = pick(&numbers, at) {
                let marker = if at % 2 == 0 {
                    BELOW_INT64
                } else {
                    ABOVE_INT64
                };
                *input.pointer_mut(p).unwrap() = json!(marker.0);
            }
        }
        Mutation::NotJson(at) => {
            let fields: Vec<String> = op
                .params
                .iter()
                .filter(|p| p.json_string)
                .map(|p| op.input_name(p).into_owned())
                .collect();
            if let Some(name) = pick(&fields, at) {
                input[name.as_str()] = json!("{\"price\":");
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

/// What the referee expects of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expected {
    /// HTTP 200, the answer (success or business failure).
    Accepted,
    /// HTTP 200, the failure envelope with code 400: schema-valid, but a JSON-in-string field is not JSON.
    ContentRefused,
    /// HTTP 400, the error envelope.
    Refused,
}

/// The referee: schema-valid with only declared query parameters; then every JSON-in-string field empty or
/// JSON text.
fn referee(
    op: &Operation,
    validator: &jsonschema::Validator,
    query: &[(String, String)],
    instance: &Value,
) -> Expected {
    let declared = |k: &str| {
        op.params
            .iter()
            .any(|p| p.location == ParamLocation::Query && p.name == k)
    };
    if !validator.is_valid(instance) || !query.iter().all(|(k, _)| declared(k)) {
        return Expected::Refused;
    }
    let json_text = op.params.iter().filter(|p| p.json_string).all(|p| {
        match instance.get(&*op.input_name(p)) {
            Some(Value::String(s)) => {
                s.trim().is_empty() || serde_json::from_str::<Value>(s).is_ok()
            }
            _ => true,
        }
    });
    if json_text {
        Expected::Accepted
    } else {
        Expected::ContentRefused
    }
}

/// The spec's schemas of `op`'s answers: the whole 200 response, and the failure envelope alone (the
/// `default` response's `ErrorEnvelope`, the second branch of the 200's `anyOf`).
struct Answers {
    ok: jsonschema::Validator,
    error: jsonschema::Validator,
}

impl Answers {
    fn of(op: &Operation) -> Self {
        let whole: Value = serde_json::from_str(op.response_schema).unwrap();
        let mut failure = whole.clone();
        let branch = whole["anyOf"][1].clone();
        assert_eq!(
            branch["$ref"], "#/$defs/ErrorEnvelope",
            "{}: the 200 response lists the failure envelope",
            op.id
        );
        failure.as_object_mut().unwrap().remove("anyOf");
        failure["$ref"] = branch["$ref"].clone();
        Answers {
            ok: jsonschema::draft202012::new(&whole).unwrap(),
            error: jsonschema::draft202012::new(&failure).unwrap(),
        }
    }
}

/// `Err` says how the answer differs from what `expected` needs.
fn judge(expected: Expected, got: &Outcome, answers: &Answers) -> Result<(), String> {
    let body: Value = serde_json::from_str(&got.body).map_err(|e| format!("not JSON: {e}"))?;
    let (status, schema, name) = match expected {
        Expected::Refused => (400, &answers.error, "the failure envelope"),
        _ => (200, &answers.ok, "the 200 response schema"),
    };
    if got.status != status {
        return Err(format!("expected HTTP {status}, got {}", got.status));
    }
    if let Some(e) = schema.iter_errors(&body).next() {
        return Err(format!(
            "the answer does not validate against {name}: {e} at {}",
            e.instance_path()
        ));
    }
    if expected == Expected::ContentRefused && body["code"] != json!(400) {
        return Err("expected the failure envelope with code 400".into());
    }
    if expected == Expected::Accepted && body["code"] == json!(400) {
        return Err("a valid request answered with the content failure".into());
    }
    Ok(())
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
        .query(
            &query
                .iter()
                .map(|(k, v)| (k.clone(), on_the_wire(v)))
                .collect::<Vec<_>>(),
        );
    if let Some(v) = body {
        b = b
            .header("content-type", "application/json")
            .body(on_the_wire(&v.to_string()));
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
    content: usize,
    beyond_int64: usize,
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
            let answers = Answers::of(op);
            let counts = std::cell::RefCell::new(Tally::default());
            let strategy = (any::<u64>(), any::<u64>(), mutation());
            runner
                .run(&strategy, |(seed, mask, m)| {
                    let mut input = sourcing_sandbox::generate::generate(&schema, &schema, seed);
                    drop_optional(op, &mut input, mask);
                    apply(op, &mut input, &m);
                    let (query, body) = crate::conformance::split(op, &input);
                    let (rq, rb) = crate::conformance::split(op, &for_referee(&input));
                    let instance = as_schema_sees(op, &schema, &rq, &rb);
                    let expected = referee(op, &validator, &rq, &instance);
                    let got = rt.block_on(send(&target, provider, op, &query, &body, false));
                    {
                        let mut t = counts.borrow_mut();
                        match expected {
                            Expected::Accepted => t.valid += 1,
                            Expected::ContentRefused => t.content += 1,
                            Expected::Refused => t.invalid += 1,
                        }
                        if matches!(m, Mutation::BeyondInt64(_)) && expected == Expected::Refused {
                            t.beyond_int64 += 1;
                        }
                    }
                    judge(expected, &got, &answers).map_err(|why| {
                        TestCaseError::fail(format!(
                            "{}::{} {m:?}: the referee expects {expected:?}; {why}: {} (query {query:?}, body {body:?})",
                            provider.name, op.id, got.body
                        ))
                    })
                })
                .unwrap_or_else(|e| panic!("{e}"));
            let c = counts.into_inner();
            let row = tally.entry(provider.name).or_default();
            row.valid += c.valid;
            row.invalid += c.invalid;
            row.content += c.content;
            row.beyond_int64 += c.beyond_int64;
        }
    }
    let mut all = Tally::default();
    for (name, t) in &tally {
        eprintln!(
            "{name}: {} valid requests accepted, {} invalid refused ({} beyond int64), {} non-JSON text answered as failures",
            t.valid, t.invalid, t.beyond_int64, t.content
        );
        all.valid += t.valid;
        all.invalid += t.invalid;
        all.content += t.content;
        all.beyond_int64 += t.beyond_int64;
    }
    let ops: usize = sourcing_registry::providers()
        .iter()
        .map(|p| p.operations.len())
        .sum();
    assert_eq!(all.valid + all.invalid + all.content, ops * CASES as usize);
    // Every class is exercised.
    assert!(all.valid > ops && all.invalid > ops, "{tally:?}");
    assert!(all.content >= 5 && all.beyond_int64 >= 10, "{tally:?}");
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
