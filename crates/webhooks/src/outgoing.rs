//! Encoding outgoing callbacks: what a vendor POSTs when an order changes, in each provider's documented shape
//! (the one place the sandbox and `sourcing webhooks send` build them, through
//! [`crate::CallbackFormat::encode`]; the receiving side is [`crate::CallbackFormat::parse`]).
//!
//! | provider | body | per event |
//! |---|---|---|
//! | PandaPon, Xportcn | JSON `{messageType, messageBody (JSON in a string), messagePlatform: 1, timestamp}` ([`crate::PushMessage`]) | `ORDER_CREATE` / `ORDER_PAY_SUCCESS` / `ORDER_CANCEL` with the published [`crate::OrderBody`] fields, amounts in fen; **shipped: no documented message type — not sent** |
//! | Dajisaas | form `message` + `_dj_signature` (HMAC-SHA1 hex with the app secret over the decoded message, the [`crate::DajisaasVerifier`] default) | the documented Taobao-shape message, `message_type` 3 (order status update), `status` `WAIT_BUYER_P` / `WAIT_SELLER_SEND_GOODS` / `WAIT_BUYER_CONFIRM_GOODS` / `TRADE_CLOSED` |
//!
//! Nothing here is invented: an event a provider documents no message for is [`Undocumented`], and the caller
//! skips it.

use crate::TaobaoOrderStatus;
use crate::dajisaas::{DajisaasVerifier, MESSAGE_FIELD, SIGNATURE_FIELD, SignedInput};
use crate::push::{Fen, MessageType, PayStatus, PushOrderStatus};
use serde_json::{Value, json};
use std::fmt;

/// What happened to the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OrderEvent {
    /// The order was created.
    Created,
    /// The order was paid.
    Paid,
    /// The order was cancelled.
    Cancelled,
    /// The seller shipped (only Dajisaas' Taobao-shape message documents a state for it).
    Shipped,
}

impl OrderEvent {
    /// Every event.
    pub const ALL: [OrderEvent; 4] = [
        OrderEvent::Created,
        OrderEvent::Paid,
        OrderEvent::Cancelled,
        OrderEvent::Shipped,
    ];

    /// The event's name (`created`, `paid`, `cancelled`, `shipped`).
    pub fn name(self) -> &'static str {
        match self {
            OrderEvent::Created => "created",
            OrderEvent::Paid => "paid",
            OrderEvent::Cancelled => "cancelled",
            OrderEvent::Shipped => "shipped",
        }
    }

    /// The event of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

impl fmt::Display for OrderEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The order a callback is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderFacts {
    /// The order id, exact digits.
    pub order_id: String,
    /// Goods amount, in fen.
    pub goods: Fen,
    /// Freight, in fen.
    pub freight: Fen,
    /// When the order was created, epoch milliseconds.
    pub created_ms: u64,
    /// When it was paid, epoch milliseconds.
    pub paid_ms: Option<u64>,
}

/// One encoded callback: POST `body` with `content_type`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outgoing {
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The request body.
    pub body: String,
}

impl OrderFacts {
    /// Order `order_id` of `goods` + `freight`, created at `created_ms`, paid at `paid_ms` (epoch ms).
    pub fn new(
        order_id: impl Into<String>,
        goods: Fen,
        freight: Fen,
        created_ms: u64,
        paid_ms: Option<u64>,
    ) -> Self {
        Self {
            order_id: order_id.into(),
            goods,
            freight,
            created_ms,
            paid_ms,
        }
    }
}

impl Outgoing {
    /// POST `body` with `content_type`.
    pub fn new(content_type: &'static str, body: String) -> Self {
        Self { content_type, body }
    }
}

/// The provider documents no callback for this event: nothing is sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{provider} documents no callback for an order being {event}")]
#[non_exhaustive]
pub struct Undocumented {
    /// The provider.
    pub provider: &'static str,
    /// The event.
    pub event: OrderEvent,
}

impl Undocumented {
    /// `provider` documents no callback for `event`.
    pub fn new(provider: &'static str, event: OrderEvent) -> Self {
        Self { provider, event }
    }
}

/// The published push: `{messageType, messageBody, messagePlatform, timestamp}` (Xportcn's examples).
pub(crate) fn push_message(
    provider: &'static str,
    event: OrderEvent,
    order: &OrderFacts,
    now_ms: u64,
) -> Result<Outgoing, Undocumented> {
    let (message_type, status, pay_status) = match event {
        OrderEvent::Created => (
            MessageType::OrderCreate,
            PushOrderStatus::WaitingForPayment,
            PayStatus::Unpaid,
        ),
        OrderEvent::Paid => (
            MessageType::OrderPaySuccess,
            PushOrderStatus::WaitingForSent,
            PayStatus::Paid,
        ),
        OrderEvent::Cancelled => (
            MessageType::OrderCancel,
            PushOrderStatus::Cancel,
            if order.paid_ms.is_some() {
                PayStatus::Paid
            } else {
                PayStatus::Unpaid
            },
        ),
        OrderEvent::Shipped => return Err(Undocumented { provider, event }),
    };
    let body = json!({
        "orderId": order.order_id,
        "orderStatus": String::from(status),
        "payStatus": i64::from(pay_status),
        "totalAmount": order.goods.0.saturating_add(order.freight.0),
        "shippingFee": order.freight.0,
        "productAmount": order.goods.0,
        "refundAmount": 0,
        "refundStatus": null,
        "closeReason": (event == OrderEvent::Cancelled).then_some("buyer_cancel"),
        "tbCreateTime": china_time(order.created_ms),
        "payTime": order.paid_ms.map(china_time),
    });
    let push = json!({
        "messageType": message_type.as_str(),
        "messageBody": body.to_string(),
        "messagePlatform": 1,
        "timestamp": now_ms.to_string(),
    });
    Ok(Outgoing {
        content_type: "application/json",
        body: push.to_string(),
    })
}

