//! Request validation against the operation's input JSON Schema (`Operation::input_schema`: one object of
//! the query parameters and the top-level body properties). Query values travel as text: each is read as
//! the type its schema names (integer, number, boolean) before validating, so `pageSize=-1` meets the same
//! `minimum` as `"pageSize": -1`. Errors name the field (query parameter name or JSON pointer into the body).

use crate::schema::{self, flatten, types_of};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::{Map, Value};
use sourcing_runtime::operation::{Operation, Param, ParamLocation};

/// The JSON body of `op`, which must be an object; `None` for operations without a body. Checked before
/// the signature, so every provider answers a missing, unparsable or non-object body the same way (400).
pub(crate) fn parse_body(op: &Operation, body: &[u8]) -> Result<Option<Value>, String> {
    if !op.has_body {
        return Ok(None);
    }
    if body.is_empty() {
        return Err("missing JSON request body".into());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("request body is not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err(format!(
            "request body must be a JSON object, got {}",
            kind_name(&value)
        ));
    }
    Ok(Some(value))
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Check query and body against `op`'s input schema; `Err` names the field and what is wrong.
pub(crate) fn validate(
    op: &Operation,
    query: &[(String, String)],
    body: Option<&Value>,
) -> Result<(), String> {
    // The generated tables always carry a valid schema (tests/tests/operation_schemas.rs); a table row
    // without a usable one (`Operation::untabled`) has no documented input to check.
    let Some(c) = schema::compiled(op.input_schema) else {
        return Ok(());
    };
    let top = flatten(&c.root, &c.root);
    let props = top
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Parameters the signature scheme adds (`Scheme::params`, the one list) are checked by `auth`, not part
    // of the operation's own input unless its schema declares them.
    let skip = |name: &str| op.auth.owns(name) && !props.contains_key(name);

    let mut from_query = Map::new();
    for (k, v) in query {
        if skip(k) {
            continue;
        }
        let typed = match props.get(k) {
            Some(s) => coerce(&c.root, s, v),
            None => Value::String(v.clone()),
        };
        from_query.insert(k.clone(), typed);
    }
    let mut from_body = Map::new();
    if let Some(Value::Object(b)) = body {
        for (k, v) in b {
            if skip(k) {
                continue;
            }
            // A body property named like a query parameter is `body_<name>` in the input schema.
            let name = op
                .params
                .iter()
                .find(|p| p.name == k && p.location == ParamLocation::Body)
                .map_or_else(|| k.clone(), |p| op.input_name(p).into_owned());
            from_body.insert(name, v.clone());
        }
    }
    // Fields that carry JSON inside a string: empty (where the schema allows it) or JSON text.
    for p in op.params.iter().filter(|p| p.json_string) {
        let (value, field) = match p.location {
            ParamLocation::Query => (
                from_query.get(p.name),
                format!("query parameter `{}`", p.name),
            ),
            ParamLocation::Body => (
                body.and_then(|b| b.get(p.name)),
                format!("body field `{}`", p.name),
            ),
        };
        if let Some(Value::String(text)) = value
            && !text.trim().is_empty()
            && let Err(e) = serde_json::from_str::<Value>(text)
        {
            return Err(format!("{field} must hold JSON text: {e}"));
        }
    }
    let mut instance = from_query.clone();
    instance.extend(from_body);
    let instance = Value::Object(instance);
    let errors: Vec<String> = c
        .validator
        .iter_errors(&instance)
        .take(3)
        .map(|e| describe(op, &from_query, &e))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// The parameter `name` (as the input schema names it) stands for, with its location: a body property that
/// shares a query parameter's name is `body_<name>` there ([`Operation::input_name`]).
fn param_of<'a>(op: &'a Operation, schema_name: &str) -> Option<&'a Param> {
    op.params.iter().find(|p| op.input_name(p) == schema_name)
}

