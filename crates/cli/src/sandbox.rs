//! `sourcing sandbox`: run the local sandbox that speaks every provider's API until SIGTERM or Ctrl-C; and
//! `sourcing sandbox seed|ship|callback|counts`, which act on the state `--sandbox` uses.

use crate::backend::{find_provider, sandbox_state_path};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::json;
use sourcing_sandbox::{FaultRule, Sandbox, SandboxConfig, SeedOrder};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

pub struct SandboxServer;

fn provider_arg() -> Arg {
    Arg::new("provider")
        .required(true)
        .value_parser(clap::builder::PossibleValuesParser::new(
            crate::backend::providers().iter().map(|p| p.name),
        ))
        .help("The provider")
}

fn state_help() -> String {
    let path = sandbox_state_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|Stop(_, m)| m);
    format!(
        "The state `--sandbox` uses (orders, callback URLs, callbacks owed, request counts), kept between \
         commands: {path}\n(SOURCING_SANDBOX_STATE overrides it; default $XDG_DATA_HOME/sourcing/sandbox-state.json, \
         else $HOME/.local/share/sourcing/sandbox-state.json.) The seed, ship, callback and counts subcommands act \
         on it; `sourcing sandbox --state FILE` serves any state file."
    )
}

impl Subcommand for SandboxServer {
    fn commands(&self) -> Vec<Command> {
        vec![Command::new("sandbox")
            .about("Run the local sandbox that speaks every provider's API")
            .after_help(state_help())
            .args_conflicts_with_subcommands(true)
            .subcommand_negates_reqs(true)
            .arg(
                Arg::new("port")
                    .long("port")
                    .value_parser(clap::value_parser!(u16))
                    .default_value("8080")
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
            .arg(
                Arg::new("state")
                    .long("state")
                    .value_name("FILE")
                    .help("Keep orders, callbacks owed and request counts in FILE across restarts (default: in memory)"),
            )
            .arg(
                Arg::new("seed-order")
                    .long("seed-order")
                    .action(ArgAction::Append)
                    .value_name("PROVIDER:ORDER_ID[:FEN]")
                    .help("An order awaiting payment (e.g. for Xportcn, which has no create call); FEN its amount"),
            )
            .arg(
                Arg::new("callback-url")
                    .long("callback-url")
                    .action(ArgAction::Append)
                    .value_name("PROVIDER=URL")
                    .help("POST PROVIDER's documented callbacks here when an order is created, paid, cancelled or shipped"),
            )
            .arg(
                Arg::new("callback-retries")
                    .long("callback-retries")
                    .value_name("MS,MS,…")
                    .help("Waits before each retry of a refused callback, in ms (default 1000,2000,4000,8000,16000: the vendors' every 30 min, 5 times, compressed)"),
            )
            .arg(
                Arg::new("fault")
                    .long("fault")
                    .action(ArgAction::Append)
                    .value_name("OP=FAULT[:N]")
                    .help("Inject a fault: OP is an operation id or *, FAULT one of latency-<ms>, <status>, drop, truncate, malformed, business-<code>; N limits it to the next N requests"),
            )
            .arg(crate::backend::emulate_arg())
            .subcommand(
                Command::new("seed")
                    .about("Add an order awaiting payment to the `--sandbox` state; prints {provider, order_id}")
                    .arg(provider_arg())
                    .arg(Arg::new("order_id").help("The id (default: the next id of the state's series)"))
                    .arg(
                        Arg::new("amount")
                            .long("amount")
                            .value_name("FEN")
                            .value_parser(clap::value_parser!(i64).range(0..))
                            .help("The order's amount in fen (default 10000: 9500 goods + 500 freight)"),
                    ),
            )
            .subcommand(
                Command::new("ship")
                    .about("The seller's step: move a paid order of the `--sandbox` state to shipped")
                    .arg(provider_arg())
                    .arg(Arg::new("order_id").required(true)),
            )
            .subcommand(
                Command::new("callback")
                    .about("Set where the `--sandbox` state pushes PROVIDER's callbacks (--clear: stop)")
                    .arg(provider_arg())
                    .arg(
                        Arg::new("url")
                            .required_unless_present("clear")
                            .value_parser(callback_url),
                    )
                    .arg(
                        Arg::new("clear")
                            .long("clear")
                            .action(ArgAction::SetTrue)
                            .conflicts_with("url"),
                    ),
            )
            .subcommand(
                Command::new("counts")
                    .about("Requests the `--sandbox` state's sandboxes received, per provider and operation"),
            )]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(async move {
            match matches.subcommand() {
                None => serve(matches).await,
                Some((name, m)) => on_state(name, m).await,
            }
        })
    }
}

/// `PROVIDER=URL` pairs.
fn callback_urls(m: &ArgMatches) -> Result<BTreeMap<String, String>, Stop> {
    let mut urls = BTreeMap::new();
    for pair in m.get_many::<String>("callback-url").into_iter().flatten() {
        let (p, url) = pair
            .split_once('=')
            .ok_or_else(|| Stop::usage(format!("--callback-url {pair}: expected PROVIDER=URL")))?;
        let p = find_provider(p.trim())?;
        let url = callback_url(url.trim())
            .map_err(|why| Stop::usage(format!("--callback-url {pair}: {why}")))?;
        urls.insert(p.name.to_string(), url);
    }
    Ok(urls)
}

/// Where the sandbox pushes callbacks: an `http://` or `https://` URL with a host (an empty or relative one,
/// such as a receiver's address not yet read from its log, is refused here rather than failing every push).
fn callback_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(text.to_string())
        }
        _ => Err(format!(
            "`{text}` is not a callback URL: give the receiver's http://HOST:PORT/PATH \
             (`sourcing webhooks` and `sourcing serve` print theirs)"
        )),
    }
}

