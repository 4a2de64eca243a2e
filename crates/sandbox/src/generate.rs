//! Deterministic values from a JSON Schema (draft 2020-12, as the operation table carries it): what the
//! sandbox answers where the vendor publishes no example, and the inputs the conformance test sends where
//! no request example exists.
//!
//! The same schema and seed always give the same value. Values satisfy the schema's types, `enum`/`const`,
//! `required` (optional properties are filled too, down to a depth limit), integer ranges (`minimum`,
//! `maximum`, OpenAPI `format: int32`/`int64`), string and array lengths, `$ref` into `$defs`, `allOf`, and
//! `anyOf`/`oneOf` (the first branch that is not only `null`). A nullable field gets a non-null value.
//! Strings are chosen by field name where that is cheap: `…Id` digits, `…Url` an https URL under
//! example.com, titles and subjects `sandbox item N` (the sandbox's data mark), times a vendor-style
//! timestamp, amounts a decimal. A node with no schema at all (`{}`, untyped `data`) is
//! `{"sandbox": true}`.

use crate::schema::{flatten, format_range, types_of};
use serde_json::{Map, Number, Value, json};

/// A value of `schema`; `root` holds the `$defs` its `$ref`s point into (usually `schema` itself).
pub fn generate(root: &Value, schema: &Value, seed: u64) -> Value {
    generate_named(root, schema, seed, None)
}

/// [`generate`] for a value that has a name of its own (a field, or the operation whose `data` it is):
/// a top-level string named `…_link` is a URL, as a field of that name would be.
pub fn generate_named(root: &Value, schema: &Value, seed: u64, name: Option<&str>) -> Value {
    Generator::new(root, seed).value(schema, name, 0)
}

/// A seed from an operation id and a canonical form of its request (query pairs sorted, body with sorted
/// keys), so the same request always gets the same answer.
pub fn seed(operation: &str, query: &[(String, String)], body: Option<&Value>) -> u64 {
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    pairs.sort();
    let mut text = String::from(operation);
    for (k, v) in pairs {
        text.push('&');
        text.push_str(k);
        text.push('=');
        text.push_str(v);
    }
    text.push('#');
    if let Some(b) = body {
        canonical(b, &mut text);
    }
    fnv1a(text.as_bytes())
}

fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for k in keys {
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k], out);
                out.push(',');
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for x in a {
                canonical(x, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Below this depth optional properties are filled and arrays get 1–2 items; deeper, only what the
/// schema requires (keeps recursive schemas such as category trees finite).
const FULL_DEPTH: usize = 6;
const MAX_DEPTH: usize = 24;

struct Generator<'a> {
    root: &'a Value,
    state: u64,
    /// Counts titles, names and ids so that siblings differ (`sandbox item 1`, `sandbox item 2`).
    serial: u64,
}

impl<'a> Generator<'a> {
    fn new(root: &'a Value, seed: u64) -> Self {
        Self {
            root,
            state: seed,
            serial: 0,
        }
    }

    /// SplitMix64: tiny, stable across Rust and crate versions.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    fn value(&mut self, schema: &Value, name: Option<&str>, depth: usize) -> Value {
        match schema {
            Value::Bool(false) => return Value::Null,
            Value::Bool(true) => return json!({"sandbox": true}),
            _ => {}
        }
        let s = flatten(self.root, schema);
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        if let Some(options) = s.get("enum").and_then(Value::as_array) {
            let non_null: Vec<&Value> = options.iter().filter(|v| !v.is_null()).collect();
            if non_null.is_empty() {
                return Value::Null;
            }
            let i = self.below(non_null.len() as u64) as usize;
            return non_null[i].clone();
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = s.get(key).and_then(Value::as_array) {
                let pick = branches
                    .iter()
                    .find(|b| !self.only_null(b))
                    .or(branches.first());
                if let Some(b) = pick {
                    // Keywords beside the combinator (e.g. `properties`) still apply: merge them in.
                    let mut rest = s.clone();
                    rest.remove(key);
                    let merged = if rest.keys().all(|k| is_annotation(k)) {
                        b.clone()
                    } else {
                        json!({"allOf": [Value::Object(rest), b]})
                    };
                    return self.value(&merged, name, depth);
                }
            }
        }
        let types: Vec<String> = s.get("type").map(types_of).unwrap_or_default();
        let non_null: Vec<&str> = types
            .iter()
            .map(String::as_str)
            .filter(|t| *t != "null")
            .collect();
        let ty = match non_null.first() {
            Some(t) => *t,
            None if !types.is_empty() => return Value::Null,
            None if s.contains_key("properties") || s.contains_key("required") => "object",
            None if s.contains_key("items") => "array",
            None => return json!({"sandbox": true}),
        };
        if depth > MAX_DEPTH {
            return match ty {
                "object" => json!({}),
                "array" => json!([]),
                _ => self.scalar(ty, &s, name),
            };
        }
        match ty {
            "object" => self.object(&s, depth),
            "array" => self.array(&s, name, depth),
            _ => self.scalar(ty, &s, name),
        }
    }

    fn only_null(&self, schema: &Value) -> bool {
        let s = flatten(self.root, schema);
        let types = s.get("type").map(types_of).unwrap_or_default();
        !types.is_empty() && types.iter().all(|t| t == "null")
    }

    fn object(&mut self, s: &Map<String, Value>, depth: usize) -> Value {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        let empty = Map::new();
        let props = s
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (name, sub) in props {
            if depth < FULL_DEPTH || required.contains(&name.as_str()) {
                let v = self.value(sub, Some(name), depth + 1);
                out.insert(name.clone(), v);
            }
        }
        // Required names without a property schema: any value is allowed.
        for name in &required {
            if !out.contains_key(*name) {
                out.insert((*name).to_string(), json!({"sandbox": true}));
            }
        }
        // A map (`additionalProperties: {schema}`) without named properties gets one entry.
        if props.is_empty()
            && let Some(extra) = s.get("additionalProperties").filter(|v| v.is_object())
            && depth < FULL_DEPTH
        {
            let v = self.value(extra, Some("sandbox"), depth + 1);
            out.insert("sandbox".into(), v);
        }
        Value::Object(out)
    }

    fn array(&mut self, s: &Map<String, Value>, name: Option<&str>, depth: usize) -> Value {
        let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = s
            .get("maxItems")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX);
        let wanted = if depth < FULL_DEPTH {
            1 + self.below(2)
        } else {
            0
        };
        let n = wanted.max(min).min(max).min(min.max(2));
        let items = s.get("items").cloned().unwrap_or(Value::Bool(true));
        let unique = s.get("uniqueItems").and_then(Value::as_bool) == Some(true);
        let mut out: Vec<Value> = Vec::new();
        let mut tries = 0;
        while (out.len() as u64) < n && tries < n * 4 + 4 {
            tries += 1;
            let v = self.value(&items, name, depth + 1);
            if unique && out.contains(&v) {
                continue;
            }
            out.push(v);
        }
        Value::Array(out)
    }

    fn scalar(&mut self, ty: &str, s: &Map<String, Value>, name: Option<&str>) -> Value {
        match ty {
            "integer" => self.integer(s, name),
            "number" => self.number(s, name),
            // A success flag says success (a sandbox answer is a happy path); other flags vary.
            "boolean" => Value::Bool(
                name.is_some_and(|n| n.to_ascii_lowercase().ends_with("success"))
                    || self.below(2) == 0,
            ),
            "string" => self.string(s, name),
            _ => Value::Null,
        }
    }

    fn integer(&mut self, s: &Map<String, Value>, name: Option<&str>) -> Value {
        let (mut lo, mut hi) = (i128::from(i64::MIN), i128::from(u64::MAX));
        if let Some((a, b)) = s
            .get("format")
            .and_then(Value::as_str)
            .and_then(format_range)
        {
            lo = lo.max(a.into());
            hi = hi.min(b.into());
        }
        let bound = |k: &str| s.get(k).and_then(Value::as_f64);
        if let Some(m) = bound("minimum") {
            lo = lo.max(m.ceil() as i128);
        }
        if let Some(m) = bound("exclusiveMinimum") {
            lo = lo.max(m.floor() as i128 + 1);
        }
        if let Some(m) = bound("maximum") {
            hi = hi.min(m.floor() as i128);
        }
        if let Some(m) = bound("exclusiveMaximum") {
            hi = hi.min(m.ceil() as i128 - 1);
        }
        let key = name.map(str::to_ascii_lowercase).unwrap_or_default();
        // A plausible magnitude for the field, then clamped into the allowed range.
        let wanted: i128 = if is_id(&key) {
            if hi >= 1_000_000_000_000 {
                600_000_000_000 + i128::from(self.below(100_000_000_000))
            } else {
                100_000 + i128::from(self.below(900_000))
            }
        } else if key.contains("time") || key.contains("date") {
            1_767_225_600_000 + i128::from(self.below(86_400_000))
        } else if ["price", "amount", "fee", "cost", "freight"]
            .iter()
            .any(|w| key.contains(w))
        {
            100 + i128::from(self.below(9_900))
        } else {
            1 + i128::from(self.below(20))
        };
        let mut v = if lo > hi { lo } else { wanted.clamp(lo, hi) };
        if let Some(step) = s
            .get("multipleOf")
            .and_then(Value::as_u64)
            .filter(|m| *m > 1)
        {
            let step = i128::from(step);
            v = (v / step) * step;
            if v < lo {
                v += step;
            }
        }
        match i64::try_from(v) {
            Ok(i) => json!(i),
            Err(_) => u64::try_from(v).map(|u| json!(u)).unwrap_or(json!(0)),
        }
    }

    fn number(&mut self, s: &Map<String, Value>, name: Option<&str>) -> Value {
        let lo = s
            .get("minimum")
            .or(s.get("exclusiveMinimum"))
            .and_then(Value::as_f64);
        let hi = s
            .get("maximum")
            .or(s.get("exclusiveMaximum"))
            .and_then(Value::as_f64);
        let key = name.map(str::to_ascii_lowercase).unwrap_or_default();
        // Hundredths as an integer: the value is `cents / 100`, the double nearest a two-decimal number, so
        // its text never shows float noise such as 8.309999999999999 (amounts are yuan with two decimals).
        let mut cents: i64 = if key.contains("weight") {
            50 + 10 * self.below(50) as i64
        } else {
            100 + self.below(9_900) as i64
        };
        let to_cents = |x: f64| (x * 100.0).round() as i64;
        if let Some(lo) = lo
            && cents as f64 / 100.0 <= lo
        {
            cents = to_cents(lo) + 100;
        }
        if let Some(hi) = hi
            && cents as f64 / 100.0 >= hi
        {
            cents = match lo {
                Some(lo) => (to_cents(lo) + to_cents(hi)) / 2,
                None => to_cents(hi) - 100,
            };
        }
        Number::from_f64(cents as f64 / 100.0)
            .map(Value::Number)
            .unwrap_or(json!(0))
    }

    fn string(&mut self, s: &Map<String, Value>, name: Option<&str>) -> Value {
        let field = name.unwrap_or("value");
        let key = field.to_ascii_lowercase();
        let format = s.get("format").and_then(Value::as_str).unwrap_or("");
        let n = self.serial();
        let mut text = match format {
            "date-time" => format!("2026-01-{:02}T08:30:00Z", 1 + n % 28),
            "date" => format!("2026-01-{:02}", 1 + n % 28),
            "time" => "08:30:00Z".to_string(),
            "uri" | "url" | "iri" | "uri-reference" => {
                format!("https://example.com/sandbox/{field}/{n}")
            }
            "email" => format!("sandbox{n}@example.com"),
            "uuid" => format!("00000000-0000-4000-8000-{:012}", n),
            "int32" | "int64" => (1 + self.below(1000)).to_string(),
            _ if s.contains_key("contentSchema") => {
                let inner = s["contentSchema"].clone();
                let v = self.value(&inner, name, FULL_DEPTH - 2);
                v.to_string()
            }
            _ if s.get("contentMediaType").and_then(Value::as_str) == Some("application/json")
                || s.contains_key("x-json-string") =>
            {
                "{}".to_string()
            }
            _ if is_id(&key) => {
                (1_000_000_000_000_000_000u64 + self.below(8_000_000_000_000_000_000)).to_string()
            }
            _ if ["url", "link", "image", "img", "pic", "avatar", "logo"]
                .iter()
                .any(|w| key.contains(w)) =>
            {
                format!("https://example.com/sandbox/{field}/{n}")
            }
            _ if key.contains("title") || key.contains("subject") => {
                format!("sandbox item {n}")
            }
            _ if key.contains("email") || key.contains("mail") => {
                format!("sandbox{n}@example.com")
            }
            _ if key.contains("mobile") || key.contains("phone") || key.contains("tel") => {
                format!("186{:08}", self.below(100_000_000))
            }
            _ if key.contains("time") || key.contains("date") => {
                format!("2026-01-{:02} 08:30:00", 1 + n % 28)
            }
            _ if [
                "price", "amount", "fee", "cost", "freight", "money", "total",
            ]
            .iter()
            .any(|w| key.contains(w)) =>
            {
                format!("{}.{:02}", 1 + self.below(999), self.below(100))
            }
            _ if key.contains("currency") => "CNY".to_string(),
            _ if key.contains("name") => format!("sandbox {field} {n}"),
            _ => format!("sandbox {field} {n}"),
        };
        let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = s
            .get("maxLength")
            .and_then(Value::as_u64)
            .map(|m| m as usize);
        let len = text.chars().count();
        if len < min {
            text.extend(std::iter::repeat_n('x', min - len));
        }
        if let Some(max) = max
            && text.chars().count() > max
        {
            text = text.chars().take(max).collect();
        }
        Value::String(text)
    }
}

