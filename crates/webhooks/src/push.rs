//! PandaPon and Xportcn push messages: [`PushMessage`].

use crate::error::{ParseError, json_kind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sourcing_runtime::LenientId;
use std::fmt;

/// `messageType` of a PandaPon / Xportcn push.
///
/// The five named values are the ones the Xportcn manual publishes (its table is cut off after them). Any other
/// value is kept verbatim in [`MessageType::Other`]: it is delivered, never dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// `ORDER_CREATE` — an order was created.
    OrderCreate,
    /// `ORDER_CANCEL` — an order was cancelled.
    OrderCancel,
    /// `ORDER_PAY_SUCCESS` — an order was paid.
    OrderPaySuccess,
    /// `ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY` — the order price was changed.
    OrderBuyerViewOrderPriceModify,
    /// `ORDER_BUYER_VIEW_ORDER_BUYER_REFUND` — a buyer refund (the published example is truncated after
    /// `refundId` and `orderId`).
    OrderBuyerViewOrderBuyerRefund,
    /// Any other value, verbatim.
    Other(String),
}

impl MessageType {
    /// Maps the wire value; unknown values become [`MessageType::Other`].
    pub fn from_wire(value: &str) -> Self {
        match value {
            "ORDER_CREATE" => Self::OrderCreate,
            "ORDER_CANCEL" => Self::OrderCancel,
            "ORDER_PAY_SUCCESS" => Self::OrderPaySuccess,
            "ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY" => Self::OrderBuyerViewOrderPriceModify,
            "ORDER_BUYER_VIEW_ORDER_BUYER_REFUND" => Self::OrderBuyerViewOrderBuyerRefund,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::OrderCreate => "ORDER_CREATE",
            Self::OrderCancel => "ORDER_CANCEL",
            Self::OrderPaySuccess => "ORDER_PAY_SUCCESS",
            Self::OrderBuyerViewOrderPriceModify => "ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY",
            Self::OrderBuyerViewOrderBuyerRefund => "ORDER_BUYER_VIEW_ORDER_BUYER_REFUND",
            Self::Other(s) => s,
        }
    }

    /// Whether this is one of the documented values.
    pub fn is_documented(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MessageType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `messagePlatform`: the channel the order belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "i64")]
#[non_exhaustive]
pub enum MessagePlatform {
    /// `0` — Taobao.
    Taobao,
    /// `1` — 1688.
    Alibaba1688,
    /// Any other number, kept.
    Other(i64),
}

impl From<i64> for MessagePlatform {
    fn from(n: i64) -> Self {
        match n {
            0 => Self::Taobao,
            1 => Self::Alibaba1688,
            n => Self::Other(n),
        }
    }
}

impl From<MessagePlatform> for i64 {
    fn from(p: MessagePlatform) -> i64 {
        match p {
            MessagePlatform::Taobao => 0,
            MessagePlatform::Alibaba1688 => 1,
            MessagePlatform::Other(n) => n,
        }
    }
}

/// `timestamp`: the push time. Xportcn sends a string of epoch milliseconds (`"1779263269913"`); PandaPon's type
/// is not published. The text is kept exactly as sent (a JSON number is kept as its digits).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PushTimestamp(pub String);

impl PushTimestamp {
    /// The push time in epoch milliseconds, when the value is a non-negative integer.
    pub fn as_millis(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

/// An amount in **fen** (分, 1/100 CNY).
///
/// The vendor does not name the unit; the published examples are integers that only add up as fen
/// (`totalAmount` 10000 = `productAmount` 9500 + `shippingFee` 500, i.e. ¥100.00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl fmt::Display for Fen {
    /// Formats as yuan with two decimals, e.g. `100.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// `orderStatus` in an order message body. The three named values are the ones the published examples show;
/// the full 1688 KA enum is not published, so others are kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum PushOrderStatus {
    /// `WAITING_FOR_PAYMENT`
    WaitingForPayment,
    /// `WAITING_FOR_SENT` (paid, waiting for shipment)
    WaitingForSent,
    /// `CANCEL`
    Cancel,
    /// Any other value, verbatim.
    Other(String),
}

impl From<String> for PushOrderStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "WAITING_FOR_PAYMENT" => Self::WaitingForPayment,
            "WAITING_FOR_SENT" => Self::WaitingForSent,
            "CANCEL" => Self::Cancel,
            _ => Self::Other(s),
        }
    }
}

