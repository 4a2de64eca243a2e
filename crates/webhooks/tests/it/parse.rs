//! Parsing of the published callback fixtures, unknown message types, and malformed bodies.

use serde_json::Value;
use sourcing_webhooks::{
    CallbackError, DajisaasMessage, DajisaasPayload, DajisaasVerifier, Fen, MessageBody,
    MessagePlatform, MessageType, ParseError, PayStatus, PushMessage, PushOrderStatus,
    TaobaoMessageData, TaobaoMessageType, TaobaoOrderStatus, formats,
};
use std::path::PathBuf;

/// The published Xportcn push examples in `vendor-docs/examples/xportcn`.
fn xportcn_fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vendor-docs/examples/xportcn");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("webhook-")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `webhook-order-pay-success.request.json` → `ORDER_PAY_SUCCESS`.
fn type_from_file_name(name: &str) -> String {
    name.trim_start_matches("webhook-")
        .trim_end_matches(".request.json")
        .replace('-', "_")
        .to_uppercase()
}

#[test]
fn every_published_fixture_parses_into_its_typed_model() {
    let fixtures = xportcn_fixtures();
    let names: Vec<_> = fixtures.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "webhook-order-buyer-view-order-price-modify.request.json",
            "webhook-order-cancel.request.json",
            "webhook-order-create.request.json",
            "webhook-order-pay-success.request.json",
        ],
        "the set of published fixtures changed: model the new ones"
    );
    for (name, bytes) in &fixtures {
        let push = PushMessage::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            push.message_type.as_str(),
            type_from_file_name(name),
            "{name}"
        );
        assert!(push.message_type.is_documented(), "{name}");
        assert_eq!(push.platform, MessagePlatform::Alibaba1688, "{name}");
        assert_eq!(
            push.timestamp.as_millis(),
            Some(1_779_263_269_913),
            "{name}"
        );

        // messageBody decodes, and the typed body agrees with a plain JSON reading of the same text.
        let outer: Value = serde_json::from_slice(bytes).unwrap();
        let inner: Value = serde_json::from_str(outer["messageBody"].as_str().unwrap()).unwrap();
        assert_eq!(push.raw_body, outer["messageBody"].as_str().unwrap());
        let MessageBody::Order(order) = &push.body else {
            panic!("{name}: expected an order body, got {:?}", push.body)
        };
        assert_eq!(
            order.order_id.as_str(),
            "3305075341149134260",
            "{name}: id exact"
        );
        assert_eq!(push.order_id(), Some("3305075341149134260"));
        assert_eq!(order.order_no.as_deref(), Some("PO202605200001"));
        for (field, typed) in [
            ("totalAmount", order.total_amount),
            ("shippingFee", order.shipping_fee),
            ("productAmount", order.product_amount),
            ("refundAmount", order.refund_amount),
        ] {
            assert_eq!(
                typed,
                Some(Fen(inner[field].as_i64().unwrap())),
                "{name}: {field}"
            );
        }
        // Fen: total = goods + shipping in every example.
        assert_eq!(
            order.total_amount.unwrap().0,
            order.product_amount.unwrap().0 + order.shipping_fee.unwrap().0,
            "{name}"
        );
        assert_eq!(order.tb_create_time.as_deref(), Some("2026-05-20 15:40:00"));
        assert_eq!(order.refund_status, None);
        assert!(order.extra.is_empty(), "{name}: every field is modelled");

        // Re-serialising the typed body gives back the published body (minus nulls).
        let mut again = serde_json::to_value(order).unwrap();
        let mut expected = inner.clone();
        for v in [&mut again, &mut expected] {
            v.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        }
        assert_eq!(again, expected, "{name}");

        // The same bytes pushed by PandaPon (identical envelope) parse the same way.
        let pp = formats::pandapon().parse(bytes).unwrap();
        assert_eq!(pp.provider(), "pandapon");
        assert_eq!(pp.message::<PushMessage>(), Some(&push));
    }
}

