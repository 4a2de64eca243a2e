use crate::capability::{Flow, Step};
use crate::product_ref::{Platform, ProductRefError};

/// Everything a facade step can fail with. The first four are decided before anything is sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider does not support the step (see [`Flow::capabilities`]). Nothing was sent.
    #[error("{provider} does not support {step}: {reason}")]
    Unsupported {
        /// The provider, by its purchase flow.
        provider: Flow,
        /// The step refused.
        step: Step,
        /// Why (its capability table's reason).
        reason: &'static str,
    },
    /// The step is known only from third-party clients and this build does not include it. Nothing was sent.
    #[error(
        "{provider} {step} is known only from third-party clients (unconfirmed by the vendor): enable the `{feature}` feature of sourcing-buy to use it"
    )]
    NotEnabled {
        /// The provider, by its purchase flow.
        provider: Flow,
        /// The step refused.
        step: Step,
        /// The cargo feature of `sourcing-buy` that compiles it.
        feature: &'static str,
    },
    /// The step covers 1688 offers; the product is on another platform. Nothing was sent.
    #[error("{step} on {provider} covers 1688 offers, not {platform} items")]
    WrongPlatform {
        /// The provider, by its purchase flow.
        provider: Flow,
        /// The step refused.
        step: Step,
        /// The product's platform.
        platform: Platform,
    },
    /// The input cannot be sent to this provider (a field it requires is missing, an id is not one).
    /// Nothing was sent.
    #[error("{provider} {step}: {message}")]
    InvalidInput {
        /// The provider, by its purchase flow.
        provider: Flow,
        /// The step refused.
        step: Step,
        /// What is wrong and what to do.
        message: String,
    },
    /// A product reference could not be parsed.
    #[error(transparent)]
    ProductRef(#[from] ProductRefError),
    /// The vendor call failed, including a batch where some orders failed
    /// (`sourcing_runtime::Error::PartialFailure`, see [`Error::partial_failure`]).
    #[error(transparent)]
    Vendor(#[from] sourcing_runtime::Error),
    /// The order journal (`Buyer::with_journal`) could not record the step's intent. Nothing was sent.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    /// The vendor answered an amount no decimal can hold (not finite, more than 30 digits). An amount that
    /// is merely inexact (`8.309999999999999`) is not an error: it is read rounded and flagged ([`crate::Money`]).
    #[error(transparent)]
    Money(#[from] crate::money::MoneyError),
}

impl Error {
    /// The partly failed batch, if this is one: which orders were paid, which failed and why.
    pub fn partial_failure(&self) -> Option<&sourcing_runtime::PartialFailure> {
        match self {
            Error::Vendor(e) => e.partial_failure(),
            _ => None,
        }
    }

    /// The vendor's business error (code, message, request id), if this is one.
    pub fn api(&self) -> Option<&sourcing_runtime::ApiError> {
        match self {
            Error::Vendor(e) => e.api(),
            _ => None,
        }
    }

    /// Whether the step was refused before anything was sent.
    pub fn is_refused_before_sending(&self) -> bool {
        match self {
            Error::Unsupported { .. }
            | Error::NotEnabled { .. }
            | Error::WrongPlatform { .. }
            | Error::InvalidInput { .. }
            | Error::ProductRef(_)
            | Error::Journal(_) => true,
            Error::Vendor(e) => matches!(
                e,
                sourcing_runtime::Error::InvalidRequest { .. }
                    | sourcing_runtime::Error::Signing { .. }
            ),
            Error::Money(_) => false,
        }
    }
}
