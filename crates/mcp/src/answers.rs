//! What the workflow tools answer: one answer per provider asked — the normalised result and the vendor's
//! typed answer, or a failure with its kind (`unsupported` with the capability table's reason, business,
//! partial failure, …) — and what the two steps of creating and paying return. Their output schemas are
//! derived from these types.

use super::confirm::Action;
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use sourcing_buy::{
    BatchPayment, CreatedOrder, Error, Flow, OrderInfo, Payment, Preview, Product, SearchPage,
};

/// One answer per provider asked.
#[derive(Serialize, JsonSchema)]
pub struct Answers<T> {
    pub results: Vec<Answer<T>>,
}

#[derive(Serialize, JsonSchema)]
pub struct Answer<T> {
    pub provider: String,
    /// The normalised answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// The vendor's typed answer, re-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
}

/// Why a step did not succeed.
#[derive(Serialize, JsonSchema)]
pub struct Failure {
    /// unsupported, wrong_platform, invalid_input, business, partial_failure, refused, transport, undecodable
    pub kind: &'static str,
    pub message: String,
    /// For `unsupported`: the step and the capability table's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// True when the step was refused before anything was sent.
    pub nothing_sent: bool,
    /// The vendor's business code and request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// A partly failed batch: the orders paid (never pay these again), failed (with reasons), and reported
    /// both paid and failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<Vec<FailedOrder>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting: Option<Vec<FailedOrder>>,
}

#[derive(Serialize, JsonSchema)]
pub struct FailedOrder {
    pub order_id: String,
    pub reason: Option<String>,
}

impl Failure {
    fn from_error(e: &Error, moves_money: bool) -> Self {
        let mut f = Failure {
            kind: "transport",
            message: e.to_string(),
            step: None,
            reason: None,
            nothing_sent: e.is_refused_before_sending(),
            code: None,
            request_id: None,
            paid: None,
            failed: None,
            conflicting: None,
        };
        match e {
            Error::Unsupported { step, reason, .. } => {
                f.kind = "unsupported";
                f.step = Some(step.name().into());
                f.reason = Some((*reason).into());
            }
            Error::NotEnabled { step, feature, .. } => {
                f.kind = "unsupported";
                f.step = Some(step.name().into());
                f.reason = Some(format!(
                    "known only from third-party clients; this build lacks the `{feature}` feature"
                ));
            }
            Error::WrongPlatform { .. } => f.kind = "wrong_platform",
            Error::InvalidInput { .. } | Error::ProductRef(_) => f.kind = "invalid_input",
            Error::Money(_) => f.kind = "undecodable",
            _ => {}
        }
        if let Some(api) = e.api() {
            f.kind = "business";
            f.code = Some(api.code);
            f.request_id = api.request_id.clone();
        }
        if let Some(p) = e.partial_failure() {
            let orders = |items: &[sourcing_runtime::FailedItem]| {
                items
                    .iter()
                    .map(|i| FailedOrder {
                        order_id: i.id.clone(),
                        reason: i.reason.clone(),
                    })
                    .collect()
            };
            f.kind = "partial_failure";
            f.request_id = p.request_id.clone();
            f.paid = Some(p.succeeded.clone());
            f.failed = Some(orders(&p.failed));
            f.conflicting = Some(orders(&p.conflicting));
        }
        if matches!(
            e,
            Error::Vendor(sourcing_runtime::Error::InvalidRequest { .. })
        ) {
            f.kind = "refused";
        }
        if moves_money && !f.nothing_sent && f.kind == "transport" {
            f.message.push_str(
                " — the call may have reached the provider: check buy_order_status before trying again",
            );
        }
        f
    }
}

/// A step's support on a provider.
#[derive(Serialize, JsonSchema)]
pub struct Capability {
    pub step: &'static str,
    /// published, third_party, not_available
    pub support: &'static str,
    /// Usable in this build.
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// What a confirmed action did.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Executed {
    Created(Box<CreatedOrder>),
    Paid(Payment),
    PaidBatch(BatchPayment),
}

/// What the prepare step found and how it is confirmed.
#[derive(Serialize, JsonSchema)]
pub struct Prepared {
    /// What will happen, exactly: pass it back to buy_confirm unchanged.
    pub action: Action,
    pub summary: String,
    /// The order's preview (amounts with unit), for creating an order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<Preview>,
    /// The orders' details as known (amounts with unit), for a payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<Vec<OrderInfo>>,
    /// Where amounts are not known beforehand, why.
    pub amounts_note: Option<String>,
    /// `token`: call buy_confirm with it; `approved`: the person said yes and it was done (see `outcome`);
    /// `declined`: the person said no, nothing was sent.
    pub confirmation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Answers<Executed>>,
}

/// A normalised answer that keeps the vendor's typed answer.
pub trait ToRaw {
    /// The vendor's answer as JSON.
    fn raw_json(&self) -> Value;
}

macro_rules! to_raw {
    ($($t:ty),*) => {$(
        impl ToRaw for $t {
            fn raw_json(&self) -> Value {
                self.raw().to_json()
            }
        }
    )*};
}

to_raw!(
    SearchPage,
    Product,
    Preview,
    OrderInfo,
    CreatedOrder,
    Payment,
    BatchPayment
);

impl ToRaw for Executed {
    fn raw_json(&self) -> Value {
        match self {
            Executed::Created(c) => c.raw_json(),
            Executed::Paid(p) => p.raw_json(),
            Executed::PaidBatch(b) => b.raw_json(),
        }
    }
}

pub fn answer<T: ToRaw>(provider: Flow, result: Result<T, Error>, moves_money: bool) -> Answer<T> {
    match result {
        Ok(v) => Answer {
            provider: provider.name().into(),
            raw: Some(v.raw_json()),
            result: Some(v),
            error: None,
        },
        Err(e) => Answer::failed(provider, &e, moves_money),
    }
}

impl<T> Answer<T> {
    pub fn failed(provider: Flow, e: &Error, moves_money: bool) -> Self {
        Answer {
            provider: provider.name().into(),
            result: None,
            raw: None,
            error: Some(Failure::from_error(e, moves_money)),
        }
    }
}

pub fn to_result<T: Serialize>(answers: &Answers<T>) -> CallToolResult {
    let value = serde_json::to_value(answers).unwrap_or(Value::Null);
    if answers.results.iter().all(|a| a.error.is_some()) {
        CallToolResult::structured_error(value)
    } else {
        CallToolResult::structured(value)
    }
}
