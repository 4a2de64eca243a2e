//! JSON Schema (draft 2020-12) helpers shared by request validation and answer generation: reading a
//! schema through `$ref`/`allOf`, the integer ranges of OpenAPI's `format: int32`/`int64`, and compiled
//! validators.

use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The bounds OpenAPI's integer formats imply (JSON Schema itself gives `format` no meaning).
pub(crate) fn format_range(format: &str) -> Option<(i64, i64)> {
    match format {
        "int32" => Some((i32::MIN.into(), i32::MAX.into())),
        "int64" => Some((i64::MIN, i64::MAX)),
        _ => None,
    }
}

/// A copy of `schema` where every integer schema with `format: int32`/`int64` also carries the format's
/// `minimum`/`maximum` (tightening, never loosening, bounds that are already there), so that a validator
/// refuses `2147483648` for an int32 and `9223372036854775808` for an int64.
pub(crate) fn with_format_ranges(schema: &Value) -> Value {
    let mut out = schema.clone();
    add_ranges(&mut out);
    out
}

fn add_ranges(node: &mut Value) {
    match node {
        Value::Object(map) => {
            let range = map
                .get("format")
                .and_then(Value::as_str)
                .and_then(format_range);
            if let Some((lo, hi)) = range
                && allows_type(map, "integer")
            {
                tighten(map, "minimum", lo, |old, new| old >= new);
                tighten(map, "maximum", hi, |old, new| old <= new);
            }
            for v in map.values_mut() {
                add_ranges(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(add_ranges),
        _ => {}
    }
}

/// Keep an existing bound when it is at least as tight as `bound` (`keep(old, new)`), else set `bound`.
fn tighten(map: &mut Map<String, Value>, key: &str, bound: i64, keep: fn(f64, f64) -> bool) {
    let existing = map.get(key).and_then(Value::as_f64);
    if existing.is_none_or(|old| !keep(old, bound as f64)) {
        map.insert(key.into(), json!(bound));
    }
}

fn allows_type(map: &Map<String, Value>, ty: &str) -> bool {
    match map.get("type") {
        Some(Value::String(t)) => t == ty,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == ty),
        _ => false,
    }
}

/// The schema a local `$ref` (`#/$defs/Name`, any JSON pointer into `root`) points at.
pub(crate) fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    root.pointer(pointer)
}

/// `schema` read as one object: `$ref`s followed and `allOf` branches merged (properties and `required`
/// united, `type` intersected, the first value of any other keyword kept). `anyOf`/`oneOf` are left as they
/// are. Depth-limited against reference cycles.
pub(crate) fn flatten(root: &Value, schema: &Value) -> Map<String, Value> {
    flatten_at(root, schema, 0)
}

fn flatten_at(root: &Value, schema: &Value, depth: usize) -> Map<String, Value> {
    let Value::Object(map) = schema else {
        return Map::new();
    };
    if depth > 32 {
        return Map::new();
    }
    let mut out = Map::new();
    for (k, v) in map {
        if k != "$ref" && k != "allOf" {
            out.insert(k.clone(), v.clone());
        }
    }
    if let Some(target) = map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(root, r))
    {
        merge(&mut out, flatten_at(root, target, depth + 1));
    }
    for branch in map
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        merge(&mut out, flatten_at(root, branch, depth + 1));
    }
    out
}

fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (k.as_str(), into.get_mut(&k)) {
            (_, None) => {
                into.insert(k, v);
            }
            ("properties", Some(Value::Object(mine))) => {
                if let Value::Object(theirs) = v {
                    for (name, s) in theirs {
                        match mine.get_mut(&name) {
                            Some(existing) => {
                                *existing = json!({"allOf": [existing.clone(), s]});
                            }
                            None => {
                                mine.insert(name, s);
                            }
                        }
                    }
                }
            }
            ("required", Some(Value::Array(mine))) => {
                for r in v.as_array().into_iter().flatten() {
                    if !mine.contains(r) {
                        mine.push(r.clone());
                    }
                }
            }
            ("type", Some(mine)) => {
                let a = types_of(mine);
                let b = types_of(&v);
                let both: Vec<Value> = a
                    .iter()
                    .filter(|t| b.contains(t))
                    .map(|t| json!(t))
                    .collect();
                if !both.is_empty() {
                    *mine = Value::Array(both);
                }
            }
            _ => {}
        }
    }
}

