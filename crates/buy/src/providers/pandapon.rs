//! PandaPon: every step but logistics, on its published v1/v2 1688 endpoints.

use super::input::{Input, id_text};
use super::read;
use super::{not_available, published};
use crate::capability::{Flow, FlowRegistration, Step};
use crate::ids::{OfferId, OrderId, SubOrderId};
use crate::types::*;
use crate::{Buyer, ProductRef};
use crate::{PurchaseFlow, StepFuture};
use ::pandapon::types as api;
use sourcing_runtime::{LenientId, Readings};
use std::any::Any;

const PROVIDER: Flow = super::PANDAPON;
/// The `flow` PandaPon's published example sends (no value list is published).
const FLOW: &str = "general";
const SITE_1688: &str = "1688";

pub(super) static REGISTRATION: FlowRegistration = FlowRegistration {
    description: &::pandapon::operations::PROVIDER,
    connect: |base_url, runtime| ::pandapon::Client::with_runtime(base_url, runtime).into(),
    capabilities: &[
        (Step::Search, published("v2_goods_keyword_search")),
        (Step::ProductDetail, published("goods_detail")),
        (Step::Preview, published("order_preview")),
        (Step::CreateOrder, published("order_create")),
        (Step::Pay, published("order_pay_url")),
        (Step::PayBatch, published("order_batch_submit_to_pay")),
        (Step::OrderStatus, published("order_detail")),
        (Step::Cancel, published("order_cancel")),
        (Step::ConfirmReceipt, published("order_receive_goods")),
        (
            Step::Logistics,
            not_available(
                "the path of 1688 order logistics is not published (catalogue: navigation only)",
            ),
        ),
    ],
};

#[derive(Debug)]
struct Pandapon(::pandapon::Client);

impl From<::pandapon::Client> for Buyer {
    fn from(client: ::pandapon::Client) -> Self {
        Buyer::new(Pandapon(client))
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

fn cargo(input: Input, draft: &OrderDraft) -> Result<Vec<api::CargoParam>, crate::Error> {
    input.check_lines(draft)?;
    draft
        .lines
        .iter()
        .map(|l| {
            Ok(api::CargoParam {
                offer_id: input.numeric_id("offer id", l.offer_id.as_str())?,
                spec_id: l.spec_id.to_string(),
                quantity: f64::from(l.quantity),
            })
        })
        .collect()
}

/// The same lines for the preview, whose page marks only the quantity required.
fn preview_cargo(
    input: Input,
    draft: &OrderDraft,
) -> Result<Vec<api::PreviewCargoParam>, crate::Error> {
    Ok(cargo(input, draft)?
        .into_iter()
        .map(|c| api::PreviewCargoParam {
            offer_id: Some(c.offer_id),
            spec_id: Some(c.spec_id),
            quantity: c.quantity,
            seller_open_id: None,
        })
        .collect())
}

impl PurchaseFlow for Pandapon {
    fn flow(&self) -> Flow {
        PROVIDER
    }

    fn client(&self) -> &dyn Any {
        &self.0
    }

    fn check(&self, intent: &crate::journal::Intent<'_>) -> Result<(), crate::Error> {
        super::input::check_ids(PROVIDER, intent)
    }

    fn search<'a>(
        &'a self,
        query: &'a SearchQuery,
        readings: &'a Readings,
    ) -> StepFuture<'a, SearchPage> {
        Box::pin(async move {
            let request = api::KeywordSearchRequest {
                keyword: Some(query.keyword.clone()),
                begin_page: query.page.map(|p| p as i32),
                page_size: query.page_size.map(|p| p as i32),
                // "currently always pass `en`" (the page).
                country: Some("en".into()),
                ..Default::default()
            };
            let page = self
                .0
                .v2_goods_keyword_search()
                .body(request)
                .send()
                .await?;
            let hits = page
                .data
                .iter()
                .map(|p| SearchHit {
                    title: p.subject.clone(),
                    image_url: p.image_url.clone(),
                    offer_id: read::id(&read::json(p), readings.search_hit_offer_id.as_ref()),
                })
                .collect();
            Ok(SearchPage::new(hits, page.total_records).with_raw(Raw::new(page)))
        })
    }

