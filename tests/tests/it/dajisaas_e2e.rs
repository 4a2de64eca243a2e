//! Dajisaas end to end against a local mock server, for every tag and the hand-written uploads: each
//! operation sends the documented method, path, query and body; `appKey` and `sign` are checked by
//! recomputation (and against literal signatures from the independent Python vectors); `code 200` gives
//! typed data, another code an `ApiError` keeping the wrapped 1688 error; documented limits are refused
//! before anything is sent; payments and order creation are sent exactly once; retried reads are re-signed
//! without stale parameters.

use dajisaas::ImageUpload;
use dajisaas::{Client, types};
use serde_json::{Value, json};
use sourcing_runtime::time::FixedClock;
use sourcing_runtime::{
    AppKeyCredentials, AppKeyMode, AppKeySigner, AuthStyle, Error, LenientId, Runtime,
    UploadEncoding, app_key_signature,
};
use sourcing_tests::{Captured, MockServer};

const KEY: &str = "demoKey";
const SECRET: &str = "demoSecret";
const NOW: u64 = 1_723_620_684_182;
/// tests/vectors/app_key.json "JSON body, requestTime rule": MD5 of
/// `appKey=demoKey&requestTime=1723620684182&secret=demoSecret`, computed by the Python implementation.
const JSON_SIGN: &str = "218AF0893AD3660E91CA077E19F6B679";
const ORDER: &str = "2257164624870311973";

fn client_in(base: &str, mode: AppKeyMode) -> Client {
    let signer = AppKeySigner::new(AppKeyCredentials::new(KEY, SECRET))
        .with_mode(mode)
        .with_clock(FixedClock(NOW));
    let policy = sourcing_tests::vector::fast_retries();
    Client::with_runtime(base, Runtime::new(signer).with_policy(policy))
}

fn client(base: &str) -> Client {
    client_in(base, AppKeyMode::Signed)
}

fn ok(data: Value) -> String {
    json!({"code": 200, "message": "操作成功", "data": data, "timestamp": NOW, "traceId": "1acbe76d3459"})
        .to_string()
}

/// A published fixture, `vendor-docs/examples/dajisaas/<name>.json`, as text.
fn published(name: &str) -> String {
    let file = sourcing_tests::fixtures_dir("dajisaas").join(format!("{name}.json"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn query_pairs(r: &Captured) -> Vec<(String, String)> {
    let url = format!("http://mock/?{}", r.query.as_deref().unwrap_or(""));
    reqwest::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Checks `appKey` and `sign` of a signed GET (or multipart) request by recomputing the signature over
/// the query plus `form` fields; returns the query without the credentials.
fn assert_signed_query(r: &Captured, form: &[(String, String)]) -> Vec<(String, String)> {
    let pairs = query_pairs(r);
    let count = |name: &str| pairs.iter().filter(|(k, _)| k == name).count();
    assert_eq!((count("appKey"), count("sign")), (1, 1), "{pairs:?}");
    assert_eq!(count("appSecret") + count("requestTime"), 0, "{pairs:?}");
    let sign = &pairs.iter().find(|(k, _)| k == "sign").unwrap().1;
    let signed = pairs
        .iter()
        .chain(form)
        .map(|(k, v)| (k.as_str(), Some(v.as_str())));
    assert_eq!(sign, &app_key_signature(signed, SECRET));
    assert!(!r.query.as_deref().unwrap_or("").contains(SECRET));
    assert!(pairs.contains(&("appKey".into(), KEY.into())));
    pairs
        .into_iter()
        .filter(|(k, _)| !AuthStyle::AppKey.owns(k))
        .collect()
}

/// Checks the signed JSON body (requestTime rule) and returns it without the signer's fields.
fn assert_signed_body(r: &Captured) -> Value {
    assert_eq!(r.method, "POST");
    assert_eq!(r.query, None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("api-version"), None);
    let text = std::str::from_utf8(&r.body).unwrap();
    assert!(!text.contains(SECRET), "the secret is not sent: {text}");
    for name in ["\"appKey\"", "\"requestTime\"", "\"sign\""] {
        assert_eq!(text.matches(name).count(), 1, "{name} once in {text}");
    }
    let mut body = r.json();
    let fields = body.as_object_mut().unwrap();
    assert_eq!(fields.remove("appKey"), Some(json!(KEY)));
    assert_eq!(fields.remove("requestTime"), Some(json!(NOW)));
    assert_eq!(fields.remove("sign"), Some(json!(JSON_SIGN)));
    assert_eq!(fields.remove("appSecret"), None);
    body
}

fn address() -> types::builder::AddressParam {
    types::AddressParam::builder()
        .full_name("张三")
        .mobile("18888888888")
        .phone("18888888888")
        .post_code("000000")
        .province_text("浙江省")
        .city_text("杭州市")
        .area_text("滨江区")
        .town_text("长河镇")
        .address("网商路699号")
        .district_code("310107")
}

fn cargo(offer: i64, spec: &str, quantity: i64) -> types::CargoParam {
    types::CargoParam::builder()
        .offer_id(offer)
        .spec_id(spec.to_string())
        .quantity(quantity)
        .try_into()
        .unwrap()
}

// ----- tag "1688 product search" -----

#[tokio::test]
async fn product_image_query_signs_the_query() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"totalRecords": 1, "data": [{"offerId": 670291644950u64}]})),
    );
    let data = client(&server.base_url)
        .product_image_query()
        .image_id("1048608196202797156")
        .begin_page(1)
        .page_size(20)
        .send()
        .await
        .unwrap();
    assert_eq!(data["data"][0]["offerId"], 670291644950u64);

    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/alibaba/product/imageQuery");
    assert!(r.body.is_empty());
    assert_eq!(r.header("api-version"), None);
    assert_image_query(&r);
}

