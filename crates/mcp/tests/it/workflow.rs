//! `sourcing mcp`'s toolsets, workflow tools, confirmations and response budgets, driven by an rmcp client
//! over an in-process duplex stream (the same JSON-RPC lines as stdio) against the embedded sandbox.

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};
use sourcing_mcp::{Backends, Guard, ManualClock, Options, Server};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// A client that records list-changed notifications and, when `answer` is set, supports elicitation and
/// answers every question with it (recording the question).
#[derive(Clone)]
struct TestClient {
    answer: Option<ElicitationAction>,
    asked: Arc<Mutex<Vec<String>>>,
    list_changed: mpsc::UnboundedSender<()>,
}

impl ClientHandler for TestClient {
    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        if self.answer.is_some() {
            info.capabilities = ClientCapabilities::builder().enable_elicitation().build();
        }
        info
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.asked.lock().unwrap().push(message);
        }
        let action = self.answer.clone().unwrap_or(ElicitationAction::Decline);
        Ok(match action {
            ElicitationAction::Accept => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": true}))
            }
            other => ElicitResult::new(other),
        })
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.list_changed.send(());
    }
}

struct Session {
    client: RunningService<RoleClient, TestClient>,
    server: Arc<Server>,
    asked: Arc<Mutex<Vec<String>>>,
    list_changed: mpsc::UnboundedReceiver<()>,
}

impl Session {
    /// Requests that reached the sandbox's `operation`.
    fn hits(&self, operation: &str) -> u64 {
        self.server.sandbox().expect("sandbox mode").hits(operation)
    }

    /// Calls `name`; a successful structured answer must match the tool's output schema.
    async fn call(&self, name: &str, arguments: Value) -> CallToolResult {
        let Value::Object(arguments) = arguments else {
            panic!("arguments must be an object")
        };
        let result = self
            .client
            .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(arguments))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let tool = self
            .server
            .reachable_tools()
            .into_iter()
            .find(|t| t.name == name);
        if let (Some(schema), Some(content), Some(false)) = (
            tool.and_then(|t| t.output_schema),
            &result.structured_content,
            result.is_error,
        ) {
            let validator = jsonschema::validator_for(&Value::Object((*schema).clone())).unwrap();
            let problems: Vec<String> = validator
                .iter_errors(content)
                .map(|e| e.to_string())
                .collect();
            assert!(
                problems.is_empty(),
                "{name}: output does not match its schema: {problems:?}\n{content}"
            );
        }
        result
    }

    async fn names(&self) -> Vec<String> {
        let tools = self.client.list_all_tools().await.unwrap();
        tools.iter().map(|t| t.name.to_string()).collect()
    }
}

fn everything() -> Options {
    Options::default().allow_writes(true).allow_payments(true)
}

/// Seeded sandbox orders awaiting payment, for providers whose order creation is unsupported.
const SEEDED: &str = "3300504350583134261";

async fn session_with(
    options: Options,
    clock: Arc<ManualClock>,
    answer: Option<ElicitationAction>,
) -> Session {
    let backends = Backends::sandbox().await.expect("sandbox starts");
    let server = Server::start_with_clock(backends, options, Box::new(clock))
        .await
        .expect("server starts");
    if let Some(sandbox) = server.sandbox() {
        sandbox.seed_order(SEEDED);
    }
    let server = Arc::new(server);
    let serving = server.clone();
    let (server_end, client_end) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let running = serving.serve(server_end).await.expect("server handshake");
        let _ = running.waiting().await;
    });
    let (tx, list_changed) = mpsc::unbounded_channel();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let handler = TestClient {
        answer,
        asked: asked.clone(),
        list_changed: tx,
    };
    Session {
        client: handler.serve(client_end).await.expect("client handshake"),
        server,
        asked,
        list_changed,
    }
}

async fn session(options: Options) -> Session {
    session_with(options, Arc::new(ManualClock::default()), None).await
}

fn structured(result: &CallToolResult) -> &Value {
    result
        .structured_content
        .as_ref()
        .expect("structured content")
}

