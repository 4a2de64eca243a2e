//! Loading and validating a provider spec into the model the generators use. Every rule the rest of the
//! pipeline relies on is checked here, so a bad spec fails with a named location instead of a panic or
//! odd output later.

use crate::error::{CodegenError, pointer};
use openapiv3::{OpenAPI, Operation, Parameter, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The provider-level settings under the spec's `x-sourcing` extension.
#[derive(Debug, Clone)]
pub struct SourcingMeta {
    /// Name of the generated crate (`pandapon`).
    pub crate_name: String,
    /// Human name (`PandaPon`).
    pub title: String,
    pub envelope: EnvelopeKind,
    pub credentials: CredentialsKind,
    /// Prefix of the credential environment variables (`PANDAPON` -> `PANDAPON_ACCESS_KEY`).
    pub env_prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeKind {
    Pandapon,
    Dajisaas,
}

impl EnvelopeKind {
    pub fn rust_path(self) -> &'static str {
        match self {
            EnvelopeKind::Pandapon => "::sourcing_runtime::PandaponEnvelope",
            EnvelopeKind::Dajisaas => "::sourcing_runtime::DajisaasEnvelope",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsKind {
    AccessKey,
    AppKey,
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
    /// `String`, `Integer`, … (a `sourcing_runtime::operation::ParamKind` variant name).
    pub kind: &'static str,
    pub description: String,
    /// A documented limit the runtime checks before sending (`sourcing_runtime::operation::Limit`).
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
    pub idempotent: bool,
    /// Row id in `provider-docs/CATALOGUE.md`.
    pub catalogue_id: String,
    pub params: Vec<ParamModel>,
    /// Component name of the JSON request body.
    pub body_schema: Option<String>,
    /// Component name of the 200 response (an envelope).
    pub response_schema: String,
    pub examples: Vec<ExampleModel>,
    /// `x-batch-outcome`: where `data` lists succeeded and failed items (batch operations).
    pub batch_outcome: Option<BatchOutcomeModel>,
    /// `x-evidence: third-party-client` + `x-evidence-source`: the endpoint is unconfirmed by the vendor,
    /// known only from third-party clients; the text names them. `None` = published by the vendor.
    pub evidence: Option<String>,
    /// Self-contained JSON Schema (2020-12) of the operation's inputs (query parameters and top-level body
    /// properties; a body property named like a query parameter is `body_<name>`).
    pub input_schema: Value,
    /// Self-contained JSON Schema (2020-12) of the whole 200 response (the envelope).
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

/// Validate every embedded example with the same JSON Schema validator: request examples against the body
/// schema (plus the security scheme's `x-body-credentials`, the fields the signer puts in JSON bodies),
/// response examples against the whole envelope schema. An example marked `x-example-deviation` must fail
/// (the mark is checked, not trusted); any other must pass.
fn check_examples(raw: &Value, operations: &[OperationModel]) -> OpResult<ExampleCounts> {
    use crate::json_schema::{Converter, component};
    use crate::validate::{compile, errors};
    let mut counts = ExampleCounts::default();
    for op in operations {
        let mut request = None;
        let mut response = None;
        for ex in &op.examples {
            let slot = match ex.kind {
                ExampleKind::Request => &mut request,
                ExampleKind::Response => &mut response,
            };
            if slot.is_none() {
                let schema = match (ex.kind, &op.body_schema) {
                    (ExampleKind::Response, _) => op.response_json_schema.clone(),
                    (ExampleKind::Request, None) => {
                        return Err((
                            ex.pointer.clone(),
                            "a request example on an operation without a JSON body".into(),
                        ));
                    }
                    (ExampleKind::Request, Some(body)) => {
                        let creds_ptr = pointer([
                            "components",
                            "securitySchemes",
                            &op.auth,
                            "x-body-credentials",
                        ]);
                        match raw.pointer(&creds_ptr) {
                            None => component(raw, body).map_err(|m| (ex.pointer.clone(), m))?,
                            Some(creds) => {
                                let mut conv = Converter::new(raw);
                                let body_ref = serde_json::json!({"$ref": format!("{SCHEMA_REF_PREFIX}{body}")});
                                let b = conv
                                    .convert(&body_ref)
                                    .map_err(|m| (ex.pointer.clone(), m))?;
                                let c = conv
                                    .convert(
                                        &serde_json::json!({"type": "object", "properties": creds}),
                                    )
                                    .map_err(|m| (creds_ptr.clone(), m))?;
                                conv.finish(serde_json::json!({"allOf": [b, c]}))
                            }
                        }
                    }
                };
                *slot = Some(compile(&schema).map_err(|m| (ex.pointer.clone(), m))?);
            }
            let Some(validator) = slot.as_ref() else {
                continue;
            };
            let problems = errors(validator, &ex.value);
            match (&ex.deviation, problems.is_empty()) {
                (None, true) => counts.conforming += 1,
                (Some(_), false) => counts.deviations += 1,
                (None, false) => {
                    return Err((
                        format!("{}/value", ex.pointer),
                        format!(
                            "the example does not conform to its schema ({} of {}): {}; fix the spec, or mark a vendor example that contradicts the vendor's field table with x-example-deviation: <reason>",
                            match ex.kind {
                                ExampleKind::Request => "request body",
                                ExampleKind::Response => "response envelope",
                            },
                            op.id,
                            problems.join("; ")
                        ),
                    ));
                }
                (Some(_), true) => {
                    return Err((
                        format!("{}/x-example-deviation", ex.pointer),
                        "deviation no longer needed: the example conforms to its schema; remove x-example-deviation".into(),
                    ));
                }
            }
        }
    }
    Ok(counts)
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

const ENVELOPE_REF: &str = "#/components/schemas/Envelope";
const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";
/// "X or null" is `anyOf: [X, {$ref: JsonNull}]` (see `client::for_progenitor`).
pub const JSON_NULL_REF: &str = "#/components/schemas/JsonNull";

/// Load `path` (shown in errors as `display`).
pub fn load(path: &Path, display: &Path) -> Result<ProviderSpec, CodegenError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CodegenError::new(display, "", format!("cannot read the spec: {e}")))?;
    parse(&text, display)
}

/// Parse and validate spec text.
pub fn parse(text: &str, display: &Path) -> Result<ProviderSpec, CodegenError> {
    let err = |loc: String, msg: String| CodegenError::new(display, loc, msg);

    // YAML syntax first, so syntax errors carry a line and column.
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let loc = e
            .location()
            .map(|l| format!("line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        err(loc, format!("invalid YAML: {e}"))
    })?;
    if let Some((loc, key)) = non_string_key(&value, "") {
        return Err(err(
            loc,
            format!(
                "the key {key} is not a string (YAML reads unquoted null, Null, true, numbers… as such): quote it"
            ),
        ));
    }
    let raw: Value = serde_json::to_value(&value)
        .map_err(|e| err(String::new(), format!("not representable as JSON: {e}")))?;
    if let Some(version) = raw.get("openapi").and_then(Value::as_str)
        && !version.starts_with("3.0.")
    {
        return Err(err(
            "/openapi".into(),
            format!("version {version} is not 3.0.x (progenitor 0.15 reads only OpenAPI 3.0)"),
        ));
    }
    // The official OpenAPI 3.0 JSON Schema before anything else, then the rules tools rely on.
    crate::validate::meta_schema(&raw).map_err(|(l, m)| err(l, m))?;
    crate::validate::strict_rules(&raw).map_err(|(l, m)| err(l, m))?;
    let source = value.clone();
    let openapi: OpenAPI = serde_path_to_error::deserialize(value).map_err(|e| {
        let loc = pointer(e.path().iter().map(|seg| seg.to_string()));
        err(loc, format!("not an OpenAPI 3.0 document: {}", e.inner()))
    })?;
    let meta = sourcing_meta(&openapi).map_err(|m| err("/x-sourcing".into(), m))?;
    let base_url = openapi
        .servers
        .first()
        .map(|s| s.url.clone())
        .ok_or_else(|| {
            err(
                "/servers".into(),
                "no server: the first server is the production base URL".into(),
            )
        })?;

    let components = openapi
        .components
        .as_ref()
        .ok_or_else(|| err("/components".into(), "missing components".into()))?;
    let schemes = &components.security_schemes;
    let mut replacements = Vec::new();
    let mut envelope_data = Vec::new();
    for (name, schema) in &components.schemas {
        let ptr = pointer(["components", "schemas", name]);
        let ReferenceOr::Item(schema) = schema else {
            return Err(err(
                ptr,
                "a component schema must not be a bare $ref".into(),
            ));
        };
        if !is_rust_type_name(name) {
            return Err(err(
                ptr,
                format!("schema name {name:?} must be PascalCase ASCII"),
            ));
        }
        if let Some(v) = schema.schema_data.extensions.get("x-runtime-type") {
            let path = v.as_str().ok_or_else(|| {
                err(
                    format!("{ptr}/x-runtime-type"),
                    "must be a Rust type path string".into(),
                )
            })?;
            replacements.push((name.clone(), path.to_string()));
        } else if let Some(data) = envelope_parts(schema) {
            let data_ty = rust_type_of(data, &meta.crate_name)
                .map_err(|m| err(format!("{ptr}/allOf/1/properties/data"), m))?;
            replacements.push((
                name.clone(),
                format!("{}<{data_ty}>", meta.envelope.rust_path()),
            ));
            envelope_data.push((name.clone(), data_ty));
        }
    }

    let default_security = openapi.security.clone();
    let mut operations: Vec<OperationModel> = Vec::new();
    for (path, item) in openapi.paths.paths.iter() {
        let item_ptr = pointer(["paths", path]);
        let ReferenceOr::Item(item) = item else {
            return Err(err(
                item_ptr,
                "path items must not be $ref (progenitor does not support it)".into(),
            ));
        };
        if !path.starts_with('/') {
            return Err(err(item_ptr, "paths start with '/'".into()));
        }
        for (method, op) in item.iter() {
            let ptr = format!("{item_ptr}/{method}");
            let mut model = operation(
                op,
                method,
                path,
                &ptr,
                &openapi,
                default_security.as_ref(),
                schemes,
                &envelope_data,
            )
            .map_err(|(loc, msg)| err(loc, msg))?;
            model.input_schema = input_schema(&raw, &model, &ptr).map_err(|(l, m)| err(l, m))?;
            model.response_json_schema =
                crate::json_schema::component(&raw, &model.response_schema).map_err(|m| {
                    err(
                        format!("{ptr}/responses/200/content/application~1json/schema"),
                        m,
                    )
                })?;
            if let Some(prev) = operations.iter().find(|o| o.id == model.id) {
                return Err(err(
                    format!("{ptr}/operationId"),
                    format!(
                        "duplicate operationId {} (also {} {})",
                        model.id, prev.method, prev.path
                    ),
                ));
            }
            operations.push(model);
        }
    }
    if operations.is_empty() {
        return Err(err("/paths".into(), "the spec has no operations".into()));
    }
    let hand_written = hand_written(&openapi).map_err(|(l, m)| err(l, m))?;
    for (i, h) in hand_written.iter().enumerate() {
        if operations.iter().any(|o| o.id == h.id) {
            return Err(err(
                format!("/x-hand-written/{i}/id"),
                format!(
                    "{} is also an operationId (both become client methods)",
                    h.id
                ),
            ));
        }
    }

    let example_counts = check_examples(&raw, &operations).map_err(|(l, m)| err(l, m))?;

    Ok(ProviderSpec {
        example_counts,
        file: display.to_path_buf(),
        openapi,
        raw,
        source,
        meta,
        base_url,
        operations,
        replacements,
        envelope_data,
        hand_written,
    })
}

/// The first mapping key that is not a string (JSON object keys must be), with the pointer of its mapping.
/// Integer keys (`200:`) are fine: JSON reads them as strings.
fn non_string_key(v: &serde_yaml::Value, ptr: &str) -> Option<(String, String)> {
    use serde_yaml::Value as Y;
    match v {
        Y::Mapping(m) => m.iter().find_map(|(k, child)| {
            let seg = match k {
                Y::String(s) => s.clone(),
                Y::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                other => {
                    let shown = serde_yaml::to_string(other).unwrap_or_default();
                    return Some((ptr.to_string(), shown.trim().to_string()));
                }
            };
            non_string_key(
                child,
                &format!("{ptr}/{}", crate::error::pointer_segment(&seg)),
            )
        }),
        Y::Sequence(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, child)| non_string_key(child, &format!("{ptr}/{i}"))),
        Y::Tagged(t) => non_string_key(&t.value, ptr),
        _ => None,
    }
}

fn sourcing_meta(openapi: &OpenAPI) -> Result<SourcingMeta, String> {
    let v = openapi
        .extensions
        .get("x-sourcing")
        .ok_or("missing x-sourcing (crate, title, envelope, credentials, env-prefix)")?;
    let field = |k: &str| -> Result<String, String> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("x-sourcing.{k} must be a string"))
    };
    let crate_name = field("crate")?;
    if !crate_name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c == '_')
        || crate_name.is_empty()
    {
        return Err(format!(
            "x-sourcing.crate {crate_name:?} must be a lower-case identifier"
        ));
    }
    let envelope = match field("envelope")?.as_str() {
        "pandapon" => EnvelopeKind::Pandapon,
        "dajisaas" => EnvelopeKind::Dajisaas,
        other => {
            return Err(format!(
                "x-sourcing.envelope {other:?} is not one of pandapon, dajisaas"
            ));
        }
    };
    let credentials = match field("credentials")?.as_str() {
        "access-key" => CredentialsKind::AccessKey,
        "app-key" => CredentialsKind::AppKey,
        other => {
            return Err(format!(
                "x-sourcing.credentials {other:?} is not one of access-key, app-key"
            ));
        }
    };
    Ok(SourcingMeta {
        crate_name,
        title: field("title")?,
        envelope,
        credentials,
        env_prefix: field("env-prefix")?,
    })
}

