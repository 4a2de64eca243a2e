//! Money moves only after confirmation. Preparing an order or a payment issues a one-time token bound to
//! exactly that action (provider, orders or draft); confirming with the token does it once. A token is
//! consumed by its first use — also a refused one (wrong action, expired) — so it never works twice, never
//! for another action, and never after its time-to-live. Where the client supports elicitation the person
//! is asked instead and no token exists for the model to use.

use serde::{Deserialize, Serialize};
use sourcing_buy::{Flow, OrderDraft, OrderId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What time it is, for token expiry: injectable so tests move time instead of sleeping.
pub trait Clock: Send + Sync + 'static {
    /// Time elapsed since an arbitrary fixed origin.
    fn now(&self) -> Duration;
}

/// The monotonic clock.
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::SeqCst))
    }
}

impl<C: Clock> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

/// An action that needs confirmation, exactly as prepared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    CreateOrder {
        #[serde(with = "provider_name")]
        #[schemars(with = "String")]
        provider: Flow,
        draft: Box<OrderDraft>,
    },
    Pay {
        #[serde(with = "provider_name")]
        #[schemars(with = "String")]
        provider: Flow,
        order_ids: Vec<OrderId>,
    },
}

/// A provider as its name (`pandapon`).
mod provider_name {
    use sourcing_buy::Flow;

    pub fn serialize<S: serde::Serializer>(p: &Flow, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(p.name())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Flow, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        sourcing_registry::flow(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown provider {name:?}")))
    }
}

impl Action {
    pub fn provider(&self) -> Flow {
        match self {
            Action::CreateOrder { provider, .. } | Action::Pay { provider, .. } => *provider,
        }
    }

    /// One line for the person: what will happen.
    pub fn describe(&self) -> String {
        match self {
            Action::CreateOrder { provider, draft } => format!(
                "Create an order on {provider}: {} line(s) ({}), delivered to {} in {} {}.",
                draft.lines.len(),
                draft
                    .lines
                    .iter()
                    .map(|l| format!("offer {} spec {} x{}", l.offer_id, l.spec_id, l.quantity))
                    .collect::<Vec<_>>()
                    .join("; "),
                draft.address.full_name,
                draft.address.province,
                draft.address.city
            ),
            Action::Pay {
                provider,
                order_ids,
            } => format!(
                "Pay {} order(s) on {provider}: {}.",
                order_ids.len(),
                order_ids
                    .iter()
                    .map(OrderId::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Why a token was refused. The token is gone in every case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued, or already used.
    Unknown,
    Expired,
    /// Issued for another action (other orders, another provider, another draft).
    Mismatch {
        prepared: String,
    },
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Unknown => "unknown token: it was never issued by this server or was already used (a token works once); prepare the action again".into(),
            Refusal::Expired => "the token has expired; prepare the action again".into(),
            Refusal::Mismatch { prepared } => format!(
                "the token was issued for another action ({prepared}); it is now void: prepare this action to get its own token"
            ),
        }
    }
}

struct Pending {
    action: Action,
    expires: Duration,
}

/// At most this many unconfirmed tokens are kept (the oldest to expire goes first).
const MAX_PENDING: usize = 64;

/// The tokens issued and not yet used.
pub struct Confirmations {
    clock: Box<dyn Clock>,
    ttl: Duration,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Confirmations {
    pub fn new(clock: Box<dyn Clock>, ttl: Duration) -> Self {
        Confirmations {
            clock,
            ttl,
            pending: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A fresh token (128 random bits) bound to `action`, valid for the time-to-live.
    pub fn issue(&self, action: Action) -> String {
        let token = format!("ct_{:032x}", rand::random::<u128>());
        let now = self.clock.now();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, p| p.expires > now);
        while pending.len() >= MAX_PENDING {
            let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.expires)
                .map(|(t, _)| t.clone())
            else {
                break;
            };
            pending.remove(&oldest);
        }
        pending.insert(
            token.clone(),
            Pending {
                action,
                expires: now + self.ttl,
            },
        );
        token
    }

    /// Consumes `token`: `Ok` only when it was issued for exactly `action` and has not expired.
    pub fn redeem(&self, token: &str, action: &Action) -> Result<(), Refusal> {
        let now = self.clock.now();
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token)
            .ok_or(Refusal::Unknown)?;
        if pending.expires <= now {
            return Err(Refusal::Expired);
        }
        if &pending.action != action {
            return Err(Refusal::Mismatch {
                prepared: pending.action.describe(),
            });
        }
        Ok(())
    }
}

/// The person's answer to "do it?", asked through the client (MCP elicitation).
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Approval {
    /// Yes: do exactly this, once.
    pub approve: bool,
}

rmcp::elicit_safe!(Approval);

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(ids: &[&str]) -> Action {
        Action::Pay {
            provider: sourcing_buy::providers::XPORTCN,
            order_ids: ids.iter().map(|s| OrderId::new(*s)).collect(),
        }
    }

    #[test]
    fn a_token_works_once_for_its_action_before_it_expires() {
        let clock = Arc::new(ManualClock::default());
        let c = Confirmations::new(Box::new(clock.clone()), Duration::from_secs(60));
        let token = c.issue(pay(&["1"]));
        assert_eq!(c.redeem(&token, &pay(&["1"])), Ok(()));
        assert_eq!(c.redeem(&token, &pay(&["1"])), Err(Refusal::Unknown));

        let token = c.issue(pay(&["1"]));
        assert!(matches!(
            c.redeem(&token, &pay(&["2"])),
            Err(Refusal::Mismatch { .. })
        ));
        assert_eq!(c.redeem(&token, &pay(&["1"])), Err(Refusal::Unknown));

        let token = c.issue(pay(&["1"]));
        clock.advance(Duration::from_secs(60));
        assert_eq!(c.redeem(&token, &pay(&["1"])), Err(Refusal::Expired));
    }
}
