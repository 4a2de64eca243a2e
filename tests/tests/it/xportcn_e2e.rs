//! Xportcn end to end against a local mock server, one section per tag (KA product, KA order, Warehouse
//! logistics): each operation sends the published method, path (under the `/api` base), query and body with
//! all auth headers and a valid signature; a pay batch with failed orders is `Error::PartialFailure`; the
//! `/open/pp/logistics/*` operations are refused by the built-in signer and work with a user's `Signer`.

use serde_json::{Value, json};
use sourcing_runtime::time::FixedClock;
use sourcing_runtime::{
    AccessKeyCredentials, AccessKeySigner, AuthStyle, Error, FixedNonce, Runtime, SignContext,
    SignError, Signer, TimestampUnit, access_key_signature, set_query_params,
};
use sourcing_tests::{Captured, MockServer, fixtures_dir, workspace_root};
use xportcn::{Client, types};

use sourcing_tests::vector::{
    ACCESS_KEY as AK, NONCE, SECRET as SK, TIMESTAMP as TS, V1_SIGNATURE as SIGNATURE,
};
// The user-id of the curl sample on the order pay page (seeds/004).
const USER: &str = "2218427022945";

fn vector_signer() -> AccessKeySigner {
    sourcing_tests::vector::signer(USER)
}

/// `server.base_url + "/api"`: the production base URL also ends in `/api`.
fn base(server: &MockServer) -> String {
    format!("{}/api", server.base_url)
}

fn client(server: &MockServer) -> Client {
    Client::with_runtime(&base(server), sourcing_tests::vector::runtime(USER))
}

fn assert_signed(r: &Captured) {
    assert_eq!(r.header("access-key"), Some(AK));
    assert_eq!(r.header("timestamp"), Some("1715669977082"));
    assert_eq!(r.header("nonce-str"), Some(NONCE));
    assert_eq!(r.header("user-id"), Some(USER));
    assert_eq!(r.header("signature"), Some(SIGNATURE));
    assert_eq!(r.header("api-version"), None);
}

fn assert_json_post(r: &Captured, path: &str, body: &Value) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/api{path}"));
    assert_eq!(r.query, None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(&r.json(), body);
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir("xportcn").join(format!("{name}.json"))).unwrap()
}

const OK_UNTYPED: &str = r#"{"requestId":"r1","code":200,"developId":"1023561483696472887","msg":"成功","data":{"anything":[1,"2"]}}"#;

// ---------------------------------------------------------------------------------------------- KA product

#[tokio::test]
async fn ka_product_keywords_query_is_signed_and_retried() {
    let server = MockServer::start().await;
    server.script(vec![
        (503, r#"{"code":503,"msg":"busy"}"#.into()),
        (200, OK_UNTYPED.into()),
    ]);
    let extra: serde_json::Map<String, Value> =
        serde_json::from_value(json!({"keyword": "dress", "beginPage": 1, "pageSize": 20}))
            .unwrap();
    let data = client(&server)
        .ka_product_keywords_query()
        .body(
            types::KaProductKeywordsQuery::builder()
                .filter(Some("shipInToday".to_string()))
                .extra(extra),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data, json!({"anything": [1, "2"]}));

    // A search is a read: the 503 was retried, and both attempts were signed.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_json_post(
            r,
            "/alibaba/ka/product/keywords/query",
            &json!({"filter": "shipInToday", "keyword": "dress", "beginPage": 1, "pageSize": 20}),
        );
        assert_signed(r);
    }
}

// ------------------------------------------------------------------------------------------------ KA order

#[tokio::test]
async fn ka_order_preview_sends_the_published_request_and_types_the_published_response() {
    let server = MockServer::start().await;
    server.reply(
        200,
        fixture("post-alibaba-ka-order-create-preview.response"),
    );
    let request: Value =
        serde_json::from_str(&fixture("post-alibaba-ka-order-create-preview.request")).unwrap();
    let body: types::KaOrderPreviewRequest = serde_json::from_value(request.clone()).unwrap();
    let previews = client(&server)
        .ka_order_preview()
        .body(body)
        .send()
        .await
        .unwrap();

    let [seller] = previews.as_slice() else {
        panic!("one seller expected: {previews:?}")
    };
    assert_eq!(
        (
            seller.sum_carriage,
            seller.sum_payment,
            seller.sum_payment_no_carriage
        ),
        (Some(600), Some(6400), Some(5800)),
        "amounts in fen"
    );
    let line = &seller.order_item_to_list[0];
    assert_eq!(line.final_unit_price, Some(2900));
    assert_eq!(line.sku_id.as_ref().unwrap().as_str(), "5736673805656");
    assert_eq!(line.offer_id.as_ref().unwrap().as_str(), "889512351602");
    assert_eq!(line.message, None);

    let [r] = server.requests().try_into().unwrap();
    assert_json_post(&r, "/alibaba/ka/order/create/preview", &request);
    assert_signed(&r);
}