#[test]
fn fixture_specifics() {
    let get = |name: &str| {
        let (_, bytes) = xportcn_fixtures()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        let push = PushMessage::parse(&bytes).unwrap();
        let MessageBody::Order(o) = push.body else {
            panic!()
        };
        o
    };
    let create = get("webhook-order-create.request.json");
    assert_eq!(
        create.order_status,
        Some(PushOrderStatus::WaitingForPayment)
    );
    assert_eq!(create.pay_status, Some(PayStatus::Unpaid));
    assert_eq!(create.pay_time, None);
    assert_eq!(create.total_amount.unwrap().to_string(), "100.00");

    let cancel = get("webhook-order-cancel.request.json");
    assert_eq!(cancel.order_status, Some(PushOrderStatus::Cancel));
    assert_eq!(cancel.close_reason.as_deref(), Some("buyer_cancel"));

    let paid = get("webhook-order-pay-success.request.json");
    assert_eq!(paid.order_status, Some(PushOrderStatus::WaitingForSent));
    assert_eq!(paid.pay_status, Some(PayStatus::Paid));
    assert_eq!(paid.pay_time.as_deref(), Some("2026-05-20 15:41:00"));

    let modified = get("webhook-order-buyer-view-order-price-modify.request.json");
    assert_eq!(modified.total_amount, Some(Fen(9800)));
    assert_eq!(modified.product_amount, Some(Fen(9300)));
}

#[test]
fn refund_message_keeps_the_fields_past_the_published_cut() {
    // The published ORDER_BUYER_VIEW_ORDER_BUYER_REFUND example stops after refundId and orderId; further
    // fields (here invented test data) must be kept, not dropped.
    let body = br#"{"messageType":"ORDER_BUYER_VIEW_ORDER_BUYER_REFUND","messageBody":"{\"refundId\":\"TQxxxxxxxxxxxx\",\"orderId\":\"3296711100591134260\",\"refundAmount\":500}","messagePlatform":1,"timestamp":"1779263269913"}"#;
    let push = PushMessage::parse(body).unwrap();
    assert_eq!(
        push.message_type,
        MessageType::OrderBuyerViewOrderBuyerRefund
    );
    let MessageBody::Refund(r) = &push.body else {
        panic!("{:?}", push.body)
    };
    assert_eq!(r.refund_id.as_str(), "TQxxxxxxxxxxxx");
    assert_eq!(r.order_id.as_str(), "3296711100591134260");
    assert_eq!(r.extra["refundAmount"], 500);
    assert_eq!(push.order_id(), Some("3296711100591134260"));
}

#[test]
fn unknown_message_type_is_kept_raw() {
    let body = br#"{"messageType":"ORDER_SOMETHING_UNPUBLISHED","messageBody":"{\"orderId\":\"2542285634920880794\",\"x\":[1,2]}","messagePlatform":0,"timestamp":"1779263269913"}"#;
    for provider in [formats::xportcn(), formats::pandapon()] {
        let cb = provider.parse(body).unwrap();
        let Some(push) = cb.message::<PushMessage>() else {
            panic!()
        };
        assert_eq!(
            push.message_type,
            MessageType::Other("ORDER_SOMETHING_UNPUBLISHED".into())
        );
        assert_eq!(push.platform, MessagePlatform::Taobao);
        assert_eq!(
            push.raw_body,
            r#"{"orderId":"2542285634920880794","x":[1,2]}"#
        );
        let MessageBody::Other(v) = &push.body else {
            panic!()
        };
        assert_eq!(v["x"], serde_json::json!([1, 2]));
        assert_eq!(push.order_id(), Some("2542285634920880794"));
        // The CLI-friendly JSON form keeps type and body.
        let json = serde_json::to_value(&cb).unwrap();
        assert_eq!(
            json["message"]["messageType"],
            "ORDER_SOMETHING_UNPUBLISHED"
        );
        assert_eq!(json["message"]["body"]["x"], serde_json::json!([1, 2]));
    }
    // Unknown platform numbers are kept too.
    let body = br#"{"messageType":"ORDER_CREATE","messageBody":"{\"orderId\":\"1\"}","messagePlatform":7,"timestamp":"1"}"#;
    assert_eq!(
        PushMessage::parse(body).unwrap().platform,
        MessagePlatform::Other(7)
    );
}

#[test]
fn ids_stay_exact_when_sent_as_numbers() {
    let body = br#"{"messageType":"ORDER_CREATE","messageBody":"{\"orderId\":3305075341149134260}","messagePlatform":1,"timestamp":1779263269913}"#;
    let push = PushMessage::parse(body).unwrap();
    let MessageBody::Order(o) = &push.body else {
        panic!()
    };
    assert_eq!(o.order_id.as_str(), "3305075341149134260");
    assert_eq!(push.timestamp.0, "1779263269913");
}

