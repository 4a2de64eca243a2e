//! One purchase flow on every provider: keyword search, product detail, order preview, create, pay (one
//! order or a batch), order status, cancel and receipt confirmation, through one [`Buyer`] whichever of
//! PandaPon, Dajisaas or Xportcn it wraps.
//!
//! ```no_run
//! # async fn example() -> Result<(), sourcing_buy::Error> {
//! use sourcing_buy::{Buyer, ProductRef, SearchQuery};
//!
//! let buyer = Buyer::from(pandapon::Client::from_env().expect("PANDAPON_* variables"));
//! let page = buyer.search(&SearchQuery::new("phone case")).await?;
//! let offer = ProductRef::parse("https://detail.1688.com/offer/672991141190.html")?;
//! let product = buyer.product(&offer).await?;
//! println!("{:?} ({} hits)", product.title, page.hits.len());
//! # Ok(())
//! # }
//! ```
//!
//! # What is normalised, and what is not
//!
//! * Ids are exact text, never `f64` (19-digit order ids survive), one type per kind ([`OfferId`],
//!   [`SpecId`], [`SkuId`], [`OrderId`], [`SubOrderId`], [`ExternalOrderId`]): an offer id passed where an
//!   order id is taken does not compile. They serialise as the text (`"2257455039610311973"`).
//! * Money is [`Money`]: an exact decimal with its unit — **fen** where the vendor sends integers in fen
//!   (Xportcn's preview; Dajisaas's preview totals and order total), **yuan** where it sends decimals
//!   (Dajisaas's line prices and order lines). Always CNY. A vendor number that
//!   is not exact (`8.309999999999999` yuan) never fails a read: it is rounded to the unit's precision
//!   within [`MONEY_TOLERANCE`] and flagged (`inexact`, the vendor's text kept).
//! * Addresses are [`Address`] (the `addressParam` fields all three vendors name).
//! * Order states are [`OrderStatus`]: a [`StatusKind`] for the values the vendor documents name, and the
//!   vendor's text as sent.
//! * Every result keeps the client's typed answer: `result.raw()` is a [`Raw`], read as the client's type
//!   with `raw().get::<pandapon::types::OrderPayResult>()` or as JSON with `raw().to_json()`.
//! * Results are constructible (`Payment::new(…)`, `OrderInfo::new(…)`, `Raw::new(…)`), and the flow
//!   behind a [`Buyer`] is a public trait ([`PurchaseFlow`]): a test can fake a provider, a crate can add
//!   one (a [`FlowRegistration`] and `Buyer::new(flow)`).
//!
//! A normalised field is filled from a field the vendor documents, or — where the vendor does not publish
//! where a value the next step needs sits (a search hit's offer id, a product's SKUs, a created PandaPon
//! order's id, the order state) — from a named reading ([`Readings`], `<PREFIX>_<KEY>` JSON-pointer
//! settings whose defaults are the best evidence, table in `docs/readings.md`; [`Buyer::with_readings`]).
//! Otherwise (e.g. Dajisaas's password-free payment) the field is `None` and the answer is in `raw()`.
//!
//! # Capabilities
//!
//! Every provider states, for every [`Step`], whether the vendor publishes it, whether it is known only
//! from third-party clients (compiled with a feature), or why it is not available
//! ([`Flow::capabilities`], rendered into the README). A step a provider does not support returns
//! [`Error::Unsupported`] before anything is sent. Mappings left out because the vendor documents do not
//! support them:
//!
//! * Xportcn keyword search: the request fields are not published (only `filter`).
//! * Xportcn product detail, order status, logistics: paths not published; no cancel or receipt endpoint.
//!   The third-party `GET /open/product/get` (`xportcn::Client::product_get`, feature
//!   `unconfirmed-endpoints`) takes an `itemId` that no source ties to 1688 offers (it is PandaPon's Taobao
//!   path), so it is not mapped onto the 1688 product-detail step.
//! * Xportcn order creation: the body is cut off before the goods and the response is not published.
//! * Dajisaas batch payment: the batch call returns a cashier link to pay by hand, not a payment.
//! * Dajisaas keyword search and product detail are third-party endpoints: only with the
//!   `dajisaas-unconfirmed` feature (which compiles `dajisaas/unconfirmed-endpoints`); titles are read only
//!   when they are JSON strings (the clients show no types).
//! * PandaPon and Dajisaas 1688 logistics: no path published.
//! * PandaPon preview amounts (the preview's amount fields are not published): kept in `raw()`. Its search
//!   hits' offer ids, product SKUs, created order ids and order states are read at their readings.
//! * Taobao and Tmall items: the shared flow is the 1688 one; a Taobao/Tmall [`ProductRef`] gets
//!   [`Error::WrongPlatform`] (PandaPon's and Dajisaas's Taobao endpoints stay on their clients).
//! * Status values: `WAITING_FOR_PAYMENT`, `WAITING_FOR_SENT`, `CANCEL` (order messages) and 1688's trade
//!   states listed by PandaPon's goods-detail page (`waitbuyerpay`, `waitsellersend`, `waitbuyerreceive`,
//!   `confirm_goods`, `success`, `cancel`, `terminated`) are named; anything else is
//!   [`StatusKind::Other`] with the text kept.
//!
//! # Payments
//!
//! Payments and order creation are sent exactly once, never retried (the generated clients mark them
//! non-idempotent). A batch where some orders failed is `Error::Vendor(sourcing_runtime::Error::PartialFailure)`
//! ([`Error::partial_failure`]): the paid ids, the failed ones with the vendor's reason.

