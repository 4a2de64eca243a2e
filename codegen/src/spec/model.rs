//! The model the generators read: a provider spec after loading and validation.

use openapiv3::OpenAPI;
use serde_json::Value;
use std::path::PathBuf;

/// The provider-level settings under the spec's `x-sourcing` extension.
#[derive(Debug, Clone)]
pub struct SourcingMeta {
    /// Name of the generated crate (`pandapon`).
    pub crate_name: String,
    /// Human name (`PandaPon`).
    pub title: String,
    pub envelope: EnvelopeKind,
    /// The envelope's payload member (`data`): the codec's [`EnvelopeCodec::data_field`] for a built-in
    /// envelope, `x-sourcing.rust.payload` (default `data`) for one the spec implements.
    ///
    /// [`EnvelopeCodec::data_field`]: sourcing_runtime::EnvelopeCodec::data_field
    pub payload: String,
    pub credentials: CredentialsKind,
    /// Prefix of the credential environment variables (`PANDAPON` -> `PANDAPON_ACCESS_KEY`).
    pub env_prefix: String,
}

// The runtime's lists are the one home of envelope, credential, scheme, flow-role and effect names: the
// spec's values are parsed with their `from_name`s, and generated code names their variants.
pub use sourcing_runtime::{
    AuthStyle, CredentialStyle as CredentialsKind, Effect, EnvelopeStyle as EnvelopeKind, FlowRole,
};

/// The names of a list, for error messages listing the valid values (`"a, b, c"`).
pub fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|t| name(*t)).collect::<Vec<_>>().join(", ")
}

/// The path of an envelope's type in generated code (`::sourcing_runtime::PandaponEnvelope`).
pub fn envelope_rust_path(envelope: EnvelopeKind) -> String {
    format!("::sourcing_runtime::{}", envelope.type_name())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Query,
    Body,
}

#[derive(Debug, Clone)]
pub struct ParamModel {
    pub name: String,
    pub location: ParamLocation,
    pub required: bool,
    /// `String`, `Integer`, … (a `sourcing_runtime::ParamKind` variant name).
    pub kind: &'static str,
    pub description: String,
    /// A documented limit the runtime checks before sending (`sourcing_runtime::Limit`).
    pub limit: Option<LimitModel>,
    /// `x-json-string: true`: a string that must hold JSON text.
    pub json_string: bool,
    /// JSON pointer of the parameter's (or body property's) schema in the document.
    pub schema_pointer: String,
}

/// A documented limit on a parameter, from `x-max-items` (+ `x-separator`) or an integer `maximum`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitModel {
    MaxItems { max: u64, separator: Option<String> },
    Maximum(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExampleKind {
    Request,
    Response,
}

#[derive(Debug, Clone)]
pub struct ExampleModel {
    pub name: String,
    pub kind: ExampleKind,
    pub value: Value,
    /// JSON pointer of the Example Object.
    pub pointer: String,
    /// `x-example-deviation: <reason>`: the vendor's example contradicts the vendor's own field table; it is
    /// kept unaltered and must FAIL validation (else codegen says the mark is no longer needed).
    pub deviation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OperationModel {
    /// `snake_case` operationId = client method name.
    pub id: String,
    pub method: String,
    pub path: String,
    pub tag: String,
    pub summary: String,
    /// Security scheme name (`AccessKeyV1`, …).
    pub auth: String,
    /// `x-effect`: what the operation does (read, write, pay).
    pub effect: Effect,
    /// `x-idempotent`: repeating it has no further effect (default: only reads).
    pub idempotent: bool,
    /// Row id in `vendor-docs/catalogue.md`.
    pub catalogue_id: String,
    pub params: Vec<ParamModel>,
    /// Component name of the JSON request body.
    pub body_schema: Option<String>,
    /// Component name of the 200 response's success envelope.
    pub response_schema: String,
    /// Component name of the failure envelope the 200 response lists beside it (`anyOf`), if any.
    pub response_failure: Option<String>,
    pub examples: Vec<ExampleModel>,
    /// `x-batch-outcome`: where `data` lists succeeded and failed items (batch operations).
    pub batch_outcome: Option<BatchOutcomeModel>,
    /// `x-evidence: third-party-client` + `x-evidence-source`: the endpoint is unconfirmed by the vendor,
    /// known only from third-party clients; the text names them. `None` = published by the vendor.
    pub evidence: Option<String>,
    /// `x-flow-role`: what the operation does in an order flow.
    pub flow_role: Option<FlowRole>,
    /// Self-contained JSON Schema (2020-12) of the operation's inputs (query parameters and top-level body
    /// properties; a body property named like a query parameter is `body_<name>`).
    pub input_schema: Value,
    /// Self-contained JSON Schema (2020-12) of the whole 200 response: the envelope, or `anyOf` the envelope
    /// and the failure envelope.
    pub response_json_schema: Value,
}

/// `x-batch-outcome: {succeeded, failed, id, reason}` — property names in the operation's `data`: the array
/// of ids that succeeded, the array of failed items, and each failed item's id and reason. Validated against
/// the data schema; the generated `send()` turns a non-empty failed list into `Error::PartialFailure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcomeModel {
    pub succeeded: String,
    pub failed: String,
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct ProviderSpec {
    /// The spec path as shown to users (relative to the workspace root).
    pub file: PathBuf,
    pub openapi: OpenAPI,
    /// The whole document as JSON (what the meta-schema and the JSON Schema conversion read).
    pub raw: Value,
    /// The document as read, in source order (what progenitor is fed, see `client::for_progenitor`).
    pub source: serde_yaml::Value,
    pub meta: SourcingMeta,
    pub base_url: String,
    pub operations: Vec<OperationModel>,
    /// Component schema name -> Rust type path used instead of a generated type.
    pub replacements: Vec<(String, String)>,
    /// Envelope component name -> Rust type of its `data`.
    pub envelope_data: Vec<(String, String)>,
    /// Operation ids the runtime implements by hand (listed, not generated), from `x-hand-written`.
    pub hand_written: Vec<HandWritten>,
    /// What the example validation found (every example conforms or is a checked deviation).
    pub example_counts: ExampleCounts,
}

/// Embedded examples validated against their schemas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExampleCounts {
    /// Examples that conform.
    pub conforming: usize,
    /// Examples marked `x-example-deviation` that do fail, as the mark says.
    pub deviations: usize,
}

/// An endpoint progenitor cannot generate (e.g. multipart upload) that the runtime implements by hand; the
/// spec lists it under `x-hand-written` so coverage and docs know about it.
#[derive(Debug, Clone)]
pub struct HandWritten {
    pub id: String,
    pub method: String,
    pub path: String,
    pub catalogue_id: String,
    pub rust_fn: String,
}
