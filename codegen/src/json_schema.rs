//! OpenAPI 3.0 Schema Objects -> self-contained JSON Schema (draft 2020-12), for the operation table's
//! `input_schema` / `response_schema` and for validating the spec's examples.
//!
//! Rules:
//! * `$ref: '#/components/schemas/X'` becomes `$ref: '#/$defs/X'`; only the components reachable from the
//!   root are copied into `$defs` (converted the same way). Any other `$ref` is an error.
//! * `nullable: true` with a `type` becomes a type array (`["string", "null"]`, and `null` joins an `enum`);
//!   without a `type` (next to `allOf`/`oneOf`/`anyOf`, as the generated Rust client reads it) it becomes
//!   `anyOf: [{type: null}, <the rest>]`; on a schema that constrains nothing it is dropped (null already
//!   matches).
//! * `exclusiveMinimum/Maximum: true` (3.0 booleans) become the 2020-12 numbers; `false` is dropped.
//! * `example` becomes `examples: [value]`; `discriminator`, `xml`, `externalDocs` and every `x-*` extension
//!   are dropped, except `x-json-string: true`, which is kept and adds `contentMediaType: application/json`
//!   (an annotation: the string must hold JSON text).
//! * `format: int32`/`int64` on an integer also states its range as `minimum`/`maximum` (JSON Schema gives
//!   `format` no meaning), keeping a tighter bound the spec states.
//! * Siblings of a `$ref` are dropped, as OpenAPI 3.0 ignores them (codegen rejects them in specs anyway).

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The JSON Schema dialect every converted schema declares.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";
const COMPONENT_PREFIX: &str = "#/components/schemas/";
const DEFS_PREFIX: &str = "#/$defs/";

/// Converts schemas of one OpenAPI document, collecting the components they reference.
pub struct Converter<'a> {
    components: Option<&'a Map<String, Value>>,
    /// Component name -> converted schema (`None` while being converted: recursion).
    defs: BTreeMap<String, Option<Value>>,
}

impl<'a> Converter<'a> {
    /// `document` is the whole OpenAPI document as JSON (its `components.schemas` resolve references).
    pub fn new(document: &'a Value) -> Self {
        Converter {
            components: document
                .pointer("/components/schemas")
                .and_then(Value::as_object),
            defs: BTreeMap::new(),
        }
    }

    /// Convert one Schema Object; components it references are collected for [`Converter::finish`].
    /// `Err` names what is wrong, relative to `schema`.
    pub fn convert(&mut self, schema: &Value) -> Result<Value, String> {
        let Some(obj) = schema.as_object() else {
            return match schema {
                Value::Bool(_) => Ok(schema.clone()),
                _ => Err("a schema must be an object".into()),
            };
        };
        if let Some(r) = obj.get("$ref") {
            return self.convert_ref(r);
        }
        let mut out = Map::new();
        for (key, value) in obj {
            self.keyword(obj, key, value, &mut out)?;
        }
        format_bounds(&mut out);
        if obj.get("nullable") == Some(&Value::Bool(true)) {
            nullable(out)
        } else {
            Ok(Value::Object(out))
        }
    }

    /// `#/components/schemas/X` -> `#/$defs/X`, collecting `X`.
    fn convert_ref(&mut self, r: &Value) -> Result<Value, String> {
        let r = r.as_str().ok_or("$ref must be a string")?;
        let name = r
            .strip_prefix(COMPONENT_PREFIX)
            .ok_or_else(|| format!("$ref {r:?} does not point into #/components/schemas"))?;
        self.reference(name)?;
        Ok(json!({"$ref": format!("{DEFS_PREFIX}{}", pointer_escape(name))}))
    }

