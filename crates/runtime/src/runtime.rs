//! [`Runtime`]: the inner state every generated `Client` carries — signer and request policy — and the
//! functions the generated hooks call: sign before sending, execute with retries, map the envelope.

use crate::envelope::Envelope;
use crate::error::{BodyPrefix, Error};
use crate::multipart::MultipartForm;
use crate::operation::{AuthStyle, Operation};
use crate::policy::{self, RequestPolicy};
use crate::signing::{SignContext, Signer, redact_error};
use progenitor_client::ResponseValue;
use std::sync::Arc;
use std::time::Instant;

/// Bytes read from an error response before giving up on the rest (the prefix kept is smaller).
const ERROR_BODY_READ_LIMIT: usize = 1 << 20;

/// The signer and policy shared by all calls of a client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Runtime {
    signer: Arc<dyn Signer>,
    policy: RequestPolicy,
}

impl Runtime {
    pub fn new(signer: impl Signer + 'static) -> Self {
        Self::from_arc(Arc::new(signer))
    }

    pub fn from_arc(signer: Arc<dyn Signer>) -> Self {
        Self {
            signer,
            policy: RequestPolicy::default(),
        }
    }

    pub fn with_policy(mut self, policy: RequestPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &RequestPolicy {
        &self.policy
    }

    pub fn signer(&self) -> &dyn Signer {
        &*self.signer
    }

    /// A `reqwest::Client` with this policy's timeouts.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(self.policy.connect_timeout)
            .timeout(self.policy.timeout)
            .build()
            // Building only fails when a TLS backend cannot initialise; a default client then reports the
            // problem on the first call instead of panicking here.
            .unwrap_or_default()
    }

    /// Sign `request` for `operation` (called by the generated `pre` hook).
    pub fn sign(
        &self,
        request: &mut reqwest::Request,
        operation: &Operation,
    ) -> Result<(), String> {
        self.signer
            .sign(
                request,
                &SignContext {
                    operation: operation.id,
                    auth: operation.auth,
                },
            )
            .map_err(|e| e.0)
    }

    /// Send an already signed request; retry idempotent operations per the policy, re-signing each attempt.
    pub async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &Operation,
    ) -> reqwest::Result<reqwest::Response> {
        let retry = &self.policy.retry;
        let started = Instant::now();
        let mut next = if operation.idempotent && retry.max_attempts > 1 {
            request.try_clone()
        } else {
            None
        };
        let mut attempt = 1;
        let mut result = client.execute(request).await.map_err(redact_error);
        loop {
            let (again, server_delay) = match &result {
                Ok(r) => {
                    let s = r.status().as_u16();
                    tracing::debug!(operation = operation.id, attempt, status = s, "response");
                    (policy::retryable_status(s), policy::retry_after(r))
                }
                Err(e) => {
                    tracing::debug!(operation = operation.id, attempt, error = %e, "transport error");
                    (policy::retryable_error(e), None)
                }
            };
            if !again || attempt >= retry.max_attempts {
                return result;
            }
            let Some(mut request) = next.take() else {
                return result;
            };
            let delay = retry.backoff(attempt).max(server_delay.unwrap_or_default());
            if started.elapsed() + delay > retry.max_elapsed {
                return result;
            }
            next = request.try_clone();
            if self.sign(&mut request, operation).is_err() {
                return result;
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
            tracing::debug!(operation = operation.id, attempt, ?delay, "retrying");
            result = client.execute(request).await.map_err(redact_error);
        }
    }

    /// Sign and send a request to a path the spec does not describe (for endpoints a vendor tells you about
    /// privately), with the same signing, envelope mapping and errors as generated operations. Never
    /// retried: the runtime cannot know whether such a call is idempotent.
    pub async fn call_raw<E: Envelope>(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        auth: AuthStyle,
        raw: RawRequest<'_>,
    ) -> Result<E::Data, Error> {
        const OP: &str = "call_raw";
        let url = format!("{}{}", base_url.trim_end_matches('/'), raw.path);
        let mut builder = client
            .request(raw.method, url)
            .header(reqwest::header::ACCEPT, "application/json")
            .query(raw.query);
        if let Some(body) = raw.body {
            builder = builder.json(body);
        }
        let mut request = builder.build().map_err(|e| Error::InvalidRequest {
            operation: OP,
            message: e.to_string(),
        })?;
        self.signer
            .sign(
                &mut request,
                &SignContext {
                    operation: OP,
                    auth,
                },
            )
            .map_err(|e| Error::Signing {
                operation: OP,
                message: e.0,
            })?;
        send_once::<E>(OP, client, request).await
    }

    /// Sign and send a `multipart/form-data` request — the endpoints progenitor cannot generate, listed
    /// under `x-hand-written` in a spec; the generated client calls this from a thin method named after the
    /// entry's `id`. The form's text fields are passed to [`Signer::sign_form`] (the body itself is a
    /// stream). A form that is [invalid](MultipartForm::invalid) fails as [`Error::InvalidRequest`] before
    /// signing. Never retried: the body is a stream that cannot be replayed.
    pub async fn call_multipart<E: Envelope>(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        call: MultipartCall<'_>,
    ) -> Result<E::Data, Error> {
        let operation = call.operation;
        if let Some(problem) = call.form.problem() {
            return Err(Error::InvalidRequest {
                operation,
                message: problem.to_owned(),
            });
        }
        let body = call
            .form
            .fields()
            .fold(reqwest::multipart::Form::new(), |form, (name, value)| {
                form.text(name.to_owned(), value.to_owned())
            });
        let url = format!("{}{}", base_url.trim_end_matches('/'), call.path);
        let mut request = client
            .request(call.method, url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(body)
            .build()
            .map_err(|e| Error::InvalidRequest {
                operation,
                message: e.to_string(),
            })?;
        let fields: Vec<(&str, &str)> = call.form.fields().collect();
        self.signer
            .sign_form(
                &mut request,
                &fields,
                &SignContext {
                    operation,
                    auth: call.auth,
                },
            )
            .map_err(|e| Error::Signing {
                operation,
                message: e.0,
            })?;
        send_once::<E>(operation, client, request).await
    }
}

/// Send a signed request once and map status, body and envelope to `Result`.
async fn send_once<E: Envelope>(
    operation: &'static str,
    client: &reqwest::Client,
    request: reqwest::Request,
) -> Result<E::Data, Error> {
    let transport = |source| Error::Transport {
        operation,
        source: redact_error(source),
    };
    let response = client.execute(request).await.map_err(transport)?;
    if response.status().as_u16() != 200 {
        return Err(http_status_error::<E>(operation, response).await);
    }
    let bytes = response.bytes().await.map_err(transport)?;
    decode_envelope::<E>(operation, &bytes)
}

/// A request for [`Runtime::call_multipart`].
#[derive(Debug)]
pub struct MultipartCall<'a> {
    /// The hand-written endpoint's id (the client method name); names the operation in errors.
    pub operation: &'static str,
    pub method: reqwest::Method,
    /// Path below the base URL, starting with `/`.
    pub path: &'a str,
    pub auth: AuthStyle,
    pub form: MultipartForm,
}

