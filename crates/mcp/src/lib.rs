//! A Model Context Protocol server over the sourcing providers: their operations and the purchase workflow as
//! tools, grouped in toolsets, guarded, with money moved only after confirmation. The `sourcing mcp` command
//! serves it on stdin/stdout; a program embeds it by building a [`Server`] from its [`Backends`] and
//! [`Options`] and serving it on stdio ([`Server::serve_stdio`]) or any byte stream ([`Server::serve_io`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), sourcing_mcp::Error> {
//! use sourcing_mcp::{Backends, Options, Server};
//!
//! // Every provider against the embedded sandbox (test data); `Backends::live` takes the providers your
//! // program resolved credentials for (`Backend::new(provider, base_url, runtime)`).
//! let backends = Backends::sandbox().await?;
//! let options = Options::default().allow_writes(true).store(Some("sqlite:orders.db".into()));
//! let server = Server::start(backends, options).await?;
//! eprintln!("{}", server.banner());
//! server.serve_stdio().await
//! # }
//! ```
//!
//! * `toolsets.rs`: `buy` (the purchase workflow, listed by default), `ledger` (`ledger.rs`, with a store) and
//!   one per provider (its raw operations, `operations.rs`), enabled at start ([`Options::toolsets`]) or at
//!   run time (`enable_toolset`, announced with `notifications/tools/list_changed`).
//! * `workflow.rs`: the `buy` tools over `sourcing-buy`, schemas from the facade's types (`answers.rs`:
//!   what they answer).
//! * `prepare.rs`, `confirm.rs`: money moves only after confirmation (a one-time token, or the person's
//!   yes).
//! * `budget.rs`: results over the response budget are cut with a continuation, never silently.
//! * `guard.rs`: [`Options::allow_writes`] and [`Options::allow_payments`], applied to every toolset.
//! * `backend.rs`: where calls go ([`Backends`]: the live providers the embedding program resolved, or the
//!   embedded sandbox).
//!
//! Modules import one way: this file → `workflow` → `prepare` → `answers` → `confirm`; `operations`,
//! `toolsets` → `ledger`; `budget`, `guard` and `backend` import none of them.
//!
//! Credentials are never part of a tool, a result or a log line.

#![deny(missing_docs)]

mod answers;
mod backend;
mod budget;
mod confirm;
mod guard;
mod ledger;
mod operations;
mod prepare;
mod toolsets;
mod workflow;

pub use backend::{Backend, Backends};
pub use budget::DEFAULT_MAX_BYTES as DEFAULT_MAX_RESULT_BYTES;
pub use confirm::{Clock, ManualClock, SystemClock};
pub use guard::{Guard, Guards};
pub use operations::{tool, tool_name};
pub use toolsets::{DEFAULT as DEFAULT_TOOLSETS, names as toolset_names, parse as parse_toolsets};

use budget::Budget;
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

/// What the server serves: the guards, the toolsets listed at start, the confirmation and response limits, and
/// the order ledger. Build it from [`Options::default`] with the setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Also serve the tools that change something (create, cancel, confirm, cart and address edits).
    pub allow_writes: bool,
    /// Also serve the tools that pay or return a payment link (`buy_*` still asks for confirmation).
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
    /// Serve the tools that write ([`Options::allow_writes`]).
    pub fn allow_writes(mut self, allow: bool) -> Self {
        self.allow_writes = allow;
        self
    }

    /// Serve the tools that pay ([`Options::allow_payments`]).
    pub fn allow_payments(mut self, allow: bool) -> Self {
        self.allow_payments = allow;
        self
    }

    /// The toolsets listed at start ([`parse_toolsets`] reads a comma-separated list).
    pub fn toolsets(mut self, toolsets: Option<BTreeSet<String>>) -> Self {
        self.toolsets = toolsets;
        self
    }

    /// How long a confirmation token is valid.
    pub fn confirm_ttl(mut self, ttl: Duration) -> Self {
        self.confirm_ttl = ttl;
        self
    }

    /// The response budget in bytes of JSON.
    pub fn max_result_bytes(mut self, bytes: usize) -> Self {
        self.max_result_bytes = bytes;
        self
    }

    /// The order ledger's store URL.
    pub fn store(mut self, url: Option<String>) -> Self {
        self.store = url;
        self
    }

    /// The guard flags as one value.
    pub fn guards(&self) -> Guards {
        Guards {
            allow_writes: self.allow_writes,
            allow_payments: self.allow_payments,
        }
    }
}

/// Why the server cannot start or stopped serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No provider to serve (live: none has credentials).
    #[error("no provider to serve: none has (complete) credentials")]
    NoProvider,
    /// The embedded sandbox did not start.
    #[error("cannot start the sandbox: {0}")]
    Sandbox(String),
    /// The order ledger's store did not open.
    #[error("--store: {0}")]
    Store(String),
    /// The `ledger` toolset is asked for without a store.
    #[error("the ledger toolset needs a store: give --store URL")]
    LedgerWithoutStore,
    /// A tool's schema does not build (a defect of this crate, not of the input).
    #[error("{0}")]
    Tools(String),
    /// The transport failed (the handshake, or the session's I/O).
    #[error("mcp: {0}")]
    Transport(String),
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
    /// The served providers (and, in sandbox mode, the sandbox they call, alive while the server runs).
    backends: Backends,
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

