//! Dajisaas pushes: a form with a message and its HMAC-SHA1 signature ([`DajisaasVerifier`], [`DajisaasMessage`]).

use crate::error::{CallbackError, ParseError, SignatureError};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha1::Sha1;
use sourcing_runtime::{LenientId, Secret};
use std::fmt;

type HmacSha1 = Hmac<Sha1>;

/// Standard base64 alphabet, padding optional on decode.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Name of the form field carrying the message.
pub(crate) const MESSAGE_FIELD: &str = "message";
/// Name of the form field carrying the signature.
pub(crate) const SIGNATURE_FIELD: &str = "_dj_signature";

/// Accepted encodings of `_dj_signature` (not published by Dajisaas).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// 40 hex digits, upper or lower case.
    Hex,
    /// Standard base64 of the 20 MAC bytes (padding optional; a `+` turned into a space by form decoding is
    /// restored).
    Base64,
    /// Either of the above (the length tells them apart: 40 vs 27/28 characters). Default.
    #[default]
    HexOrBase64,
}

/// Which bytes the HMAC covers (not published by Dajisaas).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignedInput {
    /// The `message` form value after URL-decoding, as UTF-8. Default (what a Java servlet's
    /// `request.getParameter("message")` returns).
    #[default]
    DecodedMessage,
    /// The `message` value exactly as it appears in the request body, before percent-decoding.
    EncodedMessage,
}

/// A named variant of an unpublished rule, chosen by the configuration key `DAJISAAS_CALLBACK_SIGNED_INPUT`
/// (`decoded` | `encoded`; see the root README's table of signing variants).
impl sourcing_runtime::Variant for SignedInput {
    const ALL: &'static [Self] = &[SignedInput::DecodedMessage, SignedInput::EncodedMessage];
    fn name(self) -> &'static str {
        match self {
            SignedInput::DecodedMessage => "decoded",
            SignedInput::EncodedMessage => "encoded",
        }
    }
}

#[derive(Clone)]
enum Mode {
    HmacSha1 {
        key: Secret,
        encoding: SignatureEncoding,
        input: SignedInput,
    },
    Skip,
}

/// Checks `_dj_signature`. `Debug` never shows the key.
///
/// Dajisaas pushes are an HTTP `POST` **form** (not JSON) with two fields, and their HMAC-SHA1 signature.
///
/// What Dajisaas publishes ("1688 Messages – Signature Verification", doc-7744081 / doc-5787639; the
/// Taobao/Tmall twin doc-7744084 has the same text):
///
/// ```text
/// Message Delivery Method: Sent via POST form (not JSON)
/// message:String        //消息内容 (message content)
/// _dj_signature:String  //签名验证(HmacSHA1) (signature verification, HmacSHA1)
/// ```
///
/// The Java example that would fix the details is not available. **Unconfirmed** choices, each the most likely
/// reading, and how this crate handles them:
///
/// | unknown | this crate | alternative you can choose |
/// |---|---|---|
/// | HMAC key | your Dajisaas **app secret** ([`DajisaasVerifier::new`]) | any key: the argument is just the key |
/// | signed input | the `message` value **after** form decoding, as UTF-8 bytes ([`SignedInput::DecodedMessage`]) | [`SignedInput::EncodedMessage`]: the value as it appears in the body, before percent-decoding |
/// | output encoding | hex (either case) **or** base64 — both accepted ([`SignatureEncoding::HexOrBase64`]) | [`SignatureEncoding::Hex`] or [`SignatureEncoding::Base64`] only |
/// | reply expected | HTTP 200 | — (not published, nor retries or timeout) |
/// | `message` format | JSON; parsed into [`TaobaoMessage`] when it has the documented Taobao/Tmall shape, otherwise kept raw | — |
///
/// Accepting both encodings does not weaken the check: both are encodings of the same 20-byte MAC, which the
/// sender can only produce with the key. Comparison is constant-time ([`hmac::Mac::verify_slice`]).
/// As a last resort while the scheme is unconfirmed, [`DajisaasVerifier::insecure_skip_verification`] accepts
/// unsigned messages (logged as a warning on every delivery); never the default.
#[derive(Clone)]
pub struct DajisaasVerifier {
    mode: Mode,
}

