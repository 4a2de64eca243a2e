//! Provider envelopes. Every provider answers HTTP 200 with an envelope; a call returns the typed `data` on
//! the success code and an [`ApiError`] otherwise — business failures are never returned as success.

use crate::error::{ApiError, Error, UpstreamError};
use crate::wire::LenientId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The success code of every provider's envelope.
pub const SUCCESS_CODE: i64 = 200;

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