fn hand_written(openapi: &OpenAPI) -> Result<Vec<HandWritten>, (String, String)> {
    let Some(list) = openapi.extensions.get("x-hand-written") else {
        return Ok(Vec::new());
    };
    let items = list
        .as_array()
        .ok_or(("/x-hand-written".to_string(), "must be a list".to_string()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = |k: &str| {
                v.get(k).and_then(Value::as_str).map(str::to_owned).ok_or((
                    format!("/x-hand-written/{i}/{k}"),
                    format!("x-hand-written entries need a string `{k}`"),
                ))
            };
            let id = f("id")?;
            if !is_snake_case(&id) {
                return Err((
                    format!("/x-hand-written/{i}/id"),
                    format!("{id:?} must be snake_case: it is the client method name"),
                ));
            }
            let method = f("method")?.to_uppercase();
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                return Err((
                    format!("/x-hand-written/{i}/method"),
                    format!("{method:?} is not an HTTP method"),
                ));
            }
            Ok(HandWritten {
                id,
                method,
                path: f("path")?,
                catalogue_id: f("catalogue-id")?,
                rust_fn: f("rust-fn")?,
            })
        })
        .collect()
}

type OpResult<T> = Result<T, (String, String)>;

#[allow(clippy::too_many_arguments)]
fn operation(
    op: &Operation,
    method: &str,
    path: &str,
    ptr: &str,
    openapi: &OpenAPI,
    default_security: Option<&Vec<openapiv3::SecurityRequirement>>,
    schemes: &indexmap::IndexMap<String, ReferenceOr<openapiv3::SecurityScheme>>,
    envelope_data: &[(String, String)],
) -> OpResult<OperationModel> {
    let at = |suffix: &str| format!("{ptr}{suffix}");
    let id = op
        .operation_id
        .clone()
        .ok_or((at("/operationId"), "missing operationId".to_string()))?;
    if !is_snake_case(&id) {
        return Err((
            at("/operationId"),
            format!("operationId {id:?} must be snake_case (<area>_<action>)"),
        ));
    }
    let idempotent = op
        .extensions
        .get("x-idempotent")
        .and_then(Value::as_bool)
        .ok_or((
            at("/x-idempotent"),
            "x-idempotent must be true or false: may this call be retried automatically?".into(),
        ))?;
    let catalogue_id = op
        .extensions
        .get("x-catalogue-id")
        .and_then(Value::as_str)
        .ok_or((
            at("/x-catalogue-id"),
            "x-catalogue-id (the CATALOGUE.md row id) is required".into(),
        ))?
        .to_string();
    let evidence = evidence(op, ptr)?;
    let tag = match op.tags.as_slice() {
        [t] => t.clone(),
        _ => {
            return Err((
                at("/tags"),
                "exactly one tag (the API area) is required".into(),
            ));
        }
    };
    let summary = op
        .summary
        .clone()
        .ok_or((at("/summary"), "a summary is required".into()))?;
    if op.external_docs.is_none() {
        return Err((
            at("/externalDocs"),
            "externalDocs (the vendor page) is required".into(),
        ));
    }

    let security = op.security.as_ref().or(default_security);
    let auth = match security.map(Vec::as_slice) {
        Some([req]) if req.len() == 1 => req.keys().next().cloned().unwrap_or_default(),
        _ => {
            return Err((
                at("/security"),
                "exactly one security requirement with one scheme is required".into(),
            ));
        }
    };
    if !schemes.contains_key(&auth) {
        return Err((
            at("/security"),
            format!("security scheme {auth:?} is not defined in components"),
        ));
    }
    if !["AccessKeyV1", "AccessKeyV2", "AppKey", "QueryTimestampSign"].contains(&auth.as_str()) {
        return Err((
            at("/security"),
            format!("security scheme {auth:?} has no signer in the runtime"),
        ));
    }

    let mut params = Vec::new();
    for (i, p) in op.parameters.iter().enumerate() {
        let pptr = at(&format!("/parameters/{i}"));
        let ReferenceOr::Item(p) = p else {
            return Err((pptr, "parameters must be written inline".into()));
        };
        let (data, location) = match p {
            Parameter::Query { parameter_data, .. } => (parameter_data, ParamLocation::Query),
            Parameter::Header { .. } => {
                return Err((pptr, "header parameters are not allowed: the signer adds the system headers (model them as a security scheme)".into()));
            }
            Parameter::Path { .. } | Parameter::Cookie { .. } => {
                return Err((pptr, "only query parameters are supported".into()));
            }
        };
        let openapiv3::ParameterSchemaOrContent::Schema(schema) = &data.format else {
            return Err((pptr, "parameters need a schema".into()));
        };
        let (kind, limit, json_string) = match schema {
            ReferenceOr::Item(s) => (
                kind_of(s),
                limit_of(s).map_err(|m| (format!("{pptr}/schema"), m))?,
                json_string_of(s).map_err(|m| (format!("{pptr}/schema/x-json-string"), m))?,
            ),
            ReferenceOr::Reference { .. } => ("Any", None, false),
        };
        params.push(ParamModel {
            name: data.name.clone(),
            location,
            required: data.required,
            kind,
            description: data.description.clone().unwrap_or_default(),
            limit,
            json_string,
            schema_pointer: format!("{pptr}/schema"),
        });
    }

    let mut examples = Vec::new();
    let body_schema = match &op.request_body {
        None => None,
        Some(ReferenceOr::Reference { .. }) => {
            return Err((
                at("/requestBody"),
                "requestBody must be written inline".into(),
            ));
        }
        Some(ReferenceOr::Item(body)) => {
            let keys: Vec<&String> = body.content.keys().collect();
            if keys.len() != 1 || !keys[0].starts_with("application/json") {
                return Err((
                    at("/requestBody/content"),
                    format!(
                        "exactly one application/json body is supported (got {keys:?}); multipart endpoints are hand-written in the runtime and listed under x-hand-written"
                    ),
                ));
            }
            let media = &body.content[keys[0]];
            let name = component_ref(media.schema.as_ref()).ok_or((
                at("/requestBody/content/application~1json/schema"),
                "the body schema must be a $ref to a component".into(),
            ))?;
            let schema = component(openapi, &name).ok_or((
                at("/requestBody/content/application~1json/schema"),
                format!("component {name} not found"),
            ))?;
            let required = object_required(schema);
            for (prop, ps) in object_properties(openapi, schema) {
                let name_of_prop = prop.clone();
                let prop_ptr =
                    pointer(["components", "schemas", name.as_str(), "properties", &prop]);
                let limit = ps
                    .map(limit_of)
                    .transpose()
                    .map_err(|m| (prop_ptr.clone(), m))?;
                let json_string = ps
                    .map(json_string_of)
                    .transpose()
                    .map_err(|m| (format!("{prop_ptr}/x-json-string"), m))?
                    .unwrap_or(false);
                params.push(ParamModel {
                    json_string,
                    schema_pointer: prop_ptr,
                    required: required.contains(&prop),
                    name: prop,
                    location: ParamLocation::Body,
                    kind: ps.map(kind_of).unwrap_or("Any"),
                    description: own_description(schema, &name_of_prop)
                        .or_else(|| ps.and_then(|s| s.schema_data.description.clone()))
                        .unwrap_or_default(),
                    limit: limit.flatten(),
                });
            }
            collect_examples(
                media,
                ExampleKind::Request,
                &at("/requestBody/content/application~1json/examples"),
                &mut examples,
            )?;
            Some(name)
        }
    };

    if let Some(ReferenceOr::Item(scheme)) = schemes.get(&auth) {
        let owned = signer_params(scheme).map_err(|m| {
            (
                pointer(["components", "securitySchemes", &auth, "x-signer-params"]),
                m,
            )
        })?;
        if let Some(bad) = body_credentials(scheme)
            .into_iter()
            .find(|name| !owned.contains(name))
        {
            return Err((
                pointer(["components", "securitySchemes", &auth, "x-body-credentials"]),
                format!("{bad} is not one of the scheme's x-signer-params"),
            ));
        }
        if let Some(p) = params.iter().find(|p| owned.contains(&p.name)) {
            return Err((
                at(""),
                format!(
                    "{} is added by the {auth} signer (x-signer-params); do not model it as a parameter or body property",
                    p.name
                ),
            ));
        }
    }

    let rptr = at("/responses");
    if op.responses.responses.len() != 1 {
        return Err((
            rptr,
            "exactly one response status, \"200\", is supported (the envelope carries errors), plus an optional `default` for the error answers".into(),
        ));
    }
    if let Some(default) = &op.responses.default {
        let name = match default {
            ReferenceOr::Reference { reference } => {
                reference.strip_prefix("#/components/responses/")
            }
            ReferenceOr::Item(_) => None,
        };
        let known = name.and_then(|n| openapi.components.as_ref()?.responses.get(n));
        let Some(ReferenceOr::Item(error)) = known else {
            return Err((
                format!("{rptr}/default"),
                "`default` (the error answers) must be a $ref to a response in #/components/responses".into(),
            ));
        };
        if component_ref(
            error
                .content
                .get("application/json")
                .and_then(|m| m.schema.as_ref()),
        )
        .is_none()
        {
            return Err((
                format!("{rptr}/default"),
                "the error response needs an application/json schema that is a $ref to a component (the error envelope)".into(),
            ));
        }
    }
    let Some(ReferenceOr::Item(ok)) = op
        .responses
        .responses
        .get(&openapiv3::StatusCode::Code(200))
    else {
        return Err((rptr, "the response must be an inline \"200\"".into()));
    };
    let media = ok.content.get("application/json").ok_or((
        format!("{rptr}/200/content"),
        "the 200 response must be application/json".into(),
    ))?;
    let response_schema = component_ref(media.schema.as_ref()).ok_or((
        format!("{rptr}/200/content/application~1json/schema"),
        "the response schema must be a $ref to an envelope component".into(),
    ))?;
    if !envelope_data.iter().any(|(n, _)| *n == response_schema) {
        return Err((
            format!("{rptr}/200/content/application~1json/schema"),
            format!(
                "{response_schema} is not an envelope (allOf: [$ref Envelope, {{properties: {{data: …}}}}])"
            ),
        ));
    }
    collect_examples(
        media,
        ExampleKind::Response,
        &format!("{rptr}/200/content/application~1json/examples"),
        &mut examples,
    )?;
    let batch_outcome = batch_outcome(op, &at("/x-batch-outcome"), openapi, &response_schema)?;

    Ok(OperationModel {
        id,
        method: method.to_uppercase(),
        path: path.to_string(),
        tag,
        summary,
        auth,
        idempotent,
        catalogue_id,
        params,
        body_schema,
        response_schema,
        examples,
        batch_outcome,
        evidence,
        input_schema: Value::Null,
        response_json_schema: Value::Null,
    })
}

