//! PandaPon end to end, one or more operations of every tag (API area × generation), against a local mock
//! server: the documented method, path, query and JSON body (JSON-in-a-string fields encoded as strings),
//! the v1 / v2 signature headers, and the typed `data` decoded from a realistic envelope.
//! Warehouse-logistics endpoints (query `timestamp` + `sign`, rule unpublished) are refused by the built-in
//! signer without sending anything, and go through with a user-supplied signer.

use pandapon::Client;
use pandapon::types;
use serde_json::{Value, json};
use sourcing_runtime::{
    AuthStyle, Error, JsonString, LenientId, RequestPolicy, Runtime, SignContext, SignError,
    Signer, access_key_signature,
};
use sourcing_tests::{Captured, MockServer};
use std::collections::{BTreeMap, BTreeSet};

use sourcing_tests::vector::{ACCESS_KEY as AK, NONCE, SECRET as SK, V1_SIGNATURE};
const USER: &str = "2100007341207";
/// A 19-digit 1688 order id (> 2^53: it must never pass through an f64).
const ORDER_ID: u64 = 2_542_285_634_920_880_794;

fn policy() -> RequestPolicy {
    sourcing_tests::vector::fast_retries()
}

fn client(base: &str) -> Client {
    Client::with_runtime(base, sourcing_tests::vector::runtime(USER))
}

#[derive(Clone, Copy, Debug)]
enum Gen {
    V1,
    V2,
}

/// The one request the server got: method, path, query, JSON body (or none) and the signature headers.
fn only_request(
    server: &MockServer,
    generation: Gen,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: Option<Value>,
) -> Captured {
    let requests = server.requests();
    let [r] = requests.as_slice() else {
        panic!("expected one request, got {requests:#?}")
    };
    assert_eq!(r.method, method);
    assert_eq!(r.path, path);
    assert_eq!(r.query.as_deref(), query);
    match body {
        Some(b) => {
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(r.json(), b, "body of {method} {path}");
        }
        None => assert!(r.body.is_empty(), "{method} {path} sends no body"),
    }
    assert_eq!(r.header("access-key"), Some(AK));
    assert_eq!(r.header("timestamp"), Some("1715669977082"));
    assert_eq!(r.header("user-id"), Some(USER));
    assert_eq!(r.header("api-version"), None);
    match generation {
        Gen::V1 => {
            assert_eq!(r.header("nonce-str"), Some(NONCE));
            assert_eq!(r.header("signature"), Some(V1_SIGNATURE));
        }
        Gen::V2 => {
            assert_eq!(r.header("nonce-str"), None, "v2 sends no nonce-str");
            let expected = access_key_signature(AK, "1715669977082", None, SK);
            assert_eq!(r.header("signature"), Some(expected.as_str()));
        }
    }
    r.clone()
}

fn ok(data: Value) -> String {
    json!({"requestId": "9502cd80026d45018af181d760288f63", "code": 200,
           "developId": "1110890638347337996", "msg": "成功", "data": data})
    .to_string()
}

fn address() -> types::AddressParam {
    types::AddressParam {
        full_name: Some("张三".into()),
        mobile: Some("18600888861".into()),
        phone: Some("18600888861".into()),
        post_code: Some("310000".into()),
        city_text: Some("杭州市".into()),
        province_text: Some("浙江省".into()),
        area_text: Some("西湖区".into()),
        town_text: Some("转塘".into()),
        address: Some("xxxxxxx".into()),
        district_code: None,
    }
}

fn address_json() -> Value {
    json!({"fullName": "张三", "mobile": "18600888861", "phone": "18600888861", "postCode": "310000",
           "cityText": "杭州市", "provinceText": "浙江省", "areaText": "西湖区", "townText": "转塘",
           "address": "xxxxxxx"})
}

/// Operations exercised below; `every_tag_has_an_end_to_end_test` checks they span every tag.
const EXERCISED: &[&str] = &[
    "order_cancel",
    "order_preview",
    "goods_keyword_search",
    "goods_detail",
    "refund_create",
    "cart_edit_quantity",
    "taobao_goods_get",
    "taobao_goods_batch_check",
    "taobao_order_create",
    "taobao_refund_submit_message",
    "taobao_cart_add",
    "address_add_or_update",
    "logistics_order_freight_preview",
    "logistics_order_booking_freight",
    "v2_order_cancel",
    "v2_order_batch_create",
    "v2_goods_keyword_search",
    "v2_refund_create",
    "v2_cart_list",
    "v2_taobao_goods_get",
    "v2_taobao_order_logistics_detail",
    "v2_taobao_refund_render",
    "v2_taobao_cart_add",
    "v2_address_add_or_update",
    "v2_logistics_freight_estimate",
];

