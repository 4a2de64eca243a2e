//! `sourcing ledger init | list | show | reconcile | inbox | dead-letters | replay`: the order ledger
//! (`sourcing-ledger`) that `sourcing buy …` writes, and the callback inbox that `sourcing webhooks --store`
//! fills.
//!
//! The ledger is always on: its store is `--store`, else `SOURCING_STORE`, else
//! `sqlite:$XDG_DATA_HOME/sourcing/ledger.db` (`~/.local/share` without `XDG_DATA_HOME`); a bare path means
//! SQLite ([`store_url`]). Only recording commands create a database ([`open_ledger`]: `buy …`, `webhooks`,
//! `ledger init`, and the raw order-step commands of [`crate::call`]); reading commands fail on a store that does not exist, naming it, and open SQLite
//! read-only ([`Access`]).

use crate::backend::{Backend, Flag};
use crate::output::{Format, Printer};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgMatches, Command};
use serde_json::{Value, json};
use sourcing_buy::Flow;
use sourcing_ledger::{
    Event, Filter, Ledger, LedgerError, Lookup, OrderState, Query, ReadSettings, Store, StoreError,
};
use sourcing_webhooks::inbox::{InboxState, InboxStore, Replay};
use std::io::Write;
use std::sync::Arc;

pub struct LedgerCommand;

const STORE: &str = "store";

/// The environment variable naming the store when `--store` is not given.
pub const STORE_ENV: &str = "SOURCING_STORE";

/// `--store URL`: where the ledger is.
pub fn store_arg() -> Arg {
    Arg::new(STORE)
        .long(STORE)
        .global(true)
        .value_name("URL")
        .help(
            "The order ledger: sqlite:PATH, a bare PATH (SQLite) or postgres://USER@HOST/DB \
             [default: $SOURCING_STORE, else the config file's store, else \
             sqlite:$XDG_DATA_HOME/sourcing/ledger.db; with --sandbox sandbox/ledger.db there]",
        )
}

/// The store `m` names: `--store`, else `SOURCING_STORE`, else the configuration file's `store` (the chosen
/// profile's, else the file's), else the default file under the user's data directory — a ledger of its own
/// for `--sandbox` (`sandbox/ledger.db`), so sandbox orders never mix with live ones. A bare path means SQLite.
pub fn store_url(m: &ArgMatches) -> Result<String, Stop> {
    if let Some(text) = explicit_store(m)? {
        return Ok(normalize(&text));
    }
    default_store(sandbox(m)).map(|p| format!("sqlite:{}", p.display()))
}

/// `--sandbox`, given to `ledger` or to its command (`sourcing --sandbox ledger show` is hoisted to the
/// innermost command: `sourcing ledger show --sandbox`).
fn sandbox(m: &ArgMatches) -> bool {
    let given =
        |m: &ArgMatches| m.try_get_one::<bool>(Flag::Sandbox.id()).ok().flatten() == Some(&true);
    given(m) || m.subcommand().is_some_and(|(_, sm)| given(sm))
}

/// The store named by `--store`, `SOURCING_STORE` or the configuration (not the default).
fn explicit_store(m: &ArgMatches) -> Result<Option<String>, Stop> {
    let given = m.try_get_one::<String>(STORE).ok().flatten().cloned();
    let from_env = || std::env::var(STORE_ENV).ok().filter(|v| !v.is_empty());
    if let Some(text) = given.or_else(from_env) {
        return Ok(Some(text));
    }
    if sandbox(m) {
        return Ok(None);
    }
    let value = |flag: Flag| m.try_get_one::<String>(flag.id()).ok().flatten();
    let config = crate::config::Config::load(value(Flag::Config).map(String::as_str))?;
    let profile = value(Flag::Profile).cloned().or_else(|| {
        std::env::var(crate::config::PROFILE_ENV)
            .ok()
            .filter(|p| !p.is_empty())
    });
    let from_profile = match &profile {
        Some(name) => config.profile(name)?.store.clone(),
        None => None,
    };
    Ok(from_profile.or(config.store.clone()))
}

/// A store URL as given: `sqlite:…` and `scheme://…` as they are, a bare path as SQLite.
pub fn normalize(text: &str) -> String {
    if text.starts_with("sqlite:") || text.contains("://") {
        text.to_string()
    } else {
        format!("sqlite:{text}")
    }
}