/// The image search's query, signed once: image id 1048608196202797156, page 1 of 20.
fn assert_image_query(r: &Captured) {
    let mut query = assert_signed_query(r, &[]);
    query.sort();
    let expected = [
        ("beginPage", "1"),
        ("imageId", "1048608196202797156"),
        ("pageSize", "20"),
    ];
    assert_eq!(query, expected.map(|(k, v)| (k.to_string(), v.to_string())));
}

#[tokio::test]
async fn product_image_query_page_size_above_50_is_refused_before_sending() {
    let server = MockServer::start().await;
    let err = client(&server.base_url)
        .product_image_query()
        .image_url("https://cbu01.alicdn.com/img/ibank/a.jpg")
        .begin_page(1)
        .page_size(51)
        .send()
        .await
        .unwrap_err();
    let Error::InvalidRequest { operation, message } = &err else {
        panic!("expected InvalidRequest, got {err:?}")
    };
    assert_eq!(*operation, "product_image_query");
    assert_eq!(message, "pageSize is 51, the documented maximum is 50");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn product_freight_estimate_posts_the_signed_body() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(json!({"offerId": 670291644950u64, "freight": "3.50"})),
    );
    let data = client(&server.base_url)
        .product_freight_estimate()
        .body(
            types::FreightEstimateRequest::builder()
                .offer_id(670291644950_i64)
                .to_province_code("330000")
                .to_city_code("330100")
                .to_country_code("330108")
                .total_num(5)
                .logistics_sku_num_models(vec![types::LogisticsSkuNum {
                    sku_id: Some("4829152353068".into()),
                    number: Some(5),
                }]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data["freight"], "3.50");
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.path, "/alibaba/product/freightEstimate");
    // The published example without the credentials the signer replaced.
    assert_eq!(
        assert_signed_body(&r),
        json!({"offerId": 670291644950u64, "toProvinceCode": "330000", "toCityCode": "330100",
               "toCountryCode": "330108", "totalNum": 5,
               "logisticsSkuNumModels": [{"skuId": "4829152353068", "number": 5}]})
    );
}

// ----- tag "1688 order" -----

