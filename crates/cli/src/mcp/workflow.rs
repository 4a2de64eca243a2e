//! The `buy` toolset: the purchase workflow of `sourcing-buy` as a few tools, one set for every provider
//! (a `provider` argument; `all` where comparing makes sense). Input and output schemas are derived from
//! the facade's types (schemars); answers are normalised (exact ids as text, money with its unit) and keep
//! the vendor's typed answer as `raw`; a step a provider does not support is an honest `unsupported` answer
//! with the capability table's reason, refused before anything is sent.
//!
//! Creating an order and paying are two steps (see [`super::confirm`]): `buy_prepare_order` /
//! `buy_prepare_payment` say what will happen and issue a one-time token, `buy_confirm` does it once — or,
//! where the client supports elicitation, the person is asked in the prepare call and no token is issued.

use super::confirm::{Action, Approval, Confirmations};
use super::guard::{Guard, Guards};
use super::operations::validate;
use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};
use rmcp::service::{ElicitationError, ElicitationMode};
use rmcp::{Peer, RoleServer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sourcing_buy::{
    BatchPayment, Buyer, CreatedOrder, Error, OrderDraft, OrderInfo, Payment, Preview, Product,
    ProductRef, Provider, SearchPage, SearchQuery, Step, Support,
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
            WorkflowTool::Confirm => "buy_confirm",
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

    /// The tool, with schemas from the argument and answer types.
    pub fn tool(self) -> Result<Tool, String> {
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
        let input = with_provider_names(input, self.takes_all());
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
fn with_provider_names(mut schema: JsonObject, all: bool) -> JsonObject {
    let mut names: Vec<Value> = Provider::ALL.iter().map(|p| json!(p.name())).collect();
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
    order_id: String,
}

#[derive(Deserialize, JsonSchema)]
struct PayArgs {
    /// The provider
    provider: String,
    /// The orders to pay (exact text); more than one is a batch payment.
    #[schemars(length(min = 1))]
    order_ids: Vec<String>,
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

// ---- answers ----

/// One answer per provider asked.
#[derive(Serialize, JsonSchema)]
pub struct Answers<T> {
    pub results: Vec<Answer<T>>,
}

#[derive(Serialize, JsonSchema)]
pub struct Answer<T> {
    pub provider: String,
    /// The normalised answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// The vendor's typed answer, re-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
}

/// Why a step did not succeed.
#[derive(Serialize, JsonSchema)]
pub struct Failure {
    /// unsupported, wrong_platform, invalid_input, business, partial_failure, refused, transport, undecodable
    pub kind: &'static str,
    pub message: String,
    /// For `unsupported`: the step and the capability table's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// True when the step was refused before anything was sent.
    pub nothing_sent: bool,
    /// The vendor's business code and request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// A partly failed batch: the orders paid (never pay these again), failed (with reasons), and reported
    /// both paid and failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<Vec<FailedOrder>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting: Option<Vec<FailedOrder>>,
}

#[derive(Serialize, JsonSchema)]
pub struct FailedOrder {
    pub order_id: String,
    pub reason: Option<String>,
}

impl Failure {
    fn from_error(e: &Error, moves_money: bool) -> Self {
        let mut f = Failure {
            kind: "transport",
            message: e.to_string(),
            step: None,
            reason: None,
            nothing_sent: e.is_refused_before_sending(),
            code: None,
            request_id: None,
            paid: None,
            failed: None,
            conflicting: None,
        };
        match e {
            Error::Unsupported { step, reason, .. } => {
                f.kind = "unsupported";
                f.step = Some(step.name().into());
                f.reason = Some((*reason).into());
            }
            Error::NotEnabled { step, feature, .. } => {
                f.kind = "unsupported";
                f.step = Some(step.name().into());
                f.reason = Some(format!(
                    "known only from third-party clients; this build lacks the `{feature}` feature"
                ));
            }
            Error::WrongPlatform { .. } => f.kind = "wrong_platform",
            Error::InvalidInput { .. } | Error::ProductRef(_) => f.kind = "invalid_input",
            Error::Money(_) => f.kind = "undecodable",
            _ => {}
        }
        if let Some(api) = e.api() {
            f.kind = "business";
            f.code = Some(api.code);
            f.request_id = api.request_id.clone();
        }
        if let Some(p) = e.partial_failure() {
            let orders = |items: &[sourcing_runtime::FailedItem]| {
                items
                    .iter()
                    .map(|i| FailedOrder {
                        order_id: i.id.clone(),
                        reason: i.reason.clone(),
                    })
                    .collect()
            };
            f.kind = "partial_failure";
            f.request_id = p.request_id.clone();
            f.paid = Some(p.succeeded.clone());
            f.failed = Some(orders(&p.failed));
            f.conflicting = Some(orders(&p.conflicting));
        }
        if matches!(
            e,
            Error::Vendor(sourcing_runtime::Error::InvalidRequest { .. })
        ) {
            f.kind = "refused";
        }
        if moves_money && !f.nothing_sent && f.kind == "transport" {
            f.message.push_str(
                " — the call may have reached the provider: check buy_order_status before trying again",
            );
        }
        f
    }
}

/// A step's support on a provider.
#[derive(Serialize, JsonSchema)]
pub struct Capability {
    pub step: &'static str,
    /// published, third_party, not_available
    pub support: &'static str,
    /// Usable in this build.
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// What a confirmed action did.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Executed {
    Created(CreatedOrder),
    Paid(Payment),
    PaidBatch(BatchPayment),
}

/// What the prepare step found and how it is confirmed.
#[derive(Serialize, JsonSchema)]
pub struct Prepared {
    /// What will happen, exactly: pass it back to buy_confirm unchanged.
    pub action: Action,
    pub summary: String,
    /// The order's preview (amounts with unit), for creating an order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<Preview>,
    /// The orders' details as known (amounts with unit), for a payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<Vec<OrderInfo>>,
    /// Where amounts are not known beforehand, why.
    pub amounts_note: Option<String>,
    /// `token`: call buy_confirm with it; `approved`: the person said yes and it was done (see `outcome`);
    /// `declined`: the person said no, nothing was sent.
    pub confirmation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Answers<Executed>>,
}

/// A normalised answer that keeps the vendor's typed answer.
trait ToRaw {
    /// The vendor's answer as JSON.
    fn raw_json(&self) -> Value;
}

macro_rules! to_raw {
    ($($t:ty),*) => {$(
        impl ToRaw for $t {
            fn raw_json(&self) -> Value {
                self.raw().to_json()
            }
        }
    )*};
}

to_raw!(
    SearchPage,
    Product,
    Preview,
    OrderInfo,
    CreatedOrder,
    Payment,
    BatchPayment
);

impl ToRaw for Executed {
    fn raw_json(&self) -> Value {
        match self {
            Executed::Created(c) => c.raw_json(),
            Executed::Paid(p) => p.raw_json(),
            Executed::PaidBatch(b) => b.raw_json(),
        }
    }
}

fn answer<T: ToRaw>(provider: Provider, result: Result<T, Error>, moves_money: bool) -> Answer<T> {
    match result {
        Ok(v) => Answer {
            provider: provider.name().into(),
            raw: Some(v.raw_json()),
            result: Some(v),
            error: None,
        },
        Err(e) => Answer::failed(provider, &e, moves_money),
    }
}

impl<T> Answer<T> {
    fn failed(provider: Provider, e: &Error, moves_money: bool) -> Self {
        Answer {
            provider: provider.name().into(),
            result: None,
            raw: None,
            error: Some(Failure::from_error(e, moves_money)),
        }
    }
}

fn to_result<T: Serialize>(answers: &Answers<T>) -> CallToolResult {
    let value = serde_json::to_value(answers).unwrap_or(Value::Null);
    if answers.results.iter().all(|a| a.error.is_some()) {
        CallToolResult::structured_error(value)
    } else {
        CallToolResult::structured(value)
    }
}

fn invalid(name: &str, message: String) -> CallToolResult {
    CallToolResult::structured_error(json!({
        "error": "invalid_arguments",
        "message": format!("{name}: {message} (nothing was sent)"),
    }))
}

/// What a workflow call may use besides its arguments.
pub struct Context<'a> {
    pub guards: Guards,
    pub confirmations: &'a Confirmations,
    /// The client, to ask the person where it supports elicitation.
    pub peer: Option<&'a Peer<RoleServer>>,
}

/// The purchase facade over an endpoint, if the facade covers its provider.
pub fn buyer(endpoint: &crate::backend::Endpoint) -> Option<Buyer> {
    let runtime = endpoint.runtime.clone();
    let base = endpoint.base_url.as_str();
    Some(match Provider::from_name(endpoint.provider.name)? {
        Provider::Pandapon => pandapon::Client::with_runtime(base, runtime).into(),
        Provider::Dajisaas => dajisaas::Client::with_runtime(base, runtime).into(),
        Provider::Xportcn => xportcn::Client::with_runtime(base, runtime).into(),
    })
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
            .find(|b| b.provider().name() == provider)
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
            .map(|b| b.provider().name())
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
                        .map(|b| capabilities(b.provider()))
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
                    provider: buyer.provider(),
                    draft: Box::new(draft),
                };
                Box::pin(prepare(buyer, action, cx)).await
            }
            WorkflowTool::PreparePayment => {
                let a: PayArgs = parse(name, arguments)?;
                let buyer = buyers(&a.provider)?[0];
                let action = Action::Pay {
                    provider: buyer.provider(),
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
        let offer = ProductRef::parse(&line.offer_id)
            .map_err(|e| invalid(name, format!("lines[{i}].offer_id: {e}")))?;
        line.offer_id = offer.id().to_string();
    }
    Ok((provider, draft))
}

fn capabilities(provider: Provider) -> Answer<Vec<Capability>> {
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
        results.push(answer(b.provider(), step(b).await, false));
    }
    to_result(&Answers { results })
}

/// What will happen: the action, with the amounts that can be read beforehand (read-only calls).
async fn describe(buyer: &Buyer, action: Action) -> Prepared {
    let mut prepared = Prepared {
        summary: action.describe(),
        action,
        preview: None,
        orders: None,
        amounts_note: None,
        confirmation: "token",
        token: None,
        expires_in_seconds: None,
        outcome: None,
    };
    match &prepared.action {
        Action::CreateOrder { draft, .. } => match Box::pin(buyer.preview(draft)).await {
            Ok(p) if p.orders.is_empty() => {
                prepared.amounts_note = Some(format!(
                    "{} documents no amounts in its preview",
                    buyer.provider()
                ));
                prepared.preview = Some(p);
            }
            Ok(p) => prepared.preview = Some(p),
            Err(e) => prepared.amounts_note = Some(format!("the preview failed: {e}")),
        },
        Action::Pay { order_ids, .. } => {
            let mut orders = Vec::new();
            for id in order_ids {
                match Box::pin(buyer.order(id)).await {
                    Ok(o) => orders.push(o),
                    Err(e) => {
                        prepared.amounts_note = Some(format!("amounts not known beforehand: {e}"));
                        break;
                    }
                }
            }
            if prepared.amounts_note.is_none() {
                prepared.orders = Some(orders);
            }
        }
    }
    prepared
}

fn action_guard(action: &Action) -> Guard {
    match action {
        Action::CreateOrder { .. } => Guard::Write,
        Action::Pay { .. } => Guard::Payment,
    }
}

fn refused(message: String) -> CallToolResult {
    CallToolResult::structured_error(json!({"error": "refused", "message": message, "sent": false}))
}

async fn prepare(buyer: &Buyer, action: Action, cx: &Context<'_>) -> CallToolResult {
    let step = match &action {
        Action::CreateOrder { .. } => Step::CreateOrder,
        Action::Pay { order_ids, .. } if order_ids.len() > 1 => Step::PayBatch,
        Action::Pay { .. } => Step::Pay,
    };
    // An unsupported step is said now, not after the person was asked.
    let refusal = match buyer.support(step) {
        s if s.is_enabled() => None,
        Support::NotAvailable { reason } => Some(Error::Unsupported {
            provider: buyer.provider(),
            step,
            reason,
        }),
        Support::ThirdParty { feature, .. } => Some(Error::NotEnabled {
            provider: buyer.provider(),
            step,
            feature,
        }),
        Support::Published { .. } => None,
    };
    if let Some(e) = refusal {
        let a: Answer<Prepared> = Answer::failed(buyer.provider(), &e, false);
        return to_result(&Answers { results: vec![a] });
    }
    let mut prepared = Box::pin(describe(buyer, action)).await;
    match cx.peer.filter(|p| {
        p.supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
    }) {
        Some(peer) => {
            let question = format!(
                "{}{} Do it? (sent once, never retried)",
                prepared.summary,
                amounts_line(&prepared)
            );
            match peer.elicit::<Approval>(question).await {
                Ok(Some(Approval { approve: true })) => {
                    prepared.confirmation = "approved";
                    prepared.outcome = Some(Box::pin(execute(buyer, &prepared.action)).await);
                }
                Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
                    prepared.confirmation = "declined";
                }
                Err(e) => {
                    return refused(format!(
                        "could not ask the person to confirm ({e}); nothing was sent"
                    ));
                }
            }
        }
        None => {
            prepared.token = Some(cx.confirmations.issue(prepared.action.clone()));
            prepared.expires_in_seconds = Some(cx.confirmations.ttl().as_secs());
        }
    }
    let failed = prepared
        .outcome
        .as_ref()
        .is_some_and(|o| o.results.iter().all(|a| a.error.is_some()));
    let value = serde_json::to_value(&prepared).unwrap_or(Value::Null);
    if failed {
        CallToolResult::structured_error(value)
    } else {
        CallToolResult::structured(value)
    }
}

