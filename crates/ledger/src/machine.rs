//! The order state machine as data: **the one place** that says which input moves an order from which state
//! to which, and what event it records. The journal (our own steps), callbacks and reconcile describe what
//! happened as an [`Input`], call [`transition`] and write what it answers; none of them decides a state.
//!
//! Rules, as [`transition`] implements them (docs/ledger.md renders the table from this file):
//! * **Precedence.** States have ranks ([`OrderState::rank`]); a callback moves an order only to a higher
//!   rank, and what it reports is *reported* (unconfirmed) until a read or our own answer confirms it.
//! * **Never back.** Our own answer never lowers a settled state (a late "paid" after a reported "shipped"
//!   is recorded and changes nothing); a read that contradicts a *confirmed* state of a higher rank is not
//!   applied but marked for a person.
//! * **Unknown only settles by a read.** A `*_unknown` state (a step sent whose answer never came) leaves
//!   only by its own step's answer (while that call is in flight) or by an order read; a callback may move
//!   it forward as reported, never settle it as "not done".
//! * **A raw answer settles nothing.** A raw call's answer (`sourcing <provider> order-pay-url`…) is not read
//!   by the facade: it is recorded (`answered_raw`, with the body) and the step stays `*_unknown` until a read.
//! * **No second payment.** A payment is refused before sending while any step's outcome is unknown and
//!   once the order is paid or beyond (reported or confirmed).

use crate::state::OrderState;
use sourcing_buy::StatusKind;

/// An order step the buyer sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Create the order at the vendor.
    Create,
    /// Pay it.
    Pay,
    /// Cancel it.
    Cancel,
    /// Confirm receipt of the goods.
    Receipt,
}

impl Step {
    /// Every step, in the order of an order's life.
    pub const ALL: [Step; 4] = [Step::Create, Step::Pay, Step::Cancel, Step::Receipt];

    /// The state while the step's outcome is not known (sent, no answer recorded).
    pub fn unknown(self) -> OrderState {
        match self {
            Step::Create => OrderState::CreateUnknown,
            Step::Pay => OrderState::PayUnknown,
            Step::Cancel => OrderState::CancelUnknown,
            Step::Receipt => OrderState::ReceiptUnknown,
        }
    }

    /// The state once the vendor did it.
    pub fn done(self) -> OrderState {
        match self {
            Step::Create => OrderState::Created,
            Step::Pay => OrderState::Paid,
            Step::Cancel => OrderState::Cancelled,
            Step::Receipt => OrderState::Received,
        }
    }

    /// The step's name, as messages and the history write it.
    pub fn name(self) -> &'static str {
        match self {
            Step::Create => "create",
            Step::Pay => "pay",
            Step::Cancel => "cancel",
            Step::Receipt => "receipt",
        }
    }
}

/// How our own step ended, as the journal classifies the buyer's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answer {
    /// The vendor did it.
    Done,
    /// A create answered without any order id: the order may exist; only a read by our own order number
    /// can tell.
    NoOrderId,
    /// The call went through but the vendor publishes no result (Dajisaas payment): a read tells.
    Accepted,
    /// The vendor asks to pay by hand (nothing was paid).
    PayByHand,
    /// The vendor answered "no" in its envelope: not done.
    Refused,
    /// The vendor answered with a success flag `false` (cancel, receipt): not done.
    Declined,
    /// Refused before sending (bad input): not done.
    NotSent,
    /// No readable answer: whether it happened is unknown.
    Unknown,
    /// The vendor answered a raw call (`sourcing <provider> <operation>`) whose body the facade does not
    /// read: recorded, settles nothing (the step stays unknown until an order read tells).
    Raw,
}

