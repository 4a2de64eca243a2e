//! Reading a spec file: YAML, the OpenAPI 3.0 meta-schema, `x-sourcing`, components, every operation and
//! `x-hand-written`, into a [`ProviderSpec`].

use super::examples::check_examples;
use super::input::input_schema;
use super::model::*;
use super::operation::operation;
use super::schema::{envelope_parts, rust_type_of};
use crate::error::{CodegenError, pointer};
use openapiv3::{OpenAPI, ReferenceOr};
use serde_json::Value;
use std::path::Path;

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
    super::validate::meta_schema(&raw).map_err(|(l, m)| err(l, m))?;
    super::validate::strict_rules(&raw).map_err(|(l, m)| err(l, m))?;
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
