//! The sandbox keeps to the spec, checked by an outside referee (a plain draft 2020-12 validator over the
//! operation table's JSON Schemas):
//! - every operation of every provider, called with a valid signed request (its published request example,
//!   or input generated from its input schema), answers HTTP 200 with a body that validates against the
//!   operation's `response_schema` and decodes into the generated type;
//! - the same request gets the same answer;
//! - the sandbox refuses what the input schemas refuse (nulls for non-nullable fields, integers beyond their
//!   `format`, negative sizes under a `minimum`, a non-object body) with a 400 in the provider's envelope that
//!   names the field, and accepts what they allow (required-and-nullable null, `""` in JSON-in-string fields,
//!   integers without a format beyond i64).

use serde_json::{Map, Value, json};
use sourcing_runtime::{ExampleKind, Operation, ParamLocation, Provider, Runtime};
use sourcing_sandbox::{AnswerSource, Sandbox, SandboxSigner};
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn validator(text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(text).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect()
}

/// Names the signature scheme adds (published request examples carry empty `appKey`/`appSecret`).
fn credential(op: &Operation, name: &str) -> bool {
    op.auth.owns(name)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Input generated from `op`'s input schema (schema naming: a body field that shares a query parameter's
/// name is `body_<name>`), checked valid by the referee.
fn generated_input(op: &Operation) -> Value {
    let schema: Value = serde_json::from_str(op.input_schema).unwrap();
    let mut generated = sourcing_sandbox::generate::generate(&schema, &schema, 1);
    for p in op.params.iter().filter(|p| p.json_string) {
        // A JSON-in-string field holds JSON text; to the generator it is only a string.
        if let Some(v) = generated.get_mut(&*op.input_name(p))
            && v.is_string()
        {
            *v = json!("{}");
        }
    }
    let problems = errors(&validator(op.input_schema), &generated);
    assert!(
        problems.is_empty(),
        "{}: generated input {generated} is refused by its own schema: {problems:?}",
        op.id
    );
    generated
}

/// Split an input in schema naming into query parameters (as text) and the JSON body.
pub(crate) fn split(op: &Operation, input: &Value) -> (Vec<(String, String)>, Option<Value>) {
    let mut query = Vec::new();
    let mut body = Map::new();
    for (k, v) in input.as_object().cloned().unwrap_or_default() {
        match op.params.iter().find(|p| *op.input_name(p) == *k) {
            Some(p) if p.location == ParamLocation::Query => {
                if !v.is_null() {
                    query.push((k, text(&v)));
                }
            }
            Some(p) => {
                body.insert(p.name.to_string(), v);
            }
            // Names only the schema knows (open bodies, undocumented ones): into the body, or the query of an
            // operation without a body.
            None if op.has_body => {
                body.insert(k, v);
            }
            None => query.push((k, text(&v))),
        }
    }
    (query, op.has_body.then_some(Value::Object(body)))
}

/// A valid request for `op`: generated input, its body replaced by the first published request example
/// when there is one (without the empty credentials the vendor's examples carry).
fn inputs(op: &Operation) -> (Vec<(String, String)>, Option<Value>) {
    let (query, body) = split(op, &generated_input(op));
    let example = op
        .examples_of(ExampleKind::Request)
        .next()
        .map(|e| serde_json::from_str::<Value>(e.json).unwrap());
    let body = match (body, example) {
        (Some(_), Some(Value::Object(mut m))) => {
            m.retain(|k, _| !credential(op, k));
            Some(Value::Object(m))
        }
        (body, _) => body,
    };
    (query, body)
}

struct Answer {
    status: u16,
    allow: Option<String>,
    body: Value,
}

async fn send(
    sandbox: &Sandbox,
    provider: &Provider,
    op: &Operation,
    method: &str,
    query: &[(String, String)],
    body: Option<Vec<u8>>,
    signed: bool,
) -> Answer {
    // One client for the whole test binary (building one loads TLS roots).
    static RUNTIME: OnceLock<(Runtime, reqwest::Client)> = OnceLock::new();
    let (runtime, http) = RUNTIME.get_or_init(|| {
        let runtime = Runtime::new(SandboxSigner::new());
        let http = runtime.http_client();
        (runtime, http)
    });
    let url = format!("{}{}", sandbox.base_url(provider.name), op.path);
    let mut b = http
        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
        .query(query);
    if let Some(bytes) = body {
        b = b.header("content-type", "application/json").body(bytes);
    }
    let mut request = b.build().unwrap();
    // Signed, but without the client's own limit checks: the sandbox must refuse bad input by itself.
    // A body that is not an object cannot carry Dajisaas's body credentials: sent unsigned.
    if signed {
        runtime
            .sign(&mut request, op)
            .unwrap_or_else(|e| panic!("{}: refused before sending: {e}", op.id));
    }
    let response = http.execute(request).await.unwrap();
    let status = response.status().as_u16();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{}: answer is not JSON ({e}): {bytes:?}", op.id));
    Answer {
        status,
        allow,
        body,
    }
}

async fn call(
    sandbox: &Sandbox,
    provider: &Provider,
    op: &Operation,
    query: &[(String, String)],
    body: Option<&Value>,
) -> Answer {
    let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
    send(sandbox, provider, op, op.method, query, bytes, true).await
}

#[tokio::test]
async fn every_operation_answers_what_its_response_schema_allows() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut report: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for provider in sourcing_registry::providers() {
        for op in provider.operations {
            let (query, body) = inputs(op);
            // The sandbox pays, cancels and reads only orders it knows.
            for id in sourcing_tests::requested_order_ids(&query, body.as_ref()) {
                sandbox.seed_order(&id);
            }
            let answer = call(&sandbox, provider, op, &query, body.as_ref()).await;
            assert_eq!(
                answer.status, 200,
                "{}::{} with query {query:?} body {body:?}: {}",
                provider.name, op.id, answer.body
            );
            let problems = errors(&validator(op.response_schema), &answer.body);
            assert!(
                problems.is_empty(),
                "{}::{} answered {} which its response schema refuses: {problems:?}",
                provider.name,
                op.id,
                answer.body
            );
            (op.transcode_response)(answer.body.to_string().as_bytes()).unwrap_or_else(|e| {
                panic!(
                    "{}::{}: the generated type refuses {}: {e}",
                    provider.name, op.id, answer.body
                )
            });
            // Deterministic: the same read, the same data (writes such as order creation change state).
            if op.effect == sourcing_runtime::Effect::Read {
                let again = call(&sandbox, provider, op, &query, body.as_ref()).await;
                assert_eq!(
                    again.body["data"], answer.body["data"],
                    "{}::{}",
                    provider.name, op.id
                );
            }
            let row = report.entry(provider.name).or_default();
            row[0] += 1;
            match sourcing_sandbox::answer_source(provider, op) {
                AnswerSource::Example(_) => row[1] += 1,
                AnswerSource::Generated => row[2] += 1,
                AnswerSource::Fallback => row[3] += 1,
            }
        }
    }
    for (name, [ops, examples, generated, fallback]) in &report {
        eprintln!(
            "{name}: {ops} operations answered and validated ({examples} published examples, {generated} generated, {fallback} without schema)"
        );
        assert_eq!(
            *fallback, 0,
            "{name}: every operation has a response schema"
        );
    }
    for provider in sourcing_registry::providers() {
        assert_eq!(
            report[provider.name][0],
            provider.operations.len(),
            "{}",
            provider.name
        );
    }
}