/// Each malformed PandaPon/Xportcn body and (part of) the reason it must be refused with.
const MALFORMED: &[(&str, &str)] = &[
    ("{not json", "request body is not valid JSON"),
    ("[1,2]", "must be a JSON object, found an array"),
    ("\"text\"", "must be a JSON object, found a string"),
    (
        r#"{"messageBody":"{}","messagePlatform":1,"timestamp":"1"}"#,
        "missing field `messageType`",
    ),
    (
        r#"{"messageType":"ORDER_CREATE","messagePlatform":1,"timestamp":"1"}"#,
        "missing field `messageBody`",
    ),
    (
        r#"{"messageType":"ORDER_CREATE","messageBody":"{}","timestamp":"1"}"#,
        "missing field `messagePlatform`",
    ),
    (
        r#"{"messageType":"ORDER_CREATE","messageBody":"{}","messagePlatform":1}"#,
        "missing field `timestamp`",
    ),
    (
        r#"{"messageType":3,"messageBody":"{}","messagePlatform":1,"timestamp":"1"}"#,
        "field `messageType` must be a string, found a number",
    ),
    (
        r#"{"messageType":"X","messageBody":42,"messagePlatform":1,"timestamp":"1"}"#,
        "field `messageBody` must be a string containing JSON, found a number",
    ),
    (
        r#"{"messageType":"X","messageBody":"{}","messagePlatform":"taobao","timestamp":"1"}"#,
        "field `messagePlatform` must be an integer, found a string that is not an integer",
    ),
    (
        r#"{"messageType":"X","messageBody":"{}","messagePlatform":1.5,"timestamp":"1"}"#,
        "field `messagePlatform` must be an integer, found a non-integer number",
    ),
    (
        r#"{"messageType":"X","messageBody":"{}","messagePlatform":1,"timestamp":1.5}"#,
        "field `timestamp` must be a string or an integer",
    ),
    (
        r#"{"messageType":"ORDER_CREATE","messageBody":"{orderId: 1","messagePlatform":1,"timestamp":"1"}"#,
        "`messageBody` of a ORDER_CREATE message is not valid JSON",
    ),
    (
        r#"{"messageType":"SOMETHING_NEW","messageBody":"not json","messagePlatform":1,"timestamp":"1"}"#,
        "`messageBody` of a SOMETHING_NEW message is not valid JSON",
    ),
    (
        r#"{"messageType":"ORDER_CREATE","messageBody":"{\"orderNo\":\"PO1\"}","messagePlatform":1,"timestamp":"1"}"#,
        "body of a ORDER_CREATE message does not match the documented fields: missing field `orderId`",
    ),
    (
        r#"{"messageType":"ORDER_PAY_SUCCESS","messageBody":"{\"orderId\":3.305075341149134e18}","messagePlatform":1,"timestamp":"1"}"#,
        "floating-point",
    ),
    (
        r#"{"messageType":"ORDER_CANCEL","messageBody":"{\"orderId\":\"1\",\"totalAmount\":\"100.00\"}","messagePlatform":1,"timestamp":"1"}"#,
        "body of a ORDER_CANCEL message does not match the documented fields: invalid type: string",
    ),
    (
        r#"{"messageType":"ORDER_BUYER_VIEW_ORDER_BUYER_REFUND","messageBody":"{\"orderId\":\"1\"}","messagePlatform":1,"timestamp":"1"}"#,
        "missing field `refundId`",
    ),
];

#[test]
fn malformed_bodies_get_a_clear_error() {
    for (body, reason) in MALFORMED {
        let err = PushMessage::parse(body.as_bytes()).expect_err(body);
        let text = err.to_string();
        assert!(
            text.contains(reason),
            "{body}\n  got: {text}\n  want: {reason}"
        );
    }
    assert!(matches!(
        PushMessage::parse(b"\xff\xfe"),
        Err(ParseError::NotJson(_))
    ));
}

// ---- Dajisaas ----

#[derive(serde::Deserialize)]
struct Vectors {
    cases: Vec<Vector>,
}

