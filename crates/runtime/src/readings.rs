//! Readings: [`Readings`].

use std::fmt;

/// One reading's setting: its key (after `<PREFIX>_`), the providers it applies to with their defaults,
/// what it locates and the evidence for the default.
#[derive(Clone, Copy, Debug)]
pub struct ReadingKey {
    /// The key after `<PREFIX>_` (`ORDER_STATE`).
    pub key: &'static str,
    /// `(prefix, default)` for every provider whose answer the reading applies to.
    pub defaults: &'static [(&'static str, &'static str)],
    /// What the pointer is applied to.
    pub applies_to: &'static str,
    /// Why the default is the default.
    pub evidence: &'static str,
}

/// Every reading, in the order of [`Readings`]' fields.
const KEYS: [ReadingKey; 4] = [
    ReadingKey {
        key: "SEARCH_HIT_OFFER_ID",
        defaults: &[("PANDAPON", "/offerId")],
        applies_to: "each hit of `data.data[]` (keyword search)",
        evidence: "1688's own search result names the offer `offerId` (`product.search.keywordQuery`), \
                   which PandaPon passes through (its v2 page lists 8 item fields, shows `imageUrl` and \
                   `subject`, then is cut off); third-party clients read Dajisaas's pass-through of the \
                   same search as `offerId`",
    },
    ReadingKey {
        key: "PRODUCT_SKUS",
        defaults: &[
            ("PANDAPON", "/productSkuInfos"),
            ("DAJISAAS", "/productSkuInfos"),
        ],
        applies_to: "`data` of product detail; items read as `skuId`, `specId`, `price` (yuan), \
                     `amountOnSale`, `skuAttributes[].attributeName`/`value`",
        evidence: "1688's cross-border product detail (`product.search.queryProductDetail`) names its SKU \
                   list `productSkuInfos` with those item fields; PandaPon's detail page lists \"sku info\" \
                   there and its cart items carry `specId`, `skuId`, `price`, `amountOnSale`; third-party \
                   Dajisaas clients read `productSkuInfos[]` (items not shown)",
    },
    ReadingKey {
        key: "CREATE_ORDER_ID",
        defaults: &[("PANDAPON", "/orderId")],
        applies_to: "`data` of order creation",
        evidence: "1688's `fastCreateOrder` result carries `orderId`; Dajisaas documents `orderId` for the \
                   same pass-through",
    },
    ReadingKey {
        key: "ORDER_STATE",
        defaults: &[
            ("PANDAPON", "/baseInfo/status"),
            ("DAJISAAS", "/baseInfo/status"),
        ],
        applies_to: "`data` of order detail",
        evidence: "1688's `alibaba.trade.get.buyerView` keeps the state in `baseInfo.status`; Dajisaas's \
                   order-detail page says its `data` mirrors buyerView; the values (`waitbuyerpay`, \
                   `waitsellersend`, `waitbuyerreceive`, `confirm_goods`, `success`, `cancel`, \
                   `terminated`) are listed by PandaPon's own goods-detail page",
    },
];

/// The value that turns a reading off.
const OFF: &str = "none";

/// A JSON pointer (RFC 6901), checked: empty (the whole value) or `/`-separated tokens where `~` is
/// followed only by `0` or `1`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pointer(String);

impl Pointer {
    /// `text` as a pointer, or why it is not one.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        if !text.is_empty() && !text.starts_with('/') {
            return Err("a JSON pointer starts with `/`");
        }
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                return Err("`~` must be followed by `0` or `1` (RFC 6901)");
            }
        }
        Ok(Pointer(text.to_string()))
    }

    /// The pointer's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value this pointer locates in `value`.
    pub fn find<'v>(&self, value: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        value.pointer(&self.0)
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A setting that is not a reading's value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{key}={value:?} is not a reading: {why}; give a JSON pointer such as `/baseInfo/status`, or `none`"
)]
pub struct ReadingError {
    /// The full setting name (`PANDAPON_ORDER_STATE`).
    pub key: String,
    /// The value given.
    pub value: String,
    /// Why it was refused.
    pub why: &'static str,
}

