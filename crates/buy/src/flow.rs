//! The purchase flow behind a [`crate::Buyer`]: one implementation per provider. The built-in ones are in
//! [`crate::providers`]; a crate adds a provider (or fakes one in a test) by implementing [`PurchaseFlow`]
//! and declaring a [`crate::FlowRegistration`].

use crate::capability::{Provider, Step, Support};
use crate::types::*;
use crate::{Error, ProductRef};
use sourcing_runtime::Readings;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A step's answer, boxed so that [`crate::Buyer`] can hold any provider behind one trait object.
pub type StepFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// The purchase flow on one provider's client. [`crate::Buyer`] (`Buyer::new(flow)`) calls a step only
/// after it checked the step against [`Provider::capabilities`] of [`PurchaseFlow::provider`]; a step a
/// flow leaves out keeps its default, which refuses it with [`Error::Unsupported`] and the table's reason.
///
/// Payments and order creation must be sent once and never retried; a flow returns what the vendor
/// answered (the typed answer in the result's [`Raw`]) or the error.
///
/// ```
/// use sourcing_buy::{Buyer, FlowRegistration, OrderStatus, OrderInfo, Provider, PurchaseFlow, Readings,
///     Step, StepFuture, Support};
///
/// /// A provider that only reads orders, answering every order as paid.
/// #[derive(Debug)]
/// struct Fake;
///
/// static FAKE: FlowRegistration = FlowRegistration::new(
///     &pandapon::operations::PROVIDER, // a test may borrow any description
///     &[(Step::OrderStatus, Support::published("order_detail"))],
///     |_, _| Buyer::new(Fake),
/// );
///
/// impl PurchaseFlow for Fake {
///     fn provider(&self) -> Provider {
///         Provider::new(&FAKE)
///     }
///     fn client(&self) -> &dyn std::any::Any {
///         self
///     }
///     fn order<'a>(&'a self, order_id: &'a str, _: &'a Readings) -> StepFuture<'a, OrderInfo> {
///         let status = OrderStatus::from_vendor("waitsellersend");
///         Box::pin(async move { Ok(OrderInfo::new(order_id).with_status(status)) })
///     }
/// }
///
/// # tokio_test_block_on(async {
/// let buyer = Buyer::new(Fake);
/// let info = buyer.order("2257455039610311973").await.unwrap();
/// assert_eq!(info.status.unwrap().raw, "waitsellersend");
/// assert!(buyer.pay("2257455039610311973").await.unwrap_err().is_refused_before_sending());
/// # });
/// # fn tokio_test_block_on(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub trait PurchaseFlow: fmt::Debug + Send + Sync + 'static {
    /// The provider this flow is (its registration says what it supports).
    fn provider(&self) -> Provider;

    /// The client behind the flow, for [`crate::Buyer::client`] (`&()` or `self` if there is none).
    fn client(&self) -> &dyn Any;

    /// [`Step::Search`]: a keyword search among 1688 offers.
    fn search<'a>(
        &'a self,
        _query: &'a SearchQuery,
        _readings: &'a Readings,
    ) -> StepFuture<'a, SearchPage> {
        not_mapped(self.provider(), Step::Search)
    }

    /// [`Step::ProductDetail`]: a 1688 offer's details.
    fn product<'a>(
        &'a self,
        _product: &'a ProductRef,
        _readings: &'a Readings,
    ) -> StepFuture<'a, Product> {
        not_mapped(self.provider(), Step::ProductDetail)
    }

    /// [`Step::Preview`]: prices and freight, nothing ordered.
    fn preview<'a>(&'a self, _draft: &'a OrderDraft) -> StepFuture<'a, Preview> {
        not_mapped(self.provider(), Step::Preview)
    }

    /// [`Step::CreateOrder`]: sent once, never retried.
    fn create_order<'a>(
        &'a self,
        _draft: &'a OrderDraft,
        _readings: &'a Readings,
    ) -> StepFuture<'a, CreatedOrder> {
        not_mapped(self.provider(), Step::CreateOrder)
    }

    /// [`Step::Pay`]: sent once, never retried.
    fn pay<'a>(&'a self, _order_id: &'a str) -> StepFuture<'a, Payment> {
        not_mapped(self.provider(), Step::Pay)
    }

    /// [`Step::PayBatch`]: sent once, never retried; a partly failed batch is an error.
    fn pay_batch<'a>(&'a self, _order_ids: &'a [String]) -> StepFuture<'a, BatchPayment> {
        not_mapped(self.provider(), Step::PayBatch)
    }

    /// [`Step::OrderStatus`]: an order's state and details (a read).
    fn order<'a>(
        &'a self,
        _order_id: &'a str,
        _readings: &'a Readings,
    ) -> StepFuture<'a, OrderInfo> {
        not_mapped(self.provider(), Step::OrderStatus)
    }

    /// [`Step::Cancel`]: never retried.
    fn cancel<'a>(&'a self, _order_id: &'a str, _reason: &'a str) -> StepFuture<'a, Cancelled> {
        not_mapped(self.provider(), Step::Cancel)
    }

    /// [`Step::ConfirmReceipt`]: never retried.
    fn confirm_receipt<'a>(
        &'a self,
        _order_id: &'a str,
        _sub_order_ids: &'a [String],
    ) -> StepFuture<'a, ReceiptConfirmed> {
        not_mapped(self.provider(), Step::ConfirmReceipt)
    }

    /// [`Step::Logistics`]: the vendor's logistics answer as JSON.
    fn logistics<'a>(&'a self, _order_id: &'a str) -> StepFuture<'a, serde_json::Value> {
        not_mapped(self.provider(), Step::Logistics)
    }
}

/// The refusal of a step a provider does not map, with its capability table's reason.
fn not_mapped<T: Send + 'static>(provider: Provider, step: Step) -> StepFuture<'static, T> {
    let reason = match provider.support(step) {
        Support::NotAvailable { reason } => reason,
        _ => "not mapped in this build",
    };
    Box::pin(std::future::ready(Err(Error::Unsupported {
        provider,
        step,
        reason,
    })))
}
