//! Spec validity beyond our own conventions: the official OpenAPI 3.0 JSON Schema, the strictness rules
//! OpenAPI tools rely on (no keyword beside a `$ref`, no `nullable` without `type`), and every embedded
//! example against its schema (with checked `x-example-deviation`s).

use crate::error::pointer_segment;
use serde_json::Value;
use std::sync::OnceLock;

/// The official OpenAPI 3.0 JSON Schema (draft 4), see `codegen/schemas/README.md`.
pub const OPENAPI_30_SCHEMA: &str = include_str!("../../schemas/openapi-3.0.json");

/// A problem at a JSON pointer of the document.
pub type Located = (String, String);

fn meta_validator() -> Result<&'static jsonschema::Validator, String> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(OPENAPI_30_SCHEMA)
                .map_err(|e| format!("the embedded OpenAPI 3.0 schema is not JSON: {e}"))?;
            jsonschema::draft4::new(&schema)
                .map_err(|e| format!("the embedded OpenAPI 3.0 schema does not compile: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Validate `document` against the official OpenAPI 3.0 JSON Schema. On failure: the most specific error
/// (deepest location; inside `oneOf`/`anyOf` the alternatives are searched) and how many were found.
pub fn meta_schema(document: &Value) -> Result<(), Located> {
    let validator = meta_validator().map_err(|m| (String::new(), m))?;
    let mut leaves = Vec::new();
    for e in validator.iter_errors(document) {
        collect_leaves(&e, &mut leaves);
    }
    // The deepest problem; among equals the first found (`max_by_key` keeps the last, hence `rev`).
    let Some(best) = leaves
        .iter()
        .rev()
        .max_by_key(|(ptr, required, _)| (ptr.matches('/').count(), !required))
    else {
        return Ok(());
    };
    let others = leaves.iter().filter(|l| l.0 != best.0).count();
    let more = if others > 0 {
        format!(" ({others} more problem(s) elsewhere or in other alternatives)")
    } else {
        String::new()
    };
    Err((
        best.0.clone(),
        format!(
            "not an OpenAPI 3.0 document per the official JSON Schema: {}{more}",
            best.2
        ),
    ))
}

/// Leaf errors: (instance pointer, is a `required` error, message).
fn collect_leaves(e: &jsonschema::ValidationError<'_>, out: &mut Vec<(String, bool, String)>) {
    use jsonschema::error::ValidationErrorKind as K;
    match e.kind() {
        K::OneOfNotValid { context } | K::AnyOf { context } if !context.is_empty() => {
            for branch in context {
                for sub in branch {
                    collect_leaves(sub, out);
                }
            }
        }
        kind => out.push((
            e.instance_path().to_string(),
            matches!(kind, K::Required { .. }),
            e.to_string(),
        )),
    }
}

/// Every `x-` key the specs may use (specs/README.md describes each). A misspelt one would otherwise be
/// ignored without a word — and with it the rule it states (`x-signer-params` once was `x-signed-params`).
pub const EXTENSIONS: &[&str] = &[
    "x-batch-outcome",
    "x-body-credentials",
    "x-catalogue-id",
    "x-effect",
    "x-evidence",
    "x-evidence-source",
    "x-example-deviation",
    "x-flow-role",
    "x-hand-written",
    "x-idempotent",
    "x-json-string",
    "x-max-items",
    "x-note",
    "x-runtime-type",
    "x-rust",
    "x-separator",
    "x-signed-headers",
    "x-signer-params",
    "x-sourcing",
];

fn known_extension(key: &str) -> Result<(), String> {
    if EXTENSIONS.contains(&key) {
        return Ok(());
    }
    let hint = EXTENSIONS
        .iter()
        .min_by_key(|known| strsim::levenshtein(known, key))
        .map(|closest| format!(" (did you mean {closest}?)"))
        .unwrap_or_default();
    Err(format!(
        "unknown extension {key}{hint}: codegen reads only the extensions specs/README.md lists"
    ))
}

/// No keyword beside a `$ref` (OpenAPI 3.0 ignores them: wrap the `$ref` in `allOf`), no `nullable`
/// without a `type` in the same schema (3.0.3: it has no effect there), `x-json-string: true` only on
/// `type: string`, and no `x-` key outside [`EXTENSIONS`]. Examples and the values of `x-` extensions are
/// free-form and not checked.
pub fn strict_rules(document: &Value) -> Result<(), Located> {
    walk(document, "", false)
}

fn walk(v: &Value, ptr: &str, names_map: bool) -> Result<(), Located> {
    match v {
        Value::Object(m) => {
            if !names_map {
                if m.contains_key("$ref") && m.len() > 1 {
                    let others: Vec<&str> = m
                        .keys()
                        .filter(|k| *k != "$ref")
                        .map(String::as_str)
                        .collect();
                    return Err((
                        ptr.to_string(),
                        format!(
                            "keywords beside $ref are ignored by OpenAPI 3.0 ({}): wrap the $ref in allOf",
                            others.join(", ")
                        ),
                    ));
                }
                match m.get("x-json-string") {
                    None | Some(Value::Bool(false)) => {}
                    Some(Value::Bool(true)) if m.get("type") == Some(&Value::from("string")) => {}
                    Some(Value::Bool(true)) => {
                        return Err((
                            format!("{ptr}/x-json-string"),
                            "x-json-string applies to `type: string` only".into(),
                        ));
                    }
                    Some(_) => {
                        return Err((
                            format!("{ptr}/x-json-string"),
                            "x-json-string must be true or false".into(),
                        ));
                    }
                }
                if m.get("nullable") == Some(&Value::Bool(true)) && !m.contains_key("type") {
                    return Err((
                        ptr.to_string(),
                        "nullable: true without a type has no effect in OpenAPI 3.0.3: add the type".into(),
                    ));
                }
            }
            for (k, child) in m {
                if !names_map && k.starts_with("x-") {
                    known_extension(k).map_err(|m| (format!("{ptr}/{}", pointer_segment(k)), m))?;
                    continue;
                }
                if !names_map && matches!(k.as_str(), "example" | "examples" | "enum" | "default") {
                    continue;
                }
                // Maps whose keys are names, not keywords: a property called `nullable` is no keyword.
                let child_names = !names_map
                    && matches!(
                        k.as_str(),
                        "properties"
                            | "schemas"
                            | "paths"
                            | "responses"
                            | "content"
                            | "securitySchemes"
                            | "parameters"
                            | "requestBodies"
                            | "headers"
                            | "links"
                            | "callbacks"
                    )
                    && child.is_object();
                walk(child, &format!("{ptr}/{}", pointer_segment(k)), child_names)?;
            }
            Ok(())
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                walk(child, &format!("{ptr}/{i}"), false)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Compile a converted (2020-12) schema.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::new(schema).map_err(|e| format!("invalid JSON Schema: {e}"))
}

/// The errors of `instance` against `validator`, each as `<message> at <instance pointer>`.
pub fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{e} (at {at})")
            }
        })
        .collect()
}