#[tokio::test]
async fn order_preview_decodes_fen_and_yuan() {
    let server = MockServer::start().await;
    // Shaped after the published (truncated) example of the preview page.
    server.reply(
        200,
        ok(json!({"orderPreviewResuslt": [{
            "discountFee": null, "tradeModeNameList": ["assureTrade"], "status": true,
            "taoSampleSinglePromotion": false, "sumPayment": 1671, "message": null, "sumCarriage": 350,
            "resultCode": null, "sumPaymentNoCarriage": 1321, "additionalFee": null, "flowFlag": "general",
            "cargoList": [{"amount": 13.21, "message": null, "finalUnitPrice": 13.9,
                           "specId": "594b40c111b019af610a0078e4316373", "skuId": 4829152353068u64,
                           "resultCode": null, "offerId": 670291644950u64,
                           "cargoPromotionList": [{"promotionId": "plus-1", "selected": false,
                               "text": "省0.69:PLUS会员价", "desc": "<ul></ul>", "freePostage": false,
                               "discountFee": 69}],
                           "openOfferId": "/nlXn4qH5YNFo9hwZ8PEsA=="}],
            "shopPromotionList": [],
            "tradeModelList": [{"tradeWay": null, "name": "担保交易", "tradeType": "assureTrade",
                                "description": "担保交易"}],
            "someFieldNotInTheSchema": 1}]})),
    );
    let preview = client(&server.base_url)
        .order_preview()
        .body(
            types::OrderPreviewRequest::builder()
                .flow(Some("general".to_string()))
                .address_param(address())
                .cargo_param_list(vec![cargo(
                    670291644950,
                    "594b40c111b019af610a0078e4316373",
                    1,
                )]),
        )
        .send()
        .await
        .unwrap();
    let first = &preview.order_preview_resuslt[0];
    assert_eq!(first.sum_payment, Some(1671), "fen");
    assert_eq!(first.sum_carriage, Some(350), "fen");
    let line = &first.cargo_list.as_ref().unwrap()[0];
    assert_eq!(line.amount, Some(13.21), "yuan");
    assert_eq!(line.sku_id.as_ref().unwrap().as_str(), "4829152353068");
    assert_eq!(
        line.cargo_promotion_list.as_ref().unwrap()[0].discount_fee,
        Some(69)
    );

    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.path, "/alibaba/createOrder/preview");
    let body = assert_signed_body(&r);
    assert_eq!(body["flow"], "general");
    assert_eq!(body["addressParam"]["districtCode"], "310107");
    assert_eq!(body["cargoParamList"][0]["offerId"], 670291644950u64);
}

#[tokio::test]
async fn order_create_is_sent_exactly_once() {
    let server = MockServer::start().await;
    server.reply(503, "busy");
    let err = client(&server.base_url)
        .order_create()
        .body(
            types::OrderCreateRequest::builder()
                .third_order_id("T20240708002")
                .flow("general")
                .message("备注信息测试")
                .isv_biz_type("cross")
                .address_param(address())
                .cargo_param_list(vec![cargo(
                    623686863670,
                    "53a1eff0fa008b2b9f32a120b0a050f2",
                    5,
                )]),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 503, .. }),
        "{err:?}"
    );
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.path, "/alibaba/trade/createCrossOrder");
    assert_eq!(assert_signed_body(&r)["thirdOrderId"], "T20240708002");
}

#[tokio::test]
async fn order_create_returns_the_order_and_refuses_more_than_100_skus() {
    let server = MockServer::start().await;
    server.reply(
        200,
        ok(
            json!({"totalSuccessAmount": 1196, "orderId": ORDER, "success": true, "code": null,
                  "message": null, "accountPeriod": null, "failedOfferList": null}),
        ),
    );
    let c = client(&server.base_url);
    let create = |lines: usize| {
        c.order_create().body(
            types::OrderCreateRequest::builder()
                .third_order_id("T1")
                .flow("general")
                .message("")
                .isv_biz_type("cross")
                .address_param(address())
                .cargo_param_list(vec![
                    cargo(
                        623686863670,
                        "53a1eff0fa008b2b9f32a120b0a050f2",
                        1
                    );
                    lines
                ]),
        )
    };
    let order = create(100).send().await.unwrap();
    assert_eq!(order.order_id.as_deref(), Some(ORDER));
    assert_eq!(order.total_success_amount, Some(1196), "fen");

    let err = create(101).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { operation: "order_create", message }
            if message == "cargoParamList has 101 items, the documented limit is 100 per call"),
        "{err:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the 101-line order was not sent"
    );
}

