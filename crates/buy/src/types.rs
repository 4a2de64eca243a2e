//! Normalised inputs and results. A field is filled only from a field the vendor documents; where a
//! vendor leaves it out (or publishes no response at all) it is `None`/empty and the typed vendor answer is
//! still there, through `raw()`.

use crate::capability::Provider;
use crate::money::Money;

/// The typed vendor answer behind a result: one variant per provider, holding the generated client's own
/// type ([`Never`] where the provider has no such step).
#[derive(Clone, Debug, PartialEq)]
pub enum Raw<P, D, X> {
    Pandapon(P),
    Dajisaas(D),
    Xportcn(X),
}

impl<P, D, X> Raw<P, D, X> {
    pub fn provider(&self) -> Provider {
        match self {
            Raw::Pandapon(_) => Provider::Pandapon,
            Raw::Dajisaas(_) => Provider::Dajisaas,
            Raw::Xportcn(_) => Provider::Xportcn,
        }
    }
}

impl<P: serde::Serialize, D: serde::Serialize, X: serde::Serialize> Raw<P, D, X> {
    /// The vendor answer as JSON (what the generated type holds, re-encoded), e.g. for printing.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Raw::Pandapon(v) => serde_json::to_value(v),
            Raw::Dajisaas(v) => serde_json::to_value(v),
            Raw::Xportcn(v) => serde_json::to_value(v),
        };
        value.unwrap_or(serde_json::Value::Null)
    }
}

/// "This provider has no such step": a raw slot that can never be filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Never {}

impl serde::Serialize for Never {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        match *self {}
    }
}

/// A receiving address in mainland China, in the fields all three vendors name (`addressParam`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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

/// One line of goods: a 1688 offer, its SKU specification and a quantity (`cargoParamList[]`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderLine {
    /// The 1688 offer (from [`crate::ProductRef`] or a bare id).
    pub offer_id: String,
    /// The SKU specification id (`specId`, 32 hex characters).
    pub spec_id: String,
    pub quantity: u32,
}

/// What to preview or order (one seller's goods).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderDraft {
    pub address: Address,
    pub lines: Vec<OrderLine>,
    /// Remark for the seller (`message`).
    pub message: Option<String>,
    /// Your own order number. Dajisaas requires it (`thirdOrderId`); the others take none.
    pub external_order_id: Option<String>,
    /// Order flow (`flow`). Default: the value of each vendor's published example — `general` (PandaPon,
    /// Dajisaas), `fenxiaonew` (Xportcn preview). No vendor lists the values.
    pub flow: Option<String>,
}

/// A keyword search.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SearchQuery {
    pub keyword: String,
    /// Page number, from 1.
    pub page: Option<u32>,
    pub page_size: Option<u32>,
}

impl SearchQuery {
    pub fn new(keyword: impl Into<String>) -> Self {
        SearchQuery {
            keyword: keyword.into(),
            page: None,
            page_size: None,
        }
    }
}

/// A search result.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SearchHit {
    pub title: Option<String>,
    pub image_url: Option<String>,
    /// The offer id, exact text: what `product` and an order line take. Dajisaas: `offerId` (third-party
    /// clients); PandaPon: the reading `PANDAPON_SEARCH_HIT_OFFER_ID` (default `/offerId`, 1688's name).
    pub offer_id: Option<String>,
}

/// A page of search results.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub total_records: Option<i64>,
    #[serde(skip)]
    raw: SearchRaw,
}

#[cfg(feature = "dajisaas-unconfirmed")]
pub type DajisaasSearchRaw = dajisaas::types::KeywordSearchPage;
#[cfg(not(feature = "dajisaas-unconfirmed"))]
pub type DajisaasSearchRaw = Never;
pub type SearchRaw = Raw<pandapon::types::AlibabaProductPage, DajisaasSearchRaw, Never>;

impl SearchPage {
    pub(crate) fn new(hits: Vec<SearchHit>, total_records: Option<i64>, raw: SearchRaw) -> Self {
        SearchPage {
            hits,
            total_records,
            raw,
        }
    }
    pub fn raw(&self) -> &SearchRaw {
        &self.raw
    }
}