    /// One keyword of the Schema Object `obj` into `out` (dropped, renamed, converted or copied).
    fn keyword(
        &mut self,
        obj: &Map<String, Value>,
        key: &String,
        value: &Value,
        out: &mut Map<String, Value>,
    ) -> Result<(), String> {
        match key.as_str() {
            "nullable" | "discriminator" | "xml" | "externalDocs" => {}
            "x-json-string" => {
                if value == &Value::Bool(true) {
                    out.insert(key.clone(), value.clone());
                    out.insert("contentMediaType".into(), json!("application/json"));
                }
            }
            k if k.starts_with("x-") => {}
            "example" => {
                out.insert("examples".into(), json!([value]));
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                let bound = if key == "exclusiveMinimum" {
                    "minimum"
                } else {
                    "maximum"
                };
                if value == &Value::Bool(true) {
                    let n = obj
                        .get(bound)
                        .ok_or_else(|| format!("{key}: true needs `{bound}`"))?;
                    out.insert(key.clone(), n.clone());
                }
            }
            "minimum" | "maximum" => {
                let exclusive = if key == "minimum" {
                    "exclusiveMinimum"
                } else {
                    "exclusiveMaximum"
                };
                if obj.get(exclusive) != Some(&Value::Bool(true)) {
                    out.insert(key.clone(), value.clone());
                }
            }
            "properties" => {
                out.insert(key.clone(), self.properties(value)?);
            }
            "items" | "additionalProperties" | "not" => {
                let c = self.convert(value).map_err(|m| format!("{key}: {m}"))?;
                out.insert(key.clone(), c);
            }
            "allOf" | "oneOf" | "anyOf" => {
                out.insert(key.clone(), self.list(key, value)?);
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
        Ok(())
    }

    /// `properties`: each property's schema converted.
    fn properties(&mut self, value: &Value) -> Result<Value, String> {
        let props = value.as_object().ok_or("properties must be an object")?;
        let mut conv = Map::new();
        for (name, s) in props {
            let c = self
                .convert(s)
                .map_err(|m| format!("properties/{}: {m}", pointer_escape(name)))?;
            conv.insert(name.clone(), c);
        }
        Ok(Value::Object(conv))
    }

    /// `allOf` / `oneOf` / `anyOf`: each schema of the list converted.
    fn list(&mut self, key: &str, value: &Value) -> Result<Value, String> {
        let list = value
            .as_array()
            .ok_or_else(|| format!("{key} must be a list"))?;
        let mut conv = Vec::new();
        for (i, s) in list.iter().enumerate() {
            conv.push(self.convert(s).map_err(|m| format!("{key}/{i}: {m}"))?);
        }
        Ok(Value::Array(conv))
    }

    fn reference(&mut self, name: &str) -> Result<(), String> {
        if self.defs.contains_key(name) {
            return Ok(());
        }
        let schema = self
            .components
            .and_then(|c| c.get(name))
            .ok_or_else(|| format!("component schema {name} not found"))?;
        self.defs.insert(name.to_string(), None);
        let converted = self
            .convert(schema)
            .map_err(|m| format!("in component {name}: {m}"))?;
        self.defs.insert(name.to_string(), Some(converted));
        Ok(())
    }

    /// `root` (already converted) made self-contained: `$schema` plus the `$defs` it reaches.
    pub fn finish(self, root: Value) -> Value {
        let mut out = Map::new();
        out.insert("$schema".into(), json!(DIALECT));
        match root {
            Value::Object(m) => out.extend(m),
            Value::Bool(false) => {
                out.insert("not".into(), json!({}));
            }
            _ => {}
        }
        if !self.defs.is_empty() {
            let defs: Map<String, Value> = self
                .defs
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or(Value::Bool(true))))
                .collect();
            out.insert("$defs".into(), Value::Object(defs));
        }
        Value::Object(out)
    }
}

/// The self-contained JSON Schema of one OpenAPI schema (`{"$ref": "#/components/schemas/X"}` or inline).
pub fn self_contained(document: &Value, schema: &Value) -> Result<Value, String> {
    let mut conv = Converter::new(document);
    let root = conv.convert(schema)?;
    Ok(conv.finish(root))
}

/// The self-contained JSON Schema of the component `name`: `{"$schema", "$ref": "#/$defs/name", "$defs"}`.
pub fn component(document: &Value, name: &str) -> Result<Value, String> {
    self_contained(
        document,
        &json!({"$ref": format!("{COMPONENT_PREFIX}{name}")}),
    )
}

/// `nullable: true` of a converted schema: a type array (`null` joins an `enum`) when it has a `type`;
/// nothing when it constrains nothing (null already matches); else `anyOf: [{type: null}, <the rest>]`,
/// keeping the annotations outside.
fn nullable(mut out: Map<String, Value>) -> Result<Value, String> {
    if let Some(ty) = out.get("type").cloned() {
        let ty = ty
            .as_str()
            .ok_or("`type` must be a string in OpenAPI 3.0")?;
        out.insert("type".into(), json!([ty, "null"]));
        if let Some(Value::Array(values)) = out.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
        return Ok(Value::Object(out));
    }
    const ANNOTATIONS: &[&str] = &[
        "description",
        "title",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    ];
    if out.keys().all(|k| ANNOTATIONS.contains(&k.as_str())) {
        return Ok(Value::Object(out));
    }
    let mut wrapper = Map::new();
    for k in ANNOTATIONS {
        if let Some(v) = out.remove(*k) {
            wrapper.insert((*k).into(), v);
        }
    }
    wrapper.insert(
        "anyOf".into(),
        json!([{"type": "null"}, Value::Object(out)]),
    );
    Ok(Value::Object(wrapper))
}