/// The prefix a body property gets in the input schema when a query parameter has the same name.
pub const BODY_COLLISION_PREFIX: &str = "body_";

/// The operation's inputs as one JSON Schema object (draft 2020-12, self-contained): a property per query
/// parameter (its name) and per top-level JSON body property (its name, or `body_<name>` when a query
/// parameter has the same name, e.g. PandaPon `refund_info`'s `refundId` and `body_refundId`); `required`
/// lists the required query parameters and, when the body is required, the body's required properties.
/// `additionalProperties` is the body's (open bodies accept extra properties), otherwise `false`.
/// Signer-owned fields (`appKey`, `sign`, …) are not inputs.
fn input_schema(raw: &Value, op: &OperationModel, ptr: &str) -> OpResult<Value> {
    use crate::json_schema::Converter;
    let mut conv = Converter::new(raw);
    let mut props = serde_json::Map::new();
    let mut required = Vec::new();
    let body_required = raw
        .pointer(&format!("{ptr}/requestBody/required"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let query_names: Vec<&str> = op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Query)
        .map(|p| p.name.as_str())
        .collect();
    for p in &op.params {
        let name = match p.location {
            ParamLocation::Body if query_names.contains(&p.name.as_str()) => {
                format!("{BODY_COLLISION_PREFIX}{}", p.name)
            }
            _ => p.name.clone(),
        };
        if props.contains_key(&name) {
            return Err((
                p.schema_pointer.clone(),
                format!(
                    "input name {name:?} is taken twice (a body property named like a query parameter is renamed {BODY_COLLISION_PREFIX}<name>)"
                ),
            ));
        }
        let schema = raw
            .pointer(&p.schema_pointer)
            .ok_or((p.schema_pointer.clone(), "schema not found".to_string()))?;
        let mut converted = conv
            .convert(schema)
            .map_err(|m| (p.schema_pointer.clone(), m))?;
        if let Value::Object(m) = &mut converted
            && !m.contains_key("description")
            && !p.description.is_empty()
        {
            m.insert("description".into(), Value::String(p.description.clone()));
        }
        let is_required = p.required && (p.location == ParamLocation::Query || body_required);
        if is_required {
            required.push(Value::String(name.clone()));
        }
        props.insert(name, converted);
    }
    let mut root = serde_json::Map::new();
    root.insert("type".into(), "object".into());
    root.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        root.insert("required".into(), Value::Array(required));
    }
    let extra = match &op.body_schema {
        Some(body) => {
            let bptr = pointer([
                "components",
                "schemas",
                body.as_str(),
                "additionalProperties",
            ]);
            match raw.pointer(&bptr) {
                Some(v) => conv.convert(v).map_err(|m| (bptr, m))?,
                None => Value::Bool(false),
            }
        }
        None => Value::Bool(false),
    };
    root.insert("additionalProperties".into(), extra);
    Ok(conv.finish(Value::Object(root)))
}