/// `$XDG_DATA_HOME/sourcing/ledger.db` (`sandbox/ledger.db` for the sandbox), under `~/.local/share`
/// without `XDG_DATA_HOME`.
pub fn default_store(sandbox: bool) -> Result<std::path::PathBuf, Stop> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".local/share")))
        .ok_or_else(|| {
            Stop::config(
                "no --store, no SOURCING_STORE and no home directory for the default ledger",
            )
        })?;
    let dir = data.join("sourcing");
    Ok(match sandbox {
        true => dir.join("sandbox").join("ledger.db"),
        false => dir.join("ledger.db"),
    })
}

/// How a command uses the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads only: the store must exist; SQLite is opened read-only.
    Read,
    /// Writes to an existing store (reconcile, replay): it must exist.
    Write,
    /// Records (buy, webhooks, ledger init): creates the store if missing.
    Create,
}

/// Whether the `buy` step `step` is recorded in the ledger: every order step (search, detail and
/// status only read).
pub fn records(step: &str) -> bool {
    !matches!(step, "search" | "detail" | "status")
}

/// The ledger of a recording command (`buy …`, `webhooks`): created if missing. Always `Some` (the
/// ledger is always on; the `Option` is the callers' shape).
pub async fn open_ledger(m: &ArgMatches) -> Result<Option<Arc<Ledger>>, Stop> {
    open(m, Access::Create).await.map(|l| Some(Arc::new(l)))
}

/// The ledger of `m` for `access`.
pub async fn open(m: &ArgMatches, access: Access) -> Result<Ledger, Stop> {
    let url = store_url(m)?;
    let opened = match access {
        Access::Create => {
            create_default_dir(m, &url)?;
            Store::open(&url).await
        }
        Access::Read => Store::open_existing(&url).await,
        Access::Write => match Store::open_existing(&url).await {
            Ok(_) => Store::open(&url).await,
            Err(e) => Err(e),
        },
    };
    opened.map(Ledger::new).map_err(|e| store_failed(&url, e))
}

/// The default store's directory, made by a recording command (an explicit path is taken as given).
fn create_default_dir(m: &ArgMatches, url: &str) -> Result<(), Stop> {
    if explicit_store(m)?.is_some() {
        return Ok(());
    }
    let path = default_store(sandbox(m))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            Stop::config(format!(
                "the ledger's directory {}: {e} ({url})",
                dir.display()
            ))
        })?;
    }
    Ok(())
}

fn store_failed(url: &str, e: StoreError) -> Stop {
    match e {
        StoreError::Missing { .. } => Stop::config(e.to_string()),
        other => Stop::config(format!("--store {url}: {other}")),
    }
}

impl Subcommand for LedgerCommand {
    fn commands(&self) -> Vec<Command> {
        let ledger = Command::new("ledger")
            .about("The order ledger that `sourcing buy` writes (list, show, reconcile) and the callback inbox")
            .long_about(
                "The order ledger that every `sourcing buy` step and every raw order step (`sourcing pandapon \
                 order-pay-url`, …: create, pay, batch pay, cancel) is recorded in, each entry with the profile \
                 that sent it, and the callback inbox of `sourcing webhooks --store`. The store is --store, else $SOURCING_STORE, else \
                 sqlite:$XDG_DATA_HOME/sourcing/ledger.db (~/.local/share without XDG_DATA_HOME); a bare path \
                 means SQLite. Only `ledger init` (and recording commands: buy, webhooks) create it; the other \
                 ledger commands fail on a store that does not exist and open SQLite read-only.",
            )
            .subcommand_required(true)
            .arg(store_arg())
            .arg(Format::arg(Format::Json))
            .subcommand(Command::new("init").about("Create (or migrate) the ledger's database"))
            .subcommand(list_command())
            .subcommand(show_command())
            .subcommand(
                Command::new("inbox")
                    .about("Callback inbox messages: pending, handled (done) and dead letters")
                    .arg(
                        Arg::new("state")
                            .long("state")
                            .value_parser(["all", "pending", "done", "dead"])
                            .default_value("all"),
                    )
                    .arg(limit_arg().default_value("1000")),
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
            .subcommand(reconcile_command())
            // `--sandbox`: the sandbox's own ledger (the default store under `sandbox/`), as the sandbox's
            // `buy` steps recorded.
            .mut_subcommands(|c| match c.get_name() {
                "reconcile" => c,
                _ => c.arg(Flag::Sandbox.arg().help(
                    "The sandbox's own ledger (sandbox/ledger.db under the data directory), where \
                     `sourcing --sandbox buy …` records its orders",
                )),
            });
        vec![ledger]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run(matches))
    }
}

