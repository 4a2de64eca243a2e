//! The axum server: routing by provider prefix and documented method + path, then auth, validation,
//! faults, state and the answer.

use crate::callbacks::{self, Deliveries};
use crate::faults::{Fault, FaultRule};
use crate::flows::{Refusal, Store};
use crate::state::{OrderState, StateFile};
use crate::{auth, generate, readings, respond, validate};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sourcing_runtime::{Operation, Provider, SigningSettings};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the sandbox runs.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Where to listen (default `127.0.0.1:0`: a free loopback port).
    pub addr: SocketAddr,
    /// The providers served (default: the registry's). Signatures are verified by each operation's scheme
    /// against the scheme's sandbox test credentials.
    pub providers: Vec<&'static Provider>,
    /// Largest accepted distance between the request timestamp and server time (`None`: not checked, for
    /// tests with a fixed clock). The vendors document 600 s.
    pub max_clock_skew: Option<Duration>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// The readings of the vendors' unpublished signing rules this sandbox emulates (default: the
    /// runtime's defaults, the best evidence). A request signed under another variant is refused with 401,
    /// as `sourcing probe` expects of a vendor.
    pub signing: SigningSettings,
    /// Keep the state (orders, callbacks owed, callback URLs, request counts) in this file, saved before
    /// each answer, shared with other processes under a lock (`None`: in memory for the sandbox's lifetime).
    pub state_file: Option<PathBuf>,
    /// Where each provider's callbacks go (provider name → URL), over the URLs kept in the state.
    pub callback_urls: BTreeMap<String, String>,
    /// The waits before each retry of a refused callback: the vendors' "every 30 minutes, up to 5 times",
    /// compressed (default 1 s, 2 s, 4 s, 8 s, 16 s).
    pub callback_retries: Vec<Duration>,
    /// Orders awaiting payment the sandbox starts with (an order the state already has is left as it is).
    pub seed_orders: Vec<SeedOrder>,
}

/// An order awaiting payment to start with (`sourcing sandbox --seed-order PROVIDER:ORDER_ID[:FEN]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedOrder {
    pub provider: String,
    pub order_id: String,
    /// Goods amount in fen (default 9500 goods + 500 freight).
    pub goods_fen: Option<i64>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            providers: sourcing_registry::providers().to_vec(),
            max_clock_skew: Some(Duration::from_secs(600)),
            max_body_bytes: 1 << 20,
            signing: SigningSettings::default(),
            state_file: None,
            callback_urls: BTreeMap::new(),
            callback_retries: [1, 2, 4, 8, 16].map(Duration::from_secs).to_vec(),
            seed_orders: Vec::new(),
        }
    }
}

pub(crate) struct State {
    pub(crate) config: SandboxConfig,
    providers: Vec<&'static Provider>,
    faults: Mutex<Vec<FaultRule>>,
    pub(crate) store: Arc<Store>,
    deliveries: Arc<Deliveries>,
}

impl State {
    pub(crate) fn new(config: SandboxConfig, faults: Vec<FaultRule>) -> Arc<Self> {
        let store = Store::new(
            config.state_file.clone().map(StateFile::new),
            config.callback_urls.clone(),
        );
        Arc::new(State {
            providers: config.providers.clone(),
            deliveries: Arc::new(Deliveries::new(config.callback_retries.clone())),
            config,
            faults: Mutex::new(faults),
            store: Arc::new(store),
        })
    }

    /// Open the state (a file that cannot be read is a start-up error) and add the seed orders it lacks.
    fn open(&self) -> std::io::Result<()> {
        let seeds = &self.config.seed_orders;
        self.store.update(|d| {
            for s in seeds {
                if d.order(&s.provider, &s.order_id).is_none() {
                    let (goods, freight) = s.goods_fen.map_or((9_500, 500), |g| (g, 0));
                    d.insert_order(
                        &s.provider,
                        &s.order_id,
                        crate::state::Order {
                            state: OrderState::WaitingForPayment,
                            goods_fen: goods,
                            freight_fen: freight,
                            created_ms: crate::state::now_ms(),
                            paid_ms: None,
                        },
                    );
                }
            }
        })
    }

    /// The callback worker, for the sandbox's lifetime.
    fn deliver(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(callbacks::run(self.store.clone(), self.deliveries.clone()))
    }
}

/// A running sandbox. Dropping it stops the server and its callback worker.
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<State>,
    worker: tokio::task::JoinHandle<()>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.worker.abort();
    }
}