/// `x-evidence` (only `third-party-client` is known) with its `x-evidence-source`: which clients show the
/// endpoint and what they show. Both or neither.
fn evidence(op: &Operation, ptr: &str) -> OpResult<Option<String>> {
    let kind = op.extensions.get("x-evidence");
    let source = op.extensions.get("x-evidence-source");
    let Some(kind) = kind else {
        return match source {
            None => Ok(None),
            Some(_) => Err((
                format!("{ptr}/x-evidence-source"),
                "x-evidence-source without x-evidence: third-party-client".into(),
            )),
        };
    };
    if kind.as_str() != Some("third-party-client") {
        return Err((
            format!("{ptr}/x-evidence"),
            format!(
                "x-evidence {kind} is not \"third-party-client\" (omit it for an endpoint the vendor publishes)"
            ),
        ));
    }
    match source.and_then(Value::as_str).map(str::trim) {
        Some(s) if !s.is_empty() => Ok(Some(s.to_string())),
        _ => Err((
            format!("{ptr}/x-evidence-source"),
            "x-evidence: third-party-client needs x-evidence-source, a non-empty string naming the clients and what they show".into(),
        )),
    }
}

/// Parse `x-batch-outcome` and check that the envelope's `data` is a component with an array property
/// `succeeded` and an array property `failed` whose items have the properties `id` and `reason`.
fn batch_outcome(
    op: &Operation,
    ptr: &str,
    openapi: &OpenAPI,
    envelope: &str,
) -> OpResult<Option<BatchOutcomeModel>> {
    let Some(v) = op.extensions.get("x-batch-outcome") else {
        return Ok(None);
    };
    let field = |k: &str| {
        v.get(k).and_then(Value::as_str).map(str::to_owned).ok_or((
            ptr.to_string(),
            format!("x-batch-outcome needs string fields succeeded, failed, id, reason (`{k}` is missing)"),
        ))
    };
    let model = BatchOutcomeModel {
        succeeded: field("succeeded")?,
        failed: field("failed")?,
        id: field("id")?,
        reason: field("reason")?,
    };
    let data_name = component(openapi, envelope)
        .and_then(envelope_parts)
        .and_then(|d| match d {
            ReferenceOr::Reference { reference } => reference.strip_prefix(SCHEMA_REF_PREFIX),
            ReferenceOr::Item(_) => None,
        })
        .ok_or((
            ptr.to_string(),
            format!(
                "x-batch-outcome needs {envelope}'s `data` to be a $ref to an object component"
            ),
        ))?;
    let data = component(openapi, data_name)
        .ok_or((ptr.to_string(), format!("component {data_name} not found")))?;
    let props = object_properties(openapi, data);
    let array_items = |name: &str, key: &str| -> OpResult<Option<&Schema>> {
        let prop = props.iter().find(|(n, _)| n == name).ok_or((
            format!("{ptr}/{key}"),
            format!("{data_name} has no property {name:?}"),
        ))?;
        match prop.1.map(|s| &s.schema_kind) {
            Some(SchemaKind::Type(Type::Array(a))) => {
                Ok(a.items.as_ref().and_then(|i| resolve(openapi, i)))
            }
            _ => Err((
                format!("{ptr}/{key}"),
                format!("{data_name}.{name} must be an array"),
            )),
        }
    };
    array_items(&model.succeeded, "succeeded")?;
    let item = array_items(&model.failed, "failed")?;
    let item_props = item
        .map(|i| object_properties(openapi, i))
        .unwrap_or_default();
    for (name, key) in [(&model.id, "id"), (&model.reason, "reason")] {
        if !item_props.iter().any(|(n, _)| n == name) {
            return Err((
                format!("{ptr}/{key}"),
                format!(
                    "the items of {data_name}.{} have no property {name:?}",
                    model.failed
                ),
            ));
        }
    }
    Ok(Some(model))
}

