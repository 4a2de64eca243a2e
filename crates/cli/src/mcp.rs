//! `sourcing mcp`: every operation of every provider as a Model Context Protocol tool, on stdin/stdout.
//!
//! One tool per operation, named `<provider>_<operation_id>` (`pandapon_order_detail`), described by the
//! operation's summary and route, with the operation's input JSON Schema from the operation table
//! ([`Operation::input_schema`], produced at codegen time from the spec's parameters and request body). A call
//! validates the arguments against that schema (an invalid one is a tool error naming the field), splits them
//! into query parameters and body fields, and calls through the runtime's untyped path — the one the CLI uses,
//! so the documented limits are checked before signing and only idempotent operations are retried. The result
//! is the envelope's `data`; business errors, refusals and partial batch failures are tool errors naming the
//! code, message and request id.
//!
//! **Guarded by default** (see [`Guard`]): the server calls the embedded sandbox unless `--live` is given
//! with credentials; read-only operations are served, writes only with `--allow-writes`, operations that move
//! money only with `--allow-payments`. Credentials are never part of a tool, a result or a log line; stdout
//! carries only the protocol, the banner goes to stderr.

use crate::call::{Stop, runtime_for, sandbox_settings, settings};
use crate::exit;
use clap::ArgMatches;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Map, Value, json};
use sourcing_runtime::operation::{Operation, ParamLocation, Provider};
use sourcing_runtime::{Error, Runtime};
use sourcing_sandbox::Sandbox;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `sourcing mcp --help`.
pub const ABOUT: &str = "\
Serve every operation of every provider as a Model Context Protocol tool over stdio (JSON-RPC on
stdin/stdout; messages for humans go to stderr). Tools are named <provider>_<operation_id>, e.g.
pandapon_goods_keyword_search; their input schema is the operation's parameters and body fields.

Guarded by default:
  * calls go to the embedded sandbox (test data) unless --live is given; --live calls the providers whose
    credentials are set (environment or --config, as for the other commands) and serves only those;
  * read-only operations are served; writes (create, cancel, confirm, cart and address edits) only with
    --allow-writes; operations that pay or return a payment link only with --allow-payments.
A held-back tool is not listed; calling it anyway is refused with the flag that enables it.

Register with an MCP client:  {\"mcpServers\": {\"sourcing\": {\"command\": \"sourcing\", \"args\": [\"mcp\"]}}}";

/// How much an operation can do, and so which flag exposes it as a tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Guard {
    /// `idempotent: true` and moves no money: served by default.
    Read,
    /// Changes something (creates, cancels, confirms, edits): `--allow-writes`.
    Write,
    /// Pays or returns a payment link ([`Operation::moves_money`]): `--allow-payments`.
    Payment,
}

impl Guard {
    pub fn of(op: &Operation) -> Self {
        if op.moves_money() {
            Guard::Payment
        } else if op.idempotent {
            Guard::Read
        } else {
            Guard::Write
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Guard::Read => "",
            Guard::Write => "--allow-writes",
            Guard::Payment => "--allow-payments",
        }
    }
}

/// What the server serves and where it sends calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Call the live providers (those with credentials) instead of the embedded sandbox.
    pub live: bool,
    pub allow_writes: bool,
    pub allow_payments: bool,
}

impl Options {
    pub fn allows(&self, guard: Guard) -> bool {
        match guard {
            Guard::Read => true,
            Guard::Write => self.allow_writes,
            Guard::Payment => self.allow_payments,
        }
    }
}

/// Where one provider's calls go.
struct Backend {
    provider: &'static Provider,
    base_url: String,
    runtime: Runtime,
    http: reqwest::Client,
}

struct Entry {
    op: &'static Operation,
    guard: Guard,
    tool: Tool,
    validator: jsonschema::Validator,
    backend: usize,
}

/// The MCP server: an [`rmcp::ServerHandler`] over the operation tables.
pub struct Server {
    options: Options,
    target: &'static str,
    /// Every operation of every served provider by tool name, held-back ones included (to refuse them by name).
    entries: BTreeMap<String, Entry>,
    backends: Vec<Backend>,
    /// Kept alive while the server runs (sandbox mode).
    _sandbox: Option<Sandbox>,
}

/// The tool name of an operation: `<provider>_<operation_id>`.
pub fn tool_name(provider: &Provider, op: &Operation) -> String {
    format!("{}_{}", provider.name, op.id)
}

