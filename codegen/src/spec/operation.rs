//! One operation into an [`OperationModel`], with the rules each operation must follow (naming, tags,
//! security, inline parameters, one JSON body, one enveloped 200 response, evidence, batch outcome).

use super::OpResult;
use super::SCHEMA_REF_PREFIX;
use super::examples::collect_examples;
use super::load::is_snake_case;
use super::model::*;
use super::schema::*;
use crate::error::pointer;
use openapiv3::{OpenAPI, Operation, Parameter, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

#[allow(clippy::too_many_arguments)]
pub(super) fn operation(
    op: &Operation,
    method: &str,
    path: &str,
    ptr: &str,
    openapi: &OpenAPI,
    default_security: Option<&Vec<openapiv3::SecurityRequirement>>,
    schemes: &indexmap::IndexMap<String, ReferenceOr<openapiv3::SecurityScheme>>,
    envelope_data: &[(String, String)],
) -> OpResult<OperationModel> {
    let at = |suffix: &str| format!("{ptr}{suffix}");
    let id = op
        .operation_id
        .clone()
        .ok_or((at("/operationId"), "missing operationId".to_string()))?;
    if !is_snake_case(&id) {
        return Err((
            at("/operationId"),
            format!("operationId {id:?} must be snake_case (<area>_<action>)"),
        ));
    }
    let effect = effect(op, &id, ptr)?;
    let idempotent = idempotent(op, ptr, effect)?;
    let catalogue_id = op
        .extensions
        .get("x-catalogue-id")
        .and_then(Value::as_str)
        .ok_or((
            at("/x-catalogue-id"),
            "x-catalogue-id (the CATALOGUE.md row id) is required".into(),
        ))?
        .to_string();
    let evidence = evidence(op, ptr)?;
    let flow_role = match op.extensions.get("x-flow-role") {
        None => None,
        Some(v) => Some(v.as_str().and_then(FlowRole::from_name).ok_or_else(|| {
            (
                at("/x-flow-role"),
                format!(
                    "x-flow-role {v} is not one of {} (sourcing_runtime::operation::FlowRole::ALL)",
                    names(FlowRole::ALL, FlowRole::name)
                ),
            )
        })?),
    };
    let tag = match op.tags.as_slice() {
        [t] => t.clone(),
        _ => {
            return Err((
                at("/tags"),
                "exactly one tag (the API area) is required".into(),
            ));
        }
    };
    let summary = op
        .summary
        .clone()
        .ok_or((at("/summary"), "a summary is required".into()))?;
    if op.external_docs.is_none() {
        return Err((
            at("/externalDocs"),
            "externalDocs (the vendor page) is required".into(),
        ));
    }

    let security = op.security.as_ref().or(default_security);
    let auth = match security.map(Vec::as_slice) {
        Some([req]) if req.len() == 1 => req.keys().next().cloned().unwrap_or_default(),
        _ => {
            return Err((
                at("/security"),
                "exactly one security requirement with one scheme is required".into(),
            ));
        }
    };
    if !schemes.contains_key(&auth) {
        return Err((
            at("/security"),
            format!("security scheme {auth:?} is not defined in components"),
        ));
    }
    if AuthStyle::from_scheme_name(&auth).is_none() {
        return Err((
            at("/security"),
            format!(
                "security scheme {auth:?} has no signer in the runtime; the schemes are {} (sourcing_runtime::operation::AuthStyle::ALL)",
                names(AuthStyle::ALL, AuthStyle::scheme_name)
            ),
        ));
    }

    let mut params = Vec::new();
    for (i, p) in op.parameters.iter().enumerate() {
        let pptr = at(&format!("/parameters/{i}"));
        let ReferenceOr::Item(p) = p else {
            return Err((pptr, "parameters must be written inline".into()));
        };
        let (data, location) = match p {
            Parameter::Query { parameter_data, .. } => (parameter_data, ParamLocation::Query),
            Parameter::Header { .. } => {
                return Err((pptr, "header parameters are not allowed: the signer adds the system headers (model them as a security scheme)".into()));
            }
            Parameter::Path { .. } | Parameter::Cookie { .. } => {
                return Err((pptr, "only query parameters are supported".into()));
            }
        };
        let openapiv3::ParameterSchemaOrContent::Schema(schema) = &data.format else {
            return Err((pptr, "parameters need a schema".into()));
        };
        let (kind, limit, json_string) = match schema {
            ReferenceOr::Item(s) => (
                kind_of(s),
                limit_of(s).map_err(|m| (format!("{pptr}/schema"), m))?,
                json_string_of(s).map_err(|m| (format!("{pptr}/schema/x-json-string"), m))?,
            ),
            ReferenceOr::Reference { .. } => ("Any", None, false),
        };
        params.push(ParamModel {
            name: data.name.clone(),
            location,
            required: data.required,
            kind,
            description: data.description.clone().unwrap_or_default(),
            limit,
            json_string,
            schema_pointer: format!("{pptr}/schema"),
        });
    }

    let mut examples = Vec::new();
    let body_schema = match &op.request_body {
        None => None,
        Some(ReferenceOr::Reference { .. }) => {
            return Err((
                at("/requestBody"),
                "requestBody must be written inline".into(),
            ));
        }
        Some(ReferenceOr::Item(body)) => {
            let keys: Vec<&String> = body.content.keys().collect();
            if keys.len() != 1 || !keys[0].starts_with("application/json") {
                return Err((
                    at("/requestBody/content"),
                    format!(
                        "exactly one application/json body is supported (got {keys:?}); multipart endpoints are hand-written in the runtime and listed under x-hand-written"
                    ),
                ));
            }
            let media = &body.content[keys[0]];
            let name = component_ref(media.schema.as_ref()).ok_or((
                at("/requestBody/content/application~1json/schema"),
                "the body schema must be a $ref to a component".into(),
            ))?;
            let schema = component(openapi, &name).ok_or((
                at("/requestBody/content/application~1json/schema"),
                format!("component {name} not found"),
            ))?;
            let required = object_required(schema);
            for (prop, ps) in object_properties(openapi, schema) {
                let name_of_prop = prop.clone();
                let prop_ptr =
                    pointer(["components", "schemas", name.as_str(), "properties", &prop]);
                let limit = ps
                    .map(limit_of)
                    .transpose()
                    .map_err(|m| (prop_ptr.clone(), m))?;
                let json_string = ps
                    .map(json_string_of)
                    .transpose()
                    .map_err(|m| (format!("{prop_ptr}/x-json-string"), m))?
                    .unwrap_or(false);
                params.push(ParamModel {
                    json_string,
                    schema_pointer: prop_ptr,
                    required: required.contains(&prop),
                    name: prop,
                    location: ParamLocation::Body,
                    kind: ps.map(kind_of).unwrap_or("Any"),
                    description: own_description(schema, &name_of_prop)
                        .or_else(|| ps.and_then(|s| s.schema_data.description.clone()))
                        .unwrap_or_default(),
                    limit: limit.flatten(),
                });
            }
            collect_examples(
                media,
                ExampleKind::Request,
                &at("/requestBody/content/application~1json/examples"),
                &mut examples,
            )?;
            Some(name)
        }
    };

    if let Some(ReferenceOr::Item(scheme)) = schemes.get(&auth) {
        let owned = signer_params(scheme).map_err(|m| {
            (
                pointer(["components", "securitySchemes", &auth, "x-signer-params"]),
                m,
            )
        })?;
        if let Some(bad) = body_credentials(scheme)
            .into_iter()
            .find(|name| !owned.contains(name))
        {
            return Err((
                pointer(["components", "securitySchemes", &auth, "x-body-credentials"]),
                format!("{bad} is not one of the scheme's x-signer-params"),
            ));
        }
        if let Some(p) = params.iter().find(|p| owned.contains(&p.name)) {
            return Err((
                at(""),
                format!(
                    "{} is added by the {auth} signer (x-signer-params); do not model it as a parameter or body property",
                    p.name
                ),
            ));
        }
    }

    let rptr = at("/responses");
    if op.responses.responses.len() != 1 {
        return Err((
            rptr,
            "exactly one response status, \"200\", is supported (the envelope carries errors), plus an optional `default` for the error answers".into(),
        ));
    }
    if let Some(default) = &op.responses.default {
        let name = match default {
            ReferenceOr::Reference { reference } => {
                reference.strip_prefix("#/components/responses/")
            }
            ReferenceOr::Item(_) => None,
        };
        let known = name.and_then(|n| openapi.components.as_ref()?.responses.get(n));
        let Some(ReferenceOr::Item(error)) = known else {
            return Err((
                format!("{rptr}/default"),
                "`default` (the error answers) must be a $ref to a response in #/components/responses".into(),
            ));
        };
        if component_ref(
            error
                .content
                .get("application/json")
                .and_then(|m| m.schema.as_ref()),
        )
        .is_none()
        {
            return Err((
                format!("{rptr}/default"),
                "the error response needs an application/json schema that is a $ref to a component (the error envelope)".into(),
            ));
        }
    }
    let Some(ReferenceOr::Item(ok)) = op
        .responses
        .responses
        .get(&openapiv3::StatusCode::Code(200))
    else {
        return Err((rptr, "the response must be an inline \"200\"".into()));
    };
    let media = ok.content.get("application/json").ok_or((
        format!("{rptr}/200/content"),
        "the 200 response must be application/json".into(),
    ))?;
    let response_schema = component_ref(media.schema.as_ref()).ok_or((
        format!("{rptr}/200/content/application~1json/schema"),
        "the response schema must be a $ref to an envelope component".into(),
    ))?;
    if !envelope_data.iter().any(|(n, _)| *n == response_schema) {
        return Err((
            format!("{rptr}/200/content/application~1json/schema"),
            format!(
                "{response_schema} is not an envelope (allOf: [$ref Envelope, {{properties: {{data: …}}}}])"
            ),
        ));
    }
    collect_examples(
        media,
        ExampleKind::Response,
        &format!("{rptr}/200/content/application~1json/examples"),
        &mut examples,
    )?;
    let batch_outcome = batch_outcome(op, &at("/x-batch-outcome"), openapi, &response_schema)?;

    Ok(OperationModel {
        id,
        method: method.to_uppercase(),
        path: path.to_string(),
        tag,
        summary,
        auth,
        effect,
        idempotent,
        catalogue_id,
        params,
        body_schema,
        response_schema,
        examples,
        batch_outcome,
        evidence,
        flow_role,
        input_schema: Value::Null,
        response_json_schema: Value::Null,
    })
}

/// `x-effect`: what the operation does, one of [`Effect::ALL`]. Required: whether a call is retried and
/// whether guarded tools serve it rest on it.
pub(super) fn effect(op: &Operation, id: &str, ptr: &str) -> OpResult<Effect> {
    let value = op.extensions.get("x-effect");
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
                format!("{ptr}/x-effect"),
                format!("{problem} {} ({valid})", names(Effect::ALL, Effect::name)),
            )
        })
}

