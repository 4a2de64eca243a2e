//! `sourcing serve --store URL`: one process with the durable callback receivers (`/callbacks/<provider>`), the
//! inbox workers (the ledger's order handler), a scheduled reconcile, `/healthz`, `/readyz`, `/metrics` and
//! the operator console, on one listener with header, body and idle timeouts and a connection limit.
//!
//! The listener and its limits are [`sourcing_webhooks::listener`]'s; here: `health` (readiness), `metrics`
//! (`/metrics`), `schedule` (the reconcile rounds, one instance per round on Postgres), `console` (the HTML
//! pages).

mod calls;
mod console;
mod handler;
mod health;
mod metrics;
mod schedule;

/// The console's queries, for the scale bench (`tests/benches/ledger_scale.rs`): what its pages run.
pub use console::{
    AttentionLists, MessageRow, OrderRow, PAGE as CONSOLE_PAGE, attention_lists, charts, messages,
    orders, orders_filter,
};

use crate::backend::{Backend, Flag, find_provider};
use crate::config::{Config, ServeSection};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Command};
use health::Health;
use metrics::Metrics;
use schedule::Reconciler;
use sourcing_ledger::{Ledger, OrderCallbacks, ReadSettings};
use sourcing_webhooks::inbox::{InboxReceiver, RedeliveryPolicy};
use sourcing_webhooks::listener::{self, ConnectionStats, Limits};
use sourcing_webhooks::{CallbackFormat, DEFAULT_BODY_LIMIT};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// The console's sign-in cookie.
const COOKIE: &str = "sourcing_token";
/// Where `--token` may come from instead of the command line (it is a secret).
const TOKEN_ENV: &str = "SOURCING_SERVE_TOKEN";
/// How long a stop waits for in-flight requests and handlers (the process exits within 10 s).
const DRAIN: Duration = Duration::from_secs(8);

pub struct Serve;

impl Subcommand for Serve {
    fn commands(&self) -> Vec<Command> {
        vec![Command::new("serve")
            .about("Run as a service: callback receivers, inbox workers, scheduled reconcile, health, metrics and an operator console")
            .long_about(
                "One process on one port: POST /callbacks/<provider> stores each verified callback in the \
                 durable inbox before answering 200 (every provider whose callbacks can be verified: PandaPon \
                 and Xportcn always, they publish no signature; Dajisaas with DAJISAAS_APP_SECRET); inbox \
                 workers record them in the order ledger; a reconcile round reads unknown and reported orders \
                 every --reconcile-every (one instance per round when several share a Postgres). \
                 GET /healthz (the process lives), /readyz (the store takes writes, the workers run, the \
                 SQLite file is the one opened; else 503, and callbacks get 503 too), /metrics (Prometheus), \
                 and the operator console at /. Bound to 127.0.0.1 by default; any other address requires \
                 --token (or SOURCING_SERVE_TOKEN), sent as `Authorization: Bearer` or the sign-in cookie. \
                 SIGTERM/SIGINT: stop accepting, finish in-flight work, exit 0. \
                 The configuration file gives the store (`store`), each provider's credentials (its profile) \
                 and, under [serve], any of the flags bind, port, token, reconcile_every, header_timeout, \
                 body_timeout, idle_timeout, max_connections, max_attempts, read_state_field; a flag on the \
                 command line overrides the file.",
            )
            .arg(
                Arg::new("store")
                    .long("store")
                    .value_name("URL")
                    .help("The order ledger and callback inbox: sqlite:PATH or postgres://… (default: the config file's `store`)"),
            )
            .arg(
                Arg::new("bind")
                    .long("bind")
                    .value_name("ADDR")
                    .value_parser(clap::value_parser!(IpAddr))
                    .default_value("127.0.0.1")
                    .help("Address to listen on (not loopback: --token required)"),
            )
            .arg(
                Arg::new("port")
                    .long("port")
                    .value_parser(clap::value_parser!(u16))
                    .default_value("8080")
                    .help("Port (0: any free port; the address is printed on stderr)"),
            )
            .arg(
                Arg::new("token")
                    .long("token")
                    .value_name("TOKEN")
                    .help("Access token for the console and /metrics (also SOURCING_SERVE_TOKEN)"),
            )
            .arg(duration_arg("reconcile-every", "60s", "Interval of the scheduled reconcile (0: off)"))
            .arg(duration_arg("header-timeout", "10s", "Request headers must arrive within this"))
            .arg(duration_arg("body-timeout", "30s", "A request body must arrive within this"))
            .arg(duration_arg("idle-timeout", "60s", "Idle connections are closed after this"))
            .arg(
                Arg::new("max-connections")
                    .long("max-connections")
                    .value_parser(clap::value_parser!(u32).range(1..))
                    .default_value("512")
                    .help("Connections served at once (more wait in the backlog)"),
            )
            .arg(
                Arg::new("max-attempts")
                    .long("max-attempts")
                    .value_parser(clap::value_parser!(u32).range(1..))
                    .default_value("10")
                    .help("Handler runs before an inbox message becomes a dead letter"),
            )
            .arg(
                Arg::new("read-state-field")
                    .long("read-state-field")
                    .value_name("JSON_POINTER")
                    .help("As for `sourcing ledger reconcile` (--sandbox: /status)"),
            )
            .args(Flag::args(&[Flag::Sandbox, Flag::Config]))]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(serve(matches))
    }
}

