//! The purchase flow behind a [`crate::Buyer`]: one implementation per provider. The built-in ones are in
//! [`crate::providers`]; a crate adds a provider (or fakes one in a test) by implementing [`PurchaseFlow`]
//! and declaring a [`crate::FlowRegistration`].

use crate::capability::{Flow, Step, Support};
use crate::ids::{OrderId, SubOrderId};
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
/// after it checked the step against [`Flow::capabilities`] of [`PurchaseFlow::flow`]; a step a
/// flow leaves out keeps its default, which refuses it with [`Error::Unsupported`] and the table's reason.
///
/// Payments and order creation must be sent once and never retried; a flow returns what the vendor
/// answered (the typed answer in the result's [`Raw`]) or the error.
///
/// ```
/// use sourcing_buy::{Buyer, Flow, FlowRegistration, OrderId, OrderStatus, OrderInfo, PurchaseFlow,
///     Readings, Step, StepFuture, Support};
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
///     fn flow(&self) -> Flow {
///         Flow::new(&FAKE)
///     }
///     fn client(&self) -> &dyn std::any::Any {
///         self
///     }
///     fn order<'a>(&'a self, order_id: &'a OrderId, _: &'a Readings) -> StepFuture<'a, OrderInfo> {
///         let status = OrderStatus::from_vendor("waitsellersend");
///         Box::pin(async move { Ok(OrderInfo::new(order_id.clone()).with_status(status)) })
///     }
/// }
///
/// # tokio_test_block_on(async {
/// let buyer = Buyer::new(Fake);
/// let order_id = OrderId::new("2257455039610311973");
/// let info = buyer.order(&order_id).await.unwrap();
/// assert_eq!((info.order_id, info.status.unwrap().raw), (order_id.clone(), "waitsellersend".into()));
/// assert!(buyer.pay(&order_id).await.unwrap_err().is_refused_before_sending());
/// # });
/// # fn tokio_test_block_on(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub trait PurchaseFlow: fmt::Debug + Send + Sync + 'static {
    /// The provider's flow this is: its registration (name, what it supports, how to connect).
    fn flow(&self) -> Flow;

    /// The client behind the flow, for [`crate::Buyer::client`] (`&()` or `self` if there is none).
    fn client(&self) -> &dyn Any;

    /// Refuses a step's ids before the journal records its intent — an order id this provider's orders
    /// cannot have — so bad input opens no ledger entry ([`Error::InvalidInput`], nothing recorded, nothing
    /// sent). The default accepts every id: the step itself still checks what it sends.
    fn check(&self, _intent: &crate::journal::Intent<'_>) -> Result<(), Error> {
        Ok(())
    }

    /// [`Step::Search`]: a keyword search among 1688 offers.
    fn search<'a>(
        &'a self,
        _query: &'a SearchQuery,
        _readings: &'a Readings,
    ) -> StepFuture<'a, SearchPage> {
        not_mapped(self.flow(), Step::Search)
    }

    /// [`Step::ProductDetail`]: a 1688 offer's details.
    fn product<'a>(
        &'a self,
        _product: &'a ProductRef,
        _readings: &'a Readings,
    ) -> StepFuture<'a, Product> {
        not_mapped(self.flow(), Step::ProductDetail)
    }

    /// [`Step::Preview`]: prices and freight, nothing ordered.
    fn preview<'a>(&'a self, _draft: &'a OrderDraft) -> StepFuture<'a, Preview> {
        not_mapped(self.flow(), Step::Preview)
    }

    /// [`Step::CreateOrder`]: sent once, never retried.
    fn create_order<'a>(
        &'a self,
        _draft: &'a OrderDraft,
        _readings: &'a Readings,
    ) -> StepFuture<'a, CreatedOrder> {
        not_mapped(self.flow(), Step::CreateOrder)
    }

    /// [`Step::Pay`]: sent once, never retried.
    fn pay<'a>(&'a self, _order_id: &'a OrderId) -> StepFuture<'a, Payment> {
        not_mapped(self.flow(), Step::Pay)
    }

    /// [`Step::PayBatch`]: sent once, never retried; a partly failed batch is an error.
    fn pay_batch<'a>(&'a self, _order_ids: &'a [OrderId]) -> StepFuture<'a, BatchPayment> {
        not_mapped(self.flow(), Step::PayBatch)
    }

    /// [`Step::OrderStatus`]: an order's state and details (a read).
    fn order<'a>(
        &'a self,
        _order_id: &'a OrderId,
        _readings: &'a Readings,
    ) -> StepFuture<'a, OrderInfo> {
        not_mapped(self.flow(), Step::OrderStatus)
    }

    /// [`Step::Cancel`]: never retried.
    fn cancel<'a>(&'a self, _order_id: &'a OrderId, _reason: &'a str) -> StepFuture<'a, Cancelled> {
        not_mapped(self.flow(), Step::Cancel)
    }

    /// [`Step::ConfirmReceipt`]: never retried.
    fn confirm_receipt<'a>(
        &'a self,
        _order_id: &'a OrderId,
        _sub_order_ids: &'a [SubOrderId],
    ) -> StepFuture<'a, ReceiptConfirmed> {
        not_mapped(self.flow(), Step::ConfirmReceipt)
    }

    /// [`Step::Logistics`]: the vendor's logistics answer as JSON.
    fn logistics<'a>(&'a self, _order_id: &'a OrderId) -> StepFuture<'a, serde_json::Value> {
        not_mapped(self.flow(), Step::Logistics)
    }
}

/// The refusal of a step a provider does not map, with its capability table's reason.
fn not_mapped<T: Send + 'static>(provider: Flow, step: Step) -> StepFuture<'static, T> {
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
