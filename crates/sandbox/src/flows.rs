//! State for flows that span calls: orders created through the documented order operations can be
//! fetched, paid, cancelled and (by the seller, [`crate::Sandbox::ship_order`]) shipped. Operations take part
//! by their spec's `x-flow-role` ([`Operation::flow_role`]). Orders are kept per provider in
//! [`crate::state::StateData`], in memory or in a state file.
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
//! Order reads also carry `baseInfo: {"id", "status"}` with 1688's trade status (`waitbuyerpay`,
//! `waitsellersend`, `waitbuyerreceive`, `cancel`): served where the facade's default reading looks; the
//! vendors do not publish this field (Dajisaas documents `baseInfo` as an untyped object).
//!
//! Every change (create, pay, cancel, ship) queues the provider's documented callback when a callback URL is
//! set for it ([`crate::callbacks`]), in the same durable update as the change.

use crate::catalogue;
use crate::respond;
use crate::state::{Delivery, Order, OrderState, StateData, StateFile, now_ms};
use serde_json::{Value, json};
use sourcing_runtime::{Failure, FlowRole as Role, Operation, Provider};
use sourcing_webhooks::formats;
use sourcing_webhooks::outgoing::{OrderEvent, OrderFacts};
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

/// The order id list of a batch payment's body: `orderIds` (PandaPon, Xportcn) or another list field named
/// like one (Dajisaas's Taobao `purchaseOrderIdList`).
fn batch_order_ids(body: Option<&Value>) -> Option<&Vec<Value>> {
    let map = body?.as_object()?;
    map.get("orderIds").and_then(Value::as_array).or_else(|| {
        map.iter()
            .filter(|(name, _)| {
                let name = name.to_ascii_lowercase();
                name.contains("order") && name.contains("id")
            })
            .find_map(|(_, v)| v.as_array())
    })
}

/// Why a flow did not answer with success.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A business failure in the provider's envelope.
    Business(Failure),
    /// The state could not be saved: nothing is acknowledged.
    Storage(std::io::Error),
}

impl From<Failure> for Refusal {
    fn from(f: Failure) -> Self {
        Refusal::Business(f)
    }
}

/// A state conflict (already paid, cancelled): a sandbox code, as no vendor publishes one.
fn conflict(message: String) -> Failure {
    Failure {
        code: 409,
        message: format!("{message} (sandbox code 409)"),
        data: Value::Null,
    }
}

/// Why an order in `state` cannot take `event`.
fn blocked_message(id: &str, state: OrderState, event: OrderEvent) -> String {
    match (state, event) {
        (OrderState::Paid | OrderState::Shipped, OrderEvent::Paid) => {
            format!("order {id} is already paid")
        }
        (OrderState::Paid | OrderState::Shipped, OrderEvent::Cancelled) => {
            format!("order {id} is paid and cannot be cancelled")
        }
        (OrderState::Cancelled, OrderEvent::Cancelled) => {
            format!("order {id} is already cancelled")
        }
        (OrderState::Cancelled, _) => format!("order {id} is cancelled"),
        (OrderState::WaitingForPayment, _) => format!("order {id} is not paid yet"),
        (OrderState::Shipped, _) => format!("order {id} is already shipped"),
        (OrderState::Paid, _) => format!("order {id} is already paid"),
    }
}

/// The `orderId` of a body.
fn body_order_id(body: Option<&Value>) -> Option<String> {
    catalogue::id_text(body?.get("orderId")?)
}

/// The order a pay-one operation pays: query `orderId`, else the body's.
fn query_or_body_order_id(query: &[(String, String)], body: Option<&Value>) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == "orderId")
        .map(|(_, v)| v.clone())
        .or_else(|| body_order_id(body))
}

/// The sandbox's orders and what it owes receivers.
pub(crate) struct Store {
    mem: Mutex<StateData>,
    file: Option<StateFile>,
    /// `--callback-url PROVIDER=URL`: over the state's own URLs.
    callback_urls: BTreeMap<String, String>,
    /// Woken when a callback is queued.
    pub(crate) wake: tokio::sync::Notify,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(None, BTreeMap::new())
    }
}

impl Store {
    pub(crate) fn new(file: Option<StateFile>, callback_urls: BTreeMap<String, String>) -> Self {
        Self {
            mem: Mutex::new(StateData::fresh()),
            file,
            callback_urls,
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Apply `f` to the state: in memory, or load-modify-save of the file under its lock.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut StateData) -> R) -> std::io::Result<R> {
        let mut mem = self.mem.lock().unwrap_or_else(|p| p.into_inner());
        let queued = mem.pending.len();
        let (r, grew) = match &self.file {
            None => {
                let r = f(&mut mem);
                let grew = mem.pending.len() > queued;
                (r, grew)
            }
            Some(file) => {
                let before = mem.next_delivery;
                let (r, data) = file.update(f)?;
                let grew = data.next_delivery > before;
                *mem = data;
                (r, grew)
            }
        };
        drop(mem);
        if grew {
            self.wake.notify_one();
        }
        Ok(r)
    }