/// A product's details.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Product {
    /// The offer id the vendor answered with (exact text), else the one asked for.
    pub offer_id: String,
    pub title: Option<String>,
    /// Title translated into the requested language, where the vendor sends one.
    pub title_translated: Option<String>,
    /// One per purchasable variant, from the reading `<PREFIX>_PRODUCT_SKUS` (default `/productSkuInfos`,
    /// 1688's name): its `spec_id` is what an order line takes.
    pub skus: Vec<Sku>,
    #[serde(skip)]
    raw: ProductRaw,
}

/// A purchasable variant of a product (1688's `productSkuInfos[]` item).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Sku {
    /// The specification id (`specId`, 32 hex characters): what `--line OFFER:SPEC_ID:QTY` takes.
    pub spec_id: Option<String>,
    /// The SKU id (`skuId`), exact text.
    pub sku_id: Option<String>,
    /// The attributes as text, `name: value` joined by `; ` (`颜色: 红色; 尺码: M`).
    pub attributes: Option<String>,
    /// The price (`price`, yuan).
    pub price: Option<Money>,
    /// Quantity on sale (`amountOnSale`), where sent.
    pub stock: Option<i64>,
}

#[cfg(feature = "dajisaas-unconfirmed")]
pub type DajisaasProductRaw = dajisaas::types::ProductDetail;
#[cfg(not(feature = "dajisaas-unconfirmed"))]
pub type DajisaasProductRaw = Never;
pub type ProductRaw = Raw<pandapon::types::AlibabaProductDetail, DajisaasProductRaw, Never>;

impl Product {
    pub(crate) fn new(
        offer_id: String,
        title: Option<String>,
        title_translated: Option<String>,
        skus: Vec<Sku>,
        raw: ProductRaw,
    ) -> Self {
        Product {
            offer_id,
            title,
            title_translated,
            skus,
            raw,
        }
    }
    pub fn raw(&self) -> &ProductRaw {
        &self.raw
    }
}

/// A priced line of a preview.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PreviewLine {
    pub offer_id: Option<String>,
    pub spec_id: Option<String>,
    pub sku_id: Option<String>,
    pub unit_price: Option<Money>,
    pub amount: Option<Money>,
}

/// The preview of one resulting order (vendors split by seller).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PreviewOrder {
    /// Goods + freight.
    pub total: Option<Money>,
    pub freight: Option<Money>,
    /// Goods without freight.
    pub goods: Option<Money>,
    pub lines: Vec<PreviewLine>,
}

/// An order preview: prices and freight, nothing ordered.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Preview {
    /// Empty where the vendor documents no amounts (PandaPon).
    pub orders: Vec<PreviewOrder>,
    #[serde(skip)]
    raw: PreviewRaw,
}

pub type PreviewRaw = Raw<
    pandapon::types::OrderPreviewResult,
    dajisaas::types::OrderPreview,
    Vec<xportcn::types::KaOrderPreview>,
>;

impl Preview {
    pub(crate) fn new(orders: Vec<PreviewOrder>, raw: PreviewRaw) -> Self {
        Preview { orders, raw }
    }
    pub fn raw(&self) -> &PreviewRaw {
        &self.raw
    }
}

/// A created order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CreatedOrder {
    /// The new order's id: Dajisaas `orderId` (documented); PandaPon from the reading
    /// `PANDAPON_CREATE_ORDER_ID` (default `/orderId`, 1688's `fastCreateOrder` name). `None` where the
    /// answer carries none (the outcome is then unknown until the order is read).
    pub order_id: Option<String>,
    /// Every order id the call created (a create of more than 50 SKUs may make several, Dajisaas says;
    /// where it lists them is unpublished, so this holds `order_id` when there is one).
    pub order_ids: Vec<String>,
    /// The order's total where documented (Dajisaas `totalSuccessAmount`, fen).
    pub total: Option<Money>,
    #[serde(skip)]
    raw: CreatedRaw,
}

pub type CreatedRaw = Raw<serde_json::Value, dajisaas::types::OrderCreateResult, Never>;

impl CreatedOrder {
    pub(crate) fn new(order_id: Option<String>, total: Option<Money>, raw: CreatedRaw) -> Self {
        CreatedOrder {
            order_ids: order_id.iter().cloned().collect(),
            order_id,
            total,
            raw,
        }
    }
    pub fn raw(&self) -> &CreatedRaw {
        &self.raw
    }
}