/// What an order read showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Read {
    /// A state a vendor document names.
    Shows(OrderState),
    /// The read failed (transport, vendor error): safe to repeat.
    Failed,
    /// The read failed the configured number of times in a row.
    FailedTooOften,
    /// The answer could not be decoded: re-reading would fail the same way.
    Undecodable,
    /// The answer names no state a document names.
    NoState,
    /// The provider publishes no order read.
    NoRead,
    /// No order id to read by, and no read by our own order number.
    NoOrderId,
    /// The read by our own order number found no order: a create that never happened.
    NotFound,
}

/// What happened to an order: the input of [`transition`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Input {
    /// A preview of a draft answered (no order yet).
    Previewed,
    /// A step is about to be sent: recorded before sending, or refused (nothing sent).
    Requested(Step),
    /// Our own step's answer.
    Answered(Step, Answer),
    /// A callback about an order the ledger already has, reporting a state (`None`: none a document names).
    Reported(Option<OrderState>),
    /// The first thing the ledger hears of an order is a callback.
    ReportedFirst(Option<OrderState>),
    /// An order read (reconcile).
    Read(Read),
    /// The entry's order turned out to be another entry's; its history continues there.
    Merged,
    /// Another entry of this order merged into this one (its external id and amount join it).
    Joined,
    /// A person settled what the order needed them for (the operator console's "mark handled"): the mark
    /// is cleared, the state left as it is (only a read or our own answer sets it).
    Handled,
}

/// The kind of an event in an order's history: stored by name ([`EventKind::name`], [`EventKind::from_name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A preview of a draft answered.
    Previewed,
    /// An order creation is about to be sent (recorded before sending).
    CreateRequested,
    /// The vendor created the order.
    Created,
    /// The vendor answered the creation without an order id: the order stays unknown until a read.
    CreatedWithoutId,
    /// The vendor refused the creation.
    CreateFailed,
    /// The creation's answer never came: it may have happened.
    CreateUnknown,
    /// A payment is about to be sent (recorded before sending).
    PayRequested,
    /// The vendor says the order is paid.
    Paid,
    /// The vendor accepted the payment without saying it is paid: a read settles it.
    PayAccepted,
    /// The vendor refused the payment (or it must be paid by hand).
    PayFailed,
    /// The payment's answer never came: it may have been paid.
    PayUnknown,
    /// A cancel is about to be sent (recorded before sending).
    CancelRequested,
    /// The vendor cancelled the order.
    Cancelled,
    /// The vendor refused the cancel.
    CancelRefused,
    /// The cancel's answer never came.
    CancelUnknown,
    /// A receipt confirmation is about to be sent (recorded before sending).
    ReceiptRequested,
    /// The vendor recorded the receipt.
    Received,
    /// The vendor refused the receipt confirmation.
    ReceiptRefused,
    /// The receipt confirmation's answer never came.
    ReceiptUnknown,
    /// A cancel or receipt answered with `success: false`.
    Refused,
    /// The step was refused before it was sent (nothing reached the vendor).
    NotSent,
    /// The entry's order turned out to be another entry's; its history continues there.
    Merged,
    /// Another entry of the same order merged into this one.
    Joined,
    /// A callback reported a state that moves the order (reported, not confirmed).
    Reported,
    /// A callback reported the state the order already has.
    ReportedAgain,
    /// A callback reported a state the order is already past (kept, the state stays).
    ReportedLate,
    /// A callback about the order that names no state.
    ReportedOther,
    /// A reconcile read of the order failed.
    ReadFailed,
    /// The order needs a person: a read contradicts what the ledger confirmed, or cannot be read.
    NeedsPerson,
    /// A read confirmed the state the order has.
    Confirmed,
    /// A read moved the order to the state the vendor shows.
    Reconciled,
    /// A person marked the order handled (the mark is cleared, the state stays).
    Handled,
    /// A raw call's answer, recorded with its body; the step's outcome stays unknown.
    AnsweredRaw,
}

