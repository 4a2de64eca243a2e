//! Secrets never leak: across failing calls (bad signature, business error, transport error, retries), the
//! captured `tracing` output, the `Debug` of clients, credentials, runtimes and errors, and error messages
//! never contain the access secret or a signature.

use sourcing_runtime::time::FixedClock;
use sourcing_runtime::{
    AccessKeyCredentials, AccessKeySigner, FixedNonce, Runtime, access_key_signature,
};
use sourcing_sandbox::{Fault, FaultRule, Sandbox, credentials};
use std::sync::Arc;

const SECRET: &str = "S3cr3t-access-secret-value";
const TS: u64 = 1_715_669_977_082;
const NONCE: &str = "abcdefghijklmnopqrstuvwxyz012345";

#[tokio::test(flavor = "current_thread")]
async fn no_secret_in_logs_debug_or_errors() {
    let (capture, _guard) = sourcing_tests::LogCapture::install(tracing::Level::TRACE);

    let sandbox = Sandbox::start_with(sourcing_sandbox::SandboxConfig {
        max_clock_skew: None,
        ..Default::default()
    })
    .await
    .unwrap();
    let creds = AccessKeyCredentials::new(credentials::ACCESS_KEY, SECRET, credentials::USER_ID);
    let signature = access_key_signature(
        credentials::ACCESS_KEY,
        &TS.to_string(),
        Some(NONCE),
        SECRET,
    );
    let signer = AccessKeySigner::new(creds.clone())
        .with_clock(FixedClock(TS))
        .with_nonce_source(FixedNonce(NONCE.into()));
    // Retries on a virtual clock: no waiting.
    let runtime =
        Runtime::new(signer).with_timer(Arc::new(sourcing_runtime::time::VirtualTimer::new()));
    let client = pandapon::Client::with_runtime(&sandbox.base_url("pandapon"), runtime.clone());

    let mut seen = vec![
        format!("{creds:?}"),
        format!("{runtime:?}"),
        format!("{client:?}"),
    ];
    seen.extend(failing_calls(&sandbox, &client, runtime).await);

    let logs = capture.text();
    if std::env::var_os("SHOW_LOGS").is_some() {
        println!("{logs}");
    }
    assert!(
        logs.contains("order_pay_url"),
        "tracing captured the calls: {logs}"
    );
    assert_trace_complete(&logs);
    seen.push(logs);
    for text in &seen {
        assert!(!text.contains(SECRET), "secret leaked in: {text}");
        assert!(!text.contains(&signature), "signature leaked in: {text}");
        assert!(
            !text.contains(credentials::ACCESS_SECRET),
            "sandbox secret leaked in: {text}"
        );
    }
}

/// Calls that fail every way a call can (401 for the wrong secret, a business error, 503 not retried for a
/// payment, retried reads through the typed and the untyped path, the raw path, a transport error): what each
/// error shows in `Debug` and `Display`.
async fn failing_calls(
    sandbox: &Sandbox,
    client: &pandapon::Client,
    runtime: Runtime,
) -> Vec<String> {
    let mut seen = Vec::new();
    // Wrong secret for the sandbox: HTTP 401.
    let e = client
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    seen.push(format!("{e:?} {e}"));
    // Business error and 503 (never retried for payments, but logged).
    let good = pandapon::Client::new(&sandbox.base_url("pandapon"), credentials::access_key());
    sandbox.inject(FaultRule::times(
        None,
        Fault::Business {
            code: 1009,
            message: "x".into(),
        },
        1,
    ));
    let e = client
        .order_pay_url()
        .order_id("1")
        .send()
        .await
        .unwrap_err();
    seen.push(format!("{e:?} {e}"));
    sandbox.inject(FaultRule::times(
        None,
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        1,
    ));
    let e = good.order_pay_url().order_id("1").send().await.unwrap_err();
    seen.push(format!("{e:?} {e}"));
    // Retried reads (the same fixed signature on every attempt): two 503s, then the sandbox's 401 for the
    // wrong secret; and through the untyped path.
    sandbox.inject(FaultRule::times(
        Some("v2_taobao_goods_get"),
        Fault::Status {
            status: 503,
            retry_after: Some(0),
        },
        2,
    ));
    let e = client
        .v2_taobao_goods_get()
        .item_id("1")
        .send()
        .await
        .unwrap_err();
    seen.push(format!("{e:?} {e}"));
    sandbox.inject(FaultRule::times(
        Some("v2_taobao_goods_get"),
        Fault::Status {
            status: 503,
            retry_after: Some(0),
        },
        5,
    ));
    let e = client
        .call_operation(
            &pandapon::operations::V2_TAOBAO_GOODS_GET,
            &[("itemId", "1")],
            None,
        )
        .await
        .unwrap_err();
    seen.push(format!("{e:?} {e}"));
    // The untyped raw path (its span names the provider, like every call's).
    let e = client
        .call_raw(
            reqwest::Method::GET,
            "/alibaba/order/pay/url",
            &[("orderId", "1")],
            None,
        )
        .await
        .unwrap_err();
    seen.push(format!("{e:?} {e}"));
    // Transport error.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = pandapon::Client::with_runtime(&format!("http://127.0.0.1:{port}"), runtime);
    let e = dead.order_pay_url().order_id("1").send().await.unwrap_err();
    seen.push(format!("{e:?} {e}"));

    seen
}

/// Trace level really was captured, and untyped calls name their provider in the span.
fn assert_trace_complete(logs: &str) {
    // Untyped calls (`call_operation`, `call_raw`) name their provider in the span too (they once recorded
    // an empty one).
    for operation in ["v2_taobao_goods_get", "call_raw"] {
        let closed = logs
            .lines()
            // The last: the untyped `call_operation` follows the typed call of the same operation.
            .rfind(|l| l.contains(&format!("operation=\"{operation}\"")) && l.contains("close"))
            .unwrap_or_else(|| panic!("no closed span of {operation}: {logs}"));
        assert!(closed.contains("provider=\"pandapon\""), "{closed}");
    }
    // Trace level really was captured: one span per call with its fields, retries as events, request
    // lines, headers (values redacted) and response bodies.
    for expected in [
        "sourcing.call",
        "provider=\"pandapon\"",
        "operation=\"v2_taobao_goods_get\"",
        "attempt=3",
        "status=503",
        "retrying",
        "request headers",
        "\"signature\": \"<redacted>\"",
        "response body",
        "latency_ms",
    ] {
        assert!(
            logs.contains(expected),
            "{expected:?} not in the logs: {logs}"
        );
    }
}
