//! PandaPon end to end against a local mock server: each operation sends the documented method, path,
//! query and body with all auth headers and a valid signature; `code 200` gives typed data, another code
//! an `ApiError` with code/msg/requestId; transport, status and body failures are typed.

use pandapon::Client;
use sourcing_runtime::Error;
use sourcing_tests::{Captured, MockServer};

use sourcing_tests::vector::{ACCESS_KEY as AK, NONCE, SECRET as SK, V1_SIGNATURE};
const USER: &str = "2100007341207";

fn client(base: &str) -> Client {
    Client::with_runtime(base, sourcing_tests::vector::runtime(USER))
}

fn assert_v1_headers(r: &Captured) {
    assert_eq!(r.header("access-key"), Some(AK));
    assert_eq!(r.header("timestamp"), Some("1715669977082"));
    assert_eq!(r.header("nonce-str"), Some(NONCE));
    assert_eq!(r.header("user-id"), Some(USER));
    assert_eq!(r.header("signature"), Some(V1_SIGNATURE));
    assert_eq!(
        r.header("api-version"),
        None,
        "progenitor's api-version header is not sent"
    );
}

const PAY_OK: &str = r#"{"requestId":"9502cd80026d45018af181d760288f63","code":200,"developId":"1023561483696472887","msg":"成功",
 "data":{"orderId":"2257455039610311973","protocolPaySuccess":false,"payUrl":"https://trade.1688.com/order/cashier.htm?orderId=2257455039610311973","cantPayOrderList":[2257455039610311974]}}"#;

#[tokio::test]
async fn order_pay_url_v1() {
    let server = MockServer::start().await;
    server.reply(200, PAY_OK);
    let data = client(&server.base_url)
        .order_pay_url()
        .order_id("2257455039610311973")
        .send()
        .await
        .unwrap();
    assert_eq!(data.order_id.as_deref(), Some("2257455039610311973"));
    assert_eq!(data.protocol_pay_success, Some(false));
    assert!(data.pay_url.unwrap().starts_with("https://trade.1688.com/"));
    // A 19-digit id sent as a JSON number is kept exactly.
    assert_eq!(
        data.cant_pay_order_list.unwrap()[0].as_str(),
        "2257455039610311974"
    );

    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/alibaba/order/pay/url");
    assert_eq!(r.query.as_deref(), Some("orderId=2257455039610311973"));
    assert!(r.body.is_empty());
    assert_v1_headers(&r);
}

#[tokio::test]
async fn order_pay_url_v2_signs_without_nonce() {
    let server = MockServer::start().await;
    server.reply(200, PAY_OK);
    client(&server.base_url)
        .v2_order_pay_url()
        .order_id("2257455039610311973")
        .send()
        .await
        .unwrap();
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/v2/alibaba/order/pay/url");
    assert_eq!(r.query.as_deref(), Some("orderId=2257455039610311973"));
    assert_eq!(r.header("nonce-str"), None);
    assert_eq!(r.header("access-key"), Some(AK));
    assert_eq!(r.header("user-id"), Some(USER));
    // MD5("demoAccessKey" + "1715669977082" + "demoSecret"), see tests/vectors.
    let expected = sourcing_runtime::access_key_signature(AK, "1715669977082", None, SK);
    assert_eq!(r.header("signature"), Some(expected.as_str()));
}

#[tokio::test]
async fn batch_submit_to_pay_reports_partial_failure() {
    let server = MockServer::start().await;
    server.reply(
        200,
        r#"{"requestId":null,"code":200,"developId":null,"msg":"成功","data":{"successOrderIds":["2059624776425880794"],"payFailOrders":[{"orderId":"2060506524492880794","errorReason":"账户额度不足"}]}}"#,
    );
    let ids = ["2059624776425880794", "2060506524492880794"];
    let err = client(&server.base_url)
        .order_batch_submit_to_pay()
        .body(
            pandapon::types::BatchSubmitToPayRequest::builder()
                .order_ids(ids.map(String::from).to_vec()),
        )
        .send()
        .await
        .unwrap_err();
    // A batch with failed orders is never plain success.
    let Error::PartialFailure(p) = &err else {
        panic!("expected PartialFailure, got {err:?}")
    };
    assert_eq!(p.succeeded, [ids[0]]);
    assert_eq!(p.failed[0].id, ids[1]);
    assert_eq!(p.failed[0].reason.as_deref(), Some("账户额度不足"));
    let data: pandapon::types::BatchSubmitToPayResult = p.data_as().unwrap();
    assert_eq!(data.pay_fail_orders.len(), 1);

    let [r] = server.requests().try_into().unwrap();
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/alibaba/order/batch/submit/to/pay");
    assert_eq!(r.query, None);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), serde_json::json!({"orderIds": ids}));
    assert_v1_headers(&r);
}

