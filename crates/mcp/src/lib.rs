//! `sourcing mcp`: the providers as Model Context Protocol tools on stdin/stdout, grouped in toolsets.
//!
//! * `toolsets.rs`: `buy` (the purchase workflow, listed by default), `ledger` (`ledger.rs`, with a store) and
//!   one per provider (its raw operations, `operations.rs`), enabled at start (`--toolsets`) or at run time
//!   (`enable_toolset`, announced with `notifications/tools/list_changed`).
//! * `workflow.rs`: the `buy` tools over `sourcing-buy`, schemas from the facade's types (`answers.rs`:
//!   what they answer).
//! * `prepare.rs`, `confirm.rs`: money moves only after confirmation (a one-time token, or the person's
//!   yes).
//! * `budget.rs`: results over the response budget are cut with a continuation, never silently.
//! * `guard.rs`: `--allow-writes` and `--allow-payments`, applied to every toolset.
//!
//! Modules import one way: this file → `workflow` → `prepare` → `answers` → `confirm`; `operations`,
//! `toolsets` → `ledger`; `budget` and `guard` import none of them.
//!
//! Calls go to the embedded sandbox unless `--live` is given ([`crate::backend`]). Credentials are never part of
//! a tool, a result or a log line; stdout carries only the protocol, the banner goes to stderr.

mod answers;
mod budget;
mod confirm;
mod guard;
mod ledger;
mod operations;
mod prepare;
mod toolsets;
mod workflow;

pub use confirm::{Clock, ManualClock, SystemClock};
pub use guard::{Guard, Guards};
pub use operations::{tool, tool_name};

use crate::backend::{Backend, Endpoint, Flag, providers};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use budget::Budget;
use clap::{Arg, ArgAction, ArgMatches, Command};
use confirm::Confirmations;
use ledger::LedgerTool;
use operations::OperationTool;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, Peer, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use toolsets::Enabled;
use workflow::{Workflow, WorkflowTool};

/// `sourcing mcp --help`.
pub const ABOUT: &str = "\
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

/// What the server serves and where it sends calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Call the live providers (those with credentials) instead of the embedded sandbox.
    pub live: bool,
    pub allow_writes: bool,
    pub allow_payments: bool,
    /// The toolsets listed at start (`None`: `buy`, and `ledger` with a store).
    pub toolsets: Option<BTreeSet<String>>,
    /// How long a confirmation token is valid.
    pub confirm_ttl: Duration,
    /// The response budget in bytes of JSON.
    pub max_result_bytes: usize,
    /// The order ledger's store (`sqlite:PATH`, `postgres://…`): serves the `ledger` toolset, and the
    /// workflow records its order steps there.
    pub store: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            live: false,
            allow_writes: false,
            allow_payments: false,
            toolsets: None,
            confirm_ttl: Duration::from_secs(300),
            max_result_bytes: budget::DEFAULT_MAX_BYTES,
            store: None,
        }
    }
}

impl Options {
    pub fn guards(&self) -> Guards {
        Guards {
            allow_writes: self.allow_writes,
            allow_payments: self.allow_payments,
        }
    }
}

/// The discovery tools, in no toolset (always listed).
#[derive(Clone, Copy)]
enum Discovery {
    List,
    Enable,
    More,
}

enum Kind {
    Discovery(Discovery),
    Workflow(WorkflowTool, jsonschema::Validator),
    Ledger(LedgerTool, Arc<sourcing_ledger::Ledger>),
    Operation(OperationTool),
}

struct Entry {
    tool: Tool,
    /// `""` for the discovery tools.
    toolset: &'static str,
    kind: Kind,
}

impl Entry {
    fn allowed(&self, guards: Guards) -> bool {
        match &self.kind {
            Kind::Discovery(_) | Kind::Ledger(..) => true,
            Kind::Workflow(t, _) => t.allowed(guards),
            Kind::Operation(o) => guards.allows(o.guard),
        }
    }

    fn guard(&self) -> Guard {
        match &self.kind {
            Kind::Discovery(_) | Kind::Ledger(..) => Guard::Read,
            Kind::Workflow(t, _) => t.guard(),
            Kind::Operation(o) => o.guard,
        }
    }
}