/// Every tool by name: discovery, workflow, ledger (with a ledger) and every operation of the endpoints.
fn catalog(
    endpoints: &[Backend],
    flows: &[&str],
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
        let tool = t.tool(flows)?;
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
    /// Serves `backends` under `options` (opening the ledger's store, if any). `Err` says why nothing can be
    /// served.
    pub async fn start(backends: Backends, options: Options) -> Result<Self, Error> {
        Self::start_with_clock(backends, options, Box::new(SystemClock::default())).await
    }

    /// As [`Server::start`], with the clock that confirmation tokens expire by.
    pub async fn start_with_clock(
        mut backends: Backends,
        options: Options,
        clock: Box<dyn Clock>,
    ) -> Result<Self, Error> {
        let ledger = match &options.store {
            Some(url) => Some(Arc::new(
                sourcing_ledger::Ledger::open(url)
                    .await
                    .map_err(|e| Error::Store(e.to_string()))?,
            )),
            None => None,
        };
        let initial = match (&options.toolsets, &ledger) {
            (Some(sets), _) => sets.clone(),
            (None, Some(_)) => [toolsets::BUY, ledger::LEDGER].map(String::from).into(),
            (None, None) => toolsets::DEFAULT.iter().map(|s| s.to_string()).collect(),
        };
        if initial.contains(ledger::LEDGER) && ledger.is_none() {
            return Err(Error::LedgerWithoutStore);
        }
        // With a ledger, the workflow records every order step in it before sending, as the profile's
        // whose account sends it.
        let journal = |b: sourcing_buy::Buyer, profile: Option<String>| match &ledger {
            Some(l) => b.with_journal(Arc::new(l.with_profile(profile))),
            None => b,
        };
        // The workflow tools' `provider` argument takes the purchase flows served here (an embedding
        // program's own among them).
        let flows: Vec<&str> = backends
            .served
            .iter()
            .filter_map(|b| Some(b.buyer.as_ref()?.flow().name()))
            .collect();
        let buyers = backends
            .served
            .iter_mut()
            .filter_map(|b| Some(journal(b.buyer.take()?, b.profile.clone())))
            .collect();
        let live = backends.is_live();
        Ok(Server {
            entries: catalog(&backends.served, &flows, ledger.as_ref(), live)
                .map_err(Error::Tools)?,
            workflow: Workflow::new(buyers),
            ledger,
            enabled: Enabled::new(initial),
            confirmations: Confirmations::new(clock, options.confirm_ttl),
            budget: Budget::new(options.max_result_bytes),
            target: if live {
                "the live provider APIs"
            } else {
                "the embedded sandbox (test data)"
            },
            backends,
            options,
        })
    }

    /// The sandbox behind the tools (sandbox mode), e.g. to seed orders in tests.
    pub fn sandbox(&self) -> Option<&sourcing_sandbox::Sandbox> {
        self.backends.sandbox.as_deref()
    }

    /// Serves the MCP session on stdin/stdout until the client closes stdin (stdout carries only the
    /// protocol: write messages for people to stderr).
    pub async fn serve_stdio(self) -> Result<(), Error> {
        self.serve_io(tokio::io::stdin(), tokio::io::stdout()).await
    }

    /// Serves the MCP session on a byte stream (a socket, a pipe, an in-memory duplex's halves) until the
    /// client closes it.
    pub async fn serve_io<R, W>(self, read: R, write: W) -> Result<(), Error>
    where
        R: tokio::io::AsyncRead + Send + Unpin + 'static,
        W: tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        let transport = |e: &dyn std::fmt::Display| Error::Transport(e.to_string());
        let service = self.serve((read, write)).await.map_err(|e| transport(&e))?;
        service.waiting().await.map_err(|e| transport(&e))?;
        Ok(())
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
            self.backends
                .served
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
            Kind::Operation(o) => {
                o.call(name, &self.backends.served[o.backend], arguments)
                    .await
            }
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
        let titles: Vec<&str> = self
            .backends
            .served
            .iter()
            .map(|b| b.provider.title)
            .collect();
        info.instructions = Some(format!(
            "Tools for {} (cross-border sourcing of 1688 and Taobao goods). The buy_* \
             tools run the purchase workflow on any provider (provider argument); creating and paying are \
             prepared, then confirmed. list_toolsets / enable_toolset reach every raw API operation. Calls go \
             to {}. Writes are {}, payments {}. Ids are strings; money states its unit (fen or yuan). A result \
             over {} bytes is cut with a continuation: call more_results.",
            titles.join(", "),
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
