//! Order states and their precedence ranks. What moves an order from one state to another is decided in
//! one place, [`crate::machine`]; docs/ledger.md renders both as tables.
//!
//! | rank | states | meaning |
//! |---|---|---|
//! | 0 | `previewed`, `create_unknown`, `create_failed` | no order at the vendor that we know of |
//! | 1 | `created`, `pay_unknown`, `pay_failed`, `cancel_unknown` | the order exists, awaiting payment |
//! | 2 | `paid` | paid (`WAITING_FOR_SENT`: the seller ships next) |
//! | 3 | `shipped`, `receipt_unknown` | the seller shipped |
//! | 4 | `received` | receipt confirmed |
//! | 5 | `cancelled`, `merged` | closed |

/// Where an order is, as the ledger knows it (stored by name: [`OrderState::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// A draft was previewed; no order yet.
    Previewed,
    /// A creation was sent and its answer never came: the order may exist.
    CreateUnknown,
    /// The vendor refused the creation (or it was not sent).
    CreateFailed,
    /// The order exists, awaiting payment.
    Created,
    /// A payment was sent and its answer never came: it may have been paid.
    PayUnknown,
    /// The payment was refused (or must be made by hand).
    PayFailed,
    /// A cancel was sent and its answer never came.
    CancelUnknown,
    /// Paid.
    Paid,
    /// The seller shipped (a callback or read says so; the sandbox's `ship` step).
    Shipped,
    /// A receipt confirmation was sent and its answer never came.
    ReceiptUnknown,
    /// Receipt confirmed.
    Received,
    /// Cancelled.
    Cancelled,
    /// The entry's order turned out to be another entry's (a callback recorded it first); see its events.
    Merged,
}

impl OrderState {
    /// Every state, by rank.
    pub const ALL: [OrderState; 13] = [
        OrderState::Previewed,
        OrderState::CreateUnknown,
        OrderState::CreateFailed,
        OrderState::Created,
        OrderState::PayUnknown,
        OrderState::PayFailed,
        OrderState::CancelUnknown,
        OrderState::Paid,
        OrderState::Shipped,
        OrderState::ReceiptUnknown,
        OrderState::Received,
        OrderState::Cancelled,
        OrderState::Merged,
    ];

    /// The stored name (`pay_unknown`…); never changed, so older rows read back.
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
            OrderState::Shipped => "shipped",
            OrderState::ReceiptUnknown => "receipt_unknown",
            OrderState::Received => "received",
            OrderState::Cancelled => "cancelled",
            OrderState::Merged => "merged",
        }
    }

    /// The state a stored name stands for.
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
            OrderState::Paid => 2,
            OrderState::Shipped | OrderState::ReceiptUnknown => 3,
            OrderState::Received => 4,
            OrderState::Cancelled | OrderState::Merged => 5,
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
        assert_eq!(OrderState::from_name("teleported"), None);
    }
}