#[test]
fn every_tag_has_an_end_to_end_test() {
    let ops = pandapon::operations::OPERATIONS;
    let all: BTreeSet<&str> = ops.iter().map(|o| o.tag).collect();
    let mut covered = BTreeSet::new();
    for id in EXERCISED {
        let op = pandapon::operations::find(id).unwrap_or_else(|| panic!("no operation {id}"));
        covered.insert(op.tag);
    }
    assert_eq!(covered, all, "tags without an end-to-end test");
    assert_eq!(all.len(), 20, "10 areas x 2 generations");
}

// ------------------------------------------------------------------------------------ v1 1688 order

#[tokio::test]
async fn order_cancel_sends_the_19_digit_id_exactly() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!(true)));
    let data = client(&server.base_url)
        .order_cancel()
        .body(
            types::OrderCancelRequest::builder()
                .web_site("1688")
                .order_id(ORDER_ID)
                .cancel_reason("不想要了"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data, types::CancelResult::Cancelled(true));
    let r = only_request(
        &server,
        Gen::V1,
        "POST",
        "/alibaba/order/cancel",
        None,
        Some(json!({"webSite": "1688", "orderId": ORDER_ID, "cancelReason": "不想要了"})),
    );
    assert!(
        String::from_utf8_lossy(&r.body).contains("\"orderId\":2542285634920880794"),
        "exact digits on the wire"
    );

    // The v1 page's placeholder `data: {}` decodes too.
    server.reply(200, ok(json!({})));
    let data = client(&server.base_url)
        .order_cancel()
        .body(
            types::OrderCancelRequest::builder()
                .web_site("1688")
                .order_id("2542285634920880794")
                .cancel_reason("x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data, types::CancelResult::Placeholder(Default::default()));
}

#[tokio::test]
async fn order_preview_decodes_the_vendor_typo_and_keeps_undocumented_fields() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({
            "orderPreviewResuslt": [{"discountFee": null, "tradeModeNameList": ["fxassure"], "status": true,
                                     "sumPayment": 1250, "taoSampleSinglePromotion": false}],
            "success": true, "errorCode": null, "errorMsg": null,
            "unsupportedCrossBorderPayOfferList": ["706627393257"]
        })),
    );
    let cargo = types::PreviewCargoParam {
        offer_id: Some(LenientId::from(706_627_393_257_u64)),
        spec_id: Some("cd2b8c31408766f9fb089e74e2a6ac15".into()),
        quantity: 2.0,
        seller_open_id: None,
    };
    let data = client(&server.base_url)
        .order_preview()
        .body(
            types::OrderPreviewRequest::builder()
                .address_param(address())
                .cargo_param_list(vec![cargo]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data.success, Some(true));
    let entry = &data.order_preview_resuslt[0];
    assert_eq!(entry.trade_mode_name_list, ["fxassure"]);
    assert_eq!(entry.extra["sumPayment"], json!(1250));
    assert_eq!(
        data.unsupported_cross_border_pay_offer_list,
        ["706627393257"]
    );
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/alibaba/order/create/preview",
        None,
        Some(json!({"addressParam": address_json(),
                    "cargoParamList": [{"offerId": 706627393257u64, "specId": "cd2b8c31408766f9fb089e74e2a6ac15",
                                        "quantity": 2.0}]})),
    );
}

// ------------------------------------------------------------------------------------ v1 1688 goods

#[tokio::test]
async fn goods_keyword_search_sends_sort_as_a_json_string() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"totalRecords": 1, "data": [{"subject": "男鞋"}]})),
    );
    let sort = types::SearchSort(BTreeMap::from([("price".to_string(), "asc".to_string())]));
    let data = client(&server.base_url)
        .goods_keyword_search()
        .body(
            types::KeywordSearchRequest::builder()
                .keyword("男鞋".to_string())
                .begin_page(1)
                .page_size(20)
                .country("en".to_string())
                .sort(JsonString::new(sort))
                .price_start("10.5".to_string()),
        )
        .send()
        .await
        .unwrap();
    // The v1 response schema is unpublished: untyped.
    assert_eq!(data["data"][0]["subject"], "男鞋");
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/alibaba/product/keywords/query",
        None,
        Some(
            json!({"keyword": "男鞋", "beginPage": 1, "pageSize": 20, "country": "en",
                    "sort": "{\"price\":\"asc\"}", "priceStart": "10.5"}),
        ),
    );
}

