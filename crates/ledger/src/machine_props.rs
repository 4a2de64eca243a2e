//! Property test of the transition table against the real SQLite store: random interleavings of payment
//! intents from two ledger instances (two connections to one file), their delivery to a model vendor,
//! answers (done, refused, lost), crashes (an answer that never comes), callbacks reporting any state the
//! vendor had (late, repeated, out of order), vendor-side moves (ship, cancel) and reconcile reads, checking
//! after every step:
//! * never two payments of one order (no payment intent passes while the vendor has the order paid or
//!   another payment is on its way);
//! * never a state moved back (the ranks of the settled states the entry takes never decrease: the
//!   model vendor and its callbacks are truthful, so nothing may lower them);
//! * an unknown outcome is settled only by a read (after an answer is lost, the next state change by
//!   the buyer's own steps is never the one leaving the unknown state).

use crate::machine::{Answer, Read, Step};
use crate::{CallbackReport, Ledger, OrderState, ReadSettings};
use proptest::prelude::*;
use sourcing_buy::Provider;
use sourcing_buy::journal::Intent;
use std::time::Duration;

const ORDER: &str = "3305075341149134999";

#[derive(Clone, Debug)]
enum Op {
    /// Instance `0..2` records a payment intent (sent if the ledger lets it).
    PayIntent(usize),
    /// The `n`th request on its way reaches the vendor.
    Deliver(usize),
    /// The `n`th request's answer comes back (`lost`: unreadable, outcome unknown).
    Answer {
        n: usize,
        lost: bool,
    },
    /// The process sending the `n`th request dies: no answer is ever recorded.
    Crash(usize),
    /// A callback reporting the vendor's `n`th state so far (any order, repeated).
    Callback(usize),
    /// Reconcile reads the order.
    Reconcile,
    Ship,
    VendorCancel,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize).prop_map(Op::PayIntent),
        2 => (0..3usize).prop_map(Op::Deliver),
        2 => ((0..3usize), any::<bool>()).prop_map(|(n, lost)| Op::Answer { n, lost }),
        1 => (0..3usize).prop_map(Op::Crash),
        2 => (0..4usize).prop_map(Op::Callback),
        2 => Just(Op::Reconcile),
        1 => Just(Op::Ship),
        1 => Just(Op::VendorCancel),
    ]
}

struct Request {
    delivered: bool,
    paid_by_it: bool,
}

/// The vendor's truth.
struct Vendor {
    state: OrderState,
    history: Vec<OrderState>,
    payments: u32,
}

fn status_text(state: OrderState) -> Option<&'static str> {
    match state {
        OrderState::Created => Some("WAITING_FOR_PAYMENT"),
        OrderState::Paid => Some("WAITING_FOR_SENT"),
        OrderState::Cancelled => Some("CANCEL"),
        _ => None,
    }
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = crate::test_dir();
    let url = format!("sqlite:{}", dir.join("props.db").display());
    let ledgers = [
        Ledger::open(&url).await.unwrap(),
        Ledger::open(&url).await.unwrap(),
    ];
    let mut vendor = Vendor {
        state: OrderState::Created,
        history: vec![OrderState::Created],
        payments: 0,
    };
    let mut flying: Vec<Request> = Vec::new();
    let mut settled_ranks: Vec<u8> = Vec::new();
    for op in ops {
        match op {
            Op::PayIntent(i) => {
                let intent = Intent::Pay { order_id: ORDER };
                if ledgers[i]
                    .record_intent(Provider::Pandapon, &intent)
                    .await
                    .is_ok()
                {
                    prop_assert!(
                        !matches!(vendor.state, OrderState::Paid | OrderState::Shipped)
                            && flying.is_empty(),
                        "a payment passed while the vendor has {} and {} on the way",
                        vendor.state,
                        flying.len()
                    );
                    flying.push(Request {
                        delivered: false,
                        paid_by_it: false,
                    });
                }
            }
            Op::Deliver(n) if !flying.is_empty() => {
                let at = n % flying.len();
                let request = &mut flying[at];
                if !request.delivered {
                    request.delivered = true;
                    if vendor.state == OrderState::Created {
                        vendor.state = OrderState::Paid;
                        vendor.history.push(OrderState::Paid);
                        vendor.payments += 1;
                        request.paid_by_it = true;
                    }
                }
            }
            Op::Answer { n, lost } if !flying.is_empty() => {
                let request = flying.remove(n % flying.len());
                let answer = match (lost, request.delivered, request.paid_by_it) {
                    (true, _, _) => Answer::Unknown,
                    (false, true, true) => Answer::Done,
                    (false, true, false) => Answer::Refused,
                    // Not delivered yet: it is, now, and answered.
                    (false, false, _) if vendor.state == OrderState::Created => {
                        vendor.state = OrderState::Paid;
                        vendor.history.push(OrderState::Paid);
                        vendor.payments += 1;
                        Answer::Done
                    }
                    (false, false, _) => Answer::Refused,
                };
                ledgers[0]
                    .record_answer(Provider::Pandapon, ORDER, Step::Pay, answer)
                    .await
                    .unwrap();
            }
            Op::Crash(n) if !flying.is_empty() => {
                flying.remove(n % flying.len());
            }
            Op::Callback(n) => {
                let reported = vendor.history[n % vendor.history.len()];
                let report = CallbackReport {
                    provider: Provider::Pandapon,
                    order_id: ORDER,
                    status: status_text(reported),
                    message_type: "ORDER_STATUS_CHANGE",
                    body: "{}",
                };
                ledgers[1].record_callback(&report).await.unwrap();
            }
            Op::Reconcile => {
                // With a request on its way the read comes within the in-flight window; without one,
                // later (after a crash, the window has passed).
                let settings = ReadSettings {
                    in_flight: if flying.is_empty() {
                        Duration::ZERO
                    } else {
                        Duration::from_secs(3600)
                    },
                    ..ReadSettings::default()
                };
                for entry in ledgers[0].due(&settings).await.unwrap() {
                    ledgers[0]
                        .apply(entry, Read::Shows(vendor.state), Default::default())
                        .await
                        .unwrap();
                }
            }
            Op::Ship if vendor.state == OrderState::Paid => {
                vendor.state = OrderState::Shipped;
                vendor.history.push(OrderState::Shipped);
            }
            Op::VendorCancel if vendor.state == OrderState::Created && flying.is_empty() => {
                vendor.state = OrderState::Cancelled;
                vendor.history.push(OrderState::Cancelled);
            }
            _ => {}
        }
        prop_assert!(vendor.payments <= 1, "two payments");
        if let Ok((entry, _)) = ledgers[0].show(ORDER, None).await
            && !entry.state.is_unknown()
        {
            if let Some(&last) = settled_ranks.last() {
                prop_assert!(
                    entry.state.rank() >= last,
                    "moved back to {} (rank {} < {last})",
                    entry.state,
                    entry.state.rank()
                );
            }
            settled_ranks.push(entry.state.rank());
        }
    }
    if let Ok((_, events)) = ledgers[0].show(ORDER, None).await {
        for pair in events.windows(2) {
            let (lost, next) = (&pair[0], &pair[1]);
            let unknown_answer = lost.kind == crate::EventKind::PayUnknown;
            if unknown_answer && next.state_after != lost.state_after {
                prop_assert!(
                    next.source != "buy",
                    "an unknown outcome settled by {} ({})",
                    next.kind,
                    next.source
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_interleavings_keep_the_invariants(ops in proptest::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(ops))?;
    }
}
