//! The operation's `x-*` extensions, one parser each: `x-effect`, `x-idempotent`, `x-catalogue-id`,
//! `x-evidence` (+ `x-evidence-source`), `x-flow-role` and `x-batch-outcome`.

use super::OpContext;
use crate::spec::OpResult;
use crate::spec::SCHEMA_REF_PREFIX;
use crate::spec::model::*;
use crate::spec::schema::{component, envelope_parts, object_properties, resolve};
use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

/// `x-effect`: what the operation does, one of [`Effect::ALL`]. Required: whether a call is retried and
/// whether guarded tools serve it rest on it. The error names the operation and the valid values.
pub(super) fn effect(cx: &OpContext, id: &str) -> OpResult<Effect> {
    let value = cx.extension("x-effect");
    value
        .and_then(Value::as_str)
        .and_then(Effect::from_name)
        .ok_or_else(|| {
            let valid = Effect::ALL
                .iter()
                .map(|e| format!("{}: {}", e.name(), e.meaning()))
                .collect::<Vec<_>>()
                .join("; ");
            let problem = match value {
                None => format!("operation {id} needs x-effect, one of"),
                Some(v) => format!("operation {id}: x-effect {v} is not one of"),
            };
            (
                cx.at("/x-effect"),
                format!("{problem} {} ({valid})", names(Effect::ALL, Effect::name)),
            )
        })
}

/// `x-idempotent`: whether repeating the call has no further effect, a hint for tools. Optional: a read is
/// idempotent, anything else is not unless the spec says so (a payment link fetched twice is the same link).
/// Retries follow `x-effect` alone, so `x-idempotent: false` on a read is a contradiction.
pub(super) fn idempotent(cx: &OpContext, effect: Effect) -> OpResult<bool> {
    let at = cx.at("/x-idempotent");
    match cx.extension("x-idempotent") {
        None => Ok(effect == Effect::Read),
        Some(Value::Bool(false)) if effect == Effect::Read => Err((
            at,
            "x-idempotent: false contradicts x-effect: read (a read changes nothing, so repeating it cannot)".into(),
        )),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err((
            at,
            "x-idempotent must be true or false: does repeating the call have no further effect?".into(),
        )),
    }
}

/// `x-catalogue-id`: the row of `vendor-docs/catalogue.md` the operation implements (required).
pub(super) fn catalogue_id(cx: &OpContext) -> OpResult<String> {
    cx.extension("x-catalogue-id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or((
            cx.at("/x-catalogue-id"),
            "x-catalogue-id (the CATALOGUE.md row id) is required".into(),
        ))
}

/// `x-flow-role` (optional): one of [`FlowRole::ALL`].
pub(super) fn flow_role(cx: &OpContext) -> OpResult<Option<FlowRole>> {
    let Some(v) = cx.extension("x-flow-role") else {
        return Ok(None);
    };
    let role = v.as_str().and_then(FlowRole::from_name).ok_or_else(|| {
        (
            cx.at("/x-flow-role"),
            format!(
                "x-flow-role {v} is not one of {} (sourcing_runtime::FlowRole::ALL)",
                names(FlowRole::ALL, FlowRole::name)
            ),
        )
    })?;
    Ok(Some(role))
}

/// `x-evidence` (only `third-party-client` is known) with its `x-evidence-source`: which clients show the
/// endpoint and what they show. Both or neither.
pub(super) fn evidence(cx: &OpContext) -> OpResult<Option<String>> {
    let kind = cx.extension("x-evidence");
    let source = cx.extension("x-evidence-source");
    let Some(kind) = kind else {
        return match source {
            None => Ok(None),
            Some(_) => Err((
                cx.at("/x-evidence-source"),
                "x-evidence-source without x-evidence: third-party-client".into(),
            )),
        };
    };
    if kind.as_str() != Some("third-party-client") {
        return Err((
            cx.at("/x-evidence"),
            format!(
                "x-evidence {kind} is not \"third-party-client\" (omit it for an endpoint the vendor publishes)"
            ),
        ));
    }
    match source.and_then(Value::as_str).map(str::trim) {
        Some(s) if !s.is_empty() => Ok(Some(s.to_string())),
        _ => Err((
            cx.at("/x-evidence-source"),
            "x-evidence: third-party-client needs x-evidence-source, a non-empty string naming the clients and what they show".into(),
        )),
    }
}

/// Parse `x-batch-outcome` and check that the envelope's `data` is a component with an array property
/// `succeeded` and an array property `failed` whose items have the properties `id` and `reason`.
pub(super) fn batch_outcome(cx: &OpContext, envelope: &str) -> OpResult<Option<BatchOutcomeModel>> {
    let Some(v) = cx.extension("x-batch-outcome") else {
        return Ok(None);
    };
    let ptr = cx.at("/x-batch-outcome");
    let field = |k: &str| {
        v.get(k).and_then(Value::as_str).map(str::to_owned).ok_or((
            ptr.clone(),
            format!("x-batch-outcome needs string fields succeeded, failed, id, reason (`{k}` is missing)"),
        ))
    };
    let model = BatchOutcomeModel {
        succeeded: field("succeeded")?,
        failed: field("failed")?,
        id: field("id")?,
        reason: field("reason")?,
    };
    let (data_name, data) = batch_data(cx, &ptr, envelope)?;
    let props = object_properties(cx.openapi, data);
    let array_items = |name: &str, key: &str| -> OpResult<Option<&Schema>> {
        let prop = props.iter().find(|(n, _)| n == name).ok_or((
            format!("{ptr}/{key}"),
            format!("{data_name} has no property {name:?}"),
        ))?;
        match prop.1.map(|s| &s.schema_kind) {
            Some(SchemaKind::Type(Type::Array(a))) => {
                Ok(a.items.as_ref().and_then(|i| resolve(cx.openapi, i)))
            }
            _ => Err((
                format!("{ptr}/{key}"),
                format!("{data_name}.{name} must be an array"),
            )),
        }
    };
    array_items(&model.succeeded, "succeeded")?;
    let item = array_items(&model.failed, "failed")?;
    let item_props = item
        .map(|i| object_properties(cx.openapi, i))
        .unwrap_or_default();
    for (name, key) in [(&model.id, "id"), (&model.reason, "reason")] {
        if !item_props.iter().any(|(n, _)| n == name) {
            return Err((
                format!("{ptr}/{key}"),
                format!(
                    "the items of {data_name}.{} have no property {name:?}",
                    model.failed
                ),
            ));
        }
    }
    Ok(Some(model))
}

/// The component that the envelope's `data` refers to: its name and schema.
fn batch_data<'a>(
    cx: &OpContext<'a>,
    ptr: &str,
    envelope: &str,
) -> OpResult<(&'a str, &'a Schema)> {
    let data_name = component(cx.openapi, envelope)
        .and_then(|s| envelope_parts(s, cx.payload))
        .and_then(|d| match d {
            ReferenceOr::Reference { reference } => reference.strip_prefix(SCHEMA_REF_PREFIX),
            ReferenceOr::Item(_) => None,
        })
        .ok_or((
            ptr.to_string(),
            format!(
                "x-batch-outcome needs {envelope}'s `data` to be a $ref to an object component"
            ),
        ))?;
    let data = component(cx.openapi, data_name)
        .ok_or((ptr.to_string(), format!("component {data_name} not found")))?;
    Ok((data_name, data))
}