/// OpenAPI gives `format: int32`/`int64` a range; JSON Schema gives `format` none. So an integer schema with
/// one of them also states the range as `minimum`/`maximum`, unless a bound the spec states is tighter.
/// Every reader of the converted schemas (the sandbox, `sourcing mcp`, outside tools) then refuses
/// `2147483648` for an int32 without knowing OpenAPI.
fn format_bounds(out: &mut Map<String, Value>) {
    let (lo, hi) = match out.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        Some("int64") => (i64::MIN, i64::MAX),
        _ => return,
    };
    if out.get("type").and_then(Value::as_str) != Some("integer") {
        return;
    }
    let stated = |out: &Map<String, Value>, key: &str| out.get(key).and_then(Value::as_f64);
    if stated(out, "minimum").is_none_or(|old| old < lo as f64) {
        out.insert("minimum".into(), json!(lo));
    }
    if stated(out, "maximum").is_none_or(|old| old > hi as f64) {
        out.insert("maximum".into(), json!(hi));
    }
}

fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}, "me": {"$ref": "#/components/schemas/A"}},
                  "example": {"b": 1}, "x-note": "n", "discriminator": {"propertyName": "k"}},
            "B": {"type": "integer", "nullable": true, "enum": [1, 2]},
            "Unused": {"type": "string"}
        }}})
    }

    #[test]
    fn refs_become_defs_with_only_the_reachable_components() {
        let s = component(&doc(), "A").unwrap();
        assert_eq!(s["$ref"], "#/$defs/A");
        let defs = s["$defs"].as_object().unwrap();
        assert_eq!(defs.keys().collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(defs["A"]["properties"]["me"]["$ref"], "#/$defs/A");
        assert_eq!(defs["A"]["examples"], json!([{"b": 1}]));
        assert!(defs["A"].get("x-note").is_none() && defs["A"].get("discriminator").is_none());
        assert_eq!(defs["B"]["type"], json!(["integer", "null"]));
        assert_eq!(defs["B"]["enum"], json!([1, 2, null]));
    }

    #[test]
    fn nullable_without_type_wraps_in_any_of_and_exclusive_bounds_become_numbers() {
        let s = self_contained(
            &doc(),
            &json!({"description": "d", "nullable": true, "allOf": [{"$ref": "#/components/schemas/B"}]}),
        )
        .unwrap();
        assert_eq!(s["description"], "d");
        assert_eq!(s["anyOf"][0], json!({"type": "null"}));
        assert_eq!(s["anyOf"][1]["allOf"][0]["$ref"], "#/$defs/B");
        let s = self_contained(&doc(), &json!({"nullable": true, "description": "any"})).unwrap();
        assert!(s.get("anyOf").is_none());
        let s = self_contained(
            &doc(),
            &json!({"type": "integer", "maximum": 5, "exclusiveMaximum": true, "minimum": 0, "exclusiveMinimum": false}),
        )
        .unwrap();
        assert_eq!(s["exclusiveMaximum"], 5);
        assert_eq!(s["minimum"], 0);
        assert!(s.get("maximum").is_none() && s.get("exclusiveMinimum").is_none());
    }

    #[test]
    fn integer_formats_state_their_ranges_without_loosening() {
        let s = self_contained(
            &doc(),
            &json!({
                "type": "object",
                "properties": {
                    "a": {"type": "integer", "format": "int32"},
                    "b": {"type": "integer", "nullable": true, "format": "int64", "minimum": 0},
                    "c": {"type": "integer", "format": "int32", "maximum": 50},
                    "d": {"type": "string", "format": "int64"}
                }
            }),
        )
        .unwrap();
        let p = &s["properties"];
        assert_eq!(p["a"]["maximum"], json!(i32::MAX));
        assert_eq!(p["a"]["minimum"], json!(i32::MIN));
        assert_eq!(p["b"]["type"], json!(["integer", "null"]));
        assert_eq!(p["b"]["minimum"], json!(0));
        assert_eq!(p["b"]["maximum"], json!(i64::MAX));
        assert_eq!(p["c"]["maximum"], json!(50));
        assert!(p["d"].get("maximum").is_none());

        let valid = |schema: Value, v: Value| {
            let schema = self_contained(&doc(), &schema).unwrap();
            jsonschema::draft202012::new(&schema).unwrap().is_valid(&v)
        };
        assert!(valid(
            json!({"type": "integer", "format": "int64"}),
            json!(i64::MAX)
        ));
        assert!(!valid(
            json!({"type": "integer", "format": "int64"}),
            json!(i64::MAX as u64 + 1)
        ));
        assert!(!valid(
            json!({"type": "integer", "format": "int32"}),
            json!(2_147_483_648u64)
        ));
        let beyond: Value = serde_json::from_str("123456789012345678901234567890").unwrap();
        assert!(
            valid(json!({"type": "integer"}), beyond),
            "no format: any integer"
        );
    }

    #[test]
    fn foreign_and_dangling_refs_are_errors() {
        assert!(self_contained(&doc(), &json!({"$ref": "#/components/parameters/P"})).is_err());
        assert!(component(&doc(), "Missing").is_err());
    }
}
