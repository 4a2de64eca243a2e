//! Request validation against the operation's input JSON Schema (`Operation::input_schema`: one object of
//! the query parameters and the top-level body properties). Query values travel as text: each is read as
//! the type its schema names (integer, number, boolean) before validating, so `pageSize=-1` meets the same
//! `minimum` as `"pageSize": -1`. Errors name the field (query parameter name or JSON pointer into the body).
//!
//! A query parameter the operation does not declare is refused; undocumented body properties are accepted
//! (specs/README.md, "Schemas").
//!
//! Integers beyond 64 bits: a JSON parser without arbitrary precision reads `-9223372036854775809` as the
//! double `-2^63`, which equals int64's minimum, so a bound check on the parsed value would accept it. Every
//! double of integral value at or beyond `±2^63` is therefore checked as what it stands for, an integer beyond
//! int64's range ([`beyond_int64`]): refused wherever the schema bounds the value by `format: int64`/`int32`
//! (the table states those ranges as `minimum`/`maximum`), accepted where it does not (`type: number`).

use crate::schema::{self, flatten, types_of};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::{Map, Value};
use sourcing_runtime::{
    LIST_QUERY_PARAMS, ListFormat, Operation, Param, ParamLocation, SigningSettings, Variant,
};

/// The JSON body of `op`, which must be an object; `None` for operations without a body. Checked before
/// the signature, so every provider answers a missing, unparsable or non-object body the same way (400).
pub(crate) fn parse_body(op: &Operation, body: &[u8]) -> Result<Option<Value>, String> {
    if !op.has_body {
        return Ok(None);
    }
    if body.is_empty() {
        // An optional body (codegen's `x-body-optional` annotation on the input schema) may be left out.
        let optional = schema::compiled(op.input_schema)
            .is_some_and(|c| c.root.get("x-body-optional") == Some(&Value::Bool(true)));
        return match optional {
            true => Ok(None),
            false => Err("missing JSON request body".into()),
        };
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

/// Check query and body against `op`'s input schema, then the content of JSON-in-string fields; `Err` names
/// the field and what is wrong.
pub(crate) fn validate(
    op: &Operation,
    query: &[(String, String)],
    body: Option<&Value>,
    emulated: &SigningSettings,
) -> Result<(), Refusal> {
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
        // OpenAPI declares every query parameter (an outside tester sends an undeclared one expecting a
        // refusal), and a misspelt name would otherwise be dropped silently. Undocumented *body* properties
        // stay accepted: the vendors' own examples send some.
        if !op
            .params
            .iter()
            .any(|p| p.location == ParamLocation::Query && p.name == k)
        {
            return Err(Refusal::Invalid(format!(
                "undocumented query parameter `{k}`"
            )));
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
    let mut instance = from_query.clone();
    instance.extend(from_body);
    let mut instance = Value::Object(instance);
    beyond_int64(&mut instance);
    let errors: Vec<String> = c
        .validator
        .iter_errors(&instance)
        .take(3)
        .map(|e| describe(op, &from_query, &e))
        .collect();
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors.join("; ")));
    }
    json_text(op, &from_query, body).map_err(Refusal::Content)?;
    id_lists(op, query, emulated.app_key.list_format).map_err(Refusal::Content)
}

/// Id lists in one query parameter (Dajisaas `orderIdList`) written as the emulated reading says
/// (`ORDER_ID_LIST`: `json-array` `[id1,id2]`, the default, or `comma` `id1,id2`); the vendor publishes
/// neither, so the sandbox refuses the other one, naming the parameter and the reading. Schema-valid (the
/// schema says `string`), so a [`Refusal::Content`].
fn id_lists(op: &Operation, query: &[(String, String)], format: ListFormat) -> Result<(), String> {
    if op.auth != sourcing_runtime::AuthStyle::AppKey {
        return Ok(());
    }
    for (name, value) in query
        .iter()
        .filter(|(n, _)| LIST_QUERY_PARAMS.contains(&n.as_str()))
    {
        let json_array = serde_json::from_str::<Vec<Value>>(value).is_ok();
        let fits = match format {
            ListFormat::JsonArray => json_array,
            ListFormat::Comma => !json_array && !value.trim_start().starts_with('['),
        };
        if !fits && !value.trim().is_empty() {
            let example = ListFormat::JsonArray.write("1,2");
            let example = format.write(&example);
            return Err(format!(
                "query parameter `{name}` must be written {example} (the sandbox emulates ORDER_ID_LIST={}), got {value:?}",
                format.name()
            ));
        }
    }
    Ok(())
}

/// Why a request is refused, and so how it is answered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The request breaks its input schema: HTTP 400 with the provider's error envelope.
    Invalid(String),
    /// Schema-valid, but a field's content cannot be used: text that is not JSON in a JSON-in-string field
    /// (`x-json-string`; OpenAPI 3.0 cannot state "JSON inside a string", so the schema allows any string),
    /// an id list not written as the emulated `ORDER_ID_LIST` reading says.
    /// Answered as the vendors answer business failures: HTTP 200, the provider's failure envelope, code 400.
    Content(String),
}

