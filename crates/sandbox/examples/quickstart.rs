//! Quickstart: a 1688 purchase flow through the generated PandaPon client, against the embedded sandbox —
//! no vendor account, no network. `cargo run -p sourcing-sandbox --example quickstart`
//!
//! keyword search -> product detail -> order preview -> create -> pay -> order detail (-> logistics).
//! To run the same code against PandaPon, use `pandapon::Client::from_env()` (PANDAPON_ACCESS_KEY,
//! PANDAPON_ACCESS_SECRET, PANDAPON_USER_ID); HTTPS works with the crate's default features.

use pandapon::types::{
    AddressParam, CargoParam, GoodsDetailRequest, KeywordSearchRequest, OrderCreateRequest,
    OrderDetailRequest, OrderPreviewRequest,
};
use pandapon::{Client, Error};
use sourcing_sandbox::{Sandbox, credentials};

fn address() -> AddressParam {
    AddressParam {
        full_name: Some("Zhang San".into()),
        mobile: Some("18600888861".into()),
        phone: None,
        post_code: Some("310000".into()),
        province_text: Some("浙江省".into()),
        city_text: Some("杭州市".into()),
        area_text: Some("西湖区".into()),
        town_text: None,
        address: Some("转塘街道 1 号".into()),
        district_code: None,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    let base = sandbox.base_url("pandapon");
    println!("sandbox running at {base} (test credentials, signatures verified)\n");
    let client = Client::new(&base, credentials::access_key());

    // 1. Keyword search (v2: PandaPon publishes the v2 result page; v1 `goods_keyword_search` is untyped).
    let search = client
        .v2_goods_keyword_search()
        .body(KeywordSearchRequest {
            keyword: Some("phone case".into()),
            begin_page: Some(1),
            page_size: Some(5),
            country: Some("en".into()),
            ..Default::default()
        })
        .send()
        .await?;
    let subjects: Vec<&str> = search
        .data
        .iter()
        .filter_map(|p| p.subject.as_deref())
        .collect();
    println!(
        "1. keyword search `phone case`: {} products {subjects:?}",
        search.data.len()
    );
    println!(
        "   (no published example for this call: the sandbox answers data generated from the response schema, marked `sandbox`)"
    );

    // 2. Product detail (typed; fields the vendor does not document are kept in `extra`).
    let offer_id = 672_991_141_190u64;
    let detail = client
        .goods_detail()
        .body(GoodsDetailRequest {
            offer_id: Some(offer_id.into()),
            country: Some("en".into()),
            out_member_id: None,
        })
        .send()
        .await?;
    println!(
        "2. product detail of offer {offer_id}: subject={:?}, {} undocumented fields kept in `extra`",
        detail.subject,
        detail.extra.len()
    );

    // 3. Preview: prices and freight before ordering; nothing is ordered.
    let cargo = CargoParam {
        offer_id: offer_id.into(),
        spec_id: "cd2b8c31408766f9fb089e74e2a6ac15".into(),
        quantity: 2.0,
        seller_open_id: None,
    };
    let preview = client
        .order_preview()
        .body(OrderPreviewRequest {
            address_param: Some(address()),
            cargo_param_list: vec![cargo.clone()],
        })
        .send()
        .await?;
    println!(
        "3. order preview: success={:?}, {} preview entries (generated from the response schema)",
        preview.success,
        preview.order_preview_resuslt.len()
    );

    // 4. Create the order (never retried automatically: a retry could order twice).
    let created = client
        .order_create()
        .body(OrderCreateRequest {
            flow: "general".into(),
            address_param: address(),
            cargo_param_list: vec![cargo],
            message: Some("quickstart".into()),
            shop_promotion_id: None,
            trade_type: None,
        })
        .send()
        .await?;
    let order_id = created["orderId"]
        .as_str()
        .ok_or("no orderId in the create answer")?
        .to_string();
    println!("4. order created: {order_id} ({})", created["status"]);

    // 5. Pay (password-free payment; never retried automatically).
    let paid = client.order_pay_url().order_id(&order_id).send().await?;
    println!(
        "5. paid: protocolPaySuccess={:?}",
        paid.protocol_pay_success
    );

    // Paying again is a business error, with the provider's code and message.
    match client.order_pay_url().order_id(&order_id).send().await {
        Err(Error::Api(e)) => println!(
            "   paying twice is refused: code {} — {}",
            e.code,
            e.message.unwrap_or_default()
        ),
        other => println!("   unexpected: {other:?}"),
    }

    // 6. Order detail.
    let order = client
        .order_detail()
        .body(OrderDetailRequest {
            web_site: "1688".into(),
            order_id: Some(order_id.clone()),
        })
        .send()
        .await?;
    println!("6. order detail: {order}");

    // 7. Logistics: PandaPon does not publish the path of 1688 order logistics (see generated/COVERAGE.md);
    //    if your account manager gives it to you, `client.call_raw(...)` signs and maps it like the rest.
    println!(
        "7. logistics: path not published by PandaPon for 1688 orders — reachable with client.call_raw once known"
    );
    println!(
        "\ndone: {} requests served by the sandbox",
        [
            "v2_goods_keyword_search",
            "goods_detail",
            "order_preview",
            "order_create",
            "order_pay_url",
            "order_detail"
        ]
        .iter()
        .map(|op| sandbox.hits(op))
        .sum::<u64>()
    );
    Ok(())
}
