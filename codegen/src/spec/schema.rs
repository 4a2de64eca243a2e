//! Reading OpenAPI schemas: resolving `$ref`s and wrappers, object properties, limits, kinds, envelopes.

use super::model::LimitModel;
use super::{ENVELOPE_REF, JSON_NULL_REF, SCHEMA_REF_PREFIX};
use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

pub(super) fn component_ref(schema: Option<&ReferenceOr<Schema>>) -> Option<String> {
    match schema? {
        ReferenceOr::Reference { reference } => {
            reference.strip_prefix(SCHEMA_REF_PREFIX).map(str::to_owned)
        }
        ReferenceOr::Item(_) => None,
    }
}

pub(super) fn component<'a>(openapi: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    match openapi.components.as_ref()?.schemas.get(name)? {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { .. } => None,
    }
}

/// The schema `s` stands for: a `$ref` resolved, and the wrappers strict OpenAPI 3.0 needs seen through —
/// `allOf: [X]` (a `$ref` with a description) and `anyOf: [X, JsonNull]` (X or null) both stand for X.
pub(super) fn resolve<'a>(
    openapi: &'a OpenAPI,
    s: &'a ReferenceOr<Box<Schema>>,
) -> Option<&'a Schema> {
    let schema = match s {
        ReferenceOr::Item(s) => s,
        ReferenceOr::Reference { reference } => {
            return component(openapi, reference.strip_prefix(SCHEMA_REF_PREFIX)?);
        }
    };
    match &schema.schema_kind {
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => resolve_unboxed(openapi, &all_of[0]),
        SchemaKind::AnyOf { any_of } if any_of.len() == 2 => {
            let is_null = |x: &ReferenceOr<Schema>| matches!(x, ReferenceOr::Reference { reference } if reference == JSON_NULL_REF);
            match (is_null(&any_of[0]), is_null(&any_of[1])) {
                (false, true) => resolve_unboxed(openapi, &any_of[0]),
                (true, false) => resolve_unboxed(openapi, &any_of[1]),
                _ => Some(schema),
            }
        }
        _ => Some(schema),
    }
}

pub(super) fn resolve_unboxed<'a>(
    openapi: &'a OpenAPI,
    s: &'a ReferenceOr<Schema>,
) -> Option<&'a Schema> {
    match s {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => {
            component(openapi, reference.strip_prefix(SCHEMA_REF_PREFIX)?)
        }
    }
}

/// The description written on a property itself (beside its `allOf`/`anyOf` wrapper), if any.
pub(super) fn own_description(schema: &Schema, prop: &str) -> Option<String> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => match o.properties.get(prop)? {
            ReferenceOr::Item(s) => s.schema_data.description.clone(),
            ReferenceOr::Reference { .. } => None,
        },
        _ => None,
    }
}

pub(super) fn object_required(schema: &Schema) -> Vec<String> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => o.required.clone(),
        _ => Vec::new(),
    }
}

pub(super) fn object_properties<'a>(
    openapi: &'a OpenAPI,
    schema: &'a Schema,
) -> Vec<(String, Option<&'a Schema>)> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => o
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), resolve(openapi, v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The documented limit of a parameter or body property: `x-max-items` (an array, or a string list with
/// `x-separator`) or `maximum` on an integer.
pub(super) fn limit_of(schema: &Schema) -> Result<Option<LimitModel>, String> {
    let ext = &schema.schema_data.extensions;
    let separator = match ext.get("x-separator") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err("x-separator must be a non-empty string".into()),
    };
    let max_items = match ext.get("x-max-items") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n > 0)
                .ok_or("x-max-items must be a positive integer")?,
        ),
    };
    let max_items = match (&schema.schema_kind, max_items, separator) {
        (_, None, None) => None,
        (_, None, Some(_)) => return Err("x-separator needs x-max-items".into()),
        (SchemaKind::Type(Type::Array(_)), Some(max), None) => Some(LimitModel::MaxItems {
            max,
            separator: None,
        }),
        (SchemaKind::Type(Type::String(_)), Some(max), Some(sep)) => Some(LimitModel::MaxItems {
            max,
            separator: Some(sep),
        }),
        _ => {
            return Err(
                "x-max-items applies to arrays, or to strings with x-separator (a separated list)"
                    .into(),
            );
        }
    };
    let maximum = match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => match (i.maximum, i.exclusive_maximum) {
            (Some(_), true) => {
                return Err(
                    "exclusiveMaximum is not supported; write the inclusive maximum".into(),
                );
            }
            (max, _) => max.map(LimitModel::Maximum),
        },
        SchemaKind::Type(Type::Number(n)) if n.maximum.is_some() => {
            return Err("maximum is only enforced on integers".into());
        }
        _ => None,
    };
    Ok(max_items.or(maximum))
}