fn duration_arg(name: &'static str, default: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("DURATION")
        .value_parser(parse_duration)
        .default_value(default)
        .help(format!("{help} (e.g. 500ms, 10s, 2m)"))
}

/// The flags `[serve]` in the configuration file may set (as `header_timeout = "10s"`); the command line
/// overrides them.
pub const CONFIG_FLAGS: [&str; 10] = [
    "bind",
    "port",
    "token",
    "reconcile-every",
    "header-timeout",
    "body-timeout",
    "idle-timeout",
    "max-connections",
    "max-attempts",
    "read-state-field",
];

/// `text` as a value of serve's flag `flag`, parsed by the flag's own parser (the one check of each value).
fn parse_setting<T: Clone + Send + Sync + 'static>(
    flag: &str,
    text: &str,
) -> Result<Option<T>, String> {
    let arg = Serve
        .commands()
        .into_iter()
        .flat_map(|c| c.get_arguments().cloned().collect::<Vec<_>>())
        .find(|a| a.get_id() == flag)
        .ok_or_else(|| format!("`{flag}` is no flag of serve"))?;
    let matches = Command::new("serve")
        .no_binary_name(true)
        .arg(arg)
        .try_get_matches_from([format!("--{flag}={text}")])
        .map_err(|e| {
            let shown = e.to_string();
            let first = shown.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_owned()
        })?;
    Ok(matches.get_one::<T>(flag).cloned())
}

/// Whether `text` is a valid value of serve's flag `flag` (`[serve]` in the configuration file).
pub(crate) fn check_setting(flag: &str, text: &str) -> Result<(), String> {
    // The flag's own type: every parser of serve's flags yields one of these.
    match flag {
        "bind" => parse_setting::<IpAddr>(flag, text).map(drop),
        "port" => parse_setting::<u16>(flag, text).map(drop),
        "max-connections" | "max-attempts" => parse_setting::<u32>(flag, text).map(drop),
        "token" | "read-state-field" => parse_setting::<String>(flag, text).map(drop),
        _ => parse_setting::<Duration>(flag, text).map(drop),
    }
}

/// The value of serve's flag `flag`: from the command line, else `[serve]` in the configuration file, else
/// the flag's default.
fn setting<T: Clone + Send + Sync + 'static>(
    m: &ArgMatches,
    config: &ServeSection,
    flag: &str,
) -> Result<Option<T>, Stop> {
    let given = m.value_source(flag) == Some(ValueSource::CommandLine);
    match config.get(flag) {
        Some(text) if !given => parse_setting(flag, text)
            .map_err(|e| Stop::config(format!("[serve] {}: {e}", flag.replace('-', "_")))),
        _ => Ok(m.get_one::<T>(flag).cloned()),
    }
}

/// `500ms`, `10s`, `2m`, `1h`, or `0`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}`: expected a number and a unit (500ms, 10s, 2m, 1h)"))?;
    let ms = match unit {
        "ms" => n,
        "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "" if n == 0 => 0,
        _ => return Err(format!("`{text}`: the unit is ms, s, m or h")),
    };
    Ok(Duration::from_millis(ms))
}