/// Send `input` (schema naming) and return the answer.
async fn send_input(
    sandbox: &Sandbox,
    provider: &Provider,
    op: &Operation,
    input: &Value,
) -> Answer {
    let (query, body) = split(op, input);
    call(sandbox, provider, op, &query, body.as_ref()).await
}

/// A 400 in the provider's envelope whose message names `field`.
fn assert_refused(provider: &Provider, op: &Operation, answer: &Answer, field: &str, what: &str) {
    assert_eq!(
        answer.status, 400,
        "{}::{} {what}: expected 400, got {}",
        provider.name, op.id, answer.body
    );
    let (message, code_ok) = match provider.name {
        "dajisaas" => (
            &answer.body["message"],
            answer.body.get("traceId").is_some(),
        ),
        _ => (&answer.body["msg"], answer.body.get("requestId").is_some()),
    };
    assert!(
        code_ok,
        "{}: not the provider's envelope: {}",
        op.id, answer.body
    );
    assert_eq!(answer.body["code"], json!(400), "{}", answer.body);
    let message = message.as_str().unwrap_or_default();
    assert!(
        message.contains(field),
        "{}::{} {what}: the message should name `{field}`: {message}",
        provider.name,
        op.id
    );
}

fn props(op: &Operation) -> (Value, Map<String, Value>) {
    let schema: Value = serde_json::from_str(op.input_schema).unwrap();
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    (schema, props)
}