fn is_query_param(op: &Operation, schema_name: &str) -> bool {
    param_of(op, schema_name).is_some_and(|p| p.location == ParamLocation::Query)
}

/// A query value read as the type its schema names (text that does not parse stays a string, so the
/// validator reports the type mismatch).
fn coerce(root: &Value, schema: &Value, text: &str) -> Value {
    let s = flatten(root, schema);
    let mut types = s.get("type").map(types_of).unwrap_or_default();
    for branch in ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| s.get(*k).and_then(Value::as_array))
        .flatten()
    {
        if let Some(t) = flatten(root, branch).get("type") {
            types.extend(types_of(t));
        }
    }
    let wants = |t: &str| types.iter().any(|x| x == t);
    if wants("string") {
        return Value::String(text.to_string());
    }
    if wants("integer") || wants("number") {
        // A JSON number token only (serde_json keeps integers beyond i64 as u64, beyond u64 as f64).
        if let Ok(n @ Value::Number(_)) = serde_json::from_str::<Value>(text.trim()) {
            return n;
        }
    }
    if wants("boolean") && matches!(text, "true" | "false") {
        return Value::Bool(text == "true");
    }
    if wants("null") && text == "null" {
        return Value::Null;
    }
    if (wants("array") || wants("object"))
        && let Ok(v @ (Value::Array(_) | Value::Object(_))) = serde_json::from_str::<Value>(text)
    {
        return v;
    }
    Value::String(text.to_string())
}

