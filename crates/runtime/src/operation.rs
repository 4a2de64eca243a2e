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
    /// Every style the runtime signs: the one list of security scheme names a spec may use (codegen checks
    /// spec names against it).
    pub const ALL: &'static [AuthStyle] = &[
        AuthStyle::AccessKeyV1,
        AuthStyle::AccessKeyV2,
        AuthStyle::AppKey,
        AuthStyle::QueryTimestampSign,
    ];

    /// The spec's security scheme name for this style; also the variant's name, which generated code names.
    pub fn scheme_name(self) -> &'static str {
        match self {
            AuthStyle::AccessKeyV1 => "AccessKeyV1",
            AuthStyle::AccessKeyV2 => "AccessKeyV2",
            AuthStyle::AppKey => "AppKey",
            AuthStyle::QueryTimestampSign => "QueryTimestampSign",
        }
    }

    /// The style of a spec's security scheme name (the inverse of [`AuthStyle::scheme_name`]).
    pub fn from_scheme_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.scheme_name() == name)
    }
}

/// What an operation does in an order flow (spec: `x-flow-role`). The sandbox keeps orders across calls by
/// these roles; tools may use them to find a provider's order operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlowRole {
    /// `pay-one`: pays one order, `orderId` in the query or the body.
    PayOne,
    /// `pay-batch`: pays the body's `orderIds`; `data` splits them into succeeded and failed.
    PayBatch,
    /// `create`: creates an order awaiting payment; `data` carries its new id.
    Create,
    /// `detail`: body `orderId`; `data` is the order's state.
    Detail,
    /// `cancel`: body `orderId`; cancels an order awaiting payment.
    Cancel,
}

impl FlowRole {
    /// Every role: the one list of `x-flow-role` values a spec may use.
    pub const ALL: &'static [FlowRole] = &[
        FlowRole::PayOne,
        FlowRole::PayBatch,
        FlowRole::Create,
        FlowRole::Detail,
        FlowRole::Cancel,
    ];

    /// The spec's `x-flow-role` value.
    pub fn name(self) -> &'static str {
        match self {
            FlowRole::PayOne => "pay-one",
            FlowRole::PayBatch => "pay-batch",
            FlowRole::Create => "create",
            FlowRole::Detail => "detail",
            FlowRole::Cancel => "cancel",
        }
    }

    /// The role of an `x-flow-role` value (the inverse of [`FlowRole::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }
}

/// What an operation does (spec: `x-effect`), declared per operation from the vendor's page. It decides
/// which calls are retried (only reads, see [`crate::policy::retried`]) and which ones tools hold back
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

/// The names of a list, for error messages listing the valid values (`"a, b, c"`).
pub fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|t| name(*t)).collect::<Vec<_>>().join(", ")
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
    /// batch with failed items is [`crate::Error::PartialFailure`], not success. See [`crate::batch`].
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
    /// JSON text of a self-contained JSON Schema (draft 2020-12) of the whole 200 response: the envelope
    /// (`{"$ref": "#/$defs/<Envelope component>", "$defs": {...}}`). See [`Operation::response_schema_json`].
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

/// The envelope a provider wraps every response in.
// Not `non_exhaustive`: a new envelope must fail to compile at every match that has to learn it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvelopeStyle {
    /// `{requestId, code, developId, msg, data}` (PandaPon, Xportcn).
    Pandapon,
    /// `{code, message, data, timestamp, traceId}` (Dajisaas).
    Dajisaas,
}

impl EnvelopeStyle {
    /// Every envelope the runtime decodes: the one list of `x-sourcing.envelope` values.
    pub const ALL: &'static [EnvelopeStyle] = &[EnvelopeStyle::Pandapon, EnvelopeStyle::Dajisaas];

    /// The spec's `x-sourcing.envelope` value.
    pub fn name(self) -> &'static str {
        match self {
            EnvelopeStyle::Pandapon => "pandapon",
            EnvelopeStyle::Dajisaas => "dajisaas",
        }
    }

    /// The envelope type's name in the runtime's root (`PandaponEnvelope`), which generated code names.
    pub fn type_name(self) -> &'static str {
        match self {
            EnvelopeStyle::Pandapon => "PandaponEnvelope",
            EnvelopeStyle::Dajisaas => "DajisaasEnvelope",
        }
    }

    /// The variant's name (`Pandapon`), which generated code names.
    pub fn variant_name(self) -> &'static str {
        match self {
            EnvelopeStyle::Pandapon => "Pandapon",
            EnvelopeStyle::Dajisaas => "Dajisaas",
        }
    }

    /// The style of an `x-sourcing.envelope` value (the inverse of [`EnvelopeStyle::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.name() == name)
    }
}