fn collect_examples(
    media: &openapiv3::MediaType,
    kind: ExampleKind,
    ptr: &str,
    out: &mut Vec<ExampleModel>,
) -> OpResult<()> {
    for (name, ex) in &media.examples {
        let ReferenceOr::Item(ex) = ex else {
            return Err((format!("{ptr}/{name}"), "examples must be inline".into()));
        };
        let at = format!("{ptr}/{}", crate::error::pointer_segment(name));
        let value = ex
            .value
            .clone()
            .ok_or((at.clone(), "examples need an inline `value`".into()))?;
        let deviation = match ex.extensions.get("x-example-deviation") {
            None => None,
            Some(Value::String(r)) if !r.trim().is_empty() => Some(r.clone()),
            Some(_) => {
                return Err((
                    format!("{at}/x-example-deviation"),
                    "x-example-deviation must be a non-empty reason".into(),
                ));
            }
        };
        out.push(ExampleModel {
            name: name.clone(),
            kind,
            value,
            pointer: at,
            deviation,
        });
    }
    Ok(())
}

fn component_ref(schema: Option<&ReferenceOr<Schema>>) -> Option<String> {
    match schema? {
        ReferenceOr::Reference { reference } => {
            reference.strip_prefix(SCHEMA_REF_PREFIX).map(str::to_owned)
        }
        ReferenceOr::Item(_) => None,
    }
}

