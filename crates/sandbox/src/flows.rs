//! State for flows that span calls: orders created through the documented order operations can be
//! fetched, paid and cancelled. Operations take part by their spec's `x-flow-role` ([`Operation::flow_role`]);
//! an order id the sandbox does not know is answered statelessly (published example or schema-generated data).
//!
//! Where the vendor publishes no response schema (PandaPon `order_create`, `order_detail`; Dajisaas
//! `pay_protocol_pay`), or only part of it (Dajisaas `order_create`), the sandbox
//! answers only what the flow needs, marked as its own: `{"orderId", "status", "sandbox": true}`, with the
//! 1688 order states of the Xportcn KA order messages (`WAITING_FOR_PAYMENT`, `WAITING_FOR_SENT`, `CANCEL`).

use serde_json::{Value, json};
use sourcing_runtime::Operation;
use sourcing_runtime::operation::FlowRole as Role;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Whether the operation's response schema documents a property of this name (the answer then takes the
/// documented shape rather than the sandbox's minimal one).
fn documents(op: &Operation, property: &str) -> bool {
    op.response_schema.contains(&format!("\"{property}\""))
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
        op: &Operation,
        query: &[(String, String)],
        body: Option<&Value>,
        data: &mut Value,
    ) -> Result<(), FlowError> {
        match op.flow_role {
            Some(Role::PayOne) => {
                let Some(id) = query
                    .iter()
                    .find(|(k, _)| k == "orderId")
                    .map(|(_, v)| v.clone())
                    .or_else(|| body_order_id(body))
                else {
                    return Ok(());
                };
                let mut orders = self.lock();
                match orders.get(id.as_str()) {
                    None => Ok(()),
                    Some(OrderStatus::Paid) => Err((409, format!("order {id} is already paid"))),
                    Some(OrderStatus::Cancelled) => Err((409, format!("order {id} is cancelled"))),
                    Some(OrderStatus::WaitingForPayment) => {
                        orders.insert(id.clone(), OrderStatus::Paid);
                        *data = if documents(op, "protocolPaySuccess") {
                            // PandaPon's documented pay result.
                            json!({"orderId": id, "protocolPaySuccess": true, "cantPayOrderList": []})
                        } else {
                            // No published response: only what the flow needs, marked as the sandbox's.
                            json!({"orderId": id, "sandbox": true})
                        };
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
                        *data = if documents(op, "errorMessage") {
                            // Dajisaas's published success example.
                            json!({"success": true, "errorCode": null, "errorMessage": null})
                        } else {
                            json!(true)
                        };
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
