//! The per-provider toolsets (one tool per operation): an in-process MCP client (rmcp over an in-memory duplex)
//! lists and calls them against the embedded sandbox under each guard level. The workflow tools:
//! `workflow.rs`; the `sourcing mcp` binary (piped exchange, `--live`): the CLI's tests/it/mcp.rs.

use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use sourcing_mcp::{Backends, Guard, Options, Server, tool_name};
use sourcing_runtime::ExampleKind;
use std::collections::BTreeSet;

/// The tool names every provider's operations give at `guard`.
fn names_at(guards: &[Guard]) -> BTreeSet<String> {
    sourcing_registry::providers()
        .iter()
        .flat_map(|p| p.operations.iter().map(move |op| (p, op)))
        .filter(|(_, op)| guards.contains(&Guard::of(op)))
        .map(|(p, op)| tool_name(p, op))
        .collect()
}

/// The providers' toolsets (every operation), without the workflow.
fn provider_toolsets() -> Option<BTreeSet<String>> {
    Some(
        sourcing_registry::providers()
            .iter()
            .map(|p| p.name.to_string())
            .collect(),
    )
}

/// The names of the listed operation tools (`<provider>_…`), leaving out the discovery tools.
fn operation_names<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names
        .into_iter()
        .filter(|n| {
            sourcing_registry::providers()
                .iter()
                .any(|p| n.starts_with(&format!("{}_", p.name)))
        })
        .map(String::from)
        .collect()
}

async fn sandbox() -> Backends {
    Backends::sandbox().await.expect("the sandbox starts")
}

async fn client(options: Options) -> RunningService<RoleClient, ()> {
    let toolsets = options.toolsets.clone().or_else(provider_toolsets);
    let server = Server::start(sandbox().await, options.toolsets(toolsets))
        .await
        .expect("server starts");
    let (server_end, client_end) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let running = server.serve(server_end).await.expect("server handshake");
        let _ = running.waiting().await;
    });
    ().serve(client_end).await.expect("client handshake")
}

async fn call(
    client: &RunningService<RoleClient, ()>,
    name: &str,
    arguments: Value,
) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn structured(result: &CallToolResult) -> &Value {
    result
        .structured_content
        .as_ref()
        .expect("structured content")
}

/// The published request example of an operation, as tool arguments.
fn request_example(provider: &str, op: &str) -> Value {
    let provider = sourcing_registry::providers()
        .iter()
        .find(|p| p.name == provider)
        .unwrap();
    let example = provider
        .find(op)
        .unwrap()
        .examples_of(ExampleKind::Request)
        .next()
        .unwrap_or_else(|| panic!("{op}: no request example"));
    serde_json::from_str(example.json).unwrap()
}

fn check_schema(tool: &Tool) {
    let schema = Value::Object((*tool.input_schema).clone());
    jsonschema::meta::validate(&schema).unwrap_or_else(|e| {
        panic!(
            "{}: input schema is not a valid JSON Schema: {e}",
            tool.name
        )
    });
    jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{}: input schema does not compile: {e}", tool.name));
    assert_eq!(schema["type"], "object", "{}", tool.name);
}

