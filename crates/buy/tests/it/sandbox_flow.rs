//! Every facade step against the sandbox, for every provider that supports it; the typed refusals
//! (`Unsupported`, `NotEnabled`, `WrongPlatform`, `InvalidInput`) for every gap, with nothing sent.

use serde_json::Value;
use sourcing_buy::providers::{DAJISAAS, PANDAPON, XPORTCN};
use sourcing_buy::{
    Address, Buyer, Error, Flow, OrderDraft, OrderId, OrderLine, PaymentOutcome, ProductRef,
    SearchQuery, Step, SubOrderId, Support,
};
use sourcing_runtime::Runtime;
use sourcing_sandbox::{Sandbox, SandboxSigner};

fn buyer(sandbox: &Sandbox, provider: Flow) -> Buyer {
    let base = sandbox.base_url(provider.name());
    provider.buyer(&base, Runtime::new(SandboxSigner::new()))
}

/// Requests the sandbox received, all providers and operations together.
fn requests(sandbox: &Sandbox) -> u64 {
    let mut ids: Vec<&str> = sourcing_registry::providers()
        .iter()
        .flat_map(|p| p.operations.iter().map(|op| op.id))
        .collect();
    ids.sort();
    ids.dedup();
    ids.iter().map(|id| sandbox.hits(id)).sum()
}

const OFFER: &str = "672991141190";

pub(crate) fn draft() -> OrderDraft {
    let mut address = Address::new("张三", "18888888888", "浙江省", "杭州市", "网商路699号");
    address.phone = Some("18888888888".into());
    address.post_code = Some("000000".into());
    address.district = Some("滨江区".into());
    address.town = Some("长河镇".into());
    address.district_code = Some("310107".into());
    let line = OrderLine::new(OFFER, "cd2b8c31408766f9fb089e74e2a6ac15", 2);
    let mut draft = OrderDraft::new(address, vec![line]);
    draft.message = Some("facade test".into());
    draft.external_order_id = Some("T20240708002".into());
    draft
}

/// PandaPon publishes no response for order creation: the sandbox's own answer carries `orderId`.
fn sandbox_order_id(created: &sourcing_buy::CreatedOrder) -> OrderId {
    let v = created
        .raw()
        .get::<Value>()
        .expect("PandaPon's create answer is JSON");
    OrderId::new(v["orderId"].as_str().unwrap())
}

/// The sub-order the sandbox's examples name.
fn sub_orders() -> [SubOrderId; 1] {
    [SubOrderId::new("2257164624870311973")]
}

#[tokio::test]
async fn pandapon_runs_the_whole_flow() {
    let sandbox = Sandbox::start().await.unwrap();
    let b = buyer(&sandbox, PANDAPON);

    let page = b.search(&SearchQuery::new("phone case")).await.unwrap();
    assert!(
        page.raw()
            .get::<pandapon::types::AlibabaProductPage>()
            .is_some()
    );
    assert_eq!(sandbox.hits("v2_goods_keyword_search"), 1);

    let offer = ProductRef::parse(&format!("https://detail.1688.com/offer/{OFFER}.html")).unwrap();
    let product = b.product(&offer).await.unwrap();
    assert!(!product.offer_id.as_str().is_empty());
    assert!(
        product
            .raw()
            .get::<pandapon::types::AlibabaProductDetail>()
            .is_some()
    );

    let preview = b.preview(&draft()).await.unwrap();
    assert!(
        preview.orders.is_empty(),
        "PandaPon publishes no preview amounts"
    );
    assert!(
        preview
            .raw()
            .get::<pandapon::types::OrderPreviewResult>()
            .is_some()
    );

    let created = b.create_order(&draft()).await.unwrap();
    let order_id = sandbox_order_id(&created);
    assert_eq!(order_id.as_str().len(), 19);
    assert_eq!(
        created.order_id.as_ref(),
        Some(&order_id),
        "read at PANDAPON_CREATE_ORDER_ID (default /orderId)"
    );
    assert_eq!(created.order_ids, std::slice::from_ref(&order_id));

    let paid = b.pay(&order_id).await.unwrap();
    assert_eq!(
        (&paid.order_id, &paid.outcome),
        (&order_id, &PaymentOutcome::Paid)
    );
    assert!(sandbox.order_is_paid(order_id.as_str()));

    // A second payment is refused by the provider, and sent once (never retried).
    let before = sandbox.hits("order_pay_url");
    let err = b.pay(&order_id).await.unwrap_err();
    let api = err.api().unwrap_or_else(|| panic!("{err:?}"));
    assert!(
        api.message.as_deref().unwrap().contains("already paid"),
        "{api:?}"
    );
    assert_eq!(sandbox.hits("order_pay_url"), before + 1);

    let info = b.order(&order_id).await.unwrap();
    assert_eq!(info.order_id, order_id);
    // Read at PANDAPON_ORDER_STATE (default /baseInfo/status), wherever the sandbox puts it.
    let v = info
        .raw()
        .get::<Value>()
        .expect("PandaPon's order answer is JSON");
    assert_eq!(
        info.status.as_ref().map(|s| s.raw.clone()),
        v.pointer("/baseInfo/status")
            .and_then(|s| s.as_str())
            .map(String::from)
    );

    // A paid order cannot be cancelled; an unpaid one can.
    assert!(
        b.cancel(&order_id, "不想要了")
            .await
            .unwrap_err()
            .api()
            .is_some()
    );
    let second = sandbox_order_id(&b.create_order(&draft()).await.unwrap());
    let cancelled = b.cancel(&second, "不想要了").await.unwrap();
    assert_eq!(cancelled.success, Some(true));
    assert!(
        b.pay(&second).await.unwrap_err().api().is_some(),
        "a cancelled order is not paid"
    );

    let confirmed = b.confirm_receipt(&order_id, &sub_orders()).await.unwrap();
    assert!(
        confirmed
            .raw()
            .get::<pandapon::types::ReceiveGoodsResult>()
            .is_some()
    );
    assert_eq!(sandbox.hits("order_receive_goods"), 1);
}

