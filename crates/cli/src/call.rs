//! `sourcing <provider> <operation> [--flags]`: one command per provider, one per operation, built from the
//! operation tables ([`crate::args`]); running one: inputs from flags, the call through the backend, output,
//! exit code.

use crate::args::{arg_id, flags, provider_command};
use crate::backend::{Backend, Flag, find_provider, providers};
use crate::confirm::{self, LiveAction};
use crate::output::{Format, Printer, body_prefix};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{ArgMatches, Command};
use serde_json::Value;
use sourcing_buy::journal::{Answer, Intent, Outcome, Ticket};
use sourcing_buy::{Error as BuyError, Flow, Journal, OrderId, SubOrderId};
use sourcing_ledger::Ledger;
use sourcing_runtime::{FlowRole, Operation, ParamKind, ParamLocation, Provider};

/// The operation subcommands of `cmd` (a provider's) that write or pay.
fn writes_of(cmd: &Command) -> Vec<String> {
    let Ok(provider) = find_provider(cmd.get_name()) else {
        return Vec::new();
    };
    provider
        .operations
        .iter()
        .filter(|op| op.effect != sourcing_runtime::Effect::Read)
        .map(|op| op.id.replace('_', "-"))
        .collect()
}

/// What `--help` says about the ledger (docs/ledger.md, "Raw commands").
const JOURNAL_HELP: &str = "\
Order steps are journaled in the order ledger (--store, $SOURCING_STORE, the config file's store, else the \
default ledger): an operation that creates, pays (one order or a batch) or cancels an order records its intent \
before sending — and sends nothing (exit 6) when the ledger refuses it: an order already paid, or one whose \
earlier step's outcome is unknown — and its answer after. The answer of a raw command is not read, so a create \
or payment answered raw stays `create_unknown`/`pay_unknown` (event `answered_raw`, with the body) until \
`sourcing ledger reconcile` reads the order. Other writes (cart, address, refund, logistics, …) are not \
order steps and are not ledger entries.";

/// Every operation of every provider: `sourcing <provider> <operation>`.
pub struct Operations;

impl Subcommand for Operations {
    fn commands(&self) -> Vec<Command> {
        providers()
            .iter()
            .map(|p| {
                provider_command(p)
                    .args(Flag::args(&Flag::ALL))
                    .arg(Format::arg(Format::Json))
                    .args(confirm::args())
                    .arg(crate::ledger::store_arg())
            })
            .map(|cmd| {
                // Every write or payment says what the ledger keeps of it.
                writes_of(&cmd).into_iter().fold(cmd, |cmd, name| {
                    cmd.mut_subcommand(name, |op| op.after_long_help(JOURNAL_HELP))
                })
            })
            .collect()
    }

    fn owns(&self, name: &str) -> bool {
        find_provider(name).is_ok()
    }

    fn run<'a>(&'a self, name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run_operation(name, matches))
    }
}

async fn run_operation(provider_name: &str, pm: &ArgMatches) -> Result<u8, Stop> {
    let provider = find_provider(provider_name)?;
    let (op_name, om) = pm
        .subcommand()
        .ok_or_else(|| Stop::usage(format!("{provider_name}: which operation? see --help")))?;
    let op = provider
        .find(op_name)
        .ok_or_else(|| Stop::usage(format!("{provider_name} has no operation {op_name}")))?;
    let (query, body) = inputs(op, om)?;
    let backend = Backend::from_matches(om).await?;
    backend.require_profile_of(provider)?;
    let endpoint = backend.endpoint(provider)?;
    let query_refs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if confirm::is_dry_run(om) {
        let shown = confirm::dry_run(&endpoint, op, &query_refs, body.as_ref())?;
        crate::output::print_text(&shown)?;
        eprintln!("dry run: nothing was sent");
        return Ok(exit::OK);
    }
    let step = RawStep::of(op, &query, body.as_ref())?;
    let journal = match &step {
        Some(step) => Some(RawJournal::open(om, &backend, provider, step).await?),
        None => None,
    };
    let action = LiveAction {
        provider,
        profile: backend.profile(provider),
        operation: op.id,
        effect: op.effect,
        order_ids: order_ids(&query, body.as_ref()),
        amount: match &journal {
            Some(j) => j.amount().await,
            None => None,
        },
        base_url: &endpoint.base_url,
    };
    confirm::confirm_live(&backend, &action, confirm::yes(om))?;
    let ticket = match &journal {
        Some(j) => Some(j.before().await?),
        None => None,
    };
    let result = endpoint.call(op, &query_refs, body.as_ref()).await;
    let result = result.map_err(BuyError::Vendor);
    let (result, code) = match (&journal, ticket) {
        (Some(j), Some(ticket)) => j.after(ticket, result).await,
        _ => (result, None),
    };
    let printer = Printer::new(Format::of(om, Format::Json));
    match result {
        Ok(data) => {
            printer.answer(&data);
            Ok(exit::OK)
        }
        Err(e) => {
            eprintln!("error: {e}");
            let BuyError::Vendor(e) = e else {
                return Ok(code.unwrap_or(exit::REQUEST));
            };
            if let Some(body) = e.body() {
                eprintln!("{}", body_prefix(body));
            }
            // A partly failed batch still tells which items went through: print the answer as on success.
            if let Some(p) = e.partial_failure() {
                printer.answer(&p.data);
            }
            Ok(code.unwrap_or_else(|| exit::of(&e)))
        }
    }
}