impl fmt::Debug for DajisaasVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mode {
            Mode::HmacSha1 {
                key,
                encoding,
                input,
            } => f
                .debug_struct("DajisaasVerifier")
                .field("key", key)
                .field("encoding", encoding)
                .field("input", input)
                .finish(),
            Mode::Skip => f.write_str("DajisaasVerifier(insecure: verification skipped)"),
        }
    }
}

impl DajisaasVerifier {
    /// HMAC-SHA1 keyed with `key` — most likely your Dajisaas app secret (unconfirmed) — over the decoded
    /// `message` value, accepting hex or base64.
    pub fn new(key: impl Into<Secret>) -> Self {
        Self {
            mode: Mode::HmacSha1 {
                key: key.into(),
                encoding: SignatureEncoding::default(),
                input: SignedInput::default(),
            },
        }
    }

    /// Restricts the accepted signature encoding.
    pub fn with_encoding(mut self, encoding: SignatureEncoding) -> Self {
        if let Mode::HmacSha1 { encoding: e, .. } = &mut self.mode {
            *e = encoding;
        }
        self
    }

    /// Chooses which bytes the HMAC covers.
    pub fn with_signed_input(mut self, input: SignedInput) -> Self {
        if let Mode::HmacSha1 { input: i, .. } = &mut self.mode {
            *i = input;
        }
        self
    }

    /// Accepts every message without checking `_dj_signature`. Only for trying out an endpoint while the
    /// signature scheme is unconfirmed; every delivery is logged as a warning.
    pub fn insecure_skip_verification() -> Self {
        Self { mode: Mode::Skip }
    }

    /// Whether signatures are checked.
    pub fn is_verifying(&self) -> bool {
        matches!(self.mode, Mode::HmacSha1 { .. })
    }

    /// Verifies `signature` over `message` (the decoded value). With [`SignedInput::EncodedMessage`] use
    /// [`DajisaasMessage::from_form`], which has the encoded text.
    pub fn verify(&self, message: &str, signature: &str) -> Result<(), SignatureError> {
        self.verify_bytes(message.as_bytes(), signature)
    }

    fn verify_bytes(&self, signed: &[u8], signature: &str) -> Result<(), SignatureError> {
        let Mode::HmacSha1 { key, encoding, .. } = &self.mode else {
            return Ok(());
        };
        let signature = signature.trim();
        if signature.is_empty() {
            return Err(SignatureError::Missing {
                field: SIGNATURE_FIELD,
            });
        }
        let provided = decode_signature(signature, *encoding)?;
        let mut mac = HmacSha1::new_from_slice(key.expose().as_bytes()).map_err(|_| MISMATCH)?;
        mac.update(signed);
        mac.verify_slice(&provided).map_err(|_| MISMATCH)
    }

    /// Lower-case hex HMAC-SHA1 of `message` under this verifier's key (for tests and local simulators).
    /// `None` when verification is skipped.
    pub fn sign_hex(&self, message: &str) -> Option<String> {
        self.mac(message.as_bytes()).map(|m| {
            m.iter().fold(String::with_capacity(40), |mut s, b| {
                use fmt::Write;
                let _ = write!(s, "{b:02x}");
                s
            })
        })
    }

    /// Standard base64 HMAC-SHA1 of `message` under this verifier's key. `None` when verification is skipped.
    pub fn sign_base64(&self, message: &str) -> Option<String> {
        self.mac(message.as_bytes()).map(|m| BASE64.encode(m))
    }

    fn mac(&self, data: &[u8]) -> Option<Vec<u8>> {
        let Mode::HmacSha1 { key, .. } = &self.mode else {
            return None;
        };
        let mut mac = HmacSha1::new_from_slice(key.expose().as_bytes()).ok()?;
        mac.update(data);
        Some(mac.finalize().into_bytes().to_vec())
    }

    pub(crate) fn signed_input(&self) -> SignedInput {
        match &self.mode {
            Mode::HmacSha1 { input, .. } => *input,
            Mode::Skip => SignedInput::DecodedMessage,
        }
    }
}

const MISMATCH: SignatureError = SignatureError::Mismatch {
    field: SIGNATURE_FIELD,
};
const HEX_OR_BASE64: &str = "an HMAC-SHA1 value in the accepted encoding (hex or base64)";

fn malformed(expected: &'static str) -> SignatureError {
    SignatureError::Malformed {
        field: SIGNATURE_FIELD,
        expected,
    }
}

