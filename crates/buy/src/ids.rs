//! The ids of the purchase flow, one type per kind: an offer, a SKU specification, a SKU, an order, a
//! sub-order (order entry) and your own order number. Each holds the exact text of the id — never a
//! number, so a 19-digit order id survives every step — and serialises as that text (`"2257455039610311973"`,
//! `#[serde(transparent)]`). Being distinct types, one kind cannot be passed where another is taken: an
//! offer id given to [`crate::Buyer::pay`] does not compile.
//!
//! ```compile_fail,E0308
//! # async fn example(buyer: sourcing_buy::Buyer) {
//! let offer_id = sourcing_buy::OfferId::new("672991141190");
//! let _ = buyer.pay(&offer_id).await; // expected `&OrderId`, found `&OfferId`
//! # }
//! ```
//!
//! The same call with an order id:
//!
//! ```no_run
//! # async fn example(buyer: sourcing_buy::Buyer) -> Result<(), sourcing_buy::Error> {
//! let order_id = sourcing_buy::OrderId::new("2257455039610311973");
//! let payment = buyer.pay(&order_id).await?;
//! assert_eq!(payment.order_id, order_id);
//! # Ok(())
//! # }
//! ```
//!
//! Text becomes an id where it enters (`OrderId::new(text)`, `OrderId::from(text)`, `"…".into()`); an id
//! is text again through [`OrderId::as_str`], [`OrderId::into_string`], `Display` or `AsRef<str>`. A JSON
//! number is not an id (it is refused when read): ids travel as JSON strings, and the facade reads a
//! vendor's integer ids as their exact digits before they become ids.

use std::fmt;

/// Defines one id kind: a transparent newtype over its exact text.
macro_rules! id_kind {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone,
            Debug,
            Default,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        /// The schema of a string, as serde writes the id: the same as a plain `String` field's, so a
        /// tool schema built from the facade's types reads as before ids had types.
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                <String as schemars::JsonSchema>::inline_schema()
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                <String as schemars::JsonSchema>::schema_name()
            }

            fn schema_id() -> std::borrow::Cow<'static, str> {
                <String as schemars::JsonSchema>::schema_id()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <String as schemars::JsonSchema>::json_schema(generator)
            }
        }

        impl $name {
            /// The id whose text is `id`, exactly as given (nothing is parsed or trimmed).
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            /// The id's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id's text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            /// The id's text, exactly.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_string())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_kind! {
    /// A 1688 offer (a product) id, e.g. `672991141190`: what [`crate::Buyer::product`] (through a
    /// [`crate::ProductRef`]) and an [`crate::OrderLine`] take, and what search hits carry.
    OfferId
}

id_kind! {
    /// A SKU specification id (1688's `specId`, 32 hex characters): which variant of an offer an
    /// [`crate::OrderLine`] orders (a product's [`crate::Sku::spec_id`]).
    SpecId
}

id_kind! {
    /// A SKU id (1688's `skuId`, digits), as products, previews and order lines report it.
    SkuId
}

id_kind! {
    /// A 1688 order id (19 digits, e.g. `2257455039610311973`): what paying, reading, cancelling and
    /// confirming an order take, and what creating one answers.
    OrderId
}

id_kind! {
    /// A sub-order (order entry) id (19 digits): one product line of an order, what
    /// [`crate::Buyer::confirm_receipt`] takes ([`crate::OrderItem::sub_order_id`]).
    SubOrderId
}

id_kind! {
    /// Your own order number for an order (Dajisaas's `thirdOrderId`), free text of your choosing:
    /// [`crate::OrderDraft::external_order_id`].
    ExternalOrderId
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = "2257455039610311973";

    #[test]
    fn a_19_digit_id_round_trips_through_json_as_the_same_text() {
        let id = OrderId::new(ORDER);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{ORDER}\""));
        let back: OrderId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert_eq!(back.as_str(), ORDER);
        assert_eq!(back.to_string(), ORDER);
        // Through f64 it would not survive: the reason ids are text.
        assert_ne!((ORDER.parse::<f64>().unwrap() as u64).to_string(), ORDER);
        // In a struct, as the CLI prints it.
        let payment = crate::Payment::new(id.clone(), crate::PaymentOutcome::Paid);
        let printed = serde_json::to_string(&payment).unwrap();
        assert_eq!(
            printed,
            format!(r#"{{"order_id":"{ORDER}","outcome":"paid"}}"#)
        );
    }

    #[test]
    fn a_json_number_is_not_an_id() {
        // Refused, not rounded: an integer beyond 2^53 would lose digits through f64.
        for number in [ORDER, "672991141190", "1.5"] {
            assert!(serde_json::from_str::<OrderId>(number).is_err(), "{number}");
            assert!(serde_json::from_str::<OfferId>(number).is_err(), "{number}");
        }
        let line: Result<crate::OrderLine, _> =
            serde_json::from_str(r#"{"offer_id": 672991141190, "spec_id": "a", "quantity": 1}"#);
        assert!(line.is_err(), "an order line's offer id is text");
        let line: crate::OrderLine =
            serde_json::from_str(r#"{"offer_id": "672991141190", "spec_id": "a", "quantity": 1}"#)
                .unwrap();
        assert_eq!(line.offer_id, "672991141190");
    }

    /// An id's schema is a string's, so the facade's schemas (the MCP tools') read as with plain strings.
    #[cfg(feature = "schemars")]
    #[test]
    fn an_id_has_a_strings_schema() {
        assert_eq!(
            schemars::schema_for!(OrderId),
            schemars::schema_for!(String)
        );
        let line = serde_json::to_value(schemars::schema_for!(crate::OrderLine)).unwrap();
        assert_eq!(line["properties"]["offer_id"]["type"], "string", "{line}");
        assert!(
            line.get("$defs").is_none(),
            "no definition of its own: {line}"
        );
    }

    #[test]
    fn text_in_text_out() {
        let id = SpecId::from("594b40c111b019af610a0078e4316373".to_string());
        assert_eq!(id.as_ref(), "594b40c111b019af610a0078e4316373");
        assert_eq!(String::from(id.clone()), "594b40c111b019af610a0078e4316373");
        assert_eq!(id.into_string(), "594b40c111b019af610a0078e4316373");
        assert_eq!(SkuId::from(" 1 ").as_str(), " 1 ", "kept exactly as given");
    }
}
