//! `sourcing webhooks --provider X [--store URL]`: receive a provider's callbacks, verify and deduplicate them,
//! print each new one as a JSON line (a stream, so it offers no other `--output`). Without `--store`, in memory:
//! answer 200 once the line is written. With `--store`, the durable inbox: answer 200 once the message is
//! stored, print it, and record order callbacks in the ledger from the inbox (worker in this process).

use crate::backend::{Backend, Flag, find_provider, providers};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgMatches, Command};
use sourcing_ledger::{Ledger, OrderCallbacks};
use sourcing_webhooks::inbox::{InboxReceiver, RetryPolicy};
use sourcing_webhooks::{Callback, CallbackFormat, HandlerError, Receiver};
use std::sync::Arc;
use std::time::Duration;

pub struct Webhooks;

impl Subcommand for Webhooks {
    fn commands(&self) -> Vec<Command> {
        vec![Command::new("webhooks")
            .about("Receive a provider's callbacks: verify, deduplicate, print each as a JSON line, answer 200")
            .long_about(
                "Receive a provider's callbacks on 127.0.0.1:PORT: verify them (Dajisaas: HMAC-SHA1 with \
                 DAJISAAS_APP_SECRET; PandaPon/Xportcn publish no signature), drop repeated deliveries, print each \
                 new message as one JSON line on stdout. Malformed or oversized bodies get 4xx with the reason. \
                 Put a TLS proxy in front: the vendors require HTTPS.\n\n\
                 Without --store, in memory: 200 once the line is written; dedup lasts as long as the process.\n\
                 With --store URL (sqlite:PATH or postgres://…): the durable inbox. 200 once the message is stored \
                 (then it is printed, with its inbox_id); order callbacks are recorded in the ledger from the \
                 inbox, retried with backoff, and dead-lettered after --max-attempts failures (`sourcing ledger \
                 dead-letters`, `sourcing ledger replay ID`). Dedup is in the database: it survives restarts and \
                 holds across instances on one Postgres.",
            )
            .arg(
                Arg::new("provider")
                    .long("provider")
                    .required(true)
                    .value_parser(clap::builder::PossibleValuesParser::new(
                        // The registry's providers whose callback format the receiver knows.
                        providers()
                            .iter()
                            .map(|p| p.name)
                            .filter(|name| CallbackFormat::NAMES.contains(name)),
                    ))
                    .help("Whose callbacks"),
            )
            .arg(
                Arg::new("port")
                    .long("port")
                    .value_parser(clap::value_parser!(u16))
                    .default_value("8090")
                    .help("Port on 127.0.0.1"),
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
            .args(Flag::args(&[Flag::Config]))]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(receive(matches))
    }
}

async fn receive(m: &ArgMatches) -> Result<u8, Stop> {
    let port = m.get_one::<u16>("port").copied().unwrap_or(8090);
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
    // The signing key of the pushes is the provider's secret.
    let format = CallbackFormat::from_name(name, || backend.secret(described).map(Into::into))
        .ok_or_else(|| {
        Stop::usage(format!("{name} publishes no callbacks this receiver knows"))
    })??;
    // The unpublished HMAC input is a named variant (README, "Signing variants").
    let format = match format {
        CallbackFormat::Dajisaas(verifier) => CallbackFormat::Dajisaas(
            verifier.with_signed_input(backend.variant(described, "CALLBACK_SIGNED_INPUT")?),
        ),
        other => other,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Stop::config(format!("webhooks: port {port}: {e}")))?;
    let served = match m.get_one::<String>("store") {
        None => {
            eprintln!(
                "receiving {} callbacks on http://127.0.0.1:{port}{path}",
                format.name()
            );
            let receiver = Receiver::new(format, print_handled).path(path);
            tokio::select! {
                r = receiver.serve_on(listener, std::future::pending()) => r,
                _ = tokio::signal::ctrl_c() => Ok(()),
            }
        }
        Some(url) => {
            let ledger = Ledger::open(&crate::ledger::normalize(url))
                .await
                .map_err(|e| Stop::config(format!("--store: {e}")))?;
            eprintln!(
                "receiving {} callbacks on http://127.0.0.1:{port}{path} into the durable inbox (--store)",
                format.name()
            );
            let retry = RetryPolicy {
                max_attempts: m.get_one::<u32>("max-attempts").copied().unwrap_or(10),
                ..RetryPolicy::default()
            };
            let lease =
                Duration::from_millis(m.get_one::<u64>("lease-ms").copied().unwrap_or(30_000));
            let receiver = InboxReceiver::new(Arc::new(ledger.store().clone()), format)
                .path(path)
                .on_stored(print_stored);
            let worker = receiver
                .worker_with(OrderCallbacks::new(ledger))
                .retry(retry)
                .lease(lease);
            tokio::select! {
                r = receiver.serve_on(listener, std::future::pending()) => r,
                () = worker.run(std::future::pending()) => Ok(()),
                _ = tokio::signal::ctrl_c() => Ok(()),
            }
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
