//! Runtime shared by the generated PandaPon, Dajisaas and Xportcn clients: credentials, request signing,
//! the envelope → `Result` mapping, errors, timeouts, retries and tracing.
//!
//! Users meet it through [`Error`], the credential types and [`Runtime`] (to plug in a custom [`Signer`],
//! [`RequestPolicy`] or [`Timer`](time::Timer)). Providers are described by data ([`Provider`]) whose
//! signing schemes and envelopes are open traits ([`Scheme`], [`EnvelopeCodec`]): a provider with its own
//! implements them next to its spec. Every call runs in one `sourcing.call` tracing span (see
//! [`observe`]).
#![deny(missing_docs, unreachable_pub)]

pub mod batch;
pub mod budget;
pub mod credentials;
pub mod envelope;
pub mod error;
#[cfg(feature = "fault")]
pub mod fault;
pub mod multipart;
pub mod observe;
pub mod operation;
pub mod policy;
pub mod readings;
mod runtime;
pub mod signing;
pub mod time;
pub mod wire;

#[doc(hidden)]
#[path = "codegen.rs"]
pub mod __codegen;

pub use batch::{BatchOutcome, FailedItem, PartialFailure};
pub use budget::RateBudget;
pub use credentials::{AccessKeyCredentials, AppKeyCredentials, CredentialValues, Secret};
pub use envelope::{
    DajisaasEnvelope, Envelope, EnvelopeCodec, Enveloped, Failure, PandaponEnvelope,
};
pub use error::{ApiError, BodyPrefix, BodyTooLarge, Error, UpstreamError};
pub use multipart::{ImageUpload, MultipartForm};
pub use operation::{AuthStyle, CredentialStyle, Effect, EnvelopeStyle, Operation, Provider};
pub use policy::{RequestPolicy, RetryPolicy};
pub use readings::Readings;
pub use runtime::{MultipartCall, RawRequest, Runtime};
pub use signing::{
    AccessKeySigner, AppKeyMode, AppKeySigner, Scheme, SignContext, SignError, Signer,
    TimestampUnit,
};
pub use wire::{JsonString, LenientId};