fn draft(provider: &str) -> Value {
    json!({
        "provider": provider,
        "address": {
            "full_name": "Zhang San", "mobile": "18600888861", "phone": "18600888861",
            "post_code": "310000", "province": "浙江省", "city": "杭州市", "district": "西湖区",
            "town": "转塘街道", "street": "转塘街道 1 号", "district_code": "330106"
        },
        "lines": [{
            "offer_id": "https://detail.1688.com/offer/672991141190.html",
            "spec_id": "cd2b8c31408766f9fb089e74e2a6ac15",
            "quantity": 2
        }],
        "message": "mcp test",
        "external_order_id": "MCP-0001"
    })
}

/// The default list: the buy workflow's read-only tools and the discovery tools, at most 15, with valid
/// input and output schemas; the instructions name every provider served.
#[tokio::test(flavor = "multi_thread")]
async fn default_list_is_small_and_its_schemas_are_valid() {
    let s = session(Options::default()).await;
    let instructions = s.client.peer_info().and_then(|i| i.instructions.clone());
    let instructions = instructions.expect("instructions");
    for p in sourcing_registry::providers() {
        assert!(instructions.contains(p.title), "{instructions}");
    }
    let tools = s.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "buy_capabilities",
            "buy_order_status",
            "buy_preview",
            "buy_product",
            "buy_search",
            "enable_toolset",
            "list_toolsets",
            "more_results",
        ]
    );
    for tool in &tools {
        let input = Value::Object((*tool.input_schema).clone());
        jsonschema::meta::validate(&input).unwrap_or_else(|e| panic!("{}: {e}", tool.name));
        if let Some(output) = &tool.output_schema {
            jsonschema::meta::validate(&Value::Object((**output).clone()))
                .unwrap_or_else(|e| panic!("{}: {e}", tool.name));
        }
    }
    let bytes = serde_json::to_string(&tools).unwrap().len();
    eprintln!("default tools/list: {} tools, {bytes} bytes", tools.len());

    // A value outside a list is answered with every allowed value, so an agent can correct it.
    let wrong = s
        .call(
            "buy_search",
            json!({"provider": "nope", "keyword": "folder"}),
        )
        .await;
    let fields = structured(&wrong)["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!(fields[0]["field"], "provider");
    assert_eq!(
        fields[0]["message"],
        r#""nope" is not one of "pandapon", "dajisaas", "xportcn", "all""#
    );

    let all = session(everything()).await;
    let listed = all.names().await;
    assert_eq!(listed.len(), 11, "{listed:?}");
    assert!(listed.len() <= 15);
    let _ = s.client.cancel().await;
    let _ = all.client.cancel().await;
}

/// Enabling a toolset lists its tools from then on and tells the client the list changed; calling a tool
/// of a toolset not enabled says how to enable it.
#[tokio::test(flavor = "multi_thread")]
async fn enabling_a_toolset_lists_its_tools_and_sends_list_changed() {
    let mut s = session(Options::default()).await;
    let before = s
        .call("pandapon_order_detail", json!({"orderId": "1"}))
        .await;
    assert_eq!(before.is_error, Some(true));
    assert_eq!(structured(&before)["error"], "toolset_not_enabled");
    assert!(
        structured(&before)["message"]
            .as_str()
            .unwrap()
            .contains("enable_toolset")
    );

    let sets = s.call("list_toolsets", json!({})).await;
    let sets = structured(&sets)["toolsets"].as_array().unwrap().clone();
    let names: Vec<&str> = sets.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["buy", "ledger", "pandapon", "dajisaas", "xportcn"]);
    assert_eq!(sets[0]["enabled"], true);
    assert_eq!(sets[1]["available"], false, "no store given");
    assert_eq!(sets[2]["enabled"], false);
    let no_store = s.call("enable_toolset", json!({"toolset": "ledger"})).await;
    assert!(
        structured(&no_store)["message"]
            .as_str()
            .unwrap()
            .contains("--store")
    );

    let enabled = s
        .call("enable_toolset", json!({"toolset": "xportcn"}))
        .await;
    assert_eq!(enabled.is_error, Some(false), "{enabled:?}");
    // The notification arrives before the call's answer is read at the latest; the timeout only guards a hang.
    tokio::time::timeout(Duration::from_secs(10), s.list_changed.recv())
        .await
        .expect("notifications/tools/list_changed")
        .unwrap();
    let listed = s.names().await;
    let xportcn: Vec<&String> = listed
        .iter()
        .filter(|n| n.starts_with("xportcn_"))
        .collect();
    let reads = sourcing_registry::providers()
        .iter()
        .find(|p| p.name == "xportcn")
        .unwrap()
        .operations
        .iter()
        .filter(|op| Guard::of(op) == Guard::Read)
        .count();
    assert_eq!(
        xportcn.len(),
        reads,
        "the read-only operations, under the default guards"
    );
    assert!(!listed.iter().any(|n| n.starts_with("pandapon_")));

    let unknown = s.call("enable_toolset", json!({"toolset": "nope"})).await;
    assert_eq!(unknown.is_error, Some(true));
    let _ = s.client.cancel().await;
}

