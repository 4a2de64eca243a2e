//! Runtime shared by the generated PandaPon, Dajisaas and Xportcn clients: credentials, request signing,
//! the envelope → `Result` mapping, errors, timeouts, retries and tracing.
//!
//! Users meet it through [`Error`], the credential types and [`Runtime`] (to plug in a custom [`Signer`],
//! [`RequestPolicy`] or [`Timer`](time::Timer)). Providers are described by data ([`Provider`]) whose
//! signing schemes and envelopes are open traits ([`Scheme`], [`EnvelopeCodec`]): a provider with its own
//! implements them next to its spec. Every call runs in one `sourcing.call` tracing span (see
//! [`observe`]).
#![deny(missing_docs, unreachable_pub)]

// The modules below hold the core types, each reachable at the root only (one path per item). The public
// modules are namespaces of their own, nothing of theirs re-exported here: `observe` (the call span),
// `time` (the runtime's clock), `fault` (crash-test points) and the hidden `__codegen` (generated code's).
mod batch;
mod budget;
mod credentials;
mod envelope;
mod error;
#[cfg(feature = "fault")]
pub mod fault;
mod multipart;
pub mod observe;
mod operation;
mod policy;
mod readings;
mod runtime;
mod signing;
pub mod time;
mod wire;

#[doc(hidden)]
#[path = "codegen.rs"]
pub mod __codegen;

pub use batch::{BatchOutcome, FailedItem, PartialFailure};
pub use budget::RateBudget;
pub use credentials::{
    AccessKeyCredentials, AppKeyCredentials, CredentialField, CredentialKind, CredentialValues,
    MissingEnv, Secret,
};
pub use envelope::{
    DajisaasEnvelope, Envelope, EnvelopeCodec, Enveloped, Failure, PandaponEnvelope, api_error_as,
    decode_as,
};
pub use error::{ApiError, BODY_PREFIX_LIMIT, BodyPrefix, BodyTooLarge, Error, UpstreamError};
pub use multipart::{ImageUpload, MAX_IMAGE_BYTES, MultipartForm, UploadEncoding};
pub use operation::{
    AuthStyle, CredentialStyle, Effect, EnvelopeStyle, Example, ExampleKind, FlowRole, Limit,
    Operation, Param, ParamKind, ParamLocation, Provider, Transcode, transcode,
};
pub use policy::{RequestPolicy, RetryPolicy};
pub use readings::{Pointer, ReadingError, ReadingKey, Readings};
pub use runtime::{MultipartCall, RawRequest, Runtime};
pub use signing::{
    AccessKeyScheme, AccessKeySettings, AccessKeySigner, AppKeyMode, AppKeyScheme, AppKeySettings,
    AppKeySigner, FixedNonce, LIST_QUERY_PARAMS, ListFormat, NonceSource, PostSignedFields,
    QueryTimestampSignScheme, RandomNonce, Received, RequestTimeType, Scheme, SchemeParam,
    SchemeSigners, SignContext, SignError, SignPlacement, Signer, SigningSettingKey,
    SigningSettings, TimestampUnit, V2Nonce, Variant, Verification, access_key_signature,
    app_key_signature, redact_error, redact_url, set_query_params,
};
pub use wire::{JsonString, LenientId};
