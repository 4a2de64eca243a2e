//! What the `client` bench and the `call_profile` binary share: the PandaPon pay answer, the hand-written
//! structs it decodes into, and the full call written by hand.

use md5::{Digest, Md5};
use serde::Deserialize;

pub const PAY_BODY: &str = r#"{"requestId":"9502cd80026d45018af181d760288f63","code":200,"developId":"1023561483696472887","msg":"成功","data":{"orderId":"2257455039610311973","protocolPaySuccess":false,"payUrl":"https://trade.1688.com/order/cashier.htm?orderId=2257455039610311973","cantPayOrderList":[2257455039610311974]}}"#;

// Hand-written equivalents of the generated types.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandEnvelope<T> {
    pub request_id: Option<String>,
    pub code: Option<i64>,
    pub develop_id: Option<String>,
    pub msg: Option<String>,
    pub data: Option<T>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandPay {
    pub order_id: Option<String>,
    pub protocol_pay_success: Option<bool>,
    pub pay_url: Option<String>,
    pub cant_pay_order_list: Option<Vec<u64>>,
}

pub fn batch_body(n: usize) -> String {
    let ok: Vec<String> = (0..n)
        .map(|i| format!("\"{}\"", 2257455039610311973u64 + i as u64))
        .collect();
    let failed: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"orderId":"{}","errorReason":"账户额度不足"}}"#,
                3257455039610311973u64 + i as u64
            )
        })
        .collect();
    format!(
        r#"{{"requestId":"r","code":200,"developId":"1","msg":"成功","data":{{"successOrderIds":[{}],"payFailOrders":[{}]}}}}"#,
        ok.join(","),
        failed.join(",")
    )
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandBatch {
    pub success_order_ids: Vec<String>,
    pub pay_fail_orders: Vec<HandFail>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandFail {
    pub order_id: Option<String>,
    pub error_reason: Option<String>,
}

// Hand-written structs with the same tolerance as the generated ones: ids as a JSON number or a string,
// kept as text, through the usual hand-written visitor (`deserialize_any`, `to_string` for numbers).
#[allow(dead_code)]
pub struct HandId(pub String);

impl<'de> Deserialize<'de> for HandId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = HandId;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an id")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HandId, E> {
                Ok(HandId(v.to_owned()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<HandId, E> {
                Ok(HandId(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<HandId, E> {
                Ok(HandId(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LenientEnvelope<T> {
    pub request_id: Option<HandId>,
    pub code: Option<i64>,
    pub develop_id: Option<HandId>,
    pub msg: Option<String>,
    pub data: Option<T>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LenientPay {
    pub order_id: Option<String>,
    pub protocol_pay_success: Option<bool>,
    pub pay_url: Option<String>,
    pub cant_pay_order_list: Option<Vec<HandId>>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LenientBatch {
    #[serde(default)]
    pub success_order_ids: Vec<HandId>,
    #[serde(default)]
    pub pay_fail_orders: Vec<LenientFail>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LenientFail {
    pub order_id: Option<HandId>,
    pub error_reason: Option<String>,
}

/// The credentials both calls sign with.
pub const ACCESS_KEY: &str = "58c0201dfdf148eca63cbf6bb5e7cf03";
pub const SECRET: &str = "secret";
pub const USER_ID: &str = "2100007341207";
pub const ORDER_ID: &str = "2257455039610311973";

/// The nonce the hand-written call sends.
#[derive(Clone, Copy)]
pub enum HandNonce {
    /// 32 random `[A-Za-z0-9]` characters per call from `rand`'s thread RNG, as the vendor requires and
    /// the generated client's signer draws them (the fair baseline).
    Random,
    /// One fixed nonce (the earlier baseline, which skipped that work; `call_profile` only).
    #[allow(dead_code)]
    Fixed,
}

/// The `reqwest::Client` a hand-written production client would use: the same connect and request
/// timeouts as the generated client's default policy (reqwest sets none by default, and a client that can
/// wait forever is a bug).
pub fn hand_written_http() -> reqwest::Client {
    let policy = sourcing_runtime::RequestPolicy::default();
    reqwest::Client::builder()
        .connect_timeout(policy.connect_timeout)
        .timeout(policy.timeout)
        .build()
        .unwrap()
}

/// The same call written by hand: sign (same formula), send, read, decode into hand-written structs.
pub async fn hand_written_call(
    http: &reqwest::Client,
    base: &str,
    nonce: HandNonce,
) -> Option<HandPay> {
    use rand::Rng;
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let random: String;
    let nonce = match nonce {
        HandNonce::Fixed => "abcdefghijklmnopqrstuvwxyz012345",
        HandNonce::Random => {
            random = rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(32)
                .map(char::from)
                .collect();
            &random
        }
    };
    let sig = format!(
        "{:X}",
        Md5::digest(format!("{ACCESS_KEY}{ts}{nonce}{SECRET}"))
    );
    let bytes = http
        .get(format!("{base}/alibaba/order/pay/url"))
        .query(&[("orderId", ORDER_ID)])
        .header("access-key", ACCESS_KEY)
        .header("timestamp", &ts)
        .header("nonce-str", nonce)
        .header("user-id", USER_ID)
        .header("signature", sig)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let env: HandEnvelope<HandPay> = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(env.code, Some(200));
    env.data
}

/// The generated client with the same credentials.
pub fn generated_client(base: &str) -> pandapon::Client {
    use sourcing_runtime::{RateBudget, RequestPolicy, Runtime, SigningSettings};
    let credentials = sourcing_runtime::AccessKeyCredentials::new(ACCESS_KEY, SECRET, USER_ID);
    // No client-side rate budget: the hand-written call has none, and the default (10 calls/s) would make
    // the comparison measure waiting for the budget, not the call. The budget's own check still runs.
    let policy = RequestPolicy {
        rate: RateBudget::unlimited(),
        ..RequestPolicy::default()
    };
    let runtime = Runtime::for_provider(
        &pandapon::operations::PROVIDER,
        &credentials.into(),
        &SigningSettings::default(),
    )
    .with_policy(policy);
    pandapon::Client::with_runtime(base, runtime)
}

/// The call through the generated client.
pub async fn generated_call(client: &pandapon::Client) -> pandapon::types::OrderPayResult {
    client
        .order_pay_url()
        .order_id(ORDER_ID)
        .send()
        .await
        .unwrap()
}

/// A one-worker runtime and the loopback server answering [`PAY_BODY`] (its base URL).
pub fn serve_pay_answer() -> (tokio::runtime::Runtime, sourcing_tests::MockServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(sourcing_tests::MockServer::start());
    server.reply(200, PAY_BODY);
    (rt, server)
}