impl EventKind {
    /// Every kind, in the order of the enum.
    pub const ALL: [EventKind; 33] = [
        EventKind::Previewed,
        EventKind::CreateRequested,
        EventKind::Created,
        EventKind::CreatedWithoutId,
        EventKind::CreateFailed,
        EventKind::CreateUnknown,
        EventKind::PayRequested,
        EventKind::Paid,
        EventKind::PayAccepted,
        EventKind::PayFailed,
        EventKind::PayUnknown,
        EventKind::CancelRequested,
        EventKind::Cancelled,
        EventKind::CancelRefused,
        EventKind::CancelUnknown,
        EventKind::ReceiptRequested,
        EventKind::Received,
        EventKind::ReceiptRefused,
        EventKind::ReceiptUnknown,
        EventKind::Refused,
        EventKind::NotSent,
        EventKind::Merged,
        EventKind::Joined,
        EventKind::Reported,
        EventKind::ReportedAgain,
        EventKind::ReportedLate,
        EventKind::ReportedOther,
        EventKind::ReadFailed,
        EventKind::NeedsPerson,
        EventKind::Confirmed,
        EventKind::Reconciled,
        EventKind::Handled,
        EventKind::AnsweredRaw,
    ];

    /// The stored name. Names are never changed or reused: rows of older binaries read back as the same kind.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Previewed => "previewed",
            EventKind::CreateRequested => "create_requested",
            EventKind::Created => "created",
            EventKind::CreatedWithoutId => "created_without_id",
            EventKind::CreateFailed => "create_failed",
            EventKind::CreateUnknown => "create_unknown",
            EventKind::PayRequested => "pay_requested",
            EventKind::Paid => "paid",
            EventKind::PayAccepted => "pay_accepted",
            EventKind::PayFailed => "pay_failed",
            EventKind::PayUnknown => "pay_unknown",
            EventKind::CancelRequested => "cancel_requested",
            EventKind::Cancelled => "cancelled",
            EventKind::CancelRefused => "cancel_refused",
            EventKind::CancelUnknown => "cancel_unknown",
            EventKind::ReceiptRequested => "receipt_requested",
            EventKind::Received => "received",
            EventKind::ReceiptRefused => "receipt_refused",
            EventKind::ReceiptUnknown => "receipt_unknown",
            EventKind::Refused => "refused",
            EventKind::NotSent => "not_sent",
            EventKind::Merged => "merged",
            EventKind::Joined => "joined",
            EventKind::Reported => "reported",
            EventKind::ReportedAgain => "reported_again",
            EventKind::ReportedLate => "reported_late",
            EventKind::ReportedOther => "reported_other",
            EventKind::ReadFailed => "read_failed",
            EventKind::NeedsPerson => "needs_person",
            EventKind::Confirmed => "confirmed",
            EventKind::Reconciled => "reconciled",
            EventKind::Handled => "handled",
            EventKind::AnsweredRaw => "answered_raw",
        }
    }

    /// The kind a stored name stands for (the one mapping from storage to the enum).
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The event a step's intent records.
    fn requested(step: Step) -> EventKind {
        match step {
            Step::Create => EventKind::CreateRequested,
            Step::Pay => EventKind::PayRequested,
            Step::Cancel => EventKind::CancelRequested,
            Step::Receipt => EventKind::ReceiptRequested,
        }
    }

    fn done(step: Step) -> EventKind {
        match step {
            Step::Create => EventKind::Created,
            Step::Pay => EventKind::Paid,
            Step::Cancel => EventKind::Cancelled,
            Step::Receipt => EventKind::Received,
        }
    }

    fn refused(step: Step) -> EventKind {
        match step {
            Step::Create => EventKind::CreateFailed,
            Step::Pay => EventKind::PayFailed,
            Step::Cancel => EventKind::CancelRefused,
            Step::Receipt => EventKind::ReceiptRefused,
        }
    }

    fn unknown(step: Step) -> EventKind {
        match step {
            Step::Create => EventKind::CreateUnknown,
            Step::Pay => EventKind::PayUnknown,
            Step::Cancel => EventKind::CancelUnknown,
            Step::Receipt => EventKind::ReceiptUnknown,
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a transition leaves the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// The state stays.
    Stay,
    /// Into this state; `confirmed` false: only reported by a callback.
    State {
        /// The state the order goes to.
        state: OrderState,
        /// Whether an answer or a read confirms it (`false`: only a callback reported it).
        confirmed: bool,
    },
    /// Back to the state the order had before the step's intent (a cancel the vendor refused).
    BeforeStep,
}

/// Why a step is refused before anything is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An earlier step's outcome is unknown: reconcile first.
    OutcomeUnknown,
    /// The order is paid or beyond (or cancelled): no second payment.
    AlreadyPaid,
    /// The order is closed (cancelled, or merged into another entry): no step is sent on it. Without this a
    /// receipt or cancel sent after a callback reported the order cancelled could have its refusal settle an
    /// earlier request's unknown outcome (the property test found it).
    Closed,
}

