//! Normalised inputs and results. A field is filled only from a field the vendor documents; where a
//! vendor leaves it out (or publishes no response at all) it is `None`/empty and the typed vendor answer is
//! still there, through `raw()`.

use crate::ids::{ExternalOrderId, OfferId, OrderId, SkuId, SpecId, SubOrderId};
use crate::money::Money;
use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// The typed vendor answer behind a result: the client's own type, erased, with typed access
/// ([`Raw::get`]) and its JSON ([`Raw::to_json`]). A result built in a test has an empty one
/// ([`Raw::default`], JSON `null`) unless given one ([`Raw::new`]).
///
/// ```
/// let raw = sourcing_buy::Raw::new(serde_json::json!({"orderId": "1"}));
/// assert_eq!(raw.get::<serde_json::Value>().unwrap()["orderId"], "1");
/// assert!(raw.get::<String>().is_none());
/// assert_eq!(raw.to_json()["orderId"], "1");
/// ```
#[derive(Clone)]
pub struct Raw(Arc<dyn Answer>);

/// What [`Raw`] holds: any serialisable, debuggable value.
trait Answer: Any + Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn json(&self) -> serde_json::Value;
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl<T: serde::Serialize + fmt::Debug + Send + Sync + 'static> Answer for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Raw {
    /// `answer`, kept as the vendor's typed answer.
    pub fn new<T: serde::Serialize + fmt::Debug + Send + Sync + 'static>(answer: T) -> Self {
        Raw(Arc::new(answer))
    }

    /// The answer as `T` (the generated client's type, e.g. `pandapon::types::OrderPayResult`), if it
    /// is one.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }

    /// The vendor answer as JSON (what the typed answer holds, re-encoded), e.g. for printing.
    pub fn to_json(&self) -> serde_json::Value {
        self.0.json()
    }
}

impl Default for Raw {
    /// No vendor answer (JSON `null`).
    fn default() -> Self {
        Raw::new(())
    }
}

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f)
    }
}

impl PartialEq for Raw {
    /// The same type holding the same JSON.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_any().type_id() == other.0.as_any().type_id() && self.to_json() == other.to_json()
    }
}

/// A receiving address in mainland China, in the fields all three vendors name (`addressParam`). Build it
/// with [`Address::new`] and set the optional fields a provider requires (`phone`, `post_code`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Address {
    /// Receiver (`fullName`).
    pub full_name: String,
    /// Mobile number (`mobile`).
    pub mobile: String,
    /// Telephone (`phone`); Dajisaas requires it.
    pub phone: Option<String>,
    /// Postcode (`postCode`); Dajisaas requires it.
    pub post_code: Option<String>,
    /// Province as text (`provinceText`, e.g. 浙江省).
    pub province: String,
    /// City as text (`cityText`).
    pub city: String,
    /// District as text (`areaText`); Dajisaas requires it.
    pub district: Option<String>,
    /// Town as text (`townText`); Dajisaas requires it.
    pub town: Option<String>,
    /// Street address (`address`).
    pub street: String,
    /// Six-digit district code (`districtCode`); Dajisaas requires it.
    pub district_code: Option<String>,
}

/// One line of goods: a 1688 offer, its SKU specification and a quantity (`cargoParamList[]`);
/// [`OrderLine::new`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct OrderLine {
    /// The 1688 offer (from [`crate::ProductRef`] or a bare id).
    pub offer_id: OfferId,
    /// The SKU specification id (`specId`, 32 hex characters).
    pub spec_id: SpecId,
    /// How many, from 1.
    pub quantity: u32,
}

/// What to preview or order (one seller's goods): [`OrderDraft::new`], then the optional fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct OrderDraft {
    /// Where the goods go.
    pub address: Address,
    /// The goods, at least one line.
    pub lines: Vec<OrderLine>,
    /// Remark for the seller (`message`).
    pub message: Option<String>,
    /// Your own order number. Dajisaas requires it (`thirdOrderId`); the others take none.
    pub external_order_id: Option<ExternalOrderId>,
    /// Order flow (`flow`). Default: the value of each vendor's published example — `general` (PandaPon,
    /// Dajisaas), `fenxiaonew` (Xportcn preview). No vendor lists the values.
    pub flow: Option<String>,
}