/// The one answer of a single-provider workflow call.
fn only(result: &CallToolResult) -> &Value {
    &structured(result)["results"][0]
}

/// Prepares `prepare_args` with `prepare` and confirms it with its token: the confirmed answer.
async fn prepare_and_confirm(s: &Session, prepare: &str, args: Value) -> CallToolResult {
    let provider = args["provider"].clone();
    let prepared = s.call(prepare, args).await;
    assert_eq!(prepared.is_error, Some(false), "{prepared:?}");
    let p = structured(&prepared);
    assert_eq!(p["confirmation"], "token", "{p}");
    assert!(p["expires_in_seconds"].as_u64().unwrap() > 0);
    s.call(
        "buy_confirm",
        json!({"provider": provider, "token": p["token"], "action": p["action"]}),
    )
    .await
}

/// search → product (pasted link) → preview → create (prepare + confirm) → pay (prepare + confirm) →
/// status on each provider of the sandbox; steps a provider does not support answer `unsupported` with the
/// capability table's reason, and nothing is sent for them.
#[tokio::test(flavor = "multi_thread")]
async fn the_buy_flow_runs_on_every_provider_through_the_workflow_tools() {
    let s = session(everything()).await;
    for provider in ["pandapon", "dajisaas", "xportcn"] {
        let caps = s
            .call("buy_capabilities", json!({"provider": provider}))
            .await;
        let caps = only(&caps)["result"].as_array().unwrap().clone();
        let supported = |step: &str| {
            caps.iter()
                .find(|c| c["step"].as_str().unwrap().starts_with(step))
                .map(|c| c["enabled"] == true)
                .unwrap()
        };
        let check_unsupported = |result: &CallToolResult, step: &str| {
            let e = &only(result)["error"];
            assert_eq!(e["kind"], "unsupported", "{provider} {step}: {e}");
            assert_eq!(e["nothing_sent"], true);
            assert!(e["reason"].as_str().is_some_and(|r| !r.is_empty()), "{e}");
            assert_eq!(result.is_error, Some(true));
        };

        let search = s
            .call(
                "buy_search",
                json!({"provider": provider, "keyword": "phone case"}),
            )
            .await;
        if supported("keyword search") {
            assert!(
                only(&search)["result"]["hits"].is_array(),
                "{provider}: {search:?}"
            );
        } else {
            check_unsupported(&search, "search");
        }

        let product = s
            .call(
                "buy_product",
                json!({"provider": provider, "product": "https://m.1688.com/offer/672991141190.html"}),
            )
            .await;
        if supported("product detail") {
            assert_eq!(
                only(&product)["result"]["offer_id"],
                "672991141190",
                "{product:?}"
            );
        } else {
            check_unsupported(&product, "product");
        }

        let preview = s.call("buy_preview", draft(provider)).await;
        assert_eq!(preview.is_error, Some(false), "{provider}: {preview:?}");
        for order in only(&preview)["result"]["orders"].as_array().unwrap() {
            let unit = order["total"]["unit"].as_str().unwrap();
            assert!(
                unit == "fen" || unit == "yuan",
                "money carries its unit: {order}"
            );
        }

        let order_id = if supported("create order") {
            let created = prepare_and_confirm(&s, "buy_prepare_order", draft(provider)).await;
            assert_eq!(created.is_error, Some(false), "{provider}: {created:?}");
            let a = only(&created);
            a["result"]["order_id"]
                .as_str()
                .or(a["raw"]["orderId"].as_str())
                .unwrap_or_else(|| panic!("{provider}: no order id in {a}"))
                .to_string()
        } else {
            let refused = s.call("buy_prepare_order", draft(provider)).await;
            check_unsupported(&refused, "create order");
            SEEDED.to_string()
        };
        assert!(order_id.chars().all(|c| c.is_ascii_digit()), "{order_id}");

        let paid = prepare_and_confirm(
            &s,
            "buy_prepare_payment",
            json!({"provider": provider, "order_ids": [order_id]}),
        )
        .await;
        assert_eq!(paid.is_error, Some(false), "{provider}: {paid:?}");
        assert_eq!(
            only(&paid)["result"]["order_id"],
            order_id.as_str(),
            "{paid:?}"
        );

        let status = s
            .call(
                "buy_order_status",
                json!({"provider": provider, "order_id": order_id}),
            )
            .await;
        if supported("order status") {
            assert_eq!(
                only(&status)["result"]["order_id"],
                order_id.as_str(),
                "{status:?}"
            );
        } else {
            check_unsupported(&status, "status");
        }
    }
    let _ = s.client.cancel().await;
}