/// What a payment call reported.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentOutcome {
    /// The vendor reports the order paid (PandaPon `protocolPaySuccess: true`; Xportcn `successOrderIds`).
    Paid,
    /// Password-free payment failed; the buyer pays by hand at `url` (PandaPon `payUrl`).
    PayByHand { url: Option<String> },
    /// The call succeeded (envelope code 200) but the vendor publishes no result fields (Dajisaas).
    Accepted,
}

/// The answer to paying one order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Payment {
    pub order_id: String,
    pub outcome: PaymentOutcome,
    #[serde(skip)]
    raw: PaymentRaw,
}

pub type PaymentRaw =
    Raw<pandapon::types::OrderPayResult, serde_json::Value, xportcn::types::KaOrderPayResult>;

impl Payment {
    pub(crate) fn new(order_id: String, outcome: PaymentOutcome, raw: PaymentRaw) -> Self {
        Payment {
            order_id,
            outcome,
            raw,
        }
    }
    pub fn raw(&self) -> &PaymentRaw {
        &self.raw
    }
}

/// A batch where every order went through (a partly failed batch is the runtime's
/// `Error::PartialFailure`, wrapped in [`crate::Error::Vendor`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BatchPayment {
    /// The ids the vendor lists as done, exact text.
    pub paid: Vec<String>,
    #[serde(skip)]
    raw: BatchRaw,
}

pub type BatchRaw =
    Raw<pandapon::types::BatchSubmitToPayResult, Never, xportcn::types::KaOrderPayResult>;

impl BatchPayment {
    pub(crate) fn new(paid: Vec<String>, raw: BatchRaw) -> Self {
        BatchPayment { paid, raw }
    }
    pub fn raw(&self) -> &BatchRaw {
        &self.raw
    }
}

/// An order state, normalised where a vendor document names the value, with the vendor's text kept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderStatus {
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
    Other,
}

impl OrderStatus {
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
        OrderStatus {
            kind,
            raw: raw.to_string(),
        }
    }
}

/// A product line of an order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderItem {
    pub offer_id: Option<String>,
    pub sku_id: Option<String>,
    /// The sub-order (order entry) id, 19 digits, exact: what receipt confirmation takes.
    pub sub_order_id: Option<String>,
    pub title: Option<String>,
    pub quantity: Option<i64>,
    pub unit_price: Option<Money>,
    pub amount: Option<Money>,
    pub status: Option<OrderStatus>,
}

/// An order's state and details.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderInfo {
    pub order_id: String,
    /// The order-level state, from the reading `<PREFIX>_ORDER_STATE` (default `/baseInfo/status`, 1688's
    /// buyerView, which neither vendor publishes); `None` where the answer has none there.
    pub status: Option<OrderStatus>,
    pub items: Vec<OrderItem>,
    /// The delivery address in China (Dajisaas `nativeLogistics`).
    pub delivery: Option<Address>,
    #[serde(skip)]
    raw: OrderRaw,
}

pub type OrderRaw = Raw<serde_json::Value, dajisaas::types::OrderDetail, Never>;

impl OrderInfo {
    pub(crate) fn new(
        order_id: String,
        status: Option<OrderStatus>,
        items: Vec<OrderItem>,
        delivery: Option<Address>,
        raw: OrderRaw,
    ) -> Self {
        OrderInfo {
            order_id,
            status,
            items,
            delivery,
            raw,
        }
    }
    pub fn raw(&self) -> &OrderRaw {
        &self.raw
    }
}

/// The answer to an order operation (cancel, confirm receipt).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(bound = "")]
pub struct OrderAction<P, D> {
    /// Whether the vendor reports success, where it documents a flag (`success`, or PandaPon's boolean
    /// cancel result).
    pub success: Option<bool>,
    #[serde(skip)]
    raw: Raw<P, D, Never>,
}

impl<P, D> OrderAction<P, D> {
    pub(crate) fn new(success: Option<bool>, raw: Raw<P, D, Never>) -> Self {
        OrderAction { success, raw }
    }
    pub fn raw(&self) -> &Raw<P, D, Never> {
        &self.raw
    }
}

pub type Cancelled = OrderAction<pandapon::types::CancelResult, dajisaas::types::OperationResult>;
pub type ReceiptConfirmed = OrderAction<pandapon::types::ReceiveGoodsResult, serde_json::Value>;