/// A field name that holds an identifier: `id`, `…Id`, `…Ids`, `…_id`, `…No` (order numbers).
fn is_id(lower: &str) -> bool {
    lower == "id"
        || lower.ends_with("id")
        || lower.ends_with("ids")
        || lower.ends_with("_id")
        || lower.ends_with("no")
}

/// Keywords that do not constrain a value.
fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "description"
            | "title"
            | "examples"
            | "example"
            | "default"
            | "deprecated"
            | "readOnly"
            | "writeOnly"
            | "$comment"
    ) || key.starts_with("x-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::compile;

    fn check(schema: &Value) -> Value {
        let validator = compile(schema).unwrap();
        for seed in 0..50 {
            let v = generate(schema, schema, seed);
            let errors: Vec<String> = validator
                .iter_errors(&v)
                .map(|e| format!("{}: {e}", e.instance_path().as_str()))
                .collect();
            assert!(errors.is_empty(), "seed {seed}: {v} -> {errors:?}");
        }
        generate(schema, schema, 7)
    }

    #[test]
    fn deterministic_for_the_same_seed_and_varied_across_seeds() {
        let schema = json!({"type": "object", "properties": {
            "offerId": {"type": "integer", "format": "int64"},
            "subject": {"type": "string"},
            "n": {"type": "integer"}
        }});
        assert_eq!(
            generate(&schema, &schema, 42),
            generate(&schema, &schema, 42)
        );
        let distinct: std::collections::BTreeSet<String> = (0..20)
            .map(|s| generate(&schema, &schema, s).to_string())
            .collect();
        assert!(distinct.len() > 10, "{distinct:?}");
        let q = |v: &str| vec![("b".to_string(), v.to_string()), ("a".into(), "1".into())];
        let body = json!({"x": 1, "y": [1, {"b": 2, "a": 1}]});
        let reordered = json!({"y": [1, {"a": 1, "b": 2}], "x": 1});
        assert_eq!(
            seed("op", &q("2"), Some(&body)),
            seed("op", &q("2"), Some(&reordered))
        );
        assert_ne!(
            seed("op", &q("2"), Some(&body)),
            seed("op", &q("3"), Some(&body))
        );
        assert_ne!(seed("op", &q("2"), None), seed("other", &q("2"), None));
    }

    #[test]
    fn types_formats_and_ranges() {
        let v = check(
            &json!({"type": "object", "required": ["a", "b", "c", "d", "e"], "properties": {
                "a": {"type": "integer", "format": "int32"},
                "b": {"type": "integer", "format": "int64", "minimum": 0},
                "c": {"type": "integer", "minimum": 5, "maximum": 5},
                "d": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "e": {"type": "boolean"},
                "f": {"type": "integer", "format": "int32", "maximum": 50, "minimum": 1},
                "offerId": {"type": "integer", "format": "int64"},
                "categoryId": {"type": "integer", "format": "int32"},
                "s": {"type": "string", "minLength": 40, "maxLength": 41},
                "short": {"type": "string", "maxLength": 3}
            }}),
        );
        assert_eq!(v["c"], json!(5));
        assert!(v["offerId"].as_i64().unwrap() > 100_000_000_000, "{v}");
        assert!(
            v["categoryId"].as_i64().unwrap() <= i64::from(i32::MAX),
            "{v}"
        );
    }

    #[test]
    fn meaningful_strings_by_field_name() {
        let v = check(&json!({"type": "object", "properties": {
            "orderId": {"type": "string"},
            "picUrl": {"type": "string"},
            "subject": {"type": "string"},
            "title": {"type": "string"},
            "createTime": {"type": "string"},
            "price": {"type": "string"},
            "when": {"type": "string", "format": "date-time"}
        }}));
        let order_id = v["orderId"].as_str().unwrap();
        assert!(
            order_id.len() >= 18 && order_id.bytes().all(|b| b.is_ascii_digit()),
            "{v}"
        );
        assert!(
            v["picUrl"]
                .as_str()
                .unwrap()
                .starts_with("https://example.com/"),
            "{v}"
        );
        assert!(
            v["subject"].as_str().unwrap().starts_with("sandbox item "),
            "{v}"
        );
        assert!(
            v["title"].as_str().unwrap().starts_with("sandbox item "),
            "{v}"
        );
        assert!(v["price"].as_str().unwrap().parse::<f64>().is_ok(), "{v}");
    }

    #[test]
    fn enums_nullables_refs_and_combinators() {
        let schema = json!({
            "$defs": {
                "Sku": {"type": "object", "required": ["skuId", "quantity"], "properties": {
                    "skuId": {"oneOf": [{"type": "string"}, {"type": "integer", "format": "int64"}]},
                    "quantity": {"type": "integer", "minimum": 1},
                    "children": {"type": ["array", "null"], "items": {"$ref": "#/$defs/Sku"}}
                }},
                "Env": {"type": "object", "required": ["code"], "properties": {"code": {"type": "integer"}}}
            },
            "allOf": [
                {"$ref": "#/$defs/Env"},
                {"type": "object", "required": ["data"], "properties": {"data": {
                    "type": ["object", "null"],
                    "required": ["status", "skus", "note"],
                    "properties": {
                        "status": {"enum": [null, "WAITING", "PAID"]},
                        "skus": {"type": "array", "items": {"$ref": "#/$defs/Sku"}, "minItems": 1, "maxItems": 2},
                        "note": {"anyOf": [{"type": "null"}, {"type": "string"}]},
                        "nullableRef": {"anyOf": [{"$ref": "#/$defs/Sku"}, {"type": "null"}]},
                        "flag": {"oneOf": [{"title": "Cancelled", "type": "boolean"}, {"type": "object"}]},
                        "free": {},
                        "map": {"type": "object", "additionalProperties": {"type": "integer"}}
                    }
                }}}
            ]
        });
        let v = check(&schema);
        let data = &v["data"];
        assert!(data.is_object(), "{v}");
        assert!(data["status"].is_string(), "{v}");
        assert!(data["note"].is_string(), "nullable gets a value: {v}");
        assert!(data["nullableRef"].is_object(), "{v}");
        assert!(data["flag"].is_boolean(), "{v}");
        let n = data["skus"].as_array().unwrap().len();
        assert!((1..=2).contains(&n), "{v}");
        assert_eq!(data["free"], json!({"sandbox": true}));
    }

    #[test]
    fn recursive_schemas_terminate() {
        let schema = json!({
            "$defs": {"Node": {"type": "object", "required": ["name", "children"], "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
            }}},
            "$ref": "#/$defs/Node"
        });
        check(&schema);
    }

    #[test]
    fn json_in_string_fields_carry_json() {
        let v = check(&json!({"type": "object", "properties": {
            "sort": {"type": "string", "contentMediaType": "application/json",
                     "contentSchema": {"type": "object", "properties": {"price": {"enum": ["asc", "desc"]}}}},
            "params": {"type": "string", "x-json-string": true}
        }}));
        let sort: Value = serde_json::from_str(v["sort"].as_str().unwrap()).unwrap();
        assert!(sort["price"].is_string(), "{v}");
        let _: Value = serde_json::from_str(v["params"].as_str().unwrap()).unwrap();
    }
}