#[tokio::test]
async fn order_cancel_answers_the_published_example() {
    let server = MockServer::start().await;
    server.reply(200, published("post-alibaba-trade-cancel.response"));
    let result = client(&server.base_url)
        .order_cancel()
        .body(
            types::OrderCancelRequest::builder()
                .web_site("1688")
                .order_id(ORDER)
                .cancel_reason("buyerCancel")
                .remark("取消订单备注"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(result.success, Some(true));
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.path, "/alibaba/trade/cancel");
    assert_eq!(
        assert_signed_body(&r),
        json!({"webSite": "1688", "orderId": ORDER, "cancelReason": "buyerCancel", "remark": "取消订单备注"})
    );
}

const DETAIL: &str = r#"{"guaranteesTerms":{"assuranceInfo":"7天","assuranceType":"qtwlybt","qualityAssuranceType":"7天无理由退货"},
 "internationalLogistics":null,
 "nativeLogistics":{"address":"网商路699号","area":"普陀区","areaCode":"310107","city":"上海市","contactPerson":"张三","fax":null,"mobile":"18888888888","province":"上海","telephone":"18888888888","zip":"000000","logisticsItems":null,"townCode":null,"town":"镇文本","caid":null,"realLogisticsCompanyNo":null},
 "productItems":[{"itemAmount":8.96,"name":"铅笔","price":1.8,"productID":623686863670,"productImgUrl":["http://cbu01.alicdn.com/a.80x80.jpg","http://cbu01.alicdn.com/a.jpg"],"quantity":5,"refund":0,"skuID":5403412737023,"status":"cancel","subItemID":2257164624870311973,"type":"common","unit":"盒"}],
 "tradeTerms":[{"payStatus":"2"}],"extAttributes":[{"key":"k","value":"v"}],"baseInfo":{"id":2257164624870311973,"status":"cancel"},"fromEncryptOrder":null}"#;