impl Address {
    /// An address with the fields every provider requires; set the optional ones a provider also requires
    /// (Dajisaas: `phone`, `post_code`, `district`, `town`, `district_code`).
    pub fn new(
        full_name: impl Into<String>,
        mobile: impl Into<String>,
        province: impl Into<String>,
        city: impl Into<String>,
        street: impl Into<String>,
    ) -> Self {
        Address {
            full_name: full_name.into(),
            mobile: mobile.into(),
            province: province.into(),
            city: city.into(),
            street: street.into(),
            ..Address::default()
        }
    }
}

impl OrderLine {
    /// `quantity` of the SKU `spec_id` of the offer `offer_id` (ids, or their text:
    /// `OrderLine::new("672991141190", "594b40c111b019af610a0078e4316373", 2)`).
    pub fn new(offer_id: impl Into<OfferId>, spec_id: impl Into<SpecId>, quantity: u32) -> Self {
        OrderLine {
            offer_id: offer_id.into(),
            spec_id: spec_id.into(),
            quantity,
        }
    }
}

impl OrderDraft {
    /// `lines` to `address`, with no message, own order number or flow.
    pub fn new(address: Address, lines: Vec<OrderLine>) -> Self {
        OrderDraft {
            address,
            lines,
            ..OrderDraft::default()
        }
    }
}

/// A keyword search: [`SearchQuery::new`], then `page` / `page_size`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SearchQuery {
    /// The keyword.
    pub keyword: String,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Hits per page (the vendor's default when `None`).
    pub page_size: Option<u32>,
}

impl SearchQuery {
    /// The first page of `keyword`, at the vendor's page size.
    pub fn new(keyword: impl Into<String>) -> Self {
        SearchQuery {
            keyword: keyword.into(),
            page: None,
            page_size: None,
        }
    }
}

/// A search result. Build one in a test with `SearchHit::default()` and set its fields.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SearchHit {
    /// The offer's title.
    pub title: Option<String>,
    /// The offer's main image.
    pub image_url: Option<String>,
    /// The offer id, exact text: what `product` and an order line take. Dajisaas: `offerId` (third-party
    /// clients); PandaPon: the reading `PANDAPON_SEARCH_HIT_OFFER_ID` (default `/offerId`, 1688's name).
    pub offer_id: Option<OfferId>,
}

impl SearchHit {
    /// A hit of offer `offer_id`, without title or image.
    pub fn new(offer_id: Option<OfferId>) -> Self {
        SearchHit {
            offer_id,
            ..SearchHit::default()
        }
    }
}

/// A page of search results.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SearchPage {
    /// The hits, in the vendor's order.
    pub hits: Vec<SearchHit>,
    /// How many hits the search has in all, where the vendor says.
    pub total_records: Option<i64>,
    #[serde(skip)]
    raw: Raw,
}

impl SearchPage {
    /// A page of `hits`, of `total_records` in all.
    pub fn new(hits: Vec<SearchHit>, total_records: Option<i64>) -> Self {
        SearchPage {
            hits,
            total_records,
            raw: Raw::default(),
        }
    }

    /// The same, with the vendor's answer.
    pub fn with_raw(mut self, raw: Raw) -> Self {
        self.raw = raw;
        self
    }

    /// The vendor's typed answer.
    pub fn raw(&self) -> &Raw {
        &self.raw
    }
}

/// A product's details.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Product {
    /// The offer id the vendor answered with (exact text), else the one asked for.
    pub offer_id: OfferId,
    /// The title.
    pub title: Option<String>,
    /// Title translated into the requested language, where the vendor sends one.
    pub title_translated: Option<String>,
    /// One per purchasable variant, from the reading `<PREFIX>_PRODUCT_SKUS` (default `/productSkuInfos`,
    /// 1688's name): its `spec_id` is what an order line takes.
    pub skus: Vec<Sku>,
    #[serde(skip)]
    raw: Raw,
}