/// Every top-level input field set to null: refused where the schema refuses null (naming the field),
/// accepted where it allows it (required-and-nullable fields included). Query parameters cannot carry null.
#[tokio::test]
async fn null_is_refused_exactly_where_the_schema_refuses_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let (mut refused, mut accepted, mut required_nullable) = (0, 0, 0);
    for provider in sourcing_registry::providers() {
        for op in provider.operations {
            let base = generated_input(op);
            let referee = validator(op.input_schema);
            let (schema, props) = props(op);
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for name in props.keys() {
                let is_query = op
                    .params
                    .iter()
                    .any(|p| *op.input_name(p) == **name && p.location == ParamLocation::Query);
                if is_query {
                    continue;
                }
                let mut input = base.clone();
                input[name.as_str()] = Value::Null;
                let answer = send_input(&sandbox, provider, op, &input).await;
                let field = name.strip_prefix("body_").unwrap_or(name);
                if referee.is_valid(&input) {
                    assert_eq!(
                        answer.status, 200,
                        "{}::{} `{name}`: null is allowed, got {}",
                        provider.name, op.id, answer.body
                    );
                    accepted += 1;
                    if required.contains(&name.as_str()) {
                        required_nullable += 1;
                    }
                } else {
                    assert_refused(provider, op, &answer, &format!("`{field}`"), "null");
                    refused += 1;
                }
            }
        }
    }
    eprintln!(
        "null at a top-level body field: {refused} refused, {accepted} accepted ({required_nullable} of them required-and-nullable)"
    );
    assert!(refused > 50 && accepted > 50 && required_nullable >= 1);
}