#[tokio::test]
async fn goods_detail_keeps_the_offer_id_exact_and_the_rest_in_extra() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"offerId": 706627393257u64, "categoryId": 1033054, "categoryName": null,
                  "subject": "PVC插页文件夹", "subjectTrans": "PVC insert folder",
                  "description": "<div/>", "minOrderQuantity": 2, "productSkuInfos": [{"skuId": 1}]})),
    );
    let data = client(&server.base_url)
        .goods_detail()
        .body(
            types::GoodsDetailRequest::builder()
                .offer_id(Some(LenientId::from(706_627_393_257_u64)))
                .country(Some("en".to_string())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data.offer_id.unwrap().as_str(), "706627393257");
    assert_eq!(data.category_id.unwrap().as_str(), "1033054");
    assert_eq!(data.subject_trans.as_deref(), Some("PVC insert folder"));
    assert_eq!(data.extra["minOrderQuantity"], json!(2));
    assert!(data.extra.contains_key("productSkuInfos"));
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/alibaba/product/detail/get",
        None,
        Some(json!({"offerId": 706627393257u64, "country": "en"})),
    );
}

// ------------------------------------------------------------------------------------ v1 1688 after-sales

fn refund_create_body() -> types::builder::RefundCreateRequest {
    types::RefundCreateRequest::builder()
        .order_id(ORDER_ID)
        .order_entry_ids(vec![LenientId::from(ORDER_ID + 1)])
        .dispute_request("refund")
        .apply_payment(1250)
        .apply_carriage(0)
        .apply_reason_id(LenientId::from(20_006_u64))
        .description("broken on arrival")
        .goods_status("received")
}

fn refund_create_json() -> Value {
    json!({"orderId": ORDER_ID, "orderEntryIds": [ORDER_ID + 1], "disputeRequest": "refund",
           "applyPayment": 1250, "applyCarriage": 0, "applyReasonId": 20006,
           "description": "broken on arrival", "goodsStatus": "received"})
}

#[tokio::test]
async fn refund_create_returns_the_refund_id() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!({"refundId": "TQ123456789"})));
    let data = client(&server.base_url)
        .refund_create()
        .body(refund_create_body())
        .send()
        .await
        .unwrap();
    assert_eq!(data.refund_id.as_deref(), Some("TQ123456789"));
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/alibaba/refund/detail/create",
        None,
        Some(refund_create_json()),
    );
}

#[tokio::test]
async fn a_missing_required_field_is_refused_before_sending() {
    let server = MockServer::start().await;
    let err = client(&server.base_url)
        .refund_create()
        .body(types::RefundCreateRequest::builder().order_id(ORDER_ID))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { operation: "refund_create", message } if message.contains("no value supplied for apply_carriage")),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

// ------------------------------------------------------------------------------------ v1 1688 cart

#[tokio::test]
async fn cart_edit_quantity_sends_the_java_date_bean() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!(true)));
    let update_time = types::JavaDateTime {
        first_day_of_week: Some("MONDAY".into()),
        minimal_days_in_first_week: Some(4),
        mutable: Some(false),
        time_zone: Some(types::JavaTimeZone {
            id: Some("Asia/Shanghai".into()),
        }),
    };
    let ok_data = client(&server.base_url)
        .cart_edit_quantity()
        .body(
            types::CartEditQuantityRequest::builder()
                .id(Some(LenientId::from(75_u64)))
                .quantity(Some(3))
                .update_time(Some(update_time)),
        )
        .send()
        .await
        .unwrap();
    assert!(ok_data);
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/alibaba/cart/edit-quantity",
        None,
        Some(json!({"id": 75, "quantity": 3,
                    "updateTime": {"firstDayOfWeek": "MONDAY", "minimalDaysInFirstWeek": 4, "mutable": false,
                                   "timeZone": {"ID": "Asia/Shanghai"}}})),
    );
}

// ------------------------------------------------------------------------------------ v1 Taobao goods

#[tokio::test]
async fn taobao_goods_get_queries_by_item_id() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"quantity": 400, "categoryPath": "童装->裙子(新)->连衣裙", "productUnit": null,
                  "picUrls": ["https://img.alicdn.com/a.jpg"], "title": "天穹发布商品", "mpId": "2048057995392326",
                  "itemId": 672991141190u64, "price": 1, "promotionPrice": 1, "shopId": 268763467,
                  "categoryId": "121452038", "itemType": "HAVE_MATERIAL",
                  "skuList": [{"picUrl": null, "quantity": 200, "price": 1, "skuId": "3452545926724",
                               "status": "active", "promotionPrice": 1, "properties": "1627207:28324"}],
                  "sellerCredit": 5})),
    );
    let data = client(&server.base_url)
        .taobao_goods_get()
        .item_id("672991141190")
        .send()
        .await
        .unwrap();
    assert_eq!(data.item_id.unwrap().as_str(), "672991141190");
    assert_eq!(data.category_id.unwrap().as_str(), "121452038");
    assert_eq!(data.mp_id.unwrap().as_str(), "2048057995392326");
    let sku = &data.sku_list.unwrap()[0];
    assert_eq!(sku.sku_id.as_ref().unwrap().as_str(), "3452545926724");
    assert_eq!(sku.extra["properties"], "1627207:28324");
    assert_eq!(data.extra["sellerCredit"], json!(5));
    only_request(
        &server,
        Gen::V1,
        "GET",
        "/open/product/get",
        Some("itemId=672991141190"),
        None,
    );
}