fn component<'a>(openapi: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    match openapi.components.as_ref()?.schemas.get(name)? {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { .. } => None,
    }
}

/// The schema `s` stands for: a `$ref` resolved, and the wrappers strict OpenAPI 3.0 needs seen through —
/// `allOf: [X]` (a `$ref` with a description) and `anyOf: [X, JsonNull]` (X or null) both stand for X.
fn resolve<'a>(openapi: &'a OpenAPI, s: &'a ReferenceOr<Box<Schema>>) -> Option<&'a Schema> {
    let schema = match s {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { reference } => {
            return component(openapi, reference.strip_prefix(SCHEMA_REF_PREFIX)?);
        }
    };
    match &schema.schema_kind {
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => resolve_unboxed(openapi, &all_of[0]),
        SchemaKind::AnyOf { any_of } if any_of.len() == 2 => {
            let is_null = |x: &ReferenceOr<Schema>| matches!(x, ReferenceOr::Reference { reference } if reference == JSON_NULL_REF);
            match (is_null(&any_of[0]), is_null(&any_of[1])) {
                (false, true) => resolve_unboxed(openapi, &any_of[0]),
                (true, false) => resolve_unboxed(openapi, &any_of[1]),
                _ => Some(schema),
            }
        }
        _ => Some(schema),
    }
}

