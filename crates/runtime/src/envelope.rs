//! Provider envelopes: [`Envelope`] and [`EnvelopeCodec`].

use crate::error::{ApiError, Error, UpstreamError};
use crate::wire::LenientId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The success code of every provider's envelope.
pub(crate) const SUCCESS_CODE: i64 = 200;

/// An envelope type that can be turned into `Result<Data, Error>`.
pub trait Envelope: DeserializeOwned + Serialize {
    /// The type of `data` on success.
    type Data;

    /// `data` on success, [`Error::Api`] otherwise.
    fn into_data(self, operation: &'static str) -> Result<Self::Data, Error>;

    /// The business error in a body whose `data` did not match the documented type, if the envelope says
    /// the call failed (error envelopes often carry `data` of another shape, or none).
    fn api_error_in(body: &[u8], operation: &'static str) -> Option<ApiError>;

    /// The request/trace id to quote to the provider's support, if the envelope has one.
    fn request_id(&self) -> Option<String> {
        None
    }

    /// The whole body, for an envelope whose success rule is its provider's codec's ([`Enveloped`]): the
    /// typed call then settles through [`EnvelopeCodec::decode`]. `None` (the default): [`Envelope::into_data`].
    fn codec_body(&self) -> Option<&Value> {
        None
    }
}

/// The typed form of an envelope implemented outside the runtime (a provider's own [`EnvelopeCodec`]):
/// generated code names it for such providers. The body is kept as JSON and settled by the provider's
/// codec, then `data` is typed as `T` — a second pass over the body that the built-in envelopes avoid.
pub struct Enveloped<T> {
    body: Value,
    data: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Enveloped<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Enveloped").field(&self.body).finish()
    }
}

impl<T> Clone for Enveloped<T> {
    fn clone(&self) -> Self {
        Self {
            body: self.body.clone(),
            data: std::marker::PhantomData,
        }
    }
}

impl<'de, T> Deserialize<'de> for Enveloped<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(|body| Self {
            body,
            data: std::marker::PhantomData,
        })
    }
}

impl<T> Serialize for Enveloped<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(s)
    }
}

impl<T: DeserializeOwned + Serialize> Envelope for Enveloped<T> {
    type Data = T;

    /// Without its codec an `Enveloped` cannot be settled; the runtime settles it through
    /// [`Envelope::codec_body`] and never calls this.
    fn into_data(self, operation: &'static str) -> Result<T, Error> {
        Err(Error::Decode {
            operation,
            body: crate::error::BodyPrefix::new(self.body.to_string().as_bytes()),
            source: serde::de::Error::custom("this envelope is settled by its provider's codec"),
        })
    }

    fn api_error_in(_: &[u8], _: &'static str) -> Option<ApiError> {
        None
    }

    fn codec_body(&self) -> Option<&Value> {
        Some(&self.body)
    }
}

/// An envelope, untyped: the open extension point for a provider's answer format.
///
/// Every provider answers HTTP 200 with an envelope; a call returns the typed `data` on
/// the success code and an [`ApiError`] otherwise — business failures are never returned as success.
///
/// Two faces of one envelope: the typed [`Envelope`] (a serde type generic over `data`, decoded by the
/// generated clients in one pass) and the [`EnvelopeCodec`] (untyped: what tools that serve every provider —
/// the CLI, `sourcing mcp`, the sandbox — use to decode and encode answers). A provider's description names
/// its codec; the built-in ones are those of [`EnvelopeStyle::Pandapon`](crate::EnvelopeStyle::Pandapon)
/// and [`EnvelopeStyle::Dajisaas`](crate::EnvelopeStyle::Dajisaas).
pub trait EnvelopeCodec: std::fmt::Debug + Send + Sync {
    /// The spec's `x-sourcing.envelope` value (`pandapon`).
    fn name(&self) -> &'static str;

