//! `sourcing buy <step> --provider X`: the purchase flow of `sourcing-buy` from a shell, on one provider or
//! on all of them (`--provider all`) to compare their answers. One answer per provider, a stream in the
//! `--output` format (JSON lines by default): `{"provider", "result"}` (the normalised answer, plus `raw`, the
//! vendor's typed answer), `{"provider", "error", "unsupported"?}`, or with `--provider all`
//! `{"provider", "skipped"}` for a provider without credentials or without the step. Third-party steps
//! are labelled `"unconfirmed": true`. A payment, order, cancel or receipt whose answer was lost exits
//! [`exit::UNKNOWN_OUTCOME`] with `"outcome": "unknown"` and the command that settles it (`"next"`).

use crate::backend::{Backend, Flag};
use crate::output::{Format, Printer};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value, json};
use sourcing_buy::journal::Outcome;
use sourcing_buy::{
    Address, Buyer, Error, ExternalOrderId, Flow, OfferId, OrderDraft, OrderId, OrderLine,
    ProductRef, SearchQuery, SpecId, Step, SubOrderId, Support,
};
use sourcing_ledger::Ledger;
use std::sync::Arc;

/// `sourcing buy <step>`.
pub struct Buy;

const COMMON: &str = "Common options";
const GOODS: &str = "Goods";
const ADDRESS: &str = "Address";
/// The id of `crate::ledger::store_arg` (`--store`).
const STORE: &str = "store";

impl Subcommand for Buy {
    fn commands(&self) -> Vec<Command> {
        let common = Flag::args(&Flag::ALL)
            .into_iter()
            .chain([crate::ledger::store_arg(), Format::arg(Format::JsonLines)])
            .chain(crate::confirm::args().into_iter().take(1)) // --yes (no --dry-run: the facade builds the request)
            .map(|a| a.help_heading(COMMON));
        vec![command().args(common)]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run(matches))
    }
}

fn provider_arg() -> Arg {
    Arg::new("provider")
        .long("provider")
        .required(true)
        .ignore_case(true)
        .value_parser(clap::builder::PossibleValuesParser::new(
            sourcing_registry::flows()
                .into_iter()
                .map(|p| p.name())
                .chain(["all"]),
        ))
        .help_heading(COMMON)
        .help("Which provider, any case (or all those with credentials, one answer each)")
}

fn order_args(cmd: Command) -> Command {
    let text = |name: &'static str, help: &'static str| {
        Arg::new(name).long(name).value_name("TEXT").help(help)
    };
    let address = |name, help| text(name, help).help_heading(ADDRESS);
    let goods = |name, help| text(name, help).help_heading(GOODS);
    cmd.arg(
        Arg::new("line")
            .long("line")
            .action(ArgAction::Append)
            .required(true)
            .value_name("OFFER:SPEC_ID:QUANTITY")
            .help_heading(GOODS)
            .help(
                "A line of goods: 1688 offer id or link, SKU spec id (`spec_id` of `buy detail`), \
                 quantity from 1 (repeatable)",
            ),
    )
    .arg(goods("message", "Remark for the seller"))
    .arg(goods(
        "external-order-id",
        "Your own order number (Dajisaas requires it)",
    ))
    .arg(goods(
        "flow",
        "Order flow (default: each vendor's published example value)",
    ))
    .arg(address("full-name", "Receiver").required(true))
    .arg(address("mobile", "Receiver's mobile").required(true))
    .arg(address("phone", "Telephone (Dajisaas requires it)"))
    .arg(address("post-code", "Postcode (Dajisaas requires it)"))
    .arg(address("province", "Province, as text").required(true))
    .arg(address("city", "City, as text").required(true))
    .arg(address(
        "district",
        "District, as text (Dajisaas requires it)",
    ))
    .arg(address("town", "Town, as text (Dajisaas requires it)"))
    .arg(address("street", "Street address").required(true))
    .arg(address(
        "district-code",
        "Six-digit district code (Dajisaas requires it)",
    ))
}

