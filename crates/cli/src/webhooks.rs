//! `sourcing webhooks --provider X [--store URL]`: receive a provider's callbacks, verify and deduplicate them,
//! print each new one as a JSON line (a stream, so it offers no other `--output`). Without `--store`, in memory:
//! answer 200 once the line is written. With `--store`, the durable inbox: answer 200 once the message is
//! stored, print it, and record order callbacks in the ledger from the inbox (worker in this process).
//!
//! `sourcing webhooks send`: POST one signed, documented callback to a receiver (like `stripe trigger`).

use crate::backend::{Backend, Flag, find_provider, providers};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgMatches, Command};
use sourcing_ledger::{Ledger, OrderCallbacks};
use sourcing_webhooks::formats::{self, FormatSettings};
use sourcing_webhooks::inbox::{InboxReceiver, RedeliveryPolicy};
use sourcing_webhooks::outgoing::{OrderEvent, OrderFacts};
use sourcing_webhooks::{Callback, CallbackFormat, Fen, HandlerError, Receiver, Secret};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub struct Webhooks;

impl Subcommand for Webhooks {
    fn commands(&self) -> Vec<Command> {
        vec![Command::new("webhooks")
            .about("Receive a provider's callbacks: verify, deduplicate, print each as a JSON line, answer 200")
            .long_about(
                "Receive a provider's callbacks on --bind ADDR (127.0.0.1) and --port PORT (0: a free one; the \
                 address is printed on stderr once bound): verify them (Dajisaas: HMAC-SHA1 with \
                 DAJISAAS_APP_SECRET; PandaPon/Xportcn publish no signature), drop repeated deliveries, print each \
                 new message as one JSON line on stdout. Malformed or oversized bodies get 4xx with the reason. \
                 Put a TLS proxy in front: the vendors require HTTPS.\n\n\
                 Without --store, in memory: 200 once the line is written; dedup lasts as long as the process.\n\
                 With --store URL (sqlite:PATH or postgres://…): the durable inbox. 200 once the message is stored \
                 (then it is printed, with its inbox_id); order callbacks are recorded in the ledger from the \
                 inbox, retried with backoff, and dead-lettered after --max-attempts failures (`sourcing ledger \
                 dead-letters`, `sourcing ledger replay ID`). Dedup is in the database: it survives restarts and \
                 holds across instances on one Postgres.\n\n\
                 SIGTERM or Ctrl-C: stop accepting, finish the requests in flight, exit 0. Refused callbacks are \
                 logged on stderr (warn) without -v.\n\n\
                 `sourcing webhooks send` POSTs one signed, documented callback to a receiver.",
            )
            .args_conflicts_with_subcommands(true)
            .subcommand_negates_reqs(true)
            .arg(provider_arg())
            .arg(
                Arg::new("port")
                    .long("port")
                    .value_parser(clap::value_parser!(u16))
                    .default_value("8090")
                    .help("Port (0: a free one, printed)"),
            )
            .arg(
                Arg::new("bind")
                    .long("bind")
                    .value_name("ADDR")
                    .value_parser(clap::value_parser!(IpAddr))
                    .default_value("127.0.0.1")
                    .help("Address to listen on"),
            )
            .arg(Arg::new("path").long("path").default_value("/").help("Callback path"))
            .arg(
                Arg::new("store")
                    .long("store")
                    .value_name("URL")
                    .help("Durable inbox and order ledger: sqlite:PATH or postgres://…"),
            )
            .arg(
                Arg::new("max-attempts")
                    .long("max-attempts")
                    .requires("store")
                    .value_parser(clap::value_parser!(u32).range(1..))
                    .default_value("10")
                    .help("Handler runs before a message becomes a dead letter (with --store)"),
            )
            .arg(
                Arg::new("lease-ms")
                    .long("lease-ms")
                    .requires("store")
                    .value_parser(clap::value_parser!(u64).range(30..))
                    .default_value("30000")
                    .help("How long a crashed worker's message stays reserved, in ms (with --store)"),
            )
            .args(Flag::args(&[Flag::Config, Flag::Profile]))
            .subcommand(send_command())]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(async move {
            match matches.subcommand() {
                Some((_, m)) => send(m).await,
                None => receive(matches).await,
            }
        })
    }
}