/// A request for [`Runtime::call_raw`].
#[derive(Debug)]
pub struct RawRequest<'a> {
    pub method: reqwest::Method,
    /// Path below the base URL, starting with `/`.
    pub path: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    pub body: Option<&'a serde_json::Value>,
}

/// Decode a 200 body as the envelope `E` and map it to `Result`.
pub fn decode_envelope<E: Envelope>(
    operation: &'static str,
    body: &[u8],
) -> Result<E::Data, Error> {
    match serde_json::from_slice::<E>(body) {
        Ok(envelope) => envelope.into_data(operation),
        Err(source) => Err(undecodable::<E>(operation, body, source)),
    }
}

fn undecodable<E: Envelope>(
    operation: &'static str,
    body: &[u8],
    source: serde_json::Error,
) -> Error {
    // An error envelope often carries `data` of another shape: report the business error, not the shape.
    match E::api_error_in(body, operation) {
        Some(api) => Error::Api(Box::new(api)),
        None => Error::Decode {
            operation,
            body: BodyPrefix::new(body),
            source,
        },
    }
}

async fn http_status_error<E: Envelope>(
    operation: &'static str,
    mut response: reqwest::Response,
) -> Error {
    let status = response.status().as_u16();
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Ok(Some(chunk)) = response.chunk().await {
        total += chunk.len();
        if kept.len() < crate::error::BODY_PREFIX_LIMIT {
            kept.extend_from_slice(&chunk);
        }
        if total >= ERROR_BODY_READ_LIMIT {
            break;
        }
    }
    let mut body = BodyPrefix::new(&kept);
    body.total_len = total;
    Error::HttpStatus {
        operation,
        status,
        api: E::api_error_in(&kept, operation).map(Box::new),
        body,
    }
}

/// Map the outcome of a generated `send_raw()` to `Result<data, Error>` (called by the generated `send()`).
pub async fn finish<E: Envelope, X>(
    operation: &'static str,
    result: Result<ResponseValue<E>, progenitor_client::Error<X>>,
) -> Result<E::Data, Error> {
    use progenitor_client::Error as P;
    match result {
        Ok(value) => value.into_inner().into_data(operation),
        Err(P::InvalidRequest(message)) => Err(Error::InvalidRequest { operation, message }),
        Err(P::Custom(message)) => Err(Error::Signing { operation, message }),
        Err(
            P::CommunicationError(source)
            | P::InvalidUpgrade(source)
            | P::ResponseBodyError(source),
        ) => Err(Error::Transport {
            operation,
            source: redact_error(source),
        }),
        Err(P::InvalidResponsePayload(bytes, source)) => {
            Err(undecodable::<E>(operation, &bytes, source))
        }
        Err(P::UnexpectedResponse(response)) => {
            Err(http_status_error::<E>(operation, response).await)
        }
        Err(P::ErrorResponse(value)) => Err(Error::HttpStatus {
            operation,
            status: value.status().as_u16(),
            body: BodyPrefix::new(b""),
            api: None,
        }),
    }
}