/// Constant-time comparison of two secrets' bytes (lengths are not secret).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What the request handlers share.
pub struct App {
    ledger: Arc<Ledger>,
    /// The console's pages read through a connection of their own ([`reader`]): on SQLite a read-only one,
    /// which in WAL mode never waits for the receiver's commits.
    reader: Arc<Ledger>,
    health: Health,
    metrics: Arc<Metrics>,
    connections: Arc<ConnectionStats>,
    reconciler: Arc<Reconciler>,
    /// The token every console form carries (random per process).
    csrf: String,
    /// `--token`: required for the console and `/metrics`.
    token: Option<String>,
    /// The outcome of the last action, shown once on the attention page (one operator at a time is enough
    /// for a message; the action itself is in the logs and the ledger).
    flash: Mutex<Option<String>>,
    /// The attention page's charts as last rendered ([`App::refresh_charts`]).
    charts: Mutex<String>,
}

/// How often the charts are rendered again.
const CHARTS_EVERY: Duration = Duration::from_secs(60);

impl App {
    fn charts(&self) -> String {
        self.charts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Renders the charts now (they count 14 days of orders and callbacks, 0.2–0.3 s at a million orders:
    /// at start and then once a minute in the background, never per page load), with the time they show.
    async fn refresh_charts(&self) {
        let at = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S");
        let rendered = match console::charts(self.reader.store()).await {
            Ok(html) => format!(
                "<p class=\"note\" id=\"charts-as-of\">Charts as of {at} UTC (drawn again every {} s in \
                 the background, not on each page load).</p>{html}",
                CHARTS_EVERY.as_secs()
            ),
            Err(e) => {
                tracing::warn!(error = %e, "charts: the store failed");
                format!(
                    "<p class=\"bad\">Charts unavailable: {}</p>",
                    console::esc(&e.to_string())
                )
            }
        };
        *self.charts.lock().unwrap_or_else(PoisonError::into_inner) = rendered;
    }

    fn set_flash(&self, text: String) {
        *self.flash.lock().unwrap_or_else(PoisonError::into_inner) = Some(text);
    }

    fn take_flash(&self) -> Option<String> {
        self.flash
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

struct Settings {
    url: String,
    addr: SocketAddr,
    token: Option<String>,
    reconcile_every: Duration,
    limits: Limits,
    redelivery: RedeliveryPolicy,
    /// `--read-state-field`.
    state_pointer: Option<String>,
}

impl Settings {
    /// The flags, else `[serve]` and `store` of the configuration file, else the defaults.
    fn from(m: &ArgMatches, config: &Config) -> Result<Self, Stop> {
        let section = &config.serve;
        let duration = |name: &str| -> Result<Duration, Stop> {
            Ok(setting::<Duration>(m, section, name)?.unwrap_or_default())
        };
        let ip = setting::<IpAddr>(m, section, "bind")?.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        // The command line, the environment, then the file.
        let token = m
            .get_one::<String>("token")
            .cloned()
            .or_else(|| std::env::var(TOKEN_ENV).ok())
            .filter(|t| !t.is_empty())
            .or(setting::<String>(m, section, "token")?)
            .filter(|t| !t.is_empty());
        if !ip.is_loopback() && token.is_none() {
            return Err(Stop::usage(format!(
                "--bind {ip} is not a loopback address: give --token (or {TOKEN_ENV}, or `token` in [serve] \
                 of the config file) so that only you reach the console"
            )));
        }
        let url = m
            .get_one::<String>("store")
            .cloned()
            .or_else(|| config.store.clone())
            .ok_or_else(|| {
                Stop::usage(
                    "serve: give --store URL, or `store = \"…\"` in the configuration file (`sourcing config path`)",
                )
            })?;
        let count = |name: &str, default: u32| -> Result<u32, Stop> {
            Ok(setting::<u32>(m, section, name)?.unwrap_or(default))
        };
        Ok(Settings {
            url,
            addr: SocketAddr::new(ip, setting::<u16>(m, section, "port")?.unwrap_or(8080)),
            token,
            reconcile_every: duration("reconcile-every")?,
            limits: {
                let mut limits = Limits::default();
                limits.header_timeout = duration("header-timeout")?.max(Duration::from_millis(1));
                limits.body_timeout = duration("body-timeout")?.max(Duration::from_millis(1));
                limits.idle_timeout = duration("idle-timeout")?.max(Duration::from_millis(1));
                limits.max_connections = count("max-connections", 512)? as usize;
                limits.body_limit = DEFAULT_BODY_LIMIT;
                limits.drain = DRAIN;
                limits
            },
            redelivery: RedeliveryPolicy::default().with_max_attempts(count("max-attempts", 10)?),
            state_pointer: setting::<String>(m, section, "read-state-field")?,
        })
    }
}

/// What serve logs at the default level: warnings (every refused callback, every store failure) and this
/// command's own lines.
const DEFAULT_LOGS: &str =
    "warn,sourcing_webhooks=info,sourcing_cli::serve=info,sourcing_cli::stop=info";

/// Logs at the default level when neither `-v` nor `RUST_LOG` installed a subscriber ([`DEFAULT_LOGS`]), as
/// text. `sourcing webhooks` uses it too.
pub(crate) fn default_logging() {
    crate::sandbox::default_logging(DEFAULT_LOGS);
}

/// [`default_logging`] in the format `--log-format` asks for: JSON lines with `json`.
fn default_logging_as(m: &ArgMatches) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    if !crate::app::json_logs(m) {
        return default_logging();
    }
    let Ok(filter) = DEFAULT_LOGS.parse::<tracing_subscriber::filter::Targets>() else {
        return;
    };
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .try_init();
}

/// The callback format of each provider whose pushes can be verified here.
fn formats(backend: &Backend) -> Result<Vec<Arc<dyn CallbackFormat>>, Stop> {
    let mut out = Vec::new();
    for (name, _) in sourcing_registry::callback_formats() {
        let described = find_provider(name)?;
        match crate::webhooks::callback_format(name, described, backend, false) {
            Some(Ok(format)) => out.push(format),
            Some(Err(Stop(_, why))) => {
                tracing::warn!(provider = name, "callbacks not received: {why}");
            }
            None => {}
        }
    }
    Ok(out)
}

async fn serve(m: &ArgMatches) -> Result<u8, Stop> {
    default_logging_as(m);
    let config = Config::load(m.get_one::<String>(Flag::Config.id()).map(String::as_str))?;
    let settings = Settings::from(m, &config)?;
    let backend = Backend::from_matches(m).await?;
    let (ledger, mut health) = open(&settings.url).await?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let metrics = Arc::new(Metrics::default());
    calls::count_into(metrics.clone());
    let mut callbacks = Router::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut receiving = Vec::new();
    for format in formats(&backend)? {
        let name = format.name();
        let receiver = InboxReceiver::new(Arc::new(ledger.store().clone()), format)
            .path(format!("/callbacks/{name}"))
            .body_limit(settings.limits.body_limit);
        let worker = receiver
            .worker_with(handler::Timed {
                inner: OrderCallbacks::new((*ledger).clone()),
                provider: name,
                metrics: metrics.clone(),
            })
            .redelivery(settings.redelivery);
        let alive = health.worker();
        let stop = stopped(stop_rx.clone());
        tasks.spawn(async move {
            let _alive = alive;
            worker.run(stop).await;
        });
        callbacks = callbacks.merge(receiver.router());
        receiving.push(format!("/callbacks/{name}"));
    }

    let reconciler = reconciler(&backend, &ledger, &settings, &metrics);
    if !settings.reconcile_every.is_zero() {
        let (r, every, stop) = (
            reconciler.clone(),
            settings.reconcile_every,
            stop_rx.clone(),
        );
        tasks.spawn(async move { r.run(every, stop).await });
    }
    let reader = reader(&settings.url, &ledger).await;
    let app = Arc::new(App {
        ledger,
        reader,
        health,
        metrics,
        connections: Arc::new(ConnectionStats::default()),
        reconciler,
        csrf: format!("{:032x}", rand::random::<u128>()),
        token: settings.token.clone(),
        flash: Mutex::new(None),
        charts: Mutex::new(String::new()),
    });
    app.refresh_charts().await;
    tasks.spawn(draw_charts(app.clone(), stop_rx));
    let router = routes(app.clone(), callbacks, settings.limits);
    let stop = crate::stop::on_stop();
    let listener = bind(m, &settings, &receiving).await?;
    listener::serve(
        listener,
        router,
        settings.limits,
        app.connections.clone(),
        stop,
    )
    .await;
    finish(tasks, &stop_tx).await;
    drop(backend);
    Ok(exit::OK)
}

/// The ledger at `url` and its readiness, once a write went through.
async fn open(url: &str) -> Result<(Arc<Ledger>, Health), Stop> {
    let ledger = Arc::new(
        Ledger::open(url)
            .await
            .map_err(|e| Stop::config(format!("--store: {e}")))?,
    );
    let health = Health::new(ledger.store().clone(), url).map_err(Stop::config)?;
    writable(&ledger, url).await?;
    Ok((ledger, health))
}

/// The ledger the console's pages and charts read: a connection of its own, read-only on SQLite, so a page
/// never waits behind the callbacks' commits (one SQLite connection serialises everything, and each commit
/// waits for its fsync). The writer's own connection when a second one cannot be had (`sqlite::memory:` is
/// private to its connection).
async fn reader(url: &str, ledger: &Arc<Ledger>) -> Arc<Ledger> {
    if url.contains(":memory:") {
        return ledger.clone();
    }
    match sourcing_ledger::Store::open_existing(url).await {
        Ok(store) => Arc::new(Ledger::new(store)),
        Err(e) => {
            tracing::warn!(error = %e, "the console reads through the writer's connection");
            ledger.clone()
        }
    }
}

/// What reconciles: every provider the backend has a buyer for (scheduled rounds, the console's action).
fn reconciler(
    backend: &Backend,
    ledger: &Arc<Ledger>,
    settings: &Settings,
    metrics: &Arc<Metrics>,
) -> Arc<Reconciler> {
    let buyers: Vec<_> = sourcing_registry::flows()
        .into_iter()
        .filter_map(|p| backend.buyer(p).ok())
        .collect();
    let state_pointer = settings
        .state_pointer
        .clone()
        .or_else(|| backend.is_sandbox().then(|| "/status".to_string()));
    Arc::new(Reconciler {
        ledger: ledger.clone(),
        buyers,
        settings: ReadSettings {
            state_pointer,
            ..ReadSettings::default()
        },
        metrics: metrics.clone(),
    })
}

/// Draws the charts again every [`CHARTS_EVERY`] until the stop.
async fn draw_charts(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(CHARTS_EVERY) => app.refresh_charts().await,
            _ = stop.changed() => return,
        }
    }
}

/// The listener on the settings' address, announced on stderr.
async fn bind(
    m: &ArgMatches,
    settings: &Settings,
    receiving: &[String],
) -> Result<tokio::net::TcpListener, Stop> {
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| Stop::config(format!("serve: {}: {e}", settings.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Stop::config(format!("serve: {e}")))?;
    let listening = format!(
        "sourcing serve: listening on http://{addr} (callbacks: {}; console: http://{addr}/)",
        receiving.join(", ")
    );
    // Always on stderr, whatever the log filter (with `--port 0` it is how a caller learns the port); a
    // JSON line among JSON lines.
    if crate::app::json_logs(m) {
        let line = serde_json::json!({
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "level": "INFO",
            "fields": {"message": listening, "addr": addr.to_string()},
            "target": "sourcing_cli::serve",
        });
        eprintln!("{line}");
    } else {
        eprintln!("{listening}");
    }
    let limits = &settings.limits;
    tracing::info!(
        header_timeout = ?limits.header_timeout,
        body_timeout = ?limits.body_timeout,
        idle_timeout = ?limits.idle_timeout,
        max_connections = limits.max_connections,
        reconcile_every = ?settings.reconcile_every,
        "serving"
    );
    Ok(listener)
}

/// After the listener closed: stops the workers, the rounds and the charts, waiting at most a second.
async fn finish(mut tasks: tokio::task::JoinSet<()>, stop: &watch::Sender<bool>) {
    tracing::info!("stopping: the listener is closed; finishing the workers");
    let _ = stop.send(true);
    let finished = tokio::time::timeout(Duration::from_secs(1), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tasks.abort_all();
    }
}

/// A store that cannot be written stops the start at once, with the reason (exit 3): it could acknowledge
/// nothing. `sourcing webhooks --store` checks it too.
pub(crate) async fn writable(ledger: &Ledger, url: &str) -> Result<(), Stop> {
    health::write_probe(ledger.store())
        .await
        .map_err(|e| Stop::config(format!("--store {url}: {e}")))
}

/// Completes when `stop` turns true.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

fn routes(app: Arc<App>, callbacks: Router, limits: Limits) -> Router {
    let callbacks = callbacks
        .layer(middleware::from_fn_with_state(limits, listener::read_body))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            observe_callback,
        ));
    let guarded = Router::new()
        .route("/", get(console::attention))
        .route("/orders", get(console::orders_page))
        .route("/orders/{entry}", get(console::order_page))
        .route("/orders/{entry}/reconcile", post(console::reconcile))
        .route("/orders/{entry}/handled", post(console::handled))
        .route("/inbox", get(console::inbox_page))
        .route("/inbox/{id}/replay", post(console::replay))
        .route("/metrics", get(metrics_page))
        .layer(middleware::from_fn_with_state(app.clone(), authorize));
    let open = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        // Browsers ask for it on every page; no icon, and no error in their console.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/readyz", get(readyz))
        .route("/login", get(console::login_form).post(console::login));
    guarded
        .merge(open)
        .with_state(app)
        .layer(middleware::from_fn_with_state(limits, listener::read_body))
        .merge(callbacks)
}