impl From<PushOrderStatus> for String {
    fn from(s: PushOrderStatus) -> String {
        match s {
            PushOrderStatus::WaitingForPayment => "WAITING_FOR_PAYMENT".into(),
            PushOrderStatus::WaitingForSent => "WAITING_FOR_SENT".into(),
            PushOrderStatus::Cancel => "CANCEL".into(),
            PushOrderStatus::Other(s) => s,
        }
    }
}

/// `payStatus` in an order message body: `1` = unpaid, `2` = paid, as the examples imply (ORDER_CREATE carries 1,
/// ORDER_PAY_SUCCESS carries 2); the vendor publishes no table. Other numbers are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
#[non_exhaustive]
pub enum PayStatus {
    /// `1`
    Unpaid,
    /// `2`
    Paid,
    /// Any other number.
    Other(i64),
}

impl From<i64> for PayStatus {
    fn from(n: i64) -> Self {
        match n {
            1 => Self::Unpaid,
            2 => Self::Paid,
            n => Self::Other(n),
        }
    }
}

impl From<PayStatus> for i64 {
    fn from(s: PayStatus) -> i64 {
        match s {
            PayStatus::Unpaid => 1,
            PayStatus::Paid => 2,
            PayStatus::Other(n) => n,
        }
    }
}

/// Body of the order messages `ORDER_CREATE`, `ORDER_CANCEL`, `ORDER_PAY_SUCCESS` and
/// `ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY` (one shape in all four published examples).
///
/// Only `orderId` is required: the vendor publishes examples, not a schema, so the other fields are optional.
/// Fields the examples do not show are kept in [`OrderBody::extra`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderBody {
    /// Order id (19 digits in the examples, sent as a string); kept exactly.
    pub order_id: LenientId,
    /// Order number, e.g. `PO202605200001`.
    pub order_no: Option<String>,
    /// The order's status.
    pub order_status: Option<PushOrderStatus>,
    /// Whether it is paid.
    pub pay_status: Option<PayStatus>,
    /// Total, in fen.
    pub total_amount: Option<Fen>,
    /// Shipping fee, in fen.
    pub shipping_fee: Option<Fen>,
    /// Goods amount, in fen.
    pub product_amount: Option<Fen>,
    /// Refunded amount, in fen.
    pub refund_amount: Option<Fen>,
    /// `null` in every published example: its type is unknown, so it is kept as raw JSON.
    pub refund_status: Option<Value>,
    /// e.g. `buyer_cancel`.
    pub close_reason: Option<String>,
    /// Order creation time, `yyyy-MM-dd HH:mm:ss` (time zone not published; presumably China time, UTC+8).
    pub tb_create_time: Option<String>,
    /// Payment time, same format; `null` before payment.
    pub pay_time: Option<String>,
    /// Fields not in the published examples, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Body of `ORDER_BUYER_VIEW_ORDER_BUYER_REFUND`. The published example is cut off after `refundId` and `orderId`,
/// so those two are modelled and everything else is kept in [`RefundBody::extra`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundBody {
    /// Refund id, e.g. `TQxxxxxxxxxxxx`.
    pub refund_id: LenientId,
    /// Order id; kept exactly.
    pub order_id: LenientId,
    /// All other fields, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The decoded `messageBody`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum MessageBody {
    /// For `ORDER_CREATE`, `ORDER_CANCEL`, `ORDER_PAY_SUCCESS`, `ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY`.
    Order(OrderBody),
    /// For `ORDER_BUYER_VIEW_ORDER_BUYER_REFUND`.
    Refund(RefundBody),
    /// For any undocumented message type: the body as JSON (the exact text is in [`PushMessage::raw_body`]).
    Other(Value),
}

