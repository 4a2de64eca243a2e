//! The first steps every receiver shares: read the body within the limit, acknowledge an empty probe, parse and
//! verify. Each step either yields the next value or the finished answer.

use crate::callback::{Callback, CallbackFormat};

use crate::error::CallbackError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A finished answer: a status and its text (small to pass around, unlike a `Response`).
pub(crate) struct Answer(StatusCode, String);

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

pub(crate) fn reply(status: StatusCode, text: impl Into<String>) -> Answer {
    Answer(status, text.into())
}

/// `GET`/`HEAD` on the callback path: a reachability probe.
pub(crate) async fn probe() -> &'static str {
    "sourcing-webhooks receiver: POST callbacks to this URL\n"
}

/// Body → the raw bytes and the verified callback, or the answer for a body that carries none (`413`, `400`, `401`, or `200` for an
/// empty verification probe).
pub(crate) fn callback_from(
    format: &dyn CallbackFormat,
    body: Result<Bytes, BytesRejection>,
    body_limit: usize,
) -> Result<(Bytes, Callback), Answer> {
    let body = read_body(format.name(), body, body_limit)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        // The consoles' "Verify" button expects a 200; what it sends is not published. An empty body carries no
        // message, so acknowledging it loses nothing.
        tracing::info!(
            provider = format.name(),
            "empty POST acknowledged (verification probe?)"
        );
        return Err(reply(
            StatusCode::OK,
            "ok: empty body (verification probe); nothing to deliver",
        ));
    }
    let callback = parse(format, &body)?;
    Ok((body, callback))
}

fn read_body(
    provider: &'static str,
    body: Result<Bytes, BytesRejection>,
    body_limit: usize,
) -> Result<Bytes, Answer> {
    match body {
        Ok(body) => Ok(body),
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            tracing::warn!(
                provider,
                limit = body_limit,
                "callback rejected: body too large"
            );
            Err(reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body exceeds the limit of {body_limit} bytes"),
            ))
        }
        Err(e) => {
            tracing::warn!(provider, error = %e, "callback rejected: body unreadable");
            Err(reply(
                StatusCode::BAD_REQUEST,
                format!("could not read the request body: {}", e.body_text()),
            ))
        }
    }
}

fn parse(format: &dyn CallbackFormat, body: &[u8]) -> Result<Callback, Answer> {
    let provider = format.name();
    format.parse(body).map_err(|e| match e {
        CallbackError::Parse(e) => {
            tracing::warn!(provider, error = %e, "callback rejected: 400");
            reply(StatusCode::BAD_REQUEST, e.to_string())
        }
        CallbackError::Signature(e) => {
            tracing::warn!(provider, error = %e, "callback rejected: 401");
            reply(StatusCode::UNAUTHORIZED, e.to_string())
        }
    })
}
