//! `sourcing buy <step> --provider X`: the purchase flow of `sourcing-buy` from a shell, on one provider or
//! on all of them (`--provider all`) to compare their answers. One answer per provider, a stream in the
//! `--output` format (JSON lines by default): `{"provider", "result"}` (the normalised answer, plus `raw`, the
//! vendor's typed answer) or `{"provider", "error", "unsupported"?}`.

use crate::backend::{Backend, Flag};
use crate::output::{Format, Printer};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Value, json};
use sourcing_buy::{
    Address, Buyer, Error, OrderDraft, OrderLine, ProductRef, Provider, SearchQuery,
};

/// `sourcing buy <step>`.
pub struct Buy;

impl Subcommand for Buy {
    fn commands(&self) -> Vec<Command> {
        vec![
            command()
                .args(Flag::args(&Flag::ALL))
                .arg(crate::ledger::store_arg())
                .arg(Format::arg(Format::JsonLines)),
        ]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run(matches))
    }
}

fn provider_arg() -> Arg {
    Arg::new("provider")
        .long("provider")
        .required(true)
        .value_parser(clap::builder::PossibleValuesParser::new(
            Provider::ALL.iter().map(|p| p.name()).chain(["all"]),
        ))
        .help("Which provider (or all of them, one answer each)")
}

fn order_args(cmd: Command) -> Command {
    let text = |name: &'static str, help: &'static str| {
        Arg::new(name).long(name).value_name("TEXT").help(help)
    };
    cmd.arg(
        Arg::new("line")
            .long("line")
            .action(ArgAction::Append)
            .required(true)
            .value_name("OFFER:SPEC_ID:QUANTITY")
            .help("A line of goods: 1688 offer id or link, SKU spec id, quantity (repeatable)"),
    )
    .arg(text("full-name", "Receiver").required(true))
    .arg(text("mobile", "Receiver's mobile").required(true))
    .arg(text("phone", "Telephone (Dajisaas requires it)"))
    .arg(text("post-code", "Postcode (Dajisaas requires it)"))
    .arg(text("province", "Province, as text").required(true))
    .arg(text("city", "City, as text").required(true))
    .arg(text("district", "District, as text (Dajisaas requires it)"))
    .arg(text("town", "Town, as text (Dajisaas requires it)"))
    .arg(text("street", "Street address").required(true))
    .arg(text(
        "district-code",
        "Six-digit district code (Dajisaas requires it)",
    ))
    .arg(text("message", "Remark for the seller"))
    .arg(text(
        "external-order-id",
        "Your own order number (Dajisaas requires it)",
    ))
    .arg(text(
        "flow",
        "Order flow (default: each vendor's published example value)",
    ))
}

fn command() -> Command {
    let order_id = || {
        Arg::new("order-id")
            .long("order-id")
            .required(true)
            .value_name("ID")
            .help("Order id (19 digits, as text)")
    };
    Command::new("buy")
        .about("The purchase flow on any provider through one facade (sourcing-buy): compare providers from a shell")
        .long_about(
            "The purchase flow on any provider through one facade (sourcing-buy). Prints one answer per \
             provider: the normalised answer (exact ids; money with its unit, fen or yuan) and `raw`, the \
             vendor's typed answer; or the error, and `unsupported: true` for a step the provider does not \
             support (refused before anything is sent). One JSON line each by default; `-o json`: one JSON \
             array; `-o table`: one row each (the answer's fields one level down). Payments are never retried.",
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
                .about("A 1688 offer's details, by id or pasted link")
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
                .about("Create an order (sent once, never retried)")
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
}

/// A step's answer as JSON, or the error with its exit code.
type Outcome = Result<Value, (u8, Value)>;

fn ok<T: serde::Serialize>(result: &T, raw: Value) -> Outcome {
    let mut value = serde_json::to_value(result).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("raw".into(), raw);
    }
    Ok(value)
}

fn failure(e: Error) -> (u8, Value) {
    let code = match &e {
        Error::Vendor(v) => exit::of(v),
        Error::Money(_) => exit::TRANSPORT,
        _ => exit::REQUEST,
    };
    let mut value = json!({"error": e.to_string()});
    if matches!(e, Error::Unsupported { .. } | Error::NotEnabled { .. }) {
        value["unsupported"] = json!(true);
    }
    // A partly failed batch still tells which orders went through.
    if let Some(p) = e.partial_failure() {
        value["paid"] = json!(p.succeeded);
        value["failed"] = json!(
            p.failed
                .iter()
                .map(|f| json!({"orderId": f.id, "reason": f.reason}))
                .collect::<Vec<_>>()
        );
        value["conflicting"] = json!(
            p.conflicting
                .iter()
                .map(|f| json!({"orderId": f.id, "reason": f.reason}))
                .collect::<Vec<_>>()
        );
        value["raw"] = p.data.clone();
    }
    (code, value)
}

fn text(m: &ArgMatches, name: &str) -> Option<String> {
    m.get_one::<String>(name).cloned()
}