#[tokio::test]
async fn taobao_goods_batch_check_sends_params_as_a_json_string() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"mpProducts": [{"itemId": "672991141190", "mpId": "1", "skuIds": []}],
                  "noMpProductItemIds": ["1"], "noMpReasonList": [{"itemId": "1", "reason": "下架"}]})),
    );
    let items = vec![types::BatchCheckItem {
        item_id: "672991141190".into(),
        sku_ids: vec!["3452545926724".into()],
    }];
    let data = client(&server.base_url)
        .taobao_goods_batch_check()
        .body(types::TaobaoBatchCheckRequest::builder().params(JsonString::new(items)))
        .send()
        .await
        .unwrap();
    assert_eq!(data.no_mp_product_item_ids, ["1"]);
    assert_eq!(data.mp_products[0]["itemId"], "672991141190");
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/open/product/batch/check",
        None,
        Some(json!({"params": "[{\"itemId\":\"672991141190\",\"skuIds\":[\"3452545926724\"]}]"})),
    );
}

// ------------------------------------------------------------------------------------ v1 Taobao order

#[tokio::test]
async fn taobao_order_create_encodes_receiver_and_lines_as_json_strings() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!({"purchaseOrderId": "200048859480"})));
    let receiver = types::TaobaoReceiver {
        name: Some("a测试aa".into()),
        mobile_phone: Some("15068763421".into()),
        country: Some("中国".into()),
        state: Some("浙江省".into()),
        city: Some("杭州市".into()),
        district: Some("余杭区".into()),
        address: Some("测试地址".into()),
        zip: Some("11111".into()),
        phone: None,
    };
    let line = types::TaobaoOrderLine {
        item_id: Some("600126245031041190".into()),
        order_line_no: Some("1".into()),
        quantity: Some("2".into()),
        price: Some("100".into()),
        currency: Some("CNY".into()),
        sku_id: Some("5016042822039".into()),
    };
    let data = client(&server.base_url)
        .taobao_order_create()
        .body(
            types::TaobaoOrderCreateRequest::builder()
                .purchase_amount(400)
                .receiver(JsonString::new(receiver))
                .order_line_list(JsonString::new(vec![line]))
                .order_source(Some("lazada".to_string()))
                .seller_order_number(Some("SO-1".to_string())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data["purchaseOrderId"], "200048859480");
    let r = only_request(
        &server,
        Gen::V1,
        "POST",
        "/open/order",
        None,
        Some(json!({
            "purchaseAmount": 400, "orderSource": "lazada", "sellerOrderNumber": "SO-1",
            "receiver": "{\"address\":\"测试地址\",\"city\":\"杭州市\",\"country\":\"中国\",\"district\":\"余杭区\",\"mobile_phone\":\"15068763421\",\"name\":\"a测试aa\",\"state\":\"浙江省\",\"zip\":\"11111\"}",
            "orderLineList": "[{\"currency\":\"CNY\",\"itemId\":\"600126245031041190\",\"orderLineNo\":\"1\",\"price\":\"100\",\"quantity\":\"2\",\"skuId\":\"5016042822039\"}]"
        })),
    );
    // The strings hold JSON the server can parse back into the documented shapes.
    let body = r.json();
    let receiver: Value = serde_json::from_str(body["receiver"].as_str().unwrap()).unwrap();
    assert_eq!(receiver["mobile_phone"], "15068763421");
    let lines: Value = serde_json::from_str(body["orderLineList"].as_str().unwrap()).unwrap();
    assert_eq!(lines[0]["skuId"], "5016042822039");
}

// ------------------------------------------------------------------------------------ v1 Taobao after-sales

#[tokio::test]
async fn taobao_refund_submit_message() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!({})));
    client(&server.base_url)
        .taobao_refund_submit_message()
        .body(
            types::TaobaoRefundMessageRequest::builder()
                .refund_id(Some("RF1".to_string()))
                .refund_message(Some("还没收到货".to_string()))
                .refund_images(Some("https://img/1.jpg".to_string())),
        )
        .send()
        .await
        .unwrap();
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/open/order/refund/submit/message",
        None,
        Some(
            json!({"refundId": "RF1", "refundMessage": "还没收到货", "refundImages": "https://img/1.jpg"}),
        ),
    );
}