fn resolve_unboxed<'a>(openapi: &'a OpenAPI, s: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match s {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => {
            component(openapi, reference.strip_prefix(SCHEMA_REF_PREFIX)?)
        }
    }
}

/// The description written on a property itself (beside its `allOf`/`anyOf` wrapper), if any.
fn own_description(schema: &Schema, prop: &str) -> Option<String> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => match o.properties.get(prop)? {
            ReferenceOr::Item(s) => s.schema_data.description.clone(),
            ReferenceOr::Reference { .. } => None,
        },
        _ => None,
    }
}

fn object_required(schema: &Schema) -> Vec<String> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => o.required.clone(),
        _ => Vec::new(),
    }
}

fn object_properties<'a>(
    openapi: &'a OpenAPI,
    schema: &'a Schema,
) -> Vec<(String, Option<&'a Schema>)> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => o
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), resolve(openapi, v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The names under a security scheme's `x-body-credentials` (the fields its signer puts in JSON bodies).
fn body_credentials(scheme: &openapiv3::SecurityScheme) -> Vec<String> {
    use openapiv3::SecurityScheme as S;
    let (S::APIKey { extensions, .. }
    | S::HTTP { extensions, .. }
    | S::OAuth2 { extensions, .. }
    | S::OpenIDConnect { extensions, .. }) = scheme;
    extensions
        .get("x-body-credentials")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The names a security scheme's signer adds itself (`x-signer-params`).
fn signer_params(scheme: &openapiv3::SecurityScheme) -> Result<Vec<String>, String> {
    use openapiv3::SecurityScheme as S;
    let (S::APIKey { extensions, .. }
    | S::HTTP { extensions, .. }
    | S::OAuth2 { extensions, .. }
    | S::OpenIDConnect { extensions, .. }) = scheme;
    let Some(v) = extensions.get("x-signer-params") else {
        return Ok(Vec::new());
    };
    v.as_array()
        .and_then(|a| a.iter().map(|n| n.as_str().map(str::to_owned)).collect())
        .ok_or_else(|| "must be a list of parameter names".into())
}

/// The documented limit of a parameter or body property: `x-max-items` (an array, or a string list with
/// `x-separator`) or `maximum` on an integer.
fn limit_of(schema: &Schema) -> Result<Option<LimitModel>, String> {
    let ext = &schema.schema_data.extensions;
    let separator = match ext.get("x-separator") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err("x-separator must be a non-empty string".into()),
    };
    let max_items = match ext.get("x-max-items") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n > 0)
                .ok_or("x-max-items must be a positive integer")?,
        ),
    };
    let max_items = match (&schema.schema_kind, max_items, separator) {
        (_, None, None) => None,
        (_, None, Some(_)) => return Err("x-separator needs x-max-items".into()),
        (SchemaKind::Type(Type::Array(_)), Some(max), None) => Some(LimitModel::MaxItems {
            max,
            separator: None,
        }),
        (SchemaKind::Type(Type::String(_)), Some(max), Some(sep)) => Some(LimitModel::MaxItems {
            max,
            separator: Some(sep),
        }),
        _ => {
            return Err(
                "x-max-items applies to arrays, or to strings with x-separator (a separated list)"
                    .into(),
            );
        }
    };
    let maximum = match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => match (i.maximum, i.exclusive_maximum) {
            (Some(_), true) => {
                return Err(
                    "exclusiveMaximum is not supported; write the inclusive maximum".into(),
                );
            }
            (max, _) => max.map(LimitModel::Maximum),
        },
        SchemaKind::Type(Type::Number(n)) if n.maximum.is_some() => {
            return Err("maximum is only enforced on integers".into());
        }
        _ => None,
    };
    Ok(max_items.or(maximum))
}

