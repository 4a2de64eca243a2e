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

/// A draft 2020-12 validator for `schema` (`format` an annotation, as the draft says: the operation table's
/// schemas already state the ranges of `format: int32`/`int64` as `minimum`/`maximum`).
pub(crate) fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::options()
        .should_validate_formats(false)
        .build(schema)
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