#[tokio::test]
async fn order_detail_keeps_19_digit_ids_and_is_retried_with_fresh_credentials() {
    let server = MockServer::start().await;
    server.script(vec![
        (503, "busy".into()),
        (
            200,
            format!(r#"{{"code":200,"message":"操作成功","data":{DETAIL}}}"#),
        ),
    ]);
    let order = client(&server.base_url)
        .order_detail()
        .body(
            types::OrderDetailRequest::builder()
                .web_site("1688")
                .order_id(ORDER),
        )
        .send()
        .await
        .unwrap();
    let item = &order.product_items.as_ref().unwrap()[0];
    assert_eq!(
        item.sub_item_id.as_ref().unwrap().as_str(),
        ORDER,
        "19 digits kept exact"
    );
    assert_eq!(item.price, Some(1.8), "yuan");
    assert_eq!(
        order.native_logistics.unwrap().area_code.as_deref(),
        Some("310107")
    );
    assert_eq!(order.base_info.unwrap()["id"].to_string(), ORDER);

    // A read: retried once after the 503, re-signed without stale appKey/requestTime/sign.
    let [first, second] = server.requests().try_into().unwrap();
    assert_eq!(first.path, "/alibaba/trade/get/buyerView");
    assert_eq!(first.body, second.body);
    assert_eq!(
        assert_signed_body(&second),
        json!({"webSite": "1688", "orderId": ORDER})
    );
}

#[tokio::test]
async fn order_list_with_no_filter_sends_only_credentials() {
    let server = MockServer::start().await;
    server.reply(
        200,
        format!(r#"{{"code":200,"message":"操作成功","data":{{"result":[{DETAIL}]}}}}"#),
    );
    let list = client(&server.base_url)
        .order_list()
        .body(types::OrderListRequest::builder())
        .send()
        .await
        .unwrap();
    assert_eq!(list.result.unwrap().len(), 1);
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.path, "/alibaba/trade/getBuyerOrderList");
    assert_eq!(assert_signed_body(&r), json!({}));
}

#[tokio::test]
async fn order_receive_confirm_1009_keeps_the_1688_error() {
    let server = MockServer::start().await;
    server.reply(
        200,
        published("post-alibaba-trade-receivegoods-confirm.response"),
    );
    let err = client(&server.base_url)
        .order_receive_confirm()
        .body(
            types::ReceiveConfirmRequest::builder()
                .order_id(LenientId::from(56623232655125698u64))
                .order_entry_ids(vec![LenientId::from(562356635566365512u64)]),
        )
        .send()
        .await
        .unwrap_err();
    let api = err
        .api()
        .unwrap_or_else(|| panic!("expected Api, got {err:?}"));
    assert_eq!(api.operation, "order_receive_confirm");
    assert_eq!(api.code, 1009);
    assert_eq!(api.message.as_deref(), Some("买家确认收货失败"));
    assert_eq!(api.request_id.as_deref(), Some("585461efd015"));
    let upstream = api.upstream.as_ref().unwrap();
    assert_eq!(upstream.code.as_deref(), Some("4003"));
    assert_eq!(
        upstream.message.as_deref(),
        Some("订单信息不存在,请核对后重试")
    );
    let shown = err.to_string();
    assert!(shown.contains("1009") && shown.contains("4003") && shown.contains("585461efd015"));

    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.path, "/alibaba/trade/receiveGoods/confirm");
    // Sent as JSON numbers with every digit, as in the published curl body.
    let text = std::str::from_utf8(&r.body).unwrap();
    assert!(
        text.starts_with(r#"{"orderEntryIds":[562356635566365512],"orderId":56623232655125698,"#),
        "{text}"
    );
    assert_signed_body(&r);
}

// ----- tag "1688 pay" -----

#[tokio::test]
async fn pay_urls_signs_the_order_list() {
    let server = MockServer::start().await;
    server.reply(200, published("get-alibaba-alipay-url-get.response.seed"));
    let ids = "2257455039610311973,2257164624870311973";
    let pay = client(&server.base_url)
        .pay_urls()
        .order_id_list(ids)
        .send()
        .await
        .unwrap();
    assert_eq!(
        pay.pay_url.as_deref(),
        Some("https://trade.1688.com/order/cashier.htm?orderId=2257455039610311973")
    );
    assert_eq!(pay.success, Some(true));

    let [r] = server.requests().try_into().unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/alibaba/alipay/url/get")
    );
    // The default reading (`ORDER_ID_LIST=json-array`) writes the caller's comma list as JSON-array text.
    assert_eq!(
        assert_signed_query(&r, &[]),
        [("orderIdList".to_string(), format!("[{ids}]"))]
    );
    // tests/vectors/variants.json "GET orderIdList json-array" (Python).
    assert!(query_pairs(&r).contains(&("sign".into(), "0AA5EE37B56676F9105FF9CBB4ECB4CA".into())));
}