/// `--callback-retries 1000,2000`: the waits, in ms.
fn retries(list: &str) -> Result<Vec<Duration>, Stop> {
    list.split(',')
        .map(|ms| {
            ms.trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| {
                    Stop::usage(format!(
                        "--callback-retries {list}: expected milliseconds separated by commas"
                    ))
                })
        })
        .collect()
}

/// `PROVIDER:ORDER_ID[:FEN]`.
fn seed_orders(m: &ArgMatches) -> Result<Vec<SeedOrder>, Stop> {
    let bad = |s: &str| {
        Stop::usage(format!(
            "--seed-order {s}: expected PROVIDER:ORDER_ID[:FEN]"
        ))
    };
    m.get_many::<String>("seed-order")
        .into_iter()
        .flatten()
        .map(|s| {
            let mut parts = s.split(':');
            let (Some(p), Some(id)) = (parts.next(), parts.next()) else {
                return Err(bad(s));
            };
            let fen = parts
                .next()
                .map(|f| f.parse::<i64>().map_err(|_| bad(s)))
                .transpose()?;
            if id.is_empty() || parts.next().is_some() {
                return Err(bad(s));
            }
            Ok(SeedOrder {
                provider: find_provider(p)?.name.to_string(),
                order_id: id.to_string(),
                goods_fen: fen,
            })
        })
        .collect()
}

async fn serve(m: &ArgMatches) -> Result<u8, Stop> {
    default_logging("warn,sourcing_sandbox=info,sourcing_cli::stop=info");
    let port = m.get_one::<u16>("port").copied().unwrap_or(8080);
    let ip = m
        .get_one::<IpAddr>("bind")
        .copied()
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let faults = m
        .get_many::<String>("fault")
        .into_iter()
        .flatten()
        .map(|f| FaultRule::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Stop::usage)?;
    let config = SandboxConfig {
        addr: SocketAddr::new(ip, port),
        signing: crate::backend::emulated(m)?,
        state_file: m.get_one::<String>("state").map(PathBuf::from),
        callback_urls: callback_urls(m)?,
        seed_orders: seed_orders(m)?,
        ..SandboxConfig::default()
    };
    let config = match m.get_one::<String>("callback-retries") {
        Some(list) => SandboxConfig {
            callback_retries: retries(list)?,
            ..config
        },
        None => config,
    };
    // Bound before anything is printed: the banner names the real port (`--port 0`).
    let stop = crate::stop::on_stop();
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| Stop::config(format!("sandbox: {}: {e}", config.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Stop::config(format!("sandbox: {e}")))?;
    print!("{}", sourcing_sandbox::banner(addr));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    Sandbox::serve_on(listener, config, faults, stop)
        .await
        .map(|()| exit::OK)
        .map_err(|e| Stop::config(format!("sandbox: {e}")))
}

/// A sandbox on `state` (the `--sandbox` state when `None`), started only to act on the state.
async fn open(state: Option<PathBuf>) -> Result<Sandbox, Stop> {
    let state_file = match state {
        Some(p) => p,
        None => sandbox_state_path()?,
    };
    Sandbox::start_with(SandboxConfig {
        state_file: Some(state_file),
        ..SandboxConfig::default()
    })
    .await
    .map_err(|e| Stop::config(format!("cannot open the sandbox state: {e}")))
}

/// `seed`, `ship`, `callback`, `counts` on the `--sandbox` state.
async fn on_state(name: &str, m: &ArgMatches) -> Result<u8, Stop> {
    let sandbox = open(None).await?;
    let provider = m
        .try_get_one::<String>("provider")
        .ok()
        .flatten()
        .map(|p| find_provider(p))
        .transpose()?;
    let provider_name = provider.map(|p| p.name).unwrap_or_default();
    let state_error = |e: std::io::Error| Stop::config(format!("sandbox state: {e}"));
    let out = match name {
        "seed" => {
            let id = sandbox
                .seed_order_for(
                    provider_name,
                    m.get_one::<String>("order_id").map(String::as_str),
                    m.get_one::<i64>("amount").copied(),
                )
                .map_err(state_error)?;
            json!({"provider": provider_name, "order_id": id})
        }
        "ship" => {
            let id = m.get_one::<String>("order_id").cloned().unwrap_or_default();
            sandbox
                .ship_order(provider_name, &id)
                .map_err(|why| Stop(exit::BUSINESS, why))?;
            json!({"provider": provider_name, "order_id": id, "state": "shipped"})
        }
        "callback" => {
            let url = m.get_one::<String>("url").map(String::as_str);
            sandbox
                .set_callback_url(provider_name, url)
                .map_err(state_error)?;
            json!({"provider": provider_name, "callback_url": url})
        }
        _ => json!(sandbox.counts()),
    };
    sandbox.settle(Duration::from_secs(5)).await;
    println!("{out}");
    Ok(exit::OK)
}

/// Without `-v` or `RUST_LOG` (which install their own subscriber first), the servers still log at this
/// default (`target=level,...`): refused callbacks, deliveries.
pub(crate) fn default_logging(targets: &str) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let Ok(filter) = targets.parse::<tracing_subscriber::filter::Targets>() else {
        return;
    };
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .try_init();
}
