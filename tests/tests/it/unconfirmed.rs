//! Endpoints known only from third-party clients (`x-evidence: third-party-client`), with the feature
//! `unconfirmed-endpoints` on (this crate enables it): each operation is labelled in the operation table,
//! sends the method, path and parameters the clients show, signed like the published operations, decodes
//! the fields the clients show (keeping the rest in `extra`), and is served by the sandbox.
//! That the feature-off build has none of them is checked by the generated crates' own unit test
//! (`cargo test -p dajisaas`, `cargo test -p xportcn`) and by `codegen/tests/it/unconfirmed.rs`.

use serde_json::{Value, json};
use sourcing_runtime::time::FixedClock;
use sourcing_runtime::{AppKeyCredentials, AppKeySigner, Runtime, app_key_signature};
use sourcing_sandbox::{Sandbox, credentials};
use sourcing_tests::{Captured, MockServer};

/// Every unconfirmed operation: (provider, operation id, method, path).
const UNCONFIRMED: &[(&str, &str, &str, &str)] = &[
    (
        "dajisaas",
        "product_keyword_query",
        "GET",
        "/alibaba/product/keywordQuery",
    ),
    (
        "dajisaas",
        "product_detail_query",
        "GET",
        "/alibaba/product/queryProductDetail",
    ),
    ("dajisaas", "category_get", "GET", "/alibaba/category/get"),
    (
        "xportcn",
        "product_recommend",
        "POST",
        "/open/product/recommend",
    ),
    ("xportcn", "product_get", "GET", "/open/product/get"),
];

#[test]
fn the_operation_table_labels_exactly_the_unconfirmed_operations() {
    for p in sourcing_registry::providers() {
        for op in p.operations {
            let expected = UNCONFIRMED
                .iter()
                .find(|(prov, id, ..)| *prov == p.name && *id == op.id);
            assert_eq!(
                op.is_unconfirmed(),
                expected.is_some(),
                "{}.{}",
                p.name,
                op.id
            );
            if let Some((_, _, method, path)) = expected {
                assert_eq!((op.method, op.path), (*method, *path));
                let source = op.evidence.unwrap();
                assert!(source.contains("third-party"), "{source}");
                assert_eq!(op.effect, sourcing_runtime::Effect::Read, "{}", op.id);
            }
        }
    }
    assert!(dajisaas::operations::find("product_keyword_query").is_some());
    assert!(xportcn::operations::find("product_get").is_some());
}

// ---------------------------------------------------------------------------------------------- Dajisaas

const KEY: &str = "demoKey";
const SECRET: &str = "demoSecret";

fn dajisaas_client(base: &str) -> dajisaas::Client {
    let signer = AppKeySigner::new(AppKeyCredentials::new(KEY, SECRET)).with_clock(FixedClock(1));
    dajisaas::Client::with_runtime(base, Runtime::new(signer))
}

fn dj_ok(data: Value) -> String {
    json!({"code": 200, "message": "操作成功", "data": data, "timestamp": 1, "traceId": "1acbe76d3459"})
        .to_string()
}