/// The MCP server: an [`rmcp::ServerHandler`] over the toolsets.
pub struct Server {
    options: Options,
    /// Keeps the embedded sandbox alive while the server runs (sandbox mode).
    backend: Backend,
    /// The served providers' endpoints.
    endpoints: Vec<Endpoint>,
    /// What calls go to, for humans.
    target: &'static str,
    /// Every tool by name, unlisted ones included (to refuse them by name).
    entries: BTreeMap<String, Entry>,
    enabled: Enabled,
    workflow: Workflow,
    confirmations: Confirmations,
    budget: Budget,
    /// With `--store`: the order ledger (the `ledger` toolset; the workflow's journal).
    ledger: Option<Arc<sourcing_ledger::Ledger>>,
}

fn discovery_tools() -> Result<Vec<(Tool, Discovery)>, String> {
    let read_only = || {
        ToolAnnotations::new()
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false)
    };
    let names = toolsets::names().join(", ");
    Ok(vec![
        (
            Tool::new(
                toolsets::LIST,
                format!("The toolsets ({names}): what each holds, whether it is enabled, how many of its tools the guard flags serve. Enable one with enable_toolset."),
                Arc::new(serde_json::from_value(json!({"type": "object", "properties": {}})).unwrap_or_default()),
            )
            .with_annotations(read_only()),
            Discovery::List,
        ),
        (
            Tool::new(
                toolsets::ENABLE,
                format!("Enables a toolset ({names}) for this session: its tools are listed from now on (the tool list changes). The guard flags still apply."),
                rmcp::handler::server::tool::schema_for_input::<toolsets::EnableArgs>()?,
            )
            .with_annotations(read_only().idempotent(true)),
            Discovery::Enable,
        ),
        (
            Tool::new(
                budget::MORE,
                "The next page of a result that was cut to the response budget (its `continuation.cursor`).",
                rmcp::handler::server::tool::schema_for_input::<budget::MoreArgs>()?,
            )
            .with_annotations(read_only()),
            Discovery::More,
        ),
    ])
}

/// The sandbox or the live providers, and the endpoints of the providers served (live: those with
/// credentials).
async fn serve(live: bool, config: Option<&String>) -> Result<(Backend, Vec<Endpoint>), String> {
    let backend = if live {
        Backend::live(config, None)
    } else {
        Backend::sandbox().await
    }
    .map_err(|Stop(_, m)| m)?;
    let mut endpoints = Vec::new();
    for &provider in providers() {
        match backend.endpoint(provider) {
            Ok(endpoint) => endpoints.push(endpoint),
            // Live, a provider without (complete) credentials is not served; the message names the missing key.
            Err(Stop(_, why)) if live => {
                eprintln!("sourcing mcp: {} not served: {why}", provider.name);
            }
            Err(Stop(_, why)) => return Err(why),
        }
    }
    if endpoints.is_empty() {
        return Err("--live: no provider has credentials (environment or --config); without --live the embedded sandbox is used".into());
    }
    Ok((backend, endpoints))
}

/// Every tool by name: discovery, workflow, ledger (with a ledger) and every operation of the endpoints.
fn catalog(
    endpoints: &[Endpoint],
    ledger: Option<&Arc<sourcing_ledger::Ledger>>,
    live: bool,
) -> Result<BTreeMap<String, Entry>, String> {
    let mut entries = BTreeMap::new();
    let mut add = |tool: Tool, toolset: &'static str, kind: Kind| {
        entries.insert(
            tool.name.to_string(),
            Entry {
                tool,
                toolset,
                kind,
            },
        );
    };
    for (tool, d) in discovery_tools()? {
        add(tool, "", Kind::Discovery(d));
    }
    for t in WorkflowTool::ALL {
        let tool = t.tool()?;
        let schema = Value::Object((*tool.input_schema).clone());
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("{}: invalid input schema: {e}", t.name()))?;
        add(tool, toolsets::BUY, Kind::Workflow(t, validator));
    }
    for t in LedgerTool::ALL {
        if let Some(ledger) = ledger {
            add(t.tool()?, ledger::LEDGER, Kind::Ledger(t, ledger.clone()));
        }
    }
    for o in operations::build(endpoints, live)? {
        add(
            o.tool.clone(),
            endpoints[o.backend].provider.name,
            Kind::Operation(o),
        );
    }
    Ok(entries)
}