fn order_id() -> Arg {
    Arg::new("order-id")
        .long("order-id")
        .required(true)
        .value_name("ID")
        .value_parser(digits)
        .help("Order id (19 digits, as text)")
}

/// An order id as typed: its digits (every provider's order and sub-order ids are), refused before anything
/// is recorded or sent — `--order-id null` from a failed step's `jq` would otherwise open a ledger entry.
fn digits(text: &str) -> Result<String, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{text}` is not an order id: an id is digits (1688 and Taobao order ids have 19), \
             as the step that created the order printed it"
        ));
    }
    Ok(text.to_string())
}

fn command() -> Command {
    Command::new("buy")
        .about("The purchase flow on any provider through one facade (sourcing-buy): compare providers from a shell")
        .long_about(
            "The purchase flow on any provider through one facade (sourcing-buy). Prints one answer per \
             provider: the normalised answer (exact ids; money with its unit, fen or yuan; `inexact: true` \
             and the vendor's text where a vendor number was not exact) and `raw`, the vendor's typed \
             answer; or the error, and `unsupported: true` for a step the provider does not support \
             (refused before anything is sent). Steps known only from third-party clients are labelled \
             `unconfirmed: true`. `--provider all` runs every provider that has credentials and the step, \
             and prints the others as `skipped` with the reason. One JSON line each by default; `-o json`: \
             one JSON array; `-o table`: one row each. Payments and orders are never retried: one whose \
             answer was lost exits 7 and says how to settle it (`sourcing ledger reconcile`).",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("search")
                .about("Keyword search among 1688 offers")
                .arg(provider_arg())
                .arg(Arg::new("keyword").long("keyword").required(true))
                .arg(
                    Arg::new("page")
                        .long("page")
                        .value_parser(clap::value_parser!(u32)),
                )
                .arg(
                    Arg::new("page-size")
                        .long("page-size")
                        .value_parser(clap::value_parser!(u32)),
                ),
        )
        .subcommand(
            Command::new("detail")
                .about("A 1688 offer's details and SKUs (their `spec_id` goes in `--line`), by id or pasted link")
                .arg(provider_arg())
                .arg(
                    Arg::new("product")
                        .long("product")
                        .required(true)
                        .value_name("ID|LINK"),
                ),
        )
        .subcommand(order_args(
            Command::new("preview")
                .about("Prices and freight of an order, without ordering")
                .arg(provider_arg()),
        ))
        .subcommand(order_args(
            Command::new("order")
                .about("Create an order (sent once, never retried; prints `order_id`)")
                .arg(provider_arg()),
        ))
        .subcommand(
            Command::new("pay")
                .about("Pay one order, or several in one batch call (sent once, never retried)")
                .arg(provider_arg())
                .arg(order_id().action(ArgAction::Append).help(
                    "Order id; repeat for a batch (a partly failed batch exits 5 and prints which orders were paid)",
                )),
        )
        .subcommand(
            Command::new("status")
                .about("An order's state and details")
                .arg(provider_arg())
                .arg(order_id()),
        )
        .subcommand(
            Command::new("cancel")
                .about("Cancel an unpaid order (sent once, never retried)")
                .arg(provider_arg())
                .arg(order_id())
                .arg(
                    Arg::new("reason")
                        .long("reason")
                        .value_name("TEXT")
                        .default_value("buyerCancel")
                        .help("`cancelReason`: free text on PandaPon, a code on Dajisaas (its example: buyerCancel)"),
                ),
        )
        .subcommand(
            Command::new("receive")
                .about("Confirm that an order's goods arrived (sent once, never retried)")
                .arg(provider_arg())
                .arg(order_id())
                .arg(
                    Arg::new("sub-order-id")
                        .long("sub-order-id")
                        .action(ArgAction::Append)
                        .value_name("ID")
                        .value_parser(digits)
                        .help("A sub-order (order entry) id, `sub_order_id` of `buy status` (repeatable)"),
                ),
        )
}

/// The facade step a `buy` subcommand runs.
fn step_of(name: &str, m: &ArgMatches) -> Option<Step> {
    Some(match name {
        "search" => Step::Search,
        "detail" => Step::ProductDetail,
        "preview" => Step::Preview,
        "order" => Step::CreateOrder,
        "pay" if order_ids(m).len() > 1 => Step::PayBatch,
        "pay" => Step::Pay,
        "status" => Step::OrderStatus,
        "cancel" => Step::Cancel,
        "receive" => Step::ConfirmReceipt,
        _ => return None,
    })
}

/// What a step whose answer was lost may have done, and the ledger state it is recorded in.
fn may_have(step: Step) -> Option<(&'static str, &'static str)> {
    Some(match step {
        Step::Pay | Step::PayBatch => ("MAY HAVE BEEN PAID", "pay_unknown"),
        Step::CreateOrder => ("MAY HAVE BEEN CREATED", "create_unknown"),
        Step::Cancel => ("MAY HAVE BEEN CANCELLED", "cancel_unknown"),
        Step::ConfirmReceipt => ("MAY HAVE BEEN CONFIRMED AS RECEIVED", "receipt_unknown"),
        _ => return None,
    })
}

fn ok<T: serde::Serialize>(result: &T, raw: Value) -> Value {
    let mut value = serde_json::to_value(result).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("raw".into(), raw);
    }
    value
}

/// The error's exit code and its fields on the output line.
fn failure(e: &Error) -> (u8, Map<String, Value>) {
    let code = match e {
        Error::Vendor(v) => exit::of(v),
        Error::Money(_) => exit::TRANSPORT,
        _ => exit::REQUEST,
    };
    let mut value = Map::new();
    value.insert("error".into(), json!(e.to_string()));
    if matches!(e, Error::Unsupported { .. } | Error::NotEnabled { .. }) {
        value.insert("unsupported".into(), json!(true));
    }
    // A partly failed batch still tells which orders went through.
    if let Some(p) = e.partial_failure() {
        let items = |list: &[sourcing_runtime::FailedItem]| {
            list.iter()
                .map(|f| json!({"orderId": f.id, "reason": f.reason}))
                .collect::<Vec<_>>()
        };
        value.insert("paid".into(), json!(p.succeeded));
        value.insert("failed".into(), json!(items(&p.failed)));
        value.insert("conflicting".into(), json!(items(&p.conflicting)));
        value.insert("raw".into(), p.data.clone());
    }
    (code, value)
}

fn text(m: &ArgMatches, name: &str) -> Option<String> {
    m.get_one::<String>(name).cloned()
}

fn order_ids(m: &ArgMatches) -> Vec<String> {
    m.try_get_many::<String>("order-id")
        .ok()
        .flatten()
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

/// The largest quantity an order line holds. No vendor publishes a per-line limit (Dajisaas: at most 100
/// SKUs per order; quantities are typed only as integers / numbers).
const MAX_QUANTITY: u64 = u32::MAX as u64;

/// `QUANTITY` of `--line`: a whole number from 1 to [`MAX_QUANTITY`], each failure with its own reason.
fn quantity(line: &str, text: &str) -> Result<u32, Stop> {
    let refuse = |why: String| Stop::usage(format!("--line {line}: quantity `{text}` {why}"));
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse("is not a whole number".into()));
    }
    match text.parse::<u64>().ok().filter(|q| *q <= MAX_QUANTITY) {
        Some(0) => Err(refuse("is out of range: order at least 1".into())),
        Some(q) => Ok(q as u32),
        None => Err(refuse(format!(
            "is out of range: at most {MAX_QUANTITY} (the largest an order line holds; no vendor publishes a per-line limit)"
        ))),
    }
}

fn draft(m: &ArgMatches) -> Result<OrderDraft, Stop> {
    let mut lines = Vec::new();
    for line in m.get_many::<String>("line").into_iter().flatten() {
        // From the right: the offer may be a link with `:` in it.
        let mut parts = line.rsplitn(3, ':');
        let (Some(count), Some(spec_id), Some(offer)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(Stop::usage(format!(
                "--line {line}: expected OFFER:SPEC_ID:QUANTITY"
            )));
        };
        let offer =
            ProductRef::parse(offer).map_err(|e| Stop::usage(format!("--line {line}: {e}")))?;
        if spec_id.is_empty() {
            return Err(Stop::usage(format!(
                "--line {line}: the spec id is empty (take `spec_id` from `buy detail`)"
            )));
        }
        lines.push(OrderLine::new(
            OfferId::new(offer.id()),
            SpecId::new(spec_id),
            quantity(line, count)?,
        ));
    }
    let mut address = Address::new(
        text(m, "full-name").unwrap_or_default(),
        text(m, "mobile").unwrap_or_default(),
        text(m, "province").unwrap_or_default(),
        text(m, "city").unwrap_or_default(),
        text(m, "street").unwrap_or_default(),
    );
    address.phone = text(m, "phone");
    address.post_code = text(m, "post-code");
    address.district = text(m, "district");
    address.town = text(m, "town");
    address.district_code = text(m, "district-code");
    let mut draft = OrderDraft::new(address, lines);
    draft.message = text(m, "message");
    draft.external_order_id = text(m, "external-order-id").map(ExternalOrderId::from);
    draft.flow = text(m, "flow");
    Ok(draft)
}

/// Runs the step `name` on `buyer`: the result (normalised answer plus `raw`) or the facade's error.
async fn step(buyer: &Buyer, name: &str, m: &ArgMatches) -> Result<Result<Value, Error>, Stop> {
    // The ids the user typed become the facade's ids here, as typed.
    let ids: Vec<OrderId> = order_ids(m).into_iter().map(OrderId::from).collect();
    let first = ids.first().cloned().unwrap_or_default();
    Ok(match name {
        "search" => {
            let mut query = SearchQuery::new(text(m, "keyword").unwrap_or_default());
            query.page = m.get_one::<u32>("page").copied();
            query.page_size = m.get_one::<u32>("page-size").copied();
            buyer
                .search(&query)
                .await
                .map(|r| ok(&r, r.raw().to_json()))
        }
        "detail" => {
            let product = ProductRef::parse(&text(m, "product").unwrap_or_default())
                .map_err(|e| Stop::usage(format!("--product: {e}")))?;
            let found = buyer.product(&product).await;
            found.map(|r| ok(&r, r.raw().to_json()))
        }
        "preview" => {
            let found = buyer.preview(&draft(m)?).await;
            found.map(|r| ok(&r, r.raw().to_json()))
        }
        "order" => {
            let created = buyer.create_order(&draft(m)?).await;
            created.map(|r| ok(&r, r.raw().to_json()))
        }
        "pay" if ids.len() > 1 => {
            let paid = buyer.pay_batch(&ids).await;
            paid.map(|r| ok(&r, r.raw().to_json()))
        }
        "pay" => buyer.pay(&first).await.map(|r| ok(&r, r.raw().to_json())),
        "status" => buyer.order(&first).await.map(|r| ok(&r, r.raw().to_json())),
        "cancel" => {
            let reason = text(m, "reason").unwrap_or_default();
            let done = buyer.cancel(&first, &reason).await;
            done.map(|r| ok(&r, r.raw().to_json()))
        }
        "receive" => {
            let subs: Vec<SubOrderId> = m
                .get_many::<String>("sub-order-id")
                .into_iter()
                .flatten()
                .map(|id| SubOrderId::new(id.as_str()))
                .collect();
            let done = buyer.confirm_receipt(&first, &subs).await;
            done.map(|r| ok(&r, r.raw().to_json()))
        }
        other => return Err(Stop::usage(format!("unknown buy step {other}"))),
    })
}

/// What one command knows beyond the step: the ledger, and how to name the command that settles an
/// unknown outcome.
struct Context<'a> {
    m: &'a ArgMatches,
    ledger: Option<Arc<Ledger>>,
    sandbox: bool,
}

impl Context<'_> {
    /// The command that settles what this step left open: reconcile the ledger (always on; `--store` and
    /// `--profile` repeated when given), else read the order.
    fn next(&self, provider: Flow) -> String {
        let flag = |id: &str| {
            let value = self.m.try_get_one::<String>(id).ok().flatten();
            value.map(|v| format!(" --{id} {v}")).unwrap_or_default()
        };
        let sandbox = if self.sandbox { " --sandbox" } else { "" };
        let common = format!(
            "{sandbox}{}{}{}",
            flag(Flag::Config.id()),
            flag(Flag::Profile.id()),
            flag(Flag::BaseUrl.id())
        );
        match &self.ledger {
            Some(_) => format!(
                "sourcing ledger reconcile --provider {}{}{common}",
                provider.name(),
                flag(STORE)
            ),
            None => {
                let id = order_ids(self.m).first().cloned().unwrap_or_default();
                format!(
                    "sourcing buy status --provider {} --order-id {id}{common}",
                    provider.name()
                )
            }
        }
    }

    /// The ledger entries of the orders this step named (`buy pay`): the state it recorded.
    async fn recorded(&self, provider: Flow) -> Option<Value> {
        let ledger = self.ledger.as_ref()?;
        let mut entries = Vec::new();
        for id in order_ids(self.m) {
            match ledger.show(&id, Some(provider)).await {
                Ok((entry, _)) => entries.push(json!(entry)),
                Err(e) => entries.push(json!({"order_id": id, "error": e.to_string()})),
            }
        }
        Some(match <[Value; 1]>::try_from(entries) {
            Ok([one]) => one,
            Err(all) => Value::Array(all),
        })
    }

    /// The fields of a step whose answer was lost: `outcome: unknown`, the warning, where it is recorded
    /// and `next`.
    /// `shown`: the state the ledger shows for the order, where it was read back.
    fn unknown(
        &self,
        provider: Flow,
        step: Step,
        error: &Error,
        shown: Option<&str>,
    ) -> Map<String, Value> {
        let (may_have, expected) = may_have(step).unwrap_or(("MAY HAVE HAPPENED", "unknown"));
        let state = shown.unwrap_or(expected);
        let next = self.next(provider);
        let recorded = match self.ledger {
            Some(_) => format!("It is recorded `{state}` in the ledger."),
            None => "Nothing was recorded (no --store).".to_string(),
        };
        let what = match step {
            Step::Pay | Step::PayBatch => "payment",
            Step::CreateOrder => "order creation",
            Step::Cancel => "cancel",
            _ => "receipt confirmation",
        };
        let message = format!(
            "the {what}'s answer was lost ({error}): it {may_have}. It is never retried; do not send it \
             again before checking. {recorded} Settle it with `{next}`."
        );
        let mut fields = Map::new();
        fields.insert("error".into(), json!(message));
        fields.insert("outcome".into(), json!("unknown"));
        if self.ledger.is_some() {
            fields.insert("recorded".into(), json!(state));
        }
        fields.insert("next".into(), json!(next));
        fields
    }
}

/// `--provider`: one provider (any case) or all.
fn providers(m: &ArgMatches) -> Result<(Vec<Flow>, bool), Stop> {
    let name = m.get_one::<String>("provider").map(String::as_str);
    match name {
        None => Ok((sourcing_registry::flows(), true)),
        Some(n) if n.eq_ignore_ascii_case("all") => Ok((sourcing_registry::flows(), true)),
        Some(n) => sourcing_registry::flow(n)
            .map(|p| (vec![p], false))
            .ok_or_else(|| Stop::usage(format!("unknown provider {n}"))),
    }
}

/// Flag combinations that would send where the user did not mean to.
fn refuse_combinations(m: &ArgMatches, all: bool) -> Result<(), Stop> {
    let base_url = m.try_get_one::<String>(Flag::BaseUrl.id()).ok().flatten();
    let sandbox = m.try_get_one::<bool>(Flag::Sandbox.id()).ok().flatten() == Some(&true);
    match (base_url, all, sandbox) {
        (Some(_), true, _) => Err(Stop::usage(
            "--base-url with --provider all would send every provider's signed request (with its key) \
             to one host: give one --provider",
        )),
        (Some(_), _, true) => Err(Stop::usage(
            "--sandbox and --base-url together: choose one (--sandbox calls the embedded sandbox)",
        )),
        _ => Ok(()),
    }
}

async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    let (name, sm) = m
        .subcommand()
        .ok_or_else(|| Stop::usage("buy: which step? see --help"))?;
    let (providers, all) = providers(sm)?;
    refuse_combinations(sm, all)?;
    let step_kind =
        step_of(name, sm).ok_or_else(|| Stop::usage(format!("unknown buy step {name}")))?;
    let backend = Backend::from_matches(sm).await?;
    // `--store`: every order step is recorded in the ledger, its intent before it is sent.
    let cx = Context {
        m: sm,
        ledger: match crate::ledger::records(name) {
            true => crate::ledger::open_ledger(sm).await?,
            false => None,
        },
        sandbox: backend.is_sandbox(),
    };
    let mut printer = Printer::new(Format::of(sm, Format::JsonLines));
    let (mut code, mut ran, mut skipped_code) = (exit::OK, false, exit::OK);
    for provider in providers {
        let mut line = Map::new();
        line.insert("provider".into(), json!(provider.name()));
        if backend.is_sandbox() {
            line.insert("sandbox".into(), json!(true));
        }
        let support = provider.support(step_kind);
        if matches!(support, Support::ThirdParty { .. }) {
            line.insert("unconfirmed".into(), json!(true));
        }
        let buyer = match (backend.buyer(provider), all) {
            (Ok(b), _) => b,
            // `all`: a provider without credentials is skipped, saying why.
            (Err(Stop(c, why)), true) => {
                skipped_code = skipped_code.max(c);
                line.insert("skipped".into(), json!(why));
                printer.item(Value::Object(line));
                continue;
            }
            (Err(stop), false) => return Err(stop),
        };
        if all && !support.is_enabled() {
            skipped_code = skipped_code.max(exit::REQUEST);
            line.insert("unsupported".into(), json!(true));
            line.insert("skipped".into(), json!(describe(&support)));
            printer.item(Value::Object(line));
            continue;
        }
        confirm_live(&cx, &backend, provider, step_kind, &support).await?;
        // The journal records the entries this step creates as the profile's whose account sends it.
        let buyer = match &cx.ledger {
            Some(ledger) => {
                let described = crate::backend::find_provider(provider.name())?;
                let profile = backend.profile(described).map(String::from);
                buyer.with_journal(Arc::new(ledger.with_profile(profile)))
            }
            None => buyer,
        };
        ran = true;
        let c = answer(&cx, &buyer, name, step_kind, &mut line).await?;
        code = code.max(c);
        printer.item(Value::Object(line));
    }
    printer.finish();
    Ok(if ran { code } else { skipped_code })
}

/// Live money asks first: an order step that writes or pays, sent to a live endpoint, shows what it will do
/// (with the amount the ledger knows) and asks on a terminal, or needs `--yes` ([`crate::confirm`]).
async fn confirm_live(
    cx: &Context<'_>,
    backend: &Backend,
    provider: Flow,
    step: Step,
    support: &Support,
) -> Result<(), Stop> {
    use sourcing_runtime::Effect;
    let effect = match step {
        Step::Pay | Step::PayBatch => Effect::Pay,
        Step::CreateOrder | Step::Cancel | Step::ConfirmReceipt => Effect::Write,
        _ => return Ok(()),
    };
    if backend.is_sandbox() {
        return Ok(());
    }
    let described = crate::backend::find_provider(provider.name())?;
    let operation = match support {
        Support::Published { operation } | Support::ThirdParty { operation, .. } => *operation,
        Support::NotAvailable { .. } => return Ok(()),
    };
    let order_ids = order_ids(cx.m);
    let mut amount = None;
    if let (Some(ledger), [one]) = (&cx.ledger, order_ids.as_slice())
        && let Ok((entry, _)) = ledger.show(one, Some(provider)).await
    {
        amount = entry.amount.map(|a| json!(a).to_string());
    }
    let base_url = backend.base_url(described)?;
    let action = crate::confirm::LiveAction {
        provider: described,
        profile: backend.profile(described),
        operation,
        effect,
        order_ids,
        amount,
        base_url: &base_url,
    };
    crate::confirm::confirm_live(backend, &action, crate::confirm::yes(cx.m))
}

fn describe(support: &Support) -> String {
    match support {
        Support::NotAvailable { reason } => format!("does not support this step: {reason}"),
        Support::ThirdParty { feature, .. } => format!("needs the `{feature}` feature"),
        Support::Published { .. } => "published".into(),
    }
}

/// Runs the step for one provider and fills its output line; the exit code.
async fn answer(
    cx: &Context<'_>,
    buyer: &Buyer,
    name: &str,
    step_kind: Step,
    line: &mut Map<String, Value>,
) -> Result<u8, Stop> {
    let provider = buyer.flow();
    let result = step(buyer, name, cx.m).await?;
    // `buy pay --store`: the ledger entry the payment left (what it recorded, read back).
    let recorded = match step_kind {
        Step::Pay | Step::PayBatch => cx.recorded(provider).await,
        _ => None,
    };
    let shown = recorded.as_ref().and_then(|r| r["state"].as_str());
    let code = match result {
        Ok(result) => {
            if step_kind == Step::CreateOrder {
                line.insert("order_id".into(), result["order_id"].clone());
            }
            // Dajisaas's payment answers no result: only a read settles it.
            if result["outcome"] == "accepted" {
                line.insert("next".into(), json!(cx.next(provider)));
            }
            line.insert("result".into(), result);
            exit::OK
        }
        Err(e) => match Outcome::of_error(&e) {
            Outcome::Unknown(_) if may_have(step_kind).is_some() => {
                let fields = cx.unknown(provider, step_kind, &e, shown);
                if let Some(message) = fields.get("error").and_then(Value::as_str) {
                    eprintln!("warning: {}: {message}", provider.name());
                }
                line.extend(fields);
                exit::UNKNOWN_OUTCOME
            }
            _ => {
                let (c, fields) = failure(&e);
                line.extend(fields);
                c
            }
        },
    };
    if let Some(recorded) = recorded {
        line.insert("ledger".into(), recorded);
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_out_of_range_are_not_called_malformed() {
        assert_eq!(quantity("l", "5").ok(), Some(5));
        let why = |q: &str| quantity("l", q).err().map(|Stop(c, m)| (c, m)).unwrap();
        assert!(why("0").1.contains("out of range: order at least 1"));
        assert!(
            why("99999999999")
                .1
                .contains("out of range: at most 4294967295")
        );
        assert!(why("99999999999999999999999").1.contains("out of range"));
        assert!(why("2.5").1.contains("not a whole number"));
        assert!(why("-1").1.contains("not a whole number"));
        assert_eq!(why("0").0, exit::USAGE);
    }
}
