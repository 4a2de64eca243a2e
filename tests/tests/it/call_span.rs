//! The untyped calls (`Runtime::call_raw`, `Runtime::call_operation`) record the provider in their
//! `sourcing.call` span, like the typed ones (issue 18, item 9).

use sourcing_runtime::{RawRequest, Runtime};
use sourcing_sandbox::Sandbox;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn untyped_calls_name_their_provider_in_the_span() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

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

    let logs = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    for operation in ["order_pay_url", "call_raw"] {
        let closed = logs
            .lines()
            .find(|l| l.contains(&format!("operation=\"{operation}\"")) && l.contains("close"))
            .unwrap_or_else(|| panic!("no closed span of {operation}: {logs}"));
        assert!(closed.contains("provider=\"pandapon\""), "{closed}");
    }
}
