//! The `ledger` toolset (read-only), served when `sourcing mcp` is given a store (`--store URL`): the
//! orders that need attention and an order's history, from `sourcing-ledger`. The buy workflow records
//! every order step in the same ledger (as the buyers' journal) before it is sent.

use rmcp::model::{CallToolResult, Tool, ToolAnnotations};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sourcing_ledger::{Filter, Ledger, OrderEntry};
use std::sync::Arc;

/// The toolset's name.
pub const LEDGER: &str = "ledger";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerTool {
    Attention,
    History,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct NoArgs {}

#[derive(Deserialize, schemars::JsonSchema)]
struct HistoryArgs {
    /// The vendor's order id, exact text.
    order_id: String,
    /// pandapon, dajisaas or xportcn; needed only when two providers have an order with this id.
    provider: Option<String>,
}

impl LedgerTool {
    pub const ALL: [LedgerTool; 2] = [LedgerTool::Attention, LedgerTool::History];

    pub fn name(self) -> &'static str {
        match self {
            LedgerTool::Attention => "ledger_attention",
            LedgerTool::History => "ledger_order_history",
        }
    }

    pub fn tool(self) -> Result<Tool, String> {
        let (description, input) = match self {
            LedgerTool::Attention => (
                "Orders that need attention, from the order ledger: `unknown` (a create, payment, cancel or receipt \
                 whose answer never came: never retried — settle it by reading the order, buy_order_status), \
                 `reported` (states only a vendor callback reported, not yet confirmed by a read) and `needs_person` \
                 (reconciliation could not settle them), and `dead_letters` (callbacks of the durable inbox whose \
                 handler failed past its attempts; a person replays them with `sourcing ledger replay ID`). Read-only.",
                rmcp::handler::server::tool::schema_for_input::<NoArgs>()?,
            ),
            LedgerTool::History => (
                "An order's ledger entry (state, whether confirmed, amount with unit) and its history, oldest \
                 first: every step sent, every answer, callback and reconciliation. Read-only.",
                rmcp::handler::server::tool::schema_for_input::<HistoryArgs>()?,
            ),
        };
        Ok(Tool::new(self.name(), description, input).with_annotations(
            ToolAnnotations::new()
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
        ))
    }

    pub async fn call(self, ledger: &Arc<Ledger>, arguments: Map<String, Value>) -> CallToolResult {
        let result = match self {
            LedgerTool::Attention => attention(ledger).await,
            LedgerTool::History => {
                match serde_json::from_value::<HistoryArgs>(Value::Object(arguments)) {
                    Ok(a) => history(ledger, a).await,
                    Err(e) => Err(
                        json!({"error": "invalid_arguments", "message": format!("{}: {e}", self.name())}),
                    ),
                }
            }
        };
        match result {
            Ok(v) => CallToolResult::structured(v),
            Err(v) => CallToolResult::structured_error(v),
        }
    }
}

fn failed(e: impl std::fmt::Display) -> Value {
    json!({"error": "ledger", "message": e.to_string()})
}

async fn attention(ledger: &Ledger) -> Result<Value, Value> {
    let mut out = Map::new();
    for (key, filter) in [
        ("unknown", Filter::Unknown),
        ("reported", Filter::Reported),
        ("needs_person", Filter::NeedsPerson),
    ] {
        let entries: Vec<OrderEntry> = ledger.list(filter).await.map_err(failed)?;
        out.insert(key.into(), serde_json::to_value(entries).map_err(failed)?);
    }
    use sourcing_webhooks::inbox::InboxStore;
    let dead = ledger.store().dead_letters().await.map_err(failed)?;
    // Each body as text (the raw bytes stay in the store), as `sourcing ledger dead-letters` shows them.
    let dead = dead.iter().map(|m| {
        let mut value = json!(m);
        value["body"] = json!(m.body_text());
        value
    });
    out.insert("dead_letters".into(), dead.collect());
    Ok(Value::Object(out))
}

async fn history(ledger: &Ledger, a: HistoryArgs) -> Result<Value, Value> {
    let provider = match a.provider.as_deref() {
        None => None,
        Some(name) => Some(sourcing_registry::flow(name).ok_or_else(|| {
            json!({"error": "invalid_arguments", "message": format!("unknown provider {name:?}")})
        })?),
    };
    let (entry, events) = ledger.show(&a.order_id, provider).await.map_err(failed)?;
    Ok(json!({ "entry": entry, "events": events }))
}
