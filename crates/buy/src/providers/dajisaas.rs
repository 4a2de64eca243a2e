//! Dajisaas: preview, create, pay one order, order detail, cancel, receipt on its published endpoints;
//! keyword search and product detail on endpoints known only from third-party clients (feature
//! `dajisaas-unconfirmed`), whose answers are typed only as far as those clients show.

use super::input::{Input, id_text, yuan};
use super::read;
use super::{not_available, published, third_party};
use crate::capability::{Flow, FlowRegistration, Step};
use crate::ids::{ExternalOrderId, OrderId, SpecId, SubOrderId};
use crate::money::Money;
use crate::types::*;
use crate::{Buyer, Error};
use crate::{PurchaseFlow, StepFuture};
use ::dajisaas::types as api;
use sourcing_runtime::Readings;
use std::any::Any;

const PROVIDER: Flow = super::DAJISAAS;
/// The `flow` Dajisaas's published example sends (no value list is published).
const FLOW: &str = "general";
/// `isvBizType` in the published create example (values not listed).
const BIZ_TYPE: &str = "cross";
const SITE_1688: &str = "1688";
const UNCONFIRMED: &str = "dajisaas-unconfirmed";

pub(super) static REGISTRATION: FlowRegistration = FlowRegistration {
    description: &::dajisaas::operations::PROVIDER,
    connect: |base_url, runtime| ::dajisaas::Client::with_runtime(base_url, runtime).into(),
    capabilities: &[
        (
            Step::Search,
            third_party("product_keyword_query", UNCONFIRMED),
        ),
        (
            Step::ProductDetail,
            third_party("product_detail_query", UNCONFIRMED),
        ),
        (Step::Preview, published("order_preview")),
        (Step::CreateOrder, published("order_create")),
        (Step::Pay, published("pay_protocol_pay")),
        (
            Step::PayBatch,
            not_available(
                "the only batch call (`pay_urls`) returns a cashier link to pay by hand, not a payment",
            ),
        ),
        (Step::OrderStatus, published("order_detail")),
        (Step::Cancel, published("order_cancel")),
        (Step::ConfirmReceipt, published("order_receive_confirm")),
        (
            Step::Logistics,
            not_available(
                "no 1688 logistics endpoint is published (order details carry only the delivery address)",
            ),
        ),
    ],
};

#[derive(Debug)]
struct Dajisaas(::dajisaas::Client);

impl From<::dajisaas::Client> for Buyer {
    fn from(client: ::dajisaas::Client) -> Self {
        Buyer::new(Dajisaas(client))
    }
}

/// Dajisaas documents every address field as required (and `more`, e.g. `thirdOrderId` to create): every
/// missing one is named in one error, as `vendorName (facade_field)`.
fn address(
    input: Input,
    a: &Address,
    more: &[(&str, Option<&str>)],
) -> Result<api::AddressParam, Error> {
    let mut fields = vec![
        ("fullName (full_name)", Some(a.full_name.as_str())),
        ("mobile", Some(a.mobile.as_str())),
        ("phone", a.phone.as_deref()),
        ("postCode (post_code)", a.post_code.as_deref()),
        ("provinceText (province)", Some(a.province.as_str())),
        ("cityText (city)", Some(a.city.as_str())),
        ("areaText (district)", a.district.as_deref()),
        ("townText (town)", a.town.as_deref()),
        ("address (street)", Some(a.street.as_str())),
        ("districtCode (district_code)", a.district_code.as_deref()),
    ];
    fields.extend_from_slice(more);
    input.required_all(&fields)?;
    let given = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(api::AddressParam {
        full_name: a.full_name.clone(),
        mobile: a.mobile.clone(),
        phone: given(&a.phone),
        post_code: given(&a.post_code),
        province_text: a.province.clone(),
        city_text: a.city.clone(),
        area_text: given(&a.district),
        town_text: given(&a.town),
        address: a.street.clone(),
        district_code: given(&a.district_code),
    })
}

fn cargo(input: Input, draft: &OrderDraft) -> Result<Vec<api::CargoParam>, Error> {
    input.check_lines(draft)?;
    draft
        .lines
        .iter()
        .map(|l| {
            Ok(api::CargoParam {
                offer_id: Some(input.offer_i64(&l.offer_id)?),
                spec_id: Some(l.spec_id.to_string()),
                quantity: Some(i64::from(l.quantity)),
            })
        })
        .collect()
}

