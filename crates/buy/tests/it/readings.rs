//! The readings against loopback test servers that answer the vendor envelope with chosen fields: each
//! reading at its default, switched to another pointer, and turned off; inexact amounts read with their
//! flag, never failing the read.

use crate::sandbox_flow::draft;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use serde_json::{Value, json};
use sourcing_buy::providers::{DAJISAAS, PANDAPON};
use sourcing_buy::{Buyer, Flow, OrderId, ProductRef, Readings, SearchQuery, StatusKind};
use sourcing_runtime::Runtime;
use sourcing_sandbox::SandboxSigner;
use std::collections::HashMap;
use std::sync::Arc;

/// A server on 127.0.0.1 answering `path` with `{"code":200, …, "data": data}` for each `(path, data)`.
async fn serve(routes: Vec<(&'static str, Value)>) -> String {
    async fn answer(
        State(routes): State<Arc<HashMap<&'static str, Value>>>,
        uri: Uri,
    ) -> Result<axum::Json<Value>, StatusCode> {
        let data = routes.get(uri.path()).ok_or(StatusCode::NOT_FOUND)?;
        Ok(axum::Json(
            json!({"code": 200, "msg": "成功", "message": "操作成功", "requestId": "r1", "data": data}),
        ))
    }
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(Arc::new(routes.into_iter().collect::<HashMap<_, _>>()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn buyer(provider: Flow, base: &str) -> Buyer {
    provider.buyer(base, Runtime::new(SandboxSigner::new()))
}

fn readings(prefix: &str, pins: &[(&str, &str)]) -> Readings {
    let pins: HashMap<String, String> = pins
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Readings::from_lookup(prefix, |k| pins.get(k).cloned()).unwrap()
}

const OFFER: &str = "672991141190";
const ORDER: &str = "2257164624870311973";

fn sku_list() -> Value {
    json!([
        {"skuId": 5403412737023u64, "specId": "594b40c111b019af610a0078e4316373", "price": 8.309999999999999,
         "amountOnSale": 120, "skuAttributes": [
            {"attributeName": "颜色", "value": "红色"}, {"attributeName": "尺码", "value": "M"}]},
        {"skuId": 5403412737024u64, "specId": "cd2b8c31408766f9fb089e74e2a6ac15", "price": "12.50"}
    ])
}

/// PandaPon at the defaults: 1688's names everywhere (`offerId`, `productSkuInfos`, `orderId`,
/// `baseInfo.status`).
fn pandapon_1688_names() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/v2/alibaba/product/keywords/query",
            json!({"totalRecords": 2, "data": [
                {"imageUrl": "https://x/a.jpg", "subject": "手机壳", "offerId": 672991141190u64},
                {"imageUrl": "https://x/b.jpg", "subject": "壳", "offerId": "706627393257"}]}),
        ),
        (
            "/alibaba/product/detail/get",
            json!({"offerId": 672991141190u64, "subject": "手机壳", "productSkuInfos": sku_list()}),
        ),
        (
            "/alibaba/order/create",
            json!({"orderId": ORDER, "success": true}),
        ),
        (
            "/alibaba/order/detail",
            json!({"baseInfo": {"id": 2257164624870311973u64, "status": "waitsellersend"}}),
        ),
    ]
}

#[tokio::test]
async fn pandapon_reads_ids_skus_and_state_at_the_default_readings() {
    let b = buyer(PANDAPON, &serve(pandapon_1688_names()).await);
    let page = b.search(&SearchQuery::new("phone case")).await.unwrap();
    let ids: Vec<_> = page
        .hits
        .iter()
        .map(|h| h.offer_id.as_ref().map(|id| id.as_str()))
        .collect();
    assert_eq!(ids, [Some(OFFER), Some("706627393257")]);

    let product = b.product(&ProductRef::parse(OFFER).unwrap()).await.unwrap();
    let [red, other] = product.skus.clone().try_into().unwrap();
    assert_eq!(red.spec_id, Some("594b40c111b019af610a0078e4316373".into()));
    assert_eq!(red.sku_id, Some("5403412737023".into()));
    assert_eq!(red.attributes.as_deref(), Some("颜色: 红色; 尺码: M"));
    assert_eq!(red.stock, Some(120));
    let price = red.price.unwrap();
    assert_eq!(
        (price.amount().to_string(), price.is_inexact()),
        ("8.31".into(), true)
    );
    assert_eq!(other.price.unwrap().to_fen(), Some(1250));
    let printed = serde_json::to_value(&product).unwrap();
    assert_eq!(
        printed["skus"][0]["price"]["vendor_text"],
        "8.309999999999999"
    );
    assert_eq!(printed["skus"][0]["price"]["inexact"], true);

    let created = b.create_order(&draft()).await.unwrap();
    assert_eq!(created.order_id, Some(ORDER.into()));
    assert_eq!(created.order_ids, [OrderId::new(ORDER)]);

    let info = b.order(&ORDER.into()).await.unwrap();
    let status = info.status.unwrap();
    assert_eq!(
        (status.kind, status.raw.as_str()),
        (StatusKind::WaitingForShipment, "waitsellersend")
    );
}

#[tokio::test]
async fn pandapon_readings_switch_to_other_pointers_or_off() {
    let base = serve(vec![
        (
            "/v2/alibaba/product/keywords/query",
            json!({"data": [{"subject": "壳", "offerId": 1u64, "item": {"id": "706627393257"}}]}),
        ),
        (
            "/alibaba/product/detail/get",
            json!({"offerId": 1u64, "skus": sku_list()}),
        ),
        (
            "/alibaba/order/create",
            json!({"result": {"orderIds": [ORDER]}, "orderId": "1"}),
        ),
        (
            "/alibaba/order/detail",
            json!({"orderStatus": "success", "baseInfo": {"status": "cancel"}}),
        ),
    ])
    .await;
    let switched = readings(
        "PANDAPON",
        &[
            ("PANDAPON_SEARCH_HIT_OFFER_ID", "/item/id"),
            ("PANDAPON_PRODUCT_SKUS", "/skus"),
            ("PANDAPON_CREATE_ORDER_ID", "/result/orderIds/0"),
            ("PANDAPON_ORDER_STATE", "/orderStatus"),
        ],
    );
    let b = buyer(PANDAPON, &base).with_readings(switched);
    let page = b.search(&SearchQuery::new("x")).await.unwrap();
    assert_eq!(page.hits[0].offer_id, Some("706627393257".into()));
    let product = b.product(&ProductRef::parse(OFFER).unwrap()).await.unwrap();
    assert_eq!(product.skus.len(), 2);
    let created = b.create_order(&draft()).await.unwrap();
    assert_eq!(created.order_id, Some(ORDER.into()));
    let status = b.order(&ORDER.into()).await.unwrap().status.unwrap();
    assert_eq!(status.kind, StatusKind::Completed);

    let off = readings(
        "PANDAPON",
        &[
            ("PANDAPON_SEARCH_HIT_OFFER_ID", "none"),
            ("PANDAPON_PRODUCT_SKUS", "none"),
            ("PANDAPON_CREATE_ORDER_ID", "none"),
            ("PANDAPON_ORDER_STATE", "none"),
        ],
    );
    let b = buyer(PANDAPON, &base).with_readings(off);
    assert_eq!(
        b.search(&SearchQuery::new("x")).await.unwrap().hits[0].offer_id,
        None
    );
    assert!(
        b.product(&ProductRef::parse(OFFER).unwrap())
            .await
            .unwrap()
            .skus
            .is_empty()
    );
    let created = b.create_order(&draft()).await.unwrap();
    assert_eq!((created.order_id, created.order_ids.len()), (None, 0));
    assert_eq!(b.order(&ORDER.into()).await.unwrap().status, None);
}

/// Dajisaas order detail: 1688's buyerView, with an amount the vendor sent as float noise.
fn dajisaas_detail(state_at: &str) -> Value {
    let mut detail = json!({
        "baseInfo": {"id": 2257164624870311973u64},
        "productItems": [{"itemAmount": 41.55, "name": "铅笔", "price": 8.309999999999999, "productID": 623686863670u64,
          "quantity": 5, "skuID": 5403412737023u64, "status": "waitbuyerpay", "subItemID": 2257164624870311973u64}]
    });
    *detail.pointer_mut(state_at).unwrap() = json!({"status": "waitbuyerreceive"});
    detail
}

#[tokio::test]
async fn dajisaas_reads_the_order_state_and_keeps_inexact_amounts_flagged() {
    let base = serve(vec![(
        "/alibaba/trade/get/buyerView",
        dajisaas_detail("/baseInfo"),
    )])
    .await;
    let b = buyer(DAJISAAS, &base);
    let info = b
        .order(&ORDER.into())
        .await
        .expect("an inexact amount does not fail the read");
    let status = info.status.as_ref().unwrap();
    assert_eq!(
        (status.kind, status.raw.as_str()),
        (StatusKind::Shipped, "waitbuyerreceive")
    );
    let price = info.items[0].unit_price.unwrap();
    assert_eq!(
        (
            price.amount().to_string(),
            price.is_inexact(),
            price.vendor_text()
        ),
        ("8.31".into(), true, Some("8.309999999999999".into()))
    );
    let amount = info.items[0].amount.unwrap();
    assert!(!amount.is_inexact(), "41.55 is exact");
    assert_eq!(
        info.items[0].status.as_ref().unwrap().kind,
        StatusKind::WaitingForPayment
    );

    // Switched: the state elsewhere.
    let mut moved = dajisaas_detail("/baseInfo");
    moved["baseInfo"] = json!({"orderStatus": "terminated"});
    let base = serve(vec![("/alibaba/trade/get/buyerView", moved)]).await;
    let b = buyer(DAJISAAS, &base).with_readings(readings(
        "DAJISAAS",
        &[("DAJISAAS_ORDER_STATE", "/baseInfo/orderStatus")],
    ));
    let status = b.order(&ORDER.into()).await.unwrap().status.unwrap();
    assert_eq!(
        (status.kind, status.raw.as_str()),
        (StatusKind::Cancelled, "terminated")
    );
}

#[cfg(feature = "dajisaas-unconfirmed")]
#[tokio::test]
async fn dajisaas_third_party_detail_reads_skus_at_its_reading() {
    let base = serve(vec![(
        "/alibaba/product/queryProductDetail",
        json!({"offerId": 672991141190u64, "subject": "手机壳", "productSkuInfos": sku_list(), "other": sku_list()}),
    )])
    .await;
    let offer = ProductRef::parse(OFFER).unwrap();
    let product = buyer(DAJISAAS, &base).product(&offer).await.unwrap();
    assert_eq!(
        product.skus[1].spec_id,
        Some("cd2b8c31408766f9fb089e74e2a6ac15".into())
    );
    let switched = buyer(DAJISAAS, &base)
        .with_readings(readings("DAJISAAS", &[("DAJISAAS_PRODUCT_SKUS", "/other")]));
    assert_eq!(switched.product(&offer).await.unwrap().skus.len(), 2);
    let off = buyer(DAJISAAS, &base)
        .with_readings(readings("DAJISAAS", &[("DAJISAAS_PRODUCT_SKUS", "none")]));
    assert!(off.product(&offer).await.unwrap().skus.is_empty());
}

#[test]
fn the_1688_trade_states_are_named() {
    for (raw, kind) in [
        ("waitbuyerpay", StatusKind::WaitingForPayment),
        ("waitsellersend", StatusKind::WaitingForShipment),
        ("waitbuyerreceive", StatusKind::Shipped),
        ("confirm_goods", StatusKind::Completed),
        ("success", StatusKind::Completed),
        ("cancel", StatusKind::Cancelled),
        ("terminated", StatusKind::Cancelled),
        ("WAITING_FOR_PAYMENT", StatusKind::WaitingForPayment),
        ("something_new", StatusKind::Other),
    ] {
        let s = sourcing_buy::OrderStatus::from_vendor(raw);
        assert_eq!((s.kind, s.raw.as_str()), (kind, raw));
    }
}

#[test]
fn a_bad_reading_names_its_setting() {
    let e = Readings::from_lookup("PANDAPON", |k| {
        (k == "PANDAPON_CREATE_ORDER_ID").then(|| "orderId".to_string())
    })
    .unwrap_err();
    assert!(e.to_string().contains("PANDAPON_CREATE_ORDER_ID"), "{e}");
}
