//! `sourcing mcp`: serves the `sourcing-mcp` server on stdin/stdout, against the embedded sandbox or — with
//! `--live` — the providers whose credentials [`crate::backend`] resolves.

use crate::backend::{Backend, Flag, providers};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgAction, ArgMatches, Command};
use sourcing_mcp::{Backends, Options, Server};
use std::time::Duration;

/// `sourcing mcp --help`.
const ABOUT: &str = "\
Serve the providers as Model Context Protocol tools over stdio (JSON-RPC on stdin/stdout; messages for
humans go to stderr), grouped in toolsets:
  * buy (listed by default): the purchase workflow on every provider through one set of tools with a
    provider argument: buy_capabilities, buy_search, buy_product (id or pasted link), buy_preview,
    buy_order_status; buy_prepare_order / buy_prepare_payment + buy_confirm create and pay;
  * ledger (with --store URL; then listed by default): ledger_attention (orders whose outcome is unknown,
    callback-reported states, orders needing a person) and ledger_order_history, read-only; the buy tools
    record every order step there before sending it;
  * pandapon, dajisaas, xportcn: every API operation as a tool, <provider>_<operation_id>.
list_toolsets and enable_toolset list and enable toolsets at run time (the client is told the tool list
changed); more_results returns the next page of a result cut to the response budget.

Guarded by default:
  * calls go to the embedded sandbox (test data) unless --live is given; --live calls the providers whose
    credentials are set (environment or --config, as for the other commands) and serves only those;
  * read-only tools are served; writes (create, cancel, confirm, cart and address edits) only with
    --allow-writes; tools that pay or return a payment link only with --allow-payments, in every toolset;
  * creating an order or paying through buy_* takes two steps: prepare (what will happen, amounts with
    their unit, and a one-time token that expires) and buy_confirm with that token; where the client
    supports elicitation the person is asked instead. A held-back tool is not listed; calling it anyway is
    refused with the flag that enables it.

Register with an MCP client:  {\"mcpServers\": {\"sourcing\": {\"command\": \"sourcing\", \"args\": [\"mcp\"]}}}";

/// `sourcing mcp`.
pub(crate) struct Mcp;

impl Subcommand for Mcp {
    fn commands(&self) -> Vec<Command> {
        vec![command()]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run(matches))
    }
}

/// Serves every provider, so it offers no `--base-url` (`<PREFIX>_BASE_URL` does that), and answers in
/// JSON-RPC, so no `--output`.
fn command() -> Command {
    Command::new("mcp")
        .about("Serve the providers as Model Context Protocol tools on stdin/stdout (toolsets, guarded; see --help)")
        .long_about(ABOUT)
        .arg(
            Arg::new("live")
                .long("live")
                .action(ArgAction::SetTrue)
                .conflicts_with(Flag::Sandbox.id())
                .help("Call the providers whose credentials are set (environment or --config) instead of the embedded sandbox"),
        )
        .arg(
            Arg::new("allow-writes")
                .long("allow-writes")
                .action(ArgAction::SetTrue)
                .help("Also serve the tools that change something (create, cancel, confirm, cart and address edits)"),
        )
        .arg(
            Arg::new("allow-payments")
                .long("allow-payments")
                .action(ArgAction::SetTrue)
                .help("Also serve the tools that pay or return a payment link (they move money; buy_* still asks for confirmation)"),
        )
        .arg(
            Arg::new("toolsets")
                .long("toolsets")
                .value_name("LIST")
                .help(format!(
                    "Toolsets listed at start, comma-separated: {}, or all (default: {}); the others stay reachable with enable_toolset",
                    sourcing_mcp::toolset_names().join(", "),
                    sourcing_mcp::DEFAULT_TOOLSETS.join(",")
                )),
        )
        .arg(
            Arg::new("max-result-bytes")
                .long("max-result-bytes")
                .value_name("BYTES")
                .value_parser(clap::value_parser!(u32).range(256..))
                .help(format!("Response budget: results over it are cut with a continuation (default {})", sourcing_mcp::DEFAULT_MAX_RESULT_BYTES)),
        )
        .arg(
            Arg::new("confirm-ttl")
                .long("confirm-ttl")
                .value_name("SECONDS")
                .value_parser(clap::value_parser!(u64).range(1..))
                .help("How long a confirmation token of buy_prepare_order / buy_prepare_payment is valid (default 300)"),
        )
        .arg(
            Arg::new("store")
                .long("store")
                .value_name("URL")
                .help("The order ledger (sqlite:PATH or postgres://…): serves the read-only ledger toolset (listed by default then) and records every order step of the buy_* tools"),
        )
        .args(Flag::args(&[Flag::Sandbox, Flag::Config, Flag::Profile]))
}

/// The options of `m`'s flags.
fn options(m: &ArgMatches) -> Result<Options, Stop> {
    let defaults = Options::default();
    let store = m.get_one::<String>("store").cloned();
    let toolsets = m
        .get_one::<String>("toolsets")
        .map(|list| sourcing_mcp::parse_toolsets(list, store.is_some()))
        .transpose()
        .map_err(Stop::usage)?;
    Ok(defaults
        .clone()
        .allow_writes(m.get_flag("allow-writes"))
        .allow_payments(m.get_flag("allow-payments"))
        .toolsets(toolsets)
        .confirm_ttl(
            m.get_one::<u64>("confirm-ttl")
                .map_or(defaults.confirm_ttl, |s| Duration::from_secs(*s)),
        )
        .max_result_bytes(
            m.get_one::<u32>("max-result-bytes")
                .map_or(defaults.max_result_bytes, |b| *b as usize),
        )
        .store(store))
}

/// The live providers with (complete) credentials in `config`/the environment, each with its readings and
/// profile; a provider without them is not served, and said so on stderr.
fn live(config: Option<&String>, profile: Option<&String>) -> Result<Backends, Stop> {
    let backend = Backend::live_with(config, profile, None)?;
    let mut served = Vec::new();
    for &provider in providers() {
        let endpoint = match backend.endpoint(provider) {
            Ok(endpoint) => endpoint,
            // The message names the missing key.
            Err(Stop(_, why)) => {
                eprintln!("sourcing mcp: {} not served: {why}", provider.name);
                continue;
            }
        };
        let readings = backend.readings(provider)?;
        let buyer = endpoint.buyer().map(|b| b.with_readings(readings));
        served.push(
            sourcing_mcp::Backend::new(provider, endpoint.base_url, endpoint.runtime)
                .with_buyer(buyer)
                .with_profile(backend.profile(provider).map(String::from)),
        );
    }
    Backends::live(served).map_err(|_| {
        Stop::config("--live: no provider has credentials (environment or --config); without --live the embedded sandbox is used")
    })
}

/// `sourcing mcp`: serve on stdin/stdout until the client closes stdin.
async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    let options = options(m)?;
    let backends = match m.get_flag("live") {
        true => live(
            m.get_one::<String>(Flag::Config.id()),
            m.get_one::<String>(Flag::Profile.id()),
        )?,
        false => Backends::sandbox()
            .await
            .map_err(|e| Stop::config(e.to_string()))?,
    };
    let server = Server::start(backends, options)
        .await
        .map_err(|e| Stop::config(e.to_string()))?;
    eprintln!("{}", server.banner());
    server
        .serve_stdio()
        .await
        .map_err(|e| Stop(exit::TRANSPORT, e.to_string()))?;
    Ok(exit::OK)
}
