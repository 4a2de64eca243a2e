//! The operation table every generated crate emits (`OPERATIONS`): one row per spec operation, used by the
//! request hooks (signing style, idempotency), the sandbox, the CLI and the example/fuzz tests.

use crate::credentials::{CredentialKind, CredentialValues, MissingEnv};
use crate::envelope::{DajisaasCodec, EnvelopeCodec, PandaponCodec};
use crate::signing::{
    AccessKeyScheme, AppKeyScheme, QueryTimestampSignScheme, Scheme, SchemeParam, SchemeSigners,
    SignError, SigningSettings,
};
use serde_json::Value;

/// How an operation authenticates: a reference to its signing [`Scheme`] (an open extension point). Chosen per operation from the spec's `security` requirement. Two styles are
/// equal when their schemes have the same name.
#[derive(Clone, Copy)]
pub struct AuthStyle(&'static dyn Scheme);

#[allow(non_upper_case_globals)]
impl AuthStyle {
    /// Headers `access-key`, `timestamp`, `nonce-str`, `user-id`, `signature` (PandaPon v1, Xportcn).
    pub const AccessKeyV1: Self = Self(&AccessKeyScheme::V1);
    /// As [`AuthStyle::AccessKeyV1`] without `nonce-str` (PandaPon v2 pages).
    pub const AccessKeyV2: Self = Self(&AccessKeyScheme::V2);
    /// Parameters `appKey` + `sign` (Dajisaas).
    pub const AppKey: Self = Self(&AppKeyScheme::SIGNED);
    /// Query parameters `timestamp` + `sign` whose rule the vendor does not publish
    /// (`/open/pp/logistics/*`); the built-in signers refuse it unless configured.
    pub const QueryTimestampSign: Self = Self(&QueryTimestampSignScheme);

    /// The schemes the runtime implements. A spec may name another scheme when it gives its implementation
    /// (`x-rust` on the security scheme, see the README's "Adding a provider, a signer, an envelope").
    pub const ALL: &'static [AuthStyle] = &[
        AuthStyle::AccessKeyV1,
        AuthStyle::AccessKeyV2,
        AuthStyle::AppKey,
        AuthStyle::QueryTimestampSign,
    ];

    /// The style of a scheme (generated tables of providers with their own scheme use this).
    pub const fn new(scheme: &'static dyn Scheme) -> Self {
        Self(scheme)
    }

    /// The scheme.
    pub fn scheme(self) -> &'static dyn Scheme {
        self.0
    }

    /// The spec's security scheme name; for the built-in schemes also the associated constant's name,
    /// which generated code names.
    pub fn scheme_name(self) -> &'static str {
        self.0.name()
    }

    /// The parameters the scheme adds itself ([`Scheme::params`]).
    pub fn params(self) -> &'static [SchemeParam] {
        self.0.params()
    }

    /// Whether the scheme adds the parameter `name` itself.
    pub fn owns(self, name: &str) -> bool {
        self.params().iter().any(|p| p.name == name)
    }

    /// Whether the runtime implements this scheme (it is in [`AuthStyle::ALL`]).
    pub fn is_built_in(self) -> bool {
        Self::ALL.contains(&self)
    }

    /// The style of a spec's security scheme name: a built-in one, or — for any other name of identifier
    /// shape — a *declared* scheme that refuses to sign and verify until the generated code links its
    /// implementation (codegen requires the spec's `x-rust` for it). `None` for a name that cannot be one.
    pub fn from_scheme_name(name: &str) -> Option<Self> {
        if let Some(s) = Self::ALL.iter().copied().find(|s| s.scheme_name() == name) {
            return Some(s);
        }
        let shaped = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        shaped.then(|| Self(declared::scheme(name)))
    }
}

impl PartialEq for AuthStyle {
    fn eq(&self, other: &Self) -> bool {
        self.scheme_name() == other.scheme_name()
    }
}

impl Eq for AuthStyle {}

impl std::hash::Hash for AuthStyle {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.scheme_name().hash(state)
    }
}

impl std::fmt::Debug for AuthStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.scheme_name())
    }
}