impl Sandbox {
    /// Start on a free loopback port with the default test credentials.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(SandboxConfig::default()).await
    }

    pub async fn start_with(config: SandboxConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let state = State::new(config, Vec::new());
        state.open()?;
        let worker = state.deliver();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            state,
            worker,
            _shutdown: tx,
        })
    }

    /// Run in the foreground until the process ends (the CLI's `sourcing sandbox`).
    pub async fn serve(config: SandboxConfig, faults: Vec<FaultRule>) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        Self::serve_on(listener, config, faults, std::future::pending()).await
    }

    /// Serve on a bound `listener` until `shutdown` completes: then stop accepting, finish the requests in
    /// flight, and give owed callbacks their due attempt (at most 5 s).
    pub async fn serve_on(
        listener: tokio::net::TcpListener,
        config: SandboxConfig,
        faults: Vec<FaultRule>,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = State::new(config, faults);
        state.open()?;
        let worker = state.deliver();
        let served = axum::serve(listener, router(state.clone()))
            .with_graceful_shutdown(shutdown)
            .await;
        callbacks::settle(&state.store, &state.deliveries, Duration::from_secs(5)).await;
        worker.abort();
        served
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a provider's client (`http://127.0.0.1:PORT/pandapon`).
    pub fn base_url(&self, provider: &str) -> String {
        format!("http://{}/{provider}", self.addr)
    }

    pub fn inject(&self, rule: FaultRule) {
        lock(&self.state.faults).push(rule);
    }

    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// Requests that reached `operation` (faulted ones included), over every provider.
    pub fn hits(&self, operation: &str) -> u64 {
        self.counts()
            .values()
            .filter_map(|ops| ops.get(operation))
            .sum()
    }

    /// Requests received per provider and operation id (what `GET /_sandbox/requests` answers).
    pub fn counts(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.state
            .store
            .snapshot()
            .map(|d| d.counts)
            .unwrap_or_default()
    }

    /// Register an order as created and awaiting payment with every provider served (to test pay/cancel
    /// flows directly); [`Sandbox::seed_order_for`] seeds one provider's.
    pub fn seed_order(&self, order_id: &str) {
        for p in &self.state.providers {
            let _ = self.seed_order_for(p.name, Some(order_id), None);
        }
    }

    /// Register an order of `provider` awaiting payment: `order_id`, or a new id of the state's series;
    /// `goods_fen` its amount (default 95.00 goods + 5.00 freight, the published example's). Answers the id.
    pub fn seed_order_for(
        &self,
        provider: &str,
        order_id: Option<&str>,
        goods_fen: Option<i64>,
    ) -> std::io::Result<String> {
        let (goods, freight) = match goods_fen {
            Some(g) => (g, 0),
            None => (9_500, 500),
        };
        let id = match order_id {
            Some(id) => id.to_string(),
            None => self.state.store.update(|d| d.new_order_id(provider))?,
        };
        self.state.store.insert(provider, &id, goods, freight)?;
        Ok(id)
    }

    /// Cancel an order awaiting payment, as the vendor would before payment; `false` if that is not possible.
    /// An id seeded for every provider ([`Sandbox::seed_order`]) is one order: cancelled only if no
    /// provider's copy has moved on.
    pub fn cancel_order(&self, order_id: &str) -> bool {
        self.state
            .providers
            .iter()
            .any(|p| self.cancel(p, order_id))
    }

    /// [`Sandbox::cancel_order`] of one provider's order.
    pub fn cancel_order_for(&self, provider: &str, order_id: &str) -> bool {
        let mut theirs = self.state.providers.iter().filter(|p| p.name == provider);
        theirs.any(|p| self.cancel(p, order_id))
    }

    fn cancel(&self, provider: &Provider, order_id: &str) -> bool {
        let cancelled = sourcing_webhooks::outgoing::OrderEvent::Cancelled;
        self.state
            .store
            .transition(provider, order_id, cancelled)
            .is_ok()
    }

    /// The seller's step: move `provider`'s paid order to shipped (and send its callback where one is
    /// documented). `Err` says why not (unknown provider or order, not paid).
    pub fn ship_order(&self, provider: &str, order_id: &str) -> Result<(), String> {
        let p = self
            .state
            .providers
            .iter()
            .find(|p| p.name == provider)
            .ok_or_else(|| format!("unknown provider {provider}"))?;
        self.state
            .store
            .transition(
                p,
                order_id,
                sourcing_webhooks::outgoing::OrderEvent::Shipped,
            )
            .map_err(|r| match r {
                Refusal::Business(f) => f.message,
                Refusal::Storage(e) => format!("sandbox state: {e}"),
            })
    }

    /// Whether the sandbox has seen `order_id` paid (with any provider).
    pub fn order_is_paid(&self, order_id: &str) -> bool {
        self.state.store.any_in(order_id, OrderState::Paid)
    }

    /// The state as stored now (orders, callbacks owed, URLs, counts).
    pub fn state(&self) -> std::io::Result<crate::state::StateData> {
        self.state.store.snapshot()
    }

    /// Set (`Some`) or clear `provider`'s callback URL in the state (kept in a state file).
    pub fn set_callback_url(&self, provider: &str, url: Option<&str>) -> std::io::Result<()> {
        self.state.store.update(|d| match url {
            Some(u) => d.callback_urls.insert(provider.to_string(), u.to_string()),
            None => d.callback_urls.remove(provider),
        })?;
        Ok(())
    }

    /// Wait at most `bound` until every due callback has had its attempt (a short-lived process calls this
    /// before it exits; what is still undelivered stays in a state file). `false` if the bound ran out.
    pub async fn settle(&self, bound: Duration) -> bool {
        callbacks::settle(&self.state.store, &self.state.deliveries, bound).await
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn router(state: Arc<State>) -> axum::Router {
    axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Body| {
            let state = state.clone();
            async move { handle(&state, method, uri, headers, body).await }
        },
    )
}

async fn handle(
    state: &State,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if uri.path() == REQUESTS_PATH {
        return requests(state, &method);
    }
    let (provider, op) = match route(state, &method, uri.path()) {
        Ok(found) => found,
        Err(refusal) => return *refusal,
    };
    if let Err(e) = state.store.update(|d| d.count(provider.name, op.id)) {
        return storage_error(provider, &e);
    }

    let body = match axum::body::to_bytes(body, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return respond::error(
                provider,
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("request body exceeds {} bytes", state.config.max_body_bytes),
            );
        }
    };
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();

    let (delay, terminal) = take_fault(state, op);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(f) = terminal {
        return faulted(provider, op, f);
    }
    match checked_body(state, provider, op, &headers, &query, &body) {
        Ok(parsed) => answer(state, provider, op, &query, parsed),
        Err(refusal) => *refusal,
    }
}