fn pay_action(order_id: &str) -> Value {
    json!({"provider": "xportcn", "order_ids": [order_id]})
}

/// A token works once, only for the action it was issued for, and not after it expired (the clock is
/// moved, not waited for); without --allow-payments there is nothing to confirm.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_is_single_use_bound_to_its_action_and_expires() {
    let clock = Arc::new(ManualClock::default());
    let options = everything().confirm_ttl(Duration::from_secs(60));
    let s = session_with(options, clock.clone(), None).await;
    let prepare = || s.call("buy_prepare_payment", pay_action(SEEDED));
    let confirm = |p: &Value, action: Value| {
        s.call(
            "buy_confirm",
            json!({"provider": "xportcn", "token": p["token"], "action": action}),
        )
    };

    // Mismatch: the token of one order does not pay another, and is void afterwards.
    let p = structured(&prepare().await).clone();
    let mut other = p["action"].clone();
    other["order_ids"] = json!(["3300504350583134999"]);
    let refused = confirm(&p, other).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        structured(&refused)["message"]
            .as_str()
            .unwrap()
            .contains("another action"),
        "{refused:?}"
    );
    let again = confirm(&p, p["action"].clone()).await;
    assert!(
        structured(&again)["message"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{again:?}"
    );

    // Expiry.
    let p = structured(&prepare().await).clone();
    clock.advance(Duration::from_secs(60));
    let expired = confirm(&p, p["action"].clone()).await;
    assert_eq!(expired.is_error, Some(true));
    assert!(
        structured(&expired)["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{expired:?}"
    );

    // Single use: the first confirmation pays, the second is refused without sending anything.
    let p = structured(&prepare().await).clone();
    let first = confirm(&p, p["action"].clone()).await;
    assert_eq!(first.is_error, Some(false), "{first:?}");
    let second = confirm(&p, p["action"].clone()).await;
    assert_eq!(second.is_error, Some(true));
    assert_eq!(structured(&second)["error"], "refused");
    assert!(
        structured(&second)["message"]
            .as_str()
            .unwrap()
            .contains("already used")
    );

    // An invented token is refused.
    let invented = confirm(&json!({"token": "ct_0"}), p["action"].clone()).await;
    assert_eq!(invented.is_error, Some(true));
    assert_eq!(
        s.hits("ka_order_pay"),
        1,
        "only the one valid confirmation paid"
    );
    let _ = s.client.cancel().await;

    // --allow-payments is still required: preparing a payment is refused, and so is a confirmation.
    let writes_only = session(Options::default().allow_writes(true)).await;
    let refused = writes_only
        .call("buy_prepare_payment", pay_action(SEEDED))
        .await;
    assert!(
        structured(&refused)["message"]
            .as_str()
            .unwrap()
            .contains("--allow-payments")
    );
    let refused = writes_only
        .call(
            "buy_confirm",
            json!({"provider": "xportcn", "token": "ct_0", "action": {"kind": "pay", "provider": "xportcn", "order_ids": [SEEDED]}}),
        )
        .await;
    assert!(
        structured(&refused)["message"]
            .as_str()
            .unwrap()
            .contains("--allow-payments"),
        "{refused:?}"
    );
    let _ = writes_only.client.cancel().await;
}

/// Where the client supports elicitation, the person is asked in the prepare call: yes pays once, no sends
/// nothing; no token is issued either way.
#[tokio::test(flavor = "multi_thread")]
async fn elicitation_asks_the_person_accepted_pays_declined_does_not() {
    let clock = || Arc::new(ManualClock::default());
    let yes = session_with(everything(), clock(), Some(ElicitationAction::Accept)).await;
    let done = yes.call("buy_prepare_payment", pay_action(SEEDED)).await;
    let d = structured(&done);
    assert_eq!(d["confirmation"], "approved", "{d}");
    assert!(d.get("token").is_none());
    let paid = &d["outcome"]["results"][0]["result"];
    assert_eq!(paid["order_id"], SEEDED, "{d}");
    let asked = yes.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].contains(SEEDED) && asked[0].contains("Xportcn"),
        "{asked:?}"
    );
    assert_eq!(yes.hits("ka_order_pay"), 1);

    // Creating an order: the question states the amounts with their unit (Dajisaas previews in fen).
    let created = yes.call("buy_prepare_order", draft("dajisaas")).await;
    let c = structured(&created);
    assert_eq!(c["confirmation"], "approved", "{c}");
    assert_eq!(c["preview"]["orders"][0]["total"]["unit"], "fen", "{c}");
    assert!(
        c["outcome"]["results"][0]["result"]["order_id"].is_string(),
        "{c}"
    );
    let question = yes.asked.lock().unwrap()[1].clone();
    assert!(
        question.contains("Dajisaas") && question.contains(" fen ("),
        "{question}"
    );
    assert_eq!(yes.hits("order_create"), 1);
    let _ = yes.client.cancel().await;

    let no = session_with(everything(), clock(), Some(ElicitationAction::Decline)).await;
    let declined = no.call("buy_prepare_payment", pay_action(SEEDED)).await;
    let d = structured(&declined);
    assert_eq!(d["confirmation"], "declined", "{d}");
    assert!(
        d.get("token").is_none() && d.get("outcome").is_none(),
        "{d}"
    );
    assert_eq!(no.asked.lock().unwrap().len(), 1);
    assert_eq!(no.hits("ka_order_pay"), 0, "nothing was sent");
    let _ = no.client.cancel().await;
}