    /// A copy of the state (re-read from the file when there is one).
    pub(crate) fn snapshot(&self) -> std::io::Result<StateData> {
        self.update(|d| d.clone())
    }

    /// Register an order awaiting payment (seeded, or created).
    pub(crate) fn insert(
        &self,
        provider: &str,
        order_id: &str,
        goods_fen: i64,
        freight_fen: i64,
    ) -> std::io::Result<()> {
        self.update(|d| {
            d.insert_order(
                provider,
                order_id,
                Order {
                    state: OrderState::WaitingForPayment,
                    goods_fen,
                    freight_fen,
                    created_ms: now_ms(),
                    paid_ms: None,
                },
            );
        })
    }

    /// Move an order; `Err` says why it cannot move (unknown, or the state does not allow it).
    pub(crate) fn transition(
        &self,
        provider: &Provider,
        order_id: &str,
        event: OrderEvent,
    ) -> Result<(), Refusal> {
        let moved = self
            .update(|d| self.transition_in(d, provider.name, order_id, event))
            .map_err(Refusal::Storage)?;
        moved.map_err(|blocked| match blocked {
            None => Refusal::Business(respond::unknown_order(provider, order_id)),
            Some(state) => Refusal::Business(conflict(blocked_message(order_id, state, event))),
        })
    }

    /// The move itself, inside an update: `Err(None)` for an unknown order, `Err(Some(state))` when its state
    /// does not allow `event`.
    fn transition_in(
        &self,
        d: &mut StateData,
        provider: &str,
        id: &str,
        event: OrderEvent,
    ) -> Result<(), Option<OrderState>> {
        let order = d.order_mut(provider, id).ok_or(None)?;
        let next = match (order.state, event) {
            (OrderState::WaitingForPayment, OrderEvent::Paid) => OrderState::Paid,
            (OrderState::WaitingForPayment, OrderEvent::Cancelled) => OrderState::Cancelled,
            (OrderState::Paid, OrderEvent::Shipped) => OrderState::Shipped,
            (state, _) => return Err(Some(state)),
        };
        order.state = next;
        if event == OrderEvent::Paid {
            order.paid_ms = Some(now_ms());
        }
        self.queue(d, provider, id, event);
        Ok(())
    }

    /// Queue `provider`'s documented callback for `event` on order `id`, when a URL is set for it. An event
    /// the provider documents no message for is skipped.
    pub(crate) fn queue(&self, d: &mut StateData, provider: &str, id: &str, event: OrderEvent) {
        let Some(url) = self
            .callback_urls
            .get(provider)
            .or_else(|| d.callback_urls.get(provider))
            .cloned()
        else {
            return;
        };
        let Some(order) = d.order(provider, id) else {
            return;
        };
        let facts = OrderFacts::new(
            id,
            sourcing_webhooks::Fen(order.goods_fen),
            sourcing_webhooks::Fen(order.freight_fen),
            order.created_ms,
            order.paid_ms,
        );
        let settings = formats::WithSecret(crate::credentials::APP_SECRET.into());
        let Some(Ok(format)) = sourcing_registry::kit(provider)
            .and_then(|kit| kit.callbacks)
            .map(|factory| factory(&settings))
        else {
            return;
        };
        let now = now_ms();
        let sent = match format.encode(event, &facts, now) {
            Ok(sent) => sent,
            Err(undocumented) => {
                tracing::debug!(%undocumented, "no callback sent");
                return;
            }
        };
        d.next_delivery += 1;
        d.pending.push(Delivery {
            id: d.next_delivery,
            provider: provider.to_string(),
            url,
            event,
            order_id: id.to_string(),
            content_type: sent.content_type.to_string(),
            body: sent.body,
            attempts: 0,
            next_at_ms: now,
            last_error: None,
        });
    }