#[derive(serde::Deserialize)]
struct Vector {
    name: String,
    key: String,
    message: String,
    hex: String,
    base64: String,
    hex_over_encoded_message: String,
    form_hex: String,
    form_base64: String,
    form_hex_upper: String,
    form_base64_plus_unencoded: Option<String>,
}

fn vectors() -> Vec<Vector> {
    // Made by tests/vectors/make_dajisaas_vectors.py (Python hmac/hashlib, independent of this crate).
    let text = include_str!("../vectors/dajisaas_hmac_sha1.json");
    serde_json::from_str::<Vectors>(text).unwrap().cases
}

#[test]
fn dajisaas_signature_vectors_accept() {
    use sourcing_webhooks::{SignatureEncoding, SignedInput};
    let vs = vectors();
    assert_eq!(vs.len(), 5);
    for v in &vs {
        let verifier = DajisaasVerifier::new(v.key.as_str());
        assert_eq!(verifier.sign_hex(&v.message).unwrap(), v.hex, "{}", v.name);
        assert_eq!(
            verifier.sign_base64(&v.message).unwrap(),
            v.base64,
            "{}",
            v.name
        );
        for sig in [
            v.hex.clone(),
            v.hex.to_uppercase(),
            v.base64.clone(),
            v.base64.trim_end_matches('=').to_owned(),
        ] {
            assert_eq!(
                verifier.verify(&v.message, &sig),
                Ok(()),
                "{}: {sig}",
                v.name
            );
        }
        for form in [&v.form_hex, &v.form_base64, &v.form_hex_upper]
            .into_iter()
            .chain(v.form_base64_plus_unencoded.as_ref())
        {
            let m = sourcing_webhooks::DajisaasMessage::from_form(form.as_bytes(), &verifier)
                .unwrap_or_else(|e| panic!("{}: {e}\n{form}", v.name));
            assert_eq!(m.message, v.message, "{}", v.name);
            assert!(m.signature_verified);
        }
        let hex_only = verifier.clone().with_encoding(SignatureEncoding::Hex);
        assert_eq!(hex_only.verify(&v.message, &v.hex), Ok(()));
        let b64_only = verifier.clone().with_encoding(SignatureEncoding::Base64);
        assert_eq!(b64_only.verify(&v.message, &v.base64), Ok(()));

        // HMAC over the still-encoded value, when chosen.
        let encoded = verifier
            .clone()
            .with_signed_input(SignedInput::EncodedMessage);
        let encoded_value = v
            .form_hex
            .split('&')
            .find_map(|p| p.strip_prefix("message="))
            .unwrap();
        let form = format!(
            "message={encoded_value}&_dj_signature={}",
            v.hex_over_encoded_message
        );
        let m = sourcing_webhooks::DajisaasMessage::from_form(form.as_bytes(), &encoded)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(m.message, v.message);
        // ...and the default (decoded) reading refuses that signature, unless both readings coincide.
        if encoded_value != v.message {
            assert!(
                sourcing_webhooks::DajisaasMessage::from_form(form.as_bytes(), &verifier).is_err()
            );
        }
    }
}

#[test]
fn dajisaas_signature_vectors_reject() {
    use sourcing_webhooks::{SignatureEncoding, SignatureError};
    for v in &vectors() {
        let verifier = DajisaasVerifier::new(v.key.as_str());
        // Wrong key.
        let other = DajisaasVerifier::new(format!("{}x", v.key));
        assert_eq!(
            other.verify(&v.message, &v.hex),
            Err(SignatureError::Mismatch {
                field: "_dj_signature"
            }),
            "{}",
            v.name
        );
        // Changed message.
        assert_eq!(
            verifier.verify(&format!("{} ", v.message), &v.hex),
            Err(SignatureError::Mismatch {
                field: "_dj_signature"
            })
        );
        // One flipped hex digit.
        let mut flipped = v.hex.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            verifier.verify(&v.message, std::str::from_utf8(&flipped).unwrap()),
            Err(SignatureError::Mismatch {
                field: "_dj_signature"
            })
        );
        // Truncated, not an encoding, empty.
        assert!(matches!(
            verifier.verify(&v.message, &v.hex[..39]),
            Err(SignatureError::Malformed { .. })
        ));
        assert!(matches!(
            verifier.verify(&v.message, "not a signature!"),
            Err(SignatureError::Malformed { .. })
        ));
        assert_eq!(
            verifier.verify(&v.message, ""),
            Err(SignatureError::Missing {
                field: "_dj_signature"
            })
        );
        // Encoding restricted: the other one is refused.
        let hex_only = verifier.clone().with_encoding(SignatureEncoding::Hex);
        assert!(hex_only.verify(&v.message, &v.base64).is_err());
        let b64_only = verifier.clone().with_encoding(SignatureEncoding::Base64);
        assert!(b64_only.verify(&v.message, &v.hex).is_err());
        // Errors never show the signature or the key.
        let err = other.verify(&v.message, &v.hex).unwrap_err();
        let shown = format!("{err} {err:?} {other:?}");
        assert!(!shown.contains(&v.hex), "{shown}");
        if v.key.len() >= 6 {
            // (one-letter keys occur in any text)
            assert!(!shown.contains(&v.key), "{shown}");
        }
    }
}

