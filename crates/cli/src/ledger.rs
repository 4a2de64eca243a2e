//! `sourcing ledger list | show | reconcile | dead-letters | replay --store URL`: the order ledger
//! (`sourcing-ledger`) that `sourcing buy … --store URL` writes, and the dead letters of the callback inbox that
//! `sourcing webhooks --store URL` fills. `--store` ([`store_arg`], [`open_ledger`]) is shared with `buy`.

use crate::backend::{Backend, Flag};
use crate::output::{Format, Printer};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgMatches, Command};
use serde_json::json;
use sourcing_buy::Provider;
use sourcing_ledger::{Filter, Ledger, LedgerError, OrderState, ReadSettings};
use sourcing_webhooks::inbox::{InboxStore, Replay};
use std::sync::Arc;

pub struct LedgerCommand;

const STORE: &str = "store";

/// `--store URL`: where the ledger is (`sqlite:PATH` or `postgres://…`).
pub fn store_arg() -> Arg {
    Arg::new(STORE)
        .long(STORE)
        .global(true)
        .value_name("URL")
        .help(
            "The order ledger: sqlite:PATH (a file, created if missing) or postgres://USER@HOST/DB",
        )
}

/// The ledger `--store` names, opened and migrated; `None` without `--store`.
pub async fn open_ledger(m: &ArgMatches) -> Result<Option<Arc<Ledger>>, Stop> {
    let Some(url) = m.try_get_one::<String>(STORE).ok().flatten() else {
        return Ok(None);
    };
    let ledger = Ledger::open(url)
        .await
        .map_err(|e| Stop::config(format!("--store: {e}")))?;
    Ok(Some(Arc::new(ledger)))
}

impl Subcommand for LedgerCommand {
    fn commands(&self) -> Vec<Command> {
        let states: Vec<&str> = ["all", "unknown", "reported", "needs_person"]
            .into_iter()
            .chain(OrderState::ALL.iter().map(|s| s.name()))
            .collect();
        let ledger = Command::new("ledger")
            .about("The order ledger that `sourcing buy … --store URL` writes (list, show, reconcile) and the callback inbox's dead letters")
            .subcommand_required(true)
            .arg(store_arg())
            .arg(Format::arg(Format::Json))
            .subcommand(
                Command::new("list").about("Orders, oldest first").arg(
                    Arg::new("state")
                        .long("state")
                        .value_parser(clap::builder::PossibleValuesParser::new(states))
                        .default_value("all")
                        .help("Only orders in this state (unknown: any step whose outcome is unknown)"),
                ),
            )
            .subcommand(
                Command::new("show")
                    .about("An order and its history of events")
                    .arg(Arg::new("order-id").required(true).value_name("ORDER_ID"))
                    .arg(provider_arg()),
            )
            .subcommand(
                Command::new("dead-letters")
                    .about("Callback inbox messages whose handler failed past its last attempt"),
            )
            .subcommand(
                Command::new("replay")
                    .about("Hand a dead letter to the handler again (due now, attempts reset)")
                    .arg(
                        Arg::new("id")
                            .required(true)
                            .value_name("ID")
                            .value_parser(clap::value_parser!(i64))
                            .help("The message id, as `dead-letters` lists it"),
                    ),
            )
            .subcommand(
                Command::new("reconcile")
                    .about("Settle unknown and callback-reported states by reading the orders (never pays)")
                    .long_about(
                        "Read every order whose step outcome is unknown or whose state was only reported by a \
                         callback (PandaPon and Dajisaas order detail) and record what the read shows. Nothing \
                         but reads is sent. What cannot be read (Xportcn publishes no order read; a create \
                         without an order id) or shows no documented state is marked as needing a person.",
                    )
                    .arg(provider_arg())
                    .arg(
                        Arg::new("read-state-field")
                            .long("read-state-field")
                            .value_name("JSON_POINTER")
                            .help("Where the order state is in the raw read answer when the vendor documents none (e.g. /status; --sandbox: /status)"),
                    )
                    .args(Flag::args(&Flag::ALL)),
            );
        vec![ledger]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run(matches))
    }
}