/// A PandaPon / Xportcn push message: `{messageType, messageBody, messagePlatform, timestamp}`.
///
/// Both vendors publish the same "Message access manual" (identical wording, different brand):
/// an HTTPS `POST` of a JSON object with
///
/// | field | documented meaning | modelled as |
/// |---|---|---|
/// | `messageType` | message type | [`MessageType`] (unknown values kept in [`MessageType::Other`]) |
/// | `messageBody` | message body — a JSON document **inside a string** in every published example | [`MessageBody`] + the exact text in [`PushMessage::raw_body`] |
/// | `messagePlatform` | `0` = Taobao, `1` = 1688 | [`MessagePlatform`] (unknown numbers kept) |
/// | `timestamp` | message push time; a string of epoch milliseconds in the examples | [`PushTimestamp`] (text kept as sent) |
///
/// Message types and body fields are those of the Xportcn manual (the only published list; see
/// `vendor-docs/notes/xportcn/product-docs.md`). PandaPon publishes the envelope but **no** message type
/// values: its pushes are parsed with the same model, and any type it sends that Xportcn does not document is
/// kept as [`MessageType::Other`] with its body as raw JSON ([`MessageBody::Other`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushMessage {
    /// `messageType`.
    pub message_type: MessageType,
    #[serde(rename = "messagePlatform")]
    /// `messagePlatform`.
    pub platform: MessagePlatform,
    /// `timestamp`: the push time.
    pub timestamp: PushTimestamp,
    /// The decoded `messageBody`.
    pub body: MessageBody,
    /// `messageBody` exactly as received (the JSON text inside the string). If a vendor sends `messageBody` as a
    /// JSON object instead of a string, this is that object re-serialised.
    pub raw_body: String,
}

impl PushMessage {
    /// Parses a push from the HTTP request body.
    ///
    /// Errors name the problem: not JSON, not an object, a missing or mistyped envelope field, a `messageBody`
    /// that is not JSON, or a body that does not fit its documented type. Undocumented message types are not an
    /// error: they parse to [`MessageType::Other`] / [`MessageBody::Other`].
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| ParseError::NotJson(e.to_string()))?;
        let Value::Object(mut obj) = value else {
            return Err(ParseError::NotAnObject(json_kind(&value)));
        };

        let message_type = match obj.remove("messageType") {
            Some(Value::String(s)) => MessageType::from_wire(&s),
            Some(other) => return Err(invalid("messageType", "a string", &other)),
            None => return Err(ParseError::MissingField("messageType")),
        };
        let raw_body = match obj.remove("messageBody") {
            Some(Value::String(s)) => s,
            // Not seen in any example, but PandaPon does not publish the type: accept an object as is.
            Some(v @ Value::Object(_)) => v.to_string(),
            Some(other) => {
                return Err(invalid("messageBody", "a string containing JSON", &other));
            }
            None => return Err(ParseError::MissingField("messageBody")),
        };
        let platform = match obj.remove("messagePlatform") {
            Some(v) => MessagePlatform::from(integer_field("messagePlatform", &v)?),
            None => return Err(ParseError::MissingField("messagePlatform")),
        };
        let timestamp = match obj.remove("timestamp") {
            Some(Value::String(s)) => PushTimestamp(s),
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => PushTimestamp(n.to_string()),
            Some(other) => {
                return Err(invalid(
                    "timestamp",
                    "a string or an integer (epoch milliseconds)",
                    &other,
                ));
            }
            None => return Err(ParseError::MissingField("timestamp")),
        };

        let body = decode_body(&message_type, &raw_body)?;
        Ok(Self {
            message_type,
            platform,
            timestamp,
            body,
            raw_body,
        })
    }

    /// The order id of the body, when the body has one (documented types always do; for undocumented types a
    /// top-level `orderId` string or integer is used if present).
    pub fn order_id(&self) -> Option<&str> {
        match &self.body {
            MessageBody::Order(b) => Some(b.order_id.as_str()),
            MessageBody::Refund(b) => Some(b.order_id.as_str()),
            MessageBody::Other(v) => v.get("orderId").and_then(Value::as_str),
        }
    }
}