fn limit_arg() -> Arg {
    Arg::new("limit")
        .long("limit")
        .value_name("N")
        .value_parser(clap::value_parser!(u64))
        .help("At most N")
}

fn list_command() -> Command {
    let states: Vec<&str> = ["all", "unknown", "reported", "needs_person"]
        .into_iter()
        .chain(OrderState::ALL.iter().map(|s| s.name()))
        .collect();
    let time = |name: &'static str, help: &'static str| {
        Arg::new(name)
            .long(name)
            .value_name("TIME")
            .value_parser(parse_time)
            .help(help)
    };
    Command::new("list")
        .about("Orders, oldest first (streamed)")
        .arg(
            Arg::new("state")
                .long("state")
                .value_parser(clap::builder::PossibleValuesParser::new(states))
                .default_value("all")
                .help("Only orders in this state (unknown: any step whose outcome is unknown)"),
        )
        .arg(provider_arg())
        .arg(time(
            "since",
            "Created at or after TIME: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ (UTC) or epoch ms",
        ))
        .arg(time("until", "Created before TIME (same forms as --since)"))
        .arg(limit_arg())
        .arg(
            Arg::new("external-id")
                .long("external-id")
                .value_name("ID")
                .help("Only the order with your own order number ID"),
        )
        .arg(Arg::new(PROFILE).long(PROFILE).value_name("NAME").help(
            "Only the orders recorded with this profile of the configuration file (its account)",
        ))
}

/// `ledger list --profile NAME`: a filter here (the entries' recorded profile), not the backend's choice.
const PROFILE: &str = "profile";

fn show_command() -> Command {
    Command::new("show")
        .about("An order and its history of events (exit 8 when there is no such entry)")
        .arg(
            Arg::new("id")
                .value_name("ORDER_ID|#ENTRY")
                .required_unless_present_any(["entry", "external-id"])
                .conflicts_with_all(["entry", "external-id"])
                .help("The vendor's order id, or #N for ledger entry N"),
        )
        .arg(
            Arg::new("entry")
                .long("entry")
                .value_name("N")
                .value_parser(clap::value_parser!(i64))
                .conflicts_with("external-id")
                .help("The ledger entry N"),
        )
        .arg(
            Arg::new("external-id")
                .long("external-id")
                .value_name("ID")
                .help("Your own order number (the create's external order id)"),
        )
        .arg(provider_arg())
}

fn reconcile_command() -> Command {
    Command::new("reconcile")
        .about("Settle unknown and callback-reported states by reading the orders (never pays)")
        .long_about(
            "Read every order whose step outcome is unknown or whose state was only reported by a callback \
             and record what the read shows (the facade's order state; --read-state-field overrides). \
             Nothing but reads is sent. What cannot be read (Xportcn publishes no order read; a create \
             without an order id), shows no documented state, cannot be decoded or failed to read \
             --max-read-failures times in a row is marked as needing a person. A step sent less than \
             --in-flight seconds ago whose answer is not recorded may still be in flight and is left for \
             the next run.",
        )
        .arg(provider_arg())
        .arg(
            Arg::new("read-state-field")
                .long("read-state-field")
                .value_name("JSON_POINTER")
                .help("Override: where the order state is in the raw read answer (e.g. /baseInfo/status; --sandbox: /status)"),
        )
        .arg(
            Arg::new("max-read-failures")
                .long("max-read-failures")
                .value_name("N")
                .value_parser(clap::value_parser!(u32).range(1..))
                .default_value("5")
                .help("Failed reads of one order in a row before it is marked for a person"),
        )
        .arg(
            Arg::new("in-flight")
                .long("in-flight")
                .value_name("SECONDS")
                .value_parser(clap::value_parser!(u64))
                .default_value("120")
                .help("A step sent less than this long ago without a recorded answer is left alone (it may be in flight)"),
        )
        .args(Flag::args(&Flag::ALL))
}

