//! Input checks every provider file shares: ids, addresses and lines, refused with an error naming the
//! provider and the step before anything is sent.

use crate::capability::{Flow, Step};
use crate::ids::{OfferId, OrderId};
use crate::journal::Intent;
use crate::money::Money;
use crate::types::OrderDraft;
use crate::{Error, ProductRef};
use sourcing_runtime::LenientId;

/// The step being mapped, for errors that name it and the provider.
#[derive(Clone, Copy, Debug)]
pub(super) struct Input {
    pub provider: Flow,
    pub step: Step,
}

impl Input {
    pub fn new(provider: Flow, step: Step) -> Self {
        Input { provider, step }
    }

    pub fn invalid(self, message: impl Into<String>) -> Error {
        Error::InvalidInput {
            provider: self.provider,
            step: self.step,
            message: message.into(),
        }
    }

    /// An id the vendor types as an integer: digits that fit in `u64`, sent as a JSON number.
    pub fn numeric_id(self, what: &str, id: &str) -> Result<LenientId, Error> {
        if id.is_empty()
            || !id.bytes().all(|b| b.is_ascii_digit())
            || id.len() > 1 && id.starts_with('0')
        {
            return Err(self.invalid(format!("{what} `{id}` is not a number")));
        }
        id.parse::<u64>()
            .map(LenientId::from)
            .map_err(|_| self.invalid(format!("{what} `{id}` is larger than 64 bits")))
    }

    pub fn numeric_ids<I: AsRef<str>>(
        self,
        what: &str,
        ids: &[I],
    ) -> Result<Vec<LenientId>, Error> {
        ids.iter()
            .map(|id| self.numeric_id(what, id.as_ref()))
            .collect()
    }

    /// An id the vendor types as a string: digits, sent as text.
    pub fn text_id(self, what: &str, id: &str) -> Result<String, Error> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.invalid(format!("{what} `{id}` is not an id (digits)")));
        }
        Ok(id.to_string())
    }

    /// A 1688 order id as text: [`ORDER_ID_DIGITS`] digits.
    pub fn order_id(self, id: &OrderId) -> Result<String, Error> {
        let id = self.text_id("order id", id.as_str())?;
        if id.len() != ORDER_ID_DIGITS {
            return Err(self.invalid(format!(
                "order id `{id}` has {} digits; 1688 order ids have {ORDER_ID_DIGITS} \
                 (PandaPon's order pages; every vendor's examples)",
                id.len()
            )));
        }
        Ok(id)
    }

    /// A 1688 order id the vendor types as an integer ([`Input::order_id`], sent as a JSON number).
    pub fn numeric_order_id(self, id: &OrderId) -> Result<LenientId, Error> {
        self.numeric_id("order id", &self.order_id(id)?)
    }

    /// The order ids of a batch payment: at least one, each a 1688 order id.
    pub fn order_ids(self, ids: &[OrderId]) -> Result<Vec<String>, Error> {
        if ids.is_empty() {
            return Err(self.invalid("no order to pay"));
        }
        ids.iter().map(|id| self.order_id(id)).collect()
    }

    /// A 1688 offer id as the vendor's `int64`.
    pub fn offer_i64(self, offer: &OfferId) -> Result<i64, Error> {
        ProductRef::offer_1688(offer.as_str())
            .map(|r| r.id_i64())
            .map_err(|e| self.invalid(e.to_string()))
    }

    /// Every field of `fields` (`(vendor name, value)`) that is missing or empty, named in one error.
    pub fn required_all(self, fields: &[(&str, Option<&str>)]) -> Result<(), Error> {
        let missing: Vec<&str> = fields
            .iter()
            .filter(|(_, v)| v.is_none_or(|v| v.trim().is_empty()))
            .map(|(name, _)| *name)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(self.invalid(format!(
            "{} requires {}: missing {}",
            self.provider,
            if missing.len() == 1 {
                "this field"
            } else {
                "these fields"
            },
            missing.join(", ")
        )))
    }

    /// At least one line, each of a quantity from 1.
    pub fn check_lines(self, draft: &OrderDraft) -> Result<(), Error> {
        if draft.lines.is_empty() {
            return Err(self.invalid("an order needs at least one line"));
        }
        if let Some(line) = draft.lines.iter().find(|l| l.quantity == 0) {
            return Err(self.invalid(format!(
                "the line of offer {} (spec {}) has quantity 0: order at least 1",
                line.offer_id, line.spec_id
            )));
        }
        Ok(())
    }

    pub fn cancel_reason(self, reason: &str) -> Result<(), Error> {
        if reason.is_empty() {
            return Err(self.invalid("a cancel reason is required"));
        }
        Ok(())
    }
}

/// The length of a 1688 order id: PandaPon's order pages say "1688 order ids (19-digit, as strings)" and
/// every id in the three vendors' examples has 19 digits.
pub const ORDER_ID_DIGITS: usize = 19;

/// An id the vendor answered (a JSON string or integer), as the exact text of an id of kind `I`.
pub(super) fn id_text<I: From<String>>(id: &Option<LenientId>) -> Option<I> {
    id.as_ref().map(|i| I::from(i.as_str().to_string()))
}

/// An amount the vendor answers as a decimal number of yuan.
pub(super) fn yuan(value: Option<f64>) -> Result<Option<Money>, Error> {
    value
        .map(Money::yuan_from_json_number)
        .transpose()
        .map_err(Error::from)
}

/// The ids of an order step, checked as the built-in flows' steps check them (1688 order ids: 19 digits;
/// sub-order ids: digits), before the journal records the intent ([`crate::PurchaseFlow::check`]).
pub(super) fn check_ids(flow: Flow, intent: &Intent<'_>) -> Result<(), Error> {
    match intent {
        Intent::Pay { order_id } => Input::new(flow, Step::Pay).order_id(order_id).map(drop),
        Intent::PayBatch { order_ids } => Input::new(flow, Step::PayBatch)
            .order_ids(order_ids)
            .map(drop),
        Intent::Cancel { order_id, .. } => {
            Input::new(flow, Step::Cancel).order_id(order_id).map(drop)
        }
        Intent::ConfirmReceipt {
            order_id,
            sub_order_ids,
        } => {
            let input = Input::new(flow, Step::ConfirmReceipt);
            input.order_id(order_id)?;
            sub_order_ids
                .iter()
                .try_for_each(|id| input.text_id("sub-order id", id.as_str()).map(drop))
        }
        Intent::Preview { .. } | Intent::CreateOrder { .. } | Intent::CreateRaw { .. } => Ok(()),
    }
}