impl Product {
    /// Offer `offer_id`, without title or SKUs (set the fields).
    pub fn new(offer_id: impl Into<OfferId>) -> Self {
        Product {
            offer_id: offer_id.into(),
            ..Product::default()
        }
    }

    /// The same, with the vendor's answer.
    pub fn with_raw(mut self, raw: Raw) -> Self {
        self.raw = raw;
        self
    }

    /// The vendor's typed answer.
    pub fn raw(&self) -> &Raw {
        &self.raw
    }
}

/// A purchasable variant of a product (1688's `productSkuInfos[]` item). Build one with
/// `Sku::default()` and set its fields.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Sku {
    /// The specification id (`specId`, 32 hex characters): what `--line OFFER:SPEC_ID:QTY` takes.
    pub spec_id: Option<SpecId>,
    /// The SKU id (`skuId`), exact text.
    pub sku_id: Option<SkuId>,
    /// The attributes as text, `name: value` joined by `; ` (`颜色: 红色; 尺码: M`).
    pub attributes: Option<String>,
    /// The price (`price`, yuan).
    pub price: Option<Money>,
    /// Quantity on sale (`amountOnSale`), where sent.
    pub stock: Option<i64>,
}

/// A priced line of a preview. Build one with `PreviewLine::default()` and set its fields.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct PreviewLine {
    /// The offer, exact text.
    pub offer_id: Option<OfferId>,
    /// The SKU specification id.
    pub spec_id: Option<SpecId>,
    /// The SKU id, exact text.
    pub sku_id: Option<SkuId>,
    /// The price of one.
    pub unit_price: Option<Money>,
    /// The line's amount.
    pub amount: Option<Money>,
}

/// The preview of one resulting order (vendors split by seller). Build one with
/// `PreviewOrder::default()` and set its fields.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct PreviewOrder {
    /// Goods + freight.
    pub total: Option<Money>,
    /// The freight.
    pub freight: Option<Money>,
    /// Goods without freight.
    pub goods: Option<Money>,
    /// The priced lines.
    pub lines: Vec<PreviewLine>,
}

/// An order preview: prices and freight, nothing ordered.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Preview {
    /// Empty where the vendor documents no amounts (PandaPon).
    pub orders: Vec<PreviewOrder>,
    #[serde(skip)]
    raw: Raw,
}

impl Preview {
    /// A preview of `orders`.
    pub fn new(orders: Vec<PreviewOrder>) -> Self {
        Preview {
            orders,
            raw: Raw::default(),
        }
    }

    /// The same, with the vendor's answer.
    pub fn with_raw(mut self, raw: Raw) -> Self {
        self.raw = raw;
        self
    }

    /// The vendor's typed answer.
    pub fn raw(&self) -> &Raw {
        &self.raw
    }
}

/// A created order.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CreatedOrder {
    /// The new order's id: Dajisaas `orderId` (documented); PandaPon from the reading
    /// `PANDAPON_CREATE_ORDER_ID` (default `/orderId`, 1688's `fastCreateOrder` name). `None` where the
    /// answer carries none (the outcome is then unknown until the order is read).
    pub order_id: Option<OrderId>,
    /// Every order id the call created (a create of more than 50 SKUs may make several, Dajisaas says;
    /// where it lists them is unpublished, so this holds `order_id` when there is one).
    pub order_ids: Vec<OrderId>,
    /// The order's total where documented (Dajisaas `totalSuccessAmount`, fen).
    pub total: Option<Money>,
    #[serde(skip)]
    raw: Raw,
}

impl CreatedOrder {
    /// An order created with id `order_id` (`None`: the answer named none) and `total`.
    pub fn new(order_id: Option<OrderId>, total: Option<Money>) -> Self {
        CreatedOrder {
            order_ids: order_id.iter().cloned().collect(),
            order_id,
            total,
            raw: Raw::default(),
        }
    }

    /// The same, with the vendor's answer.
    pub fn with_raw(mut self, raw: Raw) -> Self {
        self.raw = raw;
        self
    }

