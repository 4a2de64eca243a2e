//! Request validation from the operation table: required parameters present, values of the documented type.

use serde_json::Value;
use sourcing_runtime::operation::{Operation, ParamLocation};

/// Check query and body against `op`. Returns the parsed body (if any) or the reason the request is invalid.
pub(crate) fn validate(
    op: &Operation,
    query: &[(String, String)],
    body: &[u8],
) -> Result<Option<Value>, String> {
    for p in op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Query)
    {
        match query.iter().find(|(k, _)| k == p.name) {
            None if p.required => {
                return Err(format!("missing required query parameter `{}`", p.name));
            }
            Some((_, v)) if !p.kind.accepts_text(v) => {
                return Err(format!(
                    "query parameter `{}` must be {}, got {v:?}",
                    p.name,
                    p.kind.name()
                ));
            }
            _ => {}
        }
    }
    if !op.has_body {
        return Ok(None);
    }
    if body.is_empty() {
        return Err("missing JSON request body".into());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("request body is not valid JSON: {e}"))?;
    let Some(object) = value.as_object() else {
        return Err("request body must be a JSON object".into());
    };
    for p in op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Body)
    {
        match object.get(p.name) {
            None | Some(Value::Null) if p.required => {
                return Err(format!("missing required body field `{}`", p.name));
            }
            Some(v) if !v.is_null() && !p.kind.accepts(v) => {
                return Err(format!(
                    "body field `{}` must be {}, got {v}",
                    p.name,
                    p.kind.name()
                ));
            }
            _ => {}
        }
    }
    if let Some(check) = op.transcode_request
        && let Err(e) = check(body)
    {
        return Err(format!(
            "request body does not match the documented shape: {e}"
        ));
    }
    Ok(Some(value))
}