fn provider_arg() -> Arg {
    Arg::new("provider")
        .long("provider")
        .value_parser(clap::builder::PossibleValuesParser::new(
            Provider::ALL.iter().map(|p| p.name()),
        ))
        .help("Only this provider's orders")
}

fn provider(m: &ArgMatches) -> Option<Provider> {
    m.get_one::<String>("provider")
        .and_then(|p| Provider::from_name(p))
}

fn failed(e: LedgerError) -> Stop {
    let code = match e {
        LedgerError::UnknownOrder { .. } | LedgerError::AmbiguousOrder { .. } => exit::USAGE,
        _ => exit::CONFIG,
    };
    Stop(code, e.to_string())
}

/// The callback inbox's dead letters, each body as text (the raw bytes stay in the store); shown by
/// `sourcing ledger dead-letters` and the MCP tool `ledger_attention`.
pub async fn dead_letters(
    ledger: &Ledger,
) -> Result<Vec<serde_json::Value>, sourcing_webhooks::inbox::StoreError> {
    let letters = ledger.store().dead_letters().await?;
    Ok(letters
        .iter()
        .map(|m| {
            let mut value = json!(m);
            value["body"] = json!(m.body_text());
            value
        })
        .collect())
}

fn inbox_failed(e: sourcing_webhooks::inbox::StoreError) -> Stop {
    Stop::config(format!("callback inbox: {e}"))
}

async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    let ledger = open_ledger(m)
        .await?
        .ok_or_else(|| Stop::usage("--store URL is required"))?;
    let (name, sm) = m
        .subcommand()
        .ok_or_else(|| Stop::usage("ledger: which command? see --help"))?;
    let printer = Printer::new(Format::of(sm, Format::Json));
    let answer = match name {
        "list" => {
            let state = sm.get_one::<String>("state").map_or("all", String::as_str);
            let filter = Filter::parse(state)
                .ok_or_else(|| Stop::usage(format!("--state {state}: unknown state")))?;
            json!(ledger.list(filter).await.map_err(failed)?)
        }
        "show" => {
            let order_id = sm
                .get_one::<String>("order-id")
                .cloned()
                .unwrap_or_default();
            let (entry, events) = ledger.show(&order_id, provider(sm)).await.map_err(failed)?;
            json!({"order": entry, "events": events})
        }
        "reconcile" => json!(reconcile(&ledger, sm).await?),
        "dead-letters" => {
            json!(dead_letters(&ledger).await.map_err(inbox_failed)?)
        }
        "replay" => {
            let id = sm.get_one::<i64>("id").copied().unwrap_or_default();
            match ledger.store().replay(id).await.map_err(inbox_failed)? {
                Replay::Replayed => json!({"id": id, "replayed": true}),
                Replay::NotDeadLetter(state) => {
                    return Err(Stop::usage(format!(
                        "message {id} is not a dead letter (it is {})",
                        state.as_str()
                    )));
                }
                Replay::NotFound => {
                    return Err(Stop::usage(format!("no inbox message {id}")));
                }
            }
        }
        other => return Err(Stop::usage(format!("unknown ledger command {other}"))),
    };
    printer.answer(&answer);
    Ok(exit::OK)
}

async fn reconcile(ledger: &Ledger, m: &ArgMatches) -> Result<Vec<sourcing_ledger::Settled>, Stop> {
    let backend = Backend::from_matches(m).await?;
    let providers = match provider(m) {
        Some(p) => vec![p],
        None => Provider::ALL.to_vec(),
    };
    // Only the providers whose credentials are there: reconcile reads what it can and leaves the rest.
    let buyers: Vec<_> = providers
        .into_iter()
        .filter_map(|p| backend.buyer(p).ok())
        .collect();
    let state_pointer = m
        .get_one::<String>("read-state-field")
        .cloned()
        .or_else(|| backend.is_sandbox().then(|| "/status".to_string()));
    ledger
        .reconcile(&buyers, &ReadSettings { state_pointer })
        .await
        .map_err(failed)
}
