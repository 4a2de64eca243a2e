//! The operation's inputs: its security scheme, its inline query parameters and its one JSON body, and the
//! rule that none of them is a field the signer adds.

use super::OpContext;
use crate::error::pointer;
use crate::spec::OpResult;
use crate::spec::examples::collect_examples;
use crate::spec::model::*;
use crate::spec::schema::*;
use indexmap::IndexMap;
use openapiv3::{MediaType, Parameter, ReferenceOr, RequestBody};
use serde_json::Value;

/// The operation's JSON request body: its component and the parameters and examples it brings.
pub(super) struct Body {
    /// Component name of the body schema.
    pub schema: String,
    /// One parameter per top-level property.
    pub params: Vec<ParamModel>,
    /// The request examples.
    pub examples: Vec<ExampleModel>,
}

/// The security scheme (the operation's own `security`, else the document's): exactly one, defined in the
/// components, and one the runtime signs.
pub(super) fn auth(cx: &OpContext) -> OpResult<String> {
    let security = cx.op.security.as_ref().or(cx.openapi.security.as_ref());
    let auth = match security.map(Vec::as_slice) {
        Some([req]) if req.len() == 1 => req.keys().next().cloned().unwrap_or_default(),
        _ => {
            return Err((
                cx.at("/security"),
                "exactly one security requirement with one scheme is required".into(),
            ));
        }
    };
    if cx.scheme(&auth).is_none() {
        return Err((
            cx.at("/security"),
            format!("security scheme {auth:?} is not defined in components"),
        ));
    }
    if AuthStyle::from_scheme_name(&auth).is_none() {
        return Err((
            cx.at("/security"),
            format!(
                "security scheme {auth:?} has no signer in the runtime; the schemes are {} (sourcing_runtime::AuthStyle::ALL)",
                names(AuthStyle::ALL, AuthStyle::scheme_name)
            ),
        ));
    }
    Ok(auth)
}

/// The query parameters: written inline, with a schema; no header, path or cookie parameters.
pub(super) fn query_params(cx: &OpContext) -> OpResult<Vec<ParamModel>> {
    cx.op
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| query_param(&cx.at(&format!("/parameters/{i}")), p))
        .collect()
}

fn query_param(pptr: &str, p: &ReferenceOr<Parameter>) -> OpResult<ParamModel> {
    let ReferenceOr::Item(p) = p else {
        return Err((pptr.into(), "parameters must be written inline".into()));
    };
    let data = match p {
        Parameter::Query { parameter_data, .. } => parameter_data,
        Parameter::Header { .. } => {
            return Err((pptr.into(), "header parameters are not allowed: the signer adds the system headers (model them as a security scheme)".into()));
        }
        Parameter::Path { .. } | Parameter::Cookie { .. } => {
            return Err((pptr.into(), "only query parameters are supported".into()));
        }
    };
    let openapiv3::ParameterSchemaOrContent::Schema(schema) = &data.format else {
        return Err((pptr.into(), "parameters need a schema".into()));
    };
    let (kind, limit, json_string) = match schema {
        ReferenceOr::Item(s) => (
            kind_of(s),
            limit_of(s).map_err(|m| (format!("{pptr}/schema"), m))?,
            json_string_of(s).map_err(|m| (format!("{pptr}/schema/x-json-string"), m))?,
        ),
        ReferenceOr::Reference { .. } => ("Any", None, false),
    };
    Ok(ParamModel {
        name: data.name.clone(),
        location: ParamLocation::Query,
        required: data.required,
        kind,
        description: data.description.clone().unwrap_or_default(),
        limit,
        json_string,
        schema_pointer: format!("{pptr}/schema"),
    })
}

/// The JSON request body, if any: one inline `application/json` body whose schema is a `$ref` to a
/// component; its top-level properties become body parameters.
pub(super) fn body(cx: &OpContext) -> OpResult<Option<Body>> {
    let body = match &cx.op.request_body {
        None => return Ok(None),
        Some(ReferenceOr::Reference { .. }) => {
            return Err((
                cx.at("/requestBody"),
                "requestBody must be written inline".into(),
            ));
        }
        Some(ReferenceOr::Item(body)) => body,
    };
    let media = json_media(cx, body)?;
    let schema_ptr = cx.at("/requestBody/content/application~1json/schema");
    let name = component_ref(media.schema.as_ref()).ok_or((
        schema_ptr.clone(),
        "the body schema must be a $ref to a component".into(),
    ))?;
    let params =
        body_params(cx, &name).ok_or((schema_ptr, format!("component {name} not found")))??;
    let mut examples = Vec::new();
    collect_examples(
        media,
        ExampleKind::Request,
        &cx.at("/requestBody/content/application~1json/examples"),
        &mut examples,
    )?;
    Ok(Some(Body {
        schema: name,
        params,
        examples,
    }))
}