/// Every integer input with `format: int32`/`int64` (body or query): its maximum is accepted, one more is
/// refused naming the field; so is one below a documented `minimum` (negative sizes). Integers without a
/// format (Dajisaas `totalNum`) are accepted beyond i64. Lenient ids refuse numbers beyond i64::MAX.
#[tokio::test]
async fn integer_ranges_follow_format_and_minimum() {
    let sandbox = Sandbox::start().await.unwrap();
    let (mut checked, mut minimums, mut ids) = (0, 0, 0);
    for provider in sourcing_registry::providers() {
        for op in provider.operations {
            let base = generated_input(op);
            let (_, props) = props(op);
            for (name, s) in &props {
                // Lenient ids (`$defs/Id`: a string, or an int64 integer): beyond i64::MAX as a number is
                // refused, the same digits as text accepted.
                if s.get("items").is_none() && s.to_string().contains("\"#/$defs/Id\"") {
                    let field = name.strip_prefix("body_").unwrap_or(name);
                    let mut input = base.clone();
                    input[name.as_str()] = json!(i64::MAX as u64 + 1);
                    let answer = send_input(&sandbox, provider, op, &input).await;
                    assert_refused(
                        provider,
                        op,
                        &answer,
                        &format!("`{field}`"),
                        "id beyond i64",
                    );
                    input[name.as_str()] = json!((i64::MAX as u64 + 1).to_string());
                    let answer = send_input(&sandbox, provider, op, &input).await;
                    assert_eq!(
                        answer.status, 200,
                        "{}::{} `{name}` as text: {}",
                        provider.name, op.id, answer.body
                    );
                    ids += 1;
                    continue;
                }
                let types: Vec<&str> = match &s["type"] {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                if !types.contains(&"integer") {
                    continue;
                }
                let field = name.strip_prefix("body_").unwrap_or(name);
                let (max, beyond): (Value, Value) = match s["format"].as_str() {
                    Some("int32") => (json!(i32::MAX), json!(i32::MAX as i64 + 1)),
                    Some("int64") => (json!(i64::MAX), json!(i64::MAX as u64 + 1)),
                    _ => (
                        json!(i64::MAX),
                        serde_json::from_str("100000000000000000000").unwrap(),
                    ),
                };
                // The range a `format` implies is stated by codegen as minimum/maximum too; only a bound
                // the spec itself states counts as documented.
                let (format_min, format_max) = match s["format"].as_str() {
                    Some("int32") => (Some(i64::from(i32::MIN)), Some(i64::from(i32::MAX))),
                    Some("int64") => (Some(i64::MIN), Some(i64::MAX)),
                    _ => (None, None),
                };
                let documented_max =
                    s.get("maximum").is_some() && s["maximum"].as_i64() != format_max;
                if !documented_max {
                    let mut input = base.clone();
                    input[name.as_str()] = max;
                    let answer = send_input(&sandbox, provider, op, &input).await;
                    assert_eq!(
                        answer.status, 200,
                        "{}::{} `{name}` at its maximum: {}",
                        provider.name, op.id, answer.body
                    );
                }
                let mut input = base.clone();
                input[name.as_str()] = beyond.clone();
                let answer = send_input(&sandbox, provider, op, &input).await;
                if s["format"].is_string() || documented_max {
                    assert_refused(
                        provider,
                        op,
                        &answer,
                        &format!("`{field}`"),
                        "beyond its format",
                    );
                } else {
                    assert_eq!(
                        answer.status, 200,
                        "{}::{} `{name}` has no format: {beyond} is allowed: {}",
                        provider.name, op.id, answer.body
                    );
                }
                checked += 1;
                if let Some(min) = s["minimum"].as_i64().filter(|&m| Some(m) != format_min) {
                    let mut input = base.clone();
                    input[name.as_str()] = json!(min - 1);
                    let answer = send_input(&sandbox, provider, op, &input).await;
                    assert_refused(
                        provider,
                        op,
                        &answer,
                        &format!("`{field}`"),
                        "below its minimum",
                    );
                    minimums += 1;
                }
            }
        }
    }
    eprintln!(
        "integer inputs: {checked} checked at and beyond their range, {minimums} below a minimum; {ids} lenient ids beyond i64"
    );
    assert!(checked > 20 && ids > 5);
}

/// A body that is not a JSON object gets the same 400 from every provider, before the signature is checked.
#[tokio::test]
async fn non_object_bodies_are_400_for_every_provider() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut seen = BTreeMap::new();
    for provider in sourcing_registry::providers() {
        for op in provider.operations.iter().filter(|o| o.has_body) {
            let (query, _) = inputs(op);
            for bad in ["[]", "1", "\"text\"", "null", "{not json"] {
                let answer = send(
                    &sandbox,
                    provider,
                    op,
                    op.method,
                    &query,
                    Some(bad.as_bytes().to_vec()),
                    false,
                )
                .await;
                assert_refused(provider, op, &answer, "request body", bad);
                *seen.entry(provider.name).or_insert(0) += 1;
            }
        }
    }
    eprintln!("non-object bodies refused: {seen:?}");
    let with_bodies = sourcing_registry::providers()
        .iter()
        .filter(|p| p.operations.iter().any(|o| o.has_body))
        .count();
    assert_eq!(
        seen.len(),
        with_bodies,
        "every provider with body operations was tried"
    );
}

/// A request without a body: refused (400) where the spec's `requestBody` is required, accepted where it is
/// optional (the input schema's `x-body-optional`, e.g. PandaPon `refund_info`, whose Vietnamese page sends
/// only the query), as an OpenAPI tool reads the spec.
#[tokio::test]
async fn a_missing_body_is_refused_only_where_the_body_is_required() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut optional = Vec::new();
    for provider in sourcing_registry::providers() {
        for op in provider.operations.iter().filter(|o| o.has_body) {
            let (query, _) = inputs(op);
            let schema: Value = serde_json::from_str(op.input_schema).unwrap();
            let is_optional = schema["x-body-optional"] == json!(true);
            // The body is checked before the signature: only the accepted request needs one.
            let answer = send(&sandbox, provider, op, op.method, &query, None, is_optional).await;
            if is_optional {
                assert_eq!(
                    answer.status, 200,
                    "{}::{}: {}",
                    provider.name, op.id, answer.body
                );
                optional.push(op.id);
            } else {
                assert_refused(provider, op, &answer, "request body", "no body");
            }
        }
    }
    assert_eq!(optional, ["refund_info"]);
}