    /// The vendor's typed answer.
    pub fn raw(&self) -> &Raw {
        &self.raw
    }
}

/// What a payment call reported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentOutcome {
    /// The vendor reports the order paid (PandaPon `protocolPaySuccess: true`; Xportcn `successOrderIds`).
    Paid,
    /// Password-free payment failed; the buyer pays by hand at `url` (PandaPon `payUrl`).
    PayByHand {
        /// The vendor's payment page, where it sends one.
        url: Option<String>,
    },
    /// The call succeeded (envelope code 200) but the vendor publishes no result fields (Dajisaas).
    Accepted,
}

/// The answer to paying one order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Payment {
    /// The order paid, exact text.
    pub order_id: OrderId,
    /// What the vendor reported.
    pub outcome: PaymentOutcome,
    #[serde(skip)]
    raw: Raw,
}

impl Payment {
    /// The payment of `order_id` with `outcome`.
    pub fn new(order_id: impl Into<OrderId>, outcome: PaymentOutcome) -> Self {
        Payment {
            order_id: order_id.into(),
            outcome,
            raw: Raw::default(),
        }
    }

    /// The same, with the vendor's answer.
    pub fn with_raw(mut self, raw: Raw) -> Self {
        self.raw = raw;
        self
    }

    /// The vendor's typed answer.
    pub fn raw(&self) -> &Raw {
        &self.raw
    }
}

/// A batch where every order went through (a partly failed batch is the runtime's
/// `Error::PartialFailure`, wrapped in [`crate::Error::Vendor`]).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct BatchPayment {
    /// The ids the vendor lists as done, exact text.
    pub paid: Vec<OrderId>,
    #[serde(skip)]
    raw: Raw,
}

impl BatchPayment {
    /// A batch that paid `paid`.
    pub fn new(paid: Vec<OrderId>) -> Self {
        BatchPayment {
            paid,
            raw: Raw::default(),
        }
    }

    /// The same, with the vendor's answer.
    pub fn with_raw(mut self, raw: Raw) -> Self {
        self.raw = raw;
        self
    }

    /// The vendor's typed answer.
    pub fn raw(&self) -> &Raw {
        &self.raw
    }
}

/// An order state, normalised where a vendor document names the value, with the vendor's text kept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct OrderStatus {
    /// What the state means.
    pub kind: StatusKind,
    /// The vendor's value as sent.
    pub raw: String,
}

/// Order states the vendor documents name: the order messages' upper-case values and 1688's trade
/// states (`baseInfo.status` of `alibaba.trade.get.buyerView`, listed by PandaPon's goods-detail page and
/// mirrored by Dajisaas's order detail). Anything else is `Other` (see [`OrderStatus::raw`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatusKind {
    /// `WAITING_FOR_PAYMENT` (Xportcn/PandaPon order messages), 1688's `waitbuyerpay`.
    WaitingForPayment,
    /// `WAITING_FOR_SENT` (paid, waiting for the seller to ship), 1688's `waitsellersend`.
    WaitingForShipment,
    /// 1688's `waitbuyerreceive`: shipped, waiting for the buyer to confirm receipt.
    Shipped,
    /// 1688's `confirm_goods` (receipt confirmed) and `success` (trade completed).
    Completed,
    /// `CANCEL` (order messages), 1688's `cancel` (also the line status in Dajisaas's order detail
    /// example) and `terminated`.
    Cancelled,
    /// A value no vendor document names: the text is in [`OrderStatus::raw`].
    Other,
}

impl OrderStatus {
    /// The state `raw` as a vendor sent it, meaning `kind` (a provider with its own state names maps
    /// them here; [`OrderStatus::from_vendor`] knows the names of the built-in vendors' documents).
    pub fn new(kind: StatusKind, raw: impl Into<String>) -> Self {
        OrderStatus {
            kind,
            raw: raw.into(),
        }
    }

