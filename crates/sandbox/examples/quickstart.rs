//! Quickstart: the same 1688 purchase flow on PandaPon, Dajisaas and Xportcn through one `sourcing_buy::Buyer`,
//! against the embedded sandbox — no vendor account, no network.
//!
//! ```sh
//! cargo run -p sourcing-sandbox --example quickstart                        # every provider
//! cargo run -p sourcing-sandbox --example quickstart -- --provider xportcn  # one
//! ```
//!
//! keyword search -> product detail -> order preview -> create -> pay (and a refused second payment) -> a batch
//! payment -> order status -> logistics. Each step prints what the provider returned (sandbox data: the
//! vendor's published example, or the sandbox's own answer where the vendor publishes none), or why the
//! provider does not support it — refused before anything is sent. For real calls, build the client with
//! `pandapon::Client::from_env()` (or `dajisaas::` / `xportcn::`) instead of the sandbox URL.

use sourcing_buy::{
    Address, Buyer, Error, Flow, OfferId, OrderDraft, OrderId, OrderLine, ProductRef, SearchQuery,
};
use sourcing_runtime::Runtime;
use sourcing_sandbox::{Sandbox, SandboxSigner};

const OFFER_LINK: &str = "https://detail.1688.com/offer/672991141190.html";

fn draft(offer: &ProductRef) -> OrderDraft {
    let mut address = Address::new(
        "Zhang San",
        "18600888861",
        "浙江省",
        "杭州市",
        "转塘街道 1 号",
    );
    // Dajisaas requires these too.
    address.phone = Some("18600888861".into());
    address.post_code = Some("310000".into());
    address.district = Some("西湖区".into());
    address.town = Some("转塘街道".into());
    address.district_code = Some("330106".into());
    let line = OrderLine::new(
        OfferId::new(offer.id()),
        "cd2b8c31408766f9fb089e74e2a6ac15",
        2,
    );
    let mut draft = OrderDraft::new(address, vec![line]);
    draft.message = Some("quickstart".into());
    // Dajisaas requires your own order number; the others take none.
    draft.external_order_id = Some("QS-0001".into());
    draft
}

/// Prints a step's outcome; `Ok(None)` when the step failed or is unsupported (already printed).
fn report<T>(step: &str, result: Result<T, Error>, show: impl FnOnce(&T) -> String) -> Option<T> {
    match result {
        Ok(value) => {
            println!("  {step:<15} {}", show(&value));
            Some(value)
        }
        Err(e @ (Error::Unsupported { .. } | Error::NotEnabled { .. })) => {
            println!("  {step:<15} UNSUPPORTED (nothing sent): {e}");
            None
        }
        Err(e) => {
            println!("  {step:<15} error: {e}");
            None
        }
    }
}

async fn run(sandbox: &Sandbox, provider: Flow) {
    let base = sandbox.base_url(provider.name());
    // Against a real account: `Runtime::for_provider(provider.description(), &credentials, &settings)`.
    let buyer = provider.buyer(&base, Runtime::new(SandboxSigner::new()));
    println!("\n== {provider} ({base}) — sandbox data");
    let offer = ProductRef::parse(OFFER_LINK).expect("a 1688 offer link");
    let draft = draft(&offer);
    explore(&buyer, &offer, &draft).await;
    let order_id = order(sandbox, &buyer, &draft).await;
    pay(sandbox, &buyer, &order_id).await;
    follow_up(&buyer, &order_id).await;
}