/// A result over the response budget is cut with a continuation and a note; following the cursors with
/// more_results gives every item exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_result_is_cut_with_a_continuation() {
    let s = session(Options::default().max_result_bytes(1500)).await;
    let whole = session(Options::default()).await;
    let full = whole
        .call("buy_capabilities", json!({"provider": "all"}))
        .await;
    let full = structured(&full).clone();

    let first = s.call("buy_capabilities", json!({"provider": "all"})).await;
    let page = structured(&first).clone();
    assert!(page.to_string().len() <= 1500, "{page}");
    let c = &page["continuation"];
    assert!(
        c["note"]
            .as_str()
            .unwrap()
            .contains("1500-byte response budget"),
        "{c}"
    );
    let path = c["path"].as_str().unwrap().to_string();
    let mut items = page.pointer(&path).unwrap().as_array().unwrap().clone();
    let mut cursor = c["cursor"].as_str().map(String::from);
    while let Some(next) = cursor {
        let more = s.call("more_results", json!({"cursor": next})).await;
        let more = structured(&more);
        assert_eq!(more["path"], path.as_str());
        items.extend(more["items"].as_array().unwrap().iter().cloned());
        cursor = more["continuation"]["cursor"].as_str().map(String::from);
    }
    assert_eq!(&Value::Array(items), full.pointer(&path).unwrap());
    let _ = s.client.cancel().await;
    let _ = whole.client.cancel().await;
}