/// An order step sent by a raw command, as the ledger journals it: the operation's flow role
/// ([`FlowRole`]) with the order id(s) of the request's arguments.
#[derive(Debug)]
enum RawStep {
    Create(Value),
    Pay(OrderId),
    PayBatch(Vec<OrderId>),
    Cancel {
        order_id: OrderId,
        reason: String,
    },
    /// A receipt: the body's `orderId` and its sub-orders' `orderEntryIds` (both vendors' field names).
    Receive {
        order_id: OrderId,
        sub_order_ids: Vec<SubOrderId>,
    },
}

impl RawStep {
    /// The step `op` is (`None`: not an order step — a read, or a write such as cart or address that
    /// the ledger does not keep). A pay or cancel must name its order(s).
    fn of(
        op: &Operation,
        query: &[(&'static str, String)],
        body: Option<&Value>,
    ) -> Result<Option<RawStep>, Stop> {
        let ids = || order_ids(query, body);
        let one = |what: &str| match ids().as_slice() {
            [one] => Ok(OrderId::new(one.as_str())),
            other => Err(Stop::usage(format!(
                "{}: a {what} names one order id, got {} ({}): the ledger could not record it, nothing sent",
                op.id,
                other.len(),
                other.join(", ")
            ))),
        };
        Ok(Some(match op.flow_role {
            Some(FlowRole::Create) => RawStep::Create(recorded_body(op, body)),
            Some(FlowRole::PayOne) => RawStep::Pay(one("payment")?),
            Some(FlowRole::PayBatch) => match ids() {
                ids if ids.is_empty() => {
                    return Err(Stop::usage(format!(
                        "{}: a batch payment names its order ids: nothing sent",
                        op.id
                    )));
                }
                ids => RawStep::PayBatch(ids.into_iter().map(OrderId::from).collect()),
            },
            Some(FlowRole::Cancel) => RawStep::Cancel {
                order_id: one("cancel")?,
                reason: body
                    .and_then(|b| b.get("cancelReason"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            },
            Some(FlowRole::Receive) => RawStep::Receive {
                order_id: receipt_order_id(op, body)?,
                sub_order_ids: body
                    .and_then(|b| b.get("orderEntryIds"))
                    .map(|v| id_texts(v, false))
                    .unwrap_or_default()
                    .into_iter()
                    .map(SubOrderId::from)
                    .collect(),
            },
            Some(FlowRole::Detail) | None => return Ok(None),
        }))
    }

    fn intent(&self) -> Intent<'_> {
        match self {
            RawStep::Create(request) => Intent::CreateRaw { request },
            RawStep::Pay(order_id) => Intent::Pay { order_id },
            RawStep::PayBatch(order_ids) => Intent::PayBatch { order_ids },
            RawStep::Cancel { order_id, reason } => Intent::Cancel { order_id, reason },
            RawStep::Receive {
                order_id,
                sub_order_ids,
            } => Intent::ConfirmReceipt {
                order_id,
                sub_order_ids,
            },
        }
    }

    /// What a lost answer may have done, and the state it is recorded in.
    fn may_have(&self) -> (&'static str, &'static str) {
        match self {
            RawStep::Create(_) => ("MAY HAVE BEEN CREATED", "create_unknown"),
            RawStep::Pay(_) | RawStep::PayBatch(_) => ("MAY HAVE BEEN PAID", "pay_unknown"),
            RawStep::Cancel { .. } => ("MAY HAVE BEEN CANCELLED", "cancel_unknown"),
            RawStep::Receive { .. } => ("MAY HAVE BEEN CONFIRMED AS RECEIVED", "receipt_unknown"),
        }
    }
}

/// The order a receipt confirms: the body's `orderId` alone (`orderEntryIds` are its sub-orders).
fn receipt_order_id(op: &Operation, body: Option<&Value>) -> Result<OrderId, Stop> {
    match body
        .and_then(|b| b.get("orderId"))
        .map(|v| id_texts(v, false))
        .as_deref()
    {
        Some([one]) => Ok(OrderId::new(one.as_str())),
        _ => Err(Stop::usage(format!(
            "{}: a receipt names its order in the body's `orderId`: the ledger could not record it, nothing sent",
            op.id
        ))),
    }
}

/// Ids as exact text: a number as written, a string as is (`split`: a comma-separated list, brackets and
/// quotes trimmed, as order-id query parameters carry several), a list item by item; none for null or "".
fn id_texts(v: &Value, split: bool) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(|i| id_texts(i, false)).collect(),
        Value::String(s) if split => s
            .split(',')
            .map(|p| p.trim().trim_matches(['[', ']', '"']).to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        Value::String(s) if !s.is_empty() => vec![s.clone()],
        Value::Null | Value::String(_) => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// The request body as the ledger records it: the signing scheme's secret fields (Dajisaas's `appSecret`,
/// should a caller write it into `--body`) redacted.
fn recorded_body(op: &Operation, body: Option<&Value>) -> Value {
    let mut body = body.cloned().unwrap_or(Value::Null);
    if let Value::Object(map) = &mut body {
        for p in op.auth.params().iter().filter(|p| p.secret) {
            if let Some(v) = map
                .get_mut(p.name)
                .filter(|v| !matches!(v.as_str(), Some("") | None))
            {
                *v = Value::String("<redacted>".into());
            }
        }
    }
    body
}

/// The ledger's record of one raw order step (the always-on ledger, [`crate::ledger::store_url`]), with the
/// profile whose account sends it.
struct RawJournal<'a> {
    ledger: Ledger,
    provider: Flow,
    step: &'a RawStep,
    /// `--store`, repeated in the command that settles an unknown outcome.
    store: Option<String>,
}

impl<'a> RawJournal<'a> {
    async fn open(
        m: &ArgMatches,
        backend: &Backend,
        described: &Provider,
        step: &'a RawStep,
    ) -> Result<RawJournal<'a>, Stop> {
        let provider = sourcing_registry::flow(described.name).ok_or_else(|| {
            Stop::config(format!(
                "{}: the ledger has no such provider",
                described.name
            ))
        })?;
        let ledger = crate::ledger::open(m, crate::ledger::Access::Create).await?;
        Ok(RawJournal {
            ledger: ledger.with_profile(backend.profile(described).map(String::from)),
            provider,
            step,
            store: m.try_get_one::<String>("store").ok().flatten().cloned(),
        })
    }

    /// The amount the ledger knows for the one order a step names (for the confirmation).
    async fn amount(&self) -> Option<String> {
        let id = match self.step {
            RawStep::Pay(id)
            | RawStep::Cancel { order_id: id, .. }
            | RawStep::Receive { order_id: id, .. } => id,
            _ => return None,
        };
        let (entry, _) = self
            .ledger
            .show(id.as_str(), Some(self.provider))
            .await
            .ok()?;
        entry.amount.map(|a| serde_json::json!(a).to_string())
    }

    /// Records the intent; a refusal (already paid, an earlier outcome unknown, the store) sends nothing.
    async fn before(&self) -> Result<Ticket, Stop> {
        let intent = self.step.intent();
        Journal::before(&self.ledger, self.provider, &intent)
            .await
            .map_err(|e| Stop(exit::REQUEST, format!("not sent: {e}")))
    }

    /// Records how the call ended (a raw answer settles nothing; a refusal or a lost answer as `buy`
    /// records them); the result back, and the exit code of a lost answer (7).
    async fn after(
        &self,
        ticket: Ticket,
        result: Result<Value, BuyError>,
    ) -> (Result<Value, BuyError>, Option<u8>) {
        let intent = self.step.intent();
        let outcome = match &result {
            Ok(data) => Outcome::Answered(Answer::Raw(data)),
            Err(error) => Outcome::of_error(error),
        };
        let lost = matches!(outcome, Outcome::Unknown(_));
        Journal::after(&self.ledger, self.provider, ticket, &intent, outcome).await;
        if result.is_ok() {
            self.warn_raw();
        }
        if !lost {
            return (result, None);
        }
        let (may_have, state) = self.step.may_have();
        eprintln!(
            "warning: {}: the answer was lost: it {may_have}. It is never retried; do not send it again \
             before checking. It is recorded `{state}` in the ledger. Settle it with `{}`.",
            self.provider.name(),
            self.next()
        );
        (result, Some(exit::UNKNOWN_OUTCOME))
    }

    fn next(&self) -> String {
        let store = self
            .store
            .as_ref()
            .map(|s| format!(" --store {s}"))
            .unwrap_or_default();
        format!(
            "sourcing ledger reconcile --provider {}{store}",
            self.provider.name()
        )
    }

    /// A raw answer is recorded unread: say what the ledger now shows.
    fn warn_raw(&self) {
        if matches!(self.step, RawStep::Cancel { .. }) {
            return;
        }
        let (_, state) = self.step.may_have();
        eprintln!(
            "note: the ledger records this answer unread: the order stays `{state}` until `{}` reads it",
            self.next()
        );
    }
}

/// The order ids among the inputs (fields named like `orderId`, `orderIds`, `orderIdList`,
/// `subPurchaseOrderId`: a value, a JSON list or a comma-separated list), for the confirmation.
fn order_ids(query: &[(&'static str, String)], body: Option<&Value>) -> Vec<String> {
    let is_order_field = |name: &str| {
        let name = name.to_lowercase();
        name.contains("order") && name.contains("id")
    };
    let mut ids = Vec::new();
    let mut add = |v: &Value| ids.extend(id_texts(v, true));
    for (name, value) in query {
        if is_order_field(name) {
            add(&Value::String(value.clone()));
        }
    }
    if let Some(Value::Object(map)) = body {
        for (name, value) in map {
            if is_order_field(name) {
                add(value);
            }
        }
    }
    ids
}

type Inputs = (Vec<(&'static str, String)>, Option<Value>);

/// Query pairs and the JSON body from the operation's flags (and `--body`).
fn inputs(op: &'static Operation, m: &ArgMatches) -> Result<Inputs, Stop> {
    let mut query = Vec::new();
    let mut body = match m.try_get_one::<String>("body").ok().flatten() {
        Some(text) => Some(parse_body(text)?),
        None => op.has_body.then(|| Value::Object(Default::default())),
    };
    let mut missing = Vec::new();
    for (p, flag) in op.params.iter().zip(flags(op)) {
        let value = m.get_one::<String>(&arg_id(p));
        match (p.location, value) {
            (ParamLocation::Query, Some(v)) => query.push((p.name, v.clone())),
            (ParamLocation::Body, Some(v)) => {
                let json = if p.kind == ParamKind::String {
                    Value::String(v.clone())
                } else {
                    serde_json::from_str(v)
                        .map_err(|e| Stop::usage(format!("--{flag}: not valid JSON ({e})")))?
                };
                if let Some(Value::Object(map)) = body.as_mut() {
                    map.insert(p.name.to_string(), json);
                }
            }
            (ParamLocation::Query, None) if p.required => missing.push(format!("--{flag}")),
            (ParamLocation::Body, None)
                if p.required && body.as_ref().and_then(|b| b.get(p.name)).is_none() =>
            {
                missing.push(format!("--{flag} (or that field in --body)"))
            }
            _ => {}
        }
    }
    // Every missing input at once.
    match missing.as_slice() {
        [] => {}
        [one] => return Err(Stop::usage(format!("{}: {one} is required", op.id))),
        [init @ .., last] => {
            return Err(Stop::usage(format!(
                "{}: {} and {last} are required",
                op.id,
                init.join(", ")
            )));
        }
    }
    Ok((query, body))
}

fn parse_body(text: &str) -> Result<Value, Stop> {
    let source = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Stop::usage(format!("--body @{path}: {e}")))?,
        None => text.to_string(),
    };
    let value: Value = serde_json::from_str(&source)
        .map_err(|e| Stop::usage(format!("--body: not valid JSON ({e})")))?;
    if !value.is_object() {
        return Err(Stop::usage("--body must be a JSON object"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_create_request_never_holds_a_secret() {
        let op = sourcing_registry::find("dajisaas")
            .and_then(|p| p.find("order_create"))
            .expect("dajisaas order_create");
        let body = serde_json::json!({"appSecret": "s3cret", "appKey": "k", "thirdOrderId": "T1"});
        let recorded = recorded_body(op, Some(&body));
        assert_eq!(recorded["appSecret"], "<redacted>");
        assert_eq!(recorded["thirdOrderId"], "T1");
        let query = [("orderId", "1".to_string())];
        let pay = sourcing_registry::find("pandapon")
            .and_then(|p| p.find("order_pay_url"))
            .expect("pandapon order_pay_url");
        assert!(matches!(
            RawStep::of(pay, &query, None),
            Ok(Some(RawStep::Pay(id))) if id == "1"
        ));
        let Err(Stop(code, _)) = RawStep::of(pay, &[], None) else {
            panic!("a payment without an order id is journaled")
        };
        assert_eq!(code, exit::USAGE);
    }
}