    fn product<'a>(
        &'a self,
        product: &'a ProductRef,
        readings: &'a Readings,
    ) -> StepFuture<'a, Product> {
        Box::pin(async move {
            let request = api::GoodsDetailRequest {
                offer_id: Some(LenientId::from(product.id_i64())),
                country: Some("en".into()),
                out_member_id: None,
            };
            let detail = self.0.goods_detail().body(request).send().await?;
            let skus = read::skus(&read::json(&detail), readings.product_skus.as_ref());
            let offer_id = id_text(&detail.offer_id).unwrap_or_else(|| OfferId::new(product.id()));
            let mut found = Product::new(offer_id);
            found.title = detail.subject.clone();
            found.title_translated = detail.subject_trans.clone();
            found.skus = skus;
            Ok(found.with_raw(Raw::new(detail)))
        })
    }

    fn preview<'a>(&'a self, draft: &'a OrderDraft) -> StepFuture<'a, Preview> {
        Box::pin(async move {
            let request = api::OrderPreviewRequest {
                address_param: Some(address(&draft.address)),
                cargo_param_list: preview_cargo(Input::new(PROVIDER, Step::Preview), draft)?,
            };
            let result = self.0.order_preview().body(request).send().await?;
            // The amounts of a preview entry are not published: nothing to normalise.
            Ok(Preview::new(Vec::new()).with_raw(Raw::new(result)))
        })
    }

    fn create_order<'a>(
        &'a self,
        draft: &'a OrderDraft,
        readings: &'a Readings,
    ) -> StepFuture<'a, CreatedOrder> {
        Box::pin(async move {
            let request = api::OrderCreateRequest {
                flow: draft.flow.clone().unwrap_or_else(|| FLOW.into()),
                address_param: address(&draft.address),
                cargo_param_list: cargo(Input::new(PROVIDER, Step::CreateOrder), draft)?,
                message: draft.message.clone(),
                shop_promotion_id: None,
                trade_type: None,
            };
            let data = self.0.order_create().body(request).send().await?;
            // No response is published: the id is where the reading says (1688's `orderId`).
            let order_id = read::id(&data, readings.create_order_id.as_ref());
            Ok(CreatedOrder::new(order_id, None).with_raw(Raw::new(data)))
        })
    }

    fn pay<'a>(&'a self, order_id: &'a OrderId) -> StepFuture<'a, Payment> {
        Box::pin(async move {
            let id = Input::new(PROVIDER, Step::Pay).order_id(order_id)?;
            let result = self.0.order_pay_url().order_id(&id).send().await?;
            let outcome = match result.protocol_pay_success {
                Some(true) => PaymentOutcome::Paid,
                _ => PaymentOutcome::PayByHand {
                    url: result.pay_url.clone(),
                },
            };
            let order_id = result.order_id.clone().unwrap_or(id);
            Ok(Payment::new(order_id, outcome).with_raw(Raw::new(result)))
        })
    }

    fn pay_batch<'a>(&'a self, order_ids: &'a [OrderId]) -> StepFuture<'a, BatchPayment> {
        Box::pin(async move {
            let order_ids = Input::new(PROVIDER, Step::PayBatch).order_ids(order_ids)?;
            let request = api::BatchSubmitToPayRequest { order_ids };
            let result = self
                .0
                .order_batch_submit_to_pay()
                .body(request)
                .send()
                .await?;
            let paid = result
                .success_order_ids
                .iter()
                .map(|i| OrderId::new(i.as_str()))
                .collect();
            Ok(BatchPayment::new(paid).with_raw(Raw::new(result)))
        })
    }

    fn order<'a>(
        &'a self,
        order_id: &'a OrderId,
        readings: &'a Readings,
    ) -> StepFuture<'a, OrderInfo> {
        Box::pin(async move {
            let id = Input::new(PROVIDER, Step::OrderStatus).order_id(order_id)?;
            let request = api::OrderDetailRequest {
                web_site: SITE_1688.into(),
                order_id: Some(id.clone()),
            };
            let data = self.0.order_detail().body(request).send().await?;
            // No response is published: only the state, where the reading says (1688's buyerView).
            let status = read::status(&data, readings.order_state.as_ref());
            Ok(OrderInfo::new(id)
                .with_status(status)
                .with_raw(Raw::new(data)))
        })
    }

    fn cancel<'a>(&'a self, order_id: &'a OrderId, reason: &'a str) -> StepFuture<'a, Cancelled> {
        Box::pin(async move {
            let input = Input::new(PROVIDER, Step::Cancel);
            input.cancel_reason(reason)?;
            let request = api::OrderCancelRequest {
                web_site: SITE_1688.into(),
                order_id: input.numeric_order_id(order_id)?,
                cancel_reason: reason.into(),
                remark: None,
            };
            let result = self.0.order_cancel().body(request).send().await?;
            let success = match &result {
                api::CancelResult::Cancelled(b) => Some(*b),
                api::CancelResult::Placeholder(_) => None,
            };
            Ok(OrderAction::new(success).with_raw(Raw::new(result)))
        })
    }

    fn confirm_receipt<'a>(
        &'a self,
        order_id: &'a OrderId,
        sub_order_ids: &'a [SubOrderId],
    ) -> StepFuture<'a, ReceiptConfirmed> {
        Box::pin(async move {
            let input = Input::new(PROVIDER, Step::ConfirmReceipt);
            let request = api::ReceiveGoodsRequest {
                order_id: Some(input.numeric_order_id(order_id)?),
                order_entry_ids: input.numeric_ids("sub-order id", sub_order_ids)?,
            };
            let result = self.0.order_receive_goods().body(request).send().await?;
            Ok(OrderAction::new(result.success).with_raw(Raw::new(result)))
        })
    }
}