fn draft(m: &ArgMatches) -> Result<OrderDraft, Stop> {
    let mut lines = Vec::new();
    for line in m.get_many::<String>("line").into_iter().flatten() {
        // From the right: the offer may be a link with `:` in it.
        let mut parts = line.rsplitn(3, ':');
        let (Some(quantity), Some(spec_id), Some(offer)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(Stop(
                exit::USAGE,
                format!("--line {line}: expected OFFER:SPEC_ID:QUANTITY"),
            ));
        };
        let offer =
            ProductRef::parse(offer).map_err(|e| Stop::usage(format!("--line {line}: {e}")))?;
        let quantity = quantity.parse::<u32>().map_err(|_| {
            Stop(
                exit::USAGE,
                format!("--line {line}: quantity `{quantity}` is not a whole number"),
            )
        })?;
        lines.push(OrderLine {
            offer_id: offer.id().to_string(),
            spec_id: spec_id.to_string(),
            quantity,
        });
    }
    Ok(OrderDraft {
        address: Address {
            full_name: text(m, "full-name").unwrap_or_default(),
            mobile: text(m, "mobile").unwrap_or_default(),
            phone: text(m, "phone"),
            post_code: text(m, "post-code"),
            province: text(m, "province").unwrap_or_default(),
            city: text(m, "city").unwrap_or_default(),
            district: text(m, "district"),
            town: text(m, "town"),
            street: text(m, "street").unwrap_or_default(),
            district_code: text(m, "district-code"),
        },
        lines,
        message: text(m, "message"),
        external_order_id: text(m, "external-order-id"),
        flow: text(m, "flow"),
    })
}

async fn step(buyer: &Buyer, name: &str, m: &ArgMatches) -> Result<Outcome, Stop> {
    Ok(match name {
        "search" => {
            let query = SearchQuery {
                keyword: text(m, "keyword").unwrap_or_default(),
                page: m.get_one::<u32>("page").copied(),
                page_size: m.get_one::<u32>("page-size").copied(),
            };
            match buyer.search(&query).await {
                Ok(r) => ok(&r, r.raw().to_json()),
                Err(e) => Err(failure(e)),
            }
        }
        "detail" => {
            let product = ProductRef::parse(&text(m, "product").unwrap_or_default())
                .map_err(|e| Stop::usage(format!("--product: {e}")))?;
            match buyer.product(&product).await {
                Ok(r) => ok(&r, r.raw().to_json()),
                Err(e) => Err(failure(e)),
            }
        }
        "preview" => match buyer.preview(&draft(m)?).await {
            Ok(r) => ok(&r, r.raw().to_json()),
            Err(e) => Err(failure(e)),
        },
        "order" => match buyer.create_order(&draft(m)?).await {
            Ok(r) => ok(&r, r.raw().to_json()),
            Err(e) => Err(failure(e)),
        },
        "pay" => {
            let ids: Vec<String> = m
                .get_many::<String>("order-id")
                .into_iter()
                .flatten()
                .cloned()
                .collect();
            match ids.as_slice() {
                [one] => match buyer.pay(one).await {
                    Ok(r) => ok(&r, r.raw().to_json()),
                    Err(e) => Err(failure(e)),
                },
                _ => match buyer.pay_batch(&ids).await {
                    Ok(r) => ok(&r, r.raw().to_json()),
                    Err(e) => Err(failure(e)),
                },
            }
        }
        "status" => match buyer.order(&text(m, "order-id").unwrap_or_default()).await {
            Ok(r) => ok(&r, r.raw().to_json()),
            Err(e) => Err(failure(e)),
        },
        other => return Err(Stop::usage(format!("unknown buy step {other}"))),
    })
}

async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    let (name, sm) = m
        .subcommand()
        .ok_or_else(|| Stop::usage("buy: which step? see --help"))?;
    let providers = match sm.get_one::<String>("provider").map(String::as_str) {
        Some("all") | None => Provider::ALL.to_vec(),
        Some(p) => Provider::from_name(p).into_iter().collect(),
    };
    let backend = Backend::from_matches(sm).await?;
    // `--store`: every order step is recorded in the ledger, its intent before it is sent.
    let ledger = match crate::ledger::records(name) {
        true => crate::ledger::open_ledger(sm).await?,
        false => None,
    };
    let mut printer = Printer::new(Format::of(sm, Format::JsonLines));
    let mut code = exit::OK;
    for provider in providers {
        let mut buyer = backend.buyer(provider)?;
        if let Some(ledger) = &ledger {
            buyer = buyer.with_journal(ledger.clone());
        }
        let mut line = serde_json::Map::new();
        line.insert("provider".into(), json!(provider.name()));
        if backend.is_sandbox() {
            line.insert("sandbox".into(), json!(true));
        }
        match step(&buyer, name, sm).await? {
            Ok(result) => {
                line.insert("result".into(), result);
            }
            Err((c, error)) => {
                code = code.max(c);
                if let Value::Object(e) = error {
                    line.extend(e);
                }
            }
        }
        printer.item(Value::Object(line));
    }
    printer.finish();
    Ok(code)
}