/// `x-json-string: true|false` (absent = false).
fn json_string_of(schema: &Schema) -> Result<bool, String> {
    match schema.schema_data.extensions.get("x-json-string") {
        None => Ok(false),
        Some(Value::Bool(b)) => {
            if *b && !matches!(schema.schema_kind, SchemaKind::Type(Type::String(_))) {
                return Err("x-json-string applies to `type: string` only".into());
            }
            Ok(*b)
        }
        Some(_) => Err("x-json-string must be true or false".into()),
    }
}

fn kind_of(schema: &Schema) -> &'static str {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(_)) => "String",
        SchemaKind::Type(Type::Integer(_)) => "Integer",
        SchemaKind::Type(Type::Number(_)) => "Number",
        SchemaKind::Type(Type::Boolean(_)) => "Boolean",
        SchemaKind::Type(Type::Array(_)) => "Array",
        SchemaKind::Type(Type::Object(_)) => "Object",
        _ => "Any",
    }
}

/// `Some(data schema)` when `schema` is `allOf: [$ref Envelope, {properties: {data}}]`.
fn envelope_parts(schema: &Schema) -> Option<&ReferenceOr<Box<Schema>>> {
    let SchemaKind::AllOf { all_of } = &schema.schema_kind else {
        return None;
    };
    match all_of.as_slice() {
        [
            ReferenceOr::Reference { reference },
            ReferenceOr::Item(rest),
        ] if reference == ENVELOPE_REF => match &rest.schema_kind {
            SchemaKind::Type(Type::Object(o)) => o.properties.get("data"),
            _ => None,
        },
        _ => None,
    }
}

/// The Rust type of an envelope's `data`.
fn rust_type_of(data: &ReferenceOr<Box<Schema>>, crate_name: &str) -> Result<String, String> {
    let schema = match data {
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix(SCHEMA_REF_PREFIX)
                .ok_or_else(|| format!("{reference} is not a component schema reference"))?;
            return Ok(format!("::{crate_name}::types::{name}"));
        }
        ReferenceOr::Item(s) => s,
    };
    Ok(match &schema.schema_kind {
        SchemaKind::Type(Type::Boolean(_)) => "bool".into(),
        SchemaKind::Type(Type::String(_)) => "::std::string::String".into(),
        SchemaKind::Type(Type::Integer(_)) => "i64".into(),
        SchemaKind::Type(Type::Number(_)) => "f64".into(),
        SchemaKind::Type(Type::Array(a)) => {
            let items = a.items.as_ref().ok_or("an array `data` needs `items`")?;
            let item = match items {
                ReferenceOr::Reference { reference } => ReferenceOr::Reference {
                    reference: reference.clone(),
                },
                ReferenceOr::Item(s) => ReferenceOr::Item(s.clone()),
            };
            format!("::std::vec::Vec<{}>", rust_type_of(&item, crate_name)?)
        }
        SchemaKind::Any(_) | SchemaKind::Type(Type::Object(_)) => "::serde_json::Value".into(),
        _ => return Err("`data` must be a $ref, a scalar type, an array, or free-form".into()),
    })
}

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_rust_type_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}
