//! The operation's responses: exactly one `200`, an envelope component, plus an optional `default` for the
//! error answers.

use super::OpContext;
use crate::spec::OpResult;
use crate::spec::examples::collect_examples;
use crate::spec::model::*;
use crate::spec::schema::component_ref;
use openapiv3::{MediaType, ReferenceOr};

/// The 200 response: its envelope component and its examples.
pub(super) struct Response {
    /// Component name of the envelope.
    pub schema: String,
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
    check_default(cx, &rptr)?;
    let media = ok_media(cx, &rptr)?;
    let schema_ptr = format!("{rptr}/200/content/application~1json/schema");
    let schema = component_ref(media.schema.as_ref()).ok_or((
        schema_ptr.clone(),
        "the response schema must be a $ref to an envelope component".into(),
    ))?;
    if !cx.envelope_data.iter().any(|(n, _)| *n == schema) {
        return Err((
            schema_ptr,
            format!(
                "{schema} is not an envelope (allOf: [$ref Envelope, {{properties: {{data: …}}}}])"
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
    Ok(Response { schema, examples })
}

/// `default` (the error answers), if present, is a `$ref` to a response in the components whose JSON schema
/// is a `$ref` to a component (the error envelope).
fn check_default(cx: &OpContext, rptr: &str) -> OpResult<()> {
    let Some(default) = &cx.op.responses.default else {
        return Ok(());
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
    if component_ref(schema).is_none() {
        return Err((
            format!("{rptr}/default"),
            "the error response needs an application/json schema that is a $ref to a component (the error envelope)".into(),
        ));
    }
    Ok(())
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
