//! State for flows that span calls: orders created through the documented order operations can be
//! fetched, paid and cancelled. Operations take part by their spec's `x-flow-role` ([`Operation::flow_role`]).
//!
//! Like the vendors, the sandbox pays, cancels and reads only orders it knows: an order id it has not seen
//! created (or seeded with [`crate::Sandbox::seed_order`]) gets the provider's failure naming that id
//! ([`crate::respond::unknown_order`]; in a batch, a failed item per unknown id). An answer about the
//! request's ids names only those ids.
//!
//! Where the vendor publishes no response schema (PandaPon `order_create`, `order_detail`; Dajisaas
//! `pay_protocol_pay`), or only part of it (Dajisaas `order_create`), the sandbox
//! answers only what the flow needs, marked as its own: `{"orderId", "status", "sandbox": true}`, with the
//! 1688 order states of the Xportcn KA order messages (`WAITING_FOR_PAYMENT`, `WAITING_FOR_SENT`, `CANCEL`).
//! Dajisaas `order_detail` keeps its documented shape and carries that state in the untyped `baseInfo`.

use crate::respond;
use serde_json::{Value, json};
use sourcing_runtime::Failure;
use sourcing_runtime::operation::FlowRole as Role;
use sourcing_runtime::operation::{Operation, Provider};
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

/// An id as text (string or number).
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `orderId` of a body.
fn body_order_id(body: Option<&Value>) -> Option<String> {
    id_text(body?.get("orderId")?)
}

/// The order a pay-one operation pays: query `orderId`, else the body's.
fn query_or_body_order_id(query: &[(String, String)], body: Option<&Value>) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == "orderId")
        .map(|(_, v)| v.clone())
        .or_else(|| body_order_id(body))
}

/// A business failure the flow answers with instead of success: envelope `code`, message and `data`.
pub(crate) type FlowError = Failure;

/// A state conflict (already paid, cancelled): a sandbox code, as no vendor publishes one.
fn conflict(message: String) -> FlowError {
    Failure {
        code: 409,
        message: format!("{message} (sandbox code 409)"),
        data: Value::Null,
    }
}

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
        provider: &Provider,
        op: &Operation,
        query: &[(String, String)],
        body: Option<&Value>,
        data: &mut Value,
    ) -> Result<(), FlowError> {
        let answer = match op.flow_role {
            Some(Role::PayOne) => match query_or_body_order_id(query, body) {
                Some(id) => self.pay_one(provider, op, &id)?,
                None => return Ok(()),
            },
            Some(Role::PayBatch) => self.pay_batch(op, body),
            Some(Role::Create) => self.create(),
            Some(Role::Detail) => match body_order_id(body) {
                Some(id) => self.detail(provider, op, &id, data)?,
                None => return Ok(()),
            },
            Some(Role::Cancel) => match body_order_id(body) {
                Some(id) => self.cancel_answer(provider, op, &id)?,
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
        *data = answer;
        Ok(())
    }

    fn pay_one(&self, provider: &Provider, op: &Operation, id: &str) -> Result<Value, FlowError> {
        let mut orders = self.lock();
        match orders.get(id) {
            None => Err(respond::unknown_order(provider, id)),
            Some(OrderStatus::Paid) => Err(conflict(format!("order {id} is already paid"))),
            Some(OrderStatus::Cancelled) => Err(conflict(format!("order {id} is cancelled"))),
            Some(OrderStatus::WaitingForPayment) => {
                orders.insert(id.to_string(), OrderStatus::Paid);
                Ok(if documents(op, "protocolPaySuccess") {
                    // PandaPon's documented pay result.
                    json!({"orderId": id, "protocolPaySuccess": true, "cantPayOrderList": []})
                } else {
                    // No published response: only what the flow needs, marked as the sandbox's.
                    json!({"orderId": id, "sandbox": true})
                })
            }
        }
    }

    /// Every requested id is answered, in one of the two lists, and no other id: unknown ones fail.
    fn pay_batch(&self, op: &Operation, body: Option<&Value>) -> Value {
        let ids: Vec<String> = body
            .and_then(|b| b.get("orderIds"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(id_text).collect())
            .unwrap_or_default();
        let (ok_field, failed_field, id_field, reason_field) = outcome_fields(op);
        let (mut ok, mut failed) = (Vec::new(), Vec::new());
        let mut orders = self.lock();
        for id in ids {
            let reason = match orders.get(&id) {
                Some(OrderStatus::WaitingForPayment) => {
                    orders.insert(id.clone(), OrderStatus::Paid);
                    ok.push(json!(id));
                    continue;
                }
                Some(OrderStatus::Paid) => "already paid".to_owned(),
                Some(OrderStatus::Cancelled) => "order is cancelled".to_owned(),
                None => format!("order {id} does not exist (sandbox)"),
            };
            failed.push(json!({id_field: id, reason_field: reason}));
        }
        json!({ok_field: ok, failed_field: failed})
    }

    fn create(&self) -> Value {
        let n = self
            .created
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = (2_800_000_000_000_000_000u64 + n).to_string();
        self.insert(&id);
        json!({"orderId": id, "status": OrderStatus::WaitingForPayment.wire_name(), "sandbox": true})
    }

    /// The order's state: where the vendor documents the order (Dajisaas, 1688's buyerView) the documented
    /// answer with the state in its untyped `baseInfo`; otherwise the sandbox's minimal answer.
    fn detail(
        &self,
        provider: &Provider,
        op: &Operation,
        id: &str,
        documented: &Value,
    ) -> Result<Value, FlowError> {
        let Some(status) = self.status(id) else {
            return Err(respond::unknown_order(provider, id));
        };
        let state = json!({"orderId": id, "status": status.wire_name(), "sandbox": true});
        if documents(op, "baseInfo") && documented.is_object() {
            let mut answer = documented.clone();
            answer["baseInfo"] = state;
            return Ok(answer);
        }
        Ok(state)
    }

    fn cancel_answer(
        &self,
        provider: &Provider,
        op: &Operation,
        id: &str,
    ) -> Result<Value, FlowError> {
        match self.status(id) {
            None => Err(respond::unknown_order(provider, id)),
            Some(OrderStatus::WaitingForPayment) => {
                self.cancel(id);
                Ok(if documents(op, "errorMessage") {
                    // Dajisaas's published success example.
                    json!({"success": true, "errorCode": null, "errorMessage": null})
                } else {
                    json!(true)
                })
            }
            Some(OrderStatus::Paid) => Err(conflict(format!(
                "order {id} is paid and cannot be cancelled"
            ))),
            Some(OrderStatus::Cancelled) => {
                Err(conflict(format!("order {id} is already cancelled")))
            }
        }
    }
}
