//! Envelopes the way each provider writes them, success data from the documented examples.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sourcing_runtime::operation::{EnvelopeStyle, ExampleKind, Operation, Provider};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

fn request_id() -> String {
    format!("sandbox{:025}", REQUEST_SEQ.fetch_add(1, Ordering::Relaxed))
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The provider's envelope around `data`.
pub(crate) fn envelope(provider: &Provider, code: i64, message: &str, data: Value) -> Value {
    match provider.envelope {
        EnvelopeStyle::Pandapon => json!({
            "requestId": request_id(),
            "code": code,
            "developId": "1023561483696472887",
            "msg": message,
            "data": data,
        }),
        EnvelopeStyle::Dajisaas => json!({
            "code": code,
            "message": message,
            "data": data,
            "timestamp": now_millis(),
            "traceId": format!("{:012x}", REQUEST_SEQ.fetch_add(1, Ordering::Relaxed)),
        }),
    }
}

pub(crate) fn success_message(provider: &Provider) -> &'static str {
    match provider.envelope {
        EnvelopeStyle::Pandapon => "成功",
        EnvelopeStyle::Dajisaas => "操作成功",
    }
}

/// `data` for a success answer: the first documented response example's `data` that decodes into the
/// operation's type, else the simplest value that does (operations documented without an example).
pub(crate) fn example_data(provider: &Provider, op: &Operation) -> Value {
    let candidates = op
        .examples_of(ExampleKind::Response)
        .filter_map(|e| serde_json::from_str::<Value>(e.json).ok())
        .map(|v| v.get("data").cloned().unwrap_or(Value::Null))
        .chain([json!({}), json!([]), json!(true), Value::Null]);
    for data in candidates {
        let body = envelope(provider, 200, "", data.clone());
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

/// A provider-style error: envelope `code` = the HTTP status, message naming what was wrong.
pub(crate) fn error(provider: &Provider, status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        &envelope(provider, status.as_u16() as i64, message, Value::Null),
    )
}