/// What an operation does in an order flow (spec: `x-flow-role`). The sandbox keeps orders across calls by
/// these roles; tools may use them to find a provider's order operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlowRole {
    /// `pay-one`: pays one order, `orderId` in the query or the body.
    PayOne,
    /// `pay-batch`: pays the body's order id list (`orderIds`; Dajisaas's Taobao `purchaseOrderIdList`); `data`
    /// splits them into succeeded and failed where the vendor publishes how.
    PayBatch,
    /// `create`: creates an order (or one per seller) awaiting payment; `data` carries its new id where the
    /// vendor publishes where.
    Create,
    /// `detail`: body `orderId`; `data` is the order's state.
    Detail,
    /// `cancel`: body `orderId`; cancels an order awaiting payment.
    Cancel,
    /// `receive`: body `orderId` (and the sub-orders' `orderEntryIds`); confirms the goods arrived, which
    /// releases the payment to the seller.
    Receive,
}

impl FlowRole {
    /// Every role: the one list of `x-flow-role` values a spec may use.
    pub const ALL: &'static [FlowRole] = &[
        FlowRole::PayOne,
        FlowRole::PayBatch,
        FlowRole::Create,
        FlowRole::Detail,
        FlowRole::Cancel,
        FlowRole::Receive,
    ];

    /// The spec's `x-flow-role` value.
    pub fn name(self) -> &'static str {
        match self {
            FlowRole::PayOne => "pay-one",
            FlowRole::PayBatch => "pay-batch",
            FlowRole::Create => "create",
            FlowRole::Detail => "detail",
            FlowRole::Cancel => "cancel",
            FlowRole::Receive => "receive",
        }
    }

    /// The role of an `x-flow-role` value (the inverse of [`FlowRole::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }
}

/// What an operation does (spec: `x-effect`), declared per operation from the vendor's page. It decides
/// which calls are retried (only reads, see [`Effect::retried`]) and which ones tools hold back
/// (`sourcing mcp` serves payments only with `--allow-payments`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    /// `read`: changes nothing at the vendor (searches, details, previews, lists).
    Read,
    /// `write`: changes something but moves no money (creates, cancels, confirms, edits).
    Write,
    /// `pay`: moves money or returns a payment link.
    Pay,
}

impl Effect {
    /// Every effect: the one list of `x-effect` values a spec may use.
    pub const ALL: &'static [Effect] = &[Effect::Read, Effect::Write, Effect::Pay];

    /// Whether calls with this effect are retried automatically: only declared reads. A write or a payment
    /// whose outcome is unknown is resolved by reading, never by sending it again. The one place this is
    /// decided: the retry loop, generated docs and the CLI's help read it.
    pub fn retried(self) -> bool {
        self == Effect::Read
    }

    /// The spec's `x-effect` value.
    pub fn name(self) -> &'static str {
        match self {
            Effect::Read => "read",
            Effect::Write => "write",
            Effect::Pay => "pay",
        }
    }

    /// The effect of an `x-effect` value (the inverse of [`Effect::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.name() == name)
    }

    /// What the effect means, for help texts.
    pub fn meaning(self) -> &'static str {
        match self {
            Effect::Read => "changes nothing",
            Effect::Write => "changes something, moves no money",
            Effect::Pay => "moves money or returns a payment link",
        }
    }
}

/// Where a parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamLocation {
    /// In the query string.
    Query,
    /// A top-level property of the JSON request body.
    Body,
}

/// The JSON type a parameter must have (the sandbox validates it; `Any` = not checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A JSON string.
    String,
    /// A JSON integer.
    Integer,
    /// A JSON number.
    Number,
    /// A JSON boolean.
    Boolean,
    /// A JSON array.
    Array,
    /// A JSON object.
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

    /// The JSON type name.
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
/// A documented parameter of an operation.
pub struct Param {
    /// The parameter's wire name.
    pub name: &'static str,
    /// Where it is sent.
    pub location: ParamLocation,
    /// Whether the spec requires it.
    pub required: bool,
    /// Its JSON type.
    pub kind: ParamKind,
    /// The spec's description.
    pub description: &'static str,
    /// A limit the vendor documents, checked before the request is signed and sent.
    pub limit: Option<Limit>,
    /// The value is a string that must hold JSON text (spec: `x-json-string: true`), e.g. Dajisaas `sort`.
    pub json_string: bool,
}