/// `GET /readyz`: 200 `ready`, or 503 with what failed.
async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.health.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(failed) => {
            tracing::warn!(reasons = %failed.join("; "), "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {}\n", failed.join("; ")),
            )
                .into_response()
        }
    }
}

async fn metrics_page(State(app): State<Arc<App>>) -> Response {
    let ready = app.health.file_ok().is_ok();
    let text = app
        .metrics
        .render(app.ledger.store(), &app.connections, ready)
        .await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The console and `/metrics` with `--token`: the bearer header or the sign-in cookie, else `401`.
async fn authorize(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(token) = &app.token else {
        return next.run(request).await;
    };
    if console::authorized(request.headers(), token) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "console request refused: no valid token");
    let mut response = if request.method() == Method::GET {
        console::login_form().await
    } else {
        "a valid token is required".into_response()
    };
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
}

/// Around the callback routes: refuses callbacks while the store file is not the one opened (never a `200`
/// for a write no restart would see), and counts every outcome.
async fn observe_callback(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let provider = request
        .uri()
        .path()
        .strip_prefix("/callbacks/")
        .unwrap_or("")
        .trim_end_matches('/')
        .to_owned();
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let metrics = &app.metrics;
    let labels = [("provider", provider.as_str())];
    metrics.inc("sourcing_callbacks_received_total", &labels);
    if let Err(why) = app.health.file_ok() {
        tracing::warn!(provider, "callback refused with 503: {why}");
        metrics.inc(
            "sourcing_callbacks_refused_total",
            &[("provider", &provider), ("reason", "store_file")],
        );
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the store is not ready; redeliver later",
        )
            .into_response();
    }
    let response = next.run(request).await;
    let status = response.status();
    if status == StatusCode::OK {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 64 * 1024)
            .await
            .unwrap_or_default();
        if bytes.starts_with(b"ok: stored") {
            metrics.inc("sourcing_callbacks_stored_total", &labels);
        } else if bytes.starts_with(b"ok: duplicate") {
            metrics.inc("sourcing_callbacks_duplicate_total", &labels);
        }
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let reason = match status {
        StatusCode::BAD_REQUEST => "malformed",
        StatusCode::UNAUTHORIZED => "signature",
        StatusCode::REQUEST_TIMEOUT => "body_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::SERVICE_UNAVAILABLE => "not_stored",
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND => "no_such_route",
        _ => "other",
    };
    // Whoever refused it logged why at the default level (the intake, the receiver, the body reader).
    tracing::debug!(
        provider,
        status = status.as_u16(),
        reason,
        "callback refused"
    );
    metrics.inc(
        "sourcing_callbacks_refused_total",
        &[("provider", &provider), ("reason", reason)],
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