/// Where one provider's answers carry the values the vendor does not locate. `None`: not read (the
/// reading does not apply to the provider, or is turned off with `none`).
///
/// Readings say where a value sits in a vendor's answer when the vendor does not publish it.
///
/// Like the signing variants ([`SigningSettings`](crate::SigningSettings)), each reading is a named setting
/// `<PREFIX>_<KEY>=value` (environment or a CLI `--config` file), read through a lookup function
/// ([`Readings::from_lookup`]). A value is a JSON pointer (RFC 6901, e.g. `/baseInfo/status`) into the
/// answer's `data`, or `none` to turn the reading off. The default of each is the best evidence:
///
/// | setting | default | applies to | evidence |
/// |---|---|---|---|
/// | `PANDAPON_SEARCH_HIT_OFFER_ID` | `/offerId` | each hit of `data.data[]` (v2 keyword search) | 1688's own search result names the offer `offerId` (`product.search.keywordQuery`); PandaPon passes 1688's answer through (its v2 page lists 8 item fields and shows `imageUrl`, `subject` before being cut off); Dajisaas's pass-through of the same 1688 search is read as `offerId` by third-party clients |
/// | `PANDAPON_PRODUCT_SKUS` | `/productSkuInfos` | `data` of product detail | 1688's cross-border product detail (`product.search.queryProductDetail`) names its SKU list `productSkuInfos`, items `skuId`, `specId`, `price` (yuan), `amountOnSale`, `skuAttributes[].attributeName`/`value`; PandaPon's detail page lists "sku info" in the same place and its cart items carry `specId`, `skuId`, `price`, `amountOnSale` |
/// | `DAJISAAS_PRODUCT_SKUS` | `/productSkuInfos` | `data` of `product_detail_query` (third-party) | third-party clients read `productSkuInfos[]` (items not shown; the same 1688 names assumed) |
/// | `PANDAPON_CREATE_ORDER_ID` | `/orderId` | `data` of order creation | 1688's `fastCreateOrder` result carries `orderId`; Dajisaas documents `orderId` for the same pass-through |
/// | `PANDAPON_ORDER_STATE` | `/baseInfo/status` | `data` of order detail | 1688's `alibaba.trade.get.buyerView` (`baseInfo.status`); values listed by PandaPon's own goods-detail page: `waitbuyerpay`, `waitsellersend`, `waitbuyerreceive`, `confirm_goods`, `success`, `cancel`, `terminated` |
/// | `DAJISAAS_ORDER_STATE` | `/baseInfo/status` | `data` of order detail | Dajisaas's order-detail page: `data` mirrors 1688's `alibaba.trade.get.buyerView` (`baseInfo` sub-fields unpublished) |
///
/// The same table, with the alternatives, is `docs/readings.md` ([`Readings::markdown_table`] renders it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readings {
    /// `SEARCH_HIT_OFFER_ID`: the offer id in each search hit.
    pub search_hit_offer_id: Option<Pointer>,
    /// `PRODUCT_SKUS`: the list of SKUs in a product detail.
    pub product_skus: Option<Pointer>,
    /// `CREATE_ORDER_ID`: the new order's id in an order creation's answer.
    pub create_order_id: Option<Pointer>,
    /// `ORDER_STATE`: the order-level state in an order detail.
    pub order_state: Option<Pointer>,
}

impl Readings {
    /// Every reading's setting, in the order of the fields.
    pub const KEYS: [ReadingKey; 4] = KEYS;

    /// The value that turns a reading off (`none`).
    pub const OFF: &'static str = OFF;

    /// The table of readings as markdown (`docs/readings.md` holds it; a test keeps them equal).
    pub fn markdown_table() -> String {
        markdown_table()
    }

    /// The defaults of the provider whose configuration prefix is `prefix` (`PANDAPON`, …).
    pub fn defaults(prefix: &str) -> Self {
        Self::from_lookup(prefix, |_| None).unwrap_or_default()
    }