impl Server {
    /// Against the embedded sandbox (started in-process), or — with `options.live` — against every provider
    /// whose credentials `config`/the environment hold. `Err` says why nothing can be served.
    pub async fn start(options: Options, config: Option<&String>) -> Result<Self, String> {
        Self::start_with_clock(options, config, Box::new(SystemClock::default())).await
    }

    /// As [`Server::start`], with the clock that confirmation tokens expire by.
    pub async fn start_with_clock(
        options: Options,
        config: Option<&String>,
        clock: Box<dyn Clock>,
    ) -> Result<Self, String> {
        let (backend, endpoints) = serve(options.live, config).await?;
        let ledger = match &options.store {
            Some(url) => Some(Arc::new(
                sourcing_ledger::Ledger::open(url)
                    .await
                    .map_err(|e| format!("--store: {e}"))?,
            )),
            None => None,
        };
        let initial = match (&options.toolsets, &ledger) {
            (Some(sets), _) => sets.clone(),
            (None, Some(_)) => [toolsets::BUY, ledger::LEDGER].map(String::from).into(),
            (None, None) => toolsets::DEFAULT.iter().map(|s| s.to_string()).collect(),
        };
        if initial.contains(ledger::LEDGER) && ledger.is_none() {
            return Err("the ledger toolset needs a store: give --store URL".into());
        }
        // With a ledger, the workflow records every order step in it before sending, as the profile's
        // whose account sends it.
        let journal = |b: sourcing_buy::Buyer, profile: Option<&str>| match &ledger {
            Some(l) => b.with_journal(Arc::new(l.with_profile(profile.map(String::from)))),
            None => b,
        };
        // Each buyer reads answers at the `<PREFIX>_<KEY>` readings of the environment/--config.
        let mut buyers = Vec::new();
        for (endpoint, buyer) in endpoints.iter().filter_map(|e| Some((e, e.buyer()?))) {
            let readings = backend.readings(endpoint.provider).map_err(|stop| stop.1)?;
            let profile = backend.profile(endpoint.provider);
            buyers.push(journal(buyer.with_readings(readings), profile));
        }
        Ok(Server {
            entries: catalog(&endpoints, ledger.as_ref(), options.live)?,
            workflow: Workflow::new(buyers),
            ledger,
            enabled: Enabled::new(initial),
            confirmations: Confirmations::new(clock, options.confirm_ttl),
            budget: Budget::new(options.max_result_bytes),
            target: if options.live {
                "the live provider APIs"
            } else {
                "the embedded sandbox (test data)"
            },
            backend,
            endpoints,
            options,
        })
    }

    /// The sandbox behind the tools (sandbox mode), e.g. to seed orders in tests.
    pub fn sandbox(&self) -> Option<&sourcing_sandbox::Sandbox> {
        self.backend.embedded_sandbox()
    }

    fn listed(&self, e: &Entry) -> bool {
        self.enabled.contains(e.toolset) && e.allowed(self.options.guards())
    }

    /// The tools listed now (enabled toolsets, under the guards), in name order.
    pub fn tools(&self) -> Vec<Tool> {
        self.entries
            .values()
            .filter(|e| self.listed(e))
            .map(|e| e.tool.clone())
            .collect()
    }

    /// Every tool the guards allow, whatever toolsets are enabled.
    pub fn reachable_tools(&self) -> Vec<Tool> {
        let guards = self.options.guards();
        self.entries
            .values()
            .filter(|e| e.allowed(guards))
            .map(|e| e.tool.clone())
            .collect()
    }