    /// Adjust `data` for stateful operations; `Err` is a refusal to answer instead.
    pub(crate) fn apply(
        &self,
        provider: &Provider,
        op: &Operation,
        query: &[(String, String)],
        body: Option<&Value>,
        data: &mut Value,
    ) -> Result<(), Refusal> {
        let answer = match op.flow_role {
            Some(Role::PayOne) => match query_or_body_order_id(query, body) {
                Some(id) => self.pay_one(provider, op, &id)?,
                None => return Ok(()),
            },
            Some(Role::PayBatch) => self.pay_batch(provider, op, body)?,
            Some(Role::Create) => self.create(provider, body)?,
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

    fn pay_one(&self, provider: &Provider, op: &Operation, id: &str) -> Result<Value, Refusal> {
        self.transition(provider, id, OrderEvent::Paid)?;
        Ok(if documents(op, "protocolPaySuccess") {
            // PandaPon's documented pay result.
            json!({"orderId": id, "protocolPaySuccess": true, "cantPayOrderList": []})
        } else {
            // No published response: only what the flow needs, marked as the sandbox's.
            json!({"orderId": id, "sandbox": true})
        })
    }

    /// Every requested id is answered, in one of the two lists, and no other id: unknown ones fail.
    fn pay_batch(
        &self,
        provider: &Provider,
        op: &Operation,
        body: Option<&Value>,
    ) -> Result<Value, Refusal> {
        let ids: Vec<String> = batch_order_ids(body)
            .map(|a| a.iter().filter_map(catalogue::id_text).collect())
            .unwrap_or_default();
        let (ok_field, failed_field, id_field, reason_field) = outcome_fields(op);
        let outcomes = self
            .update(|d| {
                ids.iter()
                    .map(|id| {
                        self.transition_in(d, provider.name, id, OrderEvent::Paid)
                            .map_err(|blocked| match blocked {
                                None => format!("order {id} does not exist (sandbox)"),
                                Some(OrderState::Cancelled) => "order is cancelled".to_owned(),
                                Some(_) => "already paid".to_owned(),
                            })
                    })
                    .collect::<Vec<_>>()
            })
            .map_err(Refusal::Storage)?;
        let (mut ok, mut failed) = (Vec::new(), Vec::new());
        for (id, outcome) in ids.iter().zip(outcomes) {
            match outcome {
                Ok(()) => ok.push(json!(id)),
                Err(reason) => failed.push(json!({id_field: id, reason_field: reason})),
            }
        }
        Ok(json!({ok_field: ok, failed_field: failed}))
    }

    fn create(&self, provider: &Provider, body: Option<&Value>) -> Result<Value, Refusal> {
        let (goods, freight) = catalogue::totals(&catalogue::lines(body));
        let id = self
            .update(|d| {
                let id = d.new_order_id(provider.name);
                d.insert_order(
                    provider.name,
                    &id,
                    Order {
                        state: OrderState::WaitingForPayment,
                        goods_fen: goods,
                        freight_fen: freight,
                        created_ms: now_ms(),
                        paid_ms: None,
                    },
                );
                self.queue(d, provider.name, &id, OrderEvent::Created);
                id
            })
            .map_err(Refusal::Storage)?;
        Ok(json!({
            "orderId": id,
            "status": OrderState::WaitingForPayment.push_name(),
            "sandbox": true,
        }))
    }

    fn state(&self, provider: &Provider, id: &str) -> Result<OrderState, Refusal> {
        self.update(|d| d.order(provider.name, id).map(|o| o.state))
            .map_err(Refusal::Storage)?
            .ok_or_else(|| Refusal::Business(respond::unknown_order(provider, id)))
    }

    /// The order's state: where the vendor documents the order (Dajisaas, 1688's buyerView) the documented
    /// answer with the state in its untyped `baseInfo`; otherwise the sandbox's minimal answer.
    fn detail(
        &self,
        provider: &Provider,
        op: &Operation,
        id: &str,
        documented: &Value,
    ) -> Result<Value, Refusal> {
        let state = self.state(provider, id)?;
        let base_info = json!({"id": id, "status": state.trade_status()});
        if documents(op, "baseInfo") && documented.is_object() {
            let mut answer = documented.clone();
            answer["baseInfo"] = base_info;
            return Ok(answer);
        }
        Ok(json!({
            "orderId": id,
            "status": state.push_name(),
            "baseInfo": base_info,
            "sandbox": true,
        }))
    }

    fn cancel_answer(
        &self,
        provider: &Provider,
        op: &Operation,
        id: &str,
    ) -> Result<Value, Refusal> {
        self.transition(provider, id, OrderEvent::Cancelled)?;
        Ok(if documents(op, "errorMessage") {
            // Dajisaas's published success example.
            json!({"success": true, "errorCode": null, "errorMessage": null})
        } else {
            json!(true)
        })
    }

    /// Whether any provider's order `id` is in `state` (tests).
    pub(crate) fn any_in(&self, id: &str, state: OrderState) -> bool {
        self.update(|d| {
            d.orders
                .values()
                .any(|orders| orders.get(id).is_some_and(|o| o.state == state))
        })
        .unwrap_or(false)
    }
}