/// Both readings of `orderIdList` (`ORDER_ID_LIST`) against the sandbox emulating each: the matching
/// client is answered about the orders it named, the other gets the failure envelope (code 400) naming the
/// parameter and the reading.
#[tokio::test]
async fn order_id_list_readings_against_the_sandbox_emulation() {
    use sourcing_runtime::{ListFormat, SigningSettings, Variant};
    use sourcing_sandbox::{Sandbox, SandboxConfig, SandboxSigner};
    // Not the published example's order, so the answer's link names exactly the orders asked about.
    let ids = "2257000000000000001,2257000000000000002";
    let providers = sourcing_registry::providers();
    for emulated in ListFormat::ALL.iter().copied() {
        let mut settings = SigningSettings::default();
        settings.app_key.list_format = emulated;
        let sandbox = Sandbox::start_with(SandboxConfig {
            signing: settings,
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        for sent in ListFormat::ALL.iter().copied() {
            let mut client_settings = SigningSettings::default();
            client_settings.app_key.list_format = sent;
            let runtime = Runtime::new(SandboxSigner::emulating(providers, &client_settings));
            let c = Client::with_runtime(&sandbox.base_url("dajisaas"), runtime);
            let answer = c.pay_urls().order_id_list(ids).send().await;
            let case = format!("sandbox {}, client {}", emulated.name(), sent.name());
            if sent == emulated {
                let link = answer.unwrap().pay_url.unwrap_or_default();
                assert!(
                    link.contains("2257000000000000001") && link.contains("2257000000000000002"),
                    "{case}: {link}"
                );
            } else {
                let err = answer.unwrap_err();
                let text = err.to_string();
                // Schema-valid (a string): the failure envelope with HTTP 200, code 400.
                assert!(
                    matches!(&err, Error::Api(e) if e.code == 400)
                        && text.contains("orderIdList")
                        && text.contains(&format!("ORDER_ID_LIST={}", emulated.name())),
                    "{case}: {text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn pay_urls_refuses_more_than_30_orders_before_sending() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!({"payUrl": "https://x", "success": true})));
    let ids = |n: usize| {
        (0..n)
            .map(|i| format!("22571646248703119{i:02}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let c = client(&server.base_url);
    c.pay_urls().order_id_list(ids(30)).send().await.unwrap();
    let err = c
        .pay_urls()
        .order_id_list(ids(31))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { operation: "pay_urls", message }
            if message == "orderIdList has 31 items, the documented limit is 30 per call"),
        "{err:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "only the 30-order call was sent"
    );
}

/// A GET read is retried and re-signed: the second attempt carries one fresh `appKey` + `sign`, no stale copy
/// of the first attempt's.
#[tokio::test]
async fn a_get_read_is_retried_and_resigned_without_stale_parameters() {
    let server = MockServer::start().await;
    server.script(vec![(503, "busy".into()), (200, ok(json!({"data": []})))]);
    client(&server.base_url)
        .product_image_query()
        .image_id("1048608196202797156")
        .begin_page(1)
        .page_size(20)
        .send()
        .await
        .unwrap();
    let [first, second] = server.requests().try_into().unwrap();
    assert_image_query(&second);
    assert_eq!(first.query, second.query);
}

/// `pay_urls` returns a cashier link (`x-effect: pay`): sent once, never retried, like every payment.
#[tokio::test]
async fn pay_urls_returns_a_payment_link_and_is_never_retried() {
    let server = MockServer::start().await;
    server.script(vec![
        (503, "busy".into()),
        (200, ok(json!({"payUrl": "https://x", "success": true}))),
    ]);
    let err = client(&server.base_url)
        .pay_urls()
        .order_id_list(ORDER)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 503, .. }),
        "{err:?}"
    );
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(
        assert_signed_query(&r, &[]),
        [("orderIdList".to_string(), format!("[{ORDER}]"))]
    );
}

#[tokio::test]
async fn pay_protocol_pay_is_never_retried() {
    let server = MockServer::start().await;
    server.reply(503, r#"{"code":503,"message":"busy","traceId":"t1"}"#);
    let err = client(&server.base_url)
        .pay_protocol_pay()
        .body(types::ProtocolPayRequest::builder().order_id(ORDER))
        .send()
        .await
        .unwrap_err();
    let Error::HttpStatus { status, api, .. } = &err else {
        panic!("expected HttpStatus, got {err:?}")
    };
    assert_eq!(*status, 503);
    assert_eq!(
        api.as_ref().and_then(|a| a.request_id.as_deref()),
        Some("t1")
    );
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.path, "/alibaba/trade/pay/protocolPay/preparePay");
    assert_eq!(assert_signed_body(&r), json!({"orderId": ORDER}));
}

// ----- tag "Taobao pay" -----

#[tokio::test]
async fn taobao_pay_batch_sends_numbers_and_refuses_more_than_10() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!({"paid": [200049919063u64]})));
    let c = client(&server.base_url);
    let pay = |n: i64| {
        c.taobao_pay_batch().body(
            types::TaobaoBatchPayRequest::builder()
                .purchase_order_id_list((0..n).map(|i| 200049919063 + i).collect::<Vec<_>>()),
        )
    };
    let data = pay(10).send().await.unwrap();
    assert_eq!(data["paid"][0], 200049919063u64);
    let err = pay(11).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message.starts_with("purchaseOrderIdList has 11 items")),
        "{err:?}"
    );
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.path, "/taobao/purchase/order/batch/pay");
    let body = assert_signed_body(&r);
    assert_eq!(body["purchaseOrderIdList"].as_array().unwrap().len(), 10);
    assert_eq!(body["purchaseOrderIdList"][0], 200049919063u64);
}

