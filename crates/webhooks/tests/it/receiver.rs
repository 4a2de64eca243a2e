//! The receiver over loopback: a real axum server on 127.0.0.1:0, driven with reqwest and a raw TCP client.

use sourcing_webhooks::{
    Callback, DajisaasMessage, DajisaasPayload, DajisaasVerifier, Handler, HandlerError,
    MessageBody, MessageType, PushMessage, Receiver, formats,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A published Xportcn fixture from `vendor-docs/examples/xportcn`.
pub(crate) fn fixture(name: &str) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vendor-docs/examples/xportcn")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) static ORDER_CREATE_TEXT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| fixture("webhook-order-create.request.json"));
pub(crate) static ORDER_CANCEL_TEXT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| fixture("webhook-order-cancel.request.json"));

/// Starts `receiver` on a free loopback port; returns its base URL.
async fn start<H: Handler>(receiver: Receiver<H>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(receiver.serve_on(listener, std::future::pending()));
    format!("http://{addr}")
}

async fn post(url: &str, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let res = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

pub(crate) async fn post_json(url: &str, body: &str) -> (u16, String) {
    post(url, "application/json", body.to_owned()).await
}

/// Records every callback it receives; counts calls.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<Callback>>>,
}

impl Recorder {
    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
    fn last(&self) -> Callback {
        self.seen.lock().unwrap().last().cloned().unwrap()
    }
    fn handler(&self) -> impl Handler {
        let seen = self.seen.clone();
        move |cb: Callback| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(cb);
                Ok::<_, HandlerError>(())
            }
        }
    }
}

#[tokio::test]
async fn success_is_200_and_the_handler_gets_the_typed_message() {
    let rec = Recorder::default();
    let url = start(Receiver::with_handler(formats::xportcn(), rec.handler())).await;
    assert_eq!(
        post_json(&url, &ORDER_CREATE_TEXT).await,
        (200, "ok".into())
    );
    assert_eq!(rec.count(), 1);
    let cb = rec.last();
    let Some(push) = cb.message::<PushMessage>() else {
        panic!()
    };
    assert_eq!(push.message_type, MessageType::OrderCreate);
    let MessageBody::Order(order) = &push.body else {
        panic!()
    };
    assert_eq!(order.order_id.as_str(), "3305075341149134260");
    assert_eq!(rec.last().order_id(), Some("3305075341149134260"));
}

#[tokio::test]
async fn duplicate_delivery_reaches_the_handler_once() {
    let rec = Recorder::default();
    let url = start(Receiver::with_handler(formats::pandapon(), rec.handler()).path("cb")).await;
    let url = format!("{url}/cb");
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    let (status, text) = post_json(&url, &ORDER_CREATE_TEXT).await;
    assert_eq!(status, 200);
    assert!(text.contains("duplicate"), "{text}");
    assert_eq!(rec.count(), 1, "duplicate must not reach the handler");
    // A different message for the same order (and same timestamp) is not a duplicate.
    assert_eq!(post_json(&url, &ORDER_CANCEL_TEXT).await.0, 200);
    assert_eq!(rec.count(), 2);
    // Same message re-pushed with a new push time: still the same message (timestamp is not in the key).
    let repushed = ORDER_CREATE_TEXT.replace("1779263269913", "1779265069913");
    assert_eq!(post_json(&url, &repushed).await.0, 200);
    assert_eq!(rec.count(), 2);
}

