//! Order states and their precedence.
//!
//! An order moves forward through **ranks**; the state names also say which step's outcome is unknown:
//!
//! | rank | states | meaning |
//! |---|---|---|
//! | 0 | `previewed`, `create_unknown`, `create_failed` | no order at the vendor that we know of |
//! | 1 | `created`, `pay_unknown`, `pay_failed`, `cancel_unknown` | the order exists, awaiting payment |
//! | 2 | `paid`, `receipt_unknown` | paid (`WAITING_FOR_SENT`: the seller ships next) |
//! | 3 | `received` | receipt confirmed |
//! | 4 | `cancelled` | closed |
//!
//! Rules:
//! * **A callback moves an order only to a higher rank.** A late or out-of-order push (a
//!   `WAITING_FOR_PAYMENT` after `paid`, anything after `cancelled`) is recorded as an event and changes
//!   nothing else; a push never settles an unknown step as "not done" (it cannot move a `pay_unknown` to
//!   `created`). A state set by a callback is *reported* (`confirmed = false`) until a read confirms it.
//! * **Our own call's answer** sets the state it reports (confirmed).
//! * **An order read** (reconcile) is authoritative over reported and unknown states, in either direction;
//!   a read that contradicts a *confirmed* state of a higher rank is not applied: the order is marked as
//!   needing a person.

use sourcing_buy::{OrderStatus, StatusKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Previewed,
    CreateUnknown,
    CreateFailed,
    Created,
    PayUnknown,
    PayFailed,
    CancelUnknown,
    Paid,
    ReceiptUnknown,
    Received,
    Cancelled,
    /// The entry's order turned out to be another entry's (a callback recorded it first); see its events.
    Merged,
}

impl OrderState {
    pub const ALL: [OrderState; 12] = [
        OrderState::Previewed,
        OrderState::CreateUnknown,
        OrderState::CreateFailed,
        OrderState::Created,
        OrderState::PayUnknown,
        OrderState::PayFailed,
        OrderState::CancelUnknown,
        OrderState::Paid,
        OrderState::ReceiptUnknown,
        OrderState::Received,
        OrderState::Cancelled,
        OrderState::Merged,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OrderState::Previewed => "previewed",
            OrderState::CreateUnknown => "create_unknown",
            OrderState::CreateFailed => "create_failed",
            OrderState::Created => "created",
            OrderState::PayUnknown => "pay_unknown",
            OrderState::PayFailed => "pay_failed",
            OrderState::CancelUnknown => "cancel_unknown",
            OrderState::Paid => "paid",
            OrderState::ReceiptUnknown => "receipt_unknown",
            OrderState::Received => "received",
            OrderState::Cancelled => "cancelled",
            OrderState::Merged => "merged",
        }
    }

    pub fn from_name(name: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The precedence rank (module docs).
    pub fn rank(self) -> u8 {
        match self {
            OrderState::Previewed | OrderState::CreateUnknown | OrderState::CreateFailed => 0,
            OrderState::Created
            | OrderState::PayUnknown
            | OrderState::PayFailed
            | OrderState::CancelUnknown => 1,
            OrderState::Paid | OrderState::ReceiptUnknown => 2,
            OrderState::Received => 3,
            OrderState::Cancelled | OrderState::Merged => 4,
        }
    }

    /// A step was sent and its outcome is not known.
    pub fn is_unknown(self) -> bool {
        matches!(
            self,
            OrderState::CreateUnknown
                | OrderState::PayUnknown
                | OrderState::CancelUnknown
                | OrderState::ReceiptUnknown
        )
    }

    /// The state a vendor's order status stands for, where a vendor document names the value.
    pub fn from_status(status: &OrderStatus) -> Option<OrderState> {
        match status.kind {
            StatusKind::WaitingForPayment => Some(OrderState::Created),
            StatusKind::WaitingForShipment => Some(OrderState::Paid),
            StatusKind::Cancelled => Some(OrderState::Cancelled),
            _ => None,
        }
    }

    /// The one of `self` and `other` of higher rank (`self` on a tie).
    pub fn max_by_rank(self, other: OrderState) -> OrderState {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// Whether a callback reporting `reported` may move an order now in `self` (rule 1).
    pub fn callback_may_move_to(self, reported: OrderState) -> bool {
        reported.rank() > self.rank()
    }
}

impl std::fmt::Display for OrderState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in OrderState::ALL {
            assert_eq!(OrderState::from_name(s.name()), Some(s));
        }
        assert_eq!(OrderState::from_name("shipped"), None);
    }

    #[test]
    fn callbacks_only_move_forward() {
        use OrderState::*;
        assert!(Created.callback_may_move_to(Paid));
        assert!(Paid.callback_may_move_to(Cancelled));
        assert!(
            !Paid.callback_may_move_to(Created),
            "late WAITING_FOR_PAYMENT"
        );
        assert!(
            !Cancelled.callback_may_move_to(Paid),
            "nothing after cancelled"
        );
        assert!(
            !PayUnknown.callback_may_move_to(Created),
            "a push never settles an unknown payment as unpaid"
        );
        assert!(PayUnknown.callback_may_move_to(Paid));
    }

    #[test]
    fn vendor_statuses_map_only_where_named() {
        let state = |raw: &str| OrderState::from_status(&OrderStatus::from_vendor(raw));
        assert_eq!(state("WAITING_FOR_PAYMENT"), Some(OrderState::Created));
        assert_eq!(state("WAITING_FOR_SENT"), Some(OrderState::Paid));
        assert_eq!(state("CANCEL"), Some(OrderState::Cancelled));
        assert_eq!(state("waitbuyerreceive"), None);
    }
}