/// What [`transition`] answers: the event to record and where the order goes, a mark for a person, or a
/// refusal (nothing recorded, nothing sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Record an event of `kind` and move the order `to`.
    Record {
        /// The event recorded in the history.
        kind: EventKind,
        /// Where the order goes.
        to: To,
        /// A read settled the order: clear any mark for a person.
        clears_mark: bool,
    },
    /// Mark the order as needing a person (the state stays); the caller words the reason.
    NeedsPerson,
    /// Refuse the step: nothing is recorded, nothing is sent.
    Refuse(Refusal),
}

fn record(kind: EventKind, to: To) -> Transition {
    Transition::Record {
        kind,
        to,
        clears_mark: false,
    }
}

fn into(state: OrderState, confirmed: bool) -> To {
    To::State { state, confirmed }
}

/// **The transition table.** `state`/`confirmed`: the entry as it is; `input`: what happened.
pub fn transition(state: OrderState, confirmed: bool, input: Input) -> Transition {
    match input {
        Input::Previewed => record(EventKind::Previewed, into(OrderState::Previewed, true)),
        Input::Requested(step) => requested(state, confirmed, step),
        Input::Answered(step, answer) => answered(state, step, answer),
        Input::ReportedFirst(reported) => {
            // A callback is about an order that exists at the vendor.
            let to = reported.unwrap_or(OrderState::Created);
            let kind = match reported {
                Some(_) => EventKind::Reported,
                None => EventKind::ReportedOther,
            };
            record(kind, into(to, false))
        }
        Input::Reported(reported) => match reported {
            None => record(EventKind::ReportedOther, To::Stay),
            Some(r) if r == state => record(EventKind::ReportedAgain, To::Stay),
            Some(r) if callback_moves(state, r) => record(EventKind::Reported, into(r, false)),
            Some(_) => record(EventKind::ReportedLate, To::Stay),
        },
        Input::Read(read) => read_shows(state, confirmed, read),
        Input::Merged => record(EventKind::Merged, into(OrderState::Merged, true)),
        Input::Joined => record(EventKind::Joined, To::Stay),
        Input::Handled => Transition::Record {
            kind: EventKind::Handled,
            to: To::Stay,
            clears_mark: true,
        },
    }
}

/// A callback moves a settled order only to a higher rank; an order whose step is unknown only to that
/// step's done state or beyond (a push never settles an unknown step as "not done").
fn callback_moves(state: OrderState, reported: OrderState) -> bool {
    match unknown_step(state) {
        Some(step) => reported.rank() >= step.done().rank(),
        None => state != OrderState::Merged && reported.rank() > state.rank(),
    }
}

/// The step whose outcome an unknown state stands for.
pub fn unknown_step(state: OrderState) -> Option<Step> {
    Step::ALL.into_iter().find(|s| s.unknown() == state)
}

