//! One file per provider: each maps the purchase flow's steps onto its generated client
//! ([`PurchaseFlow`]) and states what it supports ([`Registration`]). A step a provider leaves out keeps
//! the trait's default, which refuses it; [`crate::Buyer`] refuses it earlier, from the table.

mod dajisaas;
mod input;
mod pandapon;
mod read;
mod xportcn;

use crate::capability::{Provider, Step, Support};
use crate::types::*;
use crate::{Error, ProductRef};
use sourcing_runtime::Readings;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A step's answer, boxed so that [`crate::Buyer`] can hold any provider behind one trait object.
pub(crate) type StepFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// What the facade knows about a provider without a client.
pub(crate) struct Registration {
    /// The generated crate's description (name, title, envelope, operation table).
    pub description: &'static sourcing_runtime::Provider,
    /// Every [`Step`], in [`Step::ALL`] order, with how the provider supports it.
    pub capabilities: &'static [(Step, Support)],
    /// The facade over the generated client at `base_url`, signed by `runtime`.
    pub connect: fn(&str, sourcing_runtime::Runtime) -> crate::Buyer,
}

impl Provider {
    /// The one place that ties a [`Provider`] to its file.
    pub(crate) fn registration(self) -> &'static Registration {
        match self {
            Provider::Pandapon => &pandapon::REGISTRATION,
            Provider::Dajisaas => &dajisaas::REGISTRATION,
            Provider::Xportcn => &xportcn::REGISTRATION,
        }
    }
}

/// The purchase flow on one provider's generated client. Only called after [`crate::Buyer`] checked the
/// step against the provider's [`Registration::capabilities`]; the defaults are the steps it marks not
/// available (or third-party steps built without their feature).
pub(crate) trait PurchaseFlow: fmt::Debug + Send + Sync + 'static {
    fn provider(&self) -> Provider;

    /// The generated client, for [`crate::Buyer::client`].
    fn client(&self) -> &dyn Any;

    fn search<'a>(
        &'a self,
        _query: &'a SearchQuery,
        _readings: &'a Readings,
    ) -> StepFuture<'a, SearchPage> {
        not_mapped(self.provider(), Step::Search)
    }

    fn product<'a>(
        &'a self,
        _product: &'a ProductRef,
        _readings: &'a Readings,
    ) -> StepFuture<'a, Product> {
        not_mapped(self.provider(), Step::ProductDetail)
    }

    fn preview<'a>(&'a self, _draft: &'a OrderDraft) -> StepFuture<'a, Preview> {
        not_mapped(self.provider(), Step::Preview)
    }

    fn create_order<'a>(
        &'a self,
        _draft: &'a OrderDraft,
        _readings: &'a Readings,
    ) -> StepFuture<'a, CreatedOrder> {
        not_mapped(self.provider(), Step::CreateOrder)
    }

    fn pay<'a>(&'a self, _order_id: &'a str) -> StepFuture<'a, Payment> {
        not_mapped(self.provider(), Step::Pay)
    }

    fn pay_batch<'a>(&'a self, _order_ids: &'a [String]) -> StepFuture<'a, BatchPayment> {
        not_mapped(self.provider(), Step::PayBatch)
    }

    fn order<'a>(
        &'a self,
        _order_id: &'a str,
        _readings: &'a Readings,
    ) -> StepFuture<'a, OrderInfo> {
        not_mapped(self.provider(), Step::OrderStatus)
    }

    fn cancel<'a>(&'a self, _order_id: &'a str, _reason: &'a str) -> StepFuture<'a, Cancelled> {
        not_mapped(self.provider(), Step::Cancel)
    }

    fn confirm_receipt<'a>(
        &'a self,
        _order_id: &'a str,
        _sub_order_ids: &'a [String],
    ) -> StepFuture<'a, ReceiptConfirmed> {
        not_mapped(self.provider(), Step::ConfirmReceipt)
    }

    fn logistics<'a>(&'a self, _order_id: &'a str) -> StepFuture<'a, serde_json::Value> {
        not_mapped(self.provider(), Step::Logistics)
    }
}

pub(crate) const fn published(operation: &'static str) -> Support {
    Support::Published { operation }
}

pub(crate) const fn third_party(operation: &'static str, feature: &'static str) -> Support {
    Support::ThirdParty { operation, feature }
}

pub(crate) const fn not_available(reason: &'static str) -> Support {
    Support::NotAvailable { reason }
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

/// `data` of a published response example (fixtures in `vendor-docs/examples`).
#[cfg(test)]
fn example_data<T: serde::de::DeserializeOwned>(envelope: &str) -> T {
    let v: serde_json::Value = serde_json::from_str(envelope).unwrap();
    serde_json::from_value(v["data"].clone()).unwrap()
}