    /// The readings of `prefix`'s provider: every key of [`Readings::KEYS`] that applies to it, read through
    /// `lookup` as `<prefix>_<KEY>`; unset is the default; a value that is neither a JSON pointer nor `none`
    /// is an error naming the key.
    pub fn from_lookup(
        prefix: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ReadingError> {
        let read = |i: usize| read(prefix, &KEYS[i], &lookup);
        Ok(Readings {
            search_hit_offer_id: read(0)?,
            product_skus: read(1)?,
            create_order_id: read(2)?,
            order_state: read(3)?,
        })
    }

    /// Every reading that applies to `prefix`'s provider as `(<prefix>_<KEY>, value)` (`none` when off):
    /// what to write in a configuration file to pin these readings.
    pub fn pins(&self, prefix: &str) -> Vec<(String, String)> {
        let values = [
            &self.search_hit_offer_id,
            &self.product_skus,
            &self.create_order_id,
            &self.order_state,
        ];
        KEYS.iter()
            .zip(values)
            .filter(|(k, _)| default_of(prefix, k).is_some())
            .map(|(k, v)| {
                let value = v.as_ref().map_or(OFF, Pointer::as_str);
                (format!("{prefix}_{}", k.key), value.to_string())
            })
            .collect()
    }
}

fn default_of(prefix: &str, key: &ReadingKey) -> Option<&'static str> {
    key.defaults
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, d)| *d)
}

/// One reading: `None` where it does not apply to `prefix` or is `none`.
fn read(
    prefix: &str,
    key: &ReadingKey,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Pointer>, ReadingError> {
    let Some(default) = default_of(prefix, key) else {
        return Ok(None);
    };
    let full = format!("{prefix}_{}", key.key);
    let value = lookup(&full).unwrap_or_else(|| default.to_string());
    let value = value.trim();
    if value == OFF {
        return Ok(None);
    }
    Pointer::parse(value).map(Some).map_err(|why| ReadingError {
        key: full,
        value: value.to_string(),
        why,
    })
}

fn markdown_table() -> String {
    let mut out = String::from("| setting | default | read from | evidence |\n|---|---|---|---|\n");
    for key in &KEYS {
        for (prefix, default) in key.defaults {
            let evidence = key
                .evidence
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let applies = key
                .applies_to
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&format!(
                "| `{prefix}_{}` | `{default}` | {applies} | {evidence} |\n",
                key.key
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn defaults_apply_per_provider() {
        let p = Readings::defaults("PANDAPON");
        assert_eq!(p.search_hit_offer_id.unwrap().as_str(), "/offerId");
        assert_eq!(p.product_skus.unwrap().as_str(), "/productSkuInfos");
        assert_eq!(p.create_order_id.unwrap().as_str(), "/orderId");
        assert_eq!(p.order_state.unwrap().as_str(), "/baseInfo/status");
        let d = Readings::defaults("DAJISAAS");
        assert_eq!(d.search_hit_offer_id, None);
        assert_eq!(d.create_order_id, None);
        assert_eq!(d.order_state.unwrap().as_str(), "/baseInfo/status");
        assert_eq!(Readings::defaults("XPORTCN"), Readings::default());
    }

    #[test]
    fn settings_switch_or_turn_off_a_reading_and_bad_pointers_name_the_key() {
        let pins: BTreeMap<&str, &str> = [
            ("PANDAPON_ORDER_STATE", "/orderStatus"),
            ("PANDAPON_SEARCH_HIT_OFFER_ID", "none"),
        ]
        .into();
        let r = Readings::from_lookup("PANDAPON", |k| pins.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(r.order_state.as_ref().unwrap().as_str(), "/orderStatus");
        assert_eq!(r.search_hit_offer_id, None);
        assert_eq!(
            r.pins("PANDAPON")[0],
            ("PANDAPON_SEARCH_HIT_OFFER_ID".into(), "none".into())
        );
        for bad in ["baseInfo.status", "/a~2b"] {
            let e = Readings::from_lookup("DAJISAAS", |k| {
                (k == "DAJISAAS_ORDER_STATE").then(|| bad.to_string())
            })
            .unwrap_err();
            assert_eq!(e.key, "DAJISAAS_ORDER_STATE");
            assert!(e.to_string().starts_with("DAJISAAS_ORDER_STATE="), "{e}");
        }
        let v = serde_json::json!({"baseInfo": {"status": "success", "a/b": 1}});
        let p = Pointer::parse("/baseInfo/status").unwrap();
        assert_eq!(p.find(&v), Some(&serde_json::json!("success")));
        assert_eq!(
            Pointer::parse("/baseInfo/a~1b").unwrap().find(&v),
            Some(&1.into())
        );
    }

    #[test]
    fn the_docs_hold_the_table() {
        let docs = include_str!("../../../docs/readings.md");
        assert!(
            docs.contains(&markdown_table()),
            "docs/readings.md is out of date; its table is:\n{}",
            markdown_table()
        );
    }
}
