//! Partial batch failure: [`PartialFailure`].

use crate::error::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// Where a batch operation's `data` lists its outcome: the spec's `x-batch-outcome`, in the operation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Property of `data`: the ids that succeeded (array of strings or numbers).
    pub succeeded: &'static str,
    /// Property of `data`: the items that failed (array of objects).
    pub failed: &'static str,
    /// Property of a failed item: its id.
    pub id: &'static str,
    /// Property of a failed item: why it failed.
    pub reason: &'static str,
}

/// One item of a batch that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedItem {
    /// The item's id as text (ids sent as JSON numbers are kept exact); empty if the provider sent none.
    pub id: String,
    /// The provider's reason, as sent.
    pub reason: Option<String>,
}

/// A batch call that the provider accepted (`code` 200) but where some or all items failed.
///
/// Some operations act on a batch (pay several orders) and answer a *successful* envelope (`code` 200) whose
/// `data` splits the batch into items that succeeded and items that failed, each with a reason — e.g.
/// Xportcn `ka_order_pay` (`successOrderIds`, `failedOrderList[{orderId, failedReason}]`) and PandaPon
/// `order_batch_submit_to_pay` (`successOrderIds`, `payFailOrders[{orderId, errorReason}]`).
/// Returning such an answer as `Ok(data)` would let a caller who only checks `is_ok()` believe every item
/// went through.
///
/// The spec marks these operations with `x-batch-outcome: {succeeded, failed, id, reason}` (the property
/// names in `data`; codegen checks they exist). The operation table carries it as [`BatchOutcome`], and the
/// runtime applies it to every call of the operation (the generated `send()`, and `call_operation` used by
/// the CLI and other table-driven tools):
///
/// * the failed list is absent or empty → `Ok(data)`;
/// * otherwise → [`Error::PartialFailure`] with a [`PartialFailure`] naming what succeeded, what failed and
///   why, the request id and the whole `data` (typed again with [`PartialFailure::data_as`]). This holds
///   whether some or all items failed.
///
/// **An id listed both as succeeded and as failed** (the published `ka_order_pay` example does this, with
/// the reason "资金账户已经扣款,不可重复支付" — funds already deducted, cannot be paid twice) stays in
/// [`PartialFailure::succeeded`], because the provider says it succeeded, and its failure entry goes to
/// [`PartialFailure::conflicting`] instead of [`PartialFailure::failed`]. So `failed` holds only items that
/// did not go through and can be acted on (e.g. topped-up and paid again) without paying anything twice,
/// and nothing the provider said is dropped. Such a batch is still an error, so the contradiction is seen.
///
/// Never retried: batch operations that move money are `x-effect: pay` (only reads are retried), and
/// retrying the whole batch would repeat the items that succeeded.
#[derive(Clone, Debug, PartialEq)]
pub struct PartialFailure {
    /// The operation (`snake_case` id).
    pub operation: &'static str,
    /// Every id the provider lists as succeeded, in its order (these went through: do not repeat them).
    pub succeeded: Vec<String>,
    /// Items that failed and are not listed as succeeded, with the reason.
    pub failed: Vec<FailedItem>,
    /// Failure entries whose id is also in `succeeded`: the provider reports both; treat the item as done
    /// and check it (e.g. with an order-details call) before doing anything else with it.
    pub conflicting: Vec<FailedItem>,
    /// The envelope's request id: quote it to the provider's support.
    pub request_id: Option<String>,
    /// The whole `data` as received (after typed decoding), e.g. to read fields beyond the two lists.
    pub data: Value,
}

impl PartialFailure {
    /// `data` decoded as the operation's data type (e.g. `xportcn::types::KaOrderPayResult`).
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data)
    }
}