/// Where the sandbox lists the requests it received.
pub const REQUESTS_PATH: &str = "/_sandbox/requests";

/// `GET /_sandbox/requests`: `{provider: {operation id: requests}}`.
fn requests(state: &State, method: &Method) -> Response {
    if method != Method::GET {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [("allow", "GET")],
            "GET only",
        )
            .into_response();
    }
    match state.store.snapshot() {
        Ok(d) => respond::json_response(StatusCode::OK, &serde_json::json!(d.counts)),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("sandbox state: {e}"),
        )
            .into_response(),
    }
}

/// The state could not be saved: a 500, never a success for something not kept.
fn storage_error(provider: &Provider, e: &std::io::Error) -> Response {
    respond::error(
        provider,
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("sandbox state could not be saved: {e}"),
    )
}

/// The provider (by path prefix) and the operation (by documented path and method), or the refusal:
/// 404 for an unknown prefix or path, 405 with `Allow` for a wrong method.
fn route(
    state: &State,
    method: &Method,
    path: &str,
) -> Result<(&'static Provider, &'static Operation), Box<Response>> {
    let (prefix, rest) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""));
    let Some(provider) = state.providers.iter().copied().find(|p| p.name == prefix) else {
        let names: Vec<&str> = state.providers.iter().map(|p| p.name).collect();
        return Err(Box::new(
            (
                StatusCode::NOT_FOUND,
                format!("unknown provider prefix {prefix:?}; serve paths under one of {names:?}"),
            )
                .into_response(),
        ));
    };
    let rest = format!("/{rest}");
    let candidates: Vec<&'static Operation> = provider
        .operations
        .iter()
        .copied()
        .filter(|o| o.path == rest)
        .collect();
    if candidates.is_empty() {
        return Err(Box::new(respond::error(
            provider,
            StatusCode::NOT_FOUND,
            &format!("no {} operation at {rest}", provider.title),
        )));
    }
    if let Some(op) = candidates
        .iter()
        .copied()
        .find(|o| o.method == method.as_str())
    {
        return Ok((provider, op));
    }
    let allowed: Vec<&str> = candidates.iter().map(|o| o.method).collect();
    let mut r = respond::error(
        provider,
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("{method} is not allowed on {rest}; documented: {allowed:?}"),
    );
    // RFC 9110 §15.5.6: a 405 lists the methods the target supports.
    if let Ok(v) = allowed.join(", ").parse() {
        r.headers_mut().insert(axum::http::header::ALLOW, v);
    }
    Err(Box::new(r))
}

/// The injected faults for `op`: total latency, then the first terminal fault (each counts one use).
fn take_fault(state: &State, op: &Operation) -> (Duration, Option<Fault>) {
    let mut rules = lock(&state.faults);
    let mut terminal = None;
    let mut delay = Duration::ZERO;
    for rule in rules.iter_mut().filter(|r| r.matches(op.id)) {
        match &rule.fault {
            Fault::Latency(d) => delay += *d,
            f if terminal.is_none() => terminal = Some(f.clone()),
            _ => continue,
        }
        if let Some(n) = rule.times.as_mut() {
            *n -= 1;
        }
    }
    (delay, terminal)
}

