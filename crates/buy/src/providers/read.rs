//! Values read at a reading's JSON pointer (`sourcing_runtime::Readings`): where a vendor does not publish
//! the field that carries an id, a state or the SKUs, the facade reads it where the reading says.

use crate::money::Money;
use crate::types::{OrderStatus, Sku};
use serde_json::Value;
use sourcing_runtime::Pointer;

/// A typed answer as JSON (the generated types keep unpublished fields in `extra`, so nothing is lost).
pub(super) fn json<T: serde::Serialize>(answer: &T) -> Value {
    serde_json::to_value(answer).unwrap_or(Value::Null)
}

/// An id of kind `I` as exact text: a JSON string as sent, an integer as its digits (`serde_json` keeps
/// every `u64`/`i64` exactly). Anything else — a fraction, an integer beyond 64 bits, which would be an
/// `f64` — is not an id.
pub(super) fn id_of<I: From<String>>(v: &Value) -> Option<I> {
    match v {
        Value::String(s) if !s.is_empty() => Some(I::from(s.clone())),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(I::from(n.to_string())),
        _ => None,
    }
}

/// The id at `pointer` in `answer`.
pub(super) fn id<I: From<String>>(answer: &Value, pointer: Option<&Pointer>) -> Option<I> {
    id_of(pointer?.find(answer)?)
}

/// The order state at `pointer` in `answer` (a JSON string).
pub(super) fn status(answer: &Value, pointer: Option<&Pointer>) -> Option<OrderStatus> {
    let text = pointer?.find(answer)?.as_str()?;
    Some(OrderStatus::from_vendor(text))
}

/// The SKUs listed at `pointer` in `answer`, items read with 1688's names.
pub(super) fn skus(answer: &Value, pointer: Option<&Pointer>) -> Vec<Sku> {
    let Some(Value::Array(items)) = pointer.and_then(|p| p.find(answer)) else {
        return Vec::new();
    };
    items.iter().filter(|i| i.is_object()).map(sku).collect()
}

fn sku(item: &Value) -> Sku {
    Sku {
        spec_id: item.get("specId").and_then(id_of),
        sku_id: item.get("skuId").and_then(id_of),
        attributes: attributes(item.get("skuAttributes")),
        price: item.get("price").and_then(yuan),
        stock: item.get("amountOnSale").and_then(Value::as_i64),
    }
}

/// `skuAttributes[]` as `name: value; name: value` (the Chinese names, else the translated ones).
fn attributes(list: Option<&Value>) -> Option<String> {
    let field = |a: &Value, names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| a.get(*n).and_then(Value::as_str))
            .map(str::to_string)
    };
    let parts: Vec<String> = list?
        .as_array()?
        .iter()
        .filter_map(|a| {
            let value = field(a, ["value", "valueTrans"])?;
            Some(match field(a, ["attributeName", "attributeNameTrans"]) {
                Some(name) => format!("{name}: {value}"),
                None => value,
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// A yuan amount sent as a JSON number or as decimal text; inexact numbers are kept flagged
/// ([`Money`]). Text that is no amount (e.g. a price "on request") is not one: `None`, `raw()` keeps it.
fn yuan(v: &Value) -> Option<Money> {
    match v {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .and_then(|f| Money::yuan_from_json_number(f).ok()),
        Value::Number(n) => Money::yuan(&n.to_string()).ok(),
        Value::String(s) => Money::yuan(s).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SkuId, SpecId};
    use serde_json::json;

    #[test]
    fn ids_are_read_exactly_or_not_at_all() {
        let read = |v: Value| id_of::<crate::OrderId>(&v).map(crate::OrderId::into_string);
        assert_eq!(
            read(json!("2257455039610311973")).as_deref(),
            Some("2257455039610311973")
        );
        assert_eq!(
            read(json!(2257455039610311973u64)).as_deref(),
            Some("2257455039610311973")
        );
        assert_eq!(read(json!(-7)).as_deref(), Some("-7"));
        assert_eq!(
            read(json!(2.257455039610312e18)),
            None,
            "an f64 has lost digits already"
        );
        assert_eq!(read(json!("")), None);
        assert_eq!(read(json!(null)), None);
    }

    #[test]
    fn skus_read_1688_names_exactly() {
        let detail = json!({"productSkuInfos": [
            {"skuId": 5403412737023u64, "specId": "594b40c111b019af610a0078e4316373", "price": 8.309999999999999,
             "amountOnSale": 120, "skuAttributes": [
                {"attributeName": "颜色", "value": "红色"}, {"attributeName": "尺码", "value": "M"}]},
            {"skuId": "5403412737024", "specId": "b", "price": "12.5"},
            "not a sku"
        ]});
        let p = Pointer::parse("/productSkuInfos").unwrap();
        let [a, b] = skus(&detail, Some(&p)).try_into().unwrap();
        assert_eq!(a.sku_id, Some(SkuId::new("5403412737023")));
        assert_eq!(
            a.spec_id,
            Some(SpecId::new("594b40c111b019af610a0078e4316373"))
        );
        assert_eq!(a.attributes.as_deref(), Some("颜色: 红色; 尺码: M"));
        let price = a.price.unwrap();
        assert_eq!((price.to_fen(), price.is_inexact()), (Some(831), true));
        assert_eq!(a.stock, Some(120));
        assert_eq!(b.price.unwrap().to_fen(), Some(1250));
        assert_eq!((b.attributes, b.stock), (None, None));
        assert!(
            skus(&detail, None).is_empty(),
            "a reading turned off reads nothing"
        );
    }
}