#[tokio::test]
async fn pandapon_batch_payment_keeps_partial_failure() {
    let sandbox = Sandbox::start().await.unwrap();
    let b = buyer(&sandbox, PANDAPON);
    let a = sandbox_order_id(&b.create_order(&draft()).await.unwrap());
    let c = sandbox_order_id(&b.create_order(&draft()).await.unwrap());
    b.pay(&a).await.unwrap();

    let err = b.pay_batch(&[a.clone(), c.clone()]).await.unwrap_err();
    let p = err.partial_failure().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(p.succeeded, [c.as_str()]);
    assert_eq!(p.failed.len(), 1);
    assert_eq!(p.failed[0].id, a.as_str());
    assert_eq!(p.failed[0].reason.as_deref(), Some("already paid"));
    assert!(sandbox.order_is_paid(c.as_str()));
    assert_eq!(
        sandbox.hits("order_batch_submit_to_pay"),
        1,
        "never retried"
    );

    let d = sandbox_order_id(&b.create_order(&draft()).await.unwrap());
    let e = sandbox_order_id(&b.create_order(&draft()).await.unwrap());
    let all = b.pay_batch(&[d.clone(), e.clone()]).await.unwrap();
    assert_eq!(all.paid, [d, e]);
}

#[tokio::test]
async fn dajisaas_runs_its_published_steps() {
    let sandbox = Sandbox::start().await.unwrap();
    let b = buyer(&sandbox, DAJISAAS);

    let preview = b.preview(&draft()).await.unwrap();
    assert!(
        preview
            .raw()
            .get::<dajisaas::types::OrderPreview>()
            .is_some()
    );

    let created = b.create_order(&draft()).await.unwrap();
    let order_id = created
        .order_id
        .clone()
        .expect("Dajisaas documents orderId");
    assert_eq!(order_id.as_str().len(), 19);

    let paid = b.pay(&order_id).await.unwrap();
    assert_eq!(
        paid.outcome,
        PaymentOutcome::Accepted,
        "no published pay result"
    );
    assert!(sandbox.order_is_paid(order_id.as_str()));
    let err = b.pay(&order_id).await.unwrap_err();
    assert!(
        err.api()
            .unwrap()
            .message
            .as_deref()
            .unwrap()
            .contains("already paid"),
        "{err:?}"
    );
    assert_eq!(
        sandbox.hits("pay_protocol_pay"),
        2,
        "each payment sent once"
    );

    let info = b.order(&order_id).await.unwrap();
    assert!(info.raw().get::<dajisaas::types::OrderDetail>().is_some());

    let second = b.create_order(&draft()).await.unwrap().order_id.unwrap();
    let cancelled = b.cancel(&second, "buyerCancel").await.unwrap();
    assert_eq!(cancelled.success, Some(true));

    let confirmed = b.confirm_receipt(&order_id, &sub_orders()).await.unwrap();
    assert_eq!(confirmed.success, None, "undocumented response");
    assert_eq!(sandbox.hits("order_receive_confirm"), 1);
}