    /// The typed envelope's name in the runtime's root (`PandaponEnvelope`), which generated code names for
    /// envelope components; empty for envelopes outside the runtime.
    fn type_name(&self) -> &'static str {
        ""
    }

    /// The success rule applied to a 200 body: `data` as JSON on success, [`Error::Api`] (or, for a batch
    /// operation, [`Error::PartialFailure`]) otherwise, [`Error::Decode`] for a body that is not this
    /// envelope. Implementations decode their typed [`Envelope`] with [`decode_as`].
    fn decode(&self, operation: &crate::operation::Operation, body: &[u8]) -> Result<Value, Error>;

    /// The business error in a body that did not decode as documented (or came with an HTTP error status),
    /// if the envelope says the call failed. Implementations use [`api_error_as`].
    fn api_error_in(&self, body: &[u8], operation: &'static str) -> Option<ApiError>;

    /// The envelope around an answer, as the provider writes it: `Ok(data)` on success, a [`Failure`]
    /// otherwise (the sandbox answers with it).
    fn encode(&self, answer: Result<Value, Failure>) -> Value;

    /// The business failure for an order the server does not know, naming the requested id (the sandbox
    /// answers with it). The default is the sandbox's own code 404, marked as such: most vendors publish
    /// no code for it.
    fn unknown_order(&self, id: &str) -> Failure {
        Failure {
            code: UNKNOWN_ORDER_SANDBOX_CODE,
            message: format!(
                "order {id} does not exist (sandbox code {UNKNOWN_ORDER_SANDBOX_CODE}; the vendor publishes none)"
            ),
            data: Value::Null,
        }
    }

    /// The name of the member that carries the result (`data`).
    fn data_field(&self) -> &'static str;
}

/// A business failure as a server answers it: the envelope's code and message, and its `data`.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The business code.
    pub code: i64,
    /// The message.
    pub message: String,
    /// What the envelope carries beside them (`null` for most).
    pub data: Value,
}

impl Failure {
    /// A failure with this code and message and no `data`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            data: Value::Null,
        }
    }
}

/// The sandbox's own business code for an unknown order where the vendor publishes none.
pub(crate) const UNKNOWN_ORDER_SANDBOX_CODE: i64 = 404;

/// [`EnvelopeCodec::decode`] for a typed envelope `E`: decode, apply its success rule, record the request id
/// on the call's span, check a batch outcome.
pub fn decode_as<E: Envelope<Data = Value>>(
    operation: &crate::operation::Operation,
    body: &[u8],
) -> Result<Value, Error> {
    crate::runtime::decode_envelope::<E>(operation, body)
}

/// [`EnvelopeCodec::api_error_in`] for a typed envelope `E`.
pub fn api_error_as<E: Envelope>(body: &[u8], operation: &'static str) -> Option<ApiError> {
    E::api_error_in(body, operation)
}

/// The codec of [`PandaponEnvelope`] (PandaPon, Xportcn).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PandaponCodec;

impl EnvelopeCodec for PandaponCodec {
    fn name(&self) -> &'static str {
        "pandapon"
    }

    fn type_name(&self) -> &'static str {
        "PandaponEnvelope"
    }

    fn decode(&self, operation: &crate::operation::Operation, body: &[u8]) -> Result<Value, Error> {
        decode_as::<PandaponEnvelope<Value>>(operation, body)
    }

    fn api_error_in(&self, body: &[u8], operation: &'static str) -> Option<ApiError> {
        api_error_as::<PandaponEnvelope<Value>>(body, operation)
    }

    fn encode(&self, answer: Result<Value, Failure>) -> Value {
        let (code, msg, data) = match answer {
            Ok(data) => (SUCCESS_CODE, "成功".to_owned(), data),
            Err(f) => (f.code, f.message, f.data),
        };
        serde_json::json!({
            "requestId": sandbox_id(),
            "code": code,
            "developId": "1023561483696472887",
            "msg": msg,
            "data": data,
        })
    }

    fn data_field(&self) -> &'static str {
        "data"
    }
}

/// The codec of [`DajisaasEnvelope`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct DajisaasCodec;

impl EnvelopeCodec for DajisaasCodec {
    fn name(&self) -> &'static str {
        "dajisaas"
    }

    fn type_name(&self) -> &'static str {
        "DajisaasEnvelope"
    }

    fn decode(&self, operation: &crate::operation::Operation, body: &[u8]) -> Result<Value, Error> {
        decode_as::<DajisaasEnvelope<Value>>(operation, body)
    }

    fn api_error_in(&self, body: &[u8], operation: &'static str) -> Option<ApiError> {
        api_error_as::<DajisaasEnvelope<Value>>(body, operation)
    }

    fn encode(&self, answer: Result<Value, Failure>) -> Value {
        let (code, message, data) = match answer {
            Ok(data) => (SUCCESS_CODE, "操作成功".to_owned(), data),
            Err(f) => (f.code, f.message, f.data),
        };
        serde_json::json!({
            "code": code,
            "message": message,
            "data": data,
            "timestamp": crate::time::system_millis(),
            "traceId": format!("{:012x}", next_sequence()),
        })
    }

    /// Dajisaas publishes one order failure: code 1009 wrapping the 1688 error `4003` "订单信息不存在,请核对后重试"
    /// (order information does not exist).
    fn unknown_order(&self, id: &str) -> Failure {
        let message = format!("订单信息不存在,请核对后重试 (order {id})");
        Failure {
            code: 1009,
            data: serde_json::json!({"result": {
                "success": false,
                "errorInfo": message,
                "errorCode": "4003",
            }}),
            message,
        }
    }

    fn data_field(&self) -> &'static str {
        "data"
    }
}