/// With a store, the ledger toolset is listed by default and the workflow records its steps there: a payment
/// whose answer never came (the sandbox drops the connection) is listed as needing attention, its history
/// shows it, and paying it again is refused before anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn with_a_store_the_ledger_lists_an_unknown_payment_and_its_history() {
    let dir = std::env::temp_dir().join(format!("sourcing-mcp-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::remove_file(dir.join("ledger.db"));
    let url = format!("sqlite:{}", dir.join("ledger.db").display());
    dead_letter(&url, "3300504350583134299").await;
    let options = everything().store(Some(url));
    let s = session(options).await;
    let listed = s.names().await;
    assert!(
        listed.contains(&"ledger_attention".to_string()),
        "{listed:?}"
    );
    assert!(listed.contains(&"ledger_order_history".to_string()));
    assert!(listed.len() <= 15, "{}", listed.len());

    s.server
        .sandbox()
        .unwrap()
        .inject(sourcing_sandbox::FaultRule::parse("ka_order_pay=drop:1").unwrap());
    let paid = prepare_and_confirm(&s, "buy_prepare_payment", pay_action(SEEDED)).await;
    assert_eq!(paid.is_error, Some(true));
    let e = &only(&paid)["error"];
    assert_eq!(e["nothing_sent"], false, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("check buy_order_status"),
        "{e}"
    );

    let attention = s.call("ledger_attention", json!({})).await;
    let unknown = structured(&attention)["unknown"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(unknown.len(), 1, "{attention:?}");
    assert_eq!(unknown[0]["order_id"], SEEDED);
    assert_eq!(unknown[0]["state"], "pay_unknown");
    let dead = &structured(&attention)["dead_letters"];
    assert_eq!(dead.as_array().map(Vec::len), Some(1), "{dead}");
    assert_eq!(dead[0]["order_id"], "3300504350583134299", "{dead}");
    assert_eq!(
        dead[0]["body"], r#"{"orderId":"3300504350583134299"}"#,
        "{dead}"
    );

    let history = s
        .call("ledger_order_history", json!({"order_id": SEEDED}))
        .await;
    let h = structured(&history);
    assert_eq!(h["entry"]["state"], "pay_unknown", "{h}");
    assert!(!h["events"].as_array().unwrap().is_empty(), "{h}");

    // Never sent again while the outcome is unknown.
    let again = prepare_and_confirm(&s, "buy_prepare_payment", pay_action(SEEDED)).await;
    assert_eq!(again.is_error, Some(true));
    assert_eq!(only(&again)["error"]["nothing_sent"], true, "{again:?}");
    assert_eq!(s.hits("ka_order_pay"), 1);
    let _ = s.client.cancel().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A callback of `order_id` that the inbox's handler refused for good: one dead letter in the store at `url`.
async fn dead_letter(url: &str, order_id: &str) {
    use sourcing_webhooks::inbox::{AfterFailure, InboxStore, NewMessage};
    let store = sourcing_ledger::Store::open(url).await.unwrap();
    let message = NewMessage::new(
        "xportcn",
        format!("dead-{order_id}"),
        "ORDER_PAY_SUCCESS",
        Some(order_id.into()),
        format!(r#"{{"orderId":"{order_id}"}}"#).into_bytes(),
    );
    store.insert_batch(&[message]).await.unwrap();
    let claims = store
        .claim_due("xportcn", "test", Duration::from_secs(60), 1)
        .await
        .unwrap();
    let failed = store.fail(&claims[0], "handler refused", AfterFailure::DeadLetter);
    assert!(failed.await.unwrap());
}