// ------------------------------------------------------------------------------------ v1 Taobao cart

#[tokio::test]
async fn taobao_cart_add_sends_properties_as_a_json_string() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!(75)));
    let props = vec![types::SkuProperty {
        prop_id: Some(LenientId::from(1_627_207_u64)),
        prop_name: Some("颜色分类".into()),
        value_id: Some(LenientId::from(28_324_u64)),
        value_name: Some("黄色".into()),
    }];
    let data = client(&server.base_url)
        .taobao_cart_add()
        .body(
            types::TaobaoCartAddRequest::builder()
                .mp_id("26")
                .mp_sku_id("65")
                .item_id(Some(LenientId::from(2_048_175_493_257_375_u64)))
                .quantity(Some(2))
                .price(Some(689))
                .properties(Some(JsonString::new(props))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data, json!(75));
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/open/cart/add",
        None,
        Some(
            json!({"mpId": "26", "mpSkuId": "65", "itemId": 2048175493257375u64, "quantity": 2, "price": 689,
                    "properties": "[{\"propId\":1627207,\"propName\":\"颜色分类\",\"valueId\":28324,\"valueName\":\"黄色\"}]"}),
        ),
    );
}

// ------------------------------------------------------------------------------------ foundations

fn address_save() -> types::builder::AddressSaveRequest {
    types::AddressSaveRequest::builder()
        .name(Some("张三".to_string()))
        .province(Some("浙江省".to_string()))
        .city(Some("杭州市".to_string()))
        .district(Some("西湖区".to_string()))
        .address(Some("转塘街道 1 号".to_string()))
        .phone(Some("18600888861".to_string()))
}

fn address_save_json() -> Value {
    json!({"name": "张三", "province": "浙江省", "city": "杭州市", "district": "西湖区",
           "address": "转塘街道 1 号", "phone": "18600888861"})
}

#[tokio::test]
async fn address_add_or_update_accepts_the_bare_code_msg_answer() {
    let server = MockServer::start().await;
    server.reply(200, r#"{"code":200,"msg":"成功"}"#);
    let data = client(&server.base_url)
        .address_add_or_update()
        .body(address_save())
        .send()
        .await
        .unwrap();
    assert_eq!(data, Value::Null);
    only_request(
        &server,
        Gen::V1,
        "POST",
        "/open/address/addOrUpdate",
        None,
        Some(address_save_json()),
    );

    server.reply(200, r#"{"code":500,"msg":"地址不完整"}"#);
    let err = client(&server.base_url)
        .address_add_or_update()
        .body(address_save())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Api(a) if a.code == 500), "{err:?}");
}

// ------------------------------------------------------------------------------------ warehouse logistics

fn receiver_address() -> types::ReceiverAddress {
    types::ReceiverAddress {
        country: Some("US".into()),
        state: Some("California".into()),
        city: Some("VALLEY VLG".into()),
        zip: Some("91607".into()),
        address: Some("5818 WHITSETT AVE 401".into()),
        name: Some("Ofir Birinbaum".into()),
        ..Default::default()
    }
}

fn freight_info() -> types::FreightInfo {
    types::FreightInfo {
        service_id: Some("1".into()),
        ..Default::default()
    }
}