/// Preview: totals are integers in fen, per-line prices decimals in yuan.
fn preview_orders(result: &api::OrderPreview) -> Result<Vec<PreviewOrder>, Error> {
    let mut orders = Vec::new();
    for o in &result.order_preview_resuslt {
        let mut lines = Vec::new();
        for l in o.cargo_list.iter().flatten() {
            lines.push(PreviewLine {
                offer_id: id_text(&l.offer_id),
                spec_id: l.spec_id.clone().map(SpecId::from),
                sku_id: id_text(&l.sku_id),
                unit_price: yuan(l.final_unit_price)?,
                amount: yuan(l.amount)?,
            });
        }
        orders.push(PreviewOrder {
            total: o.sum_payment.map(Money::fen),
            freight: o.sum_carriage.map(Money::fen),
            goods: o.sum_payment_no_carriage.map(Money::fen),
            lines,
        });
    }
    Ok(orders)
}

/// Order detail: product lines (prices in yuan) and the Chinese delivery address.
fn order_lines(detail: &api::OrderDetail) -> Result<(Vec<OrderItem>, Option<Address>), Error> {
    let mut items = Vec::new();
    for p in detail.product_items.iter().flatten() {
        items.push(OrderItem {
            offer_id: id_text(&p.product_id),
            sku_id: id_text(&p.sku_id),
            sub_order_id: id_text(&p.sub_item_id),
            title: p.name.clone(),
            quantity: p.quantity,
            unit_price: yuan(p.price)?,
            amount: yuan(p.item_amount)?,
            status: p.status.as_deref().map(OrderStatus::from_vendor),
        });
    }
    let delivery = detail.native_logistics.as_ref().map(|n| Address {
        full_name: n.contact_person.clone().unwrap_or_default(),
        mobile: n.mobile.clone().unwrap_or_default(),
        phone: n.telephone.clone(),
        post_code: n.zip.clone(),
        province: n.province.clone().unwrap_or_default(),
        city: n.city.clone().unwrap_or_default(),
        district: n.area.clone(),
        town: n.town.clone(),
        street: n.address.clone().unwrap_or_default(),
        district_code: n.area_code.clone(),
    });
    Ok((items, delivery))
}

impl PurchaseFlow for Dajisaas {
    fn flow(&self) -> Flow {
        PROVIDER
    }

    fn client(&self) -> &dyn Any {
        &self.0
    }

    fn check(&self, intent: &crate::journal::Intent<'_>) -> Result<(), crate::Error> {
        super::input::check_ids(PROVIDER, intent)
    }

    #[cfg(feature = "dajisaas-unconfirmed")]
    fn search<'a>(
        &'a self,
        query: &'a SearchQuery,
        _readings: &'a Readings,
    ) -> StepFuture<'a, SearchPage> {
        Box::pin(unconfirmed::search(&self.0, query))
    }

    #[cfg(feature = "dajisaas-unconfirmed")]
    fn product<'a>(
        &'a self,
        product: &'a crate::ProductRef,
        readings: &'a Readings,
    ) -> StepFuture<'a, Product> {
        Box::pin(unconfirmed::product(&self.0, product, readings))
    }

    fn preview<'a>(&'a self, draft: &'a OrderDraft) -> StepFuture<'a, Preview> {
        Box::pin(async move {
            let input = Input::new(PROVIDER, Step::Preview);
            let request = api::OrderPreviewRequest {
                flow: Some(draft.flow.clone().unwrap_or_else(|| FLOW.into())),
                address_param: address(input, &draft.address, &[])?,
                cargo_param_list: cargo(input, draft)?,
            };
            let result = self.0.order_preview().body(request).send().await?;
            let orders = preview_orders(&result)?;
            Ok(Preview::new(orders).with_raw(Raw::new(result)))
        })
    }

    fn create_order<'a>(
        &'a self,
        draft: &'a OrderDraft,
        _readings: &'a Readings,
    ) -> StepFuture<'a, CreatedOrder> {
        Box::pin(async move {
            let input = Input::new(PROVIDER, Step::CreateOrder);
            // Your own order number is required too (`thirdOrderId`), named with the address fields.
            let third_order_id = draft
                .external_order_id
                .as_ref()
                .map(ExternalOrderId::as_str);
            let own = [("thirdOrderId (external_order_id)", third_order_id)];
            let address_param = address(input, &draft.address, &own)?;
            let request = api::OrderCreateRequest {
                third_order_id: third_order_id.unwrap_or_default().into(),
                flow: draft.flow.clone().unwrap_or_else(|| FLOW.into()),
                message: draft.message.clone().unwrap_or_default(),
                isv_biz_type: BIZ_TYPE.into(),
                address_param,
                cargo_param_list: cargo(input, draft)?,
            };
            let result = self.0.order_create().body(request).send().await?;
            Ok(CreatedOrder::new(
                result.order_id.clone().map(OrderId::from),
                result.total_success_amount.map(Money::fen),
            )
            .with_raw(Raw::new(result)))
        })
    }

    fn pay<'a>(&'a self, order_id: &'a OrderId) -> StepFuture<'a, Payment> {
        Box::pin(async move {
            let order_id = Input::new(PROVIDER, Step::Pay).order_id(order_id)?;
            let request = api::ProtocolPayRequest {
                order_id: order_id.clone(),
            };
            let data = self.0.pay_protocol_pay().body(request).send().await?;
            // No result fields are published: a code-200 envelope is all there is.
            Ok(Payment::new(order_id, PaymentOutcome::Accepted).with_raw(Raw::new(data)))
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
                order_id: id.clone(),
            };
            let detail = self.0.order_detail().body(request).send().await?;
            let (items, delivery) = order_lines(&detail)?;
            // `baseInfo`'s fields are unpublished: the state is where the reading says (1688's buyerView).
            let status = read::status(&read::json(&detail), readings.order_state.as_ref());
            let mut info = OrderInfo::new(id).with_status(status);
            info.items = items;
            info.delivery = delivery;
            Ok(info.with_raw(Raw::new(detail)))
        })
    }

    /// `cancelReason` is a code here (the example sends `buyerCancel`); the required `remark` repeats it.
    fn cancel<'a>(&'a self, order_id: &'a OrderId, reason: &'a str) -> StepFuture<'a, Cancelled> {
        Box::pin(async move {
            let input = Input::new(PROVIDER, Step::Cancel);
            input.cancel_reason(reason)?;
            let request = api::OrderCancelRequest {
                web_site: SITE_1688.into(),
                order_id: input.order_id(order_id)?,
                cancel_reason: reason.into(),
                remark: reason.into(),
            };
            let result = self.0.order_cancel().body(request).send().await?;
            Ok(OrderAction::new(result.success).with_raw(Raw::new(result)))
        })
    }

    fn confirm_receipt<'a>(
        &'a self,
        order_id: &'a OrderId,
        sub_order_ids: &'a [SubOrderId],
    ) -> StepFuture<'a, ReceiptConfirmed> {
        Box::pin(async move {
            let input = Input::new(PROVIDER, Step::ConfirmReceipt);
            let request = api::ReceiveConfirmRequest {
                order_id: input.numeric_order_id(order_id)?,
                order_entry_ids: input.numeric_ids("sub-order id", sub_order_ids)?,
            };
            let data = self.0.order_receive_confirm().body(request).send().await?;
            // The response is undocumented (`object {0}`): a code-200 envelope is the only success signal.
            Ok(OrderAction::new(None).with_raw(Raw::new(data)))
        })
    }
}