/// The fields the vendors fill with JSON inside a string (issue 12), by name.
const JSON_IN_STRING: &[&str] = &["sort", "params", "receiver", "orderLineList", "properties"];

/// JSON-in-string fields (`Param::json_string`, and the known names) accept `""` where the schema allows an
/// empty string; those the table marks refuse text that is not JSON, naming the field.
#[tokio::test]
async fn json_in_string_fields_accept_empty_and_refuse_non_json() {
    let sandbox = Sandbox::start().await.unwrap();
    let (mut empty, mut marked) = (0, 0);
    for provider in sourcing_registry::providers() {
        for op in provider.operations {
            let base = generated_input(op);
            let referee = validator(op.input_schema);
            let fields = op
                .params
                .iter()
                .filter(|p| p.json_string || JSON_IN_STRING.contains(&p.name));
            for p in fields {
                let name = op.input_name(p);
                let mut input = base.clone();
                input[&*name] = json!("");
                if referee.is_valid(&input) {
                    let answer = send_input(&sandbox, provider, op, &input).await;
                    assert_eq!(
                        answer.status, 200,
                        "{}::{} `{name}` = \"\": {}",
                        provider.name, op.id, answer.body
                    );
                    empty += 1;
                }
                if p.json_string {
                    // Any string is schema-valid (OpenAPI 3.0 cannot say "JSON inside"): the answer is the
                    // failure envelope with HTTP 200, as the vendors answer business failures.
                    input[&*name] = json!("{\"price\":");
                    let answer = send_input(&sandbox, provider, op, &input).await;
                    assert_eq!(
                        answer.status, 200,
                        "{}::{}: {}",
                        provider.name, op.id, answer.body
                    );
                    assert_eq!(answer.body["code"], json!(400), "{}", answer.body);
                    let message = answer.body["msg"]
                        .as_str()
                        .or(answer.body["message"].as_str())
                        .unwrap_or_default();
                    assert!(
                        message.contains(&format!("`{}` must hold JSON text", p.name)),
                        "{}::{}: {message}",
                        provider.name,
                        op.id
                    );
                    marked += 1;
                }
            }
        }
    }
    eprintln!(
        "JSON-in-string fields: {empty} accept \"\", {marked} marked `x-json-string` refuse non-JSON text"
    );
    assert!(empty >= 5, "{empty}");
}

/// Cases the issue names: `taobao_order_im_link` answers a string (a URL), not null; `cart_create_order.flow` (required, nullable) accepts null; a nested non-nullable
/// `quantity` refuses it with its JSON pointer; an int64 id beyond i64::MAX is refused; Dajisaas `beginPage`
/// beyond i32 (a query parameter, coerced from text) is refused; `totalNum` (no format) beyond i64 is accepted.
#[tokio::test]
async fn named_cases() {
    let sandbox = Sandbox::start().await.unwrap();
    let find = |provider: &str, id: &str| {
        let p = sourcing_registry::providers()
            .iter()
            .copied()
            .find(|p| p.name == provider)
            .unwrap();
        (p, p.find(id).unwrap())
    };

    // The example: no published example, a non-nullable string: a URL, not null.
    let (p, op) = find("pandapon", "taobao_order_im_link");
    let (q, body) = inputs(op);
    let answer = call(&sandbox, p, op, &q, body.as_ref()).await;
    let link = answer.body["data"].as_str().unwrap_or_default();
    assert!(
        link.starts_with("https://example.com/sandbox/"),
        "{}",
        answer.body
    );

    let (p, op) = find("pandapon", "cart_create_order");
    let mut input = generated_input(op);
    input["flow"] = Value::Null;
    assert_eq!(send_input(&sandbox, p, op, &input).await.status, 200);

    let (p, op) = find("pandapon", "order_preview");
    let mut input = generated_input(op);
    input["cargoParamList"][0]["quantity"] = Value::Null;
    let answer = send_input(&sandbox, p, op, &input).await;
    assert_refused(p, op, &answer, "/cargoParamList/0/quantity", "nested null");

    let (p, op) = find("dajisaas", "product_freight_estimate");
    let mut input = generated_input(op);
    input["offerId"] = json!(i64::MAX as u64 + 1);
    assert_refused(
        p,
        op,
        &send_input(&sandbox, p, op, &input).await,
        "`offerId`",
        "id beyond i64",
    );
    input["offerId"] = json!(i64::MAX);
    input["totalNum"] = serde_json::from_str("18446744073709551616").unwrap();
    let answer = send_input(&sandbox, p, op, &input).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    let (p, op) = find("dajisaas", "product_image_query");
    let (query, _) = split(op, &generated_input(op));
    assert!(query.iter().any(|(k, _)| k == "beginPage"), "{query:?}");
    for (bad, what) in [("2147483648", "beyond int32"), ("two", "not a number")] {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| match k.as_str() {
                "beginPage" => (k.clone(), bad.to_string()),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        let answer = call(&sandbox, p, op, &query, None).await;
        assert_refused(p, op, &answer, "query parameter `beginPage`", what);
    }
}

/// A 405 lists the methods the path supports (RFC 9110).
#[tokio::test]
async fn method_not_allowed_carries_allow() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = sourcing_registry::providers()[0];
    let op = p.find("order_pay_url").unwrap();
    let answer = send(&sandbox, p, op, "DELETE", &[], None, true).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.allow.as_deref(), Some("GET"));
    assert_eq!(answer.body["code"], json!(405));
}