fn assert_refused_unsigned(err: &Error, operation: &str, server: &MockServer) {
    let Error::Signing {
        operation: op,
        source,
    } = err
    else {
        panic!("expected Signing, got {err:?}")
    };
    let message = &source.0;
    assert_eq!(*op, operation);
    assert!(
        message.contains("`timestamp` + `sign`") && message.contains("does not publish"),
        "{message}"
    );
    assert!(message.contains("your own Signer"), "{message}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn logistics_freight_preview_is_refused_by_the_built_in_signer() {
    let server = MockServer::start().await;
    let err = client(&server.base_url)
        .logistics_order_freight_preview()
        .body(
            types::FreightPreviewRequest::builder()
                .receiver_address(Some(receiver_address()))
                .render_items(Some(vec![types::FreightRenderItem {
                    item_id: "2048020617114736".into(),
                    sku_id: "413185732720".into(),
                    quantity: 1,
                    freight_info: freight_info(),
                    currency: None,
                    price: None,
                }])),
        )
        .send()
        .await
        .unwrap_err();
    assert_refused_unsigned(&err, "logistics_order_freight_preview", &server);
}

/// A stand-in for the signer a user with the unpublished rule would write: it adds the query `timestamp`
/// and `sign` the pages list. The value is a test marker, not the vendor's rule.
#[derive(Debug)]
struct QuerySigner;

impl Signer for QuerySigner {
    fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError> {
        if ctx.auth != AuthStyle::QueryTimestampSign {
            return Err(SignError(format!(
                "{}: not a logistics call",
                ctx.operation
            )));
        }
        request
            .url_mut()
            .query_pairs_mut()
            .append_pair("timestamp", "1715669977082")
            .append_pair("sign", "TEST-ONLY-SIGN");
        Ok(())
    }
}

#[tokio::test]
async fn logistics_booking_goes_through_with_a_user_signer() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!({"bookingNo": "FF2024080200007"})));
    let client = Client::with_runtime(
        &server.base_url,
        Runtime::new(QuerySigner).with_policy(policy()),
    );
    let data = client
        .logistics_order_booking_freight()
        .body(
            types::FreightBookingRequest::builder()
                .render_id(Some("FF2024080200007".to_string()))
                .tmall_order_info(Some(types::TmallOrderInfo {
                    tmall_order_id: Some("123123444".into()),
                }))
                .receiver_address(Some(receiver_address()))
                .line_items(vec![types::FreightLineItem {
                    item_id: Some("2048020617114736".into()),
                    sku_id: Some("413185732720".into()),
                    quantity: Some(1),
                    title: Some("这是商品1".into()),
                    freight_info: Some(freight_info()),
                    ..Default::default()
                }]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data["bookingNo"], "FF2024080200007");
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/open/pp/logistics/orderBookingFreight")
    );
    assert_eq!(
        r.query.as_deref(),
        Some("timestamp=1715669977082&sign=TEST-ONLY-SIGN")
    );
    assert_eq!(
        r.header("access-key"),
        None,
        "no header scheme on logistics"
    );
    assert_eq!(
        r.json(),
        json!({"renderId": "FF2024080200007", "tmallOrderInfo": {"tmallOrderId": "123123444"},
               "receiverAddress": {"country": "US", "state": "California", "city": "VALLEY VLG", "zip": "91607",
                                   "address": "5818 WHITSETT AVE 401", "name": "Ofir Birinbaum"},
               "lineItems": [{"itemId": "2048020617114736", "skuId": "413185732720", "quantity": 1,
                              "title": "这是商品1", "freightInfo": {"serviceId": "1"}}]})
    );
}

// ------------------------------------------------------------------------------------ v2 1688 order

#[tokio::test]
async fn v2_order_cancel_signs_without_nonce() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!(true)));
    let cancelled = client(&server.base_url)
        .v2_order_cancel()
        .body(
            types::V2OrderCancelRequest::builder()
                .web_site("1688")
                .order_id(ORDER_ID),
        )
        .send()
        .await
        .unwrap();
    assert!(cancelled);
    only_request(
        &server,
        Gen::V2,
        "POST",
        "/v2/alibaba/order/cancel",
        None,
        Some(json!({"webSite": "1688", "orderId": ORDER_ID})),
    );
}

#[tokio::test]
async fn v2_order_create_is_sent_once_and_a_read_is_retried() {
    let server = MockServer::start().await;
    server.reply(503, r#"{"code":503,"msg":"busy"}"#);
    let err = client(&server.base_url)
        .v2_order_batch_create()
        .body(
            types::V2OrderBatchCreateRequest::builder()
                .flow("general")
                .address_param(Some(address()))
                .cargo_param_list(vec![types::FastCargo {
                    offer_map_id: Some("L0PTnwSnx_dWNZWCtgK7Gg".into()),
                    spec_id: Some("e61a85a671bb3d0301d0412b51641c6b".into()),
                    quantity: Some(1.0),
                    seller_open_id: Some("BBBgGWh2O6JFI6v1aQuZVgRIA".into()),
                    ..Default::default()
                }]),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 503, .. }),
        "{err:?}"
    );
    only_request(
        &server,
        Gen::V2,
        "POST",
        "/v2/alibaba/order/batch/create",
        None,
        Some(json!({"flow": "general", "addressParam": address_json(),
                    "cargoParamList": [{"offerMapId": "L0PTnwSnx_dWNZWCtgK7Gg",
                                        "specId": "e61a85a671bb3d0301d0412b51641c6b", "quantity": 1.0,
                                        "sellerOpenId": "BBBgGWh2O6JFI6v1aQuZVgRIA"}]})),
    );

    // A read is retried (re-signed) after a 503.
    server.script(vec![
        (503, r#"{"code":503,"msg":"busy"}"#.into()),
        (200, ok(json!({"enableList": []}))),
    ]);
    client(&server.base_url)
        .v2_cart_list()
        .send()
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

// ------------------------------------------------------------------------------------ v2 1688 goods

#[tokio::test]
async fn v2_goods_keyword_search_returns_a_typed_page() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"totalRecords": 2000, "totalPage": 401, "pageSize": 5, "currentPage": 1,
                  "data": [{"imageUrl": "https://cbu01.alicdn.com/a.jpg", "subject": "国潮男装t恤",
                            "offerMapId": "L0PTnwSnx_dWNZWCtgK7Gg", "priceInfo": {"price": "19.90"}}]})),
    );
    let page = client(&server.base_url)
        .v2_goods_keyword_search()
        .body(
            types::KeywordSearchRequest::builder()
                .keyword("T恤".to_string())
                .begin_page(1)
                .page_size(5)
                .country("en".to_string()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        (page.total_records, page.total_page, page.current_page),
        (Some(2000), Some(401), Some(1))
    );
    let first = &page.data[0];
    assert_eq!(first.subject.as_deref(), Some("国潮男装t恤"));
    assert_eq!(first.extra["offerMapId"], "L0PTnwSnx_dWNZWCtgK7Gg");
    only_request(
        &server,
        Gen::V2,
        "POST",
        "/v2/alibaba/product/keywords/query",
        None,
        Some(json!({"keyword": "T恤", "beginPage": 1, "pageSize": 5, "country": "en"})),
    );
}