    /// The state `raw` as the built-in vendors' documents name it ([`StatusKind::Other`] otherwise).
    pub fn from_vendor(raw: &str) -> Self {
        let kind = match raw {
            // Push messages (Xportcn/PandaPon), 1688's trade states (the order read), and the Taobao
            // states of Dajisaas's order message (its message-service page: `WAIT_BUYER_P` as written there).
            "WAITING_FOR_PAYMENT" | "waitbuyerpay" | "WAIT_BUYER_P" => {
                StatusKind::WaitingForPayment
            }
            "WAITING_FOR_SENT" | "waitsellersend" | "WAIT_SELLER_SEND_GOODS" => {
                StatusKind::WaitingForShipment
            }
            "waitbuyerreceive" | "WAIT_BUYER_CONFIRM_GOODS" => StatusKind::Shipped,
            "confirm_goods" | "success" => StatusKind::Completed,
            "CANCEL" | "cancel" | "terminated" | "TRADE_CLOSED" => StatusKind::Cancelled,
            _ => StatusKind::Other,
        };
        OrderStatus::new(kind, raw)
    }
}

/// A product line of an order. Build one with `OrderItem::default()` and set its fields.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct OrderItem {
    /// The offer, exact text.
    pub offer_id: Option<OfferId>,
    /// The SKU id, exact text.
    pub sku_id: Option<SkuId>,
    /// The sub-order (order entry) id, 19 digits, exact: what receipt confirmation takes.
    pub sub_order_id: Option<SubOrderId>,
    /// The product's name.
    pub title: Option<String>,
    /// How many.
    pub quantity: Option<i64>,
    /// The price of one.
    pub unit_price: Option<Money>,
    /// The line's amount.
    pub amount: Option<Money>,
    /// The line's own state, where the vendor sends one.
    pub status: Option<OrderStatus>,
}

/// An order's state and details.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct OrderInfo {
    /// The order read, exact text.
    pub order_id: OrderId,
    /// The order-level state, from the reading `<PREFIX>_ORDER_STATE` (default `/baseInfo/status`, 1688's
    /// buyerView, which neither vendor publishes); `None` where the answer has none there.
    pub status: Option<OrderStatus>,
    /// The product lines.
    pub items: Vec<OrderItem>,
    /// The delivery address in China (Dajisaas `nativeLogistics`).
    pub delivery: Option<Address>,
    #[serde(skip)]
    raw: Raw,
}

impl OrderInfo {
    /// Order `order_id`, with no state or lines known (set them with the `with_` methods or the fields).
    pub fn new(order_id: impl Into<OrderId>) -> Self {
        OrderInfo {
            order_id: order_id.into(),
            ..OrderInfo::default()
        }
    }

    /// The same, in state `status` (`None`: the answer showed none).
    pub fn with_status(mut self, status: impl Into<Option<OrderStatus>>) -> Self {
        self.status = status.into();
        self
    }

    /// The same, with the vendor's answer.
    pub fn with_raw(mut self, raw: Raw) -> Self {
        self.raw = raw;
        self
    }

    /// The vendor's typed answer.
    pub fn raw(&self) -> &Raw {
        &self.raw
    }
}

/// The answer to an order operation (cancel, confirm receipt).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct OrderAction {
    /// Whether the vendor reports success, where it documents a flag (`success`, or PandaPon's boolean
    /// cancel result).
    pub success: Option<bool>,
    #[serde(skip)]
    raw: Raw,
}

impl OrderAction {
    /// An action the vendor reported as `success` (`None`: it documents no flag).
    pub fn new(success: Option<bool>) -> Self {
        OrderAction {
            success,
            raw: Raw::default(),
        }
    }

    /// The same, with the vendor's answer.
    pub fn with_raw(mut self, raw: Raw) -> Self {
        self.raw = raw;
        self
    }

    /// The vendor's typed answer.
    pub fn raw(&self) -> &Raw {
        &self.raw
    }
}

/// The answer to [`crate::Buyer::cancel`].
pub type Cancelled = OrderAction;
/// The answer to [`crate::Buyer::confirm_receipt`].
pub type ReceiptConfirmed = OrderAction;
