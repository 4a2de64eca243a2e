//! The untyped calls (`Runtime::call_raw`, `Runtime::call_operation`) record the provider in their
//! `sourcing.call` span, like the typed ones (issue 18, item 9).

use sourcing_runtime::{RawRequest, Runtime};
use sourcing_sandbox::Sandbox;

#[tokio::test(flavor = "current_thread")]
async fn untyped_calls_name_their_provider_in_the_span() {
    let (logs, _guard) = sourcing_tests::LogCapture::install(tracing::Level::INFO);

    let sandbox = Sandbox::start().await.unwrap();
    let provider = &pandapon::operations::PROVIDER;
    let base = sandbox.base_url(provider.name);
    let runtime = Runtime::for_sandbox(provider, &provider.credentials.kind().sandbox_values());
    let http = runtime.http_client();
    let op = provider.find("order_pay_url").unwrap();
    runtime
        .call_operation(&http, &base, provider, op, &[("orderId", "1")], None)
        .await
        .unwrap();
    let raw = RawRequest {
        method: reqwest::Method::GET,
        path: "/alibaba/order/pay/url",
        query: &[("orderId", "1")],
        body: None,
    };
    let default_auth = provider.operations[0].auth;
    runtime
        .call_raw(&http, &base, provider, default_auth, raw)
        .await
        .unwrap();

    let logs = logs.text();
    for operation in ["order_pay_url", "call_raw"] {
        let closed = logs
            .lines()
            .find(|l| l.contains(&format!("operation=\"{operation}\"")) && l.contains("close"))
            .unwrap_or_else(|| panic!("no closed span of {operation}: {logs}"));
        assert!(closed.contains("provider=\"pandapon\""), "{closed}");
    }
}
