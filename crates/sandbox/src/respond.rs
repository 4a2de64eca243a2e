//! Envelopes the way each provider writes them (its codec's `EnvelopeCodec::encode`); success data from the
//! published examples that conform to the response schema, or generated from it.

use crate::{generate, schema};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sourcing_runtime::{ExampleKind, Failure, Operation, Provider};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The provider's success envelope around `data`, as its codec writes it.
pub(crate) fn success(provider: &Provider, data: Value) -> Value {
    provider.envelope.codec().encode(Ok(data))
}

/// The provider's failure envelope for this business failure.
pub(crate) fn failure(provider: &Provider, failure: Failure) -> Value {
    provider.envelope.codec().encode(Err(failure))
}

/// The business failure for an order the sandbox does not know, naming the requested id: the one the
/// provider's codec knows ([`sourcing_runtime::EnvelopeCodec::unknown_order`]; Dajisaas publishes code
/// 1009 wrapping the 1688 error `4003`, the others publish none and get the sandbox's code 404).
pub(crate) fn unknown_order(provider: &Provider, id: &str) -> Failure {
    provider.envelope.codec().unknown_order(id)
}

/// `data` of an envelope in the provider's format.
fn data_of(provider: &Provider, envelope: &Value) -> Value {
    envelope
        .get(provider.envelope.codec().data_field())
        .cloned()
        .unwrap_or(Value::Null)
}

/// Where a success answer's `data` comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerSource {
    /// The published response example of this name (its envelope validates against the response schema).
    Example(&'static str),
    /// Generated from the response schema, deterministically per request.
    Generated,
    /// The table carries no response schema: the simplest value the generated type decodes.
    Fallback,
}

/// Which source `op`'s success answers use (the same for every request).
pub fn answer_source(provider: &Provider, op: &'static Operation) -> AnswerSource {
    match schema::compiled(op.response_schema) {
        None => AnswerSource::Fallback,
        Some(c) => match conforming_example(provider, op, &c) {
            Some((name, _)) => AnswerSource::Example(name),
            None => AnswerSource::Generated,
        },
    }
}

/// `data` for a success answer: the first published response example whose whole envelope validates
/// against the operation's response schema (and decodes into its generated type); otherwise a value
/// generated from the schema of the envelope's payload member (the codec's `data_field`), seeded by the request (`seed`), so the same request gets the same
/// answer. Without a response schema in the table: the first example that decodes, else the simplest value.
///
/// A generated object answers the request's own identifiers: a top-level scalar of `data` named like a
/// request input (`offerId`, `orderId`) takes the request's value where the schema allows it.
pub(crate) fn success_data(
    provider: &Provider,
    op: &'static Operation,
    seed: u64,
    request: &Map<String, Value>,
) -> Value {
    let Some(c) = schema::compiled(op.response_schema) else {
        return fallback_data(provider, op);
    };
    if let Some((_, mut data)) = conforming_example(provider, op, &c) {
        name_only_requested_orders(&mut data, &requested_orders(request));
        return data;
    }
    let top = schema::flatten(&c.root, success_envelope(&c.root));
    let data_schema = top
        .get("properties")
        .and_then(|p| p.get(provider.envelope.codec().data_field()))
        .cloned()
        .unwrap_or(Value::Bool(true));
    // Named after the operation: a bare string answer of `taobao_order_im_link` is a URL.
    let mut data = generate::generate_named(&c.root, &data_schema, seed, Some(op.id));
    let echoed: Vec<(String, Value)> = match &data {
        Value::Object(m) => {
            m.iter()
                .filter_map(|(k, generated)| {
                    let asked = request.get(k)?;
                    let v = match (generated, asked) {
                        (Value::String(_), Value::String(_))
                        | (Value::Number(_), Value::Number(_)) => asked.clone(),
                        (Value::String(_), Value::Number(n)) => Value::String(n.to_string()),
                        _ => return None,
                    };
                    Some((k.clone(), v))
                })
                .collect()
        }
        _ => Vec::new(),
    };
    if !echoed.is_empty() {
        let mut candidate = data.clone();
        for (k, v) in echoed {
            candidate[k.as_str()] = v;
        }
        if c.validator.is_valid(&success(provider, candidate.clone())) {
            data = candidate;
        }
    }
    data
}