fn provider_arg() -> Arg {
    Arg::new("provider")
        .long("provider")
        .value_parser(clap::builder::PossibleValuesParser::new(
            sourcing_registry::flows().into_iter().map(|p| p.name()),
        ))
        .help("Only this provider's orders")
}

fn provider(m: &ArgMatches) -> Option<Flow> {
    m.get_one::<String>("provider")
        .and_then(|p| sourcing_registry::flow(p))
}

/// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS][Z]` (UTC) or milliseconds since the epoch.
fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    let bad = || {
        format!(
            "`{text}`: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ (UTC) or milliseconds since the epoch"
        )
    };
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = text.split_once(['T', ' ']).unwrap_or((text, "00:00:00"));
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    let ([y, mo, da], 2..=3) = (d.as_slice(), t.len()) else {
        return Err(bad());
    };
    let (y, mo, da) = (num(y)?, num(mo)?, num(da)?);
    let (h, mi, s) = (num(t[0])?, num(t[1])?, t.get(2).map_or(Ok(0), |s| num(s))?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    Ok((days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + s) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn failed(e: LedgerError) -> Stop {
    let code = match e {
        LedgerError::UnknownOrder { .. } | LedgerError::NotFound { .. } => exit::NOT_FOUND,
        LedgerError::AmbiguousOrder { .. } => exit::USAGE,
        _ => exit::CONFIG,
    };
    Stop(code, e.to_string())
}

/// The callback inbox's dead letters, each body as text (the raw bytes stay in the store); shown by
/// `sourcing ledger dead-letters` and the MCP tool `ledger_attention`.
pub async fn dead_letters(
    ledger: &Ledger,
) -> Result<Vec<serde_json::Value>, sourcing_webhooks::inbox::InboxStoreError> {
    let letters = ledger.store().dead_letters().await?;
    Ok(letters.iter().map(inbox_json).collect())
}

fn inbox_json(m: &sourcing_webhooks::inbox::InboxEntry) -> Value {
    let mut value = json!(m);
    value["body"] = json!(m.body_text());
    value
}

fn inbox_failed(e: impl std::fmt::Display) -> Stop {
    Stop::config(format!("callback inbox: {e}"))
}

/// An event as printed: its `detail` as JSON where it is JSON (a raw answer), else as text.
pub fn event_json(event: &Event) -> Value {
    let mut value = json!(event);
    if let Some(detail) = &event.detail
        && let Ok(parsed @ (Value::Object(_) | Value::Array(_))) =
            serde_json::from_str::<Value>(detail)
    {
        value["detail"] = parsed;
    }
    value
}

async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    let (name, sm) = m
        .subcommand()
        .ok_or_else(|| Stop::usage("ledger: which command? see --help"))?;
    let format = Format::of(sm, Format::Json);
    let printer = Printer::new(format);
    let answer = match name {
        "init" => {
            let url = store_url(m)?;
            let existed = Store::open_existing(&url).await.is_ok();
            let ledger = open(m, Access::Create).await?;
            drop(ledger);
            json!({"store": url, "created": !existed, "schema_version": sourcing_ledger::migrations::latest_version()})
        }
        "list" => return list(&open(m, Access::Read).await?, sm, format).await,
        "show" => show(&open(m, Access::Read).await?, sm).await?,
        "reconcile" => json!(reconcile(&open(m, Access::Write).await?, sm).await?),
        "inbox" => {
            let ledger = open(m, Access::Read).await?;
            let state = sm
                .get_one::<String>("state")
                .and_then(|s| InboxState::from_name(s));
            let limit = sm.get_one::<u64>("limit").copied().unwrap_or(1000);
            let messages = ledger
                .store()
                .inbox_messages(state, limit)
                .await
                .map_err(inbox_failed)?;
            Value::Array(messages.iter().map(inbox_json).collect())
        }
        "dead-letters" => {
            let ledger = open(m, Access::Read).await?;
            json!(dead_letters(&ledger).await.map_err(inbox_failed)?)
        }
        "replay" => replay(&open(m, Access::Write).await?, sm).await?,
        other => return Err(Stop::usage(format!("unknown ledger command {other}"))),
    };
    printer.answer(&answer);
    Ok(exit::OK)
}

async fn show(ledger: &Ledger, sm: &ArgMatches) -> Result<Value, Stop> {
    let lookup = if let Some(entry) = sm.get_one::<i64>("entry") {
        Lookup::Entry(*entry)
    } else if let Some(ext) = sm.get_one::<String>("external-id") {
        Lookup::ExternalId(ext.clone())
    } else {
        let id = sm.get_one::<String>("id").cloned().unwrap_or_default();
        match id.strip_prefix('#') {
            Some(n) => Lookup::Entry(
                n.parse()
                    .map_err(|_| Stop::usage(format!("`{id}`: #N takes a ledger entry number")))?,
            ),
            None => Lookup::OrderId(id),
        }
    };
    let (entry, events) = ledger.find(&lookup, provider(sm)).await.map_err(failed)?;
    let events: Vec<Value> = events.iter().map(event_json).collect();
    Ok(json!({"order": entry, "events": events}))
}

async fn replay(ledger: &Ledger, sm: &ArgMatches) -> Result<Value, Stop> {
    let id = sm.get_one::<i64>("id").copied().unwrap_or_default();
    match ledger.store().replay(id).await.map_err(inbox_failed)? {
        Replay::Replayed => Ok(json!({"id": id, "replayed": true})),
        Replay::NotDeadLetter(state) => Err(Stop::usage(format!(
            "message {id} is not a dead letter (it is {})",
            state.as_str()
        ))),
        Replay::NotFound => Err(Stop(exit::NOT_FOUND, format!("no inbox message {id}"))),
    }
}

/// `ledger list`: JSON and JSON lines are streamed as the store pages them in; other formats print one
/// document at the end.
async fn list(ledger: &Ledger, sm: &ArgMatches, format: Format) -> Result<u8, Stop> {
    let state = sm.get_one::<String>("state").map_or("all", String::as_str);
    let mut query = Query::new(
        Filter::parse(state)
            .ok_or_else(|| Stop::usage(format!("--state {state}: unknown state")))?,
    );
    query.provider = provider(sm).map(|p| p.name().to_string());
    query.since_ms = sm.get_one::<i64>("since").copied();
    query.until_ms = sm.get_one::<i64>("until").copied();
    query.limit = sm.get_one::<u64>("limit").copied();
    query.external_order_id = sm.get_one::<String>("external-id").cloned();
    query.profile = sm.get_one::<String>(PROFILE).cloned();
    let mut held = Vec::new();
    let mut out = std::io::stdout().lock();
    let mut written: std::io::Result<()> = Ok(());
    let mut first = true;
    if format == Format::Json {
        written = out.write_all(b"[");
    }
    ledger
        .for_each(&query, |entry| {
            let value = json!(entry);
            let line = match format {
                Format::Json => {
                    let sep = if first { "\n  " } else { ",\n  " };
                    format!("{sep}{value}")
                }
                Format::JsonLines => format!("{value}\n"),
                _ => {
                    held.push(value);
                    return true;
                }
            };
            first = false;
            written = out.write_all(line.as_bytes());
            written.is_ok()
        })
        .await
        .map_err(failed)?;
    if format == Format::Json && written.is_ok() {
        written = out.write_all(if first { b"]\n" } else { b"\n]\n" });
    }
    written = written.and_then(|()| out.flush());
    drop(out);
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(exit::OK);
        }
        return Err(Stop(exit::IO, format!("writing the list to stdout: {e}")));
    }
    if !matches!(format, Format::Json | Format::JsonLines) {
        Printer::new(format).answer(&Value::Array(held));
    }
    Ok(exit::OK)
}

async fn reconcile(ledger: &Ledger, m: &ArgMatches) -> Result<Vec<sourcing_ledger::Settled>, Stop> {
    let backend = Backend::from_matches(m).await?;
    let providers = match provider(m) {
        Some(p) => vec![p],
        None => sourcing_registry::flows(),
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
    let settings = ReadSettings {
        state_pointer,
        max_read_failures: m.get_one::<u32>("max-read-failures").copied().unwrap_or(5),
        in_flight: std::time::Duration::from_secs(
            m.get_one::<u64>("in-flight").copied().unwrap_or(120),
        ),
        ..ReadSettings::default()
    };
    ledger.reconcile(&buyers, &settings).await.map_err(failed)
}
