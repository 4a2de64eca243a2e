//! Xportcn: the KA order preview and payment (one order or a batch, one call). The other steps' paths or
//! fields are not published.

use super::input::{Input, id_text};
use super::{not_available, published};
use crate::capability::{Flow, FlowRegistration, Step};
use crate::ids::{OrderId, SpecId};
use crate::money::Money;
use crate::types::*;
use crate::{Buyer, Error};
use crate::{PurchaseFlow, StepFuture};
use ::xportcn::types as api;
use std::any::Any;

const PROVIDER: Flow = super::XPORTCN;
/// The `flow` Xportcn's published preview example sends (no value list is published).
const FLOW: &str = "fenxiaonew";

pub(super) static REGISTRATION: FlowRegistration = FlowRegistration {
    description: &::xportcn::operations::PROVIDER,
    connect: |base_url, runtime| ::xportcn::Client::with_runtime(base_url, runtime).into(),
    capabilities: &[
        (
            Step::Search,
            not_available(
                "the path is published but not the request fields (only `filter`): no field carries the keyword",
            ),
        ),
        (
            Step::ProductDetail,
            not_available("the path of AlibabaProductDetail is not published"),
        ),
        (Step::Preview, published("ka_order_preview")),
        (
            Step::CreateOrder,
            not_available(
                "the published body is cut off before the goods and the response (the new order id) is unpublished",
            ),
        ),
        (Step::Pay, published("ka_order_pay")),
        (Step::PayBatch, published("ka_order_pay")),
        (
            Step::OrderStatus,
            not_available("the path of Get order details is not published"),
        ),
        (
            Step::Cancel,
            not_available("no cancel endpoint is published for KA orders"),
        ),
        (
            Step::ConfirmReceipt,
            not_available("no receipt-confirmation endpoint is published for KA orders"),
        ),
        (
            Step::Logistics,
            not_available("the path of Order Logistics is not published"),
        ),
    ],
};

#[derive(Debug)]
struct Xportcn(::xportcn::Client);

impl From<::xportcn::Client> for Buyer {
    fn from(client: ::xportcn::Client) -> Self {
        Buyer::new(Xportcn(client))
    }
}

fn address(a: &Address) -> api::AddressParam {
    api::AddressParam {
        full_name: Some(a.full_name.clone()),
        mobile: Some(a.mobile.clone()),
        phone: a.phone.clone(),
        post_code: a.post_code.clone(),
        province_text: Some(a.province.clone()),
        city_text: Some(a.city.clone()),
        area_text: a.district.clone(),
        town_text: a.town.clone(),
        address: Some(a.street.clone()),
        district_code: a.district_code.clone(),
    }
}

fn cargo(input: Input, draft: &OrderDraft) -> Result<Vec<api::CargoParam>, Error> {
    input.check_lines(draft)?;
    draft
        .lines
        .iter()
        .map(|l| {
            Ok(api::CargoParam {
                offer_id: Some(input.numeric_id("offer id", l.offer_id.as_str())?),
                spec_id: Some(l.spec_id.to_string()),
                quantity: Some(f64::from(l.quantity)),
            })
        })
        .collect()
}

/// Preview: every amount is an integer in fen.
fn preview_orders(result: &[api::KaOrderPreview]) -> Vec<PreviewOrder> {
    result
        .iter()
        .map(|o| PreviewOrder {
            total: o.sum_payment.map(Money::fen),
            freight: o.sum_carriage.map(Money::fen),
            goods: o.sum_payment_no_carriage.map(Money::fen),
            lines: o
                .order_item_to_list
                .iter()
                .map(|l| PreviewLine {
                    offer_id: id_text(&l.offer_id),
                    spec_id: l.spec_id.clone().map(SpecId::from),
                    sku_id: id_text(&l.sku_id),
                    unit_price: l.final_unit_price.map(Money::fen),
                    amount: l.amount.map(Money::fen),
                })
                .collect(),
        })
        .collect()
}

impl Xportcn {
    /// `ka_order_pay` pays one order or many; an order that failed is the runtime's `PartialFailure`.
    async fn pay_orders(&self, order_ids: Vec<String>) -> Result<api::KaOrderPayResult, Error> {
        let request = api::KaOrderPayRequest { order_ids };
        Ok(self.0.ka_order_pay().body(request).send().await?)
    }
}

impl PurchaseFlow for Xportcn {
    fn flow(&self) -> Flow {
        PROVIDER
    }

    fn client(&self) -> &dyn Any {
        &self.0
    }

    fn check(&self, intent: &crate::journal::Intent<'_>) -> Result<(), crate::Error> {
        super::input::check_ids(PROVIDER, intent)
    }

    fn preview<'a>(&'a self, draft: &'a OrderDraft) -> StepFuture<'a, Preview> {
        Box::pin(async move {
            let request = api::KaOrderPreviewRequest {
                ali_id: None,
                out_order_id: None,
                flow: Some(draft.flow.clone().unwrap_or_else(|| FLOW.into())),
                address_param: Some(address(&draft.address)),
                cargo_param_list: cargo(Input::new(PROVIDER, Step::Preview), draft)?,
            };
            let result = self.0.ka_order_preview().body(request).send().await?;
            let orders = preview_orders(&result);
            Ok(Preview::new(orders).with_raw(Raw::new(result)))
        })
    }

    fn pay<'a>(&'a self, order_id: &'a OrderId) -> StepFuture<'a, Payment> {
        Box::pin(async move {
            let id = Input::new(PROVIDER, Step::Pay).order_id(order_id)?;
            let result = self.pay_orders(vec![id.clone()]).await?;
            let paid = result.success_order_ids.iter().any(|s| s.as_str() == id);
            let outcome = if paid {
                PaymentOutcome::Paid
            } else {
                PaymentOutcome::Accepted
            };
            Ok(Payment::new(id, outcome).with_raw(Raw::new(result)))
        })
    }

    fn pay_batch<'a>(&'a self, order_ids: &'a [OrderId]) -> StepFuture<'a, BatchPayment> {
        Box::pin(async move {
            let ids = Input::new(PROVIDER, Step::PayBatch).order_ids(order_ids)?;
            let result = self.pay_orders(ids).await?;
            let paid = result
                .success_order_ids
                .iter()
                .map(|i| OrderId::new(i.as_str()))
                .collect();
            Ok(BatchPayment::new(paid).with_raw(Raw::new(result)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MoneyUnit;
    use crate::providers::example_data as data;

    #[test]
    fn xportcn_published_preview_is_in_fen() {
        let previews: Vec<api::KaOrderPreview> = data(include_str!(
            "../../../../vendor-docs/examples/xportcn/post-alibaba-ka-order-create-preview.response.json"
        ));
        let [order] = preview_orders(&previews).try_into().unwrap();
        let total = order.total.unwrap();
        assert_eq!(total.unit(), MoneyUnit::Fen);
        assert_eq!(total.to_fen(), Some(6400));
        assert_eq!(total.in_yuan().to_string(), "64");
        assert_eq!(order.freight.unwrap().in_yuan().to_string(), "6");
        assert_eq!(order.goods.unwrap().to_fen(), Some(5800));
        let line = &order.lines[0];
        assert_eq!(line.unit_price.unwrap().in_yuan().to_string(), "29");
        assert_eq!(line.offer_id, Some("889512351602".into()));
        assert_eq!(line.sku_id, Some("5736673805656".into()));
        assert_eq!(
            line.spec_id,
            Some("530ad00177264564503ec3b848650652".into())
        );
    }
}
