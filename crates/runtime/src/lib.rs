//! Runtime shared by the generated PandaPon, Dajisaas and Xportcn clients: credentials, request signing,
//! the envelope → `Result` mapping, errors, timeouts and retries.
//!
//! Generated crates call into this crate from their `ClientHooks` implementation; users meet it through
//! [`Error`], the credential types and [`Runtime`] (to plug in a custom [`Signer`] or [`RequestPolicy`]).

pub mod batch;
pub mod credentials;
pub mod envelope;
pub mod error;
pub mod multipart;
pub mod operation;
pub mod policy;
pub mod runtime;
pub mod signing;
pub mod wire;

pub use batch::{BatchOutcome, FailedItem, PartialFailure};
pub use credentials::{AccessKeyCredentials, AppKeyCredentials, Secret};
pub use envelope::{DajisaasEnvelope, Envelope, PandaponEnvelope};
pub use error::{ApiError, BodyPrefix, Error, UpstreamError};
pub use multipart::{ImageUpload, MultipartForm};
pub use operation::{AuthStyle, Operation, Provider};
pub use policy::{RequestPolicy, RetryPolicy};
pub use runtime::{MultipartCall, RawRequest, Runtime};
pub use signing::{
    AccessKeySigner, AppKeyMode, AppKeySigner, SignContext, SignError, Signer, TimestampUnit,
};
pub use wire::{JsonString, LenientId};

/// Re-exported for generated code, so generated crates need no direct dependency on it.
#[doc(hidden)]
pub use progenitor_client;