/// The order flow's answers keep to the schemas too: create, detail, pay, a refused second payment, batch
/// pay and cancel (PandaPon), each validated against its operation's response schema.
#[tokio::test]
async fn order_flow_answers_keep_to_the_schemas() {
    let sandbox = Sandbox::start().await.unwrap();
    let p = sourcing_registry::providers()
        .iter()
        .copied()
        .find(|p| p.name == "pandapon")
        .unwrap();
    let checked = |op: &Operation, answer: &Answer| {
        assert_eq!(answer.status, 200, "{}: {}", op.id, answer.body);
        let problems = errors(&validator(op.response_schema), &answer.body);
        assert!(
            problems.is_empty(),
            "{}: {} -> {problems:?}",
            op.id,
            answer.body
        );
        (op.transcode_response)(answer.body.to_string().as_bytes()).unwrap();
    };
    let create = p.find("order_create").unwrap();
    let (q, body) = inputs(create);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let answer = call(&sandbox, p, create, &q, body.as_ref()).await;
        checked(create, &answer);
        ids.push(answer.body["data"]["orderId"].as_str().unwrap().to_string());
    }
    let detail = p.find("order_detail").unwrap();
    let state = |id: &str| json!({"webSite": "1688", "orderId": id});
    let answer = call(&sandbox, p, detail, &[], Some(&state(&ids[0]))).await;
    checked(detail, &answer);
    assert_eq!(answer.body["data"]["status"], "WAITING_FOR_PAYMENT");

    let pay = p.find("order_pay_url").unwrap();
    let q = vec![("orderId".to_string(), ids[0].clone())];
    let answer = call(&sandbox, p, pay, &q, None).await;
    checked(pay, &answer);
    assert_eq!(answer.body["data"]["protocolPaySuccess"], json!(true));
    // A business error is HTTP 200 with the error code and `data: null`, as the vendors answer; the
    // operation's response schema describes success only, so only the envelope is checked here.
    let again = call(&sandbox, p, pay, &q, None).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["code"], json!(409));
    assert!(
        again.body["data"].is_null() && again.body["msg"].is_string(),
        "{}",
        again.body
    );

    let batch = p.find("order_batch_submit_to_pay").unwrap();
    let answer = call(
        &sandbox,
        p,
        batch,
        &[],
        Some(&json!({"orderIds": [ids[0], ids[1]]})),
    )
    .await;
    checked(batch, &answer);
    assert_eq!(answer.body["data"]["successOrderIds"], json!([ids[1]]));

    let cancel = p.find("order_cancel").unwrap();
    let body = json!({"webSite": "1688", "orderId": ids[2], "cancelReason": "no"});
    let answer = call(&sandbox, p, cancel, &[], Some(&body)).await;
    checked(cancel, &answer);
    let answer = call(&sandbox, p, detail, &[], Some(&state(&ids[2]))).await;
    checked(detail, &answer);
    assert_eq!(answer.body["data"]["status"], "CANCEL");
}