/// The query of a signed Dajisaas GET, without `appKey` and `sign` (checked by recomputation).
fn signed_query(r: &Captured, path: &str) -> Vec<(String, String)> {
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, path);
    let url = format!("http://mock/?{}", r.query.as_deref().unwrap_or(""));
    let pairs: Vec<(String, String)> = reqwest::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let sign = pairs
        .iter()
        .find(|(k, _)| k == "sign")
        .expect("sign")
        .1
        .clone();
    let signed = pairs
        .iter()
        .filter(|(k, _)| k != "sign")
        .map(|(k, v)| (k.as_str(), Some(v.as_str())));
    assert_eq!(sign, app_key_signature(signed, SECRET));
    pairs
        .into_iter()
        .filter(|(k, _)| k != "sign" && k != "appKey")
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn dajisaas_keyword_query_sends_the_clients_parameters_and_decodes_the_shown_fields() {
    let server = MockServer::start().await;
    // The shape of the third-party contract test's mock answer (values are this test's own).
    server.reply(
        200,
        dj_ok(json!({
            "totalRecords": 1, "totalPage": 1, "pageSize": 20, "currentPage": 1,
            "data": [{
                "offerId": 670291644950u64, "imageUrl": "https://cbu01.alicdn.com/x.jpg",
                "subject": "连衣裙", "subjectTrans": "dress",
                "priceInfo": {"price": "12.50", "consignPrice": "13.00", "jxhyPrice": null},
                "repurchaseRate": "25%", "monthSold": 30, "isOnePsale": true, "isJxhy": false,
                "sellerIdentities": ["powerful_merchants"], "notShown": {"x": 1}
            }],
            "alsoNotShown": "kept"
        })),
    );
    let page = dajisaas_client(&server.base_url)
        .product_keyword_query()
        .keyword("dress")
        .begin_page(1)
        .page_size(20)
        .country("en")
        .filter("shipInToday")
        .sort(r#"{"price":"asc"}"#)
        .send()
        .await
        .unwrap();
    let offers = page.data.as_ref().unwrap();
    assert_eq!(offers.len(), 1);
    let offer = &offers[0];
    assert_eq!(offer.offer_id.as_ref().unwrap().as_str(), "670291644950");
    assert_eq!(offer.repurchase_rate.as_deref(), Some("25%"));
    assert_eq!(
        offer.price_info.as_ref().unwrap().price,
        Some(json!("12.50"))
    );
    assert_eq!(offer.extra["notShown"], json!({"x": 1}));
    assert_eq!(page.extra["alsoNotShown"], json!("kept"));
    assert_eq!(page.total_records, Some(json!(1)));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let mut query = signed_query(&requests[0], "/alibaba/product/keywordQuery");
    query.sort();
    assert_eq!(
        query,
        pairs(&[
            ("beginPage", "1"),
            ("country", "en"),
            ("filter", "shipInToday"),
            ("keyword", "dress"),
            ("pageSize", "20"),
            ("sort", r#"{"price":"asc"}"#),
        ])
    );
}

#[tokio::test]
async fn dajisaas_keyword_query_without_a_keyword_is_refused_before_sending() {
    let server = MockServer::start().await;
    let err = dajisaas_client(&server.base_url)
        .product_keyword_query()
        .begin_page(1)
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("keyword"), "{err}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn dajisaas_product_detail_sends_offer_id_and_decodes_the_read_fields() {
    let server = MockServer::start().await;
    server.reply(
        200,
        dj_ok(json!({
            "offerId": 670291644950u64, "categoryId": "1031910", "subject": "连衣裙", "subjectTrans": "dress",
            "productImage": {"images": ["https://cbu01.alicdn.com/a.jpg"]},
            "productSaleInfo": {"amountOnSale": 100, "quoteType": 1,
                                "priceRangeList": [{"startQuantity": 2, "price": "12.50", "promotionPrice": null}]},
            "productShippingInfo": {"sendGoodsAddressText": "浙江省 金华市", "shippingTimeGuarantee": "shipIn48Hours"},
            "productSkuInfos": [{"skuId": 5736673805656u64}],
            "somethingElse": [1, 2]
        })),
    );
    let detail = dajisaas_client(&server.base_url)
        .product_detail_query()
        .offer_id("670291644950")
        .country("en")
        .send()
        .await
        .unwrap();
    assert_eq!(detail.offer_id.as_ref().unwrap().as_str(), "670291644950");
    assert_eq!(detail.category_id.as_ref().unwrap().as_str(), "1031910");
    let sale = detail.product_sale_info.as_ref().unwrap();
    let range = &sale.price_range_list.as_ref().unwrap()[0];
    assert_eq!(range.price, Some(json!("12.50")));
    assert_eq!(range.start_quantity, Some(json!(2)));
    assert_eq!(
        detail
            .product_image
            .as_ref()
            .unwrap()
            .images
            .as_ref()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(detail.extra["somethingElse"], json!([1, 2]));
    // An id inside an untyped field stays exact.
    assert_eq!(
        detail.product_sku_infos.as_ref().unwrap()[0]["skuId"].as_u64(),
        Some(5736673805656)
    );

    let query = signed_query(&server.requests()[0], "/alibaba/product/queryProductDetail");
    assert_eq!(
        query,
        pairs(&[("country", "en"), ("offerId", "670291644950")])
    );
}

#[tokio::test]
async fn dajisaas_category_get_sends_category_id_and_returns_data_untyped() {
    let server = MockServer::start().await;
    let answer = json!({"categoryInfo": [{"categoryID": 0, "name": "root", "isLeaf": false,
                         "childCategorys": [{"id": 7, "name": "服装", "categoryType": "1", "isLeaf": false}]}]});
    server.reply(200, dj_ok(answer.clone()));
    let data = dajisaas_client(&server.base_url)
        .category_get()
        .category_id("0")
        .send()
        .await
        .unwrap();
    assert_eq!(data, answer);
    // The item type the clients read decodes an item wherever it sits.
    let item: dajisaas::types::CategoryInfo =
        serde_json::from_value(answer["categoryInfo"][0].clone()).unwrap();
    assert_eq!(item.child_categorys.unwrap()[0].name, Some(json!("服装")));
    let query = signed_query(&server.requests()[0], "/alibaba/category/get");
    assert_eq!(query, pairs(&[("categoryID", "0")]));
}

// ----------------------------------------------------------------------------------------------- Xportcn

const XP_USER: &str = "2218427022945";

fn xportcn_client(server: &MockServer) -> xportcn::Client {
    xportcn::Client::with_runtime(
        &format!("{}/api", server.base_url),
        sourcing_tests::vector::runtime(XP_USER),
    )
}

fn assert_header_signed(r: &Captured) {
    use sourcing_tests::vector::{ACCESS_KEY, NONCE, V1_SIGNATURE};
    assert_eq!(r.header("access-key"), Some(ACCESS_KEY));
    assert_eq!(r.header("nonce-str"), Some(NONCE));
    assert_eq!(r.header("user-id"), Some(XP_USER));
    assert_eq!(r.header("signature"), Some(V1_SIGNATURE));
}

#[tokio::test]
async fn xportcn_product_recommend_posts_the_clients_body_and_decodes_the_page() {
    let server = MockServer::start().await;
    server.reply(
        200,
        json!({"requestId": "r1", "code": 200, "developId": "1023561483696472887", "msg": "成功",
               "data": {"pageNo": 1, "pageSize": 10, "data": [{"itemId": 672991141190u64}], "total": 99}})
        .to_string(),
    );
    let page = xportcn_client(&server)
        .product_recommend()
        .body(
            xportcn::types::ProductRecommendRequest::builder()
                .page_no(Some(1))
                .page_size(Some(10))
                .language(Some("en".to_string())),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.data.as_ref().unwrap()[0]["itemId"],
        json!(672991141190u64)
    );
    assert_eq!(page.extra["total"], json!(99));
    let r = &server.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/open/product/recommend")
    );
    assert_eq!(
        r.json(),
        json!({"pageNo": 1, "pageSize": 10, "language": "en"})
    );
    assert_header_signed(r);
}

#[tokio::test]
async fn xportcn_product_get_sends_item_id_and_returns_data_untyped() {
    let server = MockServer::start().await;
    server.reply(
        200,
        json!({"requestId": "r1", "code": 200, "developId": "1023561483696472887", "msg": "成功",
               "data": {"itemId": 672991141190u64, "title": "t"}})
        .to_string(),
    );
    let data = xportcn_client(&server)
        .product_get()
        .item_id("672991141190")
        .send()
        .await
        .unwrap();
    assert_eq!(data, json!({"itemId": 672991141190u64, "title": "t"}));
    let r = &server.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/api/open/product/get")
    );
    assert_eq!(r.query.as_deref(), Some("itemId=672991141190"));
    assert_header_signed(r);
}

// ----------------------------------------------------------------------------------------------- Sandbox

/// Every unconfirmed operation through the typed client against the sandbox (which enables the feature):
/// served, signature checked, decoded.
#[tokio::test]
async fn the_sandbox_serves_every_unconfirmed_operation() {
    let sandbox = Sandbox::start().await.unwrap();
    let dj = dajisaas::Client::new(&sandbox.base_url("dajisaas"), credentials::app_key());
    dj.product_keyword_query()
        .keyword("dress")
        .begin_page(1)
        .page_size(20)
        .country("en")
        .send()
        .await
        .unwrap();
    dj.product_detail_query()
        .offer_id("670291644950")
        .country("en")
        .send()
        .await
        .unwrap();
    dj.category_get().category_id("0").send().await.unwrap();
    let xp = xportcn::Client::new(&sandbox.base_url("xportcn"), credentials::access_key());
    xp.product_recommend()
        .body(
            xportcn::types::ProductRecommendRequest::builder()
                .page_no(Some(1))
                .page_size(Some(10)),
        )
        .send()
        .await
        .unwrap();
    xp.product_get()
        .item_id("672991141190")
        .send()
        .await
        .unwrap();
    for (_, id, ..) in UNCONFIRMED {
        assert_eq!(sandbox.hits(id), 1, "{id}");
    }
    // The sandbox validates them like documented operations: the required `keyword` is checked.
    let raw = dj
        .call_raw(
            reqwest::Method::GET,
            "/alibaba/product/keywordQuery",
            &[("beginPage", "1")],
            None,
        )
        .await
        .unwrap_err();
    assert!(raw.to_string().contains("keyword"), "{raw}");
}