#[test]
fn dajisaas_form_errors() {
    let verifier = DajisaasVerifier::new("demoAppSecret");
    let cases: &[(&str, &str)] = &[
        ("_dj_signature=abc", "missing form field `message`"),
        ("message=hello", "missing signature field `_dj_signature`"),
        (
            "message=a&message=b&_dj_signature=x",
            "form field `message` appears more than once",
        ),
        (
            "message=a&_dj_signature=x&_dj_signature=y",
            "form field `_dj_signature` appears more than once",
        ),
        ("message=%zz&_dj_signature=x", "invalid percent-escape"),
        ("message=%C3%28&_dj_signature=x", "not valid UTF-8"),
        (
            "message=hello&_dj_signature=",
            "missing signature field `_dj_signature`",
        ),
        ("message=hello&_dj_signature=zz", "not an HMAC-SHA1 value"),
    ];
    for (form, reason) in cases {
        let err = sourcing_webhooks::DajisaasMessage::from_form(form.as_bytes(), &verifier)
            .expect_err(form)
            .to_string();
        assert!(
            err.contains(reason),
            "{form}\n  got: {err}\n  want: {reason}"
        );
    }
    // A documented Taobao type whose data does not fit is refused (after the signature passed).
    let message = r#"{"message_type":3,"data":{"purchase_id":1.5,"status":"X"}}"#;
    let form = format!(
        "message={}&_dj_signature={}",
        message
            .replace('"', "%22")
            .replace('{', "%7B")
            .replace('}', "%7D"),
        verifier.sign_hex(message).unwrap()
    );
    let err = formats::dajisaas(verifier.clone())
        .parse(form.as_bytes())
        .unwrap_err();
    assert!(
        matches!(err, CallbackError::Parse(ParseError::InvalidBody { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("message_type 3"), "{err}");
}

#[test]
fn dajisaas_taobao_example_parses_into_its_typed_model() {
    let v = &vectors()[0];
    let verifier = DajisaasVerifier::new(v.key.as_str());
    let cb = formats::dajisaas(verifier)
        .parse(v.form_hex.as_bytes())
        .unwrap();
    let Some(m) = cb.message::<DajisaasMessage>() else {
        panic!()
    };
    let DajisaasPayload::Taobao(t) = &m.payload else {
        panic!("{:?}", m.payload)
    };
    assert_eq!(t.message_type, TaobaoMessageType::OrderStatusUpdate);
    assert_eq!(t.seller_id.as_ref().unwrap().as_str(), "2100000927014");
    assert_eq!(t.timestamp, Some(1_650_939_687));
    assert_eq!(t.site.as_deref(), Some("taobao_hk"));
    let TaobaoMessageData::OrderStatusUpdate(u) = &t.data else {
        panic!()
    };
    assert_eq!(u.purchase_id.as_str(), "200002638011");
    assert_eq!(u.outer_purchase_id.as_deref(), Some("FY20220426002"));
    assert_eq!(u.business_time, Some(1_650_939_687_564));
    assert_eq!(u.status, TaobaoOrderStatus::WaitSellerSendGoods);
    assert_eq!(u.sku_list.len(), 1);
    let sku = &u.sku_list[0];
    assert_eq!(sku.item_id.as_ref().unwrap().as_str(), "600123256363335000");
    assert_eq!(sku.sku_id.as_ref().unwrap().as_str(), "4808332513272");
    assert_eq!(sku.logistic_company_name.as_deref(), Some("顺丰速运"));
    assert_eq!(sku.status, Some(TaobaoOrderStatus::WaitBuyerConfirmGoods));
    assert_eq!(m.purchase_id(), Some("200002638011"));
}

#[test]
fn dajisaas_unpublished_formats_are_kept() {
    let verifier = DajisaasVerifier::new("k");
    let vs = vectors();
    // JSON that is not the Taobao shape, and plain text: both delivered raw.
    for (v, json) in [(&vs[1], true), (&vs[2], false)] {
        let verifier = DajisaasVerifier::new(v.key.as_str());
        let m = sourcing_webhooks::DajisaasMessage::from_form(v.form_hex.as_bytes(), &verifier)
            .unwrap();
        assert_eq!(m.message, v.message);
        match (&m.payload, json) {
            (DajisaasPayload::Json(value), true) => assert_eq!(value["hello"], "世界"),
            (DajisaasPayload::Text, false) => {}
            (other, _) => panic!("{}: {other:?}", v.name),
        }
    }
    // Undocumented Taobao message_type: data kept as received; extra top-level fields kept; extra form fields kept.
    let message = r#"{"message_type":99,"data":{"a":1},"new_field":true}"#;
    let form = format!(
        "message={}&_dj_signature={}&extra=1",
        message
            .replace('"', "%22")
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace(',', "%2C")
            .replace(':', "%3A"),
        verifier.sign_hex(message).unwrap()
    );
    let m = sourcing_webhooks::DajisaasMessage::from_form(form.as_bytes(), &verifier).unwrap();
    let DajisaasPayload::Taobao(t) = &m.payload else {
        panic!()
    };
    assert_eq!(t.message_type, TaobaoMessageType::Other(99));
    assert_eq!(
        t.data,
        TaobaoMessageData::Other(serde_json::json!({"a": 1}))
    );
    assert_eq!(t.extra["new_field"], true);
    assert_eq!(m.other_fields, vec![("extra".to_owned(), "1".to_owned())]);
}

#[test]
fn dajisaas_skip_verification_is_explicit() {
    let skip = DajisaasVerifier::insecure_skip_verification();
    assert!(!skip.is_verifying());
    let m = sourcing_webhooks::DajisaasMessage::from_form(b"message=hi", &skip).unwrap();
    assert!(!m.signature_verified);
    assert!(format!("{skip:?}").contains("insecure"));
}

/// Rows the inbox stored before the formats were open keep matching their redeliveries: the dedup key is still
/// SHA-1 over the provider's name and the same fields (`DedupKey::from_parts`, length-prefixed), and a stored
/// body parses again with the format of the stored name.
#[test]
fn dedup_keys_and_stored_bodies_are_what_the_closed_formats_made() {
    use sourcing_webhooks::DedupKey;
    let body = br#"{"messageType":"ORDER_CREATE","messageBody":"{\"orderId\":\"3305075341149134260\"}","messagePlatform":1,"timestamp":"1779263269913"}"#;
    for format in [formats::xportcn(), formats::pandapon()] {
        let cb = format.parse(body).unwrap();
        let push = cb.message::<PushMessage>().unwrap();
        let before = DedupKey::from_parts(&[
            format.name().as_bytes(),
            &1i64.to_be_bytes(),
            b"ORDER_CREATE",
            push.raw_body.as_bytes(),
        ]);
        assert_eq!(cb.dedup_key(), before, "{}", format.name());
        assert_eq!(cb.provider(), format.name());
        // The JSON line the closed enum printed: provider, then the message's fields in their order.
        let line = format!(
            r#"{{"provider":"{}","message":{}}}"#,
            format.name(),
            serde_json::to_string(push).unwrap()
        );
        assert_eq!(serde_json::to_string(&cb).unwrap(), line);
    }
    let v = &vectors()[0];
    let format = formats::dajisaas(DajisaasVerifier::new(v.key.as_str()));
    let cb = format.parse(v.form_hex.as_bytes()).unwrap();
    let m = cb.message::<DajisaasMessage>().unwrap();
    let before = DedupKey::from_parts(&[b"dajisaas", m.message.as_bytes()]);
    assert_eq!(cb.dedup_key(), before);
    assert!(
        cb.message::<PushMessage>().is_none(),
        "typed access checks the type"
    );
}