impl Server {
    /// Against the embedded sandbox (started in-process), or — with `options.live` — against every provider
    /// whose credentials `config`/the environment hold. `Err` says why nothing can be served.
    pub async fn start(options: Options, config: Option<&String>) -> Result<Self, String> {
        let mut backends = Vec::new();
        let mut sandbox = None;
        if options.live {
            let settings = settings(config).map_err(|Stop(_, m)| m)?;
            for &provider in sourcing_registry::providers() {
                // A provider without (complete) credentials is not served; the message names the missing key.
                let runtime = match runtime_for(provider, &settings, false) {
                    Ok(r) => r,
                    Err(Stop(_, why)) => {
                        eprintln!("sourcing mcp: {} not served: {why}", provider.name);
                        continue;
                    }
                };
                let base_url = settings
                    .get(&format!("{}_BASE_URL", provider.env_prefix))
                    .cloned()
                    .unwrap_or_else(|| provider.production_base_url.to_string());
                backends.push(Backend {
                    provider,
                    base_url,
                    http: runtime.http_client(),
                    runtime,
                });
            }
            if backends.is_empty() {
                return Err("--live: no provider has credentials (environment or --config); without --live the embedded sandbox is used".into());
            }
        } else {
            let started = Sandbox::start()
                .await
                .map_err(|e| format!("cannot start the sandbox: {e}"))?;
            for &provider in sourcing_registry::providers() {
                let runtime = runtime_for(provider, &sandbox_settings(provider), true)
                    .map_err(|Stop(_, m)| m)?;
                backends.push(Backend {
                    provider,
                    base_url: started.base_url(provider.name),
                    http: runtime.http_client(),
                    runtime,
                });
            }
            sandbox = Some(started);
        }
        let target = if options.live {
            "the live provider APIs"
        } else {
            "the embedded sandbox (test data)"
        };
        let mut entries = BTreeMap::new();
        for (i, backend) in backends.iter().enumerate() {
            for &op in backend.provider.operations {
                let schema = op
                    .input_schema_json()
                    .map_err(|e| format!("{}: input schema is not JSON: {e}", op.id))?;
                let validator = jsonschema::validator_for(&schema)
                    .map_err(|e| format!("{}: invalid input schema: {e}", op.id))?;
                let Value::Object(schema) = schema else {
                    return Err(format!("{}: the input schema is not an object", op.id));
                };
                let guard = Guard::of(op);
                let name = tool_name(backend.provider, op);
                let tool = tool(&name, backend.provider, op, guard, schema, options.live);
                entries.insert(
                    name,
                    Entry {
                        op,
                        guard,
                        tool,
                        validator,
                        backend: i,
                    },
                );
            }
        }
        Ok(Server {
            options,
            target,
            entries,
            backends,
            _sandbox: sandbox,
        })
    }

    /// The tools served under the current guards, in name order.
    pub fn tools(&self) -> Vec<Tool> {
        self.entries
            .values()
            .filter(|e| self.options.allows(e.guard))
            .map(|e| e.tool.clone())
            .collect()
    }

