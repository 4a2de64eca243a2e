//! The operation's responses: exactly one `200`, an envelope component (or the envelope beside the failure
//! envelope: `anyOf: [$ref <envelope>, $ref <failure envelope>]`), plus an optional `default` for the error
//! answers. The vendors answer business failures with HTTP 200 too, so an operation with `default` lists its
//! failure envelope (the `default` response's component) in the 200 as well.

use super::OpContext;
use crate::spec::OpResult;
use crate::spec::examples::collect_examples;
use crate::spec::model::*;
use crate::spec::schema::component_ref;
use openapiv3::{MediaType, ReferenceOr, Schema, SchemaKind};

/// The 200 response: its envelope component and its examples.
pub(super) struct Response {
    /// Component name of the envelope.
    pub schema: String,
    /// Component name of the failure envelope listed beside it (`anyOf`), if any.
    pub failure: Option<String>,
    /// The response examples.
    pub examples: Vec<ExampleModel>,
}

/// Check the responses and read the 200 one.
pub(super) fn response(cx: &OpContext) -> OpResult<Response> {
    let rptr = cx.at("/responses");
    if cx.op.responses.responses.len() != 1 {
        return Err((
            rptr,
            "exactly one response status, \"200\", is supported (the envelope carries errors), plus an optional `default` for the error answers".into(),
        ));
    }
    let default = check_default(cx, &rptr)?;
    let media = ok_media(cx, &rptr)?;
    let schema_ptr = format!("{rptr}/200/content/application~1json/schema");
    let (schema, failure) = envelopes(media.schema.as_ref()).ok_or((
        schema_ptr.clone(),
        "the response schema must be a $ref to an envelope component, or `anyOf: [$ref <envelope>, $ref <failure envelope>]`".into(),
    ))?;
    for name in std::iter::once(&schema).chain(&failure) {
        if !cx.envelope_data.iter().any(|(n, _)| n == name) {
            return Err((
                schema_ptr,
                format!(
                    "{name} is not an envelope (allOf: [$ref Envelope, {{properties: {{data: …}}}}])"
                ),
            ));
        }
    }
    if let Some(error) = default
        && failure.as_ref() != Some(&error)
    {
        return Err((
            schema_ptr,
            format!(
                "the vendors answer failures with HTTP 200 too: list the failure envelope beside the success one, `anyOf: [{{$ref: \"#/components/schemas/{schema}\"}}, {{$ref: \"#/components/schemas/{error}\"}}]`"
            ),
        ));
    }
    let mut examples = Vec::new();
    collect_examples(
        media,
        ExampleKind::Response,
        &format!("{rptr}/200/content/application~1json/examples"),
        &mut examples,
    )?;
    Ok(Response {
        schema,
        failure,
        examples,
    })
}

/// The envelope component of a 200 schema and the failure envelope beside it: `$ref X` or
/// `anyOf: [$ref X, $ref F]`.
fn envelopes(schema: Option<&ReferenceOr<Schema>>) -> Option<(String, Option<String>)> {
    if let Some(name) = component_ref(schema) {
        return Some((name, None));
    }
    let Some(ReferenceOr::Item(s)) = schema else {
        return None;
    };
    let SchemaKind::AnyOf { any_of } = &s.schema_kind else {
        return None;
    };
    match any_of.as_slice() {
        [ok, failed] => Some((component_ref(Some(ok))?, Some(component_ref(Some(failed))?))),
        _ => None,
    }
}

/// `default` (the error answers), if present, is a `$ref` to a response in the components whose JSON schema
/// is a `$ref` to a component (the error envelope); `Some(that component)`.
fn check_default(cx: &OpContext, rptr: &str) -> OpResult<Option<String>> {
    let Some(default) = &cx.op.responses.default else {
        return Ok(None);
    };
    let name = match default {
        ReferenceOr::Reference { reference } => reference.strip_prefix("#/components/responses/"),
        ReferenceOr::Item(_) => None,
    };
    let known = name.and_then(|n| cx.openapi.components.as_ref()?.responses.get(n));
    let Some(ReferenceOr::Item(error)) = known else {
        return Err((
            format!("{rptr}/default"),
            "`default` (the error answers) must be a $ref to a response in #/components/responses"
                .into(),
        ));
    };
    let schema = error
        .content
        .get("application/json")
        .and_then(|m| m.schema.as_ref());
    match component_ref(schema) {
        Some(name) => Ok(Some(name)),
        None => Err((
            format!("{rptr}/default"),
            "the error response needs an application/json schema that is a $ref to a component (the error envelope)".into(),
        )),
    }
}

/// The `application/json` content of the inline `200` response.
fn ok_media<'a>(cx: &OpContext<'a>, rptr: &str) -> OpResult<&'a MediaType> {
    let Some(ReferenceOr::Item(ok)) = cx
        .op
        .responses
        .responses
        .get(&openapiv3::StatusCode::Code(200))
    else {
        return Err((rptr.into(), "the response must be an inline \"200\"".into()));
    };
    ok.content.get("application/json").ok_or((
        format!("{rptr}/200/content"),
        "the 200 response must be application/json".into(),
    ))
}