/// A documented limit on a parameter (spec: `x-max-items` + `x-separator`, or `maximum`). Checked by
/// [`Operation::check_limits`] before signing, so breaking it is an `InvalidRequest` naming the parameter,
/// not a vendor error after a round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// At most `max` items: a JSON array, or — with a `separator` — a string of separated items (empty
    /// items are not counted).
    MaxItems {
        /// The largest number of items.
        max: usize,
        /// The separator of items in a string, if the value is a string.
        separator: Option<&'static str>,
    },
    /// An integer no greater than this.
    Maximum(i64),
}

impl Limit {
    /// Check a JSON value. Values of another type than the limit is about are left to the server.
    pub fn check(&self, name: &str, value: &Value) -> Result<(), String> {
        match (self, value) {
            (Limit::MaxItems { max, .. }, Value::Array(items)) => {
                max_items(name, items.len(), *max)
            }
            (Limit::MaxItems { .. }, Value::String(text)) => self.check_text(name, text),
            (Limit::Maximum(max), Value::Number(n)) => match n.as_i64() {
                Some(v) => maximum(name, v, *max),
                // Beyond i64 (u64) is above any i64 maximum; floats are not integers this limit knows.
                None if n.is_u64() => {
                    Err(format!("{name} is {n}, the documented maximum is {max}"))
                }
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Check a value as written in a query string.
    pub fn check_text(&self, name: &str, text: &str) -> Result<(), String> {
        match self {
            Limit::MaxItems {
                max,
                separator: Some(sep),
            } => {
                let items = text.split(sep).filter(|s| !s.trim().is_empty()).count();
                max_items(name, items, *max)
            }
            Limit::MaxItems {
                separator: None, ..
            } => Ok(()),
            Limit::Maximum(max) => match text.trim().parse::<i64>() {
                Ok(v) => maximum(name, v, *max),
                Err(_) => Ok(()),
            },
        }
    }
}

fn max_items(name: &str, items: usize, max: usize) -> Result<(), String> {
    if items > max {
        Err(format!(
            "{name} has {items} items, the documented limit is {max} per call"
        ))
    } else {
        Ok(())
    }
}

fn maximum(name: &str, value: i64, max: i64) -> Result<(), String> {
    if value > max {
        Err(format!(
            "{name} is {value}, the documented maximum is {max}"
        ))
    } else {
        Ok(())
    }
}

/// Which side of the exchange an example shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExampleKind {
    /// A request body.
    Request,
    /// A response body.
    Response,
}

/// A documented example payload embedded in the spec.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// The example's name in the spec: the fixture file it came from, without `.json`.
    pub name: &'static str,
    /// Request or response.
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
    /// The HTTP method (`GET`, `POST`).
    pub method: &'static str,
    /// The path below the base URL.
    pub path: &'static str,
    /// The spec tag (area).
    pub tag: &'static str,
    /// The spec's summary.
    pub summary: &'static str,
    /// How it is signed.
    pub auth: AuthStyle,
    /// What it does (spec `x-effect`): decides retries (only reads) and what guarded tools serve.
    pub effect: Effect,
    /// Repeating the call has no further effect (spec `x-idempotent`; every read, and e.g. fetching a payment
    /// link): a hint for tools (MCP's `idempotentHint`). Retries follow [`Operation::effect`] alone.
    pub idempotent: bool,
    /// The documented parameters.
    pub params: &'static [Param],
    /// Whether the operation sends a JSON body.
    pub has_body: bool,
    /// The documented examples.
    pub examples: &'static [Example],
    /// Decode a JSON request body into the generated body type (None when there is no body).
    pub transcode_request: Option<Transcode>,
    /// Decode a response (the whole envelope) into the generated response type.
    pub transcode_response: Transcode,
    /// For batch operations (`x-batch-outcome`): where `data` lists succeeded and failed items, so that a
    /// batch with failed items is [`crate::Error::PartialFailure`], not success. See [`crate::PartialFailure`].
    pub batch_outcome: Option<crate::batch::BatchOutcome>,
    /// `None`: the vendor publishes this endpoint. `Some(source)`: the endpoint is **unconfirmed by the
    /// vendor**, known only from third-party clients (spec `x-evidence: third-party-client`); the text names
    /// the clients and what they show. Such operations exist only with the generated crate's feature
    /// `unconfirmed-endpoints`; tools mark them (see [`Operation::is_unconfirmed`]).
    pub evidence: Option<&'static str>,
    /// JSON text of a self-contained JSON Schema (draft 2020-12, references under `$defs`) of the
    /// operation's inputs, one object:
    /// * a property per query parameter, named as the parameter;
    /// * a property per top-level property of the JSON body, named as the property — except when a query
    ///   parameter has the same name: the body property is then `body_<name>` (PandaPon `refund_info`:
    ///   `refundId` is the query parameter, `body_refundId` the body field);
    /// * `required`: the required query parameters and, when the body is required, its required properties;
    /// * `additionalProperties`: the body's own (open bodies take extra fields into the body), else `false`.
    ///
    /// The names are those of [`Operation::params`]; signer-owned fields (`appKey`, `sign`, …) are not inputs.
    /// See [`Operation::input_schema_json`].
    pub input_schema: &'static str,
    /// What the operation does in an order flow (spec `x-flow-role`), if anything.
    pub flow_role: Option<FlowRole>,
    /// JSON text of a self-contained JSON Schema (draft 2020-12) of the whole 200 response: the success
    /// envelope or the failure envelope (`{"anyOf": [{"$ref": "#/$defs/<Envelope>"}, {"$ref":
    /// "#/$defs/ErrorEnvelope"}], "$defs": {...}}`; a spec without error answers gives the envelope's `$ref`
    /// alone). See [`Operation::response_schema_json`].
    pub response_schema: &'static str,
}

impl Operation {
    /// Whether the vendor does not publish this endpoint (known only from third-party clients).
    pub fn is_unconfirmed(&self) -> bool {
        self.evidence.is_some()
    }

