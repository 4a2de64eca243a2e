//! Reading a spec file: YAML, the OpenAPI 3.0 meta-schema, `x-sourcing`, components, every operation and
//! `x-hand-written`, into a [`ProviderSpec`].

use super::OpResult;
use super::examples::check_examples;
use super::input::input_schema;
use super::model::*;
use super::operation::{OpContext, operation};
use super::schema::{envelope_parts, rust_type_of};
use crate::error::{CodegenError, pointer};
use openapiv3::{OpenAPI, ReferenceOr};
use serde_json::{Value, json};
use std::path::Path;

/// Load `path` (shown in errors as `display`).
pub fn load(path: &Path, display: &Path) -> Result<ProviderSpec, CodegenError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CodegenError::new(display, "", format!("cannot read the spec: {e}")))?;
    parse(&text, display)
}

/// Parse and validate spec text.
pub fn parse(text: &str, display: &Path) -> Result<ProviderSpec, CodegenError> {
    let err = |(loc, msg): (String, String)| CodegenError::new(display, loc, msg);
    let (source, raw) = read_document(text).map_err(err)?;
    let openapi: OpenAPI = serde_path_to_error::deserialize(source.clone()).map_err(|e| {
        let loc = pointer(e.path().iter().map(|seg| seg.to_string()));
        err((loc, format!("not an OpenAPI 3.0 document: {}", e.inner())))
    })?;
    let meta = sourcing_meta(&openapi).map_err(|m| err(("/x-sourcing".into(), m)))?;
    let base_url = openapi
        .servers
        .first()
        .map(|s| s.url.clone())
        .ok_or_else(|| {
            err((
                "/servers".into(),
                "no server: the first server is the production base URL".into(),
            ))
        })?;
    let (replacements, envelope_data) = components(&openapi, &meta).map_err(err)?;
    let operations = operations(&raw, &openapi, &meta.payload, &envelope_data).map_err(err)?;
    let hand_written = hand_written(&openapi).map_err(err)?;
    check_hand_written_ids(&hand_written, &operations).map_err(err)?;
    let example_counts = check_examples(&raw, &operations).map_err(err)?;
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

/// The YAML document and its JSON form, checked against the OpenAPI 3.0 meta-schema and the strictness
/// rules before anything else reads it. YAML syntax errors carry a line and column.
fn read_document(text: &str) -> OpResult<(serde_yaml::Value, Value)> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let loc = e
            .location()
            .map(|l| format!("line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        (loc, format!("invalid YAML: {e}"))
    })?;
    if let Some((loc, key)) = non_string_key(&value, "") {
        return Err((
            loc,
            format!(
                "the key {key} is not a string (YAML reads unquoted null, Null, true, numbers… as such): quote it"
            ),
        ));
    }
    let raw: Value = serde_json::to_value(&value)
        .map_err(|e| (String::new(), format!("not representable as JSON: {e}")))?;
    if let Some(version) = raw.get("openapi").and_then(Value::as_str)
        && !version.starts_with("3.0.")
    {
        return Err((
            "/openapi".into(),
            format!("version {version} is not 3.0.x (progenitor 0.15 reads only OpenAPI 3.0)"),
        ));
    }
    // The official OpenAPI 3.0 JSON Schema before anything else, then the rules tools rely on.
    super::validate::meta_schema(&raw)?;
    super::validate::strict_rules(&raw)?;
    Ok((value, raw))
}

/// The component schemas: PascalCase names, no bare `$ref`; which are swapped for runtime types
/// (`x-runtime-type`, and every envelope for the runtime's envelope type) and the `data` type of each
/// envelope.
fn components(openapi: &OpenAPI, meta: &SourcingMeta) -> OpResult<(Replacements, Replacements)> {
    let components = openapi
        .components
        .as_ref()
        .ok_or(("/components".to_string(), "missing components".to_string()))?;
    let mut replacements = Vec::new();
    let mut envelope_data = Vec::new();
    for (name, schema) in &components.schemas {
        let ptr = pointer(["components", "schemas", name]);
        let ReferenceOr::Item(schema) = schema else {
            return Err((ptr, "a component schema must not be a bare $ref".into()));
        };
        if !is_rust_type_name(name) {
            return Err((
                ptr,
                format!("schema name {name:?} must be PascalCase ASCII"),
            ));
        }
        if let Some(v) = schema.schema_data.extensions.get("x-runtime-type") {
            let path = v.as_str().ok_or_else(|| {
                (
                    format!("{ptr}/x-runtime-type"),
                    "must be a Rust type path string".to_string(),
                )
            })?;
            replacements.push((name.clone(), path.to_string()));
        } else if let Some(data) = envelope_parts(schema, &meta.payload) {
            let data_ty = rust_type_of(data, &meta.crate_name)
                .map_err(|m| (format!("{ptr}/allOf/1/properties/{}", meta.payload), m))?;
            replacements.push((
                name.clone(),
                format!("{}<{data_ty}>", envelope_rust_path(meta.envelope)),
            ));
            envelope_data.push((name.clone(), data_ty));
        }
    }
    Ok((replacements, envelope_data))
}