fn decode_signature(sig: &str, encoding: SignatureEncoding) -> Result<Vec<u8>, SignatureError> {
    let looks_hex = sig.len() == 40 && sig.bytes().all(|b| b.is_ascii_hexdigit());
    match encoding {
        SignatureEncoding::Hex => decode_hex(sig).ok_or(malformed(
            "an HMAC-SHA1 value in the accepted encoding (hex)",
        )),
        SignatureEncoding::Base64 => decode_base64(sig).ok_or(malformed(
            "an HMAC-SHA1 value in the accepted encoding (base64)",
        )),
        SignatureEncoding::HexOrBase64 if looks_hex => {
            decode_hex(sig).ok_or(malformed(HEX_OR_BASE64))
        }
        SignatureEncoding::HexOrBase64 => decode_base64(sig).ok_or(malformed(HEX_OR_BASE64)),
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 40 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    // A '+' sent unencoded in a form body becomes a space after decoding; base64 has no spaces.
    let restored = s.replace(' ', "+");
    BASE64.decode(restored).ok().filter(|b| b.len() == 20)
}

/// A verified Dajisaas push.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DajisaasMessage {
    /// The `message` form field exactly as received (after form decoding).
    pub message: String,
    /// `message` decoded, as far as its format is known.
    pub payload: DajisaasPayload,
    /// Whether `_dj_signature` was checked (false only with
    /// [`DajisaasVerifier::insecure_skip_verification`]).
    pub signature_verified: bool,
    /// Form fields other than `message` and `_dj_signature`, in order (none are documented; kept, not dropped).
    pub other_fields: Vec<(String, String)>,
}

/// The content of a Dajisaas `message`.
///
/// The 1688 trade message format is **not published**; the only published example is a Taobao/Tmall message
/// (`{seller_id, message_type, data, timestamp, site}`). A `message` of that shape becomes
/// [`DajisaasPayload::Taobao`]; other JSON is kept as [`DajisaasPayload::Json`], and a message that is not JSON
/// at all as [`DajisaasPayload::Text`] (its text is in [`DajisaasMessage::message`]). Authentic messages of an
/// unpublished format are delivered, never refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "format", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DajisaasPayload {
    /// The documented Taobao/Tmall shape.
    Taobao(Box<TaobaoMessage>),
    /// JSON of another shape (the 1688 format is unpublished), as received.
    Json(Value),
    /// Not JSON: the text is in [`DajisaasMessage::message`].
    Text,
}

/// `message_type` of a Dajisaas Taobao/Tmall message ("Message Type", doc-4966230).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
#[non_exhaustive]
pub enum TaobaoMessageType {
    /// `3` — order status update.
    OrderStatusUpdate,
    /// `8` — price change (the published description is cut off).
    PriceChange,
    /// Any other number, kept.
    Other(i64),
}

impl From<i64> for TaobaoMessageType {
    fn from(n: i64) -> Self {
        match n {
            3 => Self::OrderStatusUpdate,
            8 => Self::PriceChange,
            n => Self::Other(n),
        }
    }
}

impl From<TaobaoMessageType> for i64 {
    fn from(t: TaobaoMessageType) -> i64 {
        match t {
            TaobaoMessageType::OrderStatusUpdate => 3,
            TaobaoMessageType::PriceChange => 8,
            TaobaoMessageType::Other(n) => n,
        }
    }
}

/// A Dajisaas Taobao/Tmall message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaobaoMessage {
    /// Distributor id (a string at the top level of the example, a number inside `data`).
    pub seller_id: Option<LenientId>,
    /// `message_type` (3: order status update, 8: price change).
    pub message_type: TaobaoMessageType,
    /// `data`, decoded for the documented types.
    pub data: TaobaoMessageData,
    /// Epoch **seconds** in the example (`1650939687`).
    pub timestamp: Option<i64>,
    /// e.g. `taobao_hk`.
    pub site: Option<String>,
    /// Top-level fields not in the example.
    pub extra: Map<String, Value>,
}

/// `data` of a [`TaobaoMessage`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum TaobaoMessageData {
    /// `message_type` 3.
    OrderStatusUpdate(OrderStatusUpdate),
    /// `message_type` 8.
    PriceChange(PriceChange),
    /// Undocumented `message_type`: `data` as received.
    Other(Value),
}