/// `x-json-string: true|false` (absent = false).
pub(super) fn json_string_of(schema: &Schema) -> Result<bool, String> {
    match schema.schema_data.extensions.get("x-json-string") {
        None => Ok(false),
        Some(Value::Bool(b)) => {
            if *b && !matches!(schema.schema_kind, SchemaKind::Type(Type::String(_))) {
                return Err("x-json-string applies to `type: string` only".into());
            }
            Ok(*b)
        }
        Some(_) => Err("x-json-string must be true or false".into()),
    }
}

pub(super) fn kind_of(schema: &Schema) -> &'static str {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(_)) => "String",
        SchemaKind::Type(Type::Integer(_)) => "Integer",
        SchemaKind::Type(Type::Number(_)) => "Number",
        SchemaKind::Type(Type::Boolean(_)) => "Boolean",
        SchemaKind::Type(Type::Array(_)) => "Array",
        SchemaKind::Type(Type::Object(_)) => "Object",
        _ => "Any",
    }
}

/// `Some(payload schema)` when `schema` is `allOf: [$ref Envelope, {properties: {<payload>}}]` (`payload`: the
/// envelope's payload member, `data` for the built-in envelopes).
pub(super) fn envelope_parts<'a>(
    schema: &'a Schema,
    payload: &str,
) -> Option<&'a ReferenceOr<Box<Schema>>> {
    let SchemaKind::AllOf { all_of } = &schema.schema_kind else {
        return None;
    };
    match all_of.as_slice() {
        [
            ReferenceOr::Reference { reference },
            ReferenceOr::Item(rest),
        ] if reference == ENVELOPE_REF => match &rest.schema_kind {
            SchemaKind::Type(Type::Object(o)) => o.properties.get(payload),
            _ => None,
        },
        _ => None,
    }
}

/// The Rust type of an envelope's `data`.
pub(super) fn rust_type_of(
    data: &ReferenceOr<Box<Schema>>,
    crate_name: &str,
) -> Result<String, String> {
    let schema = match data {
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix(SCHEMA_REF_PREFIX)
                .ok_or_else(|| format!("{reference} is not a component schema reference"))?;
            return Ok(format!("::{crate_name}::types::{name}"));
        }
        ReferenceOr::Item(s) => s,
    };
    Ok(match &schema.schema_kind {
        SchemaKind::Type(Type::Boolean(_)) => "bool".into(),
        SchemaKind::Type(Type::String(_)) => "::std::string::String".into(),
        SchemaKind::Type(Type::Integer(_)) => "i64".into(),
        SchemaKind::Type(Type::Number(_)) => "f64".into(),
        SchemaKind::Type(Type::Array(a)) => {
            let items = a.items.as_ref().ok_or("an array `data` needs `items`")?;
            let item = match items {
                ReferenceOr::Reference { reference } => ReferenceOr::Reference {
                    reference: reference.clone(),
                },
                ReferenceOr::Item(s) => ReferenceOr::Item(s.clone()),
            };
            format!("::std::vec::Vec<{}>", rust_type_of(&item, crate_name)?)
        }
        SchemaKind::Any(_) | SchemaKind::Type(Type::Object(_)) => "::serde_json::Value".into(),
        _ => return Err("`data` must be a $ref, a scalar type, an array, or free-form".into()),
    })
}