fn requested(state: OrderState, confirmed: bool, step: Step) -> Transition {
    if state.is_unknown() {
        return Transition::Refuse(Refusal::OutcomeUnknown);
    }
    if step == Step::Pay && state.rank() >= OrderState::Paid.rank() {
        return Transition::Refuse(Refusal::AlreadyPaid);
    }
    if step != Step::Create && matches!(state, OrderState::Cancelled | OrderState::Merged) {
        return Transition::Refuse(Refusal::Closed);
    }
    let confirmed = step == Step::Create || confirmed;
    record(EventKind::requested(step), into(step.unknown(), confirmed))
}

fn answered(state: OrderState, step: Step, answer: Answer) -> Transition {
    // Our own answer settles only the step it answers; anything else keeps the state (recorded).
    let in_flight = state == step.unknown();
    let settled_below = |to: OrderState| !state.is_unknown() && state.rank() <= to.rank();
    let kind = match answer {
        Answer::Done => EventKind::done(step),
        Answer::NoOrderId => EventKind::CreatedWithoutId,
        Answer::Accepted => EventKind::PayAccepted,
        Answer::PayByHand => EventKind::PayFailed,
        Answer::Refused => EventKind::refused(step),
        Answer::Declined => EventKind::Refused,
        Answer::NotSent => EventKind::NotSent,
        Answer::Unknown => EventKind::unknown(step),
        Answer::Raw => EventKind::AnsweredRaw,
    };
    let to = match answer {
        Answer::Done if in_flight || settled_below(step.done()) => into(step.done(), true),
        Answer::Done => To::Stay,
        Answer::NoOrderId | Answer::Accepted | Answer::Unknown | Answer::Raw => To::Stay,
        _ if !in_flight => To::Stay,
        Answer::PayByHand => into(OrderState::PayFailed, true),
        Answer::Refused | Answer::NotSent if step == Step::Create => {
            into(OrderState::CreateFailed, true)
        }
        Answer::Refused if step == Step::Pay => into(OrderState::PayFailed, true),
        Answer::Refused | Answer::Declined | Answer::NotSent => To::BeforeStep,
    };
    record(kind, to)
}

fn read_shows(state: OrderState, confirmed: bool, read: Read) -> Transition {
    let observed = match read {
        Read::Shows(observed) => observed,
        Read::Failed => return record(EventKind::ReadFailed, To::Stay),
        Read::NotFound if state == OrderState::CreateUnknown => {
            return Transition::Record {
                kind: EventKind::Reconciled,
                to: into(OrderState::CreateFailed, true),
                clears_mark: true,
            };
        }
        _ => return Transition::NeedsPerson,
    };
    if confirmed && !state.is_unknown() && observed.rank() < state.rank() {
        return Transition::NeedsPerson;
    }
    let kind = if observed == state {
        EventKind::Confirmed
    } else {
        EventKind::Reconciled
    };
    Transition::Record {
        kind,
        to: into(observed, true),
        clears_mark: true,
    }
}

/// The state a vendor's order status stands for, where a vendor document names the value: the one mapping
/// from the facade's [`StatusKind`] to the ledger (new kinds are wired here).
pub fn state_of_status(kind: StatusKind) -> Option<OrderState> {
    match kind {
        StatusKind::WaitingForPayment => Some(OrderState::Created),
        StatusKind::WaitingForShipment => Some(OrderState::Paid),
        StatusKind::Shipped => Some(OrderState::Shipped),
        // 1688's `confirm_goods` / `success`: the buyer confirmed receipt.
        StatusKind::Completed => Some(OrderState::Received),
        StatusKind::Cancelled => Some(OrderState::Cancelled),
        _ => None,
    }
}