impl Refusal {
    /// The sandbox's answer to this refusal of a request to `op`.
    pub(crate) fn respond(
        &self,
        provider: &sourcing_runtime::Provider,
        op: &Operation,
    ) -> axum::response::Response {
        use axum::http::StatusCode;
        match self {
            Refusal::Invalid(m) => crate::respond::error(
                provider,
                StatusCode::BAD_REQUEST,
                &format!("{}: {m}", op.id),
            ),
            Refusal::Content(m) => crate::respond::json_response(
                StatusCode::OK,
                &crate::respond::failure(
                    provider,
                    sourcing_runtime::Failure::new(400, format!("{}: {m}", op.id)),
                ),
            ),
        }
    }
}

/// Fields that carry JSON inside a string: empty (where the schema allows it) or JSON text.
fn json_text(
    op: &Operation,
    from_query: &Map<String, Value>,
    body: Option<&Value>,
) -> Result<(), String> {
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
    Ok(())
}

/// `2^63` as a double: the first integer beyond int64's maximum, and minus it int64's minimum.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;
/// What an integral double at or beyond `±2^63` is checked as: the next double beyond (`2^63 + 2048`), so
/// `minimum: -9223372036854775808` / `maximum: 9223372036854775807` refuse it and an unbounded `number`
/// still accepts it.
const BEYOND_INT64: f64 = TWO_63 + 2048.0;

/// Replace every integral double at or beyond `±2^63` (an integer token beyond 64 bits, rounded by the
/// parser onto int64's bound) with `±BEYOND_INT64`. Integers that fit `i64`/`u64` are exact and stay.
fn beyond_int64(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() >= TWO_63
                && f.abs() < BEYOND_INT64
                && let Some(beyond) = serde_json::Number::from_f64(BEYOND_INT64.copysign(f))
            {
                *n = beyond;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(beyond_int64),
        Value::Object(m) => m.values_mut().for_each(beyond_int64),
        _ => {}
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
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit }
            if e.instance()
                .as_f64()
                .is_some_and(|f| f.abs() == BEYOND_INT64) =>
        {
            format!(
                "{field}: an integer beyond int64's range is outside the bound {limit} (its format's range)"
            )
        }
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
    use sourcing_runtime::{Effect, Param, ParamKind, transcode};

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
                "body_refundId": {"type": "integer", "format": "int64", "minimum": -9223372036854775808, "maximum": 9223372036854775807},
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
        validate(&OP, &query, Some(&body), &SigningSettings::default()).map_err(|r| match r {
            Refusal::Invalid(m) => m,
            Refusal::Content(m) => format!("content: {m}"),
        })
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
        let e = check(&[("refundId", "TQ1"), ("pagesize", "1")], json!({})).unwrap_err();
        assert_eq!(e, "undocumented query parameter `pagesize`");
        let e = check(&[("refundId", "TQ1"), ("pageSize", "ten")], json!({})).unwrap_err();
        assert_eq!(e, "query parameter `pageSize` must be integer, got \"ten\"");
        let e = check(&[], json!({})).unwrap_err();
        assert_eq!(e, "missing required query parameter `refundId`");
    }

    #[test]
    fn integers_beyond_64_bits_meet_the_format_bounds() {
        let q = [("refundId", "TQ1")];
        // `body_refundId` is int64 in the schema below; `items[].quantity` an unbounded number.
        for text in [
            "-9223372036854775809",
            "-9223372036854776000",
            "9223372036854775808",
            "18446744073709551616",
            "-1e30",
        ] {
            let body: Value = serde_json::from_str(&format!("{{\"refundId\": {text}}}")).unwrap();
            let e = check(&q, body).unwrap_err();
            assert!(e.starts_with("body field `refundId`"), "{text}: {e}");
            let e = check(&[("refundId", "TQ1"), ("pageSize", text)], json!({})).unwrap_err();
            assert!(e.starts_with("query parameter `pageSize`"), "{text}: {e}");
        }
        let e = check(
            &q,
            serde_json::from_str(r#"{"refundId": -9223372036854775809}"#).unwrap(),
        )
        .unwrap_err();
        assert!(e.contains("beyond int64's range"), "{e}");
        // The bounds themselves are in range; a `number` takes any size.
        check(
            &q,
            serde_json::from_str(r#"{"refundId": -9223372036854775808}"#).unwrap(),
        )
        .unwrap();
        check(
            &q,
            serde_json::from_str(r#"{"refundId": 9223372036854775807}"#).unwrap(),
        )
        .unwrap();
        check(
            &q,
            serde_json::from_str(r#"{"items": [{"quantity": -9223372036854775809}]}"#).unwrap(),
        )
        .unwrap();
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
        // Schema-valid (any string): refused as content, after the schema's own checks.
        let e = check(&q, json!({"sort": "{\"price\":"})).unwrap_err();
        assert!(
            e.starts_with("content: body field `sort` must hold JSON text"),
            "{e}"
        );
        let e = check(&q, json!({"sort": "x", "items": [{}]})).unwrap_err();
        assert_eq!(e, "missing required body field `/items/0/quantity`");
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
