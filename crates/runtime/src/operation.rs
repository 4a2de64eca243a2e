//! The operation table every generated crate emits (`OPERATIONS`): one row per spec operation, used by the
//! request hooks (signing style, idempotency), the sandbox, the CLI and the example/fuzz tests.

use serde_json::Value;

/// How an operation authenticates. Chosen per operation from the spec's `security` requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthStyle {
    /// Headers `access-key`, `timestamp`, `nonce-str`, `user-id`, `signature` (PandaPon v1, Xportcn).
    AccessKeyV1,
    /// As [`AuthStyle::AccessKeyV1`] without `nonce-str` (PandaPon v2 pages).
    AccessKeyV2,
    /// Parameters `appKey` + `sign` (Dajisaas).
    AppKey,
    /// Query parameters `timestamp` + `sign` whose rule the vendor does not publish
    /// (`/open/pp/logistics/*`); the built-in signers refuse it unless configured.
    QueryTimestampSign,
}

impl AuthStyle {
    /// The spec's security scheme name for this style.
    pub fn scheme_name(self) -> &'static str {
        match self {
            AuthStyle::AccessKeyV1 => "AccessKeyV1",
            AuthStyle::AccessKeyV2 => "AccessKeyV2",
            AuthStyle::AppKey => "AppKey",
            AuthStyle::QueryTimestampSign => "QueryTimestampSign",
        }
    }

    pub fn from_scheme_name(name: &str) -> Option<Self> {
        [
            AuthStyle::AccessKeyV1,
            AuthStyle::AccessKeyV2,
            AuthStyle::AppKey,
            AuthStyle::QueryTimestampSign,
        ]
        .into_iter()
        .find(|s| s.scheme_name() == name)
    }
}

/// Where a parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamLocation {
    Query,
    /// A top-level property of the JSON request body.
    Body,
}

/// The JSON type a parameter must have (the sandbox validates it; `Any` = not checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    /// Documented inconsistently (e.g. id as number or string): any scalar is accepted.
    Any,
}

impl ParamKind {
    /// Whether `value` has this kind. Query values are strings on the wire; use [`ParamKind::accepts_text`].
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            ParamKind::String => value.is_string(),
            ParamKind::Integer => value.is_i64() || value.is_u64(),
            ParamKind::Number => value.is_number(),
            ParamKind::Boolean => value.is_boolean(),
            ParamKind::Array => value.is_array(),
            ParamKind::Object => value.is_object(),
            ParamKind::Any => true,
        }
    }

    /// Whether a query-string value can be of this kind.
    pub fn accepts_text(self, text: &str) -> bool {
        match self {
            ParamKind::Integer => text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok(),
            ParamKind::Number => text.parse::<f64>().is_ok(),
            ParamKind::Boolean => matches!(text, "true" | "false"),
            _ => true,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ParamKind::String => "string",
            ParamKind::Integer => "integer",
            ParamKind::Number => "number",
            ParamKind::Boolean => "boolean",
            ParamKind::Array => "array",
            ParamKind::Object => "object",
            ParamKind::Any => "any",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub location: ParamLocation,
    pub required: bool,
    pub kind: ParamKind,
    pub description: &'static str,
}

/// Which side of the exchange an example shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExampleKind {
    Request,
    Response,
}

/// A documented example payload embedded in the spec.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// The example's name in the spec: the fixture file it came from, without `.json`.
    pub name: &'static str,
    pub kind: ExampleKind,
    /// The JSON text exactly as embedded in the spec (re-serialised compactly by codegen).
    pub json: &'static str,
}

/// Decodes bytes into the operation's generated type and re-encodes them as JSON.
pub type Transcode = fn(&[u8]) -> Result<Value, serde_json::Error>;

/// One row of a provider's operation table.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// `snake_case` id: the client method name and progenitor's `OperationInfo::operation_id`.
    pub id: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub auth: AuthStyle,
    /// Safe to retry automatically (reads). Order creation, payment, cancellation and confirmation never are.
    pub idempotent: bool,
    pub params: &'static [Param],
    /// Whether the operation sends a JSON body.
    pub has_body: bool,
    pub examples: &'static [Example],
    /// Decode a JSON request body into the generated body type (None when there is no body).
    pub transcode_request: Option<Transcode>,
    /// Decode a response (the whole envelope) into the generated response type.
    pub transcode_response: Transcode,
    /// For batch operations (`x-batch-outcome`): where `data` lists succeeded and failed items, so that a
    /// batch with failed items is [`crate::Error::PartialFailure`], not success. See [`crate::batch`].
    pub batch_outcome: Option<crate::batch::BatchOutcome>,
}

impl Operation {
    pub fn examples_of(&self, kind: ExampleKind) -> impl Iterator<Item = &Example> {
        self.examples.iter().filter(move |e| e.kind == kind)
    }
}

/// Decode `bytes` as `T` and encode back to a JSON value; the generated tables point at
/// monomorphised copies of this function.
pub fn transcode<T: serde::de::DeserializeOwned + serde::Serialize>(
    bytes: &[u8],
) -> Result<Value, serde_json::Error> {
    let typed: T = serde_json::from_slice(bytes)?;
    serde_json::to_value(&typed)
}

/// The envelope a provider wraps every response in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvelopeStyle {
    /// `{requestId, code, developId, msg, data}` (PandaPon, Xportcn).
    Pandapon,
    /// `{code, message, data, timestamp, traceId}` (Dajisaas).
    Dajisaas,
}

/// Which credentials a provider's signer needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialStyle {
    /// `access-key`, access secret, `user-id`.
    AccessKey,
    /// `appKey`, app secret.
    AppKey,
}

/// A provider as described by its spec: what the sandbox and the CLI need to serve and call it.
#[derive(Clone, Copy, Debug)]
pub struct Provider {
    /// Crate / CLI name (`pandapon`).
    pub name: &'static str,
    pub title: &'static str,
    pub production_base_url: &'static str,
    /// Prefix of the credential environment variables (`PANDAPON`).
    pub env_prefix: &'static str,
    pub envelope: EnvelopeStyle,
    pub credentials: CredentialStyle,
    pub operations: &'static [&'static Operation],
}

impl Provider {
    /// The operation with this id; `-` is accepted for `_` (`order-pay-url`).
    pub fn find(&self, id: &str) -> Option<&'static Operation> {
        let id = id.replace('-', "_");
        self.operations.iter().copied().find(|o| o.id == id)
    }
}
