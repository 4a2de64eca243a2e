//! Support for the generated crates, not for users: the bodies of the generated `ClientHooks` impl and of
//! the typed `send()` methods, so the generated `hooks.rs` only delegates. Not a stable API.

use crate::envelope::Envelope;
use crate::error::{BodyTooLarge, Error};
use crate::operation::{AuthStyle, Operation, Provider};
use crate::runtime::{
    RawRequest, Runtime, http_status_error, observed, settle, too_large, transport_error, undecodable,
};
use crate::signing::{SignError, redact_error};
use progenitor_client::{Error as P, OperationInfo, ResponseValue};
use std::future::Future;

pub use progenitor_client;

/// The operation of a generated request, or an `InvalidRequest` naming the unknown id.
fn operation<X>(provider: &Provider, info: &OperationInfo) -> Result<&'static Operation, P<X>> {
    provider.find(info.operation_id).ok_or_else(|| {
        P::InvalidRequest(format!(
            "unknown {} operation {}",
            provider.name, info.operation_id
        ))
    })
}

/// The generated `ClientHooks::pre`: the documented limits, then the signature ([`Runtime`]'s one
/// pre-send step). A signing refusal travels through progenitor as `Custom` with the [`SignError`]'s text
/// and is turned back into [`Error::Signing`] by [`send`].
pub async fn pre<X>(
    runtime: &Runtime,
    provider: &Provider,
    request: &mut reqwest::Request,
    info: &OperationInfo,
) -> Result<(), P<X>> {
    let op = operation(provider, info)?;
    runtime
        .prepare(request, op, None)
        .map_err(|refused| match refused {
            Error::Signing { source, .. } => P::Custom(source.0),
            other => P::InvalidRequest(match other {
                Error::InvalidRequest { message, .. } => message,
                other => other.to_string(),
            }),
        })
}

/// The generated `ClientHooks::exec`: send with the retry policy, the body read within its limit.
pub async fn exec(
    runtime: &Runtime,
    provider: &Provider,
    client: &reqwest::Client,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    match provider.find(info.operation_id) {
        Some(op) => runtime.execute(client, request, op).await,
        // `pre` already refused an unknown operation; this is not reached through generated code.
        None => client.execute(request).await.map_err(redact_error),
    }
}

/// The generated typed `send()`: runs `send_raw` inside the call's tracing span and maps its outcome to
/// `Result<data, Error>` ([`finish`]).
pub async fn send<E, X>(
    provider: &Provider,
    op: &Operation,
    send_raw: impl Future<Output = Result<ResponseValue<E>, P<X>>>,
) -> Result<E::Data, Error>
where
    E: Envelope<Data: serde::Serialize>,
{
    observed(provider.name, op.id, async { finish(op, send_raw.await).await }).await
}

/// The generated `call_operation`: [`Runtime::call_operation`] with the provider named in the span.
pub async fn call_operation<E: Envelope<Data = serde_json::Value>>(
    runtime: &Runtime,
    provider: &Provider,
    client: &reqwest::Client,
    base_url: &str,
    operation: &Operation,
    query: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> Result<serde_json::Value, Error> {
    runtime
        .call_operation_of::<E>(provider.name, client, base_url, operation, query, body)
        .await
}

/// The generated `call_raw`: signed like the documented operations under the same first path segment
/// (else with `default_auth`), never retried.
pub async fn call_raw<E: Envelope<Data = serde_json::Value>>(
    runtime: &Runtime,
    provider: &Provider,
    default_auth: AuthStyle,
    client: &reqwest::Client,
    base_url: &str,
    raw: RawRequest<'_>,
) -> Result<serde_json::Value, Error> {
    let auth = provider.auth_for_path(raw.path).unwrap_or(default_auth);
    let operation = Operation::untabled("call_raw", auth, raw.body.is_some());
    runtime
        .send_untyped::<E>(provider.name, client, base_url, &operation, raw)
        .await
}

/// Map the outcome of a generated `send_raw()` to `Result<data, Error>`; a decoded envelope goes through
/// the envelope mapping (business codes, batch outcomes).
pub async fn finish<E: Envelope, X>(
    op: &Operation,
    result: Result<ResponseValue<E>, P<X>>,
) -> Result<E::Data, Error>
where
    E::Data: serde::Serialize,
{
    let operation = op.id;
    match result {
        Ok(value) => settle(op, value.into_inner()),
        Err(P::InvalidRequest(message)) => Err(Error::InvalidRequest { operation, message }),
        // Only `pre` produces `Custom`: a signing refusal, its `SignError` text intact.
        Err(P::Custom(message)) => Err(Error::Signing {
            operation,
            source: SignError(message),
        }),
        Err(P::ResponseBodyError(source)) => match BodyTooLarge::in_error(&source) {
            Some(marker) => Err(too_large(operation, marker)),
            None => Err(transport_error(operation, redact_error(source))),
        },
        Err(P::CommunicationError(source) | P::InvalidUpgrade(source)) => {
            Err(transport_error(operation, redact_error(source)))
        }
        Err(P::InvalidResponsePayload(bytes, source)) => {
            Err(undecodable::<E>(operation, &bytes, source))
        }
        Err(P::UnexpectedResponse(response)) => {
            Err(http_status_error::<E>(operation, response).await)
        }
        Err(P::ErrorResponse(value)) => Err(Error::HttpStatus {
            operation,
            status: value.status().as_u16(),
            body: crate::error::BodyPrefix::new(b""),
            api: None,
        }),
    }
}