    /// One line for stderr: what is served, against what, and what is held back.
    pub fn banner(&self) -> String {
        let count = |g: Guard| self.entries.values().filter(|e| e.guard == g).count();
        let state = |g: Guard| {
            if self.options.allows(g) {
                "served".to_string()
            } else {
                format!("held back, {}", g.flag())
            }
        };
        format!(
            "sourcing mcp: {} tools against {} ({}: {}); read-only {}, writes {} ({}), payments {} ({})",
            self.tools().len(),
            self.target,
            self.backends
                .iter()
                .map(|b| b.provider.name)
                .collect::<Vec<_>>()
                .join(", "),
            self.backends
                .iter()
                .map(|b| b.base_url.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            count(Guard::Read),
            count(Guard::Write),
            state(Guard::Write),
            count(Guard::Payment),
            state(Guard::Payment),
        )
    }

    /// Run one tool call. `Err` only for an unknown tool (a protocol error); everything else — held-back
    /// tools, invalid arguments, refusals, business and transport errors — is a tool result.
    pub async fn call(
        &self,
        name: &str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<CallToolResult, McpError> {
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| McpError::invalid_params(format!("unknown tool {name:?}"), None))?;
        if !self.options.allows(entry.guard) {
            let what = match entry.guard {
                Guard::Payment => "moves money (pays or returns a payment link)",
                _ => "changes data at the provider",
            };
            return Ok(CallToolResult::structured_error(json!({
                "error": "refused",
                "message": format!(
                    "{name} {what}: this server does not serve it; restart `sourcing mcp` with {} to allow it",
                    entry.guard.flag()
                ),
                "code": null,
                "requestId": null,
            })));
        }
        let arguments = Value::Object(arguments.unwrap_or_default());
        let problems: Vec<Value> = entry
            .validator
            .iter_errors(&arguments)
            .map(|e| {
                let path = e.instance_path().to_string();
                json!({
                    "field": field_of(&path, &e.to_string()),
                    "message": e.to_string(),
                })
            })
            .collect();
        if !problems.is_empty() {
            let summary = problems
                .iter()
                .map(|p| {
                    format!(
                        "{}: {}",
                        p["field"].as_str().unwrap_or(""),
                        p["message"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Ok(CallToolResult::structured_error(json!({
                "error": "invalid_arguments",
                "message": format!("{name}: invalid arguments (nothing was sent): {summary}"),
                "fields": problems,
                "code": null,
                "requestId": null,
            })));
        }
        let Value::Object(arguments) = arguments else {
            return Err(McpError::internal_error("arguments are an object", None));
        };
        let (query, body) = match split_arguments(entry.op, &arguments) {
            Ok(split) => split,
            Err(message) => {
                return Ok(CallToolResult::structured_error(json!({
                    "error": "invalid_arguments",
                    "message": format!("{name}: {message}"),
                    "code": null,
                    "requestId": null,
                })));
            }
        };
        let backend = &self.backends[entry.backend];
        let query_refs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let result = backend
            .runtime
            .call_operation(
                &backend.http,
                &backend.base_url,
                backend.provider,
                entry.op,
                &query_refs,
                body.as_ref(),
            )
            .await;
        Ok(if entry.guard == Guard::Payment {
            payment_result(entry.op, &arguments, result)
        } else {
            match result {
                Ok(data) => success(data),
                Err(e) => error_result(&e),
            }
        })
    }
}

/// The field a validation error is about: the instance path (`/orderId` → `orderId`), or for an error at
/// the root (a missing required property, an unexpected one) the property the message quotes.
fn field_of(path: &str, message: &str) -> String {
    let path = path.trim_start_matches('/');
    if !path.is_empty() {
        return path.replace('/', ".");
    }
    message
        .split(['"', '\''])
        .nth(1)
        .unwrap_or("(arguments)")
        .to_string()
}

type Split = (Vec<(&'static str, String)>, Option<Value>);

/// Validated arguments (named as in [`Operation::input_schema`]: a body field named like a query parameter
/// is `body_<name>`) → query pairs and the JSON body (an empty object when the operation has a body and
/// no body argument was given, as the CLI does). Properties the schema lets through beyond the documented ones
/// (open bodies) go into the body.
fn split_arguments(
    op: &'static Operation,
    arguments: &Map<String, Value>,
) -> Result<Split, String> {
    let mut query = Vec::new();
    let mut body = Map::new();
    for (key, value) in arguments {
        match op.params.iter().find(|p| op.input_name(p) == key.as_str()) {
            Some(p) if p.location == ParamLocation::Query => match value {
                Value::Null => {}
                Value::String(s) => query.push((p.name, s.clone())),
                other => query.push((p.name, other.to_string())),
            },
            Some(p) => {
                body.insert(p.name.to_string(), value.clone());
            }
            None if op.has_body => {
                body.insert(key.clone(), value.clone());
            }
            None => return Err(format!("unknown argument {key:?}")),
        }
    }
    Ok((query, op.has_body.then_some(Value::Object(body))))
}

/// `data` as the tool's result: structured when it is an object (MCP structured content is an object), and
/// always as JSON text.
fn success(data: Value) -> CallToolResult {
    if data.is_object() {
        CallToolResult::structured(data)
    } else {
        CallToolResult::success(vec![ContentBlock::text(data.to_string())])
    }
}

/// A failed call as a tool error naming what the caller needs: kind, code, message, request id.
fn error_result(e: &Error) -> CallToolResult {
    CallToolResult::structured_error(error_json(e))
}

fn error_json(e: &Error) -> Value {
    let mut out = match e.api() {
        Some(api) => json!({
            "error": "business",
            "code": api.code,
            "message": e.to_string(),
            "providerMessage": api.message,
            "requestId": api.request_id,
            "upstream": api.upstream.as_ref().map(|u| json!({"code": u.code, "message": u.message})),
        }),
        None => {
            let kind = match e {
                Error::InvalidRequest { .. } => "refused",
                Error::Signing { .. } => "signing",
                Error::HttpStatus { .. } => "http",
                Error::Decode { .. } => "undecodable",
                Error::ResponseTooLarge { .. } => "too_large",
                _ => "transport",
            };
            json!({"error": kind, "code": null, "message": e.to_string(), "requestId": null})
        }
    };
    if let (Error::HttpStatus { status, .. }, Value::Object(m)) = (e, &mut out) {
        m.insert("httpStatus".into(), (*status).into());
    }
    if matches!(e, Error::InvalidRequest { .. } | Error::Signing { .. })
        && let Value::Object(m) = &mut out
    {
        m.insert("sent".into(), false.into());
    }
    out
}

/// The ids of the orders a payment call is about, from its arguments: every argument whose name speaks of an
/// order id (`orderId`, `orderIds`, `orderIdList`, `purchaseOrderIdList`), as text.
fn requested_orders(arguments: &Map<String, Value>) -> Vec<String> {
    fn ids(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.extend(
                s.trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_string())
                    .filter(|s| !s.is_empty()),
            ),
            Value::Number(n) => out.push(n.to_string()),
            Value::Array(a) => a.iter().for_each(|v| ids(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in arguments {
        let k = k.to_ascii_lowercase();
        if k.contains("order") && k.contains("id") {
            ids(v, &mut out);
        }
    }
    out
}

/// A payment tool's result: always `paid` and `failed` (with reasons), plus `data`. Operations whose answer
/// lists the outcome per order (`x-batch-outcome`) fill them from it; the others (one order, a payment link,
/// an unpublished answer) list the requested orders as `unconfirmed` on success — check them with an
/// order-detail tool before paying again — and as `failed` on a business error.
fn payment_result(
    op: &Operation,
    arguments: &Map<String, Value>,
    result: Result<Value, Error>,
) -> CallToolResult {
    let requested = requested_orders(arguments);
    let failed_item = |id: &str, reason: Option<&str>| json!({"orderId": id, "reason": reason});
    match result {
        Ok(data) => match &op.batch_outcome {
            Some(outcome) => CallToolResult::structured(json!({
                "movesMoney": true,
                "paid": data.get(outcome.succeeded).cloned().unwrap_or_else(|| json!([])),
                "failed": [],
                "data": data,
            })),
            None => CallToolResult::structured(json!({
                "movesMoney": true,
                "paid": [],
                "failed": [],
                "unconfirmed": requested,
                "note": "the provider's answer does not list which orders were paid (a payment link, or an unpublished answer): check each order with an order-detail tool before paying again",
                "data": data,
            })),
        },
        Err(Error::PartialFailure(p)) => CallToolResult::structured_error(json!({
            "movesMoney": true,
            "error": "partial_failure",
            "message": p.to_string(),
            "requestId": p.request_id,
            "paid": p.succeeded,
            "failed": p.failed.iter().map(|f| failed_item(&f.id, f.reason.as_deref())).collect::<Vec<_>>(),
            "conflicting": p.conflicting.iter().map(|f| failed_item(&f.id, f.reason.as_deref())).collect::<Vec<_>>(),
            "data": p.data,
        })),
        Err(e) => {
            let mut out = error_json(&e);
            if let Value::Object(m) = &mut out {
                let reason = e.to_string();
                m.insert("movesMoney".into(), true.into());
                m.insert("paid".into(), json!([]));
                m.insert(
                    "failed".into(),
                    requested
                        .iter()
                        .map(|id| failed_item(id, Some(&reason)))
                        .collect(),
                );
            }
            CallToolResult::structured_error(out)
        }
    }
}

/// The MCP tool of an operation: description (effect, route, target), input schema and annotations.
pub fn tool(
    name: &str,
    provider: &Provider,
    op: &Operation,
    guard: Guard,
    schema: Map<String, Value>,
    live: bool,
) -> Tool {
    let effect = match guard {
        Guard::Read => "Read-only: changes nothing; retried automatically on transient failures.".to_string(),
        Guard::Write => format!(
            "Changes data at {}: sent once, never retried automatically.",
            provider.title
        ),
        Guard::Payment => "MOVES MONEY: pays orders or returns a payment link. Sent once, never retried \
            automatically. The result lists the orders paid and failed (`paid`, `failed`, with reasons; \
            `unconfirmed` where the answer does not say)."
            .to_string(),
    };
    let target = if live {
        format!("Calls the live {} API.", provider.title)
    } else {
        "Calls the embedded sandbox (test data, no account).".to_string()
    };
    let unconfirmed = match op.evidence {
        Some(source) => format!(
            "\n{} Unconfirmed by {}: known only from third-party clients ({source}); it may change or be \
             gone without notice.",
            crate::args::UNCONFIRMED_MARK,
            provider.title
        ),
        None => String::new(),
    };
    let description = format!(
        "{}.\n\n{effect}\n{} {} ({}, {}). {target}{unconfirmed}",
        op.summary.trim_end_matches('.'),
        op.method,
        op.path,
        provider.title,
        op.tag
    );
    Tool::new(name.to_string(), description, Arc::new(schema))
        .with_title(op.summary)
        .with_annotations(
            ToolAnnotations::new()
                .read_only(guard == Guard::Read)
                .destructive(guard != Guard::Read)
                .idempotent(op.idempotent)
                .open_world(true),
        )
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new("sourcing", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(format!(
            "Tools for PandaPon, Dajisaas and Xportcn (cross-border sourcing of 1688 and Taobao goods), one per \
             API operation, named <provider>_<operation_id>. Calls go to {}. Read-only tools are always \
             served; writes need --allow-writes and payments --allow-payments (currently: writes {}, payments \
             {}). Ids are strings; money amounts state their unit in the field descriptions.",
            self.target,
            if self.options.allow_writes {
                "allowed"
            } else {
                "held back"
            },
            if self.options.allow_payments {
                "allowed"
            } else {
                "held back"
            },
        ));
        info
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
            .filter(|e| self.options.allows(e.guard))
            .map(|e| e.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.call(&request.name, request.arguments)
            .await
            .map(Into::into)
    }
}

/// `sourcing mcp`: serve on stdin/stdout until the client closes stdin.
pub(crate) async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    // Global flags that mean nothing here are refused rather than silently ignored.
    let given = |id: &str| m.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    if given("base-url") {
        return Err(Stop(
            exit::USAGE,
            "sourcing mcp serves every provider: set <PREFIX>_BASE_URL (environment or --config) with --live instead of --base-url".into(),
        ));
    }
    if given("output") {
        return Err(Stop(
            exit::USAGE,
            "sourcing mcp answers in JSON-RPC: --output does not apply".into(),
        ));
    }
    if m.get_flag("sandbox") && m.get_flag("live") {
        return Err(Stop(
            exit::USAGE,
            "--sandbox and --live contradict each other (the sandbox is the default)".into(),
        ));
    }
    let options = Options {
        live: m.get_flag("live"),
        allow_writes: m.get_flag("allow-writes"),
        allow_payments: m.get_flag("allow-payments"),
    };
    let server = Server::start(options, m.get_one::<String>("config"))
        .await
        .map_err(|e| Stop(exit::CONFIG, e))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_field_named_like_a_query_parameter_goes_to_the_body() {
        let op = sourcing_registry::providers()[0]
            .find("refund_info")
            .unwrap();
        let Value::Object(args) = json!({"refundId": "1", "body_refundId": "2"}) else {
            unreachable!()
        };
        let (query, body) = split_arguments(op, &args).unwrap();
        assert_eq!(query, vec![("refundId", "1".to_string())]);
        assert_eq!(body, Some(json!({"refundId": "2"})));
    }

    #[test]
    fn query_values_are_sent_as_text_and_nulls_are_left_out() {
        let op = sourcing_registry::providers()[0]
            .find("order_pay_url")
            .unwrap();
        let Value::Object(args) = json!({"orderId": 2257455039610311973u64}) else {
            unreachable!()
        };
        let (query, body) = split_arguments(op, &args).unwrap();
        assert_eq!(query, vec![("orderId", "2257455039610311973".to_string())]);
        assert_eq!(body, None);
        let Value::Object(args) = json!({"orderId": null}) else {
            unreachable!()
        };
        assert!(split_arguments(op, &args).unwrap().0.is_empty());
    }
}