    /// A call outside the operation table (`call_raw`, the hand-written multipart uploads): no documented
    /// parameters or examples, `data` untyped, and never retried — its idempotency is unknown.
    pub fn untabled(id: &'static str, auth: AuthStyle, has_body: bool) -> Self {
        Operation {
            id,
            method: "",
            path: "",
            tag: "",
            summary: "",
            auth,
            effect: Effect::Write,
            idempotent: false,
            params: &[],
            has_body,
            examples: &[],
            transcode_request: None,
            transcode_response: transcode::<Value>,
            batch_outcome: None,
            evidence: None,
            input_schema: "true",
            flow_role: None,
            response_schema: "true",
        }
    }

    /// [`Operation::input_schema`] parsed. The generated tables always hold valid JSON.
    pub fn input_schema_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.input_schema)
    }

    /// [`Operation::response_schema`] parsed. The generated tables always hold valid JSON.
    pub fn response_schema_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.response_schema)
    }

    /// The name of `param` in [`Operation::input_schema`]: its own, or `body_<name>` for a body property
    /// whose name a query parameter of this operation also has.
    pub fn input_name(&self, param: &Param) -> std::borrow::Cow<'static, str> {
        let collides = param.location == ParamLocation::Body
            && self
                .params
                .iter()
                .any(|p| p.location == ParamLocation::Query && p.name == param.name);
        if collides {
            format!("body_{}", param.name).into()
        } else {
            param.name.into()
        }
    }

    /// Check the documented limits of this operation's parameters against a built request (query string
    /// and top-level JSON body properties). `Err` names the parameter and the limit. Called by the
    /// generated `pre` hook before signing; the one place limits are enforced.
    pub fn check_limits(&self, request: &reqwest::Request) -> Result<(), String> {
        let mut body: Option<Option<Value>> = None;
        for param in self.params {
            let Some(limit) = &param.limit else { continue };
            match param.location {
                ParamLocation::Query => {
                    for (name, value) in request.url().query_pairs() {
                        if name == param.name {
                            limit.check_text(param.name, &value)?;
                        }
                    }
                }
                ParamLocation::Body => {
                    let json = body.get_or_insert_with(|| {
                        request
                            .body()
                            .and_then(reqwest::Body::as_bytes)
                            .and_then(|b| serde_json::from_slice(b).ok())
                    });
                    if let Some(value) = json.as_ref().and_then(|j| j.get(param.name)) {
                        limit.check(param.name, value)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The examples of one kind.
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

/// The envelope a provider wraps every response in: a reference to its [`EnvelopeCodec`] (an open extension
/// point). Two styles are equal when their codecs have the same name.
#[derive(Clone, Copy)]
pub struct EnvelopeStyle(&'static dyn EnvelopeCodec);

#[allow(non_upper_case_globals)]
impl EnvelopeStyle {
    /// `{requestId, code, developId, msg, data}` (PandaPon, Xportcn).
    pub const Pandapon: Self = Self(&PandaponCodec);
    /// `{code, message, data, timestamp, traceId}` (Dajisaas).
    pub const Dajisaas: Self = Self(&DajisaasCodec);

    /// The envelopes the runtime implements. A spec may name another when it gives its implementation
    /// (`x-sourcing.rust.envelope`).
    pub const ALL: &'static [EnvelopeStyle] = &[EnvelopeStyle::Pandapon, EnvelopeStyle::Dajisaas];

    /// The style of a codec (generated descriptions of providers with their own envelope use this).
    pub const fn new(codec: &'static dyn EnvelopeCodec) -> Self {
        Self(codec)
    }

    /// The codec.
    pub fn codec(self) -> &'static dyn EnvelopeCodec {
        self.0
    }

    /// The spec's `x-sourcing.envelope` value.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The typed envelope's name in the runtime's root (`PandaponEnvelope`), which generated code names.
    pub fn type_name(self) -> &'static str {
        self.0.type_name()
    }

    /// Whether the runtime implements this envelope (it is in [`EnvelopeStyle::ALL`]).
    pub fn is_built_in(self) -> bool {
        Self::ALL.iter().any(|e| e.name() == self.name())
    }

    /// The style of an `x-sourcing.envelope` value: a built-in one, or — for another lower-case name — a
    /// *declared* one whose implementation the spec must give (`x-sourcing.rust.envelope`).
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some(e) = Self::ALL.iter().copied().find(|e| e.name() == name) {
            return Some(e);
        }
        declared::is_kebab(name).then(|| Self(declared::envelope(name)))
    }
}

impl PartialEq for EnvelopeStyle {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for EnvelopeStyle {}

impl std::fmt::Debug for EnvelopeStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which credentials a provider's schemes sign with: a reference to a [`CredentialKind`] (data: fields,
/// environment variables, sandbox values). Two styles are equal when their kinds have the same name.
#[derive(Clone, Copy)]
pub struct CredentialStyle(&'static CredentialKind);

#[allow(non_upper_case_globals)]
impl CredentialStyle {
    /// `access-key`, access secret, `user-id`.
    pub const AccessKey: Self = Self(&crate::credentials::ACCESS_KEY);
    /// `appKey`, app secret.
    pub const AppKey: Self = Self(&crate::credentials::APP_KEY);

    /// The kinds the runtime knows. A spec may name another when it gives its implementation
    /// (`x-sourcing.rust.credentials`).
    pub const ALL: &'static [CredentialStyle] =
        &[CredentialStyle::AccessKey, CredentialStyle::AppKey];

    /// The style of a kind (generated descriptions of providers with their own credentials use this).
    pub const fn new(kind: &'static CredentialKind) -> Self {
        Self(kind)
    }

    /// The kind: its fields and names.
    pub const fn kind(self) -> &'static CredentialKind {
        self.0
    }

    /// The spec's `x-sourcing.credentials` value.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// Whether the runtime knows this kind (it is in [`CredentialStyle::ALL`]).
    pub fn is_built_in(self) -> bool {
        Self::ALL.iter().any(|c| c.name() == self.name())
    }

    /// The style of an `x-sourcing.credentials` value: a built-in one, or — for another lower-case name — a
    /// *declared* one whose implementation the spec must give (`x-sourcing.rust.credentials`).
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some(c) = Self::ALL.iter().copied().find(|c| c.name() == name) {
            return Some(c);
        }
        declared::is_kebab(name).then(|| Self(declared::credentials(name)))
    }

    /// The environment variables holding these credentials for a provider's `env_prefix`
    /// (`PANDAPON` → `PANDAPON_ACCESS_KEY`, …), in field order.
    pub fn env_vars(self, env_prefix: &str) -> Vec<String> {
        self.0.env_vars(env_prefix)
    }

    /// The environment variable holding the (first) secret (`PANDAPON_ACCESS_SECRET`, `DAJISAAS_APP_SECRET`).
    pub fn secret_env_var(self, env_prefix: &str) -> Option<String> {
        self.0.secret_env_var(env_prefix)
    }
}

impl PartialEq for CredentialStyle {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for CredentialStyle {}

impl std::fmt::Debug for CredentialStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Names a spec uses for an implementation outside the runtime. Codegen parses spec names with the
/// `from_name`s above; for such a name there is nothing in the runtime to point at, so it gets a stand-in
/// (interned: one per name for the life of the process) that refuses to work. Generated code never uses the
/// stand-in: it names the spec's implementation instead.
mod declared {
    use super::*;
    use std::sync::Mutex;

    pub(super) fn is_kebab(name: &str) -> bool {
        name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }

    fn intern<T: 'static>(
        list: &Mutex<Vec<&'static T>>,
        name: &str,
        name_of: fn(&T) -> &str,
        make: fn(&'static str) -> T,
    ) -> &'static T {
        let mut list = list.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = list.iter().find(|t| name_of(t) == name) {
            return found;
        }
        let made: &'static T = Box::leak(Box::new(make(Box::leak(name.into()))));
        list.push(made);
        made
    }

    #[derive(Debug)]
    pub(super) struct Declared(&'static str);

    impl Declared {
        fn refusal(&self) -> String {
            format!(
                "{} is declared by a spec but has no implementation linked",
                self.0
            )
        }
    }

    pub(super) fn scheme(name: &str) -> &'static Declared {
        static LIST: Mutex<Vec<&'static Declared>> = Mutex::new(Vec::new());
        intern(&LIST, name, |d| d.0, Declared)
    }

    pub(super) fn envelope(name: &str) -> &'static Declared {
        static LIST: Mutex<Vec<&'static Declared>> = Mutex::new(Vec::new());
        intern(&LIST, name, |d| d.0, Declared)
    }

    pub(super) fn credentials(name: &str) -> &'static CredentialKind {
        static LIST: Mutex<Vec<&'static CredentialKind>> = Mutex::new(Vec::new());
        intern(
            &LIST,
            name,
            |k| k.name,
            |name| CredentialKind {
                name,
                fields: &[],
                rust_type: "",
                reexports: &[],
            },
        )
    }

    impl Scheme for Declared {
        fn name(&self) -> &'static str {
            self.0
        }
        fn credentials(&self) -> &'static CredentialKind {
            credentials("declared")
        }
        fn params(&self) -> &'static [SchemeParam] {
            &[]
        }
        fn signer(
            &self,
            _: &CredentialValues,
            _: &crate::signing::SigningSettings,
        ) -> Result<std::sync::Arc<dyn crate::Signer>, SignError> {
            Err(SignError(self.refusal()))
        }
        fn verify(
            &self,
            _: &crate::signing::Received<'_>,
            _: &crate::signing::Verification<'_>,
        ) -> Result<(), String> {
            Err(self.refusal())
        }
    }

    impl EnvelopeCodec for Declared {
        fn name(&self) -> &'static str {
            self.0
        }
        /// Generated code types such a provider's answers as `Enveloped<T>`, settled by its own codec.
        fn type_name(&self) -> &'static str {
            "Enveloped"
        }
        fn decode(&self, operation: &Operation, _: &[u8]) -> Result<Value, crate::Error> {
            Err(crate::Error::InvalidRequest {
                operation: operation.id,
                message: self.refusal(),
            })
        }
        fn api_error_in(&self, _: &[u8], _: &'static str) -> Option<crate::ApiError> {
            None
        }
        fn encode(&self, _: Result<Value, crate::envelope::Failure>) -> Value {
            Value::Null
        }
        fn data_field(&self) -> &'static str {
            "data"
        }
    }
}

