//! Each step mapped onto each provider's generated client. Only reached after `Buyer::check`, so the
//! `Never` arms below are the steps the capability table marks not available.

use crate::capability::Step;
use crate::money::Money;
use crate::types::*;
use crate::{Buyer, Client, Error, ProductRef};
use sourcing_runtime::LenientId;

/// The `flow` each vendor's published example sends (no vendor lists the values).
const PANDAPON_FLOW: &str = "general";
const DAJISAAS_FLOW: &str = "general";
const XPORTCN_FLOW: &str = "fenxiaonew";
/// Dajisaas's `isvBizType` in its published create example (values not listed).
const DAJISAAS_BIZ_TYPE: &str = "cross";
/// Dajisaas's `cancelReason` remark is required; the facade sends the reason again.
const SITE_1688: &str = "1688";

fn unreachable_step(buyer: &Buyer, step: Step) -> Error {
    Error::Unsupported {
        provider: buyer.provider(),
        step,
        reason: "not mapped",
    }
}

/// An id the vendor types as an integer: digits that fit in `u64`, sent as a JSON number.
fn numeric_id(buyer: &Buyer, step: Step, what: &str, id: &str) -> Result<LenientId, Error> {
    if id.is_empty()
        || !id.bytes().all(|b| b.is_ascii_digit())
        || id.len() > 1 && id.starts_with('0')
    {
        return Err(buyer.invalid(step, format!("{what} `{id}` is not a number")));
    }
    id.parse::<u64>()
        .map(LenientId::from)
        .map_err(|_| buyer.invalid(step, format!("{what} `{id}` is larger than 64 bits")))
}

fn text_id(buyer: &Buyer, step: Step, what: &str, id: &str) -> Result<String, Error> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(buyer.invalid(step, format!("{what} `{id}` is not an id (digits)")));
    }
    Ok(id.to_string())
}

fn offer_i64(buyer: &Buyer, step: Step, offer: &str) -> Result<i64, Error> {
    ProductRef::offer_1688(offer)
        .map(|r| r.id_i64())
        .map_err(|e| buyer.invalid(step, e.to_string()))
}

fn required(
    buyer: &Buyer,
    step: Step,
    field: &str,
    value: &Option<String>,
) -> Result<String, Error> {
    value.clone().ok_or_else(|| {
        buyer.invalid(
            step,
            format!(
                "the address field `{field}` is required by {}",
                buyer.provider()
            ),
        )
    })
}

fn check_lines(buyer: &Buyer, step: Step, draft: &OrderDraft) -> Result<(), Error> {
    if draft.lines.is_empty() {
        return Err(buyer.invalid(step, "an order needs at least one line"));
    }
    Ok(())
}

fn id_text(id: &Option<LenientId>) -> Option<String> {
    id.as_ref().map(|i| i.as_str().to_string())
}

fn yuan(value: Option<f64>) -> Result<Option<Money>, Error> {
    value
        .map(Money::yuan_from_json_number)
        .transpose()
        .map_err(Error::from)
}

// ------------------------------------------------------------------------------------------ addresses