/// `--provider`: the registry's providers whose callback format the receiver knows.
fn provider_arg() -> Arg {
    Arg::new("provider")
        .long("provider")
        .required(true)
        .value_parser(clap::builder::PossibleValuesParser::new(
            providers()
                .iter()
                .map(|p| p.name)
                .filter(|name| callbacks_of(name).is_some()),
        ))
        .help("Whose callbacks")
}

fn send_command() -> Command {
    Command::new("send")
        .about("POST one signed, documented callback to a receiver; prints its status and body")
        .long_about(
            "POST PROVIDER's documented callback for an order event to URL, the way the vendor (and the \
             sandbox) sends it: PandaPon/Xportcn JSON ORDER_CREATE / ORDER_PAY_SUCCESS / ORDER_CANCEL (no \
             message is documented for shipped), Dajisaas the Taobao-shape order status update signed with \
             HMAC-SHA1 under DAJISAAS_APP_SECRET (or, with --sandbox, the sandbox's test secret). Prints \
             {\"status\", \"body\"} and exits non-zero unless the receiver answers 2xx.",
        )
        .arg(provider_arg())
        .arg(
            Arg::new("event")
                .long("event")
                .required(true)
                .value_parser(clap::builder::PossibleValuesParser::new(
                    OrderEvent::ALL.map(OrderEvent::name),
                )),
        )
        .arg(Arg::new("order-id").long("order-id").required(true))
        .arg(Arg::new("to").long("to").value_name("URL").required(true))
        .arg(
            Arg::new("amount")
                .long("amount")
                .value_name("FEN")
                .value_parser(clap::value_parser!(i64).range(0..))
                .help("The order total in fen (default 10000: 9500 goods + 500 freight)"),
        )
        .arg(
            Arg::new("sandbox")
                .long("sandbox")
                .action(clap::ArgAction::SetTrue)
                .help("Sign with the sandbox's test secret"),
        )
        .args(Flag::args(&[Flag::Config]))
}

/// `sourcing webhooks send`.
async fn send(m: &ArgMatches) -> Result<u8, Stop> {
    let text = |k: &str| m.get_one::<String>(k).cloned().unwrap_or_default();
    let name = text("provider");
    let described = find_provider(&name)?;
    let event = OrderEvent::from_name(&text("event"))
        .ok_or_else(|| Stop::usage("--event: created, paid, cancelled or shipped"))?;
    let backend = Backend::live(m.get_one::<String>("config"), None)?;
    let format = required_format(&name, described, &backend, m.get_flag("sandbox"))?;
    let (goods, freight) = match m.get_one::<i64>("amount") {
        Some(&total) => (total, 0),
        None => (9_500, 500),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let paid_ms = matches!(event, OrderEvent::Paid | OrderEvent::Shipped).then_some(now);
    let facts = OrderFacts::new(text("order-id"), Fen(goods), Fen(freight), now, paid_ms);
    let sent = format
        .encode(event, &facts, now)
        .map_err(|e| Stop::usage(e.to_string()))?;
    let answer = reqwest::Client::new()
        .post(text("to"))
        .header("content-type", sent.content_type)
        .body(sent.body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| Stop(exit::TRANSPORT, format!("{}: no answer: {e}", text("to"))))?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    println!(
        "{}",
        serde_json::json!({"status": status.as_u16(), "body": body})
    );
    Ok(if status.is_success() {
        exit::OK
    } else {
        exit::BUSINESS
    })
}

/// The callback format of the provider named `name`, from its kit in the registry: its key the provider's
/// secret (the sandbox's test secret with `sandbox`), its unpublished rules the configured variants
/// (`DAJISAAS_CALLBACK_SIGNED_INPUT`). `None` for a provider that publishes no callbacks.
pub(crate) fn callback_format(
    name: &str,
    described: &sourcing_runtime::Provider,
    backend: &Backend,
    sandbox: bool,
) -> Option<Result<Arc<dyn CallbackFormat>, Stop>> {
    let factory = callbacks_of(name)?;
    let settings = Settings {
        described,
        backend,
        sandbox,
    };
    Some(factory(&settings).map_err(Stop::config))
}

/// The registry's callback format factory of the provider named `name`.
fn callbacks_of(name: &str) -> Option<formats::FormatFactory> {
    sourcing_registry::kit(name)?.callbacks
}

/// Where a callback format reads its key and variants: the backend's configuration of `described`.
struct Settings<'a> {
    described: &'a sourcing_runtime::Provider,
    backend: &'a Backend,
    sandbox: bool,
}