#![deny(missing_docs)]

mod capability;
mod error;
mod flow;
pub mod ids;
pub mod journal;
mod money;
mod product_ref;
pub mod providers;
mod types;

pub use capability::{Flow, FlowRegistration, Step, Support, markdown_table};
pub use error::Error;
pub use flow::{PurchaseFlow, StepFuture};
pub use ids::{ExternalOrderId, OfferId, OrderId, SkuId, SpecId, SubOrderId};
pub use journal::Journal;
pub use money::{Decimal, Money, MoneyError, MoneyUnit, TOLERANCE as MONEY_TOLERANCE};
pub use product_ref::{Platform, ProductRef, ProductRefError};
pub use types::*;

pub use sourcing_runtime::{Pointer, ReadingError, Readings};

use std::sync::Arc;

/// One provider's purchase flow. Build it from a generated client (`Buyer::from(pandapon::Client::new(…))`),
/// from a provider (`providers::PANDAPON.buyer(base_url, runtime)`) or from any [`PurchaseFlow`]
/// (`Buyer::new(flow)`).
#[derive(Clone, Debug)]
pub struct Buyer {
    flow: Arc<dyn PurchaseFlow>,
    journal: Option<Arc<dyn Journal>>,
    readings: Arc<Readings>,
}

impl Buyer {
    /// The buyer over `flow`, with its provider's default readings and no journal.
    pub fn new(flow: impl PurchaseFlow) -> Self {
        let readings = Readings::defaults(flow.flow().description().env_prefix);
        Buyer {
            flow: Arc::new(flow),
            journal: None,
            readings: Arc::new(readings),
        }
    }

    /// Reads the values vendors do not locate (search hits' offer ids, SKUs, a created order's id, the
    /// order state) where `readings` say (`docs/readings.md`); a new buyer has the provider's defaults,
    /// `Readings::from_lookup(prefix, …)` reads the `<PREFIX>_<KEY>` settings.
    pub fn with_readings(mut self, readings: Readings) -> Self {
        self.readings = Arc::new(readings);
        self
    }

    /// The readings this buyer reads answers with.
    pub fn readings(&self) -> &Readings {
        &self.readings
    }

