//! Loading and validating a provider spec into the model the generators use. Every rule the rest of the
//! pipeline relies on is checked here, so a bad spec fails with a named location instead of a panic or
//! odd output later.
//!
//! * [`model`]: the types the generators read ([`ProviderSpec`], [`OperationModel`], [`ParamModel`], …);
//! * `load`: the file and document-level rules (`x-sourcing`, components, `x-hand-written`);
//! * `operation`: one operation and its rules; `input`: its inputs as one JSON Schema;
//! * `examples`: embedded examples collected and validated; `schema`: reading OpenAPI schemas;
//! * [`validate`]: the official OpenAPI 3.0 meta-schema and the strictness rules tools rely on.

mod examples;
mod input;
mod load;
pub mod model;
mod operation;
mod schema;
pub mod validate;

pub use input::BODY_COLLISION_PREFIX;
pub use load::{load, parse};
pub use model::*;

const ENVELOPE_REF: &str = "#/components/schemas/Envelope";
const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";
/// "X or null" is `anyOf: [X, {$ref: JsonNull}]` (see `client::for_progenitor`).
pub const JSON_NULL_REF: &str = "#/components/schemas/JsonNull";

/// A rule broken at a JSON pointer: (pointer, message).
type OpResult<T> = Result<T, (String, String)>;