/// Taobao/Tmall purchase order status (`status` in a type-3 message). Spelling `BULIDING` is the vendor's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum TaobaoOrderStatus {
    /// `BULIDING` — creating.
    Building,
    /// `WAIT_BUYER_P` — pending payment.
    WaitBuyerPay,
    /// `WAIT_SELLER_SEND_GOODS` — pending delivery.
    WaitSellerSendGoods,
    /// `WAIT_BUYER_CONFIRM_GOODS` — dispatched.
    WaitBuyerConfirmGoods,
    /// `TRADE_CLOSED` — closed.
    TradeClosed,
    /// Any other value, verbatim.
    Other(String),
}

impl From<String> for TaobaoOrderStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "BULIDING" => Self::Building,
            "WAIT_BUYER_P" => Self::WaitBuyerPay,
            "WAIT_SELLER_SEND_GOODS" => Self::WaitSellerSendGoods,
            "WAIT_BUYER_CONFIRM_GOODS" => Self::WaitBuyerConfirmGoods,
            "TRADE_CLOSED" => Self::TradeClosed,
            _ => Self::Other(s),
        }
    }
}

impl From<TaobaoOrderStatus> for String {
    fn from(s: TaobaoOrderStatus) -> String {
        match s {
            TaobaoOrderStatus::Building => "BULIDING".into(),
            TaobaoOrderStatus::WaitBuyerPay => "WAIT_BUYER_P".into(),
            TaobaoOrderStatus::WaitSellerSendGoods => "WAIT_SELLER_SEND_GOODS".into(),
            TaobaoOrderStatus::WaitBuyerConfirmGoods => "WAIT_BUYER_CONFIRM_GOODS".into(),
            TaobaoOrderStatus::TradeClosed => "TRADE_CLOSED".into(),
            TaobaoOrderStatus::Other(s) => s,
        }
    }
}

/// `data` of a type-3 (order status update) message. `purchase_id` and `status` are required; the rest is
/// optional because the vendor publishes one example, not a schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderStatusUpdate {
    /// Status update time, epoch **milliseconds** in the example (`1650939687564`).
    pub business_time: Option<i64>,
    /// The ISV's own purchase order number.
    pub outer_purchase_id: Option<String>,
    /// Purchase order id on the Taobao distribution platform; kept exactly.
    pub purchase_id: LenientId,
    /// Distributor id.
    pub seller_id: Option<LenientId>,
    #[serde(default)]
    /// The lines of the order, with their own status and shipment.
    pub sku_list: Vec<SkuStatus>,
    /// The order's new status.
    pub status: TaobaoOrderStatus,
    #[serde(flatten)]
    /// Fields not in the published example, as received.
    pub extra: Map<String, Value>,
}

/// One line of `sku_list`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkuStatus {
    /// Item id; kept exactly.
    pub item_id: Option<LenientId>,
    /// Carrier name.
    pub logistic_company_name: Option<String>,
    /// Tracking number.
    pub logistic_number: Option<String>,
    /// The ISV's sub-order number.
    pub order_line_no: Option<String>,
    /// SKU id; kept exactly.
    pub sku_id: Option<LenientId>,
    /// The line's status.
    pub status: Option<TaobaoOrderStatus>,
    #[serde(flatten)]
    /// Fields not in the published example, as received.
    pub extra: Map<String, Value>,
}

/// `data` of a type-8 (price change) message. The published description is cut off: only field names are
/// known, so ids are [`LenientId`]s and every other value (amounts — unit unknown —, currency, market) is raw
/// JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceChange {
    /// `salesOrderId`.
    pub sales_order_id: Option<LenientId>,
    /// `salesSellerId`.
    pub sales_seller_id: Option<LenientId>,
    /// `purchaseMarket` (type not published: raw JSON).
    pub purchase_market: Option<Value>,
    /// `purchaseOrderId`.
    pub purchase_order_id: Option<LenientId>,
    #[serde(rename = "purchaseOrderPriceDTO")]
    /// `purchaseOrderPriceDTO`.
    pub purchase_order_price: Option<PurchaseOrderPrice>,
    /// `purchaseOrderLinePriceChangeMessageDTOList`; element fields not published.
    #[serde(rename = "purchaseOrderLinePriceChangeMessageDTOList")]
    pub line_price_changes: Option<Vec<Value>>,
    #[serde(flatten)]
    /// Fields not in the published description, as received.
    pub extra: Map<String, Value>,
}

