//! The sandbox's stable catalogue: the SKUs of an offer and their prices, derived from the offer id alone, so
//! a product's detail, a preview of it and the order created from it agree, call after call and process
//! after process. Money is integer fen throughout; yuan are only ever formatted from fen.

use serde_json::{Number, Value, json};

/// FNV-1a over the parts (separated), stable across Rust versions.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    // A final mix so that nearby inputs spread over the whole range.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// One purchasable variant of an offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sku {
    /// 13 digits.
    pub sku_id: u64,
    /// 32 lowercase hex digits.
    pub spec_id: String,
    pub price_fen: i64,
    pub on_sale: i64,
    pub colour: &'static str,
}

const COLOURS: [&str; 4] = ["红色", "蓝色", "黑色", "白色"];

/// The offer's 2–4 SKUs.
pub(crate) fn skus(offer_id: &str) -> Vec<Sku> {
    let n = 2 + (hash(&[offer_id, "skus"]) % 3) as usize;
    (0..n)
        .map(|i| {
            let i_text = i.to_string();
            let h = |what: &str| hash(&[offer_id, &i_text, what]);
            Sku {
                sku_id: 1_000_000_000_000 + h("sku") % 9_000_000_000_000,
                spec_id: format!("{:016x}{:016x}", h("spec-a"), h("spec-b")),
                price_fen: 100 + (h("price") % 9_900) as i64,
                on_sale: 10 + (h("stock") % 990) as i64,
                colour: COLOURS[i],
            }
        })
        .collect()
}

/// The unit price of `spec_id` of `offer_id`, in fen: the SKU's price, or (for a spec the catalogue does not
/// list) a price derived from both ids.
pub(crate) fn unit_price_fen(offer_id: &str, spec_id: &str) -> i64 {
    skus(offer_id)
        .into_iter()
        .find(|s| s.spec_id == spec_id)
        .map(|s| s.price_fen)
        .unwrap_or_else(|| 100 + (hash(&[offer_id, spec_id, "price"]) % 9_900) as i64)
}

/// The freight of an order of these offers, in fen.
pub(crate) fn freight_fen(offer_ids: &[String]) -> i64 {
    let mut sorted: Vec<&str> = offer_ids.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    (hash(&sorted) % 2_000) as i64
}

/// A 12-digit offer id for the `n`th hit of a search.
pub(crate) fn offer_id(seed: u64, n: usize) -> u64 {
    600_000_000_000 + hash(&[&seed.to_string(), &n.to_string(), "offer"]) % 100_000_000_000
}

/// Fen as yuan text with exactly two decimals (`1250` → `"12.50"`).
pub(crate) fn yuan_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Fen as a JSON number of yuan whose text has at most two decimals: an integer divided by 100 is the double
/// nearest that decimal, which serde_json prints as its shortest round-trip text.
pub(crate) fn yuan_number(fen: i64) -> Value {
    Number::from_f64(fen as f64 / 100.0)
        .map(Value::Number)
        .unwrap_or(json!(0))
}

/// A cargo line of a request: offer, spec and quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub offer_id: String,
    pub spec_id: String,
    pub quantity: i64,
}

impl Line {
    pub(crate) fn unit_fen(&self) -> i64 {
        unit_price_fen(&self.offer_id, &self.spec_id)
    }

    /// Saturating: a hostile quantity gives a huge amount, never an overflow.
    pub(crate) fn amount_fen(&self) -> i64 {
        self.unit_fen().saturating_mul(self.quantity)
    }
}

/// An id as text (string or number).
pub(crate) fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The request's `cargoParamList` lines (quantity as the request's integer or number; default 1).
pub(crate) fn lines(body: Option<&Value>) -> Vec<Line> {
    body.and_then(|b| b.get("cargoParamList"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| Line {
            offer_id: l.get("offerId").and_then(id_text).unwrap_or_default(),
            spec_id: l.get("specId").and_then(id_text).unwrap_or_default(),
            quantity: l
                .get("quantity")
                .and_then(|q| q.as_i64().or_else(|| q.as_f64().map(|f| f as i64)))
                .unwrap_or(1)
                .max(1),
        })
        .collect()
}

/// Goods and freight of an order of `lines`, in fen.
pub(crate) fn totals(lines: &[Line]) -> (i64, i64) {
    let goods = lines
        .iter()
        .map(Line::amount_fen)
        .fold(0i64, i64::saturating_add);
    let offers: Vec<String> = lines.iter().map(|l| l.offer_id.clone()).collect();
    (goods, freight_fen(&offers).min(i64::MAX - goods))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_stable_and_well_formed() {
        let a = skus("610947572360");
        assert_eq!(a, skus("610947572360"));
        assert!((2..=4).contains(&a.len()));
        for s in &a {
            assert_eq!(s.sku_id.to_string().len(), 13);
            assert_eq!(s.spec_id.len(), 32);
            assert!(
                s.spec_id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
            assert_eq!(unit_price_fen("610947572360", &s.spec_id), s.price_fen);
        }
        assert_ne!(a, skus("610947572361"));
    }

    #[test]
    fn yuan_from_fen_has_two_decimals_at_most() {
        assert_eq!(yuan_text(1250), "12.50");
        assert_eq!(yuan_text(7), "0.07");
        for fen in 0..20_000 {
            let text = yuan_number(fen).to_string();
            let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= 2, "{fen} -> {text}");
        }
    }
}