/// The parsed JSON body once shape, signature and input are accepted; otherwise the 400/401 refusal.
fn checked_body(
    state: &State,
    provider: &Provider,
    op: &Operation,
    headers: &HeaderMap,
    query: &[(String, String)],
    body: &Bytes,
) -> Result<Option<serde_json::Value>, Box<Response>> {
    let refuse = |status, reason: String| {
        Box::new(respond::error(
            provider,
            status,
            &format!("{}: {reason}", op.id),
        ))
    };
    // The body's shape first: every provider answers a missing or non-object JSON body with 400.
    let parsed = validate::parse_body(op, body).map_err(|r| refuse(StatusCode::BAD_REQUEST, r))?;
    auth::verify(op, headers, query, body, &state.config)
        .map_err(|r| refuse(StatusCode::UNAUTHORIZED, r))?;
    validate::validate(op, query, parsed.as_ref(), &state.config.signing)
        .map_err(|r| Box::new(r.respond(provider, op)))?;
    Ok(parsed)
}

/// The success answer (published example or generated data, adjusted by the order flows), or the flow's
/// business failure, in the provider's envelope.
fn answer(
    state: &State,
    provider: &Provider,
    op: &'static Operation,
    query: &[(String, String)],
    parsed: Option<serde_json::Value>,
) -> Response {
    match answer_body(state, provider, op, query, parsed.as_ref()) {
        Ok(body) => respond::json_response(StatusCode::OK, &body),
        Err(e) => storage_error(provider, &e),
    }
}

/// The envelope answered to an accepted request: success data (published example or generated, with the
/// served readings, adjusted by the order flows) or the flow's business failure. `Err`: the state could not
/// be saved.
pub(crate) fn answer_body(
    state: &State,
    provider: &Provider,
    op: &'static Operation,
    query: &[(String, String)],
    parsed: Option<&serde_json::Value>,
) -> std::io::Result<serde_json::Value> {
    let seed = generate::seed(
        op.id,
        &signed_out(op, query),
        parsed.map(|b| signed_out_body(op, b)).as_ref(),
    );
    // The request's inputs by name (query values as text), for answers that echo an id.
    let mut asked: serde_json::Map<String, serde_json::Value> = query
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    if let Some(serde_json::Value::Object(b)) = parsed {
        asked.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    asked.retain(|k, _| !op.auth.owns(k));
    let mut data = respond::success_data(provider, op, seed, &asked);
    readings::serve(provider, op, &asked, parsed, seed, &mut data);
    match state.store.apply(provider, op, query, parsed, &mut data) {
        Ok(()) => Ok(respond::success(provider, data)),
        Err(Refusal::Business(failure)) => Ok(respond::failure(provider, failure)),
        Err(Refusal::Storage(e)) => Err(e),
    }
}

fn faulted(provider: &Provider, op: &'static Operation, fault: Fault) -> Response {
    match fault {
        // Latency is applied before and never selected as the terminal fault.
        Fault::Latency(_) => respond::error(
            provider,
            StatusCode::INTERNAL_SERVER_ERROR,
            "latency is not a terminal fault",
        ),
        Fault::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = respond::error(
                provider,
                status,
                &format!("{}: injected HTTP {}", op.id, status.as_u16()),
            );
            if let Some(secs) = retry_after
                && let Ok(v) = secs.to_string().parse()
            {
                r.headers_mut().insert("retry-after", v);
            }
            r
        }
        Fault::Business { code, message } => {
            let failure = sourcing_runtime::Failure::new(code, message);
            respond::json_response(StatusCode::OK, &respond::failure(provider, failure))
        }
        Fault::TruncatedBody => {
            let full = respond::success(
                provider,
                respond::success_data(
                    provider,
                    op,
                    generate::seed(op.id, &[], None),
                    &serde_json::Map::new(),
                ),
            )
            .to_string();
            let cut = &full.as_bytes()[..full.len() / 2];
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                Bytes::copy_from_slice(cut),
            )
                .into_response()
        }
        Fault::MalformedBody => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response(),
        Fault::DropConnection => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"code\":200,")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected connection drop",
                )),
            ];
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                Body::from_stream(futures_util::stream::iter(chunks)),
            )
                .into_response()
        }
    }
}

/// The query without the signature scheme's own parameters (a fresh timestamp and signature every call),
/// so the same request seeds the same generated answer.
fn signed_out(op: &Operation, query: &[(String, String)]) -> Vec<(String, String)> {
    query
        .iter()
        .filter(|(k, _)| !op.auth.owns(k))
        .cloned()
        .collect()
}

fn signed_out_body(op: &Operation, body: &serde_json::Value) -> serde_json::Value {
    match body {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .filter(|(k, _)| !op.auth.owns(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}