/// `purchaseOrderPriceDTO`: names published, types and units not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseOrderPrice {
    /// `purchaseCurrency`.
    pub purchase_currency: Option<Value>,
    /// `purchaseTotalFee` (unit not published).
    pub purchase_total_fee: Option<Value>,
    /// `purchaseProductFee` (unit not published).
    pub purchase_product_fee: Option<Value>,
    /// `purchaseShippingFee` (unit not published).
    pub purchase_shipping_fee: Option<Value>,
    #[serde(flatten)]
    /// Fields not in the published description, as received.
    pub extra: Map<String, Value>,
}

impl DajisaasMessage {
    /// Parses an `application/x-www-form-urlencoded` body, verifies `_dj_signature` with `verifier`, then decodes
    /// `message`.
    ///
    /// Order of checks: form syntax and the `message` field (→ [`ParseError`]), then the signature
    /// (→ [`SignatureError`]), then the content (→ [`ParseError::InvalidBody`] only for a documented Taobao
    /// message type whose `data` does not fit). Content is not examined before the signature is checked.
    pub fn from_form(body: &[u8], verifier: &DajisaasVerifier) -> Result<Self, CallbackError> {
        let form = parse_form(body)?;
        let mut message: Option<(String, String)> = None;
        let mut signature: Option<String> = None;
        let mut other_fields = Vec::new();
        for field in form {
            match field.name.as_str() {
                MESSAGE_FIELD => {
                    if message.is_some() {
                        return Err(ParseError::DuplicateFormField(MESSAGE_FIELD).into());
                    }
                    message = Some((field.value, field.raw_value));
                }
                SIGNATURE_FIELD => {
                    if signature.is_some() {
                        return Err(ParseError::DuplicateFormField(SIGNATURE_FIELD).into());
                    }
                    signature = Some(field.value);
                }
                _ => other_fields.push((field.name, field.value)),
            }
        }
        let (message, raw_message) = message.ok_or(ParseError::MissingFormField(MESSAGE_FIELD))?;

        if verifier.is_verifying() {
            let signature = signature.ok_or(SignatureError::Missing {
                field: SIGNATURE_FIELD,
            })?;
            let signed = match verifier.signed_input() {
                SignedInput::DecodedMessage => message.as_bytes(),
                SignedInput::EncodedMessage => raw_message.as_bytes(),
            };
            verifier.verify_bytes(signed, &signature)?;
        }

        let payload = decode_payload(&message)?;
        Ok(Self {
            message,
            payload,
            signature_verified: verifier.is_verifying(),
            other_fields,
        })
    }

    /// The purchase id of a Taobao order status update, if this is one.
    pub fn purchase_id(&self) -> Option<&str> {
        match &self.payload {
            DajisaasPayload::Taobao(t) => match &t.data {
                TaobaoMessageData::OrderStatusUpdate(u) => Some(u.purchase_id.as_str()),
                _ => None,
            },
            _ => None,
        }
    }
}

impl crate::callback::Message for DajisaasMessage {
    fn kind(&self) -> String {
        match &self.payload {
            DajisaasPayload::Taobao(t) => {
                format!("taobao message_type {}", i64::from(t.message_type))
            }
            DajisaasPayload::Json(_) => "json".into(),
            DajisaasPayload::Text => "text".into(),
        }
    }

    /// `purchase_id` of a Taobao order status update.
    fn order_id(&self) -> Option<&str> {
        self.purchase_id()
    }

    /// `status` of a Taobao order status update.
    fn order_status(&self) -> Option<String> {
        match &self.payload {
            DajisaasPayload::Taobao(t) => match &t.data {
                TaobaoMessageData::OrderStatusUpdate(u) => Some(String::from(u.status.clone())),
                _ => None,
            },
            _ => None,
        }
    }

    /// The exact `message` value (the signed content).
    fn dedup_parts(&self) -> Vec<std::borrow::Cow<'_, [u8]>> {
        vec![self.message.as_bytes().into()]
    }

    fn to_json(&self) -> serde_json::Result<Box<serde_json::value::RawValue>> {
        serde_json::value::to_raw_value(self)
    }
}