impl fmt::Display for PartialFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 3;
        write!(
            f,
            "{}: batch partly failed: {} failed, {} succeeded",
            self.operation,
            self.failed.len(),
            self.succeeded.len()
        )?;
        if !self.conflicting.is_empty() {
            write!(
                f,
                ", {} listed as both succeeded and failed",
                self.conflicting.len()
            )?;
        }
        let items = self.failed.iter().chain(&self.conflicting);
        for (i, item) in items.take(SHOWN).enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(
                f,
                "{} ({})",
                item.id,
                item.reason.as_deref().unwrap_or("no reason")
            )?;
        }
        let total = self.failed.len() + self.conflicting.len();
        if total > SHOWN {
            write!(f, "; … {} more", total - SHOWN)?;
        }
        if let Some(r) = &self.request_id {
            write!(f, " [request {r}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for PartialFailure {}

impl BatchOutcome {
    /// `Ok(data)` when no item failed, [`Error::PartialFailure`] otherwise.
    pub fn check<T: Serialize>(
        &self,
        operation: &'static str,
        data: T,
        request_id: Option<String>,
    ) -> Result<T, Error> {
        let json = serde_json::to_value(&data).map_err(|source| Error::Decode {
            operation,
            body: crate::error::BodyPrefix::new(b""),
            source,
        })?;
        match self.failure(operation, json, request_id) {
            Some(failure) => Err(Error::PartialFailure(Box::new(failure))),
            None => Ok(data),
        }
    }

    /// The failure described by `data` (the JSON form of the operation's data), if any item failed.
    pub fn failure(
        &self,
        operation: &'static str,
        data: Value,
        request_id: Option<String>,
    ) -> Option<PartialFailure> {
        let list = |key: &str| data.get(key).and_then(Value::as_array);
        let failures: Vec<FailedItem> = list(self.failed)?
            .iter()
            .map(|item| FailedItem {
                id: item.get(self.id).and_then(id_text).unwrap_or_default(),
                reason: item.get(self.reason).and_then(|r| match r {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                }),
            })
            .collect();
        if failures.is_empty() {
            return None;
        }
        let succeeded: Vec<String> = list(self.succeeded)
            .map(|ids| ids.iter().filter_map(id_text).collect())
            .unwrap_or_default();
        let (conflicting, failed) = failures
            .into_iter()
            .partition(|f| !f.id.is_empty() && succeeded.contains(&f.id));
        Some(PartialFailure {
            operation,
            succeeded,
            failed,
            conflicting,
            request_id,
            data,
        })
    }
}

/// An id sent as a JSON string or number, as text.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PAY: BatchOutcome = BatchOutcome {
        succeeded: "successOrderIds",
        failed: "failedOrderList",
        id: "orderId",
        reason: "failedReason",
    };

    #[test]
    fn no_failed_items_is_success() {
        for data in [
            json!({"successOrderIds": ["1", "2"]}),
            json!({"successOrderIds": ["1"], "failedOrderList": []}),
            json!({"successOrderIds": ["1"], "failedOrderList": null}),
        ] {
            assert_eq!(PAY.failure("pay", data, None), None);
        }
    }

    #[test]
    fn splits_failed_and_conflicting_and_keeps_numeric_ids_exact() {
        let data = json!({
            "successOrderIds": ["3300504350583134260", 3300504350583134261u64],
            "failedOrderList": [
                {"orderId": "3300504350583134260", "failedReason": "资金账户已经扣款,不可重复支付"},
                {"orderId": 3300504350583134262u64, "failedReason": "账户额度不足"},
                {"failedReason": null}
            ]
        });
        let f = PAY.failure("pay", data.clone(), Some("r1".into())).unwrap();
        assert_eq!(f.succeeded, ["3300504350583134260", "3300504350583134261"]);
        assert_eq!(
            f.failed,
            [
                FailedItem {
                    id: "3300504350583134262".into(),
                    reason: Some("账户额度不足".into())
                },
                FailedItem {
                    id: String::new(),
                    reason: None
                }
            ]
        );
        assert_eq!(
            f.conflicting,
            [FailedItem {
                id: "3300504350583134260".into(),
                reason: Some("资金账户已经扣款,不可重复支付".into())
            }]
        );
        assert_eq!(f.data, data);
        let shown = f.to_string();
        assert!(
            shown.starts_with("pay: batch partly failed: 2 failed, 2 succeeded, 1 listed as both"),
            "{shown}"
        );
        assert!(
            shown.contains("3300504350583134262 (账户额度不足)"),
            "{shown}"
        );
        assert!(shown.ends_with("[request r1]"), "{shown}");
    }

    #[test]
    fn check_returns_data_or_the_error() {
        let ok = json!({"successOrderIds": ["1"]});
        assert_eq!(PAY.check("pay", ok.clone(), None).unwrap(), ok);
        let bad = json!({"failedOrderList": [{"orderId": "9", "failedReason": "x"}]});
        match PAY.check("pay", bad, None) {
            Err(Error::PartialFailure(f)) => {
                assert!(f.succeeded.is_empty());
                assert_eq!(f.failed[0].id, "9");
            }
            other => panic!("expected PartialFailure, got {other:?}"),
        }
    }

    #[test]
    fn display_is_bounded() {
        let items: Vec<Value> = (0..10)
            .map(|i| json!({"orderId": i.to_string(), "failedReason": "r"}))
            .collect();
        let f = PAY
            .failure("pay", json!({"failedOrderList": items}), None)
            .unwrap();
        assert!(f.to_string().ends_with("; … 7 more"), "{f}");
    }
}