/// Keyword search and product detail on Dajisaas: third-party endpoints, compiled with the feature.
#[cfg(feature = "dajisaas-unconfirmed")]
#[tokio::test]
async fn dajisaas_third_party_search_and_detail() {
    let sandbox = Sandbox::start().await.unwrap();
    let b = buyer(&sandbox, DAJISAAS);
    let page = b.search(&SearchQuery::new("phone case")).await.unwrap();
    assert!(
        page.raw()
            .get::<dajisaas::types::KeywordSearchPage>()
            .is_some()
    );
    assert_eq!(sandbox.hits("product_keyword_query"), 1);
    let offer = ProductRef::parse("m.1688.com/offer/670291644950.html").unwrap();
    let product = b.product(&offer).await.unwrap();
    assert!(
        product
            .raw()
            .get::<dajisaas::types::ProductDetail>()
            .is_some()
    );
    assert_eq!(sandbox.hits("product_detail_query"), 1);
}

#[tokio::test]
async fn xportcn_previews_and_pays() {
    let sandbox = Sandbox::start().await.unwrap();
    let b = buyer(&sandbox, XPORTCN);

    // The sandbox prices the lines asked for: amounts in fen, the total their sum plus freight.
    let preview = b.preview(&draft()).await.unwrap();
    let order = &preview.orders[0];
    let total = order.total.unwrap();
    let goods: i64 = order
        .lines
        .iter()
        .map(|l| l.amount.unwrap().to_fen().unwrap())
        .sum();
    let freight = order.freight.unwrap().to_fen().unwrap();
    assert_eq!(total.to_fen(), Some(goods + freight));
    assert_eq!(total.unit(), sourcing_buy::MoneyUnit::Fen);

    let (a, c) = ("3300504350583134261", "3300504350583134262");
    sandbox.seed_order(a);
    sandbox.seed_order(c);
    let paid = b.pay(&a.into()).await.unwrap();
    assert_eq!(paid.outcome, PaymentOutcome::Paid);

    // Paying again: a batch of one whose only order failed.
    let err = b.pay(&a.into()).await.unwrap_err();
    let p = err.partial_failure().unwrap_or_else(|| panic!("{err:?}"));
    assert!(p.succeeded.is_empty());
    assert_eq!(
        (p.failed[0].id.as_str(), p.failed[0].reason.as_deref()),
        (a, Some("already paid"))
    );

    let err = b.pay_batch(&[a.into(), c.into()]).await.unwrap_err();
    let p = err.partial_failure().unwrap();
    assert_eq!(p.succeeded, [c]);
    assert_eq!(p.failed[0].id, a);
    assert_eq!(sandbox.hits("ka_order_pay"), 3, "never retried");
}

/// An order the sandbox does not know fails, as at the vendor: a failed item naming exactly the requested
/// 19-digit id, and no other id.
#[tokio::test]
async fn xportcn_unknown_order_fails_naming_the_exact_19_digit_id() {
    let sandbox = Sandbox::start().await.unwrap();
    let b = buyer(&sandbox, XPORTCN);
    let id = "3300504350583134261";
    let err = b.pay_batch(&[id.into()]).await.unwrap_err();
    let p = err.partial_failure().unwrap();
    assert!(p.succeeded.is_empty() && p.conflicting.is_empty(), "{p:?}");
    assert_eq!(p.failed.len(), 1);
    assert_eq!(p.failed[0].id, id);
    assert!(p.failed[0].reason.as_deref().unwrap().contains(id));
}