#[tokio::test]
async fn ka_order_create_sends_typed_and_extra_fields_and_is_not_retried() {
    let server = MockServer::start().await;
    server.reply(200, OK_UNTYPED);
    let address = types::AddressParam::builder()
        .full_name(Some("test".to_string()))
        .mobile(Some("13567102355".to_string()))
        .post_code(Some("532600".to_string()));
    let goods: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "cargoParamList": [{"offerId": 889512351602u64, "specId": "530ad00177264564503ec3b848650652", "quantity": 2}]
    }))
    .unwrap();
    let data = client(&server)
        .ka_order_create()
        .body(
            types::KaOrderCreateRequest::builder()
                .flow(Some("fenxiaonew".to_string()))
                .message(Some("please pack well".to_string()))
                .address_param(Some(address.try_into().unwrap()))
                .extra(goods),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(data["anything"], json!([1, "2"]));
    let [r] = server.requests().try_into().unwrap();
    assert_json_post(
        &r,
        "/alibaba/ka/order/create",
        &json!({
            "flow": "fenxiaonew",
            "message": "please pack well",
            "addressParam": {"fullName": "test", "mobile": "13567102355", "postCode": "532600"},
            "cargoParamList": [{"offerId": 889512351602u64, "specId": "530ad00177264564503ec3b848650652", "quantity": 2}]
        }),
    );
    assert_signed(&r);

    // Without extra fields the body still builds (the open object's map starts empty).
    server.reply(503, r#"{"code":503,"msg":"busy"}"#);
    let err = client(&server)
        .ka_order_create()
        .body(types::KaOrderCreateRequest::builder().flow(Some("fenxiaonew".to_string())))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 503, .. }),
        "{err:?}"
    );
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.json(), json!({"flow": "fenxiaonew"}));
    // Order creation is sent exactly once, even on a retryable status.
}