impl FormatSettings for Settings<'_> {
    fn prefix(&self) -> &str {
        self.described.env_prefix
    }

    fn secret(&self) -> Result<Secret, String> {
        match self.sandbox {
            true => Ok(sourcing_sandbox::credentials::APP_SECRET.into()),
            false => self
                .backend
                .secret(self.described)
                .map(Into::into)
                .map_err(|Stop(_, why)| why),
        }
    }

    fn setting(&self, full_key: &str) -> Option<String> {
        self.backend.setting(self.described, full_key)
    }
}

/// [`callback_format`] for a command that needs one.
fn required_format(
    name: &str,
    described: &sourcing_runtime::Provider,
    backend: &Backend,
    sandbox: bool,
) -> Result<Arc<dyn CallbackFormat>, Stop> {
    callback_format(name, described, backend, sandbox)
        .ok_or_else(|| Stop::usage(format!("{name} publishes no callbacks this receiver knows")))?
}

async fn receive(m: &ArgMatches) -> Result<u8, Stop> {
    crate::serve::default_logging();
    let port = m.get_one::<u16>("port").copied().unwrap_or(8090);
    let ip = m
        .get_one::<IpAddr>("bind")
        .copied()
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let path = m
        .get_one::<String>("path")
        .cloned()
        .unwrap_or_else(|| "/".into());
    let name = m
        .get_one::<String>("provider")
        .map(String::as_str)
        .unwrap_or_default();
    let described = find_provider(name)?;
    let backend = Backend::from_matches(m).await?;
    // The signing key of the pushes is the provider's secret; the unpublished HMAC input is a named
    // variant (README, "Signing variants").
    let format = required_format(name, described, &backend, false)?;
    let stop = crate::stop::on_stop();
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port))
        .await
        .map_err(|e| Stop::config(format!("webhooks: {ip}:{port}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Stop::config(format!("webhooks: {e}")))?;
    // SIGTERM / Ctrl-C: stop accepting, finish what is in flight, exit 0.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = stop_tx.send(true);
    });
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let served = match m.get_one::<String>("store") {
        None => {
            eprintln!(
                "receiving {} callbacks on http://{addr}{path}",
                format.name()
            );
            let receiver = Receiver::new(format, print_handled).path(path);
            receiver.serve_on(listener, stopped()).await
        }
        Some(url) => {
            let ledger = Ledger::open(&crate::ledger::normalize(url))
                .await
                .map_err(|e| Stop::config(format!("--store: {e}")))?;
            crate::serve::writable(&ledger, url).await?;
            eprintln!(
                "receiving {} callbacks on http://{addr}{path} into the durable inbox (--store)",
                format.name()
            );
            let max_attempts = m.get_one::<u32>("max-attempts").copied().unwrap_or(10);
            let redelivery = RedeliveryPolicy::default().with_max_attempts(max_attempts);
            let lease =
                Duration::from_millis(m.get_one::<u64>("lease-ms").copied().unwrap_or(30_000));
            let receiver = InboxReceiver::new(Arc::new(ledger.store().clone()), format)
                .path(path)
                .on_stored(print_stored);
            let worker = receiver
                .worker_with(OrderCallbacks::new(ledger))
                .redelivery(redelivery)
                .lease(lease);
            let (served, ()) = tokio::join!(
                receiver.serve_on(listener, stopped()),
                worker.run(stopped())
            );
            served
        }
    };
    served
        .map(|()| exit::OK)
        .map_err(|e| Stop::config(format!("webhooks: {e}")))
}

/// The in-memory receiver's handler: the message as one JSON line; the 200 waits for it.
async fn print_handled(cb: Callback) -> Result<(), HandlerError> {
    let line = serde_json::to_string(&cb)?;
    write_line(&line)?;
    Ok(())
}

/// The durable receiver's hook once a new message is stored: the line also carries its `inbox_id` (for
/// `sourcing ledger replay`). A failed write is logged: the message is stored whatever stdout does.
fn print_stored(inbox_id: i64, cb: &Callback) {
    let line = match serde_json::to_value(cb) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.insert("inbox_id".into(), inbox_id.into());
            serde_json::Value::Object(fields).to_string()
        }
        Ok(other) => other.to_string(),
        Err(e) => format!("{{\"inbox_id\":{inbox_id},\"error\":{:?}}}", e.to_string()),
    };
    if let Err(e) = write_line(&line) {
        tracing::warn!(inbox_id, error = %e, "could not print a stored callback");
    }
}

fn write_line(line: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}