#[tokio::test]
async fn dedup_window_expires() {
    let rec = Recorder::default();
    let url = start(
        Receiver::with_handler(formats::xportcn(), rec.handler())
            .dedup(Duration::from_millis(300), 100),
    )
    .await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    assert_eq!(rec.count(), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    assert_eq!(rec.count(), 2, "forgotten after the window");
}

#[tokio::test]
async fn handler_error_is_non_200_and_the_retry_is_processed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let handler = move |_cb: Callback| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Err::<(), HandlerError>("database unavailable".into())
            } else {
                Ok(())
            }
        }
    };
    let url = start(Receiver::with_handler(formats::xportcn(), handler)).await;
    let (status, text) = post_json(&url, &ORDER_CREATE_TEXT).await;
    assert_eq!(status, 500);
    assert!(text.contains("redelivery will be processed"), "{text}");
    assert!(
        !text.contains("database"),
        "handler errors are logged, not sent back"
    );
    // The vendor's retry: processed, not treated as a duplicate.
    assert_eq!(
        post_json(&url, &ORDER_CREATE_TEXT).await,
        (200, "ok".into())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Now it is recorded.
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn handler_panic_is_500_and_the_retry_is_processed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let handler = move |_cb: Callback| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            assert!(
                n > 0,
                "handler bug on first call (expected panic in this test)"
            );
            Ok::<_, HandlerError>(())
        }
    };
    let url = start(Receiver::with_handler(formats::xportcn(), handler)).await;
    let (status, text) = post_json(&url, &ORDER_CREATE_TEXT).await;
    assert_eq!(status, 500);
    assert!(text.contains("panicked"), "{text}");
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A handler that sleeps `delay` then succeeds or fails (per call, in order), counting calls and completions.
fn slow_handler(
    delay: Duration,
    outcomes: Vec<bool>,
) -> (impl Handler, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (s, f) = (started.clone(), finished.clone());
    let handler = move |_cb: Callback| {
        let n = s.fetch_add(1, Ordering::SeqCst);
        let ok = outcomes.get(n).copied().unwrap_or(true);
        let f = f.clone();
        async move {
            tokio::time::sleep(delay).await;
            f.fetch_add(1, Ordering::SeqCst);
            if ok {
                Ok(())
            } else {
                Err::<(), HandlerError>("late failure".into())
            }
        }
    };
    (handler, started, finished)
}