fn next_sequence() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(1);
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// A request id for encoded answers (`sandbox` + 25 digits, unique per process).
fn sandbox_id() -> String {
    format!("sandbox{:025}", next_sequence())
}

/// `{requestId, code, developId, msg, data}` — PandaPon and Xportcn.
///
/// Every field is optional because the v1 pages mark them nullable and `POST /v2/open/address/addOrUpdate`
/// answers only `{code, msg}`. `developId`/`requestId` are accepted as number or string (19 digits).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PandaponEnvelope<T> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `requestId`: quote it to the vendor's support.
    pub request_id: Option<LenientId>,
    #[serde(
        default,
        deserialize_with = "lenient_code",
        skip_serializing_if = "Option::is_none"
    )]
    /// `code`: 200 is success.
    pub code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `developId`: the developer account.
    pub develop_id: Option<LenientId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `msg`: the vendor's message.
    pub msg: Option<String>,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    /// `data`: the result.
    pub data: Option<T>,
}

/// `{code, message, data, timestamp, traceId}` — Dajisaas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DajisaasEnvelope<T> {
    #[serde(
        default,
        deserialize_with = "lenient_code",
        skip_serializing_if = "Option::is_none"
    )]
    /// `code`: 200 is success.
    pub code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `message`: the vendor's message.
    pub message: Option<String>,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    /// `data`: the result.
    pub data: Option<T>,
    /// Epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `traceId`: quote it to the vendor's support.
    pub trace_id: Option<String>,
}

fn none<T>() -> Option<T> {
    None
}

/// `code` as integer, or as a numeric string (decoded without an intermediate `Value`: it is on every
/// response's path).
fn lenient_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer code (or one written as a string)")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("code {v} is out of range")))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(E::custom(format!("code {v} is not an integer")))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            v.trim()
                .parse()
                .map(Some)
                .map_err(|_| E::custom(format!("code {v:?} is not an integer")))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

fn missing_code(operation: &'static str) -> Error {
    Error::Decode {
        operation,
        body: crate::error::BodyPrefix::new(b""),
        source: serde::de::Error::custom("the response envelope has no `code`"),
    }
}

/// `data` on success. A success envelope without `data` is only acceptable when the documented type
/// accepts `null` (e.g. `()` or an all-optional type behind `Option`).
fn success_data<T: DeserializeOwned>(data: Option<T>, operation: &'static str) -> Result<T, Error> {
    match data {
        Some(d) => Ok(d),
        None => serde_json::from_value(Value::Null).map_err(|source| Error::Decode {
            operation,
            body: crate::error::BodyPrefix::new(b""),
            source: serde::de::Error::custom(format!("success envelope without `data` ({source})")),
        }),
    }
}

impl<T: DeserializeOwned + Serialize> Envelope for PandaponEnvelope<T> {
    type Data = T;

    fn request_id(&self) -> Option<String> {
        self.request_id.as_ref().map(LenientId::to_string)
    }

    fn into_data(self, operation: &'static str) -> Result<T, Error> {
        match self.code {
            Some(SUCCESS_CODE) => success_data(self.data, operation),
            Some(code) => Err(Error::from(ApiError {
                operation,
                code,
                message: self.msg,
                request_id: self.request_id.map(|r| r.to_string()),
                upstream: None,
                data: self.data.and_then(|d| serde_json::to_value(d).ok()),
            })),
            None => Err(missing_code(operation)),
        }
    }

    fn api_error_in(body: &[u8], operation: &'static str) -> Option<ApiError> {
        let env: PandaponEnvelope<Value> = serde_json::from_slice(body).ok()?;
        match env.into_data(operation) {
            Err(Error::Api(e)) => Some(*e),
            _ => None,
        }
    }
}

impl<T: DeserializeOwned + Serialize> Envelope for DajisaasEnvelope<T> {
    type Data = T;

    fn request_id(&self) -> Option<String> {
        self.trace_id.clone()
    }