impl crate::callback::Message for PushMessage {
    fn kind(&self) -> String {
        self.message_type.to_string()
    }

    fn order_id(&self) -> Option<&str> {
        PushMessage::order_id(self)
    }

    /// `orderStatus` of an order body.
    fn order_status(&self) -> Option<String> {
        match &self.body {
            MessageBody::Order(order) => order.order_status.clone().map(String::from),
            _ => None,
        }
    }

    fn dedup_parts(&self) -> Vec<std::borrow::Cow<'_, [u8]>> {
        vec![
            i64::from(self.platform).to_be_bytes().to_vec().into(),
            self.message_type.as_str().as_bytes().into(),
            self.raw_body.as_bytes().into(),
        ]
    }

    fn to_json(&self) -> serde_json::Result<Box<serde_json::value::RawValue>> {
        serde_json::value::to_raw_value(self)
    }
}

/// Decodes a `messageBody` text for the given type.
pub(crate) fn decode_body(
    message_type: &MessageType,
    raw: &str,
) -> Result<MessageBody, ParseError> {
    // First: is it JSON at all? (Clear error for "JSON-in-a-string that is not JSON".)
    let value: Value = serde_json::from_str(raw).map_err(|e| ParseError::BodyNotJson {
        message_type: message_type.to_string(),
        reason: e.to_string(),
    })?;
    let invalid_body = |e: serde_json::Error| ParseError::InvalidBody {
        message_type: message_type.to_string(),
        reason: e.to_string(),
    };
    // Typed decoding goes from the text again, so that ids are never routed through a float.
    match message_type {
        MessageType::OrderCreate
        | MessageType::OrderCancel
        | MessageType::OrderPaySuccess
        | MessageType::OrderBuyerViewOrderPriceModify => serde_json::from_str(raw)
            .map(MessageBody::Order)
            .map_err(invalid_body),
        MessageType::OrderBuyerViewOrderBuyerRefund => serde_json::from_str(raw)
            .map(MessageBody::Refund)
            .map_err(invalid_body),
        MessageType::Other(_) => Ok(MessageBody::Other(value)),
    }
}

fn invalid(field: &'static str, expected: &'static str, found: &Value) -> ParseError {
    ParseError::InvalidField {
        field,
        expected,
        found: json_kind(found).to_owned(),
    }
}

/// An integer given as a JSON integer or a string of digits.
fn integer_field(field: &'static str, v: &Value) -> Result<i64, ParseError> {
    let parsed = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| ParseError::InvalidField {
        field,
        expected: "an integer",
        found: match v {
            Value::String(_) => "a string that is not an integer".to_owned(),
            Value::Number(_) => "a non-integer number".to_owned(),
            other => json_kind(other).to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_displays_as_yuan() {
        assert_eq!(Fen(10000).to_string(), "100.00");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(-1234).to_string(), "-12.34");
    }

    #[test]
    fn message_type_round_trips_and_keeps_unknown() {
        for t in [
            "ORDER_CREATE",
            "ORDER_CANCEL",
            "ORDER_PAY_SUCCESS",
            "ORDER_BUYER_VIEW_ORDER_PRICE_MODIFY",
            "ORDER_BUYER_VIEW_ORDER_BUYER_REFUND",
        ] {
            let m = MessageType::from_wire(t);
            assert!(m.is_documented());
            assert_eq!(m.as_str(), t);
        }
        let m = MessageType::from_wire("ORDER_SOMETHING_NEW");
        assert_eq!(m, MessageType::Other("ORDER_SOMETHING_NEW".into()));
        assert_eq!(m.as_str(), "ORDER_SOMETHING_NEW");
    }

    #[test]
    fn platform_accepts_numeric_string() {
        let body = br#"{"messageType":"X","messageBody":"{}","messagePlatform":"0","timestamp":1}"#;
        let m = PushMessage::parse(body).unwrap();
        assert_eq!(m.platform, MessagePlatform::Taobao);
        assert_eq!(m.timestamp.as_millis(), Some(1));
    }
}
