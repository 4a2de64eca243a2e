//! The `buy` toolset: the purchase workflow of `sourcing-buy` as a few tools, one set for every provider
//! (a `provider` argument; `all` where comparing makes sense). Input and output schemas are derived from
//! the facade's types (schemars); answers are normalised (exact ids as text, money with its unit) and keep
//! the vendor's typed answer as `raw`; a step a provider does not support is an honest `unsupported` answer
//! with the capability table's reason, refused before anything is sent.
//!
//! Creating an order and paying are two steps (see [`super::confirm`]): `buy_prepare_order` /
//! `buy_prepare_payment` say what will happen and issue a one-time token, `buy_confirm` does it once — or,
//! where the client supports elicitation, the person is asked in the prepare call and no token is issued.

use super::answers::{Answer, Answers, Capability, Executed, Prepared, ToRaw, answer, to_result};
use super::confirm::Action;
use super::guard::{Guard, Guards};
use super::operations::validate;
use super::prepare::{Context, confirm, prepare};
use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sourcing_buy::{
    Buyer, Error, Flow, OfferId, OrderDraft, OrderId, OrderInfo, Preview, Product, ProductRef,
    SearchPage, SearchQuery, Step, Support,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The workflow tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkflowTool {
    Capabilities,
    Search,
    Product,
    Preview,
    OrderStatus,
    PrepareOrder,
    PreparePayment,
    Confirm,
}

impl WorkflowTool {
    pub const ALL: [WorkflowTool; 8] = [
        WorkflowTool::Capabilities,
        WorkflowTool::Search,
        WorkflowTool::Product,
        WorkflowTool::Preview,
        WorkflowTool::OrderStatus,
        WorkflowTool::PrepareOrder,
        WorkflowTool::PreparePayment,
        WorkflowTool::Confirm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WorkflowTool::Capabilities => "buy_capabilities",
            WorkflowTool::Search => "buy_search",
            WorkflowTool::Product => "buy_product",
            WorkflowTool::Preview => "buy_preview",
            WorkflowTool::OrderStatus => "buy_order_status",
            WorkflowTool::PrepareOrder => "buy_prepare_order",
            WorkflowTool::PreparePayment => "buy_prepare_payment",
            WorkflowTool::Confirm => super::prepare::CONFIRM,
        }
    }

    /// Whether the guard flags let this tool be listed and called. `buy_confirm` serves both kinds of
    /// action; each confirmation checks its own action's flag again.
    pub fn allowed(self, guards: Guards) -> bool {
        match self {
            WorkflowTool::PrepareOrder => guards.allows(Guard::Write),
            WorkflowTool::PreparePayment => guards.allows(Guard::Payment),
            WorkflowTool::Confirm => guards.allows(Guard::Write) || guards.allows(Guard::Payment),
            _ => true,
        }
    }

    /// The flag a refusal names.
    pub fn guard(self) -> Guard {
        match self {
            WorkflowTool::PrepareOrder | WorkflowTool::Confirm => Guard::Write,
            WorkflowTool::PreparePayment => Guard::Payment,
            _ => Guard::Read,
        }
    }

    fn takes_all(self) -> bool {
        matches!(
            self,
            WorkflowTool::Capabilities
                | WorkflowTool::Search
                | WorkflowTool::Product
                | WorkflowTool::Preview
        )
    }

    fn description(self) -> &'static str {
        match self {
            WorkflowTool::Capabilities => {
                "Which purchase steps each provider supports, and why not where it does not (the capability table). Read-only."
            }
            WorkflowTool::Search => {
                "Keyword search among 1688 offers. `provider: all` compares every provider. Read-only."
            }
            WorkflowTool::Product => {
                "A 1688 offer's details, by bare offer id or a pasted link (detail.1688.com, m.1688.com; Taobao/Tmall links are recognised and refused for the 1688 flow). Read-only."
            }
            WorkflowTool::Preview => {
                "Prices and freight of an order without ordering (amounts with their unit, fen or yuan). Offer ids in `lines` may be pasted links. Read-only."
            }
            WorkflowTool::OrderStatus => "An order's state, lines and amounts. Read-only.",
            WorkflowTool::PrepareOrder => {
                "Step 1 of creating an order: previews it and returns what will happen with a one-time token (call buy_confirm with it and the `action`); where the client supports it, asks the person instead and, on yes, creates the order. Nothing is created by this step alone."
            }
            WorkflowTool::PreparePayment => {
                "Step 1 of paying orders (MOVES MONEY): returns the orders and their amounts as known, with a one-time token (call buy_confirm with it and the `action`); where the client supports it, asks the person instead and, on yes, pays. Nothing is paid by this step alone."
            }
            WorkflowTool::Confirm => {
                "Step 2: does a prepared action once, given its token and the `action` exactly as prepared. A token works once, only for that action, and expires. Sent once, never retried: on an unclear outcome check buy_order_status before trying again."
            }
        }
    }

    /// The tool, with schemas from the argument and answer types; `providers` are the names its `provider`
    /// argument takes (the served purchase flows).
    pub fn tool(self, providers: &[&str]) -> Result<Tool, String> {
        let (input, output) = match self {
            WorkflowTool::Capabilities => schemas::<ProviderArg, Answers<Vec<Capability>>>(),
            WorkflowTool::Search => schemas::<SearchArgs, Answers<SearchPage>>(),
            WorkflowTool::Product => schemas::<ProductArgs, Answers<Product>>(),
            WorkflowTool::Preview => schemas::<DraftArgs, Answers<Preview>>(),
            WorkflowTool::OrderStatus => schemas::<StatusArgs, Answers<OrderInfo>>(),
            WorkflowTool::PrepareOrder => schemas::<DraftArgs, Prepared>(),
            WorkflowTool::PreparePayment => schemas::<PayArgs, Prepared>(),
            WorkflowTool::Confirm => schemas::<ConfirmArgs, Answers<Executed>>(),
        }?;
        let input = with_provider_names(input, providers, self.takes_all());
        let guard = self.guard();
        Ok(Tool::new(self.name(), self.description(), Arc::new(input))
            .with_raw_output_schema(output)
            .with_annotations(
                ToolAnnotations::new()
                    .read_only(guard == Guard::Read)
                    .destructive(self == WorkflowTool::Confirm)
                    .idempotent(guard == Guard::Read)
                    .open_world(true),
            ))
    }
}