/// Which operations move money is declared in the specs (`x-effect: pay`, `Operation::effect`); this pins the
/// result per provider, so a spec change that adds or hides a payment shows up here.
#[test]
fn payment_operations_are_exactly_these() {
    let payments: Vec<String> = names_at(&[Guard::Payment]).into_iter().collect();
    assert_eq!(
        payments,
        [
            "dajisaas_pay_protocol_pay",
            "dajisaas_pay_urls",
            "dajisaas_taobao_pay_batch",
            "pandapon_order_batch_submit_to_pay",
            "pandapon_order_pay_url",
            "pandapon_v2_order_pay_url",
            "xportcn_ka_order_pay",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn default_guard_lists_read_only_tools_with_valid_schemas() {
    let client = client(Options::default()).await;
    let tools = client.list_all_tools().await.unwrap();
    let names = operation_names(tools.iter().map(|t| t.name.as_ref()));
    let tools: Vec<Tool> = tools
        .into_iter()
        .filter(|t| names.contains(t.name.as_ref()))
        .collect();
    assert_eq!(names.len(), tools.len(), "tool names are unique");
    assert_eq!(names, names_at(&[Guard::Read]));
    let total: usize = sourcing_registry::providers()
        .iter()
        .map(|p| p.operations.len())
        .sum();
    assert_eq!(
        tools.len(),
        total - names_at(&[Guard::Write, Guard::Payment]).len(),
        "the operation table minus the guarded ones"
    );
    for p in sourcing_registry::providers() {
        assert!(
            tools
                .iter()
                .any(|t| t.name.starts_with(&format!("{}_", p.name))),
            "{} has read-only tools",
            p.name
        );
    }
    for tool in &tools {
        check_schema(tool);
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(description.contains("Read-only"), "{}", tool.name);
        assert!(tool.annotations.as_ref().unwrap().read_only_hint == Some(true));
    }
    let listing = serde_json::to_string(&tools).unwrap();
    for secret in [
        sourcing_sandbox::credentials::ACCESS_SECRET,
        sourcing_sandbox::credentials::APP_SECRET,
    ] {
        assert!(!listing.contains(secret));
    }
    let _ = client.cancel().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_and_writes_call_the_sandbox_and_bad_arguments_name_the_field() {
    // Held back by default: a write is refused with the flag that enables it, nothing is sent.
    let guarded = client(Options::default()).await;
    let refused = call(
        &guarded,
        "pandapon_order_cancel",
        json!({"webSite": "1688", "orderId": "2257455039610311973"}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        structured(&refused)["message"]
            .as_str()
            .unwrap()
            .contains("--allow-writes")
    );
    let _ = guarded.cancel().await;

    let client = client(Options::default().allow_writes(true)).await;
    let tools = client.list_all_tools().await.unwrap();
    let names = operation_names(tools.iter().map(|t| t.name.as_ref()));
    assert_eq!(names, names_at(&[Guard::Read, Guard::Write]));

    // A read: the envelope's `data`, typed by the operation's generated type on the way.
    let read = call(
        &client,
        "pandapon_goods_keyword_search",
        json!({"keyword": "手机壳", "beginPage": 1, "pageSize": 10}),
    )
    .await;
    assert_eq!(read.is_error, Some(false), "{read:?}");
    assert!(structured(&read).is_object(), "{read:?}");

    // A write, with its published request example as the arguments.
    let example = request_example("pandapon", "cart_edit_quantity");
    let write = call(&client, "pandapon_cart_edit_quantity", example).await;
    assert_eq!(write.is_error, Some(false), "{write:?}");

    // Invalid arguments: a tool error naming the field, nothing sent.
    let wrong_type = call(
        &client,
        "pandapon_goods_keyword_search",
        json!({"keyword": "手机壳", "pageSize": "ten"}),
    )
    .await;
    assert_eq!(wrong_type.is_error, Some(true));
    let s = structured(&wrong_type);
    assert_eq!(s["error"], "invalid_arguments");
    assert_eq!(s["fields"][0]["field"], "pageSize", "{s}");
    assert!(s["message"].as_str().unwrap().contains("pageSize"));

    let missing = call(&client, "dajisaas_order_detail", json!({"webSite": "1688"})).await;
    assert_eq!(missing.is_error, Some(true));
    assert_eq!(structured(&missing)["fields"][0]["field"], "orderId");

    let unknown = call(
        &client,
        "dajisaas_order_detail",
        json!({"webSite": "1688", "orderId": "2257455039610311973", "keywrd": "phone"}),
    )
    .await;
    assert_eq!(unknown.is_error, Some(true));
    assert!(
        structured(&unknown)["message"]
            .as_str()
            .unwrap()
            .contains("keywrd")
    );

    let _ = client.cancel().await;

    // A documented limit is refused before sending, as everywhere.
    let ids: Vec<String> = (0..31).map(|i| i.to_string()).collect();
    let client = client_with_payments().await;
    let limit = call(
        &client,
        "dajisaas_pay_urls",
        json!({"orderIdList": ids.join(",")}),
    )
    .await;
    assert_eq!(limit.is_error, Some(true));
    let s = structured(&limit);
    assert_eq!(s["error"], "refused", "{s}");
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .contains("orderIdList has 31 items"),
        "{s}"
    );

    // An unknown tool is a protocol error.
    let Value::Object(empty) = json!({}) else {
        unreachable!()
    };
    assert!(
        client
            .call_tool(CallToolRequestParams::new("pandapon_no_such_op").with_arguments(empty))
            .await
            .is_err()
    );
    let _ = client.cancel().await;
}

async fn client_with_payments() -> RunningService<RoleClient, ()> {
    client(Options::default().allow_payments(true)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn payment_tools_only_with_allow_payments_and_they_list_orders_paid_and_failed() {
    let guarded = client(Options::default().allow_writes(true)).await;
    let tools = guarded.list_all_tools().await.unwrap();
    assert!(tools.iter().all(|t| !t.name.ends_with("pay")
        && !t.name.contains("pay_url")
        && t.name != "dajisaas_pay_urls"));
    let refused = call(
        &guarded,
        "xportcn_ka_order_pay",
        json!({"orderIds": ["3300504350583134260"]}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    let message = structured(&refused)["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("--allow-payments") && message.contains("moves money"),
        "{message}"
    );
    let _ = guarded.cancel().await;

    let client = client_with_payments().await;
    let tools = client.list_all_tools().await.unwrap();
    let names = operation_names(tools.iter().map(|t| t.name.as_ref()));
    assert_eq!(names, names_at(&[Guard::Read, Guard::Payment]));
    for tool in tools
        .iter()
        .filter(|t| names_at(&[Guard::Payment]).contains(t.name.as_ref()))
    {
        check_schema(tool);
        assert!(
            tool.description
                .as_deref()
                .unwrap_or_default()
                .contains("MOVES MONEY"),
            "{}",
            tool.name
        );
    }

    // An order the sandbox does not know is not paid, as at the vendor: the result lists it as failed,
    // naming it, and names no other order.
    let paid = call(
        &client,
        "xportcn_ka_order_pay",
        json!({"orderIds": ["3300504350583134260"]}),
    )
    .await;
    let s = structured(&paid);
    assert_eq!(s["movesMoney"], true);
    assert_eq!(s["paid"], json!([]), "{s}");
    assert_eq!(s["failed"][0]["orderId"], "3300504350583134260", "{s}");
    assert!(s.get("requestId").is_some(), "{s}");

    // PandaPon's published batch answer has a failed order: a tool error listing paid and failed with reasons.
    let example = request_example("pandapon", "order_batch_submit_to_pay");
    let batch = call(&client, "pandapon_order_batch_submit_to_pay", example).await;
    assert_eq!(batch.is_error, Some(true));
    let s = structured(&batch);
    assert_eq!(s["error"], "partial_failure", "{s}");
    assert!(
        s["paid"].is_array() && !s["failed"].as_array().unwrap().is_empty(),
        "{s}"
    );
    assert!(s["failed"][0]["reason"].is_string(), "{s}");
    let _ = client.cancel().await;
}

/// Operations known only from third-party clients are tools like the others, marked `[unconfirmed]` with
/// their source in the description; the published ones carry no mark.
#[tokio::test(flavor = "multi_thread")]
async fn unconfirmed_operations_are_marked_in_their_tool_description() {
    let server = Server::start(sandbox().await, Options::default())
        .await
        .expect("server starts");
    let tools = server.reachable_tools();
    let mut marked = 0;
    for p in sourcing_registry::providers() {
        for op in p
            .operations
            .iter()
            .filter(|op| Guard::of(op) == Guard::Read)
        {
            let name = tool_name(p, op);
            let tool = tools.iter().find(|t| t.name == name).expect("tool served");
            let description = tool.description.as_deref().unwrap_or_default();
            assert_eq!(
                description.contains("[unconfirmed]"),
                op.is_unconfirmed(),
                "{name}: {description}"
            );
            if let Some(source) = op.evidence {
                marked += 1;
                assert!(description.contains(source), "{name}: {description}");
            }
        }
    }
    assert_eq!(marked, 5);
}
