//! One operation into an [`OperationModel`], with the rules each operation must follow. Every part has its
//! own parser over one [`OpContext`]: the `x-*` extensions (`extensions`), the inputs — security, query
//! parameters, JSON body (`inputs`) — and the enveloped 200 response (`responses`).

mod extensions;
mod inputs;
mod responses;

use super::OpResult;
use super::load::is_snake_case;
use super::model::*;
use openapiv3::{OpenAPI, Operation, ReferenceOr, SecurityScheme};
use serde_json::Value;

/// One operation and the document around it: what every parser of an operation's parts reads.
pub(super) struct OpContext<'a> {
    pub op: &'a Operation,
    /// `get`, `post`, … as written in the path item.
    pub method: &'a str,
    pub path: &'a str,
    /// JSON pointer of the operation (`/paths/~1a/get`).
    pub ptr: &'a str,
    pub openapi: &'a OpenAPI,
    /// The envelope's payload member ([`crate::spec::SourcingMeta::payload`]).
    pub payload: &'a str,
    /// Envelope component name -> Rust type of its `data`.
    pub envelope_data: &'a [(String, String)],
}

impl OpContext<'_> {
    /// The pointer of a part of the operation (`suffix` starts with `/`).
    fn at(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.ptr)
    }

    /// The security scheme `name` of the components.
    fn scheme(&self, name: &str) -> Option<&ReferenceOr<SecurityScheme>> {
        self.openapi.components.as_ref()?.security_schemes.get(name)
    }

    /// The value of an `x-*` extension of the operation.
    fn extension(&self, name: &str) -> Option<&Value> {
        self.op.extensions.get(name)
    }
}

/// Parse and check one operation. The rules are checked in the order of the model's fields, so the first
/// broken one is reported.
pub(super) fn operation(cx: &OpContext) -> OpResult<OperationModel> {
    let id = operation_id(cx)?;
    let effect = extensions::effect(cx, &id)?;
    let idempotent = extensions::idempotent(cx, effect)?;
    let catalogue_id = extensions::catalogue_id(cx)?;
    let evidence = extensions::evidence(cx)?;
    let flow_role = extensions::flow_role(cx)?;
    let (tag, summary) = area_and_summary(cx)?;
    let auth = inputs::auth(cx)?;
    let mut params = inputs::query_params(cx)?;
    let body = inputs::body(cx)?;
    let (body_schema, mut examples) = match body {
        Some(body) => {
            params.extend(body.params);
            (Some(body.schema), body.examples)
        }
        None => (None, Vec::new()),
    };
    inputs::check_signer_params(cx, &auth, &params)?;
    let response = responses::response(cx)?;
    examples.extend(response.examples);
    let batch_outcome = extensions::batch_outcome(cx, &response.schema)?;
    Ok(OperationModel {
        id,
        method: cx.method.to_uppercase(),
        path: cx.path.to_string(),
        tag,
        summary,
        auth,
        effect,
        idempotent,
        catalogue_id,
        params,
        body_schema,
        response_schema: response.schema,
        response_failure: response.failure,
        examples,
        batch_outcome,
        evidence,
        flow_role,
        input_schema: Value::Null,
        response_json_schema: Value::Null,
    })
}

/// `operationId`: required, `snake_case` (it is the client method name).
fn operation_id(cx: &OpContext) -> OpResult<String> {
    let id = cx
        .op
        .operation_id
        .clone()
        .ok_or((cx.at("/operationId"), "missing operationId".to_string()))?;
    if !is_snake_case(&id) {
        return Err((
            cx.at("/operationId"),
            format!("operationId {id:?} must be snake_case (<area>_<action>)"),
        ));
    }
    Ok(id)
}

/// Exactly one tag (the API area), a summary, and `externalDocs` (the vendor page).
fn area_and_summary(cx: &OpContext) -> OpResult<(String, String)> {
    let tag = match cx.op.tags.as_slice() {
        [t] => t.clone(),
        _ => {
            return Err((
                cx.at("/tags"),
                "exactly one tag (the API area) is required".into(),
            ));
        }
    };
    let summary = cx
        .op
        .summary
        .clone()
        .ok_or((cx.at("/summary"), "a summary is required".into()))?;
    if cx.op.external_docs.is_none() {
        return Err((
            cx.at("/externalDocs"),
            "externalDocs (the vendor page) is required".into(),
        ));
    }
    Ok((tag, summary))
}