fn json_media<'a>(cx: &OpContext, body: &'a RequestBody) -> OpResult<&'a MediaType> {
    let keys: Vec<&String> = body.content.keys().collect();
    if keys.len() != 1 || !keys[0].starts_with("application/json") {
        return Err((
            cx.at("/requestBody/content"),
            format!(
                "exactly one application/json body is supported (got {keys:?}); multipart endpoints are hand-written in the runtime and listed under x-hand-written"
            ),
        ));
    }
    Ok(&body.content[keys[0]])
}

/// One parameter per top-level property of the body component `name` (`None`: no such component).
fn body_params(cx: &OpContext, name: &str) -> Option<OpResult<Vec<ParamModel>>> {
    let schema = component(cx.openapi, name)?;
    let required = object_required(schema);
    let params = object_properties(cx.openapi, schema)
        .into_iter()
        .map(|(prop, ps)| {
            let prop_ptr = pointer(["components", "schemas", name, "properties", &prop]);
            let limit = ps
                .map(limit_of)
                .transpose()
                .map_err(|m| (prop_ptr.clone(), m))?;
            let json_string = ps
                .map(json_string_of)
                .transpose()
                .map_err(|m| (format!("{prop_ptr}/x-json-string"), m))?
                .unwrap_or(false);
            Ok(ParamModel {
                json_string,
                schema_pointer: prop_ptr,
                required: required.contains(&prop),
                location: ParamLocation::Body,
                kind: ps.map(kind_of).unwrap_or("Any"),
                description: own_description(schema, &prop)
                    .or_else(|| ps.and_then(|s| s.schema_data.description.clone()))
                    .unwrap_or_default(),
                limit: limit.flatten(),
                name: prop,
            })
        })
        .collect();
    Some(params)
}

/// No parameter or body property may be a field the `auth` scheme's signer adds (`x-signer-params`), and
/// the scheme's `x-body-credentials` must be among those.
pub(super) fn check_signer_params(
    cx: &OpContext,
    auth: &str,
    params: &[ParamModel],
) -> OpResult<()> {
    let Some(ReferenceOr::Item(scheme)) = cx.scheme(auth) else {
        return Ok(());
    };
    let owned = signer_params(scheme).map_err(|m| {
        (
            pointer(["components", "securitySchemes", auth, "x-signer-params"]),
            m,
        )
    })?;
    if let Some(bad) = body_credentials(scheme)
        .into_iter()
        .find(|name| !owned.contains(name))
    {
        return Err((
            pointer(["components", "securitySchemes", auth, "x-body-credentials"]),
            format!("{bad} is not one of the scheme's x-signer-params"),
        ));
    }
    if let Some(p) = params.iter().find(|p| owned.contains(&p.name)) {
        return Err((
            cx.at(""),
            format!(
                "{} is added by the {auth} signer (x-signer-params); do not model it as a parameter or body property",
                p.name
            ),
        ));
    }
    Ok(())
}

/// The `x-*` extensions of a security scheme.
fn scheme_extensions(scheme: &openapiv3::SecurityScheme) -> &IndexMap<String, Value> {
    use openapiv3::SecurityScheme as S;
    let (S::APIKey { extensions, .. }
    | S::HTTP { extensions, .. }
    | S::OAuth2 { extensions, .. }
    | S::OpenIDConnect { extensions, .. }) = scheme;
    extensions
}

/// The names under a security scheme's `x-body-credentials` (the fields its signer puts in JSON bodies).
fn body_credentials(scheme: &openapiv3::SecurityScheme) -> Vec<String> {
    scheme_extensions(scheme)
        .get("x-body-credentials")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The names a security scheme's signer adds itself (`x-signer-params`).
fn signer_params(scheme: &openapiv3::SecurityScheme) -> Result<Vec<String>, String> {
    let Some(v) = scheme_extensions(scheme).get("x-signer-params") else {
        return Ok(Vec::new());
    };
    v.as_array()
        .and_then(|a| a.iter().map(|n| n.as_str().map(str::to_owned)).collect())
        .ok_or_else(|| "must be a list of parameter names".into())
}
