//! Helpers shared by the workspace tests: a capturing mock server, JSON normalisation, paths.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What a test's `tracing` output looked like: install with [`LogCapture::install`] (for the current thread,
/// so use a current-thread runtime), read with [`LogCapture::text`].
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Capture everything up to `level`, spans with their fields when they close, without colours. Keep
    /// the guard for as long as the capture should last.
    pub fn install(level: tracing::Level) -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = Self::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (capture, tracing::subscriber::set_default(subscriber))
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `vendor-docs/examples/<provider>`: the published example payloads, copied into the repository.
pub fn fixtures_dir(provider: &str) -> PathBuf {
    workspace_root().join("vendor-docs/examples").join(provider)
}

/// Semantic form of a JSON value for round-trip comparison: object keys whose value is `null`, `[]` or `{}`
/// are dropped (generated types skip absent optionals and empty collections), recursively.
pub fn normalize(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, normalize(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        other => other,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// The order ids a request names — query `orderId`, body `orderId` and `orderIds` — as text: the sandbox pays,
/// cancels and reads only orders it knows, so tests seed these first.
pub fn requested_order_ids<K: AsRef<str>>(
    query: &[(K, String)],
    body: Option<&Value>,
) -> Vec<String> {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let mut ids: Vec<String> = query
        .iter()
        .filter(|(k, _)| k.as_ref() == "orderId")
        .map(|(_, v)| v.clone())
        .collect();
    if let Some(body) = body {
        ids.extend(body.get("orderId").map(text));
        ids.extend(body["orderIds"].as_array().into_iter().flatten().map(text));
    }
    ids
}

/// A request as the mock server received it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    /// The text fields of a `multipart/form-data` body, in order (a minimal parser for tests).
    pub fn multipart_fields(&self) -> Vec<(String, String)> {
        let content_type = self.header("content-type").expect("content-type");
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap_or_else(|| panic!("not multipart: {content_type}"));
        let body = std::str::from_utf8(&self.body).expect("text fields only");
        let delimiter = format!("--{boundary}");
        let mut parts = body.split(delimiter.as_str());
        assert_eq!(parts.next(), Some(""), "body starts with the boundary");
        parts
            .take_while(|p| !p.starts_with("--"))
            .map(|part| {
                let part = part.strip_prefix("\r\n").expect("CRLF after boundary");
                let (head, value) = part.split_once("\r\n\r\n").expect("part headers");
                let name = head
                    .split("name=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .expect("field name");
                let value = value.strip_suffix("\r\n").expect("CRLF before boundary");
                (name.to_string(), value.to_string())
            })
            .collect()
    }
}

#[derive(Default)]
struct State {
    captured: Vec<Captured>,
    /// Replies served in order; the last one repeats.
    replies: Vec<(u16, String)>,
}

/// A loopback HTTP server that records every request and answers with scripted replies.
pub struct MockServer {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

impl MockServer {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let shared = shared.clone();
                async move {
                    let mut s = shared.lock().unwrap();
                    s.captured.push(Captured {
                        method,
                        path: uri.path().to_string(),
                        query: uri.query().map(str::to_string),
                        headers,
                        body,
                    });
                    let n = s.captured.len();
                    let (status, body) = s
                        .replies
                        .get(n - 1)
                        .or(s.replies.last())
                        .cloned()
                        .unwrap_or((200, r#"{"code":200,"data":null}"#.into()));
                    (
                        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                        [("content-type", "application/json")],
                        body,
                    )
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            state,
        }
    }

    /// Answer every request with `status` and `body` (replaces earlier scripts).
    pub fn reply(&self, status: u16, body: impl Into<String>) {
        self.script(vec![(status, body.into())]);
    }

    /// Answer the n-th request with the n-th reply; the last reply repeats.
    pub fn script(&self, replies: Vec<(u16, String)>) {
        let mut s = self.state.lock().unwrap();
        s.replies = replies;
        s.captured.clear();
    }

    pub fn requests(&self) -> Vec<Captured> {
        self.state.lock().unwrap().captured.clone()
    }
}

/// The header-signature vector of vendor-docs/notes/xportcn/overview.md (also in tests/vectors) as a
/// deterministic client setup: fixed clock and nonce, so the expected `signature` header is known.
pub mod vector {
    use sourcing_runtime::time::FixedClock;
    use sourcing_runtime::{
        AccessKeyCredentials, AccessKeySigner, FixedNonce, RequestPolicy, RetryPolicy, Runtime,
    };
    use std::time::Duration;

    pub const ACCESS_KEY: &str = "demoAccessKey";
    pub const SECRET: &str = "demoSecret";
    pub const TIMESTAMP: u64 = 1_715_669_977_082;
    pub const NONCE: &str = "abcdefghijklmnopqrstuvwxyz012345";
    /// `UPPER(HEX(MD5(ACCESS_KEY + TIMESTAMP + NONCE + SECRET)))`.
    pub const V1_SIGNATURE: &str = "BF44100F64365FCBEDCCC7A96713E3F6";

    /// Retries with a 1 ms backoff and no jitter, so retry tests are quick.
    pub fn fast_retries() -> RequestPolicy {
        RequestPolicy {
            retry: RetryPolicy {
                initial_backoff: Duration::from_millis(1),
                jitter: false,
                ..RetryPolicy::default()
            },
            ..RequestPolicy::default()
        }
    }

    /// A signer with the vector's credentials, clock and nonce, for `user_id`.
    pub fn signer(user_id: &str) -> AccessKeySigner {
        AccessKeySigner::new(AccessKeyCredentials::new(ACCESS_KEY, SECRET, user_id))
            .with_clock(FixedClock(TIMESTAMP))
            .with_nonce_source(FixedNonce(NONCE.into()))
    }

    /// [`signer`] with [`fast_retries`].
    pub fn runtime(user_id: &str) -> Runtime {
        Runtime::new(signer(user_id)).with_policy(fast_retries())
    }
}

/// The Rust snippets of the README and of `docs/` compile as written (`no_run`: they would call the vendors).
/// Each page is the documentation of one item here, so `cargo test -p sourcing-tests --doc` builds them.
#[cfg(doctest)]
pub mod documentation {
    #[doc = include_str!("../../README.md")]
    pub struct Readme;
    #[doc = include_str!("../../docs/api.md")]
    pub struct Api;
    #[doc = include_str!("../../docs/purchase-flow.md")]
    pub struct PurchaseFlow;
    #[doc = include_str!("../../docs/ledger.md")]
    pub struct LedgerPage;
    #[doc = include_str!("../../docs/callbacks.md")]
    pub struct Callbacks;
    #[doc = include_str!("../../crates/buy/README.md")]
    pub struct BuyCrate;
    #[doc = include_str!("../../crates/ledger/README.md")]
    pub struct LedgerCrate;
    #[doc = include_str!("../../crates/sandbox/README.md")]
    pub struct SandboxCrate;
}