/// The amounts for the person's question, with their units.
fn amounts_line(p: &Prepared) -> String {
    let totals: Vec<String> = match (&p.preview, &p.orders) {
        (Some(preview), _) => preview
            .orders
            .iter()
            .filter_map(|o| o.total.map(|t| format!("total {t}")))
            .collect(),
        (_, Some(orders)) => orders
            .iter()
            .flat_map(|o| {
                o.items
                    .iter()
                    .filter_map(move |i| i.amount.map(|a| format!("order {}: {a}", o.order_id)))
            })
            .collect(),
        _ => Vec::new(),
    };
    if totals.is_empty() {
        format!(
            " Amounts: {}.",
            p.amounts_note.as_deref().unwrap_or("not known beforehand")
        )
    } else {
        format!(" Amounts: {}.", totals.join("; "))
    }
}

async fn confirm(buyer: &Buyer, token: &str, action: Action, cx: &Context<'_>) -> CallToolResult {
    let guard = action_guard(&action);
    if !cx.guards.allows(guard) {
        return CallToolResult::structured_error(
            cx.guards.refusal(WorkflowTool::Confirm.name(), guard),
        );
    }
    if action.provider() != buyer.provider() {
        return refused(format!(
            "provider {} differs from the action's {}",
            buyer.provider().name(),
            action.provider().name()
        ));
    }
    if let Err(refusal) = cx.confirmations.redeem(token, &action) {
        return refused(refusal.message());
    }
    to_result(&Box::pin(execute(buyer, &action)).await)
}

/// Does a confirmed action, once.
async fn execute(buyer: &Buyer, action: &Action) -> Answers<Executed> {
    let result = match action {
        Action::CreateOrder { draft, .. } => Box::pin(buyer.create_order(draft))
            .await
            .map(Executed::Created),
        Action::Pay { order_ids, .. } => match order_ids.as_slice() {
            [one] => Box::pin(buyer.pay(one)).await.map(Executed::Paid),
            _ => Box::pin(buyer.pay_batch(order_ids))
                .await
                .map(Executed::PaidBatch),
        },
    };
    Answers {
        results: vec![answer(buyer.provider(), result, true)],
    }
}
