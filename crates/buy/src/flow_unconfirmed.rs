//! Steps mapped onto endpoints known only from third-party clients (feature `dajisaas-unconfirmed`).
//! Their answers are typed only as far as the clients show; titles the clients read without a type are
//! taken only when they are JSON strings.

use crate::types::*;
use crate::{Error, ProductRef};
use serde_json::Value;

fn text(v: &Option<Value>) -> Option<String> {
    v.as_ref().and_then(Value::as_str).map(str::to_string)
}

fn integer(v: &Option<Value>) -> Option<i64> {
    v.as_ref().and_then(Value::as_i64)
}

/// `GET /alibaba/product/keywordQuery` (Dajisaas, unconfirmed).
pub(crate) async fn dajisaas_search(
    c: &dajisaas::Client,
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
            offer_id: o.offer_id.as_ref().map(|i| i.as_str().to_string()),
        })
        .collect();
    Ok(SearchPage::new(
        hits,
        integer(&page.total_records),
        Raw::Dajisaas(page),
    ))
}

/// `GET /alibaba/product/queryProductDetail` (Dajisaas, unconfirmed).
pub(crate) async fn dajisaas_product(
    c: &dajisaas::Client,
    product: &ProductRef,
) -> Result<Product, Error> {
    let detail = c
        .product_detail_query()
        .offer_id(product.id())
        .country("en")
        .send()
        .await?;
    Ok(Product::new(
        detail
            .offer_id
            .as_ref()
            .map(|i| i.as_str().to_string())
            .unwrap_or_else(|| product.id().to_string()),
        text(&detail.subject),
        text(&detail.subject_trans),
        Raw::Dajisaas(detail),
    ))
}