/// Component name -> Rust type path.
type Replacements = Vec<(String, String)>;

/// Every operation of every path, in document order, with its input and response JSON Schemas; ids unique.
fn operations(
    raw: &Value,
    openapi: &OpenAPI,
    payload: &str,
    envelope_data: &[(String, String)],
) -> OpResult<Vec<OperationModel>> {
    let mut operations: Vec<OperationModel> = Vec::new();
    for (path, item) in openapi.paths.paths.iter() {
        let item_ptr = pointer(["paths", path]);
        let ReferenceOr::Item(item) = item else {
            return Err((
                item_ptr,
                "path items must not be $ref (progenitor does not support it)".into(),
            ));
        };
        if !path.starts_with('/') {
            return Err((item_ptr, "paths start with '/'".into()));
        }
        for (method, op) in item.iter() {
            let ptr = format!("{item_ptr}/{method}");
            let cx = OpContext {
                op,
                method,
                path,
                ptr: &ptr,
                openapi,
                payload,
                envelope_data,
            };
            let model = with_schemas(raw, operation(&cx)?, &ptr)?;
            if let Some(prev) = operations.iter().find(|o| o.id == model.id) {
                return Err((
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
        return Err(("/paths".into(), "the spec has no operations".into()));
    }
    Ok(operations)
}

/// The operation with its self-contained JSON Schemas: inputs and the whole 200 response.
fn with_schemas(raw: &Value, mut model: OperationModel, ptr: &str) -> OpResult<OperationModel> {
    model.input_schema = input_schema(raw, &model, ptr)?;
    let component = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let response = match &model.response_failure {
        None => component(&model.response_schema),
        Some(failure) => json!({"anyOf": [component(&model.response_schema), component(failure)]}),
    };
    model.response_json_schema =
        crate::json_schema::self_contained(raw, &response).map_err(|m| {
            (
                format!("{ptr}/responses/200/content/application~1json/schema"),
                m,
            )
        })?;
    Ok(model)
}

/// A hand-written endpoint's id is a client method name, so no operation may have it too.
fn check_hand_written_ids(
    hand_written: &[HandWritten],
    operations: &[OperationModel],
) -> OpResult<()> {
    for (i, h) in hand_written.iter().enumerate() {
        if operations.iter().any(|o| o.id == h.id) {
            return Err((
                format!("/x-hand-written/{i}/id"),
                format!(
                    "{} is also an operationId (both become client methods)",
                    h.id
                ),
            ));
        }
    }
    Ok(())
}

/// The first mapping key that is not a string (JSON object keys must be), with the pointer of its mapping.
/// Integer keys (`200:`) are fine: JSON reads them as strings.
pub(super) fn non_string_key(v: &serde_yaml::Value, ptr: &str) -> Option<(String, String)> {
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

pub(super) fn sourcing_meta(openapi: &OpenAPI) -> Result<SourcingMeta, String> {
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
    let envelope = field("envelope")?;
    let envelope = EnvelopeKind::from_name(&envelope).ok_or_else(|| {
        format!(
            "x-sourcing.envelope {envelope:?} is not one of {} (sourcing_runtime::EnvelopeStyle::ALL)",
            names(EnvelopeKind::ALL, EnvelopeKind::name)
        )
    })?;
    let credentials = field("credentials")?;
    let credentials = CredentialsKind::from_name(&credentials).ok_or_else(|| {
        format!(
            "x-sourcing.credentials {credentials:?} is not one of {} (sourcing_runtime::CredentialStyle::ALL)",
            names(CredentialsKind::ALL, CredentialsKind::name)
        )
    })?;
    Ok(SourcingMeta {
        crate_name,
        title: field("title")?,
        payload: payload(v, envelope)?,
        envelope,
        credentials,
        env_prefix: field("env-prefix")?,
    })
}

/// The envelope's payload member: a built-in codec's own; `x-sourcing.rust.payload` (default `data`) for an
/// envelope the spec implements (its codec's `data_field` must name the same member).
fn payload(sourcing: &Value, envelope: EnvelopeKind) -> Result<String, String> {
    let declared = sourcing.pointer("/rust/payload");
    if envelope.is_built_in() {
        return match declared {
            None => Ok(envelope.codec().data_field().to_owned()),
            Some(_) => Err(format!(
                "x-sourcing.rust.payload: the built-in {} envelope names its own payload member ({})",
                envelope.name(),
                envelope.codec().data_field()
            )),
        };
    }
    match declared {
        None => Ok("data".to_owned()),
        Some(Value::String(name)) if !name.is_empty() => Ok(name.clone()),
        Some(_) => Err("x-sourcing.rust.payload must be a non-empty string".into()),
    }
}

pub(super) fn hand_written(openapi: &OpenAPI) -> Result<Vec<HandWritten>, (String, String)> {
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

pub(super) fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(super) fn is_rust_type_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}