fn pandapon_address(a: &Address) -> pandapon::types::AddressParam {
    pandapon::types::AddressParam {
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

fn xportcn_address(a: &Address) -> xportcn::types::AddressParam {
    xportcn::types::AddressParam {
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

/// Dajisaas documents every address field as required.
fn dajisaas_address(
    buyer: &Buyer,
    step: Step,
    a: &Address,
) -> Result<dajisaas::types::AddressParam, Error> {
    Ok(dajisaas::types::AddressParam {
        full_name: a.full_name.clone(),
        mobile: a.mobile.clone(),
        phone: required(buyer, step, "phone", &a.phone)?,
        post_code: required(buyer, step, "postCode", &a.post_code)?,
        province_text: a.province.clone(),
        city_text: a.city.clone(),
        area_text: required(buyer, step, "areaText (district)", &a.district)?,
        town_text: required(buyer, step, "townText (town)", &a.town)?,
        address: a.street.clone(),
        district_code: required(buyer, step, "districtCode", &a.district_code)?,
    })
}

fn pandapon_cargo(
    buyer: &Buyer,
    step: Step,
    draft: &OrderDraft,
) -> Result<Vec<pandapon::types::CargoParam>, Error> {
    check_lines(buyer, step, draft)?;
    draft
        .lines
        .iter()
        .map(|l| {
            Ok(pandapon::types::CargoParam {
                offer_id: numeric_id(buyer, step, "offer id", &l.offer_id)?,
                spec_id: l.spec_id.clone(),
                quantity: f64::from(l.quantity),
                seller_open_id: None,
            })
        })
        .collect()
}

fn xportcn_cargo(
    buyer: &Buyer,
    step: Step,
    draft: &OrderDraft,
) -> Result<Vec<xportcn::types::CargoParam>, Error> {
    check_lines(buyer, step, draft)?;
    draft
        .lines
        .iter()
        .map(|l| {
            Ok(xportcn::types::CargoParam {
                offer_id: Some(numeric_id(buyer, step, "offer id", &l.offer_id)?),
                spec_id: Some(l.spec_id.clone()),
                quantity: Some(f64::from(l.quantity)),
            })
        })
        .collect()
}

fn dajisaas_cargo(
    buyer: &Buyer,
    step: Step,
    draft: &OrderDraft,
) -> Result<Vec<dajisaas::types::CargoParam>, Error> {
    check_lines(buyer, step, draft)?;
    draft
        .lines
        .iter()
        .map(|l| {
            Ok(dajisaas::types::CargoParam {
                offer_id: Some(offer_i64(buyer, step, &l.offer_id)?),
                spec_id: Some(l.spec_id.clone()),
                quantity: Some(i64::from(l.quantity)),
            })
        })
        .collect()
}

// ------------------------------------------------------------------------------------------ answers

/// Dajisaas preview: totals are integers in fen, per-line prices decimals in yuan.
pub(crate) fn dajisaas_preview_orders(
    result: &dajisaas::types::OrderPreview,
) -> Result<Vec<PreviewOrder>, Error> {
    let mut orders = Vec::new();
    for o in &result.order_preview_resuslt {
        let mut lines = Vec::new();
        for l in o.cargo_list.iter().flatten() {
            lines.push(PreviewLine {
                offer_id: id_text(&l.offer_id),
                spec_id: l.spec_id.clone(),
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

/// Xportcn preview: every amount is an integer in fen.
pub(crate) fn xportcn_preview_orders(
    result: &[xportcn::types::KaOrderPreview],
) -> Vec<PreviewOrder> {
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
                    spec_id: l.spec_id.clone(),
                    sku_id: id_text(&l.sku_id),
                    unit_price: l.final_unit_price.map(Money::fen),
                    amount: l.amount.map(Money::fen),
                })
                .collect(),
        })
        .collect()
}

/// Dajisaas order detail: product lines (prices in yuan) and the Chinese delivery address.
pub(crate) fn dajisaas_order(
    detail: &dajisaas::types::OrderDetail,
) -> Result<(Vec<OrderItem>, Option<Address>), Error> {
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

// ------------------------------------------------------------------------------------------ steps

pub(crate) async fn search(buyer: &Buyer, query: &SearchQuery) -> Result<SearchPage, Error> {
    match &buyer.client {
        Client::Pandapon(c) => {
            let page = c
                .v2_goods_keyword_search()
                .body(pandapon::types::KeywordSearchRequest {
                    keyword: Some(query.keyword.clone()),
                    begin_page: query.page.map(|p| p as i32),
                    page_size: query.page_size.map(|p| p as i32),
                    // "currently always pass `en`" (the page).
                    country: Some("en".into()),
                    ..Default::default()
                })
                .send()
                .await?;
            let hits = page
                .data
                .iter()
                .map(|p| SearchHit {
                    title: p.subject.clone(),
                    image_url: p.image_url.clone(),
                    offer_id: None,
                })
                .collect();
            Ok(SearchPage::new(
                hits,
                page.total_records,
                Raw::Pandapon(page),
            ))
        }
        #[cfg(feature = "dajisaas-unconfirmed")]
        Client::Dajisaas(c) => crate::flow_unconfirmed::dajisaas_search(c, query).await,
        _ => Err(unreachable_step(buyer, Step::Search)),
    }
}

pub(crate) async fn product(buyer: &Buyer, product: &ProductRef) -> Result<Product, Error> {
    match &buyer.client {
        Client::Pandapon(c) => {
            let detail = c
                .goods_detail()
                .body(pandapon::types::GoodsDetailRequest {
                    offer_id: Some(LenientId::from(product.id_i64())),
                    country: Some("en".into()),
                    out_member_id: None,
                })
                .send()
                .await?;
            Ok(Product::new(
                id_text(&detail.offer_id).unwrap_or_else(|| product.id().to_string()),
                detail.subject.clone(),
                detail.subject_trans.clone(),
                Raw::Pandapon(detail),
            ))
        }
        #[cfg(feature = "dajisaas-unconfirmed")]
        Client::Dajisaas(c) => crate::flow_unconfirmed::dajisaas_product(c, product).await,
        _ => Err(unreachable_step(buyer, Step::ProductDetail)),
    }
}

pub(crate) async fn preview(buyer: &Buyer, draft: &OrderDraft) -> Result<Preview, Error> {
    let step = Step::Preview;
    match &buyer.client {
        Client::Pandapon(c) => {
            let result = c
                .order_preview()
                .body(pandapon::types::OrderPreviewRequest {
                    address_param: Some(pandapon_address(&draft.address)),
                    cargo_param_list: pandapon_cargo(buyer, step, draft)?,
                })
                .send()
                .await?;
            // The amounts of a preview entry are not published: nothing to normalise.
            Ok(Preview::new(Vec::new(), Raw::Pandapon(result)))
        }
        Client::Dajisaas(c) => {
            let result = c
                .order_preview()
                .body(dajisaas::types::OrderPreviewRequest {
                    flow: Some(draft.flow.clone().unwrap_or_else(|| DAJISAAS_FLOW.into())),
                    address_param: dajisaas_address(buyer, step, &draft.address)?,
                    cargo_param_list: dajisaas_cargo(buyer, step, draft)?,
                })
                .send()
                .await?;
            let orders = dajisaas_preview_orders(&result)?;
            Ok(Preview::new(orders, Raw::Dajisaas(result)))
        }
        Client::Xportcn(c) => {
            let result = c
                .ka_order_preview()
                .body(xportcn::types::KaOrderPreviewRequest {
                    ali_id: None,
                    out_order_id: None,
                    flow: Some(draft.flow.clone().unwrap_or_else(|| XPORTCN_FLOW.into())),
                    address_param: Some(xportcn_address(&draft.address)),
                    cargo_param_list: xportcn_cargo(buyer, step, draft)?,
                })
                .send()
                .await?;
            let orders = xportcn_preview_orders(&result);
            Ok(Preview::new(orders, Raw::Xportcn(result)))
        }
    }
}

pub(crate) async fn create_order(buyer: &Buyer, draft: &OrderDraft) -> Result<CreatedOrder, Error> {
    let step = Step::CreateOrder;
    match &buyer.client {
        Client::Pandapon(c) => {
            let data = c
                .order_create()
                .body(pandapon::types::OrderCreateRequest {
                    flow: draft.flow.clone().unwrap_or_else(|| PANDAPON_FLOW.into()),
                    address_param: pandapon_address(&draft.address),
                    cargo_param_list: pandapon_cargo(buyer, step, draft)?,
                    message: draft.message.clone(),
                    shop_promotion_id: None,
                    trade_type: None,
                })
                .send()
                .await?;
            // No response is published: nothing is read from it.
            Ok(CreatedOrder::new(None, None, Raw::Pandapon(data)))
        }
        Client::Dajisaas(c) => {
            let third_order_id = draft.external_order_id.clone().ok_or_else(|| {
                buyer.invalid(
                    step,
                    "Dajisaas requires your own order number (`external_order_id`, sent as thirdOrderId)",
                )
            })?;
            let result = c
                .order_create()
                .body(dajisaas::types::OrderCreateRequest {
                    third_order_id,
                    flow: draft.flow.clone().unwrap_or_else(|| DAJISAAS_FLOW.into()),
                    message: draft.message.clone().unwrap_or_default(),
                    isv_biz_type: DAJISAAS_BIZ_TYPE.into(),
                    address_param: dajisaas_address(buyer, step, &draft.address)?,
                    cargo_param_list: dajisaas_cargo(buyer, step, draft)?,
                })
                .send()
                .await?;
            Ok(CreatedOrder::new(
                result.order_id.clone(),
                result.total_success_amount.map(Money::fen),
                Raw::Dajisaas(result),
            ))
        }
        Client::Xportcn(_) => Err(unreachable_step(buyer, step)),
    }
}

pub(crate) async fn pay(buyer: &Buyer, order_id: &str) -> Result<Payment, Error> {
    let step = Step::Pay;
    let id = text_id(buyer, step, "order id", order_id)?;
    match &buyer.client {
        Client::Pandapon(c) => {
            let result = c.order_pay_url().order_id(&id).send().await?;
            let outcome = match result.protocol_pay_success {
                Some(true) => PaymentOutcome::Paid,
                _ => PaymentOutcome::PayByHand {
                    url: result.pay_url.clone(),
                },
            };
            Ok(Payment::new(
                result.order_id.clone().unwrap_or(id),
                outcome,
                Raw::Pandapon(result),
            ))
        }
        Client::Dajisaas(c) => {
            let data = c
                .pay_protocol_pay()
                .body(dajisaas::types::ProtocolPayRequest {
                    order_id: id.clone(),
                })
                .send()
                .await?;
            Ok(Payment::new(
                id,
                PaymentOutcome::Accepted,
                Raw::Dajisaas(data),
            ))
        }
        Client::Xportcn(c) => {
            // A batch of one: a failure is the runtime's PartialFailure, as for any batch.
            let result = c
                .ka_order_pay()
                .body(xportcn::types::KaOrderPayRequest {
                    order_ids: vec![id.clone()],
                })
                .send()
                .await?;
            let paid = result.success_order_ids.iter().any(|s| s.as_str() == id);
            let outcome = if paid {
                PaymentOutcome::Paid
            } else {
                PaymentOutcome::Accepted
            };
            Ok(Payment::new(id, outcome, Raw::Xportcn(result)))
        }
    }
}

pub(crate) async fn pay_batch(buyer: &Buyer, order_ids: &[String]) -> Result<BatchPayment, Error> {
    let step = Step::PayBatch;
    if order_ids.is_empty() {
        return Err(buyer.invalid(step, "no order to pay"));
    }
    let ids = order_ids
        .iter()
        .map(|id| text_id(buyer, step, "order id", id))
        .collect::<Result<Vec<_>, _>>()?;
    match &buyer.client {
        Client::Pandapon(c) => {
            let result = c
                .order_batch_submit_to_pay()
                .body(pandapon::types::BatchSubmitToPayRequest { order_ids: ids })
                .send()
                .await?;
            let paid = result
                .success_order_ids
                .iter()
                .map(|i| i.as_str().to_string())
                .collect();
            Ok(BatchPayment::new(paid, Raw::Pandapon(result)))
        }
        Client::Xportcn(c) => {
            let result = c
                .ka_order_pay()
                .body(xportcn::types::KaOrderPayRequest { order_ids: ids })
                .send()
                .await?;
            let paid = result
                .success_order_ids
                .iter()
                .map(|i| i.as_str().to_string())
                .collect();
            Ok(BatchPayment::new(paid, Raw::Xportcn(result)))
        }
        Client::Dajisaas(_) => Err(unreachable_step(buyer, step)),
    }
}

pub(crate) async fn order(buyer: &Buyer, order_id: &str) -> Result<OrderInfo, Error> {
    let step = Step::OrderStatus;
    let id = text_id(buyer, step, "order id", order_id)?;
    match &buyer.client {
        Client::Pandapon(c) => {
            let data = c
                .order_detail()
                .body(pandapon::types::OrderDetailRequest {
                    web_site: SITE_1688.into(),
                    order_id: Some(id.clone()),
                })
                .send()
                .await?;
            // No response is published: nothing is read from it.
            Ok(OrderInfo::new(id, Vec::new(), None, Raw::Pandapon(data)))
        }
        Client::Dajisaas(c) => {
            let detail = c
                .order_detail()
                .body(dajisaas::types::OrderDetailRequest {
                    web_site: SITE_1688.into(),
                    order_id: id.clone(),
                })
                .send()
                .await?;
            let (items, delivery) = dajisaas_order(&detail)?;
            Ok(OrderInfo::new(id, items, delivery, Raw::Dajisaas(detail)))
        }
        Client::Xportcn(_) => Err(unreachable_step(buyer, step)),
    }
}

pub(crate) async fn cancel(
    buyer: &Buyer,
    order_id: &str,
    reason: &str,
) -> Result<Cancelled, Error> {
    let step = Step::Cancel;
    if reason.is_empty() {
        return Err(buyer.invalid(step, "a cancel reason is required"));
    }
    match &buyer.client {
        Client::Pandapon(c) => {
            let result = c
                .order_cancel()
                .body(pandapon::types::OrderCancelRequest {
                    web_site: SITE_1688.into(),
                    order_id: numeric_id(buyer, step, "order id", order_id)?,
                    cancel_reason: reason.into(),
                    remark: None,
                })
                .send()
                .await?;
            let success = match &result {
                pandapon::types::CancelResult::Cancelled(b) => Some(*b),
                pandapon::types::CancelResult::Placeholder(_) => None,
            };
            Ok(OrderAction::new(success, Raw::Pandapon(result)))
        }
        Client::Dajisaas(c) => {
            let result = c
                .order_cancel()
                .body(dajisaas::types::OrderCancelRequest {
                    web_site: SITE_1688.into(),
                    order_id: text_id(buyer, step, "order id", order_id)?,
                    cancel_reason: reason.into(),
                    remark: reason.into(),
                })
                .send()
                .await?;
            Ok(OrderAction::new(result.success, Raw::Dajisaas(result)))
        }
        Client::Xportcn(_) => Err(unreachable_step(buyer, step)),
    }
}

pub(crate) async fn confirm_receipt(
    buyer: &Buyer,
    order_id: &str,
    sub_order_ids: &[String],
) -> Result<ReceiptConfirmed, Error> {
    let step = Step::ConfirmReceipt;
    let order = numeric_id(buyer, step, "order id", order_id)?;
    let entries = sub_order_ids
        .iter()
        .map(|id| numeric_id(buyer, step, "sub-order id", id))
        .collect::<Result<Vec<_>, _>>()?;
    match &buyer.client {
        Client::Pandapon(c) => {
            let result = c
                .order_receive_goods()
                .body(pandapon::types::ReceiveGoodsRequest {
                    order_id: Some(order),
                    order_entry_ids: entries,
                })
                .send()
                .await?;
            Ok(OrderAction::new(result.success, Raw::Pandapon(result)))
        }
        Client::Dajisaas(c) => {
            let data = c
                .order_receive_confirm()
                .body(dajisaas::types::ReceiveConfirmRequest {
                    order_id: order,
                    order_entry_ids: entries,
                })
                .send()
                .await?;
            // The response is undocumented (`object {0}`): a code-200 envelope is the only success signal.
            Ok(OrderAction::new(None, Raw::Dajisaas(data)))
        }
        Client::Xportcn(_) => Err(unreachable_step(buyer, step)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MoneyUnit;

    /// `data` of a published response example (fixture in `vendor-docs/examples`).
    fn data<T: serde::de::DeserializeOwned>(envelope: &str) -> T {
        let v: serde_json::Value = serde_json::from_str(envelope).unwrap();
        serde_json::from_value(v["data"].clone()).unwrap()
    }

    #[test]
    fn xportcn_published_preview_is_in_fen() {
        let previews: Vec<xportcn::types::KaOrderPreview> = data(include_str!(
            "../../../vendor-docs/examples/xportcn/post-alibaba-ka-order-create-preview.response.json"
        ));
        let [order] = xportcn_preview_orders(&previews).try_into().unwrap();
        let total = order.total.unwrap();
        assert_eq!(total.unit(), MoneyUnit::Fen);
        assert_eq!(total.to_fen(), Some(6400));
        assert_eq!(total.in_yuan().to_string(), "64");
        assert_eq!(order.freight.unwrap().in_yuan().to_string(), "6");
        assert_eq!(order.goods.unwrap().to_fen(), Some(5800));
        let line = &order.lines[0];
        assert_eq!(line.unit_price.unwrap().in_yuan().to_string(), "29");
        assert_eq!(line.offer_id.as_deref(), Some("889512351602"));
        assert_eq!(line.sku_id.as_deref(), Some("5736673805656"));
        assert_eq!(
            line.spec_id.as_deref(),
            Some("530ad00177264564503ec3b848650652")
        );
    }

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
        let preview: dajisaas::types::OrderPreview = data(DAJISAAS_PREVIEW);
        let [order] = dajisaas_preview_orders(&preview)
            .unwrap()
            .try_into()
            .unwrap();
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
        assert_eq!(line.sku_id.as_deref(), Some("4829152353068"));
        assert_eq!(line.offer_id.as_deref(), Some("670291644950"));
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
        let detail: dajisaas::types::OrderDetail = data(DAJISAAS_DETAIL);
        let (items, delivery) = dajisaas_order(&detail).unwrap();
        let item = &items[0];
        assert_eq!(item.sub_order_id.as_deref(), Some("2257164624870311973"));
        assert_eq!(item.offer_id.as_deref(), Some("623686863670"));
        assert_eq!(item.sku_id.as_deref(), Some("5403412737023"));
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