/// The inputs docs/ledger.md tabulates (every variant, with representative payloads).
pub fn documented_inputs() -> Vec<(String, Input)> {
    let mut out = vec![("preview answered".to_string(), Input::Previewed)];
    for step in Step::ALL {
        out.push((format!("{} requested", step.name()), Input::Requested(step)));
    }
    for step in Step::ALL {
        for answer in [
            Answer::Done,
            Answer::Refused,
            Answer::Declined,
            Answer::NotSent,
            Answer::Unknown,
            Answer::Raw,
        ] {
            out.push((
                format!("{} answered {answer:?}", step.name()),
                Input::Answered(step, answer),
            ));
        }
    }
    out.push((
        "create answered without id".into(),
        Input::Answered(Step::Create, Answer::NoOrderId),
    ));
    out.push((
        "pay answered accepted".into(),
        Input::Answered(Step::Pay, Answer::Accepted),
    ));
    out.push((
        "pay answered pay-by-hand".into(),
        Input::Answered(Step::Pay, Answer::PayByHand),
    ));
    for reported in [
        OrderState::Created,
        OrderState::Paid,
        OrderState::Shipped,
        OrderState::Cancelled,
    ] {
        out.push((
            format!("callback reports {reported}"),
            Input::Reported(Some(reported)),
        ));
    }
    out.push(("callback reports other".into(), Input::Reported(None)));
    for shown in [
        OrderState::Created,
        OrderState::Paid,
        OrderState::Shipped,
        OrderState::Cancelled,
    ] {
        out.push((
            format!("read shows {shown}"),
            Input::Read(Read::Shows(shown)),
        ));
    }
    out.push(("read failed".into(), Input::Read(Read::Failed)));
    out.push((
        "read failed too often / undecodable / no state".into(),
        Input::Read(Read::Undecodable),
    ));
    out.push(("a person marks it handled".into(), Input::Handled));
    out
}

