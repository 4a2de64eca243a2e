//! Where the sandbox serves what the purchase facade's default readings look for, beyond what the vendors
//! publish (extra fields the response schemas let through with `additionalProperties`), and amounts that add
//! up. One table, keyed by provider and operation id:
//!
//! | provider, operation | served | published? |
//! |---|---|---|
//! | PandaPon `v2_goods_keyword_search`, `goods_keyword_search` | `offerId` (JSON number, 12 digits) on every hit of `data.data[]` | no: served where the facade's default reading looks; the vendor does not publish this field |
//! | PandaPon `goods_detail`, Dajisaas `product_detail_query` | `offerId` = the requested id; `productSkuInfos[]` of 2–4 `{skuId (13-digit number), specId (32 lowercase hex), price ("12.50", yuan text), amountOnSale, skuAttributes: [{attributeName: "颜色", value}]}`, stable per offer | no (PandaPon); Dajisaas types `productSkuInfos` as an untyped array: served where the facade's default reading looks |
//! | Dajisaas `order_preview`, Xportcn `ka_order_preview` | one entry whose lines are exactly the requested `cargoParamList` (prices from the offer's SKUs), `sumPayment = sumPaymentNoCarriage + sumCarriage` | yes: totals in fen; Dajisaas line prices in yuan (≤ 2 decimals), Xportcn's in fen |
//!
//! (Order reads' `baseInfo` and PandaPon create's `orderId` are the order flows', [`crate::flows`].)

use crate::catalogue::{self, Line};
use serde_json::{Map, Value, json};
use sourcing_runtime::{Operation, Provider};

/// What the request asked, by name (query values as text, body members as sent).
pub(crate) type Asked = Map<String, Value>;

type Serve = fn(&Asked, Option<&Value>, u64, &mut Value);

const TABLE: &[(&str, &str, Serve)] = &[
    ("pandapon", "v2_goods_keyword_search", search_hits),
    ("pandapon", "goods_keyword_search", search_hits),
    ("pandapon", "goods_detail", product_detail),
    ("dajisaas", "product_detail_query", product_detail),
    ("dajisaas", "order_preview", dajisaas_preview),
    ("xportcn", "ka_order_preview", xportcn_preview),
];

/// Adjust a success answer's `data` for the operations of [`TABLE`].
pub(crate) fn serve(
    provider: &Provider,
    op: &Operation,
    asked: &Asked,
    body: Option<&Value>,
    seed: u64,
    data: &mut Value,
) {
    if let Some((_, _, f)) = TABLE
        .iter()
        .find(|(p, o, _)| *p == provider.name && *o == op.id)
    {
        f(asked, body, seed, data);
    }
}

/// An id as a JSON number where it is one (1688 sends numbers), else as text.
fn id_value(id: &str) -> Value {
    match id.parse::<i64>() {
        Ok(n) if !id.starts_with('0') || id == "0" => json!(n),
        _ => json!(id),
    }
}

/// Every hit of `data.data[]` carries a 12-digit `offerId`; an untyped answer becomes a page of hits.
fn search_hits(_: &Asked, _: Option<&Value>, seed: u64, data: &mut Value) {
    if !data.get("data").is_some_and(Value::is_array) {
        *data = json!({
            "data": [{"subject": "sandbox item 1"}, {"subject": "sandbox item 2"}],
            "sandbox": true,
        });
    }
    if let Some(hits) = data.get_mut("data").and_then(Value::as_array_mut) {
        for (n, hit) in hits.iter_mut().enumerate() {
            if !hit.is_object() {
                *hit = json!({"subject": format!("sandbox item {}", n + 1)});
            }
            hit["offerId"] = json!(catalogue::offer_id(seed, n));
        }
    }
}

/// `offerId` as asked and the offer's SKUs.
fn product_detail(asked: &Asked, _: Option<&Value>, _: u64, data: &mut Value) {
    let Some(offer) = asked.get("offerId").and_then(catalogue::id_text) else {
        return;
    };
    if !data.is_object() {
        *data = json!({});
    }
    data["offerId"] = id_value(&offer);
    let skus: Vec<Value> = catalogue::skus(&offer)
        .into_iter()
        .map(|s| {
            json!({
                "skuId": s.sku_id,
                "specId": s.spec_id,
                "price": catalogue::yuan_text(s.price_fen),
                "amountOnSale": s.on_sale,
                "skuAttributes": [{"attributeName": "颜色", "value": s.colour}],
            })
        })
        .collect();
    data["productSkuInfos"] = Value::Array(skus);
}

/// One preview entry over exactly the requested lines, in the shape `entry` already has (its other fields
/// kept), with `lines_field` holding the lines and `line` writing one.
fn preview_entry(
    entry: Option<&Value>,
    lines: &[Line],
    lines_field: &str,
    line: impl Fn(&Line) -> Value,
) -> Value {
    let (goods, freight) = catalogue::totals(lines);
    let mut out = entry
        .filter(|e| e.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    out[lines_field] = Value::Array(lines.iter().map(line).collect());
    out["sumPaymentNoCarriage"] = json!(goods);
    out["sumCarriage"] = json!(freight);
    out["sumPayment"] = json!(goods.saturating_add(freight));
    out
}

fn line_ids(l: &Line) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("offerId".into(), id_value(&l.offer_id));
    m.insert("specId".into(), json!(l.spec_id));
    if let Some(s) = catalogue::skus(&l.offer_id)
        .into_iter()
        .find(|s| s.spec_id == l.spec_id)
    {
        m.insert("skuId".into(), json!(s.sku_id));
    }
    m
}

/// Dajisaas: totals in fen, line prices in yuan.
fn dajisaas_preview(_: &Asked, body: Option<&Value>, _: u64, data: &mut Value) {
    let lines = catalogue::lines(body);
    if lines.is_empty() {
        return;
    }
    if !data.is_object() {
        *data = json!({});
    }
    let first = data
        .get("orderPreviewResuslt")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned();
    let entry = preview_entry(first.as_ref(), &lines, "cargoList", |l| {
        let mut m = line_ids(l);
        m.insert(
            "finalUnitPrice".into(),
            catalogue::yuan_number(l.unit_fen()),
        );
        m.insert("amount".into(), catalogue::yuan_number(l.amount_fen()));
        Value::Object(m)
    });
    data["orderPreviewResuslt"] = json!([entry]);
}

/// Xportcn: every amount in fen.
fn xportcn_preview(_: &Asked, body: Option<&Value>, _: u64, data: &mut Value) {
    let lines = catalogue::lines(body);
    if lines.is_empty() {
        return;
    }
    let first = data.as_array().and_then(|a| a.first()).cloned();
    let mut entry = preview_entry(first.as_ref(), &lines, "orderItemTOList", |l| {
        let mut m = line_ids(l);
        m.insert("finalUnitPrice".into(), json!(l.unit_fen()));
        m.insert("amount".into(), json!(l.amount_fen()));
        Value::Object(m)
    });
    let total = entry["sumPayment"].clone();
    entry["sumTotalPayment"] = total;
    *data = json!([entry]);
}
