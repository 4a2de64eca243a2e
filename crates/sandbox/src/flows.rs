//! State for flows that span calls: orders created through the documented order operations can be
//! fetched, paid and cancelled. Operations are mapped to roles by provider and operation id; an order id the
//! sandbox does not know is answered statelessly (published example or schema-generated data).
//!
//! Where the vendor publishes no response schema (PandaPon `order_create`, `order_detail`), the sandbox
//! answers only what the flow needs, marked as its own: `{"orderId", "status", "sandbox": true}`, with the
//! 1688 order states of the Xportcn KA order messages (`WAITING_FOR_PAYMENT`, `WAITING_FOR_SENT`, `CANCEL`).

use serde_json::{Value, json};
use sourcing_runtime::Operation;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What an operation does to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// `data` is the pay result for `orderId` in the query.
    PayOne,
    /// Body `orderIds`; `data` splits them into submitted and failed.
    PayBatch,
    /// Creates an order awaiting payment; `data` carries its new id.
    Create,
    /// Body `orderId`; `data` is the order's state.
    Detail,
    /// Body `orderId`; cancels an order awaiting payment.
    Cancel,
}

fn role(provider: &str, operation: &str) -> Option<Role> {
    match (provider, operation) {
        ("pandapon", "order_pay_url" | "v2_order_pay_url") => Some(Role::PayOne),
        ("pandapon", "order_batch_submit_to_pay") | ("xportcn", "ka_order_pay") => {
            Some(Role::PayBatch)
        }
        ("pandapon", "order_create") => Some(Role::Create),
        ("pandapon", "order_detail") => Some(Role::Detail),
        ("pandapon", "order_cancel" | "v2_order_cancel") => Some(Role::Cancel),
        _ => None,
    }
}

/// The outcome field names of a batch-pay operation: its spec's `x-batch-outcome`, else PandaPon's names.
fn outcome_fields(op: &Operation) -> (&'static str, &'static str, &'static str, &'static str) {
    match op.batch_outcome {
        Some(b) => (b.succeeded, b.failed, b.id, b.reason),
        None => ("successOrderIds", "payFailOrders", "orderId", "errorReason"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    WaitingForPayment,
    Paid,
    Cancelled,
}

impl OrderStatus {
    fn wire_name(self) -> &'static str {
        match self {
            OrderStatus::WaitingForPayment => "WAITING_FOR_PAYMENT",
            OrderStatus::Paid => "WAITING_FOR_SENT",
            OrderStatus::Cancelled => "CANCEL",
        }
    }
}

#[derive(Default)]
pub(crate) struct Store {
    orders: Mutex<BTreeMap<String, OrderStatus>>,
    created: std::sync::atomic::AtomicU64,
}

/// The `orderId` of a body (string or number).
fn body_order_id(body: Option<&Value>) -> Option<String> {
    match body?.get("orderId")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A business failure the flow answers with (code, message).
pub(crate) type FlowError = (i64, String);

impl Store {
    /// Register an order (used by create operations and by tests that seed state).
    pub(crate) fn insert(&self, order_id: &str) {
        self.lock()
            .insert(order_id.to_string(), OrderStatus::WaitingForPayment);
    }

    /// Mark an order cancelled; `false` if the sandbox does not know it or it is already paid.
    pub(crate) fn cancel(&self, order_id: &str) -> bool {
        let mut orders = self.lock();
        match orders.get(order_id) {
            Some(OrderStatus::WaitingForPayment) => {
                orders.insert(order_id.to_string(), OrderStatus::Cancelled);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn status(&self, order_id: &str) -> Option<OrderStatus> {
        self.lock().get(order_id).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, OrderStatus>> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adjust `data` for stateful operations; `Err` is a business error to answer instead.
    pub(crate) fn apply(
        &self,
        provider: &str,
        op: &Operation,
        query: &[(String, String)],
        body: Option<&Value>,
        data: &mut Value,
    ) -> Result<(), FlowError> {
        match role(provider, op.id) {
            Some(Role::PayOne) => {
                let Some((_, id)) = query.iter().find(|(k, _)| k == "orderId") else {
                    return Ok(());
                };
                let mut orders = self.lock();
                match orders.get(id.as_str()) {
                    None => Ok(()),
                    Some(OrderStatus::Paid) => Err((409, format!("order {id} is already paid"))),
                    Some(OrderStatus::Cancelled) => Err((409, format!("order {id} is cancelled"))),
                    Some(OrderStatus::WaitingForPayment) => {
                        orders.insert(id.clone(), OrderStatus::Paid);
                        *data = json!({"orderId": id, "protocolPaySuccess": true, "cantPayOrderList": []});
                        Ok(())
                    }
                }
            }
            Some(Role::PayBatch) => {
                let ids: Vec<String> = body
                    .and_then(|b| b.get("orderIds"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut orders = self.lock();
                if !ids.iter().any(|id| orders.contains_key(id)) {
                    return Ok(());
                }
                let (ok_field, failed_field, id_field, reason_field) = outcome_fields(op);
                let (mut ok, mut failed) = (Vec::new(), Vec::new());
                for id in ids {
                    let reason = match orders.get(&id) {
                        Some(OrderStatus::WaitingForPayment) => {
                            orders.insert(id.clone(), OrderStatus::Paid);
                            ok.push(json!(id));
                            continue;
                        }
                        Some(OrderStatus::Paid) => "already paid",
                        Some(OrderStatus::Cancelled) => "order is cancelled",
                        None => "unknown order",
                    };
                    failed.push(json!({id_field: id, reason_field: reason}));
                }
                *data = json!({ok_field: ok, failed_field: failed});
                Ok(())
            }
            Some(Role::Create) => {
                let n = self
                    .created
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let id = (2_800_000_000_000_000_000u64 + n).to_string();
                self.insert(&id);
                *data = json!({"orderId": id, "status": OrderStatus::WaitingForPayment.wire_name(), "sandbox": true});
                Ok(())
            }
            Some(Role::Detail) => {
                let Some(id) = body_order_id(body) else {
                    return Ok(());
                };
                match self.status(&id) {
                    Some(status) => {
                        *data =
                            json!({"orderId": id, "status": status.wire_name(), "sandbox": true});
                        Ok(())
                    }
                    None => Ok(()),
                }
            }
            Some(Role::Cancel) => {
                let Some(id) = body_order_id(body) else {
                    return Ok(());
                };
                match self.status(&id) {
                    None => Ok(()),
                    Some(OrderStatus::WaitingForPayment) => {
                        self.cancel(&id);
                        *data = json!(true);
                        Ok(())
                    }
                    Some(OrderStatus::Paid) => {
                        Err((409, format!("order {id} is paid and cannot be cancelled")))
                    }
                    Some(OrderStatus::Cancelled) => {
                        Err((409, format!("order {id} is already cancelled")))
                    }
                }
            }
            None => Ok(()),
        }
    }
}