// ----- hand-written multipart uploads -----

/// The text fields of an upload as `encoding` sends them: the query minus the signer's own (`Query`), the
/// URL-encoded body (`Form`) or the multipart body (`Multipart`); the signature covers them in every reading.
fn upload_fields(r: &Captured, encoding: UploadEncoding) -> Vec<(String, String)> {
    let content_type = r.header("content-type").unwrap_or_default();
    match encoding {
        UploadEncoding::Query => {
            assert!(
                r.body.is_empty() && content_type.is_empty(),
                "{content_type}"
            );
            assert_signed_query(r, &[])
        }
        UploadEncoding::Form => {
            assert_eq!(content_type, "application/x-www-form-urlencoded");
            let body = std::str::from_utf8(&r.body).unwrap();
            let form: Vec<(String, String)> = reqwest::Url::parse(&format!("form:?{body}"))
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect();
            assert_eq!(assert_signed_query(r, &form), []);
            form
        }
        UploadEncoding::Multipart => {
            assert!(content_type.starts_with("multipart/form-data; boundary="));
            let form = r.multipart_fields();
            assert_eq!(assert_signed_query(r, &form), []);
            form
        }
    }
}

/// Each reading of the unpublished upload encoding (`UPLOAD_ENCODING`; default `query`, the vendor page's).
#[tokio::test]
async fn upload_image_sends_its_fields_as_the_reading_says() {
    use sourcing_runtime::{AppKeySettings, Variant};
    assert_eq!(UploadEncoding::default(), UploadEncoding::Query);
    let pic =
        "https://img.alicdn.com/bao/uploaded/i3/684174095/O1CN019WLF1n1g7YYWtonEu_!!0-item_pic.jpg";
    let png = b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR\0\0\0\x01";
    for encoding in UploadEncoding::ALL.iter().copied() {
        let server = MockServer::start().await;
        server.reply(200, ok(json!({"imageId": "1164408192156408878"})));
        let signer = AppKeySigner::new(AppKeyCredentials::new(KEY, SECRET))
            .with_settings(AppKeySettings {
                upload_encoding: encoding,
                ..AppKeySettings::default()
            })
            .with_clock(FixedClock(NOW));
        let c = Client::with_runtime(&server.base_url, Runtime::new(signer));
        let data = c.upload_image(ImageUpload::url(pic)).await.unwrap();
        assert_eq!(data["imageId"], "1164408192156408878");
        c.taobao_upload_image(ImageUpload::bytes(png))
            .await
            .unwrap();

        let [alibaba, taobao] = server.requests().try_into().unwrap();
        for (r, path) in [
            (&alibaba, "/alibaba/upload/image"),
            (&taobao, "/taobao/upload/image"),
        ] {
            assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", path));
            assert_eq!(r.header("api-version"), None);
        }
        let name = encoding.name();
        assert_eq!(
            upload_fields(&alibaba, encoding),
            [("pic_url".to_string(), pic.to_string())],
            "{name}"
        );
        assert_eq!(
            upload_fields(&taobao, encoding),
            [(
                "image_base64".to_string(),
                "iVBORw0KGgoAAAANSUhEUgAAAAE=".to_string()
            )],
            "{name}"
        );
    }
}