async fn pay(server: &MockServer, ids: &[&str]) -> Result<types::KaOrderPayResult, Error> {
    client(server)
        .ka_order_pay()
        .body(
            types::KaOrderPayRequest::builder()
                .order_ids(ids.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        )
        .send()
        .await
}

#[tokio::test]
async fn ka_order_pay_published_answer_is_a_partial_failure_with_the_order_counted_as_paid() {
    let server = MockServer::start().await;
    server.reply(200, fixture("post-alibaba-ka-order-pay.response.seed"));
    let request: Value =
        serde_json::from_str(&fixture("post-alibaba-ka-order-pay.request.seed")).unwrap();
    let id = "3300504350583134260";
    let err = pay(&server, &[id]).await.unwrap_err();

    let Error::PartialFailure(f) = &err else {
        panic!("expected PartialFailure, got {err:?}")
    };
    assert_eq!(f.operation, "ka_order_pay");
    // The order is in both published lists: reported as paid, its failure entry kept apart.
    assert_eq!(f.succeeded, [id]);
    assert!(f.failed.is_empty(), "{:?}", f.failed);
    assert_eq!(f.conflicting.len(), 1);
    assert_eq!(f.conflicting[0].id, id);
    assert_eq!(
        f.conflicting[0].reason.as_deref(),
        Some("资金账户已经扣款,不可重复支付")
    );
    assert_eq!(
        f.request_id.as_deref(),
        Some("9502cd80026d45018af181d760288f63")
    );
    let typed: types::KaOrderPayResult = f.data_as().unwrap();
    assert_eq!(typed.success_order_ids[0].as_str(), id);
    assert_eq!(err.partial_failure(), Some(&**f));
    let shown = err.to_string();
    assert!(
        shown.contains("listed as both")
            && shown.contains(id)
            && shown.contains("9502cd80026d45018af181d760288f63"),
        "{shown}"
    );

    let [r] = server.requests().try_into().unwrap();
    assert_json_post(&r, "/alibaba/ka/order/pay", &request);
    assert_signed(&r);
}

#[tokio::test]
async fn ka_order_pay_through_the_untyped_table_path_is_a_partial_failure_too() {
    let server = MockServer::start().await;
    server.reply(200, fixture("post-alibaba-ka-order-pay.response.seed"));
    let op = xportcn::operations::find("ka_order_pay").unwrap();
    let body = json!({"orderIds": ["3300504350583134260"]});
    let err = client(&server)
        .call_operation(op, &[], Some(&body))
        .await
        .unwrap_err();
    let f = err.partial_failure().expect("a partial failure");
    assert_eq!(f.succeeded, ["3300504350583134260"]);
    assert_eq!(f.conflicting.len(), 1);
    let [r] = server.requests().try_into().unwrap();
    assert_json_post(&r, "/alibaba/ka/order/pay", &body);
    assert_signed(&r);
}

#[tokio::test]
async fn ka_order_pay_mixed_batch_names_paid_and_failed_orders() {
    let server = MockServer::start().await;
    let (paid, unpaid) = ("3300504350583134260", "3300504350583134261");
    server.reply(
        200,
        format!(
            r#"{{"requestId":"r7","code":200,"developId":"1023561483696472887","msg":"成功","data":{{"successOrderIds":["{paid}"],"failedOrderList":[{{"orderId":{unpaid},"failedReason":"账户额度不足"}}]}}}}"#
        ),
    );
    let err = pay(&server, &[paid, unpaid]).await.unwrap_err();
    let f = err.partial_failure().expect("a partial failure");
    assert_eq!(f.succeeded, [paid]);
    // A 19-digit id sent as a JSON number is kept exact.
    assert_eq!(f.failed.len(), 1);
    assert_eq!(f.failed[0].id, unpaid);
    assert_eq!(f.failed[0].reason.as_deref(), Some("账户额度不足"));
    assert!(f.conflicting.is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn ka_order_pay_without_failures_is_success_and_business_errors_stay_api_errors() {
    let server = MockServer::start().await;
    server.reply(
        200,
        r#"{"requestId":"r8","code":200,"msg":"成功","data":{"successOrderIds":["1","2"],"failedOrderList":[]}}"#,
    );
    let data = pay(&server, &["1", "2"]).await.unwrap();
    assert_eq!(data.success_order_ids.len(), 2);

    server.reply(
        200,
        r#"{"requestId":"r9","code":500,"msg":"系统繁忙","data":null}"#,
    );
    let err = pay(&server, &["1"]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(a) if a.code == 500 && a.operation == "ka_order_pay"),
        "{err:?}"
    );

    // Payment is never retried, even on a retryable status.
    server.reply(503, r#"{"code":503,"msg":"busy"}"#);
    let err = pay(&server, &["1"]).await.unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

// -------------------------------------------------------------------------------------- Warehouse logistics

#[tokio::test]
async fn logistics_operations_are_refused_by_the_built_in_signer_and_nothing_is_sent() {
    let server = MockServer::start().await;
    let c = client(&server);
    let errors = [
        c.logistics_order_booking_freight()
            .body(
                types::LogisticsBookingRequest::builder()
                    .render_id(Some("FF2024080200007".to_string())),
            )
            .send()
            .await
            .unwrap_err(),
        c.logistics_update_logistic_info()
            .body(types::LogisticsUpdateRequest::builder().order_id(Some("21".to_string())))
            .send()
            .await
            .unwrap_err(),
    ];
    for (err, op) in errors.iter().zip([
        "logistics_order_booking_freight",
        "logistics_update_logistic_info",
    ]) {
        let Error::Signing { operation, source } = err else {
            panic!("expected Signing, got {err:?}")
        };
        let message = &source.0;
        assert_eq!(*operation, op);
        for reason in [
            "`timestamp` + `sign`",
            "does not publish",
            "QueryTimestampSign",
            "Signer",
        ] {
            assert!(message.contains(reason), "{reason:?} not in {message}");
        }
        assert!(!message.contains(SK), "no secret in errors");
    }
    assert!(server.requests().is_empty(), "nothing is sent unsigned");
}

/// A user's signer: its own (here made-up) rule for the query-signed operations, the built-in header
/// signer for everything else.
#[derive(Debug)]
struct MySigner {
    headers: AccessKeySigner,
}

fn my_sign(timestamp: &str) -> String {
    access_key_signature("logistics", timestamp, None, SK)
}

impl Signer for MySigner {
    fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError> {
        if ctx.auth != AuthStyle::QueryTimestampSign {
            return self.headers.sign(request, ctx);
        }
        let ts = TS.to_string();
        set_query_params(request, &[("timestamp", &ts), ("sign", &my_sign(&ts))]);
        Ok(())
    }
}

#[tokio::test]
async fn logistics_operations_work_with_a_user_signer() {
    let server = MockServer::start().await;
    server.reply(200, OK_UNTYPED);
    let c = Client::with_runtime(
        &base(&server),
        Runtime::new(MySigner {
            headers: vector_signer(),
        }),
    );
    let query = format!("timestamp=1715669977082&sign={}", my_sign("1715669977082"));

    // The complete example PandaPon publishes for the same path (the KA page's copy is cut off).
    let sibling: Value = serde_json::from_str(
        &std::fs::read_to_string(
            fixtures_dir("pandapon")
                .join("post-open-pp-logistics-orderbookingfreight.request.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let booking: types::LogisticsBookingRequest = serde_json::from_value(sibling.clone()).unwrap();
    assert_eq!(booking.line_items[1].quantity, Some(2));
    let data = c
        .logistics_order_booking_freight()
        .body(booking)
        .send()
        .await
        .unwrap();
    assert_eq!(data["anything"][1], "2");

    let line = types::LogisticsLineItem::builder()
        .item_id(Some("2048020617114736".to_string()))
        .sku_id(Some("413185732720".to_string()))
        .quantity(Some(1));
    let info = types::LogisticInfo::builder().line_item(Some(line.try_into().unwrap()));
    c.logistics_update_logistic_info()
        .body(
            types::LogisticsUpdateRequest::builder()
                .order_id(Some("21".to_string()))
                .tmall_order_id(Some("12345667".to_string()))
                .logistic_infos(vec![info.try_into().unwrap()]),
        )
        .send()
        .await
        .unwrap();

    // The same client still signs the KA operations with the headers.
    pay_with(&c).await;

    let [booked, updated, paid] = server.requests().try_into().unwrap();
    let update_body = json!({
        "orderId": "21",
        "tmallOrderId": "12345667",
        "logisticInfos": [{"lineItem": {"itemId": "2048020617114736", "skuId": "413185732720", "quantity": 1}}]
    });
    for (r, path, body) in [
        (
            &booked,
            "/api/open/pp/logistics/orderBookingFreight",
            &sibling,
        ),
        (
            &updated,
            "/api/open/pp/logistics/updateLogisticInfo",
            &update_body,
        ),
    ] {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", path));
        assert_eq!(r.query.as_deref(), Some(query.as_str()));
        assert_eq!(&r.json(), body);
        assert_eq!(
            r.header("signature"),
            None,
            "the user's signer decides the headers"
        );
        assert_eq!(r.header("access-key"), None);
    }
    assert_eq!(paid.query, None);
    assert_signed(&paid);
}

async fn pay_with(c: &Client) {
    c.ka_order_pay()
        .body(types::KaOrderPayRequest::builder().order_ids(vec!["1".to_string()]))
        .send()
        .await
        .unwrap();
}

// -------------------------------------------------------------------------------------- signature vectors

/// Every header (v1) vector of tests/vectors/access_key.json, sent through a real Xportcn request.
#[tokio::test]
async fn xportcn_requests_carry_the_vector_signatures() {
    let path = workspace_root().join("tests/vectors/access_key.json");
    let vectors: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let server = MockServer::start().await;
    server.reply(200, r#"{"code":200,"data":{"successOrderIds":["1"]}}"#);
    let mut checked = 0;
    for v in vectors.iter().filter(|v| v["nonce"].is_string()) {
        let s = |k: &str| v[k].as_str().unwrap();
        let ts = s("timestamp");
        // 10-digit timestamps are seconds; the clock always answers milliseconds.
        let (unit, millis) = if ts.len() == 10 {
            (TimestampUnit::Seconds, ts.parse::<u64>().unwrap() * 1000)
        } else {
            (TimestampUnit::Milliseconds, ts.parse().unwrap())
        };
        let signer = AccessKeySigner::new(AccessKeyCredentials::new(
            s("access_key"),
            s("secret"),
            USER,
        ))
        .with_clock(FixedClock(millis))
        .with_nonce_source(FixedNonce(s("nonce").into()))
        .with_timestamp_unit(unit);
        pay_with(&Client::with_runtime(&base(&server), Runtime::new(signer))).await;
        let requests = server.requests();
        let r = requests.last().unwrap();
        assert_eq!(
            r.header("access-key"),
            Some(s("access_key")),
            "{}",
            s("name")
        );
        assert_eq!(r.header("timestamp"), Some(ts), "{}", s("name"));
        assert_eq!(r.header("nonce-str"), Some(s("nonce")), "{}", s("name"));
        assert_eq!(r.header("signature"), Some(s("signature")), "{}", s("name"));
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} vectors");
}
