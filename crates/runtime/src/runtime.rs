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

    /// A `reqwest::Client` with this policy's timeouts (and TLS, with the default `rustls` feature).
    pub fn http_client(&self) -> reqwest::Client {
        self.http_client_builder()
            .build()
            // Building only fails when a TLS backend cannot initialise; a default client then reports the
            // problem on the first call instead of panicking here.
            .unwrap_or_default()
    }

    /// The builder behind [`Runtime::http_client`], to add what your network needs (a proxy, a private CA
    /// with `tls_certs_merge`) before `build()`; pass the result to the generated `Client::new_with_client`.
    pub fn http_client_builder(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .connect_timeout(self.policy.connect_timeout)
            .timeout(self.policy.timeout)
    }

    /// Everything before sending, in one place for every call path (the generated `pre` hook and the
    /// untyped calls): the documented limits, then the signature.
    pub fn prepare(
        &self,
        request: &mut reqwest::Request,
        operation: &Operation,
    ) -> Result<(), Refused> {
        operation
            .check_limits(request)
            .map_err(Refused::InvalidRequest)?;
        self.sign(request, operation).map_err(Refused::Signing)
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
        let mut result = self.attempt(client, request).await;
        loop {
            let (again, server_delay) = match &result {
                Ok(r) => {
                    let s = r.status().as_u16();
                    tracing::debug!(operation = operation.id, attempt, status = s, "response");
                    let retry =
                        policy::retryable_status(s) && !r.headers().contains_key(TOO_LARGE_HEADER);
                    (retry, policy::retry_after(r))
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
            result = self.attempt(client, request).await;
        }
    }

    /// Send once and read the whole body, within `max_response_bytes`. Reading here (not later in the
    /// generated code) makes a connection dropped mid-body a transport error of this attempt — retried for
    /// idempotent operations — and bounds memory for any body.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let mut response = client.execute(request).await.map_err(redact_error)?;
        let limit = self.policy.max_response_bytes;
        let status = response.status();
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
        let expected = response.content_length().unwrap_or(0) as usize;
        let mut body = Vec::with_capacity(expected.min(limit));
        while let Some(chunk) = response.chunk().await.map_err(redact_error)? {
            if body.len() + chunk.len() > limit {
                return Ok(too_large(status, limit));
            }
            body.extend_from_slice(&chunk);
        }
        let mut rebuilt = http::Response::new(body);
        *rebuilt.status_mut() = status;
        *rebuilt.version_mut() = version;
        *rebuilt.headers_mut() = headers;
        Ok(reqwest::Response::from(rebuilt))
    }

    /// Sign and send a request to a path the spec does not describe (for endpoints a vendor tells you about
    /// privately), with the same signing, envelope mapping and errors as generated operations. Never
    /// retried: the runtime cannot know whether such a call is idempotent.
    pub async fn call_raw<E: Envelope<Data = serde_json::Value>>(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        auth: AuthStyle,
        raw: RawRequest<'_>,
    ) -> Result<serde_json::Value, Error> {
        let operation = Operation::untabled("call_raw", auth, raw.body.is_some());
        self.send_untyped::<E>(client, base_url, &operation, raw)
            .await
    }

    /// Call `operation` with untyped inputs (used by the CLI, the sandbox tests and anything that drives
    /// operations from the table): signs per the operation's style, retries only if it is idempotent, checks
    /// the body decodes into the operation's generated type, and returns `data` as JSON.
    pub async fn call_operation<E: Envelope<Data = serde_json::Value>>(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        operation: &Operation,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        let method = reqwest::Method::from_bytes(operation.method.as_bytes()).map_err(|e| {
            Error::InvalidRequest {
                operation: operation.id,
                message: e.to_string(),
            }
        })?;
        let raw = RawRequest {
            method,
            path: operation.path,
            query,
            body,
        };
        self.send_untyped::<E>(client, base_url, operation, raw)
            .await
    }

    /// [`Runtime::call_operation`] for any provider's table row, choosing the envelope from the provider:
    /// tools that drive every operation of every provider (the `sourcing` CLI) need no per-provider code.
    pub async fn call_provider_operation(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        provider: &crate::operation::Provider,
        operation: &Operation,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        use crate::envelope::{DajisaasEnvelope, PandaponEnvelope};
        use crate::operation::EnvelopeStyle;
        match provider.envelope {
            EnvelopeStyle::Pandapon => {
                self.call_operation::<PandaponEnvelope<serde_json::Value>>(
                    client, base_url, operation, query, body,
                )
                .await
            }
            EnvelopeStyle::Dajisaas => {
                self.call_operation::<DajisaasEnvelope<serde_json::Value>>(
                    client, base_url, operation, query, body,
                )
                .await
            }
        }
    }

    async fn send_untyped<E: Envelope<Data = serde_json::Value>>(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        operation: &Operation,
        raw: RawRequest<'_>,
    ) -> Result<serde_json::Value, Error> {
        let op = operation.id;
        let url = format!("{}{}", base_url.trim_end_matches('/'), raw.path);
        let mut builder = client
            .request(raw.method, url)
            .header(reqwest::header::ACCEPT, "application/json")
            .query(raw.query);
        if let Some(body) = raw.body {
            builder = builder.json(body);
        }
        let mut request = builder.build().map_err(|e| Error::InvalidRequest {
            operation: op,
            message: e.to_string(),
        })?;
        self.prepare(&mut request, operation)
            .map_err(|r| r.into_error(op))?;
        let bytes = self.send_signed::<E>(client, request, operation).await?;
        if let Err(source) = (operation.transcode_response)(&bytes) {
            return Err(undecodable::<E>(op, &bytes, source));
        }
        decode_envelope::<E>(operation, &bytes)
    }

    /// Sign and send a `multipart/form-data` request — the endpoints progenitor cannot generate, listed
    /// under `x-hand-written` in a spec; the generated client calls this from a thin method named after the
    /// entry's `id`. The form's text fields are passed to [`Signer::sign_form`] (the body itself is a
    /// stream). A form that is [invalid](MultipartForm::invalid) fails as [`Error::InvalidRequest`] before
    /// signing. Never retried: the body is a stream that cannot be replayed.
    pub async fn call_multipart<E: Envelope<Data: serde::Serialize>>(
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
        let op = Operation::untabled(operation, call.auth, true);
        let bytes = self.send_signed::<E>(client, request, &op).await?;
        decode_envelope::<E>(&op, &bytes)
    }

    /// Send a signed request through the policy (retries only if idempotent, bounded body) and return the
    /// body of an HTTP 200; other statuses and transport failures become typed errors.
    async fn send_signed<E: Envelope>(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &Operation,
    ) -> Result<bytes::Bytes, Error> {
        let op = operation.id;
        let transport = |source| transport_error(op, source);
        let response = self
            .execute(client, request, operation)
            .await
            .map_err(transport)?;
        if response.status().as_u16() != 200 {
            return Err(http_status_error::<E>(op, response).await);
        }
        response.bytes().await.map_err(transport)
    }
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

/// Why [`Runtime::prepare`] refused to send a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// A documented limit is exceeded (or the input is otherwise invalid).
    InvalidRequest(String),
    /// The signer refused or failed.
    Signing(String),
}