#[tokio::test]
async fn upload_image_refuses_what_the_docs_forbid_before_sending() {
    let server = MockServer::start().await;
    let err = client(&server.base_url)
        .upload_image(ImageUpload::bytes(b"GIF89a\x01\0\x01\0"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { operation: "upload_image", message } if message.contains("JPG, PNG or WEBP")),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

// ----- modes, envelope, raw calls -----

#[tokio::test]
async fn debug_secret_mode_is_explicit_and_matches_the_published_examples() {
    let server = MockServer::start().await;
    server.reply(200, ok(json!({"payUrl": "https://x", "success": true})));
    let c = client_in(&server.base_url, AppKeyMode::DebugSecret);
    c.pay_urls().order_id_list(ORDER).send().await.unwrap();
    c.pay_protocol_pay()
        .body(types::ProtocolPayRequest::builder().order_id(ORDER))
        .send()
        .await
        .unwrap();
    let [get, post] = server.requests().try_into().unwrap();
    assert_eq!(
        query_pairs(&get),
        [
            ("orderIdList", format!("[{ORDER}]").as_str()),
            ("appKey", KEY),
            ("appSecret", SECRET)
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    // The shape of post-alibaba-trade-pay-protocolpay-preparepay.request.json, with real credentials.
    assert_eq!(
        post.json(),
        json!({"appKey": KEY, "appSecret": SECRET, "orderId": ORDER})
    );
}

#[tokio::test]
async fn debug_mode_transport_errors_do_not_show_the_secret() {
    // Bind and drop a listener to get a loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = client_in(&format!("http://127.0.0.1:{port}"), AppKeyMode::DebugSecret);
    let generated = c.pay_urls().order_id_list(ORDER).send().await.unwrap_err();
    let raw = c
        .call_raw(reqwest::Method::GET, "/x", &[], None)
        .await
        .unwrap_err();
    let upload = c
        .upload_image(ImageUpload::url("https://a/b.jpg"))
        .await
        .unwrap_err();
    for err in [generated, raw, upload] {
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        let shown = format!("{err} {err:?} {:?}", std::error::Error::source(&err));
        assert!(shown.contains("appSecret=%3Credacted%3E"), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[tokio::test]
async fn call_raw_reproduces_the_published_signature_vector() {
    // The overview.md vector, sent to a path the spec does not describe.
    let server = MockServer::start().await;
    server.reply(200, ok(json!([1])));
    let query = [
        ("keyword", "T恤"),
        ("beginPage", "1"),
        ("pageSize", "20"),
        ("country", "en"),
    ];
    let data = client(&server.base_url)
        .call_raw(reqwest::Method::GET, "/private/search", &query, None)
        .await
        .unwrap();
    assert_eq!(data, json!([1]));
    let [r] = server.requests().try_into().unwrap();
    assert_signed_query(&r, &[]);
    assert!(query_pairs(&r).contains(&("sign".into(), "4DF585F2940E7B060A04D40B44C0E568".into())));
}

#[tokio::test]
async fn error_envelope_with_other_data_shape_is_still_api_error() {
    let server = MockServer::start().await;
    server.reply(
        200,
        r#"{"code":401,"message":"签名错误","data":"oops","traceId":"t9"}"#,
    );
    let err = client(&server.base_url)
        .order_detail()
        .body(
            types::OrderDetailRequest::builder()
                .web_site("1688")
                .order_id(ORDER),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(a) if a.code == 401 && a.request_id.as_deref() == Some("t9")),
        "{err:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "a business error is not retried"
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    let c = Client::new(
        dajisaas::PRODUCTION_BASE_URL,
        AppKeyCredentials::new(KEY, SECRET),
    );
    let shown = format!("{c:?}");
    assert!(shown.contains(KEY) && !shown.contains(SECRET), "{shown}");
}