// ------------------------------------------------------------------------------------ v2 1688 after-sales

#[tokio::test]
async fn v2_refund_create() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!({"refundId": "TQ1"})));
    let data = client(&server.base_url)
        .v2_refund_create()
        .body(refund_create_body())
        .send()
        .await
        .unwrap();
    assert_eq!(data.refund_id.as_deref(), Some("TQ1"));
    only_request(
        &server,
        Gen::V2,
        "POST",
        "/v2/alibaba/refund/detail/create",
        None,
        Some(refund_create_json()),
    );
}

// ------------------------------------------------------------------------------------ v2 1688 cart

#[tokio::test]
async fn v2_cart_list_groups_entries_by_seller() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"disableList": [],
                  "enableList": [{"sellerOpenId": "BBBgGWh2O6JFI6v1aQuZVgRIA", "sellerNickName": "店",
                                  "cartItemInfos": [{"id": 1906273010364354562u64, "offerMapId": "L0PT",
                                                     "specId": "e61a", "skuId": "5188888", "itemTitle": "包",
                                                     "itemPic": "https://img/1.jpg", "price": 1990, "quantity": 2,
                                                     "amountOnSale": 100, "properties": ""}]}]})),
    );
    let cart = client(&server.base_url)
        .v2_cart_list()
        .send()
        .await
        .unwrap();
    assert!(cart.disable_list.is_empty());
    let item = &cart.enable_list[0].cart_item_infos[0];
    assert_eq!(item.id.as_ref().unwrap().as_str(), "1906273010364354562");
    assert_eq!((item.price, item.quantity), (Some(1990), Some(2)));
    only_request(&server, Gen::V2, "GET", "/v2/alibaba/cart/list", None, None);
}

// ------------------------------------------------------------------------------------ v2 Taobao goods

#[tokio::test]
async fn v2_taobao_goods_get_uses_the_obfuscated_id() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"quantity": 400, "categoryPath": "童装", "title": "连衣裙"})),
    );
    let data = client(&server.base_url)
        .v2_taobao_goods_get()
        .item_id("WUnUC1cILiBjt-Jv3lDdlQ")
        .send()
        .await
        .unwrap();
    assert_eq!(data.quantity, Some(400));
    assert_eq!(data.extra["title"], "连衣裙");
    only_request(
        &server,
        Gen::V2,
        "GET",
        "/v2/taobao/product/get",
        Some("itemId=WUnUC1cILiBjt-Jv3lDdlQ"),
        None,
    );
}

// ------------------------------------------------------------------------------------ v2 Taobao order

#[tokio::test]
async fn v2_taobao_order_logistics_detail() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"purchaseOrderOuterId": "200048859480",
                  "pnmLogisticsDetails": [{"mailNo": "YT123",
                      "logisticsTraces": [{"time": "2025-04-24 07:41:55", "standerdDesc": "已揽收", "status": "ACCEPT"}],
                      "logisticsPartner": [{"company": "圆通"}],
                      "receiver": {"name": "张三", "zipCode": "310000"},
                      "logisticsGoods": [{"title": "连衣裙", "quantity": "2"}]}]})),
    );
    let data = client(&server.base_url)
        .v2_taobao_order_logistics_detail()
        .sub_purchase_order_id("200048859480")
        .send()
        .await
        .unwrap();
    let pkg = &data.pnm_logistics_details[0];
    assert_eq!(pkg.mail_no.as_deref(), Some("YT123"));
    assert_eq!(
        pkg.logistics_traces[0].standerd_desc.as_deref(),
        Some("已揽收")
    );
    assert_eq!(pkg.logistics_goods[0].quantity.as_deref(), Some("2"));
    assert_eq!(
        pkg.receiver.as_ref().unwrap().zip_code.as_deref(),
        Some("310000")
    );
    only_request(
        &server,
        Gen::V2,
        "GET",
        "/v2/taobao/order/logistics/detail/get",
        Some("subPurchaseOrderId=200048859480"),
        None,
    );
}