/// Search, product detail and preview: nothing is ordered.
async fn explore(buyer: &Buyer, offer: &ProductRef, draft: &OrderDraft) {
    report(
        "search",
        buyer.search(&SearchQuery::new("phone case")).await,
        |page| {
            format!(
                "{} hits, records in all: {} (no published example: generated from the response schema)",
                page.hits.len(),
                or_absent(page.total_records)
            )
        },
    );
    report("product", buyer.product(offer).await, |p| {
        format!(
            "offer {}, title: {}; raw answer {}",
            p.offer_id,
            or_absent(p.title.as_ref()),
            brief(p.raw().to_json())
        )
    });
    report("preview", buyer.preview(draft).await, |p| {
        if p.orders.is_empty() {
            // PandaPon publishes no preview amounts; Dajisaas publishes them but no complete example,
            // so the sandbox answers an empty preview.
            return format!(
                "no amounts in this answer; raw answer: {}",
                brief(p.raw().to_json())
            );
        }
        p.orders
            .iter()
            .map(|o| {
                format!(
                    "total {}, freight {}, goods {}",
                    or_absent(o.total),
                    or_absent(o.freight),
                    or_absent(o.goods)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
}

/// Creates the order, or seeds one in the sandbox where the provider cannot create one; its id.
async fn order(sandbox: &Sandbox, buyer: &Buyer, draft: &OrderDraft) -> OrderId {
    let created = report("create order", buyer.create_order(draft).await, |c| {
        format!(
            "order id {}, raw answer {}",
            or_absent(c.order_id.as_ref()),
            brief(c.raw().to_json())
        )
    });
    let order_id = match &created {
        Some(c) => match (&c.order_id, c.raw()) {
            (Some(id), _) => Some(id.clone()),
            // PandaPon publishes no response for order creation; the sandbox's own answer has `orderId`.
            (None, raw) => raw
                .get::<serde_json::Value>()
                .and_then(|v| v["orderId"].as_str())
                .map(OrderId::from),
        },
        None => None,
    };
    order_id.unwrap_or_else(|| {
        let id = OrderId::new("3300504350583134261");
        sandbox.seed_order(id.as_str());
        println!(
            "  {:<15} (sandbox: seeded order {id} awaiting payment, to go on)",
            ""
        );
        id
    })
}

/// Pays the order, tries to pay it again (refused), then pays it with a fresh order in one batch.
async fn pay(sandbox: &Sandbox, buyer: &Buyer, order_id: &OrderId) {
    report("pay", buyer.pay(order_id).await, |p| {
        format!("order {}: {}", p.order_id, outcome(&p.outcome))
    });
    match buyer.pay(order_id).await {
        Err(e) if e.api().is_some() || e.partial_failure().is_some() => {
            println!(
                "  {:<15} refused by the provider, as it should be: {e}",
                "pay again"
            )
        }
        other => {
            report("pay again", other, |p| {
                format!("unexpected: {}", outcome(&p.outcome))
            });
        }
    }

    let fresh = "3300504350583134262";
    sandbox.seed_order(fresh);
    let batch = [order_id.clone(), OrderId::new(fresh)];
    match buyer.pay_batch(&batch).await {
        Ok(paid) => {
            let ids: Vec<&str> = paid.paid.iter().map(OrderId::as_str).collect();
            println!("  {:<15} all paid: {}", "pay batch", ids.join(", "))
        }
        Err(e) if e.partial_failure().is_some() => {
            let p = e.partial_failure().unwrap();
            println!(
                "  {:<15} partly failed: paid {}, failed {}",
                "pay batch",
                list(p.succeeded.iter()),
                list(p.failed.iter().map(|f| format!(
                    "{} ({})",
                    f.id,
                    or_absent(f.reason.as_ref())
                )))
            );
        }
        Err(e) => {
            report::<()>("pay batch", Err(e), |_| String::new());
        }
    }
}

/// The order's state and logistics.
async fn follow_up(buyer: &Buyer, order_id: &OrderId) {
    report("order status", buyer.order(order_id).await, |o| {
        format!(
            "status {}, {} lines, raw answer {}",
            or_absent(o.status.as_ref().map(|s| &s.raw)),
            o.items.len(),
            brief(o.raw().to_json())
        )
    });
    report("logistics", buyer.logistics(order_id).await, |v| {
        v.to_string()
    });
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let providers: Vec<Flow> = match args.as_slice() {
        [] => sourcing_registry::flows(),
        [flag, name] if flag == "--provider" => match sourcing_registry::flow(name) {
            Some(p) => vec![p],
            None if name == "all" => sourcing_registry::flows(),
            None => {
                return Err(format!(
                    "unknown provider `{name}` (pandapon, dajisaas, xportcn, all)"
                )
                .into());
            }
        },
        _ => return Err("usage: quickstart [--provider pandapon|dajisaas|xportcn|all]".into()),
    };
    let sandbox = Sandbox::start().await?;
    println!(
        "sandbox running at http://{} (test credentials, signatures verified); every answer below is sandbox data",
        sandbox.addr()
    );
    println!(
        "\ncapabilities (the README table):\n{}",
        sourcing_buy::markdown_table(&sourcing_registry::flows())
    );
    for provider in providers {
        run(&sandbox, provider).await;
    }
    Ok(())
}

/// A field the vendor may leave out: its value, or that it was not sent.
fn or_absent(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| "not sent by the vendor".into(), |v| v.to_string())
}

/// A list for the console: its items joined, or "none".
fn list(items: impl Iterator<Item = impl std::fmt::Display>) -> String {
    let items: Vec<String> = items.map(|i| i.to_string()).collect();
    match items.is_empty() {
        true => "none".into(),
        false => items.join(", "),
    }
}

/// A payment's outcome in words.
fn outcome(outcome: &sourcing_buy::PaymentOutcome) -> String {
    use sourcing_buy::PaymentOutcome;
    match outcome {
        PaymentOutcome::Paid => "paid".into(),
        PaymentOutcome::PayByHand { url } => {
            format!("to be paid by hand at {}", or_absent(url.as_ref()))
        }
        PaymentOutcome::Accepted => "accepted (the vendor sends no result fields)".into(),
        other => format!("{other:?}"),
    }
}

/// A raw vendor answer for the console: the first 160 characters of its JSON (the whole answer stays in `raw()`).
fn brief(json: impl std::fmt::Display) -> String {
    let text = json.to_string();
    match text.char_indices().nth(160) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()),
        None => text,
    }
}