    /// Records every order step in `journal` (e.g. `sourcing_ledger::Ledger`): the intent before it is
    /// sent — a step whose intent cannot be recorded is not sent ([`Error::Journal`]) — and the answer,
    /// the refusal or the unknown outcome after.
    pub fn with_journal(mut self, journal: Arc<dyn Journal>) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Runs `call` between the journal's `before` and `after` (just `call` without a journal).
    async fn journaled<T>(
        &self,
        intent: journal::Intent<'_>,
        call: impl std::future::Future<Output = Result<T, Error>>,
        answer: for<'t> fn(&'t T) -> journal::Answer<'t>,
    ) -> Result<T, Error> {
        // Ids this provider's orders cannot have are refused before anything is recorded.
        self.flow.check(&intent)?;
        let Some(journal) = &self.journal else {
            return call.await;
        };
        let flow = self.flow();
        let ticket = journal.before(flow, &intent).await?;
        let result = call.await;
        let outcome = match &result {
            Ok(value) => journal::Outcome::Answered(answer(value)),
            Err(error) => journal::Outcome::of_error(error),
        };
        journal.after(flow, ticket, &intent, outcome).await;
        result
    }

    /// The provider's purchase flow this buyer buys through: its name, title and capabilities.
    pub fn flow(&self) -> Flow {
        self.flow.flow()
    }

    /// The generated client, for everything beyond the shared flow: `buyer.client::<pandapon::Client>()`
    /// is `Some` for a PandaPon buyer.
    pub fn client<C: std::any::Any>(&self) -> Option<&C> {
        self.flow.client().downcast_ref()
    }

    /// How this provider supports `step`.
    pub fn support(&self, step: Step) -> Support {
        self.flow().support(step)
    }

    /// Refuses a step this build cannot run, before anything is sent.
    fn check(&self, step: Step) -> Result<(), Error> {
        let provider = self.flow();
        match provider.support(step) {
            support if support.is_enabled() => Ok(()),
            Support::ThirdParty { feature, .. } => Err(Error::NotEnabled {
                provider,
                step,
                feature,
            }),
            Support::NotAvailable { reason } => Err(Error::Unsupported {
                provider,
                step,
                reason,
            }),
            Support::Published { .. } => Ok(()),
        }
    }

    /// Keyword search among 1688 offers.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchPage, Error> {
        self.check(Step::Search)?;
        self.flow.search(query, &self.readings).await
    }

    /// The details of a 1688 offer.
    pub async fn product(&self, product: &ProductRef) -> Result<Product, Error> {
        self.check(Step::ProductDetail)?;
        self.only_1688(Step::ProductDetail, product)?;
        self.flow.product(product, &self.readings).await
    }

    /// Prices and freight of an order, without ordering.
    pub async fn preview(&self, draft: &OrderDraft) -> Result<Preview, Error> {
        self.check(Step::Preview)?;
        let intent = journal::Intent::Preview { draft };
        self.journaled(intent, self.flow.preview(draft), |v| {
            journal::Answer::Preview(v)
        })
        .await
    }

    /// Creates an order. Sent exactly once, never retried.
    pub async fn create_order(&self, draft: &OrderDraft) -> Result<CreatedOrder, Error> {
        self.check(Step::CreateOrder)?;
        let intent = journal::Intent::CreateOrder { draft };
        self.journaled(intent, self.flow.create_order(draft, &self.readings), |v| {
            journal::Answer::Created(v)
        })
        .await
    }

    /// Pays one order. Sent exactly once, never retried: a failed call may have reached the vendor, so
    /// check the order before paying again.
    pub async fn pay(&self, order_id: &OrderId) -> Result<Payment, Error> {
        self.check(Step::Pay)?;
        let intent = journal::Intent::Pay { order_id };
        self.journaled(intent, self.flow.pay(order_id), |v| {
            journal::Answer::Paid(v)
        })
        .await
    }

    /// Pays several orders in one call. A batch where any order failed is an error holding the runtime's
    /// `PartialFailure` ([`Error::partial_failure`]). Never retried.
    pub async fn pay_batch(&self, order_ids: &[OrderId]) -> Result<BatchPayment, Error> {
        self.check(Step::PayBatch)?;
        let intent = journal::Intent::PayBatch { order_ids };
        self.journaled(intent, self.flow.pay_batch(order_ids), |v| {
            journal::Answer::BatchPaid(v)
        })
        .await
    }

    /// An order's state and details.
    pub async fn order(&self, order_id: &OrderId) -> Result<OrderInfo, Error> {
        self.check(Step::OrderStatus)?;
        self.flow.order(order_id, &self.readings).await
    }

    /// Cancels an unpaid order. `reason` is sent as the vendor's `cancelReason`: free text on PandaPon, a
    /// code on Dajisaas (its example sends `buyerCancel`). Never retried.
    pub async fn cancel(&self, order_id: &OrderId, reason: &str) -> Result<Cancelled, Error> {
        self.check(Step::Cancel)?;
        let intent = journal::Intent::Cancel { order_id, reason };
        let call = self.flow.cancel(order_id, reason);
        self.journaled(intent, call, |v| journal::Answer::Cancelled(v))
            .await
    }

    /// Confirms that the goods of an order (its sub-orders `sub_order_ids`) arrived. Never retried.
    pub async fn confirm_receipt(
        &self,
        order_id: &OrderId,
        sub_order_ids: &[SubOrderId],
    ) -> Result<ReceiptConfirmed, Error> {
        self.check(Step::ConfirmReceipt)?;
        let intent = journal::Intent::ConfirmReceipt {
            order_id,
            sub_order_ids,
        };
        let call = self.flow.confirm_receipt(order_id, sub_order_ids);
        self.journaled(intent, call, |v| journal::Answer::Received(v))
            .await
    }

    /// The logistics of an order. No provider publishes a 1688 order-logistics endpoint: always
    /// [`Error::Unsupported`], naming the provider and why.
    pub async fn logistics(&self, order_id: &OrderId) -> Result<serde_json::Value, Error> {
        self.check(Step::Logistics)?;
        self.flow.logistics(order_id).await
    }

    fn only_1688(&self, step: Step, product: &ProductRef) -> Result<(), Error> {
        match product.platform() {
            Platform::Alibaba1688 => Ok(()),
            platform => Err(Error::WrongPlatform {
                provider: self.flow(),
                step,
                platform,
            }),
        }
    }
}