impl Refused {
    fn into_error(self, operation: &'static str) -> Error {
        match self {
            Refused::InvalidRequest(message) => Error::InvalidRequest { operation, message },
            Refused::Signing(message) => Error::Signing { operation, message },
        }
    }
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

/// Decode a 200 body as the envelope `E` and map it to `Result` (see [`settle`]).
pub fn decode_envelope<E: Envelope>(operation: &Operation, body: &[u8]) -> Result<E::Data, Error>
where
    E::Data: serde::Serialize,
{
    match serde_json::from_slice::<E>(body) {
        Ok(envelope) => settle(operation, envelope),
        Err(source) => Err(undecodable::<E>(operation.id, body, source)),
    }
}

/// A decoded envelope as the call's result: `data` on success, [`Error::Api`] on another code, and for a
/// batch operation ([`Operation::batch_outcome`]) [`Error::PartialFailure`] when any item failed.
pub fn settle<E: Envelope>(operation: &Operation, envelope: E) -> Result<E::Data, Error>
where
    E::Data: serde::Serialize,
{
    let request_id = envelope.request_id();
    let data = envelope.into_data(operation.id)?;
    match &operation.batch_outcome {
        Some(outcome) => outcome.check(operation.id, data, request_id),
        None => Ok(data),
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

/// A transport failure, except an `https` URL on a build without TLS: that is a configuration problem,
/// reported with the fix instead of as a network error.
fn transport_error(operation: &'static str, source: reqwest::Error) -> Error {
    let https = source.url().is_some_and(|u| u.scheme() == "https");
    if https && !cfg!(feature = "rustls") {
        return Error::InvalidRequest {
            operation,
            message:
                "HTTPS needs TLS support: this build has the provider crate's default `rustls` \
                      feature turned off (`default-features = false`); turn it back on"
                    .into(),
        };
    }
    Error::Transport { operation, source }
}

/// Marks the stand-in response [`Runtime::attempt`] returns for an oversized body.
const TOO_LARGE_HEADER: &str = "x-sourcing-response-too-large";

fn too_large(status: reqwest::StatusCode, limit: usize) -> reqwest::Response {
    let mut r = http::Response::new(Vec::new());
    *r.status_mut() = reqwest::StatusCode::BAD_GATEWAY;
    let value = format!("{} {limit}", status.as_u16());
    if let Ok(v) = http::HeaderValue::from_str(&value) {
        r.headers_mut().insert(TOO_LARGE_HEADER, v);
    }
    reqwest::Response::from(r)
}

async fn http_status_error<E: Envelope>(
    operation: &'static str,
    mut response: reqwest::Response,
) -> Error {
    if let Some(marker) = response
        .headers()
        .get(TOO_LARGE_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        let mut parts = marker.split(' ').map(|p| p.parse::<usize>().unwrap_or(0));
        return Error::ResponseTooLarge {
            operation,
            status: parts.next().unwrap_or(0) as u16,
            limit: parts.next().unwrap_or(0),
        };
    }
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

/// Map the outcome of a generated `send_raw()` to `Result<data, Error>` (called by the generated `send()`);
/// a decoded envelope goes through [`settle`].
pub async fn finish<E: Envelope, X>(
    op: &Operation,
    result: Result<ResponseValue<E>, progenitor_client::Error<X>>,
) -> Result<E::Data, Error>
where
    E::Data: serde::Serialize,
{
    use progenitor_client::Error as P;
    let operation = op.id;
    match result {
        Ok(value) => settle(op, value.into_inner()),
        Err(P::InvalidRequest(message)) => Err(Error::InvalidRequest { operation, message }),
        Err(P::Custom(message)) => Err(Error::Signing { operation, message }),
        Err(
            P::CommunicationError(source)
            | P::InvalidUpgrade(source)
            | P::ResponseBodyError(source),
        ) => Err(transport_error(operation, redact_error(source))),
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