/// `x-idempotent`: whether repeating the call has no further effect, a hint for tools. Optional: a read is
/// idempotent, anything else is not unless the spec says so (a payment link fetched twice is the same link).
/// Retries follow `x-effect` alone, so `x-idempotent: false` on a read is a contradiction.
pub(super) fn idempotent(op: &Operation, ptr: &str, effect: Effect) -> OpResult<bool> {
    let at = format!("{ptr}/x-idempotent");
    match op.extensions.get("x-idempotent") {
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

/// `x-evidence` (only `third-party-client` is known) with its `x-evidence-source`: which clients show the
/// endpoint and what they show. Both or neither.
pub(super) fn evidence(op: &Operation, ptr: &str) -> OpResult<Option<String>> {
    let kind = op.extensions.get("x-evidence");
    let source = op.extensions.get("x-evidence-source");
    let Some(kind) = kind else {
        return match source {
            None => Ok(None),
            Some(_) => Err((
                format!("{ptr}/x-evidence-source"),
                "x-evidence-source without x-evidence: third-party-client".into(),
            )),
        };
    };
    if kind.as_str() != Some("third-party-client") {
        return Err((
            format!("{ptr}/x-evidence"),
            format!(
                "x-evidence {kind} is not \"third-party-client\" (omit it for an endpoint the vendor publishes)"
            ),
        ));
    }
    match source.and_then(Value::as_str).map(str::trim) {
        Some(s) if !s.is_empty() => Ok(Some(s.to_string())),
        _ => Err((
            format!("{ptr}/x-evidence-source"),
            "x-evidence: third-party-client needs x-evidence-source, a non-empty string naming the clients and what they show".into(),
        )),
    }
}

/// Parse `x-batch-outcome` and check that the envelope's `data` is a component with an array property
/// `succeeded` and an array property `failed` whose items have the properties `id` and `reason`.
pub(super) fn batch_outcome(
    op: &Operation,
    ptr: &str,
    openapi: &OpenAPI,
    envelope: &str,
) -> OpResult<Option<BatchOutcomeModel>> {
    let Some(v) = op.extensions.get("x-batch-outcome") else {
        return Ok(None);
    };
    let field = |k: &str| {
        v.get(k).and_then(Value::as_str).map(str::to_owned).ok_or((
            ptr.to_string(),
            format!("x-batch-outcome needs string fields succeeded, failed, id, reason (`{k}` is missing)"),
        ))
    };
    let model = BatchOutcomeModel {
        succeeded: field("succeeded")?,
        failed: field("failed")?,
        id: field("id")?,
        reason: field("reason")?,
    };
    let data_name = component(openapi, envelope)
        .and_then(envelope_parts)
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
    let data = component(openapi, data_name)
        .ok_or((ptr.to_string(), format!("component {data_name} not found")))?;
    let props = object_properties(openapi, data);
    let array_items = |name: &str, key: &str| -> OpResult<Option<&Schema>> {
        let prop = props.iter().find(|(n, _)| n == name).ok_or((
            format!("{ptr}/{key}"),
            format!("{data_name} has no property {name:?}"),
        ))?;
        match prop.1.map(|s| &s.schema_kind) {
            Some(SchemaKind::Type(Type::Array(a))) => {
                Ok(a.items.as_ref().and_then(|i| resolve(openapi, i)))
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
        .map(|i| object_properties(openapi, i))
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

/// The names under a security scheme's `x-body-credentials` (the fields its signer puts in JSON bodies).
pub(super) fn body_credentials(scheme: &openapiv3::SecurityScheme) -> Vec<String> {
    use openapiv3::SecurityScheme as S;
    let (S::APIKey { extensions, .. }
    | S::HTTP { extensions, .. }
    | S::OAuth2 { extensions, .. }
    | S::OpenIDConnect { extensions, .. }) = scheme;
    extensions
        .get("x-body-credentials")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The names a security scheme's signer adds itself (`x-signer-params`).
pub(super) fn signer_params(scheme: &openapiv3::SecurityScheme) -> Result<Vec<String>, String> {
    use openapiv3::SecurityScheme as S;
    let (S::APIKey { extensions, .. }
    | S::HTTP { extensions, .. }
    | S::OAuth2 { extensions, .. }
    | S::OpenIDConnect { extensions, .. }) = scheme;
    let Some(v) = extensions.get("x-signer-params") else {
        return Ok(Vec::new());
    };
    v.as_array()
        .and_then(|a| a.iter().map(|n| n.as_str().map(str::to_owned)).collect())
        .ok_or_else(|| "must be a list of parameter names".into())
}