/// Which credentials a provider's signer needs.
// Not `non_exhaustive`: a new credential style must fail to compile at every match that has to learn it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialStyle {
    /// `access-key`, access secret, `user-id`.
    AccessKey,
    /// `appKey`, app secret.
    AppKey,
}

impl CredentialStyle {
    /// Every credential style: the one list of `x-sourcing.credentials` values.
    pub const ALL: &'static [CredentialStyle] =
        &[CredentialStyle::AccessKey, CredentialStyle::AppKey];

    /// The spec's `x-sourcing.credentials` value.
    pub fn name(self) -> &'static str {
        match self {
            CredentialStyle::AccessKey => "access-key",
            CredentialStyle::AppKey => "app-key",
        }
    }

    /// The variant's name (`AccessKey`), which generated code names.
    pub fn variant_name(self) -> &'static str {
        match self {
            CredentialStyle::AccessKey => "AccessKey",
            CredentialStyle::AppKey => "AppKey",
        }
    }

    /// The style of an `x-sourcing.credentials` value (the inverse of [`CredentialStyle::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The environment variables holding these credentials for a provider's `env_prefix`
    /// (`PANDAPON` → `PANDAPON_ACCESS_KEY`, …), in the order the credentials' constructor takes them.
    pub fn env_vars(self, env_prefix: &str) -> Vec<String> {
        let suffixes: &[&str] = match self {
            CredentialStyle::AccessKey => &["ACCESS_KEY", "ACCESS_SECRET", "USER_ID"],
            CredentialStyle::AppKey => &["APP_KEY", "APP_SECRET"],
        };
        suffixes
            .iter()
            .map(|s| format!("{env_prefix}_{s}"))
            .collect()
    }

    /// The environment variable holding the secret (`PANDAPON_ACCESS_SECRET`, `DAJISAAS_APP_SECRET`); also
    /// the key Dajisaas signs its callbacks with.
    pub fn secret_env_var(self, env_prefix: &str) -> String {
        match self {
            CredentialStyle::AccessKey => format!("{env_prefix}_ACCESS_SECRET"),
            CredentialStyle::AppKey => format!("{env_prefix}_APP_SECRET"),
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

    /// The operation with this id; `-` is accepted for `_` (`order-pay-url`).
    pub fn find(&self, id: &str) -> Option<&'static Operation> {
        // `-` in `id` matches `_` (CLI spelling), compared in place: this runs on every call.
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

    /// Codegen parses spec names with `from_*name` and names the variant in generated code by the same
    /// text (`AuthStyle::AccessKeyV1`, `EnvelopeStyle::Pandapon`, …), so each list must round-trip.
    #[test]
    fn the_name_lists_round_trip_and_name_the_variants() {
        for s in AuthStyle::ALL {
            assert_eq!(AuthStyle::from_scheme_name(s.scheme_name()), Some(*s));
            assert_eq!(
                format!("{s:?}"),
                s.scheme_name(),
                "scheme name = variant name"
            );
        }
        for e in EnvelopeStyle::ALL {
            assert_eq!(EnvelopeStyle::from_name(e.name()), Some(*e));
            assert_eq!(format!("{e:?}"), e.variant_name());
        }
        for c in CredentialStyle::ALL {
            assert_eq!(CredentialStyle::from_name(c.name()), Some(*c));
            assert_eq!(format!("{c:?}"), c.variant_name());
        }
        for r in FlowRole::ALL {
            assert_eq!(FlowRole::from_name(r.name()), Some(*r));
        }
        for e in Effect::ALL {
            assert_eq!(Effect::from_name(e.name()), Some(*e));
        }
        assert_eq!(names(Effect::ALL, Effect::name), "read, write, pay");
        assert_eq!(
            names(AuthStyle::ALL, AuthStyle::scheme_name),
            "AccessKeyV1, AccessKeyV2, AppKey, QueryTimestampSign"
        );
        assert_eq!(
            CredentialStyle::AppKey.env_vars("DAJISAAS"),
            ["DAJISAAS_APP_KEY", "DAJISAAS_APP_SECRET"]
        );
        for c in CredentialStyle::ALL {
            assert!(c.env_vars("X").contains(&c.secret_env_var("X")));
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
