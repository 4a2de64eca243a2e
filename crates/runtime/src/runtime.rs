//! [`Runtime`]: the inner state every generated `Client` carries — signer, request policy and timer — and
//! the one dispatch path of every call: limits, signature, retries, bounded body, envelope mapping.

use crate::budget::Budget;
use crate::credentials::CredentialValues;
use crate::envelope::Envelope;
use crate::error::{ApiError, BodyPrefix, BodyTooLarge, Error};
use crate::multipart::MultipartForm;
use crate::observe::{self, LoggedHeaders, LoggedUrl};
use crate::operation::{AuthStyle, Operation, Provider};
use crate::policy::{self, RequestPolicy};
use crate::signing::{Refusing, SignContext, SignError, Signer, SigningSettings, redact_error};
use crate::time::{Timer, TokioTimer};
use reqwest::ResponseBuilderExt;
use std::sync::Arc;
use tracing::Instrument;

/// Finds the business error in a body, as [`crate::EnvelopeCodec::api_error_in`] / [`Envelope::api_error_in`].
pub(crate) type ApiErrorIn<'a> = &'a (dyn Fn(&[u8], &'static str) -> Option<ApiError> + Sync);

/// Bytes read from an error response before giving up on the rest (the prefix kept is smaller).
const ERROR_BODY_READ_LIMIT: usize = 1 << 20;

/// The signer, request policy, timer and rate budget shared by all calls of a client. Cheap to clone: the
/// clones share one rate budget ([`RequestPolicy::rate`]).
#[derive(Clone, Debug)]
pub struct Runtime {
    signer: Arc<dyn Signer>,
    policy: RequestPolicy,
    timer: Arc<dyn Timer>,
    budget: Arc<Budget>,
}

impl Runtime {
    /// A runtime that signs with `signer` and applies the default [`RequestPolicy`].
    pub fn new(signer: impl Signer + 'static) -> Self {
        Self::from_arc(Arc::new(signer))
    }

    /// A runtime signing every scheme of `provider` with `credentials` (in the field order of the
    /// provider's credential kind) and the readings of the vendor's open rules in `settings`: what tools
    /// that serve every provider use. Credentials that do not fit give a runtime whose every call fails
    /// with [`Error::Signing`] naming the problem.
    pub fn for_provider(
        provider: &Provider,
        credentials: &CredentialValues,
        settings: &SigningSettings,
    ) -> Self {
        match provider.signer(credentials, settings) {
            Ok(signer) => Self::new(signer),
            Err(e) => Self::new(Refusing(e)),
        }
    }

    /// [`Runtime::for_provider`] for calling the sandbox: schemes whose rule is unpublished sign with the
    /// stand-in the sandbox accepts ([`crate::Scheme::sandbox_signer`]).
    pub fn for_sandbox(
        provider: &Provider,
        credentials: &CredentialValues,
        settings: &SigningSettings,
    ) -> Self {
        match provider.sandbox_signer(credentials, settings) {
            Ok(signer) => Self::new(signer),
            Err(e) => Self::new(Refusing(e)),
        }
    }

    /// [`Runtime::new`] for a signer already shared.
    pub fn from_arc(signer: Arc<dyn Signer>) -> Self {
        let policy = RequestPolicy::default();
        let timer: Arc<dyn Timer> = Arc::new(TokioTimer::default());
        Self {
            signer,
            budget: Arc::new(Budget::new(&policy.rate, timer.clone())),
            policy,
            timer,
        }
    }

    /// Replace the request policy (timeouts, retries, response size limit, rate budget). The runtime gets a
    /// fresh rate budget (clones made before keep the old one).
    pub fn with_policy(mut self, policy: RequestPolicy) -> Self {
        self.policy = policy;
        self.budget = Arc::new(Budget::new(&self.policy.rate, self.timer.clone()));
        self
    }

    /// Replace the clock and sleep of the retry loop and the call latency (default [`TokioTimer`]); tests use
    /// [`crate::time::VirtualTimer`] to run retries without waiting. Signers keep their own clock (given
    /// when they are built, e.g. `AccessKeySigner::with_clock`).
    pub fn with_timer(mut self, timer: Arc<dyn Timer>) -> Self {
        self.timer = timer;
        self.budget = Arc::new(Budget::new(&self.policy.rate, self.timer.clone()));
        self
    }

    /// The request policy.
    pub fn policy(&self) -> &RequestPolicy {
        &self.policy
    }

    /// The signer.
    pub fn signer(&self) -> &dyn Signer {
        &*self.signer
    }

    /// The time source of retries and latency.
    pub fn timer(&self) -> &dyn Timer {
        &*self.timer
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

    /// Wait for the rate budget ([`RequestPolicy::rate`]) before an attempt of `operation` is signed: the
    /// first attempt's in [`crate::__codegen::pre`] and `dispatch`, each retry's in the retry loop. A `429`
    /// seen by any call of this runtime delays it until that answer's `Retry-After`.
    pub(crate) async fn admit(&self, operation: &Operation) {
        self.budget.acquire(operation).await;
    }

    /// Everything before sending, in one place for every call path (typed, untyped, multipart): the
    /// documented limits, then the signature. `form`: the text fields of a multipart body.
    pub(crate) fn prepare(
        &self,
        request: &mut reqwest::Request,
        operation: &Operation,
        form: Option<&[(&str, &str)]>,
    ) -> Result<(), Error> {
        operation
            .check_limits(request)
            .map_err(|message| Error::InvalidRequest {
                operation: operation.id,
                message,
            })?;
        self.sign_with(request, operation, form)
            .map_err(|source| Error::Signing {
                operation: operation.id,
                source,
            })
    }

    /// Sign a request built by hand exactly as a call of `operation` would be (tools and tests that send
    /// requests themselves): progenitor's `api-version` header removed, then the signer.
    pub fn sign(
        &self,
        request: &mut reqwest::Request,
        operation: &Operation,
    ) -> Result<(), SignError> {
        self.sign_with(request, operation, None)
    }

    /// The one place a request is signed — first attempt and retries, built-in and custom signers alike.
    /// progenitor adds an `api-version` header to every request, which no vendor documents: it is removed
    /// here, before the signer sees the request.
    fn sign_with(
        &self,
        request: &mut reqwest::Request,
        operation: &Operation,
        form: Option<&[(&str, &str)]>,
    ) -> Result<(), SignError> {
        // A `const` name: a `&str` would be parsed and validated on every call.
        const API_VERSION: http::HeaderName = http::HeaderName::from_static("api-version");
        request.headers_mut().remove(API_VERSION);
        let ctx = SignContext {
            operation: operation.id,
            auth: operation.auth,
        };
        match form {
            Some(fields) => self.signer.sign_form(request, fields, &ctx),
            None => self.signer.sign(request, &ctx),
        }
    }

    /// Send a signed request; retry declared reads per the policy, re-signing each attempt.
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &Operation,
    ) -> reqwest::Result<reqwest::Response> {
        // Boxed: the loop's state (request, transport future, body being read) is kilobytes; inline, every
        // future awaiting a call (generated `send_raw`, `send`, the caller's) would embed it and copy it
        // on each move — the largest cost a generated call had over a hand-written one.
        Box::pin(self.retry_loop(request, operation, |r| self.attempt(client, r, operation))).await
    }

    /// The retry loop, over any way of sending one attempt (unit-tested with a scripted one). Each retry
    /// waits for the rate budget (the first attempt waited before it was signed); a `429` slows the budget
    /// for every later call. A write or payment is returned as answered, never delayed after it.
    pub(crate) async fn retry_loop<F, Fut>(
        &self,
        request: reqwest::Request,
        operation: &Operation,
        mut send: F,
    ) -> reqwest::Result<reqwest::Response>
    where
        F: FnMut(reqwest::Request) -> Fut,
        Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    {
        let retry = &self.policy.retry;
        let span = tracing::Span::current();
        let started = self.timer.now();
        let mut next = if retry.retries(operation) {
            request.try_clone()
        } else {
            None
        };
        let mut attempt = 1;
        let mut result = send(request).await;
        // Each field is recorded once, when the call ends: a subscriber that prints recorded fields
        // appends every recording (`attempt=1 … attempt=2`); the retry events carry their own attempt.
        let end = |span: &tracing::Span, attempt: u32, status: Option<u16>| {
            span.record("attempt", attempt);
            if let Some(status) = status {
                span.record("status", status);
            }
            let ms = self.timer.now().saturating_sub(started).as_millis() as u64;
            span.record("latency_ms", ms);
        };
        loop {
            let (again, server_delay, reason, status) = match &result {
                Ok(r) => {
                    let status = r.status().as_u16();
                    if status == 429 {
                        self.budget.throttled(policy::retry_after(r));
                    }
                    let again = policy::retryable_status(status)
                        && r.extensions().get::<BodyTooLarge>().is_none();
                    (
                        again,
                        policy::retry_after(r),
                        format!("HTTP {status}"),
                        Some(status),
                    )
                }
                Err(e) => (policy::retryable_error(e), None, e.to_string(), None),
            };
            let retry_request = match next.take() {
                Some(r) if again && attempt < retry.max_attempts => r,
                _ => {
                    end(&span, attempt, status);
                    return result;
                }
            };
            let mut request = retry_request;
            let delay = retry.backoff(attempt).max(server_delay.unwrap_or_default());
            let elapsed = self.timer.now().saturating_sub(started);
            if elapsed + delay > retry.max_elapsed {
                tracing::info!(attempt, ?delay, %reason, "not retrying: the retry time budget is spent");
                end(&span, attempt, status);
                return result;
            }
            tracing::info!(attempt, ?delay, %reason, "retrying");
            self.timer.sleep(delay).await;
            // Signed after the waits, so the signature's timestamp is fresh when it is sent.
            self.admit(operation).await;
            next = request.try_clone();
            if let Err(e) = self.sign(&mut request, operation) {
                tracing::info!(attempt, error = %e, "not retrying: re-signing was refused");
                end(&span, attempt, status);
                return result;
            }
            attempt += 1;
            result = send(request).await;
        }
    }

    /// Whether [`Runtime::attempt`] reads the body before handing the response on. It does, into memory
    /// within `max_response_bytes`, when that matters: a declared read is retried, so a body cut off
    /// mid-way must fail inside the attempt; a body without a length within the limit could be larger;
    /// and the trace log shows the body. Otherwise (a write or payment, which is never retried, answered
    /// with a `Content-Length` within the limit — hyper reads no more than that) the caller reads it once,
    /// as a hand-written call would, and a cut-off body is the same transport error either way.
    fn reads_body_in_attempt(&self, response: &reqwest::Response, operation: &Operation) -> bool {
        let within_limit = response
            .content_length()
            .is_some_and(|n| n <= self.policy.max_response_bytes as u64);
        self.policy.retry.retries(operation)
            || !within_limit
            || tracing::enabled!(tracing::Level::TRACE)
    }

    /// Send once and, where [`Runtime::reads_body_in_attempt`] says so, read the whole body within
    /// `max_response_bytes`. Reading here (not later in the generated code) makes a connection dropped
    /// mid-body a transport error of this attempt — retried for declared reads — and bounds memory for a
    /// body of unknown length. A larger body is not read further: the response keeps its status and
    /// headers, carries [`BodyTooLarge`] in its extensions, and its body fails with that marker when read.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &Operation,
    ) -> reqwest::Result<reqwest::Response> {
        let auth = operation.auth;
        tracing::debug!(method = %request.method(), url = %LoggedUrl(request.url(), auth), "request");
        tracing::trace!(headers = ?LoggedHeaders(request.headers()), "request headers");
        let redact = |e| redact_error(e, auth);
        let mut response = client.execute(request).await.map_err(redact)?;
        let limit = self.policy.max_response_bytes;
        if !self.reads_body_in_attempt(&response, operation) {
            tracing::debug!(
                status = response.status().as_u16(),
                bytes = response.content_length(),
                "response"
            );
            return Ok(response);
        }
        let status = response.status();
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
        let expected = response.content_length().unwrap_or(0) as usize;
        let mut body = Vec::with_capacity(expected.min(limit));
        // With the request's URL: `reqwest::Response::from` would otherwise parse a placeholder URL per call.
        let mut rebuilt = http::Response::builder()
            .url(response.url().clone())
            .body(reqwest::Body::from(Vec::new()))
            .unwrap_or_else(|_| http::Response::new(reqwest::Body::from(Vec::new())));
        while let Some(chunk) = response.chunk().await.map_err(redact)? {
            if body.len() + chunk.len() > limit {
                let marker = BodyTooLarge {
                    status: status.as_u16(),
                    limit,
                };
                tracing::debug!(status = status.as_u16(), limit, "response body too large");
                *rebuilt.body_mut() = reqwest::Body::wrap(FailingBody(Some(marker)));
                rebuilt.extensions_mut().insert(marker);
                body.clear();
                break;
            }
            body.extend_from_slice(&chunk);
        }
        if rebuilt.extensions().get::<BodyTooLarge>().is_none() {
            tracing::debug!(status = status.as_u16(), bytes = body.len(), "response");
            tracing::trace!(body = %BodyPrefix::new(&body), "response body");
            *rebuilt.body_mut() = reqwest::Body::from(body);
        }
        *rebuilt.status_mut() = status;
        *rebuilt.version_mut() = version;
        *rebuilt.headers_mut() = headers;
        Ok(reqwest::Response::from(rebuilt))
    }

    /// Sign and send a request to a path the spec does not describe (for endpoints a vendor tells you about
    /// privately), with the same signing, envelope mapping and errors as generated operations: signed with
    /// the scheme of the documented operations under the same first path segment (else `default_auth`),
    /// decoded with `provider`'s envelope. Never retried: the runtime cannot know whether such a call is
    /// idempotent.
    pub async fn call_raw(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        provider: &Provider,
        default_auth: AuthStyle,
        raw: RawRequest<'_>,
    ) -> Result<serde_json::Value, Error> {
        let auth = provider.auth_for_path(raw.path).unwrap_or(default_auth);
        let operation = Operation::untabled("call_raw", auth, raw.body.is_some());
        self.send_untyped(provider, client, base_url, &operation, raw)
            .await
    }

    /// Call a row of `provider`'s table with untyped inputs (the CLI, `sourcing mcp`, the sandbox tests and
    /// anything that drives operations from the table): signs per the operation's scheme, retries only a
    /// declared read, checks the body decodes into the operation's generated type, and returns `data` as
    /// JSON, decoded with the provider's envelope codec — no per-provider code.
    pub async fn call_operation(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        provider: &Provider,
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
        self.send_untyped(provider, client, base_url, operation, raw)
            .await
    }

    async fn send_untyped(
        &self,
        provider: &Provider,
        client: &reqwest::Client,
        base_url: &str,
        operation: &Operation,
        raw: RawRequest<'_>,
    ) -> Result<serde_json::Value, Error> {
        let op = operation.id;
        let codec = provider.envelope.codec();
        let url = format!("{}{}", base_url.trim_end_matches('/'), raw.path);
        let mut builder = client
            .request(raw.method, url)
            .header(reqwest::header::ACCEPT, "application/json")
            .query(raw.query);
        if let Some(body) = raw.body {
            builder = builder.json(body);
        }
        let built = builder.build().map_err(|e| Error::InvalidRequest {
            operation: op,
            message: e.to_string(),
        });
        observed(provider.name, op, async {
            let api_error_in = |b: &[u8], o| codec.api_error_in(b, o);
            let bytes = self
                .dispatch(client, built?, operation, None, &api_error_in)
                .await?;
            if let Err(source) = (operation.transcode_response)(&bytes) {
                return Err(undecodable(&api_error_in, op, &bytes, source));
            }
            codec.decode(operation, &bytes)
        })
        .await
    }

    /// Sign and send a `multipart/form-data` request — the endpoints progenitor cannot generate, listed
    /// under `x-hand-written` in a spec; the generated client calls this from a thin method named after the
    /// entry's `id`. The form's text fields are passed to [`Signer::sign_form`] (the body itself is a
    /// stream). A form that is [invalid](MultipartForm::invalid) fails as [`Error::InvalidRequest`] before
    /// signing. Never retried: the body is a stream that cannot be replayed. `data` is returned untyped.
    pub async fn call_multipart(
        &self,
        client: &reqwest::Client,
        base_url: &str,
        call: MultipartCall<'_>,
    ) -> Result<serde_json::Value, Error> {
        let op = Operation::untabled(call.operation, call.auth, true);
        let codec = call.provider.envelope.codec();
        observed(call.provider.name, call.operation, async {
            if let Some(problem) = call.form.problem() {
                return Err(Error::InvalidRequest {
                    operation: op.id,
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
            let request = client
                .request(call.method, url)
                .header(reqwest::header::ACCEPT, "application/json")
                .multipart(body)
                .build()
                .map_err(|e| Error::InvalidRequest {
                    operation: op.id,
                    message: e.to_string(),
                })?;
            let fields: Vec<(&str, &str)> = call.form.fields().collect();
            let api_error_in = |b: &[u8], o| codec.api_error_in(b, o);
            let bytes = self
                .dispatch(client, request, &op, Some(&fields), &api_error_in)
                .await?;
            codec.decode(&op, &bytes)
        })
        .await
    }

    /// The dispatch path of the untyped and multipart calls: [prepare](Self::prepare) (limits, then
    /// signature), [execute](Self::execute) (retries, bounded body), then the HTTP status. The typed path
    /// runs the same two steps from the generated hooks (`crate::__codegen::pre` and `exec`).
    async fn dispatch(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        operation: &Operation,
        form: Option<&[(&str, &str)]>,
        api_error_in: ApiErrorIn<'_>,
    ) -> Result<bytes::Bytes, Error> {
        self.admit(operation).await;
        self.prepare(&mut request, operation, form)?;
        let op = operation.id;
        let transport = |source| transport_error(op, source);
        let response = self
            .execute(client, request, operation)
            .await
            .map_err(transport)?;
        if let Some(marker) = response.extensions().get::<BodyTooLarge>() {
            return Err(too_large(op, *marker));
        }
        if response.status().as_u16() != 200 {
            return Err(http_status_error(api_error_in, op, response).await);
        }
        response.bytes().await.map_err(transport)
    }
}

/// A body that fails with the [`BodyTooLarge`] marker when read.
struct FailingBody(Option<BodyTooLarge>);

impl http_body::Body for FailingBody {
    type Data = bytes::Bytes;
    type Error = BodyTooLarge;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, BodyTooLarge>>> {
        std::task::Poll::Ready(self.0.take().map(Err))
    }
}

pub(crate) fn too_large(operation: &'static str, marker: BodyTooLarge) -> Error {
    Error::ResponseTooLarge {
        operation,
        status: marker.status,
        limit: marker.limit,
    }
}

/// A request for [`Runtime::call_multipart`].
#[derive(Debug)]
pub struct MultipartCall<'a> {
    /// The hand-written endpoint's id (the client method name); names the operation in errors.
    pub operation: &'static str,
    /// The provider (its name for the call's tracing span, its envelope to decode the answer).
    pub provider: &'a Provider,
    /// The HTTP method.
    pub method: reqwest::Method,
    /// Path below the base URL, starting with `/`.
    pub path: &'a str,
    /// How the endpoint is signed.
    pub auth: AuthStyle,
    /// The form's text fields.
    pub form: MultipartForm,
}

/// A request for [`Runtime::call_raw`].
#[derive(Debug)]
pub struct RawRequest<'a> {
    /// The HTTP method.
    pub method: reqwest::Method,
    /// Path below the base URL, starting with `/`.
    pub path: &'a str,
    /// Query parameters, in order.
    pub query: &'a [(&'a str, &'a str)],
    /// The JSON body, if any.
    pub body: Option<&'a serde_json::Value>,
}

/// Decode a 200 body as the envelope `E` and map it to `Result` (see [`settle`]).
pub(crate) fn decode_envelope<E: Envelope>(
    operation: &Operation,
    body: &[u8],
) -> Result<E::Data, Error>
where
    E::Data: serde::Serialize,
{
    match serde_json::from_slice::<E>(body) {
        Ok(envelope) => settle(operation, envelope),
        Err(source) => Err(undecodable(&E::api_error_in, operation.id, body, source)),
    }
}

/// A decoded envelope as the call's result: `data` on success, [`Error::Api`] on another code, and for a
/// batch operation ([`Operation::batch_outcome`]) [`Error::PartialFailure`] when any item failed.
pub(crate) fn settle<E: Envelope>(operation: &Operation, envelope: E) -> Result<E::Data, Error>
where
    E::Data: serde::Serialize,
{
    let request_id = envelope.request_id();
    // A refusal's request id is recorded with its error (`observe::finished`): once, not twice.
    let data = envelope.into_data(operation.id)?;
    observe::request_id(request_id.as_deref());
    match &operation.batch_outcome {
        Some(outcome) => outcome.check(operation.id, data, request_id),
        None => Ok(data),
    }
}

pub(crate) fn undecodable(
    api_error_in: ApiErrorIn<'_>,
    operation: &'static str,
    body: &[u8],
    source: serde_json::Error,
) -> Error {
    // An error envelope often carries `data` of another shape: report the business error, not the shape.
    match api_error_in(body, operation) {
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
pub(crate) fn transport_error(operation: &'static str, source: reqwest::Error) -> Error {
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

pub(crate) async fn http_status_error(
    api_error_in: ApiErrorIn<'_>,
    operation: &'static str,
    mut response: reqwest::Response,
) -> Error {
    if let Some(marker) = response.extensions().get::<BodyTooLarge>() {
        return too_large(operation, *marker);
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
        api: api_error_in(&kept, operation).map(Box::new),
        body,
    }
}

/// Run one call inside its `sourcing.call` span and record its outcome (see [`crate::observe`]); the retry
/// loop records the latency, on the runtime's timer.
pub(crate) fn observed<F: std::future::Future>(
    provider: &'static str,
    operation: &'static str,
    call: F,
) -> observe::Observed<F> {
    observe::Observed::new(
        call.instrument(observe::call_span(provider, operation)),
        provider,
        operation,
    )
}