    /// One line for stderr: what is listed, against what, what else is reachable and what is held back.
    pub fn banner(&self) -> String {
        let guards = self.options.guards();
        let held = |g: Guard| {
            let n = self
                .entries
                .values()
                .filter(|e| !e.allowed(guards) && e.guard() == g)
                .count();
            if guards.allows(g) {
                "served".to_string()
            } else {
                format!("{n} held back, {}", g.flag())
            }
        };
        format!(
            "sourcing mcp: {} tools listed (toolsets {}) of {} reachable with enable_toolset, against {} ({}); writes {}, payments {}",
            self.tools().len(),
            self.enabled
                .names()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", "),
            self.reachable_tools().len(),
            self.target,
            self.endpoints
                .iter()
                .map(|b| b.base_url.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            held(Guard::Write),
            held(Guard::Payment),
        )
    }

    /// Run one tool call. `Err` only for an unknown tool (a protocol error); everything else — tools of a
    /// toolset not enabled, held-back tools, invalid arguments, refusals, business and transport errors —
    /// is a tool result. `peer` is the client, for notifications and elicitation.
    pub async fn call(
        &self,
        name: &str,
        arguments: Option<Map<String, Value>>,
        peer: Option<&Peer<RoleServer>>,
    ) -> Result<CallToolResult, McpError> {
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| McpError::invalid_params(format!("unknown tool {name:?}"), None))?;
        if !self.enabled.contains(entry.toolset) {
            return Ok(CallToolResult::structured_error(json!({
                "error": "toolset_not_enabled",
                "message": format!("{name} is in the toolset {:?}, which is not enabled: call {} with {{\"toolset\": {:?}}} first", entry.toolset, toolsets::ENABLE, entry.toolset),
                "sent": false,
            })));
        }
        let guards = self.options.guards();
        if !entry.allowed(guards) {
            return Ok(CallToolResult::structured_error(
                guards.refusal(name, entry.guard()),
            ));
        }
        let arguments = arguments.unwrap_or_default();
        let result = match &entry.kind {
            Kind::Discovery(Discovery::More) => {
                return Ok(
                    match serde_json::from_value::<budget::MoreArgs>(Value::Object(arguments)) {
                        Ok(a) => self.budget.more(&a.cursor),
                        Err(e) => invalid_arguments(name, e),
                    },
                );
            }
            Kind::Discovery(Discovery::List) => self.list_toolsets(),
            Kind::Discovery(Discovery::Enable) => {
                match serde_json::from_value::<toolsets::EnableArgs>(Value::Object(arguments)) {
                    Ok(a) => self.enable_toolset(&a.toolset, peer).await,
                    Err(e) => invalid_arguments(name, e),
                }
            }
            Kind::Workflow(tool, validator) => {
                let cx = prepare::Context {
                    guards,
                    confirmations: &self.confirmations,
                    peer,
                };
                self.workflow.call(*tool, validator, arguments, &cx).await
            }
            Kind::Ledger(t, ledger) => t.call(ledger, arguments).await,
            Kind::Operation(o) => o.call(name, &self.endpoints[o.backend], arguments).await,
        };
        Ok(self.budget.fit(result))
    }

    fn list_toolsets(&self) -> CallToolResult {
        let guards = self.options.guards();
        let sets: Vec<Value> = toolsets::names()
            .into_iter()
            .map(|set| {
                let (served, held): (Vec<&Entry>, Vec<&Entry>) = self
                    .entries
                    .values()
                    .filter(|e| e.toolset == set)
                    .partition(|e| e.allowed(guards));
                json!({
                    "name": set,
                    "description": toolsets::description(set),
                    "enabled": self.enabled.contains(set),
                    "available": set != ledger::LEDGER || self.ledger.is_some(),
                    "tools": served.len(),
                    "heldBack": held.len(),
                    "heldBackNote": (!held.is_empty()).then_some("tools that write or pay, served only with --allow-writes / --allow-payments"),
                })
            })
            .collect();
        CallToolResult::structured(json!({ "toolsets": sets }))
    }

    async fn enable_toolset(
        &self,
        requested: &str,
        peer: Option<&Peer<RoleServer>>,
    ) -> CallToolResult {
        let Some(set) = toolsets::names().into_iter().find(|n| *n == requested) else {
            return CallToolResult::structured_error(json!({
                "error": "invalid_arguments",
                "message": format!("enable_toolset: unknown toolset {requested:?}; valid: {}", toolsets::names().join(", ")),
            }));
        };
        if set == ledger::LEDGER && self.ledger.is_none() {
            return CallToolResult::structured_error(json!({
                "error": "unavailable",
                "message": "the ledger toolset needs a store: restart `sourcing mcp` with --store URL (e.g. sqlite:orders.db)",
            }));
        }
        let newly = self.enabled.enable(set);
        if newly && let Some(peer) = peer {
            // The client re-lists; a client that has gone away needs no notice.
            let _ = peer.notify_tool_list_changed().await;
        }
        let tools: Vec<&str> = self
            .entries
            .iter()
            .filter(|(_, e)| e.toolset == set && self.listed(e))
            .map(|(n, _)| n.as_str())
            .collect();
        CallToolResult::structured(json!({
            "toolset": set,
            "newlyEnabled": newly,
            "tools": tools,
        }))
    }
}