fn schemas<I: JsonSchema + 'static, O: JsonSchema + 'static>()
-> Result<(JsonObject, Arc<JsonObject>), String> {
    let input = rmcp::handler::server::tool::schema_for_input::<I>()?;
    let mut output =
        Value::Object((*rmcp::handler::server::tool::schema_for_output::<O>()).clone());
    without_descriptions(&mut output);
    let Value::Object(output) = output else {
        unreachable!("built from an object")
    };
    Ok(((*input).clone(), Arc::new(output)))
}

/// Output schemas keep their shape but not the types' documentation (written for Rust readers, and most of
/// a listing's size): what each field means is in the tool descriptions and the input schemas.
fn without_descriptions(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.remove("description");
            for (keyword, value) in map.iter_mut() {
                match (keyword.as_str(), value) {
                    // Maps of names to schemas: the names are kept, each schema stripped.
                    ("properties" | "$defs" | "patternProperties", Value::Object(named)) => {
                        named.values_mut().for_each(without_descriptions)
                    }
                    (_, value) => without_descriptions(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_descriptions),
        _ => {}
    }
}

/// The `provider` property lists the facade's providers (and `all` where it applies); unknown properties
/// are refused rather than ignored.
fn with_provider_names(mut schema: JsonObject, providers: &[&str], all: bool) -> JsonObject {
    let mut names: Vec<Value> = providers.iter().map(|p| json!(p)).collect();
    if all {
        names.push(json!("all"));
    }
    for props in [schema.get_mut("properties")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
    {
        if let Some(Value::Object(p)) = props.get_mut("provider") {
            p.insert("enum".into(), Value::Array(names.clone()));
        }
    }
    schema.insert("additionalProperties".into(), json!(false));
    schema
}

// ---- arguments ----

#[derive(Deserialize, JsonSchema)]
struct ProviderArg {
    /// pandapon, dajisaas, xportcn, or all
    provider: String,
}

#[derive(Deserialize, JsonSchema)]
struct SearchArgs {
    /// pandapon, dajisaas, xportcn, or all
    provider: String,
    #[serde(flatten)]
    query: SearchQuery,
}

#[derive(Deserialize, JsonSchema)]
struct ProductArgs {
    /// pandapon, dajisaas, xportcn, or all
    provider: String,
    /// A bare 1688 offer id, or a pasted product link.
    product: String,
}

#[derive(Deserialize, JsonSchema)]
struct DraftArgs {
    /// The provider
    provider: String,
    #[serde(flatten)]
    draft: OrderDraft,
}

#[derive(Deserialize, JsonSchema)]
struct StatusArgs {
    /// The provider
    provider: String,
    /// The order id, exact text (19 digits).
    order_id: OrderId,
}

#[derive(Deserialize, JsonSchema)]
struct PayArgs {
    /// The provider
    provider: String,
    /// The orders to pay (exact text); more than one is a batch payment.
    #[schemars(length(min = 1))]
    order_ids: Vec<OrderId>,
}

#[derive(Deserialize, JsonSchema)]
struct ConfirmArgs {
    /// The provider (as in `action.provider`)
    provider: String,
    /// The token from the prepare step.
    token: String,
    /// The `action` the prepare step returned, unchanged.
    action: Action,
}

fn invalid(name: &str, message: String) -> CallToolResult {
    CallToolResult::structured_error(json!({
        "error": "invalid_arguments",
        "message": format!("{name}: {message} (nothing was sent)"),
    }))
}

/// The facade over every served provider.
pub struct Workflow {
    buyers: Vec<Buyer>,
}

impl Workflow {
    pub fn new(buyers: Vec<Buyer>) -> Self {
        Workflow { buyers }
    }

    /// The buyers `provider` names (`all`: every one), or why none.
    fn buyers(&self, provider: &str, all: bool) -> Result<Vec<&Buyer>, String> {
        if all && provider == "all" {
            return Ok(self.buyers.iter().collect());
        }
        self.buyers
            .iter()
            .find(|b| b.flow().name() == provider)
            .map(|b| vec![b])
            .ok_or_else(|| {
                format!(
                    "provider {provider:?} is not served here (served: {})",
                    self.served()
                )
            })
    }

    fn served(&self) -> String {
        self.buyers
            .iter()
            .map(|b| b.flow().name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub async fn call(
        &self,
        tool: WorkflowTool,
        validator: &jsonschema::Validator,
        arguments: Map<String, Value>,
        cx: &Context<'_>,
    ) -> CallToolResult {
        let name = tool.name();
        let arguments = Value::Object(arguments);
        if let Err(refused) = validate(name, validator, &arguments) {
            return refused;
        }
        // Boxed: the facade's step futures are large, and a worker thread's stack is not.
        Box::pin(self.run(tool, arguments, cx))
            .await
            .unwrap_or_else(|refused| refused)
    }

    async fn run(
        &self,
        tool: WorkflowTool,
        arguments: Value,
        cx: &Context<'_>,
    ) -> Result<CallToolResult, CallToolResult> {
        let name = tool.name();
        let buyers = |provider: &str| {
            self.buyers(provider, tool.takes_all())
                .map_err(|m| invalid(name, m))
        };
        Ok(match tool {
            WorkflowTool::Capabilities => {
                let a: ProviderArg = parse(name, arguments)?;
                to_result(&Answers {
                    results: buyers(&a.provider)?
                        .iter()
                        .map(|b| capabilities(b.flow()))
                        .collect(),
                })
            }
            WorkflowTool::Search => {
                let a: SearchArgs = parse(name, arguments)?;
                each(&buyers(&a.provider)?, |b| Box::pin(b.search(&a.query))).await
            }
            WorkflowTool::Product => {
                let a: ProductArgs = parse(name, arguments)?;
                let product = ProductRef::parse(&a.product)
                    .map_err(|e| invalid(name, format!("product: {e}")))?;
                each(&buyers(&a.provider)?, |b| Box::pin(b.product(&product))).await
            }
            WorkflowTool::Preview => {
                let (provider, draft) = parse_draft(name, arguments)?;
                each(&buyers(&provider)?, |b| Box::pin(b.preview(&draft))).await
            }
            WorkflowTool::OrderStatus => {
                let a: StatusArgs = parse(name, arguments)?;
                each(&buyers(&a.provider)?, |b| Box::pin(b.order(&a.order_id))).await
            }
            WorkflowTool::PrepareOrder => {
                let (provider, draft) = parse_draft(name, arguments)?;
                let buyer = buyers(&provider)?[0];
                let action = Action::CreateOrder {
                    provider: buyer.flow(),
                    draft: Box::new(draft),
                };
                Box::pin(prepare(buyer, action, cx)).await
            }
            WorkflowTool::PreparePayment => {
                let a: PayArgs = parse(name, arguments)?;
                let buyer = buyers(&a.provider)?[0];
                let action = Action::Pay {
                    provider: buyer.flow(),
                    order_ids: a.order_ids,
                };
                Box::pin(prepare(buyer, action, cx)).await
            }
            WorkflowTool::Confirm => {
                let a: ConfirmArgs = parse(name, arguments)?;
                confirm(buyers(&a.provider)?[0], &a.token, a.action, cx).await
            }
        })
    }
}

fn parse<T: for<'de> Deserialize<'de>>(name: &str, arguments: Value) -> Result<T, CallToolResult> {
    serde_json::from_value(arguments).map_err(|e| invalid(name, e.to_string()))
}

/// The draft, with each line's offer given as an id or a pasted link reduced to the exact offer id.
fn parse_draft(name: &str, arguments: Value) -> Result<(String, OrderDraft), CallToolResult> {
    let DraftArgs {
        provider,
        mut draft,
    } = parse::<DraftArgs>(name, arguments)?;
    for (i, line) in draft.lines.iter_mut().enumerate() {
        let offer = ProductRef::parse(line.offer_id.as_str())
            .map_err(|e| invalid(name, format!("lines[{i}].offer_id: {e}")))?;
        line.offer_id = OfferId::new(offer.id());
    }
    Ok((provider, draft))
}

fn capabilities(provider: Flow) -> Answer<Vec<Capability>> {
    let caps = Step::ALL
        .iter()
        .map(|&step| {
            let support = provider.support(step);
            let (kind, reason) = match support {
                Support::Published { .. } => ("published", None),
                Support::ThirdParty { .. } => ("third_party", None),
                Support::NotAvailable { reason } => ("not_available", Some(reason)),
            };
            Capability {
                step: step.name(),
                support: kind,
                enabled: support.is_enabled(),
                reason,
            }
        })
        .collect();
    Answer {
        provider: provider.name().into(),
        result: Some(caps),
        raw: None,
        error: None,
    }
}

/// A facade step, boxed: its futures are large, and a worker thread's stack is not.
type StepFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Runs `step` on each buyer in turn: one answer per provider.
async fn each<'a, T: ToRaw + Serialize>(
    buyers: &[&'a Buyer],
    step: impl Fn(&'a Buyer) -> StepFuture<'a, T>,
) -> CallToolResult {
    let mut results = Vec::new();
    for b in buyers {
        results.push(answer(b.flow(), step(b).await, false));
    }
    to_result(&Answers { results })
}
