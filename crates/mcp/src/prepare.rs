//! Money moves only after confirmation: `buy_prepare_order` / `buy_prepare_payment` say what will happen
//! (the action, the amounts known beforehand with their unit) and issue a one-time token
//! ([`super::confirm`]); `buy_confirm` with the token does it once. Where the client supports elicitation,
//! the prepare step asks the person instead and acts only on yes.

use super::answers::{Answer, Answers, Executed, Prepared, answer, to_result};
use super::confirm::{Action, Approval, Confirmations};
use super::guard::{Guard, Guards};
use rmcp::model::CallToolResult;
use rmcp::service::{ElicitationError, ElicitationMode};
use rmcp::{Peer, RoleServer};
use serde_json::{Value, json};
use sourcing_buy::{Buyer, Error, Step, Support};

/// The confirming tool's name.
pub const CONFIRM: &str = "buy_confirm";

/// What a workflow call may use besides its arguments.
pub struct Context<'a> {
    pub guards: Guards,
    pub confirmations: &'a Confirmations,
    /// The client, to ask the person where it supports elicitation.
    pub peer: Option<&'a Peer<RoleServer>>,
}

/// What will happen: the action, with the amounts that can be read beforehand (read-only calls).
async fn describe(buyer: &Buyer, action: Action) -> Prepared {
    let mut prepared = Prepared {
        summary: action.describe(),
        action,
        preview: None,
        orders: None,
        amounts_note: None,
        confirmation: "token",
        token: None,
        expires_in_seconds: None,
        outcome: None,
    };
    match &prepared.action {
        Action::CreateOrder { draft, .. } => match Box::pin(buyer.preview(draft)).await {
            Ok(p) if p.orders.is_empty() => {
                prepared.amounts_note = Some(format!(
                    "{} documents no amounts in its preview",
                    buyer.flow()
                ));
                prepared.preview = Some(p);
            }
            Ok(p) => prepared.preview = Some(p),
            Err(e) => prepared.amounts_note = Some(format!("the preview failed: {e}")),
        },
        Action::Pay { order_ids, .. } => {
            let mut orders = Vec::new();
            for id in order_ids {
                match Box::pin(buyer.order(id)).await {
                    Ok(o) => orders.push(o),
                    Err(e) => {
                        prepared.amounts_note = Some(format!("amounts not known beforehand: {e}"));
                        break;
                    }
                }
            }
            if prepared.amounts_note.is_none() {
                prepared.orders = Some(orders);
            }
        }
    }
    prepared
}

fn action_guard(action: &Action) -> Guard {
    match action {
        Action::CreateOrder { .. } => Guard::Write,
        Action::Pay { .. } => Guard::Payment,
    }
}

fn refused(message: String) -> CallToolResult {
    CallToolResult::structured_error(json!({"error": "refused", "message": message, "sent": false}))
}

pub async fn prepare(buyer: &Buyer, action: Action, cx: &Context<'_>) -> CallToolResult {
    let step = match &action {
        Action::CreateOrder { .. } => Step::CreateOrder,
        Action::Pay { order_ids, .. } if order_ids.len() > 1 => Step::PayBatch,
        Action::Pay { .. } => Step::Pay,
    };
    // An unsupported step is said now, not after the person was asked.
    let refusal = match buyer.support(step) {
        s if s.is_enabled() => None,
        Support::NotAvailable { reason } => Some(Error::Unsupported {
            provider: buyer.flow(),
            step,
            reason,
        }),
        Support::ThirdParty { feature, .. } => Some(Error::NotEnabled {
            provider: buyer.flow(),
            step,
            feature,
        }),
        Support::Published { .. } => None,
    };
    if let Some(e) = refusal {
        let a: Answer<Prepared> = Answer::failed(buyer.flow(), &e, false);
        return to_result(&Answers { results: vec![a] });
    }
    let mut prepared = Box::pin(describe(buyer, action)).await;
    match cx.peer.filter(|p| {
        p.supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
    }) {
        Some(peer) => {
            let question = format!(
                "{}{} Do it? (sent once, never retried)",
                prepared.summary,
                amounts_line(&prepared)
            );
            match peer.elicit::<Approval>(question).await {
                Ok(Some(Approval { approve: true })) => {
                    prepared.confirmation = "approved";
                    prepared.outcome = Some(Box::pin(execute(buyer, &prepared.action)).await);
                }
                Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
                    prepared.confirmation = "declined";
                }
                Err(e) => {
                    return refused(format!(
                        "could not ask the person to confirm ({e}); nothing was sent"
                    ));
                }
            }
        }
        None => {
            prepared.token = Some(cx.confirmations.issue(prepared.action.clone()));
            prepared.expires_in_seconds = Some(cx.confirmations.ttl().as_secs());
        }
    }
    let failed = prepared
        .outcome
        .as_ref()
        .is_some_and(|o| o.results.iter().all(|a| a.error.is_some()));
    let value = serde_json::to_value(&prepared).unwrap_or(Value::Null);
    if failed {
        CallToolResult::structured_error(value)
    } else {
        CallToolResult::structured(value)
    }
}

/// The amounts for the person's question, with their units.
fn amounts_line(p: &Prepared) -> String {
    let totals: Vec<String> = match (&p.preview, &p.orders) {
        (Some(preview), _) => preview
            .orders
            .iter()
            .filter_map(|o| o.total.map(|t| format!("total {t}")))
            .collect(),
        (_, Some(orders)) => orders
            .iter()
            .flat_map(|o| {
                o.items
                    .iter()
                    .filter_map(move |i| i.amount.map(|a| format!("order {}: {a}", o.order_id)))
            })
            .collect(),
        _ => Vec::new(),
    };
    if totals.is_empty() {
        format!(
            " Amounts: {}.",
            p.amounts_note.as_deref().unwrap_or("not known beforehand")
        )
    } else {
        format!(" Amounts: {}.", totals.join("; "))
    }
}

pub async fn confirm(
    buyer: &Buyer,
    token: &str,
    action: Action,
    cx: &Context<'_>,
) -> CallToolResult {
    let guard = action_guard(&action);
    if !cx.guards.allows(guard) {
        return CallToolResult::structured_error(cx.guards.refusal(CONFIRM, guard));
    }
    if action.provider() != buyer.flow() {
        return refused(format!(
            "provider {} differs from the action's {}",
            buyer.flow().name(),
            action.provider().name()
        ));
    }
    if let Err(refusal) = cx.confirmations.redeem(token, &action) {
        return refused(refusal.message());
    }
    to_result(&Box::pin(execute(buyer, &action)).await)
}

/// Does a confirmed action, once.
async fn execute(buyer: &Buyer, action: &Action) -> Answers<Executed> {
    let result = match action {
        Action::CreateOrder { draft, .. } => Box::pin(buyer.create_order(draft))
            .await
            .map(|c| Executed::Created(Box::new(c))),
        Action::Pay { order_ids, .. } => match order_ids.as_slice() {
            [one] => Box::pin(buyer.pay(one)).await.map(Executed::Paid),
            _ => Box::pin(buyer.pay_batch(order_ids))
                .await
                .map(Executed::PaidBatch),
        },
    };
    Answers {
        results: vec![answer(buyer.flow(), result, true)],
    }
}