/// Steps on endpoints known only from third-party clients. Titles the clients read without a type are
/// taken only when they are JSON strings.
#[cfg(feature = "dajisaas-unconfirmed")]
mod unconfirmed {
    use crate::types::*;
    use crate::{Error, OfferId, ProductRef};
    use serde_json::Value;

    fn text(v: &Option<Value>) -> Option<String> {
        v.as_ref().and_then(Value::as_str).map(str::to_string)
    }

    /// `GET /alibaba/product/keywordQuery`.
    pub(super) async fn search(
        c: &::dajisaas::Client,
        query: &SearchQuery,
    ) -> Result<SearchPage, Error> {
        let mut call = c
            .product_keyword_query()
            .keyword(query.keyword.clone())
            .country("en");
        if let Some(page) = query.page {
            call = call.begin_page(page as i32);
        }
        if let Some(size) = query.page_size {
            call = call.page_size(size as i32);
        }
        let page = call.send().await?;
        let hits = page
            .data
            .iter()
            .flatten()
            .map(|o| SearchHit {
                title: text(&o.subject),
                image_url: text(&o.image_url),
                offer_id: o.offer_id.as_ref().map(|i| OfferId::new(i.as_str())),
            })
            .collect();
        let total = page.total_records.as_ref().and_then(Value::as_i64);
        Ok(SearchPage::new(hits, total).with_raw(Raw::new(page)))
    }