/// The success envelope's schema in a 200 response's: the first branch of `anyOf: [success, failure]` (the
/// vendors answer business failures with HTTP 200 too), or the whole schema.
fn success_envelope(root: &Value) -> &Value {
    root.get("anyOf").and_then(|a| a.get(0)).unwrap_or(root)
}

/// The order ids a request names (`orderId`, `orderIds`, `orderIdList` as a list, comma text or JSON text).
fn requested_orders(request: &Map<String, Value>) -> Vec<String> {
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.extend(
                s.split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            ),
            Value::Number(n) => out.push(n.to_string()),
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for key in ["orderId", "orderIds", "orderIdList"] {
        if let Some(v) = request.get(key) {
            collect(v, &mut out);
        }
    }
    out
}

/// A published example answers about the example's orders: where the request names orders, every order-like
/// id (15 or more digits) in the example's text that the request does not name becomes the requested ones
/// (e.g. Dajisaas `pay_urls`' cashier link), so an answer never names an order the caller did not ask about.
fn name_only_requested_orders(data: &mut Value, requested: &[String]) {
    if requested.is_empty() {
        return;
    }
    match data {
        Value::String(s) => {
            let mut out = String::with_capacity(s.len());
            let mut digits = String::new();
            let flush = |digits: &mut String, out: &mut String| {
                if digits.len() >= 15 && !requested.contains(digits) {
                    out.push_str(&requested.join(","));
                } else {
                    out.push_str(digits);
                }
                digits.clear();
            };
            for c in s.chars() {
                if c.is_ascii_digit() {
                    digits.push(c);
                } else {
                    flush(&mut digits, &mut out);
                    out.push(c);
                }
            }
            flush(&mut digits, &mut out);
            *s = out;
        }
        Value::Array(a) => a
            .iter_mut()
            .for_each(|x| name_only_requested_orders(x, requested)),
        Value::Object(m) => m
            .values_mut()
            .for_each(|x| name_only_requested_orders(x, requested)),
        _ => {}
    }
}

/// The published example an operation answers with, cached per operation.
fn conforming_example(
    provider: &Provider,
    op: &'static Operation,
    c: &schema::Compiled,
) -> Option<(&'static str, Value)> {
    type Cache = Mutex<HashMap<usize, Option<(&'static str, Value)>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = op as *const Operation as usize;
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return hit.clone();
    }
    let found = op.examples_of(ExampleKind::Response).find_map(|e| {
        let envelope: Value = serde_json::from_str(e.json).ok()?;
        if !c.validator.is_valid(&envelope) {
            return None;
        }
        let data = data_of(provider, &envelope);
        let ours = success(provider, data.clone());
        (op.transcode_response)(ours.to_string().as_bytes()).ok()?;
        Some((e.name, data))
    });
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, found.clone());
    found
}

/// Without a response schema: the first documented response example's `data` that decodes into the
/// operation's type, else the simplest value that does.
fn fallback_data(provider: &Provider, op: &Operation) -> Value {
    let candidates = op
        .examples_of(ExampleKind::Response)
        .filter_map(|e| serde_json::from_str::<Value>(e.json).ok())
        .map(|v| data_of(provider, &v))
        .chain([json!({}), json!([]), json!(true), Value::Null]);
    for data in candidates {
        let body = success(provider, data.clone());
        if (op.transcode_response)(body.to_string().as_bytes()).is_ok() {
            return data;
        }
    }
    Value::Null
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A provider-style error: the business code is the HTTP status, the message names what was wrong.
pub(crate) fn error(provider: &Provider, status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        &failure(provider, Failure::new(status.as_u16().into(), message)),
    )
}