fn invalid_arguments(name: &str, e: serde_json::Error) -> CallToolResult {
    CallToolResult::structured_error(json!({
        "error": "invalid_arguments",
        "message": format!("{name}: {e} (nothing was sent)"),
    }))
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        );
        info.server_info = Implementation::new("sourcing", env!("CARGO_PKG_VERSION"));
        let state = |allowed: bool| if allowed { "allowed" } else { "held back" };
        info.instructions = Some(format!(
            "Tools for PandaPon, Dajisaas and Xportcn (cross-border sourcing of 1688 and Taobao goods). The buy_* \
             tools run the purchase workflow on any provider (provider argument); creating and paying are \
             prepared, then confirmed. list_toolsets / enable_toolset reach every raw API operation. Calls go \
             to {}. Writes are {}, payments {}. Ids are strings; money states its unit (fen or yuan). A result \
             over {} bytes is cut with a continuation: call more_results.",
            self.target,
            state(self.options.allow_writes),
            state(self.options.allow_payments),
            self.budget.max_bytes(),
        ));
        info
    }

    /// Enabled toolsets and elicitation belong to a session: the versions with an `initialize` handshake.
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(
            &ProtocolVersion::LATEST_WITH_INITIALIZE,
        ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.entries
            .get(name)
            .filter(|e| self.listed(e))
            .map(|e| e.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.call(&request.name, request.arguments, Some(&context.peer))
            .await
            .map(Into::into)
    }
}

/// `sourcing mcp`.
pub struct Mcp;

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
                    toolsets::names().join(", "),
                    toolsets::DEFAULT.join(",")
                )),
        )
        .arg(
            Arg::new("max-result-bytes")
                .long("max-result-bytes")
                .value_name("BYTES")
                .value_parser(clap::value_parser!(u32).range(256..))
                .help(format!("Response budget: results over it are cut with a continuation (default {})", budget::DEFAULT_MAX_BYTES)),
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
        .args(Flag::args(&[Flag::Sandbox, Flag::Config]))
}

/// `sourcing mcp`: serve on stdin/stdout until the client closes stdin.
async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    let defaults = Options::default();
    let options = Options {
        live: m.get_flag("live"),
        allow_writes: m.get_flag("allow-writes"),
        allow_payments: m.get_flag("allow-payments"),
        toolsets: m
            .get_one::<String>("toolsets")
            .map(|list| toolsets::parse(list, m.get_one::<String>("store").is_some()))
            .transpose()
            .map_err(Stop::usage)?,
        confirm_ttl: m
            .get_one::<u64>("confirm-ttl")
            .map_or(defaults.confirm_ttl, |s| Duration::from_secs(*s)),
        max_result_bytes: m
            .get_one::<u32>("max-result-bytes")
            .map_or(defaults.max_result_bytes, |b| *b as usize),
        store: m.get_one::<String>("store").cloned(),
    };
    let server = Server::start(options, m.get_one::<String>(Flag::Config.id()))
        .await
        .map_err(Stop::config)?;
    eprintln!("{}", server.banner());
    let service = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| Stop(exit::TRANSPORT, format!("mcp: {e}")))?;
    service
        .waiting()
        .await
        .map_err(|e| Stop(exit::TRANSPORT, format!("mcp: {e}")))?;
    Ok(exit::OK)
}