/// docs/ledger.md's generated part: the precedence ranks and the transition matrix, from this file.
pub fn render_markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from("| rank | states |\n|---|---|\n");
    for rank in 0..=OrderState::ALL.iter().map(|s| s.rank()).max().unwrap_or(0) {
        let names: Vec<String> = OrderState::ALL
            .iter()
            .filter(|s| s.rank() == rank)
            .map(|s| format!("`{s}`"))
            .collect();
        let _ = writeln!(out, "| {rank} | {} |", names.join(", "));
    }
    out.push_str("\nWhat each input does in each state (state confirmed; `→ x?`: to `x`, reported; `=`: recorded, state unchanged; `↩`: back to the state before the step; `person`: marked for a person; `refused`: nothing recorded or sent):\n\n| input |");
    for s in OrderState::ALL {
        let _ = write!(out, " {s} |");
    }
    out.push_str("\n|---|");
    for _ in OrderState::ALL {
        out.push_str("---|");
    }
    for (label, input) in documented_inputs() {
        let _ = write!(out, "\n| {label} |");
        for s in OrderState::ALL {
            let cell = match transition(s, true, input) {
                Transition::Refuse(_) => "refused".to_string(),
                Transition::NeedsPerson => "person".to_string(),
                Transition::Record { to: To::Stay, .. } => "=".to_string(),
                Transition::Record {
                    to: To::BeforeStep, ..
                } => "↩".to_string(),
                Transition::Record {
                    to: To::State { state, confirmed },
                    ..
                } => format!("→ {state}{}", if confirmed { "" } else { "?" }),
            };
            let _ = write!(out, " {cell} |");
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/ledger.md carries the table rendered from this file (`UPDATE_DOCS=1` rewrites it).
    #[test]
    fn docs_ledger_md_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ledger.md");
        let text = std::fs::read_to_string(&path).expect("docs/ledger.md");
        let (start, end) = (
            "<!-- generated: machine::render_markdown -->\n",
            "<!-- end generated -->",
        );
        let (head, rest) = text.split_once(start).expect("the generated block's start");
        let (current, tail) = rest.split_once(end).expect("the generated block's end");
        let rendered = render_markdown();
        if current != rendered {
            if std::env::var_os("UPDATE_DOCS").is_some() {
                std::fs::write(&path, format!("{head}{start}{rendered}{end}{tail}")).unwrap();
                return;
            }
            panic!(
                "docs/ledger.md is stale: run `UPDATE_DOCS=1 cargo test -p sourcing-ledger docs`"
            );
        }
    }

    #[test]
    fn event_kind_names_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_name(k.name()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                k.name(),
                "printed as stored"
            );
        }
        assert_eq!(EventKind::from_name("teleported"), None);
    }

    /// Every kind the binaries before the transition table wrote (as string literals in journal.rs,
    /// reconcile.rs and callback.rs) reads back.
    #[test]
    fn kinds_written_by_older_binaries_stay_readable() {
        for old in [
            "previewed",
            "create_requested",
            "created",
            "create_failed",
            "create_unknown",
            "not_sent",
            "pay_requested",
            "paid",
            "pay_accepted",
            "pay_failed",
            "pay_unknown",
            "cancel_requested",
            "cancelled",
            "cancel_refused",
            "cancel_unknown",
            "receipt_requested",
            "received",
            "receipt_refused",
            "receipt_unknown",
            "refused",
            "merged",
            "reported",
            "reported_again",
            "reported_late",
            "reported_other",
            "read_failed",
            "needs_person",
            "confirmed",
            "reconciled",
        ] {
            assert!(EventKind::from_name(old).is_some(), "{old}");
        }
    }

    #[test]
    fn callbacks_only_move_forward() {
        use OrderState::*;
        let moves = |from, to| {
            matches!(
                transition(from, true, Input::Reported(Some(to))),
                Transition::Record {
                    to: To::State { .. },
                    ..
                }
            )
        };
        assert!(moves(Created, Paid));
        assert!(moves(Paid, Shipped));
        assert!(!moves(Paid, Created), "late WAITING_FOR_PAYMENT");
        assert!(!moves(Cancelled, Paid), "nothing after cancelled");
        assert!(
            !moves(PayUnknown, Created),
            "never settles an unknown as unpaid"
        );
        assert!(moves(PayUnknown, Paid));
    }

    #[test]
    fn no_second_payment_and_nothing_while_unknown() {
        for s in OrderState::ALL {
            let t = transition(s, false, Input::Requested(Step::Pay));
            if s.is_unknown() {
                assert_eq!(t, Transition::Refuse(Refusal::OutcomeUnknown), "{s}");
            } else if s.rank() >= OrderState::Paid.rank() {
                assert_eq!(t, Transition::Refuse(Refusal::AlreadyPaid), "{s}");
            } else {
                assert!(matches!(t, Transition::Record { .. }), "{s}");
            }
        }
    }

    #[test]
    fn our_answer_never_lowers_a_settled_state() {
        let t = transition(
            OrderState::Shipped,
            false,
            Input::Answered(Step::Pay, Answer::Done),
        );
        assert_eq!(t, record(EventKind::Paid, To::Stay));
    }

    #[test]
    fn a_raw_answer_settles_nothing() {
        for step in Step::ALL {
            let t = transition(step.unknown(), true, Input::Answered(step, Answer::Raw));
            assert_eq!(
                t,
                record(EventKind::AnsweredRaw, To::Stay),
                "{}",
                step.name()
            );
        }
    }

    #[test]
    fn vendor_statuses_map_only_where_named() {
        assert_eq!(
            state_of_status(StatusKind::WaitingForPayment),
            Some(OrderState::Created)
        );
        assert_eq!(
            state_of_status(StatusKind::WaitingForShipment),
            Some(OrderState::Paid)
        );
        assert_eq!(
            state_of_status(StatusKind::Cancelled),
            Some(OrderState::Cancelled)
        );
        assert_eq!(state_of_status(StatusKind::Other), None);
    }
}