/// `query parameter `pageSize`: -1 is less than the minimum of 1` / `body field `/cargoParamList/0/quantity`: …`.
fn describe(
    op: &Operation,
    from_query: &Map<String, Value>,
    e: &jsonschema::ValidationError<'_>,
) -> String {
    let raw = e.instance_path().as_str();
    let segment = |p: &str| {
        p.trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("")
            .replace("~1", "/")
            .replace("~0", "~")
    };
    // `/body_refundId/...` is the body's `refundId`: name it as the request spells it.
    let schema_name = segment(raw);
    let pointer = match param_of(op, &schema_name) {
        Some(p) if p.name != schema_name => {
            format!("/{}{}", p.name, &raw[1 + schema_name.len()..])
        }
        _ => raw.to_string(),
    };
    let first = segment(&pointer);
    let top_level = pointer.matches('/').count() == 1;
    if let ValidationErrorKind::Required { property } = e.kind() {
        let name = property.as_str().unwrap_or_default();
        return match param_of(op, name) {
            Some(p) if pointer.is_empty() && p.location == ParamLocation::Query => {
                format!("missing required query parameter `{}`", p.name)
            }
            Some(p) if pointer.is_empty() => format!("missing required body field `{}`", p.name),
            _ if pointer.is_empty() => format!("missing required body field `{name}`"),
            _ => format!("missing required body field `{pointer}/{name}`"),
        };
    }
    let field = if pointer.is_empty() {
        "request".to_string()
    } else if top_level && is_query_param(op, &schema_name) && from_query.contains_key(&first) {
        format!("query parameter `{first}`")
    } else if top_level {
        format!("body field `{first}`")
    } else {
        format!("body field `{pointer}`")
    };
    match e.kind() {
        ValidationErrorKind::Type {
            kind: TypeKind::Single(t),
        } => format!("{field} must be {t}, got {}", e.instance()),
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            format!("{field} has undocumented properties {unexpected:?}")
        }
        _ => format!("{field}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sourcing_runtime::operation::{Effect, Param, ParamKind, transcode};

    const fn param(name: &'static str, location: ParamLocation, json_string: bool) -> Param {
        Param {
            name,
            location,
            required: false,
            kind: ParamKind::Any,
            description: "",
            limit: None,
            json_string,
        }
    }

    static OP: Operation = Operation {
        id: "op",
        method: "POST",
        path: "/x",
        tag: "",
        summary: "",
        auth: sourcing_runtime::AuthStyle::AccessKeyV1,
        effect: Effect::Write,
        idempotent: false,
        params: &[
            param("pageSize", ParamLocation::Query, false),
            param("refundId", ParamLocation::Query, false),
            param("refundId", ParamLocation::Body, false),
            param("sort", ParamLocation::Body, true),
            param("items", ParamLocation::Body, false),
        ],
        has_body: true,
        examples: &[],
        transcode_request: None,
        transcode_response: transcode::<Value>,
        batch_outcome: None,
        evidence: None,
        flow_role: None,
        // As codegen writes it: `format: int32` also states its range (codegen/src/json_schema.rs).
        input_schema: r##"{
            "type": "object",
            "additionalProperties": false,
            "required": ["refundId"],
            "properties": {
                "pageSize": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2147483647},
                "refundId": {"type": "string"},
                "body_refundId": {"type": "integer"},
                "sort": {"type": ["string", "null"]},
                "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}
            },
            "$defs": {"Item": {"type": "object", "required": ["quantity"], "properties": {"quantity": {"type": "number"}}}}
        }"##,
        response_schema: "true",
    };

    fn check(query: &[(&str, &str)], body: Value) -> Result<(), String> {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        validate(&OP, &query, Some(&body))
    }

    #[test]
    fn query_values_are_read_as_their_schema_type() {
        check(&[("refundId", "TQ1"), ("pageSize", "20")], json!({})).unwrap();
        let e = check(&[("refundId", "TQ1"), ("pageSize", "-1")], json!({})).unwrap_err();
        assert!(
            e.starts_with("query parameter `pageSize`: -1 is less than the minimum of 1"),
            "{e}"
        );
        let e = check(
            &[("refundId", "TQ1"), ("pageSize", "2147483648")],
            json!({}),
        )
        .unwrap_err();
        assert!(e.contains("query parameter `pageSize`"), "{e}");
        let e = check(&[("refundId", "TQ1"), ("pageSize", "ten")], json!({})).unwrap_err();
        assert_eq!(e, "query parameter `pageSize` must be integer, got \"ten\"");
        let e = check(&[], json!({})).unwrap_err();
        assert_eq!(e, "missing required query parameter `refundId`");
    }

    #[test]
    fn body_fields_are_named_by_pointer() {
        let q = [("refundId", "TQ1")];
        check(&q, json!({"refundId": 7, "items": [{"quantity": 2}]})).unwrap();
        let e = check(&q, json!({"refundId": "TQ1"})).unwrap_err();
        assert_eq!(e, "body field `refundId` must be integer, got \"TQ1\"");
        let e = check(&q, json!({"items": [{"quantity": null}]})).unwrap_err();
        assert_eq!(e, "body field `/items/0/quantity` must be number, got null");
        let e = check(&q, json!({"items": [{}]})).unwrap_err();
        assert_eq!(e, "missing required body field `/items/0/quantity`");
        let e = check(&q, json!({"other": 1})).unwrap_err();
        assert!(e.contains("undocumented properties [\"other\"]"), "{e}");
    }

    #[test]
    fn json_in_string_fields_take_empty_null_or_json_text() {
        let q = [("refundId", "TQ1")];
        check(&q, json!({"sort": ""})).unwrap();
        check(&q, json!({"sort": null})).unwrap();
        check(&q, json!({"sort": "{\"price\":\"asc\"}"})).unwrap();
        let e = check(&q, json!({"sort": "{\"price\":"})).unwrap_err();
        assert!(
            e.starts_with("body field `sort` must hold JSON text"),
            "{e}"
        );
    }

    #[test]
    fn a_body_must_be_an_object() {
        assert_eq!(
            parse_body(&OP, b"[1]").unwrap_err(),
            "request body must be a JSON object, got an array"
        );
        assert!(parse_body(&OP, b"").unwrap_err().contains("missing"));
        assert!(
            parse_body(&OP, b"{")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_body(&OP, b"{}").unwrap().is_some());
    }
}