/// The JSON types a `type` keyword names (`[]` when absent).
pub(crate) fn types_of(ty: &Value) -> Vec<String> {
    match ty {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// A draft 2020-12 validator for `schema` (integer formats turned into ranges, `format` otherwise an
/// annotation as the draft says).
pub(crate) fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::options()
        .should_validate_formats(false)
        .build(&with_format_ranges(schema))
        .map_err(|e| format!("invalid JSON Schema: {e}"))
}

/// A compiled schema and its text as a value (for `$ref` resolution and generation).
pub(crate) struct Compiled {
    pub(crate) root: Value,
    pub(crate) validator: jsonschema::Validator,
}

/// The compiled schema of a table text (cached per text), `None` when the text is empty or not a usable
/// schema.
pub(crate) fn compiled(text: &'static str) -> Option<Arc<Compiled>> {
    if text.trim().is_empty() {
        return None;
    }
    type Cache = Mutex<HashMap<(usize, usize), Option<Arc<Compiled>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (text.as_ptr() as usize, text.len());
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return hit.clone();
    }
    let made = serde_json::from_str::<Value>(text).ok().and_then(|root| {
        let validator = compile(&root).ok()?;
        Some(Arc::new(Compiled { root, validator }))
    });
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, made.clone());
    made
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_formats_become_ranges_without_loosening() {
        let s = with_format_ranges(&json!({
            "type": "object",
            "properties": {
                "a": {"type": "integer", "format": "int32"},
                "b": {"type": ["integer", "null"], "format": "int64", "minimum": 0},
                "c": {"type": "integer", "format": "int32", "maximum": 50},
                "d": {"type": "string", "format": "int64"}
            }
        }));
        assert_eq!(s["properties"]["a"]["maximum"], json!(i32::MAX));
        assert_eq!(s["properties"]["a"]["minimum"], json!(i32::MIN));
        assert_eq!(s["properties"]["b"]["minimum"], json!(0));
        assert_eq!(s["properties"]["b"]["maximum"], json!(i64::MAX));
        assert_eq!(s["properties"]["c"]["maximum"], json!(50));
        assert!(s["properties"]["d"].get("maximum").is_none());

        let v = compile(&json!({"type": "integer", "format": "int64"})).unwrap();
        assert!(v.is_valid(&json!(i64::MAX)));
        assert!(!v.is_valid(&json!(i64::MAX as u64 + 1)));
        let v = compile(&json!({"type": "integer", "format": "int32"})).unwrap();
        assert!(!v.is_valid(&json!(2_147_483_648u64)));
        let v = compile(&json!({"type": "integer"})).unwrap();
        let beyond: Value = serde_json::from_str("123456789012345678901234567890").unwrap();
        assert!(v.is_valid(&beyond), "no format: any integer");
    }

    #[test]
    fn flatten_follows_refs_and_merges_all_of() {
        let root = json!({
            "$defs": {
                "Env": {"type": "object", "required": ["code"], "properties": {"code": {"type": "integer"}}},
                "Item": {"type": "object", "properties": {"x": {"type": "string"}}}
            },
            "allOf": [
                {"$ref": "#/$defs/Env"},
                {"type": "object", "required": ["data"], "properties": {"data": {"$ref": "#/$defs/Item"}}}
            ]
        });
        let flat = flatten(&root, &root);
        assert_eq!(flat["required"], json!(["code", "data"]));
        assert_eq!(flat["type"], json!(["object"]));
        assert_eq!(
            flatten(&root, &flat["properties"]["data"])["properties"]["x"],
            json!({"type": "string"})
        );
    }
}
