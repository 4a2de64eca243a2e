//! The operation's inputs as one JSON Schema (the operation table's `input_schema`).

use super::OpResult;
use super::model::{OperationModel, ParamLocation};
use crate::error::pointer;
use serde_json::Value;

/// The prefix a body property gets in the input schema when a query parameter has the same name.
pub const BODY_COLLISION_PREFIX: &str = "body_";

/// The input schema's annotation (ignored by validators) for an operation whose JSON body may be left out.
pub const BODY_OPTIONAL: &str = "x-body-optional";

/// The operation's inputs as one JSON Schema object (draft 2020-12, self-contained): a property per query
/// parameter (its name) and per top-level JSON body property (its name, or `body_<name>` when a query
/// parameter has the same name, e.g. PandaPon `refund_info`'s `refundId` and `body_refundId`); `required`
/// lists the required query parameters and, when the body is required, the body's required properties.
/// `additionalProperties` is the body's when it states one, otherwise `true`: the vendors accept properties
/// they do not document (their own published examples send fields absent from their parameter tables, e.g.
/// Dajisaas `flow`), as the OpenAPI request schemas (open objects) say; the sandbox does the same.
/// Signer-owned fields (`appKey`, `sign`, …) are not inputs. An operation whose JSON body is optional
/// (`requestBody.required` not `true`, e.g. PandaPon `refund_info`) says so with the annotation
/// [`BODY_OPTIONAL`]`: true`, so a request without a body is read as one without those properties.
pub(super) fn input_schema(raw: &Value, op: &OperationModel, ptr: &str) -> OpResult<Value> {
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
                None => Value::Bool(true),
            }
        }
        None => Value::Bool(true),
    };
    root.insert("additionalProperties".into(), extra);
    if op.body_schema.is_some() && !body_required {
        root.insert(BODY_OPTIONAL.into(), Value::Bool(true));
    }
    Ok(conv.finish(Value::Object(root)))
}