#[tokio::test]
async fn every_gap_is_refused_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let offer = ProductRef::offer_1688(OFFER).unwrap();
    let ids = [OrderId::new("2257455039610311973")];
    let mut gaps = 0;
    for provider in sourcing_registry::flows() {
        let b = buyer(&sandbox, provider);
        for (step, support) in provider.capabilities() {
            if support.is_enabled() {
                continue;
            }
            gaps += 1;
            let err = match step {
                Step::Search => b.search(&SearchQuery::new("x")).await.map(drop),
                Step::ProductDetail => b.product(&offer).await.map(drop),
                Step::Preview => b.preview(&draft()).await.map(drop),
                Step::CreateOrder => b.create_order(&draft()).await.map(drop),
                Step::Pay => b.pay(&ids[0]).await.map(drop),
                Step::PayBatch => b.pay_batch(&ids).await.map(drop),
                Step::OrderStatus => b.order(&ids[0]).await.map(drop),
                Step::Cancel => b.cancel(&ids[0], "buyerCancel").await.map(drop),
                Step::ConfirmReceipt => b.confirm_receipt(&ids[0], &sub_orders()).await.map(drop),
                Step::Logistics => b.logistics(&ids[0]).await.map(drop),
                other => panic!("a step this test does not call: {other}"),
            }
            .unwrap_err();
            match (support, &err) {
                (
                    Support::NotAvailable { reason },
                    Error::Unsupported {
                        provider: p,
                        step: s,
                        reason: r,
                    },
                ) => assert_eq!((p, s, r), (&provider, step, reason)),
                (
                    Support::ThirdParty { feature, .. },
                    Error::NotEnabled {
                        provider: p,
                        step: s,
                        feature: f,
                    },
                ) => assert_eq!((p, s, f), (&provider, step, feature)),
                _ => panic!("{provider} {step}: {err:?}"),
            }
            assert!(err.is_refused_before_sending());
            let shown = err.to_string();
            assert!(
                shown.contains(provider.title()) && shown.contains(step.name()),
                "{shown}"
            );
        }
    }
    // Xportcn: 7 gaps, PandaPon 1, Dajisaas 2 (+ 2 third-party steps without their feature).
    let expected = if cfg!(feature = "dajisaas-unconfirmed") {
        10
    } else {
        12
    };
    assert_eq!(gaps, expected);
    assert_eq!(requests(&sandbox), 0, "nothing was sent");
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let pandapon = buyer(&sandbox, PANDAPON);
    let dajisaas = buyer(&sandbox, DAJISAAS);

    let taobao = ProductRef::parse("https://item.taobao.com/item.htm?id=684174095123").unwrap();
    let err = pandapon.product(&taobao).await.unwrap_err();
    assert!(matches!(err, Error::WrongPlatform { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "product detail on PandaPon covers 1688 offers, not Taobao items"
    );

    let mut no_id = draft();
    no_id.external_order_id = None;
    let err = dajisaas.create_order(&no_id).await.unwrap_err();
    assert!(err.to_string().contains("thirdOrderId"), "{err}");

    let mut no_code = draft();
    no_code.address.district_code = None;
    let err = dajisaas.preview(&no_code).await.unwrap_err();
    assert!(err.to_string().contains("districtCode"), "{err}");

    let mut no_lines = draft();
    no_lines.lines.clear();
    assert!(pandapon.create_order(&no_lines).await.is_err());

    let mut bad_offer = draft();
    bad_offer.lines[0].offer_id = "12x".into();
    let err = pandapon.preview(&bad_offer).await.unwrap_err();
    assert!(err.to_string().contains("`12x`"), "{err}");

    for bad in ["", "22574550396103119 73", "1e19", "-1"] {
        let err = pandapon.pay(&bad.into()).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    step: Step::Pay,
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
    assert!(pandapon.pay_batch(&[]).await.is_err());

    // Every missing field Dajisaas requires, named in one error.
    let mut bare = draft();
    bare.external_order_id = None;
    let a = &mut bare.address;
    (a.phone, a.post_code, a.district, a.town, a.district_code) = (None, None, None, None, None);
    let err = dajisaas.create_order(&bare).await.unwrap_err().to_string();
    for field in [
        "phone",
        "postCode",
        "areaText",
        "townText",
        "districtCode",
        "thirdOrderId",
    ] {
        assert!(err.contains(field), "{field}: {err}");
    }
    assert!(!err.contains("mobile"), "{err}");

    // Quantity 0 is refused; an order id of another length than 19 digits names the length.
    let mut zero = draft();
    zero.lines[0].quantity = 0;
    let err = pandapon.create_order(&zero).await.unwrap_err();
    assert!(err.to_string().contains("quantity 0"), "{err}");
    let err = dajisaas
        .order(&"22574550396103119731234".into())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has 23 digits"), "{err}");
    assert!(err.to_string().contains("have 19"), "{err}");
    for err in [
        pandapon
            .cancel(&"2257455039610311973".into(), "")
            .await
            .unwrap_err(),
        pandapon
            .confirm_receipt(&"99999999999999999999".into(), &[])
            .await
            .unwrap_err(),
    ] {
        assert!(err.is_refused_before_sending(), "{err:?}");
    }
    assert_eq!(requests(&sandbox), 0, "nothing was sent");
}

#[tokio::test]
async fn a_buyer_names_its_provider_and_hands_out_its_generated_client() {
    let sandbox = Sandbox::start().await.unwrap();
    for provider in sourcing_registry::flows() {
        let b = buyer(&sandbox, provider);
        assert_eq!(b.flow(), provider);
        assert_eq!(provider.name(), provider.description().name);
        assert_eq!(sourcing_registry::flow(provider.name()), Some(provider));
        let clients = [
            b.client::<pandapon::Client>().is_some(),
            b.client::<dajisaas::Client>().is_some(),
            b.client::<xportcn::Client>().is_some(),
        ];
        let expected = [PANDAPON, DAJISAAS, XPORTCN].map(|p| p == provider);
        assert_eq!(clients, expected, "{provider}");
    }
}