async fn wait_until(counter: &AtomicUsize, n: usize) {
    let t = Instant::now();
    while counter.load(Ordering::SeqCst) < n {
        assert!(t.elapsed() < Duration::from_secs(10), "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn slow_handler_gets_503_within_a_second_and_never_runs_twice() {
    let (handler, started, finished) = slow_handler(Duration::from_millis(1500), vec![true]);
    // Default deadline (800 ms).
    let url = start(Receiver::with_handler(formats::xportcn(), handler)).await;

    let t = Instant::now();
    let (status, text) = post_json(&url, &ORDER_CREATE_TEXT).await;
    let elapsed = t.elapsed();
    assert_eq!(status, 503, "{text}");
    assert!(
        elapsed < Duration::from_millis(1000),
        "answered after {elapsed:?}, past the vendors' 1000 ms"
    );
    assert!(text.contains("did not finish within 800 ms"), "{text}");

    // Redelivered while the first handler still runs: not run again.
    let (status, text) = post_json(&url, &ORDER_CREATE_TEXT).await;
    assert_eq!(status, 503);
    assert!(text.contains("being handled"), "{text}");
    assert_eq!(started.load(Ordering::SeqCst), 1);

    // The late handler finishes successfully: the next redelivery is acknowledged without running it again.
    wait_until(&finished, 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, text) = post_json(&url, &ORDER_CREATE_TEXT).await;
    assert_eq!(status, 200);
    assert!(text.contains("duplicate"), "{text}");
    assert_eq!(started.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn slow_handler_that_fails_late_is_retried() {
    let (handler, started, finished) = slow_handler(Duration::from_millis(400), vec![false, true]);
    let url = start(
        Receiver::with_handler(formats::xportcn(), handler)
            .handler_deadline(Duration::from_millis(100)),
    )
    .await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 503);
    wait_until(&finished, 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The late failure was not recorded: the retry runs the handler (and this time also passes the deadline).
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 503);
    assert_eq!(started.load(Ordering::SeqCst), 2);
    wait_until(&finished, 2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);
    assert_eq!(started.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn malformed_bodies_are_400_with_the_reason() {
    let rec = Recorder::default();
    let url = start(Receiver::with_handler(formats::xportcn(), rec.handler())).await;
    let cases = [
        ("{\"messageType\": ", "request body is not valid JSON"),
        ("[]", "must be a JSON object"),
        (
            r#"{"messageType":"ORDER_CREATE","messageBody":"{}","messagePlatform":1}"#,
            "missing field `timestamp`",
        ),
        (
            r#"{"messageType":"ORDER_CREATE","messageBody":"{oops","messagePlatform":1,"timestamp":"1"}"#,
            "`messageBody` of a ORDER_CREATE message is not valid JSON",
        ),
        (
            r#"{"messageType":"ORDER_CREATE","messageBody":"{}","messagePlatform":1,"timestamp":"1"}"#,
            "missing field `orderId`",
        ),
    ];
    for (body, reason) in cases {
        let (status, text) = post_json(&url, body).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(
            text.contains(reason),
            "{body}\n  got: {text}\n  want: {reason}"
        );
    }
    // Not UTF-8 at all.
    let (status, text) = post(&url, "application/json", vec![0xffu8, 0xfe, 0x00]).await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(rec.count(), 0);
}

#[tokio::test]
async fn unknown_message_type_is_delivered_raw() {
    let rec = Recorder::default();
    let url = start(Receiver::with_handler(formats::pandapon(), rec.handler())).await;
    let body = r#"{"messageType":"ORDER_STATUS_MODIFY","messageBody":"{\"orderId\":\"2542285634920880794\",\"status\":\"X\"}","messagePlatform":0,"timestamp":"1779263269913"}"#;
    assert_eq!(post_json(&url, body).await.0, 200);
    let cb = rec.last();
    let Some(push) = cb.message::<PushMessage>() else {
        panic!()
    };
    assert_eq!(
        push.message_type,
        MessageType::Other("ORDER_STATUS_MODIFY".into())
    );
    assert!(matches!(push.body, MessageBody::Other(_)));
    assert_eq!(
        push.raw_body,
        r#"{"orderId":"2542285634920880794","status":"X"}"#
    );
}

#[tokio::test]
async fn oversized_body_is_413() {
    let rec = Recorder::default();
    let url =
        start(Receiver::with_handler(formats::xportcn(), rec.handler()).body_limit(1024)).await;
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(2048));
    let (status, text) = post_json(&url, &big).await;
    assert_eq!(status, 413);
    assert_eq!(text, "request body exceeds the limit of 1024 bytes");
    // A published push is well under it.
    assert_eq!(post_json(&url, &ORDER_CREATE_TEXT).await.0, 200);

    // Default limit (64 KiB).
    let url = start(Receiver::with_handler(formats::xportcn(), rec.handler())).await;
    let (status, text) = post_json(&url, &"x".repeat(100 * 1024)).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("65536 bytes"), "{text}");
    assert_eq!(rec.count(), 1);
}

#[tokio::test]
async fn oversized_chunked_body_is_413_over_raw_tcp() {
    let rec = Recorder::default();
    let url =
        start(Receiver::with_handler(formats::xportcn(), rec.handler()).body_limit(1024)).await;
    let addr = url.trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    // No Content-Length: the limit must hold while streaming. The body is never terminated; the server answers
    // as soon as the limit is passed.
    let chunk = "y".repeat(1500);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{chunk}\r\n",
        chunk.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    response.extend_from_slice(&buf[..n]);
                    if response.windows(12).any(|w| w == b"1024 bytes\n")
                        || String::from_utf8_lossy(&response).ends_with("1024 bytes")
                    {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 5 s");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("exceeds the limit of 1024 bytes"), "{text}");
    assert_eq!(rec.count(), 0);
}

#[tokio::test]
async fn probes_are_200_and_deliver_nothing() {
    let rec = Recorder::default();
    let url = start(Receiver::with_handler(formats::xportcn(), rec.handler())).await;
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (status, text) = post_json(&url, "").await;
    assert_eq!(status, 200);
    assert!(text.contains("verification probe"), "{text}");
    assert_eq!(rec.count(), 0);
    // Other paths are not the receiver.
    assert_eq!(
        post_json(&format!("{url}/other"), &ORDER_CREATE_TEXT)
            .await
            .0,
        404
    );
}

// ---- Dajisaas ----

#[derive(serde::Deserialize)]
struct Vectors {
    cases: Vec<Vector>,
}

#[derive(serde::Deserialize)]
struct Vector {
    key: String,
    message: String,
    hex: String,
    form_hex: String,
    form_base64: String,
}

fn vectors() -> Vec<Vector> {
    // Made by tests/vectors/make_dajisaas_vectors.py (Python hmac/hashlib, independent of this crate).
    serde_json::from_str::<Vectors>(include_str!("../vectors/dajisaas_hmac_sha1.json"))
        .unwrap()
        .cases
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn dajisaas_signed_form_is_accepted_and_bad_signatures_are_401() {
    let v = &vectors()[0];
    let rec = Recorder::default();
    let url = start(Receiver::with_handler(
        formats::dajisaas(DajisaasVerifier::new(v.key.as_str())),
        rec.handler(),
    ))
    .await;

    assert_eq!(
        post(&url, FORM, v.form_hex.clone()).await,
        (200, "ok".into())
    );
    let cb = rec.last();
    let Some(m) = cb.message::<DajisaasMessage>() else {
        panic!()
    };
    assert_eq!(m.message, v.message);
    assert!(matches!(m.payload, DajisaasPayload::Taobao(_)));
    assert!(m.signature_verified);
    // Same message, base64 signature: a duplicate (key = message), acknowledged without the handler.
    let (status, text) = post(&url, FORM, v.form_base64.clone()).await;
    assert_eq!((status, text.contains("duplicate")), (200, true), "{text}");
    assert_eq!(rec.count(), 1);

    // Tampered message, original signature.
    let tampered = v.form_hex.replace("WAIT_SELLER_SEND_GOODS", "TRADE_CLOSED");
    assert_ne!(tampered, v.form_hex);
    let (status, text) = post(&url, FORM, tampered).await;
    assert_eq!(status, 401);
    assert_eq!(text, "`_dj_signature` does not match the message");
    assert!(!text.contains(&v.hex));
    // Signature from another key.
    let other = DajisaasVerifier::new("another-secret");
    let forged = format!(
        "message={}&_dj_signature={}",
        v.form_hex
            .split('&')
            .find_map(|p| p.strip_prefix("message="))
            .unwrap(),
        other.sign_hex(&v.message).unwrap()
    );
    assert_eq!(post(&url, FORM, forged).await.0, 401);
    // Missing signature; garbage signature.
    let message_only = v.form_hex.split('&').next().unwrap().to_owned();
    let (status, text) = post(&url, FORM, message_only.clone()).await;
    assert_eq!(
        (status, text.as_str()),
        (401, "missing signature field `_dj_signature`")
    );
    let (status, text) = post(&url, FORM, format!("{message_only}&_dj_signature=%%")).await;
    assert_eq!(status, 400, "{text}");
    let (status, _) = post(&url, FORM, format!("{message_only}&_dj_signature=abc")).await;
    assert_eq!(status, 401);
    // Missing message.
    let (status, text) = post(&url, FORM, format!("_dj_signature={}", v.hex)).await;
    assert_eq!(
        (status, text.as_str()),
        (400, "missing form field `message`")
    );
    // A JSON body sent to the Dajisaas receiver.
    let (status, text) = post_json(&url, &ORDER_CREATE_TEXT).await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(
        rec.count(),
        1,
        "nothing unauthenticated reached the handler"
    );
}

#[tokio::test]
async fn dajisaas_unpublished_message_format_is_delivered() {
    let v = &vectors()[2]; // plain text message
    let rec = Recorder::default();
    let url = start(Receiver::with_handler(
        formats::dajisaas(DajisaasVerifier::new(v.key.as_str())),
        rec.handler(),
    ))
    .await;
    assert_eq!(post(&url, FORM, v.form_hex.clone()).await.0, 200);
    let cb = rec.last();
    let Some(m) = cb.message::<DajisaasMessage>() else {
        panic!()
    };
    assert_eq!(m.message, v.message);
    assert_eq!(m.payload, DajisaasPayload::Text);
}