// ------------------------------------------------------------------------------------ v2 Taobao after-sales

#[tokio::test]
async fn v2_taobao_refund_render() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"distributorId": "D1", "currency": "CNY", "saleFlag": true,
                  "refundOrderTemplate": {
                      "refundReasons": [{"reasonDesc": "不想要了", "tips": "", "reasonId": 1}],
                      "goodsStatusList": ["NOT_RECEIVED"],
                      "refundOrder": {"refundFee": 1250, "canEditFee": true, "refundId": "R1"},
                      "maxRefundFee": {"refundFee": 1250, "minRefundFee": 0, "canEditRefundFee": true,
                                       "maxRefundFeeDesc": "含运费"}}})),
    );
    let data = client(&server.base_url)
        .v2_taobao_refund_render()
        .body(
            types::V2TaobaoRefundRenderRequest::builder()
                .sub_order_id(Some("3305075341149134260".to_string()))
                .refund_type(1)
                .goods_status(0),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data.sale_flag, Some(true));
    let t = data.refund_order_template.unwrap();
    assert_eq!(t.refund_reasons[0].reason_desc.as_deref(), Some("不想要了"));
    assert_eq!(t.refund_order.unwrap().refund_fee, Some(1250));
    assert_eq!(
        t.max_refund_fee.unwrap().extra["maxRefundFeeDesc"],
        "含运费"
    );
    only_request(
        &server,
        Gen::V2,
        "POST",
        "/v2/taobao/order/refund/render",
        None,
        Some(json!({"subOrderId": "3305075341149134260", "refundType": 1, "goodsStatus": 0})),
    );
}

// ------------------------------------------------------------------------------------ v2 Taobao cart

#[tokio::test]
async fn v2_taobao_cart_add() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!(true)));
    client(&server.base_url)
        .v2_taobao_cart_add()
        .body(
            types::V2TaobaoCartAddRequest::builder()
                .item_map_id(Some("WUnUC1cILiBjt-Jv3lDdlQ".to_string()))
                .sku_id(Some("85".to_string()))
                .quantity(Some(1))
                .ali_shop_id(Some("268763467".to_string()))
                .price_ranges(vec![types::PriceRange {
                    start_quantity: Some(2),
                    price: Some(6.89),
                }]),
        )
        .send()
        .await
        .unwrap();
    only_request(
        &server,
        Gen::V2,
        "POST",
        "/v2/taobao/cart/add",
        None,
        Some(
            json!({"itemMapId": "WUnUC1cILiBjt-Jv3lDdlQ", "skuId": "85", "quantity": 1,
                    "aliShopId": "268763467", "priceRanges": [{"startQuantity": 2, "price": 6.89}]}),
        ),
    );
}

// ------------------------------------------------------------------------------------ v2 foundations

#[tokio::test]
async fn v2_address_add_or_update() {
    let server = MockServer::start().await;
    server.reply(200, r#"{"code":200,"msg":"成功"}"#);
    let data = client(&server.base_url)
        .v2_address_add_or_update()
        .body(address_save().id(Some(LenientId::from(12_u64))))
        .send()
        .await
        .unwrap();
    assert_eq!(data, Value::Null);
    let mut expected = address_save_json();
    expected["id"] = json!(12);
    only_request(
        &server,
        Gen::V2,
        "POST",
        "/v2/open/address/addOrUpdate",
        None,
        Some(expected),
    );
}

// ------------------------------------------------------------------------------------ v2 warehouse logistics

#[tokio::test]
async fn v2_logistics_freight_estimate_is_refused_by_the_built_in_signer() {
    let server = MockServer::start().await;
    let err = client(&server.base_url)
        .v2_logistics_freight_estimate()
        .body(
            types::V2FreightEstimateRequest::builder()
                .item_id("2048232789087639")
                .sku_id("4970432383383")
                .quantity(1)
                .currency("USD")
                .price("12.50")
                .receiver_address(receiver_address()),
        )
        .send()
        .await
        .unwrap_err();
    assert_refused_unsigned(&err, "v2_logistics_freight_estimate", &server);
}
