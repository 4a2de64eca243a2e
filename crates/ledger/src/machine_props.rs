//! Property test of the transition table against the real SQLite store: random interleavings of payment,
//! cancel and receipt intents from two ledger instances (two connections to one file), their delivery to a model vendor,
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
use sourcing_buy::journal::Intent;
use std::time::Duration;

const ORDER: &str = "3305075341149134999";

#[derive(Clone, Debug)]
enum Op {
    /// Instance `0..2` records the intent of a step (sent if the ledger lets it).
    Intent(usize, Step),
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
    let step = prop_oneof![4 => Just(Step::Pay), 1 => Just(Step::Cancel), 1 => Just(Step::Receipt)];
    prop_oneof![
        4 => ((0..2usize), step).prop_map(|(i, s)| Op::Intent(i, s)),
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
    step: Step,
    delivered: bool,
    done_by_it: bool,
}

/// The vendor's truth.
struct Vendor {
    state: OrderState,
    history: Vec<OrderState>,
    payments: u32,
}

impl Vendor {
    fn go(&mut self, state: OrderState) {
        self.state = state;
        self.history.push(state);
    }

    /// A step reaching the vendor: done where the order's state allows it.
    fn receive(&mut self, step: Step) -> bool {
        let to = match (step, self.state) {
            (Step::Pay, OrderState::Created) => OrderState::Paid,
            (Step::Cancel, OrderState::Created) => OrderState::Cancelled,
            (Step::Receipt, OrderState::Shipped) => OrderState::Received,
            _ => return false,
        };
        if step == Step::Pay {
            self.payments += 1;
        }
        self.go(to);
        true
    }

    fn is_paid(&self) -> bool {
        matches!(
            self.state,
            OrderState::Paid | OrderState::Shipped | OrderState::Received
        )
    }
}

fn intent(step: Step) -> Intent<'static> {
    static ORDER_ID: std::sync::LazyLock<sourcing_buy::OrderId> =
        std::sync::LazyLock::new(|| sourcing_buy::OrderId::new(ORDER));
    let order_id = &*ORDER_ID;
    match step {
        Step::Pay | Step::Create => Intent::Pay { order_id },
        Step::Cancel => Intent::Cancel {
            order_id,
            reason: "test",
        },
        Step::Receipt => Intent::ConfirmReceipt {
            order_id,
            sub_order_ids: &[],
        },
    }
}

fn status_text(state: OrderState) -> Option<&'static str> {
    match state {
        OrderState::Created => Some("WAITING_FOR_PAYMENT"),
        OrderState::Paid => Some("WAITING_FOR_SENT"),
        OrderState::Cancelled => Some("CANCEL"),
        _ => None,
    }
}

/// Two ledger instances on one store, the model vendor, the requests on their way, and the ranks of the
/// settled states seen so far.
struct World {
    ledgers: [Ledger; 2],
    vendor: Vendor,
    flying: Vec<Request>,
    settled_ranks: Vec<u8>,
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = crate::test_dir();
    let url = format!("sqlite:{}", dir.join("props.db").display());
    let mut world = World {
        ledgers: [
            Ledger::open(&url).await.unwrap(),
            Ledger::open(&url).await.unwrap(),
        ],
        vendor: Vendor {
            state: OrderState::Created,
            history: vec![OrderState::Created],
            payments: 0,
        },
        flying: Vec::new(),
        settled_ranks: Vec::new(),
    };
    for op in ops {
        world.apply(op).await?;
        world.check_step().await?;
    }
    world.check_unknown_settled_by_reads().await
}

impl World {
    async fn apply(&mut self, op: Op) -> Result<(), TestCaseError> {
        let flying = self.flying.len();
        match op {
            Op::Intent(i, step) => self.intent(i, step).await?,
            Op::Deliver(n) if flying > 0 => {
                let request = &mut self.flying[n % flying];
                if !request.delivered {
                    request.delivered = true;
                    request.done_by_it = self.vendor.receive(request.step);
                }
            }
            Op::Answer { n, lost } if flying > 0 => self.answer(n % flying, lost).await,
            Op::Crash(n) if flying > 0 => {
                self.flying.remove(n % flying);
            }
            Op::Callback(n) => self.callback(n).await,
            Op::Reconcile => self.reconcile().await,
            Op::Ship if self.vendor.state == OrderState::Paid => {
                self.vendor.go(OrderState::Shipped)
            }
            Op::VendorCancel if self.vendor.state == OrderState::Created && flying == 0 => {
                self.vendor.go(OrderState::Cancelled)
            }
            _ => {}
        }
        Ok(())
    }

