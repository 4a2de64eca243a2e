//! Embedded request and response examples: collected from the spec and validated against their schemas.

use super::model::{ExampleCounts, ExampleKind, ExampleModel, OperationModel};
use super::{OpResult, SCHEMA_REF_PREFIX};
use crate::error::pointer;
use openapiv3::ReferenceOr;
use serde_json::Value;

/// Validate every embedded example with the same JSON Schema validator: request examples against the body
/// schema (plus the security scheme's `x-body-credentials`, the fields the signer puts in JSON bodies),
/// response examples against the whole envelope schema. An example marked `x-example-deviation` must fail
/// (the mark is checked, not trusted); any other must pass.
pub(super) fn check_examples(
    raw: &Value,
    operations: &[OperationModel],
) -> OpResult<ExampleCounts> {
    use super::validate::{compile, errors};
    use crate::json_schema::{Converter, component};
    let mut counts = ExampleCounts::default();
    for op in operations {
        let mut request = None;
        let mut response = None;
        for ex in &op.examples {
            let slot = match ex.kind {
                ExampleKind::Request => &mut request,
                ExampleKind::Response => &mut response,
            };
            if slot.is_none() {
                let schema = match (ex.kind, &op.body_schema) {
                    // The published answers are successes: checked against the success envelope alone.
                    (ExampleKind::Response, _) => {
                        component(raw, &op.response_schema).map_err(|m| (ex.pointer.clone(), m))?
                    }
                    (ExampleKind::Request, None) => {
                        return Err((
                            ex.pointer.clone(),
                            "a request example on an operation without a JSON body".into(),
                        ));
                    }
                    (ExampleKind::Request, Some(body)) => {
                        let creds_ptr = pointer([
                            "components",
                            "securitySchemes",
                            &op.auth,
                            "x-body-credentials",
                        ]);
                        match raw.pointer(&creds_ptr) {
                            None => component(raw, body).map_err(|m| (ex.pointer.clone(), m))?,
                            Some(creds) => {
                                let mut conv = Converter::new(raw);
                                let body_ref = serde_json::json!({"$ref": format!("{SCHEMA_REF_PREFIX}{body}")});
                                let b = conv
                                    .convert(&body_ref)
                                    .map_err(|m| (ex.pointer.clone(), m))?;
                                let c = conv
                                    .convert(
                                        &serde_json::json!({"type": "object", "properties": creds}),
                                    )
                                    .map_err(|m| (creds_ptr.clone(), m))?;
                                conv.finish(serde_json::json!({"allOf": [b, c]}))
                            }
                        }
                    }
                };
                *slot = Some(compile(&schema).map_err(|m| (ex.pointer.clone(), m))?);
            }
            let Some(validator) = slot.as_ref() else {
                continue;
            };
            let problems = errors(validator, &ex.value);
            match (&ex.deviation, problems.is_empty()) {
                (None, true) => counts.conforming += 1,
                (Some(_), false) => counts.deviations += 1,
                (None, false) => {
                    return Err((
                        format!("{}/value", ex.pointer),
                        format!(
                            "the example does not conform to its schema ({} of {}): {}; fix the spec, or mark a vendor example that contradicts the vendor's field table with x-example-deviation: <reason>",
                            match ex.kind {
                                ExampleKind::Request => "request body",
                                ExampleKind::Response => "response envelope",
                            },
                            op.id,
                            problems.join("; ")
                        ),
                    ));
                }
                (Some(_), true) => {
                    return Err((
                        format!("{}/x-example-deviation", ex.pointer),
                        "deviation no longer needed: the example conforms to its schema; remove x-example-deviation".into(),
                    ));
                }
            }
        }
    }
    Ok(counts)
}

pub(super) fn collect_examples(
    media: &openapiv3::MediaType,
    kind: ExampleKind,
    ptr: &str,
    out: &mut Vec<ExampleModel>,
) -> OpResult<()> {
    for (name, ex) in &media.examples {
        let ReferenceOr::Item(ex) = ex else {
            return Err((format!("{ptr}/{name}"), "examples must be inline".into()));
        };
        let at = format!("{ptr}/{}", crate::error::pointer_segment(name));
        let value = ex
            .value
            .clone()
            .ok_or((at.clone(), "examples need an inline `value`".into()))?;
        let deviation = match ex.extensions.get("x-example-deviation") {
            None => None,
            Some(Value::String(r)) if !r.trim().is_empty() => Some(r.clone()),
            Some(_) => {
                return Err((
                    format!("{at}/x-example-deviation"),
                    "x-example-deviation must be a non-empty reason".into(),
                ));
            }
        };
        out.push(ExampleModel {
            name: name.clone(),
            kind,
            value,
            pointer: at,
            deviation,
        });
    }
    Ok(())
}