    fn into_data(self, operation: &'static str) -> Result<T, Error> {
        match self.code {
            Some(SUCCESS_CODE) => success_data(self.data, operation),
            Some(code) => {
                let data = self.data.and_then(|d| serde_json::to_value(d).ok());
                Err(Error::from(ApiError {
                    operation,
                    code,
                    message: self.message,
                    request_id: self.trace_id,
                    upstream: data.as_ref().and_then(upstream_error),
                    data,
                }))
            }
            None => Err(missing_code(operation)),
        }
    }

    fn api_error_in(body: &[u8], operation: &'static str) -> Option<ApiError> {
        let env: DajisaasEnvelope<Value> = serde_json::from_slice(body).ok()?;
        match env.into_data(operation) {
            Err(Error::Api(e)) => Some(*e),
            _ => None,
        }
    }
}

/// The wrapped 1688/Taobao error in a failure's `data`: `data.result.{errorCode, errorInfo}` (Dajisaas 1009)
/// or `data.{errorCode, errorMessage|errorMsg|erroMsg|errorInfo}`.
fn upstream_error(data: &Value) -> Option<UpstreamError> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    for holder in [data.get("result"), Some(data)].into_iter().flatten() {
        let code = holder.get("errorCode").and_then(text);
        let message = ["errorInfo", "errorMessage", "errorMsg", "erroMsg"]
            .iter()
            .find_map(|k| holder.get(*k).and_then(text));
        if code.is_some() || message.is_some() {
            return Some(UpstreamError { code, message });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pandapon_success_and_failure() {
        let ok: PandaponEnvelope<Vec<String>> = serde_json::from_str(
            r#"{"requestId":"r1","code":200,"developId":"1023561483696472887","msg":"成功","data":["a"]}"#,
        )
        .unwrap();
        assert_eq!(ok.into_data("op").unwrap(), vec!["a".to_string()]);

        let err: PandaponEnvelope<Vec<String>> =
            serde_json::from_str(r#"{"requestId":"r2","code":"500","msg":"签名错误","data":null}"#)
                .unwrap();
        match err.into_data("op") {
            Err(Error::Api(e)) => {
                assert_eq!(e.code, 500);
                assert_eq!(e.message.as_deref(), Some("签名错误"));
                assert_eq!(e.request_id.as_deref(), Some("r2"));
            }
            other => panic!("expected an ApiError, got {other:?}"),
        }
    }

    #[test]
    fn success_without_data_only_for_null_accepting_types() {
        let env: PandaponEnvelope<()> = serde_json::from_str(r#"{"code":200,"msg":"ok"}"#).unwrap();
        env.into_data("op").unwrap();
        let env: PandaponEnvelope<Vec<u8>> = serde_json::from_str(r#"{"code":200}"#).unwrap();
        assert!(matches!(env.into_data("op"), Err(Error::Decode { .. })));
    }

    #[test]
    fn codecs_decode_what_they_encode() {
        let op = crate::operation::Operation::untabled("op", crate::AuthStyle::AppKey, false);
        for codec in [&PandaponCodec as &dyn EnvelopeCodec, &DajisaasCodec] {
            let ok = codec.encode(Ok(serde_json::json!({"a": 1})));
            let data = codec.decode(&op, ok.to_string().as_bytes()).unwrap();
            assert_eq!(data, serde_json::json!({"a": 1}));
            let failed = codec
                .encode(Err(Failure {
                    code: 404,
                    message: "no such order".into(),
                    data: Value::Null,
                }))
                .to_string();
            let Err(Error::Api(e)) = codec.decode(&op, failed.as_bytes()) else {
                panic!("{failed}")
            };
            assert_eq!((e.code, e.message.as_deref()), (404, Some("no such order")));
            assert_eq!(
                codec.api_error_in(failed.as_bytes(), "op").unwrap().code,
                404
            );
        }
    }

    #[test]
    fn dajisaas_1009_keeps_the_1688_error() {
        let body = r#"{"code":1009,"message":"买家确认收货失败","data":{"result":{"success":false,"errorInfo":"订单状态不对","errorCode":"4003"}},"timestamp":1723620684182,"traceId":"1acbe76d3459"}"#;
        let e = <DajisaasEnvelope<bool>>::api_error_in(body.as_bytes(), "confirm").unwrap();
        assert_eq!(e.code, 1009);
        assert_eq!(e.request_id.as_deref(), Some("1acbe76d3459"));
        let up = e.upstream.unwrap();
        assert_eq!(up.code.as_deref(), Some("4003"));
        assert_eq!(up.message.as_deref(), Some("订单状态不对"));
    }
}