    /// Instance `i` records the intent of `step`; sent (on its way) if the ledger lets it.
    async fn intent(&mut self, i: usize, step: Step) -> Result<(), TestCaseError> {
        let step_intent = intent(step);
        let recorded =
            self.ledgers[i].record_intent(sourcing_buy::providers::PANDAPON, &step_intent);
        if recorded.await.is_err() {
            return Ok(());
        }
        // (Another step may pass once a callback reported the one on its way done.)
        prop_assert!(
            step != Step::Pay || self.flying.is_empty(),
            "a payment passed while {} requests are on the way",
            self.flying.len()
        );
        prop_assert!(
            step != Step::Pay || !self.vendor.is_paid(),
            "a payment passed while the vendor has the order {}",
            self.vendor.state
        );
        self.flying.push(Request {
            step,
            delivered: false,
            done_by_it: false,
        });
        Ok(())
    }

    /// The answer of the request at `at` comes back (`lost`: unreadable, outcome unknown).
    async fn answer(&mut self, at: usize, lost: bool) {
        let mut request = self.flying.remove(at);
        if !request.delivered && !lost {
            // Delivered now, and answered.
            request.done_by_it = self.vendor.receive(request.step);
        }
        let answer = match (lost, request.done_by_it) {
            (true, _) => Answer::Unknown,
            (false, true) => Answer::Done,
            (false, false) => Answer::Refused,
        };
        self.ledgers[0]
            .record_answer(
                sourcing_buy::providers::PANDAPON,
                ORDER,
                request.step,
                answer,
            )
            .await
            .unwrap();
    }

    /// A callback reporting the vendor's `n`th state so far.
    async fn callback(&self, n: usize) {
        let reported = self.vendor.history[n % self.vendor.history.len()];
        let report = CallbackReport {
            provider: "pandapon",
            order_id: ORDER,
            status: status_text(reported),
            message_type: "ORDER_STATUS_CHANGE",
            body: "{}",
        };
        self.ledgers[1].record_callback(&report).await.unwrap();
    }

    /// Reconcile reads the order: with a request on its way the read comes within the in-flight window;
    /// without one, later (after a crash, the window has passed).
    async fn reconcile(&self) {
        let settings = ReadSettings {
            in_flight: if self.flying.is_empty() {
                Duration::ZERO
            } else {
                Duration::from_secs(3600)
            },
            ..ReadSettings::default()
        };
        for entry in self.ledgers[0].due(&settings).await.unwrap() {
            self.ledgers[0]
                .apply(entry, Read::Shows(self.vendor.state), Default::default())
                .await
                .unwrap();
        }
    }

    /// After every step: never two payments, never a settled state moved back.
    async fn check_step(&mut self) -> Result<(), TestCaseError> {
        prop_assert!(self.vendor.payments <= 1, "two payments");
        if let Ok((entry, _)) = self.ledgers[0].show(ORDER, None).await
            && !entry.state.is_unknown()
        {
            if let Some(&last) = self.settled_ranks.last() {
                prop_assert!(
                    entry.state.rank() >= last,
                    "moved back to {} (rank {} < {last})",
                    entry.state,
                    entry.state.rank()
                );
            }
            self.settled_ranks.push(entry.state.rank());
        }
        Ok(())
    }

    /// At the end: a lost answer that left its own step's unknown state (not one a callback had moved on
    /// from, nor another step's on its way) was left by a read or a callback, never by the buyer's steps.
    async fn check_unknown_settled_by_reads(&self) -> Result<(), TestCaseError> {
        let Ok((_, events)) = self.ledgers[0].show(ORDER, None).await else {
            return Ok(());
        };
        for pair in events.windows(2) {
            let (lost, next) = (&pair[0], &pair[1]);
            let unknown_answer = [Step::Pay, Step::Cancel, Step::Receipt]
                .into_iter()
                .any(|step| {
                    lost.kind.name() == step.unknown().name() && lost.state_after == step.unknown()
                });
            if unknown_answer && next.state_after != lost.state_after {
                prop_assert!(
                    next.source != "buy",
                    "an unknown outcome settled by {} ({})",
                    next.kind,
                    next.source
                );
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_interleavings_keep_the_invariants(ops in proptest::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(ops))?;
    }
}