    /// `GET /alibaba/product/queryProductDetail`.
    pub(super) async fn product(
        c: &::dajisaas::Client,
        product: &ProductRef,
        readings: &sourcing_runtime::Readings,
    ) -> Result<Product, Error> {
        let detail = c
            .product_detail_query()
            .offer_id(product.id())
            .country("en")
            .send()
            .await?;
        let offer_id = detail.offer_id.as_ref().map(|i| OfferId::new(i.as_str()));
        let json = super::read::json(&detail);
        let skus = super::read::skus(&json, readings.product_skus.as_ref());
        let mut found = Product::new(offer_id.unwrap_or_else(|| OfferId::new(product.id())));
        found.title = text(&detail.subject);
        found.title_translated = text(&detail.subject_trans);
        found.skus = skus;
        Ok(found.with_raw(Raw::new(detail)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MoneyUnit;
    use crate::providers::example_data as data;

    /// The published Dajisaas preview example (api-194164767), cut where the page is truncated
    /// (`tradeModelList`): totals in fen, line prices in yuan, in the same answer.
    const DAJISAAS_PREVIEW: &str = r#"{"code":200,"message":"操作成功","data":{"orderPreviewResuslt":[{
        "discountFee":null,"tradeModeNameList":["assureTrade"],"status":true,"taoSampleSinglePromotion":false,
        "sumPayment":1671,"message":null,"sumCarriage":350,"resultCode":null,"sumPaymentNoCarriage":1321,
        "additionalFee":null,"flowFlag":"general","cargoList":[{"amount":13.21,"message":null,"finalUnitPrice":13.9,
        "specId":"594b40c111b019af610a0078e4316373","skuId":4829152353068,"resultCode":null,"offerId":670291644950,
        "cargoPromotionList":[{"promotionId":"plus-1081365079-901378548216|AliB2Bdszk-64971405656_901378548216",
        "selected":false,"text":"省0.69:PLUS会员价","desc":"<ul><li>PLUS会员价:省0.69元</li></ul>","freePostage":false,
        "discountFee":69}],"openOfferId":"/nlXn4qH5YNFo9hwZ8PEsA=="}],"shopPromotionList":[]}]}}"#;

    #[test]
    fn dajisaas_published_preview_states_fen_and_yuan() {
        let preview: api::OrderPreview = data(DAJISAAS_PREVIEW);
        let [order] = preview_orders(&preview).unwrap().try_into().unwrap();
        let total = order.total.unwrap();
        assert_eq!((total.unit(), total.to_fen()), (MoneyUnit::Fen, Some(1671)));
        assert_eq!(total.in_yuan().to_string(), "16.71");
        assert_eq!(order.freight.unwrap().to_fen(), Some(350));
        assert_eq!(order.goods.unwrap().to_fen(), Some(1321));
        let line = &order.lines[0];
        let amount = line.amount.unwrap();
        assert_eq!(amount.unit(), MoneyUnit::Yuan);
        assert_eq!(amount.amount().to_string(), "13.21");
        assert_eq!(
            amount.to_fen(),
            Some(1321),
            "the line amount equals the goods total"
        );
        assert_eq!(line.unit_price.unwrap().amount().to_string(), "13.9");
        assert_eq!(line.sku_id, Some("4829152353068".into()));
        assert_eq!(line.offer_id, Some("670291644950".into()));
    }

    /// The published Dajisaas order-detail fragment (api-194164770) with the sub-order id as the
    /// snapshot link writes it: 19 digits, which the page's rendering had already rounded.
    const DAJISAAS_DETAIL: &str = r#"{"code":200,"message":"操作成功","data":{
        "guaranteesTerms":{"assuranceInfo":"7天","assuranceType":"qtwlybt","qualityAssuranceType":"7天无理由退货"},
        "internationalLogistics":null,
        "nativeLogistics":{"address":"网商路699号","area":"普陀区","areaCode":"310107","city":"上海市","contactPerson":"张三",
          "fax":null,"mobile":"18888888888","province":"上海","telephone":"18888888888","zip":"000000","logisticsItems":null,
          "townCode":null,"town":"镇文本","caid":null,"realLogisticsCompanyNo":null},
        "productItems":[{"cargoNumber":null,"description":null,"itemAmount":8.96,"name":"铅笔","price":1.8,
          "productID":623686863670,"productImgUrl":["http://cbu01.alicdn.com/a.80x80.jpg"],
          "productSnapshotUrl":"https://trade.1688.com/order/offer_snapshot.htm?order_entry_id=2257164624870311973",
          "quantity":5,"refund":0,"skuID":5403412737023,"sort":null,"status":"cancel","subItemID":2257164624870311973,
          "type":"common","unit":"盒","weight":null,"weightUnit":null}]}}"#;

    #[test]
    fn dajisaas_order_lines_keep_19_digit_ids_and_yuan() {
        let detail: api::OrderDetail = data(DAJISAAS_DETAIL);
        let (items, delivery) = order_lines(&detail).unwrap();
        let item = &items[0];
        assert_eq!(item.sub_order_id, Some("2257164624870311973".into()));
        assert_eq!(item.offer_id, Some("623686863670".into()));
        assert_eq!(item.sku_id, Some("5403412737023".into()));
        let price = item.unit_price.unwrap();
        assert_eq!(
            (price.unit(), price.amount().to_string()),
            (MoneyUnit::Yuan, "1.8".into())
        );
        assert_eq!(item.amount.unwrap().to_fen(), Some(896));
        let status = item.status.as_ref().unwrap();
        assert_eq!(
            (status.kind, status.raw.as_str()),
            (StatusKind::Cancelled, "cancel")
        );
        let delivery = delivery.unwrap();
        assert_eq!(delivery.district_code.as_deref(), Some("310107"));
        assert_eq!(delivery.full_name, "张三");
    }
}