/// The documented Taobao-shape order status update (type 3), signed.
pub(crate) fn dajisaas_form(
    verifier: &DajisaasVerifier,
    event: OrderEvent,
    order: &OrderFacts,
    now_ms: u64,
) -> Outgoing {
    let status = match event {
        OrderEvent::Created => TaobaoOrderStatus::WaitBuyerPay,
        OrderEvent::Paid => TaobaoOrderStatus::WaitSellerSendGoods,
        OrderEvent::Shipped => TaobaoOrderStatus::WaitBuyerConfirmGoods,
        OrderEvent::Cancelled => TaobaoOrderStatus::TradeClosed,
    };
    // `purchase_id` is a JSON number in the published example: its digits are written as they are.
    let purchase_id = match order.order_id.parse::<u64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(order.order_id.clone()),
    };
    let message = json!({
        "message_type": 3,
        "data": {
            "business_time": now_ms,
            "purchase_id": purchase_id,
            "sku_list": [],
            "status": String::from(status),
        },
        "timestamp": now_ms / 1000,
    })
    .to_string();
    let encoded = form_encode(&message);
    let signed = match verifier.signed_input() {
        SignedInput::DecodedMessage => message.as_str(),
        SignedInput::EncodedMessage => encoded.as_str(),
    };
    let mut body = format!("{MESSAGE_FIELD}={encoded}");
    if let Some(signature) = verifier.sign_hex(signed) {
        body.push_str(&format!("&{SIGNATURE_FIELD}={signature}"));
    }
    Outgoing {
        content_type: "application/x-www-form-urlencoded",
        body,
    }
}

/// `application/x-www-form-urlencoded` value: every byte but the unreserved ones percent-encoded.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `yyyy-MM-dd HH:mm:ss` in China time (UTC+8), the examples' format.
fn china_time(ms: u64) -> String {
    let secs = ms / 1000 + 8 * 3600;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallbackFormat, DajisaasVerifier, PushMessage, formats};

    fn order() -> OrderFacts {
        OrderFacts {
            order_id: "3305075341149134260".into(),
            goods: Fen(9500),
            freight: Fen(500),
            created_ms: 1_779_263_200_000,
            paid_ms: Some(1_779_263_260_000),
        }
    }

    /// Encode → the crate's own parser (and, for Dajisaas, verifier) accepts it with the same order id and
    /// the state the event means.
    #[test]
    fn every_encoded_callback_round_trips_through_the_receiver() {
        let formats = [
            formats::pandapon(),
            formats::xportcn(),
            formats::dajisaas(DajisaasVerifier::new("sandbox-app-secret")),
            formats::dajisaas(
                DajisaasVerifier::new("k").with_signed_input(SignedInput::EncodedMessage),
            ),
        ];
        for format in &formats {
            for event in OrderEvent::ALL {
                let sent = match format.encode(event, &order(), 1_779_263_269_913) {
                    Ok(sent) => sent,
                    Err(e) => {
                        assert!(
                            event == OrderEvent::Shipped && format.name() != "dajisaas",
                            "{e}"
                        );
                        continue;
                    }
                };
                let cb = format
                    .parse(sent.body.as_bytes())
                    .unwrap_or_else(|e| panic!("{} {event}: {e}: {}", format.name(), sent.body));
                assert_eq!(cb.order_id(), Some("3305075341149134260"));
                let want = match (format.name(), event) {
                    ("dajisaas", OrderEvent::Created) => "WAIT_BUYER_P",
                    ("dajisaas", OrderEvent::Paid) => "WAIT_SELLER_SEND_GOODS",
                    ("dajisaas", OrderEvent::Shipped) => "WAIT_BUYER_CONFIRM_GOODS",
                    ("dajisaas", OrderEvent::Cancelled) => "TRADE_CLOSED",
                    (_, OrderEvent::Created) => "WAITING_FOR_PAYMENT",
                    (_, OrderEvent::Paid) => "WAITING_FOR_SENT",
                    (_, _) => "CANCEL",
                };
                assert_eq!(cb.order_status().as_deref(), Some(want));
            }
        }
    }

    #[test]
    fn push_bodies_carry_the_published_fields_in_fen() {
        let format = formats::xportcn();
        let sent = format.encode(OrderEvent::Paid, &order(), 1).unwrap();
        let cb = format.parse(sent.body.as_bytes()).unwrap();
        let Some(push) = cb.message::<PushMessage>() else {
            panic!("{}", sent.body)
        };
        let crate::MessageBody::Order(body) = &push.body else {
            panic!("not an order body")
        };
        assert_eq!(body.total_amount, Some(Fen(10_000)));
        assert_eq!(body.shipping_fee, Some(Fen(500)));
        assert_eq!(body.product_amount, Some(Fen(9500)));
        assert_eq!(body.pay_status, Some(PayStatus::Paid));
        assert_eq!(body.tb_create_time.as_deref(), Some("2026-05-20 15:46:40"));
    }

    #[test]
    fn a_wrong_key_is_refused() {
        let right: &dyn CallbackFormat =
            &formats::DajisaasFormat::new(DajisaasVerifier::new("right"));
        let sent = right.encode(OrderEvent::Paid, &order(), 1).unwrap();
        let other = formats::dajisaas(DajisaasVerifier::new("wrong"));
        assert!(other.parse(sent.body.as_bytes()).is_err());
    }
}