/// Decodes the content of a `message` field (see [`DajisaasPayload`]).
pub(crate) fn decode_payload(message: &str) -> Result<DajisaasPayload, ParseError> {
    let Ok(value) = serde_json::from_str::<Value>(message) else {
        return Ok(DajisaasPayload::Text);
    };
    let Value::Object(mut obj) = value else {
        return Ok(DajisaasPayload::Json(value));
    };
    // The documented Taobao/Tmall shape: an integer `message_type` and a `data` member.
    let message_type = match obj.get("message_type").map(Value::as_i64) {
        Some(Some(n)) if obj.contains_key("data") => TaobaoMessageType::from(n),
        _ => return Ok(DajisaasPayload::Json(Value::Object(obj))),
    };
    obj.remove("message_type");
    let invalid = |field: &str, reason: String| ParseError::InvalidBody {
        message_type: format!("Dajisaas Taobao message_type {}", i64::from(message_type)),
        reason: format!("{field}: {reason}"),
    };
    let raw_data = obj.remove("data").unwrap_or(Value::Null);
    // Typed `data` is decoded from the original text (not from `raw_data`), so that big integer ids never pass
    // through a float.
    let data = match message_type {
        TaobaoMessageType::OrderStatusUpdate => serde_json::from_str::<DataOnly<_>>(message)
            .map(|d| TaobaoMessageData::OrderStatusUpdate(d.data))
            .map_err(|e| invalid("data", e.to_string()))?,
        TaobaoMessageType::PriceChange => serde_json::from_str::<DataOnly<_>>(message)
            .map(|d| TaobaoMessageData::PriceChange(d.data))
            .map_err(|e| invalid("data", e.to_string()))?,
        TaobaoMessageType::Other(_) => TaobaoMessageData::Other(raw_data),
    };
    let seller_id = match obj.remove("seller_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<LenientId>(v)
                .map_err(|e| invalid("seller_id", e.to_string()))?,
        ),
    };
    let timestamp = match obj.remove("timestamp") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| invalid("timestamp", "expected an integer".into()))?,
        ),
    };
    let site = match obj.remove("site") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(invalid("site", "expected a string".into())),
    };
    Ok(DajisaasPayload::Taobao(Box::new(TaobaoMessage {
        seller_id,
        message_type,
        data,
        timestamp,
        site,
        extra: obj,
    })))
}

/// Only the `data` member of a message (other members are ignored here).
#[derive(Deserialize)]
struct DataOnly<T> {
    data: T,
}

struct FormField {
    name: String,
    value: String,
    /// The value as it appeared in the body (still percent-encoded).
    raw_value: String,
}

/// Strict `application/x-www-form-urlencoded` parsing: `+` is a space, `%XX` escapes must be valid and the
/// decoded text must be UTF-8.
fn parse_form(body: &[u8]) -> Result<Vec<FormField>, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        ParseError::InvalidForm(
            "body is not ASCII/UTF-8 text (form values must be percent-encoded)".into(),
        )
    })?;
    let text = text.trim_end_matches(['\r', '\n']);
    let mut fields = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(name)
            .map_err(|e| ParseError::InvalidForm(format!("field name: {e}")))?;
        let decoded = percent_decode(value)
            .map_err(|e| ParseError::InvalidForm(format!("value of `{name}`: {e}")))?;
        fields.push(FormField {
            name,
            value: decoded,
            raw_value: value.to_owned(),
        });
    }
    Ok(fields)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("invalid percent-escape at byte {i}"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "percent-decoded text is not valid UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_is_strict() {
        let f = parse_form(b"message=a%20b+c&x=&_dj_signature=%2B").unwrap();
        assert_eq!(f[0].value, "a b c");
        assert_eq!(f[0].raw_value, "a%20b+c");
        assert_eq!(f[1].name, "x");
        assert_eq!(f[2].value, "+");
        assert!(parse_form(b"message=%zz").is_err());
        assert!(parse_form(b"message=%e4").is_err());
        assert!(parse_form(b"message=%").is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let v = DajisaasVerifier::new("the-app-secret-42");
        let shown = format!("{v:?}");
        assert!(!shown.contains("the-app-secret-42"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex(&"0aF1".repeat(10)).unwrap()[..2], [0x0a, 0xf1]);
        assert!(decode_hex(&"zz".repeat(20)).is_none());
        assert!(decode_hex("00").is_none());
    }
}