#[tokio::test]
async fn business_code_becomes_api_error() {
    let server = MockServer::start().await;
    server.reply(
        200,
        r#"{"requestId":"req-42","code":401,"developId":"7","msg":"签名错误","data":null}"#,
    );
    let err = client(&server.base_url)
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}")
    };
    assert_eq!(api.operation, "order_pay_url");
    assert_eq!(api.code, 401);
    assert_eq!(api.message.as_deref(), Some("签名错误"));
    assert_eq!(api.request_id.as_deref(), Some("req-42"));
    assert!(err.to_string().contains("签名错误") && err.to_string().contains("req-42"));
}

#[tokio::test]
async fn error_envelope_with_other_data_shape_is_still_api_error() {
    let server = MockServer::start().await;
    server.reply(
        200,
        r#"{"requestId":"r","code":500,"msg":"系统繁忙","data":"oops"}"#,
    );
    let err = client(&server.base_url)
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Api(a) if a.code == 500), "{err:?}");
}

#[tokio::test]
async fn undecodable_body_keeps_the_raw_body() {
    let server = MockServer::start().await;
    server.reply(200, "<html>gateway</html>");
    let err = client(&server.base_url)
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    let Error::Decode {
        body, operation, ..
    } = &err
    else {
        panic!("expected Decode, got {err:?}")
    };
    assert_eq!(*operation, "order_pay_url");
    assert_eq!(body.as_text(), "<html>gateway</html>");
}

#[tokio::test]
async fn http_status_is_typed_and_payment_is_not_retried() {
    let server = MockServer::start().await;
    server.reply(503, r#"{"code":503,"msg":"busy","requestId":"r9"}"#);
    let err = client(&server.base_url)
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    let Error::HttpStatus { status, api, .. } = &err else {
        panic!("expected HttpStatus, got {err:?}")
    };
    assert_eq!(*status, 503);
    assert_eq!(api.as_ref().map(|a| a.code), Some(503));
    assert_eq!(
        server.requests().len(),
        1,
        "a payment call is sent exactly once"
    );
}

#[tokio::test]
async fn transport_failure_is_typed() {
    // Bind and drop a listener to get a loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client(&format!("http://127.0.0.1:{port}"))
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                operation: "order_pay_url",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn call_raw_signs_and_maps_the_envelope() {
    let server = MockServer::start().await;
    server.reply(200, r#"{"code":200,"msg":"成功","data":{"items":[1,2]}}"#);
    let body = serde_json::json!({"itemId": "672991141190"});
    let data = client(&server.base_url)
        .call_raw(
            reqwest::Method::POST,
            "/open/private/endpoint",
            &[("lang", "en")],
            Some(&body),
        )
        .await
        .unwrap();
    assert_eq!(data, serde_json::json!({"items": [1, 2]}));
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/open/private/endpoint")
    );
    assert_eq!(r.query.as_deref(), Some("lang=en"));
    assert_eq!(r.json(), body);
    assert_v1_headers(&r);
}

#[tokio::test]
async fn call_raw_signs_v2_paths_like_v2_operations() {
    let server = MockServer::start().await;
    server.reply(200, r#"{"code":200,"msg":"成功","data":true}"#);
    client(&server.base_url)
        .call_raw(
            reqwest::Method::POST,
            "/v2/alibaba/private/thing",
            &[],
            Some(&serde_json::json!({})),
        )
        .await
        .unwrap();
    let [r] = server.requests().try_into().unwrap();
    assert_eq!(
        r.header("nonce-str"),
        None,
        "v2 paths sign without nonce-str"
    );
    let expected = sourcing_runtime::access_key_signature(AK, "1715669977082", None, SK);
    assert_eq!(r.header("signature"), Some(expected.as_str()));
}

/// A signer of the user's own (the documented extension point) never sees progenitor's `api-version`
/// header, and the header never reaches the server: the runtime removes it before any signer runs.
#[tokio::test]
async fn a_custom_signer_never_sends_api_version() {
    use sourcing_runtime::{Runtime, SignContext, SignError, Signer};
    #[derive(Debug)]
    struct Mine;
    impl Signer for Mine {
        fn sign(&self, r: &mut reqwest::Request, _: &SignContext<'_>) -> Result<(), SignError> {
            assert!(
                r.headers().get("api-version").is_none(),
                "seen by the signer"
            );
            r.headers_mut().insert("x-mine", "1".parse().unwrap());
            Ok(())
        }
    }
    let server = MockServer::start().await;
    server.reply(200, PAY_OK);
    let client = Client::with_runtime(&server.base_url, Runtime::new(Mine));
    client.order_pay_url().order_id("1").send().await.unwrap();
    client
        .call_operation(
            &pandapon::operations::ORDER_PAY_URL,
            &[("orderId", "1")],
            None,
        )
        .await
        .unwrap();
    client
        .call_raw(reqwest::Method::GET, "/alibaba/order/pay/url", &[], None)
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(r.header("x-mine"), Some("1"));
        assert_eq!(r.header("api-version"), None);
    }
}