/// A provider as described by its spec: what the sandbox and the CLI need to serve and call it.
#[derive(Clone, Copy, Debug)]
pub struct Provider {
    /// Crate / CLI name (`pandapon`).
    pub name: &'static str,
    /// Display name (`PandaPon`).
    pub title: &'static str,
    /// The production base URL.
    pub production_base_url: &'static str,
    /// Prefix of the credential environment variables (`PANDAPON`).
    pub env_prefix: &'static str,
    /// The response envelope.
    pub envelope: EnvelopeStyle,
    /// The credentials the signer needs.
    pub credentials: CredentialStyle,
    /// The operation table.
    pub operations: &'static [&'static Operation],
}

impl Provider {
    /// The auth style of the documented operations under the same first path segment as `path` (PandaPon
    /// `/v2/...` → `AccessKeyV2`), the most common one when they differ; the provider's most common style
    /// when no documented path shares the segment. Used by `call_raw` for undocumented paths.
    pub fn auth_for_path(&self, path: &str) -> Option<AuthStyle> {
        let root = |p: &str| {
            p.trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("")
                .to_string()
        };
        let wanted = root(path);
        let pick = |ops: &mut dyn Iterator<Item = &&Operation>| {
            let mut counts: Vec<(AuthStyle, usize)> = Vec::new();
            for op in ops {
                match counts.iter_mut().find(|(a, _)| *a == op.auth) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((op.auth, 1)),
                }
            }
            counts.into_iter().max_by_key(|(_, n)| *n).map(|(a, _)| a)
        };
        pick(&mut self.operations.iter().filter(|o| root(o.path) == wanted))
            .or_else(|| pick(&mut self.operations.iter()))
    }

    /// The distinct schemes of the operations, in table order.
    pub fn schemes(&self) -> Vec<AuthStyle> {
        let mut out: Vec<AuthStyle> = Vec::new();
        for op in self.operations {
            if !out.contains(&op.auth) {
                out.push(op.auth);
            }
        }
        out
    }

    /// A signer for every scheme of the provider, from credentials of its kind (in field order), reading
    /// the vendor's open rules as `settings` say.
    pub fn signer(
        &self,
        credentials: &CredentialValues,
        settings: &SigningSettings,
    ) -> Result<SchemeSigners, SignError> {
        SchemeSigners::build(&self.schemes(), |s| s.signer(credentials, settings))
    }

    /// [`Provider::signer`] for talking to the sandbox ([`Scheme::sandbox_signer`]).
    pub fn sandbox_signer(
        &self,
        credentials: &CredentialValues,
        settings: &SigningSettings,
    ) -> Result<SchemeSigners, SignError> {
        SchemeSigners::build(&self.schemes(), |s| s.sandbox_signer(credentials, settings))
    }

    /// The provider's credentials from the environment (`<ENV_PREFIX>_<FIELD>`).
    pub fn credentials_from_env(&self) -> Result<CredentialValues, MissingEnv> {
        self.credentials.kind().from_env(self.env_prefix)
    }

    /// The operation with this id; `-` is accepted for `_` (`order-pay-url`).
    pub fn find(&self, id: &str) -> Option<&'static Operation> {
        // This runs on every call (twice): the exact id first (what generated code passes), then `-` in `id`
        // matching `_` (CLI spelling), compared in place.
        if let Some(op) = self.operations.iter().copied().find(|o| o.id == id) {
            return Some(op);
        }
        let same = |o: &&Operation| {
            o.id.len() == id.len()
                && o.id
                    .bytes()
                    .zip(id.bytes())
                    .all(|(a, b)| a == b || (a == b'_' && b == b'-'))
        };
        self.operations.iter().copied().find(same)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const fn param(name: &'static str, location: ParamLocation, limit: Limit) -> Param {
        Param {
            name,
            location,
            required: true,
            kind: ParamKind::Any,
            description: "",
            limit: Some(limit),
            json_string: false,
        }
    }

    static OP: Operation = Operation {
        id: "op",
        method: "POST",
        path: "/x",
        tag: "t",
        summary: "s",
        auth: AuthStyle::AppKey,
        effect: Effect::Write,
        idempotent: false,
        params: &[
            param(
                "ids",
                ParamLocation::Query,
                Limit::MaxItems {
                    max: 3,
                    separator: Some(","),
                },
            ),
            param("size", ParamLocation::Query, Limit::Maximum(50)),
            param(
                "list",
                ParamLocation::Body,
                Limit::MaxItems {
                    max: 2,
                    separator: None,
                },
            ),
        ],
        has_body: true,
        examples: &[],
        transcode_request: None,
        transcode_response: transcode::<Value>,
        batch_outcome: None,
        evidence: None,
        input_schema: "true",
        flow_role: None,
        response_schema: "true",
    };

    fn request(query: &str, body: Value) -> reqwest::Request {
        reqwest::Client::new()
            .post(format!("http://localhost/x?{query}"))
            .json(&body)
            .build()
            .unwrap()
    }

    #[test]
    fn limits_at_the_boundary_pass_and_beyond_fail_naming_the_parameter() {
        OP.check_limits(&request("ids=1,2,3&size=50", json!({"list": [1, 2]})))
            .unwrap();
        // Empty items (a trailing comma) are not counted; a JSON-array text counts the same.
        OP.check_limits(&request("ids=%5B1,2,3%5D,&size=1", json!({})))
            .unwrap();
        let e = OP
            .check_limits(&request("ids=1,2,3,4", json!({})))
            .unwrap_err();
        assert_eq!(e, "ids has 4 items, the documented limit is 3 per call");
        let e = OP.check_limits(&request("size=51", json!({}))).unwrap_err();
        assert_eq!(e, "size is 51, the documented maximum is 50");
        let e = OP
            .check_limits(&request("", json!({"list": [1, 2, 3]})))
            .unwrap_err();
        assert!(e.starts_with("list has 3 items"), "{e}");
    }

    /// Codegen parses spec names with `from_*name` and names the built-ins in generated code by the same
    /// text (`AuthStyle::AccessKeyV1`, `EnvelopeStyle::Pandapon`, …), so each list must round-trip; other
    /// names of the right shape are declared stand-ins that refuse to work.
    #[test]
    fn the_name_lists_round_trip_and_other_names_are_declared() {
        for s in AuthStyle::ALL {
            assert_eq!(AuthStyle::from_scheme_name(s.scheme_name()), Some(*s));
            assert!(s.is_built_in());
        }
        for e in EnvelopeStyle::ALL {
            assert_eq!(EnvelopeStyle::from_name(e.name()), Some(*e));
        }
        for c in CredentialStyle::ALL {
            assert_eq!(CredentialStyle::from_name(c.name()), Some(*c));
        }
        for r in FlowRole::ALL {
            assert_eq!(FlowRole::from_name(r.name()), Some(*r));
        }
        for e in Effect::ALL {
            assert_eq!(Effect::from_name(e.name()), Some(*e));
        }
        let effects: Vec<&str> = Effect::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(effects, ["read", "write", "pay"]);
        let schemes: Vec<&str> = AuthStyle::ALL.iter().map(|a| a.scheme_name()).collect();
        assert_eq!(
            schemes,
            ["AccessKeyV1", "AccessKeyV2", "AppKey", "QueryTimestampSign"]
        );
        assert_eq!(format!("{:?}", AuthStyle::AppKey), "AppKey");
        let hmac = AuthStyle::from_scheme_name("HmacSha256").unwrap();
        assert!(!hmac.is_built_in());
        assert_eq!(AuthStyle::from_scheme_name("HmacSha256"), Some(hmac));
        assert!(
            hmac.scheme()
                .signer(&CredentialValues::new(["k"]), &Default::default())
                .is_err()
        );
        assert_eq!(AuthStyle::from_scheme_name("no way"), None);
        assert!(!EnvelopeStyle::from_name("acme").unwrap().is_built_in());
        assert_eq!(EnvelopeStyle::from_name("Acme"), None);
        assert!(
            CredentialStyle::from_name("hmac")
                .unwrap()
                .kind()
                .fields
                .is_empty()
        );
        assert_eq!(
            CredentialStyle::AppKey.env_vars("DAJISAAS"),
            ["DAJISAAS_APP_KEY", "DAJISAAS_APP_SECRET"]
        );
        for c in CredentialStyle::ALL {
            assert!(c.env_vars("X").contains(&c.secret_env_var("X").unwrap()));
        }
    }

    #[test]
    fn values_of_other_types_are_left_to_the_server() {
        let limit = Limit::Maximum(5);
        limit.check("n", &json!("x")).unwrap();
        limit.check("n", &json!(2.5)).unwrap();
        assert!(limit.check("n", &json!(u64::MAX)).is_err());
        limit.check_text("n", "abc").unwrap();
    }
}
